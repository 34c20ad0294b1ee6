"""Sign-ins kept for later exports in this process (a connector's ``reuse_sign_in``): one per vendor account, each
with its own lock, so exports started together sign in once (the first one, while the others wait for its token)
instead of once each.

A connector keys what it keeps by :func:`account_key` (the secret goes in hashed, never as it is) and takes it with
:meth:`Kept.take`; what it keeps (msal's application, PayPal's token) lives in this process's memory only, never on
disk, in a log or in the register, and :meth:`Kept.forget` drops it all.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


def account_key(*parts: object) -> str:
    """A key for one vendor account (address, client id, secret, trust): their SHA-256, so no secret is kept as a
    key."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode("utf-8")).hexdigest()


@dataclass
class Slot(Generic[T]):
    """What is kept for one account, and the lock its exports hold while they sign in or read it."""

    value: T
    lock: threading.Lock = field(default_factory=threading.Lock)


class Kept(Generic[T]):
    """One :class:`Slot` per account key, built on first use."""

    def __init__(self) -> None:
        self._slots: dict[str, Slot[T]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, build: Callable[[], T]) -> Slot[T]:
        """The account's slot; ``build()`` makes its value the first time (under this store's lock: two exports
        starting together never build two)."""
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = Slot(build())
            return slot

    def forget(self) -> None:
        """Drop everything kept (the tokens with it)."""
        with self._lock:
            self._slots.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)


__all__ = ["Kept", "Slot", "account_key"]
