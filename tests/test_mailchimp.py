"""Mailchimp connector against the sandbox: discovery of every audience, paging of the activity feed,
mixed-case addresses, former subscribers, error reasons (401, 404, 429, 5xx, unreadable) and no leaks."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

import connectors.mailchimp as mailchimp_connector
from aggregator import cli
from aggregator.connector import ConnectorContext
from aggregator.errors import ConfigError
from aggregator.http import Redactor
from aggregator.identifiers import IdentifierBus
from aggregator.sandbox.server import Fault, to_toml
from aggregator.sandbox.vendors.mailchimp import API_KEY
from aggregator.spool import Spool
from aggregator.subject import Subject
from connectors.mailchimp import MAX_COUNT, MailchimpConnector
from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER

NEWSLETTER, PROMOS, B2B = "4f6b1c2a9d", "a93e07d5b2", "c1d2e3f4a5"
DEMO_HASH = hashlib.md5(DEMO.encode()).hexdigest()
OTHER_HASH = hashlib.md5(OTHER.encode()).hexdigest()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mailchimp"
SCHEMA = json.loads((Path(__file__).parent / "vendor_schemas" / "mailchimp.schema.json").read_text())
NO_SLEEP = {"sleep": lambda s: None}
STORE, PRO_STORE = "megasecurity-eu", "megasecurity-pro"
REPORTS = json.loads((FIXTURES / "reports.json").read_text(encoding="utf-8"))
UNSUB_CAMPAIGN = "d246b41db8"
REPORTED = next(c for c, by in sorted(REPORTS["email_activity"].items())      # a campaign with opens and a click
                if DEMO_HASH in by and {"open", "click"} <= {a["action"] for a in by[DEMO_HASH]["activity"]})


def fixture_member(list_id: str, subscriber_hash: str) -> dict[str, Any]:
    data = json.loads((FIXTURES / "lists" / f"{list_id}.json").read_text(encoding="utf-8"))
    return next(m for m in data["members"] if m["id"] == subscriber_hash)


def by_list(records: list[dict[str, Any]], list_id: str) -> list[dict[str, Any]]:
    return [r for r in records if r["data"].get("list_id") == list_id]


# ----------------------------------------------------------------------------------------------- the demo customer
def test_demo_customer_in_two_audiences_under_every_category(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert pkg.result.status == "complete", outcome.error
    assert outcome.error is None and outcome.calls > 0
    assert outcome.calls == len(sandbox.requests_to("mailchimp"))   # every SDK call went through the session

    members = pkg.records("mailchimp", "member")
    assert sorted(m["data"]["list_id"] for m in members) == [NEWSLETTER, PROMOS]
    assert {m["data"]["list_name"] for m in members} == {"Mega Security Nieuwsbrief", "Promoties & Acties"}
    for category in ("contact", "marketing", "consent", "engagement", "communications", "technical"):
        assert pkg.data(category, "mailchimp"), f"no Mailchimp data under {category}"

    news = by_list(members, NEWSLETTER)[0]
    assert news["source"]["endpoint"] == f"GET /lists/{NEWSLETTER}/members/{DEMO_HASH}"
    assert news["data"]["vip"] is True and news["data"]["member_rating"] == 5
    assert news["data"]["merge_field_labels"]["MMERGE6"] == "Klantnummer"
    assert sorted(news["data"]["interest_labels"].values())[0].endswith("Alarmsystemen")
    named = {k.split(": ")[-1]: v for k, v in news["data"]["interests_named"].items()}
    assert named == {"Camerabewaking": True, "Alarmsystemen": True, "Toegangscontrole": False,
                     "Slimme deurbellen": False}
    assert "_links" not in news["data"]

    contact = by_list(pkg.data("contact", "mailchimp"), NEWSLETTER)[0]["data"]
    fields = {f["name"]: f["value"] for f in contact["merge_fields"]}
    assert fields["Voornaam"] == "Jan" and fields["Klantnummer"] == "1001"
    assert fields["Adres"]["city"] == "Ardooie"

    consent = by_list(pkg.data("consent", "mailchimp"), NEWSLETTER)[0]["data"]
    assert consent["status"] == "subscribed"
    assert {p["text"]: p["enabled"] for p in consent["marketing_permissions"]} == {
        "E-mail": True, "Gepersonaliseerde online advertenties": False}
    technical = by_list(pkg.data("technical", "mailchimp"), NEWSLETTER)[0]["data"]
    stored = fixture_member(NEWSLETTER, DEMO_HASH)
    assert (technical["ip_signup"], technical["ip_opt"]) == (stored["ip_signup"], stored["ip_opt"])

    notes = pkg.records("mailchimp", "note")
    assert len(notes) == 3 and all(n["data"]["list_id"] == NEWSLETTER for n in notes)
    assert {t["data"]["name"] for t in pkg.records("mailchimp", "tag")} >= {"Klant", "Actie-inschrijving"}
    assert len(pkg.records("mailchimp", "event")) == 2 and len(pkg.records("mailchimp", "goal")) == 1


def test_mixed_case_address_is_found_and_hashed_lower_case(run_export, sandbox):
    assert fixture_member(NEWSLETTER, DEMO_HASH)["email_address"] == "Jan.Desmet@Example.be"
    pkg = run_export(DEMO.upper(), vendors=["mailchimp"], **NO_SLEEP)
    news = by_list(pkg.records("mailchimp", "member"), NEWSLETTER)
    assert news and news[0]["data"]["email_address"] == "Jan.Desmet@Example.be"
    assert sandbox.requests_to("mailchimp", f"GET /3.0/lists/{NEWSLETTER}/members/{DEMO_HASH}?")
    assert not [r for r in sandbox.requests_to("mailchimp", "/members/") if DEMO_HASH not in r.path]


def test_search_members_alone_finds_the_audiences(run_export, sandbox):
    """If ``lists?email=`` names no audience, search-members' exact matches (any case) still do."""
    empty = {"lists": [], "total_items": 0, "constraints": {"may_create": True, "max_instances": 5}, "_links": []}
    sandbox.inject(Fault("mailchimp", status=200, body=empty, match="GET /3.0/lists?", times=None))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    assert pkg.result.status == "complete"
    members = pkg.records("mailchimp", "member")
    assert sorted(m["data"]["list_id"] for m in members) == [NEWSLETTER, PROMOS]
    assert {m["data"]["list_name"] for m in members} == {"Mega Security Nieuwsbrief", "Promoties & Acties"}
    assert sandbox.requests_to("mailchimp", f"GET /3.0/lists/{NEWSLETTER}?")


