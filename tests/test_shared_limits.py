"""The service's vendor limits shared per account by every export in a process (aggregator/service/limits.py)."""

from __future__ import annotations

import bisect
import heapq
import io
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter

from aggregator import config as config_mod
from aggregator.http import AnsweredWindow, MinInterval, SlidingWindow
from aggregator.sandbox import Sandbox
from aggregator.service.limits import (
    Gate,
    LimitedAdapter,
    SharedLimits,
    SharedPlan,
    graph_mailbox,
    lightspeed_budget,
    vendor_prefix,
)
from aggregator.service.reads import SharingAdapter


def prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


class Holding(BaseAdapter):
    """An inner adapter that holds every request until ``go`` is set, counting how many it held at once."""

    def __init__(self, expect: int) -> None:
        super().__init__()
        self.expect, self.now, self.most = expect, 0, 0
        self.lock = threading.Lock()
        self.full, self.go = threading.Event(), threading.Event()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            if self.now >= self.expect:
                self.full.set()
        self.go.wait(10)
        with self.lock:
            self.now -= 1
        response = requests.Response()
        response.status_code = 200
        return response

    def close(self) -> None:
        return None


def test_graph_mailbox_is_the_user_segment() -> None:
    assert graph_mailbox(prepared("https://graph.microsoft.com/v1.0/users/Info%40Shop.eu/messages?$top=50")) \
        == "info@shop.eu"
    assert graph_mailbox(prepared("https://h/office365/v1.0/users/abc/events")) == "abc"
    assert graph_mailbox(prepared("https://graph.microsoft.com/v1.0/organization")) is None


def test_a_gate_lets_at_most_its_limit_through_at_once() -> None:
    inner = Holding(expect=10)
    adapter = LimitedAdapter(inner, (), (Gate(10),))
    threads = [threading.Thread(target=adapter.send, args=(prepared("https://us21.api.mailchimp.com/3.0/lists"),))
               for _ in range(15)]
    for t in threads:
        t.start()
    assert inner.full.wait(10)
    inner.go.set()
    for t in threads:
        t.join(10)
    assert inner.most == 10 and inner.now == 0


class SlowBody(BaseAdapter):
    """An inner adapter whose answer's body arrives after its headers; it notes whether the gate's slot was still
    taken while the body was read."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate, self.held_while_reading = gate, None

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        outer = self

        class Trickle(io.BytesIO):
            def read1(self, size: int = -1) -> bytes:
                slot = outer.gate._slots[""]
                free = slot.acquire(blocking=False)
                if free:
                    slot.release()
                outer.held_while_reading = not free
                return super().read1(size)

        response = requests.Response()
        response.status_code = 200
        response.raw = urllib3.response.HTTPResponse(body=Trickle(b'{"lists": []}'), preload_content=False,
                                                     status=200, headers={"Content-Type": "application/json"})
        return response


def test_a_gate_holds_its_slot_until_the_answer_has_arrived() -> None:
    gate = Gate(1)
    inner = SlowBody(gate)
    response = LimitedAdapter(inner, (), (gate,)).send(prepared("https://us21.api.mailchimp.com/3.0/lists"))
    assert inner.held_while_reading is True          # the body was read while the connection's slot was held
    assert response.json() == {"lists": []}
    assert gate._slots[""].acquire(blocking=False)   # and given back afterwards


def test_a_gate_counts_per_key() -> None:
    gate = Gate(1, graph_mailbox)
    info, sales = prepared("https://g/v1.0/users/info@x/messages"), prepared("https://g/v1.0/users/sales@x/messages")
    with gate.enter(info), gate.enter(sales):      # another mailbox is not held up by the first
        assert not gate._slots["info@x"].acquire(blocking=False)
    assert gate._slots["info@x"].acquire(blocking=False)


def sandbox_config() -> config_mod.Config:
    """The sandbox's connector settings (not started: no CA needed)."""
    sb = Sandbox()
    connectors = {n: app.connector_config(sb.vendor_url(n)) for n, app in sb.apps.items()}
    return config_mod.from_mapping({"connectors": connectors}, env={}, source="<test>")


