"""The Lightspeed eCom connector against the sandbox: paging, scoping, identifiers, pacing and failures."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from aggregator.errors import VendorError
from aggregator.sandbox import Fault
from connectors.lightspeed import RateLimitHeaders, _paypal_ids
from tests.conftest import DEMO, EMPTY, NEAR_MISS, OTHER

FAST = {"lightspeed": {"requests_per_second": 0}}   # the 20/s pace is real but not what these tests are about


@pytest.fixture(scope="module")
def demo_pkg(sandbox, tmp_path_factory):
    """One full export of the demo customer (260 orders), shared by the read-only tests below."""
    import zipfile

    from aggregator import config as config_mod
    from aggregator.api import export
    from tests.conftest import Package

    mapping = sandbox.config_mapping(["lightspeed"])
    mapping["connectors"]["lightspeed"].update(FAST["lightspeed"])
    sandbox.clear()
    result = export(DEMO, config=config_mod.from_mapping(mapping, env={}), out_dir=tmp_path_factory.mktemp("ls"),
                    entry_points=False)
    log = sandbox.requests_to("lightspeed")
    zf = zipfile.ZipFile(result.package)
    sandbox.clear()
    return Package(result, json.loads(zf.read("manifest.json")), zf), log


def test_all_260_orders_are_collected_across_pages(demo_pkg):
    pkg, log = demo_pkg
    orders = pkg.records("lightspeed", "order")
    assert len(orders) == 260
    assert len({o["data"]["number"] for o in orders}) == 260
    pages = [x.query for x in log if x.path == "/nl/orders.json"]
    assert any("page=2" in q for q in pages) and all("limit=250" in q for q in pages)
    assert pkg.result.connectors["lightspeed"].status == "complete"


def test_pages_sent_ahead_are_used_and_nothing_is_asked_twice(demo_pkg):
    pkg, log = demo_pkg
    asked = Counter(f"{x.path}?{x.query}" for x in log)
    assert [request for request, n in asked.items() if n > 1] == []
    assert pkg.result.connectors["lightspeed"].calls == len(log)


def test_answers_sent_ahead_are_the_ones_used(run_export, monkeypatch):
    from aggregator import ahead

    used: list[object] = []
    take = ahead.SentAhead.take

    def counted(self: ahead.SentAhead, key: object, call: Any, usable: Any = None) -> Any:
        waiting = self._sent.get(key)
        answer = take(self, key, call, usable)
        if waiting is not None and not waiting.cancelled():
            used.append(key)
        return answer

    monkeypatch.setattr(ahead.SentAhead, "take", counted)
    pkg = run_export(DEMO, ["lightspeed"], FAST)
    assert pkg.result.connectors["lightspeed"].status == "complete"
    paths = {key[0] for key in used}            # type: ignore[index]
    # most of the short lists and some orders' lines were answered ahead (how many depends on the threads' timing)
    assert len(paths & {"invoices", "groups/customers", "reviews", "returns", "quotes", "tickets",
                        "subscriptions"}) >= 4
    assert any(str(p).startswith("orders/") and str(p).endswith("/products") for p in paths)


def test_a_failure_ends_a_call_sent_ahead_that_waits_out_a_429(run_export, sandbox):
    """The orders fail while the invoices sent ahead are under way; these then meet an exhausted window (a
    4-minute wait): the export ends now, not once the sent-ahead call would have waited it out."""
    import time

    sandbox.inject(Fault("lightspeed", status=429, match="invoices.json", body={"error": {"code": 429}}, delay=3.0,
                         headers={"X-RateLimit-Limit": "300/3000/12000", "X-RateLimit-Remaining": "0/2900/11900",
                                  "X-RateLimit-Reset": "240/3000/80000"}))
    sandbox.inject(Fault("lightspeed", status=400, match="orders.json", times=None, delay=0.3,
                         body={"error": {"code": 400, "message": "Bad request."}}))
    started = time.monotonic()
    pkg = run_export(DEMO, ["lightspeed"], FAST)            # the run's own sleep: a real, interruptible wait
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "failed" and "400" in (outcome.error or "")
    assert len(sandbox.requests_to("lightspeed", "invoices.json")) == 1      # refused, and not asked again
    assert time.monotonic() - started < 60


def test_order_lines_payments_and_technical_data(demo_pkg):
    pkg, _ = demo_pkg
    lines = pkg.records("lightspeed", "order_line")
    assert len(lines) >= 260 and all(line["data"]["order"].startswith("ORD") for line in lines)
    payments = pkg.data("payments", "lightspeed")
    assert len(payments) == 260
    assert {p["data"]["paymentTitle"] for p in payments} >= {"PayPal"}
    tech = pkg.data("technical", "lightspeed")
    assert {t["data"]["remoteIp"] for t in tech} == {"81.83.112.47"}


def test_addresses_are_extracted_and_deduplicated(demo_pkg):
    pkg, _ = demo_pkg
    addresses = pkg.data("addresses", "lightspeed")
    assert len(addresses) == 1
    addr = addresses[0]["data"]
    assert addr["street"] == "Kerkstraat" and addr["zipcode"] == "8850" and addr["country"] == "BE"
    assert "billing address of customer account 31485501" in addr["used_for"]
    assert any("shipping address of order ORD" in u for u in addr["used_for"])


def test_carrier_disclosures_are_filed_under_transport(demo_pkg):
    pkg, _ = demo_pkg
    disclosed = pkg.data("shipments", "transport")
    assert len(disclosed) == 260
    carriers = {d["data"]["carrier"] for d in disclosed}
    assert carriers <= {"bpost - Thuislevering", "PostNL - Standaard", "DPD Classic"} and len(carriers) >= 2
    first = disclosed[0]
    assert first["data"]["recipient"]["name"] == "Jan Desmet" and first["source"]["connector"] == "lightspeed"
    transport = next(p for p in pkg.manifest["processors"] if p["key"] == "transport")
    assert transport["categories"] == {"shipments": 260} and transport["has_api"] is False


def test_invoices_reviews_tickets_and_newsletter(demo_pkg):
    pkg, _ = demo_pkg
    invoices = pkg.data("invoices", "lightspeed")
    assert sorted(i["data"]["number"] for i in invoices) == ["20250017", "20250102", "20260033", "20260150"]
    assert all(i["data"]["items"] for i in invoices)
    assert len(pkg.records("lightspeed", "review")) == 2
    [ticket] = pkg.records("lightspeed", "support_ticket")
    assert len(ticket["data"]["messages"]) == 2
    [sub] = pkg.data("marketing", "lightspeed")
    assert sub["data"]["email"] == "Jan.Desmet@example.be"   # stored in another case, still matched


def test_identifiers_found_are_listed(demo_pkg):
    pkg, _ = demo_pkg
    ids = pkg.manifest["identifiers"]
    assert ids["customer_id"] == ["31485501"]
    assert len(ids["order_number"]) == 260
    # + ORD10200's Orders v2 order id (PayPal Commerce Platform): the same 17-character shape, offered the same way
    assert sorted(ids["paypal_transaction_id"]) == ["2GG27193RB998877D", "3XK81504MV5529317", "5TY05013RM123456E",
                                                    "9HK34765LW512345C"]
    assert sorted(ids["invoice_number"]) == ["20250017", "20250102", "20260033", "20260150"]


def test_nobody_elses_data_and_no_secret_in_the_package(demo_pkg, sandbox):
    pkg, _ = demo_pkg
    text = pkg.text()
    assert OTHER not in text and "Sofie" not in text and "31485502" not in text
    settings = sandbox.config_mapping(["lightspeed"])["connectors"]["lightspeed"]
    assert settings["api_secret"] not in text and settings["api_key"] not in text


def test_html_escapes_vendor_values(demo_pkg):
    pkg, _ = demo_pkg
    html = pkg.zip.read("pages/feedback.html").decode()     # reviews are on the feedback page
    assert "&lt;b&gt;Aanrader&lt;/b&gt; &amp; goede prijs" in html
    assert "<b>Aanrader</b>" not in html


def test_email_is_trimmed_and_matched_case_insensitively(run_export):
    pkg = run_export("  SOFIE.Claes@Example.COM ", ["lightspeed"], FAST, only=["lightspeed"])
    assert pkg.manifest["subject"]["email"] == OTHER
    assert len(pkg.data("contact", "lightspeed")) == 1 and len(pkg.records("lightspeed", "order")) == 6


def test_customer_with_nothing_gets_a_plain_statement(run_export):
    pkg = run_export(EMPTY, ["lightspeed"], FAST)
    assert pkg.result.status == "complete"
    assert pkg.result.connectors["lightspeed"].records == 0
    assert pkg.manifest["summary"]["no_data"] is True
    assert f"We hold no data about {EMPTY}" in pkg.manifest["summary"]["statement"]
    assert f"vonden wij geen gegevens over {EMPTY}" in pkg.zip.read("index.html").decode()


def test_wrong_key_fails_lightspeed_only_with_a_one_line_reason(run_export, sandbox):
    pkg = run_export(OTHER, ["lightspeed"], {"lightspeed": {"api_secret": "wrong-secret-123"}})
    outcome = pkg.result.connectors["lightspeed"]
    assert pkg.result.status == "partial" and outcome.status == "failed"
    assert outcome.error == "lightspeed: 401 Invalid API key or secret. (GET /lightspeed/nl/customers.json)"
    assert "wrong-secret-123" not in json.dumps(pkg.result.to_json()) + pkg.text()
    assert len(sandbox.requests_to("lightspeed")) == 1          # a 401 is not retried


def test_unreachable_api_is_a_failed_connector(run_export):
    pkg = run_export(OTHER, ["lightspeed"], {"lightspeed": {"base_url": "https://127.0.0.1:9/nl/"}},
                     sleep=lambda s: None)
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "failed" and outcome.error == "lightspeed: cannot connect to 127.0.0.1:9"


def test_non_json_answer_is_a_failed_connector(run_export, sandbox):
    sandbox.inject(Fault("lightspeed", status=200, body="<html>maintenance</html>", match="customers.json",
                         headers={"Content-Type": "text/html"}))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    assert pkg.result.connectors["lightspeed"].error == (
        "lightspeed: unreadable response from GET /lightspeed/nl/customers.json (not valid JSON; text/html)")


def test_truncated_json_fails_lightspeed_and_keeps_what_came_before(run_export, sandbox):
    sandbox.inject(Fault("lightspeed", truncate=True, match="reviews.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    outcome = pkg.result.connectors["lightspeed"]
    assert pkg.result.status == "partial" and outcome.status == "failed"
    assert outcome.error == ("lightspeed: unreadable response from GET /lightspeed/nl/reviews.json "
                             "(not valid JSON; application/json)")
    assert len(pkg.records("lightspeed", "order")) == 6       # collected before the fault: not lost
    assert outcome.records == len(pkg.records("lightspeed")) + len(pkg.records("transport"))


def test_429_waits_for_the_exhausted_window_then_continues(run_export, sandbox):
    waits: list[float] = []
    sandbox.inject(Fault("lightspeed", status=429, match="orders.json", body={"error": {"code": 429}},
                         headers={"X-RateLimit-Limit": "300/3000/12000", "X-RateLimit-Remaining": "0/2900/11900",
                                  "X-RateLimit-Reset": "7/3000/80000"}))
    pkg = run_export(OTHER, ["lightspeed"], FAST, sleep=waits.append)
    assert pkg.result.connectors["lightspeed"].status == "complete"
    assert 7.0 in waits
    assert len(pkg.records("lightspeed", "order")) == 6


def test_an_exhausted_hour_window_fails_at_once_instead_of_stalling(run_export, sandbox):
    waits: list[float] = []
    sandbox.inject(Fault("lightspeed", status=429, match="orders.json", times=None,
                         body={"error": {"code": 429, "message": "Too many requests."}},
                         headers={"X-RateLimit-Limit": "300/3000/12000", "X-RateLimit-Remaining": "120/0/9000",
                                  "X-RateLimit-Reset": "200/2400/80000"}))
    pkg = run_export(OTHER, ["lightspeed"], FAST, sleep=waits.append)
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "failed" and outcome.error.startswith("lightspeed: 429 Too many requests.")
    assert len(sandbox.requests_to("lightspeed", "orders.json")) == 1 and max(waits, default=0) < 330


def _response(remaining: str, reset: str, limit: str = "300/3000/12000") -> requests.Response:
    r = requests.Response()
    r.status_code = 200
    r.headers.update({"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset})
    return r


def test_pacing_starts_before_the_budget_runs_out():
    now = [1000.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = RateLimitHeaders(sleep=sleep, clock=lambda: now[0])
    pacer.observe(_response("250/2950/11950", "200/3000/80000"))
    pacer.acquire()
    pacer.acquire()
    assert slept == []                                   # plenty left: no waiting
    pacer.observe(_response("5/2700/11700", "100/3000/80000"))
    pacer.acquire()
    pacer.acquire()
    assert slept == [20.0, 20.0]                           # 5 left for 100 s: one request per 20 s, at once
    pacer.observe(_response("0/2700/11700", "30/3000/80000"))
    pacer.acquire()
    assert slept == [20.0, 20.0, 30.0]                     # exhausted: nothing before the window resets
    pacer.observe(_response("299/2699/11699", "300/3000/80000"))
    pacer.acquire()
    assert slept == [20.0, 20.0, 30.0]                     # a fresh window: no needless stall
    pacer.observe(_response("250/0/11000", "280/1800/80000"))
    with pytest.raises(VendorError, match="hourly or daily request limit is used up for another 30 min"):
        pacer.acquire()                                    # never park a thread for half an hour


@pytest.mark.parametrize(("data", "found"), [
    ({"method": "paypal", "paypalTransactionId": "9HK34765LW512345C"}, ["9HK34765LW512345C"]),
    ([{"id": "2GG27193RB998877D"}, "junk"], ["2GG27193RB998877D"]),
    ([], []),
    ("paid by card", []),
])
def test_paypal_ids_are_found_in_any_payment_data_shape(data: Any, found: list[str]):
    assert list(_paypal_ids(data)) == found


def test_identifiers_reach_a_third_party_connector(run_export):
    """A plugin registered through the hook gets Lightspeed's identifiers and its records land in the package."""
    from aggregator.connector import Connector
    from aggregator.hookspecs import hookimpl

    class OrderEcho(Connector):
        name = "order_echo"
        processor = "silvasoft"
        categories = ("orders",)

        def collect(self):
            for ident in self.ctx.identifiers("order_number"):
                yield self.ctx.record("orders", "seen_order", {"number": ident.value, "date": ident.attrs["date"]},
                                      endpoint="-", vendor_id=ident.value)

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Callable[[type], None]) -> None:
            register(OrderEcho)

    pkg = run_export(OTHER, ["lightspeed"], {**FAST, "order_echo": {}}, plugins=[Plugin()])
    echoed = pkg.data("orders", "silvasoft")
    assert len(echoed) == 6 and {e["source"]["connector"] for e in echoed} == {"order_echo"}
    assert pkg.result.connectors["order_echo"].status == "complete"


