"""PayPal: the subject's payments as the shop's PayPal account sees them (Transaction Search).

PayPal has no payer e-mail filter, so the connector scans every 31-day window from ``history_start`` (at
most 3 years back, PayPal's limit) to now, concurrently within a bound, and keeps the transactions whose
``payer_info.email_address`` is the subject's (case-insensitively). PayPal refuses a search matching more
than 10,000 transactions (400 ``RESULTSET_TOO_LARGE``); such a window is searched as two halves, recursively,
down to an hour. Transactions another connector names (a PayPal transaction id in a webshop order's payment
data, identifier kind ``paypal_transaction_id``: a hint, not a proof) are looked up by id after the scan,
several at once, each in a window around its order date. A window's first page tells how many pages it has;
the others are then read several at once. An id the webshop stores may also be a PayPal **order**
id (Orders v2, e.g. PayPal Commerce Platform), which Transaction Search does not know: an id it does not find is
asked of ``GET /v2/checkout/orders/{id}``, whose ``purchase_units[].payments.captures[].id`` are transaction ids
(a scanned one, or looked up by id around the capture's time). Only a 404 there too makes the id "not found".
When such a transaction (or order) was paid from a PayPal address that is not the subject's, only the payment
itself (``transaction_info``, less the payer's account id and note) and its cart are kept: the payer and shipping
details may be someone else's, so they are withheld (from the order too), with a note. A transaction a webshop order
names carries that order's number (``webshop_order``) and, when named through Orders v2, ``paypal_order_id``;
transaction records are therefore written once the lookups are done (or when the connector fails).

Then, for each of the subject's own payments (paid from the subject's address; event codes ``T00xx``: refunds,
holds and transfers cannot be disputed or shipped), several at once and started as soon as the scan finds the
payment (beside the scan, within the same ``concurrency`` and pace; each dispute is checked once every payment is
known): **disputes**
(``GET /v1/customer/disputes?disputed_transaction_id=``, paged by the ``next`` link's ``next_page_token``, then
``GET /v1/customer/disputes/{id}``: the buyer's and the shop's messages, evidence with notes, offers, outcome) and
**shipment trackers** (``GET /v1/shipping/trackers?transaction_id=``). A dispute is kept only when one of its
``disputed_transactions`` is the subject's payment (other transactions in it are withheld); a tracker only when its
``transaction_id`` is the one asked about. An Orders v2 order a payment names in Transaction Search
(``paypal_reference_id`` of type ``ODR``) is looked up like one the webshop names. A REST app without the
disputes or tracking permission (403) ends the connector ``incomplete``, saying which permission is missing.

All PayPal-specific transport lives in :class:`PayPalClient` (the ``paypalrestsdk.Api`` wrapper), so moving to
PayPal's newer SDK touches nothing outside this module. The wrapper fixes the SDK's known faults: every
request goes through our VendorSession (trust, timeout, the shared 429/5xx retry policy, redaction); nothing
logs headers (the SDK logs the Bearer token at DEBUG in sandbox mode); a 400 is an error, not a returned
``{"error": ...}``; a 401 refreshes the token once, not forever; a wrong secret fails once, clearly. With
``reuse_sign_in`` the token is kept for later exports of this process (:class:`KeptToken`, :mod:`aggregator.kept`).

Settings: :attr:`PayPalConnector.declared_settings`; datasets: :mod:`connectors.paypal_datasets`.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import paypalrestsdk
import requests
from paypalrestsdk import exceptions as sdk_errors

from aggregator.connector import Connector, Record
from aggregator.errors import ConfigError, ConnectorError, DsarError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, MinInterval, Redactor, VendorSession, one_line
from aggregator.identifiers import PAYPAL_TRANSACTION_ID, Identifier
from aggregator.kept import FAILURE_KEPT, Kept, Slot, account_key, token_deadline
from aggregator.model import iso
from aggregator.paging import PageGuard, PageNumberPaginator, Paginator, Parked, fan_out, items_at, pages
from aggregator.settings import Setting
from connectors.paypal_datasets import DATASETS

A = TypeVar("A")
R = TypeVar("R")

NAME = "paypal"
SEARCH_PATH = "/v1/reporting/transactions"
ORDER_PATH = "/v2/checkout/orders/{id}"   # Orders v2: an order, with its captures (Transaction Search's ids)
DISPUTES_PATH = "/v1/customer/disputes"          # customer_disputes_v1: list, by disputed_transaction_id
DISPUTE_PATH = "/v1/customer/disputes/{id}"      # one dispute, with messages and evidence
TRACKERS_PATH = "/v1/shipping/trackers"          # shipping_shipment_tracking_v1: by transaction_id
DISPUTE_PAGE = 50                                # the list's maximum page_size
MAX_DISPUTE_PAGES = 20                           # 1,000 disputes on one payment: far beyond any real one
PAYMENT_EVENTS = "T00"                           # event codes of payments (T0000-T0019)
SAFE_ID = re.compile(r"[A-Za-z0-9-]{1,255}")     # a dispute id as the spec's pattern allows it
MAX_WINDOW = timedelta(days=31)        # PayPal: end_date - start_date at most 31 days
HISTORY = timedelta(days=3 * 365)      # PayPal: Transaction Search covers the last 3 years
PAGE_SIZE = 500                        # PayPal's maximum
MAX_PAGES = 20                         # > 10,000 results in one window is refused by PayPal anyway
LOOKUP_BEFORE = timedelta(days=1)      # a lookup window opens a day before the order date
MIN_SPLIT = timedelta(hours=1)         # a window this short that is still too large is not split further
TOO_LARGE = "RESULTSET_TOO_LARGE"      # PayPal's 400 for a search matching more than 10,000 transactions

_EXCLUDED_FROM_TRANSACTION = ("payer_info", "shipping_info", "cart_info")
# In transaction_info, the payer's own: their account id and the free-text note they wrote.
_PAYER_FIELDS_IN_TRANSACTION = ("paypal_account_id", "transaction_note")


# --------------------------------------------------------------------------- dates and windows
def parse_when(value: object) -> datetime | None:
    """A date or moment in UTC (a setting's date, ISO 8601 with ``Z`` or ``+0000``); None when it is neither."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """One Transaction Search window: at most 31 days, both ends inclusive."""

    start: datetime
    end: datetime   # inclusive, at most 31 days after start

    def halves(self) -> tuple[Window, Window]:
        """Two consecutive windows covering this one (whole seconds, as PayPal's dates are)."""
        half = timedelta(seconds=int((self.end - self.start).total_seconds()) // 2)
        return Window(self.start, self.start + half), Window(self.start + half + timedelta(seconds=1), self.end)


def scan_windows(start: datetime, now: datetime) -> list[Window]:
    """Consecutive windows of at most 31 days covering [start, now], none before ``start``."""
    windows: list[Window] = []
    cursor = start
    while cursor < now:
        if now - cursor <= MAX_WINDOW:
            windows.append(Window(cursor, now))
            break
        windows.append(Window(cursor, cursor + MAX_WINDOW - timedelta(seconds=1)))
        cursor += MAX_WINDOW
    return windows


def earliest_searchable(now: datetime) -> datetime:
    """The oldest start_date PayPal accepts, with a day's margin (rounded up to midnight UTC)."""
    limit = now - HISTORY + timedelta(days=1)
    return datetime(limit.year, limit.month, limit.day, tzinfo=UTC)


# --------------------------------------------------------------------------- errors
class PayPalError(VendorError):
    """A PayPal error reply, with the error's ``name`` (``INVALID_REQUEST``, ``RESULTSET_TOO_LARGE``...)."""

    def __init__(self, message: str, status: int | None = None, error_name: str | None = None) -> None:
        super().__init__(message, status)
        self.error_name = error_name


class _TooLarge(VendorError):
    """A window PayPal will not return whole (more than 10,000 results): search it in smaller parts."""


def _error_body(content: str | None) -> dict[str, Any]:
    """A PayPal error body, unwrapped from the SDK's ``{"error": {...}}`` (empty when unreadable)."""
    try:
        body = json.loads(content or "")
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return body if isinstance(body, dict) else {}


def error_name(content: str | None) -> str | None:
    """The ``name`` of a PayPal error body (``INVALID_REQUEST``, ``RESULTSET_TOO_LARGE``...)."""
    name = _error_body(content).get("name")
    return name if isinstance(name, str) else None


def describe(content: str | None) -> str:
    """A one-line reason from a PayPal error body (either of its two shapes) without secrets."""
    body = _error_body(content)
    if "name" in body or "message" in body:
        text = " ".join(str(body.get(k, "")) for k in ("name", "message") if body.get(k))
        issues = [f"{d['field']}: {d.get('issue') or d.get('description') or ''}" if d.get("field")
                  else str(d.get("issue") or d.get("description") or "")
                  for d in body.get("details") or [] if isinstance(d, dict)]
        if issues:
            text += " (" + "; ".join(issues) + ")"
        return text + (f" [debug_id {body['debug_id']}]" if body.get("debug_id") else "")
    if "error" in body:   # OAuth's {"error": "invalid_client", "error_description": ...}
        return f"{body['error']}: {body.get('error_description', '')}".rstrip(": ")
    return "unexpected error body" if body else "no readable error body"


# --------------------------------------------------------------------------- the SDK wrapper
@dataclass
class KeptToken:
    """An access token kept for later exports in this process (``reuse_sign_in``): the token endpoint's answer, when
    it was asked (naive local time, the SDK's ``token_request_at``) and when it is to be asked again
    (``time.monotonic()``, :func:`~aggregator.kept.token_deadline`)."""

    token_hash: dict[str, Any] | None = field(default=None, repr=False)
    request_at: datetime | None = None
    renew_at: float = 0.0
    ends_at: float = 0.0

    def usable(self) -> bool:
        """Held, and not yet within its last minutes."""
        return self.token_hash is not None and time.monotonic() < self.renew_at


# PayPal tokens kept for later runs in this process (``reuse_sign_in``): one per address, client id, secret and trust
_TOKENS: Kept[KeptToken] = Kept()


def forget_sign_ins() -> None:
    """Drop every PayPal token kept for later runs in this process."""
    _TOKENS.forget()


class _GuardedApi(paypalrestsdk.Api):
    """``paypalrestsdk.Api`` with its transport and error handling replaced (see the module docstring)."""

    def __init__(self, session: VendorSession, redactor: Redactor, *, endpoint: str, client_id: str,
                 client_secret: str, kept: Slot[KeptToken] | None = None) -> None:
        # mode="live": the SDK only logs headers and bodies in sandbox mode (we never call its logging
        # paths, this is a second fence). The endpoint is ours; a trailing "/" would double paths.
        super().__init__(mode="live", client_id=client_id, client_secret=client_secret,
                         endpoint=endpoint.rstrip("/"), token_endpoint=endpoint.rstrip("/"))
        self._session = session
        self._redactor = redactor
        self._base_path = urlsplit(endpoint).path.rstrip("/")
        self._token_lock = threading.RLock()
        self._kept = kept                    # the token this process keeps for the account (reuse_sign_in)
        self._renew_at = 0.0                 # when this export's own token is asked again (time.monotonic())
        self._token_end = 0.0                # when it ends
        self._dropped: set[str] = set()      # tokens this export dropped after a 401
        self._auth_failure: str | None = None
        self._local = threading.local()      # .hook: this thread's json object_hook for its next 2xx answer
        self.token_requests = 0
        self.refreshes = 0

    def handle_response(self, response: requests.Response, content: str) -> Any:
        """The SDK's own, but a 2xx body is parsed with this thread's ``object_hook`` when one is set (see
        :meth:`PayPalClient.get`)."""
        hook = getattr(self._local, "hook", None)
        if hook is not None and 200 <= response.status_code <= 299 and content:
            return json.loads(content, object_hook=hook)
        return super().handle_response(response, content)

    # Replaces requests.request(...) without timeout or verify, and the SDK's header logging.
    def http_call(self, url: str, method: str, **kwargs: Any) -> Any:
        kwargs.pop("proxies", None)
        if urlsplit(url).path.endswith("/v1/oauth2/token"):
            self.token_requests += 1
        response = self._session.request(method, url, **kwargs)
        content = response.content.decode("utf-8", "replace")
        try:
            return self.handle_response(response, content)
        except ValueError:   # json.loads on a 2xx body that is not JSON (e.g. truncated)
            kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
            raise VendorError(f"{NAME}: unreadable response ({kind}, not JSON) from "
                              f"{_where(method, url, self._base_path)}",
                              status=response.status_code) from None

    def get_token_hash(self, authorization_code: str | None = None, refresh_token: str | None = None,
                       headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The access token: this export's own until its last minutes, else the one this process keeps for the
        account (``reuse_sign_in``), else a new one from the token endpoint (kept for the others)."""
        if authorization_code is not None or refresh_token is not None:     # not used here: the SDK's own way
            return dict(super().get_token_hash(authorization_code, refresh_token, dict(headers or {})))
        with self._token_lock:
            if self._auth_failure:
                raise VendorError(self._auth_failure, status=401)
            if self.token_hash is not None and time.monotonic() < self._renew_at:
                return dict(self.token_hash)
            held, held_until = self.token_hash, self._token_end     # in its last minutes: still good until its end
            self.token_hash = None
            try:
                return self._renew(headers)
            except DsarError:
                if held is None or time.monotonic() >= held_until:
                    raise
                # a renewal that failed does not end an export whose token still works: it is asked again later
                self.token_hash, self._token_end = held, held_until
                self._renew_at = min(held_until, time.monotonic() + FAILURE_KEPT)
                return dict(held)

    def _renew(self, headers: Mapping[str, str] | None) -> dict[str, Any]:
        """The token kept for the account (``reuse_sign_in``) when it is usable, else a new one (kept for the
        others); a failure of this account's token request moments ago fails at once."""
        kept = self._kept
        with kept.lock if kept is not None else nullcontext():
            if kept is not None:
                failure = kept.failure()
                if failure is not None:         # another export's request failed moments ago: so does this
                    raise VendorError(failure)
                if kept.value.usable():
                    token_hash = dict(kept.value.token_hash or {})
                    self.token_hash, self.token_request_at = token_hash, kept.value.request_at
                    self._renew_at, self._token_end = kept.value.renew_at, kept.value.ends_at
                    self._redactor.add(str(token_hash["access_token"]))
                    return token_hash
            try:
                token = self._ask_token(headers)
            except DsarError as exc:
                stop = getattr(self._session, "stop", None)
                if kept is not None and not (stop is not None and stop.is_set()):   # not this export's own end
                    kept.failed(self._redactor.line(exc))
                raise
            if kept is not None:
                if math.isfinite(self._token_end):       # a token that says no lifetime is this export's alone
                    kept.value = KeptToken(token, self.token_request_at, self._renew_at, self._token_end)
                kept.succeeded()
            return token

    def _ask_token(self, headers: Mapping[str, str] | None) -> dict[str, Any]:
        """A new token from the token endpoint (client credentials), its failures as one-line VendorErrors."""
        try:
            token = super().get_token_hash(None, None, dict(headers or {}))
        except sdk_errors.ConnectionError as exc:   # every SDK HTTP error derives from it
            status = getattr(exc.response, "status_code", None)
            reason = describe(exc.content)
            if status in (400, 401, 403):
                self._auth_failure = self._redactor(one_line(
                    f"{NAME}: authentication failed: {status} {reason} (POST /v1/oauth2/token); "
                    "check client_id and client_secret"))
                raise VendorError(self._auth_failure, status=status) from None
            raise VendorError(self._redactor(one_line(f"{NAME}: {status} {reason} (POST /v1/oauth2/token)")),
                              status=status) from None
        if not isinstance(token, dict) or not token.get("access_token"):
            self.token_hash = None
            raise VendorError(f"{NAME}: the token endpoint answered without an access_token", status=200)
        self._redactor.add(str(token["access_token"]))
        try:
            lifetime: float | None = float(token["expires_in"]) if token.get("expires_in") is not None else None
        except (TypeError, ValueError):
            lifetime = None
        now = time.monotonic()
        self._renew_at = token_deadline(lifetime, now)
        self._token_end = now + lifetime if lifetime is not None else math.inf
        return token

    def _invalidate(self, rejected: str) -> bool:
        """After a 401: drop the token once per run (True: ask again); False when a token asked after a 401 was
        rejected too (fail, do not loop). A rejected token is never handed to another export."""
        with self._token_lock:
            if self._kept is not None:
                with self._kept.lock:
                    if (self._kept.value.token_hash or {}).get("access_token") == rejected:
                        self._kept.value = KeptToken()
            current = (self.token_hash or {}).get("access_token")
            if (current and current != rejected) or rejected in self._dropped:
                return True       # another thread already dropped this one (and asks, or asked, a new one)
            if self.refreshes >= 1:
                return False
            self.refreshes += 1
            self._dropped.add(rejected)
            self.token_hash = None
            return True

    def request(self, url: str, method: str, body: Any = None,
                headers: Mapping[str, str] | None = None, refresh_token: str | None = None) -> Any:
        for attempt in (1, 2):
            token = self.get_token_hash()
            http_headers = {
                "Authorization": f"{token.get('token_type', 'Bearer')} {token['access_token']}",
                "Accept": "application/json",
                "User-Agent": self.user_agent,
            }
            http_headers.update(headers or {})
            kwargs: dict[str, Any] = {"headers": http_headers}
            if body is not None:           # the SDK would send the body "null" with every GET
                http_headers["Content-Type"] = "application/json"
                kwargs["data"] = json.dumps(body)
            try:
                return self.http_call(url, method, **kwargs)
            except sdk_errors.UnauthorizedAccess as exc:
                if attempt == 1 and self._invalidate(str(token["access_token"])):
                    continue
                raise self._error(exc, method, url,
                                  hint="the access token was rejected again after a refresh") from None
            except sdk_errors.ConnectionError as exc:
                raise self._error(exc, method, url) from None
        raise AssertionError("unreachable")

    def _error(self, exc: sdk_errors.ConnectionError, method: str, url: str, hint: str = "") -> VendorError:
        status = getattr(exc.response, "status_code", None)
        text = f"{NAME}: {status} {describe(exc.content)} ({_where(method, url, self._base_path)})"
        if hint:
            text += f"; {hint}"
        return PayPalError(self._redactor(one_line(text)), status=status, error_name=error_name(exc.content))


def _where(method: str, url: str, base_path: str = "") -> str:
    path = urlsplit(url).path
    if base_path and path.startswith(base_path + "/"):
        path = path[len(base_path):]
    return f"{method.upper()} {path}"


class PayPalClient:
    """The only PayPal surface the connector uses: a token, and JSON GETs that fail as one-line errors."""

    def __init__(self, session: VendorSession, redactor: Redactor, *, base_url: str, client_id: str,
                 client_secret: str, kept: Slot[KeptToken] | None = None) -> None:
        self.api = _GuardedApi(session, redactor, endpoint=base_url, client_id=client_id,
                               client_secret=client_secret, kept=kept)

    def authenticate(self) -> None:
        """Obtain an access token now (the SDK caches it until it expires)."""
        self.api.get_token_hash()

    @property
    def token_requests(self) -> int:
        """How many token requests the SDK has made so far."""
        return self.api.token_requests

    def get(self, path: str, params: Mapping[str, Any], *,
            hook: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
        """GET ``path`` with ``params`` through the SDK; PayPal's errors become PayPalError with a one-line reason.
        ``hook``: each JSON object of the answer passes it as it is parsed (innermost first), so what it leaves
        out of a large page never exists in memory all at once."""
        action = f"{path}?{urlencode(params)}" if params else path
        self.api._local.hook = hook
        try:
            result = self.api.get(action)
        finally:
            self.api._local.hook = None
        if isinstance(result, dict) and set(result) == {"error"}:   # the SDK's swallowed-400 shape
            content = json.dumps(result)
            raise PayPalError(one_line(f"{NAME}: 400 {describe(content)} (GET {path})"), status=400,
                              error_name=error_name(content))
        if not isinstance(result, dict):
            raise VendorError(f"{NAME}: unexpected reply from GET {path} (not a JSON object)")
        return result


# --------------------------------------------------------------------------- searching
class TransactionPages(PageNumberPaginator):
    """Transaction Search's ``page``/``page_size`` up to ``total_pages``; a page is known by its transaction ids."""

    def fingerprint(self, token: dict[str, Any], body: Any, items: list[Any]) -> object:
        """The page's transaction ids (its items when they carry none)."""
        return [_tid(i) or i for i in items]


@dataclass
class Found:
    """What one or more searches gave: the kept transactions (with their endpoints) and what was read."""

    details: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    pages: int = 0
    seen: int = 0
    refreshed: str | None = None
    kept: int = 0            # how many were kept (``details`` may have been handed on and emptied since)

    def add(self, other: Found) -> Found:
        """This and ``other`` together (the older refresh time wins: every search is at least that fresh)."""
        self.details += other.details
        self.pages += other.pages
        self.seen += other.seen
        self.kept += other.kept
        self.refreshed = min(filter(None, (self.refreshed, other.refreshed)), default=None)
        return self


@dataclass
class _Page:
    """One Transaction Search page, reduced to what the connector keeps: its page count, its fingerprint for the
    page guard, how many transactions it held, the kept ones with the endpoint, the data's refresh time."""

    total: int | None
    fingerprint: list[Any]
    seen: int
    kept: list[tuple[dict[str, Any], str]]
    refreshed: str | None


@dataclass
class Looked:
    """What looking up one named id gave: transactions as they may be exported, and the subject's own orders."""

    details: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    orders: list[tuple[dict[str, Any], str]] = field(default_factory=list)


class NextPageToken(Paginator[dict[str, Any]]):
    """The disputes list: the ``next`` HATEOAS link's ``next_page_token``, until a page has no ``next`` link."""

    def first(self) -> dict[str, Any]:
        """No token: the first page."""
        return {}

    def advance(self, token: dict[str, Any], body: Any, items: list[Any]) -> dict[str, Any] | None:
        """The ``next_page_token`` of the ``next`` link, if there is one."""
        for link in (body.get("links") or []) if isinstance(body, dict) else []:
            if isinstance(link, dict) and link.get("rel") == "next":
                found = parse_qs(urlsplit(str(link.get("href") or "")).query).get("next_page_token")
                return {"next_page_token": found[0]} if found else None
        return None

    def fingerprint(self, token: dict[str, Any], body: Any, items: list[Any]) -> object:
        """The page's dispute ids."""
        return [i.get("dispute_id", i) if isinstance(i, dict) else i for i in items]


@dataclass
class Extras:
    """What one payment's disputes and trackers gave: (record data, endpoint) pairs."""

    disputes: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    trackers: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    listed: int = 0
    read: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)   # (dispute, id, path), unchecked


class _NoPermission(VendorError):
    """PayPal's 403: the REST app lacks the permission (scope) for this API."""


# --------------------------------------------------------------------------- the connector
class PayPalConnector(Connector):
    """PayPal Transaction Search, plus lookups by id of the payments the webshop names."""

    name: ClassVar[str] = NAME
    processor: ClassVar[str] = "paypal"
    categories: ClassVar[tuple[str, ...]] = ("contact", "addresses", "payments", "orders", "communications",
                                             "shipments")
    datasets = DATASETS
    declared_settings: ClassVar[tuple[Setting, ...]] = (
        Setting("base_url", "PayPal's REST API address (https://api-m.paypal.com)", "url", required=True),
        Setting("client_id", "the client id of a live REST app with Transaction Search, Disputes (read) and "
                "Shipment Tracking (read) enabled", required=True),
        Setting("client_secret", "that app's secret", required=True, secret=True),
        Setting("history_start", "the first day searched; Transaction Search reaches at most 3 years back",
                "date", example="3 years back"),
        Setting("concurrency", "31-day windows searched at once", "int", default=4, minimum=1, maximum=8),
        Setting("requests_per_second", "requests per second at most (PayPal publishes no limit)", "float",
                default=20.0, minimum=0.01),
        Setting("reuse_sign_in", "keep the access token for later exports in this process with the same address, "
                "client, secret and trust, until 5 minutes before it ends (the portal server's embedded workers run "
                "many, and exports started together then ask one token); off: every export asks its own", "bool",
                default=False),
    )
    description: ClassVar[str] = ("PayPal Transaction Search, Orders v2, Disputes and Shipment Tracking: payer "
                                  "identity and contact, shipping addresses, transactions, cart items, the orders "
                                  "the webshop or the payments name, disputes with their messages, and parcels")

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """A history_start after today would search nothing, and the package would wrongly say PayPal holds nothing."""
        start = settings.get("history_start")
        if start is not None and start > datetime.now(UTC).date():
            raise ConfigError(f"config: connectors.{cls.name}.history_start must not be in the future")

    # ---------------------------------------------------------------- setup
    def _client(self, reuse: bool = True) -> PayPalClient:
        """The PayPal client of this run (``reuse``: with the token kept for the account, when ``reuse_sign_in``)."""
        limiter = MinInterval(self.settings["requests_per_second"], sleep=self.ctx.sleep)
        session = self.ctx.session(limits=Limits(concurrency=self.settings["concurrency"], limiters=(limiter,)))
        s = self.settings
        kept = _TOKENS.take(account_key(s["base_url"].rstrip("/").lower(), s["client_id"], s["client_secret"],
                                        self.ctx.ca_bundle), KeptToken) if reuse and s["reuse_sign_in"] else None
        return PayPalClient(session, self.ctx.redactor, base_url=s["base_url"], client_id=s["client_id"],
                            client_secret=s["client_secret"], kept=kept)

    def check_access(self) -> str:
        """``dsar check``: an OAuth token for the app (client credentials) and nothing else."""
        self._client(reuse=False).authenticate()          # a token asked now: the secret checked today
        return f"REST app {self.settings['client_id'][:8]}…: token issued"

    def _history(self, now: datetime) -> datetime:
        earliest = earliest_searchable(now)
        configured = parse_when(self.settings["history_start"])
        if configured is None:
            return earliest
        if configured < earliest:
            self.ctx.note(f"PayPal's Transaction Search only covers the last 3 years: searched from "
                          f"{earliest:%Y-%m-%d}, not from the configured history_start {configured:%Y-%m-%d}.")
            return earliest
        return configured

    # ---------------------------------------------------------------- search
    def _search(self, window: Window, keep: Callable[[dict[str, Any]], bool],
                transaction_id: str | None = None) -> Found:
        """Every page of one window (its own PageGuard), keeping the transactions ``keep`` accepts: the first page,
        then, once it tells how many pages there are, the others several at once (each needs only the first)."""
        params: dict[str, Any] = {"transaction_id": transaction_id} if transaction_id else {}
        params.update({"start_date": iso(window.start), "end_date": iso(window.end), "fields": "all",
                       "balance_affecting_records_only": "N", "page_size": PAGE_SIZE})
        where = f"GET {SEARCH_PATH} from {iso(window.start)} to {iso(window.end)}"
        guard = PageGuard(NAME, where, MAX_PAGES)
        found = Found()

        def slim(obj: dict[str, Any]) -> Any:
            """A transaction ``keep`` does not accept, as it is parsed: only its id stays (what the page guard and
            the count need), not the rest of someone else's payment (a page of 500: some 3.6 MB less)."""
            tid = _tid(obj)
            try:
                mine = tid is None or keep(obj)
            except (AttributeError, TypeError):        # an odd shape: left whole, for the page to judge
                mine = True
            return obj if mine else {"transaction_info": {"transaction_id": tid}}

        def page(number: int) -> _Page:
            query = {**params, "page": number}
            endpoint = f"GET {SEARCH_PATH}?{urlencode(query)}"
            try:
                body = self.client.get(SEARCH_PATH, query, hook=slim)
            except PayPalError as exc:
                if exc.error_name == TOO_LARGE:
                    raise _TooLarge(str(exc), status=exc.status) from None
                raise
            items = items_at(body, "transaction_details", NAME, where)
            total = body.get("total_pages")
            total = total if isinstance(total, int) and not isinstance(total, bool) else None
            if total is not None and total > MAX_PAGES:
                raise _TooLarge(f"{NAME}: more than {MAX_PAGES * PAGE_SIZE} transactions in one search")
            return _Page(total, [_tid(i) or i for i in items], len(items),
                         [(d, endpoint) for d in items if isinstance(d, dict) and keep(d)],
                         body.get("last_refreshed_datetime"))

        def take(got: _Page) -> None:
            guard.check(got.fingerprint)
            found.pages += 1
            found.seen += got.seen
            found.details += got.kept
            found.kept += len(got.kept)
            found.refreshed = got.refreshed or found.refreshed

        first = page(1)
        take(first)
        if first.total is None:          # no page count: one page after the other until a short one
            last, number = first, 1
            while last.seen >= PAGE_SIZE and not self._stop.is_set():
                number += 1
                last = page(number)
                take(last)
        elif first.seen and first.total > 1:
            # pages 2..n side by side; a page that reports more pages than page 1 did (PayPal refreshed its data
            # during the search) sends the search on to them, so no transaction is silently left out
            known, numbers = first.total, range(2, first.total + 1)
            while numbers and not self._stop.is_set():
                most = known
                for _, got in fan_out(page, numbers, workers=self.settings["concurrency"], name="paypal-pages"):
                    take(got)
                    most = max(most, got.total or 0)
                    if self._stop.is_set():   # another search failed: the connector fails, stop asking
                        break
                numbers, known = range(known + 1, most + 1), most
        return found

    def _paid_by_subject(self, detail: dict[str, Any]) -> bool:
        return self.ctx.subject.matches((detail.get("payer_info") or {}).get("email_address"))

    def _scan(self, window: Window, last: bool) -> Found:
        """One scan window; one PayPal refuses as too large is searched as its two halves, down to an hour."""
        if self._stop.is_set():
            return Found()
        try:
            return self._search(window, self._paid_by_subject)
        except _TooLarge as exc:
            if window.end - window.start <= MIN_SPLIT:
                raise VendorError(f"{exc}; too many transactions even between {iso(window.start)} and "
                                  f"{iso(window.end)}, a window of an hour or less", status=exc.status) from None
            left, right = window.halves()
            return self._scan(left, False).add(self._scan(right, last))
        except VendorError as exc:
            # The newest window may start after PayPal's last refresh (data lags up to 3 hours).
            if last and exc.status == 400 and "not available" in str(exc):
                self.ctx.note(f"PayPal had no searchable data yet from {iso(window.start)}; "
                              "transactions of the last hours are not included.")
                self._scanned_to = window.start
                return Found()
            raise

    def _lookup(self, ident: Identifier) -> Looked:
        """A PayPal id another connector names: a transaction id (Transaction Search), else an order id (Orders v2)."""
        tid = ident.value.strip().upper()
        if not tid.isalnum() or len(tid) > 24:
            self.ctx.note(f"Ignored {ident.source}'s PayPal transaction id {ident.value!r}: not a PayPal id.")
            return Looked()
        found = self._by_transaction_id(ident, tid)
        if found is not None:
            self._link(tid, ident)
            return Looked(found)
        looked = self._by_order_id(ident, tid)
        if looked is not None:
            return looked
        order = ident.attrs.get("order_number")
        self.ctx.note(f"PayPal id {tid} named by {ident.source}{f' (order {order})' if order else ''} was not "
                      "found: it is neither a transaction in Transaction Search nor an order in Orders v2.")
        return Looked()

    def _by_transaction_id(self, ident: Identifier, tid: str) -> list[tuple[dict[str, Any], str]] | None:
        """Transaction ``tid`` searched by id in a window around its date (or every window); None when not found."""
        now, earliest = self._now, earliest_searchable(self._now)
        when = parse_when(ident.attrs.get("date"))
        if when is not None and earliest <= when <= now:
            start = max(earliest, when - LOOKUP_BEFORE)
            windows = [Window(start, min(start + MAX_WINDOW - timedelta(seconds=1), now))]
        elif when is not None:
            self.ctx.note(f"PayPal transaction {tid} (named by {ident.source}) is dated {ident.attrs.get('date')}, "
                          "outside PayPal's searchable range (the last 3 years): not looked up.")
            return []
        else:   # no date: try every window PayPal can search, newest first, until found
            windows = list(reversed(scan_windows(earliest, now)))
        searched = f"transaction {tid} named by {ident.source}, looked up by id from {iso(windows[-1].start)}"
        for i, window in enumerate(windows, 1):
            if self._stop.is_set():
                return []
            found = self._search(window, lambda d: _tid(d) == tid, transaction_id=tid)
            if found.details:
                self.ctx.covered(f"{searched} to {iso(windows[0].end)}: found ({i} of {len(windows)} searches)")
                return [kept for detail, endpoint in found.details
                        if (kept := self._checked(detail, endpoint, tid, ident))]
        self.ctx.covered(f"{searched} to {iso(windows[0].end)}: not found ({len(windows)} searches)")
        return None

    def _order_body(self, oid: str) -> dict[str, Any] | None:
        """``GET /v2/checkout/orders/{oid}``, asked once per run however often the order is named (started early
        when a payment names it, see :meth:`_records`); None when PayPal holds no such order (404)."""
        with self._lock:
            future = self._order_fetches.get(oid)
            mine = future is None
            if future is None:
                future = self._order_fetches[oid] = Future()
        if mine:
            try:
                future.set_result(self.client.get(ORDER_PATH.format(id=oid), {}))
            except PayPalError as exc:
                if exc.status != 404:
                    future.set_exception(exc)
                    raise
                future.set_result(None)
            except BaseException as exc:
                future.set_exception(exc)
                raise
        return future.result()

    def _by_order_id(self, ident: Identifier, oid: str) -> Looked | None:
        """Orders v2 order ``oid`` and the transactions of its captures; None when PayPal holds no such order."""
        path = ORDER_PATH.format(id=oid)
        if self._stop.is_set():
            return Looked()
        with self._lock:
            self._orders_asked.add(oid)
        order = self._order_body(oid)
        if order is None:
            self.ctx.covered(f"order {oid} named by {ident.source}, looked up in Orders v2 (GET {path}): not found")
            return None
        endpoint = f"GET {path}"
        captures = _captures(order)
        self.ctx.covered(f"order {oid} named by {ident.source}, looked up in Orders v2 (GET {path}): found, "
                         f"{len(captures)} capture(s): {', '.join(c for c, _ in captures) or 'none'}")
        looked = Looked()
        order_number = ident.attrs.get("order_number")
        for_order = f" for order {order_number}" if order_number else ""
        kept = self._checked_order(order, oid, ident)
        if kept is not None:
            looked.orders.append((kept, endpoint))
        for cid, captured in captures:
            self._link(cid, ident, oid)
            if cid in self._scanned:        # the scan already holds it: the link is all it needs
                continue
            sub = Identifier(ident.kind, cid, ident.source, {**ident.attrs, "date": captured})
            found = self._by_transaction_id(sub, cid)
            if found is None:
                self.ctx.note(f"PayPal order {oid} (named by {ident.source}{for_order}) was paid as transaction "
                              f"{cid}, which Transaction Search did not find (it can lag up to 3 hours).")
            looked.details += found or []
        return looked

    def _checked_order(self, order: dict[str, Any], oid: str, ident: Identifier) -> dict[str, Any] | None:
        """An Orders v2 order as it may be exported, by the rule for transactions (:meth:`_checked`): paid by the
        subject, whole; paid from another PayPal address for the webshop order that names it, without the payer,
        the paying account and the shipping details; neither, nothing."""
        if self.ctx.subject.matches(_order_payer(order)):
            return _without_links(order)
        order_number = str(ident.attrs.get("order_number") or "").strip()
        units = [u for u in order.get("purchase_units") or [] if isinstance(u, dict)]
        mine = bool(order_number) and any(str(u.get("invoice_id") or "").strip() == order_number for u in units)
        with self._lock:
            first = oid not in self._withheld
            self._withheld.add(oid)
        for_order = f" for order {order_number}" if order_number else ""
        if not mine:
            if first:
                self.ctx.withheld(1, f"PayPal order {oid}, named by {ident.source}{for_order}",
                                  "it was paid by another PayPal account for another invoice, so it is not the "
                                  "subject's")
            return None
        parts = [k for k in ("payer", "payment_source") if order.get(k)]
        parts += ["shipping"] if any(u.get("shipping") for u in units) else []
        if first:
            self.ctx.withheld(len(parts), f"parts ({', '.join(parts)}) of PayPal order {oid} (order {order_number})",
                              "it was paid from another PayPal account, so they may belong to someone else")
        kept = {k: v for k, v in order.items() if k not in ("payer", "payment_source")}
        kept["purchase_units"] = [{k: v for k, v in u.items() if k != "shipping"} for u in units]
        return _without_links(kept)

    def _link(self, tid: str, ident: Identifier, order_id: str | None = None) -> None:
        """Remember which webshop order (and PayPal order) names transaction ``tid``: its record will say so."""
        link = {"webshop_order": ident.attrs.get("order_number"), "paypal_order_id": order_id}
        with self._lock:
            held = self._links.setdefault(tid, {})
            for key, value in link.items():
                if value and key not in held:
                    held[key] = str(value)

    def _checked(self, detail: dict[str, Any], endpoint: str, tid: str,
                 ident: Identifier) -> tuple[dict[str, Any], str] | None:
        """A looked-up transaction as it may be exported. Paid by the subject: whole. Paid from another PayPal
        address but invoiced with the subject's order number: only the payment and its cart (the payer and
        shipping details may be someone else's). Neither: nothing, since the id was only a hint."""
        if self._paid_by_subject(detail):
            return detail, endpoint
        order = ident.attrs.get("order_number")
        invoice = (detail.get("transaction_info") or {}).get("invoice_id")
        mine = bool(order) and str(invoice or "").strip() == str(order).strip()
        with self._lock:
            first = tid not in self._withheld
            self._withheld.add(tid)
        if first and not mine:
            self.ctx.withheld(1, f"PayPal transaction {tid}, named by {ident.source}"
                                 f"{f' for order {order}' if order else ''}",
                              "it was paid by another PayPal account for another invoice, so it is not the subject's")
        elif first:
            parts = [k.split("_")[0] for k in ("payer_info", "shipping_info") if detail.get(k)]
            self.ctx.withheld(len(parts), f"parts ({', '.join(parts)}) of PayPal transaction {tid}"
                                          f"{f' (order {order})' if order else ''}",
                              "it was paid from another PayPal account, so they may belong to someone else")
        return (without_payer(detail), endpoint) if mine else None

    # ---------------------------------------------------------------- collect
    def _records(self, batch: Iterable[tuple[dict[str, Any], str]]) -> Iterator[Record]:
        """Records of transaction details: each transaction once, each distinct payer or address record once."""
        for detail, endpoint in batch:
            tid = _tid(detail)
            if not tid or tid in self._emitted:
                continue
            self._emitted.add(tid)
            transaction = {k: v for k, v in detail.items() if k not in _EXCLUDED_FROM_TRANSACTION and v}
            self._held.append([tid, transaction, endpoint])   # written with its links, after the lookups (on disk)
            info = detail.get("transaction_info") or {}
            if self._paid_by_subject(detail) and str(info.get("transaction_event_code", "")).startswith(
                    PAYMENT_EVENTS):
                self._payments.append(tid)
                self._early(self._extras_fetches, tid, self._fetch_extras)     # its disputes and trackers
                ref = str(info.get("paypal_reference_id") or "").strip().upper()
                if info.get("paypal_reference_id_type") == "ODR" and ref.isalnum() and len(ref) <= 24:   # the spec
                    self._odr[tid] = ref
                    self._invoice_of[tid] = str(info.get("invoice_id") or "")
                    if ref not in self._order_fetches:
                        self._early(self._orders_started, ref, self._order_body)
            payer = detail.get("payer_info") or {}
            account = payer.get("account_id") or tid
            parts = (("contact", "payer", payer, account),
                     ("addresses", "payer_address", payer.get("address"), account),
                     ("addresses", "shipping_address", detail.get("shipping_info"), tid))
            for category, dataset, data, vendor_id in parts if self._paid_by_subject(detail) else ():
                key = (dataset, json.dumps(data, sort_keys=True, ensure_ascii=False))
                if data and key not in self._kept:   # never another payer's details
                    self._kept.add(key)
                    yield self.ctx.record(category, dataset, data, endpoint=endpoint, vendor_id=vendor_id)
            if detail.get("cart_info"):
                yield self.ctx.record("orders", "cart", detail["cart_info"], endpoint=endpoint, vendor_id=tid)

    def _release(self) -> Iterator[Record]:
        """The held transaction records, each with the webshop order (and PayPal order) that names it."""
        held, self._held = self._held, Parked()
        with held:
            for tid, transaction, endpoint in held:
                yield self.ctx.record("payments", "transaction", {**transaction, **self._links.get(tid, {})},
                                      endpoint=endpoint, vendor_id=tid)

    def _orders(self, orders: Iterable[tuple[dict[str, Any], str]]) -> Iterator[Record]:
        """The subject's own Orders v2 orders, each once."""
        for order, endpoint in orders:
            oid = str(order.get("id") or "")
            if oid and oid not in self._emitted_orders:
                self._emitted_orders.add(oid)
                yield self.ctx.record("orders", "checkout_order", order, endpoint=endpoint, vendor_id=oid)

    # ---------------------------------------------------------------- disputes, trackers, referenced orders
    def _referenced_order(self, job: tuple[str, list[str]]) -> Looked:
        """The Orders v2 order some of the subject's payments name (``paypal_reference_id``, type ``ODR``), asked
        once however many of them name it."""
        oid, tids = job
        path = ORDER_PATH.format(id=oid)
        order = self._order_body(oid)
        if order is None:
            for tid in tids:
                self.ctx.note(f"PayPal transaction {tid} names Orders v2 order {oid}, which PayPal did not find "
                              f"(GET {path}: 404).")
            return Looked()
        looked = Looked()
        for tid in tids:
            invoice = self._invoice_of.get(tid, "")
            ident = Identifier(PAYPAL_TRANSACTION_ID, oid, f"PayPal transaction {tid}",
                               {"order_number": invoice} if invoice else {})
            with self._lock:
                self._links.setdefault(tid, {}).setdefault("paypal_order_id", oid)
            kept = self._checked_order(order, oid, ident)
            if kept is not None:
                looked.orders.append((kept, f"GET {path}"))
        return looked

    def _forbidden(self, what: str, scope: str, exc: PayPalError) -> _NoPermission:
        """A 403 for ``what``: the search of it ends here for every payment, and the connector is incomplete."""
        with self._lock:
            first = what not in self._blocked
            self._blocked.add(what)
        if first:
            self.ctx.cut_short(f"PayPal {what} not searched: the REST app may not read them "
                               f"({str(exc).removeprefix(NAME + ': ')}); give it the {scope} permission")
        return _NoPermission(str(exc), status=exc.status)

    def _payment_extras(self, tid: str) -> Extras:
        """One payment's disputes and shipment trackers: as fetched (early, see :meth:`_records`, or now), each
        dispute then checked against all of the subject's payments, which are known by now."""
        with self._lock:
            early = self._extras_fetches.pop(tid, None)
        extras = early.result() if early is not None else self._fetch_extras(tid)
        for dispute, did, path in extras.read:
            kept = self._checked_dispute(dispute, did, tid)
            if kept is not None:
                extras.disputes.append((kept, f"GET {path}"))
        return extras

    def _fetch_extras(self, tid: str) -> Extras:
        """One payment's disputes (read whole, not yet checked) and shipment trackers, as PayPal answers them."""
        extras = Extras()
        if self._stop.is_set():
            return extras
        if "disputes" not in self._blocked:
            try:
                self._disputes_of(tid, extras)
            except _NoPermission:
                pass
        if "shipment trackers" not in self._blocked and not self._stop.is_set():
            try:
                extras.trackers = self._trackers_of(tid)
            except _NoPermission:
                pass
        return extras

    def _disputes_of(self, tid: str, extras: Extras) -> None:
        """The disputes PayPal lists for payment ``tid``, each read whole (in ``extras.read``; kept later only when
        it is about one of the subject's payments)."""
        params: dict[str, Any] = {"disputed_transaction_id": tid, "page_size": DISPUTE_PAGE}
        where = f"GET {DISPUTES_PATH}?disputed_transaction_id={tid}"

        def fetch(token: dict[str, Any]) -> Any:
            try:
                return self.client.get(DISPUTES_PATH, {**params, **token})
            except PayPalError as exc:
                if exc.status == 403:
                    raise self._forbidden("disputes", "Disputes (read)", exc) from None
                if exc.status == 404:    # taken as "no disputes" (the spec documents only 200 and errors)
                    return {}
                raise

        def records(body: dict[str, Any]) -> list[Any]:
            # PayPal leaves "items" out when nothing matches (the spec's minItems: 1)
            return items_at(body, "items", NAME, where) if "items" in body else []

        summaries = [i for items in pages(fetch, NextPageToken(), records, PageGuard(NAME, where, MAX_DISPUTE_PAGES))
                     for i in items if isinstance(i, dict)]
        extras.listed += len(summaries)
        for summary in summaries:
            did = str(summary.get("dispute_id") or "")
            if not SAFE_ID.fullmatch(did):
                self.ctx.note(f"Ignored a dispute PayPal listed for transaction {tid} without a usable id.")
                continue
            with self._lock:
                seen = did in self._disputes_seen
                self._disputes_seen.add(did)
            if seen or self._stop.is_set():
                continue
            path = DISPUTE_PATH.format(id=did)
            try:
                dispute = self.client.get(path, {})
            except PayPalError as exc:
                if exc.status == 403:
                    raise self._forbidden("disputes", "Disputes (read)", exc) from None
                if exc.status == 404:
                    self.ctx.note(f"PayPal listed dispute {did} for transaction {tid} but did not find it (GET "
                                  f"{path}: 404).")
                    continue
                raise
            extras.read.append((dispute, did, path))

    def _checked_dispute(self, dispute: dict[str, Any], did: str, tid: str) -> dict[str, Any] | None:
        """A dispute as it may be exported: only when one of its disputed transactions is the subject's payment;
        the other transactions in it are withheld."""
        own = set(self._payments)
        disputed = [t for t in dispute.get("disputed_transactions") or [] if isinstance(t, dict)]

        def mine(t: Mapping[str, Any]) -> bool:
            return bool({str(t.get("seller_transaction_id") or ""), str(t.get("buyer_transaction_id") or "")} & own)

        kept = [t for t in disputed if mine(t)]
        if not kept:
            self.ctx.withheld(1, f"PayPal dispute {did}, listed for transaction {tid}",
                              "none of its disputed transactions is the subject's payment, so it is someone else's")
            return None
        self.ctx.withheld(len(disputed) - len(kept), f"other transaction(s) of PayPal dispute {did}",
                          "they are not the subject's payments")
        return _without_links({**dispute, "disputed_transactions": kept})

    def _trackers_of(self, tid: str) -> list[tuple[dict[str, Any], str]]:
        """Payment ``tid``'s shipment trackers (the list form; a single tracker, the spec's 200, is taken too)."""
        where = f"GET {TRACKERS_PATH}?transaction_id={tid}"
        try:
            body = self.client.get(TRACKERS_PATH, {"transaction_id": tid})
        except PayPalError as exc:
            if exc.status == 403:
                raise self._forbidden("shipment trackers", "Shipment Tracking (read)", exc) from None
            if exc.status == 404:      # no tracker for this transaction
                return []
            raise
        if "trackers" in body:
            items = items_at(body, "trackers", NAME, where)
        else:
            items = [body] if body.get("transaction_id") else []
        kept = self.ctx.keep_owned([t for t in items if isinstance(t, dict)], lambda t: t.get("transaction_id") == tid,
                                   f"PayPal shipment tracker(s) listed for transaction {tid}",
                                   "they are another transaction's parcels")
        return [(_without_links(t), where) for t in kept]

    def _extras(self) -> Iterator[Record]:
        """Orders the subject's payments name, then each payment's disputes and trackers, several at once."""
        workers = self.settings["concurrency"]
        naming: dict[str, list[str]] = {}
        for tid, oid in self._odr.items():
            naming.setdefault(oid, []).append(tid)
        odr = [(oid, tids) for oid, tids in naming.items() if oid not in self._orders_asked]
        found_orders = 0
        for _, looked in fan_out(self._stopping(self._referenced_order), odr, workers=workers,
                                 name="paypal-orders", ordered=False):
            found_orders += len(looked.orders)
            yield from self._orders(looked.orders)
        if self._odr:
            self.ctx.covered(f"Orders v2 orders the subject's payments name (paypal_reference_id of type ODR): "
                             f"{len(self._odr)} named, {len(odr)} looked up (GET {ORDER_PATH}), {found_orders} kept")
        payments = list(dict.fromkeys(self._payments))
        listed = disputes = trackers = 0
        for _, extras in fan_out(self._stopping(self._payment_extras), payments, workers=workers,
                                 name="paypal-extras", ordered=False):
            listed += extras.listed
            for dispute, endpoint in extras.disputes:
                disputes += 1
                yield from self._dispute_records(dispute, endpoint)
            for tracker, endpoint in extras.trackers:
                trackers += 1
                number = tracker.get("tracking_number")
                yield self.ctx.record("shipments", "shipment_tracker", tracker, endpoint=endpoint,
                                      vendor_id=f"{tracker.get('transaction_id')}-{number}" if number else
                                      tracker.get("transaction_id"))
        scope = (f"the subject's {len(payments)} payments (event codes T00xx; refunds, holds and transfers cannot be "
                 "disputed or shipped)")
        if "disputes" not in self._blocked:
            self.ctx.covered(f"disputes on {scope}, one GET {DISPUTES_PATH}?disputed_transaction_id= each: "
                             f"{listed} listed, {disputes} kept with their messages and evidence")
        if "shipment trackers" not in self._blocked:
            self.ctx.covered(f"shipment trackers of {scope}, one GET {TRACKERS_PATH}?transaction_id= each: "
                             f"{trackers} found")

    def _dispute_records(self, dispute: dict[str, Any], endpoint: str) -> Iterator[Record]:
        """A dispute, and each of its messages as a record of its own."""
        did = str(dispute.get("dispute_id"))
        messages = [m for m in dispute.get("messages") or [] if isinstance(m, dict)]
        yield self.ctx.record("payments", "dispute", {k: v for k, v in dispute.items() if k != "messages"},
                              endpoint=endpoint, vendor_id=did)
        for message in messages:
            yield self.ctx.record("communications", "dispute_message", {"dispute_id": did, **message},
                                  endpoint=endpoint, vendor_id=did)

    def _early(self, started: dict[str, Future[Any]], key: str, func: Callable[[str], Any]) -> None:
        """Start ``func(key)`` on the connector's early pool, once per key, while the scan goes on (its result is
        taken when the connector gets to it; a failure surfaces there)."""
        with self._lock:
            if key in started or self._pool is None or self._stop.is_set():
                return
            started[key] = self._pool.submit(func, key)

    def _stopping(self, func: Callable[[A], R]) -> Callable[[A], R]:
        """``func`` that, when it fails, stops every other search at its next page."""
        def run(arg: A) -> R:
            try:
                return func(arg)
            except BaseException:
                self._stop.set()
                raise
        return run

    def collect(self) -> Iterator[Record]:
        """Every transaction (and Orders v2 order) of the subject, as payer or named by the webshop."""
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._withheld: set[str] = set()
        self._emitted: set[str] = set()             # transaction ids
        self._kept: set[tuple[str, str]] = set()      # (dataset, JSON) of payer and address records
        self._held = Parked()     # [id, transaction, endpoint]: the records waiting for their links, on disk
        self._invoice_of: dict[str, str] = {}       # payment naming an Orders v2 order -> its invoice id
        self._links: dict[str, dict[str, str]] = {}  # transaction id -> webshop_order, paypal_order_id
        self._emitted_orders: set[str] = set()
        self._orders_asked: set[str] = set()         # Orders v2 ids already looked up
        self._payments: list[str] = []               # the subject's own payments (disputes, trackers)
        self._odr: dict[str, str] = {}               # payment -> the Orders v2 order it names
        self._disputes_seen: set[str] = set()
        self._blocked: set[str] = set()              # "disputes", "shipment trackers": 403, not searched
        # Started as soon as the scan finds what needs them, beside the scan, at most `concurrency` at once:
        self._extras_fetches: dict[str, Future[Extras]] = {}           # payment -> its disputes and trackers
        self._order_fetches: dict[str, Future[dict[str, Any] | None]] = {}   # Orders v2 id -> the order (None: 404)
        self._orders_started: dict[str, Future[Any]] = {}
        self._pool: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=self.settings["concurrency"],
                                                                   thread_name_prefix="paypal-early")
        self.client = self._client()
        self.client.authenticate()          # a token (asked, or kept for the account); a wrong secret fails here, once
        self._now = self._scanned_to = datetime.now(UTC).replace(microsecond=0)
        start = self._history(self._now)
        windows = scan_windows(start, self._now)
        scan, workers = Found(), self.settings["concurrency"]
        try:
            for _, found in fan_out(self._stopping(lambda job: self._scan(*job)),
                                    [(w, i == len(windows) - 1) for i, w in enumerate(windows)],
                                    workers=workers, name="paypal-scan", ordered=False):
                yield from self._records(found.details)
                found.details = []          # handed on (the transactions wait on disk): only the counts stay
                scan.add(found)
            self._scanned = frozenset(self._emitted)
            # Then the ids other connectors named (offered meanwhile, or as they still arrive), several at once.
            for _, looked in fan_out(self._stopping(self._lookup), self.ctx.identifiers(PAYPAL_TRANSACTION_ID),
                                     workers=workers, name="paypal-lookup", ordered=False):
                yield from self._records(looked.details)
                yield from self._orders(looked.orders)
            yield from self._extras()
        except (requests.RequestException, sdk_errors.ConnectionError) as exc:
            yield from self._release()     # what was found stays in the package
            raise ConnectorError(self.ctx.redactor(one_line(f"{NAME}: {type(exc).__name__}: {exc}"))) from None
        except GeneratorExit:
            raise
        except BaseException:
            yield from self._release()
            raise
        finally:
            self._stop.set()
            self._pool.shutdown(wait=True, cancel_futures=True)
        yield from self._release()
        self.ctx.covered(f"payments to the shop's PayPal account from {iso(start)} to {iso(self._scanned_to)}, "
                         f"matched on the payer's e-mail address: {scan.seen} transactions in {len(windows)} "
                         f"windows of at most 31 days ({scan.pages} pages), {scan.kept} paid by the subject")
        if scan.refreshed:
            self.ctx.note(f"PayPal's search data was last refreshed at {scan.refreshed}; new transactions "
                          "can take up to 3 hours to appear, and only the last 3 years can be searched.")


def _tid(detail: object) -> str | None:
    """The transaction id of one transaction detail, if it has one."""
    info = detail.get("transaction_info") if isinstance(detail, dict) else None
    tid = info.get("transaction_id") if isinstance(info, dict) else None
    return tid if isinstance(tid, str) and tid else None


def _captures(order: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The (capture id, capture time) pairs of an Orders v2 order: its transactions in Transaction Search."""
    found = []
    for unit in order.get("purchase_units") or []:
        payments = unit.get("payments") if isinstance(unit, dict) else None
        for capture in (payments or {}).get("captures") or [] if isinstance(payments, dict) else []:
            cid = capture.get("id") if isinstance(capture, dict) else None
            if isinstance(cid, str) and cid.isalnum():
                found.append((cid.upper(), capture.get("create_time")))
    return found


def _order_payer(order: Mapping[str, Any]) -> object:
    """The payer's e-mail address of an Orders v2 order (``payer``, else the PayPal wallet that paid)."""
    payer = order.get("payer") if isinstance(order.get("payer"), dict) else {}
    source = order.get("payment_source") if isinstance(order.get("payment_source"), dict) else {}
    wallet = source.get("paypal") if isinstance(source.get("paypal"), dict) else {}
    return payer.get("email_address") or wallet.get("email_address")


def _without_links(value: Any) -> Any:
    """An Orders v2 reply without its HATEOAS ``links`` (API navigation, not data about anyone)."""
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k != "links"}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


def without_payer(detail: Mapping[str, Any]) -> dict[str, Any]:
    """Only the payment (less the payer's account id and note) and its cart: nothing that names the payer."""
    info = {k: v for k, v in (detail.get("transaction_info") or {}).items() if k not in _PAYER_FIELDS_IN_TRANSACTION}
    kept: dict[str, Any] = {"transaction_info": info}
    if detail.get("cart_info"):
        kept["cart_info"] = detail["cart_info"]
    return kept


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register the PayPal connector."""
    register(PayPalConnector)