def test_unsubscribed_member_is_still_exported(run_export):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    consent = by_list(pkg.records("mailchimp", "subscription"), PROMOS)
    assert len(consent) == 1
    assert consent[0]["data"]["status"] == "unsubscribed"
    assert consent[0]["data"]["unsubscribe_reason"] == "Ik ontvang te veel e-mails"
    activity = by_list(pkg.records("mailchimp", "activity"), PROMOS)
    assert activity[0]["data"]["activity_type"] == "unsub"      # newest first
    assert len(activity) == 45
    assert by_list(pkg.data("contact", "mailchimp"), PROMOS)


def test_activity_feed_is_paged_to_the_end(run_export, sandbox):
    expected = len(json.loads((FIXTURES / "lists" / f"{NEWSLETTER}.json").read_text())["member_data"][DEMO_HASH]
                   ["activity"])
    assert expected > 1000
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    activity = by_list(pkg.records("mailchimp", "activity"), NEWSLETTER)
    assert len(activity) == expected
    assert len({json.dumps(a["data"], sort_keys=True) for a in activity}) == expected   # no page read twice
    pages = sandbox.requests_to("mailchimp", f"{NEWSLETTER}/members/{DEMO_HASH}/activity-feed")
    assert sorted(p.query for p in pages) == ["count=1000&offset=0", "count=1000&offset=1000"]
    assert {a["source"]["endpoint"] for a in activity} == {
        f"GET /lists/{NEWSLETTER}/members/{DEMO_HASH}/activity-feed?count=1000&offset={o}" for o in (0, 1000)}


def test_the_feed_streams_to_the_spool_a_page_at_a_time(run_export, sandbox, monkeypatch):
    # 1234 items in pages of 250: when page k is asked, every record of the pages before k - 1 is already in the
    # spool, so the connector holds at most the page being spooled and the one arriving, never the whole feed
    spooled = {"activity": 0}
    write = Spool.write

    def counting(self: Spool, record: Any) -> None:
        write(self, record)
        if record.dataset == "activity" and record.data.get("list_id") == NEWSLETTER:
            spooled["activity"] += 1

    monkeypatch.setattr(Spool, "write", counting)
    app = sandbox.apps["mailchimp"]
    handle = app.handle
    at_request: dict[int, int] = {}

    def watching(request: Any) -> Any:
        if request.path == f"/3.0/lists/{NEWSLETTER}/members/{DEMO_HASH}/activity-feed":
            at_request[int(request.int_arg("offset", 0))] = spooled["activity"]
        return handle(request)

    monkeypatch.setattr(app, "handle", watching)
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 250}}, **NO_SLEEP)
    assert pkg.result.status == "complete"
    assert sorted(at_request) == [0, 250, 500, 750, 1000]
    for page, offset in enumerate(sorted(at_request), start=1):
        assert at_request[offset] >= 250 * (page - 2), at_request      # pages 1 .. k-2 spooled before page k
    assert at_request[1000] >= 750 and spooled["activity"] == 1234


def test_every_request_stays_within_ten_connections_and_the_reports_overlap_the_feed(run_export, sandbox,
                                                                                     monkeypatch):
    app = sandbox.apps["mailchimp"]
    handle = app.handle
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    order: list[str] = []

    def counting(request: Any) -> Any:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
            order.append(request.path)
        try:
            time.sleep(0.002)       # long enough for calls to overlap
            return handle(request)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(app, "handle", counting)
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 250}}, **NO_SLEEP)
    assert pkg.result.status == "complete"
    assert 3 < state["most"] <= mailchimp_connector.MAX_CONNECTIONS, state
    feed = [i for i, path in enumerate(order) if path.endswith(f"{NEWSLETTER}/members/{DEMO_HASH}/activity-feed")]
    reports = [i for i, path in enumerate(order) if path.startswith("/3.0/reports/")]
    stores = [i for i, path in enumerate(order) if path.startswith("/3.0/ecommerce/")]
    assert len(feed) == 5 and reports and stores
    assert reports[0] < feed[-1] and stores[0] < feed[-1]     # not after the feed: while it is still being read
    asked = [(r.method, r.path, r.query) for r in sandbox.requests_to("mailchimp")]
    assert len(asked) == len(set(asked)) == len(order)                          # nothing asked twice


def test_small_pages_give_the_same_records(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 250}}, **NO_SLEEP)
    activity = by_list(pkg.records("mailchimp", "activity"), NEWSLETTER)
    assert len(activity) == 1234
    assert len(sandbox.requests_to("mailchimp", f"{NEWSLETTER}/members/{DEMO_HASH}/activity-feed")) == 5
    assert len(pkg.records("mailchimp", "note")) == 3


# ----------------------------------------------------------------------------------------------- nobody else
def test_other_customers_data_never_appears_in_the_demo_package(run_export):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    text = pkg.text()
    other = fixture_member(NEWSLETTER, OTHER_HASH)
    for needle in (OTHER, "Claes", "Stationsplein", other["unique_email_id"], other["contact_id"], OTHER_HASH,
                   "Sofie vraagt offerte", NEAR_MISS, B2B):
        assert needle.lower() not in text.lower(), needle
    for record in pkg.records("mailchimp"):
        if "email_address" in record["data"]:
            assert record["data"]["email_address"].lower() == DEMO


def test_other_customer_gets_only_her_own_data(run_export):
    pkg = run_export(OTHER, vendors=["mailchimp"], **NO_SLEEP)
    members = pkg.records("mailchimp", "member")
    assert sorted(m["data"]["list_id"] for m in members) == [NEWSLETTER, B2B]
    text = pkg.text().lower()
    assert "jan.desmet" not in text and "kerkstraat" not in text


def test_unknown_address_is_no_data_not_a_failure(run_export, sandbox):
    pkg = run_export(EMPTY, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status, outcome.records, outcome.error) == ("complete", "complete", 0, None)
    assert pkg.manifest["summary"]["no_data"] is True


