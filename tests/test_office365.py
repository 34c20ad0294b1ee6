"""Office 365 (Microsoft Graph through msal): a real export against the HTTPS sandbox, and its failure modes."""

from __future__ import annotations

import base64
import json
import re
import threading
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
import requests
from jsonschema import Draft202012Validator

import connectors.office365 as office365_connector
from aggregator import cli
from aggregator.datasets import Kind
from aggregator.sandbox import Fault
from aggregator.sandbox.server import to_toml
from connectors.office365_datasets import DATASETS
from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER, together
from tests.in_flight import count_in_flight, graph_download, graph_mailbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "office365"
SCHEMA = json.loads((Path(__file__).parent / "vendor_schemas" / "office365.schema.json").read_text())
STAFF_DOMAIN = "megasecurity.eu"
CONFIGURED = ("info", "verkoop")          # licensed mailboxes in the sandbox's default config (+ stagiair)
INFO_MESSAGES = "GET /v1.0/users/info@megasecurity.eu/messages"


def box(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"mailbox-{name}.json").read_text(encoding="utf-8"))


def addresses(message: dict[str, Any]) -> list[str]:
    out = []
    for key in ("from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "replyTo"):
        value = message.get(key)
        for r in [value] if isinstance(value, dict) else (value or []):
            out.append(r["emailAddress"]["address"].lower())
    return out


def expected_messages(email: str, names: tuple[str, ...] = CONFIGURED, *, deleted: bool = True) -> set[str]:
    """Ids of the fixture messages involving ``email`` (with the deleted ones Exchange still holds), computed from
    the fixtures, not by the connector."""
    return {m["id"] for n in names for m in box(n)["messages"] + (box(n)["recoverableItemsDeletions"] if deleted
                                                                  else []) if email.lower() in addresses(m)}


def ok(pkg) -> Any:
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "complete", outcome.error
    return outcome


# --------------------------------------------------------------------------------------- the demo package
def test_demo_package_holds_jans_messages_contacts_and_events_and_nobody_elses(run_export):
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = ok(pkg)

    messages = pkg.records("office365", "message")
    assert {r["source"]["vendor_id"] for r in messages} == expected_messages(DEMO)
    assert len(messages) > 100
    for r in messages:
        data = r["data"]
        assert DEMO in addresses(data)                       # case-insensitively his (one is in capitals)
        assert data["body"]["contentType"] == "text" and "<p>" not in data["body"]["content"]
        assert data["sentDateTime"] and data["subject"] is not None and data["from"]["emailAddress"]["address"]
        assert r["source"]["endpoint"].startswith("GET /v1.0/users/") and "127.0.0.1" not in r["source"]["endpoint"]
    with_files = [r for r in messages if r["data"]["attachments"]]
    assert with_files and all(a["name"] and a["size"] > 0 for r in with_files for a in r["data"]["attachments"])
    assert "contentBytes" not in pkg.text()                  # contents as files, never inline in the data
    assert {r["data"]["mailbox"] for r in messages} == {"info@megasecurity.eu", "verkoop@megasecurity.eu"}

    contacts = pkg.data("contact", "office365")
    assert len(contacts) == 3 and {c["dataset"] for c in contacts} == {"contact"}
    assert all(any(e["address"].lower() == DEMO for e in c["data"]["emailAddresses"]) for c in contacts)
    assert [c["data"].get("contactFolder") for c in contacts].count("Klanten / Installaties 2024") == 1

    attachments = pkg.records("office365", "attachment")
    assert {a["data"]["kind"] for a in attachments} == {"fileAttachment", "itemAttachment", "referenceAttachment"}
    posts = pkg.records("office365", "group_post")
    assert [p["data"]["threadTopic"] for p in posts] == ["Camera valt uit 's nachts"] * 2

    events = pkg.records("office365", "event")
    want_events = {e["id"] for n in CONFIGURED for e in box(n)["events"]
                   if DEMO in [a["emailAddress"]["address"].lower() for a in e["attendees"]]}
    assert {r["source"]["vendor_id"] for r in events} == want_events and len(events) == 5

    assert outcome.records == len(messages) + len(contacts) + len(events) + len(attachments) + len(posts)
    assert outcome.categories == {"communications": len(messages) + len(events) + len(attachments) + len(posts),
                                  "contact": len(contacts)}
    text = pkg.text()
    for other in (OTHER, NEAR_MISS, "Claes", "Desmet Logistics"):
        assert other not in text


# the connector's marks as they reach the package stage: the internal copy (redaction off) shows them
UNREDACTED = {"redaction": {"enabled": False}}


def test_third_parties_are_marked_for_redaction_but_not_the_subject_or_staff(run_export):
    pkg = run_export(DEMO, vendors=["office365"], tables=UNREDACTED)
    ok(pkg)
    marked = {a for r in pkg.records("office365") for a in r.get("third_parties", [])}
    assert {"els.vermeulen@example.be", "pieter@maes-elektro.be"} <= marked
    assert DEMO not in marked and not any(a.endswith("@" + STAFF_DOMAIN) for a in marked)
    # the bcc'd quote to his partner: Els is the recipient, Jan only in bcc
    bcc = [r for r in pkg.records("office365", "message") if r["data"]["bccRecipients"]]
    assert len(bcc) == 1 and bcc[0]["third_parties"] == ["els.vermeulen@example.be"]
    # every other address in a record is marked
    for r in pkg.records("office365", "message"):
        others = {a for a in addresses(r["data"]) if a != DEMO and not a.endswith("@" + STAFF_DOMAIN)}
        assert others <= set(r.get("third_parties", []))


def test_other_customers_get_their_own_data_and_not_jans(run_export):
    for email, contacts in ((OTHER, 2), (NEAR_MISS, 1)):         # Sofie is also in the "Klanten" folder
        pkg = run_export(email, vendors=["office365"])
        ok(pkg)
        assert {r["source"]["vendor_id"] for r in pkg.records("office365", "message")} == expected_messages(email)
        assert len(pkg.data("contact", "office365")) == contacts
        assert DEMO not in pkg.text().lower()


def test_nobody_gets_an_empty_complete_result(run_export):
    pkg = run_export(EMPTY, vendors=["office365"])
    assert ok(pkg).records == 0


# --------------------------------------------------------------------------------------- paging and mailboxes
def test_pages_by_following_the_next_link_unchanged(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"])
    ok(pkg)
    searches = [x for x in sandbox.requests_to("office365", INFO_MESSAGES) if "search" in x.query]
    assert len(searches) == 2                                 # 87 hits, $top=50
    first, second = searches
    assert second.query == first.query + "&%24skip=50"        # the nextLink, exactly as served
    info_ids = {r["source"]["vendor_id"] for r in pkg.records("office365", "message")
                if r["data"]["mailbox"] == "info@megasecurity.eu"}
    assert info_ids == expected_messages(DEMO, ("info",)) and len(info_ids) > 50
    # events are filtered client-side over every page: the last Jan event of info@ is on page 2
    assert len(sandbox.requests_to("office365", "GET /v1.0/users/info@megasecurity.eu/events")) == 2
    assert "Nazicht sirene" in {r["data"]["subject"] for r in pkg.records("office365", "event")}


def test_a_next_link_to_another_host_is_not_followed(run_export, sandbox):
    body = {"value": [], "@odata.nextLink": "https://graph.evil.example/v1.0/users/x/messages?$skip=10"}
    sandbox.inject(Fault("office365", status=200, body=body, match=INFO_MESSAGES))
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "failed"
    assert outcome.error == "office365: refusing to follow a nextLink to another host (graph.evil.example)"


def test_every_mailbox_of_the_tenant_when_none_are_configured(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"mailboxes": []}})
    outcome = ok(pkg)
    assert sandbox.requests_to("office365", "GET /v1.0/users?")
    got = {r["source"]["vendor_id"] for r in pkg.records("office365", "message")}
    assert got == expected_messages(DEMO, ("info", "verkoop", "support"))
    assert {r["data"]["mailbox"] for r in pkg.records("office365", "message")} == {
        "info@megasecurity.eu", "verkoop@megasecurity.eu", "support@megasecurity.eu"}
    assert not sandbox.requests_to("office365", "beheer")      # a user without mail has no mailbox to read
    assert any("stagiair@megasecurity.eu skipped" in n for n in outcome.notes)


