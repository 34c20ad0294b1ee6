"""Lightspeed eCom: the webshop itself (customers, addresses, orders and their events, shipments, invoices, their
metafields, returns, quotes, reviews, tickets, newsletter, contact-form messages, blog comments). It is the hub: the
identifiers it finds (customer id, order numbers, invoice numbers, PayPal transaction and order ids in payment data)
are offered to the other connectors as soon as they are listed.

Contact-form messages (``contacts.json``) and blog comments (``blogs/comments.json``) have no filter: every page is
read and the subject's are kept by e-mail address, at most ``scan_pages`` pages each (a capped read ends
incomplete), and the coverage says how many were read."""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from aggregator.ahead import SentAhead
from aggregator.connector import Connector, Record
from aggregator.errors import ConfigError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, RetryPolicy, Sleep, VendorSession, answered_per_second
from aggregator.identifiers import CUSTOMER_ID, INVOICE_NUMBER, ORDER_NUMBER, PAYPAL_TRANSACTION_ID
from aggregator.paging import PageGuard, PageNumberPaginator, Parked, ParkedMap, fan_out, items_at, pages
from aggregator.settings import Setting
from connectors.lightspeed_datasets import CUSTOMER, CUSTOMER_ACCOUNT, DATASETS, ORDER_PAYMENT

PAGE_LIMIT = 250            # the API's maximum page size
PAGING = PageNumberPaginator(PAGE_LIMIT)     # every list: page=1, 2 … until a short page
MAX_429_WAIT = 330.0        # the 5-minute window (+ margin); an exhausted hour or day window fails the connector
AHEAD_ORDERS = 20           # orders whose lines are sent ahead while the orders are spooled: a second at 20/s
AHEAD_WORKERS = 2           # threads sending first pages ahead (see Lightspeed._send_ahead), within concurrency
MAX_PAGES = 400             # 100,000 items of one list for one customer: far beyond any real shop
MAX_SWEEP_PAGES = 4000      # a read-and-match list (contact form, blog comments) longer than 1,000,000 items: a fault
ADDRESS_FIELDS = ("Company", "Name", "Street", "Street2", "Number", "Extension", "Zipcode", "City", "Region",
                  "Country")
# The keys the customer, account and payment records take from a customer or an order: their declarations.
CONTACT_FIELDS, ACCOUNT_FIELDS, PAYMENT_FIELDS = (tuple(p for p in d.fields if "." not in p)
                                                  for d in (CUSTOMER, CUSTOMER_ACCOUNT, ORDER_PAYMENT))
# PayPal transaction and capture ids: 17 upper-case letters and digits.
PAYPAL_ID = re.compile(r"^[0-9A-Z]{17}$")
LANGUAGE_PATH = re.compile(r"https://[^?#]+/[a-z]{2}/?")   # every resource lives under the shop's language


@dataclass
class RateLimitHeaders:
    """Paces requests on Lightspeed's ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (one value per window:
    5 min / hour / day; reset in seconds). When a window runs low, requests are spread over what is left of
    it, so the budget is never exhausted and no 429 is provoked. Time is the clock, or the end of the last wait
    when that is later: a sleep that returns at once (a test's fake) still moves the pacer on, so the pacing
    stays right across windows instead of queueing every later request behind the earlier waits."""

    reserve: float = 0.05           # start pacing when less than this share of a window is left …
    reserve_min: int = 10           # … or fewer than this many requests
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.monotonic
    waits: list[float] = field(default_factory=list)
    _last: float | None = None       # when the previous request was let through
    _interval: float = 0.0           # spacing the latest headers ask for
    _blocked_until: float = 0.0      # an exhausted window: nothing before its reset
    _slept_to: float = 0.0           # the end of the latest wait (time has reached it, whatever the clock says)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> float:
        return max(self.clock(), self._slept_to)

    def acquire(self) -> None:
        """Wait, if the newest rate-limit headers ask for it, until this request may go out."""
        with self._lock:
            now = self._now()
            slot = max(now, self._blocked_until)
            if self._last is not None:
                slot = max(slot, self._last + self._interval)
            if slot - now > MAX_429_WAIT:
                raise VendorError(f"lightspeed: the API's hourly or daily request limit is used up for another "
                                  f"{(slot - now) / 60:.0f} min; try again later")
            self._last = slot
        if slot > now:
            self.waits.append(slot - now)
            self.sleep(slot - now)
            with self._lock:
                self._slept_to = max(self._slept_to, slot)

    def observe(self, response: requests.Response) -> None:
        """Learn the remaining budget of every window from an answer's ``X-RateLimit-*`` headers."""
        parsed = _windows(response)
        if not parsed:
            return
        with self._lock:
            now = self._now()
        interval, blocked = 0.0, 0.0
        for limit, remaining, reset in parsed:
            if remaining <= 0:
                blocked = max(blocked, now + reset)
            elif remaining < max(self.reserve_min, limit * self.reserve):
                interval = max(interval, reset / remaining)
        with self._lock:   # the newest answer rules: the next request already keeps to it
            self._interval = interval
            self._blocked_until = blocked


