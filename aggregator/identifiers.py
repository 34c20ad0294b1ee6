"""Identifiers one connector finds (order numbers, invoice numbers, PayPal ids) offered to the others.

A consumer iterates :meth:`IdentifierBus.stream`; it gets what was offered so far at once, then each new
one as it arrives, and the stream ends when every connector that declared it provides that kind has
finished (or failed, or is not part of this run). Independent work never waits on it: a connector reads
the stream in its own thread beside its own scan.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# The well-known kinds. A plugin may use others; these are the ones the built-ins exchange.
CUSTOMER_NUMBER = "customer_number"   # the shop's customer number (also Silvasoft's RelationNumber)
CUSTOMER_ID = "customer_id"           # the webshop's internal customer id
ORDER_NUMBER = "order_number"         # attrs: date (ISO 8601), total, currency
INVOICE_NUMBER = "invoice_number"     # attrs: date
PAYPAL_TRANSACTION_ID = "paypal_transaction_id"
EMAIL = "email"                       # another address the subject used (e.g. PayPal payer e-mail)


@dataclass(frozen=True)
class Identifier:
    """One identifier on the bus: its kind, value, the connector that found it and any attributes."""

    kind: str
    value: str
    source: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


class IdentifierBus:
    """Thread-safe hand-over of identifiers between the connectors of one run."""

    def __init__(self, providers: Mapping[str, Iterable[str]]) -> None:
        # kind -> names of the connectors in this run that may still offer it
        self._pending: dict[str, set[str]] = {k: set(v) for k, v in providers.items()}
        self._items: dict[str, list[Identifier]] = {}
        self._seen: set[tuple[str, str]] = set()
        self._cond = threading.Condition()

    def offer(self, source: str, kind: str, value: object, **attrs: Any) -> None:
        """Offer ``value`` of ``kind`` from ``source`` to every consumer; blank values and repeats are dropped."""
        text = str(value).strip()
        if not text:
            return
        with self._cond:
            if (kind, text) in self._seen:
                return
            self._seen.add((kind, text))
            self._items.setdefault(kind, []).append(Identifier(kind, text, source, dict(attrs)))
            self._cond.notify_all()

    def close(self, source: str, kind: str) -> None:
        """``source`` will offer no more of ``kind`` (it may still be busy with other work)."""
        with self._cond:
            self._pending.get(kind, set()).discard(source)
            self._cond.notify_all()

    def finished(self, source: str) -> None:
        """Mark ``source`` done: its kinds end for every consumer once no other provider is pending."""
        with self._cond:
            for names in self._pending.values():
                names.discard(source)
            self._cond.notify_all()

    def stream(self, kind: str) -> Iterator[Identifier]:
        """Every identifier of ``kind``: those offered so far at once, then each new one until no provider is left."""
        index = 0
        while True:
            with self._cond:
                items = self._items.get(kind, [])
                while index >= len(items) and self._pending.get(kind):
                    self._cond.wait()
                    items = self._items.get(kind, [])
                if index >= len(items):
                    return
                item = items[index]
            index += 1
            yield item

    def items(self) -> list[Identifier]:
        """Everything offered so far, with source and attributes (to hand to a later run)."""
        with self._cond:
            return [i for v in self._items.values() for i in v]

    def snapshot(self) -> dict[str, list[str]]:
        """Everything offered so far, by kind (for the manifest)."""
        with self._cond:
            return {k: [i.value for i in v] for k, v in sorted(self._items.items())}