def test_guest_users_are_no_mailboxes_and_their_domains_stay_third_parties(run_export, sandbox, monkeypatch):
    users = json.loads((FIXTURES / "users.json").read_text(encoding="utf-8"))["value"]
    guests = [u for u in users if u["userType"] == "Guest"]
    assert guests and all("#EXT#" in u["userPrincipalName"] for u in guests)
    maes = next(u for u in guests if u["mail"] == "pieter@maes-elektro.be")    # a guest, and cc'd on Jan's mail

    def check(pkg) -> None:
        outcome = ok(pkg)
        listing = sandbox.requests_to("office365", "GET /v1.0/users?")
        assert listing and all("userType" in unquote(x.query) for x in listing)
        for guest in guests:
            assert not sandbox.requests_to("office365", guest["id"])            # no guest "mailbox" is read
            assert not any(guest["mail"] in n or guest["displayName"] in n for n in outcome.notes)
        messages = pkg.records("office365", "message")
        assert {r["source"]["vendor_id"] for r in messages} == expected_messages(DEMO, ("info", "verkoop", "support"))
        marked = {a for r in pkg.records("office365") for a in r.get("third_parties", [])}
        assert {"pieter@maes-elektro.be", "els.vermeulen@example.be"} <= marked
        for r in messages:
            others = {a for a in addresses(r["data"]) if a != DEMO and not a.endswith("@" + STAFF_DOMAIN)}
            assert others <= set(r.get("third_parties", []))
        sandbox.clear()

    check(run_export(DEMO, vendors=["office365"], settings={"office365": {"mailboxes": []}},
                     tables=UNREDACTED))
    # an older guest account whose userType is empty is still a guest by its #EXT# user principal name
    live = next(u for u in sandbox.apps["office365"].data["users"] if u["id"] == maes["id"])
    monkeypatch.setitem(live, "userType", None)
    check(run_export(DEMO, vendors=["office365"], settings={"office365": {"mailboxes": []}},
                     tables=UNREDACTED))


def test_a_mailbox_without_licence_is_skipped_with_a_note(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = ok(pkg)
    assert pkg.result.status == "complete"
    assert outcome.notes == ["mailbox stagiair@megasecurity.eu skipped: it has no Exchange Online "
                             "mailbox (MailboxNotEnabledForRESTAPI)"]
    answers = sandbox.requests_to("office365", "/users/stagiair@megasecurity.eu/")
    # its searches start together: one that cannot be read costs at most one request per slot, then no more are sent
    assert 1 <= len(answers) <= office365_connector.MAILBOX_CONCURRENCY
    assert {a.status for a in answers} == {404}


def _peaks(run_export, sandbox, monkeypatch) -> tuple[int, dict[str, int]]:
    """An export with a slow Graph: (most mailboxes busy at once, most requests in flight per mailbox)."""
    with monkeypatch.context() as m:
        counted = count_in_flight(m, sandbox.apps["office365"], graph_mailbox,    # a group's mailbox too
                                  delay=lambda r: 0.03 if graph_mailbox(r) else 0.0)
        ok(run_export(DEMO, vendors=["office365"]))
    sandbox.clear()
    return counted.peak_keys, counted.peak


def test_mailboxes_are_read_concurrently_within_the_per_mailbox_limit(run_export, sandbox, monkeypatch):
    # Graph allows 4 per app and mailbox; the connector runs up to 6 searches of a mailbox side by side, and the
    # posts of a group's threads, each through the mailbox's gate of 4
    peak_boxes, peak_per_box = _peaks(run_export, sandbox, monkeypatch)
    assert peak_boxes >= 2                                    # mailboxes overlap in time
    assert 1 < max(peak_per_box.values()) <= office365_connector.MAILBOX_CONCURRENCY == 4
    # the per-mailbox gate is what holds them back: at a limit of 1 no mailbox sees two requests at once,
    # while the mailboxes still overlap
    monkeypatch.setattr(office365_connector, "MAILBOX_CONCURRENCY", 1)
    peak_boxes, peak_per_box = _peaks(run_export, sandbox, monkeypatch)
    assert peak_boxes >= 2
    assert set(peak_per_box.values()) == {1}


def test_attachments_download_side_by_side_while_the_mailbox_is_still_listed(run_export, sandbox, monkeypatch):
    # Listing pages are slow, downloads quick: a message's attachments are fetched as soon as its page is read,
    # several at once, while the other listings of the mailbox go on; never more than Graph's 4 per mailbox.
    app = sandbox.apps["office365"]
    every = count_in_flight(monkeypatch, app, lambda r: graph_mailbox(r, groups=False),
                            delay=lambda r: 0.03 if graph_download(r) else 0.06)
    downloads = count_in_flight(monkeypatch, app, graph_download)       # outside: counted over the delay too
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"page_size": 1}})
    ok(pkg)
    assert len([r for r in pkg.records("office365", "attachment") if r["data"].get("file")]) >= 4
    verkoop = [x.path.split("/", 4)[-1] for x in sandbox.requests_to("office365", "/users/verkoop@megasecurity.eu/")]
    first_download = next(i for i, p in enumerate(verkoop) if p.endswith("/$value"))
    last_listing = max(i for i, p in enumerate(verkoop) if p == "messages")
    assert first_download < last_listing                    # downloads begin before the messages are all listed
    assert max(downloads.peak.values()) >= 2                 # several downloads of one mailbox at once
    assert max(every.peak.values()) <= office365_connector.MAILBOX_CONCURRENCY == 4
    # every attachment once, as before
    values = [x for x in sandbox.requests_to("office365", "/$value")]
    assert len({(x.path, x.query) for x in values}) == len(values)


