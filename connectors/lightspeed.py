"""Lightspeed eCom: the webshop itself (customers, addresses, orders, shipments, invoices, reviews, tickets,
newsletter). It is the hub: the identifiers it finds (customer id, order numbers, invoice numbers, PayPal
transaction ids in payment data) are offered to the other connectors as soon as they are listed."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

import requests

from aggregator.connector import Connector, Record
from aggregator.errors import VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, MinInterval, RetryPolicy, Sleep, VendorSession
from aggregator.identifiers import CUSTOMER_ID, INVOICE_NUMBER, ORDER_NUMBER, PAYPAL_TRANSACTION_ID
from aggregator.paging import PageGuard

PAGE_LIMIT = 250            # the API's maximum page size
MAX_429_WAIT = 330.0        # the 5-minute window (+ margin); an exhausted hour or day window fails the connector
MAX_PAGES = 400             # 100,000 items of one list for one customer: far beyond any real shop
ADDRESS_FIELDS = ("Company", "Name", "Street", "Street2", "Number", "Extension", "Zipcode", "City", "Region",
                  "Country")
CONTACT_FIELDS = ("email", "gender", "birthDate", "nationalId", "firstname", "middlename", "lastname", "phone",
                  "mobile", "isCompany", "companyName", "companyCoCNumber", "companyVatNumber")
ACCOUNT_FIELDS = ("id", "createdAt", "updatedAt", "isConfirmed", "type", "lastOnlineAt", "referralId", "memo",
                  "doNotifyRegistered", "doNotifyConfirmed", "doNotifyPassword", "language")
PAYMENT_FIELDS = ("number", "createdAt", "paymentId", "paymentTitle", "paymentStatus", "paymentData", "priceExcl",
                  "priceIncl", "paymentPriceIncl", "paymentIsInvoiceExternal")
# PayPal transaction and capture ids: 17 upper-case letters and digits.
PAYPAL_ID = re.compile(r"^[0-9A-Z]{17}$")


@dataclass
class RateLimitHeaders:
    """Paces requests on Lightspeed's ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (one value per window:
    5 min / hour / day; reset in seconds). When a window runs low, requests are spread over what is left of
    it, so the budget is never exhausted and no 429 is provoked."""

    reserve: float = 0.05           # start pacing when less than this share of a window is left …
    reserve_min: int = 10           # … or fewer than this many requests
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.monotonic
    waits: list[float] = field(default_factory=list)
    _last: float | None = None       # when the previous request was let through
    _interval: float = 0.0           # spacing the latest headers ask for
    _blocked_until: float = 0.0      # an exhausted window: nothing before its reset
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
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

    def observe(self, response: requests.Response) -> None:
        parsed = _windows(response)
        if not parsed:
            return
        now = self.clock()
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
    if isinstance(value, dict):
        for v in value.values():
            yield from _paypal_ids(v)
    elif isinstance(value, list):
        for v in value:
            yield from _paypal_ids(v)
    elif isinstance(value, str) and PAYPAL_ID.match(value):
        yield value


def _rid(obj: Any) -> str | None:
    try:
        rid = obj["resource"]["id"]
    except (KeyError, TypeError):
        return None
    return None if rid in (None, False) else str(rid)


class Lightspeed(Connector):
    name = "lightspeed"
    processor = "lightspeed"
    categories = ("contact", "addresses", "account", "technical", "orders", "payments", "shipments", "invoices",
                  "feedback", "communications", "marketing")
    required_settings = ("base_url", "api_key", "api_secret")
    secret_settings = ("api_key", "api_secret")
    numeric_settings = ("timeout", "requests_per_second", "concurrency")
    provides = (CUSTOMER_ID, ORDER_NUMBER, INVOICE_NUMBER, PAYPAL_TRANSACTION_ID)
    description = "Lightspeed eCom REST API (customers, orders, shipments, invoices, reviews, tickets, newsletter)"

    def collect(self) -> Iterator[Record]:
        s = self.settings
        base = str(s["base_url"]).rstrip("/") + "/"
        self.base = base
        self.prefix = "/" + base.split("://", 1)[-1].split("/", 1)[-1]   # "/nl/" (path part, for endpoints)
        self.pacer = RateLimitHeaders(sleep=self.ctx.sleep)
        rps = float(s.get("requests_per_second", 20))
        self.http: VendorSession = self.ctx.session(
            limits=Limits(concurrency=max(1, int(float(s.get("concurrency", 4)))),
                          limiters=(MinInterval(rps, sleep=self.ctx.sleep), self.pacer)),
            retry=RetryPolicy(classify=_retry_429, max_wait=MAX_429_WAIT, deadline=2 * MAX_429_WAIT),
        )
        self.http.auth = (str(s["api_key"]), str(s["api_secret"]))
        addresses: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
        try:
            # A shopper may have several accounts under one address (a guest and a registered one). Their
            # orders and invoices are listed first, for all of them, so the identifiers reach PayPal and
            # Silvasoft before the slow part (order lines) starts.
            customers = [c for c in self._list("customers", "customers", email=self.ctx.subject.email)
                         if self.ctx.subject.matches(c.get("email"))]
            listed = [(c, *self._orders_and_invoices(c)) for c in customers]
        finally:
            self.ctx.done_offering(*self.provides)
        for customer, orders, invoices in listed:
            yield from self._customer(customer, orders, invoices, addresses)
        for addr, used in addresses.items():
            yield self.ctx.record("addresses", "address", {**dict(addr), "used_for": used["used_for"]},
                                  endpoint=used["endpoint"])
        yield from self._subscriptions()
        if self.pacer.waits:
            self.ctx.note(f"paced {len(self.pacer.waits)} request(s) to stay within Lightspeed's rate limit "
                          f"({sum(self.pacer.waits):.1f} s in all)")

    # ------------------------------------------------------------------ HTTP
    def _endpoint(self, path: str, params: dict[str, Any]) -> str:
        query = {k: v for k, v in params.items() if k not in ("page", "limit")}
        return f"GET {self.prefix}{path}.json" + (f"?{urlencode(query)}" if query else "")

    def _get(self, path: str, **params: Any) -> Any:
        return self.http.get_json(urljoin(self.base, f"{path}.json"), params=params or None)

    def _list(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list resource: ``page`` 1.. with ``limit=250`` until a short or empty page. A page
        that repeats the previous one, or more than MAX_PAGES pages, fails the connector instead of looping."""
        guard = PageGuard("lightspeed", self._endpoint(path, params), MAX_PAGES)
        page = 1
        while True:
            body = self._get(path, **params, page=page, limit=PAGE_LIMIT)
            items = body.get(key, []) if isinstance(body, dict) else []
            if not isinstance(items, list):   # Lightspeed answers an empty list as ``false`` on some resources
                items = []
            if items:
                guard.check([i.get("id") if isinstance(i, dict) else i for i in items])
            yield from self._owned(items, params.get("customer"), path)
            if len(items) < PAGE_LIMIT:
                return
            page += 1

    def _owned(self, items: list[Any], customer: object, path: str) -> list[Any]:
        """Items of a ``?customer=`` list that really link to that customer. The filter is the API's; should it
        ever be ignored, other customers' orders or reviews are withheld here rather than exported."""
        if customer is None:
            return items
        mine = [i for i in items if isinstance(i, dict) and _rid(i.get("customer")) == str(customer)]
        if len(mine) < len(items):
            self.ctx.note(f"lightspeed: {len(items) - len(mine)} item(s) of {path}.json that the API returned for "
                          f"customer {customer} belong to another customer and were left out.")
        return mine

    # ------------------------------------------------------------------ the customer and everything under it
    def _orders_and_invoices(self, c: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """List one customer's orders and invoices and offer what other connectors can use."""
        cid = str(c["id"])
        self.ctx.offer(CUSTOMER_ID, cid)
        orders = list(self._list("orders", "orders", customer=cid))
        for o in orders:
            self.ctx.offer(ORDER_NUMBER, o.get("number"), date=o.get("createdAt"), total=o.get("priceIncl"),
                           order_id=o.get("id"))
            for tx in _paypal_ids(o.get("paymentData")):
                self.ctx.offer(PAYPAL_TRANSACTION_ID, tx, date=o.get("createdAt"), order_number=o.get("number"))
        invoices = list(self._list("invoices", "invoices", customer=cid))
        for inv in invoices:
            self.ctx.offer(INVOICE_NUMBER, inv.get("number"), date=str(inv.get("createdAt", ""))[:10])
        return orders, invoices

    def _customer(self, c: dict[str, Any], orders: list[dict[str, Any]], invoices: list[dict[str, Any]],
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
        for m in self._list(mf, "customerMetafields"):
            yield rec("account", "customer_metafield", m, endpoint=self._endpoint(mf, {}), vendor_id=m.get("id"))
        for g in self._list("groups/customers", "groupsCustomers", customer=cid):
            yield rec("account", "customer_group", g, endpoint=self._endpoint("groups/customers", {"customer": cid}),
                      vendor_id=g.get("id"))

        orders_ep = self._endpoint("orders", {"customer": cid})
        by_id: dict[str, dict[str, Any]] = {}
        for o in orders:
            oid = str(o["id"])
            by_id[oid] = o
            yield rec("orders", "order", o, endpoint=orders_ep, vendor_id=o.get("number"))
            yield rec("payments", "order_payment", {k: o.get(k) for k in PAYMENT_FIELDS}, endpoint=orders_ep,
                      vendor_id=o.get("number"))
            yield rec("technical", "order_device", {"order": o.get("number"), "createdAt": o.get("createdAt"),
                                                    "remoteIp": o.get("remoteIp"), "userAgent": o.get("userAgent")},
                      endpoint=orders_ep, vendor_id=o.get("number"))
            self._remember_addresses(o, f"order {o.get('number')}", orders_ep, addresses)
        yield from self._order_lines(orders)

        shipments_ep = self._endpoint("shipments", {"customer": cid})
        for sh in self._list("shipments", "shipments", customer=cid):
            yield rec("shipments", "shipment", sh, endpoint=shipments_ep, vendor_id=sh.get("number"))
            order = by_id.get(_rid(sh.get("order")) or "")
            if order is not None:
                yield self.ctx.disclosure("transport", "shipments", "carrier_disclosure", {
                    "carrier": order.get("shipmentTitle"),
                    "carrier_method": (order.get("shipmentData") or {}).get("method")
                    if isinstance(order.get("shipmentData"), dict) else None,
                    "shared_on": sh.get("createdAt"),
                    "order": order.get("number"),
                    "shipment": sh.get("number"),
                    "trackingCode": sh.get("trackingCode"),
                    "recipient": _address(order, "Shipping"),
                    "phone": order.get("phone") or order.get("mobile") or None,
                    "email": order.get("email"),
                }, endpoint=shipments_ep, vendor_id=sh.get("number"))

        invoices_ep = self._endpoint("invoices", {"customer": cid})
        for inv in invoices:
            iid = str(inv["id"])
            items_path = f"invoices/{iid}/items"
            items = list(self._list(items_path, "invoiceItems"))
            yield rec("invoices", "invoice", {**inv, "items": items}, endpoint=invoices_ep, vendor_id=inv.get("number"))

        rv = self._endpoint("reviews", {"customer": cid})
        for r in self._list("reviews", "reviews", customer=cid):
            yield rec("feedback", "review", r, endpoint=rv, vendor_id=r.get("id"))

        tk = self._endpoint("tickets", {"customer": cid})
        for t in self._list("tickets", "tickets", customer=cid):
            path = f"tickets/{t['id']}/messages"
            messages = list(self._list(path, "ticketMessages"))
            yield rec("communications", "support_ticket", {**t, "messages": messages}, endpoint=tk, vendor_id=t["id"])

    def _order_lines(self, orders: list[dict[str, Any]]) -> Iterator[Record]:
        """``orders/{id}/products`` for every order, a few at a time (the session enforces the pace)."""

        def lines(o: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return o, list(self._list(f"orders/{o['id']}/products", "orderProducts"))

        workers = max(1, int(float(self.settings.get("concurrency", 4))))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lightspeed") as pool:
            for o, items in pool.map(lines, orders):
                ep = self._endpoint(f"orders/{o['id']}/products", {})
                for item in items:
                    yield self.ctx.record("orders", "order_line", {"order": o.get("number"), **item}, endpoint=ep,
                                          vendor_id=item.get("id"))

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

    def _subscriptions(self) -> Iterator[Record]:
        """Newsletter subscriptions by e-mail. The ``email`` filter is undocumented, so every item is re-checked;
        were the filter ignored, this still finds the subject by reading every page."""
        email = self.ctx.subject.email
        ep = self._endpoint("subscriptions", {"email": email})
        for sub in self._list("subscriptions", "subscriptions", email=email):
            if self.ctx.subject.matches(sub.get("email")):
                yield self.ctx.record("marketing", "newsletter_subscription", sub, endpoint=ep, vendor_id=sub.get("id"))


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(Lightspeed)
