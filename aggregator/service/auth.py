"""Bearer-token authentication for the portal: one token from config, compared in constant time; every path
but the open ones answers 401 without it, with no detail."""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = ("/health", "/docs", "/openapi.json")       # the API description holds no data
OPEN_PREFIXES = ("/download/",)                          # the signed link is its own credential


def token_matches(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time comparison)."""
    if not header or not header[:7].lower() == "bearer ":
        return False
    return hmac.compare_digest(header[7:].strip().encode(), token.encode())


def is_open(path: str) -> bool:
    """Paths reachable without the token."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class BearerAuth:
    """ASGI middleware: refuse (401) every HTTP request to a non-open path without the right bearer token,
    before routing or body parsing, so nothing about the API leaks to a caller without it."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse any request without the portal's bearer token (401), except /health and downloads."""
        if scope["type"] != "http" or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
        if token_matches(header, self._token):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "unauthorized"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})


__all__ = ["BearerAuth", "is_open", "token_matches"]
