"""Office 365 hands records on as it reads them (issue 21): no per-mailbox list, the run spools while mailboxes
are still read, a mailbox opens with the head of its longest chain, and the download backlog stays bounded."""

from __future__ import annotations

import threading
import time
from typing import Any

import connectors.office365 as office365_connector
from aggregator import spool as spool_mod
from aggregator.sandbox import Fault
from tests.conftest import DEMO
from tests.in_flight import count_in_flight, graph_download

INFO = "/users/info@megasecurity.eu/"


def _ok(pkg: Any) -> Any:
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "complete", outcome.error
    return outcome


def test_records_reach_the_spool_while_the_mailbox_is_still_read(run_export, sandbox, monkeypatch):
    # info's calendar is held back until an Office 365 record has been spooled: the records of its messages must
    # be handed on before the mailbox's last listing ends (the wait is a deadlock guard, not a timing)
    spooled = threading.Event()
    original_write = spool_mod.Spool.write

    def write(self, record):
        if record.connector == "office365":
            spooled.set()
        return original_write(self, record)

    app = sandbox.apps["office365"]
    original = app.handle
    seen_before_events: list[bool] = []

    def handle(request):
        if INFO in request.path + "/" and request.path.endswith("/events"):
            seen_before_events.append(spooled.wait(20))
        return original(request)

    monkeypatch.setattr(spool_mod.Spool, "write", write)
    monkeypatch.setattr(app, "handle", handle)
    pkg = run_export(DEMO, vendors=["office365"])
    _ok(pkg)
    assert seen_before_events and all(seen_before_events)
    assert pkg.records("office365", "event")                    # and the calendar still came


def test_a_mailbox_opens_with_its_search_beside_the_rest(run_export, sandbox, monkeypatch):
    app = sandbox.apps["office365"]
    original = app.handle
    arrived: list[Any] = []

    searched = {m: threading.Event() for m in ("info", "verkoop")}

    def handle(request):
        arrived.append(request)             # in the order they reach Graph, not the order they are answered
        mailbox = next((m for m in searched if f"/users/{m}@megasecurity.eu/" in request.path), None)
        if mailbox is not None:
            if request.path.endswith("/messages") and request.arg("$search") and not request.arg("$skip"):
                searched[mailbox].set()
            else:                           # the others hold their slots until the $search's first page is in:
                searched[mailbox].wait(10)  # with no slot kept for it, it would come after them (10 s later)
        return original(request)

    monkeypatch.setattr(app, "handle", handle)
    _ok(run_export(DEMO, vendors=["office365"]))
    for mailbox in ("info", "verkoop"):
        asked = [x for x in arrived if f"/users/{mailbox}@megasecurity.eu/" in x.path]
        # the $search's first page (the head of the mailbox's longest chain of pages) is in its first round
        first = [x for x in asked[:office365_connector.MAILBOX_CONCURRENCY]
                 if x.path.endswith("/messages") and x.arg("$search") and not x.arg("$skip")]
        assert first
        assert len({x.path.rsplit("/", 1)[-1] for x in asked}) > 3


def test_the_gate_keeps_a_slot_for_the_lead_and_ranks_who_waits():
    gate = office365_connector._Gate(4)
    gate.keep_for_lead(True)
    order: list[str] = []
    held = [gate.slot(gate.LISTING) for _ in range(3)]
    for h in held:
        h.__enter__()

    def ask(name: str, rank: int) -> threading.Thread:
        def go() -> None:
            with gate.slot(rank):
                order.append(name)
        t = threading.Thread(target=go)
        t.start()
        return t

    def waiting(counts: list[int]) -> None:
        for _ in range(500):
            if gate._waiting == counts:
                return
            threading.Event().wait(0.01)
        raise AssertionError(gate._waiting)

    listing = ask("listing", gate.LISTING)       # the fourth slot is kept for the lead: a listing waits
    waiting([0, 1, 0])
    assert not order
    ask("lead", gate.LEAD).join(5)               # the lead takes the kept slot at once, then the listing goes
    listing.join(5)
    assert order == ["lead", "listing"]
    fourth = gate.slot(gate.LISTING)             # all four busy: a download, then a listing, wait
    fourth.__enter__()
    download = ask("download", gate.DOWNLOAD)
    waiting([0, 0, 1])
    later = ask("later listing", gate.LISTING)
    waiting([0, 1, 1])
    held[0].__exit__(None, None, None)           # the freed slot goes to the listing, though it came later
    later.join(5)
    download.join(5)
    assert order == ["lead", "listing", "later listing", "download"]
    for h in (*held[1:], fourth):
        h.__exit__(None, None, None)


