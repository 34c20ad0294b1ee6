"""The Silvasoft connector against the sandbox: the demo customer's relation, invoices and orders (nobody
else's), the number of calls it costs, lookups by invoice number offered by another connector, the 401 that
means "rate limit" (waited out) versus the 401 that means "bad credentials" (one-line failure), and the empty
200 body that means "no hits"."""

from __future__ import annotations

import base64
import json
import re
import runpy
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from aggregator import cli
from aggregator import config as config_mod
from aggregator.identifiers import CUSTOMER_NUMBER, INVOICE_NUMBER
from aggregator.invoice_index import Entry, InvoiceIndex, refresh
from aggregator.register import Register
from aggregator.sandbox import Fault
from aggregator.sandbox.server import to_toml
from aggregator.sandbox.vendors.silvasoft import API_KEY, CREDENTIALS_BODY, RATE_LIMIT_BODY, USERNAME
from connectors.silvasoft import LINES, SilvasoftConnector
from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER, offering_plugin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "silvasoft"
JAN_KNOWN = {"20250017": "2025-02-11", "20250102": "2025-06-30", "20260033": "2026-02-03", "20260150": "2026-09-18"}
JAN_MANUAL = "20260171"
JAN_INVOICES = set(JAN_KNOWN) | {JAN_MANUAL}
JAN_ORDERS = {"2025021", "2026014"}
# Jan's relation was created on 11-02-2025: 385 invoices since then -> 4 pages of 100 headers.
DEMO_CALLS = 1 + 4 + 1 + len(JAN_INVOICES)   # relation, invoice sweep, order sweep, invoices with lines