def test_member_404_means_not_a_member(run_export, sandbox):
    missing = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Resource Not Found",
               "status": 404, "detail": "The requested resource could not be found.", "instance": "x"}
    sandbox.inject(Fault("mailchimp", status=404, body=missing,
                         match=lambda r: r.path == f"/3.0/lists/{PROMOS}/members/{DEMO_HASH}",
                         headers={"Content-Type": "application/problem+json; charset=utf-8"}))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert pkg.result.status == "complete" and outcome.error is None
    assert [m["data"]["list_id"] for m in pkg.records("mailchimp", "member")] == [NEWSLETTER]
    assert any("404" in n for n in outcome.notes)


# ----------------------------------------------------------------------------------------------- errors
def test_wrong_api_key_is_a_one_line_401(run_export, sandbox):
    wrong = "0123456789abcdef0123456789abcdef-us21"
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"api_key": wrong}}, **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert pkg.result.status == "partial" and outcome.status == "failed"
    assert outcome.error.startswith("mailchimp: 401 API Key Invalid"), outcome.error
    assert "\n" not in outcome.error and "Traceback" not in outcome.error and wrong not in outcome.error
    assert wrong not in pkg.text()
    asked = [(r.path, r.query) for r in sandbox.requests_to("mailchimp")]    # the first two ask at once: /lists
    assert 1 <= len(asked) <= 2 and len(set(asked)) == len(asked)             # and /search-members; a 401 is not
                                                                              # retried and nothing follows it


def test_server_error_without_body_and_unreadable_body(run_export, sandbox):
    sandbox.inject(Fault("mailchimp", status=503, body=b"", match="search-members", times=None))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    error = pkg.result.connectors["mailchimp"].error
    assert error == "mailchimp: 503 Service Unavailable (GET /search-members?query=jan.desmet%40example.be)"
    assert len(sandbox.requests_to("mailchimp", "search-members")) == 5      # the shared policy's attempts
    sandbox.clear()
    sandbox.inject(Fault("mailchimp", truncate=True, match="search-members"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    assert pkg.result.connectors["mailchimp"].error == (
        "mailchimp: unreadable response from GET /search-members?query=jan.desmet%40example.be "
        "(not valid JSON; application/json)")


def test_429_is_retried_by_the_shared_policy(run_export, sandbox):
    waits: list[float] = []
    too_many = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Too Many Requests",
                "status": 429, "detail": "You have exceeded the limit of 10 simultaneous connections.",
                "instance": "y"}
    sandbox.inject(Fault("mailchimp", status=429, body=too_many, match="activity-feed", times=2))
    pkg = run_export(DEMO, vendors=["mailchimp"], sleep=waits.append)
    assert pkg.result.status == "complete"
    assert len(by_list(pkg.records("mailchimp", "activity"), NEWSLETTER)) == 1234
    assert len(waits) == 2


def test_429_exhausted_gives_the_problem_title(run_export, sandbox):
    too_many = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Too Many Requests",
                "status": 429, "detail": "You have exceeded the limit of 10 simultaneous connections.",
                "instance": "y"}
    sandbox.inject(Fault("mailchimp", status=429, body=too_many, match="/goals", times=None,
                         headers={"Content-Type": "application/problem+json"}))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    assert pkg.result.connectors["mailchimp"].error.startswith(
        "mailchimp: 429 Too Many Requests: You have exceeded the limit of 10 simultaneous connections. (GET /lists/")


# ----------------------------------------------------------------------------------------------- paging faults
def _activity(campaign: str) -> dict[str, Any]:
    return {"activity_type": "open", "created_at_timestamp": "2026-01-01T00:00:00+00:00", "campaign_id": campaign}


def test_a_page_that_comes_back_twice_ends_the_connector(run_export, sandbox):
    # a vendor fault: every activity-feed request gets the same full page (no total_items, so no short page ever
    # ends it); times=40 only keeps a regression from looping forever
    same = {"activity": [_activity("c1"), _activity("c2")], "_links": []}
    sandbox.inject(Fault("mailchimp", status=200, body=same, match="activity-feed", times=40))
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 2}}, **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "failed" and pkg.result.status == "partial"
    assert re.fullmatch(r"mailchimp: paging did not advance at GET /lists/\w+/members/\w+/activity-feed "
                        r"\(page 2 repeats an earlier page\)", outcome.error or ""), outcome.error
    assert DEMO_HASH in outcome.error
    for list_id in (NEWSLETTER, PROMOS):      # two requests per feed at most: the page and its repeat
        assert len(sandbox.requests_to("mailchimp", f"{list_id}/members/{DEMO_HASH}/activity-feed")) <= 2
    # records stream to the spool page by page: a feed's first page may be there (the connector is marked failed,
    # resume replaces its records), the repeated page never is
    activity = [(a["data"]["list_id"], a["data"]["campaign_id"]) for a in pkg.records("mailchimp", "activity")]
    assert len(activity) == len(set(activity)) <= 4


def test_paging_that_never_ends_stops_at_the_page_cap(run_export, sandbox, monkeypatch):
    assert mailchimp_connector.MAX_PAGES * MAX_COUNT >= 100_000        # the real cap is generous
    monkeypatch.setattr(mailchimp_connector, "MAX_PAGES", 5)
    # always a full page, never the same one twice, and more pages than the (lowered) cap: it must stop there
    for k in range(6):
        sandbox.inject(Fault(
            "mailchimp", status=200, body={"activity": [_activity(f"c{k}a"), _activity(f"c{k}b")], "_links": []},
            times=40, match=lambda r, k=k: r.path.endswith("/activity-feed") and r.int_arg("offset", 0) == 2 * k))
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 2}}, **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "failed"
    assert re.fullmatch(r"mailchimp: paging did not end at GET /lists/\w+/members/\w+/activity-feed after 5 pages; "
                        r"stopped \(a larger page_size reads further\)", outcome.error or ""), outcome.error
    for list_id in (NEWSLETTER, PROMOS):
        assert len(sandbox.requests_to("mailchimp", f"{list_id}/members/{DEMO_HASH}/activity-feed")) <= 6


def test_transport_failures_are_one_line_reasons(run_export):
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"base_url": "https://127.0.0.1:1/3.0"}},
                     **NO_SLEEP)
    assert pkg.result.connectors["mailchimp"].error == "mailchimp: cannot connect to 127.0.0.1:1"
    # a base_url that is not https never gets this far: it is a config error (test_bad_setting_...)


