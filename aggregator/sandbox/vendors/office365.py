"""Sandbox for Office 365: the Entra ID (Azure AD) v2.0 endpoints msal talks to, and Microsoft Graph v1.0.

Served under ``/office365/v1.0/...`` (Graph) and, because msal builds ``https://host/{tenant}/v2.0/...`` from
an authority URL, also under ``/{tenant}/...`` (``extra_prefixes``):

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` - the tenant's OpenID configuration;
* ``POST /{tenant}/oauth2/v2.0/token`` - client credentials; a wrong secret gets AAD's real
  ``invalid_client`` / ``AADSTS7000215`` answer (HTTP 401), an unknown client ``unauthorized_client``;
* ``GET /v1.0/users`` (``$select``, else Graph's default properties; ``$top``, ``$skiptoken`` paging);
* ``GET /v1.0/users/{id|upn}/messages`` with ``$search="participants:… AND sent<=YYYY-MM-DD"`` (KQL,
  newest first, at most ``search_cap`` = 1,000 results, no ``$filter``/``$orderby`` beside it) or
  ``$filter=from/emailAddress/address eq '…'``; ``$select``, ``$top``, ``$skip``,
  ``$expand=attachments($select=…)`` and ``Prefer: outlook.body-content-type="text"``;
* ``GET /v1.0/users/{id}/messages/{id}/attachments/{id}/$value``: a file attachment's bytes, an attached
  e-mail as MIME (built here from the item), 405 for a reference attachment (as Graph documents);
* ``GET /v1.0/users/{id}/mailFolders/recoverableitemsdeletions/messages`` (soft-deleted mail; not in ``/messages``),
  and its messages' ``.../attachments/{id}/$value``;
* ``GET /v1.0/users/{id}/contacts?$filter=emailAddresses/any(a:a/address eq '…')``, and the same under
  ``/contactFolders/{id}/contacts``; ``/contactFolders`` and ``/contactFolders/{id}/childFolders``;
* ``GET /v1.0/users/{id}/events`` (attendee filters are not supported by Graph: list and page);
* ``GET /v1.0/groups/{id}``, ``/groups/{id}/threads`` and ``/groups/{id}/threads/{id}/posts`` (a Microsoft 365
  group's mailbox).

A user without an Exchange Online licence answers 404 ``MailboxNotEnabledForRESTAPI``; errors use Graph's
``{"error": {"code", "message", "innerError"}}`` shape. ``@odata.nextLink`` is absolute and carries
``$skip`` (Outlook resources) or ``$skiptoken`` (directory objects), as Graph's do.
"""

from __future__ import annotations

import base64
import html
import re
import secrets
import threading
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlencode

from aggregator.sandbox.base import Request, Response, VendorApp

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_TAG = re.compile(r"<[^>]+>")
_FILTER_CONTACT = re.compile(r"^emailAddresses/any\((\w+):\s*\1/address\s+eq\s+'((?:[^']|'')*)'\)$", re.I)
_FILTER_FROM = re.compile(r"^from/emailAddress/address\s+eq\s+'((?:[^']|'')*)'$", re.I)
_KQL_TERM = re.compile(r'^(participants|from|to|cc|bcc|recipients|sent|received)\s*(:|<=|>=|<|>)\s*"?([^"]+)"?$',
                       re.I)