class Waits(list[float]):
    """A fake ``sleep`` that records every wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def hinter_plugin(numbers: dict[str, str]) -> object:
    """A "lightspeed" connector offering ``invoice_number`` identifiers (number -> date)."""
    return offering_plugin("hinter", INVOICE_NUMBER, [(n, {"date": day}) for n, day in numbers.items()])


@pytest.fixture
def run_export(run_export):
    """The shared ``run_export`` with a fake ``sleep`` by default (pacing at 2 requests/s would be real time)."""

    def _run(*args: Any, **kwargs: Any):
        kwargs.setdefault("sleep", Waits())
        return run_export(*args, **kwargs)

    return _run


def numbers(records: list[dict[str, Any]], key: str) -> set[str]:
    return {str(r["data"][key]) for r in records}


def silvasoft_get(sandbox, path: str, params: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None) -> requests.Response:
    h = {"ApiKey": API_KEY, "Username": USERNAME}
    h.update(headers or {})
    return requests.get(f"{sandbox.vendor_url('silvasoft')}/rest/{path}", params=params, headers=h,
                        verify=str(sandbox.ca_path), timeout=10)


# ------------------------------------------------------------------------------------------- the demo customer
def test_demo_customer_gets_relation_invoices_and_orders_and_nobody_elses(run_export, sandbox):
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits)
    outcome = pkg.result.connectors["silvasoft"]
    assert pkg.result.status == "complete", outcome.error

    relation = pkg.records("silvasoft", "relation")
    assert [r["data"]["CustomerNumber"] for r in relation] == [1001]
    assert relation[0]["data"]["Name"] == "Desmet Installaties"
    assert relation[0]["source"]["endpoint"] == "GET /rest/listrelations/?RelationEmail=jan.desmet%40example.be"
    contacts = pkg.records("silvasoft", "relation_contact")
    assert {c["data"]["Email"] for c in contacts} == {"jan.desmet@example.be"}   # his colleague Els: not his
    text = pkg.text()
    assert "els.desmet" not in text.lower() and "Els" not in text
    assert COLLEAGUE_NOTE in pkg.result.connectors["silvasoft"].notes
    address = pkg.records("silvasoft", "relation_address")
    assert address[0]["data"]["Address_Street"] == "Kerkstraat" and address[0]["data"]["Address_City"] == "Ardooie"

    invoices = pkg.records("silvasoft", "sales_invoice")
    assert numbers(invoices, "InvoiceNumber") == JAN_INVOICES          # the four known + the manual one
    assert all(i["data"]["CustomerNumber"] == 1001 for i in invoices)
    assert all("Invoice_InvoiceLine" not in i["data"] for i in invoices)
    lines = pkg.records("silvasoft", "sales_invoice_line")
    assert numbers(lines, "InvoiceNumber") == JAN_INVOICES
    assert {i["source"]["endpoint"] for i in invoices} == {
        f"GET /rest/listsalesinvoices/?InvoiceNumber={n}&IncludeInvoiceLinesInResponse=true&IncludeBase64PDF=true"
        for n in JAN_INVOICES}
    manual = next(i for i in invoices if str(i["data"]["InvoiceNumber"]) == JAN_MANUAL)
    assert manual["data"]["InvoiceReference"] == "Order 2026014"

    orders = pkg.records("silvasoft", "sales_order")
    assert numbers(orders, "OrderNumber") == JAN_ORDERS
    assert numbers(pkg.records("silvasoft", "sales_order_line"), "OrderNumber") == JAN_ORDERS

    text = pkg.text().lower()
    for other in ("sofie", "claes", "marijan", "izegem"):
        assert other not in text
    for record in pkg.records("silvasoft"):
        assert record["data"].get("CustomerNumber", 1001) == 1001

    # The call budget: what the manifest records is what the sandbox saw.
    assert outcome.calls == DEMO_CALLS == len(sandbox.requests_to("silvasoft"))
    assert pkg.manifest["connectors"]["silvasoft"]["calls"] == DEMO_CALLS
    assert outcome.notes == [COLLEAGUE_NOTE]   # Els, his colleague, is left out
    assert outcome.coverage == ["relations by e-mail: 1 of the requester's own, 0 with the requester as a contact "
                                "person", "invoices dated 2025-02-10 to today: all 385 (4 page(s))",
                                "sales orders dated 2025-02-10 to today: all 41 (1 page(s))"]
    assert outcome.undeclared == []
    # Paced at Silvasoft's advice (<= 2 requests in any second, counted from each answer): every other request waits
    # out the rest of the second since the answer two requests back, never longer than the second.
    assert len(waits) >= (DEMO_CALLS - 1) // 2 and all(0 < w <= 1.0 for w in waits) and max(waits) > 0.5


def test_other_real_customer_and_near_misses(run_export):
    sofie = run_export(OTHER, vendors=["silvasoft"])
    assert numbers(sofie.records("silvasoft", "relation"), "CustomerNumber") == {"1002"}
    assert numbers(sofie.records("silvasoft", "sales_invoice"), "InvoiceNumber") == {"20240088", "20250140",
                                                                                     "20260098"}
    assert "jan.desmet" not in sofie.text()

    for email in (NEAR_MISS, "desmet@example.be"):   # the sandbox's RelationEmail matches substrings
        pkg = run_export(email, vendors=["silvasoft"])
        assert pkg.result.status == "complete"
        assert pkg.records("silvasoft") == []
        assert pkg.result.connectors["silvasoft"].calls == 1


# ------------------------------------------------------------------------------------------- empty body
def test_empty_200_body_means_no_hits(run_export, sandbox):
    raw = silvasoft_get(sandbox, "listrelations/", {"RelationEmail": EMPTY})
    assert raw.status_code == 200 and raw.content == b""

    pkg = run_export(EMPTY, vendors=["silvasoft"])
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete" and outcome.records == 0 and outcome.calls == 1
    assert pkg.manifest["summary"]["no_data"] is True


def test_empty_body_on_an_invoice_page_ends_the_sweep(run_export, sandbox):
    sandbox.inject(Fault("silvasoft", status=200, body=b"", match="listsalesinvoices/?DateFrom", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    assert pkg.result.status == "complete"
    assert pkg.records("silvasoft", "sales_invoice") == []       # nothing swept, nothing known by number
    assert len(sandbox.requests_to("silvasoft", "listsalesinvoices/?DateFrom")) == 1


# ------------------------------------------------------------------------------------------- 401 vs 401
def test_rate_limit_401_is_waited_out_and_retried(run_export, sandbox):
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="listrelations", times=2))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits)
    outcome = pkg.result.connectors["silvasoft"]
    assert pkg.result.status == "complete", outcome.error
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert 60.0 in waits and 120.0 in waits                    # waited, doubling
    assert outcome.calls == DEMO_CALLS + 2
    assert any("hourly request limit" in n for n in outcome.notes)


def test_rate_limit_that_never_lifts_fails_in_one_line(run_export, sandbox):
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, times=None))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits, settings={"silvasoft": {"rate_limit_wait": 5}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "failed"
    assert outcome.error.startswith("silvasoft: 401 UNAUTHORIZED: Ratelimit exceeded")
    assert "\n" not in outcome.error
    assert [w for w in waits if w >= 5][:4] == [5.0, 10.0, 20.0, 40.0]
    assert outcome.calls == 8                                  # bounded attempts


def rate_limit_waits(waits: list[float]) -> list[float]:
    # Pacing waits left out: with a fake sleep the 2-per-second pacing owes 0.5 s a call, a few seconds at most.
    return [w for w in waits if w >= 30]


def test_rate_limit_doubling_restarts_after_a_success(run_export, sandbox):
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="listrelations", times=2))
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="listorders", times=1))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits)
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert rate_limit_waits(waits) == [60.0, 120.0, 60.0]       # the orders' first wait is 60 s again, not 240
    assert outcome.calls == DEMO_CALLS + 3
    assert any("hit 3 time(s)" in n for n in outcome.notes)


def test_rate_limit_waiting_is_capped_per_run(run_export, sandbox):
    # A limit that never lifts: 60 + 120 + 240 + 480 + 900 s = the default 1,800 s budget, then one line.
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, times=None))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits)
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "failed"
    assert rate_limit_waits(waits) == [60.0, 120.0, 240.0, 480.0, 900.0]
    assert outcome.calls == 6
    assert outcome.error.startswith("silvasoft: 401 UNAUTHORIZED: Ratelimit exceeded")
    assert "hourly request limit is exhausted" in outcome.error and "retry later" in outcome.error
    assert "\n" not in outcome.error


def test_rate_limit_budget_spans_the_whole_run(run_export, sandbox):
    # 900 s waited for the relation lookup (then it succeeds), the invoice sweep gets the other 900 s.
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="listrelations", times=4))
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="listsalesinvoices", times=None))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits)
    outcome = pkg.result.connectors["silvasoft"]
    # The relation was searched and is exported; the invoices and orders were not: incomplete, saying why.
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    assert rate_limit_waits(waits) == [60.0, 120.0, 240.0, 480.0, 60.0, 120.0, 240.0, 480.0]
    assert outcome.error.startswith("silvasoft: invoices and sales orders not searched to the end (Silvasoft's rate "
                                    "limit): 401 UNAUTHORIZED: Ratelimit exceeded")
    assert "hourly request limit is exhausted" in outcome.error and "\n" not in outcome.error
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}
    assert pkg.records("silvasoft", "sales_invoice") == pkg.records("silvasoft", "sales_order") == []

    waits = Waits()
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, times=None))
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits, settings={"silvasoft": {"max_rate_limit_wait": 300}})
    assert rate_limit_waits(waits) == [60.0, 120.0]               # 240 more would pass 300
    assert pkg.result.connectors["silvasoft"].calls == 3
    assert pkg.result.connectors["silvasoft"].status == "failed"   # nothing could be searched at all
    assert "retry later" in pkg.result.connectors["silvasoft"].error


def test_credential_401_fails_at_once_without_leaking_the_key(run_export, sandbox):
    waits = Waits()
    wrong = "wrong-key-0123456789abcdef"
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits, settings={"silvasoft": {"api_key": wrong}})
    outcome = pkg.result.connectors["silvasoft"]
    assert pkg.result.status == "partial" and outcome.status == "failed"
    assert outcome.error == ("silvasoft: 401 UNAUTHORIZED: Invalid authentication credentials (check username - "
                             "the account's login e-mail - and api_key) (GET /silvasoft/rest/listrelations/)")
    assert wrong not in pkg.text() and API_KEY not in pkg.text()
    assert outcome.calls == 1 and len(sandbox.requests_to("silvasoft")) == 1   # not retried
    assert not any(w >= 1 for w in waits)
    raw = silvasoft_get(sandbox, "listrelations/", {"RelationEmail": DEMO}, {"Username": "someone@else.example"})
    assert raw.status_code == 401 and raw.json() == CREDENTIALS_BODY


# ------------------------------------------------------------------------------------------- invoice numbers
def test_lookups_by_invoice_number_offered_by_another_connector(run_export, sandbox):
    offered = {**JAN_KNOWN, "20250140": "2025-08-19", "20269999": "2026-11-01", "INV-7": "2026-01-01"}
    pkg = run_export(DEMO, vendors=["silvasoft"], plugins=[hinter_plugin(offered)],
                     settings={"silvasoft": {"scan_pages": 0}, "hinter": {}})
    outcome = pkg.result.connectors["silvasoft"]
    # No sweep: invoices nobody else knows and the sales orders were not searched, so not complete.
    assert outcome.status == "incomplete"
    assert outcome.error == ("silvasoft: invoices that no other system knows by number were not searched "
                             "(scan_pages = 0); sales orders were not searched (scan_pages = 0)")
    # Only exact lookups: Jan's four known invoices; Sofie's 20250140 and the unknown 20269999 are not his.
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == set(JAN_KNOWN)
    assert len(pkg.records("silvasoft", "sales_invoice_line")) > 4
    assert "sofie" not in pkg.text().lower()
    looked_up = [r.query for r in sandbox.requests_to("silvasoft", "InvoiceNumber=")]
    assert sorted(q.split("&")[0] for q in looked_up) == sorted(
        f"InvoiceNumber={n}" for n in [*JAN_KNOWN, "20250140", "20269999"])
    assert sandbox.requests_to("silvasoft", "DateFrom") == []                     # no sweep at all
    assert outcome.calls == 1 + 6
    assert any("20250140" in n and "20269999" in n for n in outcome.notes)
    assert "invoices by the numbers other systems named: 6 looked up, 4 of the requester's" in outcome.coverage
    assert any("not numeric" in n for n in outcome.notes)


def test_known_numbers_found_by_the_sweep_are_not_looked_up_twice(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["silvasoft"], plugins=[hinter_plugin(JAN_KNOWN)], settings={"hinter": {}})
    outcome = pkg.result.connectors["silvasoft"]
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    per_number = [r.query.split("&")[0] for r in sandbox.requests_to("silvasoft", "InvoiceNumber=")]
    assert len(per_number) == len(set(per_number)) == len(JAN_INVOICES)
    assert outcome.calls == DEMO_CALLS


def test_an_explicit_page_cap_sweeps_less_and_says_so(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["silvasoft"], plugins=[hinter_plugin(JAN_KNOWN)],
                     settings={"silvasoft": {"requests_per_hour": 15, "scan_pages": 1}, "hinter": {}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    assert len(sandbox.requests_to("silvasoft", "listsalesinvoices/?DateFrom")) == 1    # the cap: 1 page
    assert outcome.calls == 1 + 1 + 1 + len(JAN_INVOICES) <= 15
    # Known numbers are looked up exactly; the manual invoice is recent, so the one page finds it; the reason
    # says what was not searched, the coverage what was.
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert outcome.error == ("silvasoft: invoices dated 2025-02-10 to 2026-05-31 that no other system knows by "
                             "number were not (fully) searched: the sweep stopped after 1 page(s) (scan_pages = 1; "
                             "leave it unset for a full search)")
    assert "invoices dated 2025-02-10 to today: the 100 newest (1 page(s)), back to 2026-05-31" in outcome.coverage
    assert "sales orders dated 2025-02-10 to today: all 41 (1 page(s))" in outcome.coverage


# ------------------------------------------------------------------------------------------- request details
MISMATCH_NOTE = ("withheld 1 Silvasoft relation(s) found by customer number {n} (given by {source}): a different "
                 "e-mail address; verify the requester's identity and run the request with that relation's address")
COLLEAGUE_NOTE = ("withheld 1 other contact person(s) of relation 3470112: their details are theirs, not the "
                  "requester's")


def customer_number_plugin(numbers: list[str]) -> object:
    """A "lightspeed" connector offering ``customer_number`` identifiers."""
    return offering_plugin("offerer", CUSTOMER_NUMBER, [(n, {}) for n in numbers])


def test_customer_number_named_in_the_request(run_export, sandbox):
    # Another address naming Jan's customer number gets nothing of Jan's: only a note.
    pkg = run_export("jan@desmet-installaties.example", vendors=["silvasoft"], customer_number="1001")
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert pkg.records("silvasoft") == []
    assert sandbox.requests_to("silvasoft", "RelationNumber=1001")
    assert sandbox.requests_to("silvasoft", "listsalesinvoices") == []
    assert outcome.notes == [MISMATCH_NOTE.format(n=1001, source="the request")]
    assert "jan.desmet" not in pkg.text() and "kerkstraat" not in pkg.text().lower()

    # The relation's own address: found by the number when the e-mail lookup misses it (here: an empty reply).
    sandbox.inject(Fault("silvasoft", status=200, body=b"", match="RelationEmail=", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"], customer_number="1001")
    outcome = pkg.result.connectors["silvasoft"]
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert outcome.notes == [COLLEAGUE_NOTE]   # Els, his colleague, is left out


def test_customer_number_of_another_relation_pulls_in_nothing_of_theirs(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["silvasoft"], customer_number="1002")
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert numbers(pkg.records("silvasoft", "sales_order"), "OrderNumber") == JAN_ORDERS
    for record in pkg.records("silvasoft"):
        assert record["data"].get("CustomerNumber", 1001) == 1001
    text = pkg.text().lower()
    for other in ("sofie", "claes", "stationsplein", "20240088", "20250140", "20260098"):
        assert other not in text
    assert MISMATCH_NOTE.format(n=1002, source="the request") in outcome.notes


def test_customer_number_offered_by_another_connector_follows_the_same_rule(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["silvasoft"], plugins=[customer_number_plugin(["1002", "1001"])],
                     settings={"offerer": {}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert "sofie" not in pkg.text().lower()
    assert MISMATCH_NOTE.format(n=1002, source="offerer") in outcome.notes
    assert sandbox.requests_to("silvasoft", "RelationNumber=1001") == []      # already found by e-mail


def test_contact_person_gets_only_their_own_contact_entry(run_export, sandbox):
    for kwargs in ({}, {"customer_number": "1001"}):
        pkg = run_export("Els.Desmet@example.be", vendors=["silvasoft"], **kwargs)
        outcome = pkg.result.connectors["silvasoft"]
        assert outcome.status == "complete", outcome.error
        records = pkg.records("silvasoft")
        assert [(r["dataset"], r["data"]["FirstName"], r["data"]["Email"]) for r in records] == [
            ("relation_contact", "Els", "els.desmet@example.be")]
        assert "third_parties" not in records[0]
        for dataset in ("relation", "relation_address", "sales_invoice", "sales_order"):
            assert pkg.records("silvasoft", dataset) == []
        text = pkg.text().lower()
        for other in ("jan.desmet", "installaties", "kerkstraat", "0712345678", "475 12 34 56"):
            assert other not in text, other
        own = json.dumps([records, outcome.notes]).lower()
        for other in ("jan", "ardooie", "1001"):
            assert other not in own, other
        assert outcome.calls == 1                                   # no invoice or order sweep at all
        assert len(outcome.notes) == 1 and "contact person" in outcome.notes[0]
        assert "invoices" in outcome.notes[0]


def test_pdfs_are_attached_by_default(run_export, sandbox):
    pkg = run_export(DEMO, vendors=["silvasoft"])
    names = [n for n in pkg.zip.namelist() if n.startswith("attachments/silvasoft/")]
    assert sorted(names) == sorted(f"attachments/silvasoft/silvasoft-invoice-{n}.pdf" for n in JAN_INVOICES)
    assert all(pkg.zip.read(n).startswith(b"%PDF-") for n in names)
    invoices = pkg.records("silvasoft", "sales_invoice")
    assert all("Base64PDF" not in i["data"] and i["data"]["pdf_attachment"] in names for i in invoices)
    assert all("IncludeBase64PDF=true" in r.query for r in sandbox.requests_to("silvasoft", "InvoiceNumber="))
    assert not [n for n in pkg.result.connectors["silvasoft"].notes if "PDF" in n]


def test_pdfs_can_be_switched_off_without_costing_a_request(run_export, sandbox):
    with_pdfs = run_export(DEMO, vendors=["silvasoft"]).result.connectors["silvasoft"].calls
    sandbox.log.clear()
    pkg = run_export(DEMO, vendors=["silvasoft"], settings={"silvasoft": {"include_pdf": False}})
    assert not [n for n in pkg.zip.namelist() if n.startswith("attachments/")]
    assert all("pdf_attachment" not in i["data"] for i in pkg.records("silvasoft", "sales_invoice"))
    assert not [r for r in sandbox.requests_to("silvasoft") if "IncludeBase64PDF" in r.query]
    assert pkg.result.connectors["silvasoft"].calls == with_pdfs    # the PDFs ride on the invoice lookups


def _padded_pdf(size: int) -> bytes:
    """A PDF of ``size`` bytes (a comment pads it), as a scanned or logo-heavy invoice would be."""
    head = b"%PDF-1.4\n%"
    tail = b"\n%%EOF\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_pdf_over_the_cap_is_left_out_with_a_note(run_export, sandbox):
    big = [dict(inv, Base64PDF=base64.b64encode(_padded_pdf(6 * 1024)).decode("ascii"))
           for inv in json.loads((FIXTURES / "salesinvoices.json").read_text())
           if inv["InvoiceNumber"] == int(JAN_MANUAL)]
    sandbox.inject(Fault("silvasoft", status=200, body=json.dumps(big), match=f"InvoiceNumber={JAN_MANUAL}&",
                         times=None))
    pkg = run_export(DEMO, vendors=["silvasoft"], settings={"silvasoft": {"max_pdf_kb": 5}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    names = sorted(n for n in pkg.zip.namelist() if n.startswith("attachments/silvasoft/"))
    assert names == sorted(f"attachments/silvasoft/silvasoft-invoice-{n}.pdf" for n in JAN_INVOICES - {JAN_MANUAL})
    manual = [i for i in pkg.records("silvasoft", "sales_invoice") if str(i["data"]["InvoiceNumber"]) == JAN_MANUAL]
    assert manual and "pdf_attachment" not in manual[0]["data"] and "Base64PDF" not in manual[0]["data"]
    notes = [n for n in outcome.notes if "PDF" in n]
    assert len(notes) == 1 and JAN_MANUAL in notes[0] and "6.0 KB" in notes[0] and "max_pdf_kb (5 KB)" in notes[0]


def test_lines_parameter_falls_back_to_the_tables_spelling(run_export, sandbox):
    header_only = [{k: v for k, v in inv.items() if k != "Invoice_InvoiceLine"}
                   for inv in json.loads((FIXTURES / "salesinvoices.json").read_text())
                   if inv["InvoiceNumber"] == int(JAN_MANUAL)]
    sandbox.inject(Fault("silvasoft", status=200, body=json.dumps(header_only),
                         match=f"InvoiceNumber={JAN_MANUAL}&IncludeInvoiceLinesInResponse", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    assert numbers(pkg.records("silvasoft", "sales_invoice_line"), "InvoiceNumber") == JAN_INVOICES
    assert sandbox.requests_to("silvasoft", "InlcudeInvoiceLinesInResponse=true")


# ------------------------------------------------------------------------------------------- settings
@pytest.mark.parametrize(("change", "key"), [
    ({"base_url": None}, "base_url"),                       # missing (required)
    ({"username": None}, "username"),
    ({"api_key": None}, "api_key"),
    ({"base_url": "http://rest-api.silvasoft.nl/rest/"}, "base_url"),   # not https
    ({"requests_per_hour": "many"}, "requests_per_hour"),   # wrong type
    ({"requests_per_hour": 0}, "requests_per_hour"),        # out of bounds
    ({"requests_per_hour": 10_001}, "requests_per_hour"),
    ({"requests_per_hour": 1.5}, "requests_per_hour"),
    ({"scan_pages": -1}, "scan_pages"),
    ({"scan_pages": 10_001}, "scan_pages"),
    ({"max_hourly_wait": -1}, "max_hourly_wait"),
    ({"index_recheck_days": -1}, "index_recheck_days"),
    ({"include_pdf": "yes"}, "include_pdf"),
    ({"max_pdf_kb": 0}, "max_pdf_kb"),
    ({"max_pdf_kb": "1MB"}, "max_pdf_kb"),
    ({"rate_limit_wait": 0}, "rate_limit_wait"),
    ({"rate_limit_wait": 901}, "rate_limit_wait"),
    ({"max_rate_limit_wait": -1}, "max_rate_limit_wait"),
    ({"max_rate_limit_wait": "1h"}, "max_rate_limit_wait"),
    ({"timeout": 0}, "timeout"),
    ({"scan_page": 2}, "scan_page"),                        # unknown key (a typo)
    ({"max_rate_limit_wait": 30}, "max_rate_limit_wait"),   # cross-field: less than one rate_limit_wait
])
def test_a_bad_setting_stops_the_export_before_any_request(sandbox, tmp_path, capsys, change, key):
    mapping = sandbox.config_mapping(["silvasoft"])
    section = mapping["connectors"]["silvasoft"]
    for name, value in change.items():
        if value is None:
            del section[name]
        else:
            section[name] = value
    path = tmp_path / "dsar.toml"
    path.write_text(to_toml(mapping), encoding="utf-8")
    code = cli.main(["export", DEMO, "--config", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert f"connectors.silvasoft.{key} " in err[0] or f"connectors.silvasoft has no setting {key} " in err[0], err
    assert API_KEY not in err[0]
    assert sandbox.log == []


def test_settings_come_typed_with_defaults():
    typed = SilvasoftConnector.check_settings({"base_url": "https://x/rest/", "username": "a@b.c", "api_key": "k"})
    assert typed == {"base_url": "https://x/rest/", "username": "a@b.c", "api_key": "k", "requests_per_hour": 15,
                     "scan_pages": None, "include_pdf": True, "max_pdf_kb": 10240, "rate_limit_wait": 60.0,
                     "max_rate_limit_wait": 1800.0,
                     "max_hourly_wait": 21600.0, "index_recheck_days": 30,
                     "timeout": 30.0, "answer_deadline": 300.0, "max_answer_mb": 100}
    assert SilvasoftConnector.secret_settings == ("api_key",)
    assert SilvasoftConnector.check_settings({**typed, "max_rate_limit_wait": 0})["max_rate_limit_wait"] == 0


# ------------------------------------------------------------------------------------------- declared datasets
@pytest.mark.parametrize(("email", "extra"), [
    (DEMO, {}), (DEMO, {"include_pdf": False}), (OTHER, {}), (NEAR_MISS, {}), ("desmet@example.be", {}), (EMPTY, {}),
    ("Els.Desmet@example.be", {}), ("jan@desmet-installaties.example", {}),
])
def test_every_exported_field_is_declared(run_export, email, extra):
    pkg = run_export(email, vendors=["silvasoft"], settings={"silvasoft": extra},
                     customer_number="1001" if email.startswith("jan@") else None)
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert outcome.undeclared == []
    datasets = {d.name for d in SilvasoftConnector.datasets}
    assert {r["dataset"] for r in pkg.records("silvasoft")} <= datasets


def test_an_undeclared_field_is_reported(run_export, sandbox):
    relations = json.loads((FIXTURES / "relations.json").read_text(encoding="utf-8"))
    jan = next(r for r in relations if r["CustomerNumber"] == 1001)
    extra = {**jan, "LoyaltyTier": "gold",
             "Relation_Contact": [{**c, "Nickname": "Jan"} for c in jan["Relation_Contact"]]}
    sandbox.inject(Fault("silvasoft", body=json.dumps([extra]), match="RelationEmail=", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.undeclared == ["relation: LoyaltyTier", "relation_contact: Nickname"]
    assert any("do not declare" in n or "does not declare" in n for n in outcome.notes)


def test_another_address_on_an_invoice_or_order_is_exported_once_and_declared(run_export, sandbox):
    elsewhere = {"Address_Street": "Stationsstraat", "Address_Unit": "5", "Address_UnitAppendix": "",
                 "Address_PostalCode": "8800", "Address_City": "Roeselare", "Address_CountryCode": "BE"}
    orders = [o for o in json.loads((FIXTURES / "orders.json").read_text(encoding="utf-8"))
              if str(o["OrderNumber"]) in JAN_ORDERS]
    moved = [{**o, "Order_Address": [{**elsewhere, "Address_Type": "ShippingAddress"}]} for o in orders]
    invoice = silvasoft_get(sandbox, "listsalesinvoices/", {"InvoiceNumber": JAN_MANUAL, LINES: "true"}).json()[0]
    billed = {**invoice, "Invoice_Address": [{**elsewhere, "Address_Type": "BillingAddress"}]}
    sandbox.clear()
    sandbox.inject(Fault("silvasoft", body=json.dumps(moved), match="listorders/?DateFrom=", times=1))
    sandbox.inject(Fault("silvasoft", body=json.dumps([billed]), match=f"InvoiceNumber={JAN_MANUAL}&", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete" and outcome.undeclared == []
    # The same address on the invoice and on both orders: exported once, with the invoice that had it first.
    assert [(r["dataset"], r["data"].get("InvoiceNumber"), r["data"]["Address_City"])
            for r in pkg.records("silvasoft") if r["dataset"].endswith("_address")] == [
        ("relation_address", None, "Ardooie"), ("invoice_address", int(JAN_MANUAL), "Roeselare")]


# ------------------------------------------------------------------------------------------- paging
def test_an_invoice_page_repeating_an_earlier_one_fails_the_connector(run_export, sandbox):
    first = silvasoft_get(sandbox, "listsalesinvoices/", {"DateFrom": "10-02-2025", "Limit": 100, "Offset": 0})
    sandbox.clear()
    sandbox.inject(Fault("silvasoft", body=first.content, match="listsalesinvoices/?DateFrom=10-02-2025&Limit=100&"
                                                                  "Offset=100", times=1))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "failed"
    assert outcome.error == ("silvasoft: paging did not advance at GET /rest/listsalesinvoices/?DateFrom=10-02-2025 "
                             "(page 2 repeats an earlier page)")
    assert len(sandbox.requests_to("silvasoft", "listsalesinvoices/?DateFrom")) == 2


def test_an_order_page_repeating_an_earlier_one_fails_the_connector(run_export, sandbox):
    full = silvasoft_get(sandbox, "listorders/", {"Limit": 50})       # a full page of 50, answered every time
    assert len(full.json()) == 50
    sandbox.clear()
    sandbox.inject(Fault("silvasoft", body=full.content, match="listorders/?DateFrom=", times=None))
    pkg = run_export(DEMO, vendors=["silvasoft"])
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "failed"
    assert outcome.error == ("silvasoft: paging did not advance at GET /rest/listorders/?DateFrom=10-02-2025 "
                             "(page 2 repeats an earlier page)")
    assert len(sandbox.requests_to("silvasoft", "listorders/")) == 2


def test_a_rate_limit_during_the_invoice_lookups_keeps_what_was_found(run_export, sandbox):
    # The sweeps ran; the limit hits the per-invoice lookups and outlasts a budget of one wait.
    sandbox.inject(Fault("silvasoft", status=401, body=RATE_LIMIT_BODY, match="InvoiceNumber=", times=None))
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits, settings={"silvasoft": {"max_rate_limit_wait": 60}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    assert outcome.error.startswith("silvasoft: invoices not searched to the end (Silvasoft's rate limit): 401 "
                                    "UNAUTHORIZED: Ratelimit exceeded (the plan's hourly request limit is exhausted")
    assert rate_limit_waits(waits) == [60.0]
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}
    assert numbers(pkg.records("silvasoft", "sales_order"), "OrderNumber") == JAN_ORDERS   # the sweep finished
    assert pkg.records("silvasoft", "sales_invoice") == []
    assert any("hit 2 time(s)" in n for n in outcome.notes)
    assert outcome.calls == 1 + 4 + 1 + 2                      # nothing is sent once the budget is spent


# ------------------------------------------------------------------------------------------- sandbox and fixtures
def test_sandbox_pages_and_shapes_like_silvasoft(sandbox):
    page = silvasoft_get(sandbox, "listsalesinvoices/", {"Limit": 500})
    assert page.status_code == 200 and isinstance(page.json(), list) and len(page.json()) == 100
    got = [i["InvoiceNumber"] for i in page.json()]
    assert got == sorted(got, reverse=True) and all("Invoice_InvoiceLine" not in i for i in page.json())
    with_lines = silvasoft_get(sandbox, "listsalesinvoices/", {"Limit": 500, "IncludeInvoiceLinesInResponse": "true"})
    assert len(with_lines.json()) == 50 and all(i["Invoice_InvoiceLine"] for i in with_lines.json())
    pdf = silvasoft_get(sandbox, "listsalesinvoices/", {"InvoiceNumber": JAN_MANUAL, "IncludeBase64PDF": "true"})
    assert base64.b64decode(pdf.json()[0]["Base64PDF"]).startswith(b"%PDF-")
    assert len(silvasoft_get(sandbox, "listrelations/", {"Limit": 999}).json()) <= 200
    assert len(silvasoft_get(sandbox, "listorders/", {"Limit": 999}).json()) == 50
    bad = silvasoft_get(sandbox, "listorders/", {"DateFrom": "2025-01-01"})
    assert bad.status_code == 400 and set(bad.json()) == {"errorCode", "errorMessage"}


def test_fixtures_are_generated_and_big_enough():
    generated = runpy.run_path(str(FIXTURES / "generate.py"))          # not __main__: builds, does not write
    for name, key in (("relations.json", "relations"), ("salesinvoices.json", "invoices"), ("orders.json", "orders")):
        on_disk = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        assert isinstance(on_disk, list) and on_disk == generated[key], f"{name} is stale: rerun generate.py"
    invoices = generated["invoices"]
    assert len([i for i in invoices if i["CustomerNumber"] != 1001]) >= 300
    assert {str(i["InvoiceNumber"]) for i in invoices if i["CustomerNumber"] == 1001} == JAN_INVOICES
    jan = next(r for r in generated["relations"] if r["CustomerNumber"] == 1001)
    assert len(jan["Relation_Contact"]) >= 2
    for inv in invoices:
        if str(inv["InvoiceNumber"]) in JAN_KNOWN:
            day, month, year = inv["InvoiceDate"].split("-")
            assert f"{year}-{month}-{day}" == JAN_KNOWN[str(inv["InvoiceNumber"])]
    assert sum(len(p.read_bytes()) for p in FIXTURES.glob("*.json")) < 3_000_000


# ------------------------------------------------------------------------------------------- the plan's hourly limit
class Statuses(list[str]):
    """A progress callback that keeps Silvasoft's statuses."""

    def __call__(self, name: str, records: int, status: str) -> None:
        if name == "silvasoft":
            self.append(str(status))


