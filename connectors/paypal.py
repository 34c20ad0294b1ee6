"""PayPal: the subject's payments as the shop's PayPal account sees them (Transaction Search).

PayPal has no payer e-mail filter, so the connector scans every 31-day window from ``history_start`` (at
most 3 years back, PayPal's limit) to now, concurrently within a bound, and keeps the transactions whose
``payer_info.email_address`` is the subject's (case-insensitively). PayPal refuses a search matching more
than 10,000 transactions (400 ``RESULTSET_TOO_LARGE``); such a window is searched as two halves, recursively,
down to an hour. Transactions another connector names (a PayPal transaction id in a webshop order's payment
data, identifier kind ``paypal_transaction_id``: a hint, not a proof) are looked up by id beside the scan, in a
window around the order date. When such a transaction was paid from a PayPal address that is not the
subject's, only the payment itself (``transaction_info``, less the payer's account id and note) and its cart
are kept: the payer and shipping details may be someone else's, so they are withheld, with a note.

All PayPal-specific transport lives in :class:`PayPalClient` (the ``paypalrestsdk.Api`` wrapper), so moving to
PayPal's newer SDK touches nothing outside this module. The wrapper fixes the SDK's known faults: every
request goes through our VendorSession (trust, timeout, the shared 429/5xx retry policy, redaction); nothing
logs headers (the SDK logs the Bearer token at DEBUG in sandbox mode); a 400 is an error, not a returned
``{"error": ...}``; a 401 refreshes the token once, not forever; a wrong secret fails once, clearly.

Settings ``[connectors.paypal]``: ``base_url`` (``https://api-m.paypal.com``), ``client_id``,
``client_secret``, optional ``history_start`` (a date, default 3 years back), ``concurrency`` (default 4),
``requests_per_second`` (default 20), ``timeout``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import paypalrestsdk
import requests
from paypalrestsdk import exceptions as sdk_errors

from aggregator.connector import Connector, Record
from aggregator.errors import ConfigError, ConnectorError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, MinInterval, Redactor, VendorSession, one_line
from aggregator.identifiers import PAYPAL_TRANSACTION_ID, Identifier

NAME = "paypal"
SEARCH_PATH = "/v1/reporting/transactions"
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


# --------------------------------------------------------------------------- time helpers
def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(value: object) -> datetime | None:
    """A date or datetime from config or identifier attrs (``2025-06-01``, ISO 8601 with ``Z``, ``+0000``)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
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


def error_name(content: str | None) -> str | None:
    """The ``name`` of a PayPal error body (also inside the SDK's ``{"error": {...}}`` wrapping)."""
    try:
        body = json.loads(content or "")
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


def describe(status: int | None, content: str | None) -> str:
    """A one-line reason from a PayPal error body (either of its two shapes) without secrets."""
    try:
        body = json.loads(content or "")
    except ValueError:
        return "no readable error body"
    if not isinstance(body, dict):
        return "no readable error body"
    if "name" in body or "message" in body:
        text = " ".join(str(body.get(k, "")) for k in ("name", "message") if body.get(k))
        issues = []
        for d in body.get("details") or []:
            if isinstance(d, dict):
                where = d.get("field")
                issue = d.get("issue") or d.get("description") or ""
                issues.append(f"{where}: {issue}" if where else str(issue))
        if issues:
            text += " (" + "; ".join(issues) + ")"
        if body.get("debug_id"):
            text += f" [debug_id {body['debug_id']}]"
        return text
    if "error" in body:
        err = body["error"]
        if isinstance(err, dict):   # the SDK's own {"error": {...}} wrapping of a 400
            return describe(status, json.dumps(err))
        return f"{err}: {body.get('error_description', '')}".rstrip(": ")
    return "unexpected error body"


