"""Mailchimp (Marketing API 3.0) through the official ``mailchimp-marketing`` SDK.

For the subject's address it finds every audience (list) holding it, in any status (subscribed,
unsubscribed, cleaned, pending...): ``GET /search-members?query=`` (exact matches only, the e-mail compared
case-insensitively) united with ``GET /lists?email=``. For each audience it reads the member record
(``GET /lists/{id}/members/{md5(lower(email))}``), labels its merge fields and interests with the audience's
own names, and reads the member's activity feed (every page), events, notes, tags and goals.

Beyond the audiences (issue 23): for every campaign the activity feeds name, the per-recipient reports
``/reports/{campaign_id}/sent-to/{hash}`` (every named campaign), ``…/email-activity/{hash}`` (the campaigns the
feed shows an open, click or bounce for: each with its time, link and IP address) and ``…/unsubscribed/{hash}``
(the campaigns the feed shows an unsubscribe for); the abuse (spam) reports of each audience holding the address
(``/lists/{id}/abuse-reports`` has no filter: every report is read and the address matched); and in every
connected e-commerce store (``/ecommerce/stores``) the customer with the address
(``…/customers?email_address=``), that customer's orders (``…/orders?customer_id=``) and carts (``…/carts`` has no
filter: read and matched on the customer). Past conversations (replies to campaigns): Mailchimp deprecated
``/conversations`` in favour of Inbox, which has no API, but still lists the old ones; per audience they are read
(``?list_id=``, no address filter) and matched on who started them, then every message of those is read
(``/conversations/{id}/messages``). An account where the endpoint is gone (404) gets a note.

Flow (issue 21): nothing waits for a whole listing. Every request is a call in one :class:`Overlap` on
``concurrency`` (≤ 10) threads, and each answer is handled as it arrives: a page's records go to the spool before
the page after the next is asked, so memory holds a page or two of a feed, never the feed; a campaign's reports
are asked the moment a feed page names it (sent-to at its sending, email-activity at its first open, click or
bounce, unsubscribed at an unsubscribe), the stores, abuse reports and conversations alongside, so the 10
connections stay busy from the first answers to the last. Only small keys are kept between steps: campaign ids
with their titles and sending times, audience and store ids, counts, and the subject's own abuse reports and
conversations, which wait for the feeds to name their campaigns' titles.

Transport: the SDK calls module-level ``requests.get`` (no session, no ``verify``); its ``ApiClient.request``
is replaced by one that sends through this run's :class:`VendorSession`, so the CA bundle, the shared retry
policy (429/5xx), the 10-connection limit, call counting and redaction apply. The SDK's rewrite of the word
"server" in URLs is switched off (``api_client.server = ""``): the host is set explicitly.
"""

from __future__ import annotations

import hashlib
import http
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode

import mailchimp_marketing
import requests
from mailchimp_marketing.api_client import ApiClientError

from aggregator.connector import Connector, ConnectorContext, Record
from aggregator.errors import ConfigError, DsarError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, RetryPolicy, VendorSession, one_line
from aggregator.overlap import Overlap
from aggregator.paging import OffsetPaginator, PageGuard, items_at
from aggregator.settings import Setting
from aggregator.subject import emails_in
from connectors.mailchimp_datasets import DATASETS

MAX_CONNECTIONS = 10          # Mailchimp: at most 10 simultaneous connections per API key
MAX_COUNT = 1000              # largest ``count`` the API accepts
MAX_PAGES = 500               # pages read from one collection at most (500,000 items at the default
                              # page size); more means the vendor never answers a last page
LAST_GOALS = 50               # the member goals endpoint returns the last 50 goal events, unpaged
ENGAGED = frozenset({"open", "click", "bounce"})     # feed activity the email-activity report details
_DC = re.compile(r"^[a-z]{2,4}[0-9]{1,3}$")
# The member's own collections: the list key of a reply -> the path below the member.
MEMBER_LISTS = {"activity": "activity-feed", "events": "events", "notes": "notes", "tags": "tags"}
REPORT_KINDS = ("sent-to", "email-activity", "unsubscribed")

log = logging.getLogger("dsar.paging")
Json = dict[str, Any]
Records = Iterable[Record] | None     # what a handler of an answer gives: records to spool, or nothing


class Campaign:
    """What the activity feeds say of one campaign they name (small, never a record): its title, the audience,
    when it was sent to the member, and which per-recipient reports were asked for it."""

    __slots__ = ("asked", "list_id", "sent_at", "title")

    def __init__(self, list_id: str) -> None:
        self.title = ""
        self.list_id = list_id
        self.sent_at = ""
        self.asked: set[str] = set()


class Countdown:
    """Calls ``then`` once :meth:`done` was called ``n`` times (at once when ``n`` is 0 and :meth:`check` runs)."""

    def __init__(self, n: int, then: Callable[[], Records]) -> None:
        self.left = n
        self.then = then

    def done(self) -> Records:
        """One of the ``n`` is done; the last one runs ``then`` and gives what it gives."""
        self.left -= 1
        return self.then() if self.left == 0 else None

    def check(self) -> Records:
        """Run ``then`` now if there was nothing to wait for."""
        return self.then() if self.left == 0 else None


