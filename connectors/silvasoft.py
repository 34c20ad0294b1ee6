"""Silvasoft (invoicing and bookkeeping): the subject's relation(s) with contacts and address, their sales
invoices (with lines and, by default, each invoice's PDF as the customer received it) and sales orders, through
Silvasoft's REST API with plain ``requests``.

Silvasoft's plans allow 15 to 1,200 requests per *hour*, so every call is planned:

1. ``GET listrelations/?RelationEmail=…`` (1 call). Only a relation whose *own* address is the subject's unlocks
   invoices and orders; of a relation the subject is only a contact person of, only their own ``Relation_Contact``
   entry is exported. ``RelationNumber`` lookups (a customer number the request names, or another connector
   offers) follow the same rule; a relation with another address is withheld, without its details.
2. Invoices have no customer filter. Invoice numbers other connectors found are looked up exactly (1 call each,
   with lines). Every other invoice is found by one sweep, newest first, from the day before the relation was
   created, 100 headers a page; the subject's hits are then fetched with lines. In a registered run the sweep
   fills the *invoice index* (:mod:`aggregator.invoice_index`: number -> customer number + date) instead, which
   later runs only bring up to date (invoices dated since the last sync, a few days' margin; every
   ``index_recheck_days`` a full re-check for edits), so a second export costs a few requests.
3. Sales orders (``listorders/``: no customer filter either) by the same kind of sweep, 50 a page.
   A sweep stopped early (an explicit ``scan_pages`` cap, or the waiting budget below) ends the connector
   ``incomplete``, naming the dates not searched.

The plan's hourly limit (``requests_per_hour``) is kept by the connector: when the hour's requests are used up it
waits for the next window (progress: "waiting for Silvasoft's hourly limit until 14:05") and goes on, within
``max_hourly_wait`` seconds of such waiting per run (default 6 h); past it, the search ends ``incomplete``.

Silvasoft answers an exceeded rate limit with **401** ``Ratelimit exceeded``, the status of bad credentials. It is
waited out (``rate_limit_wait``, doubling, at most 15 min a wait, within ``max_rate_limit_wait`` per run) and
retried; past that budget the relation lookup fails in one line, a later search ends ``incomplete`` with what
was found. Any other 401 fails at once. Pacing: 2 requests/s, 50/min and ``requests_per_hour``.

Invoice PDFs come with the exact invoice lookups (``IncludeBase64PDF=true``, no extra request); a PDF larger than
``max_pdf_kb`` is left out of the package with a note naming the invoice (its data is still exported);
``include_pdf = false`` leaves them all out.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from typing import Any, NamedTuple
from urllib.parse import urlencode

import requests

from aggregator.connector import Connector, ConnectorContext, Record
from aggregator.errors import ConfigError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import AnsweredWindow, Limits, RetryPolicy
from aggregator.identifiers import CUSTOMER_NUMBER, INVOICE_NUMBER
from aggregator.invoice_index import Entry
from aggregator.paging import OffsetPaginator, PageGuard, Parked, ParkedMap, fan_out, pages
from aggregator.settings import Setting
from connectors.silvasoft_datasets import DATASETS

LINES = "IncludeInvoiceLinesInResponse"          # the spelling of the docs' notes
LINES_ALT = "InlcudeInvoiceLinesInResponse"      # the spelling of the docs' parameter table
INVOICE_PAGE = 100                               # listsalesinvoices maximum without lines
ORDER_PAGE = 50                                  # listorders maximum
DEFAULT_MAX_PDF_KB = 10 * 1024                   # Silvasoft's invoice PDFs are tens of KB; 10 MB is far off
MAX_RATE_LIMIT_WAIT = 900.0                      # the longest single wait for a rate-limit 401
MAX_SWEEP_PAGES = 10_000                         # a sweep that goes on longer is a paging fault
HOUR = 3600.0
SYNC_MARGIN = timedelta(days=7)                  # an incremental sync re-reads this much before the last one


class RateLimited(VendorError):
    """Silvasoft still answered "Ratelimit exceeded" when the attempts or the run's waiting budget ran out."""


class PlanLimitReached(RateLimited):
    """The plan's hourly requests are used up and waiting for the next window would exceed ``max_hourly_wait``."""


def _kb(size: int) -> str:
    """A byte count as KB, one decimal."""
    return f"{size / 1024:,.1f} KB"


