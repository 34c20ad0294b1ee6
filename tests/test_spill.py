"""What a connector must remember about every item of a long listing waits on disk, not in memory (issue 21)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from aggregator.paging import ParkedMap
from tests.conftest import DEMO


def test_a_parked_map_answers_like_a_dict():
    with_map = ParkedMap()
    with_map.update([("2024001", "C1"), ("2024002", "C2"), ("2024003", None)])
    with_map.update([("2024002", "C1")])                   # a later value replaces an earlier one
    assert len(with_map) == 3 and "2024003" in with_map and "2024009" not in with_map
    assert with_map.get("2024002") == "C1" and with_map.get("2024003") is None and with_map.get("x") is None
    assert sorted(with_map.keys_with({"C1"})) == ["2024001", "2024002"] and with_map.keys_with(set()) == []
    with_map.close()


def test_a_parked_map_of_a_shops_every_invoice_stays_out_of_memory():
    n = 60_000
    parked = ParkedMap(cache_kib=256)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for start in range(0, n, 100):                    # a sweep's pages of 100 invoice headers
            parked.update((f"{2020000000 + i}", f"{10000 + i % 700}") for i in range(start, start + 100))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 500_000            # a dict of them: some 8 MB
    pages, size = (parked._db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
    assert pages * size > 4 * 256 * 1024                  # well beyond the cache: in SQLite's temporary file
    assert len(parked) == n and len(parked.keys_with({"10001"})) == len(range(1, n, 700))
    parked.close()


def test_lightspeeds_carrier_facts_of_every_order_wait_on_disk_and_come_back_whole():
    from connectors.lightspeed import _Carriers

    carriers = _Carriers()
    n = 20_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            carriers.add({"id": 287000000 + i, "number": f"ORD{100000 + i}", "shipmentTitle": "DPD Classic",
                          "shipmentData": {"method": "dpd"}, "addressShippingName": "Jan Desmet",
                          "addressShippingStreet": "Kerkstraat", "addressShippingCity": "Gent",
                          "phone": "+32 470 00 00 00", "email": "jan.desmet@example.be"})
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 500_000            # one entry per order in a dict: some 4 MB here
    assert carriers.of("287000007") == {"order": "ORD100007", "carrier": "DPD Classic", "carrier_method": "dpd",
                                        "recipient": {"name": "Jan Desmet", "street": "Kerkstraat", "city": "Gent"},
                                        "phone": "+32 470 00 00 00", "email": "jan.desmet@example.be"}
    assert carriers.of("1") is None
    carriers.close()                  # the map on disk is gone with them
    with pytest.raises(sqlite3.ProgrammingError):
        carriers.of("287000007")


def test_paypal_leaves_other_payers_transactions_out_of_a_search_page_as_it_is_parsed(run_export, monkeypatch):
    from connectors.paypal import SEARCH_PATH, PayPalClient

    pages: list[dict[str, Any]] = []
    real = PayPalClient.get

    def get(self: PayPalClient, path: str, params: Any, **kwargs: Any) -> dict[str, Any]:
        body = real(self, path, params, **kwargs)
        if path == SEARCH_PATH and "transaction_id" not in params:
            pages.append(body)
        return body

    monkeypatch.setattr(PayPalClient, "get", get)
    pkg = run_export(DEMO, vendors=["paypal"], sleep=lambda _s: None)
    details = [d for body in pages for d in body["transaction_details"]]
    mine = [d for d in details if str((d.get("payer_info") or {}).get("email_address", "")).lower() == DEMO]
    others = [d for d in details if d not in mine]
    assert len(others) > 10 * len(mine) > 0
    assert all(set(d) == {"transaction_info"} and set(d["transaction_info"]) == {"transaction_id"} for d in others)
    assert all({"transaction_info", "payer_info"} <= set(d) for d in mine)    # the subject's: whole
    assert len(pkg.records("paypal", "transaction")) >= len(mine)


_MAPPED = """
import ctypes, sys
if sys.argv[1] == "yes":
    from aggregator.http import return_large_buffers
    return_large_buffers()
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    print("skip"); sys.exit()
libc.mallinfo2.restype = MallInfo2
first = bytearray(4 * 2**20)
del first
mapped = libc.mallinfo2().hblks
second = bytearray(3 * 2**20)    # above any free chunk the imports left, below the raised threshold
alone = libc.mallinfo2().hblks == mapped + 1
del second
print("mapped" if alone and libc.mallinfo2().hblks == mapped else "heap")
"""


def test_a_large_answer_buffer_is_mapped_on_its_own_even_after_a_larger_one_was_freed():
    """glibc raises its mapping threshold past 4 MiB when a 4 MiB buffer is freed and serves the next page bodies
    from a thread's heap, which keeps its highest level; once the threshold is set
    (:func:`aggregator.http.return_large_buffers`, as every run sets it) each is a mapping of its own, given back
    when freed. In a fresh process each, so no earlier test's heap decides."""
    root = Path(__file__).resolve().parents[1]

    def run(imported: str) -> str:
        done = subprocess.run([sys.executable, "-c", _MAPPED, imported], capture_output=True, text=True, cwd=root,
                              env={**os.environ, "PYTHONPATH": str(root)}, check=True, timeout=60)
        return done.stdout.strip()

    if run("no") == "skip":
        pytest.skip("not glibc 2.33 or later")
    assert run("no") == "heap" and run("yes") == "mapped"


def test_every_run_sets_the_threshold_before_its_connectors_read_anything(monkeypatch):
    """The threshold is process-wide, so a run sets it (not the import of a module a web process may only use to
    enqueue): :func:`aggregator.runner.run` asks for it before its configuration check."""
    from aggregator import runner
    from aggregator.config import from_mapping
    from aggregator.errors import ConfigError
    from aggregator.plugins import build_registry, plugin_manager
    from aggregator.spool import Spool
    from aggregator.subject import Subject

    asked: list[bool] = []
    monkeypatch.setattr(runner, "return_large_buffers", lambda: asked.append(True) or True)
    with pytest.raises(ConfigError):
        runner.run(Subject.parse("x@example.be"), from_mapping({"connectors": {}}, env={}),
                   build_registry(plugin_manager(entry_points=False)), Spool(Path(tempfile.mkdtemp())))
    assert asked == [True]


def test_parked_listings_and_maps_take_vendor_text_with_a_lone_surrogate():
    """Free text reaches these stores before admission cleans it: a lone surrogate must not fail the connector."""
    from aggregator.paging import Parked

    with Parked() as parked:
        parked.append({"note": "a \ud83d b"})
        assert list(parked) == [{"note": "a \ud83d b"}]      # kept exactly: admission replaces it later
    cards = ParkedMap()
    cards.update([("INV-\ud83d", "klant \udc00")])
    assert cards.get("INV-\ud83d") == "klant \ufffd" and "INV-\ud83d" in cards
    assert cards.keys_with(["klant \udc00"]) == ["INV-\ufffd"]


def test_a_parked_map_stays_usable_after_an_update_failed_half_way():
    """A failing update ends its transaction (what it set stays, as with a dict updated half way: the map keeps no
    journal), not left open for every later call to trip on."""
    def pairs():
        yield "a", "1"
        raise RuntimeError("the vendor's page ended mid-way")

    invoices = ParkedMap()
    with pytest.raises(RuntimeError):
        invoices.update(pairs())
    invoices.update([("b", "2")])
    assert invoices.get("a") == "1" and invoices.get("b") == "2" and len(invoices) == 2
