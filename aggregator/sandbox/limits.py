"""The vendors' published request limits, enforced by the sandbox in front of its vendor apps (issue 21).

Each limit counts per vendor *account* (the credential a request carries, or the mailbox it reads), as the vendor
does, so concurrent exports sharing one account share its budget. Over a limit the sandbox answers what the
vendor answers, and logs it like any other answer (``Sandbox.log``):

* Lightspeed eCom: at most 20 requests per second per shop and key: 429 with Lightspeed's error object
  (its 5-minute, hourly and daily windows are kept by the vendor app itself);
* Mailchimp: at most 10 simultaneous connections per API key: 429 problem+json, no headers;
* Microsoft Graph: at most 4 concurrent requests per app and mailbox ("MailboxConcurrency") and 10,000 per
  10 minutes: 429 ``ApplicationThrottled`` with ``Retry-After``;
* Silvasoft: at most 2 requests a second, 50 a minute and the plan's hourly requests per API key: 401
  ``{"errorCode": "UNAUTHORIZED", "errorMessage": "Ratelimit exceeded"}``.

PayPal's limits (31-day windows, pages of at most 500, results of at most 10,000) are answers of the vendor app.
Windows are fixed, as Lightspeed's ``X-RateLimit-Reset`` describes them: a window opens with the first request
after the previous one closed. Off unless enabled (``Sandbox(enforce_limits=True)``): most tests lift the pace.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from aggregator.sandbox.base import Request, Response

Key = Callable[[Request], str | None]          # the account a request counts against; None: not limited
Refuse = Callable[[Request], Response]
Clock = Callable[[], float]


@dataclass
class Concurrent:
    """At most ``limit`` requests of one account in flight at once."""

    limit: int
    key: Key
    refuse: Refuse
    _open: dict[str, int] = field(default_factory=dict)

    def admit(self, request: Request, now: float) -> tuple[str | None, bool]:
        """Take a slot for ``request``'s account; returns the account (to release later) and whether admitted."""
        account = self.key(request)
        if account is None:
            return None, True
        if self._open.get(account, 0) >= self.limit:
            return None, False
        self._open[account] = self._open.get(account, 0) + 1
        return account, True

    def release(self, account: str) -> None:
        """Give back the slot taken for ``account``."""
        self._open[account] -= 1


@dataclass
class Window:
    """At most ``limit`` requests of one account in a fixed window of ``seconds``."""

    limit: int
    seconds: float
    key: Key
    refuse: Refuse
    _opened: dict[str, float] = field(default_factory=dict)
    _used: dict[str, int] = field(default_factory=dict)

    def admit(self, request: Request, now: float) -> tuple[str | None, bool]:
        """Count ``request`` against its account's window; whether it is within the limit (nothing to release)."""
        account = self.key(request)
        if account is None:
            return None, True
        opened = self._opened.get(account)
        if opened is None or now - opened >= self.seconds:
            self._opened[account], self._used[account] = now, 0
        if self._used[account] >= self.limit:
            return None, False
        self._used[account] += 1
        return None, True

    def release(self, account: str) -> None:
        """Nothing to release: a window counts arrivals."""
        return None


Rule = Concurrent | Window


# --------------------------------------------------------------------------- accounts
def credential(request: Request) -> str | None:
    """The credential a request carries (Authorization, or Silvasoft's ApiKey header): the account it counts on."""
    return request.header("Authorization") or request.header("ApiKey") or None


def graph_mailbox(request: Request) -> str | None:
    """The mailbox a Graph request reads (``/v1.0/users/{id}/…``), lower-cased; None for any other request."""
    parts = request.path.strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "v1.0" and parts[1] == "users":
        return unquote(parts[2]).lower()
    return None


# --------------------------------------------------------------------------- the vendors' refusals
def lightspeed_429(request: Request) -> Response:
    """Lightspeed's answer past its 20 requests a second."""
    return Response.json({"error": {"code": 429, "method": request.method, "request": request.path,
                                    "message": "Too many requests, the rate limit has been exceeded."}}, 429)


def mailchimp_429(request: Request) -> Response:
    """Mailchimp's answer past 10 simultaneous connections: problem+json without rate-limit headers."""
    return Response.json({"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                          "title": "Too Many Requests", "status": 429,
                          "detail": "You have exceeded the limit of 10 simultaneous connections.",
                          "instance": str(uuid.uuid4())}, 429, content_type="application/problem+json; charset=utf-8")


def graph_429(request: Request) -> Response:
    """Graph's answer past a mailbox's limits: ``ApplicationThrottled`` with ``Retry-After``."""
    rid = str(uuid.uuid4())
    return Response.json({"error": {"code": "ApplicationThrottled",
                                    "message": "Application is over its MailboxConcurrency limit.",
                                    "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                                                   "request-id": rid,
                                                   "client-request-id": request.header("client-request-id") or rid}}},
                         429, headers={"Retry-After": "1", "request-id": rid})


def silvasoft_401(request: Request) -> Response:
    """Silvasoft's answer past any of its limits: the same 401 as bad credentials, told apart by the message."""
    return Response.json({"errorCode": "UNAUTHORIZED", "errorMessage": "Ratelimit exceeded"}, 401)


def vendor_rules(silvasoft_per_hour: int = 1200) -> dict[str, list[Rule]]:
    """Every vendor's limits as rules, by vendor name (Silvasoft's hourly plan as the sandbox's config sets it)."""
    return {
        "lightspeed": [Window(20, 1.0, credential, lightspeed_429)],
        "mailchimp": [Concurrent(10, credential, mailchimp_429)],
        "office365": [Concurrent(4, graph_mailbox, graph_429), Window(10_000, 600.0, graph_mailbox, graph_429)],
        "silvasoft": [Window(2, 1.0, credential, silvasoft_401), Window(50, 60.0, credential, silvasoft_401),
                      Window(silvasoft_per_hour, 3600.0, credential, silvasoft_401)],
    }


class SandboxLimits:
    """The limits in front of the vendor apps; ``enabled`` switches them on, ``reset`` forgets every count."""

    def __init__(self, enabled: bool = False, clock: Clock = time.monotonic, silvasoft_per_hour: int = 1200) -> None:
        self.enabled = enabled
        self.clock = clock
        self.silvasoft_per_hour = silvasoft_per_hour
        self._lock = threading.Lock()
        self.rules = vendor_rules(silvasoft_per_hour)
        self.refused: dict[str, int] = {}

    def reset(self) -> None:
        """Forget every window, slot and refusal count."""
        with self._lock:
            self.rules = vendor_rules(self.silvasoft_per_hour)
            self.refused = {}

    @contextmanager
    def admit(self, vendor: str, request: Request) -> Iterator[Response | None]:
        """Yield None while ``request`` is admitted (its concurrency slots held), or the vendor's refusal."""
        if not self.enabled:
            yield None
            return
        held: list[tuple[Rule, str]] = []
        refusal: Response | None = None
        with self._lock:
            now = self.clock()
            for rule in self.rules.get(vendor, []):
                account, ok = rule.admit(request, now)
                if not ok:
                    refusal = rule.refuse(request)
                    self.refused[vendor] = self.refused.get(vendor, 0) + 1
                    break
                if account is not None:
                    held.append((rule, account))
            if refusal is not None:           # a refused request holds nothing
                for rule, account in held:
                    rule.release(account)
                held = []
        try:
            yield refusal
        finally:
            if held:
                with self._lock:
                    for rule, account in held:
                        rule.release(account)