# --------------------------------------------------------------------------- the SDK wrapper
class _GuardedApi(paypalrestsdk.Api):
    """``paypalrestsdk.Api`` with its transport and error handling replaced (see the module docstring)."""

    def __init__(self, session: VendorSession, redactor: Redactor, *, endpoint: str, client_id: str,
                 client_secret: str) -> None:
        # mode="live": the SDK only logs headers and bodies in sandbox mode (we never call its logging
        # paths, this is a second fence). The endpoint is ours; a trailing "/" would double paths.
        super().__init__(mode="live", client_id=client_id, client_secret=client_secret,
                         endpoint=endpoint.rstrip("/"), token_endpoint=endpoint.rstrip("/"))
        self._session = session
        self._redactor = redactor
        self._base_path = urlsplit(endpoint).path.rstrip("/")
        self._token_lock = threading.RLock()
        self._auth_failure: str | None = None
        self.token_requests = 0
        self.refreshes = 0

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
        with self._token_lock:
            if self._auth_failure:
                raise VendorError(self._auth_failure, status=401)
            try:
                token = super().get_token_hash(authorization_code, refresh_token, dict(headers or {}))
            except sdk_errors.ConnectionError as exc:   # every SDK HTTP error derives from it
                status = getattr(exc.response, "status_code", None)
                reason = describe(status, exc.content)
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
            return token

    def _invalidate(self, rejected: str) -> bool:
        """After a 401: drop the token once per run; False when we already did (fail, do not loop)."""
        with self._token_lock:
            current = (self.token_hash or {}).get("access_token")
            if current and current != rejected:
                return True       # another thread already fetched a fresh token: use it
            if self.refreshes >= 1:
                return False
            self.refreshes += 1
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
        text = f"{NAME}: {status} {describe(status, exc.content)} ({_where(method, url, self._base_path)})"
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
                 client_secret: str) -> None:
        self.api = _GuardedApi(session, redactor, endpoint=base_url, client_id=client_id,
                               client_secret=client_secret)

    def authenticate(self) -> None:
        self.api.get_token_hash()

    @property
    def token_requests(self) -> int:
        return self.api.token_requests

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        action = f"{path}?{urlencode(params)}" if params else path
        result = self.api.get(action)
        if isinstance(result, dict) and set(result) == {"error"}:   # the SDK's swallowed-400 shape
            content = json.dumps(result)
            raise PayPalError(one_line(f"{NAME}: 400 {describe(400, content)} (GET {path})"), status=400,
                              error_name=error_name(content))
        if not isinstance(result, dict):
            raise VendorError(f"{NAME}: unexpected reply from GET {path} (not a JSON object)")
        return result