def test_shared_limits_cover_every_limited_vendor_of_the_sandbox() -> None:
    cfg = sandbox_config()
    limits = SharedLimits(cfg, window=(300, 300.0), per_second=20.0)
    assert set(limits.prefixes) == {"lightspeed", "silvasoft", "mailchimp", "office365"}   # PayPal publishes none
    [plan] = limits.limiters["silvasoft"]
    assert isinstance(plan, SharedPlan) and plan.limit == 1200 and plan.seconds > 3600.0    # the plan's hour
    minute, second = limits.answered["silvasoft"]        # counted from each answer: no slack for arrival
    assert isinstance(minute, AnsweredWindow) and (minute.limit, minute.seconds) == (50, 60.0)
    assert isinstance(second, AnsweredWindow) and (second.limit, second.seconds) == (2, 1.0)
    assert limits.gates["mailchimp"][0].limit == 10 and limits.gates["office365"][0].limit == 4
    mounted = limits.adapters({"https://127.0.0.1:0": Holding(1)})
    for name, prefix in limits.prefixes.items():
        adapter = mounted[prefix]
        if isinstance(adapter, SharingAdapter):        # shop-wide reads are shared in front of the limits
            adapter = adapter.inner
        assert isinstance(adapter, LimitedAdapter), name
    assert isinstance(mounted[limits.read_prefixes["paypal"]], SharingAdapter)   # shared reads, no limits


def test_the_limiters_are_the_same_objects_for_every_export() -> None:
    limits = SharedLimits(sandbox_config(), window=(300, 300.0), per_second=20.0)
    one, two = limits.adapters(), limits.adapters()
    prefix = limits.prefixes["mailchimp"]
    assert one[prefix].inner.gates[0] is two[prefix].inner.gates[0]    # type: ignore[attr-defined]
    assert one[prefix].reads is two[prefix].reads                        # type: ignore[attr-defined]


def test_mailchimp_prefix_from_the_key_without_base_url() -> None:
    cfg = config_mod.from_mapping({"connectors": {"mailchimp": {"api_key": "abc-us21"}}}, env={}, source="<test>")
    assert vendor_prefix(cfg, "mailchimp") == "https://us21.api.mailchimp.com/3.0"
    assert vendor_prefix(cfg, "silvasoft") is None


def test_min_interval_paces_below_the_rate_by_its_headroom() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pace = MinInterval(2.0, sleep=sleep, clock=lambda: now[0], headroom=0.1)
    for _ in range(3):
        pace.acquire()
    assert slept == [1 / 1.8, 1 / 1.8]          # three requests span 1.11 s, not 1.0: two a second at most
    exact = MinInterval(2.0, sleep=sleep, clock=lambda: now[0], headroom=0.0)
    slept.clear()
    for _ in range(3):
        exact.acquire()
    assert slept == [0.5, 0.5]


def test_the_shared_lightspeed_window_stops_short_of_each_exports_header_pacing() -> None:
    """Each export's connector starts spreading its requests over the rest of a window once less than 5 % (at least
    10) of it is left; the exports' shared window stops there, so that pacing never holds requests past the reset."""
    from connectors.lightspeed import RateLimitHeaders

    assert lightspeed_budget(300) == 285 and lightspeed_budget(3000) == 2850 and lightspeed_budget(20) == 10
    limits = SharedLimits(sandbox_config(), window=(300, 300.0), per_second=20.0)
    window = limits.limiters["lightspeed"][0]
    assert isinstance(window, SlidingWindow) and window.limit == 285
    remaining = 300 - window.limit          # what the vendor still reports once the shared window is full
    assert not remaining < max(RateLimitHeaders.reserve_min, 300 * RateLimitHeaders.reserve)


def simulate(window: AnsweredWindow, requests_: int, delay: Callable[[random.Random], tuple[float, float]],
             seed: int = 7) -> tuple[list[float], float]:
    """Send ``requests_`` through ``window`` back to back on a fake clock; each request reaches the vendor, is counted
    there and answered after ``delay`` (to its count, then to its answer) — a stall, the network. Returns the vendor's
    count times and the time the last request was let through."""
    rng = random.Random(seed)
    now = [0.0]
    answers: list[tuple[float, int, Any]] = []       # (answer time, seq, the request's open place)

    def sleep(seconds: float) -> None:
        until = now[0] + seconds
        while answers and answers[0][0] <= until:
            when, _, place = heapq.heappop(answers)
            now[0] = max(now[0], when)
            place.__exit__(None, None, None)          # answered: the place is kept a second from here
        now[0] = until

    window.sleep, window.clock = sleep, lambda: now[0]
    counted: list[float] = []
    last = 0.0
    for seq in range(requests_):
        place = window.hold()
        place.__enter__()
        last = now[0]
        to_count, to_answer = delay(rng)
        counted.append(now[0] + to_count)
        heapq.heappush(answers, (now[0] + to_count + to_answer, seq, place))
    return sorted(counted), last


