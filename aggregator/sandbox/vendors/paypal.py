"""Sandboxed PayPal REST: OAuth client credentials and Transaction Search (``/v1/reporting/transactions``).

Behaves like api-m.paypal.com where the connector depends on it:
- ``POST /v1/oauth2/token`` with Basic client_id:secret and ``grant_type=client_credentials``; a wrong
  secret gets PayPal's 401 ``{"error":"invalid_client","error_description":"Client Authentication failed"}``.
- Every other call needs ``Authorization: Bearer <token>``; a missing or unknown token gets the 401
  ``AUTHENTICATION_FAILURE`` shape.
- Transaction Search requires ``start_date`` and ``end_date`` (at most 31 days apart, not before 3 years ago,
  not after the last refresh), honours ``transaction_id``, ``fields``, ``balance_affecting_records_only``
  (default Y), ``page_size`` (1..500, default 100) and ``page``; pages with ``page``, ``total_items``,
  ``total_pages`` and HATEOAS ``links``; dates are written ``+0000`` like live replies; an empty window is
  ``"transaction_details": []``. Errors use PayPal's ``{"name","message","debug_id","details","links"}``.
- ``GET /v2/checkout/orders/{id}`` (Orders v2) answers the orders in ``orders.json`` (payer, shipping, items and
  ``purchase_units[].payments.captures[]``, whose ids are Transaction Search's transaction ids); an unknown id gets
  PayPal's 404 ``RESOURCE_NOT_FOUND`` with the issue ``INVALID_RESOURCE_ID``.
- ``GET /v1/customer/disputes`` (customer_disputes_v1): ``disputed_transaction_id`` or ``start_time`` (not both),
  ``page_size`` 1..50 (default 10) and ``next_page_token`` (in the ``next`` link); items are the summary
  ``dispute_info`` (newest first) with a ``self`` link; no match leaves ``items`` out (the spec's ``minItems: 1``).
  ``GET /v1/customer/disputes/{id}`` answers the whole dispute from ``disputes.json`` (messages, evidence, offer),
  404 ``RESOURCE_NOT_FOUND`` for an unknown id. ``App.filter_disputes = False`` makes the list ignore its filter
  (tests: a vendor answering someone else's dispute).
- ``GET /v1/shipping/trackers?transaction_id=`` (shipping_shipment_tracking_v1, ``transaction_id`` required,
  optional ``tracking_number``) lists that transaction's trackers from ``trackers.json`` as
  ``{"trackers": [...], "links": [...]}`` (the spec's ``tracker_collection``; its ``tracker`` for this operation's
  200 cannot hold several parcels), ``"trackers": []`` when there are none.
- A search matching more than 10,000 transactions (``App.max_results``; tests lower it) is refused with
  PayPal's 400 ``RESULTSET_TOO_LARGE``, whatever the page size: the caller must narrow the date range.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aggregator.sandbox.base import Request, Response, VendorApp

CLIENT_ID = "AYsbx-MegaSecurity-DSAR-4f7c1e9a2b"
CLIENT_SECRET = "EKsbx-9d2f6a1c7e3b5d8f0a4c6e2b9d1f3a5c"
MAX_RANGE = timedelta(days=31)
HISTORY = timedelta(days=3 * 365)
MAX_RESULTS = 10_000               # live: a search matching more is refused (RESULTSET_TOO_LARGE)
REFRESH_LAG = timedelta(hours=1)   # live: new transactions can take up to 3 hours to appear
# Event codes that do not move the balance (an authorization hold), hidden by the default
# balance_affecting_records_only=Y.
NON_BALANCE_EVENTS = frozenset({"T1501"})
FIELD_GROUPS = ("transaction_info", "payer_info", "shipping_info", "auction_info", "cart_info",
                "incentive_info", "store_info")
INFO_LINK = "https://developer.paypal.com/docs/api/{api}/#error-{name}"

MSG_400 = "Request is not well-formed, syntactically incorrect, or violates schema."
MSG_TOO_LARGE = "Result set size is greater than the maximum limit. Change the filter criteria and try again."
MSG_404 = "The specified resource does not exist."
NO_SUCH_ID = "Specified resource ID does not exist. Please check the resource ID and try again."
REAL_API = "https://api-m.paypal.com"
MSG_401 = "Authentication failed due to missing authorization header, or invalid authentication credentials."


def parse_time(text: str | None) -> datetime | None:
    """RFC 3339 as PayPal accepts it: ``Z``, ``+hh:mm`` or ``+hhmm``, optional fraction."""
    if not text:
        return None
    value = text.strip().replace(" ", "+")  # an unescaped '+' in a query string arrives as a space
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class App(VendorApp):
    name = "paypal"

    def __init__(self, fixtures: Any) -> None:
        super().__init__(fixtures)
        self._data: dict[str, Any] | None = None
        self._orders: dict[str, Any] | None = None
        self._disputes: dict[str, Any] | None = None
        self._trackers: list[dict[str, Any]] | None = None
        self.filter_disputes = True
        self._lock = threading.Lock()
        self.issued: list[str] = []     # every access token handed out (tests check none is ever logged)
        self._debug = 0
        self.max_results = MAX_RESULTS

    def reset(self) -> None:
        self.max_results = MAX_RESULTS
        self.filter_disputes = True

    # ------------------------------------------------------------------ config
    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "history_start": "2025-06-01"}

    # ------------------------------------------------------------------ data
    def data(self) -> dict[str, Any]:
        with self._lock:
            if self._data is None:
                raw = self.load("transactions.json")
                for detail in raw["transaction_details"]:
                    detail["_at"] = parse_time(detail["transaction_info"]["transaction_initiation_date"])
                self._data = raw
            return self._data

    def orders(self) -> dict[str, Any]:
        with self._lock:
            if self._orders is None:
                self._orders = self.load("orders.json")
            return self._orders

    def disputes(self) -> dict[str, Any]:
        with self._lock:
            if self._disputes is None:
                self._disputes = self.load("disputes.json")
            return self._disputes

    def trackers(self) -> list[dict[str, Any]]:
        with self._lock:
            if self._trackers is None:
                self._trackers = self.load("trackers.json")
            return self._trackers

    # ------------------------------------------------------------------ routing
    def handle(self, request: Request) -> Response | None:
        if request.path == "/v1/oauth2/token":
            return self.token(request) if request.method == "POST" else None
        if request.path == "/v1/reporting/transactions":
            if request.method != "GET":
                return None
            return self.authenticated(request) or self.search(request)
        if request.path.startswith("/v2/checkout/orders/"):
            if request.method != "GET":
                return None
            return self.authenticated(request) or self.order(request, request.path.rsplit("/", 1)[1])
        if request.path == "/v1/customer/disputes" and request.method == "GET":
            return self.authenticated(request) or self.dispute_list(request)
        if request.path.startswith("/v1/customer/disputes/") and request.method == "GET":
            return self.authenticated(request) or self.dispute(request, request.path.rsplit("/", 1)[1])
        if request.path == "/v1/shipping/trackers" and request.method == "GET":
            return self.authenticated(request) or self.tracker_list(request)
        return None

    # ------------------------------------------------------------------ auth
    def token(self, request: Request) -> Response:
        header = request.header("Authorization") or ""
        user = password = ""
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                user = password = ""
        if not (secrets.compare_digest(user, CLIENT_ID) and secrets.compare_digest(password, CLIENT_SECRET)):
            return Response.json({"error": "invalid_client", "error_description": "Client Authentication failed"},
                                 401)
        grant = request.form().get("grant_type")
        if grant != "client_credentials":
            return Response.json({"error": "unsupported_grant_type",
                                  "error_description": f"Grant Type is {'NULL' if not grant else 'unsupported'}"},
                                 400)
        token = "A21AA" + secrets.token_urlsafe(72).replace("-", "x").replace("_", "y")
        with self._lock:
            self.issued.append(token)
        now = datetime.now(UTC)
        return Response.json({
            "scope": "https://uri.paypal.com/services/reporting/search/read "
                     "https://uri.paypal.com/services/disputes/read-seller "
                     "https://uri.paypal.com/services/shipping/trackers/read "
                     "https://uri.paypal.com/services/payments/payment/authcode openid",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": 32400,
            "nonce": f"{now:%Y-%m-%dT%H:%M:%SZ}{secrets.token_hex(16)}",
        })

    def authenticated(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            known = token in self.issued
        if known:
            return None
        return self.error(401, "AUTHENTICATION_FAILURE", MSG_401, [])

    def error(self, status: int, name: str, message: str, details: list[dict[str, str]], link_name: str = "",
              api: str = "transaction-search/v1") -> Response:
        with self._lock:
            self._debug += 1
            debug_id = hashlib.sha1(f"paypal-{self._debug}".encode()).hexdigest()[:13]
        body: dict[str, Any] = {"name": name, "message": message, "debug_id": debug_id}
        if details or status == 400:
            body["details"] = details
        body["links"] = [{"href": INFO_LINK.format(api=api, name=link_name or name), "rel": "information_link",
                          "method": "GET"}]
        return Response.json(body, status, headers={"PayPal-Debug-Id": debug_id})

    def order(self, request: Request, order_id: str) -> Response:
        """One Orders v2 order, its links on this sandbox's address; PayPal's 404 for an id it does not hold."""
        found = self.orders().get(order_id)
        if found is None:
            return self.error(404, "RESOURCE_NOT_FOUND", MSG_404,
                              [{"issue": "INVALID_RESOURCE_ID", "description": NO_SUCH_ID}],
                              link_name="INVALID_RESOURCE_ID", api="orders/v2")
        return Response.json(self.ours(request, found))

    def invalid(self, field: str, value: str | None, issue: str, api: str = "transaction-search/v1") -> Response:
        return self.error(400, "INVALID_REQUEST", MSG_400,
                          [{"field": field, "value": value or "", "location": "query", "issue": issue}], api=api)

    def ours(self, request: Request, value: Any) -> Any:
        """``value`` with PayPal's API address replaced by this sandbox's."""
        host = request.header("Host") or "127.0.0.1"
        return json.loads(json.dumps(value).replace(REAL_API, f"https://{host}/{self.name}"))

    # ------------------------------------------------------------------ disputes and trackers
    def dispute_list(self, request: Request) -> Response:
        """Disputes by ``disputed_transaction_id`` (or ``start_time``), summary fields, newest first, paged."""
        api = "customer-disputes/v1"
        tid, since = request.arg("disputed_transaction_id"), request.arg("start_time")
        if tid and since:
            return self.invalid("start_time", since, "Only one of start_time or disputed_transaction_id may be "
                                "specified.", api)
        page_size = request.int_arg("page_size", 10)
        if not 1 <= page_size <= 50:
            return self.invalid("page_size", request.arg("page_size"), "Page size must be between 1 and 50.", api)
        token = request.arg("next_page_token") or ""
        try:
            offset = int(base64.b64decode(token).decode()) if token else 0
        except ValueError:
            return self.invalid("next_page_token", token, "Invalid next page token.", api)
        after = parse_time(since) if since else None
        if since and after is None:
            return self.invalid("start_time", since, "Invalid date format.", api)

        def matches(dispute: dict[str, Any]) -> bool:
            if after is not None:
                created = parse_time(dispute["create_time"])
                return created is not None and created >= after
            if tid and self.filter_disputes:
                return any(tid in (t.get("seller_transaction_id"), t.get("buyer_transaction_id"))
                           for t in dispute.get("disputed_transactions", []))
            return True

        hits = sorted((d for d in self.disputes().values() if matches(d)), key=lambda d: d["create_time"],
                      reverse=True)
        chunk = hits[offset: offset + page_size]
        summary = ("dispute_id", "create_time", "update_time", "reason", "status", "dispute_state",
                   "dispute_amount", "dispute_life_cycle_stage", "dispute_channel", "seller_response_due_date")
        items = [{**{k: d[k] for k in summary if k in d},
                  "links": [{"href": f"{REAL_API}/v1/customer/disputes/{d['dispute_id']}", "rel": "self",
                             "method": "GET"}]} for d in chunk]
        params = {k: v[0] for k, v in request.query.items() if k != "next_page_token"}
        base = f"{REAL_API}/v1/customer/disputes"
        links = [{"href": f"{base}?{urlencode({**params, **({'next_page_token': token} if token else {})})}",
                  "rel": "self", "method": "GET"}]
        if offset + page_size < len(hits):
            following = base64.b64encode(str(offset + page_size).encode()).decode()
            links.append({"href": f"{base}?{urlencode({**params, 'next_page_token': following})}", "rel": "next",
                          "method": "GET"})
        body: dict[str, Any] = {"items": items, "links": links} if items else {"links": links}
        return Response.json(self.ours(request, body))

    def dispute(self, request: Request, dispute_id: str) -> Response:
        """One dispute with its messages, evidence and offer; PayPal's 404 for an id it does not hold."""
        found = self.disputes().get(dispute_id)
        if found is None:
            return self.error(404, "RESOURCE_NOT_FOUND", MSG_404,
                              [{"issue": "INVALID_RESOURCE_ID", "description": NO_SUCH_ID}],
                              link_name="INVALID_RESOURCE_ID", api="customer-disputes/v1")
        return Response.json(self.ours(request, found))

    def tracker_list(self, request: Request) -> Response:
        """The trackers of one transaction (``transaction_id`` required), optionally of one tracking number."""
        tid = request.arg("transaction_id")
        if not tid:
            return self.invalid("transaction_id", None, "transaction_id is required.", "tracking/v1")
        number = request.arg("tracking_number")
        found = [t for t in self.trackers()
                 if t["transaction_id"] == tid and (not number or t.get("tracking_number") == number)]
        query = urlencode({k: v[0] for k, v in request.query.items()})
        return Response.json(self.ours(request, {
            "trackers": found,
            "links": [{"href": f"{REAL_API}/v1/shipping/trackers?{query}", "rel": "self", "method": "GET"}]}))

    # ------------------------------------------------------------------ Transaction Search
    def search(self, request: Request) -> Response:
        now = datetime.now(UTC)
        refreshed = (now - REFRESH_LAG).replace(minute=0, second=0, microsecond=0)
        for name in ("start_date", "end_date"):
            if not request.arg(name):
                return self.invalid(name, None, f"{name} is required.")
        start, end = parse_time(request.arg("start_date")), parse_time(request.arg("end_date"))
        if start is None:
            return self.invalid("start_date", request.arg("start_date"), "Invalid date format.")
        if end is None:
            return self.invalid("end_date", request.arg("end_date"), "Invalid date format.")
        if end < start:
            return self.invalid("end_date", request.arg("end_date"), "End date should be after the start date.")
        if end - start > MAX_RANGE:
            return self.invalid("start_date", request.arg("start_date"), "Date range is greater than 31 days")
        if start < now - HISTORY:
            return self.invalid("start_date", request.arg("start_date"),
                                "Start date should be within the last 3 years.")
        if start > refreshed:
            return self.error(400, "INVALID_REQUEST", "Data for the given start date is not available.", [])
        page_size = request.int_arg("page_size", 100)
        if not 1 <= page_size <= 500:
            return self.invalid("page_size", request.arg("page_size"), "Page size must be between 1 and 500.")
        page = request.int_arg("page", 1)
        if page < 1:
            return self.invalid("page", request.arg("page"), "Page must be greater than 0.")
        balance_only = (request.arg("balance_affecting_records_only") or "Y").upper() != "N"
        fields_arg = request.arg("fields") or "transaction_info"
        wanted = FIELD_GROUPS if fields_arg == "all" else tuple(f for f in fields_arg.split(",") if f)
        unknown = [f for f in wanted if f not in FIELD_GROUPS]
        if unknown:
            return self.invalid("fields", fields_arg, "Invalid fields value.")
        if "transaction_info" not in wanted:
            wanted = ("transaction_info", *wanted)
        txn_id = request.arg("transaction_id")

        hits = []
        upto = min(end, refreshed)
        for detail in self.data()["transaction_details"]:
            info = detail["transaction_info"]
            if not start <= detail["_at"] <= upto:
                continue
            if txn_id and info["transaction_id"] != txn_id:
                continue
            if balance_only and info["transaction_event_code"] in NON_BALANCE_EVENTS:
                continue
            hits.append({k: detail[k] for k in wanted if k in detail})
        total = len(hits)
        if total > self.max_results:
            return self.error(400, "RESULTSET_TOO_LARGE", MSG_TOO_LARGE, [])
        total_pages = math.ceil(total / page_size)
        chunk = hits[(page - 1) * page_size: page * page_size]

        host = request.header("Host") or "127.0.0.1"
        base = f"https://{host}/{self.name}/v1/reporting/transactions"
        params = {k: v[0] for k, v in request.query.items() if k != "page"}

        def link(p: int, rel: str) -> dict[str, str]:
            return {"href": f"{base}?{urlencode({**params, 'page': p})}", "rel": rel, "method": "GET"}

        links = [link(page, "self")]
        if total_pages:
            links.insert(0, link(1, "first"))
            if page < total_pages:
                links.append(link(page + 1, "next"))
            links.append(link(total_pages, "last"))
        return Response.json({
            "transaction_details": chunk,
            "account_number": self.data()["account_number"],
            "start_date": stamp(start),
            "end_date": stamp(end),
            "last_refreshed_datetime": stamp(refreshed),
            "page": page,
            "total_items": total,
            "total_pages": total_pages,
            "links": links,
        })