# --------------------------------------------------------------------------------------- limits and failures
def test_429_with_retry_after_goes_through_the_shared_retry_policy(run_export, sandbox):
    waits: list[float] = []
    throttled = {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency "
                           "limit.", "innerError": {"date": "2026-11-26T10:00:00", "request-id": "x"}}}
    sandbox.inject(Fault("office365", status=429, headers={"Retry-After": "7"}, body=throttled,
                         match="GET /v1.0/users/verkoop@megasecurity.eu/messages", times=1))
    pkg = run_export(DEMO, vendors=["office365"], sleep=waits.append)
    outcome = ok(pkg)
    # Graph's Retry-After honoured in full, slept through the run's sleep a slice at a time (a stop ends it)
    assert sum(waits) == pytest.approx(7.0) and max(waits) <= office365_connector.WAIT_SLICE
    assert {r["source"]["vendor_id"] for r in pkg.records("office365", "message")} == expected_messages(DEMO)
    assert [x.status for x in sandbox.requests_to("office365", "verkoop@megasecurity.eu/messages")][:2] == [429, 200]
    assert outcome.calls == len(sandbox.requests_to("office365"))


def test_a_wrong_secret_fails_with_aads_reason_and_no_graph_call(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"client_secret": "not-the-secret-123"}})
    outcome = pkg.result.connectors["office365"]
    assert pkg.result.status == "partial" and outcome.status == "failed"
    assert outcome.error.startswith("office365: invalid_client: AADSTS7000215: Invalid client secret provided.")
    assert "\n" not in outcome.error and "not-the-secret-123" not in outcome.error and "Trace ID" not in outcome.error
    assert not sandbox.requests_to("office365", "/v1.0/")
    # a fresh msal application per run: msal's own error cache does not leak into the next export
    ok(run_export(DEMO, vendors=["office365"]))


def test_an_unknown_client_and_an_unknown_tenant_are_one_line_reasons(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"client_id": "11111111-2222-3333-4444-"
                                                                                         "555555555555"}})
    assert pkg.result.connectors["office365"].error.startswith("office365: unauthorized_client: AADSTS700016: "
                                                               "Application with identifier")
    authority = sandbox.config_mapping(["office365"])["connectors"]["office365"]["authority"]
    wrong = authority.rsplit("/", 1)[0] + "/office365/contoso.onmicrosoft.com"
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"authority": wrong}})
    error = pkg.result.connectors["office365"].error
    assert error.startswith(f"office365: cannot use authority {wrong}: OpenID discovery answered 400 "
                            "invalid_tenant: AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found.")


def test_a_missing_permission_fails_the_connector_with_graphs_reason(run_export, sandbox):
    denied = {"error": {"code": "ErrorAccessDenied", "message": "Access is denied. Check credentials and try again."}}
    sandbox.inject(Fault("office365", status=403, body=denied, match="/contacts", times=None))
    outcome = run_export(DEMO, vendors=["office365"]).result.connectors["office365"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("office365: 403 ErrorAccessDenied: Access is denied.")
    assert "/contacts)" in outcome.error


def test_a_capped_search_is_split_by_date_and_still_finds_everything(run_export, sandbox):
    app = sandbox.apps["office365"]
    app.search_cap = 30                                       # Graph's is 1,000; the same logic, smaller
    try:
        pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"search_limit": 30}})
    finally:
        app.search_cap = 1000
    outcome = ok(pkg)
    assert {r["source"]["vendor_id"] for r in pkg.records("office365", "message")} == expected_messages(DEMO)
    assert any(re.search(r"\$search over [2-9] date ranges", line) for line in outcome.coverage)
    assert sandbox.requests_to("office365", "sent%3C%3D")      # "... AND sent<=YYYY-MM-DD"


def jans_attachments() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(message, attachment) for every attachment of Jan's messages in the configured mailboxes (fixtures)."""
    ids = expected_messages(DEMO)
    return [(m, a) for n in CONFIGURED for m in box(n)["messages"] + box(n)["recoverableItemsDeletions"]
            if m["id"] in ids for a in m["attachments"]]


def test_attachments_are_in_the_package_by_default_files_as_they_are_and_attached_mail_as_eml(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"])
    ok(pkg)
    records = {r["source"]["vendor_id"]: r for r in pkg.records("office365", "attachment")}
    assert set(records) == {a["id"] for _, a in jans_attachments()}
    for message, att in jans_attachments():
        data = records[att["id"]]["data"]
        assert (data["messageId"], data["name"], data["size"]) == (message["id"], att["name"], att["size"])
        kind = att["@odata.type"].rsplit(".", 1)[-1]
        if kind == "fileAttachment":
            assert pkg.zip.read(data["file"]) == base64.b64decode(att["contentBytes"])
            assert data["file"].endswith(att["name"])
        elif kind == "itemAttachment":                     # Graph's $value of an attached e-mail is MIME: a .eml
            assert data["file"].endswith(".eml")
            mail = BytesParser(policy=email_policy.default).parsebytes(pkg.zip.read(data["file"]))
            assert mail["Subject"] == att["item"]["subject"] and DEMO in mail["To"].lower()
            assert records[att["id"]]["source"]["endpoint"].endswith("/$value")
        else:                                                # a cloud link: v1.0 has no URL and no $value
            assert "file" not in data and "Graph v1.0 gives neither" in data["leftOut"]
    # the message records point at the same files
    files = {a.get("file") for r in pkg.records("office365", "message") for a in r["data"]["attachments"]} - {None}
    assert files == {r["data"]["file"] for r in records.values() if "file" in r["data"]}
    # one $value request per file or attached e-mail, only for messages with hasAttachments, none for the link
    values = sandbox.requests_to("office365", "/$value")
    fetched = [a for m, a in jans_attachments()
               if m["hasAttachments"] and "referenceAttachment" not in a["@odata.type"]]
    assert len(values) == len(fetched) == 26
    with_attachments = {m["id"] for m, _ in jans_attachments() if m["hasAttachments"]}
    assert all(unquote(x.path).split("/messages/")[1].split("/")[0] in with_attachments for x in values)


def test_the_size_cap_leaves_bigger_attachments_out_with_a_note(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"attachment_max_kb": 1}})
    outcome = ok(pkg)                                          # a cap chosen by the shop is a note, not a gap
    big = {a["id"]: a for _, a in jans_attachments() if a["size"] > 1024}
    small = {a["id"] for _, a in jans_attachments() if a["size"] <= 1024 and "reference" not in a["@odata.type"]}
    assert big and small
    records = {r["source"]["vendor_id"]: r["data"] for r in pkg.records("office365", "attachment")}
    for att_id, att in big.items():
        assert "file" not in records[att_id] and records[att_id]["leftOut"] == "larger than 1 kB (attachment_max_kb)"
        assert records[att_id]["size"] == att["size"]
        assert not sandbox.requests_to("office365", quote(att_id, safe=""))
    assert all(records[i]["file"] in pkg.zip.namelist() for i in small)
    notes = [n for n in outcome.notes if "larger than 1 kB left out of the package" in n]
    assert sum(int(re.search(r": (\d+) attachments? larger", n).group(1)) for n in notes) == len(big)


