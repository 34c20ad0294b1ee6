"""The connector kit: declared settings, declared datasets, paginators with their guard, the bounded fan-out,
and how the runner turns declarations into checks. Fast: no sandbox, no network."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from aggregator import config as config_mod
from aggregator.connector import Connector, Record
from aggregator.datasets import Dataset, Field, Kind, Origin, check_declarations, paths, undeclared
from aggregator.errors import ConfigError, VendorError
from aggregator.hookspecs import hookimpl
from aggregator.model import Outcome, Status, overall_status
from aggregator.paging import (
    NextLinkPaginator,
    OffsetPaginator,
    PageGuard,
    PageNumberPaginator,
    fan_out,
    items_at,
    pages,
)
from aggregator.plugins import DEFAULT_PLUGINS, PluginError, build_registry, plugin_manager
from aggregator.settings import Setting, reference, validate

# ---------------------------------------------------------------- settings
DECLARED = (
    Setting("base_url", "the API's address", "url", required=True),
    Setting("api_key", "the key", required=True, secret=True),
    Setting("page_size", "items per page", "int", default=100, minimum=1, maximum=1000),
    Setting("rate", "requests per second", "float", default=2.0, minimum=0.1),
    Setting("include_pdf", "add the PDFs", "bool", default=False),
    Setting("since", "first day", "date"),
    Setting("mailboxes", "mailboxes to read", "list"),
)
GOOD = {"base_url": "https://api.example.com/v1", "api_key": "s3cret-value"}


def test_settings_are_typed_and_defaults_filled_in():
    out = validate("acme", DECLARED, {**GOOD, "page_size": "250", "since": "2024-01-31", "mailboxes": ["a@b.be"]})
    assert out == {"base_url": "https://api.example.com/v1", "api_key": "s3cret-value", "page_size": 250,
                   "rate": 2.0, "include_pdf": False, "since": date(2024, 1, 31), "mailboxes": ["a@b.be"]}


@pytest.mark.parametrize(("raw", "message"), [
    ({"api_key": "x"}, "acme.base_url is missing (the API's address)"),
    ({**GOOD, "base_url": "http://api.example.com"}, "acme.base_url must be an https URL"),
    ({**GOOD, "base_url": "https://user:pw@api.example.com"}, "acme.base_url must be an https URL without user"),
    ({**GOOD, "page_size": "abc"}, "acme.page_size must be a whole number 1–1000"),
    ({**GOOD, "page_size": 5000}, "acme.page_size must be a whole number 1–1000"),
    ({**GOOD, "page_size": 2.5}, "acme.page_size must be a whole number"),
    ({**GOOD, "page_size": True}, "acme.page_size must be"),
    ({**GOOD, "rate": 0}, "acme.rate must be a number ≥ 0.1"),
    ({**GOOD, "rate": float("nan")}, "acme.rate must be a number ≥ 0.1"),
    ({**GOOD, "page_size": float("inf")}, "acme.page_size must be a whole number 1–1000"),
    ({**GOOD, "include_pdf": "yes"}, "acme.include_pdf must be true or false"),
    ({**GOOD, "since": "31-01-2024"}, "acme.since must be a date written YYYY-MM-DD"),
    ({**GOOD, "mailboxes": [1]}, "acme.mailboxes must be a list of non-empty texts"),
    ({**GOOD, "mailboxes": "a@b.be, c@d.be"}, "acme.mailboxes must be a list of non-empty texts"),
    ({**GOOD, "pagesize": 10}, "connectors.acme has no setting pagesize"),
])
def test_bad_settings_name_the_key_and_never_the_value(raw: dict[str, Any], message: str):
    with pytest.raises(ConfigError) as exc:
        validate("acme", DECLARED, raw)
    assert message in str(exc.value)
    for value in raw.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(exc.value)


def test_cross_field_check_runs_on_typed_values():
    seen: list[dict[str, Any]] = []

    def check(settings: dict[str, Any]) -> None:
        seen.append(settings)
        if settings["page_size"] > 500 and settings["include_pdf"]:
            raise ConfigError("config: connectors.acme.page_size must be ≤ 500 with include_pdf")

    validate("acme", DECLARED, {**GOOD, "page_size": "600"}, check)
    assert seen[0]["page_size"] == 600
    with pytest.raises(ConfigError, match="≤ 500 with include_pdf"):
        validate("acme", DECLARED, {**GOOD, "page_size": "600", "include_pdf": True}, check)


def test_reference_rows_mark_required_and_secret_settings():
    rows = reference(DECLARED)
    assert rows[1] == "| `api_key` | text | **required** | the key (secret: use `${VAR}`) |"
    assert rows[2] == "| `page_size` | whole number 1–1000 | `100` | items per page |"
    assert len(rows) == len(DECLARED)


# ---------------------------------------------------------------- datasets
ORDER = Dataset("order", "orders", "Bestelling", "Order", Origin.PROVIDED, {
    "number": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
    "status": Field("Status", "Status", Kind.CODE, {"paid": ("betaald", "paid")}),
    "customer": Field("Klant", "Customer", Kind.IDENTIFIER),          # covers customer.resource.id, …
    "lines.title": Field("Product", "Product", Kind.TEXT),
    "lines.priceCost": Field("Kostprijs", "Cost price", Kind.INTERNAL),
}, date=None, title=("number",))


def test_paths_skip_list_positions_and_keep_empty_containers():
    data = {"number": "O1", "customer": {"resource": {"id": 5}}, "lines": [{"title": "a"}, {"title": "b"}],
            "tags": []}
    assert sorted(paths(data)) == ["customer.resource.id", "lines.title", "lines.title", "number", "tags"]


def test_a_declared_path_covers_what_is_below_it_and_nothing_else():
    data = {"number": "O1", "customer": {"resource": {"id": 5, "url": "x"}},
            "lines": [{"title": "a", "priceCost": 3, "supplier": "ACME"}], "remoteIp": "1.2.3.4"}
    assert undeclared(ORDER, data) == ["lines.supplier", "remoteIp"]
    assert ORDER.field_for("customer.resource.id") == ("customer", ORDER.fields["customer"])
    assert ORDER.field_for("lines") is None


def test_an_empty_or_null_parent_of_declared_fields_is_not_undeclared():
    msg = Dataset("message", "communications", "Bericht", "Message", Origin.PROVIDED, {
        "cc.address": Field("Cc", "Cc", Kind.EMAIL)})
    assert undeclared(msg, {"cc": []}) == [] and undeclared(msg, {"cc": None}) == []
    assert undeclared(msg, {"cc": [{"address": "x@y.be", "name": "X"}]}) == ["cc.name"]
    assert undeclared(msg, {"bcc": []}) == ["bcc"]


def test_declarations_are_checked():
    bad = Dataset("order", "payments", "B", "O", Origin.PROVIDED, {}, date="createdAt")
    problems = check_declarations("acme", ("orders",), (ORDER, ORDER, bad))
    assert "dataset 'order' declared twice" in problems
    assert any("filed under 'payments'" in p for p in problems)
    assert any("declares no field" in p for p in problems)
    assert any("'createdAt' as date or title" in p for p in problems)
    assert check_declarations("acme", ("orders",), (ORDER,)) == []


def test_deeply_nested_data_is_walked_without_recursion():
    data: dict[str, Any] = {}
    node = data
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    node["leaf"] = 1
    (only,) = list(paths(data))
    assert only.endswith(".a.leaf")


# ---------------------------------------------------------------- paginators
def _serve(pages_by_token: dict[Any, dict[str, Any]]) -> tuple[list[Any], Any]:
    asked: list[Any] = []

    def fetch(token: Any) -> dict[str, Any]:
        key = token if token is None or isinstance(token, str) else tuple(sorted(token.items()))
        asked.append(token)
        return pages_by_token[key]

    return asked, fetch


def _items(body: Any) -> list[Any]:
    return items_at(body, "items", "acme", "GET /items")


def test_page_numbers_until_a_short_page():
    p = PageNumberPaginator(size=2)
    asked, fetch = _serve({(("limit", 2), ("page", 1)): {"items": [{"id": 1}, {"id": 2}]},
                           (("limit", 2), ("page", 2)): {"items": [{"id": 3}]}})
    got = [i["id"] for page in pages(fetch, p, _items, PageGuard("acme", "GET /items", 10)) for i in page]
    assert got == [1, 2, 3] and len(asked) == 2


def test_page_numbers_stop_at_the_counted_last_page():
    p = PageNumberPaginator(size=2, size_param="page_size", total_pages_key="total_pages")
    asked, fetch = _serve({(("page", 1), ("page_size", 2)): {"items": [{"id": 1}, {"id": 2}], "total_pages": 1}})
    assert len(list(pages(fetch, p, _items, PageGuard("acme", "x", 10)))) == 1 and len(asked) == 1


def test_offsets_until_the_total():
    p = OffsetPaginator(size=2)
    _, fetch = _serve({(("count", 2), ("offset", 0)): {"items": [{"id": 1}, {"id": 2}], "total_items": 3},
                       (("count", 2), ("offset", 2)): {"items": [{"id": 3}], "total_items": 3}})
    got = [i["id"] for page in pages(fetch, p, _items, PageGuard("acme", "x", 10)) for i in page]
    assert got == [1, 2, 3]


def test_next_links_until_there_is_none():
    _, fetch = _serve({None: {"items": [{"id": 1}], "@odata.nextLink": "https://x/2"},
                       "https://x/2": {"items": [{"id": 2}]}})
    got = [i["id"] for page in pages(fetch, NextLinkPaginator(), _items, PageGuard("acme", "x", 10)) for i in page]
    assert got == [1, 2]


@pytest.mark.parametrize("paginator", [PageNumberPaginator(size=1), OffsetPaginator(size=1, total_key=None),
                                       NextLinkPaginator()], ids=["page-number", "offset", "next-link"])
def test_every_paginator_ends_on_a_repeated_page(paginator: Any):
    def fetch(token: Any) -> dict[str, Any]:     # a vendor that answers the same full page for ever
        return {"items": [{"id": 7}], "@odata.nextLink": "https://x/again"}

    with pytest.raises(VendorError, match="paging did not advance at GET /items"):
        list(pages(fetch, paginator, _items, PageGuard("acme", "GET /items", 1000)))


def test_a_page_count_over_the_cap_ends_the_loop():
    counter = iter(range(10_000))

    def fetch(token: Any) -> dict[str, Any]:
        return {"items": [{"id": next(counter)}]}

    with pytest.raises(VendorError, match="did not end at GET /items after 5 pages"):
        list(pages(fetch, PageNumberPaginator(size=1), _items, PageGuard("acme", "GET /items", 5)))


@pytest.mark.parametrize(("body", "message"), [
    ([{"id": 1}], "answered a list where an object was expected"),
    ({"other": []}, "answered an object without its 'items' list"),
    ({"items": {"id": 1}}, "answered a dict where the 'items' list was expected"),
    ({"items": False}, "answered a bool where"),
])
def test_a_page_of_the_wrong_shape_is_a_vendor_error_never_an_empty_page(body: Any, message: str):
    with pytest.raises(VendorError, match=message):
        items_at(body, "items", "acme", "GET /items")


def test_a_documented_empty_value_is_an_empty_page():
    assert items_at({"items": False}, "items", "lightspeed", "GET /x", empty=(False,)) == []


# ---------------------------------------------------------------- fan-out
def test_fan_out_keeps_order_and_bounds_what_is_in_flight():
    running, peak, lock = 0, 0, threading.Lock()
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for i in range(40):
            pulled.append(i)
            yield i

    def work(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.005 * (i % 3))
        with lock:
            running -= 1
        return i * i

    results = []
    for item, result in fan_out(work, source(), workers=3):
        results.append((item, result))
        assert len(pulled) - len(results) <= 2 * 3          # never more than 2 × workers taken ahead
    assert results == [(i, i * i) for i in range(40)]
    assert peak <= 3


def test_fan_out_unordered_yields_each_once():
    got = sorted(r for _, r in fan_out(lambda i: i + 1, range(25), workers=4, ordered=False))
    assert got == list(range(1, 26))


def test_fan_out_raises_the_first_error_and_starts_nothing_more():
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        if i == 3:
            raise VendorError("acme: item 3 broke")
        return i

    with pytest.raises(VendorError, match="item 3 broke"):
        for _ in fan_out(work, range(1000), workers=2):
            pass
    assert len(started) < 20


# ---------------------------------------------------------------- plugins and the runner
def test_default_plugins_are_named_explicitly_and_all_register():
    registry = build_registry(plugin_manager(entry_points=False))
    assert sorted(registry.connectors) == sorted(name.rsplit(".", 1)[1] for name in DEFAULT_PLUGINS)
    builtin = Path(__file__).parents[1] / "connectors"
    modules = {p.stem for p in builtin.glob("*.py") if not p.stem.startswith("_") and not p.stem.endswith("_datasets")}
    assert modules == {name.rsplit(".", 1)[1] for name in DEFAULT_PLUGINS}


class _Declaring(Connector):
    name = "acme"
    processor = "lightspeed"
    categories = ("orders",)
    declared_settings = (Setting("base_url", "the API's address", "url", required=True),
                         Setting("cut", "stop early", "bool", default=False))
    datasets = (ORDER,)
    emits: tuple[Record, ...] = ()

    def collect(self) -> Iterator[Record]:
        assert self.settings["timeout"] == 30.0             # the common settings are declared for everyone
        yield self.ctx.record("orders", "order", {"number": "O1", "secretMargin": 12}, endpoint="GET /orders")
        if self.settings["cut"]:
            self.ctx.cut_short("orders before 2024 were not searched (page cap)")
        self.ctx.covered("orders: all 1")


class _Plugin:
    def __init__(self, cls: type[Connector]) -> None:
        self.cls = cls

    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(self.cls)


def _run(tmp_path: Path, settings: dict[str, Any], cls: type[Connector] = _Declaring) -> Outcome:
    from aggregator.api import export

    cfg = config_mod.from_mapping({"connectors": {"acme": settings}}, env={})
    result = export("jan.desmet@example.be", config=cfg, out_dir=tmp_path, only=["acme"], entry_points=False,
                    plugins=[_Plugin(cls)], request_id="kit")
    return result.connectors["acme"]


def test_undeclared_fields_are_reported_not_lost(tmp_path: Path):
    outcome = _run(tmp_path, {"base_url": "https://acme.example"})
    assert outcome.status == Status.COMPLETE and outcome.records == 1
    assert outcome.undeclared == ["order: secretMargin"]
    assert any("exported unlabelled: order: secretMargin" in n for n in outcome.notes)
    assert outcome.coverage == ["orders: all 1"]


def test_a_search_cut_short_is_incomplete_and_the_package_partial(tmp_path: Path):
    outcome = _run(tmp_path, {"base_url": "https://acme.example", "cut": True})
    assert outcome.status == Status.INCOMPLETE
    assert outcome.error == "acme: orders before 2024 were not searched (page cap)"
    assert outcome.shortfalls == ["orders before 2024 were not searched (page cap)"]
    assert overall_status({"acme": outcome}) == "partial"


def test_an_undeclared_dataset_fails_the_connector(tmp_path: Path):
    class Other(_Declaring):
        def collect(self) -> Iterator[Record]:
            yield self.ctx.record("orders", "refund", {"number": "R1"}, endpoint="GET /refunds")

    outcome = _run(tmp_path, {"base_url": "https://acme.example"}, Other)
    assert outcome.status == Status.FAILED and "undeclared dataset 'refund'" in (outcome.error or "")


def test_bad_declared_settings_stop_the_export_before_it_starts(tmp_path: Path):
    with pytest.raises(ConfigError, match="acme.base_url must be an https URL"):
        _run(tmp_path, {"base_url": "ftp://acme.example"})
    assert not list(tmp_path.iterdir())


def test_a_connector_with_unsound_declarations_is_refused_at_registration():
    class Unsound(_Declaring):
        categories = ("payments",)

    with pytest.raises(PluginError, match="filed under 'orders', which the connector does not declare"):
        build_registry(plugin_manager(entry_points=False, extra=[_Plugin(Unsound)]))


def test_connectors_command_checks_the_config_and_lists_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from aggregator.cli import main

    cfg = tmp_path / "dsar.toml"
    cfg.write_text('[connectors.lightspeed]\nbase_url = "https://x.example/nl/"\ntimeout = "abc"\n')
    assert main(["connectors", "--config", str(cfg), "--settings"]) == 2
    out = capsys.readouterr().out
    assert "config error" in out and "connectors.lightspeed." in out
    assert "timeout" in out and "seconds to wait" in out
    cfg.write_text("")
    assert main(["connectors", "--config", str(cfg), "--json"]) == 0


def test_fan_out_starts_nothing_queued_after_a_failure():
    started: list[int] = []
    one_running = threading.Event()

    def work(i: int) -> int:
        started.append(i)
        if i == 0:
            one_running.wait(5)   # item 1 is running when item 0 fails; items 2 and 3 are queued
            raise VendorError("acme: item 0 broke")
        one_running.set()
        time.sleep(0.1)
        return i

    with pytest.raises(VendorError, match="item 0 broke"):
        list(fan_out(work, range(100), workers=2))
    assert sorted(started) == [0, 1]      # queued items 2, 3 were skipped, not run


def test_a_page_that_is_a_bare_list():
    assert items_at([{"id": 1}], None, "silvasoft", "GET /x") == [{"id": 1}]
    with pytest.raises(VendorError, match="answered a dict where a list was expected"):
        items_at({"id": 1}, None, "silvasoft", "GET /x")


def test_a_rate_that_must_be_above_zero():
    rate = (Setting("rate", "requests per second", "float", default=2.0, minimum=0, above_minimum=True),)
    assert rate[0].describe() == "number > 0"
    with pytest.raises(ConfigError, match="rate must be a number > 0"):
        validate("acme", rate, {"rate": 0})
    with pytest.raises(ConfigError, match="rate must be a number > 0"):
        validate("acme", rate, {"rate": True})
    assert validate("acme", rate, {"rate": 0.5}) == {"rate": 0.5}
