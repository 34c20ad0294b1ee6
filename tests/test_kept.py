"""The store of sign-ins kept for later exports (``aggregator/kept.py``)."""

from __future__ import annotations

import threading

from aggregator.kept import Kept, Slot, account_key


def test_an_account_is_built_once_and_another_account_does_not_wait_for_it():
    kept: Kept[str] = Kept()
    release, building = threading.Event(), threading.Event()
    built: list[str] = []

    def slow() -> str:
        built.append("a")
        building.set()
        assert release.wait(10)
        return "app-a"

    slots: list[Slot[str]] = []
    first = threading.Thread(target=lambda: slots.append(kept.take("a", slow)))
    second = threading.Thread(target=lambda: slots.append(kept.take("a", slow)))
    first.start()
    assert building.wait(10)
    second.start()
    assert kept.take("b", lambda: "app-b").value == "app-b"       # while account a is still being built
    release.set()
    first.join(10)
    second.join(10)
    assert built == ["a"] and [s.value for s in slots] == ["app-a", "app-a"] and slots[0] is slots[1]
    assert len(kept) == 2
    kept.forget()
    assert len(kept) == 0


def test_a_failure_is_handed_on_for_a_while_and_no_secret_is_a_key():
    slot = Slot("value")
    assert slot.failure() is None
    slot.failed("paypal: 503 INTERNAL_SERVICE_ERROR (POST /v1/oauth2/token)")
    assert slot.failure() == "paypal: 503 INTERNAL_SERVICE_ERROR (POST /v1/oauth2/token)"
    slot.succeeded()
    assert slot.failure() is None
    key = account_key("https://api-m.paypal.com", "app", "the-secret", None)
    assert "the-secret" not in key and len(key) == 64
    assert key != account_key("https://api-m.paypal.com", "app", "another-secret", None)
    assert "value" not in repr(slot)