TENANT_FILE = "tenant.json"
# what GET /users returns without $select (userType, for one, only when selected)
USER_DEFAULT_FIELDS = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                       "officeLocation", "preferredLanguage", "surname", "userPrincipalName"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class App(VendorApp):
    name = "office365"
    extra_prefixes: ClassVar[tuple[str, ...]] = ("5f3c9a2e-8b1d-4c6f-9e27-3a41d0b8c7e5",)
    search_cap = 1000            # Graph: "A $search request returns up to 1,000 results" (tests may lower it)

    def __init__(self, fixtures: Path) -> None:
        super().__init__(fixtures)
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._data: dict[str, Any] | None = None
        # a $search's hits by (mailbox, query, cap): Graph answers from its index, so each page of a search costs it
        # about the same; re-running the search over the whole mailbox per page made later pages cost this process
        # more with every message (at scale 10, half again the latency)
        self._hits: dict[tuple[int, str, int], list[dict[str, Any]]] = {}

    def reset(self) -> None:
        """Forget the searches' hits (a test may change a mailbox between runs); issued tokens stay valid (as
        Graph's do for their hour)."""
        with self._lock:
            self._hits.clear()

    # ------------------------------------------------------------------ data
    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            tenant = self.load(TENANT_FILE)
            users = self.load("users.json")["value"]
            boxes: dict[str, Any] = {}
            for path in sorted(self.fixtures.glob("mailbox-*.json")):
                box = self.load(path.name)
                boxes[box["mailbox"].lower()] = box
            groups = {g["id"]: g for g in self.load("groups.json")["value"]}
            self._data = {"tenant": tenant, "users": users, "boxes": boxes, "groups": groups}
        return self._data

    @property
    def tenant_id(self) -> str:
        return self.data["tenant"]["tenant_id"]

    def connector_config(self, base_url: str) -> dict[str, Any]:
        root = base_url.rsplit("/", 1)[0]            # https://127.0.0.1:PORT
        app = self.data["tenant"]["applications"][0]
        return {
            "authority": f"{root}/{self.tenant_id}",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "graph_url": f"{base_url}/v1.0",
            "mailboxes": ["info@megasecurity.eu", "verkoop@megasecurity.eu", "stagiair@megasecurity.eu"],
            "groups": sorted(self.data["groups"]),
        }

    # ------------------------------------------------------------------ routing
    def handle(self, request: Request) -> Response | None:
        segments = [unquote(s) for s in request.path.strip("/").split("/")]
        if not segments or not segments[0]:
            return None
        if segments[0] not in ("v1.0", "beta"):   # /{tenant}/... : Entra ID (any tenant name, to answer like AAD)
            return self._identity(request, segments)
        auth = request.header("Authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return _graph_error(request, 401, "InvalidAuthenticationToken", "Access token is empty.")
        with self._lock:
            known = token in self._tokens
        if not known:
            return _graph_error(request, 401, "InvalidAuthenticationToken",
                                "IDX14100: JWT is not well formed, there are no dots (.).")
        if request.method != "GET":
            return _graph_error(request, 405, "Request_BadRequest", "Only GET is served by this sandbox.")
        rest = segments[1:]
        if segments[0] == "beta":                 # only the one beta route the connector may ask for
            if len(rest) == 4 and rest[0] == "users" and rest[2:] == ["settings", "exchange"]:
                return self._exchange_settings(request, rest[1])
            return _graph_error(request, 400, "BadRequest", "Resource not found for the segment 'beta'.")
        if rest == ["users"]:
            return self._users(request)
        if len(rest) >= 3 and rest[0] == "users":
            return self._mailbox(request, rest[1], rest[2:])
        if len(rest) >= 2 and rest[0] == "groups":
            return self._group(request, rest[1], rest[2:])
        return _graph_error(request, 400, "BadRequest",
                            f"Resource not found for the segment '{rest[0] if rest else ''}'.")

    # ------------------------------------------------------------------ Entra ID
    def _identity(self, request: Request, segments: list[str]) -> Response | None:
        tenant, rest = segments[0], segments[1:]
        if tenant.lower() not in (self.tenant_id, self.data["tenant"]["domain"]):
            return _aad_error(400, "invalid_tenant", 90002,
                              f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
                              "are signing into the correct cloud.")
        host = request.header("Host") or "login.microsoftonline.com"
        base = f"https://{host}/{self.tenant_id}"
        if rest == ["v2.0", ".well-known", "openid-configuration"] and request.method == "GET":
            return Response.json({
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                          "client_secret_basic"],
                "jwks_uri": f"https://{host}/{self.tenant_id}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                                     "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time",
                                     "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
                                     "c_hash", "email"],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            })
        if rest == ["oauth2", "v2.0", "token"] and request.method == "POST":
            return self._token(request)
        return None

    def _token(self, request: Request) -> Response:
        form = request.form()
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = request.header("Authorization") or ""
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                pass
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003,
                              "The app requested an unsupported grant type.")
        apps = {a["client_id"]: a for a in self.data["tenant"]["applications"]}
        app = apps.get(client_id)
        if app is None:
            return _aad_error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory "
                              f"'{self.data['tenant']['domain']}'. This can happen if the application has not been "
                              "installed by the administrator of the tenant or consented to by any user in the "
                              "tenant. You may have sent your authentication request to the wrong tenant.")
        if not secret or not secrets.compare_digest(secret, app["client_secret"]):
            return _aad_error(401, "invalid_client", 7000215,
                              "Invalid client secret provided. Ensure the secret being sent in the request is the "
                              "client secret value, not the client secret ID, for a secret added to app "
                              f"'{client_id}'.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012,
                              f"The provided value for scope {scope} is not valid. Client credential flows must "
                              "have a scope value with /.default suffixed to the resource identifier "
                              "(application ID URI).")
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + base64.urlsafe_b64encode(
            f'{{"aud":"https://graph.microsoft.com","tid":"{self.tenant_id}","appid":"{client_id}",'
            f'"roles":["Mail.Read","Contacts.Read","Calendars.Read","User.Read.All","Group-Conversation.Read.All"]}}'.encode()
        ).decode().rstrip("=") + "." + secrets.token_urlsafe(64)
        with self._lock:
            self._tokens.add(token)
        return Response.json({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                              "access_token": token})

    # ------------------------------------------------------------------ Graph: users
    def _users(self, request: Request) -> Response:
        users = self.data["users"]
        top = max(1, min(request.int_arg("$top", 100), 999))
        start = _skiptoken_offset(request.arg("$skiptoken"))
        page = users[start:start + top]
        select = _select(request)
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users"
                              + (f"({','.join(select)})" if select else ""),
            "value": [_project(u, select or USER_DEFAULT_FIELDS) for u in page],
        }
        if start + top < len(users):
            body["@odata.nextLink"] = _next_link(request, {"$skiptoken": _skiptoken(start + top)}, drop=("$skip",))
        return Response.json(body)

    # ------------------------------------------------------------------ Graph: one mailbox
    def _mailbox(self, request: Request, who: str, rest: list[str]) -> Response:
        user = next((u for u in self.data["users"]
                     if who.lower() in (u["id"], (u["userPrincipalName"] or "").lower(), (u["mail"] or "").lower())),
                    None)
        if user is None:
            return _graph_error(request, 404, "ErrorInvalidUser", f"The requested user '{who}' is invalid.")
        box = self.data["boxes"].get((user["mail"] or "").lower())
        if box is None or not box["licensed"]:
            return _graph_error(request, 404, "MailboxNotEnabledForRESTAPI",
                                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
        kind = rest[0]
        if kind == "messages" and len(rest) == 1:
            return self._messages(request, user, box)
        if kind == "messages" and len(rest) == 5 and rest[2] == "attachments" and rest[4] == "$value":
            return self._attachment_value(request, box, box["messages"], rest[1], rest[3])
        if rest[:3] == ["mailFolders", "recoverableitemsdeletions", "messages"] and len(rest) == 7 \
                and rest[4] == "attachments" and rest[6] == "$value":
            return self._attachment_value(request, box, box["recoverableItemsDeletions"], rest[3], rest[5])
        if kind == "contacts" and len(rest) == 1:
            return self._contacts(request, user, box, box["contacts"])
        if kind == "contactFolders":
            return self._contact_folders(request, user, box, rest[1:])
        if kind == "mailFolders" and rest[1:] == ["recoverableitemsdeletions", "messages"]:
            expand = _expand_attachments(request)
            if expand is False:
                return _graph_error(request, 400, "BadRequest", "Parsing OData Select and Expand failed.")
            return self._page(request, user, "mailFolders('recoverableitemsdeletions')/messages",
                              box["recoverableItemsDeletions"], default_top=10,
                              shape=lambda m: self._shape_message(request, m, expand))
        if kind == "events" and len(rest) == 1:
            return self._events(request, user, box)
        return _graph_error(request, 400, "BadRequest", f"Resource not found for the segment '{kind}'.")

    def _messages(self, request: Request, user: dict[str, Any], box: dict[str, Any]) -> Response:
        search, flt = request.arg("$search"), request.arg("$filter")
        if search is not None and (flt is not None or request.arg("$orderby") is not None):
            return _graph_error(request, 400, "ErrorInvalidUrlQuery",
                                "The query parameter '$search' cannot be combined with '$filter' or '$orderby'.")
        items: list[dict[str, Any]] = box["messages"]
        if search is not None:
            match = _kql(search)
            if match is None:
                return _graph_error(request, 400, "BadRequest", f"Syntax error in '$search': {search}")
            key = (id(items), search, self.search_cap)
            with self._lock:
                hits = self._hits.get(key)
            if hits is None:
                hits = sorted((m for m in items if match(m)), key=lambda m: m.get("sentDateTime") or "",
                              reverse=True)[: self.search_cap]
                with self._lock:
                    self._hits[key] = hits
            items = hits
        elif flt is not None:
            m = _FILTER_FROM.match(flt.strip())
            if m is None:
                return _graph_error(request, 400, "ErrorInvalidUrlQueryFilter",
                                    "The query filter contains one or more invalid nodes.")
            wanted = m.group(1).replace("''", "'").lower()
            items = [x for x in items if ((x.get("from") or {}).get("emailAddress") or {}).get("address", "")
                     .lower() == wanted]
        expand = _expand_attachments(request)
        if expand is False:
            return _graph_error(request, 400, "BadRequest", "Parsing OData Select and Expand failed.")
        return self._page(request, user, "messages", items, default_top=10,
                          shape=lambda m: self._shape_message(request, m, expand))

    def _shape_message(self, request: Request, message: dict[str, Any], expand: list[str] | None) -> dict[str, Any]:
        out = _project({k: v for k, v in message.items() if k != "attachments"}, _select(request))
        if "body" in out and _prefers_text(request):
            out["body"] = {"contentType": "text", "content": _html_to_text(message["body"]["content"])}
        if expand is not None:       # an attached item's content only on $expand=microsoft.graph.itemattachment/item
            out["attachments"] = [
                {k: v for k, v in a.items() if k != "item"} if not expand
                else {"@odata.type": a["@odata.type"], **{k: a.get(k) for k in expand}}
                for a in message["attachments"]
            ]
        return out

    def _attachment_value(self, request: Request, box: dict[str, Any], messages: list[dict[str, Any]],
                          message_id: str, att_id: str) -> Response:
        message = next((m for m in messages if m["id"] == message_id), None)
        if message is None:
            return _graph_error(request, 404, "ErrorItemNotFound", "The specified object was not found in the store.")
        att = next((a for a in message["attachments"] if a["id"] == att_id), None)
        if att is None:
            return _graph_error(request, 404, "ErrorItemNotFound", "The specified object was not found in the store.")
        kind = att["@odata.type"].rsplit(".", 1)[-1]
        if kind == "referenceAttachment":
            return _graph_error(request, 405, "ErrorInvalidRequest",
                                "The $value of a reference attachment cannot be retrieved.")
        if kind == "itemAttachment":
            return Response(200, _mime(att["item"]), {"Content-Type": "message/rfc822"})
        return Response(200, base64.b64decode(att["contentBytes"]), {"Content-Type": att["contentType"]})

    def _contact_folders(self, request: Request, user: dict[str, Any], box: dict[str, Any],
                         rest: list[str]) -> Response:
        if not rest:
            folders = box["contactFolders"]
        else:
            folder = _find_folder(box["contactFolders"], rest[0])
            if folder is None or len(rest) != 2 or rest[1] not in ("contacts", "childFolders"):
                return _graph_error(request, 404, "ErrorItemNotFound",
                                    "The specified object was not found in the store.")
            if rest[1] == "contacts":
                return self._contacts(request, user, box, folder["contacts"])
            folders = folder["childFolders"]
        shown = [{k: f[k] for k in ("id", "displayName", "parentFolderId")} for f in folders]
        return self._page(request, user, "contactFolders", shown, default_top=10,
                          shape=lambda f: _project(f, _select(request)))

    def _contacts(self, request: Request, user: dict[str, Any], box: dict[str, Any],
                  items: list[dict[str, Any]]) -> Response:
        flt = request.arg("$filter")
        if flt is not None:
            m = _FILTER_CONTACT.match(flt.strip())
            if m is None:
                return _graph_error(request, 400, "ErrorInvalidUrlQueryFilter",
                                    "The query filter contains one or more invalid nodes.")
            wanted = m.group(2).replace("''", "'").lower()
            items = [c for c in items if any((e.get("address") or "").lower() == wanted for e in c["emailAddresses"])]
        return self._page(request, user, "contacts", items, default_top=10,
                          shape=lambda c: _project(c, _select(request)))

    def _events(self, request: Request, user: dict[str, Any], box: dict[str, Any]) -> Response:
        if request.arg("$filter") is not None and "attendees" in (request.arg("$filter") or ""):
            return _graph_error(request, 400, "ErrorInvalidUrlQueryFilter",
                                "The query filter contains one or more invalid nodes.")

        def shape(e: dict[str, Any]) -> dict[str, Any]:
            out = _project(e, _select(request))
            if "body" in out and _prefers_text(request):
                out["body"] = {"contentType": "text", "content": _html_to_text(e["body"]["content"])}
            return out

        return self._page(request, user, "events", box["events"], default_top=10, shape=shape)

    def _exchange_settings(self, request: Request, who: str) -> Response:
        """Beta ``exchangeSettings``: the primary mailbox's id and, where there is one, the online archive's."""
        user = next((u for u in self.data["users"]
                     if who.lower() in (u["id"], (u["userPrincipalName"] or "").lower(), (u["mail"] or "").lower())),
                    None)
        box = self.data["boxes"].get(((user or {}).get("mail") or "").lower())
        if user is None or box is None or not box["licensed"]:
            return _graph_error(request, 404, "ErrorInvalidUser" if user is None else "MailboxNotEnabledForRESTAPI",
                                "The requested user is invalid or has no mailbox.")
        body: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/beta/$metadata#users('{user['id']}')/settings/exchange/$entity",
            "primaryMailboxId": f"MBX:{user['id']}@{self.tenant_id}",
        }
        if box.get("inPlaceArchive"):
            body["inPlaceArchiveMailboxId"] = f"MBX:{box['inPlaceArchive']}@{self.tenant_id}"
        return Response.json(body)

    # ------------------------------------------------------------------ Graph: a Microsoft 365 group's mailbox
    def _group(self, request: Request, group_id: str, rest: list[str]) -> Response:
        group = self.data["groups"].get(group_id.lower())
        if group is None:
            return _graph_error(request, 404, "Request_ResourceNotFound",
                                f"Resource '{group_id}' does not exist or one of its queried reference-property "
                                "objects are not present.")
        owner = {"id": f"groups('{group['id']}')"}
        if not rest:
            about = {k: v for k, v in group.items() if k != "threads"}
            return Response.json({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups/$entity",
                                  **_project(about, _select(request))})
        if rest == ["threads"]:
            shown = [{k: v for k, v in t.items() if k not in ("posts", "conversationId")} for t in group["threads"]]

            def thread(t: dict[str, Any]) -> dict[str, Any]:
                select = _select(request)        # toRecipients and ccRecipients: only on $select (Graph)
                return _project(t, select) if select else {k: v for k, v in t.items()
                                                           if k not in ("toRecipients", "ccRecipients")}
            return self._page(request, owner, "threads", shown, default_top=10, shape=thread, owner_path="")
        if len(rest) == 3 and rest[0] == "threads" and rest[2] == "posts":
            found = next((t for t in group["threads"] if t["id"] == rest[1]), None)
            if found is None:
                return _graph_error(request, 404, "ErrorItemNotFound",
                                    "The specified object was not found in the store.")
            return self._page(request, owner, f"threads('{found['id']}')/posts", found["posts"], default_top=10,
                              shape=lambda x: _project(x, _select(request)), owner_path="")
        return _graph_error(request, 400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")

    def _page(self, request: Request, user: dict[str, Any], what: str, items: list[dict[str, Any]], *,
              default_top: int, shape: Any, owner_path: str = "users") -> Response:
        top = request.int_arg("$top", default_top)
        if not 1 <= top <= 1000:
            return _graph_error(request, 400, "ErrorInvalidArgument", "The value of '$top' must be between 1 and "
                                                                      "1000.")
        skip = max(0, request.int_arg("$skip", 0))
        page = items[skip:skip + top]
        select = _select(request)
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#"
                              + (f"users('{user['id']}')" if owner_path else user["id"]) + f"/{what}"
                              + (f"({','.join(select)})" if select else ""),
            "value": [shape(x) for x in page],
        }
        if skip + top < len(items):
            body["@odata.nextLink"] = _next_link(request, {"$skip": str(skip + top)})
        headers = {"request-id": str(uuid.uuid4()), "client-request-id": request.header("client-request-id")
                   or str(uuid.uuid4())}
        if _prefers_text(request):
            headers["Preference-Applied"] = 'outlook.body-content-type="text"'
        return Response.json(body, headers=headers)