LISTINGS = {   # every count/offset listing but the activity feed (above): path pattern, list key, endpoint pattern
    "audiences": (r"/3\.0/lists", "lists", r"/lists"),
    "merge fields": (r"/3\.0/lists/\w+/merge-fields", "merge_fields", r"/lists/\w+/merge-fields"),
    "interest categories": (r"/3\.0/lists/\w+/interest-categories", "categories",
                            r"/lists/\w+/interest-categories"),
    "interests": (r"/3\.0/lists/\w+/interest-categories/\w+/interests", "interests",
                  r"/lists/\w+/interest-categories/\w+/interests"),
    "events": (r"/3\.0/lists/\w+/members/\w+/events", "events", r"/lists/\w+/members/\w+/events"),
    "notes": (r"/3\.0/lists/\w+/members/\w+/notes", "notes", r"/lists/\w+/members/\w+/notes"),
    "tags": (r"/3\.0/lists/\w+/members/\w+/tags", "tags", r"/lists/\w+/members/\w+/tags"),
    "abuse reports": (r"/3\.0/lists/\w+/abuse-reports", "abuse_reports", r"/lists/\w+/abuse-reports"),
    "stores": (r"/3\.0/ecommerce/stores", "stores", r"/ecommerce/stores"),
    "store customers": (r"/3\.0/ecommerce/stores/[\w-]+/customers", "customers", r"/ecommerce/stores/[\w-]+/customers"),
    "orders": (r"/3\.0/ecommerce/stores/[\w-]+/orders", "orders", r"/ecommerce/stores/[\w-]+/orders"),
    "carts": (r"/3\.0/ecommerce/stores/[\w-]+/carts", "carts", r"/ecommerce/stores/[\w-]+/carts"),
    "conversations": (r"/3\.0/conversations", "conversations", r"/conversations"),
}


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_repeated_page_ends_every_kind_of_listing(run_export, sandbox, listing):
    pattern, key, where = LISTINGS[listing]
    # a page whose total says there is more, answered again for the next offset
    same = {key: [{"id": f"{key}-1", "name": "a"}, {"id": f"{key}-2", "name": "b"}], "total_items": 100}
    sandbox.inject(Fault("mailchimp", status=200, body=same, times=40,
                         match=lambda r: re.fullmatch(pattern, r.path) is not None))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "failed" and pkg.result.status == "partial"
    assert re.fullmatch(rf"mailchimp: paging did not advance at GET {where} \(page 2 repeats an earlier page\)",
                        outcome.error or ""), outcome.error
    # per listing (its path and query but the offset; conversations of two audiences are two listings): the page
    # and its repeat, no more
    listings = [(r.path, re.sub(r"(^|&)offset=\d+", "", r.query)) for r in sandbox.requests_to("mailchimp")
                if re.fullmatch(pattern, r.path)]
    assert listings and all(listings.count(one) <= 2 for one in listings), listings


# ----------------------------------------------------------------------------------------------- settings
def _connector(settings: dict[str, Any]) -> MailchimpConnector:
    ctx = ConnectorContext(name="mailchimp", processor="mailchimp", subject=Subject.parse(DEMO),
                           settings=MailchimpConnector.check_settings(settings), ca_bundle=None, redactor=Redactor(),
                           bus=IdentifierBus({}))
    return MailchimpConnector(ctx)


def test_host_from_the_key_and_at_most_ten_connections():
    c = _connector({"api_key": "abc123-us21"})
    assert c.client.api_client.host == "https://us21.api.mailchimp.com/3.0"
    assert c.session.limits.concurrency == 10 and c.workers == 10 and c.page_size == MAX_COUNT
    # the SDK's "server" rewrite is off: a base_url containing the word stays as given
    c = _connector({"api_key": "abc123-us21", "base_url": "https://mc.example/server/3.0/"})
    assert c.client.api_client.host == "https://mc.example/server/3.0" and not c.client.api_client.server
    assert _connector({"api_key": "no-data-centre", "base_url": "https://mc.example/3.0"}).host == \
        "https://mc.example/3.0"     # a base_url makes the key's suffix irrelevant
    with pytest.raises(ConfigError, match="-<dc>"):
        MailchimpConnector.check_settings({"api_key": "no-data-centre here"})


def _without(key: str) -> Any:
    return lambda section: section.pop(key)


