"""The in-process transport: a ``requests`` adapter that hands each request straight to the sandbox's vendor
apps (same routes, paging, faults, latency and request log as over HTTPS), with no socket, TLS or server
thread. The fast test tier runs real connectors, real SDKs and the real VendorSession through it; the HTTPS
sandbox stays for the tests and the demo that need a real server."""

from __future__ import annotations

import io
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from aggregator.sandbox.server import Sandbox


class InProcessAdapter(BaseAdapter):
    """Answers requests for the sandbox's base URL from its apps, in this process."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        """Answer one prepared request; a dropped or cut connection and a slow answer raise what requests
        raises over a socket."""
        parts = urlsplit(request.url or "")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = Message()
        for key, value in request.headers.items():
            headers[key] = value
        if "Host" not in headers:        # urllib3 adds it on the wire; the vendor apps read it
            headers["Host"] = parts.netloc
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        try:
            answer, applied = self.sandbox.answer(str(request.method), target, headers, bytes(body),
                                                  None if read_timeout is None else float(read_timeout))
        except TimeoutError:
            raise requests.exceptions.ReadTimeout(f"read timed out after {read_timeout} s", request=request) from None
        if answer is None:
            raise requests.exceptions.ConnectionError("connection dropped by the sandbox", request=request)
        if applied is not None and applied.cut:
            raise requests.exceptions.ChunkedEncodingError("connection broken: the body was cut halfway",
                                                           request=request)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict({**answer.headers, "Content-Length": str(len(answer.body))})
        response.raw = io.BytesIO(answer.body)
        response._content = answer.body
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if answer.status < 400 else "Error"
        return response

    def close(self) -> None:
        """Nothing to close: no connection was opened."""
        return None