def test_the_download_backlog_is_bounded_and_every_attachment_still_comes(run_export, sandbox, monkeypatch):
    # at most DOWNLOAD_BACKLOG downloads of a mailbox started and unfinished: with 1, one download at a time
    downloads = count_in_flight(monkeypatch, sandbox.apps["office365"], graph_download)
    monkeypatch.setattr(office365_connector, "DOWNLOAD_BACKLOG", 1)
    pkg = run_export(DEMO, vendors=["office365"])
    _ok(pkg)
    files = [r for r in pkg.records("office365", "attachment") if r["data"].get("file")]
    assert len(files) == len(sandbox.requests_to("office365", "/$value")) >= 4
    assert set(downloads.peak.values()) == {1}


def test_a_run_that_stops_taking_records_stops_the_readers(run_export, sandbox, monkeypatch):
    # the run fails on the first Office 365 record it is handed: the connector's readers end at their next
    # request instead of reading every mailbox to the end
    _ok(run_export(DEMO, vendors=["office365"]))
    full = len(sandbox.requests_to("office365"))
    sandbox.clear()

    def write(self, record):
        raise OSError("disk full")

    monkeypatch.setattr(spool_mod.Spool, "write", write)
    pkg = run_export(DEMO, vendors=["office365"])
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "failed" and "disk full" in outcome.error
    assert len(sandbox.requests_to("office365")) < full
    assert not [t for t in threading.enumerate() if t.name.startswith("office365")]


def test_a_reader_in_a_retry_wait_ends_it_once_the_run_stops_taking_records(run_export, sandbox, monkeypatch):
    # the calendar answers 429 with Retry-After: 3 (always); the run fails on the first record it is handed: the
    # reader waiting to retry ends its wait at the next slice instead of sleeping it out (and retrying)
    sandbox.inject(Fault("office365", status=429, body={"error": {"code": "ApplicationThrottled", "message": "x"}},
                         headers={"Retry-After": "3"}, match="/events", times=None))
    slept: list[float] = []
    waiting = threading.Event()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        waiting.set()
        time.sleep(seconds)

    def write(self, record):
        waiting.wait(10)                  # fail once a reader is in its retry wait
        raise OSError("disk full")

    monkeypatch.setattr(spool_mod.Spool, "write", write)
    pkg = run_export(DEMO, vendors=["office365"], sleep=sleep)
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "failed" and "disk full" in outcome.error
    assert slept and sum(slept) < 3                       # no wait was slept out
    assert not [t for t in threading.enumerate() if t.name.startswith("office365")]


def test_a_part_that_fails_gives_back_the_slot_kept_for_the_search():
    """Should a part of a mailbox fail before the ``$search`` thread starts, that thread never runs: the slot kept for
    its first page must be free again for the parts still running (with one slot a mailbox, they would wait forever)."""
    from types import SimpleNamespace

    gate = office365_connector._Gate(1)
    gate.keep_for_lead(True)
    box = SimpleNamespace(gate=gate, short=[], label="info@x")

    def broken() -> None:
        raise RuntimeError("unexpected")

    try:
        office365_connector.Office365Connector._part(box, "contacts", broken)()   # type: ignore[arg-type]
    except RuntimeError:
        pass
    else:
        raise AssertionError("the part's failure was swallowed")

    def take() -> None:
        with gate.slot(gate.LISTING):    # a running part gets the mailbox's one slot
            pass

    taker = threading.Thread(target=take, daemon=True)
    taker.start()
    taker.join(10)
    assert not taker.is_alive()          # kept for a $search that will never ask, it would wait forever