def _chain(*parts: Records) -> Iterator[Record]:
    for part in parts:
        if part is not None:
            yield from part


def _label(labels: dict[str, str], title: str, _: str, interests: list[Json]) -> None:
    """Add "category: interest" for each interest of one page to ``labels`` (interest id → label)."""
    labels.update((str(i.get("id")), f"{title}: {i.get('name', '')}".strip(": ")) for i in interests)


class MailchimpConnector(Connector):
    """Mailchimp audiences through the official SDK, sent through this run's VendorSession."""

    name: ClassVar[str] = "mailchimp"
    processor: ClassVar[str] = "mailchimp"
    categories: ClassVar[tuple[str, ...]] = ("contact", "marketing", "consent", "engagement", "communications",
                                             "technical", "orders")
    declared_settings: ClassVar[tuple[Setting, ...]] = (
        Setting("api_key", "Marketing API key, \"<key>-<dc>\" (the data centre after the dash)", required=True,
                secret=True, example="`${MAILCHIMP_KEY}`"),
        Setting("base_url", "API root when not https://<dc>.api.mailchimp.com/3.0", "url"),
        Setting("page_size", "items asked per page (count)", "int", default=MAX_COUNT, minimum=1, maximum=MAX_COUNT),
        Setting("concurrency", "simultaneous requests (Mailchimp allows 10 per key)", "int", default=MAX_CONNECTIONS,
                minimum=1, maximum=MAX_CONNECTIONS),
        Setting("campaign_reports", "read the per-recipient report of every campaign the activity feed names "
                "(one to three requests per campaign)", "bool", default=True),
    )
    datasets = DATASETS
    description: ClassVar[str] = ("Mailchimp audiences: member records (merge fields, interests, tags, consent, "
                                  "opt-in IPs), activity feed, events, goals and notes; per-recipient campaign "
                                  "reports, abuse reports, and the customer, orders and carts of connected stores.")

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """Without ``base_url`` the key must name its data centre."""
        key = settings["api_key"]
        if not settings["base_url"] and not ("-" in key and _DC.match(key.rpartition("-")[2])):
            raise ConfigError("config: connectors.mailchimp.api_key must end in -<dc> (the data centre, e.g. "
                              "-us21), or set connectors.mailchimp.base_url")

    # ------------------------------------------------------------------ setup
    def __init__(self, ctx: ConnectorContext) -> None:
        super().__init__(ctx)
        self.api_key: str = self.settings["api_key"]
        dc = self.api_key.rpartition("-")[2]     # ``check`` made sure it is one, unless base_url is set
        self.host = (self.settings["base_url"] or f"https://{dc}.api.mailchimp.com/3.0").rstrip("/")
        self.page_size: int = self.settings["page_size"]
        self.workers: int = self.settings["concurrency"]
        self.session: VendorSession = ctx.session(limits=Limits(concurrency=self.workers), retry=RetryPolicy())
        self.client = mailchimp_marketing.Client()
        self.client.set_config({"api_key": self.api_key})
        api = self.client.api_client
        api.host = self.host
        api.server = ""                 # no "server" → dc rewrite: the host above is final
        api.request = self._send        # route the SDK through the VendorSession
        # one run's state: the flow of requests, and small keys only (audiences, campaigns, counts), never records
        self._flow: Overlap[Record] = Overlap(self.workers, name="mailchimp")
        self._audiences: dict[str, Json] = {}
        self._search: tuple[int, list[str]] = (0, [])
        self._campaigns: dict[str, Campaign] = {}
        self._asked = dict.fromkeys(REPORT_KINDS, 0)
        self._found = dict.fromkeys(REPORT_KINDS, 0)
        self._withheld_reports = self._withheld_members = 0
        self._members_left = self._feeds_open = 0
        self._feeds_done = self._no_conversations = False
        self._waiting_for_feeds: list[Callable[[], Records]] = []

    def check_access(self) -> str:
        """``dsar check``: the API root (``GET /``), which names the account the key belongs to."""
        root = self._call("GET /", self.client.root.get_root) or {}
        return f"account {root.get('account_name') or '?'} ({root.get('total_subscribers', '?')} subscribers)"

    def _send(self, method: str, url: str, query_params: Any = None, headers: Mapping[str, str] | None = None,
              body: Any = None) -> requests.Response:
        """Replacement for ``ApiClient.request``: same arguments, sent through the VendorSession."""
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "user-agent"}
        data = None if body is None else json.dumps(body)
        return self.session.request(method, url, params=query_params, headers=sent, data=data,
                                    auth=("dsar-aggregator", self.api_key))

    # ------------------------------------------------------------------ calling the SDK
    def _call(self, where: str, fn: Callable[..., Any], *args: Any, missing_ok: bool = False,
              **kwargs: Any) -> Json | None:
        """One SDK call; every failure becomes a one-line VendorError. ``missing_ok``: 404 → None."""
        try:
            result = fn(*args, **kwargs)
        except ApiClientError as exc:
            if isinstance(exc.text, DsarError):       # our session's own one-line error, wrapped by the SDK
                raise exc.text from None
            if isinstance(exc.text, Exception):       # anything else the transport raised (a malformed URL)
                raise VendorError(self.ctx.redactor(one_line(
                    f"mailchimp: {type(exc.text).__name__}: {exc.text} ({where})"))) from None
            if exc.status_code == 404 and missing_ok:
                return None
            raise VendorError(self._reason(exc.status_code, exc.text, where), status=exc.status_code) from None
        if isinstance(result, requests.Response):   # the SDK hands back the response when the body is empty
            if result.status_code == 404 and missing_ok:
                return None
            if not result.ok:
                raise VendorError(self._reason(result.status_code, result.text, where), status=result.status_code)
            if not result.content.strip():
                return {}
            kind = (result.headers.get("Content-Type") or "no content type").split(";")[0]
            raise VendorError(f"mailchimp: unreadable response from {where} (not valid JSON; {kind})",
                              status=result.status_code)
        if not isinstance(result, dict):
            raise VendorError(f"mailchimp: unreadable response (not a JSON object) from {where}")
        return result

    def _reason(self, status: int | None, text: object, where: str) -> str:
        """``mailchimp: 401 API Key Invalid: <detail> (GET /lists)`` from a problem+json body (a dict or a
        raw string, as the SDK leaves it), else the HTTP reason phrase."""
        body: object = text
        if isinstance(text, str | bytes):
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        title = detail = ""
        if isinstance(body, dict):
            title = str(body.get("title") or body.get("error") or "")
            detail = str(body.get("detail") or body.get("message") or "")
            for err in body.get("errors") or []:      # 400 "Invalid Resource" lists field errors
                if isinstance(err, dict) and err.get("message"):
                    detail += f" {err.get('field', '')}: {err['message']}"
        if not title:
            try:
                title = http.HTTPStatus(status or 0).phrase
            except ValueError:
                title = "error"
        head = f"{status} {title}" if status else title
        message = f"mailchimp: {head}" + (f": {detail.strip()}" if detail.strip() else "") + f" ({where})"
        return self.ctx.redactor(one_line(message))

    # ------------------------------------------------------------------ the flow of requests
    def _pages(self, path: str, key: str, fn: Callable[..., Any], *args: Any,
               on_page: Callable[[str, list[Json]], Records], on_end: Callable[[int], Records],
               gone: Callable[[], Records] | None = None, **query: Any) -> None:
        """Read a ``count``/``offset`` collection through the flow, a page at a time: each page's items go to
        ``on_page`` with the page's endpoint as it arrives (the next page is asked first, ahead of other waiting
        calls), then ``on_end`` gets the number of pages. It ends at ``total_items`` when the reply has one, else
        at a short page (the activity feed has none); a page that repeats an earlier one, or more than
        ``MAX_PAGES`` pages, ends the connector with a VendorError. ``gone``: a 404 goes there, not an error."""
        paginator = OffsetPaginator(self.page_size)
        guard = PageGuard("mailchimp", f"GET {path}", MAX_PAGES, hint="a larger page_size reads further")

        def ask(token: dict[str, Any], urgent: bool) -> None:
            endpoint = f"GET {path}?{urlencode({**token, **query})}"

            def call() -> Json | None:
                return self._call(endpoint, fn, *args, **token, **query, missing_ok=gone is not None)

            def then(body: Json | None) -> Iterator[Record]:
                if body is None and gone is not None:
                    yield from gone() or ()
                    return
                items = items_at(body, key, "mailchimp", endpoint)
                guard.check(paginator.fingerprint(token, body, items))
                log.info("mailchimp: page %d of GET %s: %d item(s)", guard.pages, path, len(items))   # -v
                following = paginator.advance(token, body, items)
                if following is not None:
                    ask(following, urgent=True)
                yield from on_page(endpoint, items) or ()
                if following is None:
                    yield from on_end(guard.pages) or ()

            self._flow.add(call, then, urgent=urgent)

        ask(paginator.first(), urgent=False)

    def _after_feeds(self, step: Callable[[], Records]) -> Records:
        """Run ``step`` once every activity feed is read (campaign titles known), now if they are."""
        if self._feeds_done:
            return step()
        self._waiting_for_feeds.append(step)
        return None

    def _feeds_check(self) -> Records:
        """When every member record is answered and every feed read: the sent-to reports of campaigns the feeds
        name without their sending, then the steps that waited for the feeds."""
        if self._feeds_done or self._members_left or self._feeds_open:
            return None
        self._feeds_done = True
        for cid, campaign in self._campaigns.items():
            self._ask(cid, campaign, "sent-to")
        steps, self._waiting_for_feeds = self._waiting_for_feeds, []
        return _chain(*(step() for step in steps))

    # ------------------------------------------------------------------ discovery
    def _discover(self) -> None:
        """``GET /lists?email=`` and ``GET /search-members`` at once; the audiences are known when both are
        answered (and any audience only the search named has been read)."""
        email = self.ctx.subject.email
        both = Countdown(2, self._discovered)
        self._pages("/lists", "lists", self.client.lists.get_all_lists, email=email,
                    on_page=lambda _, items: self._audiences.update((str(x["id"]), x) for x in items if x.get("id")),
                    on_end=lambda _: both.done())
        endpoint = f"GET /search-members?{urlencode({'query': email})}"
        self._flow.add(lambda: self._call(endpoint, self.client.searchMembers.search, email),
                       lambda reply: self._searched(endpoint, reply, both))

    def _searched(self, endpoint: str, reply: Json | None, both: Countdown) -> Records:
        exact = (reply or {}).get("exact_matches") or {}
        members = items_at(exact, "members", "mailchimp", endpoint) if exact else []
        # full_search holds fuzzy matches: other people, never used
        owned = self.ctx.keep_owned(members, lambda m: self.ctx.subject.matches(m.get("email_address")),
                                    "search-members matches")
        self._search = (len(members), [str(m.get("list_id") or "") for m in owned])
        total = exact.get("total_items")
        if isinstance(total, int) and total > len(members):
            self.ctx.note(f"search-members reported {total} exact matches but returned {len(members)}; the "
                          "audiences were also looked up with GET /lists?email=")
        return both.done()

    def _discovered(self) -> Records:
        """Read the audiences only the search named, then go on with every audience holding the address."""
        by_list = len(self._audiences)
        matches, named = self._search
        extra = [list_id for list_id in dict.fromkeys(named) if list_id and list_id not in self._audiences]

        def known() -> Records:
            self.ctx.covered(f"audiences holding the address: {len(self._audiences)} ({by_list} from GET "
                             f"/lists?email=, {len(self._audiences) - by_list} more from search-members' {matches} "
                             "exact matches)")
            return self._audiences_known()

        read = Countdown(len(extra), known)
        for list_id in extra:
            self._flow.add(partial(self._call, f"GET /lists/{list_id}", self.client.lists.get_list, list_id,
                                   missing_ok=True),
                           partial(self._audience_read, list_id, read))
        return read.check()

    def _audience_read(self, list_id: str, read: Countdown, audience: Json | None) -> Records:
        self._audiences[list_id] = audience or {"id": list_id}
        return read.done()

    def _audiences_known(self) -> Records:
        """Ask every audience's member record; the stores do not depend on the audiences and start too."""
        self._members_left = len(self._audiences)
        for list_id in self._audiences:
            self._flow.add(partial(self._member, list_id), partial(self._member_read, list_id))
        self._stores()
        return self._feeds_check()

    # ------------------------------------------------------------------ per audience
    def _member(self, list_id: str) -> Json | None:
        """The subject's member record in one audience, or None (404) when it holds none."""
        return self._call(f"GET /lists/{list_id}/members/{self._hash}", self.client.lists.get_list_member,
                          list_id, self._hash, missing_ok=True)

    def _member_read(self, list_id: str, member: Json | None) -> Records:
        if member is None:
            self.ctx.note(f"audience {list_id} was named for the address but has no member record for it (404)")
        elif not self.ctx.subject.matches(member.get("email_address")):
            self._withheld_members += 1
        else:
            self._member_parts(list_id, member)
        self._members_left -= 1
        if self._members_left:
            return None
        self.ctx.withheld(self._withheld_members, "member records", "they belong to another person")
        return self._feeds_check()

    def _member_parts(self, list_id: str, member: Json) -> None:
        """Ask everything of one member: the activity feed first (the longest chain, and it names the campaigns
        whose reports follow), the labels its record needs, its other collections, the audience's abuse reports
        and conversations."""
        lists = self.client.lists
        h = str(member.get("id") or self._hash)
        base = f"/lists/{list_id}/members/{h}"
        aud = {"list_id": list_id, "list_name": str(self._audiences[list_id].get("name") or "")}
        self._feeds_open += 1
        fed = [0]

        def feed_page(endpoint: str, items: list[Json]) -> Iterator[Record]:
            fed[0] += len(items)
            for item in items:
                if item.get("campaign_id"):
                    self._named(list_id, item)
                yield self.ctx.record("engagement", "activity", {**aud, **item}, endpoint=endpoint,
                                      vendor_id=item.get("campaign_id") or item.get("note_id")
                                      or item.get("outreach_id"), third_parties=self._others(item.get("from_email")))

        def feed_read(pages: int) -> Records:
            self.ctx.covered(f"activity feed of the member in audience {list_id}: all {fed[0]} "
                             f"({pages} page{'s' if pages != 1 else ''})")
            self._feeds_open -= 1
            return self._feeds_check()

        self._pages(f"{base}/activity-feed", "activity", lists.get_list_member_activity_feed, list_id, h,
                    on_page=feed_page, on_end=feed_read)

        fields: dict[str, Json] = {}
        interests: dict[str, str] = {}
        labelled = Countdown(2 if member.get("interests") else 1,
                             lambda: self._member_records(list_id, member, fields, interests))
        self._pages(f"/lists/{list_id}/merge-fields", "merge_fields", lists.get_list_merge_fields, list_id,
                    on_page=lambda _, items: fields.update((str(f["tag"]), f) for f in items if f.get("tag")),
                    on_end=lambda _: labelled.done())
        if member.get("interests"):
            self._interest_labels(list_id, interests, labelled)
        for part in ("events", "notes", "tags"):
            self._member_list(part, aud, h)
        endpoint = f"GET {base}/goals"
        self._flow.add(partial(self._call, endpoint, lists.getListMemberGoals, list_id, h),
                       partial(self._goals, aud, endpoint))
        self._abuse_reports(list_id)
        self._conversations(list_id)

    def _interest_labels(self, list_id: str, labels: dict[str, str], labelled: Countdown) -> None:
        """interest id → "category: interest", from the audience's interest categories and their interests."""
        lists = self.client.lists
        categories: list[tuple[str, str]] = []

        def read(_: int) -> Records:
            todo = Countdown(len(categories), labelled.done)
            for cat_id, title in categories:
                self._pages(f"/lists/{list_id}/interest-categories/{cat_id}/interests", "interests",
                            lists.list_interest_category_interests, list_id, cat_id,
                            on_page=partial(_label, labels, title), on_end=lambda _: todo.done())
            return todo.check()

        self._pages(f"/lists/{list_id}/interest-categories", "categories", lists.get_list_interest_categories,
                    list_id, on_page=lambda _, items: categories.extend(
                        (str(c["id"]), str(c.get("title", ""))) for c in items if c.get("id")), on_end=read)

    def _member_list(self, part: str, aud: dict[str, str], h: str) -> None:
        """One of the member's paged collections (events, notes, tags), its records streamed page by page."""
        lists, ctx, list_id = self.client.lists, self.ctx, aud["list_id"]
        fn = {"events": lists.get_list_member_events, "notes": lists.get_list_member_notes,
              "tags": lists.get_list_member_tags}[part]
        count = [0]

        def page(endpoint: str, items: list[Json]) -> Iterator[Record]:
            count[0] += len(items)
            for item in items:
                if part == "tags":
                    yield ctx.record("marketing", "tag", {**aud, **item}, endpoint=endpoint, vendor_id=item.get("id"))
                elif part == "events":
                    yield ctx.record("engagement", "event", {**aud, **item}, endpoint=endpoint)
                else:
                    data = {k: v for k, v in item.items() if k != "_links"}
                    yield ctx.record("communications", "note", {**aud, **data}, endpoint=endpoint,
                                     vendor_id=item.get("id"),
                                     third_parties=self._others(item.get("created_by"), item.get("note")))

        def read(pages: int) -> None:
            ctx.covered(f"{part} of the member in audience {list_id}: all {count[0]} "
                        f"({pages} page{'s' if pages != 1 else ''})")

        self._pages(f"/lists/{list_id}/members/{h}/{MEMBER_LISTS[part]}", part, fn, list_id, h,
                    on_page=page, on_end=read)

    def _goals(self, aud: dict[str, str], endpoint: str, reply: Json | None) -> Iterator[Record]:
        """The member's goal events: the last ``LAST_GOALS`` only, unpaged."""
        ctx, list_id = self.ctx, aud["list_id"]
        goals = items_at(reply, "goals", "mailchimp", endpoint)
        ctx.covered(f"goals of the member in audience {list_id}: {len(goals)} (unpaged: the API returns the last "
                    f"{LAST_GOALS} goal events only)")
        if len(goals) >= LAST_GOALS:
            ctx.cut_short(f"goals of the member in audience {list_id}: older goal events than the last {LAST_GOALS} "
                          "cannot be read through the API")
        for goal in goals:
            yield ctx.record("engagement", "goal", {**aud, **goal}, endpoint=endpoint, vendor_id=goal.get("goal_id"))

    # ------------------------------------------------------------------ collect
    @property
    def _hash(self) -> str:
        return hashlib.md5(self.ctx.subject.email.encode("utf-8")).hexdigest()

    def collect(self) -> Iterator[Record]:
        """Every record Mailchimp holds about the subject, in every audience that has the address: the requests
        overlap up to ``concurrency`` connections and the records stream out page by page as the answers arrive."""
        self._discover()
        yield from self._flow.run()
        self._reports_covered()

    def _member_records(self, list_id: str, member: Json, labels: dict[str, Json],
                        interest_labels: dict[str, str]) -> Iterator[Record]:
        """The member record, its contact data, its consent and its sign-up technical data, labelled with the
        audience's own names of its merge fields (``labels``: tag → field) and interests."""
        ctx = self.ctx
        audience = self._audiences[list_id]
        name = str(audience.get("name") or "")
        h = str(member.get("id") or self._hash)
        where = f"GET /lists/{list_id}/members/{h}"
        vendor_id = member.get("unique_email_id") or h
        aud = {"list_id": list_id, "list_name": name}
        merge = member.get("merge_fields") or {}

        raw = {k: v for k, v in member.items() if k != "_links"}
        yield ctx.record("marketing", "member", {
            **aud, **raw,
            "merge_field_labels": {tag: str(labels[tag].get("name")) for tag in merge if tag in labels},
            "interest_labels": {i: interest_labels[i] for i in member.get("interests") or {} if i in interest_labels},
            "interests_named": {interest_labels.get(i, i): v for i, v in (member.get("interests") or {}).items()},
        }, endpoint=where, vendor_id=vendor_id)

        yield ctx.record("contact", "member_contact", {
            **aud,
            "email_address": member.get("email_address"),
            "full_name": member.get("full_name"),
            "merge_fields": [
                {"tag": tag, "name": labels.get(tag, {}).get("name", tag), "type": labels.get(tag, {}).get("type"),
                 "value": value} for tag, value in merge.items()],
            "language": member.get("language"),
            "email_type": member.get("email_type"),
            "contact_id": member.get("contact_id"),
            "unique_email_id": member.get("unique_email_id"),
        }, endpoint=where, vendor_id=vendor_id)

        yield ctx.record("consent", "subscription", {
            **aud,
            **{k: member.get(k) for k in ("status", "unsubscribe_reason", "timestamp_signup", "ip_signup",
                                           "timestamp_opt", "ip_opt", "source", "last_changed",
                                           "consents_to_one_to_one_messaging") if k in member},
            "double_optin": audience.get("double_optin"),
            "permission_reminder": audience.get("permission_reminder"),
            "marketing_permissions": member.get("marketing_permissions") or [],
        }, endpoint=where, vendor_id=vendor_id)

        technical = {k: member.get(k) for k in ("ip_signup", "timestamp_signup", "ip_opt", "timestamp_opt",
                                                "email_client", "location") if member.get(k)}
        if technical:
            yield ctx.record("technical", "signup_technical", {**aud, **technical}, endpoint=where,
                             vendor_id=vendor_id)

    # ------------------------------------------------------------------ campaign reports
    def _named(self, list_id: str, item: Json) -> None:
        """Note a campaign an activity feed item names (its title, when it was sent) and ask the per-recipient
        report its activity calls for, once per campaign and kind: sent-to at its sending, email-activity at its
        first open, click or bounce, unsubscribed at an unsubscribe."""
        cid = str(item["campaign_id"])
        campaign = self._campaigns.get(cid)
        if campaign is None:
            campaign = self._campaigns[cid] = Campaign(list_id)
        if not campaign.title and item.get("campaign_title"):
            campaign.title = str(item["campaign_title"])
        kind = item.get("activity_type")
        if kind == "sent":
            at = str(item.get("created_at_timestamp") or "")
            if at and (not campaign.sent_at or at < campaign.sent_at):
                campaign.sent_at = at
            self._ask(cid, campaign, "sent-to")
        elif kind in ENGAGED:
            self._ask(cid, campaign, "email-activity")
        elif kind == "unsub":
            self._ask(cid, campaign, "unsubscribed")

    def _ask(self, cid: str, campaign: Campaign, kind: str) -> None:
        """Ask one per-recipient report of one campaign, unless asked already or reports are switched off."""
        if kind in campaign.asked or not self.settings["campaign_reports"]:
            return
        campaign.asked.add(kind)
        self._asked[kind] += 1
        self._flow.add(partial(self._report, cid, kind), partial(self._reported, cid, kind), bulk=True)

    def _report(self, cid: str, kind: str) -> Json | None:
        """One per-recipient report of one campaign, or None when Mailchimp holds none (404)."""
        fn = {"sent-to": self.client.reports.get_campaign_recipient,
              "email-activity": self.client.reports.get_email_activity_for_subscriber,
              "unsubscribed": self.client.reports.get_unsubscribed_list_member}[kind]
        return self._call(f"GET /reports/{cid}/{kind}/{self._hash}", fn, cid, self._hash, missing_ok=True)

    def _reported(self, cid: str, kind: str, reply: Json | None) -> Records:
        if reply is None:
            return None
        self._found[kind] += 1
        if not self.ctx.subject.matches(reply.get("email_address")):
            self._withheld_reports += 1
            return None
        return self._report_records(cid, self._campaigns[cid], kind, reply)

    def _reports_covered(self) -> None:
        """What the campaign reports covered, once every report is read."""
        ctx, named = self.ctx, len(self._campaigns)
        ctx.withheld(self._withheld_reports, "campaign reports", "they belong to another person")
        if not named:
            ctx.covered("campaign reports: the activity feeds name no campaign")
            return
        if not self.settings["campaign_reports"]:
            ctx.cut_short(f"campaign reports of the {named} campaigns the activity feeds name were not read "
                          "(campaign_reports = false)")
            return
        found, asked = self._found, self._asked
        ctx.covered(f"campaign reports for the {named} campaigns the activity feeds name: delivery (sent-to) "
                    f"{found['sent-to']} of {asked['sent-to']}; opens, clicks and bounces (email-activity) "
                    f"{found['email-activity']} of the {asked['email-activity']} campaigns the feeds show them for; "
                    f"unsubscribes {found['unsubscribed']} of the {asked['unsubscribed']} the feeds show")
        missing = sum(asked.values()) - sum(found.values())
        if missing:
            ctx.note(f"{missing} campaign report(s) named by the activity feed no longer exist at Mailchimp (404), "
                     "e.g. for a deleted campaign")

    def _report_records(self, cid: str, campaign: Campaign, kind: str, reply: Json) -> Iterator[Record]:
        ctx = self.ctx
        list_id = str(reply.get("list_id") or campaign.list_id)
        head = {"list_id": list_id, "list_name": str(self._audiences.get(list_id, {}).get("name") or ""),
                "campaign_id": cid, "campaign_title": campaign.title}
        body = {k: v for k, v in reply.items() if k not in ("_links", "activity", "campaign_id", "list_id")}
        endpoint = f"GET /reports/{cid}/{kind}/{self._hash}"
        if kind == "sent-to":
            yield ctx.record("communications", "campaign_recipient", {**head, "sent_at": campaign.sent_at, **body},
                             endpoint=endpoint, vendor_id=cid)
        elif kind == "unsubscribed":
            yield ctx.record("consent", "campaign_unsubscribe", {**head, **body}, endpoint=endpoint, vendor_id=cid)
        else:
            for action in items_at(reply, "activity", "mailchimp", endpoint):
                yield ctx.record("engagement", "campaign_activity", {**head, **body, **action}, endpoint=endpoint,
                                 vendor_id=cid)

    def _title(self, cid: str) -> str:
        campaign = self._campaigns.get(cid)
        return campaign.title if campaign else ""

    # ------------------------------------------------------------------ abuse reports
    def _abuse_reports(self, list_id: str) -> None:
        """The subject's abuse (spam) reports in one audience with a member record for the address: the
        collection has no filter, so every report is read and the address matched page by page; the subject's
        own wait for the feeds (which name the campaigns' titles)."""
        ctx = self.ctx
        mine: list[tuple[str, Json]] = []
        read = [0]

        def page(endpoint: str, items: list[Json]) -> None:
            read[0] += len(items)
            mine.extend((endpoint, r) for r in items if ctx.subject.matches(r.get("email_address")))

        def end(pages: int) -> Records:
            ctx.covered(f"abuse reports of audience {list_id}: all {read[0]} read ({pages} "
                        f"page{'s' if pages != 1 else ''}), {len(mine)} for the address")
            return self._after_feeds(lambda: self._abuse_records(list_id, mine))

        self._pages(f"/lists/{list_id}/abuse-reports", "abuse_reports", self.client.lists.get_list_abuse_reports,
                    list_id, on_page=page, on_end=end)

    def _abuse_records(self, list_id: str, mine: list[tuple[str, Json]]) -> Iterator[Record]:
        for endpoint, report in mine:
            data = {k: v for k, v in report.items() if k not in ("_links", "list_id")}
            yield self.ctx.record("consent", "abuse_report", {
                "list_id": list_id, "list_name": str(self._audiences.get(list_id, {}).get("name") or ""),
                "campaign_title": self._title(str(report.get("campaign_id") or "")), **data},
                endpoint=endpoint, vendor_id=report.get("id"))

    # ------------------------------------------------------------------ conversations
    def _conversations(self, list_id: str) -> None:
        """Every message of the past conversations the address started in one audience holding the member: the
        conversations are read page by page and matched on who started them; their messages are read once the
        feeds (which name the campaigns' titles) are."""
        ctx = self.ctx
        started: list[Json] = []
        read = [0]

        def page(_: str, items: list[Json]) -> None:
            read[0] += len(items)
            started.extend(c for c in items if ctx.subject.matches(c.get("from_email")) and c.get("id"))

        def end(pages: int) -> Records:
            ctx.covered(f"conversations of audience {list_id}: all {read[0]} read ({pages} "
                        f"page{'s' if pages != 1 else ''}), {len(started)} started by the address")
            return self._after_feeds(lambda: self._threads(list_id, started))

        self._pages("/conversations", "conversations", self.client.conversations.list, list_id=list_id,
                    on_page=page, on_end=end, gone=self._conversations_gone)

    def _conversations_gone(self) -> None:
        if not self._no_conversations:
            self._no_conversations = True
            self.ctx.note("Mailchimp no longer offers conversations (GET /conversations answered 404); replies to "
                          "campaigns are in the activity feed only")
            self.ctx.covered("conversations: not offered by the API (404)")

    def _threads(self, list_id: str, started: list[Json]) -> None:
        api = self.client.conversations
        for conv in started:
            endpoint = f"GET /conversations/{conv['id']}/messages"
            self._flow.add(partial(self._call, endpoint, api.get_conversation_messages, str(conv["id"])),
                           partial(self._messages, list_id, conv, endpoint))

    def _messages(self, list_id: str, conv: Json, endpoint: str, reply: Json | None) -> Iterator[Record]:
        ctx = self.ctx
        messages = items_at(reply, "conversation_messages", "mailchimp", endpoint)
        total = (reply or {}).get("total_items")
        if isinstance(total, int) and total > len(messages):
            ctx.cut_short(f"conversation {conv['id']}: {total} messages reported, {len(messages)} returned")
        cid = str(conv.get("campaign_id") or "")
        head = {"list_id": list_id, "list_name": str(self._audiences.get(list_id, {}).get("name") or ""),
                "campaign_id": cid, "campaign_title": self._title(cid), "conversation_id": str(conv["id"])}
        for msg in messages:
            data = {k: v for k, v in msg.items() if k not in ("_links", "list_id", "conversation_id")}
            yield ctx.record("communications", "conversation_message", {**head, **data}, endpoint=endpoint,
                             vendor_id=msg.get("id"), third_parties=self._others(msg.get("from_email"),
                                                                                 msg.get("message")))

    # ------------------------------------------------------------------ e-commerce
    def _stores(self) -> None:
        """The customer with the address in every connected store, with that customer's orders and carts."""
        ctx = self.ctx
        stores: list[tuple[str, str]] = []

        def end(_: int) -> None:
            if not stores:
                ctx.note("no e-commerce store is connected to this Mailchimp account: it holds no shop customers, "
                         "orders or carts")
                ctx.covered("e-commerce stores: none connected")
                return
            ctx.covered(f"e-commerce stores: all {len(stores)}")
            for sid, name in stores:
                self._store(sid, name)

        self._pages("/ecommerce/stores", "stores", self.client.ecommerce.stores, on_end=end,
                    on_page=lambda _, items: stores.extend((str(s["id"]), str(s.get("name") or ""))
                                                           for s in items if s.get("id")))

    def _store(self, sid: str, name: str) -> None:
        """The subject's customer records in one store; their orders and the store's carts follow."""
        ctx = self.ctx
        head = {"store_id": sid, "store_name": name}
        ids: dict[str, None] = {}
        counts = {"mine": 0, "others": 0}

        def page(endpoint: str, items: list[Json]) -> Iterator[Record]:
            for customer in items:
                if not ctx.subject.matches(customer.get("email_address")):
                    counts["others"] += 1
                    continue
                counts["mine"] += 1
                ids[str(customer.get("id"))] = None
                yield ctx.record("contact", "shop_customer", {**head, **{k: v for k, v in customer.items()
                                                                       if k != "_links"}},
                                 endpoint=endpoint, vendor_id=customer.get("id"))

        def end(_: int) -> None:
            ctx.withheld(counts["others"], f"customers of store {sid}", "they belong to another person")
            if not ids:
                ctx.covered(f"store {sid}: no customer with the address (orders and carts belong to a customer)")
                return
            self._orders_and_carts(head, counts["mine"], set(ids))

        self._pages(f"/ecommerce/stores/{sid}/customers", "customers", self.client.ecommerce.get_all_store_customers,
                    sid, email_address=ctx.subject.email, on_page=page, on_end=end)

    def _orders_and_carts(self, head: dict[str, str], customers: int, ids: set[str]) -> None:
        """The orders of the subject's customer records (``?customer_id=``) and the carts that are theirs (the
        collection has no filter: every cart is read and matched), streamed page by page."""
        ctx, ecommerce, sid = self.ctx, self.client.ecommerce, head["store_id"]
        base = f"/ecommerce/stores/{sid}"
        counts = {"orders": 0, "others": 0, "carts": 0, "cart_pages": 0, "theirs": 0}

        def summary() -> None:
            ctx.withheld(counts["others"], f"orders of store {sid}", "they belong to another person")
            p = counts["cart_pages"]
            ctx.covered(f"store {sid}: {customers} customer record(s) for the address; all {counts['orders']} of their "
                        f"orders; carts: all {counts['carts']} read ({p} page{'s' if p != 1 else ''}), "
                        f"{counts['theirs']} theirs")

        done = Countdown(len(ids) + 1, summary)

        def orders(endpoint: str, items: list[Json]) -> Iterator[Record]:
            for order in items:
                if not self._customer_is(order, ids):
                    counts["others"] += 1
                    continue
                counts["orders"] += 1
                yield ctx.record("orders", "shop_order", {**head, **{k: v for k, v in order.items()
                                                                   if k not in ("_links", "store_id")}},
                                 endpoint=endpoint, vendor_id=order.get("id"))

        def carts(endpoint: str, items: list[Json]) -> Iterator[Record]:
            counts["carts"] += len(items)
            for cart in items:
                if self._customer_is(cart, ids):
                    counts["theirs"] += 1
                    yield ctx.record("orders", "shop_cart", {**head, **{k: v for k, v in cart.items()
                                                                      if k != "_links"}},
                                     endpoint=endpoint, vendor_id=cart.get("id"))

        def carts_read(pages: int) -> Records:
            counts["cart_pages"] = pages
            return done.done()

        for customer in sorted(ids):
            self._pages(f"{base}/orders", "orders", ecommerce.get_store_orders, sid, customer_id=customer,
                        on_page=orders, on_end=lambda _: done.done())
        self._pages(f"{base}/carts", "carts", ecommerce.get_store_carts, sid, on_page=carts, on_end=carts_read)

    def _customer_is(self, item: Json, ids: set[str]) -> bool:
        """An order's or cart's customer is the subject's record: one of ``ids`` and the subject's address."""
        customer = item.get("customer")
        if not isinstance(customer, dict):
            return False
        return str(customer.get("id")) in ids and self.ctx.subject.matches(customer.get("email_address"))

    def _others(self, *texts: object) -> list[str]:
        """E-mail addresses in ``texts`` that are not the subject's (staff, other people)."""
        return [a for t in texts for a in emails_in(t) if not self.ctx.subject.matches(a)]


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register the Mailchimp connector."""
    register(MailchimpConnector)
