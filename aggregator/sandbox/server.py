"""The sandbox server: real HTTPS on 127.0.0.1 with a throw-away CA, one path prefix per vendor, plus
hooks for injected latency and faults (used by tests now, by the fault matrix and benchmark later).

    with Sandbox() as sb:
        sb.inject(Fault("lightspeed", status=401, body=b"{...}", times=1))
        sb.latency["paypal"] = 0.05
        config = sb.config_mapping()      # ready for aggregator.config.from_mapping
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from aggregator.config import DEFAULT_CONTROLLER
from aggregator.sandbox.base import Request, Response, VendorApp
from aggregator.sandbox.limits import SandboxLimits


def fixtures_root() -> Path:
    """``fixtures/`` of a source checkout, or the copy a wheel carries inside the package."""
    here = Path(__file__).resolve()
    for candidate in (here.parent / "fixtures", here.parents[2] / "fixtures"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sandbox fixtures not found")


def vendor_apps(root: Path) -> dict[str, VendorApp]:
    """One instance of every vendor app in :mod:`aggregator.sandbox.vendors`, by name, fixtures under ``root``."""
    from aggregator.sandbox import vendors

    apps: dict[str, VendorApp] = {}
    for info in sorted(pkgutil.iter_modules(vendors.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"aggregator.sandbox.vendors.{info.name}")
        app_cls = getattr(module, "App", None)
        if app_cls is not None:
            apps[app_cls.name] = app_cls(root / app_cls.name)
    return apps


@dataclass
class Fault:
    """Answer matching requests differently, ``times`` times (None: always).

    ``status``/``body``/``headers`` replace the answer (a body alone answers 200); ``delay`` sleeps first;
    ``truncate`` cuts the real body in half (a well-formed but broken JSON answer); ``cut`` announces the whole
    body but closes the connection halfway through it; ``drop`` closes the connection without answering.
    ``match`` is a substring of ``METHOD /path?query`` (below the vendor prefix) or a predicate on the Request.
    """

    vendor: str
    status: int | None = None
    body: bytes | str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    match: str | Callable[[Request], bool] | None = None
    times: int | None = 1
    delay: float = 0.0
    truncate: bool = False
    cut: bool = False
    drop: bool = False
    hits: int = 0

    def applies(self, vendor: str, request: Request) -> bool:
        """Whether this fault answers ``request`` to ``vendor``: it matches and is not used up."""
        if vendor != self.vendor or (self.times is not None and self.hits >= self.times):
            return False
        if self.match is None:
            return True
        if callable(self.match):
            return bool(self.match(request))
        target = f"{request.method} {request.path}" + (f"?{request.raw_query}" if request.raw_query else "")
        return self.match in target


@dataclass(frozen=True)
class Logged:
    """One request the sandbox answered: vendor, method, path, query and status (0: the connection was dropped)."""

    vendor: str
    method: str
    path: str
    query: str
    status: int


class Sandbox:
    """The vendor apps served over HTTPS on a local port with a throw-away CA; use it as a context manager."""

    def __init__(self, fixtures: Path | None = None, port: int = 0, host: str = "127.0.0.1",
                 enforce_limits: bool = False) -> None:
        self.fixtures = fixtures or fixtures_root()
        self.limits = SandboxLimits(enforce_limits)   # the vendors' request limits (aggregator/sandbox/limits.py)
        self.host = host
        self.port = port
        self.apps = vendor_apps(self.fixtures)
        self.prefixed = {prefix: app for app in self.apps.values() for prefix in app.extra_prefixes}
        self.latency: dict[str, float] = {}
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._tmp: Path | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        """Create the CA and certificate, start serving in a background thread and return this sandbox."""
        self._tmp = Path(tempfile.mkdtemp(prefix="dsar-sandbox-"))
        ca = trustme.CA(organization_name="dsar-aggregator sandbox CA")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(self.ca_path))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(tls)
        server = _Server((self.host, self.port), _Handler)
        server.sandbox = self
        server.tls = tls
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="dsar-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delete the temporary directory holding the CA."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses and config
    @property
    def ca_path(self) -> Path:
        """The throw-away CA's certificate (PEM) that clients must trust; only once started."""
        assert self._tmp is not None, "sandbox not started"
        return self._tmp / "sandbox-ca.pem"

    @property
    def base_url(self) -> str:
        """``https://<host>:<port>`` of this sandbox."""
        return f"https://{self.host}:{self.port}"

    def vendor_url(self, vendor: str) -> str:
        """The base URL of one vendor's app."""
        return f"{self.base_url}/{vendor}"

    def config_mapping(self, vendors: list[str] | None = None) -> dict[str, Any]:
        """A complete configuration (as parsed TOML) pointing every connector at this sandbox."""
        names = [v for v in self.apps if vendors is None or v in vendors]
        return {
            "controller": dict(DEFAULT_CONTROLLER),
            "tls": {"ca_bundle": str(self.ca_path)},
            "connectors": {n: self.apps[n].connector_config(self.vendor_url(n)) for n in names},
        }

    def config_toml(self, vendors: list[str] | None = None) -> str:
        """:meth:`config_mapping` written as TOML."""
        return to_toml(self.config_mapping(vendors))

    # ------------------------------------------------------------------ faults and inspection
    def inject(self, fault: Fault) -> Fault:
        """Add a fault and return it (its ``hits`` count how often it answered)."""
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every fault, logged request and latency, and reset every vendor app's per-run state."""
        with self._lock:
            self.faults.clear()
            self.log.clear()
            self.latency.clear()
        for app in self.apps.values():
            app.reset()
        self.limits.reset()

    def requests_to(self, vendor: str, contains: str = "") -> list[Logged]:
        """The logged requests to ``vendor`` whose ``METHOD path?query`` contains ``contains``."""
        with self._lock:
            return [x for x in self.log if x.vendor == vendor and contains in f"{x.method} {x.path}?{x.query}"]

    def answer(self, method: str, target: str, headers: Message, body: bytes,
               read_timeout: float | None = None) -> tuple[Response | None, Fault | None]:
        """Answer one request (``target`` is the path and query) as the vendor app would, faults and latency
        applied and the request logged; None as the response means "drop the connection". The HTTPS handler
        and the in-process transport (:mod:`aggregator.sandbox.transport`) both answer through here; the latter
        passes its ``read_timeout``, and a delay beyond it raises TimeoutError once that time has passed."""
        parts = urlsplit(target)
        segments = parts.path.split("/", 2)
        vendor = segments[1] if len(segments) > 1 else ""
        sub_path = "/" + (segments[2] if len(segments) > 2 else "")
        request = Request(method, sub_path, parse_qs(parts.query, keep_blank_values=True), headers, body,
                          parts.query)
        app = self.apps.get(vendor)
        if app is None and vendor in self.prefixed:
            app = self.prefixed[vendor]
            sub_path = parts.path
            vendor = app.name
            request.path = sub_path
        with self.limits.admit(vendor if app else "", request) as refusal:   # held while the answer is made
            if refusal is not None:                 # a refusal, too, comes back after a round trip
                time.sleep(self.latency.get(vendor, 0.0))
                self._record(Logged(vendor, method, sub_path, parts.query, refusal.status))
                return refusal, None
            return self._respond(vendor, app, request, read_timeout)

    def _respond(self, vendor: str, app: VendorApp | None, request: Request,
                 read_timeout: float | None) -> tuple[Response | None, Fault | None]:
        method, sub_path, query = request.method, request.path, request.raw_query
        if self.latency.get(vendor):
            time.sleep(self.latency[vendor])
        fault = self._fault_for(vendor, request) if app else None
        if fault and fault.delay:
            if read_timeout is not None and fault.delay > read_timeout:
                time.sleep(read_timeout)
                raise TimeoutError(f"no answer within {read_timeout} s")
            time.sleep(fault.delay)
        if fault and fault.drop:
            self._record(Logged(vendor, method, sub_path, query, 0))
            return None, fault
        response: Response | None
        if fault and (fault.status is not None or fault.body is not None):   # a body alone answers 200
            response = Response(fault.status or 200, _as_bytes(fault.body), {"Content-Type": "application/json"})
        elif app is None:
            response = Response.json({"error": f"no sandbox vendor {vendor!r}"}, 404)
        else:
            try:
                response = app.handle(request) or Response.json({"error": "not found"}, 404)
            except Exception as exc:  # noqa: BLE001 - a sandbox bug must answer 500, not hang the client
                response = Response.json({"error": f"sandbox error: {type(exc).__name__}: {exc}"}, 500)
        if fault:
            response.headers.update(fault.headers)
            if fault.truncate:
                response.body = response.body[: len(response.body) // 2]
        self._record(Logged(vendor, method, sub_path, query, response.status))
        return response, fault

    def adapters(self) -> dict[str, Any]:
        """``{base_url: adapter}`` answering this sandbox's requests in this process, without socket or TLS
        (pass as ``export(..., adapters=...)``): the fast test tier's fake transport, same apps and faults."""
        from aggregator.sandbox.transport import InProcessAdapter

        return {self.base_url: InProcessAdapter(self)}

    def _fault_for(self, vendor: str, request: Request) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(vendor, request):
                    fault.hits += 1
                    return fault
        return None

    def _record(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: Sandbox
    tls: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # broken client connections are normal under fault injection; stay quiet


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return None

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response, fault = self.server.sandbox.answer(self.command, self.path, self.headers, body)
        if response is None:          # a dropped connection
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if fault and fault.cut:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def _as_bytes(body: bytes | str | dict[str, Any] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def to_toml(data: dict[str, Any]) -> str:
    """A minimal TOML writer for the sandbox's config (strings, numbers, booleans, lists, nested tables)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)

    def table(prefix: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        if prefix and (scalars or not d):
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{k} = {value(v)}")
        if scalars:
            lines.append("")
        for k, v in d.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines).rstrip() + "\n"
