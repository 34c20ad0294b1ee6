"""Memory stays flat however much a vendor holds (issue 21): long listings are handed on as their pages arrive,
not collected first; a listing that must be read in full before it is used waits on disk (:class:`Parked`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aggregator.model import Record
from aggregator.paging import Parked, ParkedMap
from connectors.lightspeed import Lightspeed
from tests.conftest import DEMO

FAST = {"lightspeed": {"requests_per_second": 0}}


def test_parked_items_come_back_in_order_as_often_as_asked_and_the_file_goes():
    with Parked() as parked:
        assert not parked and len(parked) == 0 and list(parked) == []
        parked.append({"id": 1, "naam": "Jan Désmet", "lines": [1, 2]})
        first = iter(parked)
        assert next(first) == {"id": 1, "naam": "Jan Désmet", "lines": [1, 2]}
        parked.append({"id": 2})                     # appended while a reader is open: it still sees it
        assert next(first) == {"id": 2}
        assert [p["id"] for p in parked] == [1, 2] and [p["id"] for p in parked] == [1, 2] and len(parked) == 2
        handle = parked._file
    assert handle.closed


def _spy(monkeypatch: pytest.MonkeyPatch, cls: type, when: Callable[[Record], bool],
         look: Callable[[], Any]) -> list[Any]:
    """Patch ``cls.collect`` to call ``look()`` the first time a record ``when`` accepts is yielded."""
    seen: list[Any] = []
    real = cls.collect

    def collect(self: Any) -> Iterator[Record]:
        for record in real(self):
            if not seen and when(record):
                seen.append(look())
            yield record

    monkeypatch.setattr(cls, "collect", collect)
    return seen


def _pages(sandbox: Any, vendor: str, path: str) -> Callable[[], list[str]]:
    return lambda: [x.query for x in sandbox.requests_to(vendor) if x.path == path]


def test_lightspeed_hands_on_each_shipment_before_the_last_page_of_them_is_fetched(run_export, sandbox, monkeypatch):
    seen = _spy(monkeypatch, Lightspeed, lambda r: r.dataset == "shipment",
                _pages(sandbox, "lightspeed", "/nl/shipments.json"))
    pkg = run_export(DEMO, ["lightspeed"], FAST)
    assert len(seen[0]) == 1 and "page=1" in seen[0][0]              # the first page only, so far
    assert any("page=2" in q for q in _pages(sandbox, "lightspeed", "/nl/shipments.json")())
    shipments = pkg.records("lightspeed", "shipment")
    disclosures = pkg.data("shipments", "transport")
    assert len(shipments) == 260 and len(disclosures) == 260
    assert {d["data"]["carrier"] for d in disclosures} and all(d["data"]["order"] for d in disclosures)
    assert all(isinstance(d["data"]["recipient"], dict) for d in disclosures)


def test_lightspeed_hands_on_the_customers_order_events_before_the_shops_last_page_of_them(run_export, sandbox,
                                                                                          monkeypatch):
    seen = _spy(monkeypatch, Lightspeed, lambda r: r.dataset == "order_event",
                _pages(sandbox, "lightspeed", "/nl/orders/events.json"))
    pkg = run_export(DEMO, ["lightspeed"], FAST)
    assert len(seen[0]) == 1 and "created_at_min" in seen[0][0]       # the shop's events: first page only
    assert len(_pages(sandbox, "lightspeed", "/nl/orders/events.json")()) == 2
    assert len(pkg.records("lightspeed", "order_event")) == 261


def test_lightspeed_keeps_no_order_list_in_memory_the_listing_waits_on_disk(run_export, monkeypatch):
    parked: list[Parked] = []
    real = Parked.__init__

    def init(self: Parked) -> None:
        real(self)
        parked.append(self)

    monkeypatch.setattr(Parked, "__init__", init)
    pkg = run_export(DEMO, ["lightspeed"], FAST)
    assert sorted(len(p) for p in parked) == [4, 260]        # the demo customer's invoices and orders …
    assert all(p._file.closed for p in parked)                # … and the files are gone after the run
    assert len(pkg.records("lightspeed", "order")) == 260


def test_silvasoft_keeps_only_the_subjects_sales_orders_of_a_sweep_and_only_numbers_of_the_invoices(
        run_export, monkeypatch):
    from connectors.silvasoft import SilvasoftConnector

    kept: dict[str, Any] = {}
    real_orders, real_sweep = SilvasoftConnector._sweep_orders, SilvasoftConnector._sweep
    pages: list[list[dict[str, Any]]] = []

    def sweep_orders(self: Any, start: Any, found: Any) -> None:
        real_orders(self, start, found)
        seen = found.invoices_seen
        kept["orders"], kept["numbers"] = list(found.orders), found.numbers
        kept["seen"] = (type(seen), len(seen), seen.keys_with(found.numbers))

    def sweep(self: Any, *args: Any, take: Callable[[list[dict[str, Any]]], None], **kwargs: Any) -> Any:
        def spy(page: list[dict[str, Any]]) -> None:
            pages.append(page)
            take(page)
        return real_sweep(self, *args, take=spy, **kwargs)

    monkeypatch.setattr(SilvasoftConnector, "_sweep_orders", sweep_orders)
    monkeypatch.setattr(SilvasoftConnector, "_sweep", sweep)
    pkg = run_export(DEMO, vendors=["silvasoft"], sleep=lambda _s: None)
    swept_orders = [o for page in pages for o in page if "OrderNumber" in o]
    assert len(swept_orders) > len(kept["orders"]) > 0           # other customers' orders were swept past …
    assert all(str(o["CustomerNumber"]) in kept["numbers"] for o in kept["orders"])   # … and not kept
    kind, noted, mine = kept["seen"]                 # of the invoices: number -> customer only, and on disk
    swept_invoices = {str(i["InvoiceNumber"]) for page in pages for i in page if "InvoiceNumber" in i}
    assert kind is ParkedMap and noted == len(swept_invoices) > len(mine) > 0 and set(mine) <= swept_invoices
    assert len(pkg.records("silvasoft", "sales_order")) == len(kept["orders"])