BAD_SETTINGS = {   # id: (change to the sandbox's section, what the one error line names)
    "api_key missing": (_without("api_key"), "connectors.mailchimp.api_key is missing"),
    "api_key not text": (lambda s: s.update(api_key=12345), "connectors.mailchimp.api_key must be"),
    "base_url not https": (lambda s: s.update(base_url="ftp://127.0.0.1/3.0"), "connectors.mailchimp.base_url must"),
    "base_url with password": (lambda s: s.update(base_url="https://u:p@127.0.0.1/3.0"),
                               "connectors.mailchimp.base_url must"),
    "page_size zero": (lambda s: s.update(page_size=0), "connectors.mailchimp.page_size must be"),
    "page_size above 1000": (lambda s: s.update(page_size=1001), "connectors.mailchimp.page_size must be"),
    "page_size fraction": (lambda s: s.update(page_size=2.5), "connectors.mailchimp.page_size must be"),
    "page_size text": (lambda s: s.update(page_size="many"), "connectors.mailchimp.page_size must be"),
    "concurrency above 10": (lambda s: s.update(concurrency=50), "connectors.mailchimp.concurrency must be"),
    "concurrency boolean": (lambda s: s.update(concurrency=True), "connectors.mailchimp.concurrency must be"),
    "timeout zero": (lambda s: s.update(timeout=0), "connectors.mailchimp.timeout must be"),
    "unknown key": (lambda s: s.update(pagesize=10), "connectors.mailchimp has no setting pagesize"),
    "key without data centre": (lambda s: (s.pop("base_url"), s.update(api_key="0123456789abcdef")),
                                "connectors.mailchimp.api_key must end in -<dc>"),
    "key with a bad data centre": (lambda s: (s.pop("base_url"), s.update(api_key="0123456789abcdef-eu")),
                                   "connectors.mailchimp.api_key must end in -<dc>"),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_setting_is_exit_2_before_any_request(sandbox, tmp_path, capsys, case):
    change, named = BAD_SETTINGS[case]
    mapping = sandbox.config_mapping(["mailchimp"])
    change(mapping["connectors"]["mailchimp"])
    config = tmp_path / "dsar.toml"
    config.write_text(to_toml(mapping), encoding="utf-8")
    code = cli.main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("dsar: error: config: ") and named in err, err
    assert API_KEY not in err and "0123456789abcdef" not in err and "u:p@" not in err
    assert sandbox.log == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ----------------------------------------------------------------------------------------------- declarations, coverage
@pytest.mark.parametrize("email", [DEMO, DEMO.upper(), OTHER, NEAR_MISS, EMPTY])
def test_every_yielded_field_is_declared(run_export, email):
    pkg = run_export(email, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "complete" and outcome.undeclared == [], outcome.undeclared
    assert outcome.records == 0 if email == EMPTY else outcome.records > 0


def test_an_undeclared_field_is_reported(run_export, sandbox):
    event = {"name": "winkelmand_verlaten", "occurred_at": "2026-01-01T00:00:00+00:00", "properties": {},
             "shoe_size": 44, "extra": {"nested": "x"}}
    sandbox.inject(Fault("mailchimp", status=200, body={"events": [event], "total_items": 1, "_links": []},
                         match=lambda r: r.path.endswith(f"{NEWSLETTER}/members/{DEMO_HASH}/events")))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.undeclared == ["event: extra.nested", "event: shoe_size"]
    assert any("event: shoe_size" in n for n in outcome.notes)
    assert outcome.status == "complete" and by_list(pkg.records("mailchimp", "event"), NEWSLETTER)[0]["data"] == {
        "list_id": NEWSLETTER, "list_name": "Mega Security Nieuwsbrief", **event}


def test_each_search_says_what_it_covered(run_export):
    outcome = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP).result.connectors["mailchimp"]
    assert outcome.coverage[0] == ("audiences holding the address: 2 (2 from GET /lists?email=, 0 more from "
                                   "search-members' 2 exact matches)")
    assert f"activity feed of the member in audience {NEWSLETTER}: all 1234 (2 pages)" in outcome.coverage
    assert f"notes of the member in audience {NEWSLETTER}: all 3 (1 page)" in outcome.coverage
    assert f"activity feed of the member in audience {PROMOS}: all 45 (1 page)" in outcome.coverage
    assert f"goals of the member in audience {NEWSLETTER}: 1 (unpaged: the API returns the last 50 goal events " \
        "only)" in outcome.coverage
    for what in ("activity feed", "events", "notes", "tags", "goals"):
        assert sum(line.startswith(f"{what} of the member in audience ") for line in outcome.coverage) == 2, what
    assert outcome.notes == []


def test_fifty_goals_mean_older_ones_were_out_of_reach(run_export, sandbox):
    goals = [{"goal_id": n, "event": f"Bezocht /p{n}", "data": f"/p{n}", "last_visited_at": "2026-01-01T00:00:00+00:00"}
             for n in range(50)]
    sandbox.inject(Fault("mailchimp", status=200, body={"goals": goals, "total_items": 50, "_links": []},
                         match=lambda r: r.path.endswith(f"{NEWSLETTER}/members/{DEMO_HASH}/goals")))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status) == ("partial", "incomplete")
    assert outcome.error == (f"mailchimp: goals of the member in audience {NEWSLETTER}: older goal events than the "
                             "last 50 cannot be read through the API")
    assert len(by_list(pkg.records("mailchimp", "goal"), NEWSLETTER)) == 50
    assert len(pkg.records("mailchimp", "activity")) == 1279       # everything else is still exported