def most_in_a_second(times: list[float]) -> int:
    """The most counts the vendor saw in any one second (any window starting at a count)."""
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def test_an_answered_window_keeps_the_vendors_second_whatever_the_stalls_and_the_network() -> None:
    """Counted as it arrives, 0 to 300 ms after it was let through (a stalled process, a slow network), and answered
    10 to 200 ms later: never more than 20 in any second at the vendor, and still close to 20 a second."""
    window = AnsweredWindow(20, 1.0)
    counted, last = simulate(window, 600, lambda rng: (rng.uniform(0.0, 0.3), rng.uniform(0.01, 0.2)))
    assert most_in_a_second(counted) <= 20
    assert last < 600 / (20 / 1.5)      # each place is held at most 1 s + 0.5 s: at least 13.3 a second


def test_a_window_counted_when_let_through_does_not_keep_the_vendors_second() -> None:
    """The same traffic through a plain sliding window of 20 per second, counted when each request is let through
    (what the answered window replaces): the vendor sees more than 20 in some second."""
    class LetThrough(AnsweredWindow):
        def _leave(self) -> None:         # the place is kept a second from when it was let through, not answered
            with self._lock:
                self._in_flight -= 1

        def _try_enter(self) -> float:
            wait = super()._try_enter()
            if wait == 0.0:
                with self._lock:
                    self._in_flight -= 1
                    self._answered.append(self.clock())
            return wait

    counted, _ = simulate(LetThrough(20, 1.0), 600, lambda rng: (rng.uniform(0.0, 0.3), rng.uniform(0.01, 0.2)))
    assert most_in_a_second(counted) > 20


def test_a_place_is_kept_until_the_answer_and_given_back_when_the_request_fails() -> None:
    now = [0.0]
    window = AnsweredWindow(1, 1.0, sleep=lambda s: (_ for _ in ()).throw(AssertionError(f"waited {s}")),
                            clock=lambda: now[0])

    class Failing(BaseAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
            assert window._try_enter() > 0          # while this request is out, its place is taken
            raise requests.ConnectionError("reset")

        def close(self) -> None:
            return None

    adapter = LimitedAdapter(Failing(), (), (), "lightspeed", answered=(window,))
    with pytest.raises(requests.ConnectionError):
        adapter.send(prepared("https://shop.webshopapp.com/nl/orders.json"))
    now[0] = 0.99
    assert window._try_enter() == pytest.approx(0.01)   # failed at 0.0: the place is kept a second from then
    now[0] = 1.0
    assert window._try_enter() == 0.0


def test_silvasofts_plan_is_shared_and_a_used_up_plan_ends_the_search_instead_of_waiting_an_hour() -> None:
    from connectors.silvasoft import PlanLimitReached

    base = sandbox_config()
    mapping = {"connectors": {n: dict(s) for n, s in base.connectors.items()}}
    mapping["connectors"]["silvasoft"]["requests_per_hour"] = 3
    cfg = config_mod.from_mapping(mapping, env={}, source="<test>")
    slept: list[float] = []
    limits = SharedLimits(cfg, window=(300, 300.0), per_second=20.0, sleep=slept.append)
    one, two = limits.adapters(), limits.adapters()            # two exports
    prefix = limits.prefixes["silvasoft"]
    plan = next(lim for lim in limits.limiters["silvasoft"] if isinstance(lim, SharedPlan))
    for adapter in (one, two, one):
        plan_of(adapter[prefix]).acquire()
    with pytest.raises(PlanLimitReached, match="used up by the exports running together"):
        plan_of(two[prefix]).acquire()
    assert plan_of(one[prefix]) is plan_of(two[prefix]) is plan and not [s for s in slept if s > 60]


def plan_of(adapter: Any) -> SharedPlan:
    """The shared hourly plan among a mounted adapter's limiters."""
    limited = adapter.inner if isinstance(adapter, SharingAdapter) else adapter
    return next(lim for lim in limited.limiters if isinstance(lim, SharedPlan))


def test_a_shared_rate_below_one_a_second_is_one_request_per_its_interval() -> None:
    [half] = SharedLimits(sandbox_config(), window=(300, 300.0), per_second=0.5).answered["lightspeed"]
    [twenty] = SharedLimits(sandbox_config(), window=(300, 300.0), per_second=20.0).answered["lightspeed"]
    assert (half.limit, half.seconds) == (1, 2.0) and (twenty.limit, twenty.seconds) == (20, 1.0)