def test_names_and_sizes_only_when_attachments_are_turned_off(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"include_attachments": False}})
    ok(pkg)
    assert not sandbox.requests_to("office365", "/attachments/")
    assert not [n for n in pkg.zip.namelist() if n.startswith("attachments/")]
    records = pkg.records("office365", "attachment")
    assert len(records) == len(jans_attachments())
    assert {r["data"]["leftOut"] for r in records} == {"names and sizes only (include_attachments = false)"}


# --------------------------------------------------------------------------------------- contact folders
def test_contacts_in_every_contact_folder_and_its_child_folders(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"])
    ok(pkg)
    klanten = box("info")["contactFolders"][0]
    nested = klanten["childFolders"][0]
    jan = next(c for c in nested["contacts"] if c["emailAddresses"][0]["address"] == DEMO)
    found = [c for c in pkg.data("contact", "office365") if c["source"]["vendor_id"] == jan["id"]]
    assert len(found) == 1 and found[0]["data"]["contactFolder"] == "Klanten / Installaties 2024"
    assert found[0]["data"]["parentFolderId"] == nested["id"]
    assert "contactFolders/" + nested["id"] + "/contacts" in unquote(found[0]["source"]["endpoint"])
    listed = [unquote(x.path) for x in sandbox.requests_to("office365", "/childFolders")]
    assert any(klanten["id"] in p for p in listed) and any(nested["id"] in p for p in listed)   # recursively
    text = pkg.text()
    assert OTHER not in text.lower() and "Maes Elektro" not in text        # Sofie and Pieter share the folders


def test_a_folders_contacts_and_its_child_folders_are_asked_side_by_side(run_export, sandbox, monkeypatch):
    # breadth first, one level at a time: the contacts of the folder "Klanten" and the listing of its child
    # folders are in flight together (neither depends on the other). Each of the two is held at the sandbox until the
    # other has arrived too (at most 10 s): asked one after the other, the first would wait out the 10 s alone.
    app = sandbox.apps["office365"]
    original = app.handle
    klanten = box("info")["contactFolders"][0]["id"]
    arrived = {"contacts": threading.Event(), "childFolders": threading.Event()}
    met: dict[str, bool] = {}

    def holding_handle(request):
        path = unquote(request.path)
        if f"/contactFolders/{klanten}/" not in path:
            return original(request)
        name = path.rsplit("/", 1)[-1]
        other = "childFolders" if name == "contacts" else "contacts"
        arrived[name].set()
        met[name] = arrived[other].wait(10)      # the other one was sent while this one was still unanswered
        return original(request)

    monkeypatch.setattr(app, "handle", holding_handle)
    ok(run_export(DEMO, vendors=["office365"]))
    assert met == {"contacts": True, "childFolders": True}


def test_more_contact_folders_than_the_bound_leave_the_connector_incomplete(run_export, sandbox, monkeypatch):
    monkeypatch.setattr(office365_connector, "CONTACT_FOLDERS_MAX", 1)
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete"
    assert "mailbox info@megasecurity.eu: more than 1 contact folders: only the first 1 were searched" in outcome.error
    assert len(sandbox.requests_to("office365", "info@megasecurity.eu/contactFolders/")) == 1   # one folder's contacts


# --------------------------------------------------------------------------------------- deleted mail
def test_deleted_mail_exchange_still_holds_is_searched_and_marked(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = ok(pkg)
    held = [m for m in box("info")["recoverableItemsDeletions"] if DEMO in addresses(m)]
    got = [r for r in pkg.records("office365", "message") if r["data"].get("heldAfterDeletion")]
    assert [r["source"]["vendor_id"] for r in got] == [m["id"] for m in held] and len(held) == 1
    assert "mailFolders/recoverableitemsdeletions/messages" in got[0]["source"]["endpoint"]
    assert "mailbox info@megasecurity.eu: deleted mail still held (Recoverable Items > Deletions): all 2 read " \
           "(1 page), 1 with the subject" in outcome.coverage
    assert "Vraag over factuur" not in pkg.text()                         # Sofie's deleted mail
    # its attachment is fetched where the message is: in the folder (Graph's mailFolders/{id}/messages/{id} route)
    [att] = held[0]["attachments"]
    [record] = [r for r in pkg.records("office365", "attachment") if r["source"]["vendor_id"] == att["id"]]
    assert "/mailFolders/recoverableitemsdeletions/messages/" in record["source"]["endpoint"]
    assert pkg.zip.read(record["data"]["file"]) == base64.b64decode(att["contentBytes"])
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"deleted_mail": False}})
    assert not [r for r in pkg.records("office365", "message") if r["data"].get("heldAfterDeletion")]


def test_a_deleted_items_listing_past_its_page_bound_leaves_the_connector_incomplete(run_export, sandbox,
                                                                                     monkeypatch):
    monkeypatch.setattr(office365_connector, "RECOVERABLE_MAX_PAGES", 1)
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"page_size": 1}})
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete"
    assert "mailbox info@megasecurity.eu: deleted mail still held: only the first 1 page (1 message) were read" \
        in outcome.error
    listing = "info@megasecurity.eu/mailFolders/recoverableitemsdeletions/messages?"
    assert len(sandbox.requests_to("office365", listing)) == 1


# --------------------------------------------------------------------------------------- group conversations
GROUPS = json.loads((FIXTURES / "groups.json").read_text(encoding="utf-8"))["value"]


