"""aggregator.overlap: calls overlapped on a fixed number of threads, answers handled one at a time on the
caller's thread; urgent calls first, bulk calls last, at most ``ahead`` answers held, the first failure raised."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aggregator.errors import VendorError
from aggregator.overlap import Overlap


class InFlight:
    """Counts calls running at once (the most ever) and the order calls started in."""

    def __init__(self, pause: float = 0.002) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.started: list[str] = []
        self.pause = pause

    def call(self, name: str, result: Any = None) -> Callable[[], Any]:
        def run() -> Any:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.started.append(name)
            try:
                time.sleep(self.pause)
                return name if result is None else result
            finally:
                with self.lock:
                    self.now -= 1
        return run


def test_calls_overlap_up_to_the_workers_and_never_above():
    flow: Overlap[str] = Overlap(4)
    seen = InFlight()
    for i in range(40):
        flow.add(seen.call(f"c{i}"), lambda name: [name])
    assert sorted(flow.run()) == sorted(f"c{i}" for i in range(40))
    assert seen.most == 4


def test_a_chain_is_handled_in_order_and_each_link_is_asked_only_once_the_one_before_is_handled():
    flow: Overlap[str] = Overlap(3)
    seen = InFlight()
    handled: list[str] = []

    def page(n: int) -> Callable[[Any], Iterator[str]]:
        def then(_: Any) -> Iterator[str]:
            if n < 5:
                assert f"p{n + 1}" not in seen.started          # not asked before this page is handled
                flow.add(seen.call(f"p{n + 1}"), page(n + 1), urgent=True)
            handled.append(f"p{n}")
            yield f"p{n}"
        return then

    flow.add(seen.call("p1"), page(1))
    for i in range(20):
        flow.add(seen.call(f"other{i}"), lambda name: [name], bulk=True)
    out = list(flow.run())
    assert [x for x in out if x.startswith("p")] == ["p1", "p2", "p3", "p4", "p5"]
    assert len(out) == 25


def test_urgent_calls_start_before_waiting_ones_and_bulk_calls_after_every_other():
    flow: Overlap[str] = Overlap(1)
    seen = InFlight(pause=0)
    flow.add(seen.call("bulk1"), lambda _: None, bulk=True)
    flow.add(seen.call("normal1"), lambda _: None)
    flow.add(seen.call("bulk2"), lambda _: None, bulk=True)
    flow.add(seen.call("normal2"), lambda _: None)
    flow.add(seen.call("urgent"), lambda _: None, urgent=True)
    list(flow.run())
    assert seen.started == ["urgent", "normal1", "normal2", "bulk1", "bulk2"]


def test_no_more_than_ahead_answers_wait_for_a_slow_handler():
    flow: Overlap[int] = Overlap(4, ahead=6)
    done = threading.Semaphore(0)
    finished: list[int] = []

    def call(i: int) -> Callable[[], int]:
        def run() -> int:
            finished.append(i)
            done.release()
            return i
        return run

    def slow(i: int) -> Iterator[int]:
        time.sleep(0.005)
        # this answer is being handled; at most ``ahead`` more are started (and finished) after it
        assert len(finished) - (i + 1) <= 6, (i, len(finished))
        yield i

    for i in range(30):
        flow.add(call(i), slow)
    assert list(flow.run()) == list(range(30))       # one worker per call, answers handled in start order here


def test_a_failure_stops_further_calls_and_is_raised_in_turn():
    flow: Overlap[str] = Overlap(2)
    seen = InFlight(pause=0.01)

    def boom() -> None:
        raise VendorError("vendor: 500 (GET /x)")

    flow.add(seen.call("a"), lambda name: [name])
    flow.add(boom, lambda _: ["never"])
    for i in range(50):
        flow.add(seen.call(f"later{i}"), lambda name: [name])
    out: list[str] = []
    with pytest.raises(VendorError, match="500"):
        out.extend(flow.run())
    assert "never" not in out
    assert len(seen.started) < 10          # nothing new starts after the failure (the two workers' calls end)


def test_a_handler_failure_ends_the_run_and_its_workers():
    flow: Overlap[str] = Overlap(3)
    seen = InFlight()

    def bad(_: Any) -> None:
        raise VendorError("vendor: paging did not advance")

    flow.add(seen.call("a"), bad)
    for i in range(30):
        flow.add(seen.call(f"b{i}"), lambda name: [name])
    before = threading.active_count()
    with pytest.raises(VendorError, match="did not advance"):
        list(flow.run())
    assert threading.active_count() <= before        # the workers are gone
    assert len(seen.started) < 30


def test_nothing_to_do_ends_at_once():
    assert list(Overlap(3).run()) == []
