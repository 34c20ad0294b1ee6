"""All five connectors at once against the sandbox, as `make demo` runs them: every processor answers, the
identifiers one finds reach the others, and nobody else's data or any secret reaches the package."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER

ALL = ["lightspeed", "mailchimp", "office365", "paypal", "silvasoft"]
FAST = {"lightspeed": {"requests_per_second": 0}}


@pytest.fixture(scope="module")
def full(sandbox, tmp_path_factory):
    import zipfile

    from aggregator import config as config_mod
    from aggregator.api import export
    from tests.conftest import Package

    sandbox.clear()
    mapping = sandbox.config_mapping()
    mapping["connectors"]["lightspeed"].update(FAST["lightspeed"])
    result = export(DEMO, config=config_mod.from_mapping(mapping, env={}), out_dir=tmp_path_factory.mktemp("e2e"),
                    entry_points=False)
    zf = zipfile.ZipFile(result.package)
    sandbox.clear()
    return Package(result, json.loads(zf.read("manifest.json")), zf), mapping


def test_every_processor_answers_for_the_demo_customer(full):
    pkg, _ = full
    assert pkg.result.status == "complete"
    for name in ALL:
        outcome = pkg.result.connectors[name]
        assert outcome.status == "complete" and outcome.records > 0, (name, outcome.error)
    found = {p["key"] for p in pkg.manifest["processors"] if p["categories"]}
    assert found == {*ALL, "transport"}


def test_identifiers_cross_connectors(full):
    pkg, _ = full
    tx_ids = {r["data"].get("transaction_info", {}).get("transaction_id") or r["source"]["vendor_id"]
              for r in pkg.data("payments", "paypal")}
    # paid from Jan's other PayPal account: only Lightspeed's order names it
    assert "5TY05013RM123456E" in tx_ids
    # ...but from another PayPal address: its payer details are withheld, and that address is offered to nobody
    assert "email" not in pkg.manifest["identifiers"]
    assert "jan.desmet.prive@example.be" not in pkg.text()
    invoices = {r["source"]["vendor_id"] for r in pkg.records("silvasoft", "sales_invoice")}
    assert {"20250017", "20250102", "20260033", "20260150"} <= invoices


def test_no_other_customer_and_no_secret_in_the_package(full):
    pkg, mapping = full
    text = pkg.text()
    for other in (OTHER, "Sofie", "Claes", NEAR_MISS):
        assert other not in text, other
    for name, settings in mapping["connectors"].items():
        for key in ("api_key", "api_secret", "client_secret"):
            if key in settings:
                assert str(settings[key]) not in text, (name, key)


def test_third_parties_are_marked_for_redaction(full):
    pkg, _ = full
    marked = [r for r in pkg.data("communications", "office365") if r.get("third_parties")]
    assert marked and all(DEMO not in r["third_parties"] for r in marked)
    assert all(not a.endswith("@megasecurity.eu") for r in marked for a in r["third_parties"])


def test_nobody_anywhere(run_export):
    pkg = run_export(EMPTY, ALL, FAST)
    assert pkg.result.status == "complete"
    assert pkg.manifest["summary"]["no_data"] is True
    assert [n for n in pkg.zip.namelist() if n.startswith("data/")] == []


def test_no_secret_or_token_in_any_log_line_even_at_debug(run_export, sandbox, caplog):
    import logging
    import re

    caplog.set_level(logging.DEBUG)
    mapping = sandbox.config_mapping()
    run_export(OTHER, ALL, FAST)
    text = caplog.text
    assert "GET" in text or "POST" in text                     # debug logging really was on
    for name, settings in mapping["connectors"].items():
        for key in ("api_key", "api_secret", "client_secret"):
            if key in settings:
                assert str(settings[key]) not in text, (name, key)
    assert not re.search(r"(?i)bearer\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}", text)
