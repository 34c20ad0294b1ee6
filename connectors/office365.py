"""Office 365 through Microsoft Graph: the shop's e-mail with the customer, the customer as an Outlook contact,
and calendar events the customer was invited to.

Auth is msal's client-credentials flow (``ConfidentialClientApplication``) with the run's
:class:`~aggregator.http.VendorSession` as msal's ``http_client``, so the OpenID discovery and token requests get
the same trust (``tls.ca_bundle``), timeouts and retry policy as the Graph calls. A fresh application (with its
own token cache and msal's per-application HTTP throttle cache) is built for every run, unless ``reuse_sign_in``
keeps one per authority, client id, secret and trust for the process (MSAL's advice for a long-lived app: one
``ConfidentialClientApplication`` reused, whose token cache answers ``acquire_token_for_client`` until the token is
near its end): a portal worker's later exports then skip the OpenID discovery and the token request, two requests
one after the other before any Graph request. Its requests still go through the session of the run that asks.
Across processes, msal's HTTP cache is ``discovery_cache`` (:mod:`connectors._office365_signin`: the OpenID discovery
answer in a file beside the register, nothing of the token requests): a later export's sign-in is the token alone.

Per mailbox (the configured ``mailboxes`` or every member of ``GET /users`` with a ``mail`` address; B2B guests,
``userType`` "Guest" or ``#EXT#`` in the user principal name, are outside people without a mailbox here):

* messages: ``$search="participants:<subject>"`` (KQL over from, to, cc and bcc; newest first; Graph returns at
  most 1,000 hits, so a capped search is repeated below the oldest date seen: ``AND sent<=YYYY-MM-DD``; a day
  with more hits than that leaves the connector incomplete), plus
  ``$filter=from/emailAddress/address eq '<subject>'``, which is exact and uncapped (Graph accepts ``$filter`` on
  ``from`` but rejects ``toRecipients/any(...)``, and refuses ``$search`` together with ``$filter``). Bodies come
  as text (``Prefer: outlook.body-content-type="text"``), attachments as names and sizes
  (``$expand=attachments($select=...)``). ``/messages`` covers the whole mailbox including Deleted Items;
* deleted mail Exchange still holds (``mailFolders/recoverableitemsdeletions/messages``, which ``/messages`` does
  not cover): listed (no search there) and kept when the subject is on it, up to ``RECOVERABLE_MAX_PAGES``;
* attachments (``include_attachments``, on by default), only of messages with ``hasAttachments``: a file as it is
  and an attached item as MIME (an e-mail becomes a ``.eml``), both through ``.../attachments/{id}/$value``, one
  request each, each up to ``attachment_max_kb`` (larger ones are listed with a note); a link to a cloud file
  (``referenceAttachment``) has no ``$value`` and, in v1.0, no URL: it is listed by name. Each is also an
  ``attachment`` record;
* contacts: ``$filter=emailAddresses/any(a:a/address eq '<subject>')`` in the default contacts folder and in
  every contact folder below it (``contactFolders``, their ``childFolders`` recursively, up to
  ``CONTACT_FOLDERS_MAX``);
* events: every event of the mailbox's calendar, kept when the subject is an attendee or the organizer (Graph
  does not filter on attendees).

With ``archive = true`` (off by default: the route is Graph beta), each mailbox's ``settings/exchange`` (beta) tells
whether it has an online archive (``inPlaceArchiveMailboxId``). Graph reaches an archive only through the mailbox
import/export API (``/admin/exchange/mailboxes/{id}/folders/{id}/items``), whose items carry no sender, recipients
or text, and whose export is an opaque stream "not intended for parsing": an archive cannot be searched for the
subject here, so one that exists leaves the connector incomplete with that reason (search it with Purview
eDiscovery).

Per configured Microsoft 365 group (``groups``): every thread of its conversations (``/groups/{id}/threads``, with
``toRecipients`` and ``ccRecipients``) and every post of each thread, kept when the subject wrote it (``from``,
``sender``), was added by it (``newParticipants``) or is among the thread's recipients. Graph cannot filter
threads or posts by address.

Every hit is re-checked client-side (case-insensitive). Other people's addresses in a record (recipients,
attendees, addresses quoted in a body) that are neither the subject's nor the shop's (``staff_domains`` and the
domains of the mailboxes read, never a guest's) are listed in the record's ``third_parties`` for the package's
redaction. A mailbox without an Exchange Online licence (``MailboxNotEnabledForRESTAPI``) is skipped with a note.
Mailboxes and groups are read concurrently, at most ``MAILBOX_CONCURRENCY`` requests in flight per mailbox (Graph's
per-app-per-mailbox limit is 4): all its searches run side by side from the start (an unreadable mailbox costs at
most one request per slot: once one answers that, no more are sent), the ``$search``'s pages (the mailbox's longest
chain) first whenever requests wait for a slot, then the other listings, then the downloads; the ``$search`` runs
beside the ``$filter``, and a message's attachments are downloaded as soon as its page is read; 429 and
``Retry-After`` go through the shared retry policy. Records stream: each is handed on to the run as soon as its page
is read (a message once its attachments are downloaded), through a bounded queue, so the run spools them while the
mailboxes are still read and no per-mailbox list grows with the customer (a message found by both the ``$search``
and the ``$filter`` is told apart by a 16-byte digest of its id).
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import msal
import requests
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

from aggregator.connector import Connector, Record
from aggregator.errors import ConfigError, DsarError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, one_line
from aggregator.kept import Kept, Slot, account_key, token_deadline
from aggregator.paging import NextLinkPaginator, PageGuard, fan_out, items_at, pages
from aggregator.settings import Setting
from aggregator.subject import emails_in
from connectors import _office365_signin as signin
from connectors.office365_datasets import DATASETS

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MAILBOX_CONCURRENCY = 4          # Graph: 4 concurrent requests per app and mailbox ("MailboxConcurrency")
MAILBOXES_AT_ONCE = 5            # mailboxes and groups read side by side (the session allows 16 requests)
SEARCH_LIMIT = 1000              # Graph: "A $search request returns up to 1,000 results"
MAX_PAGES = 2000                 # a nextLink loop guard
CONTACT_FOLDERS_MAX = 200        # contact folders searched per mailbox (below the default one, any depth)
RECOVERABLE_MAX_PAGES = 40       # pages of Recoverable Items > Deletions listed per mailbox (no search there)
GROUP_THREADS_MAX = 2000         # threads read per group (each costs one request for its posts)
ATTACHMENT_MAX_KB = 25 * 1024    # Exchange Online's default message size limit is 25 MB (35 MB received)
DOWNLOAD_BACKLOG = 64            # attachment downloads started and not yet done, per mailbox (listing waits past it)
WAIT_SLICE = 0.25                # seconds: a retry wait is slept in slices, each ending it when the run has stopped
WAIT_SHOWN = 1.0                 # retry waits this long or longer are shown ("waiting for ... until")
OUT_BATCHES = 64                 # record batches read and not yet handed on (the readers wait past it)
# Entra ID sign-in hosts and the Microsoft Graph hosts of the same cloud (learn.microsoft.com/graph/deployments)
CLOUDS = {"login.microsoftonline.com": {"graph.microsoft.com"}, "login.windows.net": {"graph.microsoft.com"},
          "login.microsoftonline.us": {"graph.microsoft.us", "dod-graph.microsoft.us"},
          "login.chinacloudapi.cn": {"microsoftgraph.chinacloudapi.cn"}}
GRAPH_HOSTS = set().union(*CLOUDS.values())

MESSAGE_FIELDS = ("id,internetMessageId,conversationId,subject,from,sender,toRecipients,ccRecipients,"
                  "bccRecipients,replyTo,sentDateTime,receivedDateTime,body,hasAttachments,importance,isDraft,"
                  "parentFolderId")
ATTACHMENT_FIELDS = "id,name,size,contentType,isInline,lastModifiedDateTime"
THREAD_FIELDS = "id,topic,toRecipients,ccRecipients,uniqueSenders,lastDeliveredDateTime,hasAttachments"
DELETED_FOLDER = "recoverableitemsdeletions"     # Graph's well-known name of Recoverable Items > Deletions
EVENT_FIELDS = ("id,iCalUId,subject,body,start,end,isAllDay,isCancelled,location,attendees,organizer,type,"
                "seriesMasterId,createdDateTime,lastModifiedDateTime")
TEXT_BODY = {"Prefer": 'outlook.body-content-type="text"'}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class _Relay:
    """msal's ``http_client`` for an application kept across runs: each call goes through the session of the run
    asking, set for the calling thread (msal calls it from the thread that asks it for a token)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def using(self, session: requests.Session) -> Iterator[None]:
        """Send msal's requests made by this thread within the block through ``session``."""
        before = getattr(self._local, "session", None)
        self._local.session = session
        try:
            yield
        finally:
            self._local.session = before

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            raise VendorError("office365: msal asked for a request outside a run")
        return session

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """msal's GET (OpenID discovery)."""
        return self._session().get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """msal's POST (the token request)."""
        return self._session().post(url, **kwargs)

    def close(self) -> None:
        """Nothing to close: each run closes its own session."""