def test_low_budget_is_paced_before_any_429(run_export, sandbox):
    """With a 25-request window the sandbox's headers run low mid-export: the connector spreads what is left
    over the window (fake sleep here) and never provokes a 429."""
    sandbox.apps["lightspeed"].limits = (25, 3000, 12000)
    waits: list[float] = []
    pkg = run_export(OTHER, ["lightspeed"], FAST, sleep=waits.append)
    outcome = pkg.result.connectors["lightspeed"]
    # 16 before returns and quotes were read, 18 before order events (a count and 2 pages), contact-form messages
    # and blog comments (a page each)
    assert outcome.status == "complete" and outcome.calls == 23
    assert [x for x in sandbox.requests_to("lightspeed") if x.status == 429] == []
    assert len(waits) >= 4 and all(w > 10 for w in waits)        # ~300 s window / < 10 left
    assert any("paced" in n for n in outcome.notes)


def test_a_page_that_repeats_fails_instead_of_looping(run_export, sandbox):
    page = {"orders": [{"id": 1000 + i, "number": f"ORD{i}"} for i in range(250)]}
    sandbox.inject(Fault("lightspeed", status=200, body=page, match="orders.json", times=None,
                         headers={"Content-Type": "application/json"}))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    assert pkg.result.connectors["lightspeed"].error == (
        "lightspeed: paging did not advance at GET /lightspeed/nl/orders.json?customer=31485502 "
        "(page 2 repeats an earlier page)")
    assert len(sandbox.requests_to("lightspeed", "orders.json")) == 2