def test_group_posts_from_or_to_the_subject_and_nobody_elses(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["office365"], tables=UNREDACTED)
    outcome = ok(pkg)
    group = GROUPS[0]
    jans = next(t for t in group["threads"] if t["topic"] == "Camera valt uit 's nachts")
    posts = pkg.records("office365", "group_post")
    assert [p["source"]["vendor_id"] for p in posts] == [x["id"] for x in jans["posts"]]
    assert {p["data"]["group"] for p in posts} == {group["mail"]}
    assert posts[1]["third_parties"] == ["els.vermeulen@example.be"]           # added to the thread by staff
    text = pkg.text()
    assert "dubbel betaald" not in text and "permanentie" not in text and OTHER not in text.lower()
    assert f"group {group['mail']}: posts from or to the subject in all 3 threads (5 posts read): 2 found" \
        in outcome.coverage
    assert len(sandbox.requests_to("office365", "/posts")) == 3
    sofie = run_export(OTHER, vendors=["office365"])
    # her own post; the reply in her thread names her nowhere Graph shows (not in from, newParticipants or the
    # thread's recipients), so it is not matched
    assert [p["data"]["threadTopic"] for p in sofie.records("office365", "group_post")] == ["Factuur dubbel betaald"]
    assert DEMO not in sofie.text().lower()


# --------------------------------------------------------------------------------------- online archive (beta)
def test_an_online_archive_is_looked_for_only_when_asked_and_leaves_the_result_incomplete(run_export, sandbox):
    ok(run_export(DEMO, vendors=["office365"]))
    assert not sandbox.requests_to("office365", "/beta/")                 # off by default: Graph beta
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"archive": True}})
    outcome = pkg.result.connectors["office365"]
    assert box("verkoop")["inPlaceArchive"] and not box("info")["inPlaceArchive"]
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    assert "mailbox verkoop@megasecurity.eu has an online archive that was not searched" in outcome.error
    assert "mailbox info@megasecurity.eu: no online archive (Graph beta settings/exchange)" in outcome.coverage
    assert len(sandbox.requests_to("office365", "/settings/exchange")) >= 2
    assert pkg.records("office365", "message")                           # the rest is still exported


def test_an_unknown_group_makes_the_answer_incomplete(run_export, sandbox):
    missing = "00000000-0000-4000-8000-000000000000"
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"groups": [missing]}})
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete"            # a configured group that was not searched is a gap
    assert any(f"group {missing} was not searched: no such group in the tenant (Request_ResourceNotFound)" in s
               for s in outcome.shortfalls)
    assert pkg.records("office365", "message")       # the mailboxes are still exported
    assert not pkg.records("office365", "group_post")


