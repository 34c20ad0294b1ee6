"""PayPal connector against the sandbox: window scan, paging, matching, lookups by id, and the SDK's faults."""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from jsonschema import Draft202012Validator

import connectors.paypal as paypal_connector
from aggregator.cli import main
from aggregator.datasets import Kind, leaves
from aggregator.errors import VendorError
from aggregator.http import Redactor, VendorSession
from aggregator.identifiers import PAYPAL_TRANSACTION_ID
from aggregator.kept import Slot, token_deadline
from aggregator.sandbox import Fault
from aggregator.sandbox.base import Response
from aggregator.sandbox.server import to_toml
from aggregator.sandbox.vendors.paypal import CLIENT_ID, CLIENT_SECRET
from connectors.paypal import MAX_WINDOW, PayPalClient, earliest_searchable, parse_when, scan_windows
from connectors.paypal_datasets import DATASETS
from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER, offering_plugin, together

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "paypal" / "transactions.json"
SCHEMA = json.loads((Path(__file__).parent / "vendor_schemas" / "paypal.schema.json").read_text())
SEARCH = "GET /v1/reporting/transactions"

# Jan's payments the e-mail scan must find (from history_start 2025-06-01), and the lookup-only ones.
JAN_SCANNED = {"7JD61532KX448810F", "3MN88012PQ771204A", "2GG27193RB998877D", "8BF11928CY530017K",
               "1RF40277AB963315Z", "4VL20698TT115590B", "6AH73310ZD204466M", "0CX59804HU317720R",
               "2MK98463JA751804V"}   # the last: paid through Orders v2, the webshop names order 3XK81504MV5529317
JAN_PAYMENTS = JAN_SCANNED - {"1RF40277AB963315Z", "0CX59804HU317720R"}   # less the refund and the hold
EXTRA_CALLS = 1 + len(JAN_PAYMENTS) + 1 + len(JAN_PAYMENTS)   # ODR order, dispute lists, PP-D-41877, trackers
BEFORE_HISTORY = ("9HK34765LW512345C", "2025-03-14T10:12:00Z")
OTHER_ACCOUNT = ("5TY05013RM123456E", "2026-06-20T08:05:00Z")
AUTH_401 = {"name": "AUTHENTICATION_FAILURE",
            "message": "Authentication failed due to missing authorization header, or invalid authentication "
                       "credentials.", "debug_id": "5e3f1c9a0b7d2", "details": []}


def no_sleep(_seconds: float) -> None:
    return None


def fixture_details() -> list[dict[str, Any]]:
    return json.loads(FIXTURES.read_text(encoding="utf-8"))["transaction_details"]


def transaction_ids(pkg: Any) -> list[str]:
    return [r["source"]["vendor_id"] for r in pkg.records("paypal", "transaction")]


def search_params(sandbox: Any) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(x.query).items()} for x in sandbox.requests_to("paypal", SEARCH)]


def hinter(ids: list[tuple[str, dict[str, Any]]]) -> object:
    """A Lightspeed-side connector offering PayPal transaction ids, a little after PayPal's scan starts."""
    return offering_plugin("hinter", PAYPAL_TRANSACTION_ID, ids, delay=0.05)


# --------------------------------------------------------------------------- the demo package
def test_demo_package_has_jans_transactions_and_nobody_elses(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    ids = transaction_ids(pkg)
    assert sorted(ids) == sorted(JAN_SCANNED)          # each once, nothing else
    for payer in pkg.records("paypal", "payer"):
        assert payer["data"]["email_address"].lower() == DEMO
    assert {"contact", "addresses", "payments", "orders"} <= set(outcome.categories)
    text = pkg.text().lower()
    others = {d["payer_info"]["email_address"].lower() for d in fixture_details()
              if d["payer_info"].get("email_address")} - {DEMO}
    assert NEAR_MISS in others and OTHER in others
    assert not [e for e in others if e in text]
    # the authorization hold is only returned with balance_affecting_records_only=N
    assert "0CX59804HU317720R" in ids
    assert all(p["balance_affecting_records_only"] == "N" and p["fields"] == "all" and p["page_size"] == "500"
               for p in search_params(sandbox))
    # records carry the vendor's objects and a host-free endpoint
    refund = next(r for r in pkg.records("paypal", "transaction") if r["source"]["vendor_id"] == "1RF40277AB963315Z")
    assert refund["data"]["transaction_info"]["transaction_event_code"] == "T1107"
    assert refund["source"]["endpoint"].startswith("GET /v1/reporting/transactions?start_date=")
    carts = pkg.records("paypal", "cart")
    assert any(i["item_code"] == "MS-CAM-4MP" for c in carts for i in c["data"]["item_details"])
    ship = pkg.records("paypal", "shipping_address")
    assert ship and ship[0]["data"]["address"]["postal_code"] == "8850"
    assert any("3 hours" in n for n in outcome.notes)


def test_near_miss_and_other_customers_get_only_their_own(run_export, sandbox):
    near = run_export(NEAR_MISS, vendors=["paypal"], sleep=no_sleep)
    assert near.result.connectors["paypal"].status == "complete"
    expected = {d["transaction_info"]["transaction_id"] for d in fixture_details()
                if (d["payer_info"].get("email_address") or "").lower() == NEAR_MISS
                and d["transaction_info"]["transaction_initiation_date"] >= "2025-06-01"}
    assert len(expected) == 3 and set(transaction_ids(near)) == expected
    assert DEMO not in near.text().lower()
    other = run_export(OTHER, vendors=["paypal"], sleep=no_sleep)
    assert len(transaction_ids(other)) == 4
    assert DEMO not in other.text().lower() and "jan.desmet" not in other.text().lower()


# --------------------------------------------------------------------------- windows and paging
@pytest.mark.parametrize(("start", "now"), [
    ("2025-06-01", "2026-11-26T15:00:00Z"), ("2023-12-01", "2026-11-26T00:00:01Z"),
    ("2026-11-01", "2026-11-26T15:00:00Z"), ("2026-10-26", "2026-11-26T00:00:00Z"),
])
def test_windows_are_at_most_31_days_contiguous_and_never_before_start(start, now):
    s, n = parse_when(start), parse_when(now)
    windows = scan_windows(s, n)
    assert windows[0].start == s and windows[-1].end == n
    for w, nxt in zip(windows, windows[1:], strict=False):
        assert nxt.start == w.end + timedelta(seconds=1)
    assert all(w.start >= s and timedelta(0) <= w.end - w.start <= MAX_WINDOW for w in windows)


def test_scan_requests_respect_history_start_and_the_31_day_limit(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"history_start": "2025-09-15"}},
                     sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    params = search_params(sandbox)
    starts = {parse_when(p["start_date"]) for p in params}
    assert min(starts) == datetime(2025, 9, 15, tzinfo=UTC)
    for p in params:
        assert parse_when(p["end_date"]) - parse_when(p["start_date"]) <= MAX_WINDOW
    # the windows reach today
    assert max(parse_when(p["end_date"]) for p in params) >= datetime.now(UTC) - timedelta(minutes=5)
    assert set(transaction_ids(pkg)) == {t for t in JAN_SCANNED if t not in {"7JD61532KX448810F",
                                                                              "3MN88012PQ771204A"}}


def test_history_start_older_than_three_years_is_clamped_with_a_note(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"history_start": "2019-01-01"}},
                     sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert any("last 3 years" in n and "2019-01-01" in n for n in outcome.notes)
    first = min(parse_when(p["start_date"]) for p in search_params(sandbox))
    assert first == earliest_searchable(datetime.now(UTC))
    assert len(search_params(sandbox)) >= 36


