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
        self._lock = threading.Lock()
        self.issued: list[str] = []     # every access token handed out (tests check none is ever logged)
        self._debug = 0
        self.max_results = MAX_RESULTS

    def reset(self) -> None:
        self.max_results = MAX_RESULTS

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
        host = request.header("Host") or "127.0.0.1"
        text = json.dumps(found).replace(REAL_API, f"https://{host}/{self.name}")
        return Response.json(json.loads(text))

    def invalid(self, field: str, value: str | None, issue: str) -> Response:
        return self.error(400, "INVALID_REQUEST", MSG_400,
                          [{"field": field, "value": value or "", "location": "query", "issue": issue}])

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
