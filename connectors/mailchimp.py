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

Transport: the SDK calls module-level ``requests.get`` (no session, no ``verify``); its ``ApiClient.request``
is replaced by one that sends through this run's :class:`VendorSession`, so the CA bundle, the shared retry
policy (429/5xx), the 10-connection limit, call counting and redaction apply. The SDK's rewrite of the word
"server" in URLs is switched off (``api_client.server = ""``): the host is set explicitly.
"""

from __future__ import annotations

import hashlib
import http
import json
import re
from collections.abc import Callable, Iterator, Mapping
from itertools import groupby
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlencode

import mailchimp_marketing
import requests
from mailchimp_marketing.api_client import ApiClientError

from aggregator.connector import Connector, ConnectorContext, Record
from aggregator.errors import ConfigError, DsarError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.http import Limits, RetryPolicy, VendorSession, one_line
from aggregator.paging import OffsetPaginator, PageGuard, fan_out, items_at, pages
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
PARTS = ("merge_fields", "interests", *MEMBER_LISTS, "goals")

Json = dict[str, Any]


class Listing(NamedTuple):
    """The items of one collection, each with the endpoint of its page, and how many pages were read."""

    items: list[tuple[str, Json]]
    pages: int


class Campaign(NamedTuple):
    """A campaign the member's activity feeds name: its title, the audience, when it was sent, and whether the
    feed shows an open, click or bounce (``engaged``) or an unsubscribe (``left``) for it."""

    title: str
    list_id: str
    sent_at: str
    engaged: bool
    left: bool


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

    def _listing(self, path: str, key: str, fn: Callable[..., Any], *args: Any, **query: Any) -> Listing:
        """Every item of a ``count``/``offset`` collection, each with its page's endpoint. It ends at
        ``total_items`` when the reply has one, else at a short page (the activity feed has none); a page that
        repeats an earlier one, or more than ``MAX_PAGES`` pages, ends the connector with a VendorError."""
        endpoint = ""

        def fetch(token: dict[str, Any]) -> Any:
            nonlocal endpoint
            endpoint = f"GET {path}?{urlencode({**token, **query})}"
            return self._call(endpoint, fn, *args, **token, **query)

        guard = PageGuard("mailchimp", f"GET {path}", MAX_PAGES, hint="a larger page_size reads further")
        items = [(endpoint, item) for page in pages(fetch, OffsetPaginator(self.page_size),
                                                    lambda body: items_at(body, key, "mailchimp", endpoint), guard)
                 for item in page]
        return Listing(items, guard.pages)

    # ------------------------------------------------------------------ discovery
    def _audiences(self) -> dict[str, Json]:
        """list id → list object, for every audience holding the subject's address (any status)."""
        email = self.ctx.subject.email
        lists = self.client.lists
        found = {str(lst["id"]): lst for _, lst in self._listing("/lists", "lists", lists.get_all_lists,
                                                                 email=email).items if lst.get("id")}
        by_list = len(found)
        endpoint = f"GET /search-members?{urlencode({'query': email})}"
        exact = (self._call(endpoint, self.client.searchMembers.search, email) or {}).get("exact_matches") or {}
        members = items_at(exact, "members", "mailchimp", endpoint) if exact else []
        # full_search holds fuzzy matches: other people, never used
        for m in self.ctx.keep_owned(members, lambda m: self.ctx.subject.matches(m.get("email_address")),
                                     "search-members matches"):
            list_id = str(m.get("list_id") or "")
            if list_id and list_id not in found:
                found[list_id] = self._call(f"GET /lists/{list_id}", lists.get_list, list_id,
                                            missing_ok=True) or {"id": list_id}
        total = exact.get("total_items")
        if isinstance(total, int) and total > len(members):
            self.ctx.note(f"search-members reported {total} exact matches but returned {len(members)}; the "
                          "audiences were also looked up with GET /lists?email=")
        self.ctx.covered(f"audiences holding the address: {len(found)} ({by_list} from GET /lists?email=, "
                         f"{len(found) - by_list} more from search-members' {len(members)} exact matches)")
        return found

    # ------------------------------------------------------------------ per audience
    def _member(self, list_id: str) -> Json | None:
        """The subject's member record in one audience, or None (404) when it holds none."""
        return self._call(f"GET /lists/{list_id}/members/{self._hash}", self.client.lists.get_list_member,
                          list_id, self._hash, missing_ok=True)

    def _part(self, task: tuple[str, Json, str]) -> Any:
        """One of ``PARTS`` for one member: a :class:`Listing`, or the interest labels."""
        list_id, member, part = task
        lists = self.client.lists
        h = str(member.get("id") or self._hash)
        base = f"/lists/{list_id}/members/{h}"
        if part == "merge_fields":
            return self._listing(f"/lists/{list_id}/merge-fields", part, lists.get_list_merge_fields, list_id)
        if part == "interests":
            return self._interest_labels(list_id) if member.get("interests") else {}
        if part == "goals":
            endpoint = f"GET {base}/goals"
            reply = self._call(endpoint, lists.getListMemberGoals, list_id, h)
            return Listing([(endpoint, g) for g in items_at(reply, "goals", "mailchimp", endpoint)], 1)
        fn = {"activity": lists.get_list_member_activity_feed, "events": lists.get_list_member_events,
              "notes": lists.get_list_member_notes, "tags": lists.get_list_member_tags}[part]
        return self._listing(f"{base}/{MEMBER_LISTS[part]}", part, fn, list_id, h)

    def _interest_labels(self, list_id: str) -> dict[str, str]:
        lists = self.client.lists
        labels: dict[str, str] = {}
        categories = self._listing(f"/lists/{list_id}/interest-categories", "categories",
                                   lists.get_list_interest_categories, list_id).items
        for _, cat in categories:
            cat_id = str(cat.get("id") or "")
            if not cat_id:
                continue
            for _, interest in self._listing(f"/lists/{list_id}/interest-categories/{cat_id}/interests",
                                             "interests", lists.list_interest_category_interests,
                                             list_id, cat_id).items:
                labels[str(interest.get("id"))] = f"{cat.get('title', '')}: {interest.get('name', '')}".strip(": ")
        return labels

    # ------------------------------------------------------------------ collect
    @property
    def _hash(self) -> str:
        return hashlib.md5(self.ctx.subject.email.encode("utf-8")).hexdigest()

    def collect(self) -> Iterator[Record]:
        """Every record Mailchimp holds about the subject, in every audience that has the address."""
        audiences = self._audiences()
        fetched = list(fan_out(self._member, audiences, workers=self.workers, name="mailchimp"))
        for list_id in [list_id for list_id, member in fetched if member is None]:
            self.ctx.note(f"audience {list_id} was named for the address but has no member record for it (404)")
        members = self.ctx.keep_owned([(list_id, m) for list_id, m in fetched if m is not None],
                                      lambda m: self.ctx.subject.matches(m[1].get("email_address")), "member records")
        tasks = [(list_id, member, part) for list_id, member in members for part in PARTS]
        done = fan_out(self._part, tasks, workers=self.workers, name="mailchimp")
        feeds: list[tuple[str, Json]] = []
        for list_id, group in groupby(done, key=lambda pair: pair[0][0]):
            results = list(group)
            parts = {task[2]: result for task, result in results}
            feeds += [(list_id, item) for _, item in parts["activity"].items]
            yield from self._records(audiences[list_id], list_id, results[0][0][1], parts)
        campaigns = self._campaigns(feeds)
        yield from self._campaign_reports(audiences, campaigns)
        yield from self._abuse_reports(audiences, [list_id for list_id, _ in members], campaigns)
        yield from self._conversations(audiences, [list_id for list_id, _ in members], campaigns)
        yield from self._stores()

    def _records(self, audience: Json, list_id: str, member: Json, parts: dict[str, Any]) -> Iterator[Record]:
        ctx = self.ctx
        name = str(audience.get("name") or "")
        h = str(member.get("id") or self._hash)
        where = f"GET /lists/{list_id}/members/{h}"
        vendor_id = member.get("unique_email_id") or h
        labels = {str(f.get("tag")): f for _, f in parts["merge_fields"].items if f.get("tag")}
        interest_labels: dict[str, str] = parts["interests"]
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

        for part, what in (("activity", "activity feed"), ("events", "events"), ("notes", "notes"), ("tags", "tags")):
            n, p = len(parts[part].items), parts[part].pages
            ctx.covered(f"{what} of the member in audience {list_id}: all {n} ({p} page{'s' if p != 1 else ''})")
        goals = len(parts["goals"].items)
        ctx.covered(f"goals of the member in audience {list_id}: {goals} (unpaged: the API returns the last "
                    f"{LAST_GOALS} goal events only)")
        if goals >= LAST_GOALS:
            ctx.cut_short(f"goals of the member in audience {list_id}: older goal events than the last {LAST_GOALS} "
                          "cannot be read through the API")
        for endpoint, tag in parts["tags"].items:
            yield ctx.record("marketing", "tag", {**aud, **tag}, endpoint=endpoint, vendor_id=tag.get("id"))
        for endpoint, item in parts["activity"].items:
            yield ctx.record("engagement", "activity", {**aud, **item}, endpoint=endpoint,
                             vendor_id=item.get("campaign_id") or item.get("note_id") or item.get("outreach_id"),
                             third_parties=self._others(item.get("from_email")))
        for endpoint, event in parts["events"].items:
            yield ctx.record("engagement", "event", {**aud, **event}, endpoint=endpoint)
        for endpoint, goal in parts["goals"].items:
            yield ctx.record("engagement", "goal", {**aud, **goal}, endpoint=endpoint, vendor_id=goal.get("goal_id"))
        for endpoint, note in parts["notes"].items:
            data = {k: v for k, v in note.items() if k != "_links"}
            yield ctx.record("communications", "note", {**aud, **data}, endpoint=endpoint, vendor_id=note.get("id"),
                             third_parties=self._others(note.get("created_by"), note.get("note")))

    # ------------------------------------------------------------------ campaign reports
    @staticmethod
    def _campaigns(feeds: list[tuple[str, Json]]) -> dict[str, Campaign]:
        """campaign id → :class:`Campaign`, for every campaign the activity feeds name."""
        seen: dict[str, list[tuple[str, Json]]] = {}
        for list_id, item in feeds:
            if item.get("campaign_id"):
                seen.setdefault(str(item["campaign_id"]), []).append((list_id, item))
        out: dict[str, Campaign] = {}
        for cid, items in seen.items():
            kinds = {str(i.get("activity_type")) for _, i in items}
            sent = [str(i.get("created_at_timestamp") or "") for _, i in items if i.get("activity_type") == "sent"]
            title = next((str(i["campaign_title"]) for _, i in items if i.get("campaign_title")), "")
            out[cid] = Campaign(title, items[0][0], min(sent) if sent else "", bool(kinds & ENGAGED),
                                "unsub" in kinds)
        return out

    def _report(self, task: tuple[str, str]) -> Json | None:
        """One per-recipient report of one campaign, or None when Mailchimp holds none (404)."""
        cid, kind = task
        fn = {"sent-to": self.client.reports.get_campaign_recipient,
              "email-activity": self.client.reports.get_email_activity_for_subscriber,
              "unsubscribed": self.client.reports.get_unsubscribed_list_member}[kind]
        return self._call(f"GET /reports/{cid}/{kind}/{self._hash}", fn, cid, self._hash, missing_ok=True)

    def _campaign_reports(self, audiences: dict[str, Json], campaigns: dict[str, Campaign]) -> Iterator[Record]:
        """The member's sent-to, email-activity and unsubscribed reports of the campaigns the feeds name."""
        ctx = self.ctx
        if not campaigns:
            ctx.covered("campaign reports: the activity feeds name no campaign")
            return
        if not self.settings["campaign_reports"]:
            ctx.cut_short(f"campaign reports of the {len(campaigns)} campaigns the activity feeds name were not read "
                          "(campaign_reports = false)")
            return
        tasks = [(cid, kind) for cid, c in campaigns.items()
                 for kind, wanted in (("sent-to", True), ("email-activity", c.engaged), ("unsubscribed", c.left))
                 if wanted]
        found: dict[str, int] = {"sent-to": 0, "email-activity": 0, "unsubscribed": 0}
        asked = dict.fromkeys(found, 0)
        replies: list[tuple[str, str, Json]] = []
        for (cid, kind), reply in fan_out(self._report, tasks, workers=self.workers, name="mailchimp"):
            asked[kind] += 1
            if reply is not None:
                found[kind] += 1
                replies.append((cid, kind, reply))
        owned = ctx.keep_owned(replies, lambda r: ctx.subject.matches(r[2].get("email_address")),
                               "campaign reports")
        missing = sum(asked.values()) - sum(found.values())
        ctx.covered(f"campaign reports for the {len(campaigns)} campaigns the activity feeds name: delivery (sent-to) "
                    f"{found['sent-to']} of {asked['sent-to']}; opens, clicks and bounces (email-activity) "
                    f"{found['email-activity']} of the {asked['email-activity']} campaigns the feeds show them for; "
                    f"unsubscribes {found['unsubscribed']} of the {asked['unsubscribed']} the feeds show")
        if missing:
            ctx.note(f"{missing} campaign report(s) named by the activity feed no longer exist at Mailchimp (404), "
                     "e.g. for a deleted campaign")
        for cid, kind, reply in owned:
            yield from self._report_records(audiences, cid, campaigns[cid], kind, reply)

    def _report_records(self, audiences: dict[str, Json], cid: str, campaign: Campaign, kind: str,
                        reply: Json) -> Iterator[Record]:
        ctx = self.ctx
        list_id = str(reply.get("list_id") or campaign.list_id)
        head = {"list_id": list_id, "list_name": str(audiences.get(list_id, {}).get("name") or ""),
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

    # ------------------------------------------------------------------ abuse reports
    def _abuse_reports(self, audiences: dict[str, Json], list_ids: list[str],
                       campaigns: dict[str, Campaign]) -> Iterator[Record]:
        """The subject's abuse (spam) reports in every audience with a member record for the address: the
        collection has no filter, so every report is read and the address matched."""
        ctx = self.ctx
        lists = self.client.lists
        read = fan_out(lambda list_id: self._listing(f"/lists/{list_id}/abuse-reports", "abuse_reports",
                                                     lists.get_list_abuse_reports, list_id),
                       list_ids, workers=self.workers, name="mailchimp")
        for list_id, listing in read:
            mine = [(e, r) for e, r in listing.items if ctx.subject.matches(r.get("email_address"))]
            ctx.covered(f"abuse reports of audience {list_id}: all {len(listing.items)} read ({listing.pages} "
                        f"page{'s' if listing.pages != 1 else ''}), {len(mine)} for the address")
            for endpoint, report in mine:
                cid = str(report.get("campaign_id") or "")
                title = campaigns[cid].title if cid in campaigns else ""
                data = {k: v for k, v in report.items() if k not in ("_links", "list_id")}
                yield ctx.record("consent", "abuse_report", {
                    "list_id": list_id, "list_name": str(audiences.get(list_id, {}).get("name") or ""),
                    "campaign_title": title, **data}, endpoint=endpoint, vendor_id=report.get("id"))

    # ------------------------------------------------------------------ conversations
    def _conversations(self, audiences: dict[str, Json], list_ids: list[str],
                       campaigns: dict[str, Campaign]) -> Iterator[Record]:
        """Every message of the past conversations the address started, in the audiences holding the member."""
        ctx = self.ctx
        api = self.client.conversations
        started: list[tuple[str, Json]] = []
        for list_id in list_ids:
            try:
                listing = self._listing("/conversations", "conversations", api.list, list_id=list_id)
            except VendorError as exc:
                if exc.status != 404:
                    raise
                ctx.note("Mailchimp no longer offers conversations (GET /conversations answered 404); replies to "
                         "campaigns are in the activity feed only")
                ctx.covered("conversations: not offered by the API (404)")
                return
            mine = [(list_id, c) for _, c in listing.items if ctx.subject.matches(c.get("from_email"))]
            ctx.covered(f"conversations of audience {list_id}: all {len(listing.items)} read ({listing.pages} "
                        f"page{'s' if listing.pages != 1 else ''}), {len(mine)} started by the address")
            started += mine
        threads = fan_out(lambda lc: self._call(f"GET /conversations/{lc[1]['id']}/messages",
                                                api.get_conversation_messages, str(lc[1]["id"])),
                          [(lid, c) for lid, c in started if c.get("id")], workers=self.workers, name="mailchimp")
        for (list_id, conv), reply in threads:
            endpoint = f"GET /conversations/{conv['id']}/messages"
            messages = items_at(reply, "conversation_messages", "mailchimp", endpoint)
            total = (reply or {}).get("total_items")
            if isinstance(total, int) and total > len(messages):
                ctx.cut_short(f"conversation {conv['id']}: {total} messages reported, {len(messages)} returned")
            cid = str(conv.get("campaign_id") or "")
            head = {"list_id": list_id, "list_name": str(audiences.get(list_id, {}).get("name") or ""),
                    "campaign_id": cid, "campaign_title": campaigns[cid].title if cid in campaigns else "",
                    "conversation_id": str(conv["id"])}
            for msg in messages:
                data = {k: v for k, v in msg.items() if k not in ("_links", "list_id", "conversation_id")}
                yield ctx.record("communications", "conversation_message", {**head, **data}, endpoint=endpoint,
                                 vendor_id=msg.get("id"), third_parties=self._others(msg.get("from_email"),
                                                                                     msg.get("message")))

    # ------------------------------------------------------------------ e-commerce
    def _stores(self) -> Iterator[Record]:
        """The customer with the address in every connected store, with that customer's orders and carts."""
        ctx = self.ctx
        stores = [s for _, s in self._listing("/ecommerce/stores", "stores", self.client.ecommerce.stores).items
                  if s.get("id")]
        if not stores:
            ctx.note("no e-commerce store is connected to this Mailchimp account: it holds no shop customers, "
                     "orders or carts")
            ctx.covered("e-commerce stores: none connected")
            return
        ctx.covered(f"e-commerce stores: all {len(stores)}")
        for store in stores:
            yield from self._store(store)

    def _store(self, store: Json) -> Iterator[Record]:
        ctx = self.ctx
        ecommerce = self.client.ecommerce
        sid, name = str(store["id"]), str(store.get("name") or "")
        head = {"store_id": sid, "store_name": name}
        base = f"/ecommerce/stores/{sid}"
        found = self._listing(f"{base}/customers", "customers", ecommerce.get_all_store_customers, sid,
                              email_address=ctx.subject.email)
        customers = ctx.keep_owned(found.items, lambda c: ctx.subject.matches(c[1].get("email_address")),
                                   f"customers of store {sid}")
        if not customers:
            ctx.covered(f"store {sid}: no customer with the address (orders and carts belong to a customer)")
            return
        ids = {str(c.get("id")) for _, c in customers}
        for endpoint, customer in customers:
            yield ctx.record("contact", "shop_customer", {**head, **{k: v for k, v in customer.items()
                                                                   if k != "_links"}},
                             endpoint=endpoint, vendor_id=customer.get("id"))
        orders: list[tuple[str, Json]] = []
        for cust in sorted(ids):
            listing = self._listing(f"{base}/orders", "orders", ecommerce.get_store_orders, sid, customer_id=cust)
            orders += ctx.keep_owned(listing.items, lambda o: self._customer_is(o[1], ids), f"orders of store {sid}")
        carts = self._listing(f"{base}/carts", "carts", ecommerce.get_store_carts, sid)
        mine = [(e, c) for e, c in carts.items if self._customer_is(c, ids)]
        ctx.covered(f"store {sid}: {len(customers)} customer record(s) for the address; all {len(orders)} of their "
                    f"orders; carts: all {len(carts.items)} read ({carts.pages} page{'s' if carts.pages != 1 else ''}),"
                    f" {len(mine)} theirs")
        for endpoint, order in orders:
            yield ctx.record("orders", "shop_order", {**head, **{k: v for k, v in order.items()
                                                               if k not in ("_links", "store_id")}},
                             endpoint=endpoint, vendor_id=order.get("id"))
        for endpoint, cart in mine:
            yield ctx.record("orders", "shop_cart", {**head, **{k: v for k, v in cart.items() if k != "_links"}},
                             endpoint=endpoint, vendor_id=cart.get("id"))

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