def test_every_account_under_the_address_reaches_the_other_connectors(run_export, sandbox):
    """A guest account and a registered account with one address: both accounts' orders are exported and all
    their identifiers are offered before the streams close."""
    import copy

    from aggregator.connector import Connector
    from aggregator.hookspecs import hookimpl

    data = sandbox.apps["lightspeed"].data
    sofie = next(c for c in data["customers"]["customers"] if c["email"] == OTHER)
    guest = {**copy.deepcopy(sofie), "id": 39000001, "type": "guest", "email": OTHER.upper()}
    guest_orders = [{**copy.deepcopy(o), "id": 39100000 + i, "number": f"GUEST{i}",
                     "customer": {"resource": {"id": 39000001, "url": "customers/39000001", "link": ""}}}
                    for i, o in enumerate(data["orders"]["orders"][:2])]

    seen: list[str] = []

    class Echo(Connector):
        name = "echo"
        processor = "silvasoft"
        categories = ("orders",)

        def collect(self):
            seen.extend(i.value for i in self.ctx.identifiers("order_number"))
            return []

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Callable[[type], None]) -> None:
            register(Echo)

    data["customers"]["customers"].append(guest)
    data["orders"]["orders"].extend(guest_orders)
    try:
        pkg = run_export(OTHER, ["lightspeed"], {**FAST, "echo": {}}, plugins=[Plugin()])
    finally:
        data["customers"]["customers"].remove(guest)
        del data["orders"]["orders"][-2:]
    numbers = {o["data"]["number"] for o in pkg.records("lightspeed", "order")}
    assert {"GUEST0", "GUEST1"} <= numbers and len(numbers) == 8
    assert sorted(seen) == sorted(numbers)
    assert len(pkg.data("contact", "lightspeed")) == 2


