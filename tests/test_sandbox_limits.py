"""The sandbox's vendor limits (aggregator/sandbox/limits.py): counted per account, answered in the vendor's shape."""

from __future__ import annotations

import json
from contextlib import ExitStack
from email.message import Message

import pytest

from aggregator.sandbox import Sandbox
from aggregator.sandbox.base import Request, Response
from aggregator.sandbox.limits import SandboxLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def req(path: str, **headers: str) -> Request:
    msg = Message()
    for key, value in headers.items():
        msg[key] = value
    return Request("GET", path, {}, msg)


def admitted(limits: SandboxLimits, vendor: str, request: Request) -> Response | None:
    with limits.admit(vendor, request) as refusal:
        return refusal


def test_lightspeed_20_a_second_per_key_then_429_in_its_error_shape() -> None:
    clock = Clock()
    limits = SandboxLimits(True, clock)
    key_a = req("/nl/orders.json", Authorization="Basic YTpi")
    key_b = req("/nl/orders.json", Authorization="Basic Yzpk")
    assert all(admitted(limits, "lightspeed", key_a) is None for _ in range(20))
    refusal = admitted(limits, "lightspeed", key_a)
    assert refusal is not None and refusal.status == 429
    body = json.loads(refusal.body)
    assert body["error"]["code"] == 429 and body["error"]["request"] == "/nl/orders.json"
    assert admitted(limits, "lightspeed", key_b) is None          # another shop's key has its own budget
    clock.now += 1.0
    assert admitted(limits, "lightspeed", key_a) is None          # a new second, a new window
    assert limits.refused == {"lightspeed": 1}


def test_mailchimp_10_simultaneous_connections_per_key() -> None:
    limits = SandboxLimits(True, Clock())
    member = req("/3.0/lists/x/members/y", Authorization="Basic YW55OmtleS11czIx")
    with ExitStack() as stack:
        held = [stack.enter_context(limits.admit("mailchimp", member)) for _ in range(10)]
        assert held == [None] * 10
        refusal = admitted(limits, "mailchimp", member)
        assert refusal is not None and refusal.status == 429 and not set(refusal.headers) - {"Content-Type"}
        assert json.loads(refusal.body)["title"] == "Too Many Requests"
        assert refusal.headers["Content-Type"].startswith("application/problem+json")
    assert admitted(limits, "mailchimp", member) is None          # the ten finished: their slots are free


def test_graph_4_concurrent_per_mailbox_with_retry_after() -> None:
    limits = SandboxLimits(True, Clock())
    info, sales = req("/v1.0/users/info%40shop.eu/messages"), req("/v1.0/users/verkoop@shop.eu/messages")
    with ExitStack() as stack:
        for _ in range(4):
            assert stack.enter_context(limits.admit("office365", info)) is None
        refusal = admitted(limits, "office365", req("/v1.0/users/INFO@shop.eu/events"))
        assert refusal is not None and refusal.status == 429 and refusal.headers["Retry-After"] == "1"
        assert json.loads(refusal.body)["error"]["code"] == "ApplicationThrottled"
        assert admitted(limits, "office365", sales) is None        # another mailbox
        assert admitted(limits, "office365", req("/tenant/oauth2/v2.0/token")) is None   # not a mailbox request


def test_a_refused_request_holds_no_slot() -> None:
    limits = SandboxLimits(True, Clock())
    info = req("/v1.0/users/info@shop.eu/messages")
    with ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(limits.admit("office365", info))
        for _ in range(5):
            assert admitted(limits, "office365", info) is not None
    with ExitStack() as stack:
        assert [stack.enter_context(limits.admit("office365", info)) for _ in range(4)] == [None] * 4


@pytest.mark.parametrize(("advance", "refused_at"), [(1.0, 51), (0.0, 3)])
def test_silvasoft_2_a_second_and_50_a_minute_answer_401_ratelimit(advance: float, refused_at: int) -> None:
    clock = Clock()
    limits = SandboxLimits(True, clock)
    call = req("/rest/listsalesinvoices/", ApiKey="k1", Username="u")
    sent = 0
    refusal = None
    while refusal is None and sent < 60:
        refusal = admitted(limits, "silvasoft", call)
        sent += 1
        if sent % 2 == 0:
            clock.now += advance
    assert refusal is not None and refusal.status == 401
    assert json.loads(refusal.body) == {"errorCode": "UNAUTHORIZED", "errorMessage": "Ratelimit exceeded"}
    assert sent == refused_at           # paced at 2/s the minute's 50 run out; unpaced the second's 2


def test_silvasoft_hourly_plan() -> None:
    clock = Clock()
    limits = SandboxLimits(True, clock, silvasoft_per_hour=5)
    call = req("/rest/listrelations/", ApiKey="k1")
    results = []
    for _ in range(6):
        results.append(admitted(limits, "silvasoft", call))
        clock.now += 1.0
    assert results[:5] == [None] * 5 and results[5] is not None and results[5].status == 401
    clock.now += 3600
    assert admitted(limits, "silvasoft", call) is None


def test_disabled_limits_refuse_nothing() -> None:
    limits = SandboxLimits(False, Clock())
    call = req("/rest/listrelations/", ApiKey="k1")
    assert all(admitted(limits, "silvasoft", call) is None for _ in range(10))


def test_the_sandbox_answers_and_logs_the_refusal() -> None:
    sb = Sandbox(enforce_limits=True)
    sb.limits.clock = Clock()
    headers = Message()
    headers["Authorization"] = "Basic c2FuZGJveDpzZWNyZXQ="
    statuses = [sb.answer("GET", "/lightspeed/nl/customers.json", headers, b"")[0].status  # type: ignore[union-attr]
                for _ in range(21)]
    assert 429 not in statuses[:20] and statuses[20] == 429
    assert [x.status for x in sb.requests_to("lightspeed")][-1] == 429
    sb.clear()
    assert sb.answer("GET", "/lightspeed/nl/customers.json", headers, b"")[0].status != 429  # type: ignore[union-attr]