# --------------------------------------------------------------------------- the connector
class PayPalConnector(Connector):
    name: ClassVar[str] = NAME
    processor: ClassVar[str] = "paypal"
    categories: ClassVar[tuple[str, ...]] = ("contact", "addresses", "payments", "orders")
    required_settings: ClassVar[tuple[str, ...]] = ("base_url", "client_id", "client_secret")
    secret_settings: ClassVar[tuple[str, ...]] = ("client_secret",)
    description: ClassVar[str] = ("PayPal Transaction Search: payer identity and contact, shipping addresses, "
                                  "transactions and cart items")

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        super().check_settings(settings)
        raw = settings.get("history_start")
        if raw not in (None, "") and parse_when(raw) is None:
            raise ConfigError(f"config: connectors.{cls.name}.history_start is not a date (YYYY-MM-DD)")
        for key in ("concurrency", "requests_per_second"):
            if key in settings:
                try:
                    if float(settings[key]) <= 0:
                        raise ValueError
                except (TypeError, ValueError):
                    raise ConfigError(f"config: connectors.{cls.name}.{key} must be a positive number") from None

    # ---------------------------------------------------------------- setup
    def _client(self) -> PayPalClient:
        self.concurrency = max(1, int(self.settings.get("concurrency", 4)))
        rate = float(self.settings.get("requests_per_second", 20))
        session = self.ctx.session(limits=Limits(concurrency=self.concurrency,
                                                 limiters=(MinInterval(rate, sleep=self.ctx.sleep),)))
        return PayPalClient(session, self.ctx.redactor, base_url=str(self.settings["base_url"]),
                            client_id=str(self.settings["client_id"]),
                            client_secret=str(self.settings["client_secret"]))

    def _history(self, now: datetime) -> datetime:
        earliest = earliest_searchable(now)
        configured = parse_when(self.settings.get("history_start"))
        if configured is None:
            return earliest
        if configured < earliest:
            self.ctx.note(f"PayPal's Transaction Search only covers the last 3 years: searched from "
                          f"{earliest:%Y-%m-%d}, not from the configured history_start {configured:%Y-%m-%d}.")
            return earliest
        return configured

    # ---------------------------------------------------------------- search
    def _search(self, client: PayPalClient, window: Window, stop: threading.Event,
                transaction_id: str | None = None) -> tuple[list[tuple[dict[str, Any], str]], str | None]:
        """Every page of one window: (matching details with their endpoint, last_refreshed_datetime)."""
        params: dict[str, Any] = {}
        if transaction_id:
            params["transaction_id"] = transaction_id
        params.update({"start_date": rfc3339(window.start), "end_date": rfc3339(window.end), "fields": "all",
                       "balance_affecting_records_only": "N", "page_size": PAGE_SIZE})
        found: list[tuple[dict[str, Any], str]] = []
        refreshed: str | None = None
        page = 1
        while not stop.is_set():
            query = {**params, "page": page}
            endpoint = f"GET {SEARCH_PATH}?{urlencode(query)}"
            try:
                reply = client.get(SEARCH_PATH, query)
            except PayPalError as exc:
                if exc.error_name == TOO_LARGE:
                    raise _TooLarge(str(exc), status=exc.status) from None
                raise
            details = reply.get("transaction_details") or []
            if not isinstance(details, list):
                raise VendorError(f"{NAME}: unexpected reply from GET {SEARCH_PATH} (transaction_details)")
            refreshed = reply.get("last_refreshed_datetime") or refreshed
            for detail in details:
                if not isinstance(detail, dict):
                    continue
                info = detail.get("transaction_info") or {}
                if transaction_id:
                    if info.get("transaction_id") == transaction_id:
                        found.append((detail, endpoint))
                elif self.ctx.subject.matches((detail.get("payer_info") or {}).get("email_address")):
                    found.append((detail, endpoint))
            total_pages = int(reply.get("total_pages") or 0)
            if not details or page >= total_pages:
                break
            if page >= MAX_PAGES:   # PayPal refuses more than this anyway; split the window like it asks
                raise _TooLarge(f"{NAME}: more than {MAX_PAGES * PAGE_SIZE} transactions in one search")
            page += 1
        return found, refreshed

    def _scan(self, client: PayPalClient, window: Window, stop: threading.Event, last: bool,
              emit: Callable[[list[tuple[dict[str, Any], str]]], None]) -> None:
        if stop.is_set():
            return
        try:
            found, refreshed = self._search_split(client, window, stop, last)
        except BaseException:
            stop.set()     # one failure ends the scan: no further window is started
            raise
        if refreshed:
            with self._lock:
                self._refreshed.append(refreshed)
        emit(found)   # before the future completes, so the collector never misses a batch

    def _search_split(self, client: PayPalClient, window: Window, stop: threading.Event,
                      last: bool) -> tuple[list[tuple[dict[str, Any], str]], str | None]:
        """One scan window; one PayPal refuses as too large is searched as its two halves, recursively."""
        try:
            return self._search(client, window, stop)
        except _TooLarge as exc:
            if window.end - window.start <= MIN_SPLIT:
                raise VendorError(f"{exc}; too many transactions even between {rfc3339(window.start)} and "
                                  f"{rfc3339(window.end)}, a window of an hour or less", status=exc.status) from None
            left, right = window.halves()
            found, refreshed = self._search_split(client, left, stop, False)
            more, newer = self._search_split(client, right, stop, last)
            return found + more, newer or refreshed
        except VendorError as exc:
            # The newest window may start after PayPal's last refresh (data lags up to 3 hours).
            if last and exc.status == 400 and "not available" in str(exc):
                self.ctx.note(f"PayPal had no searchable data yet from {rfc3339(window.start)}; "
                              "transactions of the last hours are not included.")
                return [], None
            raise

    def _lookups(self, client: PayPalClient, stop: threading.Event, now: datetime,
                 emit: Callable[[list[tuple[dict[str, Any], str]]], None]) -> None:
        """Look up every transaction id another connector names, as the ids arrive."""
        earliest = earliest_searchable(now)
        self._withheld: set[str] = set()
        for ident in self.ctx.identifiers(PAYPAL_TRANSACTION_ID):
            if stop.is_set():
                return
            emit(self._lookup(client, ident, stop, now, earliest))

    def _lookup(self, client: PayPalClient, ident: Identifier, stop: threading.Event, now: datetime,
                earliest: datetime) -> list[tuple[dict[str, Any], str]]:
        tid = ident.value.strip().upper()
        if not tid.isalnum() or len(tid) > 24:
            self.ctx.note(f"Ignored {ident.source}'s PayPal transaction id {ident.value!r}: not a PayPal id.")
            return []
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
        for window in windows:
            found, _ = self._search(client, window, stop, transaction_id=tid)
            if found:
                return [kept for detail, endpoint in found if (kept := self._checked(detail, endpoint, tid, ident))]
        order = ident.attrs.get("order_number")
        self.ctx.note(f"PayPal transaction {tid} named by {ident.source}"
                      f"{f' (order {order})' if order else ''} was not found by Transaction Search.")
        return []

    def _checked(self, detail: dict[str, Any], endpoint: str, tid: str,
                 ident: Identifier) -> tuple[dict[str, Any], str] | None:
        """A looked-up transaction as it may be exported. Paid by the subject: whole. Paid from another PayPal
        address but invoiced with the subject's order number: only the payment and its cart (the payer and
        shipping details may be someone else's). Neither: nothing, since the id was only a hint."""
        if self.ctx.subject.matches((detail.get("payer_info") or {}).get("email_address")):
            return detail, endpoint
        order = ident.attrs.get("order_number")
        invoice = (detail.get("transaction_info") or {}).get("invoice_id")
        if not order or str(invoice or "").strip() != str(order).strip():
            if tid not in self._withheld:
                self._withheld.add(tid)
                self.ctx.note(f"PayPal transaction {tid}, named by {ident.source}"
                              f"{f' for order {order}' if order else ''}, was paid by another PayPal account for "
                              "another invoice: it is not the subject's and is not exported.")
            return None
        if tid not in self._withheld:
            self._withheld.add(tid)
            self.ctx.note(f"PayPal transaction {tid}{f' (order {order})' if order else ''} was paid from another "
                          "PayPal account; its payer and shipping details are withheld because they may belong "
                          "to someone else.")
        return without_payer(detail), endpoint

    # ---------------------------------------------------------------- collect
    def collect(self) -> Iterator[Record]:
        self._lock = threading.Lock()
        self._refreshed: list[str] = []
        client = self._client()
        client.authenticate()          # one token request; a wrong secret fails here, once
        now = utc_now()
        start = self._history(now)
        windows = scan_windows(start, now)
        if not windows:
            self.ctx.note(f"history_start {start:%Y-%m-%d} is in the future: no PayPal window searched.")

        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="paypal-scan")
        lookup_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paypal-lookup")
        batches: list[list[tuple[dict[str, Any], str]]] = []
        batch_ready = threading.Condition()

        def emit(batch: list[tuple[dict[str, Any], str]]) -> None:
            with batch_ready:
                batches.append(batch)
                batch_ready.notify_all()

        pending: set[Future[Any]] = set()
        try:
            # Lookups in their own thread: they never wait for the scan (nor the scan for them).
            pending.add(lookup_pool.submit(self._lookups, client, stop, now, emit))
            for i, window in enumerate(windows):
                pending.add(pool.submit(self._scan, client, window, stop, i == len(windows) - 1, emit))
            emitter = _Emitter(self)
            while pending:
                done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                for fut in done:
                    exc = fut.exception()
                    if exc is not None:
                        raise exc
                with batch_ready:
                    ready, batches[:] = list(batches), []
                for batch in ready:
                    yield from emitter.records(batch)
            with batch_ready:
                ready, batches[:] = list(batches), []
            for batch in ready:
                yield from emitter.records(batch)
        except (requests.RequestException, sdk_errors.ConnectionError) as exc:
            raise ConnectorError(self.ctx.redactor(one_line(f"{NAME}: {type(exc).__name__}: {exc}"))) from None
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            lookup_pool.shutdown(wait=False, cancel_futures=True)
        if self._refreshed:
            self.ctx.note(f"PayPal's search data was last refreshed at {min(self._refreshed)}; new transactions "
                          "can take up to 3 hours to appear, and only the last 3 years can be searched.")


