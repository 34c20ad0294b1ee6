"""Lightspeed eCom (C-Series) as the sandbox serves it: ``/{lang}/<resource>.json``, HTTP Basic (API key as user,
secret as password), lists in a plural key, ``page``/``limit`` (max 250) paging that ends on an empty page,
``returns.json`` and ``quotes.json`` (+ ``quotes/{id}/products.json``) filtered by ``customer`` like the other
lists, ``orders/events.json`` (and ``/count``) filtered by ``order`` or ``created_at_min``, the ``metafields`` of
orders, invoices and shipments, ``contacts.json`` and ``blogs/comments.json`` unfiltered (the API documents no
filter on them), ``X-RateLimit-*`` headers over three windows (5 min / hour / day; ``App.limits`` and ``App.clock``
let tests shrink and drive them) and 429 past the limit, and errors shaped ``{"error": {"code", "method", "request",
"message"}}``."""

from __future__ import annotations

import base64
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aggregator.sandbox.base import Request, Response, VendorApp

API_KEY = "sandbox-ls-key-7c1e"
API_SECRET = "sandbox-ls-secret-94b2d0"
REAL_BASE = "https://api.webshopapp.com/nl/"
WINDOWS = (300.0, 3600.0, 86400.0)


class App(VendorApp):
    name = "lightspeed"

    def __init__(self, fixtures: Any) -> None:
        super().__init__(fixtures)
        self.data = {name: self.load(f"{name}.json") for name in (
            "customers", "orders", "order_products", "shipments", "shipment_products", "invoices", "invoice_items",
            "reviews", "tickets", "ticket_messages", "subscriptions", "customer_metafields", "groups_customers",
            "returns", "quotes", "quote_products", "order_events", "order_metafields", "invoice_metafields",
            "shipment_metafields", "contacts", "blog_comments")}
        self.limits = (300, 3000, 12000)   # tests may lower these to exercise the pacing
        self.clock: Callable[[], float] = time.monotonic   # tests may drive the windows with a fake clock
        self.base_url = ""
        self._lock = threading.Lock()
        self._opened: list[float | None] = [None] * len(WINDOWS)   # when each window opened
        self._used = [0] * len(WINDOWS)

    def reset(self) -> None:
        with self._lock:
            self._opened, self._used = [None] * len(WINDOWS), [0] * len(WINDOWS)
        self.limits = (300, 3000, 12000)
        self.clock = time.monotonic

    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {"base_url": f"{base_url}/nl/", "api_key": API_KEY, "api_secret": API_SECRET}

    # ------------------------------------------------------------------ plumbing
    def _error(self, req: Request, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = {"error": {"code": code, "method": req.method, "request": req.path, "message": message}}
        return Response.json(body, code, headers)

    def _rate(self) -> tuple[dict[str, str], bool]:
        """Fixed windows, as Lightspeed's ``X-RateLimit-Reset`` (seconds left in each window) describes them: a
        window opens with the first request after the previous one closed, and its whole budget returns at reset."""
        now = self.clock()
        with self._lock:
            for i, length in enumerate(WINDOWS):
                if self._opened[i] is None or now - self._opened[i] >= length:
                    self._opened[i], self._used[i] = now, 0
            over = any(u >= lim for u, lim in zip(self._used, self.limits, strict=True))
            if not over:
                self._used = [u + 1 for u in self._used]
            remaining = [max(0, lim - u) for u, lim in zip(self._used, self.limits, strict=True)]
            reset = [max(1, math.ceil(length - (now - (opened or now))))
                     for length, opened in zip(WINDOWS, self._opened, strict=True)]
        headers = {"X-RateLimit-Limit": "/".join(map(str, self.limits)),
                   "X-RateLimit-Remaining": "/".join(map(str, remaining)),
                   "X-RateLimit-Reset": "/".join(map(str, reset))}
        return headers, over

    def _link(self, obj: Any) -> Any:
        """Fixture links name the real API host; answer with this sandbox's own."""
        if isinstance(obj, dict):
            return {k: self._link(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._link(v) for v in obj]
        if isinstance(obj, str) and obj.startswith(REAL_BASE):
            return self.base_url + obj[len(REAL_BASE):]
        return obj

    def _page(self, req: Request, key: str, items: list[dict[str, Any]], headers: dict[str, str]) -> Response:
        limit = req.int_arg("limit", 50)
        page = req.int_arg("page", 1)
        if limit < 1 or limit > 250 or page < 1:
            return self._error(req, 400, "Invalid value for limit or page (limit max 250).", headers)
        chunk = items[(page - 1) * limit: page * limit]
        return Response.json({key: self._link(chunk)}, headers=headers)

    # ------------------------------------------------------------------ routes
    def handle(self, req: Request) -> Response | None:
        host = req.header("Host") or "127.0.0.1"
        self.base_url = f"https://{host}/lightspeed/nl/"
        auth = req.header("Authorization") or ""
        expected = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
        if auth != expected:
            return self._error(req, 401, "Invalid API key or secret.")
        headers, over = self._rate()
        if over:
            return self._error(req, 429, "Too many requests, the rate limit has been exceeded.", headers)
        m = re.fullmatch(r"/nl/(.+)\.json", req.path)
        if req.method != "GET" or not m:
            return None
        path = m.group(1)
        d = self.data
        cust = req.arg("customer")

        def by_customer(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if cust is None:
                return items
            return [x for x in items if str(x.get("customer", {}).get("resource", {}).get("id")) == cust]

        if path == "shop":            # the shop the key belongs to (``dsar check``)
            return Response.json({"shop": {"id": 36104, "title": "Mega Security", "mainDomain": "megasecurity.eu",
                                           "language": {"code": "nl"}}}, headers=headers)
        if path == "customers":
            email = req.arg("email")
            items = d["customers"]["customers"]
            if email is not None:   # the API's filter is exact on the stored value; callers re-check case
                items = [c for c in items if c["email"].lower() == email.lower()]
            return self._page(req, "customers", items, headers)
        if (mm := re.fullmatch(r"customers/(\d+)", path)):
            found = [c for c in d["customers"]["customers"] if str(c["id"]) == mm.group(1)]
            return (Response.json({"customer": self._link(found[0])}, headers=headers) if found
                    else self._error(req, 404, "Customer not found.", headers))
        if (mm := re.fullmatch(r"customers/(\d+)/metafields", path)):
            return self._page(req, "customerMetafields", d["customer_metafields"].get(mm.group(1), []), headers)
        if path == "orders":
            return self._page(req, "orders", by_customer(d["orders"]["orders"]), headers)
        if (mm := re.fullmatch(r"orders/(\d+)/products", path)):
            return self._page(req, "orderProducts", d["order_products"].get(mm.group(1), []), headers)
        if path == "shipments":
            return self._page(req, "shipments", by_customer(d["shipments"]["shipments"]), headers)
        if (mm := re.fullmatch(r"shipments/(\d+)/products", path)):
            return self._page(req, "shipmentProducts", d["shipment_products"].get(mm.group(1), []), headers)
        if path == "invoices":
            return self._page(req, "invoices", by_customer(d["invoices"]["invoices"]), headers)
        if (mm := re.fullmatch(r"invoices/(\d+)/items", path)):
            return self._page(req, "invoiceItems", d["invoice_items"].get(mm.group(1), []), headers)
        if path == "reviews":
            return self._page(req, "reviews", by_customer(d["reviews"]["reviews"]), headers)
        if path == "tickets":
            return self._page(req, "tickets", by_customer(d["tickets"]["tickets"]), headers)
        if (mm := re.fullmatch(r"tickets/(\d+)/messages", path)):
            return self._page(req, "ticketMessages", d["ticket_messages"].get(mm.group(1), []), headers)
        if path == "returns":
            return self._page(req, "returns", by_customer(d["returns"]["returns"]), headers)
        if path == "quotes":
            return self._page(req, "quotes", by_customer(d["quotes"]["quotes"]), headers)
        if (mm := re.fullmatch(r"quotes/(\d+)/products", path)):
            return self._page(req, "quoteProducts", d["quote_products"].get(mm.group(1), []), headers)
        if path in ("orders/events", "orders/events/count"):
            order, since = req.arg("order"), req.arg("created_at_min")
            events = d["order_events"]["ordersEvents"]
            if order is not None:
                events = [e for e in events if str(e["order"]["resource"]["id"]) == order]
            if since is not None:
                start = datetime.fromisoformat(since)
                events = [e for e in events if datetime.fromisoformat(e["createdAt"]) >= start]
            if path.endswith("/count"):
                return Response.json({"count": len(events)}, headers=headers)
            return self._page(req, "ordersEvents", events, headers)
        if (mm := re.fullmatch(r"(orders|invoices|shipments)/(\d+)/metafields", path)):
            kind = mm.group(1)[:-1]
            return self._page(req, f"{kind}Metafields", d[f"{kind}_metafields"].get(mm.group(2), []), headers)
        if path == "contacts":
            return self._page(req, "contacts", d["contacts"]["contacts"], headers)
        if path == "blogs/comments":
            return self._page(req, "blogsComments", d["blog_comments"]["blogsComments"], headers)
        if path == "groups/customers":
            return self._page(req, "groupsCustomers", by_customer(d["groups_customers"]["groupsCustomers"]), headers)
        if path == "subscriptions":
            email = req.arg("email")
            items = d["subscriptions"]["subscriptions"]
            if email is not None:
                items = [s for s in items if s["email"].lower() == email.lower()]
            return self._page(req, "subscriptions", items, headers)
        return self._error(req, 404, "Resource not found.", headers)