def _hours(seconds: float) -> str:
    """A duration in words: "6 h", "1 h 05 min", "12 min", "40 s"."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes:02d} min" if minutes else "")


class _Clock:
    """Monotonic time that moves on at least as far as every wait made through :meth:`sleep`, so a test's fake
    sleep moves it as a real one would (the limiters then see the hour pass without anyone waiting an hour)."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self._skew = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.monotonic() + self._skew

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` through the run's (interruptible, or fake) sleep; time moves on by at least that."""
        started = time.monotonic()
        self._sleep(seconds)
        short = seconds - (time.monotonic() - started)
        if short > 0:
            with self._lock:
                self._skew += short

    def wall(self, ahead: float = 0.0) -> datetime:
        """The local wall-clock time ``ahead`` seconds from now, on this clock."""
        return datetime.now().astimezone() + timedelta(seconds=self._skew + ahead)


class _HourlyPlan:
    """Silvasoft's plan: at most ``limit`` requests in any hour. When they are used up, wait for the window to
    free one (telling the progress display until when), within ``budget`` seconds of waiting per run; past it,
    raise :class:`PlanLimitReached` and send nothing more."""

    ANNOUNCE = 5.0    # shorter waits (the rest of a window's burst) are not worth a status line

    def __init__(self, limit: int, budget: float, clock: _Clock, status: Callable[[str], None]) -> None:
        self.limit = limit
        self.budget = budget
        self.clock = clock
        self.status = status
        self.sent: deque[float] = deque()
        self.waited = 0.0        # seconds waited for the next window this run
        self.waits = 0           # announced waits this run
        self.reason: str | None = None   # set once the budget is spent
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Count this request in the hour, waiting for a free slot first if need be."""
        while True:
            with self._lock:
                if self.reason:
                    raise PlanLimitReached(self.reason)
                now = self.clock()
                while self.sent and now - self.sent[0] >= HOUR:
                    self.sent.popleft()
                if len(self.sent) < self.limit:
                    self.sent.append(now)
                    return
                wait = HOUR - (now - self.sent[0]) + 0.01
                if self.waited + wait > self.budget:
                    self.reason = (f"silvasoft: the plan's {self.limit} requests an hour are used up and waiting "
                                   f"{_hours(wait)} more would exceed max_hourly_wait ({_hours(self.budget)}; "
                                   f"{_hours(self.waited)} waited this run)")
                    raise PlanLimitReached(self.reason)
                self.waited += wait
                announce = wait >= self.ANNOUNCE
                self.waits += announce
            if announce:
                self.status(f"waiting for Silvasoft's hourly limit until {self.clock.wall(wait):%H:%M}")
            self.clock.sleep(wait)
            if announce:
                self.status("running")

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: Silvasoft sends no rate-limit headers."""
        return None


def _parse_date(value: object) -> date | None:
    """Silvasoft writes dd-MM-yyyy in its filters and ISO 8601 in newer replies; accept both (and epoch)."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC).date()
    text = str(value).strip()
    for fmt in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _ddmmyyyy(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def _span(start: date | None, till: date | None) -> str:
    """The dates a sweep covered, in words ("dated 2025-02-10 to today")."""
    if start:
        return f"dated {start.isoformat()} to {till.isoformat() if till else 'today'}"
    return f"dated up to {till.isoformat()}" if till else "of every date"


def _number(value: object) -> str | None:
    """A customer or invoice number as text ("1001"), or None for empty/zero (Silvasoft's "no number")."""
    if value in (None, "", 0, "0"):
        return None
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") else text


def _numbers(relations: Iterable[Mapping[str, Any]]) -> set[str]:
    return {n for r in relations if (n := _number(r.get("CustomerNumber")))}


def _address_key(obj: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(obj.get(k) or "").strip().lower() for k in
                 ("Address_Street", "Address_Unit", "Address_UnitAppendix", "Address_PostalCode", "Address_City",
                  "Address_CountryCode"))


@dataclass
class _Found:
    """What one run found so far; what is still in ``todo`` was not searched to its end."""

    own: dict[str, dict[str, Any]]             # RelationGUID -> the subject's own relations (by their e-mail)
    contact_of: dict[str, dict[str, Any]]      # RelationGUID -> relations the subject is only a contact of
    shown: set[str] = field(default_factory=set)                     # relations whose records were yielded
    # swept invoice -> customer number: every invoice of the window, the shop's too, so on disk, not in memory
    invoices_seen: ParkedMap = field(default_factory=ParkedMap)
    orders: Parked = field(default_factory=Parked)      # the subject's orders of the last complete order sweep
    orders_window: date | None = None
    addresses: set[tuple[str, ...]] = field(default_factory=set)        # addresses already exported
    todo: list[str] = field(default_factory=lambda: ["invoices", "sales orders"])

    @property
    def numbers(self) -> set[str]:
        """The customer numbers of the subject's own relations."""
        return _numbers(self.own.values())


class SilvasoftConnector(Connector):
    """Silvasoft invoicing: the relation, its contacts and address, every sales invoice and order."""

    name = "silvasoft"
    processor = "silvasoft"
    categories = ("contact", "addresses", "invoices", "orders")
    datasets = DATASETS
    description = "Relations, contacts, addresses, sales invoices (lines, PDFs) and sales orders from Silvasoft."
    declared_settings = (
        Setting("base_url", "the address of Silvasoft's REST API", "url", required=True,
                example="`https://rest-api.silvasoft.nl/rest/`"),
        Setting("username", "the Silvasoft account's login e-mail, as under Beheer > API", required=True),
        Setting("api_key", "the account's API key, from Beheer > API", required=True, secret=True),
        Setting("requests_per_hour", "your plan's hourly request limit (15 on the free plan … 1,200)", "int",
                default=15, minimum=1, maximum=10_000),
        Setting("scan_pages", "a cap on the pages of invoices (100 each) and orders (50 each) swept for ones no "
                "other system knows (a capped sweep ends incomplete); 0: none", "int", minimum=0,
                maximum=MAX_SWEEP_PAGES, example="no cap: back to the relation's creation"),
        Setting("max_hourly_wait", "seconds of waiting for the plan's next hour window per run before the search "
                "ends incomplete (an access request has 30 days)", "float", default=6 * HOUR, minimum=0),
        Setting("index_recheck_days", "days after which an export re-reads every indexed invoice for edits "
                "(0: only `dsar index silvasoft --full` does)", "int", default=30, minimum=0, maximum=3650),
        Setting("include_pdf", "export each invoice's PDF as the customer received it (false: only its data)",
                "bool", default=True),
        Setting("max_pdf_kb", "largest invoice PDF put in the package, in KB; a larger one is left out with a note",
                "int", default=DEFAULT_MAX_PDF_KB, minimum=1, maximum=100 * 1024),
        Setting("rate_limit_wait", "seconds of the first wait after a 401 \"Ratelimit exceeded\" (doubling)",
                "float", default=60.0, minimum=1, maximum=MAX_RATE_LIMIT_WAIT),
        Setting("max_rate_limit_wait", "seconds of rate-limit waiting per run before giving up", "float",
                default=1800.0, minimum=0),
    )

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """A waiting budget smaller than the first wait could never be used: 0 (never wait) says so plainly."""
        if 0 < settings["max_rate_limit_wait"] < settings["rate_limit_wait"]:
            raise ConfigError(f"config: connectors.{cls.name}.max_rate_limit_wait must be 0 (never wait for a rate "
                              "limit) or at least rate_limit_wait")

    def __init__(self, ctx: ConnectorContext) -> None:
        super().__init__(ctx)
        s = self.settings
        self.base_url = s["base_url"].rstrip("/") + "/"
        self.scan_pages: int | None = s["scan_pages"]      # None: sweep back to the relation's creation
        self.lines_param = LINES
        self._rate_hits = 0            # rate-limit 401s this run (for the note)
        self._rate_streak = 0          # rate-limit 401s since the last successful reply (for the doubling)
        self._rate_waited = 0.0        # seconds waited for rate limits this run (against max_rate_limit_wait)
        self._rate_exhausted = False   # the budget would be exceeded: no more waiting
        self._rate_lock = threading.Lock()
        self.clock = _Clock(ctx.sleep)
        self.plan = _HourlyPlan(s["requests_per_hour"], s["max_hourly_wait"], self.clock, ctx.status)
        self.index = ctx.invoice_index()     # None without a register: every run sweeps
        self._synced = False                 # the index was brought up to date this run
        retry = RetryPolicy(attempts=8, classify=self._classify, max_wait=MAX_RATE_LIMIT_WAIT,
                            deadline=s["max_rate_limit_wait"] + 300)
        # Silvasoft counts a request when it arrives: 2 in any second and 50 in any minute, each an answered window
        # (a place kept until the window's span after the answer; no slack to guess), the longer one taken first
        limits = Limits(concurrency=1, limiters=(self.plan,), answered=(          # the plan's hourly budget
            AnsweredWindow(50, 60.0, sleep=self.clock.sleep, clock=self.clock),
            AnsweredWindow(2, 1.0, sleep=self.clock.sleep, clock=self.clock),
        ))
        self.session = ctx.session(limits=limits, retry=retry, sleep=self.clock.sleep)   # 401 waits move the clock
        self.session.headers.update({"ApiKey": s["api_key"], "Username": s["username"],
                                     "Content-Type": "application/json", "Accept": "application/json"})

    def check_access(self) -> str:
        """``dsar check``: one ``GET listrelations/?Limit=1``, which costs one request of the plan's hourly limit."""
        self._get("listrelations/", {"Limit": 1})
        return f"answered; 1 of the plan's {self.settings['requests_per_hour']} requests/hour used"

    def _classify(self, response: requests.Response) -> float | bool | None:
        """401 "Ratelimit exceeded" is worth waiting for (within the run's budget); any other 401 is not."""
        if response.status_code < 400:
            with self._rate_lock:
                self._rate_streak = 0          # the limit lifted: the next one starts at rate_limit_wait again
            return None
        if response.status_code != 401:
            return None
        if not _is_rate_limit(response):
            return False
        with self._rate_lock:
            self._rate_hits += 1
            self._rate_streak += 1
            wait = min(self.settings["rate_limit_wait"] * 2 ** (self._rate_streak - 1), MAX_RATE_LIMIT_WAIT)
            if self._rate_waited + wait > self.settings["max_rate_limit_wait"]:
                self._rate_exhausted = True
                return False
            self._rate_waited += wait
        return wait

    # ------------------------------------------------------------------ HTTP
    def _describe(self, response: requests.Response) -> str:
        """Silvasoft's ``{"errorCode", "errorMessage"}`` as one short line, with a hint for the 401s."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and (body.get("errorCode") or body.get("errorMessage")):
            text = f"{body.get('errorCode') or ''}: {body.get('errorMessage') or ''}".strip(": ")
        else:
            text = response.reason or "error"
        if _is_rate_limit(response):
            if self._rate_exhausted:
                return (f"{text} (the plan's hourly request limit is exhausted: {self._rate_waited:.0f} s waited "
                        f"this run, max_rate_limit_wait is {self.settings['max_rate_limit_wait']:.0f} s; "
                        "retry later)")
            return f"{text} (the plan's hourly request limit; still exceeded after waiting; retry later)"
        if response.status_code == 401:
            return f"{text} (check username - the account's login e-mail - and api_key)"
        return text

    def _endpoint(self, path: str, params: Mapping[str, Any]) -> str:
        return f"GET /rest/{path}" + (f"?{urlencode(params)}" if params else "")

    def _get(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The hits of one GET: a top-level array; a 200 with an empty body (or empty JSON) means none."""
        if self._rate_exhausted:      # the run's waiting budget is spent: another request would only cost one
            raise RateLimited(f"{self.name}: the plan's hourly request limit is exhausted; retry later")
        if self.plan.reason:
            raise PlanLimitReached(self.plan.reason)
        response = self.session.get(self.base_url + path, params=params)
        try:
            body = self.session.parse(response, describe=self._describe, empty=[])
        except VendorError as exc:
            if _is_rate_limit(response):
                raise RateLimited(str(exc), status=exc.status) from None
            raise
        if body in (None, "", {}, []):
            return []
        if isinstance(body, dict):
            if "errorCode" in body or "errorMessage" in body:
                raise VendorError(self.ctx.redactor.line(
                    f"silvasoft: {body.get('errorCode', 'error')}: {body.get('errorMessage', '')} (GET /rest/{path})"))
            raise VendorError(f"silvasoft: GET /rest/{path} answered an object where a list was expected")
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise VendorError(f"silvasoft: unexpected reply from GET /rest/{path} (not a list of objects)")
        return body

    # ------------------------------------------------------------------ collect
    def collect(self) -> Iterator[Record]:
        """Relations first (a rate limit that outlasts the budget here fails the run), then the documents."""
        ctx = self.ctx
        found = self._find_relations()
        try:
            yield from self._relation_records(found)
            try:
                yield from self._documents(found)
            except RateLimited as exc:
                detail = str(exc).removeprefix(f"{self.name}: ")
                ctx.cut_short(f"{' and '.join(found.todo)} not searched to the end (Silvasoft's rate limit): "
                              f"{detail}")
            if found.numbers:
                for order in found.orders:       # what the last complete order sweep found
                    if _number(order.get("CustomerNumber")) in found.numbers:
                        yield from self._order_records(order, found)
        finally:
            found.invoices_seen.close()
            found.orders.close()
        ctx.withheld(len(found.contact_of), "business relation(s) the requester is only a contact person of "
                     "(their name, address, other contacts, invoices and orders)", "the relation's own e-mail "
                     "address is another, so its invoices and orders are the relation's, not the contact person's; "
                     "only the requester's own contact entry is exported")
        self._note_waits()
        if self._rate_hits:
            ctx.note(f"the plan's hourly request limit was hit {self._rate_hits} time(s); the export waited "
                     f"{self._rate_waited:.0f} s in all and retried.")

    def _documents(self, found: _Found) -> Iterator[Record]:  # noqa: C901 - the sweep, the index and the cap in one loop; to split next
        """The sweeps, relations by the customer numbers others offer, then the subject's invoices."""
        ctx = self.ctx
        window = self._window_start(found.own.values())
        swept_from: date | None = None
        if found.numbers:
            swept_from = self._invoices_from(window, found, None)
            self._sweep_orders(window, found)

        # Customer numbers other connectors found (none of the built-ins offers them yet).
        for ident in ctx.identifiers(CUSTOMER_NUMBER):
            number = _number(ident.value)
            if not number or number in found.numbers or number in _numbers(found.contact_of.values()):
                continue
            added = self._relations_by_number(number, found, source=ident.source)
            yield from self._relation_records(found)
            if not added:
                continue
            swept_from = self._invoices_from(self._window_start(added), found, swept_from)
            self._sweep_orders(self._window_start(found.own.values()), found)
        if not found.numbers:
            found.todo.clear()
            return
        found.todo.remove("sales orders")     # the sweeps are done; they are yielded last, in collect

        # Invoices: the subject's swept ones, then the numbers other connectors know that the sweep did not see.
        numbers = found.numbers
        seen = found.invoices_seen
        wanted = sorted(seen.keys_with(numbers), key=int, reverse=True)
        foreign: set[str] = set()
        not_numeric = 0
        queued = set(wanted)

        def offered() -> Iterator[tuple[str, bool]]:
            """The invoice numbers other connectors offer that still need a lookup."""
            nonlocal not_numeric
            for ident in ctx.identifiers(INVOICE_NUMBER):
                number = _number(ident.value)
                if not number or number in queued:
                    continue
                queued.add(number)
                if not number.isdigit():
                    not_numeric += 1
                elif number in seen and seen.get(number) not in numbers:
                    foreign.add(number)
                else:
                    yield number, False

        looked_up = mine_offered = 0
        stale: list[str] = []
        # Per-invoice lookups on one worker: Silvasoft allows 2 requests a second, the session paces them.
        for (number, swept), (endpoint, hits) in fan_out(lambda item: self._invoice(item[0]),
                                                         chain(((n, True) for n in wanted), offered()), workers=1,
                                                         name="silvasoft"):
            mine = [inv for inv in hits if _number(inv.get("CustomerNumber")) in numbers]
            if swept and self.index is not None and not mine:
                stale.append(number)     # the index said it was theirs: deleted or moved to another customer since
                if hits:
                    self.index.put(_entries(hits))
                else:
                    self.index.forget([number])
            if not swept:
                looked_up += 1
                mine_offered += bool(mine)
                if not mine and number not in seen:
                    foreign.add(number)
            for inv in mine:
                yield from self._invoice_records(inv, endpoint, found.addresses)
        if looked_up or foreign or not_numeric:
            ctx.covered(f"invoices by the numbers other systems named: {looked_up} looked up, {mine_offered} of the "
                        "requester's")
        ctx.withheld(len(foreign), f"invoice number(s) named by another system ({', '.join(sorted(foreign))})",
                     "they are not invoices of this relation in Silvasoft (absent or another customer's)")
        if stale:
            ctx.note(f"{len(stale)} invoice(s) the invoice index listed as the requester's are no longer theirs in "
                     f"Silvasoft ({', '.join(stale)}: deleted or moved to another customer); the index was updated.")
        if not_numeric:
            ctx.note(f"{not_numeric} invoice number(s) from other systems are not numeric and cannot be Silvasoft "
                     "invoice numbers: skipped.")
        found.todo.remove("invoices")

    # ------------------------------------------------------------------ relations
    def _subject_contacts(self, relation: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The relation's ``Relation_Contact`` entries that are the subject (by e-mail)."""
        return [c for c in relation.get("Relation_Contact") or []
                if isinstance(c, dict) and self.ctx.subject.matches(c.get("Email"))]

    def _sort_relation(self, rel: Mapping[str, Any], endpoint: str, found: _Found) -> bool | None:
        """File ``rel`` as the subject's own (True: its own e-mail is theirs), as one the subject is only a contact
        person of (False), or not at all (None: someone else's)."""
        guid = str(rel.get("RelationGUID"))
        if self.ctx.subject.matches(rel.get("Email")):
            found.own[guid] = {**rel, "_endpoint": endpoint}
            return True
        if self._subject_contacts(rel):
            found.contact_of[guid] = {**rel, "_endpoint": endpoint}
            return False
        return None

    def _find_relations(self) -> _Found:
        """The relations found by the subject's e-mail, and by the customer number the request names."""
        found = _Found({}, {})
        params = {"RelationEmail": self.ctx.subject.email}
        endpoint = self._endpoint("listrelations/", params)
        for rel in self._get("listrelations/", params):
            self._sort_relation(rel, endpoint, found)
        self.ctx.covered(f"relations by e-mail: {len(found.own)} of the requester's own, {len(found.contact_of)} "
                         "with the requester as a contact person")
        given = self.ctx.subject.customer_number
        if given and given not in found.numbers | _numbers(found.contact_of.values()):
            self._relations_by_number(given, found, source="the request")
        return found

    def _relations_by_number(self, number: str, found: _Found, *, source: str) -> list[dict[str, Any]]:
        """Relations with customer number ``number``: only one whose own e-mail is the subject's is added (and
        returned); one the subject is a contact person of is filed as such; anyone else's is withheld."""
        if not number.isdigit():
            return []
        params = {"RelationType": "Customer", "RelationNumber": number}
        endpoint = self._endpoint("listrelations/", params)
        added: list[dict[str, Any]] = []
        others = 0
        for rel in self._get("listrelations/", params):
            guid = str(rel.get("RelationGUID"))
            if _number(rel.get("CustomerNumber")) != number or guid in found.own or guid in found.contact_of:
                continue
            kind = self._sort_relation(rel, endpoint, found)
            if kind:
                added.append(rel)
            elif kind is None:
                others += 1
        self.ctx.covered(f"relations by customer number {number} (given by {source}): {len(added)} of the "
                         "requester's own")
        # Nothing of that relation (name, address, e-mail) goes into the note.
        self.ctx.withheld(others, f"Silvasoft relation(s) found by customer number {number} (given by {source})",
                          "a different e-mail address; verify the requester's identity and run the request with "
                          "that relation's address")
        return added

    def _window_start(self, relations: Iterable[Mapping[str, Any]]) -> date | None:
        dates = [_parse_date(r.get("createdOn") or r.get("CreatedOn")) for r in relations]
        known = [d for d in dates if d]
        if not known or len(known) < len(dates):
            return None
        return min(known) - timedelta(days=1)   # DateFrom inclusive or not: one day of margin

    def _relation_records(self, found: _Found) -> Iterator[Record]:
        """The records of every relation not yielded yet: an own relation's core, the subject's contact entries
        and its address (colleagues withheld); of a relation the subject is only a contact person of, only
        their own contact entries (nothing else of it is theirs)."""
        ctx = self.ctx
        for guid, rel in [*found.own.items(), *found.contact_of.items()]:
            if guid in found.shown:
                continue
            found.shown.add(guid)
            endpoint, rid, own = rel["_endpoint"], rel.get("RelationGUID"), guid in found.own
            if own:
                found.addresses.add(_address_key(rel))      # an invoice's or order's copy is not exported again
                core = {k: v for k, v in rel.items()
                        if k not in ("Relation_Contact", "_endpoint") and not k.startswith("Address_")}
                yield ctx.record("contact", "relation", core, endpoint=endpoint, vendor_id=rid)
                # Other contact persons (colleagues at the customer's business) are not the requester.
                contacts = ctx.keep_owned([c for c in rel.get("Relation_Contact") or [] if isinstance(c, dict)],
                                          lambda c: ctx.subject.matches(c.get("Email")),
                                          f"other contact person(s) of relation {rid}",
                                          "their details are theirs, not the requester's")
            else:
                contacts = self._subject_contacts(rel)
            for contact in contacts:
                yield ctx.record("contact", "relation_contact", {"RelationGUID": rid, **contact},
                                 endpoint=endpoint, vendor_id=rid)
            address = {k: v for k, v in rel.items() if k.startswith("Address_")}
            if own and any(address.values()):
                yield ctx.record("addresses", "relation_address", {"RelationGUID": rid, **address},
                                 endpoint=endpoint, vendor_id=rid)

    # ------------------------------------------------------------------ sweeps
    def _sweep(self, path: str, size: int, start: date | None, till: date | None, what: str,
               qualifier: str = "", *, take: Callable[[list[dict[str, Any]]], None]) -> tuple[date | None, bool]:
        """Page ``path`` newest first between ``start`` and ``till`` (at most ``scan_pages`` pages when set, within
        the plan's waiting budget), handing each page to ``take`` as it arrives (nothing of it is kept here);
        returns the oldest date reached (None: nothing searched) and whether the sweep ran to its end (when not,
        the gap is reported with ``cut_short``)."""
        if self.scan_pages == 0:
            self.ctx.cut_short(f"{what}{qualifier} were not searched (scan_pages = 0)")
            return None, False
        params = {key: _ddmmyyyy(day) for key, day in (("DateFrom", start), ("DateTill", till)) if day}
        cap = self.scan_pages or MAX_SWEEP_PAGES
        guard = PageGuard(self.name, self._endpoint(path, params), cap)
        paginator = OffsetPaginator(size, offset_param="Offset", size_param="Limit", total_key=None)
        count = 0
        oldest: date | None = None
        last: list[dict[str, Any]] = []
        stopped: str | None = None
        try:
            for last in pages(lambda token: self._get(path, {**params, **token}), paginator, lambda body: body, guard):
                count += len(last)
                dates = [d for i in last if (d := _parse_date(i.get("InvoiceDate") or i.get("OrderDate")))]
                oldest = min([*dates, *([oldest] if oldest else [])], default=None)
                take(last)
                if guard.pages == self.scan_pages and len(last) >= size:
                    stopped = f"the sweep stopped after {guard.pages} page(s) (scan_pages = {self.scan_pages}; " \
                              "leave it unset for a full search)"
                if guard.pages == self.scan_pages:
                    break
        except PlanLimitReached as exc:
            stopped = f"the sweep stopped after {guard.pages} page(s): {str(exc).removeprefix(f'{self.name}: ')}"
        n = guard.pages
        if stopped is None and len(last) < size:
            self.ctx.covered(f"{what} {_span(start, till)}: all {count} ({n} page(s))")
            return start, True
        self.ctx.covered(f"{what} {_span(start, till)}: the {count} newest ({n} page(s))"
                         + (f", back to {oldest.isoformat()}" if oldest else ""))
        # The oldest day reached may go on past the last page: it counts as not (fully) searched.
        gap = _span(start, oldest) if oldest else f"beyond the {count} newest"
        self.ctx.cut_short(f"{what} {gap}{qualifier} were not (fully) searched: {stopped}")
        return oldest, False

    def _sweep_invoices(self, start: date | None, till: date | None, found: _Found) -> tuple[date | None, bool]:
        """Note number -> customer number of every invoice in the window (a run without the index); returns how
        far back it got and whether it ran to its end."""
        def take(page: list[dict[str, Any]]) -> None:
            found.invoices_seen.update((e.number, e.customer) for e in _entries(page))

        return self._sweep("listsalesinvoices/", INVOICE_PAGE, start, till, "invoices",
                           " that no other system knows by number", take=take)

    def _invoices_from(self, start: date | None, found: _Found, swept_from: date | None) -> date | None:
        """Make ``found.invoices_seen`` hold every invoice dated from ``start`` on, by a sweep or (in a registered
        run) from the invoice index; ``swept_from`` is how far back earlier calls reached (date.min: all)."""
        if self.index is not None:
            self._sync_index(start)
            found.invoices_seen.update(self.index.customers().items())
            return swept_from
        if swept_from is None:
            reached, done = self._sweep_invoices(start, None, found)
            return (start or date.min) if done else (reached or date.min)
        if swept_from != date.min and (start is None or start < swept_from):
            self._sweep_invoices(start, swept_from - timedelta(days=1), found)
            return start or date.min
        return swept_from

    # ------------------------------------------------------------------ the invoice index
    def _sync_index(self, start: date | None, *, full: bool = False) -> None:
        """Bring the invoice index up to date and make it reach back to ``start`` (None: the first invoice).

        Never filled: one sweep from ``start``. Otherwise: the invoices dated since the last sync (with
        ``SYNC_MARGIN``), or every indexed date again when a re-check is due (``full``, or ``index_recheck_days``
        passed) so edited and deleted invoices are corrected; then, if ``start`` lies before what the index covers,
        the dates in between. A sweep stopped early keeps what it read and the dates it covered completely."""
        index = self.index
        assert index is not None
        today = self.clock.wall().date()
        calls = self.ctx.calls
        cov = index.coverage()
        if full or not self._synced:
            if cov is None:
                reached, done = self._sweep("listsalesinvoices/", INVOICE_PAGE, start, None, "invoices",
                                            " (to fill the invoice index)", take=lambda page: index.put(_entries(page)))
                if done or reached:
                    index.set_coverage(start if done else reached + timedelta(days=1), today, checked=done)
            else:
                days = self.settings["index_recheck_days"]
                last = cov.checked_at or cov.synced_at
                due = full or (days > 0 and self.clock.wall() - last > timedelta(days=days))
                if due:
                    begin = None if full else cov.start
                    entries: list[Entry] = []    # number, customer and date only: the re-check needs them all
                    reached, done = self._sweep("listsalesinvoices/", INVOICE_PAGE, begin, None, "invoices",
                                                " (a full re-check of the invoice index)",
                                                take=lambda page: entries.extend(_entries(page)))
                    if done:
                        dropped = index.replace(entries, begin)
                        index.set_coverage(begin, today, checked=True)
                        if dropped:
                            self.ctx.note(f"the re-check dropped {dropped} invoice(s) from the index that Silvasoft "
                                          "no longer has under their number and date.")
                    else:
                        index.put(entries)
                else:
                    since = max(cov.end - SYNC_MARGIN, cov.start or date.min)
                    reached, done = self._sweep("listsalesinvoices/", INVOICE_PAGE, since, None, "invoices",
                                                " (new since the invoice index's last sync)",
                                                take=lambda page: index.put(_entries(page)))
                    if done:
                        index.set_coverage(cov.start, today)
            self._synced = True
            cov = index.coverage()
        if cov is not None and cov.start is not None and (start is None or start < cov.start):
            till = cov.start - timedelta(days=1)
            reached, done = self._sweep("listsalesinvoices/", INVOICE_PAGE, start, till, "invoices",
                                        " (older than the invoice index reached)",
                                        take=lambda page: index.put(_entries(page)))
            if done:
                index.set_coverage(start, cov.end)
            elif reached and reached + timedelta(days=1) < cov.start:
                index.set_coverage(reached + timedelta(days=1), cov.end)
        self.ctx.covered(f"invoices {_span(start, None)}: by the invoice index ({len(index)} invoice(s) indexed; "
                         f"{self.ctx.calls - calls} request(s) to bring it up to date)")

    def refresh_index(self, *, full: bool = False) -> None:
        """``dsar index silvasoft [--full]``: bring the invoice index up to date and make it reach back to the
        first invoice (``full``: re-read every invoice, for edits); a stop is reported with ``cut_short``."""
        if self.index is None:
            raise ConfigError("the invoice index lives in the request register: give --register or $DSAR_REGISTER")
        try:
            self._sync_index(None, full=full)
        except RateLimited as exc:
            self.ctx.cut_short(f"the invoice index was not brought up to date: {str(exc).removeprefix('silvasoft: ')}")
        self._note_waits()

    def _note_waits(self) -> None:
        if self.plan.waits:
            self.ctx.note(f"waited {self.plan.waits} time(s) for Silvasoft's hourly limit ({self.plan.limit} "
                          f"requests an hour), {_hours(self.plan.waited)} in all.")

    def _sweep_orders(self, start: date | None, found: _Found) -> None:
        """Silvasoft sales orders in the window (no customer filter exists): only the subject's relations' are kept
        (the last sweep, made once every relation is known, is the one exported)."""
        numbers = found.numbers
        orders = Parked()

        def take(page: list[dict[str, Any]]) -> None:
            for order in page:
                if _number(order.get("CustomerNumber")) in numbers:
                    orders.append(order)

        try:
            self._sweep("listorders/", ORDER_PAGE, start, None, "sales orders", take=take)
        except BaseException:
            orders.close()
            raise
        found.orders.close()
        found.orders = orders
        found.orders_window = start

    # ------------------------------------------------------------------ invoices
    def _invoice(self, number: str) -> tuple[str, list[dict[str, Any]]]:
        """The endpoint and the hits of one exact lookup by invoice number, with lines (and PDF if asked)."""
        params: dict[str, Any] = {"InvoiceNumber": number, self.lines_param: "true"}
        if self.settings["include_pdf"]:
            params["IncludeBase64PDF"] = "true"
        hits = [i for i in self._get("listsalesinvoices/", params) if _number(i.get("InvoiceNumber")) == number]
        if hits and "Invoice_InvoiceLine" not in hits[0] and self.lines_param == LINES:
            # The docs spell this parameter two ways; use the other one from now on.
            self.lines_param = LINES_ALT
            params = {k: v for k, v in params.items() if k != LINES} | {LINES_ALT: "true"}
            hits = [i for i in self._get("listsalesinvoices/", params) if _number(i.get("InvoiceNumber")) == number]
            if hits and "Invoice_InvoiceLine" not in hits[0]:
                self.ctx.note("Silvasoft returned invoices without their lines.")
        return self._endpoint("listsalesinvoices/", params), hits

    def _invoice_records(self, inv: dict[str, Any], endpoint: str,
                         addresses: set[tuple[str, ...]]) -> Iterator[Record]:
        ctx = self.ctx
        number = _number(inv.get("InvoiceNumber")) or "unknown"
        pdf_keys = [k for k, v in inv.items() if "pdf" in k.lower() and isinstance(v, str)]
        lines = [ln for ln in inv.get("Invoice_InvoiceLine") or [] if isinstance(ln, dict)]
        header = {k: v for k, v in inv.items() if k != "Invoice_InvoiceLine" and k not in pdf_keys}
        if self.settings["include_pdf"]:
            pdf = self._pdf(inv, pdf_keys)
            cap = self.settings["max_pdf_kb"]
            if pdf and len(pdf) > cap * 1024:
                ctx.note(f"the PDF of invoice {number} ({_kb(len(pdf))}) is larger than max_pdf_kb ({cap} KB): "
                         "left out of the package; the invoice's data is included. Raise max_pdf_kb to include it.")
            elif pdf:
                header["pdf_attachment"] = ctx.attach("invoices", f"silvasoft-invoice-{number}.pdf", pdf)
            else:
                ctx.note(f"no PDF came back for invoice {number}.")
        yield from self._document_records(_INVOICE, inv, header, lines, number, endpoint, addresses)

    def _pdf(self, inv: Mapping[str, Any], keys: list[str]) -> bytes | None:
        for key in keys:
            try:
                data = base64.b64decode(str(inv[key]), validate=True)
            except (binascii.Error, ValueError):
                continue
            if data.startswith(b"%PDF"):
                return data
        return None

    # ------------------------------------------------------------------ orders
    def _order_records(self, order: dict[str, Any], found: _Found) -> Iterator[Record]:
        number = _number(order.get("OrderNumber")) or "unknown"
        window = found.orders_window
        endpoint = self._endpoint("listorders/", {"DateFrom": _ddmmyyyy(window)} if window else {})
        lines = [ln for ln in order.get("Order_Orderline") or [] if isinstance(ln, dict)]
        header = {k: v for k, v in order.items() if k != "Order_Orderline"}
        yield from self._document_records(_ORDER, order, header, lines, number, endpoint, found.addresses)

    def _document_records(self, kind: _DocKind, doc: Mapping[str, Any], header: dict[str, Any],
                          lines: list[dict[str, Any]], number: str, endpoint: str,
                          addresses: set[tuple[str, ...]]) -> Iterator[Record]:
        """An invoice or order: its header (other contacts marked as third parties), its lines, and each
        address not already exported."""
        ctx = self.ctx
        others = [c["Email"] for c in doc.get(kind.contacts) or []
                  if isinstance(c, dict) and c.get("Email") and not ctx.subject.matches(c["Email"])]
        yield ctx.record(kind.category, kind.dataset, header, endpoint=endpoint, vendor_id=number,
                         third_parties=others)
        ref = {kind.number: doc.get(kind.number)}
        for i, ln in enumerate(lines, 1):
            yield ctx.record(kind.category, f"{kind.dataset}_line", {**ref, **ln}, endpoint=endpoint,
                             vendor_id=f"{number}/{i}")
        for addr in doc.get(kind.addresses) or []:
            if isinstance(addr, dict) and _address_key(addr) not in addresses:
                addresses.add(_address_key(addr))
                yield ctx.record("addresses", kind.address_dataset, {**ref, **addr}, endpoint=endpoint,
                                 vendor_id=number)


class _DocKind(NamedTuple):
    """How Silvasoft names the parts of one kind of document (invoice or order)."""

    category: str
    dataset: str
    number: str
    contacts: str
    addresses: str
    address_dataset: str


_INVOICE = _DocKind("invoices", "sales_invoice", "InvoiceNumber", "Invoice_Contact", "Invoice_Address",
                    "invoice_address")
_ORDER = _DocKind("orders", "sales_order", "OrderNumber", "Order_Contact", "Order_Address", "order_address")


def _entries(invoices: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """What the invoice index keeps of invoice headers: number, customer number, date (nothing else)."""
    return [Entry(n, _number(i.get("CustomerNumber")), _parse_date(i.get("InvoiceDate")))
            for i in invoices if (n := _number(i.get("InvoiceNumber")))]


def _is_rate_limit(response: requests.Response) -> bool:
    return response.status_code == 401 and "ratelimit" in response.text.lower().replace(" ", "")


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register the Silvasoft connector."""
    register(SilvasoftConnector)