def test_a_member_record_of_another_address_is_withheld(run_export, sandbox):
    other = fixture_member(NEWSLETTER, OTHER_HASH)
    sandbox.inject(Fault("mailchimp", status=200, body=other,
                         match=lambda r: r.path == f"/3.0/lists/{PROMOS}/members/{DEMO_HASH}"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "complete"
    assert [m["data"]["list_id"] for m in pkg.records("mailchimp", "member")] == [NEWSLETTER]
    assert outcome.notes == ["withheld 1 member records: they belong to another person"]
    assert OTHER not in pkg.text() and other["unique_email_id"] not in pkg.text()


# ----------------------------------------------------------------------------------------------- fixture honesty
def _undeclared(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Keys in ``value`` that ``schema`` does not declare (a validator alone allows them)."""
    if "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].split("/")[-1]]
    out: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                out.append(f"{path}.{key}")
            else:
                out += _undeclared(item, schema["properties"][key], f"{path}.{key}")
    elif isinstance(value, dict) and "oneOf" in schema:
        branch = next((b for b in schema["oneOf"]
                       if value.get("activity_type") in b["properties"]["activity_type"]["enum"]), None)
        out += [f"{path}: no branch"] if branch is None else _undeclared(value, branch, path)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += _undeclared(item, schema["items"], f"{path}[{i}]")
    return out


def test_sandbox_replies_follow_mailchimps_published_schemas(sandbox):
    routes = {
        "GET /search-members": f"/search-members?query={DEMO}",
        "GET /lists": f"/lists?email={DEMO}",
        "GET /lists/{list_id}/members/{subscriber_hash}": f"/lists/{NEWSLETTER}/members/{DEMO_HASH}",
        "GET /lists/{list_id}/members/{subscriber_hash}/activity-feed":
            f"/lists/{NEWSLETTER}/members/{DEMO_HASH}/activity-feed?count=1000",
        "GET /lists/{list_id}/members/{subscriber_hash}/events": f"/lists/{NEWSLETTER}/members/{DEMO_HASH}/events",
        "GET /lists/{list_id}/members/{subscriber_hash}/tags": f"/lists/{NEWSLETTER}/members/{DEMO_HASH}/tags",
        "GET /lists/{list_id}/members/{subscriber_hash}/notes": f"/lists/{NEWSLETTER}/members/{DEMO_HASH}/notes",
        "GET /lists/{list_id}/members/{subscriber_hash}/goals": f"/lists/{NEWSLETTER}/members/{DEMO_HASH}/goals",
        "GET /lists/{list_id}/merge-fields": f"/lists/{NEWSLETTER}/merge-fields",
        "GET /lists/{list_id}/abuse-reports": f"/lists/{PROMOS}/abuse-reports",
        "GET /reports/{campaign_id}/sent-to/{subscriber_hash}": f"/reports/{REPORTED}/sent-to/{DEMO_HASH}",
        "GET /reports/{campaign_id}/email-activity/{subscriber_hash}":
            f"/reports/{REPORTED}/email-activity/{DEMO_HASH}",
        "GET /reports/{campaign_id}/unsubscribed/{subscriber_hash}": f"/reports/{UNSUB_CAMPAIGN}/unsubscribed/"
                                                                     f"{DEMO_HASH}",
        "GET /ecommerce/stores": "/ecommerce/stores",
        "GET /ecommerce/stores/{store_id}/customers": f"/ecommerce/stores/{STORE}/customers?email_address={DEMO}",
        "GET /ecommerce/stores/{store_id}/orders": f"/ecommerce/stores/{STORE}/orders?customer_id=1001",
        "GET /ecommerce/stores/{store_id}/carts": f"/ecommerce/stores/{STORE}/carts",
    }
    base = sandbox.vendor_url("mailchimp") + "/3.0"
    assert set(routes) <= set(SCHEMA["x-endpoints"])

    def check(route: str, status: str, reply: requests.Response) -> None:
        ref = SCHEMA["x-endpoints"][route][status]
        schema = {"$defs": SCHEMA["$defs"], "$ref": ref}
        body = reply.json()
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
        assert not errors, (route, errors[:3])
        assert not _undeclared(body, {"$ref": ref}), (route, _undeclared(body, {"$ref": ref})[:5])

    with requests.Session() as s:
        ca = str(sandbox.ca_path)
        for route, path in routes.items():
            for member in ([DEMO_HASH, OTHER_HASH] if "/members/{subscriber_hash}" in route else [None]):
                url = base + (path.replace(DEMO_HASH, member) if member else path)
                reply = s.get(url, auth=("anystring", API_KEY), verify=ca)
                assert reply.status_code == 200, (url, reply.text[:200])
                check(route, "200", reply)
        wrong = s.get(base + "/lists", auth=("anystring", "nope-us21"), verify=ca)
        assert wrong.status_code == 401 and wrong.headers["Content-Type"].startswith("application/problem+json")
        assert wrong.json()["title"] == "API Key Invalid"
        check("GET /lists", "default", wrong)
        missing = s.get(base + f"/lists/{NEWSLETTER}/members/{hashlib.md5(EMPTY.encode()).hexdigest()}",
                        auth=("anystring", API_KEY), verify=ca)
        assert missing.status_code == 404
        check("GET /lists/{list_id}/members/{subscriber_hash}", "default", missing)
        assert s.get(base + "/lists", verify=ca).json()["title"] == "API Key Missing"


# ----------------------------------------------------------------------------------------------- issue 23


def demo_campaigns() -> tuple[set[str], set[str]]:
    """The campaigns the demo customer's activity feeds name, and those with an open, click or bounce."""
    named: set[str] = set()
    engaged: set[str] = set()
    for list_id in (NEWSLETTER, PROMOS):
        feed = json.loads((FIXTURES / "lists" / f"{list_id}.json").read_text())["member_data"][DEMO_HASH]["activity"]
        named |= {a["campaign_id"] for a in feed if a.get("campaign_id")}
        engaged |= {a["campaign_id"] for a in feed if a["activity_type"] in ("open", "click", "bounce")}
    return named, engaged


def _report_requests(sandbox: Any, kind: str) -> list[str]:
    return [r.path for r in sandbox.requests_to("mailchimp", f"/{kind}/") if r.path.startswith("/3.0/reports/")]


def test_campaign_reports_for_exactly_the_campaigns_the_feeds_name(run_export, sandbox):
    named, engaged = demo_campaigns()
    assert len(named) > 300 and UNSUB_CAMPAIGN in named and engaged < named
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status, outcome.notes) == ("complete", "complete", [])

    sent_to = _report_requests(sandbox, "sent-to")
    assert sorted(sent_to) == sorted(f"/3.0/reports/{c}/sent-to/{DEMO_HASH}" for c in named)
    assert sorted(_report_requests(sandbox, "email-activity")) == sorted(
        f"/3.0/reports/{c}/email-activity/{DEMO_HASH}" for c in engaged)      # sent-only campaigns: nothing to read
    assert _report_requests(sandbox, "unsubscribed") == [f"/3.0/reports/{UNSUB_CAMPAIGN}/unsubscribed/{DEMO_HASH}"]

    recipients = pkg.records("mailchimp", "campaign_recipient")
    assert {r["data"]["campaign_id"] for r in recipients} == named
    one = next(r for r in recipients if r["data"]["campaign_id"] == UNSUB_CAMPAIGN)
    assert one["source"]["endpoint"] == f"GET /reports/{UNSUB_CAMPAIGN}/sent-to/{DEMO_HASH}"
    assert one["data"]["campaign_title"] == "Weekaanbieding 3 januari 2022" and one["data"]["sent_at"]
    assert one["data"]["merge_fields"]["LNAME"] == "Desmet" and "_links" not in one["data"]
    sent: dict[str, str] = {}          # when the feeds say each campaign was sent (asked as the feed is read)
    for list_id in (NEWSLETTER, PROMOS):
        feed = json.loads((FIXTURES / "lists" / f"{list_id}.json").read_text())["member_data"][DEMO_HASH]["activity"]
        for a in feed:
            if a["activity_type"] == "sent":
                sent[a["campaign_id"]] = min(sent.get(a["campaign_id"], "~"), a["created_at_timestamp"])
    assert {r["data"]["campaign_id"]: r["data"]["sent_at"] for r in recipients} == {c: sent.get(c, "") for c in named}

    clicks = [a["data"] for a in pkg.records("mailchimp", "campaign_activity")]
    expected = sum(len(REPORTS["email_activity"][c][DEMO_HASH]["activity"]) for c in engaged)
    assert len(clicks) == expected > 500
    assert all(a["ip"] for a in clicks if a["action"] != "bounce")
    assert {a["action"] for a in clicks} == {"open", "click", "bounce"}
    assert all(a["url"].startswith("https://www.megasecurity.eu/") for a in clicks if a["action"] == "click")

    unsub = pkg.records("mailchimp", "campaign_unsubscribe")
    assert [(u["data"]["campaign_id"], u["data"]["reason"]) for u in unsub] == [
        (UNSUB_CAMPAIGN, "Ik ontvang te veel e-mails")]
    assert any(line.startswith(f"campaign reports for the {len(named)} campaigns the activity feeds name: delivery "
                               f"(sent-to) {len(named)} of {len(named)}; opens, clicks and bounces (email-activity) "
                               f"{len(engaged)} of the {len(engaged)}") for line in outcome.coverage), outcome.coverage


def test_campaign_reports_stay_within_the_connection_limit(run_export, sandbox, monkeypatch):
    app = sandbox.apps["mailchimp"]
    handle = app.handle
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def counting(request: Any) -> Any:
        if not request.path.startswith("/3.0/reports/"):
            return handle(request)
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.002)       # long enough for calls to overlap
            return handle(request)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(app, "handle", counting)
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"concurrency": 3}}, **NO_SLEEP)
    assert pkg.result.status == "complete"
    assert 1 < state["most"] <= 3, state          # in parallel, never above the setting
    state["most"] = 0
    run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    assert 3 < state["most"] <= mailchimp_connector.MAX_CONNECTIONS, state