# msal applications kept for later runs in this process (``reuse_sign_in``): one per authority, client id, secret and
# trust, as MSAL advises ("reuse one application instance"): its OpenID discovery and its token cache serve them all,
# and its lock makes exports started together ask one token
_SIGN_INS: Kept[tuple[msal.ConfidentialClientApplication, _Relay]] = Kept()


def forget_sign_ins() -> None:
    """Drop every msal application kept for later runs in this process (their tokens go with them)."""
    _SIGN_INS.forget()


class _Gate:
    """At most ``limit`` requests of one mailbox in flight; a request waiting for a slot goes before any of a lower
    rank: the ``$search``'s pages (the mailbox's longest chain) first, then the other listings (each page a step of
    a chain), then the attachment downloads (many, and none leads to another request)."""

    LEAD, LISTING, DOWNLOAD = 0, 1, 2

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._cond = threading.Condition()
        self._busy = 0
        self._waiting = [0, 0, 0]           # requests waiting for a slot, by rank
        self._kept = 0                      # slots kept free for a lead request still to come

    def keep_for_lead(self, keep: bool) -> None:
        """Keep one slot free until the first lead request takes it (``False``: none is coming after all)."""
        with self._cond:
            self._kept = int(keep)
            self._cond.notify_all()

    @contextmanager
    def slot(self, rank: int = LISTING) -> Iterator[None]:
        """Hold one of the mailbox's request slots while the block runs."""
        with self._cond:
            self._waiting[rank] += 1
            try:
                while self._busy >= self.limit - (0 if rank == self.LEAD else self._kept) \
                        or any(self._waiting[:rank]):
                    self._cond.wait()
            finally:
                self._waiting[rank] -= 1
            self._busy += 1
            if rank == self.LEAD:
                self._kept = 0
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()


class _MailboxSkipped(Exception):
    """The mailbox cannot be read and that is not a failure (no Exchange Online licence, unknown user)."""


class _PartRefused(VendorError):
    """A request of a mailbox already read answered as if the mailbox could not be read: only that part failed."""

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(f"office365: {detail}")
        self.detail = detail
        self.code = code            # Graph's error code


class _Halted(Exception):
    """The run stopped taking records (it failed or ended early): the readers stop at their next request."""