def test_a_tiny_hourly_limit_waits_for_the_next_hours_and_finds_every_invoice(run_export, sandbox):
    # 3 requests an hour for 11 requests (4 sweep pages among them): three waits for the next window, fake clock.
    waits, statuses = Waits(), Statuses()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits, progress=statuses,
                     settings={"silvasoft": {"requests_per_hour": 3}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete" and pkg.result.status == "complete", outcome.error
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert numbers(pkg.records("silvasoft", "sales_order"), "OrderNumber") == JAN_ORDERS
    assert outcome.calls == DEMO_CALLS == len(sandbox.requests_to("silvasoft"))
    hourly = [w for w in waits if w > 60]
    assert len(hourly) == 3 and all(3000 < w <= 3600.01 for w in hourly)
    waiting = [s for s in statuses if s.startswith("waiting")]
    assert len(waiting) == 3
    assert all(re.fullmatch(r"waiting for Silvasoft's hourly limit until \d\d:\d\d", s) for s in waiting)
    assert statuses[-1] == "complete"
    assert any(n.startswith("waited 3 time(s) for Silvasoft's hourly limit (3 requests an hour), ")
               for n in outcome.notes)


def test_the_hourly_wait_is_capped_and_the_export_says_what_was_not_searched(run_export, sandbox):
    # 2 requests an hour, at most 1 hour of waiting: relation + page 1, wait, pages 2 and 3, then the cap.
    waits = Waits()
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=waits,
                     settings={"silvasoft": {"requests_per_hour": 2, "max_hourly_wait": 3600}})
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "incomplete" and pkg.result.status == "partial"
    assert len(sandbox.requests_to("silvasoft")) == 4 == outcome.calls    # two hours' worth, then the cap
    assert len([w for w in waits if w > 60]) == 1
    assert outcome.error.startswith("silvasoft: invoices dated 2025-02-10 to 2025-")
    assert ("that no other system knows by number were not (fully) searched: the sweep stopped after 3 page(s): "
            "the plan's 2 requests an hour are used up and waiting 1 h more would exceed max_hourly_wait (1 h; "
            "1 h waited this run)") in outcome.error
    assert numbers(pkg.records("silvasoft", "relation"), "CustomerNumber") == {"1001"}   # what it found is kept


