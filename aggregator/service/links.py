"""Signed delivery links: one recipient's download of one request's package, expiring, usable a limited number
of times, each use recorded in the register's audit trail.

A link is ``<payload>.<signature>``, both base64url: the payload names the request, a random link id, the expiry,
the number of uses and the first 16 hex digits of the package's sha256; the signature is HMAC-SHA256 over the
payload with the service's link key. Neither the recipient's address nor any secret is in the link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aggregator.register import Register, iso

ISSUED, DOWNLOADED = "link_issued", "downloaded"


class LinkRefused(Exception):
    """A link that must not serve the file: ``status`` 403 (tampered, not ours) or 410 (expired, used up, gone)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Link:
    """An issued link's token and terms."""

    token: str
    link_id: str
    request_id: str
    expires_at: datetime
    uses: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(register: Register, request_id: str, key: bytes, *, days: float, uses: int, actor: str | None = None,
          now: float | None = None) -> Link:
    """Sign a link to the delivered package of ``request_id`` and record its issue (not its token)."""
    entry = register.get(request_id)
    if entry.status != "delivered" or not entry.sha256:
        raise LinkRefused(410, "the request has no delivered package")
    expires = (time.time() if now is None else now) + days * 86400
    link_id = secrets.token_hex(8)
    payload = _b64(json.dumps({"r": request_id, "l": link_id, "e": int(expires), "n": uses,
                               "s": entry.sha256[:16]}, separators=(",", ":")).encode())
    at = datetime.fromtimestamp(int(expires), UTC)
    register.note(request_id, ISSUED, f"link {link_id} for {entry.delivered_to}, expires {iso(at)}, {uses} use(s)",
                  actor=actor)
    return Link(f"{payload}.{_sign(key, payload)}", link_id, request_id, at, uses)


def redeem(register: Register, token: str, key: bytes, *, now: float | None = None) -> tuple[Path, str]:
    """Check a link and record one download; returns (package path, request id) or raises :class:`LinkRefused`."""
    payload, _, signature = token.partition(".")
    if not payload or not signature or not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise LinkRefused(403, "this link is not valid")
    try:
        data = json.loads(_unb64(payload))
        request_id, link_id, expires, uses, digest = (str(data["r"]), str(data["l"]), int(data["e"]),
                                                      int(data["n"]), str(data["s"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise LinkRefused(403, "this link is not valid") from None
    if (time.time() if now is None else now) >= expires:
        raise LinkRefused(410, "this link has expired")
    try:
        entry = register.get(request_id)
    except Exception:  # noqa: BLE001 - an unknown request or an unreadable register: the file is not served
        raise LinkRefused(410, "this link is no longer valid") from None
    if (entry.status != "delivered" or entry.anonymised_at or entry.package is None or not entry.sha256
            or not entry.sha256.startswith(digest) or not entry.package.is_file()):
        raise LinkRefused(410, "this link is no longer valid")
    if _sha256(entry.package) != entry.sha256:
        raise LinkRefused(410, "this link is no longer valid")
    if not register.record_use(request_id, DOWNLOADED, f"link {link_id}", uses, actor="download"):
        raise LinkRefused(410, "this link has been used as often as it may be")
    return entry.package, request_id


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def page(status: int, reason: str) -> str:
    """The plain page shown instead of the file."""
    title = "Link not valid" if status == 403 else "Link no longer valid"
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
            f"<h1>{title}</h1><p>{reason.capitalize()}.</p><p>Please ask us for a new link.</p></body></html>")


__all__ = ["DOWNLOADED", "ISSUED", "Link", "LinkRefused", "issue", "page", "redeem"]