def test_items_of_another_customer_are_withheld_even_if_the_api_ignores_the_filter(run_export, sandbox):
    everything = {"reviews": sandbox.apps["lightspeed"].data["reviews"]["reviews"]}   # Jan's and Sofie's
    sandbox.inject(Fault("lightspeed", status=200, body=everything, match="reviews.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    [review] = pkg.records("lightspeed", "review")
    assert review["data"]["name"] == "Sofie C."
    assert "Jan D." not in pkg.text() and "Desmet" not in pkg.text()
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "complete"
    assert "withheld 2 reviews the API returned for customer 31485502: they link to another customer" in outcome.notes


def test_subscriptions_of_other_addresses_are_withheld_if_the_api_ignores_the_email_filter(run_export, sandbox):
    everything = sandbox.apps["lightspeed"].data["subscriptions"]       # every subscriber of the shop
    sandbox.inject(Fault("lightspeed", status=200, body=everything, match="subscriptions.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    [sub] = pkg.data("marketing", "lightspeed")
    assert sub["data"]["email"].lower() == OTHER
    others = len(everything["subscriptions"]) - 1
    assert f"withheld {others} newsletter subscriptions the API returned for the subject's e-mail address: their " \
           "e-mail address is another one" in pkg.result.connectors["lightspeed"].notes


# --------------------------------------------------------------------------- the connector kit: settings up front
@pytest.mark.parametrize(("change", "key"), [
    ({"base_url": None}, "base_url"),                                   # missing required keys
    ({"api_key": None}, "api_key"),
    ({"api_secret": ""}, "api_secret"),
    ({"api_key": 12345}, "api_key"),                                    # wrong types
    ({"requests_per_second": "fast"}, "requests_per_second"),
    ({"concurrency": 2.5}, "concurrency"),
    ({"concurrency": True}, "concurrency"),
    ({"base_url": "http://api.webshopapp.com/nl/"}, "base_url"),
    ({"requests_per_second": 25}, "requests_per_second"),              # out of bounds
    ({"requests_per_second": -1}, "requests_per_second"),
    ({"concurrency": 0}, "concurrency"),
    ({"concurrency": 11}, "concurrency"),
    ({"timeout": 0}, "timeout"),
    ({"api_token": "x"}, "api_token"),                                  # unknown key (a typo)
    ({"base_url": "https://api.webshopapp.com/"}, "base_url"),          # the connector's own check: no language
    ({"base_url": "https://api.webshopapp.com/nl/?x=1"}, "base_url"),
])
def test_a_bad_setting_is_exit_2_before_any_request(change: dict[str, Any], key: str, sandbox, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]):
    from aggregator.cli import main
    from aggregator.sandbox.server import to_toml

    mapping = sandbox.config_mapping(["lightspeed"])
    section = mapping["connectors"]["lightspeed"]
    secret = section["api_secret"]
    for name, value in change.items():
        if value is None:
            del section[name]
        else:
            section[name] = value
    config = tmp_path / "dsar.toml"
    config.write_text(to_toml(mapping), encoding="utf-8")
    sandbox.clear()
    code = main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and re.search(rf"connectors\.lightspeed\b.*\b{key}\b", err[0]), err
    said = err[0].split(" (")[0].split(", e.g. ")[0]             # the message without the setting's help
    assert secret not in err[0] and not any(isinstance(v, str) and len(v) > 3 and v in said for v in change.values())
    assert sandbox.log == [] and not list(tmp_path.glob("out/*.zip"))


def test_settings_are_typed_with_defaults_filled_in(sandbox):
    from connectors.lightspeed import Lightspeed

    section = sandbox.config_mapping(["lightspeed"])["connectors"]["lightspeed"]
    typed = Lightspeed.check_settings({**section, "concurrency": "3"})
    assert typed["concurrency"] == 3 and typed["requests_per_second"] == 20.0 and typed["timeout"] == 30.0
    assert Lightspeed.secret_settings == ("api_key", "api_secret")


# --------------------------------------------------------------------------- every yielded field is declared
def test_the_demo_export_declares_every_field(demo_pkg):
    pkg, _ = demo_pkg
    outcome = pkg.result.connectors["lightspeed"]
    # 1851 + a return and a quote + 262 order events (one per order, a message and a staff-only comment), a
    # contact-form message and a blog comment
    assert outcome.records == 2117 and outcome.undeclared == []
    assert not any("do not declare" in n for n in outcome.notes)


@pytest.mark.parametrize("email", [OTHER, EMPTY, NEAR_MISS])
def test_other_customers_exports_declare_every_field(run_export, email: str):
    outcome = run_export(email, ["lightspeed"], FAST).result.connectors["lightspeed"]
    assert outcome.status == "complete" and outcome.undeclared == []


@pytest.mark.parametrize(("match", "key", "extra", "reported"), [
    ("reviews.json", "reviews", {"reviewerCity": "Gent"}, "review: reviewerCity"),
    ("/products.json", "orderProducts", {"engraving": {"text": "Voor Sofie"}}, "order_line: engraving.text"),
])
def test_a_field_the_schema_does_not_declare_is_reported(run_export, sandbox, match: str, key: str,
                                                         extra: dict[str, Any], reported: str):
    data = sandbox.apps["lightspeed"].data
    if key == "reviews":
        items = [r for r in data["reviews"]["reviews"] if r["customer"]["resource"]["id"] == 31485502]
    else:
        items = next(v for v in data["order_products"].values() if v)[:1]
    sandbox.inject(Fault("lightspeed", status=200, body={key: [{**i, **extra} for i in items]}, match=match))
    outcome = run_export(OTHER, ["lightspeed"], FAST).result.connectors["lightspeed"]
    assert outcome.status == "complete" and outcome.undeclared == [reported]
    assert any(reported in n and "unlabelled" in n for n in outcome.notes)


def test_every_dataset_is_declared_once_with_labels_and_the_cost_price_is_internal():
    from aggregator.datasets import Kind
    from connectors.lightspeed import Lightspeed

    names = [d.name for d in Lightspeed.datasets]
    assert len(names) == len(set(names)) == 25
    for d in Lightspeed.datasets:
        assert all(f.nl and f.en for f in d.fields.values()), d.name
    by_name = {d.name: d for d in Lightspeed.datasets}
    for dataset, path in [("order", "priceCost"), ("order_line", "priceCost"), ("order_line", "supplierTitle"),
                          ("invoice", "items.priceCost"), ("quote", "priceCost"), ("quote", "products.priceCost")]:
        assert by_name[dataset].fields[path].kind is Kind.INTERNAL
    assert by_name["order"].fields["status"].glossary["completed_shipped"] == ("Afgerond: verzonden",
                                                                               "Completed: shipped")


# --------------------------------------------------------------------------- paging: one guard, one shape check
@pytest.mark.parametrize(("match", "where"), [
    ("customers.json", r"GET /lightspeed/nl/customers\.json\?email=sofie\.claes%40example\.com"),   # by e-mail
    ("orders.json", r"GET /lightspeed/nl/orders\.json\?customer=31485502"),                        # by customer
    ("/products.json", r"GET /lightspeed/nl/orders/\d+/products\.json"),                          # fanned out
])
def test_a_repeated_page_fails_each_kind_of_listing(run_export, sandbox, match: str, where: str):
    key = {"customers.json": "customers", "orders.json": "orders", "/products.json": "orderProducts"}[match]
    page = {key: [{"id": 1000 + i, "email": OTHER, "number": f"ORD{i}"} for i in range(250)]}
    sandbox.inject(Fault("lightspeed", status=200, body=page, match=match, times=None))
    outcome = run_export(OTHER, ["lightspeed"], FAST).result.connectors["lightspeed"]
    assert outcome.status == "failed"
    assert re.fullmatch(rf"lightspeed: paging did not advance at {where} \(page 2 repeats an earlier page\)",
                        outcome.error), outcome.error


def test_false_is_an_empty_list_but_another_shape_fails(run_export, sandbox):
    sandbox.inject(Fault("lightspeed", status=200, body={"reviews": False}, match="reviews.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    assert pkg.result.connectors["lightspeed"].status == "complete" and pkg.records("lightspeed", "review") == []
    sandbox.clear()
    sandbox.inject(Fault("lightspeed", status=200, body={"reviews": {"id": 1}}, match="reviews.json"))
    outcome = run_export(OTHER, ["lightspeed"], FAST).result.connectors["lightspeed"]
    assert outcome.status == "failed" and outcome.error == (
        "lightspeed: GET /lightspeed/nl/reviews.json?customer=31485502 answered a dict where the 'reviews' list "
        "was expected")


def test_coverage_names_every_search(demo_pkg):
    pkg, _ = demo_pkg
    coverage = pkg.result.connectors["lightspeed"].coverage
    assert "orders for customer 31485501: all 260 (2 pages)" in coverage
    assert "order lines for customer 31485501: all 537, from all 260 orders" in coverage
    assert "invoice items for customer 31485501: all 6, from all 4 invoices" in coverage
    assert "newsletter subscriptions for the subject's e-mail address: all 1 (1 page)" in coverage
    assert len(coverage) == 18      # 12 + returns, quotes and quote lines + order events, contact form, blog comments


# --------------------------------------------------------------------------- returns and quotes
def test_returns_and_quotes_of_the_customer_are_exported(demo_pkg):
    pkg, log = demo_pkg
    [ret] = pkg.records("lightspeed", "return")
    assert ret["data"]["reason"] == "Defect" and ret["data"]["productTitle"] == "Rookmelder RM-10 (10 jaar)"
    assert ret in pkg.data("orders", "lightspeed")
    [quote] = pkg.records("lightspeed", "quote")
    assert quote["data"]["comment"] == "Graag een offerte voor plaatsing in Ardooie."
    assert [p["productTitle"] for p in quote["data"]["products"]] == ["Bedieningspaneel KP-2",
                                                                       "Buitensirene BS-80 met flitser"]
    assert any(x.path == "/nl/returns.json" and "customer=31485501" in x.query for x in log)
    assert any(x.path == "/nl/quotes/6620107/products.json" for x in log)
    coverage = pkg.result.connectors["lightspeed"].coverage
    assert "returns for customer 31485501: all 1 (1 page)" in coverage
    assert "quotes (saved carts) for customer 31485501: all 1 (1 page)" in coverage
    assert "quote lines for customer 31485501: all 2, from all 1 quotes" in coverage


def test_quote_cost_prices_and_the_shops_memo_are_internal():
    from aggregator.datasets import Kind
    from connectors.lightspeed_datasets import QUOTE, RETURN

    assert QUOTE.fields["priceCost"].kind is Kind.INTERNAL and QUOTE.fields["products.priceCost"].kind is Kind.INTERNAL
    assert RETURN.fields["memo"].en == "The shop's internal note"
    assert RETURN.fields["status"].glossary["processed"] == ("Afgehandeld", "Processed")


@pytest.mark.parametrize("resource", ["returns", "quotes"])
def test_returns_and_quotes_of_another_customer_are_withheld_if_the_api_ignores_the_filter(run_export, sandbox,
                                                                                            resource: str):
    everything = {resource: sandbox.apps["lightspeed"].data[resource][resource]}   # every customer's
    sandbox.inject(Fault("lightspeed", status=200, body=everything, match=f"/{resource}.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    outcome = pkg.result.connectors["lightspeed"]
    mine = [r for r in everything[resource] if r["customer"]["resource"]["id"] == 31485502]
    assert outcome.status == "complete"
    assert len(pkg.records("lightspeed", resource[:-1])) == len(mine)
    what = "returns" if resource == "returns" else "quotes (saved carts)"
    others = len(everything[resource]) - len(mine)
    assert f"withheld {others} {what} the API returned for customer 31485502: they link to another customer" \
        in outcome.notes
    text = pkg.text()
    assert "31485501" not in text and "rookmelder piept" not in text and "plaatsing in Ardooie" not in text


# --------------------------------------------------------------------------- across rate windows
def test_a_customer_needing_many_windows_is_complete_without_a_429(run_export, sandbox):
    """A 20-request window and a fake clock: the demo customer needs 284 requests, so 14 windows or more.
    The sandbox's windows follow the fake clock that the fake sleep moves on; nothing really sleeps."""
    now = [1_000_000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    app = sandbox.apps["lightspeed"]
    app.limits = (20, 3000, 12000)
    app.clock = lambda: now[0]
    serial = {"lightspeed": {**FAST["lightspeed"], "concurrency": 1}}   # one fake clock: no racing sleepers
    pkg = run_export(DEMO, ["lightspeed"], serial, sleep=sleep)
    outcome = pkg.result.connectors["lightspeed"]
    log = sandbox.requests_to("lightspeed")
    assert outcome.status == "complete", outcome.error
    assert [x for x in log if x.status == 429] == []
    assert len(log) == outcome.calls > 13 * 20 and now[0] - 1_000_000.0 > 13 * 300    # really many windows
    lines = pkg.records("lightspeed", "order_line")
    assert len(lines) == 537 and len({line["data"]["order"] for line in lines}) == 260
    assert "order lines for customer 31485501: all 537, from all 260 orders" in outcome.coverage
    assert any("paced" in n for n in outcome.notes)


# --------------------------------------------------------------------------- issue 23: events, contact form, blog
def test_order_events_of_every_order_are_exported_and_a_staff_comment_is_internal(demo_pkg):
    from aggregator.datasets import Kind
    from connectors.lightspeed_datasets import ORDER_EVENT, ORDER_STAFF_COMMENT

    pkg, log = demo_pkg
    events = pkg.records("lightspeed", "order_event")
    assert len(events) == 261 and len({e["data"]["orderNumber"] for e in events}) == 260
    assert any(e["data"]["message"].startswith("Dag Jan, uw bestelling") for e in events)
    [staff] = pkg.records("lightspeed", "order_staff_comment")
    assert staff["data"]["orderNumber"] == "ORD10001" and staff["data"]["isVisible"] is False
    assert "message" not in staff["data"]                 # declared INTERNAL: the masking stage left it out …
    assert "Klant belde" not in pkg.text() and "witte versie" not in pkg.text()     # … and Sofie's is not here
    redactions = json.loads(pkg.zip.read("redactions.json"))["files"]["data/orders/lightspeed.json"]
    assert any(e["dataset"] == "order_staff_comment" and e["redactions"][0]["kind"] == "shop_internal"
               and e["redactions"][0]["field"] == "The shop's internal comment" for e in redactions)
    assert ORDER_STAFF_COMMENT.fields["message"].kind is Kind.INTERNAL
    assert ORDER_EVENT.fields["message"].kind is Kind.FREE_TEXT
    # the cheaper route for 260 orders: one count and two pages of the shop's events since the first order
    asked = [x for x in log if x.path.startswith("/nl/orders/events")]
    assert [x.path for x in asked] == ["/nl/orders/events/count.json"] + ["/nl/orders/events.json"] * 2
    assert all("created_at_min=2024-01-10T14%3A13%3A23%2B00%3A00" in x.query and "order=" not in x.query
               for x in asked)                                   # a day before the first order
    coverage = pkg.result.connectors["lightspeed"].coverage
    assert any(c.startswith("order events for customer 31485501: all 262, from all 260 orders, matched by order "
                            "among all ") for c in coverage)


def test_a_staff_comment_is_in_the_package_when_redaction_is_off(run_export):
    pkg = run_export(DEMO, ["lightspeed"], FAST, tables={"redaction": {"enabled": False}})
    [staff] = pkg.records("lightspeed", "order_staff_comment")
    assert staff["data"]["message"] == "Klant belde twee keer over de levering; bij twijfel eerst bellen."
    assert "witte versie" not in pkg.text()


def test_order_events_one_order_at_a_time_when_that_is_cheaper_and_owned_by_the_order(run_export, sandbox):
    """A shop with very many events since the customer's first order: one request per order instead, and an
    event the API returns for another order (should it ignore the filter) is withheld."""
    data = sandbox.apps["lightspeed"].data
    sandbox.inject(Fault("lightspeed", status=200, body={"count": 1_000_000}, match="events/count.json"))
    stray = next(e for e in data["order_events"]["ordersEvents"]
                 if e["order"]["resource"]["id"] not in {o["id"] for o in data["orders"]["orders"]
                                                          if o["customer"]["resource"]["id"] == 31485502})
    sandbox.inject(Fault("lightspeed", status=200, body={"ordersEvents": [stray]}, match="events.json?order="))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    outcome = pkg.result.connectors["lightspeed"]
    asked = [x for x in sandbox.requests_to("lightspeed") if x.path == "/nl/orders/events.json"]
    assert outcome.status == "complete" and len(asked) == 6 and all(x.query.startswith("order=") for x in asked)
    assert len(pkg.records("lightspeed", "order_event")) == 5          # the first order's answer was the stray
    assert any(n.startswith("withheld 1 order events the API returned for order ") and
               n.endswith(": they link to another order") for n in outcome.notes)
    assert "order events for customer 31485502: all 5, from all 6 orders" in outcome.coverage
    assert stray["message"] not in {e["data"]["message"] for e in pkg.records("lightspeed", "order_event")}


def test_contact_form_and_blog_comments_are_read_and_matched_by_e_mail(demo_pkg):
    pkg, log = demo_pkg
    [message] = pkg.records("lightspeed", "contact_message")
    assert message["data"]["subject"] == "Offerte alarmsysteem garage" and message["data"]["company"]
    assert message in pkg.data("communications", "lightspeed")
    [comment] = pkg.records("lightspeed", "blog_comment")
    assert comment["data"]["name"] == "Jan D." and "Ardooie" in comment["data"]["content"]
    text = pkg.text()
    for theirs in ("Kan ik mijn bestelling afhalen", "appartementen in Gent", "enkel op lijkt",
                   "IPC-4MP ook geschikt", "Handig artikel"):
        assert theirs not in text                       # Sofie's, the near miss's and other customers'
    coverage = pkg.result.connectors["lightspeed"].coverage
    assert "contact-form messages (no filter, read and matched by e-mail address): all 31 (1 page), 1 the " \
           "subject's" in coverage
    assert "blog comments (no filter, read and matched by e-mail address): all 10 (1 page), 1 the subject's" \
        in coverage
    assert [x.query for x in log if x.path in ("/nl/contacts.json", "/nl/blogs/comments.json")] == \
        ["page=1&limit=250"] * 2


def test_other_customers_get_their_own_contact_message_and_blog_comment(run_export):
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    assert [m["data"]["subject"] for m in pkg.records("lightspeed", "contact_message")] == ["Levering"]
    assert [c["data"]["name"] for c in pkg.records("lightspeed", "blog_comment")] == ["Sofie"]
    text = pkg.text()
    assert "Offerte alarmsysteem garage" not in text and "rookmelders op elke verdieping" not in text


def test_a_capped_read_of_the_contact_form_ends_incomplete(run_export, sandbox):
    many = [{"id": 9_000_000 + i, "email": f"iemand{i}@example.net", "subject": "Vraag", "message": "?"}
            for i in range(250)]
    sandbox.inject(Fault("lightspeed", status=200, body={"contacts": many}, match="contacts.json", times=1))
    pkg = run_export(OTHER, ["lightspeed"], {"lightspeed": {**FAST["lightspeed"], "scan_pages": 1}})
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "incomplete"
    assert outcome.shortfalls == ["contact-form messages beyond the first 250 were not read (scan_pages = 1; leave "
                                  "it unset to read every page)"]
    assert len(sandbox.requests_to("lightspeed", "contacts.json")) == 1
    assert pkg.records("lightspeed", "contact_message") == []
    assert [c["data"]["name"] for c in pkg.records("lightspeed", "blog_comment")] == ["Sofie"]   # under the cap


def test_scan_pages_zero_reads_neither_list_and_says_so(run_export, sandbox):
    pkg = run_export(OTHER, ["lightspeed"], {"lightspeed": {**FAST["lightspeed"], "scan_pages": 0}})
    outcome = pkg.result.connectors["lightspeed"]
    assert outcome.status == "incomplete" and outcome.shortfalls == [
        "contact-form messages were not read (scan_pages = 0)", "blog comments were not read (scan_pages = 0)"]
    assert not [x for x in sandbox.requests_to("lightspeed") if x.path in ("/nl/contacts.json",
                                                                         "/nl/blogs/comments.json")]


def test_metafields_of_orders_shipments_and_invoices_with_the_setting(run_export, sandbox):
    """Off by default (one request per order, shipment and invoice): a note says what was not read. On: the demo
    customer's metafields on an order, its shipment and its invoice."""
    off = run_export(DEMO, ["lightspeed"], FAST)
    outcome = off.result.connectors["lightspeed"]
    assert not [x for x in sandbox.requests_to("lightspeed") if x.path.endswith("/metafields.json")
                and not x.path.startswith("/nl/customers/")]
    assert "the extra details (metafields) apps may store on the 260 orders, their shipments and invoices of " \
           "customer 31485501 were not read (setting metafields is off: one request each)" in outcome.notes
    before = len(sandbox.requests_to("lightspeed"))
    sandbox.clear()
    app = sandbox.apps["lightspeed"]
    app.limits = (10_000, 10_000, 100_000)        # this test is about the records, not the pacing
    on = run_export(DEMO, ["lightspeed"], {"lightspeed": {**FAST["lightspeed"], "metafields": True}})
    outcome = on.result.connectors["lightspeed"]
    assert outcome.status == "complete"
    assert len(sandbox.requests_to("lightspeed")) - before == 260 + 260 + 4
    [order_mf] = on.records("lightspeed", "order_metafield")
    assert order_mf["data"]["parent"] == "ORD10084" and order_mf["data"]["key"] == "installatie_afspraak"
    assert order_mf in on.data("orders", "lightspeed")
    [invoice_mf] = on.records("lightspeed", "invoice_metafield")
    assert invoice_mf["data"] == {**invoice_mf["data"], "parent": "20250017", "value": "SILVA-20250017"}
    [shipment_mf] = on.records("lightspeed", "shipment_metafield")
    assert shipment_mf["data"]["value"] == "Bij de buren, Kerkstraat 14" and shipment_mf in on.data("shipments",
                                                                                                    "lightspeed")
    assert "cadeauverpakking" not in on.text()          # Sofie's
    assert "extra details (metafields) of the orders of customer 31485501: all 1, from all 260 orders" \
        in outcome.coverage


def test_order_events_per_order_when_the_count_is_refused(run_export, sandbox):
    body = {"error": {"code": 404, "method": "GET", "request": "/nl/orders/events/count.json", "message": "Not found"}}
    sandbox.inject(Fault("lightspeed", status=404, body=body, match="events/count.json"))
    pkg = run_export(OTHER, ["lightspeed"], FAST)
    outcome = pkg.result.connectors["lightspeed"]
    asked = [x for x in sandbox.requests_to("lightspeed") if x.path == "/nl/orders/events.json"]
    assert outcome.status == "complete" and len(asked) == 6
    assert len(pkg.records("lightspeed", "order_event")) == 6 and len(pkg.records("lightspeed",
                                                                                  "order_staff_comment")) == 1
    assert any(n.startswith("order events counted per order instead (") for n in outcome.notes)