def without_payer(detail: Mapping[str, Any]) -> dict[str, Any]:
    """Only the payment (less the payer's account id and note) and its cart: nothing that names the payer."""
    info = {k: v for k, v in (detail.get("transaction_info") or {}).items() if k not in _PAYER_FIELDS_IN_TRANSACTION}
    kept: dict[str, Any] = {"transaction_info": info}
    if detail.get("cart_info"):
        kept["cart_info"] = detail["cart_info"]
    return kept


class _Emitter:
    """Turns transaction details into records: each transaction once; payer and address records once each."""

    def __init__(self, connector: PayPalConnector) -> None:
        self.ctx = connector.ctx
        self.transactions: set[str] = set()
        self.seen: set[tuple[str, str]] = set()

    def _first(self, kind: str, data: Mapping[str, Any]) -> bool:
        key = (kind, json.dumps(data, sort_keys=True, ensure_ascii=False))
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def records(self, batch: Iterable[tuple[dict[str, Any], str]]) -> Iterator[Record]:
        for detail, endpoint in batch:
            info = detail.get("transaction_info") or {}
            tid = info.get("transaction_id")
            if not tid or tid in self.transactions:
                continue
            self.transactions.add(tid)
            transaction = {k: v for k, v in detail.items() if k not in _EXCLUDED_FROM_TRANSACTION and v}
            yield self.ctx.record("payments", "transaction", transaction, endpoint=endpoint, vendor_id=tid)
            payer = detail.get("payer_info") or {}
            if self.ctx.subject.matches(payer.get("email_address")):   # never another payer's details
                yield from self._payer_records(detail, payer, endpoint, tid)
            cart = detail.get("cart_info") or {}
            if cart:
                yield self.ctx.record("orders", "cart", cart, endpoint=endpoint, vendor_id=tid)

    def _payer_records(self, detail: Mapping[str, Any], payer: Mapping[str, Any], endpoint: str,
                       tid: str) -> Iterator[Record]:
        if self._first("payer", payer):
            yield self.ctx.record("contact", "payer", payer, endpoint=endpoint,
                                  vendor_id=payer.get("account_id") or tid)
        if payer.get("address") and self._first("payer_address", payer["address"]):
            yield self.ctx.record("addresses", "payer_address", payer["address"], endpoint=endpoint,
                                  vendor_id=payer.get("account_id") or tid)
        shipping = detail.get("shipping_info") or {}
        if shipping and self._first("shipping", shipping):
            yield self.ctx.record("addresses", "shipping_address", shipping, endpoint=endpoint, vendor_id=tid)


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(PayPalConnector)
