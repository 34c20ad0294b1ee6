"""The identifier bus (issue 21): identifiers wait in a temporary database, not in memory, and still reach every
consumer once, in order, with their attributes, however late it starts."""

from __future__ import annotations

import threading
import tracemalloc

from aggregator.identifiers import CACHE_KIB, INVOICE_NUMBER, ORDER_NUMBER, IdentifierBus


def test_a_late_consumer_gets_every_identifier_once_in_order_with_its_attributes():
    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"], INVOICE_NUMBER: ["lightspeed"]})
    bus.offer("lightspeed", ORDER_NUMBER, " 1001 ", date="2024-03-01T10:00:00+01:00", total=12.5, order_id=7)
    bus.offer("lightspeed", ORDER_NUMBER, "1001", date="other")      # a repeat: dropped, the first one stays
    bus.offer("lightspeed", ORDER_NUMBER, "   ")                       # blank: dropped
    bus.offer("lightspeed", INVOICE_NUMBER, "1001")                    # the same value of another kind is its own
    bus.offer("lightspeed", ORDER_NUMBER, 1002)
    bus.finished("lightspeed")
    got = list(bus.stream(ORDER_NUMBER))
    assert [(i.value, i.source) for i in got] == [("1001", "lightspeed"), ("1002", "lightspeed")]
    assert got[0].attrs == {"date": "2024-03-01T10:00:00+01:00", "total": 12.5, "order_id": 7} and got[1].attrs == {}
    assert [i.value for i in bus.stream(INVOICE_NUMBER)] == ["1001"]
    assert bus.snapshot() == {INVOICE_NUMBER: ["1001"], ORDER_NUMBER: ["1001", "1002"]}
    assert sorted((i.kind, i.value) for i in bus.items()) == [(INVOICE_NUMBER, "1001"), (ORDER_NUMBER, "1001"),
                                                                (ORDER_NUMBER, "1002")]


def test_a_consumer_gets_each_identifier_as_it_arrives_and_its_stream_ends_when_the_provider_does():
    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"]})
    stream = bus.stream(ORDER_NUMBER)
    bus.offer("lightspeed", ORDER_NUMBER, "1")
    assert next(stream).value == "1"                                   # not held back until the provider ends
    later = threading.Timer(0.05, lambda: (bus.offer("lightspeed", ORDER_NUMBER, "2"), bus.finished("lightspeed")))
    later.start()
    assert [i.value for i in stream] == ["2"]
    later.join()
    assert [i.value for i in IdentifierBus({}).stream(ORDER_NUMBER)] == []   # no provider: ends at once


def test_tens_of_thousands_of_identifiers_wait_on_disk_not_in_memory():
    n = 30_000
    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"]})
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            bus.offer("lightspeed", ORDER_NUMBER, f"{100000 + i}", date=f"2024-01-01T10:{i % 60:02d}:00+01:00",
                      total=f"{i}.95", order_id=31485501 + i, order_number=f"{100000 + i}")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # As Python objects they took some 600 bytes each (18 MB here); now only the per-kind count stays in Python.
    assert grown < 1_000_000
    pages, size, cache = (bus._db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size",
                                                                                  "cache_size"))
    assert cache == -CACHE_KIB and pages * size > 4 * CACHE_KIB * 1024    # beyond the cache: in the temporary file
    bus.finished("lightspeed")
    values = [i.value for i in bus.stream(ORDER_NUMBER)]
    assert len(values) == n and values[0] == "100000" and values[-1] == f"{100000 + n - 1}"


def test_a_lone_surrogate_in_vendor_text_is_replaced_not_an_error():
    """SQLite takes no lone surrogate; vendor text may hold one (tests/test_hostile.py): the bus stores U+FFFD in
    the value (as admission does for records) and keeps the attributes exactly."""
    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"]})
    bus.offer("lightspeed", ORDER_NUMBER, "10\ud83d01", note="a \ud83d b")
    bus.finished("lightspeed")
    (got,) = list(bus.stream(ORDER_NUMBER))
    assert got.value == "10\ufffd01" and got.attrs == {"note": "a \ud83d b"}


def test_a_dropped_bus_keeps_nothing():
    import sqlite3

    import pytest

    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"]})
    bus.offer("lightspeed", ORDER_NUMBER, "1001")
    bus.drop()                       # the run is recorded: its identifiers' database and file are gone
    with pytest.raises(sqlite3.ProgrammingError):
        bus.items()


def test_a_batch_is_offered_in_one_go_waking_the_consumers_once():
    bus = IdentifierBus({ORDER_NUMBER: ["lightspeed"], INVOICE_NUMBER: ["lightspeed"]})
    wake_ups = 0
    real_notify_all = bus._cond.notify_all

    def counted() -> None:
        nonlocal wake_ups
        wake_ups += 1
        real_notify_all()

    bus._cond.notify_all = counted  # type: ignore[method-assign]
    got: list[str] = []
    consumer = threading.Thread(target=lambda: got.extend(i.value for i in bus.stream(ORDER_NUMBER)), daemon=True)
    consumer.start()
    try:
        bus.offer_all("lightspeed", [(ORDER_NUMBER, str(n), {"total": n}) for n in range(1, 251)]
                      + [(ORDER_NUMBER, "7", {}), (ORDER_NUMBER, " ", {}), (INVOICE_NUMBER, "F1", {})])
        assert wake_ups == 1     # one by one, every identifier woke every waiting consumer (250 wake-ups a page)
        bus.offer_all("lightspeed", [(ORDER_NUMBER, "7", {})])
        assert wake_ups == 1     # nothing new: nobody woken
    finally:
        bus.finished("lightspeed")
        consumer.join(5)
    assert got == [str(n) for n in range(1, 251)]     # every one, in order; the repeat and the blank dropped
    assert [i.value for i in bus.stream(INVOICE_NUMBER)] == ["F1"]