def _windows(response: requests.Response) -> list[tuple[int, int, int]]:
    try:
        parts = [response.headers[h].split("/") for h in
                 ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")]
        return [(int(a), int(b), int(c)) for a, b, c in zip(*parts, strict=True)]
    except (KeyError, ValueError):
        return []


def _retry_429(response: requests.Response) -> float | bool | None:
    """A 429 has no Retry-After at Lightspeed: wait until the exhausted window resets, unless that is the hour
    or day window (longer than MAX_429_WAIT): then fail now, with the reason, rather than stall the export."""
    if response.status_code != 429:
        return None
    exhausted = [reset for _, remaining, reset in _windows(response) if remaining <= 0]
    if not exhausted:
        return 0.0
    wait = float(max(exhausted))
    return wait if wait <= MAX_429_WAIT else False


def _address(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    addr = {f[0].lower() + f[1:]: obj.get(f"address{kind}{f}") for f in ADDRESS_FIELDS}
    country = addr.get("country")
    if isinstance(country, dict):
        addr["country"] = str(country.get("code") or "").upper() or country.get("title")
    if not any(v for k, v in addr.items() if k != "country"):
        return None
    return {k: v for k, v in addr.items() if v not in (None, "", False)}


def _paypal_ids(value: Any) -> Iterator[str]:
    """Any PayPal-shaped id anywhere in an order's paymentData (an object, an array or a string)."""
    if isinstance(value, dict | list):
        for v in value.values() if isinstance(value, dict) else value:
            yield from _paypal_ids(v)
    elif isinstance(value, str) and PAYPAL_ID.match(value):
        yield value


def _day_before_first(orders: Iterable[dict[str, Any]]) -> str | None:
    """A day before the earliest ``createdAt`` of ``orders`` (ISO 8601, its own offset); None when one is unreadable."""
    try:
        first = min(datetime.fromisoformat(str(o["createdAt"])) for o in orders)
    except (KeyError, ValueError, TypeError):
        return None
    return (first - timedelta(days=1)).isoformat()


def _ahead_key(path: str, params: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A GET as :class:`SentAhead` keys it: its path and its parameters as text, in order of name."""
    return path, tuple(sorted((k, str(v)) for k, v in params.items()))


def _last_page(body: Any) -> bool:
    """Whether a page sent ahead can be used: a full one has pages after it, and those are asked only when the
    list is due (at scale, long after), so its first page is asked again then: the pages of one list are read
    moments apart, as an item added or removed in between would shift them."""
    return not (isinstance(body, dict) and any(isinstance(v, list) and _full(v) for v in body.values()))


def _full(items: list[Any]) -> bool:
    """Whether a page of ``items`` has pages after it, by the lists' paginator."""
    return PAGING.advance(PAGING.first(), None, items) is not None


def _rid(obj: Any) -> str | None:
    try:
        rid = obj["resource"]["id"]
    except (KeyError, TypeError):
        return None
    return None if rid in (None, False) else str(rid)


class Lightspeed(Connector):
    """The webshop: customers, orders, shipments, invoices, reviews, tickets, returns, quotes and newsletter."""

    name = "lightspeed"
    processor = "lightspeed"
    categories = ("contact", "addresses", "account", "technical", "orders", "payments", "shipments", "invoices",
                  "feedback", "communications", "marketing")
    declared_settings = (
        Setting("base_url", "the shop's API address ending in its language, e.g. https://api.webshopapp.com/nl/",
                "url", required=True),
        Setting("api_key", "the API key, sent as the HTTP Basic user name", required=True, secret=True),
        Setting("api_secret", "the API secret, sent as the HTTP Basic password", required=True, secret=True),
        Setting("requests_per_second", "most requests per second; Lightspeed allows 20 per shop and key (0: no "
                "pacing)", "float", default=20.0, minimum=0, maximum=20),
        Setting("concurrency", "requests in flight at once (order lines, events and metafields, invoice items, "
                "ticket messages)", "int", default=4, minimum=1, maximum=10),
        Setting("metafields", "also read the extra details (metafields) apps store on each order, shipment and "
                "invoice: one request each, so off by default (a customer with 260 orders: some 524 more requests, "
                "about 9 minutes under the 300-per-5-minutes limit)", "bool", default=False),
        Setting("scan_pages", "a cap on the pages (250 each) of contact-form messages and of blog comments read to "
                "find the subject's (they have no filter; a capped read ends incomplete); 0: not read", "int",
                minimum=0, maximum=MAX_SWEEP_PAGES, example="no cap: every page"),
    )
    datasets = DATASETS
    provides = (CUSTOMER_ID, ORDER_NUMBER, INVOICE_NUMBER, PAYPAL_TRANSACTION_ID)
    description = ("Lightspeed eCom REST API (customers, orders and order events, shipments, invoices, metafields, "
                   "returns, quotes, reviews, tickets, newsletter, contact-form messages, blog comments)")

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """Every resource lives under the shop's language (``…/nl/``): a base URL without it reaches nothing."""
        if not LANGUAGE_PATH.fullmatch(settings["base_url"]):
            raise ConfigError("config: connectors.lightspeed.base_url must end in the shop's language and have no "
                              "query, e.g. https://api.webshopapp.com/nl/")

    def check_access(self) -> str:
        """``dsar check``: one authenticated ``GET shop.json``; the shop the key reaches."""
        http = self.ctx.session(retry=RetryPolicy(classify=_retry_429, max_wait=MAX_429_WAIT))
        http.auth = (self.settings["api_key"], self.settings["api_secret"])
        shop = http.get_json(self.settings["base_url"].rstrip("/") + "/shop.json")
        shop = shop.get("shop") if isinstance(shop, dict) else None
        if not isinstance(shop, dict):
            raise VendorError("lightspeed: unexpected reply from GET shop.json (no shop object)")
        return f"shop {shop.get('title') or shop.get('mainDomain') or '?'} (id {shop.get('id', '?')})"

    def collect(self) -> Iterator[Record]:
        """Every record Lightspeed holds about the subject, offering identifiers to the others as they are found."""
        s = self.settings
        self.base = s["base_url"].rstrip("/") + "/"
        self.prefix = urlsplit(self.base).path          # "/nl/" (the path part, for endpoints)
        self.pacer = RateLimitHeaders(sleep=self.ctx.sleep)
        self.http: VendorSession = self.ctx.session(
            limits=Limits(concurrency=s["concurrency"], limiters=(self.pacer,),
                          answered=answered_per_second(s["requests_per_second"], self.ctx.sleep)),
            retry=RetryPolicy(classify=_retry_429, max_wait=MAX_429_WAIT, deadline=2 * MAX_429_WAIT),
        )
        self.http.auth = (s["api_key"], s["api_secret"])
        self.ahead = SentAhead(AHEAD_WORKERS, name="lightspeed-ahead")    # first pages sent before they are due
        try:
            addresses: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
            with ExitStack() as parked:
                try:
                    # A shopper may have several accounts under one address (a guest and a registered one). Their
                    # orders and invoices are listed first, for all of them, so the identifiers reach PayPal and
                    # Silvasoft before the slow part (order lines) starts; the listings wait on disk, not in memory.
                    customers = self._list("customers", "customers", "customer accounts", email=self.ctx.subject.email)
                    self._send_ahead(customers)
                    listed = [(c, *(parked.enter_context(x) for x in self._orders_and_invoices(c))) for c in customers]
                finally:
                    self.ctx.done_offering(*self.provides)
                for customer, orders, invoices in listed:
                    yield from self._customer(customer, orders, invoices, addresses)
            for addr, used in addresses.items():
                yield self.ctx.record("addresses", "address", {**dict(addr), "used_for": used["used_for"]},
                                      endpoint=used["endpoint"])
            email = self.ctx.subject.email            # an undocumented filter: _list re-checks every item
            for sub in self._list("subscriptions", "subscriptions", "newsletter subscriptions", email=email):
                yield self.ctx.record("marketing", "newsletter_subscription", sub, vendor_id=sub.get("id"),
                                      endpoint=self._endpoint("subscriptions", {"email": email}))
            for m in self._sweep("contacts", ("contacts",), "contact-form messages"):
                yield self.ctx.record("communications", "contact_message", m, vendor_id=m.get("id"),
                                      endpoint=self._endpoint("contacts", {}))
            for c in self._sweep("blogs/comments", ("blogsComments", "blogComments"), "blog comments"):
                yield self.ctx.record("feedback", "blog_comment", c, vendor_id=c.get("id"),
                                      endpoint=self._endpoint("blogs/comments", {}))
            if self.pacer.waits:
                self.ctx.note(f"paced {len(self.pacer.waits)} request(s) to stay within Lightspeed's rate limit "
                              f"({sum(self.pacer.waits):.1f} s in all)")
        finally:
            self.ctx.halt()         # a call sent ahead still waiting (a 429's minutes) ends now, not when it would
            self.ahead.close()

    # ------------------------------------------------------------------ HTTP
    def _endpoint(self, path: str, params: dict[str, Any]) -> str:
        query = {k: v for k, v in params.items() if k not in ("page", "limit")}
        return f"GET {self.prefix}{path}.json" + (f"?{urlencode(query)}" if query else "")

    def _get(self, path: str, **params: Any) -> Any:
        """GET ``path`` (its answer taken from :attr:`ahead` when it was sent ahead)."""
        return self.ahead.take(_ahead_key(path, params), lambda: self._fetch(path, params), usable=_last_page)

    def _fetch(self, path: str, params: dict[str, Any]) -> Any:
        return self.http.get_json(urljoin(self.base, f"{path}.json"), params=params or None)

    def _send_ahead(self, customers: list[dict[str, Any]]) -> None:
        """Send now the first page of the short lists asked for later whatever the answers before it say: each
        customer's invoices (listed beside the orders), extra details, groups, reviews, returns, quotes and tickets,
        and the newsletter subscriptions. They fill the rate window while the orders are listed and parsed, and no
        longer follow one another at the end. A page sent ahead is used only if it is the list's last (see
        :func:`_last_page`); the long lists (shipments, the contact form, blog comments) are not sent ahead."""
        calls: list[tuple[str, dict[str, Any]]] = []
        for c in customers:
            cid = str(c["id"])
            calls += [("invoices", {"customer": cid}), (f"customers/{cid}/metafields", {}),
                      ("groups/customers", {"customer": cid})]
            calls += [(path, {"customer": cid}) for path in ("reviews", "returns", "quotes", "tickets")]
        calls.append(("subscriptions", {"email": self.ctx.subject.email}))
        for path, params in calls:
            self._send_ahead_page(path, params)

    def _send_ahead_each(self, parents: Iterable[dict[str, Any]], path: str) -> None:
        """Send now the first page of ``path.format(id=…)`` for each of ``parents`` (as :meth:`_each` will ask)."""
        for parent in parents:
            if isinstance(parent, dict) and "id" in parent:     # one without fails where _each asks for it
                self._send_ahead_page(path.format(id=parent["id"]), {})

    def _send_ahead_page(self, path: str, params: dict[str, Any]) -> None:
        """Send now the first page of ``path`` with ``params``, as :meth:`_pages` will ask for it."""
        params = {**params, **PAGING.first()}
        self.ahead.send(_ahead_key(path, params), lambda: self._fetch(path, params))

    def _list(self, path: str, key: str, what: str | None = None, *, report: bool = True, **params: Any) -> list[Any]:
        """Every item of a list resource, in memory (for the short lists: customers, tickets, quotes …)."""
        return list(self._items(path, key, what, report=report, **params))

    def _items(self, path: str, key: str, what: str | None = None, *, report: bool = True,
               **params: Any) -> Iterator[Any]:
        """Every item of a list resource as its page arrives (see :meth:`_pages`)."""
        for page in self._pages(path, key, what, report=report, **params):
            yield from page

    def _pages(self, path: str, key: str, what: str | None = None, *, report: bool = True,
               **params: Any) -> Iterator[list[Any]]:
        """Every page of a list resource as it arrives, as a list of the subject's items on it (``page`` 1.. with
        ``limit=250``, Lightspeed's ``false`` for none); with ``what`` (and ``report``), one coverage line once the
        last page is read. The ``customer``, ``order`` and ``email`` filters are the API's (``email`` on
        subscriptions is undocumented): should one ever be ignored, other people's items are withheld here."""
        where = self._endpoint(path, params)
        guard = PageGuard("lightspeed", where, MAX_PAGES)
        scope, why = "", ""
        belongs: Callable[[Any], bool] | None = None
        if "customer" in params:
            cid, scope = str(params["customer"]), f" for customer {params['customer']}"
            belongs, why = (lambda i: isinstance(i, dict) and _rid(i.get("customer")) == cid,
                            "they link to another customer")
        elif "order" in params:
            oid, scope = str(params["order"]), f" for order {params['order']}"
            belongs, why = lambda i: isinstance(i, dict) and _rid(i.get("order")) == oid, "they link to another order"
        elif "email" in params:
            scope = " for the subject's e-mail address"
            belongs, why = (lambda i: isinstance(i, dict) and self.ctx.subject.matches(i.get("email")),
                            "their e-mail address is another one")
        kept = withheld = 0
        for page in pages(lambda token: self._get(path, **params, **token), PAGING,
                          lambda body: items_at(body, key, "lightspeed", where, empty=(False,)), guard):
            mine = [item for item in page if belongs is None or belongs(item)]
            kept += len(mine)
            withheld += len(page) - len(mine)
            yield mine
        self.ctx.withheld(withheld, f"{what} the API returned{scope}", why)
        if what is not None and report:
            self.ctx.covered(f"{what}{scope}: all {kept} ({guard.pages} page{'s' * (guard.pages != 1)})")

    def _each(self, parents: Iterable[dict[str, Any]], path: str, key: str, what: str,
              of: str, by: str | None = None, items: str = "items") -> Iterator[tuple[dict[str, Any], list[Any]]]:
        """The list ``path.format(id=…)`` of every parent (or ``path?{by}={id}``, whose ``items`` are re-checked
        against that filter), a few at a time, in order; one coverage line for all."""
        def fetch(parent: dict[str, Any]) -> list[Any]:
            if by is None:
                return self._list(path.format(id=parent["id"]), key)
            return self._list(path, key, items, report=False, **{by: str(parent["id"])})

        count = parents_seen = 0
        for parent, found in fan_out(fetch, parents, workers=self.settings["concurrency"], name="lightspeed"):
            count += len(found)
            parents_seen += 1
            yield parent, found
        self.ctx.covered(f"{what}: all {count}, from all {parents_seen} {of}")

    def _sweep(self, path: str, keys: tuple[str, ...], what: str) -> list[dict[str, Any]]:
        """Read a list that has no filter page by page (at most ``scan_pages``) and keep the subject's items by
        e-mail address; the coverage says how much was read, a capped read is cut short."""
        cap = self.settings["scan_pages"]
        where = self._endpoint(path, {})
        if cap == 0:
            self.ctx.cut_short(f"{what} were not read (scan_pages = 0)")
            return []
        cap = cap or MAX_SWEEP_PAGES
        guard = PageGuard("lightspeed", where, cap + 1)

        def records(body: Any) -> list[Any]:
            key = next((k for k in keys if isinstance(body, dict) and k in body), keys[0])   # name unverified
            return items_at(body, key, "lightspeed", where, empty=(False,))

        read, mine, full = 0, [], False
        for page in pages(lambda token: self._get(path, **token), PAGING, records, guard):
            read += len(page)
            mine += [i for i in page if isinstance(i, dict) and self.ctx.subject.matches(i.get("email"))]
            full = _full(page)
            if guard.pages == cap:
                break
        n = guard.pages
        if guard.pages == cap and full:
            self.ctx.covered(f"{what} (no filter, read and matched by e-mail address): the first {read} ({n} "
                             f"page{'s' * (n != 1)}), {len(mine)} the subject's")
            self.ctx.cut_short(f"{what} beyond the first {read} were not read (scan_pages = {cap}; leave it unset "
                               "to read every page)")
        else:
            self.ctx.covered(f"{what} (no filter, read and matched by e-mail address): all {read} ({n} "
                             f"page{'s' * (n != 1)}), {len(mine)} the subject's")
        return mine

    # ------------------------------------------------------------------ the customer and everything under it
    def _orders_and_invoices(self, c: dict[str, Any]) -> tuple[Parked, Parked]:
        """List one customer's orders and invoices, offering what other connectors can use as each page arrives;
        the listings are parked on disk until they are read back one at a time."""
        cid = str(c["id"])
        self.ctx.offer(CUSTOMER_ID, cid)
        orders, invoices = Parked(), Parked()
        try:
            for page in self._pages("orders", "orders", "orders", customer=cid):
                with self.ctx.offering() as offer:          # a page's identifiers at once
                    for o in page:
                        offer(ORDER_NUMBER, o.get("number"), date=o.get("createdAt"), total=o.get("priceIncl"),
                              order_id=o.get("id"))
                        for tx in _paypal_ids(o.get("paymentData")):
                            offer(PAYPAL_TRANSACTION_ID, tx, date=o.get("createdAt"), order_number=o.get("number"))
                for o in page:
                    orders.append(o)
            for page in self._pages("invoices", "invoices", "invoices", customer=cid):
                with self.ctx.offering() as offer:
                    for inv in page:
                        offer(INVOICE_NUMBER, inv.get("number"), date=str(inv.get("createdAt", ""))[:10])
                for inv in page:
                    invoices.append(inv)
        except BaseException:
            orders.close()
            invoices.close()
            raise
        return orders, invoices

    def _customer(self, c: dict[str, Any], orders: Parked, invoices: Parked,
                  addresses: dict[Any, dict[str, Any]]) -> Iterator[Record]:
        cid = str(c["id"])
        rec = self.ctx.record
        ep = self._endpoint("customers", {"email": self.ctx.subject.email})
        yield rec("contact", "customer", {k: c.get(k) for k in CONTACT_FIELDS if k in c}, endpoint=ep, vendor_id=cid)
        yield rec("account", "customer_account", {k: c.get(k) for k in ACCOUNT_FIELDS if k in c}, endpoint=ep,
                  vendor_id=cid)
        yield rec("technical", "customer_device", {"remoteIp": c.get("remoteIp"), "userAgent": c.get("userAgent"),
                                                   "lastOnlineAt": c.get("lastOnlineAt")}, endpoint=ep, vendor_id=cid)
        self._remember_addresses(c, f"customer account {cid}", ep, addresses)

        mf = f"customers/{cid}/metafields"
        for m in self._list(mf, "customerMetafields", f"extra details (metafields) for customer {cid}"):
            yield rec("account", "customer_metafield", m, endpoint=self._endpoint(mf, {}), vendor_id=m.get("id"))
        for g in self._list("groups/customers", "groupsCustomers", "customer group memberships", customer=cid):
            yield rec("account", "customer_group", g, endpoint=self._endpoint("groups/customers", {"customer": cid}),
                      vendor_id=g.get("id"))

        orders_ep = self._endpoint("orders", {"customer": cid})
        carriers = _Carriers()           # what each order passed to its carrier, for the shipments below
        # the first orders' lines go ahead while the orders themselves are spooled (a customer with hundreds of
        # orders: seconds on a busy machine, with the rate window otherwise idle)
        self._send_ahead_each(itertools.islice(orders, AHEAD_ORDERS), "orders/{id}/products")
        for o in orders:
            carriers.add(o)
            yield rec("orders", "order", o, endpoint=orders_ep, vendor_id=o.get("number"))
            yield rec("payments", "order_payment", {k: o.get(k) for k in PAYMENT_FIELDS}, endpoint=orders_ep,
                      vendor_id=o.get("number"))
            yield rec("technical", "order_device", {"order": o.get("number"), "createdAt": o.get("createdAt"),
                                                    "remoteIp": o.get("remoteIp"), "userAgent": o.get("userAgent")},
                      endpoint=orders_ep, vendor_id=o.get("number"))
            self._remember_addresses(o, f"order {o.get('number')}", orders_ep, addresses)
        for o, items in self._each(orders, "orders/{id}/products", "orderProducts", f"order lines for customer {cid}",
                                   "orders"):
            ep = self._endpoint(f"orders/{o['id']}/products", {})
            for item in items:
                yield rec("orders", "order_line", {"order": o.get("number"), **item}, endpoint=ep,
                          vendor_id=item.get("id"))
        yield from self._order_history(orders, cid)

        if self.settings["metafields"]:
            with Parked() as shipments:     # only their ids and numbers, for the metafields (on disk)
                yield from self._shipments(cid, carriers, shipments)
                yield from self._metafields(shipments, "shipments", "shipmentMetafields", "shipment", "shipments",
                                            cid)
        else:
            yield from self._shipments(cid, carriers, None)

        invoices_ep = self._endpoint("invoices", {"customer": cid})
        for inv, items in self._each(invoices, "invoices/{id}/items", "invoiceItems",
                                     f"invoice items for customer {cid}", "invoices"):
            yield rec("invoices", "invoice", {**inv, "items": items}, endpoint=invoices_ep, vendor_id=inv.get("number"))
        if self.settings["metafields"]:
            yield from self._metafields(invoices, "invoices", "invoiceMetafields", "invoice", "invoices", cid)

        rv = self._endpoint("reviews", {"customer": cid})
        for r in self._list("reviews", "reviews", "reviews", customer=cid):
            yield rec("feedback", "review", r, endpoint=rv, vendor_id=r.get("id"))

        rt = self._endpoint("returns", {"customer": cid})
        for r in self._list("returns", "returns", "returns", customer=cid):
            yield rec("orders", "return", r, endpoint=rt, vendor_id=r.get("id"))

        qt = self._endpoint("quotes", {"customer": cid})
        quotes = self._list("quotes", "quotes", "quotes (saved carts)", customer=cid)
        for q, lines in self._each(quotes, "quotes/{id}/products", "quoteProducts",
                                   f"quote lines for customer {cid}", "quotes"):
            yield rec("orders", "quote", {**q, "products": lines}, endpoint=qt, vendor_id=q.get("id"))

        tk = self._endpoint("tickets", {"customer": cid})
        tickets = self._list("tickets", "tickets", "support tickets", customer=cid)
        for t, messages in self._each(tickets, "tickets/{id}/messages", "ticketMessages",
                                      f"support ticket messages for customer {cid}", "support tickets"):
            yield rec("communications", "support_ticket", {**t, "messages": messages}, endpoint=tk, vendor_id=t["id"])

    def _shipments(self, cid: str, carriers: _Carriers, kept: Parked | None) -> Iterator[Record]:
        """The customer's shipments as they are listed, each with what its order passed to the carrier; with
        ``metafields``, their ids and numbers are kept in ``kept``."""
        rec = self.ctx.record
        shipments_ep = self._endpoint("shipments", {"customer": cid})
        for sh in self._items("shipments", "shipments", "shipments", customer=cid):
            yield rec("shipments", "shipment", sh, endpoint=shipments_ep, vendor_id=sh.get("number"))
            if kept is not None:
                kept.append({"id": sh.get("id"), "number": sh.get("number")})
            order = carriers.of(_rid(sh.get("order")) or "")
            if order is not None:
                yield self.ctx.disclosure("transport", "shipments", "carrier_disclosure", {
                    "carrier": order["carrier"],
                    "carrier_method": order["carrier_method"],
                    "shared_on": sh.get("createdAt"),
                    "order": order["order"],
                    "shipment": sh.get("number"),
                    "trackingCode": sh.get("trackingCode"),
                    "recipient": order["recipient"],
                    "phone": order["phone"],
                    "email": order["email"],
                }, endpoint=shipments_ep, vendor_id=sh.get("number"))
        carriers.close()

    def _order_history(self, orders: Parked, cid: str) -> Iterator[Record]:
        """The orders' events and (with ``metafields``) their metafields."""
        for o, events, ep in self._order_events(orders, cid):
            for ev in events:
                # A staff-only event is the shop's internal comment: its own dataset, whose text is declared
                # INTERNAL, so the masking stage decides (and logs) what happens to it. Only an event the vendor
                # marks visible (isVisible true) counts as shown to the customer: a missing or odd flag never
                # lets a staff comment through as an ordinary event.
                dataset = "order_event" if ev.get("isVisible") is True else "order_staff_comment"
                yield self.ctx.record("orders", dataset, {"orderNumber": o.get("number"), **ev}, endpoint=ep,
                                      vendor_id=ev.get("id"))
        if self.settings["metafields"]:
            yield from self._metafields(orders, "orders", "orderMetafields", "order", "orders", cid)
        elif orders:
            self.ctx.note(f"the extra details (metafields) apps may store on the {len(orders)} orders, their shipments "
                          f"and invoices of customer {cid} were not read (setting metafields is off: one request each)")

    def _order_events(self, orders: Parked, cid: str) -> Iterator[tuple[dict[str, Any], list[Any], str]]:
        """Each order's events (``orders/events.json``), by the cheaper of two routes: one request per order
        (``?order=``), or every event of the shop from a day before the customer's first order
        (``?created_at_min=``, counted first with ``orders/events/count.json``) matched by order. Without a usable
        count (or a first order date) it is one request per order."""
        what = f"order events for customer {cid}"
        if not orders:
            self.ctx.covered(f"{what}: all 0, from all 0 orders")
            return
        since = _day_before_first(orders)
        count: Any = None
        if since is not None:
            try:
                counted = self._get("orders/events/count", created_at_min=since)
                count = counted.get("count") if isinstance(counted, dict) else None
            except VendorError as exc:       # no count: the per-order route still finds everything
                self.ctx.note(f"order events counted per order instead ({exc})")
        pages_needed = math.ceil(count / PAGE_LIMIT) if isinstance(count, int) and not isinstance(count, bool) else None
        if since is None or pages_needed is None or pages_needed + 1 >= len(orders) or pages_needed >= MAX_PAGES:
            for o, events in self._each(orders, "orders/events", "ordersEvents", what, "orders", by="order",
                                        items="order events"):
                yield o, events, self._endpoint("orders/events", {"order": o["id"]})
            return
        # The shop's events stream past; only the customer's orders' are kept, each as it comes.
        numbers = ParkedMap()       # order id -> its number (JSON): one per order of the customer, so on disk
        numbers.update((str(o["id"]), json.dumps(o.get("number"))) for o in orders)
        ep = self._endpoint("orders/events", {"created_at_min": since})
        shop = mine = 0
        with closing(numbers):
            for ev in self._items("orders/events", "ordersEvents", created_at_min=since):
                shop += 1
                oid = _rid(ev.get("order") if isinstance(ev, dict) else None) or ""
                number = numbers.get(oid)
                if number is not None:
                    mine += 1
                    yield {"id": oid, "number": json.loads(number)}, [ev], ep
        self.ctx.covered(f"{what}: all {mine}, from all {len(orders)} orders, matched by order among all {shop} "
                         f"events of the shop since {since}")

    def _metafields(self, parents: Iterable[dict[str, Any]], resource: str, key: str, kind: str, category: str,
                    cid: str) -> Iterator[Record]:
        """What apps stored on each order, shipment or invoice (``{resource}/{id}/metafields``)."""
        for parent, fields in self._each(parents, f"{resource}/{{id}}/metafields", key,
                                         f"extra details (metafields) of the {resource} of customer {cid}", resource):
            ep = self._endpoint(f"{resource}/{parent['id']}/metafields", {})
            for m in fields:
                yield self.ctx.record(category, f"{kind}_metafield", {"parent": parent.get("number"), **m},
                                      endpoint=ep, vendor_id=m.get("id"))

    def _remember_addresses(self, obj: dict[str, Any], used_for: str, endpoint: str,
                            addresses: dict[Any, dict[str, Any]]) -> None:
        for kind in ("Billing", "Shipping"):
            addr = _address(obj, kind)
            if addr is None:
                continue
            key = tuple(sorted(addr.items()))
            entry = addresses.setdefault(key, {"used_for": [], "endpoint": endpoint})
            label = f"{kind.lower()} address of {used_for}"
            if label not in entry["used_for"]:
                entry["used_for"].append(label)


class _Carriers:
    """What each order passed to its carrier (name, method, recipient, phone, e-mail), by order id, for the
    shipments' disclosure records; repeated facts (one address, one carrier) are kept once, in memory, and which
    order had which (one entry per order of the customer) on disk."""

    def __init__(self) -> None:
        self._by_id = ParkedMap()                      # order id -> JSON [order number, index in _facts]
        self._facts: list[dict[str, Any]] = []
        self._shared: dict[str, int] = {}              # the facts' JSON -> their index in _facts

    def add(self, order: dict[str, Any]) -> None:
        """Remember what ``order`` tells its carrier."""
        shipment = order.get("shipmentData")
        facts = {"carrier": order.get("shipmentTitle"),
                 "carrier_method": shipment.get("method") if isinstance(shipment, dict) else None,
                 "recipient": _address(order, "Shipping"),
                 "phone": order.get("phone") or order.get("mobile") or None,
                 "email": order.get("email")}
        key = json.dumps(facts, sort_keys=True, default=str)
        index = self._shared.setdefault(key, len(self._facts))
        if index == len(self._facts):
            self._facts.append(facts)
        self._by_id.update([(str(order["id"]), json.dumps([order.get("number"), index], default=str))])

    def of(self, order_id: str) -> dict[str, Any] | None:
        """The carrier facts of order ``order_id`` (with its number under ``order``), or None."""
        found = self._by_id.get(order_id)
        if found is None:
            return None
        number, index = json.loads(found)
        facts = self._facts[index]
        recipient = facts["recipient"]
        return {"order": number, **facts, "recipient": dict(recipient) if recipient else recipient}

    def close(self) -> None:
        """Forget them all (the map on disk goes with them)."""
        self._by_id.close()
        self._facts.clear()
        self._shared.clear()


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register the Lightspeed connector."""
    register(Lightspeed)
