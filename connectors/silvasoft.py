"""Silvasoft (invoicing and bookkeeping): the subject's relation(s) with contacts and address, their sales
invoices (with lines, optionally the PDFs) and sales orders, through Silvasoft's REST API with plain
``requests`` (Silvasoft publishes no SDK).

Silvasoft's plans allow 15 to 1,200 requests per *hour*, so every call is planned:

1. ``GET listrelations/?RelationEmail=…`` (1 call). Only a relation whose *own* address is the subject's is
   the subject's: its customer number drives the invoice and order collection. Where the subject is only a
   contact person of a (business) relation, only their own ``Relation_Contact`` entry is exported, with a note:
   the relation's invoices are the relation's, not the contact person's. ``RelationNumber`` lookups for a
   customer number the request names (or another connector offers as ``customer_number``) that the e-mail
   lookup did not already find follow the same rule; a relation with another address is not exported (a note
   says so, without that relation's details).
2. Invoices have no customer filter. Invoice numbers other connectors found (Lightspeed's ``invoice_number``)
   are looked up exactly (``InvoiceNumber``, 1 call each, with lines). Invoices nobody else knows (manual ones)
   are found by one narrow sweep: newest first, ``DateFrom`` = the day before the relation was created
   (an invoice is made for an existing relation), 100 headers a page without lines, at most ``scan_pages``
   pages (by default sized from ``requests_per_hour``); only the subject's hits are then fetched with lines.
   Order dates are not used: ~260 webshop orders would mean ~260 windows, and none of them bounds a manual
   invoice better than the relation's creation date.
3. Sales orders (``listorders/``: no customer and no order-number filter) by the same kind of sweep, 50 a page.

Rate limiting: Silvasoft answers an exceeded limit with **401** ``Ratelimit exceeded`` - the status of bad
credentials. It is waited out (``rate_limit_wait`` = 60 s, doubling, at most 15 min a wait; the doubling starts
again after a successful reply) and retried; all rate-limit waits of a run together stay within
``max_rate_limit_wait`` (30 min), after which the connector fails with one line. Any other 401 fails at once
with one line. Pacing: 2 requests/s, 50/min (Silvasoft's advice) and ``requests_per_hour`` per hour.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode

import requests

from aggregator.connector import Connector, ConnectorContext, Record
from aggregator.errors import ConfigError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, MinInterval, RetryPolicy, SlidingWindow, VendorSession, one_line
from aggregator.identifiers import CUSTOMER_NUMBER, INVOICE_NUMBER

LINES = "IncludeInvoiceLinesInResponse"          # the spelling of the docs' notes
LINES_ALT = "InlcudeInvoiceLinesInResponse"      # the spelling of the docs' parameter table
INVOICE_PAGE = 100                               # listsalesinvoices maximum without lines
ORDER_PAGE = 50                                  # listorders maximum
MAX_RATE_LIMIT_WAIT = 900.0                      # the longest single wait for a rate-limit 401
RATE_LIMIT_BUDGET = 1800                         # default max_rate_limit_wait: all rate-limit waits of a run


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


class SilvasoftConnector(Connector):
    name = "silvasoft"
    processor = "silvasoft"
    categories = ("contact", "addresses", "invoices", "orders")
    required_settings = ("base_url", "username", "api_key")
    secret_settings = ("api_key",)
    description = "Relations, contacts, addresses, sales invoices (lines, PDFs) and sales orders from Silvasoft."

    # ------------------------------------------------------------------ settings
    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        super().check_settings(settings)
        for key, low in (("requests_per_hour", 1), ("scan_pages", 0), ("rate_limit_wait", 1),
                         ("max_rate_limit_wait", 0)):
            value = settings.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"config: connectors.{cls.name}.{key} must be a whole number >= {low}")
        if not isinstance(settings.get("include_pdf", False), bool):
            raise ConfigError(f"config: connectors.{cls.name}.include_pdf must be true or false")

    def __init__(self, ctx: ConnectorContext) -> None:
        super().__init__(ctx)
        s = self.settings
        self.base_url = str(s["base_url"]).rstrip("/") + "/"
        self.per_hour = int(s.get("requests_per_hour") or 15)
        configured = s.get("scan_pages")
        # Discovery depth follows the plan: 1 page on the free plan (15/h) up to 10 pages on 1,200/h.
        self.scan_pages = int(configured) if configured is not None else max(1, min(10, self.per_hour // 100))
        self.include_pdf = bool(s.get("include_pdf", False))
        self.rate_limit_wait = float(s.get("rate_limit_wait") or 60)
        budget = s.get("max_rate_limit_wait")
        self.max_rate_limit_wait = float(RATE_LIMIT_BUDGET if budget is None else budget)
        self.lines_param = LINES
        self._rate_hits = 0            # rate-limit 401s this run (for the note)
        self._rate_streak = 0          # rate-limit 401s since the last successful reply (for the doubling)
        self._rate_waited = 0.0        # seconds waited for rate limits this run (against max_rate_limit_wait)
        self._rate_exhausted = False   # the budget would be exceeded: no more waiting
        self._rate_lock = threading.Lock()
        self.session = self._session()

    def _session(self) -> VendorSession:
        sleep = self.ctx.sleep
        attempts = 8
        retry = RetryPolicy(attempts=attempts, classify=self._classify, max_wait=MAX_RATE_LIMIT_WAIT,
                            deadline=self.max_rate_limit_wait + 300)
        limits = Limits(concurrency=1, limiters=(
            MinInterval(2.0, sleep=sleep),                       # Silvasoft: at most 2 requests per second
            SlidingWindow(50, 60.0, sleep=sleep),                # ... and 50 per minute
            SlidingWindow(self.per_hour, 3600.0, sleep=sleep),   # the plan's hourly budget
        ))
        session = self.ctx.session(limits=limits, retry=retry)
        session.headers.update({"ApiKey": str(self.settings["api_key"]), "Username": str(self.settings["username"]),
                                "Content-Type": "application/json", "Accept": "application/json"})
        return session

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
            wait = min(self.rate_limit_wait * 2 ** (self._rate_streak - 1), MAX_RATE_LIMIT_WAIT)
            if self._rate_waited + wait > self.max_rate_limit_wait:
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
                        f"this run, max_rate_limit_wait is {self.max_rate_limit_wait:.0f} s; retry later)")
            return f"{text} (the plan's hourly request limit; still exceeded after waiting; retry later)"
        if response.status_code == 401:
            return f"{text} (check username - the account's login e-mail - and api_key)"
        return text

    def _endpoint(self, path: str, params: Mapping[str, Any]) -> str:
        return f"GET /rest/{path}" + (f"?{urlencode(params)}" if params else "")

    def _get(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The hits of one GET: a top-level array; a 200 with an empty body (or empty JSON) means none."""
        body = self.session.get_json(self.base_url + path, params=params, describe=self._describe, empty=[])
        if body in (None, "", {}, []):
            return []
        if isinstance(body, dict):
            if "errorCode" in body or "errorMessage" in body:
                raise VendorError(self.ctx.redactor(one_line(
                    f"silvasoft: {body.get('errorCode', 'error')}: {body.get('errorMessage', '')} (GET /rest/{path})")))
            body = [body]
        if not isinstance(body, list):
            raise VendorError(f"silvasoft: unexpected reply from GET /rest/{path} (not a list)")
        return [item for item in body if isinstance(item, dict)]

    # ------------------------------------------------------------------ collect
    def collect(self) -> Iterator[Record]:
        yield from self._collect()
        if self._rate_hits:
            self.ctx.note(f"silvasoft: the plan's hourly request limit was hit {self._rate_hits} time(s); the "
                          f"export waited {self._rate_waited:.0f} s in all and retried.")

    def _collect(self) -> Iterator[Record]:
        ctx = self.ctx
        # relations: the subject's own (by their own e-mail); contact_of: relations the subject is only a contact of.
        relations, contact_of = self._find_relations()
        numbers = _numbers(relations.values())
        window = self._window_start(relations.values())

        invoices_seen: dict[str, str | None] = {}   # swept invoice number -> customer number (nothing else kept)
        orders_seen: list[dict[str, Any]] = []
        swept_from: date | None = None
        if numbers:
            swept_from = self._sweep_invoices(window, None, invoices_seen)
            orders_seen = self._sweep_orders(window)

        # Customer numbers other connectors found (none of the built-ins offers them yet).
        for ident in ctx.identifiers(CUSTOMER_NUMBER):
            number = _number(ident.value)
            if not number or number in numbers or number in _numbers(contact_of.values()):
                continue
            added = self._relations_by_number(number, relations, contact_of, source=ident.source)
            if not added:
                continue
            numbers.add(number)
            start = self._window_start(added)
            if swept_from is None:
                swept_from = self._sweep_invoices(start, None, invoices_seen)
            elif swept_from != date.min and (start is None or start < swept_from):
                self._sweep_invoices(start, swept_from - timedelta(days=1), invoices_seen)
                swept_from = start or date.min
            window = self._window_start(relations.values())
            orders_seen = self._sweep_orders(window)

        yield from self._relation_records(relations)
        yield from self._contact_records(contact_of)
        if not numbers:
            return

        # Invoices: the subject's swept ones, then the numbers other connectors know that the sweep did not see.
        wanted = sorted((n for n, customer in invoices_seen.items() if customer in numbers), key=int, reverse=True)
        emitted: set[str] = set()
        addresses = {_address_key(r) for r in relations.values()}
        for number in wanted:
            yield from self._invoice(number, numbers, addresses, emitted, source="sweep")
        foreign, not_numeric = [], 0
        for ident in ctx.identifiers(INVOICE_NUMBER):
            number = _number(ident.value)
            if not number or number in emitted:
                continue
            if not number.isdigit():
                not_numeric += 1
                continue
            if number in invoices_seen and invoices_seen[number] not in numbers:
                foreign.append(number)
                continue
            before = len(emitted)
            yield from self._invoice(number, numbers, addresses, emitted, source=ident.source)
            if len(emitted) == before and number not in invoices_seen:
                foreign.append(number)
        if foreign:
            ctx.note(f"silvasoft: invoice number(s) {', '.join(sorted(foreign))} named by another system are not "
                     "invoices of this relation in Silvasoft (absent or another customer's): not included.")
        if not_numeric:
            ctx.note(f"silvasoft: {not_numeric} invoice number(s) from other systems are not numeric and cannot be "
                     "Silvasoft invoice numbers: skipped.")

        for order in orders_seen:
            if _number(order.get("CustomerNumber")) in numbers:
                yield from self._order_records(order, addresses, window)

    # ------------------------------------------------------------------ relations
    def _subject_contacts(self, relation: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The relation's ``Relation_Contact`` entries that are the subject (by e-mail)."""
        return [c for c in relation.get("Relation_Contact") or []
                if isinstance(c, dict) and self.ctx.subject.matches(c.get("Email"))]

    def _sort_relation(self, rel: Mapping[str, Any], endpoint: str, own: dict[str, dict[str, Any]],
                       contact_of: dict[str, dict[str, Any]]) -> bool | None:
        """File ``rel`` as the subject's own (True: its own e-mail is theirs), as one the subject is only a contact
        person of (False), or not at all (None: someone else's)."""
        guid = str(rel.get("RelationGUID"))
        if self.ctx.subject.matches(rel.get("Email")):
            own[guid] = {**rel, "_endpoint": endpoint}
            return True
        if self._subject_contacts(rel):
            contact_of[guid] = {**rel, "_endpoint": endpoint}
            return False
        return None

    def _find_relations(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        own: dict[str, dict[str, Any]] = {}
        contact_of: dict[str, dict[str, Any]] = {}
        params = {"RelationEmail": self.ctx.subject.email}
        endpoint = self._endpoint("listrelations/", params)
        for rel in self._get("listrelations/", params):
            self._sort_relation(rel, endpoint, own, contact_of)
        given = self.ctx.subject.customer_number
        if given and given not in _numbers(own.values()) | _numbers(contact_of.values()):
            self._relations_by_number(given, own, contact_of, source="the request")
        return own, contact_of

    def _relations_by_number(self, number: str, own: dict[str, dict[str, Any]], contact_of: dict[str, dict[str, Any]],
                             *, source: str) -> list[dict[str, Any]]:
        """Relations with customer number ``number``: only one whose own e-mail is the subject's is added (and
        returned); one the subject is a contact person of is filed as such; anyone else's is left out, noted."""
        if not number.isdigit():
            return []
        params = {"RelationType": "Customer", "RelationNumber": number}
        endpoint = self._endpoint("listrelations/", params)
        added: list[dict[str, Any]] = []
        withheld = False
        for rel in self._get("listrelations/", params):
            guid = str(rel.get("RelationGUID"))
            if _number(rel.get("CustomerNumber")) != number or guid in own or guid in contact_of:
                continue
            kind = self._sort_relation(rel, endpoint, own, contact_of)
            if kind:
                added.append(rel)
            elif kind is None:
                withheld = True
        if withheld:
            # Nothing of that relation (name, address, e-mail) goes into the note.
            self.ctx.note(f"silvasoft: Silvasoft relation found by customer number {number} (given by {source}) has "
                          "a different e-mail address; not exported. Verify the requester's identity and run the "
                          "request with that relation's address.")
        return added

    def _window_start(self, relations: Iterable[Mapping[str, Any]]) -> date | None:
        dates = [_parse_date(r.get("createdOn") or r.get("CreatedOn")) for r in relations]
        known = [d for d in dates if d]
        if not known or len(known) < len(dates):
            return None
        return min(known) - timedelta(days=1)   # DateFrom inclusive or not: one day of margin

    def _contact_records(self, contact_of: Mapping[str, dict[str, Any]]) -> Iterator[Record]:
        """Only the subject's own contact entries of relations they are a contact person of; nothing else of the
        relation (its name, address, other contacts, invoices, orders) is the subject's."""
        for rel in contact_of.values():
            guid = rel.get("RelationGUID")
            for contact in self._subject_contacts(rel):
                yield self.ctx.record("contact", "relation_contact", {"RelationGUID": guid, **contact},
                                      endpoint=rel["_endpoint"], vendor_id=guid)
        if contact_of:
            self.ctx.note(f"silvasoft: the requester is a contact person of {len(contact_of)} business relation(s) "
                          "in Silvasoft whose own e-mail address is another; only the requester's own contact entry "
                          "is exported. The relation's invoices and orders are the relation's, not the contact "
                          "person's, and are not included.")

    def _relation_records(self, relations: Mapping[str, dict[str, Any]]) -> Iterator[Record]:
        for rel in relations.values():
            endpoint = rel["_endpoint"]
            guid = rel.get("RelationGUID")
            contacts = [c for c in rel.get("Relation_Contact") or [] if isinstance(c, dict)]
            core = {k: v for k, v in rel.items()
                    if k not in ("Relation_Contact", "_endpoint") and not k.startswith("Address_")}
            yield self.ctx.record("contact", "relation", core, endpoint=endpoint, vendor_id=guid)
            others = 0
            for contact in contacts:
                if not self.ctx.subject.matches(contact.get("Email")):
                    others += 1      # another person (a colleague at the customer's business): not theirs
                    continue
                yield self.ctx.record("contact", "relation_contact", {"RelationGUID": guid, **contact},
                                      endpoint=endpoint, vendor_id=guid)
            if others:
                self.ctx.note(f"silvasoft: {others} other contact person(s) of relation {guid} are not included "
                              "(their details are theirs, not the requester's).")
            address = {k: v for k, v in rel.items() if k.startswith("Address_")}
            if any(address.values()):
                yield self.ctx.record("addresses", "relation_address", {"RelationGUID": guid, **address},
                                      endpoint=endpoint, vendor_id=guid)

    # ------------------------------------------------------------------ sweeps
    def _sweep(self, path: str, page: int, start: date | None, till: date | None,
               keep: Callable[[dict[str, Any]], None]) -> tuple[bool, date | None, int]:
        """Page ``path`` newest first between ``start`` and ``till``; returns (complete, oldest date, pages)."""
        params: dict[str, Any] = {}
        if start:
            params["DateFrom"] = _ddmmyyyy(start)
        if till:
            params["DateTill"] = _ddmmyyyy(till)
        oldest: date | None = None
        for n in range(self.scan_pages):
            items = self._get(path, {**params, "Limit": page, "Offset": n * page})
            for item in items:
                keep(item)
                d = _parse_date(item.get("InvoiceDate") or item.get("OrderDate"))
                if d and (oldest is None or d < oldest):
                    oldest = d
            if len(items) < page:
                return True, oldest, n + 1
        return False, oldest, self.scan_pages

    def _sweep_invoices(self, start: date | None, till: date | None, seen: dict[str, str | None]) -> date | None:
        """Record number -> customer number of every invoice in the window; returns how far back it got."""
        if self.scan_pages == 0:
            self.ctx.note("silvasoft: scan_pages = 0: only invoices other systems know by number were looked up.")
            return None

        def keep(item: dict[str, Any]) -> None:
            number = _number(item.get("InvoiceNumber"))
            if number:
                seen[number] = _number(item.get("CustomerNumber"))

        complete, oldest, pages = self._sweep("listsalesinvoices/", INVOICE_PAGE, start, till, keep)
        if complete:
            return start or date.min
        where = f"dated {_ddmmyyyy(oldest)} or later" if oldest else "the newest ones"
        since = f" since {_ddmmyyyy(start)}" if start else ""
        self.ctx.note(f"silvasoft: invoices that no other system knows about were searched among the "
                      f"{pages * INVOICE_PAGE} newest invoices{since} ({where}); older invoices were not searched "
                      f"(scan_pages = {self.scan_pages}; raise it, or requests_per_hour, for a full search).")
        return oldest

    def _sweep_orders(self, start: date | None) -> list[dict[str, Any]]:
        """Silvasoft sales orders in the window (no customer filter exists); kept until filtered by customer."""
        orders: list[dict[str, Any]] = []
        if self.scan_pages == 0:
            self.ctx.note("silvasoft: scan_pages = 0: Silvasoft sales orders were not searched.")
            return orders
        complete, oldest, pages = self._sweep("listorders/", ORDER_PAGE, start, None, orders.append)
        if not complete:
            where = f" (back to {_ddmmyyyy(oldest)})" if oldest else ""
            self.ctx.note(f"silvasoft: sales orders were searched among the {pages * ORDER_PAGE} newest{where}; "
                          "older orders were not searched.")
        return orders

    # ------------------------------------------------------------------ invoices
    def _invoice(self, number: str, customers: set[str], addresses: set[tuple[str, ...]], emitted: set[str], *,
                 source: str) -> Iterator[Record]:
        params: dict[str, Any] = {"InvoiceNumber": number, self.lines_param: "true"}
        if self.include_pdf:
            params["IncludeBase64PDF"] = "true"
        hits = [i for i in self._get("listsalesinvoices/", params) if _number(i.get("InvoiceNumber")) == number]
        if hits and "Invoice_InvoiceLine" not in hits[0] and self.lines_param == LINES:
            # The docs spell this parameter two ways; use the other one from now on.
            self.lines_param = LINES_ALT
            params = {k: v for k, v in params.items() if k != LINES} | {LINES_ALT: "true"}
            hits = [i for i in self._get("listsalesinvoices/", params) if _number(i.get("InvoiceNumber")) == number]
            if hits and "Invoice_InvoiceLine" not in hits[0]:
                self.ctx.note("silvasoft: Silvasoft returned invoices without their lines.")
        endpoint = self._endpoint("listsalesinvoices/", params)
        for inv in hits:
            if _number(inv.get("CustomerNumber")) not in customers:
                continue
            emitted.add(number)
            yield from self._invoice_records(inv, endpoint, addresses)

    def _invoice_records(self, inv: dict[str, Any], endpoint: str,
                         addresses: set[tuple[str, ...]]) -> Iterator[Record]:
        ctx = self.ctx
        number = _number(inv.get("InvoiceNumber")) or "unknown"
        pdf_keys = [k for k, v in inv.items() if "pdf" in k.lower() and isinstance(v, str)]
        lines = [ln for ln in inv.get("Invoice_InvoiceLine") or [] if isinstance(ln, dict)]
        header = {k: v for k, v in inv.items() if k != "Invoice_InvoiceLine" and k not in pdf_keys}
        if self.include_pdf:
            pdf = self._pdf(inv, pdf_keys)
            if pdf:
                filename = f"silvasoft-invoice-{number}.pdf"
                header["pdf_attachment"] = ctx.attach("invoices", filename, pdf)
            else:
                ctx.note(f"silvasoft: no PDF came back for invoice {number}.")
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
    def _order_records(self, order: dict[str, Any], addresses: set[tuple[str, ...]],
                       window: date | None) -> Iterator[Record]:
        number = _number(order.get("OrderNumber")) or "unknown"
        params: dict[str, Any] = {"DateFrom": _ddmmyyyy(window)} if window else {}
        endpoint = self._endpoint("listorders/", params)
        lines = [ln for ln in order.get("Order_Orderline") or [] if isinstance(ln, dict)]
        header = {k: v for k, v in order.items() if k != "Order_Orderline"}
        yield from self._document_records(_ORDER, order, header, lines, number, endpoint, addresses)

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


def _is_rate_limit(response: requests.Response) -> bool:
    return response.status_code == 401 and "ratelimit" in response.text.lower().replace(" ", "")


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(SilvasoftConnector)