def test_a_window_with_more_than_500_transactions_is_paged(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    page2 = [p for p in search_params(sandbox) if p["page"] == "2"]
    assert len(page2) == 1 and page2[0]["start_date"] == "2025-11-03T00:00:00Z"
    assert not [p for p in search_params(sandbox) if p["page"] == "3"]
    black_friday = next(r for r in pkg.records("paypal", "transaction")
                        if r["source"]["vendor_id"] == "8BF11928CY530017K")
    assert "page=2" in black_friday["source"]["endpoint"]     # only the second page has it


def test_pages_that_appear_during_a_search_are_read_too(run_export, sandbox, monkeypatch):
    # Pages of 100: the Black Friday window (511 transactions) has 6. Page 1 says 3 (PayPal refreshed its data
    # after it answered); the later pages say 6, so the search goes on to pages 4-6 and misses nothing.
    monkeypatch.setattr(paypal_connector, "PAGE_SIZE", 100)
    app = sandbox.apps["paypal"]
    original = app.handle

    def shrunk_first_page(request):
        answer = original(request)
        if ("/reporting/transactions" in request.path and request.query.get("page") == ["1"]
                and request.query.get("start_date") == ["2025-11-03T00:00:00Z"]):
            body = json.loads(answer.body)
            assert body["total_pages"] == 6
            answer = Response.json({**body, "total_pages": 3})
        return answer

    monkeypatch.setattr(app, "handle", shrunk_first_page)
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    pages = sorted(int(p["page"]) for p in search_params(sandbox) if p["start_date"] == "2025-11-03T00:00:00Z")
    assert pages == [1, 2, 3, 4, 5, 6]
    assert pkg.manifest["connectors"]["paypal"]["status"] == "complete"
    assert "8BF11928CY530017K" in {r["source"]["vendor_id"] for r in pkg.records("paypal", "transaction")}


def test_windows_are_scanned_concurrently_within_the_bound(run_export, sandbox, monkeypatch):
    app = sandbox.apps["paypal"]
    original = app.handle
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def counting(request):
        if "/reporting/transactions" not in request.path:
            return original(request)
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            time.sleep(0.03)              # long enough for the other windows to be asked meanwhile
            return original(request)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(app, "handle", counting)
    run_export(EMPTY, vendors=["paypal"], settings={"paypal": {"concurrency": 6}}, sleep=no_sleep)
    assert 3 <= state["peak"] <= 6           # several windows at once, never more than the bound
    state["peak"] = 0
    run_export(EMPTY, vendors=["paypal"], settings={"paypal": {"concurrency": 1}}, sleep=no_sleep)
    assert state["peak"] == 1                # one at a time when the bound is 1


def test_the_pages_of_a_window_are_read_side_by_side_once_the_first_tells_their_number(run_export, sandbox,
                                                                                       monkeypatch):
    # Pages of 100: the Black Friday window (511 transactions) has 6. Page 1 goes alone (it tells total_pages);
    # pages 2-6 then go several at once, each once, within the connector's bound.
    monkeypatch.setattr(paypal_connector, "PAGE_SIZE", 100)
    app = sandbox.apps["paypal"]
    original = app.handle
    lock = threading.Lock()
    spans: list[tuple[int, float, float]] = []
    state = {"now": 0, "peak": 0}

    def counting(request):
        black_friday = "/reporting/transactions" in request.path and \
            request.query.get("start_date") == ["2025-11-03T00:00:00Z"]
        if not black_friday:
            return original(request)
        started = time.monotonic()
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            time.sleep(0.03)
            return original(request)
        finally:
            with lock:
                state["now"] -= 1
                spans.append((int(request.query["page"][0]), started, time.monotonic()))

    monkeypatch.setattr(app, "handle", counting)
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)
    assert sorted(page for page, _, _ in spans) == [1, 2, 3, 4, 5, 6]        # each page once
    first_done = next(end for page, _, end in spans if page == 1)
    assert all(start >= first_done for page, start, _ in spans if page != 1)  # the others wait for page 1
    assert 2 <= state["peak"] <= 4                                           # side by side, within the bound


def test_disputes_and_trackers_are_asked_while_the_scan_goes_on(run_export, sandbox, monkeypatch):
    # The Black Friday window answers slowly: the payments other windows found have their disputes and trackers
    # asked meanwhile, each once, and a dispute is still checked against every payment of the subject.
    app = sandbox.apps["paypal"]
    original = app.handle

    def slow_black_friday(request):
        if "/reporting/transactions" in request.path and request.query.get("start_date") == ["2025-11-03T00:00:00Z"]:
            time.sleep(0.4)
        return original(request)

    monkeypatch.setattr(app, "handle", slow_black_friday)
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    log = [f"{x.method} {x.path}?{x.query}" for x in sandbox.requests_to("paypal")]
    last_search = max(i for i, line in enumerate(log) if line.startswith(SEARCH))
    first_extra = min(i for i, line in enumerate(log) if line.startswith(("GET /v1/customer/disputes",
                                                                           "GET /v1/shipping/trackers")))
    assert first_extra < last_search
    assert sorted(_asked(sandbox, "GET /v1/customer/disputes?", "disputed_transaction_id")) == sorted(JAN_PAYMENTS)
    assert sorted(_asked(sandbox, "GET /v1/shipping/trackers?", "transaction_id")) == sorted(JAN_PAYMENTS)
    assert [r["source"]["vendor_id"] for r in pkg.records("paypal", "dispute")] == [JAN_DISPUTE]


def test_a_disputes_list_paypal_refuses_fails_the_connector_after_the_scan_kept_its_finds(run_export, sandbox):
    # the early disputes request fails while the scan goes on: the failure surfaces once, the scan's finds stay
    sandbox.inject(Fault("paypal", status=400, match="GET /v1/customer/disputes", times=None,
                         body={"name": "INVALID_REQUEST", "message": "Request is not well-formed.", "details": []}))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("paypal: 400 INVALID_REQUEST") and "/v1/customer/disputes" in outcome.error
    assert set(transaction_ids(pkg)) >= JAN_SCANNED - {"2MK98463JA751804V"}


def test_an_order_several_payments_name_is_asked_once(run_export, sandbox, monkeypatch):
    # Two of Jan's payments name the same Orders v2 order (paypal_reference_id of type ODR): one GET for both
    details = sandbox.apps["paypal"].data()["transaction_details"]
    info = next(d["transaction_info"] for d in details
                if d["transaction_info"]["transaction_id"] == "7JD61532KX448810F")
    monkeypatch.setitem(info, "paypal_reference_id", ODR_ORDER[0])
    monkeypatch.setitem(info, "paypal_reference_id_type", "ODR")
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    assert len(sandbox.requests_to("paypal", f"/v2/checkout/orders/{ODR_ORDER[0]}")) == 1
    named = {r["source"]["vendor_id"]: r["data"].get("paypal_order_id") for r in pkg.records("paypal", "transaction")}
    assert named["7JD61532KX448810F"] == named[ODR_ORDER[1]] == ODR_ORDER[0]
    assert [r["source"]["vendor_id"] for r in pkg.records("paypal", "checkout_order")].count(ODR_ORDER[0]) == 1


def test_a_window_with_more_than_the_result_limit_is_split_in_halves(run_export, sandbox):
    # PayPal refuses a search with more than 10,000 results (400 RESULTSET_TOO_LARGE); lowered here so that the
    # Black Friday window (511 transactions) is refused and must be searched as two smaller windows.
    sandbox.apps["paypal"].max_results = 500
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)
    refused = [x for x in sandbox.requests_to("paypal", SEARCH) if x.status == 400]
    assert len(refused) == 1 and "start_date=2025-11-03T00%3A00%3A00Z" in refused[0].query
    full = (datetime(2025, 11, 3, tzinfo=UTC), datetime(2025, 12, 3, 23, 59, 59, tzinfo=UTC))
    spans = {(parse_when(p["start_date"]), parse_when(p["end_date"])) for p in search_params(sandbox)}
    inside = {s for s in spans if full[0] <= s[0] <= full[1]}
    assert full in inside and len(inside) == 3     # the refused window, then its two halves, which meet
    left, right = sorted(inside - {full})
    assert (left[0], right[1]) == full and right[0] == left[1] + timedelta(seconds=1)
    assert left[1] - left[0] <= timedelta(days=16) and right[1] - right[0] <= timedelta(days=16)
    assert not [p for p in search_params(sandbox) if p["page"] != "1"]    # each half fits in one page


def test_windows_are_split_again_until_each_part_fits(run_export, sandbox):
    sandbox.apps["paypal"].max_results = 60
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)
    logged = sandbox.requests_to("paypal", SEARCH)
    refused = [x for x in logged if x.status == 400]
    assert len(refused) >= 4 and all(x.status == 200 for x in logged if x not in refused)
    # the searches that were answered cover the Black Friday window exactly, without gap or overlap
    answered = sorted((parse_when(p["start_date"]), parse_when(p["end_date"]))
                      for p, x in zip(search_params(sandbox), logged, strict=True) if x.status == 200
                      and datetime(2025, 11, 3, tzinfo=UTC) <= parse_when(p["start_date"]) < datetime(2025, 12, 4,
                                                                                                        tzinfo=UTC))
    assert answered[0][0] == datetime(2025, 11, 3, tzinfo=UTC)
    assert answered[-1][1] == datetime(2025, 12, 3, 23, 59, 59, tzinfo=UTC)
    assert all(b[0] == a[1] + timedelta(seconds=1) for a, b in zip(answered, answered[1:], strict=False))


def test_a_one_hour_window_still_too_large_fails_with_one_line(run_export, sandbox):
    sandbox.apps["paypal"].max_results = 0       # every search with a result is refused, however small
    pkg = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"history_start": "2026-10-20"}},
                     sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert re.match(r"^paypal: 400 RESULTSET_TOO_LARGE Result set size is greater than the maximum limit\. .*"
                    r"\(GET /v1/reporting/transactions\); too many transactions even between \S+Z and \S+Z, "
                    r"a window of an hour or less$", outcome.error), outcome.error
    assert "\n" not in outcome.error
    assert len(sandbox.requests_to("paypal", SEARCH)) <= 2 * 12 + 4     # halving stops at one hour


def test_the_sandboxs_result_limit_is_restored_after_a_test(sandbox):
    assert sandbox.apps["paypal"].max_results == 10_000


