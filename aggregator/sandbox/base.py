"""What a sandboxed vendor API is: a ``VendorApp`` answering ``Request`` objects with ``Response`` objects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs


@dataclass
class Request:
    """One request to a vendor app: method, path below the vendor's prefix, parsed query, headers and body."""

    method: str
    path: str                      # below the vendor's prefix: "/nl/customers.json"
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""
    raw_query: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``, or ``default`` when it is absent."""
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        """Query parameter ``name`` as an int; ``default`` when it is absent, empty or not a number."""
        try:
            return int(self.arg(name, str(default)) or default)
        except ValueError:
            return default

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (case-insensitive), or ``default``."""
        return self.headers.get(name, default)

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body as a URL-encoded form: the first value of each field."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass
class Response:
    """What a vendor app answers: status, body and headers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: Mapping[str, str] | None = None,
             content_type: str = "application/json; charset=utf-8") -> Response:
        """A response with ``obj`` as its UTF-8 JSON body and a JSON content type."""
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return cls(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), h)

    @classmethod
    def text(cls, text: str, status: int = 200, headers: Mapping[str, str] | None = None,
             content_type: str = "text/plain; charset=utf-8") -> Response:
        """A response with ``text`` as its UTF-8 body and a plain-text content type."""
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return cls(status, text.encode("utf-8"), h)


class VendorApp:
    """Subclass as ``App`` in ``aggregator/sandbox/vendors/<name>.py``. Served under ``/<name>/``.

    ``fixtures`` is ``fixtures/<name>/``. ``handle`` returns None for an unknown route (the server answers
    404). ``connector_config`` returns the ``[connectors.<name>]`` table that points at this app.
    """

    name: ClassVar[str]
    # Further first path segments this app answers (msal builds "/{tenant}/v2.0/…" from an authority
    # URL, dropping any prefix). For such a request ``Request.path`` is the whole path.
    extra_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, fixtures: Path) -> None:
        self.fixtures = fixtures

    def load(self, filename: str) -> Any:
        """The JSON fixture ``filename`` from this app's fixtures directory, parsed."""
        with (self.fixtures / filename).open(encoding="utf-8") as fh:
            return json.load(fh)

    def handle(self, request: Request) -> Response | None:
        """The answer to ``request``, or None for an unknown route; subclasses implement it."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget per-run state (rate-limit counters, issued tokens); called by ``Sandbox.clear()``."""

    def connector_config(self, base_url: str) -> dict[str, Any]:
        """The ``[connectors.<name>]`` table pointing the connector at ``base_url``; subclasses implement it."""
        raise NotImplementedError