# ---------------------------------------------------------------------------------------------- helpers
def _graph_error(request: Request, status: int, code: str, message: str) -> Response:
    rid = str(uuid.uuid4())
    return Response.json({"error": {"code": code, "message": message, "innerError": {
        "date": _now(), "request-id": rid, "client-request-id": request.header("client-request-id") or rid}}},
        status, headers={"request-id": rid})


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return Response.json({
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {corr} "
                             f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }, status)


def _select(request: Request) -> list[str]:
    raw = request.arg("$select")
    return [s.strip() for s in raw.split(",") if s.strip()] if raw else []


def _project(obj: dict[str, Any], select: list[str]) -> dict[str, Any]:
    if not select:
        return dict(obj)
    keep = {"@odata.etag", "id", *select}
    return {k: v for k, v in obj.items() if k in keep}


def _prefers_text(request: Request) -> bool:
    prefer = request.header("Prefer") or ""
    return bool(re.search(r'outlook\.body-content-type\s*=\s*"?text"?', prefer, re.I))


def _html_to_text(content: str) -> str:
    text = re.sub(r"(?i)</p>|<br\s*/?>", "\r\n", content)
    text = html.unescape(_TAG.sub("", text))
    return "\r\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\r\n"


def _expand_attachments(request: Request) -> list[str] | None | bool:
    """None: no $expand; a list: the attachment properties to return ([] = all but content); False: invalid."""
    raw = request.arg("$expand")
    if raw is None:
        return None
    m = re.fullmatch(r"\s*attachments(?:\(\$select=([\w,@.]+)\))?\s*", raw)
    if m is None:
        return False
    return m.group(1).split(",") if m.group(1) else []