# --------------------------------------------------------------------------- lookups by id
def test_ids_named_by_another_connector_are_looked_up_directly(run_export, sandbox):
    ids = [(OTHER_ACCOUNT[0], {"date": OTHER_ACCOUNT[1], "order_number": "ORD10210"}),
           (BEFORE_HISTORY[0], {"date": BEFORE_HISTORY[1], "order_number": "ORD10090"}),
           ("2GG27193RB998877D", {"date": "2025-11-02T16:40:00Z", "order_number": "ORD10153"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    got = transaction_ids(pkg)
    assert sorted(got) == sorted(JAN_SCANNED | {OTHER_ACCOUNT[0], BEFORE_HISTORY[0]})   # 2GG once
    # the other-account payment: only the lookup found it. Its payer is not the subject's address, so only
    # the payment itself and its cart are kept; payer and shipping details are withheld, with a note.
    assert "jan.desmet.prive@example.be" not in pkg.text()
    assert "email" not in pkg.manifest["identifiers"]
    paid = next(r for r in pkg.data("payments", "paypal") if r["source"]["vendor_id"] == OTHER_ACCOUNT[0])
    assert paid["dataset"] == "transaction" and "transaction_id=5TY05013RM123456E" in paid["source"]["endpoint"]
    assert set(paid["data"]) == {"transaction_info", "webshop_order"}     # + the link to the webshop order
    assert paid["data"]["webshop_order"] == "ORD10210"
    assert paid["data"]["transaction_info"]["transaction_amount"] == {"currency_code": "EUR", "value": "185.95"}
    assert any(r["source"]["vendor_id"] == OTHER_ACCOUNT[0] for r in pkg.records("paypal", "cart"))
    assert not [r for ds in ("payer", "payer_address", "shipping_address") for r in pkg.records("paypal", ds)
                if "transaction_id=" in r["source"]["endpoint"]]
    withheld = [n for n in outcome.notes if "withheld" in n]
    assert withheld == [f"withheld 2 parts (payer, shipping) of PayPal transaction {OTHER_ACCOUNT[0]} (order "
                        "ORD10210): it was paid from another PayPal account, so they may belong to someone else"]
    # each lookup is one search in a window around the order date (start_date/end_date are required)
    lookups = [p for p in search_params(sandbox) if "transaction_id" in p]
    assert {p["transaction_id"] for p in lookups} == {i for i, _ in ids}
    dates = {i: parse_when(a["date"]) for i, a in ids}
    for p in lookups:
        date = dates[p["transaction_id"]]
        start, end = parse_when(p["start_date"]), parse_when(p["end_date"])
        assert start <= date <= end and end - start <= MAX_WINDOW


def test_a_transaction_id_of_another_customer_exports_none_of_their_data(run_export, sandbox):
    # Sofie's payment, named (wrongly, or maliciously) as Jan's: none of Sofie's details may reach Jan's package
    ids = [("847XC06G6V8R8D9HL", {"date": "2026-10-01T12:00:00Z", "order_number": "ORD1"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert "847XC06G6V8R8D9HL" not in transaction_ids(pkg)      # another payer AND another invoice: not his
    payers = [r["data"].get("email_address", "").lower() for r in pkg.records("paypal", "payer")]
    assert payers and set(payers) == {DEMO}
    text = pkg.text()
    for theirs in ("sofie", "Sofie", "Claes", "486987654", "Stationsplein", "C8LS2P4VNE7XK", "ORD50904"):
        assert theirs not in text, theirs
    # her postal code, but not as four digits inside one of the manifest's SHA-256 digests
    assert not re.search(r"(?<![0-9a-f])9000(?![0-9a-f])", text)
    assert "email" not in pkg.manifest["identifiers"]
    note = next(n for n in outcome.notes if "847XC06G6V8R8D9HL" in n)
    assert note.startswith("withheld 1 PayPal transaction") and "for order ORD1" in note
    assert "not the subject's" in note and "sofie" not in note.lower()


def test_without_a_provider_the_other_account_payment_is_not_found(run_export):
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert OTHER_ACCOUNT[0] not in transaction_ids(pkg)
    assert "jan.desmet.prive" not in pkg.text()


def test_a_lookup_without_date_searches_windows_and_an_unknown_id_is_a_note(run_export, sandbox):
    ids = [(OTHER_ACCOUNT[0], {"order_number": "ORD10210"}),
           ("7ZZ00000AA000000Z", {"date": "2026-01-05T10:00:00Z", "order_number": "X1"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert OTHER_ACCOUNT[0] in transaction_ids(pkg)
    assert any("7ZZ00000AA000000Z" in n and "not found" in n for n in outcome.notes)


# --------------------------------------------------------------------------- SDK faults, wrapped
def test_a_wrong_secret_fails_once_and_clearly(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"client_secret": "not-the-secret-42"}},
                     sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("paypal: authentication failed: 401 invalid_client: Client Authentication failed")
    assert "\n" not in outcome.error and "not-the-secret-42" not in outcome.error
    assert len(sandbox.requests_to("paypal", "POST /v1/oauth2/token")) == 1
    assert not sandbox.requests_to("paypal", SEARCH)
    assert outcome.records == 0


def test_an_expired_token_is_refreshed_once(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=401, body=AUTH_401, match=SEARCH, times=1))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)
    assert len(sandbox.requests_to("paypal", "POST /v1/oauth2/token")) == 2


def _together(run_export, count: int, settings: dict[str, Any]) -> list[Any]:
    """``count`` PayPal exports of the demo customer started together in threads; their packages."""
    return together(run_export, count, "paypal", settings.get("paypal", {}), sleep=no_sleep)


def test_reuse_sign_in_asks_one_token_for_exports_started_together_and_none_later(run_export, sandbox):
    token = "POST /v1/oauth2/token"
    sandbox.inject(Fault("paypal", match=token, delay=0.5, times=None))    # every export is waiting for its token
    try:
        off = _together(run_export, 3, {})
        assert all(p.result.connectors["paypal"].status == "complete" for p in off)
        assert len(sandbox.requests_to("paypal", token)) == 3           # the default: each export signs in
        sandbox.clear()
        sandbox.inject(Fault("paypal", match=token, delay=0.5, times=None))    # clear() dropped it
        reuse = {"paypal": {"reuse_sign_in": True}}
        together = _together(run_export, 3, reuse)
        assert [p.result.connectors["paypal"].status for p in together] == ["complete"] * 3
        assert len(sandbox.requests_to("paypal", token)) == 1
        assert {p.result.connectors["paypal"].records for p in together} == {off[0].result.connectors["paypal"].records}
        sandbox.clear()
        later = run_export(DEMO, vendors=["paypal"], settings=reuse, sleep=no_sleep)
        assert later.result.connectors["paypal"].status == "complete" and not sandbox.requests_to("paypal", token)
        # a kept token the vendor rejects is asked again once, and the new one is kept
        sandbox.inject(Fault("paypal", status=401, body=AUTH_401, match=SEARCH, times=1))
        refreshed = run_export(DEMO, vendors=["paypal"], settings=reuse, sleep=no_sleep)
        assert refreshed.result.connectors["paypal"].status == "complete"
        assert len(sandbox.requests_to("paypal", token)) == 1
        sandbox.clear()
        assert run_export(DEMO, vendors=["paypal"], settings=reuse, sleep=no_sleep).result.connectors["paypal"].status \
            == "complete" and not sandbox.requests_to("paypal", token)
        # another secret is another account: it asks for itself (and is refused, as PayPal would)
        other = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"reuse_sign_in": True,
                                                                         "client_secret": "not-the-secret-42"}},
                           sleep=no_sleep)
        assert other.result.connectors["paypal"].status == "failed" and len(sandbox.requests_to("paypal", token)) == 1
        sandbox.clear()
        paypal_connector.forget_sign_ins()
        run_export(DEMO, vendors=["paypal"], settings=reuse, sleep=no_sleep)
        assert len(sandbox.requests_to("paypal", token)) == 1
    finally:
        paypal_connector.forget_sign_ins()


def _apis(slot: Any, down: list[bool] | None = None) -> tuple[Callable[[], Any], list[str]]:
    """A maker of ``_GuardedApi`` objects (one per export) sharing ``slot``, whose token requests answer T1, T2 …
    without a network (or fail, while ``down[0]``); and the list of those requests."""
    asked: list[str] = []

    def make() -> Any:
        api = paypal_connector._GuardedApi(None, Redactor(), endpoint="https://paypal.invalid",  # type: ignore[arg-type]
                                           client_id="app", client_secret="secret", kept=slot)

        def http_call(url: str, method: str, **_: Any) -> dict[str, Any]:
            asked.append(f"{method} {url}")
            if down and down[0]:
                raise VendorError("paypal: 503 INTERNAL_SERVICE_ERROR (POST /v1/oauth2/token)", status=503)
            return {"access_token": f"T{len(asked)}", "token_type": "Bearer", "expires_in": 32400}

        api.http_call = http_call
        return api

    return make, asked


def test_a_kept_token_is_replaced_only_by_a_newer_one_and_a_rejected_one_is_never_handed_on():
    slot = Slot(paypal_connector.KeptToken())
    make, asked = _apis(slot)
    a, b = make(), make()
    assert a.get_token_hash()["access_token"] == "T1" and b.get_token_hash()["access_token"] == "T1"
    assert len(asked) == 1
    assert a._invalidate("T1") and a.get_token_hash()["access_token"] == "T2"       # PayPal rejected T1
    b.get_token_hash()                          # b still uses T1 (no 401 yet): it does not put it back
    assert slot.value.token_hash["access_token"] == "T2"
    assert make().get_token_hash()["access_token"] == "T2"                          # a new export gets T2
    assert b._invalidate("T1") and b.get_token_hash()["access_token"] == "T2"       # b takes a's, asks none
    assert len(asked) == 2


def test_a_token_two_threads_saw_rejected_is_dropped_once_not_failed():
    make, asked = _apis(None)
    api = make()
    api.get_token_hash()
    assert api._invalidate("T1")                # thread 1's 401
    assert api._invalidate("T1")                # thread 2's 401 on the same token, before thread 1 asked again
    assert api.get_token_hash()["access_token"] == "T2"
    assert not api._invalidate("T2")            # the token asked after a 401 rejected too: fail, do not loop
    assert len(asked) == 2


def test_a_renewal_that_fails_keeps_a_token_that_still_works_until_its_end():
    down = [False]
    make, asked = _apis(None, down)
    api = make()
    assert api.get_token_hash()["access_token"] == "T1"
    api._renew_at = 0.0                         # T1 in its last minutes: asked again
    down[0] = True
    assert api.get_token_hash()["access_token"] == "T1" and len(asked) == 2      # the renewal failed: T1 still
    assert api.get_token_hash()["access_token"] == "T1" and len(asked) == 2      # not asked on every request
    api._renew_at, api._token_end = 0.0, 0.0    # T1 at its end: the failure is the export's
    with pytest.raises(VendorError, match="503"):
        api.get_token_hash()


def test_an_unreachable_token_endpoint_fails_the_exports_that_waited_for_it_at_once(run_export, sandbox):
    token = "POST /v1/oauth2/token"
    sandbox.inject(Fault("paypal", match=token, drop=True, delay=0.2, times=None))     # no answer at all
    try:
        together = _together(run_export, 3, {"paypal": {"reuse_sign_in": True}})
        assert [p.result.connectors["paypal"].status for p in together] == ["failed"] * 3
        asked = len(sandbox.requests_to("paypal", token))
        sandbox.clear()
        sandbox.inject(Fault("paypal", match=token, drop=True, delay=0.2, times=None))
        alone = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
        assert alone.result.connectors["paypal"].status == "failed"
        assert asked == len(sandbox.requests_to("paypal", token)) >= 1       # the first export's attempts alone
    finally:
        paypal_connector.forget_sign_ins()


def test_a_kept_token_in_its_last_minutes_is_not_handed_on():
    kept = paypal_connector.KeptToken({"access_token": "A"}, datetime.now(), time.monotonic() + 10)
    assert kept.usable()
    kept.renew_at = time.monotonic() - 1
    assert not kept.usable() and "A" not in repr(kept)
    assert token_deadline(3600, now=0.0) == 3300.0 and token_deadline(400, now=0.0) == 200.0   # half a short life
    assert token_deadline(None) == float("inf")                    # no lifetime given: as the SDK, kept


def test_a_failed_token_request_fails_the_exports_that_waited_for_it_at_once(run_export, sandbox):
    token = "POST /v1/oauth2/token"
    down = {"name": "INTERNAL_SERVICE_ERROR", "message": "An internal service error has occurred."}
    sandbox.inject(Fault("paypal", status=503, body=down, match=token, delay=0.2, times=None))
    try:
        off = _together(run_export, 3, {})
        assert [p.result.connectors["paypal"].status for p in off] == ["failed"] * 3
        each = len(sandbox.requests_to("paypal", token)) // 3      # one export's attempts, its retries included
        sandbox.clear()
        sandbox.inject(Fault("paypal", status=503, body=down, match=token, delay=0.2, times=None))
        together = _together(run_export, 3, {"paypal": {"reuse_sign_in": True}})
        assert [p.result.connectors["paypal"].status for p in together] == ["failed"] * 3
        assert {p.result.connectors["paypal"].error for p in together} == {off[0].result.connectors["paypal"].error}
        assert each >= 2 and len(sandbox.requests_to("paypal", token)) == each      # the first export's alone
    finally:
        paypal_connector.forget_sign_ins()


def test_a_token_rejected_again_fails_with_bounded_requests(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=401, body=AUTH_401, match=SEARCH, times=None))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("paypal: 401 AUTHENTICATION_FAILURE")
    assert "rejected again" in outcome.error and "Recursion" not in outcome.error
    assert len(sandbox.requests_to("paypal", "POST /v1/oauth2/token")) == 2
    assert len(sandbox.requests_to("paypal", SEARCH)) <= 2 * 4 + 1     # default concurrency 4


def test_429_with_retry_after_is_waited_out(run_export, sandbox):
    waits: list[float] = []
    sandbox.inject(Fault("paypal", status=429, headers={"Retry-After": "7"}, match="2025-11-03T00",
                         body={"name": "RATE_LIMIT_REACHED", "message": "Too many requests. Blocked due to rate "
                               "limiting.", "debug_id": "9a8b7c6d5e4f3"}, times=1))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=waits.append)
    assert pkg.result.connectors["paypal"].status == "complete"
    assert 7.0 in waits
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)


