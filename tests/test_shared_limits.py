"""The service's vendor limits shared per account by every export in a process (aggregator/service/limits.py)."""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import BaseAdapter

from aggregator import config as config_mod
from aggregator.http import MinInterval, SlidingWindow
from aggregator.sandbox import Sandbox
from aggregator.service.limits import Gate, LimitedAdapter, SharedLimits, graph_mailbox, vendor_prefix


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
    second, minute = limits.limiters["silvasoft"]
    assert isinstance(second, SlidingWindow) and second.limit == 2 and second.seconds > 1.0   # slack for arrival
    assert isinstance(minute, SlidingWindow) and minute.limit == 50 and minute.seconds > 60.0
    assert limits.gates["mailchimp"][0].limit == 10 and limits.gates["office365"][0].limit == 4
    mounted = limits.adapters({"https://127.0.0.1:0": Holding(1)})
    for name, prefix in limits.prefixes.items():
        assert isinstance(mounted[prefix], LimitedAdapter), name


def test_the_limiters_are_the_same_objects_for_every_export() -> None:
    limits = SharedLimits(sandbox_config(), window=(300, 300.0), per_second=20.0)
    one, two = limits.adapters(), limits.adapters()
    prefix = limits.prefixes["mailchimp"]
    assert one[prefix].gates[0] is two[prefix].gates[0]    # type: ignore[attr-defined]


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