def test_a_campaign_report_of_another_address_is_withheld(run_export, sandbox):
    campaign = next(c for c, by in REPORTS["sent_to"].items() if DEMO_HASH in by and OTHER_HASH in by)
    sandbox.inject(Fault("mailchimp", status=200, body=REPORTS["sent_to"][campaign][OTHER_HASH],
                         match=lambda r: r.path == f"/3.0/reports/{campaign}/sent-to/{DEMO_HASH}"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "complete"
    assert outcome.notes == ["withheld 1 campaign reports: they belong to another person"]
    assert campaign not in {r["data"]["campaign_id"] for r in pkg.records("mailchimp", "campaign_recipient")}
    assert OTHER not in pkg.text()


def test_a_campaign_report_that_is_gone_is_a_note(run_export, sandbox):
    missing = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Resource Not Found",
               "status": 404, "detail": "The requested resource could not be found.", "instance": "z"}
    sandbox.inject(Fault("mailchimp", status=404, body=missing, times=None,
                         match=lambda r: r.path == f"/3.0/reports/{UNSUB_CAMPAIGN}/sent-to/{DEMO_HASH}"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (outcome.status, outcome.error) == ("complete", None)
    assert outcome.notes == ["1 campaign report(s) named by the activity feed no longer exist at Mailchimp (404), "
                             "e.g. for a deleted campaign"]
    assert UNSUB_CAMPAIGN not in {r["data"]["campaign_id"] for r in pkg.records("mailchimp", "campaign_recipient")}
    assert pkg.records("mailchimp", "campaign_unsubscribe")        # the other reports of that campaign are kept


def test_a_failing_campaign_report_fails_the_connector(run_export, sandbox):
    sandbox.inject(Fault("mailchimp", status=500, body=b"", times=None,
                         match=lambda r: r.path.startswith("/3.0/reports/") and "/email-activity/" in r.path))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "failed"
    assert re.fullmatch(rf"mailchimp: 500 Internal Server Error \(GET /reports/\w+/email-activity/{DEMO_HASH}\)",
                        outcome.error or ""), outcome.error


def test_campaign_reports_switched_off_make_the_export_incomplete(run_export, sandbox):
    named, _ = demo_campaigns()
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"campaign_reports": False}}, **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status) == ("partial", "incomplete")
    assert outcome.error == (f"mailchimp: campaign reports of the {len(named)} campaigns the activity feeds name "
                             "were not read (campaign_reports = false)")
    assert not sandbox.requests_to("mailchimp", "/3.0/reports/")
    assert not pkg.records("mailchimp", "campaign_recipient") and pkg.records("mailchimp", "shop_order")


