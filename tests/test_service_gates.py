"""Mailchimp's connections and Graph's requests per mailbox gated through Redis for every ``dsar worker``
(aggregator/service/limits.py ``RedisGate``); needs a redis-server, skipped without one."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aggregator import config as config_mod
from aggregator.sandbox import Sandbox
from aggregator.service.limits import RedisAnsweredWindow, RedisGate, SharedLimits, graph_mailbox


class Waited(Exception):
    """Raised by the fake sleep: the gate would have waited."""


def refuse_to_wait(seconds: float) -> None:
    raise Waited(seconds)


@pytest.fixture
def redis_client(tmp_path: Path) -> Iterator[Any]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (Debian package redis-server; .ci/run installs it)")
    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save",
                             "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield client
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


def test_a_redis_gate_is_shared_between_processes_and_counts_per_mailbox(redis_client: Any) -> None:
    import redis

    port = redis_client.connection_pool.connection_kwargs["port"]
    one = RedisGate(redis.Redis(port=port), "dsar:gate:test", 2, graph_mailbox, sleep=refuse_to_wait)
    two = RedisGate(redis.Redis(port=port), "dsar:gate:test", 2, graph_mailbox, sleep=refuse_to_wait)
    info, sales = prepared("https://g/v1.0/users/info@x.eu/events"), prepared("https://g/v1.0/users/sales@x.eu/events")
    with one.enter(info), one.enter(info):
        with pytest.raises(Waited):
            with two.enter(info):               # the third for that mailbox, from another "process", waits
                pass
        with two.enter(sales):                  # another mailbox is not held up
            pass
    with two.enter(info), two.enter(info):      # answered: both slots are free again
        pass
    assert not [k for k in redis_client.scan_iter("dsar:gate:test:*") if redis_client.zcard(k)]


def test_a_slot_whose_holder_died_is_freed_when_its_lease_runs_out(redis_client: Any) -> None:
    gate = RedisGate(redis_client, "dsar:gate:lease", 1, lease=0.3, sleep=time.sleep)
    held = gate.enter(prepared("https://us21.api.mailchimp.com/3.0/lists"))
    held.__enter__()                             # a worker killed mid-request never gives it back
    started = time.monotonic()
    with gate.enter(prepared("https://us21.api.mailchimp.com/3.0/lists")):
        assert time.monotonic() - started >= 0.2
    assert sum(redis_client.zcard(k) for k in redis_client.scan_iter("dsar:gate:lease:*")) == 0


def test_with_redis_the_service_gates_mailchimp_and_graph_in_redis(redis_client: Any) -> None:
    sb = Sandbox()
    connectors = {n: app.connector_config(sb.vendor_url(n)) for n, app in sb.apps.items()}
    cfg = config_mod.from_mapping({"connectors": connectors}, env={}, source="<test>")
    limits = SharedLimits(cfg, window=(300, 300.0), per_second=20.0, redis=redis_client)
    assert isinstance(limits.gates["mailchimp"][0], RedisGate) and limits.gates["mailchimp"][0].limit == 10
    assert isinstance(limits.gates["office365"][0], RedisGate) and limits.gates["office365"][0].limit == 4
    assert isinstance(limits.answered["lightspeed"][0], RedisAnsweredWindow)
    assert limits.answered["lightspeed"][0].limit == 20


def test_a_redis_answered_window_keeps_each_place_until_a_span_after_the_answer(redis_client: Any) -> None:
    """Lightspeed's 20 a second for every worker: a place taken by one process is held while its request is out and
    for the span after its answer, for the other processes too; a holder that died frees it when its lease ends."""
    import redis

    port = redis_client.connection_pool.connection_kwargs["port"]
    one = RedisAnsweredWindow(redis.Redis(port=port), "dsar:answered:test", 2, 3.0, sleep=refuse_to_wait)
    two = RedisAnsweredWindow(redis.Redis(port=port), "dsar:answered:test", 2, 3.0, sleep=refuse_to_wait)
    with one.hold(), one.hold():
        with pytest.raises(Waited) as waited:
            with two.hold():                    # both places are out: the other process looks again shortly
                pass
        assert waited.value.args[0] <= 0.02
    answered = time.monotonic()
    with pytest.raises(Waited) as waited:
        with two.hold():                        # answered, but the places are kept for the span after the answer
            pass
    assert 0 < waited.value.args[0] <= 3.0
    time.sleep(max(0.0, 3.05 - (time.monotonic() - answered)))
    with two.hold():                            # the span has passed
        pass
    dead = RedisAnsweredWindow(redis_client, "dsar:answered:lease", 1, 0.1, lease=0.2)
    dead.hold().__enter__()                     # a worker killed mid-request never reports its answer
    with RedisAnsweredWindow(redis_client, "dsar:answered:lease", 1, 0.1, lease=0.2).hold():
        pass                                    # its place went when the lease (and the span) ran out
