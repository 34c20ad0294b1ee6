"""Main-thread waits that a Ctrl-C landing on any thread ends."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from aggregator.interrupts import results, wait_forever


def test_results_keep_the_order_given_not_the_order_finished():
    with ThreadPoolExecutor(3) as pool:
        def later(value: int, delay: float) -> int:
            time.sleep(delay)
            return value
        futures = [pool.submit(later, v, d) for v, d in ((1, 0.2), (2, 0), (3, 0.1))]
        assert results(futures) == [1, 2, 3]


def test_results_raise_the_first_failure_without_waiting_for_the_slow_ones():
    gate = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(gate.wait, 30)
        failing = pool.submit(lambda: 1 / 0)
        t0 = time.monotonic()
        with pytest.raises(ZeroDivisionError):
            results([slow, failing])
        assert time.monotonic() - t0 < 10
        gate.set()


def test_wait_forever_ends_on_an_interrupt_that_landed_on_another_thread():
    def fire() -> None:
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    threading.Thread(target=fire, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        wait_forever()
    assert time.monotonic() - t0 < 10