def test_abuse_reports_only_the_subjects_own(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    reports = pkg.records("mailchimp", "abuse_report")
    assert [(r["data"]["id"], r["data"]["list_id"], r["data"]["campaign_title"]) for r in reports] == [
        (47450, PROMOS, "Weekaanbieding 3 januari 2022")]
    assert reports[0]["data"]["email_address"] == DEMO and reports[0]["data"]["date"]
    assert reports[0]["source"]["endpoint"] == f"GET /lists/{PROMOS}/abuse-reports?count=1000&offset=0"
    text = pkg.text()
    for someone_else in ("louise.vandenbossche", "jonas.vandenbossche"):
        assert someone_else not in text, someone_else
    for report in ("47130", "47451"):        # their ids, not five digits inside a SHA-256 digest of the manifest
        assert not re.search(rf"(?<![0-9a-f]){report}(?![0-9a-f])", text), report
    asked = {r.path for r in sandbox.requests_to("mailchimp", "/abuse-reports")}
    assert asked == {f"/3.0/lists/{NEWSLETTER}/abuse-reports", f"/3.0/lists/{PROMOS}/abuse-reports"}  # not B2B
    coverage = pkg.result.connectors["mailchimp"].coverage
    assert f"abuse reports of audience {NEWSLETTER}: all 3 read (1 page), 0 for the address" in coverage
    assert f"abuse reports of audience {PROMOS}: all 3 read (1 page), 1 for the address" in coverage


def test_other_customer_gets_her_own_abuse_reports_and_shop_data(run_export):
    pkg = run_export(OTHER, vendors=["mailchimp"], **NO_SLEEP)
    assert sorted(r["data"]["id"] for r in pkg.records("mailchimp", "abuse_report")) == [40020, 47130]
    assert {(c["data"]["store_id"], c["data"]["id"]) for c in pkg.records("mailchimp", "shop_customer")} == {
        (STORE, "1002"), (PRO_STORE, "P-20031")}
    assert [o["data"]["id"] for o in pkg.records("mailchimp", "shop_order")] == ["MS-2025-03002"]
    assert [c["data"]["id"] for c in pkg.records("mailchimp", "shop_cart")] == ["c-2b8e40"]
    assert "jan.desmet" not in pkg.text().lower()


def test_store_customer_orders_and_abandoned_cart(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    customers = pkg.records("mailchimp", "shop_customer")
    assert [(c["data"]["store_id"], c["data"]["store_name"], c["data"]["id"]) for c in customers] == [
        (STORE, "Mega Security webshop", "1001")]
    assert customers[0]["data"]["address"]["city"] == "Ardooie"
    assert pkg.data("contact", "mailchimp") and customers[0] in pkg.data("contact", "mailchimp")
    orders = pkg.records("mailchimp", "shop_order")
    assert sorted(o["data"]["id"] for o in orders) == ["MS-2024-11873", "MS-2025-02211"]
    assert {o["data"]["shipping_address"]["address1"] for o in orders} == {"Kerkstraat 12"}
    assert orders[0]["source"]["endpoint"] == \
        f"GET /ecommerce/stores/{STORE}/orders?count=1000&offset=0&customer_id=1001"
    carts = pkg.records("mailchimp", "shop_cart")
    assert [(c["data"]["id"], len(c["data"]["lines"])) for c in carts] == [("c-7f3a91", 2)]
    assert carts[0]["data"]["checkout_url"].endswith("/c-7f3a91/")
    text = pkg.text()
    for someone_else in ("MS-2025-03002", "c-2b8e40", "stijn.desmet@outlook.be", "Stationsplein", "ruben.lemmens"):
        assert someone_else not in text, someone_else

    customer_queries = sorted(r.query for r in sandbox.requests_to("mailchimp", "/customers"))
    assert customer_queries == ["count=1000&offset=0&email_address=jan.desmet%40example.be"] * 2   # both stores
    assert not sandbox.requests_to("mailchimp", f"/stores/{PRO_STORE}/orders")       # no customer there: no
    assert not sandbox.requests_to("mailchimp", f"/stores/{PRO_STORE}/carts")        # orders or carts to look for
    coverage = pkg.result.connectors["mailchimp"].coverage
    assert "e-commerce stores: all 2" in coverage
    assert f"store {PRO_STORE}: no customer with the address (orders and carts belong to a customer)" in coverage
    assert f"store {STORE}: 1 customer record(s) for the address; all 2 of their orders; carts: all 6 read " \
        "(1 page), 1 theirs" in coverage


def test_carts_are_read_to_the_end_in_small_pages(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], settings={"mailchimp": {"page_size": 4}}, **NO_SLEEP)
    assert [c["data"]["id"] for c in pkg.records("mailchimp", "shop_cart")] == ["c-7f3a91"]
    assert sorted(r.query for r in sandbox.requests_to("mailchimp", f"/stores/{STORE}/carts")) == [
        "count=4&offset=0", "count=4&offset=4"]
    assert f"store {STORE}: 1 customer record(s) for the address; all 2 of their orders; carts: all 6 read " \
        "(2 pages), 1 theirs" in pkg.result.connectors["mailchimp"].coverage


def test_an_order_of_another_customer_is_withheld(run_export, sandbox):
    shop = json.loads((FIXTURES / "ecommerce.json").read_text(encoding="utf-8"))
    hers = next(o for o in shop["orders"][STORE] if o["customer"]["email_address"] == OTHER)
    sandbox.inject(Fault("mailchimp", status=200, body={"store_id": STORE, "orders": [hers], "total_items": 1},
                         match=lambda r: r.path == f"/3.0/ecommerce/stores/{STORE}/orders"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert outcome.status == "complete" and pkg.records("mailchimp", "shop_order") == []
    assert outcome.notes == [f"withheld 1 orders of store {STORE}: they belong to another person"]
    assert hers["id"] not in pkg.text() and OTHER not in pkg.text()


def test_no_connected_store_is_a_note_not_an_error(run_export, sandbox):
    sandbox.inject(Fault("mailchimp", status=200, body={"stores": [], "total_items": 0, "_links": []},
                         match=lambda r: r.path == "/3.0/ecommerce/stores"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status, outcome.error) == ("complete", "complete", None)
    assert outcome.notes == ["no e-commerce store is connected to this Mailchimp account: it holds no shop "
                             "customers, orders or carts"]
    assert "e-commerce stores: none connected" in outcome.coverage
    assert not pkg.records("mailchimp", "shop_customer") and pkg.records("mailchimp", "member")
    assert not sandbox.requests_to("mailchimp", "/customers")


def test_past_conversations_the_subject_started(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    messages = [m["data"] for m in pkg.records("mailchimp", "conversation_message")]
    assert [(m["conversation_id"], m["from_email"]) for m in messages] == [
        ("9d4c1f20b7", "Jan.Desmet@Example.be"), ("9d4c1f20b7", "info@megasecurity.eu")]   # his and the shop's
    assert messages[0]["message"].startswith("Is de buitensirene") and messages[0]["list_id"] == NEWSLETTER
    assert messages[0]["campaign_title"].startswith("Nieuwsbrief ") and messages[0]["timestamp"]
    assert {r.path for r in sandbox.requests_to("mailchimp", "/conversations/")} == {
        "/3.0/conversations/9d4c1f20b7/messages"}                     # not Sofie's, not another customer's
    assert sorted(r.query for r in sandbox.requests_to("mailchimp", "/3.0/conversations?")) == [
        f"count=1000&offset=0&list_id={list_id}" for list_id in sorted((NEWSLETTER, PROMOS))]
    assert "toegangscontrole aan de Stationsplein" not in pkg.text() and "actiecode" not in pkg.text()
    coverage = pkg.result.connectors["mailchimp"].coverage
    assert f"conversations of audience {NEWSLETTER}: all 3 read (1 page), 1 started by the address" in coverage


def test_conversations_no_longer_offered_is_a_note(run_export, sandbox):
    missing = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Resource Not Found",
               "status": 404, "detail": "The requested resource could not be found.", "instance": "c"}
    sandbox.inject(Fault("mailchimp", status=404, body=missing, times=None,
                         match=lambda r: r.path == "/3.0/conversations"))
    pkg = run_export(DEMO, vendors=["mailchimp"], **NO_SLEEP)
    outcome = pkg.result.connectors["mailchimp"]
    assert (pkg.result.status, outcome.status, outcome.error) == ("complete", "complete", None)
    assert outcome.notes == ["Mailchimp no longer offers conversations (GET /conversations answered 404); replies "
                             "to campaigns are in the activity feed only"]
    assert "conversations: not offered by the API (404)" in outcome.coverage
    assert not pkg.records("mailchimp", "conversation_message") and pkg.records("mailchimp", "shop_cart")