def _addresses(message: dict[str, Any], fields: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for f in fields:
        value = message.get(f)
        for r in [value] if isinstance(value, dict) else (value or []):
            ea = (r or {}).get("emailAddress") or {}
            out.append(((ea.get("address") or "").lower(), (ea.get("name") or "").lower()))
    return out


_KQL_FIELDS = {
    "participants": ("from", "toRecipients", "ccRecipients", "bccRecipients"),
    "from": ("from",), "to": ("toRecipients",), "cc": ("ccRecipients",), "bcc": ("bccRecipients",),
    "recipients": ("toRecipients", "ccRecipients", "bccRecipients"),
}


def _kql(search: str) -> Any:
    """A small KQL subset: ``prop:value`` address terms and ``sent``/``received`` date bounds, joined by AND."""
    text = search.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    tests = []
    for part in re.split(r"\s+AND\s+", text.strip()):
        m = _KQL_TERM.match(part.strip())
        if m is None:
            return None
        prop, op, value = m.group(1).lower(), m.group(2), m.group(3).strip().lower()
        if prop in _KQL_FIELDS:
            if op != ":":
                return None
            fields = _KQL_FIELDS[prop]
            tests.append(lambda msg, f=fields, v=value: any(v == a or (v and v in n) for a, n in _addresses(msg, f)))
        else:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return None
            key = "sentDateTime" if prop == "sent" else "receivedDateTime"
            # a date bound covers the whole day (UTC here; Exchange uses the mailbox's time zone)
            bounds = {"<=": lambda d, v=value: d[:10] <= v, "<": lambda d, v=value: d[:10] < v,
                      ">=": lambda d, v=value: d[:10] >= v, ">": lambda d, v=value: d[:10] > v,
                      ":": lambda d, v=value: d[:10] == v}
            cmp = bounds[op]
            tests.append(lambda msg, k=key, c=cmp: bool(msg.get(k)) and c(msg[k]))
    return lambda msg: all(t(msg) for t in tests)


def _skiptoken(offset: int) -> str:
    raw = f"RFNwdAIAAQAAACM6{offset:08d}".encode()
    return "X'" + raw.hex().upper() + "'"


def _skiptoken_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(bytes.fromhex(token.strip("X'")).decode()[-8:])
    except ValueError:
        return 0


def _next_link(request: Request, changes: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    host = request.header("Host") or "graph.microsoft.com"
    params = {k: v[0] for k, v in request.query.items() if k not in drop}
    params.update(changes)
    query = urlencode(params, quote_via=quote, safe="")
    path = "/".join(quote(unquote(s), safe="@$") for s in request.path.split("/"))
    return f"https://{host}/office365{path}?{query}"


def _find_folder(folders: list[dict[str, Any]], folder_id: str) -> dict[str, Any] | None:
    """A contact folder anywhere below ``folders``, by id."""
    for folder in folders:
        if folder["id"] == folder_id:
            return folder
        found = _find_folder(folder["childFolders"], folder_id)
        if found is not None:
            return found
    return None


def _mime(item: dict[str, Any]) -> bytes:
    """An attached message as Graph's ``/$value`` returns it: MIME (RFC 5322)."""
    def who(r: dict[str, Any]) -> str:
        ea = r["emailAddress"]
        return f'"{ea["name"]}" <{ea["address"]}>' if ea.get("name") else ea["address"]

    msg = EmailMessage()
    msg["From"] = who(item["from"])
    msg["To"] = ", ".join(who(r) for r in item["toRecipients"])
    msg["Subject"] = item["subject"]
    msg["Date"] = format_datetime(datetime.fromisoformat(item["sentDateTime"].replace("Z", "+00:00")))
    msg["Message-ID"] = item["internetMessageId"]
    msg.set_content(item["body"]["content"], subtype="html")
    return msg.as_bytes()