def test_persistent_429_and_5xx_fail_with_one_line(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=503, match="2026-01", times=2,
                         body={"name": "SERVICE_UNAVAILABLE", "message": "Service Unavailable."}))
    ok = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert ok.result.connectors["paypal"].status == "complete"
    sandbox.clear()
    sandbox.inject(Fault("paypal", status=429, match=SEARCH, times=None,
                         body={"name": "RATE_LIMIT_REACHED", "message": "Too many requests."}))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert re.match(r"^paypal: 429 RATE_LIMIT_REACHED Too many requests\. \(GET /v1/reporting/transactions\)$",
                    outcome.error)


def test_a_400_body_is_an_error_not_a_result(run_export, sandbox):
    body = {"name": "INVALID_REQUEST", "message": "Request is not well-formed, syntactically incorrect, or "
            "violates schema.", "debug_id": "b014e532dc5c5",
            "details": [{"field": "start_date", "value": "x", "location": "query",
                         "issue": "Date range is greater than 31 days"}]}
    sandbox.inject(Fault("paypal", status=400, body=body, match="2026-02", times=1))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error == ("paypal: 400 INVALID_REQUEST Request is not well-formed, syntactically incorrect, or "
                             "violates schema. (start_date: Date range is greater than 31 days) "
                             "[debug_id b014e532dc5c5] (GET /v1/reporting/transactions)")


def test_the_wrapper_raises_on_the_sandboxs_real_400(sandbox):
    session = VendorSession("paypal", ca_bundle=str(sandbox.ca_path), sleep=no_sleep)
    client = PayPalClient(session, Redactor(), base_url=sandbox.vendor_url("paypal") + "/", client_id=CLIENT_ID,
                          client_secret=CLIENT_SECRET)
    ok = client.get("/v1/reporting/transactions", {"start_date": "2026-01-01T00:00:00Z",
                                                   "end_date": "2026-01-31T23:59:59Z", "fields": "all"})
    assert ok["page"] == 1 and ok["transaction_details"]          # a trailing "/" did not double the path
    with pytest.raises(VendorError, match=r"^paypal: 400 INVALID_REQUEST .*Date range is greater than 31 days"):
        client.get("/v1/reporting/transactions", {"start_date": "2026-01-01T00:00:00Z",
                                                  "end_date": "2026-03-01T00:00:00Z"})
    assert len(sandbox.requests_to("paypal", SEARCH)) == 2 and client.token_requests == 1


def test_requests_time_out_and_are_retried(run_export, sandbox):
    sandbox.inject(Fault("paypal", delay=1.0, match="2026-03", times=1))
    pkg = run_export(DEMO, vendors=["paypal"], settings={"paypal": {"timeout": 0.3}}, sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    # token, windows, page 2, the retry after the timeout, then the order a payment names and each of the 7
    # payments' disputes and trackers (one dispute read whole)
    assert outcome.calls == 1 + 18 + 1 + 1 + EXTRA_CALLS
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)