# --------------------------------------------------------------------------------------- the sandbox itself
def _token(sandbox) -> str:
    cfg = sandbox.config_mapping(["office365"])["connectors"]["office365"]
    r = requests.post(f"{cfg['authority']}/oauth2/v2.0/token", verify=str(sandbox.ca_path), timeout=10,
                      data={"grant_type": "client_credentials", "client_id": cfg["client_id"],
                            "client_secret": cfg["client_secret"], "scope": "https://graph.microsoft.com/.default"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _declared(name: str) -> set[str]:
    defs, out, todo = SCHEMA["$defs"], set(), [f"#/$defs/{name}"]
    while todo:
        node = defs[todo.pop().split("/")[-1]]
        out |= set(node.get("properties", {}))
        for part in node.get("allOf", []):
            if "$ref" in part:
                todo.append(part["$ref"])
            out |= set(part.get("properties", {}))
    return out


@pytest.mark.parametrize(("route", "path", "params", "entity"), [
    ("GET /users", "/users", {"$select": "id,userPrincipalName,mail,displayName,userType"}, "microsoft.graph.user"),
    ("GET /users", "/users", {}, "microsoft.graph.user"),
    ("GET /users/{id}/messages", "/users/info@megasecurity.eu/messages",
     {"$search": '"participants:jan.desmet@example.be"', "$top": "50",
      "$expand": "attachments($select=id,name,size,contentType,isInline)"}, "microsoft.graph.message"),
    ("GET /users/{id}/messages", "/users/info@megasecurity.eu/messages", {"$top": "400"}, "microsoft.graph.message"),
    ("GET /users/{id}/contacts", "/users/info@megasecurity.eu/contacts", {"$top": "100"}, "microsoft.graph.contact"),
    ("GET /users/{id}/messages", "/users/info@megasecurity.eu/mailFolders/recoverableitemsdeletions/messages",
     {"$expand": "attachments($select=id,name,size,contentType,isInline,lastModifiedDateTime)"},
     "microsoft.graph.message"),
    ("GET /users/{id}/contacts", "/users/info@megasecurity.eu/contactFolders/"
     + box("info")["contactFolders"][0]["childFolders"][0]["id"] + "/contacts", {}, "microsoft.graph.contact"),
    ("GET /users/{id}/events", "/users/verkoop@megasecurity.eu/events", {"$top": "100"}, "microsoft.graph.event"),
    ("GET /users/{id}/messages", "/users/stagiair@megasecurity.eu/messages", {}, None),
])
def test_sandbox_replies_follow_graphs_published_schema(sandbox, route, path, params, entity):
    graph = sandbox.config_mapping(["office365"])["connectors"]["office365"]["graph_url"]
    r = requests.get(graph + path, params=params, headers={"Authorization": f"Bearer {_token(sandbox)}"},
                     verify=str(sandbox.ca_path), timeout=10)
    ref = SCHEMA["x-endpoints"][route][f"{str(r.status_code)[0]}XX"]
    Draft202012Validator({**SCHEMA, "$ref": ref}).validate(r.json())
    if entity is None:
        assert r.status_code == 404 and r.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"
        return
    assert r.status_code == 200 and r.json()["value"]
    declared = _declared(entity)
    for item in r.json()["value"]:
        assert not {k for k in item if not k.startswith("@odata.")} - declared   # no invented fields


def test_sandbox_rejects_a_missing_token_and_search_with_filter_like_graph(sandbox):
    graph = sandbox.config_mapping(["office365"])["connectors"]["office365"]["graph_url"]
    r = requests.get(graph + "/users", verify=str(sandbox.ca_path), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"
    r = requests.get(graph + "/users/info@megasecurity.eu/messages", verify=str(sandbox.ca_path), timeout=10,
                     headers={"Authorization": f"Bearer {_token(sandbox)}"},
                     params={"$search": '"participants:x@example.be"', "$filter": "isRead eq true"})
    assert r.status_code == 400
    r = requests.get(graph + "/users/info@megasecurity.eu/contacts", verify=str(sandbox.ca_path), timeout=10,
                     headers={"Authorization": f"Bearer {_token(sandbox)}"},
                     params={"$filter": "emailAddresses/any(a:startswith(a/address,'jan'))"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "ErrorInvalidUrlQueryFilter"


def test_an_unreachable_authority_is_a_one_line_reason(run_export):
    pkg = run_export(DEMO, vendors=["office365"], sleep=lambda s: None,
                     settings={"office365": {"authority": "https://127.0.0.1:9/5f3c9a2e-8b1d-4c6f-9e27-3a41d0b8c7e5"}})
    assert pkg.result.connectors["office365"].error == "office365: cannot connect to 127.0.0.1:9"


# --------------------------------------------------------------------------------------- settings, up front
US_AUTHORITY = "https://login.microsoftonline.us/5f3c9a2e-8b1d-4c6f-9e27-3a41d0b8c7e5"


@pytest.mark.parametrize(("key", "change"), [
    ("client_secret", None),                                  # missing required key
    ("authority", None),
    ("client_id", "  "),
    ("page_size", "abc"),                                     # wrong type
    ("page_size", 5000),                                      # out of bounds
    ("page_size", 0),
    ("search_limit", 0),
    ("search_limit", 1.5),
    ("include_attachments", "yes"),
    ("mailboxes", [1, 2]),
    ("graph_url", "http://graph.microsoft.com/v1.0"),         # not https
    ("authority", "login.microsoftonline.com/tenant"),
    ("timeout", 0),
    ("page_sise", 100),                                       # unknown key (a typo)
    ("mailboxes", "info@megasecurity.eu, verkoop@megasecurity.eu"),   # one entry holding two
    ("staff_domains", ["megasecurity.eu megasecurity.be"]),
    ("authority", "https://login.microsoftonline.com/"),     # no tenant
    ("scope", "https://graph.microsoft.com/Mail.Read"),       # client credentials take /.default only
    ("graph_url", "https://graph.microsoft.us/v1.0"),         # cross-field: another cloud than the authority's
    ("scope", "https://graph.microsoft.us/.default"),         # cross-field: another Graph than graph_url
])
def test_a_bad_setting_is_exit_2_with_one_line_naming_it_and_nothing_sent(sandbox, tmp_path, capsys, key, change):
    mapping = sandbox.config_mapping(["office365"])
    section = mapping["connectors"]["office365"]
    if key == "graph_url" and "microsoft.us" in str(change):
        section["authority"] = "https://login.microsoftonline.com/5f3c9a2e-8b1d-4c6f-9e27-3a41d0b8c7e5"
    if key == "scope" and "microsoft.us" in str(change):
        section["graph_url"] = "https://graph.microsoft.com/v1.0"
    if change is None:
        del section[key]
    else:
        section[key] = change
    config = tmp_path / "dsar.toml"
    config.write_text(to_toml(mapping), encoding="utf-8")
    capsys.readouterr()
    code = cli.main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out"), "--only", "office365"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and (f"connectors.office365.{key} " in err or f"no setting {key} " in err), err
    assert not section.get("client_secret") or section["client_secret"] not in err
    assert sandbox.log == []


def test_the_cross_field_checks_let_a_matching_cloud_and_the_sandbox_through(sandbox, tmp_path, capsys):
    """The other side of the cross-field cases above: the same keys, consistent, pass validation."""
    mapping = sandbox.config_mapping(["office365"])
    mapping["connectors"]["office365"].update({"mailboxes": ["info@megasecurity.eu"], "staff_domains": ["x.be"]})
    config = tmp_path / "dsar.toml"
    config.write_text(to_toml(mapping), encoding="utf-8")
    code = cli.main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out"), "--only", "office365"])
    assert code == 0, capsys.readouterr().err
    assert sandbox.log
    cls = office365_connector.Office365Connector
    us = cls.check_settings({**mapping["connectors"]["office365"], "authority": US_AUTHORITY,
                             "graph_url": "https://dod-graph.microsoft.us/v1.0",
                             "scope": "https://dod-graph.microsoft.us/.default"})
    assert us["page_size"] == 50 and us["search_limit"] == 1000 and us["include_attachments"] is True
    assert us["attachment_max_kb"] == 25 * 1024 and us["deleted_mail"] is True


# --------------------------------------------------------------------------------------- declared datasets
def _leaves(data: Any, prefix: str = "") -> set[str]:
    """The paths of every non-empty scalar in ``data``."""
    if isinstance(data, dict):
        return {p for k, v in data.items() for p in _leaves(v, f"{prefix}.{k}" if prefix else k)}
    if isinstance(data, list):
        return {p for v in data for p in _leaves(v, prefix)}
    return {prefix} if data not in (None, "") else set()


@pytest.mark.parametrize(("email", "settings"), [
    (DEMO, {}), (OTHER, {}), (NEAR_MISS, {}), (EMPTY, {}),
    (DEMO, {"mailboxes": [], "include_attachments": True}),
])
def test_every_exported_field_is_declared_at_its_own_path(run_export, email, settings):
    pkg = run_export(email, vendors=["office365"], settings={"office365": settings})
    assert ok(pkg).undeclared == []
    declared = {d.name: d for d in DATASETS}
    for r in pkg.records("office365"):
        for path in _leaves(r["data"]):             # a value is never covered only by a container declaration
            found = declared[r["dataset"]].field_for(path)
            assert found is not None and (found[0] == path or found[1].kind == Kind.ADDRESS), (r["dataset"], path)


def test_people_bearing_fields_are_declared_for_masking():
    by_name = {d.name: d for d in DATASETS}
    kinds = {(d, p): f.kind for d, ds in by_name.items() for p, f in ds.fields.items()}
    for who in ("from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "replyTo"):
        assert kinds["message", f"{who}.emailAddress.name"] == Kind.NAME
        assert kinds["message", f"{who}.emailAddress.address"] == Kind.EMAIL
    for who in ("attendees", "organizer"):
        assert kinds["event", f"{who}.emailAddress.name"] == Kind.NAME
        assert kinds["event", f"{who}.emailAddress.address"] == Kind.EMAIL
    assert kinds["message", "body.content"] == kinds["event", "body.content"] == Kind.FREE_TEXT
    assert kinds["message", "subject"] == kinds["contact", "personalNotes"] == Kind.FREE_TEXT
    assert kinds["contact", "spouseName"] == kinds["contact", "children"] == Kind.NAME
    assert kinds["contact", "emailAddresses.address"] == Kind.EMAIL and kinds["contact", "mobilePhone"] == Kind.PHONE


def test_a_field_nobody_declared_is_reported(run_export, sandbox, monkeypatch):
    contact = next(c for c in sandbox.apps["office365"].data["boxes"]["info@megasecurity.eu"]["contacts"]
                   if any(e["address"].lower() == DEMO for e in c["emailAddresses"]))
    monkeypatch.setitem(contact, "favouriteColour", "blauw")
    monkeypatch.setitem(contact, "extensions", [{"extensionName": "com.shop.loyalty", "points": 120}])
    outcome = ok(run_export(DEMO, vendors=["office365"]))
    assert outcome.undeclared == ["contact: extensions.extensionName", "contact: extensions.points",
                                  "contact: favouriteColour"]
    assert any("favouriteColour" in n for n in outcome.notes)


# --------------------------------------------------------------------------------------- paging guard, coverage
LISTINGS = {
    "users": ("/v1.0/users", "$select", {"mailboxes": []}),
    "message search": ("/v1.0/users/info@megasecurity.eu/messages", "$search", {}),
    "message filter": ("/v1.0/users/info@megasecurity.eu/messages", "$filter", {}),
    "contacts": ("/v1.0/users/info@megasecurity.eu/contacts", "$filter", {}),
    "events": ("/v1.0/users/verkoop@megasecurity.eu/events", "$select", {}),
}


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_page_repeating_an_earlier_one_fails_the_connector_with_the_guards_reason(run_export, sandbox, listing):
    path, marker, settings = LISTINGS[listing]
    link = f"{sandbox.vendor_url('office365')}{path}?{marker}=again&$skip=10"    # the vendor keeps sending it
    sandbox.inject(Fault("office365", status=200, body={"value": [], "@odata.nextLink": link}, times=None,
                         match=lambda r: r.path == path and marker in unquote(r.raw_query)))
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": settings})
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "failed" and pkg.result.status == "partial"
    assert outcome.error == (f"office365: paging did not advance at {path.removeprefix('/v1.0')} "
                             "(page 3 repeats an earlier page)")
    assert len(sandbox.requests_to("office365", link.split("/office365", 1)[1].split("?")[0] + "?")) >= 3


def test_coverage_says_what_each_search_of_each_mailbox_covered(run_export):
    outcome = ok(run_export(DEMO, vendors=["office365"]))
    sent = sum(1 for m in box("info")["messages"] if m["from"]["emailAddress"]["address"].lower() == DEMO)
    events = len(box("info")["events"])
    assert outcome.coverage[0] == "mailboxes: the 3 configured"
    assert f"mailbox info@megasecurity.eu: messages sent by the subject ($filter): all {sent} (1 page)" \
        in outcome.coverage
    assert f"mailbox info@megasecurity.eu: events of the default calendar: all {events} (2 pages), 4 with the " \
           "subject" in outcome.coverage
    assert "mailbox info@megasecurity.eu: messages from, to, cc or bcc the subject ($search over 1 date range): " \
           f"{len(expected_messages(DEMO, ('info',), deleted=False))} found" in outcome.coverage
    assert not any("stagiair" in line for line in outcome.coverage)          # skipped: a note, no coverage
    assert len(outcome.coverage) == 1 + 2 * 6 + 1         # per mailbox 6 searches, and the one group


def test_a_capped_search_that_cannot_be_split_leaves_the_connector_incomplete(run_export, sandbox):
    app = sandbox.apps["office365"]
    app.search_cap = 1                                        # every day holds more hits than the cap
    try:
        pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"search_limit": 1}})
    finally:
        app.search_cap = 1000
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    for mailbox in ("info", "verkoop"):
        assert f"mailbox {mailbox}@megasecurity.eu: more than 1 hits around 20" in outcome.error
    assert outcome.error.endswith("Graph's $search cap: mail to the subject may be missing")
    # what the subject sent still comes through the exact filter
    got = {r["source"]["vendor_id"] for r in pkg.records("office365", "message")}
    sent = {m["id"] for n in CONFIGURED for m in box(n)["messages"]
            if m["from"]["emailAddress"]["address"].lower() == DEMO}
    assert sent <= got < expected_messages(DEMO)


def test_a_contact_graph_returns_for_another_address_is_withheld_with_the_standard_note(run_export, sandbox):
    sofie = next(c for c in box("info")["contacts"] if any(e["address"].lower() == OTHER for e in c["emailAddresses"]))
    jan = next(c for c in box("info")["contacts"] if any(e["address"].lower() == DEMO for e in c["emailAddresses"]))
    sandbox.inject(Fault("office365", status=200, body={"value": [jan, sofie]},
                         match="GET /v1.0/users/info@megasecurity.eu/contacts?"))
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = ok(pkg)
    assert [c["source"]["vendor_id"] for c in pkg.data("contact", "office365")
            if c["data"]["mailbox"] == "info@megasecurity.eu" and "contactFolder" not in c["data"]] == [jan["id"]]
    assert "withheld 1 contacts found in info@megasecurity.eu: Graph's filter returned them, but none of their " \
           "addresses is the subject's" in outcome.notes
    assert OTHER not in pkg.text().lower()


# --------------------------------------------------------------------------------------- sign-in kept for the process
def test_reuse_sign_in_keeps_discovery_and_token_for_later_exports_in_the_process(run_export, sandbox):
    discovery, token = "/.well-known/openid-configuration", "/oauth2/v2.0/token"
    try:
        for _ in range(2):      # off (the default): every export signs in anew
            ok(run_export(DEMO, vendors=["office365"]))
            assert len(sandbox.requests_to("office365", discovery)) == len(sandbox.requests_to("office365", token)) == 1
            sandbox.clear()
        reuse = {"office365": {"reuse_sign_in": True}}
        first = run_export(DEMO, vendors=["office365"], settings=reuse)
        assert len(sandbox.requests_to("office365", discovery)) == len(sandbox.requests_to("office365", token)) == 1
        sandbox.clear()
        second = run_export(DEMO, vendors=["office365"], settings=reuse)   # its own session: the first one's is closed
        assert not sandbox.requests_to("office365", discovery) and not sandbox.requests_to("office365", token)
        assert ok(second).records == ok(first).records
        sandbox.clear()
        # another secret is another application: it signs in itself (and fails here, as AAD would answer)
        other = run_export(DEMO, vendors=["office365"], settings={"office365": {"reuse_sign_in": True,
                                                                               "client_secret": "not-the-secret"}})
        assert other.result.connectors["office365"].status == "failed"
        assert "invalid_client" in (other.result.connectors["office365"].error or "")
        assert len(sandbox.requests_to("office365", token)) >= 1
        sandbox.clear()
        office365_connector.forget_sign_ins()
        ok(run_export(DEMO, vendors=["office365"], settings=reuse))
        assert len(sandbox.requests_to("office365", token)) == 1
    finally:
        office365_connector.forget_sign_ins()


def test_reuse_sign_in_asks_one_token_for_exports_started_together(run_export, sandbox):
    token = "/oauth2/v2.0/token"
    sandbox.inject(Fault("office365", match="POST", delay=0.5, times=None))   # msal's token POST, the only POST
    try:
        results = together(run_export, 3, "office365", {"reuse_sign_in": True})
        assert [ok(r).records for r in results] == [ok(results[0]).records] * 3
        assert len(sandbox.requests_to("office365", token)) == 1
    finally:
        office365_connector.forget_sign_ins()


def test_reuse_sign_in_a_failed_token_request_fails_the_exports_that_waited_for_it_at_once(run_export, sandbox):
    token = "/oauth2/v2.0/token"

    def unreachable(settings: dict[str, Any]) -> list[Any]:
        # no answer at all (msal keeps a 5xx answer for a while itself, but not a connection that fails)
        sandbox.inject(Fault("office365", match="POST", drop=True, delay=0.2, times=None))
        return together(run_export, 3, "office365", settings, sleep=lambda _s: None)

    try:
        off = unreachable({})
        assert [r.result.connectors["office365"].status for r in off] == ["failed"] * 3
        each = len(sandbox.requests_to("office365", token)) // 3     # one export's attempts, retries included
        sandbox.clear()
        shared = unreachable({"reuse_sign_in": True})
        assert [r.result.connectors["office365"].status for r in shared] == ["failed"] * 3
        assert each >= 1 and len(sandbox.requests_to("office365", token)) == each       # the first export's alone
    finally:
        office365_connector.forget_sign_ins()


# ------------------------------------------------------------------------------------- a part refused, not the mailbox
NOT_ENABLED = {"error": {"code": "MailboxNotEnabledForRESTAPI",
                         "message": "The mailbox is either inactive, soft-deleted, or is hosted on-premise."}}


def test_a_404_after_the_mailbox_was_read_names_that_part_and_keeps_the_records(run_export, sandbox):
    # the beta settings/exchange answers 404 once the mailbox's other requests were answered: the mailbox is not
    # "skipped" (its records are in the package); the part that failed is named and the answer is incomplete
    sandbox.inject(Fault("office365", status=404, body=NOT_ENABLED, match="verkoop@megasecurity.eu/settings/exchange",
                         delay=0.3, times=None))
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"archive": True}})
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete", outcome.error
    assert not any("verkoop" in n for n in outcome.notes), outcome.notes
    assert "mailbox verkoop@megasecurity.eu: online archive check (Graph beta settings/exchange) not read to the " \
           "end: Graph answered 404 MailboxNotEnabledForRESTAPI" in outcome.error
    assert any(line.startswith("mailbox verkoop@megasecurity.eu: messages from, to, cc or bcc the subject")
               for line in outcome.coverage)
    assert [r for r in pkg.records("office365", "message") if r["data"]["mailbox"] == "verkoop@megasecurity.eu"]


