"""Mailchimp Marketing API 3.0, as the sandbox serves it under ``/mailchimp/3.0/...``.

Behaves like the real API where the connector depends on it: HTTP Basic auth (any user name, the API key as
password; ``Bearer <key>`` too), wrong or missing key → 401 problem+json ("API Key Invalid" / "API Key
Missing"), every error as ``application/problem+json`` ``{type, title, status, detail, instance}``,
``count`` (default 10, at most 1000) + ``offset`` paging with ``total_items`` (the member activity feed has
no ``total_items``), subscriber hashes = md5 of the lower-cased address, case-insensitive e-mail search.
Per-recipient campaign reports answer 404 for a campaign that did not go to (or was not left by) the member;
e-commerce customers filter on ``email_address``, orders on ``customer_id``; carts have no filter.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from functools import cached_property
from typing import Any, ClassVar

from aggregator.sandbox.base import Request, Response, VendorApp

API_KEY = "5a1db0x0sandbox0000000000000000d-us21"
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM = "application/problem+json; charset=utf-8"
MAX_COUNT = 1000

_REPORT = re.compile(r"^/reports/(?P<campaign>[^/]+)/(?P<kind>sent-to|email-activity|unsubscribed)/(?P<hash>[^/]+)$")
_STORE = re.compile(r"^/ecommerce/stores/(?P<store>[^/]+)(?:/(?P<sub>customers|orders|carts))?$")
_MEMBER = re.compile(r"^/lists/(?P<list>[^/]+)/members/(?P<hash>[^/]+)(?:/(?P<sub>[a-z-]+))?/?$")


def problem(status: int, title: str, detail: str) -> Response:
    return Response.json({"type": ERRORS_DOC, "title": title, "status": status, "detail": detail,
                          "instance": str(uuid.uuid4())}, status=status, content_type=PROBLEM)


def not_found() -> Response:
    return problem(404, "Resource Not Found", "The requested resource could not be found.")


class App(VendorApp):
    name: ClassVar[str] = "mailchimp"

    # ----------------------------------------------------------------- data
    @cached_property
    def lists(self) -> list[dict[str, Any]]:
        return self.load("lists.json")["lists"]

    @cached_property
    def audiences(self) -> dict[str, dict[str, Any]]:
        return {lst["id"]: self.load(f"lists/{lst['id']}.json") for lst in self.lists}

    @cached_property
    def reports(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.load("reports.json")

    @cached_property
    def abuse_reports(self) -> dict[str, list[dict[str, Any]]]:
        return self.load("abuse-reports.json")

    @cached_property
    def ecommerce(self) -> dict[str, Any]:
        return self.load("ecommerce.json")

    @cached_property
    def conversations(self) -> dict[str, Any]:
        return self.load("conversations.json")

    @staticmethod
    def _hash_of(subscriber_hash: str) -> str:
        key = subscriber_hash.lower()
        if "@" in key:  # the real API also accepts the address itself in place of the hash
            key = hashlib.md5(key.encode("utf-8")).hexdigest()
        return key

    def _member(self, list_id: str, subscriber_hash: str) -> dict[str, Any] | None:
        audience = self.audiences.get(list_id)
        if audience is None:
            return None
        key = self._hash_of(subscriber_hash)
        return next((m for m in audience["members"] if m["id"] == key), None)

    # ----------------------------------------------------------------- plumbing
    def connector_config(self, base_url: str) -> dict[str, Any]:
        return {"api_key": API_KEY, "base_url": f"{base_url}/3.0"}

    def _authorised(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        scheme, _, value = header.partition(" ")
        key = ""
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(value.strip()).decode("utf-8").partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                key = ""
        elif scheme.lower() in ("bearer", "apikey"):
            key = value.strip()
        if not key:
            return problem(401, "API Key Missing", "Your request did not include an API key.")
        if key != API_KEY:
            return problem(401, "API Key Invalid",
                           "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
        return None

    @staticmethod
    def _page(request: Request) -> tuple[int, int] | Response:
        count, offset = request.int_arg("count", 10), request.int_arg("offset", 0)
        if count < 0 or offset < 0:
            return problem(400, "Invalid Resource", "The count and offset parameters must be positive.")
        return min(count, MAX_COUNT), offset

    def handle(self, request: Request) -> Response | None:
        if not request.path.startswith("/3.0/"):
            return not_found()
        denied = self._authorised(request)
        if denied is not None:
            return denied
        if request.method != "GET":
            return problem(405, "Method Not Allowed", "The requested method and resource are not compatible. "
                           "See the Allow header for this resource's available methods.")
        path = request.path[len("/3.0"):].rstrip("/") or "/"
        page = self._page(request)
        if isinstance(page, Response):
            return page
        count, offset = page
        if path == "/":            # the API root: the account the key belongs to (``dsar check``)
            return Response.json({"account_id": "8d3a3db4d97663a9074efcc16", "account_name": "Mega Security",
                                  "email": "info@megasecurity.eu", "role": "owner",
                                  "total_subscribers": sum(int(x.get("stats", {}).get("member_count", 0))
                                                           for x in self.lists),
                                  "_links": []})
        if path == "/lists":
            return self._lists(request, count, offset)
        if path == "/search-members":
            return self._search(request)
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "lists":
            lst = next((x for x in self.lists if x["id"] == parts[2]), None)
            return Response.json(lst) if lst is not None else not_found()
        if len(parts) == 4 and parts[1] == "lists" and parts[3] == "merge-fields":
            audience = self.audiences.get(parts[2])
            if audience is None:
                return not_found()
            fields = audience["merge_fields"]
            return Response.json({"merge_fields": fields[offset:offset + count], "list_id": parts[2],
                                  "total_items": len(fields), "_links": []})
        if len(parts) >= 4 and parts[1] == "lists" and parts[3] == "interest-categories":
            return self._interests(parts, count, offset)
        if len(parts) == 4 and parts[1] == "lists" and parts[3] == "abuse-reports":
            return self._abuse_reports(parts[2], count, offset)
        match = _MEMBER.match(path)
        if match:
            return self._member_route(match["list"], match["hash"], match["sub"], request, count, offset)
        match = _REPORT.match(path)
        if match:   # one recipient of one campaign; 404 when the campaign was not sent to (or unsubscribed) them
            found = self.reports[match["kind"].replace("-", "_")].get(match["campaign"], {}).get(
                self._hash_of(match["hash"]))
            return Response.json(found) if found is not None else not_found()
        if path == "/ecommerce/stores":
            stores = self.ecommerce["stores"]
            return Response.json({"stores": stores[offset:offset + count], "total_items": len(stores), "_links": []})
        match = _STORE.match(path)
        if match:
            return self._store_route(match["store"], match["sub"], request, count, offset)
        if path == "/conversations" or path.startswith("/conversations/"):
            return self._conversations(parts, request, count, offset)
        return not_found()

    # ----------------------------------------------------------------- routes
    def _lists(self, request: Request, count: int, offset: int) -> Response:
        email = (request.arg("email") or "").strip().lower()
        lists = self.lists
        if email:
            wanted = hashlib.md5(email.encode("utf-8")).hexdigest()
            lists = [lst for lst in lists if any(m["id"] == wanted for m in self.audiences[lst["id"]]["members"])]
        return Response.json({"lists": lists[offset:offset + count], "total_items": len(lists),
                              "constraints": {"may_create": True, "max_instances": 5,
                                              "current_total_instances": len(self.lists)},
                              "_links": []})

    def _search(self, request: Request) -> Response:
        query = (request.arg("query") or "").strip()
        if not query:
            return problem(400, "Invalid Resource", "The resource submitted could not be validated. "
                           "For field-specific details, see the 'errors' array.")
        list_id = request.arg("list_id")
        q = query.lower()
        local = q.split("@")[0]
        tokens = {t for t in re.split(r"[^a-z0-9]+", local) if len(t) > 2}
        exact: list[dict[str, Any]] = []
        fuzzy: list[dict[str, Any]] = []
        for lst in self.lists:
            if list_id and lst["id"] != list_id:
                continue
            for m in self.audiences[lst["id"]]["members"]:
                address = m["email_address"].lower()
                if address == q:
                    exact.append(m)
                elif q in address or address.split("@")[0] == local or tokens & set(m["full_name"].lower().split()):
                    fuzzy.append(m)
        # Mailchimp returns at most 10 results per section.
        return Response.json({"exact_matches": {"members": exact[:10], "total_items": len(exact)},
                              "full_search": {"members": fuzzy[:10], "total_items": len(fuzzy)}, "_links": []})

    def _interests(self, parts: list[str], count: int, offset: int) -> Response:
        audience = self.audiences.get(parts[2])
        if audience is None:
            return not_found()
        cats = audience["interest_categories"]
        if len(parts) == 4:
            items = [c["category"] for c in cats]
            return Response.json({"list_id": parts[2], "categories": items[offset:offset + count],
                                  "total_items": len(items), "_links": []})
        if len(parts) == 6 and parts[5] == "interests":
            cat = next((c for c in cats if c["category"]["id"] == parts[4]), None)
            if cat is None:
                return not_found()
            items = cat["interests"]
            return Response.json({"interests": items[offset:offset + count], "list_id": parts[2],
                                  "category_id": parts[4], "total_items": len(items), "_links": []})
        return not_found()

    def _member_route(self, list_id: str, subscriber_hash: str, sub: str | None, request: Request, count: int,
                      offset: int) -> Response:
        m = self._member(list_id, subscriber_hash)
        if m is None:
            return not_found()
        if sub is None:
            return Response.json(m)
        data = self.audiences[list_id]["member_data"][m["id"]]
        base = {"list_id": list_id, "email_id": m["id"]}
        if sub == "activity-feed":
            items = data["activity"]
            filters = {f.strip() for f in (request.arg("activity_filters") or "").split(",") if f.strip()}
            if filters:
                items = [i for i in items if i["activity_type"] in filters]
            # The activity feed reports no total_items: clients page until a short page.
            return Response.json({**base, "activity": items[offset:offset + count], "_links": []})
        if sub == "events":
            items = data["events"]
            return Response.json({"events": items[offset:offset + count], "total_items": len(items), "_links": []})
        if sub == "notes":
            items = sorted(data["notes"], key=lambda n: n["created_at"], reverse=True)
            return Response.json({**base, "notes": items[offset:offset + count], "total_items": len(items),
                                  "_links": []})
        if sub == "tags":
            items = data["tags"]
            return Response.json({"tags": items[offset:offset + count], "total_items": len(items), "_links": []})
        if sub == "goals":  # no paging on this one: the last 50 goal events
            items = data["goals"][:50]
            return Response.json({**base, "goals": items, "total_items": len(items), "_links": []})
        return not_found()

    def _abuse_reports(self, list_id: str, count: int, offset: int) -> Response:
        if list_id not in self.audiences:
            return not_found()
        items = self.abuse_reports.get(list_id, [])
        return Response.json({"abuse_reports": items[offset:offset + count], "list_id": list_id,
                              "total_items": len(items), "_links": []})

    def _store_route(self, store_id: str, sub: str | None, request: Request, count: int, offset: int) -> Response:
        store = next((s for s in self.ecommerce["stores"] if s["id"] == store_id), None)
        if store is None:
            return not_found()
        if sub is None:
            return Response.json(store)
        items: list[dict[str, Any]] = self.ecommerce[sub].get(store_id, [])
        if sub == "customers" and request.arg("email_address"):
            wanted = (request.arg("email_address") or "").strip().lower()
            items = [c for c in items if c["email_address"].lower() == wanted]
        if sub == "orders" and request.arg("customer_id"):
            items = [o for o in items if o["customer"]["id"] == request.arg("customer_id")]
        return Response.json({"store_id": store_id, sub: items[offset:offset + count], "total_items": len(items),
                              "_links": []})

    def _conversations(self, parts: list[str], request: Request, count: int, offset: int) -> Response:
        """Past conversations (deprecated for Inbox; the old ones are still listed), filtered by list or campaign."""
        convs: list[dict[str, Any]] = self.conversations["conversations"]
        if len(parts) == 2:
            for key in ("list_id", "campaign_id"):
                if request.arg(key):
                    convs = [c for c in convs if c[key] == request.arg(key)]
            return Response.json({"conversations": convs[offset:offset + count], "total_items": len(convs),
                                  "_links": []})
        conv = next((c for c in convs if c["id"] == parts[2]), None)
        if conv is None:
            return not_found()
        if len(parts) == 3:
            return Response.json(conv)
        if len(parts) == 4 and parts[3] == "messages":    # not paged: every message of the conversation
            msgs = self.conversations["messages"][conv["id"]]
            return Response.json({"conversation_messages": msgs, "conversation_id": conv["id"],
                                  "total_items": len(msgs), "_links": []})
        return not_found()
