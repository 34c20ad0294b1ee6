"""Office 365 through Microsoft Graph: the shop's e-mail with the customer, the customer as an Outlook contact,
and calendar events the customer was invited to.

Auth is msal's client-credentials flow (``ConfidentialClientApplication``) with the run's
:class:`~aggregator.http.VendorSession` as msal's ``http_client``, so the OpenID discovery and token requests get
the same trust (``tls.ca_bundle``), timeouts and retry policy as the Graph calls. A fresh application (with its
own token cache and msal's per-application HTTP throttle cache) is built for every run.

Per mailbox (the configured ``mailboxes`` or every member of ``GET /users`` with a ``mail`` address; B2B guests,
``userType`` "Guest" or ``#EXT#`` in the user principal name, are outside people without a mailbox here):

* messages: ``$search="participants:<subject>"`` (KQL over from, to, cc and bcc; newest first; Graph returns at
  most 1,000 hits, so a capped search is repeated below the oldest date seen: ``AND sent<=YYYY-MM-DD``), plus
  ``$filter=from/emailAddress/address eq '<subject>'``, which is exact and uncapped (Graph accepts ``$filter`` on
  ``from`` but rejects ``toRecipients/any(...)``, and refuses ``$search`` together with ``$filter``). Bodies come
  as text (``Prefer: outlook.body-content-type="text"``), attachments as names and sizes
  (``$expand=attachments($select=...)``); their content only with ``include_attachments = true``;
* contacts: ``$filter=emailAddresses/any(a:a/address eq '<subject>')`` (default contacts folder);
* events: every event of the mailbox's calendar, kept when the subject is an attendee or the organizer (Graph
  does not filter on attendees).

Every hit is re-checked client-side (case-insensitive). Other people's addresses in a record (recipients,
attendees, addresses quoted in a body) that are neither the subject's nor the shop's (``staff_domains`` and the
domains of the mailboxes read, never a guest's) are listed in the record's ``third_parties`` for the package's
redaction. A mailbox without an Exchange Online licence
(``MailboxNotEnabledForRESTAPI``) is skipped with a note. Mailboxes are read concurrently, at most
``MAILBOX_CONCURRENCY`` requests in flight per mailbox (Graph's per-app-per-mailbox limit is 4); 429 and
``Retry-After`` go through the shared retry policy.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import msal
import requests
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

from aggregator.connector import Connector, Record
from aggregator.errors import ConfigError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, one_line
from aggregator.paging import PageGuard
from aggregator.subject import emails_in

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAILBOX_CONCURRENCY = 4          # Graph: 4 concurrent requests per app and mailbox ("MailboxConcurrency")
SEARCH_LIMIT = 1000              # Graph: "A $search request returns up to 1,000 results"
DEFAULT_PAGE = 50
MAX_PAGES = 2000                 # a nextLink loop guard

MESSAGE_FIELDS = ("id,internetMessageId,conversationId,subject,from,sender,toRecipients,ccRecipients,"
                  "bccRecipients,replyTo,sentDateTime,receivedDateTime,body,hasAttachments,importance,isDraft,"
                  "parentFolderId")
ATTACHMENT_FIELDS = "id,name,size,contentType,isInline"
EVENT_FIELDS = ("id,iCalUId,subject,body,start,end,isAllDay,isCancelled,location,attendees,organizer,type,"
                "seriesMasterId,createdDateTime,lastModifiedDateTime")
TEXT_BODY = {"Prefer": 'outlook.body-content-type="text"'}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class _MailboxSkipped(Exception):
    """The mailbox cannot be read and that is not a failure (no Exchange Online licence, unknown user)."""


@dataclass
class _Mailbox:
    ref: str                          # what goes in /users/{ref}/...: an id or userPrincipalName
    label: str                        # shown to people: the mail address
    gate: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(MAILBOX_CONCURRENCY))


class Office365Connector(Connector):
    name = "office365"
    processor = "office365"
    categories = ("communications", "contact")
    required_settings = ("authority", "client_id", "client_secret")
    secret_settings = ("client_secret",)
    description = "E-mail, Outlook contacts and calendar events in the shop's Microsoft 365 mailboxes (Graph)."

    # ------------------------------------------------------------------ setup
    def collect(self) -> Iterable[Record]:
        s = self.settings
        self.graph_url = str(s.get("graph_url") or GRAPH_URL).rstrip("/")
        graph = urlsplit(self.graph_url)
        if graph.scheme != "https" or not graph.netloc:
            raise ConfigError("config: connectors.office365.graph_url must be an https URL")
        self._graph_origin = (graph.scheme, graph.netloc)
        self._graph_path = graph.path.rstrip("/")
        self._version = self._graph_path.rsplit("/", 1)[-1] or "v1.0"
        self.page_size = _int_setting(s, "page_size", DEFAULT_PAGE, 1, 1000)
        self.search_limit = _int_setting(s, "search_limit", SEARCH_LIMIT, 1, 100000)
        self.include_attachments = _bool_setting(s, "include_attachments")
        self.email = self.ctx.subject.email
        self.session = self.ctx.session(limits=Limits(concurrency=16))
        self._token_lock = threading.Lock()
        self._skipped: dict[str, str] = {}
        self._skip_lock = threading.Lock()
        self._app = self._msal_app()
        self._token()                                     # fail fast, before any mailbox work

        mailboxes = self._mailboxes()
        configured_domains = s.get("staff_domains") or []
        if isinstance(configured_domains, str):
            configured_domains = [configured_domains]
        self.staff_domains = {str(d).lower().lstrip("@") for d in configured_domains} | {
            m.label.rsplit("@", 1)[-1].lower() for m in mailboxes if "@" in m.label}
        return self._collect_all(mailboxes)

    def _msal_app(self) -> msal.ConfidentialClientApplication:
        authority = str(self.settings["authority"]).rstrip("/")
        host = (urlsplit(authority).hostname or "").lower()
        try:
            return msal.ConfidentialClientApplication(
                str(self.settings["client_id"]),
                client_credential=str(self.settings["client_secret"]),
                authority=authority,
                http_client=self.session,
                # instance discovery asks login.microsoftonline.com about the host: only for Microsoft's own hosts
                instance_discovery=None if host in WELL_KNOWN_AUTHORITY_HOSTS else False,
                token_cache=msal.TokenCache(),
            )
        except ValueError as exc:
            raise VendorError(f"office365: cannot use authority {authority}: {_discovery_reason(exc)}") from None
        except (msal.exceptions.MsalServiceError, requests.RequestException) as exc:
            raise VendorError(f"office365: OpenID discovery failed for {authority}: {one_line(exc)}") from None

    def _token(self) -> str:
        scope = str(self.settings.get("scope") or GRAPH_SCOPE)
        with self._token_lock:               # msal answers from its cache until the token is about to expire
            try:
                result = self._app.acquire_token_for_client(scopes=[scope])
            except (msal.exceptions.MsalServiceError, requests.RequestException, ValueError) as exc:
                raise VendorError(f"office365: token request failed: {one_line(exc)}") from None
        if not isinstance(result, Mapping) or "access_token" not in result:
            raise VendorError(_token_reason(result))
        return str(result["access_token"])

    # ------------------------------------------------------------------ HTTP
    def _url(self, path: str) -> str:
        return self.graph_url + path

    def _endpoint(self, url: str) -> str:
        parts = urlsplit(url)
        path = parts.path
        if path.startswith(self._graph_path):
            path = f"/{self._version}" + path[len(self._graph_path):]
        return "GET " + unquote(path) + (f"?{unquote(parts.query)}" if parts.query else "")

    def _get(self, box: _Mailbox | None, url: str, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, *, raw: bool = False) -> tuple[Any, str]:
        hdrs = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json", **(headers or {})}
        if box is None:
            response = self.session.get(url, params=params, headers=hdrs)
        else:
            with box.gate:
                response = self.session.get(url, params=params, headers=hdrs)
        if box is not None and response.status_code == 404:
            code = _graph_code(response)
            if code == "MailboxNotEnabledForRESTAPI":
                raise _MailboxSkipped("it has no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)")
            if code in ("ErrorInvalidUser", "Request_ResourceNotFound", "ResourceNotFound"):
                raise _MailboxSkipped(f"no such user in the tenant ({code})")
        if raw:
            if response.status_code != 200:
                self.session.parse(response, describe=_describe)
            return response.content, response.url
        return self.session.parse(response, describe=_describe, empty={}), response.url

    def _pages(self, box: _Mailbox | None, path: str, params: Mapping[str, Any],
               headers: Mapping[str, str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(endpoint, item) over every page, following ``@odata.nextLink`` unchanged (same origin only)."""
        url: str = self._url(path)
        query: Mapping[str, Any] | None = params
        guard = PageGuard("office365", path, MAX_PAGES)
        while True:
            body, final_url = self._get(box, url, query, headers)
            endpoint = self._endpoint(final_url)
            for item in body.get("value") or []:
                if isinstance(item, dict):
                    yield endpoint, item
            link = body.get("@odata.nextLink")
            if not link:
                return
            nxt = urlsplit(link)
            if (nxt.scheme, nxt.netloc) != self._graph_origin:
                raise VendorError(f"office365: refusing to follow a nextLink to another host ({nxt.netloc})")
            guard.check(link)
            url, query = link, None

    # ------------------------------------------------------------------ mailboxes
    def _mailboxes(self) -> list[_Mailbox]:
        configured = self.settings.get("mailboxes")
        if isinstance(configured, str):
            configured = [x for x in re.split(r"[,\s]+", configured) if x]
        if configured:
            seen: dict[str, _Mailbox] = {}
            for m in configured:
                ref = str(m).strip()
                seen.setdefault(ref.lower(), _Mailbox(ref=ref, label=ref.lower()))
            return list(seen.values())
        found: list[_Mailbox] = []
        params = {"$select": "id,userPrincipalName,mail,displayName,userType", "$top": "100"}
        for _, user in self._pages(None, "/users", params):
            if _is_guest(user):                    # a B2B guest: an outside person, no mailbox of the shop
                continue
            mail = user.get("mail")
            if mail and user.get("id"):            # no mail address: no Exchange mailbox to read
                found.append(_Mailbox(ref=str(user["id"]), label=str(mail).lower()))
        return found

    def _collect_all(self, mailboxes: list[_Mailbox]) -> Iterator[Record]:
        tasks: list[tuple[_Mailbox, Callable[[_Mailbox], list[Record]]]] = [
            (box, fn) for box in mailboxes for fn in (self._messages, self._contacts, self._events)]
        results: list[list[Record]] = []
        with ThreadPoolExecutor(max_workers=max(1, min(16, len(tasks))), thread_name_prefix="office365") as pool:
            futures: list[Future[list[Record]]] = [pool.submit(self._guarded, box, fn) for box, fn in tasks]
            try:
                for fut in futures:
                    results.append(fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        for box in mailboxes:
            if box.label in self._skipped:
                self.ctx.note(f"office365: mailbox {box.label} skipped: {self._skipped[box.label]}")
        for (box, _), records in zip(tasks, results, strict=True):
            if box.label not in self._skipped:
                yield from records

    def _guarded(self, box: _Mailbox, fn: Callable[[_Mailbox], list[Record]]) -> list[Record]:
        try:
            return fn(box)
        except _MailboxSkipped as exc:
            with self._skip_lock:
                self._skipped.setdefault(box.label, str(exc))
            return []

    def _box_path(self, box: _Mailbox, tail: str) -> str:
        return f"/users/{quote(box.ref, safe='@')}/{tail}"

    # ------------------------------------------------------------------ messages
    def _messages(self, box: _Mailbox) -> list[Record]:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        base = {"$select": MESSAGE_FIELDS, "$top": str(self.page_size),
                "$expand": f"attachments($select={ATTACHMENT_FIELDS})"}
        bound: date | None = None
        while True:
            kql = f"participants:{self.email}" + (f" AND sent<={bound.isoformat()}" if bound else "")
            hits, oldest = 0, None
            for endpoint, msg in self._pages(box, self._box_path(box, "messages"), {**base, "$search": f'"{kql}"'},
                                             TEXT_BODY):
                hits += 1
                stamp = msg.get("sentDateTime") or msg.get("receivedDateTime")
                if stamp and (oldest is None or stamp < oldest):
                    oldest = stamp
                found.setdefault(str(msg.get("id")), (endpoint, msg))
            if hits < self.search_limit or oldest is None:
                break
            # capped: search again below the oldest day seen (+1 day: KQL dates are in the mailbox's time zone)
            nxt = datetime.fromisoformat(oldest.replace("Z", "+00:00")).date() + timedelta(days=1)
            if bound is not None and nxt >= bound:
                self.ctx.note(f"office365: mailbox {box.label}: more than {self.search_limit} messages with the "
                              f"subject around {oldest[:10]}; the search could not be split further, messages from "
                              "the subject are complete (exact filter), others may be missing")
                break
            bound = nxt
        # exact and uncapped for what the subject sent (the search index can lag behind the mailbox)
        escaped = self.email.replace("'", "''")
        for endpoint, msg in self._pages(box, self._box_path(box, "messages"),
                                         {**base, "$filter": f"from/emailAddress/address eq '{escaped}'"},
                                         TEXT_BODY):
            found.setdefault(str(msg.get("id")), (endpoint, msg))

        kept = [(e, m) for e, m in found.values() if self._involves(m)]
        kept.sort(key=lambda em: em[1].get("sentDateTime") or em[1].get("receivedDateTime") or "", reverse=True)
        return [self._message_record(box, e, m) for e, m in kept]

    def _involves(self, msg: Mapping[str, Any]) -> bool:
        return any(self.ctx.subject.matches(a) for a in _message_addresses(msg))

    def _message_record(self, box: _Mailbox, endpoint: str, msg: dict[str, Any]) -> Record:
        data = {k: v for k, v in msg.items() if not k.startswith("@odata.")}
        data = {"mailbox": box.label, **data}
        attachments = []
        for att in msg.get("attachments") or []:
            item = {k: att.get(k) for k in ("name", "size", "contentType", "isInline")}
            item["kind"] = str(att.get("@odata.type") or "").rsplit(".", 1)[-1] or None
            if self.include_attachments and item["kind"] == "fileAttachment" and att.get("id"):
                item["file"] = self._download(box, msg, att)
            attachments.append(item)
        data["attachments"] = attachments
        body = (msg.get("body") or {}).get("content") or ""
        third = self._third_parties([*_message_addresses(msg), *emails_in(body),
                                     *emails_in(str(msg.get("subject") or ""))])
        return self.ctx.record("communications", "message", data, endpoint=endpoint, vendor_id=msg.get("id"),
                               third_parties=third)

    def _download(self, box: _Mailbox, msg: Mapping[str, Any], att: Mapping[str, Any]) -> str:
        path = self._box_path(box, f"messages/{quote(str(msg['id']), safe='')}/attachments/"
                                   f"{quote(str(att['id']), safe='')}/$value")
        content, _ = self._get(box, self._url(path), raw=True)
        day = str(msg.get("receivedDateTime") or msg.get("sentDateTime") or "")[:10]
        name = _UNSAFE_NAME.sub("_", str(att.get("name") or "attachment")).strip("._") or "attachment"
        key = hashlib.sha1(f"{box.label}/{msg['id']}/{att['id']}".encode()).hexdigest()[:10]
        local = _UNSAFE_NAME.sub("_", box.label.split("@", 1)[0])
        return self.ctx.attach("communications", f"{local}_{day}_{key}_{name}", content)

    # ------------------------------------------------------------------ contacts and events
    def _contacts(self, box: _Mailbox) -> list[Record]:
        escaped = self.email.replace("'", "''")
        params = {"$filter": f"emailAddresses/any(a:a/address eq '{escaped}')", "$top": str(self.page_size)}
        out = []
        for endpoint, contact in self._pages(box, self._box_path(box, "contacts"), params):
            if not any(self.ctx.subject.matches((e or {}).get("address")) for e in contact.get("emailAddresses") or []):
                continue
            data = {"mailbox": box.label, **{k: v for k, v in contact.items() if not k.startswith("@odata.")}}
            out.append(self.ctx.record("contact", "contact", data, endpoint=endpoint, vendor_id=contact.get("id")))
        return out

    def _events(self, box: _Mailbox) -> list[Record]:
        params = {"$select": EVENT_FIELDS, "$top": str(self.page_size)}
        out = []
        for endpoint, event in self._pages(box, self._box_path(box, "events"), params, TEXT_BODY):
            people = [*_people(event.get("attendees")), *_people([event.get("organizer")])]
            if not any(self.ctx.subject.matches(a) for a in people):
                continue
            data = {"mailbox": box.label, **{k: v for k, v in event.items() if not k.startswith("@odata.")}}
            body = (event.get("body") or {}).get("content") or ""
            third = self._third_parties([*people, *emails_in(body)])
            out.append(self.ctx.record("communications", "event", data, endpoint=endpoint,
                                       vendor_id=event.get("id"), third_parties=third))
        return out

    def _third_parties(self, addresses: Iterable[str | None]) -> list[str]:
        """Addresses that are neither the subject's nor the shop's: other people, to be redacted."""
        out = set()
        for a in addresses:
            addr = (a or "").strip().strip("<>").lower()
            if "@" not in addr or self.ctx.subject.matches(addr):
                continue
            if addr.rsplit("@", 1)[1] in self.staff_domains:
                continue
            out.add(addr)
        return sorted(out)


# ---------------------------------------------------------------------------------------------- helpers
def _people(entries: Iterable[Any] | None) -> list[str]:
    out = []
    for e in entries or []:
        address = ((e or {}).get("emailAddress") or {}).get("address")
        if address:
            out.append(str(address))
    return out


def _is_guest(user: Mapping[str, Any]) -> bool:
    """An Entra B2B guest: ``userType`` "Guest", or (older accounts without it) a ``#EXT#`` user principal name."""
    return str(user.get("userType") or "").lower() == "guest" or "#EXT#" in str(user.get("userPrincipalName") or "")


def _message_addresses(msg: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("from", "sender"):
        out += _people([msg.get(key)])
    for key in ("toRecipients", "ccRecipients", "bccRecipients", "replyTo"):
        out += _people(msg.get(key))
    return out


def _graph_code(response: requests.Response) -> str | None:
    try:
        err = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return err.get("code") if isinstance(err, dict) else None


def _describe(response: requests.Response) -> str:
    """Graph's ``{"error": {"code", "message"}}`` as "code: message"."""
    try:
        err = response.json().get("error")
    except (ValueError, AttributeError):
        return response.reason or "error"
    if isinstance(err, dict):
        return ": ".join(str(x) for x in (err.get("code"), err.get("message")) if x) or (response.reason or "error")
    return str(err or response.reason or "error")


def _aad_description(text: object) -> str:
    """The first sentence-bearing line of an AAD error_description, without trace and correlation ids."""
    desc = re.split(r"\s*(?:Trace ID|Correlation ID|Timestamp):", str(text or ""), maxsplit=1)[0]
    return one_line(desc, 240)


def _token_reason(result: object) -> str:
    if not isinstance(result, Mapping):
        return "office365: token request failed: unreadable answer from the token endpoint"
    error = result.get("error") or "token_error"
    desc = _aad_description(result.get("error_description"))
    return f"office365: {error}" + (f": {desc}" if desc else "")


def _discovery_reason(exc: BaseException) -> str:
    """msal re-raises a failed OpenID discovery as a generic ValueError; the HTTP answer is in its context."""
    cause: BaseException | None = exc
    while cause is not None and "HTTP status:" not in str(cause):
        cause = cause.__cause__ or cause.__context__
    text = str(cause or exc)
    m = re.search(r"HTTP status: (\d+), Error: (.*)$", text, re.S)
    if m:
        try:
            body = json.loads(m.group(2))
            return f"OpenID discovery answered {m.group(1)} {body.get('error')}: " \
                   f"{_aad_description(body.get('error_description'))}"
        except ValueError:
            return f"OpenID discovery answered {m.group(1)}"
    return one_line(text, 240)


def _int_setting(settings: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = settings.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"config: connectors.office365.{key} must be a whole number") from None
    if not lo <= number <= hi:
        raise ConfigError(f"config: connectors.office365.{key} must be between {lo} and {hi}")
    return number


def _bool_setting(settings: Mapping[str, Any], key: str) -> bool:
    value = settings.get(key, False)
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "yes", "1"):
        return True
    if str(value).strip().lower() in ("false", "no", "0", ""):
        return False
    raise ConfigError(f"config: connectors.office365.{key} must be true or false")


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(Office365Connector)