@dataclass
class _Mailbox:
    ref: str                          # what goes in /users/{ref}/...: an id or userPrincipalName
    label: str                        # shown to people: the mail address
    gate: _Gate = field(default_factory=lambda: _Gate(MAILBOX_CONCURRENCY))
    covered: list[str] = field(default_factory=list)     # what its searches covered, for ctx.covered
    short: list[str] = field(default_factory=list)       # searches cut short, for ctx.cut_short
    withheld: list[tuple[int, str, str]] = field(default_factory=list)   # for ctx.withheld: count, what, why
    notes: list[str] = field(default_factory=list)                       # for ctx.note
    skipped: str | None = None                           # why it could not be read
    # attachment downloads started as their messages are listed, by (messages path, message id, attachment id)
    fetches: dict[tuple[str, str, str], Future[tuple[str | None, str]]] = field(default_factory=dict)
    downloader: ThreadPoolExecutor | None = None
    failed: BaseException | None = None                  # the first download that failed
    backlog: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(DOWNLOAD_BACKLOG))
    big: list[str] = field(default_factory=list)         # attachments left out as larger than the cap, by name
    undownloaded: list[tuple[str, str]] = field(default_factory=list)   # downloads answered 404: (name, code)
    closed: str | None = None                            # why a request found it unreadable
    refused_at: str | None = None                        # the request that found it so
    reached: bool = False                                # a request of it was answered (it can be read)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Office365Connector(Connector):
    """Business e-mail through Microsoft Graph with application permissions (msal client credentials)."""

    name = "office365"
    processor = "office365"
    categories = ("communications", "contact")
    datasets = DATASETS
    description = ("E-mail with its attachments, Outlook contacts, calendar events and group conversations in the "
                   "shop's Microsoft 365 mailboxes (Graph).")
    declared_settings = (
        Setting("authority", "the tenant's Entra ID authority", "url", required=True,
                example="`https://login.microsoftonline.com/<tenant-id>`"),
        Setting("graph_url", "Microsoft Graph's root, with its version", "url", default=GRAPH_URL),
        Setting("client_id", "the app registration's application (client) id", required=True),
        Setting("client_secret", "the app registration's client secret", required=True, secret=True),
        Setting("scope", "the token scope (client credentials: ends in /.default)", default=GRAPH_SCOPE),
        Setting("mailboxes", "mailboxes to read (addresses or user ids); none: every mailbox of the tenant", "list"),
        Setting("staff_domains", "the shop's own mail domains besides those of the mailboxes read", "list"),
        Setting("include_attachments", "put attachment contents in the package (files as they are, attached "
                "e-mails as .eml); false: names and sizes only", "bool", default=True),
        Setting("attachment_max_kb", "attachments larger than this stay out of the package (listed by name and "
                "size, with a note)", "int", default=ATTACHMENT_MAX_KB, minimum=1, maximum=150 * 1024),
        Setting("deleted_mail", "also search deleted mail Exchange still holds (Recoverable Items > Deletions)",
                "bool", default=True),
        Setting("archive", "ask Graph beta (settings/exchange) whether each mailbox has an online archive: one that "
                "exists cannot be searched through Graph and leaves the result incomplete", "bool", default=False),
        Setting("groups", "ids of Microsoft 365 groups whose conversations to search (posts from or to the "
                "subject); permission Group-Conversation.Read.All", "list"),
        Setting("reuse_sign_in", "keep msal's application (its OpenID discovery and its token) for later exports in "
                "this process with the same authority, client, secret, trust and scope (the portal server's embedded "
                "workers run many; an RQ `dsar worker` forks a child per export and keeps nothing); off: every export "
                "signs in anew", "bool", default=False),
        Setting("discovery_cache", "the file keeping msal's OpenID discovery answers (public metadata, never a "
                "secret or token) between exports, so a later export's sign-in is the token request alone; `off`: "
                "none", example=f"default: `{signin.FILE_NAME}` beside the request register (none for a "
                "run without a register)"),
        Setting("page_size", "items per Graph page ($top)", "int", default=50, minimum=1, maximum=1000),
        Setting("search_limit", "Graph's $search cap, above which a search is split by date", "int",
                default=SEARCH_LIMIT, minimum=1, maximum=100000),
    )

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """One entry per list item; an authority naming a tenant; authority, graph_url and scope of one cloud."""
        for key in ("mailboxes", "staff_domains", "groups"):
            if any(re.search(r"[\s,;]", v) for v in settings[key] or ()):
                raise ConfigError(f"config: connectors.office365.{key} must be a list with one entry per item")
        authority = urlsplit(settings["authority"])
        if not authority.path.strip("/"):
            raise ConfigError("config: connectors.office365.authority must end with the tenant "
                              "(https://login.microsoftonline.com/<tenant-id>)")
        graph = (urlsplit(settings["graph_url"]).hostname or "").lower()
        login = (authority.hostname or "").lower()
        if login in CLOUDS and graph in GRAPH_HOSTS and graph not in CLOUDS[login]:
            raise ConfigError("config: connectors.office365.graph_url must be the Microsoft Graph of the "
                              "authority's cloud (learn.microsoft.com/graph/deployments)")
        cache = settings["discovery_cache"]
        if cache and cache != "off" and not Path(cache).is_absolute():
            raise ConfigError("config: connectors.office365.discovery_cache must be an absolute path or off")
        if not settings["scope"].endswith("/.default"):
            raise ConfigError("config: connectors.office365.scope must end in /.default (client credentials)")
        scope = (urlsplit(settings["scope"]).hostname or "").lower()
        if scope in GRAPH_HOSTS and graph in GRAPH_HOSTS and scope != graph:
            raise ConfigError("config: connectors.office365.scope must name the same Microsoft Graph as graph_url")

    # ------------------------------------------------------------------ setup
    def collect(self) -> Iterable[Record]:
        """Messages, contacts and events about the subject in every configured (or every licensed) mailbox."""
        s = self.settings
        self.graph_url = s["graph_url"].rstrip("/")
        graph = urlsplit(self.graph_url)
        self._graph_origin = (graph.scheme, graph.netloc)
        self._graph_path = graph.path.rstrip("/")
        self._version = self._graph_path.rsplit("/", 1)[-1] or "v1.0"
        self.email = self.ctx.subject.email
        self.session = self.ctx.session(limits=Limits(concurrency=16), sleep=self._wait)
        self._token_lock = threading.Lock()
        self._app = self._msal_app(reuse=s["reuse_sign_in"])
        self._token()                                     # fail fast, before any mailbox work

        mailboxes = self._mailboxes()
        self.staff_domains = {d.lower().lstrip("@") for d in s["staff_domains"] or ()} | {
            m.label.rsplit("@", 1)[-1].lower() for m in mailboxes if "@" in m.label}
        return self._collect_all(mailboxes)

    def check_access(self) -> str:
        """``dsar check``: a token (client credentials) and one ``GET /users?$top=1``."""
        self.graph_url = self.settings["graph_url"].rstrip("/")
        self._graph_path = urlsplit(self.graph_url).path.rstrip("/")
        self._version = self._graph_path.rsplit("/", 1)[-1] or "v1.0"
        self.session = self.ctx.session()
        self._token_lock = threading.Lock()
        self._app = self._msal_app()
        self._get(None, self.graph_url + "/users", {"$top": "1", "$select": "id"})
        boxes = self.settings["mailboxes"]
        return f"tenant reached; {len(boxes)} configured mailbox(es)" if boxes else \
            "tenant reached; every member's mailbox will be read (no mailboxes configured)"

    def _msal_app(self, reuse: bool = False) -> msal.ConfidentialClientApplication:
        """msal's application: a new one, or (``reuse``) the one this process keeps for the same authority, client,
        secret and trust, built on first use (its OpenID discovery then serves every later run, its token cache
        too)."""
        self._relay: _Relay | None = None
        self._slot: Slot[tuple[msal.ConfidentialClientApplication, _Relay]] | None = None
        if not reuse:
            return self._new_msal_app(self.session)
        s = self.settings
        key = account_key(s["authority"].rstrip("/").lower(), s["client_id"], s["client_secret"], self.ctx.ca_bundle,
                          s["scope"])

        def build() -> tuple[msal.ConfidentialClientApplication, _Relay]:
            relay = _Relay()
            with relay.using(self.session):
                return self._new_msal_app(relay), relay

        slot = self._slot = _SIGN_INS.take(key, build)
        self._relay = slot.value[1]
        self._token_lock = slot.lock        # exports started together: one asks msal for the token, the others
        return slot.value[0]                # then find it in msal's cache

    def _discovery_cache(self) -> signin.DiscoveryCache | None:
        """msal's HTTP cache kept in ``discovery_cache`` (default: beside the register); None: msal's own, in memory."""
        where, register = self.settings["discovery_cache"], self.ctx.register
        if where == "off" or (where is None and register is None):
            return None
        return signin.DiscoveryCache(Path(where) if where else Path(str(register)).parent / signin.FILE_NAME)

    def _new_msal_app(self, http_client: Any) -> msal.ConfidentialClientApplication:
        authority = self.settings["authority"].rstrip("/")
        host = (urlsplit(authority).hostname or "").lower()
        cache = self._discovery_cache()

        def build(http_cache: signin.DiscoveryCache | None) -> msal.ConfidentialClientApplication:
            return msal.ConfidentialClientApplication(
                self.settings["client_id"],
                client_credential=self.settings["client_secret"],
                authority=authority,
                http_client=http_client,
                # instance discovery asks login.microsoftonline.com about the host: only for Microsoft's own hosts
                instance_discovery=None if host in WELL_KNOWN_AUTHORITY_HOSTS else False,
                token_cache=msal.TokenCache(),
                http_cache=http_cache,
            )

        try:
            try:
                app = build(cache)
            except (KeyError, AttributeError, TypeError):
                if cache is None or not cache.loaded:
                    raise
                # msal could not read what the file gave it (another msal's index?): sign in without the file
                cache = None
                app = build(None)
        except ValueError as exc:
            raise VendorError(f"office365: cannot use authority {authority}: {_discovery_reason(exc)}") from None
        except (msal.exceptions.MsalServiceError, requests.RequestException) as exc:
            raise VendorError(f"office365: OpenID discovery failed for {authority}: {one_line(exc, None)}") from None
        except (KeyError, AttributeError, TypeError):      # msal reads the discovery document as it comes
            raise VendorError(f"office365: OpenID discovery for {authority} answered a document without the "
                              "expected endpoints") from None
        if cache is not None:
            cache.save()                  # the discovery msal just asked (or found there), for the next export
        return app

    def _token(self) -> str:
        """The access token: msal's, asked again (from its cache, or the token endpoint when it is about to expire)
        only once the one held here is within :data:`~aggregator.kept.TOKEN_MARGIN` seconds of its end (not on every
        request, under one lock every reader would queue on). With ``reuse_sign_in``, a sign-in of this account that
        failed moments ago fails this export at once with its reason (instead of each export trying in turn)."""
        held = getattr(self, "_held", None)
        if held is not None and time.monotonic() < held[1]:
            return str(held[0])
        with self._token_lock:               # msal answers from its cache until the token is about to expire
            failure = self._slot.failure() if self._slot is not None else None
            if failure is not None:
                raise VendorError(failure)
            try:
                token, lifetime = self._ask_token()
            except DsarError as exc:
                stopped = self.session.stop is not None and self.session.stop.is_set()    # this export's own end
                if self._slot is not None and not stopped:
                    self._slot.failed(self.ctx.redactor.line(exc))
                raise
            if self._slot is not None:
                self._slot.succeeded()
            self._held = (token, token_deadline(lifetime))
        return token

    def _ask_token(self) -> tuple[str, float]:
        """msal's token (from its cache or the token endpoint) and its lifetime in seconds (0 when not given)."""
        try:
            with self._relay.using(self.session) if self._relay is not None else nullcontext():
                result = self._app.acquire_token_for_client(scopes=[self.settings["scope"]])
        except (msal.exceptions.MsalServiceError, requests.RequestException, ValueError) as exc:
            raise VendorError(f"office365: token request failed: {one_line(exc, None)}") from None
        if not isinstance(result, Mapping) or "access_token" not in result:
            raise VendorError(_token_reason(result))
        try:
            lifetime = float(result.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        return str(result["access_token"]), lifetime

    # ------------------------------------------------------------------ HTTP
    def _endpoint(self, url: str) -> str:
        parts = urlsplit(url)
        path = parts.path
        beta = self._graph_path.rsplit("/", 1)[0] + "/beta"       # the archive check's one beta route
        if path.startswith(self._graph_path):
            path = f"/{self._version}" + path[len(self._graph_path):]
        elif path.startswith(beta + "/"):
            path = "/beta" + path[len(beta):]
        return "GET " + unquote(path) + (f"?{unquote(parts.query)}" if parts.query else "")

    def _get(self, box: _Mailbox | None, url: str, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, *, raw: bool = False, lead: bool = False) -> tuple[Any, str]:
        """One Graph request through the mailbox's gate (``lead``: a page of the mailbox's longest chain, ``raw``: a
        download); once a mailbox is found unreadable its later requests are not sent."""
        if self._halted():
            raise _Halted("office365: the run stopped taking records")
        if box is not None and box.closed is not None:
            raise _MailboxSkipped(box.closed)
        hdrs = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json", **(headers or {})}
        rank = _Gate.DOWNLOAD if raw else _Gate.LEAD if lead else _Gate.LISTING
        with box.gate.slot(rank) if box is not None else nullcontext():
            if box is not None and box.closed is not None:      # found unreadable while this one waited
                raise _MailboxSkipped(box.closed)
            response = self.session.get(url, params=params, headers=hdrs)
        if box is not None and response.status_code == 404:
            code = _graph_error(response).get("code")
            reason = "it has no Exchange Online mailbox (MailboxNotEnabledForRESTAPI)" \
                if code == "MailboxNotEnabledForRESTAPI" else f"no such user in the tenant ({code})" \
                if code in ("ErrorInvalidUser", "Request_ResourceNotFound", "ResourceNotFound") else None
            if reason is not None:
                with box.lock:
                    if box.reached:            # the mailbox was read: this part failed, not the mailbox
                        raise _PartRefused(f"Graph answered 404 {code} to {self._endpoint(response.url)} after "
                                           "other requests of the mailbox were answered", str(code))
                    if box.closed is None:
                        box.closed, box.refused_at = reason, self._endpoint(response.url)
                raise _MailboxSkipped(box.closed)
            if raw and code == "ErrorItemNotFound":     # the item went between its listing and its download
                raise _PartRefused(f"Graph answered 404 {code} to {self._endpoint(response.url)}", code)
        elif box is not None and response.status_code < 300 and not box.reached:
            with box.lock:
                box.reached = True
        if raw:
            if response.status_code != 200:
                self.session.parse(response, describe=_describe)
            return response.content, response.url
        return self.session.parse(response, describe=_describe, empty={}), response.url

    def _pages(self, box: _Mailbox | None, path: str, params: Mapping[str, Any],
               headers: Mapping[str, str] | None = None, *, guard: PageGuard | None = None,
               limit: int | None = None, cut: list[bool] | None = None,
               lead: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        """(endpoint, item) over every page, following ``@odata.nextLink`` unchanged (same origin only); with
        ``limit``, at most that many pages (``cut`` gets True when more were left); ``lead``: its pages are the
        mailbox's longest chain."""
        more: list[object] = [None]

        def fetch(link: str | None) -> dict[str, Any]:
            """One page, each of its items paired with the page's endpoint."""
            if link is not None and (urlsplit(link).scheme, urlsplit(link).netloc) != self._graph_origin:
                raise VendorError(f"office365: refusing to follow a nextLink to another host ({urlsplit(link).netloc})")
            body, final_url = self._get(box, link or self.graph_url + path, None if link else params, headers,
                                        lead=lead)
            more[0] = body.get("@odata.nextLink") if isinstance(body, dict) else None
            endpoint = self._endpoint(final_url)
            items = items_at(body, "value", "office365", endpoint)
            return {**body, "value": [(endpoint, i) for i in items if isinstance(i, dict)]}

        count = 0
        for batch in pages(fetch, NextLinkPaginator(), lambda body: body["value"],
                           guard or PageGuard("office365", path, MAX_PAGES)):
            yield from batch
            count += 1
            if limit is not None and count >= limit and more[0]:
                if cut is not None:
                    cut.append(True)
                return

    # ------------------------------------------------------------------ mailboxes
    def _mailboxes(self) -> list[_Mailbox]:
        if self.settings["mailboxes"]:
            seen: dict[str, _Mailbox] = {}
            for ref in self.settings["mailboxes"]:
                seen.setdefault(ref.lower(), _Mailbox(ref=ref, label=ref.lower()))
            self.ctx.covered(f"mailboxes: the {len(seen)} configured")
            return list(seen.values())
        found: list[_Mailbox] = []
        params = {"$select": "id,userPrincipalName,mail,displayName,userType", "$top": "100"}
        guard, users = PageGuard("office365", "/users", MAX_PAGES), 0
        for _, user in self._pages(None, "/users", params, guard=guard):
            users += 1
            if _is_guest(user):                    # a B2B guest: an outside person, no mailbox of the shop
                continue
            if user.get("mail") and user.get("id"):    # no mail address: no Exchange mailbox to read
                found.append(_Mailbox(ref=str(user["id"]), label=str(user["mail"]).lower()))
        self.ctx.covered(f"mailboxes: the {len(found)} members with a mail address among all {users} users of the "
                         f"tenant ({_count(guard.pages, 'page')})")
        return found

    def _collect_all(self, mailboxes: list[_Mailbox]) -> Iterator[Record]:
        """The mailboxes, then the groups, read side by side (``MAILBOXES_AT_ONCE`` of them); each search hands its
        records on as its pages are read (a mailbox's coverage follows when it is done), so nothing waits for a
        whole mailbox and no list grows with it."""
        groups = [_Mailbox(ref=g, label=g) for g in dict.fromkeys(self.settings["groups"] or ())]
        jobs = [(False, box) for box in mailboxes] + [(True, group) for group in groups]
        self._out: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=OUT_BATCHES)
        self._halt = threading.Event()

        def read(job: tuple[bool, _Mailbox]) -> None:
            self._group(job[1]) if job[0] else self._read(job[1])
            self._put(("done", job))

        def produce() -> None:
            try:
                for _ in fan_out(read, jobs, workers=MAILBOXES_AT_ONCE, name="office365", ordered=False):
                    pass
            except BaseException as exc:  # noqa: BLE001 - handed to the run's thread, raised there
                self._put(("failed", exc), last=True)
            else:
                self._put(("end", None), last=True)

        producer = threading.Thread(target=produce, name="office365-read", daemon=True)
        producer.start()
        try:
            while True:
                kind, value = self._out.get()
                if kind == "records":
                    yield from value
                elif kind == "done":
                    yield from self._done(*value)
                elif kind == "failed":
                    raise value
                else:
                    return
        finally:
            self._halt.set()          # readers still going (the run stopped early) end at their next request
            producer.join()

    def _put(self, item: tuple[str, Any], *, last: bool = False) -> None:
        """Hand an item to the run's thread, waiting while it is behind; a reader stops once the run has."""
        while True:
            if self._halt.is_set():
                if last:
                    return
                raise _Halted("office365: the run stopped taking records")
            try:
                self._out.put(item, timeout=0.25)
                return
            except queue.Full:
                continue

    def _emit(self, records: list[Record]) -> None:
        """Hand records on to the run as soon as they are made."""
        if records:
            self._put(("records", records))

    def _done(self, is_group: bool, box: _Mailbox) -> Iterator[Record]:
        """A mailbox's or group's coverage, cuts, withheld counts and notes, once all its searches are done."""
        if is_group and box.skipped is not None:     # a configured group not searched: the answer is not complete
            self.ctx.cut_short(f"group {box.label} was not searched: {box.skipped} (check the groups setting)")
            return
        if box.skipped is not None:
            self.ctx.note(f"mailbox {box.label} skipped: {box.skipped}")
            return
        for line in box.covered if is_group else sorted(box.covered):
            self.ctx.covered(line)
        for reason in box.short:
            self.ctx.cut_short(reason)
        for count, what, why in box.withheld:
            self.ctx.withheld(count, what, why)
        for text in box.notes:
            self.ctx.note(text)
        yield from ()

    def _read(self, box: _Mailbox) -> None:
        """Messages, contacts and events of one mailbox side by side (its gate bounds its requests in flight), its
        attachments downloaded meanwhile; records are handed on as they are found."""
        (search, sent), finish = self._messages(box)
        others: tuple[tuple[str, Callable[[_Mailbox], None]], ...] = (
            ("contacts", self._contacts), ("calendar events", self._events),
            ("contacts in contact folders", self._folder_contacts),
            *((("deleted mail still held", self._deleted),) if self.settings["deleted_mail"] else ()),
            *((("online archive check (Graph beta settings/exchange)", self._archive),)
              if self.settings["archive"] else ()))
        # the $search first: the thread that asks the head of the mailbox's longest chain starts before the others
        searches = [self._part(box, "messages with the subject ($search)", search),
                    self._part(box, "messages sent by the subject ($filter)", sent),
                    *(self._part(box, what, functools.partial(run, box)) for what, run in others)]
        # every search runs at once (each is a chain of pages); the mailbox's gate holds its requests to
        # MAILBOX_CONCURRENCY, listings first; twice as many downloaders keep it full while some store a file
        box.downloader = ThreadPoolExecutor(max_workers=2 * MAILBOX_CONCURRENCY,
                                            thread_name_prefix="office365-attachments")
        box.gate.keep_for_lead(True)     # the $search's first page gets a slot in the mailbox's first round
        done = False
        try:
            for _ in fan_out(lambda search: search(), searches, workers=len(searches), name="office365-mailbox",
                             ordered=False):
                pass
            finish()
            done = True
        except _MailboxSkipped as exc:
            if box.reached:     # answered as unreadable while other requests of it were answered: not skipped
                box.short.append(f"mailbox {box.label}: Graph answered {box.refused_at} as if the mailbox could not "
                                 f"be read ({exc}) while other requests of it were answered: what was read is kept, "
                                 "its searches still going were cut short")
            else:
                box.skipped = str(exc)
        finally:      # listed: its downloads end (and hand their messages on); failed: those not begun are dropped
            box.downloader.shutdown(wait=True, cancel_futures=not done)
        if box.failed is not None and box.skipped is None and not isinstance(box.failed, _MailboxSkipped):
            raise box.failed        # a download (or the records after it) failed
        if box.undownloaded:
            names, codes = sorted(n for n, _ in box.undownloaded), sorted({c for _, c in box.undownloaded})
            shown = ", ".join(f'"{n}"' for n in names[:10]) + (f" and {len(names) - 10} more" if names[10:] else "")
            box.short.append(f"mailbox {box.label}: {_count(len(names), 'attachment')} not downloaded, Graph answered "
                             f"404 {' or '.join(codes)} to {'its download' if len(names) == 1 else 'their downloads'}: "
                             f"{shown}; the records are kept, without the file")
        if box.big:
            box.notes.append(f"mailbox {box.label}: {_count(len(box.big), 'attachment')} larger than "
                             f"{self.settings['attachment_max_kb']} kB left out of the package (each listed by name "
                             f"and size: {', '.join(sorted(box.big))})")

    @staticmethod
    def _part(box: _Mailbox, what: str, run: Callable[[], None]) -> Callable[[], None]:
        """``run``, one part of a mailbox's reading: refused after the mailbox was read, it is named as cut short
        (its records so far kept) and the other parts go on."""
        def part() -> None:
            try:
                run()
            except _PartRefused as exc:
                box.short.append(f"mailbox {box.label}: {what} not read to the end: {exc.detail}")
            except BaseException:
                box.gate.keep_for_lead(False)   # the $search may now never start: its kept slot must not stay kept
                raise
        return part

    def _box_path(self, box: _Mailbox, tail: str) -> str:
        return f"/users/{quote(box.ref, safe='@')}/{tail}"

    # ------------------------------------------------------------------ messages
    def _messages(self, box: _Mailbox) -> tuple[list[Callable[[], None]], Callable[[], None]]:
        """Messages from, to, cc or bcc the subject: the ``$search`` and the ``$filter`` (run side by side: they do not
        depend on each other), each message handed on (after its attachments' downloads) as soon as it is listed,
        one found by both once; and what to do once both are done."""
        path = self._box_path(box, "messages")
        base = {"$select": MESSAGE_FIELDS, "$top": str(self.settings["page_size"]),
                "$expand": f"attachments($select={ATTACHMENT_FIELDS})"}
        seen: dict[bytes, int] = {}        # digest of a message id -> the listings that found it (1 search, 2 filter)
        counts = {"found": 0, "kept": 0}

        def listed(endpoint: str, msg: dict[str, Any], listing: int) -> bool:
            """Take one listed message; True when this listing had not found it before."""
            key = hashlib.blake2b(str(msg.get("id")).encode(), digest_size=16).digest()
            with box.lock:
                before = seen.get(key, 0)
                seen[key] = before | listing
                if not before:
                    counts["found"] += 1
            if not before and any(self.ctx.subject.matches(a) for a in _message_addresses(msg)):
                with box.lock:
                    counts["kept"] += 1
                self._deliver(box, endpoint, msg, "messages")
            return not before & listing

        def search() -> None:
            try:
                self._search_messages(box, path, base, listed)
            finally:
                box.gate.keep_for_lead(False)     # should it end before asking, its kept slot is free again

        def finish() -> None:
            box.withheld.append((counts["found"] - counts["kept"], f"messages found in {box.label}",
                                 "the search matched them, but none is from or to the subject's address"))

        return [search, lambda: self._sent_messages(box, path, base, listed)], finish

    def _search_messages(self, box: _Mailbox, path: str, base: Mapping[str, str],
                         listed: Callable[[str, dict[str, Any], int], bool]) -> None:
        """``$search`` for the subject as a participant (capped by Graph: repeated below the oldest day seen)."""
        limit = self.settings["search_limit"]
        bound: date | None = None
        searches = found = 0
        while True:
            kql = f"participants:{self.email}" + (f" AND sent<={bound.isoformat()}" if bound else "")
            hits, oldest = 0, None
            searches += 1
            for endpoint, msg in self._pages(box, path, {**base, "$search": f'"{kql}"'}, TEXT_BODY,
                                             lead=True):
                hits += 1
                stamp = msg.get("sentDateTime") or msg.get("receivedDateTime")
                if stamp and (oldest is None or stamp < oldest):
                    oldest = stamp
                found += listed(endpoint, msg, 1)
            if hits < limit or oldest is None:
                break
            # capped: search again below the oldest day seen (+1 day: KQL dates are in the mailbox's time zone)
            nxt = datetime.fromisoformat(oldest.replace("Z", "+00:00")).date() + timedelta(days=1)
            if bound is not None and nxt >= bound:
                box.short.append(f"mailbox {box.label}: more than {limit} hits around {oldest[:10]}, Graph's $search "
                                 "cap: mail to the subject may be missing")       # mail from them: exact filter
                break
            bound = nxt
        box.covered.append(f"mailbox {box.label}: messages from, to, cc or bcc the subject ($search over "
                           f"{_count(searches, 'date range')}): {found} found")

    def _sent_messages(self, box: _Mailbox, path: str, base: Mapping[str, str],
                       listed: Callable[[str, dict[str, Any], int], bool]) -> None:
        """``$filter`` on the sender: exact and uncapped for what the subject sent (the search index can lag)."""
        escaped = self.email.replace("'", "''")
        guard, sent = PageGuard("office365", path, MAX_PAGES), 0
        for endpoint, msg in self._pages(box, path, {**base, "$filter": f"from/emailAddress/address eq '{escaped}'"},
                                         TEXT_BODY, guard=guard):
            sent += 1
            listed(endpoint, msg, 2)
        box.covered.append(f"mailbox {box.label}: messages sent by the subject ($filter): all {sent} "
                           f"({_count(guard.pages, 'page')})")

    def _deliver(self, box: _Mailbox, endpoint: str, msg: dict[str, Any], messages: str, *,
                 deleted: bool = False) -> None:
        """Hand on a message with the subject on it and its attachments' records: at once when it has nothing to
        download, else from the thread that finishes its last download (the listing goes on meanwhile)."""
        started = self._prefetch(box, msg, messages)

        def hand_on() -> None:
            records = self._message_records(box, endpoint, msg, deleted=deleted)
            with box.lock:
                box.big += [str(r.data.get("name")) for r in records if r.dataset == "attachment"
                            and "attachment_max_kb" in str(r.data.get("leftOut"))]
            self._emit(records)

        if not started:
            hand_on()
            return
        left = [len(started)]

        def one_done(_: Future[tuple[str | None, str]]) -> None:
            with box.lock:
                left[0] -= 1
                if left[0] or box.failed is not None:
                    return
            try:
                hand_on()
            except BaseException as exc:  # noqa: BLE001 - a callback's exception would be lost: the mailbox fails
                with box.lock:
                    box.failed = box.failed or exc

        for future in started:
            future.add_done_callback(one_done)

    def _message_records(self, box: _Mailbox, endpoint: str, msg: dict[str, Any], *,
                         deleted: bool = False) -> list[Record]:
        """The message's record and, when it has attachments, one ``attachment`` record for each."""
        data, attachments, records = _data(box, msg), [], []
        if deleted:
            data["heldAfterDeletion"] = True
        for att in msg.get("attachments") or []:
            item = {k: att.get(k) for k in ("name", "size", "contentType", "isInline")}
            item["kind"] = str(att.get("@odata.type") or "").rsplit(".", 1)[-1] or None
            detail = self._attachment(box, endpoint, msg, att, item["kind"],
                                      f"mailFolders/{DELETED_FOLDER}/messages" if deleted else "messages")
            if detail.get("file"):
                item["file"] = detail["file"]
            attachments.append(item)
            # no third-party marks: the record holds no one's address, and files are not redacted (README)
            records.append(self.ctx.record("communications", "attachment", detail["data"], endpoint=detail["endpoint"],
                                           vendor_id=att.get("id")))
        data["attachments"] = attachments
        body = (msg.get("body") or {}).get("content") or ""
        third = self._third_parties([*_message_addresses(msg), *emails_in(body),
                                     *emails_in(str(msg.get("subject") or ""))])
        return [self.ctx.record("communications", "message", data, endpoint=endpoint, vendor_id=msg.get("id"),
                                third_parties=third), *records]

    def _attachment(self, box: _Mailbox, endpoint: str, msg: Mapping[str, Any], att: Mapping[str, Any],
                    kind: str | None, messages: str) -> dict[str, Any]:
        """One attachment's record data (with its file in the package when it is fetched), endpoint and others;
        ``messages`` is where the message is listed (``messages``, or a mail folder's ``.../messages``)."""
        data: dict[str, Any] = {
            "mailbox": box.label, "messageId": msg.get("id"), "messageSubject": msg.get("subject"),
            "messageSentDateTime": msg.get("sentDateTime") or msg.get("receivedDateTime"),
            **{k: att.get(k) for k in ("name", "size", "contentType", "isInline", "lastModifiedDateTime")},
            "kind": kind,
        }
        out: dict[str, Any] = {"data": data, "endpoint": endpoint, "file": None}
        left_out = self._left_out(msg, att, kind)
        if left_out is not None:
            data["leftOut"] = left_out
            return out
        with box.lock:
            started = box.fetches.pop((messages, str(msg["id"]), str(att["id"])), None)
        file, where = started.result() if started else self._fetch(box, msg, att, kind, messages)
        if file is None:                                 # answered 404: the record stays, without its file
            data["leftOut"] = f"not downloaded: {where}"
            return out
        out["file"], out["endpoint"] = file, where
        data["file"] = file
        return out

    def _left_out(self, msg: Mapping[str, Any], att: Mapping[str, Any], kind: str | None) -> str | None:
        """Why an attachment's content stays out of the package (no request for it), or None: it is fetched."""
        size, cap = int(att.get("size") or 0), self.settings["attachment_max_kb"] * 1024
        if not self.settings["include_attachments"]:
            return "names and sizes only (include_attachments = false)"
        if kind == "referenceAttachment":
            return "a link to a file in the cloud: Graph v1.0 gives neither its address nor its content"
        if kind not in ("fileAttachment", "itemAttachment") or not att.get("id"):
            return "an attachment of a kind Graph does not deliver"
        if not msg.get("hasAttachments"):
            return "shown inside the message text; Graph marks the message as without attachments"
        if size > cap:
            return f"larger than {self.settings['attachment_max_kb']} kB (attachment_max_kb)"
        return None

    def _fetch(self, box: _Mailbox, msg: Mapping[str, Any], att: Mapping[str, Any], kind: str | None,
               messages: str) -> tuple[str | None, str]:
        """Download one attachment (``.../$value``) into the package: its path there and the endpoint read; or,
        answered 404 (the mailbox no longer readable, the item gone), None and why (the mailbox is cut short)."""
        tail = f"{messages}/{quote(str(msg['id']), safe='')}/attachments/{quote(str(att['id']), safe='')}/$value"
        name = str(att.get("name") or "attachment")
        try:
            content, url = self._get(box, self.graph_url + self._box_path(box, tail), raw=True)
        except _PartRefused as exc:
            with box.lock:
                box.undownloaded.append((name, exc.code or "?"))
            return None, f"Graph answered 404 {exc.code} to its download"
        if kind == "itemAttachment":        # Graph: a message as MIME, an event as iCal, a contact as vCard
            head = content.lstrip()[:16].upper()
            name += ".ics" if head.startswith(b"BEGIN:VCALENDAR") else ".vcf" if head.startswith(b"BEGIN:VCARD") \
                else ".eml"
        return self._save(box, msg, att, name, content), self._endpoint(url)

    def _prefetch(self, box: _Mailbox, msg: Mapping[str, Any],
                  messages: str) -> list[Future[tuple[str | None, str]]]:
        """Start downloading the attachments of a listed message with the subject on it, each once, on the
        mailbox's downloader (while its listings go on); :meth:`_attachment` takes the results. Returns the
        downloads started; past ``DOWNLOAD_BACKLOG`` unfinished ones the listing waits for one to end."""
        started: list[Future[tuple[str | None, str]]] = []
        if box.downloader is None or not any(self.ctx.subject.matches(a) for a in _message_addresses(msg)):
            return started
        for att in msg.get("attachments") or []:
            kind = str(att.get("@odata.type") or "").rsplit(".", 1)[-1] or None
            if self._left_out(msg, att, kind) is not None:
                continue
            key = (messages, str(msg["id"]), str(att["id"]))
            with box.lock:
                if key in box.fetches:
                    continue
            while not box.backlog.acquire(timeout=0.25):
                if self._halted():
                    raise _Halted("office365: the run stopped taking records")
            with box.lock:
                if box.failed is not None or key in box.fetches:
                    box.backlog.release()
                    if box.failed is not None:     # the mailbox fails with it: start nothing more
                        raise box.failed
                    continue
                box.fetches[key] = future = box.downloader.submit(self._fetch, box, msg, att, kind, messages)
            future.add_done_callback(functools.partial(self._fetched, box))
            started.append(future)
        return started

    @staticmethod
    def _fetched(box: _Mailbox, future: Future[tuple[str | None, str]]) -> None:
        """Remember the first failed download of a mailbox; free its place in the backlog."""
        box.backlog.release()
        if not future.cancelled() and future.exception() is not None:
            with box.lock:
                box.failed = box.failed or future.exception()

    def _wait(self, seconds: float) -> None:
        """A retry wait (429 ``Retry-After``, a back-off) through the run's sleep, a slice at a time: once the run
        stops taking records the reader ends at the next slice instead of waiting it out."""
        shown = seconds >= WAIT_SHOWN
        if shown:
            until = (datetime.now() + timedelta(seconds=seconds)).strftime("%H:%M:%S")
            self.ctx.status(f"waiting for Microsoft Graph's limit until {until}")
        left = seconds
        try:
            while left > 0:
                if self._halted():
                    raise _Halted("office365: the run stopped taking records")
                step = min(left, WAIT_SLICE)
                self.ctx.sleep(step)
                left -= step
        finally:
            if shown:
                self.ctx.status("running")

    def _halted(self) -> bool:
        """The run stopped taking records (``collect`` ended early)."""
        halt = getattr(self, "_halt", None)
        return halt is not None and halt.is_set()

    def _save(self, box: _Mailbox, msg: Mapping[str, Any], att: Mapping[str, Any], name: str, content: bytes) -> str:
        day = str(msg.get("receivedDateTime") or msg.get("sentDateTime") or "")[:10]
        safe = _UNSAFE_NAME.sub("_", name).strip("._") or "attachment"
        key = hashlib.sha1(f"{box.label}/{msg['id']}/{att['id']}".encode()).hexdigest()[:10]
        local = _UNSAFE_NAME.sub("_", box.label.split("@", 1)[0])
        return self.ctx.attach("communications", f"{local}_{day}_{key}_{safe}", content)

    def _archive(self, box: _Mailbox) -> None:
        """Whether the mailbox has an online archive (beta ``settings/exchange``); one cannot be searched here."""
        beta = self.graph_url.rsplit("/", 1)[0] + "/beta"
        about, _ = self._get(box, beta + self._box_path(box, "settings/exchange"))
        archive = about.get("inPlaceArchiveMailboxId") if isinstance(about, dict) else None
        if archive:
            box.short.append(f"mailbox {box.label} has an online archive that was not searched: Graph reaches an "
                             "archive only through the mailbox export API, whose items carry no sender, recipients "
                             "or text; search it with Microsoft Purview eDiscovery")
        else:
            box.covered.append(f"mailbox {box.label}: no online archive (Graph beta settings/exchange)")

    def _deleted(self, box: _Mailbox) -> None:
        """Soft-deleted mail still held in Recoverable Items > Deletions: listed and matched here, each message with
        the subject on it handed on as its page is read."""
        messages = f"mailFolders/{DELETED_FOLDER}/messages"
        path = self._box_path(box, messages)
        params = {"$select": MESSAGE_FIELDS, "$top": str(self.settings["page_size"]),
                  "$expand": f"attachments($select={ATTACHMENT_FIELDS})"}
        guard, cut = PageGuard("office365", path, MAX_PAGES), list[bool]()
        listed = kept = 0
        for endpoint, msg in self._pages(box, path, params, TEXT_BODY, guard=guard, limit=RECOVERABLE_MAX_PAGES,
                                         cut=cut):
            listed += 1
            if any(self.ctx.subject.matches(a) for a in _message_addresses(msg)):
                kept += 1
                self._deliver(box, endpoint, msg, messages, deleted=True)
        if cut:
            box.short.append(f"mailbox {box.label}: deleted mail still held: only the first "
                             f"{_count(RECOVERABLE_MAX_PAGES, 'page')} ({_count(listed, 'message')}) were read")
        box.covered.append(f"mailbox {box.label}: deleted mail still held (Recoverable Items > Deletions): "
                           f"all {listed} read ({_count(guard.pages, 'page')}), {kept} with the subject")

    # ------------------------------------------------------------------ contacts and events
    def _contacts(self, box: _Mailbox) -> None:
        found, withheld = self._contacts_in(box, "contacts", None)
        box.withheld.append((withheld, f"contacts found in {box.label}",
                             "Graph's filter returned them, but none of their addresses is the subject's"))
        box.covered.append(f"mailbox {box.label}: contacts holding the address (default contacts folder): "
                           f"all {found}")

    def _contacts_in(self, box: _Mailbox, tail: str, folder: str | None) -> tuple[int, int]:
        """Hand on the contacts holding the subject's address at ``tail``; how many, and how many Graph returned
        for another address."""
        escaped = self.email.replace("'", "''")
        params = {"$filter": f"emailAddresses/any(a:a/address eq '{escaped}')", "$top": str(self.settings["page_size"])}
        found = withheld = 0
        for endpoint, c in self._pages(box, self._box_path(box, tail), params):
            if not any(self.ctx.subject.matches((e or {}).get("address")) for e in c.get("emailAddresses") or []):
                withheld += 1
                continue
            found += 1
            self._emit([self.ctx.record("contact", "contact",
                                        {**_data(box, c), **({"contactFolder": folder} if folder else {})},
                                        endpoint=endpoint, vendor_id=c.get("id"))])
        return found, withheld

    def _folder_contacts(self, box: _Mailbox) -> None:
        """Contacts in every contact folder below the default one, child folders included (breadth first)."""
        top = {"$top": str(self.settings["page_size"])}

        def listed(where: str) -> list[dict[str, Any]]:
            return [folder for _, folder in self._pages(box, self._box_path(box, where), top)]

        # one level at a time, breadth first: the contacts of a level's folders and the listings of their child
        # folders side by side (the mailbox's gate bounds them); the next level starts from those listings
        level: list[tuple[str, list[dict[str, Any]]]] = [("", listed("contactFolders"))]   # (parent name, folders)
        folders, found, withheld, cut = 0, 0, 0, False
        while level and not cut:
            chosen: list[tuple[str, str]] = []                   # (folder id, name), in breadth-first order
            for parent, children in level:
                for folder in children:
                    if folders >= CONTACT_FOLDERS_MAX:
                        cut = True
                        break
                    folders += 1
                    name = f"{parent} / {folder.get('displayName')}" if parent else str(folder.get("displayName"))
                    chosen.append((quote(str(folder.get("id")), safe=""), name))
                if cut:
                    break
            jobs = [(False, fid, name) for fid, name in chosen] + ([] if cut else [(True, fid, name)
                                                                                 for fid, name in chosen])

            def run(job: tuple[bool, str, str]) -> tuple[int, int] | list[dict[str, Any]]:
                below, fid, name = job
                if below:
                    return listed(f"contactFolders/{fid}/childFolders")
                return self._contacts_in(box, f"contactFolders/{fid}/contacts", name)

            level = []
            for (_, _, name), result in fan_out(run, jobs, workers=MAILBOX_CONCURRENCY, name="office365-folders"):
                if isinstance(result, tuple):
                    found += result[0]
                    withheld += result[1]
                else:
                    level.append((name, result))
        if cut:
            box.short.append(f"mailbox {box.label}: more than {CONTACT_FOLDERS_MAX} contact folders: only the first "
                             f"{CONTACT_FOLDERS_MAX} were searched")
        box.withheld.append((withheld, f"contacts found in contact folders of {box.label}",
                             "Graph's filter returned them, but none of their addresses is the subject's"))
        box.covered.append(f"mailbox {box.label}: contacts holding the address in the other contact folders "
                           f"({_count(folders, 'folder')}, child folders included): all {found}")

    def _events(self, box: _Mailbox) -> None:
        params = {"$select": EVENT_FIELDS, "$top": str(self.settings["page_size"])}
        kept, seen = 0, 0
        guard = PageGuard("office365", self._box_path(box, "events"), MAX_PAGES)
        for endpoint, event in self._pages(box, self._box_path(box, "events"), params, TEXT_BODY, guard=guard):
            seen += 1
            people = [*_people(event.get("attendees")), *_people([event.get("organizer")])]
            if not any(self.ctx.subject.matches(a) for a in people):
                continue
            third = self._third_parties([*people, *emails_in((event.get("body") or {}).get("content") or "")])
            kept += 1
            self._emit([self.ctx.record("communications", "event", _data(box, event), endpoint=endpoint,
                                        vendor_id=event.get("id"), third_parties=third)])
        box.covered.append(f"mailbox {box.label}: events of the default calendar: all {seen} "
                           f"({_count(guard.pages, 'page')}), {kept} with the subject")

    # ------------------------------------------------------------------ Microsoft 365 groups
    def _group(self, group: _Mailbox) -> None:
        """Posts from or to the subject in every thread of one group's conversations, handed on thread by thread."""
        gid = quote(group.ref, safe="")
        try:
            about, _ = self._get(group, f"{self.graph_url}/groups/{gid}", {"$select": "id,displayName,mail"})
            threads = list(self._pages(group, f"/groups/{gid}/threads", {"$select": THREAD_FIELDS}))
        except _MailboxSkipped:
            group.skipped = "no such group in the tenant (Request_ResourceNotFound)"
            return
        group.label = str(about.get("mail") or group.ref).lower() if isinstance(about, dict) else group.ref
        name = about.get("displayName") if isinstance(about, dict) else None
        if len(threads) > GROUP_THREADS_MAX:
            group.short.append(f"group {group.label}: {len(threads)} threads, only the newest {GROUP_THREADS_MAX} "
                               "were read")
            threads.sort(key=lambda et: str(et[1].get("lastDeliveredDateTime") or ""), reverse=True)
            threads = threads[:GROUP_THREADS_MAX]

        refused: list[str] = []            # why a thread's posts could not be read (a 404 after the group was read)

        def posts(thread: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
            tid = quote(str(thread.get("id")), safe="")
            try:
                return list(self._pages(group, f"/groups/{gid}/threads/{tid}/posts", {}))
            except _PartRefused as exc:     # that thread, not the group: the other threads are still read
                refused.append(exc.detail)
                return []

        found, seen = 0, 0
        for (_, thread), listed in fan_out(lambda et: posts(et[1]), threads, workers=MAILBOX_CONCURRENCY,
                                           name="office365-posts"):
            out: list[Record] = []
            addressed = any(self.ctx.subject.matches(a) for a in _people(thread.get("toRecipients"))
                            + _people(thread.get("ccRecipients")))
            for endpoint, item in listed:
                seen += 1
                people = _people([item.get("from"), item.get("sender"), *(item.get("newParticipants") or [])])
                if not addressed and not any(self.ctx.subject.matches(a) for a in people):
                    continue
                data = {"group": group.label, "groupName": name, "threadTopic": thread.get("topic"),
                        "threadToRecipients": thread.get("toRecipients"),
                        "threadCcRecipients": thread.get("ccRecipients"),
                        **{k: v for k, v in item.items() if not k.startswith("@odata.")}}
                body = (item.get("body") or {}).get("content") or ""
                third = self._third_parties([*people, *_people(thread.get("toRecipients")),
                                             *_people(thread.get("ccRecipients")), *emails_in(_strip_html(body))])
                out.append(self.ctx.record("communications", "group_post", data, endpoint=endpoint,
                                           vendor_id=item.get("id"), third_parties=third))
            found += len(out)
            self._emit(out)
        if refused:
            group.short.append(f"group {group.label}: the posts of {_count(len(refused), 'thread')} were not read: "
                               f"{refused[0]}")
        which = f"{len(threads) - len(refused)} of {len(threads)}" if refused else f"all {len(threads)}"
        group.covered.append(f"group {group.label}: posts from or to the subject in {which} threads "
                             f"({seen} posts read): {found} found")

    def _third_parties(self, addresses: Iterable[str | None]) -> list[str]:
        """Addresses that are neither the subject's nor the shop's: other people, to be redacted."""
        cleaned = {(a or "").strip().strip("<>").lower() for a in addresses}
        return sorted(a for a in cleaned if "@" in a and not self.ctx.subject.matches(a)
                      and a.rsplit("@", 1)[1] not in self.staff_domains)


# ---------------------------------------------------------------------------------------------- helpers
def _people(entries: Iterable[Any] | None) -> list[str]:
    """The addresses of Graph ``recipient``/``attendee`` objects."""
    return [str(a) for e in entries or [] if (a := ((e or {}).get("emailAddress") or {}).get("address"))]


def _count(n: int, word: str) -> str:
    """``1 page``, ``2 pages``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _data(box: _Mailbox, item: Mapping[str, Any]) -> dict[str, Any]:
    """A Graph item as a record's data: the mailbox it was found in, then its properties without annotations."""
    return {"mailbox": box.label, **{k: v for k, v in item.items() if not k.startswith("@odata.")}}


def _is_guest(user: Mapping[str, Any]) -> bool:
    """An Entra B2B guest: ``userType`` "Guest", or (older accounts without it) a ``#EXT#`` user principal name."""
    return str(user.get("userType") or "").lower() == "guest" or "#EXT#" in str(user.get("userPrincipalName") or "")


def _message_addresses(msg: Mapping[str, Any]) -> list[str]:
    """Every address on a message: from, sender, to, cc, bcc and reply-to."""
    return _people([msg.get("from"), msg.get("sender")]) + [
        a for key in ("toRecipients", "ccRecipients", "bccRecipients", "replyTo") for a in _people(msg.get(key))]


def _strip_html(text: str) -> str:
    """Text without its HTML tags (a group post's body comes as HTML)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _graph_error(response: requests.Response) -> Mapping[str, Any]:
    """Graph's ``{"error": {"code", "message"}}`` of an answer (empty when it holds none)."""
    try:
        err = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return err if isinstance(err, dict) else {"message": err} if err else {}


def _describe(response: requests.Response) -> str:
    """Graph's error as "code: message"."""
    err = _graph_error(response)
    return ": ".join(str(x) for x in (err.get("code"), err.get("message")) if x) or (response.reason or "error")


def _aad_description(text: object) -> str:
    """The first sentence-bearing line of an AAD error_description, without trace and correlation ids."""
    desc = re.split(r"\s*(?:Trace ID|Correlation ID|Timestamp):", str(text or ""), maxsplit=1)[0]
    return one_line(desc, None)       # shortened by the runner, after redaction


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
        if isinstance(cause, json.JSONDecodeError):
            return "OpenID discovery answered something that is not JSON"
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
    return one_line(text, None)


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register the Office 365 connector."""
    register(Office365Connector)