def test_a_404_racing_the_mailbox_s_first_answers_is_not_a_skip_when_others_were_answered(run_export, sandbox,
                                                                                       monkeypatch):
    # every search of the mailbox in its first round (8 slots here); the settings/exchange 404 comes first, the
    # others later, answered: their records are kept and the mailbox is not reported as skipped. The others are held
    # at the sandbox until the connector has taken in the 404 (at most 10 s), however slowly the machine runs.
    monkeypatch.setattr(office365_connector, "MAILBOX_CONCURRENCY", 8)
    sandbox.inject(Fault("office365", status=404, body=NOT_ENABLED, match="verkoop@megasecurity.eu/settings/exchange",
                         times=None))
    refused = threading.Event()
    connector_get, app = office365_connector.Office365Connector._get, sandbox.apps["office365"]
    original = app.handle

    def noting_get(self, box, url, *args, **kwargs):
        try:
            return connector_get(self, box, url, *args, **kwargs)
        finally:
            if "verkoop@megasecurity.eu/settings/exchange" in url:     # not another mailbox's (answered) check
                refused.set()

    def holding_handle(request):
        if "verkoop@megasecurity.eu" in request.path and "/settings/" not in request.path:
            refused.wait(10)
        return original(request)

    monkeypatch.setattr(office365_connector.Office365Connector, "_get", noting_get)
    monkeypatch.setattr(app, "handle", holding_handle)
    pkg = run_export(DEMO, vendors=["office365"], settings={"office365": {"archive": True}})
    assert refused.is_set()
    outcome = pkg.result.connectors["office365"]
    kept = [r for r in pkg.records("office365", "message") if r["data"]["mailbox"] == "verkoop@megasecurity.eu"]
    assert kept
    assert outcome.status == "incomplete", outcome.error
    assert not any("verkoop" in n for n in outcome.notes), outcome.notes
    assert "mailbox verkoop@megasecurity.eu: Graph answered GET /beta/users/verkoop@megasecurity.eu/settings/" \
           "exchange as if the mailbox could not be read" in outcome.error, outcome.error