def test_a_reached_cap_exits_3_with_the_reason(sandbox, tmp_path, capsys):
    mapping = sandbox.config_mapping(["silvasoft"])
    mapping["connectors"]["silvasoft"].update({"requests_per_hour": 2, "max_hourly_wait": 0})
    path = tmp_path / "dsar.toml"
    path.write_text(to_toml(mapping), encoding="utf-8")
    code = cli.main(["export", DEMO, "--config", str(path), "--out", str(tmp_path / "out"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3
    silvasoft = out["connectors"]["silvasoft"]
    assert silvasoft["status"] == "incomplete" and silvasoft["calls"] == 2
    assert "the plan's 2 requests an hour are used up" in silvasoft["error"]
    assert "max_hourly_wait (0 s" in silvasoft["error"]


# ------------------------------------------------------------------------------------------- the invoice index
def test_the_second_export_uses_the_invoice_index(run_export, sandbox, tmp_path):
    register = tmp_path / "reg" / "register.sqlite3"
    first = run_export(DEMO, vendors=["silvasoft"], register=register, request_id="first",
                       settings={"silvasoft": {"requests_per_hour": 3}})
    assert first.result.connectors["silvasoft"].calls == DEMO_CALLS     # the first export pays the sweep once
    index = InvoiceIndex(register, "silvasoft")
    cov = index.coverage()
    assert cov is not None and cov.start == date(2025, 2, 10)
    assert len(index) == 385
    assert {e.number for e in index.of_customers(["1001"])} == JAN_INVOICES
    sandbox.clear()

    waits = Waits()
    second = run_export(DEMO, vendors=["silvasoft"], register=register, request_id="second", sleep=waits,
                        settings={"silvasoft": {"requests_per_hour": 3}})
    outcome = second.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert numbers(second.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    # relation, one page of invoices since the last sync (less 7 days), orders, the invoices with lines
    sweeps = sandbox.requests_to("silvasoft", "listsalesinvoices/?DateFrom")
    assert len(sweeps) == 1 and outcome.calls == 1 + 1 + 1 + len(JAN_INVOICES)
    assert any(c.startswith("invoices dated 2025-02-10 to today: by the invoice index (385 invoice(s) indexed; 1 "
                            "request(s)") for c in outcome.coverage)
    sandbox.clear()

    # Another customer, older than what the index reaches: only the dates in between are swept.
    sofie = run_export(OTHER, vendors=["silvasoft"], register=register, request_id="third")
    assert numbers(sofie.records("silvasoft", "sales_invoice"), "InvoiceNumber") == {"20240088", "20250140",
                                                                                     "20260098"}
    older = sandbox.requests_to("silvasoft", "DateTill=09-02-2025")
    assert older and all("DateFrom=01-05-2024" in r.query for r in older)
    assert index.coverage().start == date(2024, 5, 1)
    sandbox.clear()
    again = run_export(OTHER, vendors=["silvasoft"], register=register, request_id="fourth")
    assert again.result.connectors["silvasoft"].status == "complete"
    assert sandbox.requests_to("silvasoft", "DateTill=") == []          # nothing older to sweep now


def test_an_invoice_the_index_lists_but_silvasoft_moved_is_not_exported(run_export, sandbox, tmp_path):
    register = tmp_path / "reg" / "register.sqlite3"
    run_export(DEMO, vendors=["silvasoft"], register=register, request_id="first")
    index = InvoiceIndex(register, "silvasoft")
    index.put([Entry("20260098", "1001", date(2026, 6, 1))])         # stale: it is Sofie's in Silvasoft
    pkg = run_export(DEMO, vendors=["silvasoft"], register=register, request_id="second")
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES
    assert "sofie" not in pkg.text().lower()
    assert index.customers()["20260098"] == "1002"                   # corrected from the lookup
    assert any("20260098" in n and "no longer theirs" in n for n in pkg.result.connectors["silvasoft"].notes)


def test_index_refresh_is_incremental_and_full_on_demand(sandbox, tmp_path):
    register = Register.open(tmp_path / "reg" / "register.sqlite3")
    cfg = config_mod.from_mapping(sandbox.config_mapping(["silvasoft"]), env={}, source="<test>")
    total = len(json.loads((FIXTURES / "salesinvoices.json").read_text(encoding="utf-8")))
    first = refresh("silvasoft", cfg, register, sleep=Waits(), adapters=sandbox.adapters(), entry_points=False)
    assert first.status == "complete" and first.indexed == total
    assert first.calls == -(-total // 100)     # 100 headers a page (a full last page would cost one more)
    sandbox.clear()
    again = refresh("silvasoft", cfg, register, sleep=Waits(), adapters=sandbox.adapters(), entry_points=False)
    assert again.calls == 1 and again.indexed == total                # only what is new since the last sync
    InvoiceIndex(register.path, "silvasoft").put([Entry("99999999", "1001", date(2026, 1, 1))])   # deleted since
    full = refresh("silvasoft", cfg, register, full=True, sleep=Waits(), adapters=sandbox.adapters(),
                   entry_points=False)
    assert full.calls == first.calls and full.indexed == total
    assert "99999999" not in InvoiceIndex(register.path, "silvasoft").customers()


def test_dsar_index_command(sandbox, tmp_path, capsys):
    path = tmp_path / "dsar.toml"
    path.write_text(to_toml(sandbox.config_mapping(["silvasoft"])), encoding="utf-8")
    register = tmp_path / "reg" / "register.sqlite3"
    assert cli.main(["index", "silvasoft", "--config", str(path), "--register", str(register), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    total = len(json.loads((FIXTURES / "salesinvoices.json").read_text(encoding="utf-8")))
    assert out["status"] == "complete" and out["indexed"] == total and out["calls"] == -(-total // 100)
    assert cli.main(["index", "lightspeed", "--config", str(path), "--register", str(register)]) == 2
    assert "keeps no invoice index" in capsys.readouterr().err


def test_the_index_holds_no_names_amounts_or_lines(run_export, tmp_path):
    register = tmp_path / "reg" / "register.sqlite3"
    run_export(DEMO, vendors=["silvasoft"], register=register, request_id="first")
    with sqlite3.connect(register) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(invoice_index)")]
        rows = conn.execute("SELECT * FROM invoice_index").fetchall()
    assert columns == ["connector", "number", "customer", "invoice_date"]
    assert rows and "Desmet" not in repr(rows)


def test_an_export_re_checks_the_index_when_the_last_check_is_old(run_export, sandbox, tmp_path):
    register = tmp_path / "reg" / "register.sqlite3"
    run_export(DEMO, vendors=["silvasoft"], register=register, request_id="first")
    index = InvoiceIndex(register, "silvasoft")
    cov = index.coverage()
    index.set_coverage(cov.start, cov.end, checked=True, now=datetime(2026, 1, 1, tzinfo=UTC))   # long ago
    index.put([Entry("20251234", "1001", date(2025, 6, 1))])        # an invoice Silvasoft no longer has
    sandbox.clear()
    pkg = run_export(DEMO, vendors=["silvasoft"], register=register, request_id="second")
    outcome = pkg.result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert len(sandbox.requests_to("silvasoft", "listsalesinvoices/?DateFrom=10-02-2025")) == 4   # every page again
    assert "20251234" not in index.customers()
    assert index.coverage().checked_at > datetime(2026, 11, 1, tzinfo=UTC)
    assert numbers(pkg.records("silvasoft", "sales_invoice"), "InvoiceNumber") == JAN_INVOICES


def test_a_resume_after_the_cap_sweeps_only_what_the_index_still_lacks(run_export, sandbox, tmp_path):
    register = tmp_path / "reg" / "register.sqlite3"
    first = run_export(DEMO, vendors=["silvasoft"], register=register, request_id="capped",
                       settings={"silvasoft": {"requests_per_hour": 2, "max_hourly_wait": 3600}})
    assert first.result.connectors["silvasoft"].status == "incomplete"
    index = InvoiceIndex(register, "silvasoft")
    reached = index.coverage().start
    assert len(index) == 300 and reached > date(2025, 2, 10)           # three pages read, kept in the index
    sandbox.clear()

    mapping = sandbox.config_mapping(["silvasoft"])
    cfg = config_mod.from_mapping(mapping, env={}, source="<test>")
    result = Register.open(register).resume("capped", config=cfg, sleep=Waits(), adapters=sandbox.adapters(),
                                            entry_points=False)
    outcome = result.connectors["silvasoft"]
    assert outcome.status == "complete", outcome.error
    assert index.coverage().start == date(2025, 2, 10) and len(index) == 385
    older = sandbox.requests_to("silvasoft", "DateTill=")
    assert len(older) == 1 and f"DateTill={(reached - timedelta(days=1)):%d-%m-%Y}" in older[0].query
    assert outcome.calls == 1 + 1 + 1 + 1 + len(JAN_INVOICES)   # relation, new, older, orders, invoices