def test_the_bearer_token_never_reaches_the_logs(run_export, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("paypalrestsdk").setLevel(logging.DEBUG)
    sandbox.inject(Fault("paypal", status=401, body=AUTH_401, match=SEARCH, times=1))
    run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    issued = sandbox.apps["paypal"].issued[-2:]
    assert issued and caplog.records
    for token in issued:
        assert token not in caplog.text
    assert CLIENT_SECRET not in caplog.text
    assert not re.search(r"Bearer (?!\*\*\*)\S{8,}", caplog.text)


# --------------------------------------------------------------------------- the sandbox follows the spec
def _normalise_live(value: Any) -> Any:
    """Undo the documented live deviations (README of vendor_schemas): +0000 dates, accents, empty lists."""
    if isinstance(value, dict):
        out = {k: _normalise_live(v) for k, v in value.items()}
        if out.get("transaction_details") == []:
            del out["transaction_details"]
        return out
    if isinstance(value, list):
        return [_normalise_live(v) for v in value]
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", value):
            return value[:-5] + "+00:00"
        return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return value


def _closed(schema: Any) -> Any:
    """The schema with every object closed, so an invented key fails validation."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


CLOSED = _closed(copy.deepcopy(SCHEMA))


def assert_valid(route: str, status: str, body: Any) -> None:
    ref = SCHEMA["x-endpoints"][route][status]
    validator = Draft202012Validator({"$ref": ref, "$defs": CLOSED["$defs"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_normalise_live(body))]
    assert not errors, errors[:5]


def test_sandbox_replies_validate_against_paypals_schema(sandbox):
    base = sandbox.vendor_url("paypal")
    verify = str(sandbox.ca_path)
    tok = requests.post(f"{base}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=(CLIENT_ID, CLIENT_SECRET), verify=verify, timeout=10)
    assert tok.status_code == 200
    token = tok.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0 and token["access_token"].startswith("A21AA")
    bad = requests.post(f"{base}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=(CLIENT_ID, "wrong"), verify=verify, timeout=10)
    assert bad.status_code == 401
    assert bad.json() == {"error": "invalid_client", "error_description": "Client Authentication failed"}

    headers = {"Authorization": f"Bearer {token['access_token']}"}
    seen = 0
    for start, end, page in [("2025-11-03T00:00:00Z", "2025-12-03T23:59:59Z", 1),
                             ("2025-11-03T00:00:00Z", "2025-12-03T23:59:59Z", 2),
                             ("2026-06-01T00:00:00Z", "2026-07-01T23:59:59Z", 1),
                             ("2025-03-01T00:00:00Z", "2025-03-31T23:59:59Z", 1)]:
        r = requests.get(f"{base}/v1/reporting/transactions", headers=headers, verify=verify, timeout=10,
                         params={"start_date": start, "end_date": end, "fields": "all", "page_size": 500,
                                 "page": page, "balance_affecting_records_only": "N"})
        assert r.status_code == 200
        body = r.json()
        seen += len(body["transaction_details"])
        assert_valid(SEARCH, "200", body)
    assert seen > 600
    empty = requests.get(f"{base}/v1/reporting/transactions", headers=headers, verify=verify, timeout=10,
                         params={"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T00:00:00Z"})
    assert empty.json()["transaction_details"] == []
    assert_valid(SEARCH, "200", empty.json())
    too_wide = requests.get(f"{base}/v1/reporting/transactions", headers=headers, verify=verify, timeout=10,
                            params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-02-15T00:00:00Z"})
    assert too_wide.status_code == 400
    assert_valid(SEARCH, "default", too_wide.json())
    unauth = requests.get(f"{base}/v1/reporting/transactions", verify=verify, timeout=10,
                          headers={"Authorization": "Bearer expired-token-123"},
                          params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-01-15T00:00:00Z"})
    assert unauth.status_code == 401 and unauth.json()["name"] == "AUTHENTICATION_FAILURE"
    assert_valid(SEARCH, "default", unauth.json())
    # the fixture file itself: every transaction validates as a search reply item
    assert_valid(SEARCH, "200", {"transaction_details": fixture_details()})


def test_a_bad_history_start_is_a_config_error_before_any_request(run_export, sandbox):
    from aggregator.errors import ConfigError

    with pytest.raises(ConfigError, match=r"connectors\.paypal\.history_start must be a date"):
        run_export(DEMO, vendors=["paypal"], settings={"paypal": {"history_start": "juni 2025"}}, sleep=no_sleep)
    assert not sandbox.requests_to("paypal")


# --------------------------------------------------------------------------- settings, checked before any request
TOMORROW = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
BAD_SETTINGS = [   # (key, value or None to leave it out, what the one line says)
    ("base_url", None, "connectors.paypal.base_url is missing"),
    ("client_id", None, "connectors.paypal.client_id is missing"),
    ("client_secret", None, "connectors.paypal.client_secret is missing"),
    ("client_secret", "   ", "connectors.paypal.client_secret is missing"),
    ("client_secret", 12345, "connectors.paypal.client_secret must be a non-empty text"),
    ("base_url", "http://127.0.0.1/paypal", "connectors.paypal.base_url must be an https URL"),
    ("history_start", "juni 2025", "connectors.paypal.history_start must be a date written YYYY-MM-DD"),
    ("history_start", TOMORROW, "connectors.paypal.history_start must not be in the future"),
    ("concurrency", "four", "connectors.paypal.concurrency must be a whole number 1–8"),
    ("concurrency", 2.5, "connectors.paypal.concurrency must be a whole number 1–8"),
    ("concurrency", 0, "connectors.paypal.concurrency must be a whole number 1–8"),
    ("concurrency", 9, "connectors.paypal.concurrency must be a whole number 1–8"),
    ("requests_per_second", 0, "connectors.paypal.requests_per_second must be a number ≥ 0.01"),
    ("requests_per_second", -20, "connectors.paypal.requests_per_second must be a number ≥ 0.01"),
    ("requests_per_second", True, "connectors.paypal.requests_per_second must be"),   # core: "must be number"
    ("timeout", 0, "connectors.paypal.timeout must be a number 0.1–600"),
    ("page_size", 100, "connectors.paypal has no setting page_size"),
]


@pytest.mark.parametrize(("key", "value", "says"), BAD_SETTINGS, ids=[f"{k}={v!r}" for k, v, _ in BAD_SETTINGS])
def test_a_bad_setting_exits_2_with_one_line_before_any_request(sandbox, tmp_path, capsys, key, value, says):
    mapping = sandbox.config_mapping(["paypal"])
    section = mapping["connectors"]["paypal"]
    if value is None:
        del section[key]
    else:
        section[key] = value
    config = tmp_path / "dsar.toml"
    config.write_text(to_toml(mapping), encoding="utf-8")
    capsys.readouterr()
    code = main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and says in err[0], err
    assert CLIENT_SECRET not in err[0] and "12345" not in err[0] and "juni" not in err[0]
    assert sandbox.log == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_sandbox_config_is_valid_and_gets_the_defaults():
    from connectors.paypal import PayPalConnector

    typed = PayPalConnector.check_settings({"base_url": "https://api-m.paypal.com", "client_id": "id",
                                            "client_secret": "secret", "history_start": "2025-06-01"})
    assert typed["history_start"] == date(2025, 6, 1)
    assert (typed["concurrency"], typed["requests_per_second"], typed["timeout"]) == (4, 20.0, 30.0)


# --------------------------------------------------------------------------- every yielded field is declared
DECLARED = {d.name: d for d in DATASETS}


@pytest.mark.parametrize("email", [DEMO, NEAR_MISS, OTHER, EMPTY])
def test_every_field_of_every_customer_is_declared_and_its_codes_explained(run_export, email):
    ids = [(OTHER_ACCOUNT[0], {"date": OTHER_ACCOUNT[1], "order_number": "ORD10210"}),
           (BEFORE_HISTORY[0], {"date": BEFORE_HISTORY[1], "order_number": "ORD10090"}),
           ("847XC06G6V8R8D9HL", {"date": "2026-10-01T12:00:00Z", "order_number": "ORD1"})]
    pkg = run_export(email, vendors=["paypal"], settings={"hinter": {}, "paypal": {"history_start": "2024-01-01"}},
                     plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert outcome.undeclared == []
    assert not [n for n in outcome.notes if "does not declare" in n]
    records = pkg.records("paypal")
    assert email == EMPTY or {r["dataset"] for r in records} >= {"transaction", "payer", "cart"}
    for r in records:
        dataset = DECLARED[r["dataset"]]
        for path, value in leaves(r["data"]):
            found = dataset.field_for(path)
            assert found is not None or value in ([], {}), (r["dataset"], path)   # an empty list needs no label
            declared = found[1] if found else None
            if declared is not None and declared.kind == Kind.CODE and declared.glossary:
                assert value in declared.glossary, (r["dataset"], path, value)


def test_a_field_the_vendor_adds_is_reported_as_undeclared(run_export, sandbox, monkeypatch):
    detail = next(d for d in sandbox.apps["paypal"].data()["transaction_details"]
                  if d["transaction_info"]["transaction_id"] == "6AH73310ZD204466M")
    monkeypatch.setitem(detail["transaction_info"], "loyalty_tier", "gold")
    monkeypatch.setitem(detail["payer_info"], "birth_date", "1980-02-29")
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert outcome.undeclared == ["payer: birth_date", "transaction: transaction_info.loyalty_tier"]
    assert any("does not declare" in n and "transaction_info.loyalty_tier" in n for n in outcome.notes)


# --------------------------------------------------------------------------- paging guards and coverage
def _repeating(monkeypatch: pytest.MonkeyPatch, lookups: bool) -> None:
    """PayPalClient.get answering every page 2 with page 1 again (only lookups by id, with ``lookups``)."""
    original = PayPalClient.get

    def get(self: PayPalClient, path: str, params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if lookups != ("transaction_id" in params):
            return original(self, path, params, **kwargs)
        reply = original(self, path, {**params, "page": 1}, **kwargs)
        return {**reply, "total_pages": max(2, reply["total_pages"])} if lookups else reply

    monkeypatch.setattr(PayPalClient, "get", get)


def test_a_scan_page_repeating_an_earlier_one_fails_with_the_guards_reason(run_export, monkeypatch):
    _repeating(monkeypatch, lookups=False)
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error == ("paypal: paging did not advance at GET /v1/reporting/transactions from "
                             "2025-11-03T00:00:00Z to 2025-12-03T23:59:59Z (page 2 repeats an earlier page)")


def test_a_lookup_page_repeating_an_earlier_one_fails_with_the_guards_reason(run_export, monkeypatch):
    _repeating(monkeypatch, lookups=True)
    ids = [("2GG27193RB998877D", {"date": "2025-11-02T16:40:00Z", "order_number": "ORD10153"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error == ("paypal: paging did not advance at GET /v1/reporting/transactions from "
                             "2025-11-01T16:40:00Z to 2025-12-02T16:39:59Z (page 2 repeats an earlier page)")


def test_coverage_names_what_was_searched_and_paypals_own_limit_is_not_a_gap(run_export, sandbox):
    ids = [("2GG27193RB998877D", {"date": "2025-11-02T16:40:00Z", "order_number": "ORD10153"}),
           ("7ZZ00000AA000000Z", {"date": "2026-01-05T10:00:00Z", "order_number": "X1"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}, "paypal": {"history_start": "2019-01-01"}},
                     plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete" and pkg.result.status == "complete"   # the 3 years are PayPal's limit
    earliest = earliest_searchable(datetime.now(UTC))
    scans = len([p for p in search_params(sandbox) if "transaction_id" not in p])
    scan = next(c for c in outcome.coverage if c.startswith("payments to"))
    assert re.fullmatch(rf"payments to the shop's PayPal account from {earliest:%Y-%m-%d}T00:00:00Z to \S+Z, "
                        rf"matched on the payer's e-mail address: \d+ transactions in {scans - 1} windows of at "
                        rf"most 31 days \({scans} pages\), 10 paid by the subject", scan), scan   # 9 + Orders v2
    assert ("transaction 2GG27193RB998877D named by hinter, looked up by id from 2025-11-01T16:40:00Z to "
            "2025-12-02T16:39:59Z: found (1 of 1 searches)") in outcome.coverage
    assert any(c.startswith("transaction 7ZZ00000AA000000Z") and c.endswith("not found (1 searches)")
               for c in outcome.coverage)


# --------------------------------------------------------------------------- ids the webshop names: order ids too
ORDERS_FIXTURE = json.loads((FIXTURES.parent / "orders.json").read_text(encoding="utf-8"))
JAN_ORDER = ("3XK81504MV5529317", "2MK98463JA751804V")       # Orders v2 order id, its capture (transaction) id
PRIVE_ORDER = ("6PD12873WQ4481907", OTHER_ACCOUNT[0])        # paid from Jan's other PayPal account
SOFIE_ORDER = ("8RT47219KC0366120", "847XC06G6V8R8D9HL")     # Sofie's
ODR_ORDER = ("4WN63018BX2270415", "6AH73310ZD204466M")       # Jan's, named only by his payment (paypal_reference_id)


def test_an_order_id_the_webshop_names_is_linked_to_its_transaction(run_export, sandbox):
    ids = [(JAN_ORDER[0], {"date": "2026-04-19T22:58:31+00:00", "order_number": "ORD10200"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)           # found by the scan, once
    [paid] = [r for r in pkg.records("paypal", "transaction") if r["source"]["vendor_id"] == JAN_ORDER[1]]
    assert paid["data"]["webshop_order"] == "ORD10200" and paid["data"]["paypal_order_id"] == JAN_ORDER[0]
    others = [r for r in pkg.records("paypal", "transaction")
              if r["source"]["vendor_id"] not in (JAN_ORDER[1], ODR_ORDER[1])]   # ODR: named by the payment itself
    assert not [r for r in others if "webshop_order" in r["data"] or "paypal_order_id" in r["data"]]
    [order] = [r for r in pkg.records("paypal", "checkout_order") if r["source"]["vendor_id"] == JAN_ORDER[0]]
    assert order["source"]["endpoint"] == f"GET /v2/checkout/orders/{JAN_ORDER[0]}"
    assert order["data"]["payer"]["email_address"] == DEMO
    assert order["data"]["purchase_units"][0]["payments"]["captures"][0]["id"] == JAN_ORDER[1]
    assert "links" not in json.dumps(order["data"])              # API navigation, not data about anyone
    assert not [n for n in outcome.notes if "not found" in n or JAN_ORDER[0] in n]
    # the id was first asked of Transaction Search (a transaction id has the same shape), then of Orders v2;
    # its capture is one the scan already holds, so it is not searched again
    lookups = [p["transaction_id"] for p in search_params(sandbox) if "transaction_id" in p]
    assert lookups == [JAN_ORDER[0]]
    assert [x.status for x in sandbox.requests_to("paypal", f"/v2/checkout/orders/{JAN_ORDER[0]}")] == [200]
    assert (f"order {JAN_ORDER[0]} named by hinter, looked up in Orders v2 (GET /v2/checkout/orders/{JAN_ORDER[0]}):"
            f" found, 1 capture(s): {JAN_ORDER[1]}") in outcome.coverage


def test_the_webshop_order_links_to_the_paypal_payment_end_to_end(run_export, sandbox):
    """Lightspeed offers what ORD10200's paymentData holds (an Orders v2 id): PayPal links it, says nothing is
    missing, and the package holds the payment under the webshop's order number."""
    pkg = run_export(DEMO, vendors=["lightspeed", "paypal"], settings={"lightspeed": {"requests_per_second": 0}},
                     sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert JAN_ORDER[0] in pkg.manifest["identifiers"]["paypal_transaction_id"]
    linked = {r["data"]["webshop_order"]: r["data"].get("paypal_order_id")
              for r in pkg.records("paypal", "transaction") if "webshop_order" in r["data"]}
    # three named by transaction id (2GG scanned, 9HK before history_start, 5TY from another account), one by
    # its Orders v2 id (2MK, scanned)
    assert linked == {"ORD10200": JAN_ORDER[0], "ORD10153": None, "ORD10090": None, "ORD10210": None}
    assert not [n for n in outcome.notes if "not found" in n]
    orders = sorted(r["source"]["vendor_id"] for r in pkg.records("paypal", "checkout_order"))
    assert orders == sorted([JAN_ORDER[0], ODR_ORDER[0]])        # the webshop's, and the one a payment names


def test_an_order_paid_from_another_account_keeps_only_the_payment_linked(run_export, sandbox):
    ids = [(PRIVE_ORDER[0], {"date": "2026-06-20T08:05:00Z", "order_number": "ORD10210"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    [paid] = [r for r in pkg.records("paypal", "transaction") if r["source"]["vendor_id"] == PRIVE_ORDER[1]]
    assert set(paid["data"]) == {"transaction_info", "webshop_order", "paypal_order_id"}
    assert paid["data"]["paypal_order_id"] == PRIVE_ORDER[0] and paid["data"]["webshop_order"] == "ORD10210"
    # the same rule as the transaction: the payment only
    [order] = [r for r in pkg.records("paypal", "checkout_order") if r["source"]["vendor_id"] == PRIVE_ORDER[0]]
    assert set(order["data"]) == {"id", "intent", "status", "purchase_units", "create_time", "update_time"}
    assert "shipping" not in order["data"]["purchase_units"][0]
    assert order["data"]["purchase_units"][0]["invoice_id"] == "ORD10210"
    text = pkg.text()
    assert "jan.desmet.prive" not in text and "H3RW9D5TQ2M6A" not in text
    withheld = sorted(n for n in outcome.notes if n.startswith("withheld"))
    assert withheld == [
        f"withheld 2 parts (payer, shipping) of PayPal transaction {PRIVE_ORDER[1]} (order ORD10210): it was paid "
        "from another PayPal account, so they may belong to someone else",
        f"withheld 3 parts (payer, payment_source, shipping) of PayPal order {PRIVE_ORDER[0]} (order ORD10210): it "
        "was paid from another PayPal account, so they may belong to someone else"]
    lookups = [p["transaction_id"] for p in search_params(sandbox) if "transaction_id" in p]
    assert lookups == [PRIVE_ORDER[0], PRIVE_ORDER[1]]       # the order id, then its capture by id


def test_an_order_id_of_another_customer_exports_none_of_their_data(run_export, sandbox):
    ids = [(SOFIE_ORDER[0], {"date": "2026-10-01T11:58:00Z", "order_number": "ORD1"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert SOFIE_ORDER[1] not in transaction_ids(pkg)
    assert [r["source"]["vendor_id"] for r in pkg.records("paypal", "checkout_order")] == [ODR_ORDER[0]]
    text = pkg.text()
    for theirs in ("sofie", "Sofie", "Claes", "486987654", "Stationsplein", "C8LS2P4VNE7XK", "Gent"):
        assert theirs not in text, theirs
    notes = sorted(n for n in outcome.notes if n.startswith("withheld"))
    assert notes == [f"withheld 1 PayPal order {SOFIE_ORDER[0]}, named by hinter for order ORD1: it was paid by "
                     "another PayPal account for another invoice, so it is not the subject's",
                     f"withheld 1 PayPal transaction {SOFIE_ORDER[1]}, named by hinter for order ORD1: it was paid "
                     "by another PayPal account for another invoice, so it is not the subject's"]
    assert not [n for n in outcome.notes if "sofie" in n.lower()]


def test_an_id_paypal_holds_neither_as_transaction_nor_as_order_is_not_found(run_export, sandbox):
    ids = [("7ZZ00000AA000000Z", {"date": "2026-01-05T10:00:00Z", "order_number": "X1"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert [x.status for x in sandbox.requests_to("paypal", "/v2/checkout/orders/7ZZ00000AA000000Z")] == [404]
    assert ("PayPal id 7ZZ00000AA000000Z named by hinter (order X1) was not found: it is neither a transaction in "
            "Transaction Search nor an order in Orders v2.") in outcome.notes
    assert ("order 7ZZ00000AA000000Z named by hinter, looked up in Orders v2 (GET /v2/checkout/orders/"
            "7ZZ00000AA000000Z): not found") in outcome.coverage


def test_an_orders_v2_error_other_than_404_fails_paypal_with_one_line(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=500, match="/v2/checkout/orders/", times=None,
                         body={"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.",
                               "debug_id": "90957fca61718"}))
    ids = [(JAN_ORDER[0], {"date": "2026-04-19T22:58:31+00:00", "order_number": "ORD10200"})]
    pkg = run_export(DEMO, vendors=["paypal"], settings={"hinter": {}}, plugins=[hinter(ids)], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("paypal: 500 INTERNAL_SERVER_ERROR") and "\n" not in outcome.error
    assert f"GET /v2/checkout/orders/{JAN_ORDER[0]}" in outcome.error
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)    # what the scan found stays in the package


def _schema_keys(defs: dict[str, Any], prefix: str) -> set[str]:
    """Every property name declared anywhere in the ``prefix`` schemas."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update((node.get("properties") or {}).keys())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in defs.items() if k.startswith(prefix)})
    return names


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_orders_v2_route_follows_paypals_spec(sandbox):
    base, verify = sandbox.vendor_url("paypal"), str(sandbox.ca_path)
    token = requests.post(f"{base}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=(CLIENT_ID, CLIENT_SECRET), verify=verify, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    route = "GET /v2/checkout/orders/{id}"
    declared = _schema_keys(SCHEMA["$defs"], "checkout_orders_v2.")

    def valid(status: str, body: Any) -> None:
        """The spec's schema (open: its allOf parts cannot be closed one by one) and no key it does not name."""
        ref = SCHEMA["x-endpoints"][route][status]
        errors = list(Draft202012Validator({"$ref": ref, "$defs": SCHEMA["$defs"]}).iter_errors(body))
        assert not errors, [e.message for e in errors[:3]]
        assert _keys(body) <= declared, _keys(body) - declared

    for oid in ORDERS_FIXTURE:
        r = requests.get(f"{base}/v2/checkout/orders/{oid}", headers=headers, verify=verify, timeout=10)
        assert r.status_code == 200
        body = r.json()
        valid("200", body)
        assert all(link["href"].startswith(base) for link in body["links"])       # the sandbox's own address
    details = {d["transaction_info"]["transaction_id"]: d for d in fixture_details()}
    for order in ORDERS_FIXTURE.values():          # each capture is a transaction of Transaction Search
        capture = order["purchase_units"][0]["payments"]["captures"][0]
        detail = details[capture["id"]]
        assert capture["amount"] == detail["transaction_info"]["transaction_amount"]
        assert order["payer"]["email_address"] == detail["payer_info"]["email_address"]
    missing = requests.get(f"{base}/v2/checkout/orders/7ZZ00000AA000000Z", headers=headers, verify=verify,
                           timeout=10)
    assert missing.status_code == 404 and missing.json()["name"] == "RESOURCE_NOT_FOUND"
    assert missing.json()["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    valid("404", missing.json())
    unauth = requests.get(f"{base}/v2/checkout/orders/{JAN_ORDER[0]}", headers={"Authorization": "Bearer x"},
                          verify=verify, timeout=10)
    assert unauth.status_code == 401 and unauth.json()["name"] == "AUTHENTICATION_FAILURE"


def test_the_checkout_order_dataset_declares_every_field_of_the_fixture_orders():
    from aggregator.datasets import undeclared
    from connectors.paypal import _without_links
    from connectors.paypal_datasets import CHECKOUT_ORDER, TRANSACTION

    def values(node: Any, keys: list[str]) -> list[Any]:
        if isinstance(node, list):
            return [v for item in node for v in values(item, keys)]
        if not keys:
            return [node]
        return values(node.get(keys[0]), keys[1:]) if isinstance(node, dict) and keys[0] in node else []

    for order in ORDERS_FIXTURE.values():
        assert undeclared(CHECKOUT_ORDER, _without_links(order)) == []
        for path, declared in CHECKOUT_ORDER.fields.items():       # every code's value is explained
            if declared.kind is Kind.CODE and declared.glossary:
                assert set(values(order, path.split("."))) <= set(declared.glossary), path
    for path in ("purchase_units.payee.email_address", "purchase_units.payments.captures.seller_receivable_breakdown"
                 ".paypal_fee"):
        assert CHECKOUT_ORDER.field_for(path)[1].kind is Kind.INTERNAL
    assert TRANSACTION.fields["paypal_order_id"].nl and TRANSACTION.fields["webshop_order"].en


# --------------------------------------------------------------------------- disputes, trackers, orders payments name
DISPUTES_FIXTURE = json.loads((FIXTURES.parent / "disputes.json").read_text(encoding="utf-8"))
TRACKERS_FIXTURE = json.loads((FIXTURES.parent / "trackers.json").read_text(encoding="utf-8"))
JAN_DISPUTE, SOFIE_DISPUTE = "PP-D-41877", "PP-D-40512"
JAN_TRACKERS = {"6AH73310ZD204466M-323299901000451877", "4VL20698TT115590B-323299901000390041",
                "4VL20698TT115590B-323299901000412865"}
NOT_AUTHORIZED = {"name": "NOT_AUTHORIZED", "message": "Authorization failed due to insufficient permissions.",
                  "debug_id": "8c2e4f1a7b3d9", "details": [{"issue": "PERMISSION_DENIED",
                                                            "description": "You do not have permission to access or "
                                                                           "perform operations on this resource."}]}


def _asked(sandbox: Any, route: str, param: str) -> list[str]:
    return [parse_qs(x.query)[param][0] for x in sandbox.requests_to("paypal", route) if param in parse_qs(x.query)]


def test_jans_dispute_messages_trackers_and_the_order_his_payment_names(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    [dispute] = pkg.records("paypal", "dispute")
    assert dispute["source"]["vendor_id"] == JAN_DISPUTE
    assert dispute["source"]["endpoint"] == f"GET /v1/customer/disputes/{JAN_DISPUTE}"
    assert [t["seller_transaction_id"] for t in dispute["data"]["disputed_transactions"]] == ["4VL20698TT115590B"]
    assert "messages" not in dispute["data"] and "links" not in json.dumps(dispute["data"])
    assert {e["notes"] for e in dispute["data"]["evidences"]} == {
        e["notes"] for e in DISPUTES_FIXTURE[JAN_DISPUTE]["evidences"]}
    assert dispute["data"]["offer"]["history"][0]["notes"] == "Volledige terugbetaling na retour."
    messages = pkg.records("paypal", "dispute_message")
    assert [(m["data"]["posted_by"], m["data"]["content"]) for m in sorted(messages, key=lambda m: m["data"][
        "time_posted"])] == [(m["posted_by"], m["content"]) for m in DISPUTES_FIXTURE[JAN_DISPUTE]["messages"]]
    assert all(m["data"]["dispute_id"] == JAN_DISPUTE for m in messages)
    assert pkg.data("communications", "paypal") == messages
    trackers = pkg.records("paypal", "shipment_tracker")
    assert {t["source"]["vendor_id"] for t in trackers} == JAN_TRACKERS
    assert {t["data"]["shipment_direction"] for t in trackers} == {"FORWARD", "RETURN"}
    assert all("links" not in t["data"] for t in trackers)
    [order] = [o for o in pkg.records("paypal", "checkout_order") if o["source"]["vendor_id"] == ODR_ORDER[0]]
    assert order["data"]["payer"]["email_address"] == DEMO
    [paid] = [r for r in pkg.records("paypal", "transaction") if r["source"]["vendor_id"] == ODR_ORDER[1]]
    assert paid["data"]["paypal_order_id"] == ODR_ORDER[0] and "webshop_order" not in paid["data"]
    # Sofie's dispute, tracker and order: never asked for, never in the package
    text = pkg.text()
    # (her phone number whole: four digits alone turn up in the manifest's SHA-256 digests, one run in ten)
    for theirs in (SOFIE_DISPUTE, "Stationsplein", "0486 98 76 54", "323299901000470310", SOFIE_ORDER[0], "Sofie"):
        assert theirs not in text, theirs
    # one list each for Jan's 7 payments (not the refund, not the authorization hold); one dispute read whole
    assert sorted(_asked(sandbox, "GET /v1/customer/disputes?", "disputed_transaction_id")) == sorted(JAN_PAYMENTS)
    assert sorted(_asked(sandbox, "GET /v1/shipping/trackers?", "transaction_id")) == sorted(JAN_PAYMENTS)
    assert [x.path for x in sandbox.requests_to("paypal", "GET /v1/customer/disputes/")] == [
        f"/v1/customer/disputes/{JAN_DISPUTE}"]
    assert [x.path for x in sandbox.requests_to("paypal", "/v2/checkout/orders/")] == [
        f"/v2/checkout/orders/{ODR_ORDER[0]}"]
    assert any(c.startswith("disputes on the subject's 7 payments") and "1 listed, 1 kept" in c
               for c in outcome.coverage)
    assert any(c.startswith("shipment trackers of the subject's 7 payments") and "3 found" in c
               for c in outcome.coverage)
    assert any("paypal_reference_id of type ODR" in c and "1 kept" in c for c in outcome.coverage)
    assert {"communications", "shipments"} <= set(outcome.categories)


def test_a_dispute_paypal_lists_for_the_wrong_transaction_is_withheld(run_export, sandbox):
    sandbox.apps["paypal"].filter_disputes = False       # every list answers every dispute: Sofie's too
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert [d["source"]["vendor_id"] for d in pkg.records("paypal", "dispute")] == [JAN_DISPUTE]   # once
    assert len(pkg.records("paypal", "dispute_message")) == 3
    text = pkg.text()
    for theirs in ("Stationsplein", "Claes", "5QA90417MN2218806", "nooit aangekomen"):
        assert theirs not in text, theirs
    assert SOFIE_DISPUTE not in json.dumps([r["data"] for r in pkg.records("paypal")])   # its id: in the note only
    withheld = [n for n in outcome.notes if SOFIE_DISPUTE in n]
    assert len(withheld) == 1 and withheld[0].startswith(f"withheld 1 PayPal dispute {SOFIE_DISPUTE}, listed for "
                                                         "transaction ")
    assert "none of its disputed transactions is the subject's payment" in withheld[0]
    # each dispute is read once however many lists name it
    details = [x.path for x in sandbox.requests_to("paypal", "GET /v1/customer/disputes/")]
    assert sorted(details) == sorted(f"/v1/customer/disputes/{d}" for d in (JAN_DISPUTE, SOFIE_DISPUTE))


def test_another_transaction_in_the_subjects_dispute_is_withheld(run_export, sandbox, monkeypatch):
    dispute = sandbox.apps["paypal"].disputes()[JAN_DISPUTE]
    sofies = dict(dispute["disputed_transactions"][0], seller_transaction_id="07DSDFJDWJRBHBPJ3",
                  buyer_transaction_id="5QA90417MN2218806", buyer={"name": "Sofie Claes"}, invoice_number="ORD24555")
    monkeypatch.setitem(dispute, "disputed_transactions", [*dispute["disputed_transactions"], sofies])
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    [kept] = pkg.records("paypal", "dispute")
    assert [t["seller_transaction_id"] for t in kept["data"]["disputed_transactions"]] == ["4VL20698TT115590B"]
    assert "Sofie" not in pkg.text() and "ORD24555" not in pkg.text()
    assert (f"withheld 1 other transaction(s) of PayPal dispute {JAN_DISPUTE}: they are not the subject's payments"
            in pkg.result.connectors["paypal"].notes)


def test_a_tracker_of_another_transaction_is_withheld_and_the_specs_single_tracker_is_read(run_export, sandbox):
    sofies = next(t for t in TRACKERS_FIXTURE if t["transaction_id"] == SOFIE_ORDER[1])
    sandbox.inject(Fault("paypal", body={"trackers": [sofies], "links": []},
                         match="/v1/shipping/trackers?transaction_id=2GG27193RB998877D", times=None))
    single = dict(next(t for t in TRACKERS_FIXTURE if t["transaction_id"] == ODR_ORDER[1]))
    sandbox.inject(Fault("paypal", body=single, match=f"/v1/shipping/trackers?transaction_id={ODR_ORDER[1]}",
                         times=None))
    sandbox.inject(Fault("paypal", status=404, body={"name": "RESOURCE_NOT_FOUND", "message": "The specified "
                         "resource does not exist.", "debug_id": "1b2c3d4e5f6a7"},
                         match="/v1/shipping/trackers?transaction_id=4VL20698TT115590B", times=None))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "complete", outcome.error
    assert [t["source"]["vendor_id"] for t in pkg.records("paypal", "shipment_tracker")] == [
        "6AH73310ZD204466M-323299901000451877"]          # 4VL's 404 means none; Sofie's parcel is not Jan's
    assert "323299901000470310" not in pkg.text()
    assert ("withheld 1 PayPal shipment tracker(s) listed for transaction 2GG27193RB998877D: they are another "
            "transaction's parcels") in outcome.notes


def test_without_the_disputes_permission_the_export_is_incomplete_and_says_so(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=403, body=NOT_AUTHORIZED, match="/v1/customer/disputes", times=None))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "incomplete"
    assert len(outcome.shortfalls) == 1
    assert outcome.shortfalls[0].startswith("PayPal disputes not searched: the REST app may not read them (403 "
                                            "NOT_AUTHORIZED")
    assert outcome.shortfalls[0].endswith("give it the Disputes (read) permission")
    assert not [c for c in outcome.coverage if c.startswith("disputes on")]
    assert pkg.records("paypal", "dispute") == []
    assert len(pkg.records("paypal", "shipment_tracker")) == 3          # the trackers are still searched
    assert sorted(transaction_ids(pkg)) == sorted(JAN_SCANNED)
    assert len(sandbox.requests_to("paypal", "/v1/customer/disputes")) <= 4   # at most one per worker


def test_the_dispute_list_is_paged_by_its_next_link(run_export, sandbox, monkeypatch):
    import connectors.paypal as paypal_mod

    monkeypatch.setattr(paypal_mod, "DISPUTE_PAGE", 1)
    sandbox.apps["paypal"].filter_disputes = False
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    assert pkg.result.connectors["paypal"].status == "complete"
    lists = sandbox.requests_to("paypal", "GET /v1/customer/disputes?")
    assert len(lists) == 2 * len(JAN_PAYMENTS)                         # two disputes, one a page
    assert sum("next_page_token=" in x.query for x in lists) == len(JAN_PAYMENTS)
    assert [d["source"]["vendor_id"] for d in pkg.records("paypal", "dispute")] == [JAN_DISPUTE]


def test_dispute_and_tracker_replies_validate_against_paypals_schema(sandbox):
    base = sandbox.vendor_url("paypal")
    verify = str(sandbox.ca_path)
    token = requests.post(f"{base}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=(CLIENT_ID, CLIENT_SECRET), verify=verify, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, **params: Any) -> requests.Response:
        return requests.get(f"{base}{path}", headers=headers, params=params, verify=verify, timeout=10)

    # The shared schema maps the list's 200 to `dispute` (one ref for both operations); the spec's list answers
    # `dispute_search` (openapi/customer_disputes_v1.json, GET /v1/customer/disputes).
    search = {"$ref": "#/$defs/customer_disputes_v1.dispute_search", "$defs": CLOSED["$defs"]}
    listed = get("/v1/customer/disputes", disputed_transaction_id="4VL20698TT115590B")
    assert listed.status_code == 200 and [i["dispute_id"] for i in listed.json()["items"]] == [JAN_DISPUTE]
    assert not list(Draft202012Validator(search).iter_errors(_normalise_live(listed.json())))
    none = get("/v1/customer/disputes", disputed_transaction_id="1RF40277AB963315Z")
    assert "items" not in none.json()
    assert not list(Draft202012Validator(search).iter_errors(_normalise_live(none.json())))
    for did in DISPUTES_FIXTURE:
        whole = get(f"/v1/customer/disputes/{did}")
        assert whole.status_code == 200
        assert_valid("GET /v1/customer/disputes/{id}", "200", whole.json())
    missing = get("/v1/customer/disputes/PP-D-00000")
    assert missing.status_code == 404
    assert_valid("GET /v1/customer/disputes/{id}", "default", missing.json())
    both = get("/v1/customer/disputes", disputed_transaction_id="4VL20698TT115590B", start_time="2026-01-01T00:00:00Z")
    assert both.status_code == 400
    assert_valid("GET /v1/customer/disputes", "400", both.json())
    # Trackers: each listed tracker is the spec's `tracker` (the list wraps them as `tracker_collection` does).
    tracker = {"$ref": "#/$defs/shipping_shipment_tracking_v1.tracker", "$defs": CLOSED["$defs"]}
    listed = get("/v1/shipping/trackers", transaction_id="4VL20698TT115590B").json()
    assert set(listed) == {"trackers", "links"} and len(listed["trackers"]) == 2
    for item in [*listed["trackers"], *TRACKERS_FIXTURE]:
        assert not list(Draft202012Validator(tracker).iter_errors(_normalise_live(item)))
    assert get("/v1/shipping/trackers", transaction_id="1RF40277AB963315Z").json()["trackers"] == []
    no_id = get("/v1/shipping/trackers")
    assert no_id.status_code == 400
    assert_valid("GET /v1/shipping/trackers", "default", no_id.json())
    # (the Orders v2 order a payment names is in orders.json: test_the_orders_v2_route_follows_paypals_spec)


def test_the_dispute_and_tracker_datasets_declare_every_field_of_the_fixtures():
    from aggregator.datasets import undeclared
    from connectors.paypal import _without_links
    from connectors.paypal_datasets import DISPUTE, DISPUTE_MESSAGE, SHIPMENT_TRACKER

    for dispute in DISPUTES_FIXTURE.values():
        whole = _without_links(dispute)
        assert undeclared(DISPUTE, {k: v for k, v in whole.items() if k != "messages"}) == []
        for message in whole["messages"]:
            assert undeclared(DISPUTE_MESSAGE, {"dispute_id": dispute["dispute_id"], **message}) == []
    for tracker in TRACKERS_FIXTURE:
        assert undeclared(SHIPMENT_TRACKER, _without_links(tracker)) == []
    for path in ("allowed_response_options", "fee_policy"):
        assert DISPUTE.field_for(path)[1].kind is Kind.INTERNAL
    assert DISPUTE_MESSAGE.fields["content"].kind is Kind.FREE_TEXT


def test_without_the_tracking_permission_trackers_are_a_shortfall_and_an_unknown_order_a_note(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=403, body=NOT_AUTHORIZED, match="/v1/shipping/trackers", times=None))
    sandbox.inject(Fault("paypal", status=404, body={"name": "RESOURCE_NOT_FOUND", "message": "The specified "
                         "resource does not exist.", "debug_id": "2c3d4e5f6a7b8"},
                         match=f"/v2/checkout/orders/{ODR_ORDER[0]}", times=None))
    pkg = run_export(DEMO, vendors=["paypal"], sleep=no_sleep)
    outcome = pkg.result.connectors["paypal"]
    assert outcome.status == "incomplete"
    [shortfall] = outcome.shortfalls
    assert shortfall.startswith("PayPal shipment trackers not searched: the REST app may not read them (403 "
                                "NOT_AUTHORIZED") and shortfall.endswith("Shipment Tracking (read) permission")
    assert pkg.records("paypal", "shipment_tracker") == [] and len(pkg.records("paypal", "dispute")) == 1
    assert pkg.records("paypal", "checkout_order") == []
    assert (f"PayPal transaction {ODR_ORDER[1]} names Orders v2 order {ODR_ORDER[0]}, which PayPal did not find "
            f"(GET /v2/checkout/orders/{ODR_ORDER[0]}: 404).") in outcome.notes
    [paid] = [r for r in pkg.records("paypal", "transaction") if r["source"]["vendor_id"] == ODR_ORDER[1]]
    assert "paypal_order_id" not in paid["data"]          # linked only to an order PayPal holds