def test_a_thread_whose_posts_answer_404_is_named_and_the_other_threads_are_read(run_export, sandbox):
    group = json.loads((FIXTURES / "groups.json").read_text(encoding="utf-8"))["value"][0]
    first = group["threads"][0]["id"]
    sandbox.inject(Fault("office365", status=404, times=None, match=f"/threads/{quote(first, safe='')}/posts",
                         body={"error": {"code": "Request_ResourceNotFound", "message": "Resource does not exist."}}))
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "incomplete", outcome.error
    assert f"group {group['mail']}: the posts of 1 thread were not read: Graph answered 404 " \
           "Request_ResourceNotFound" in outcome.error
    assert any(line.startswith(f"group {group['mail']}: posts from or to the subject in 2 of 3 threads")
               for line in outcome.coverage), outcome.coverage
    assert pkg.records("office365", "message")                           # the mailboxes are still exported


# ------------------------------------------------------------------------------ a download answered 404, records kept
ITEM_GONE = {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}


@pytest.mark.parametrize("body", [NOT_ENABLED, ITEM_GONE], ids=["MailboxNotEnabledForRESTAPI", "ErrorItemNotFound"])
def test_a_download_answered_404_cuts_that_attachment_short_and_keeps_every_record(run_export, sandbox, body):
    info = {m["id"] for m in box("info")["messages"]}
    message, gone = next((m, a) for m, a in jans_attachments() if m["id"] in info and m["hasAttachments"]
                         and a["@odata.type"].endswith("fileAttachment"))
    sandbox.inject(Fault("office365", status=404, body=body, times=None,
                         match=f"/attachments/{quote(gone['id'], safe='')}/$value"))
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = pkg.result.connectors["office365"]
    code = body["error"]["code"]
    assert outcome.status == "incomplete", outcome.error
    assert f"mailbox info@megasecurity.eu: 1 attachment not downloaded, Graph answered 404 {code} to its " \
           f"download: \"{gone['name']}\"" in outcome.error, outcome.error
    records = {r["source"]["vendor_id"]: r for r in pkg.records("office365", "attachment")}
    assert set(records) == {a["id"] for _, a in jans_attachments()}                    # every record kept
    assert "file" not in records[gone["id"]]["data"]
    assert f"Graph answered 404 {code}" in records[gone["id"]]["data"]["leftOut"]
    assert all("file" in r["data"] for i, r in records.items() if i != gone["id"] and "leftOut" not in r["data"])
    assert {r["source"]["vendor_id"] for r in pkg.records("office365", "message")} == expected_messages(DEMO)
    listed = next(r for r in pkg.records("office365", "message") if r["source"]["vendor_id"] == message["id"])
    assert [a for a in listed["data"]["attachments"] if a["name"] == gone["name"] and "file" not in a]
