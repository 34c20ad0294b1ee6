"""What a connector is: a small class declaring its processor, categories, settings and datasets, and a
``collect`` method that yields :class:`Record` objects through a per-run :class:`ConnectorContext`."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from requests.adapters import BaseAdapter

from aggregator.datasets import Dataset
from aggregator.http import ANSWER_DEADLINE, DEFAULT_TIMEOUT, Limits, Redactor, RetryPolicy, Sleep, VendorSession
from aggregator.identifiers import Identifier, IdentifierBus
from aggregator.invoice_index import InvoiceIndex
from aggregator.model import Attachment, Record
from aggregator.settings import COMMON, Setting, validate
from aggregator.subject import Subject


class ConnectorContext:
    """Everything a connector may use during one run; nothing here outlives the run."""

    def __init__(
        self,
        *,
        name: str,
        processor: str,
        subject: Subject,
        settings: Mapping[str, Any],
        ca_bundle: str | None,
        redactor: Redactor,
        bus: IdentifierBus,
        sleep: Sleep = time.sleep,
        attach_sink: Callable[[Attachment], str] | None = None,
        stop: threading.Event | None = None,
        adapters: Mapping[str, BaseAdapter] | None = None,
        register: Path | None = None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.register = register      # the request register's file when the run is registered (else None)
        self._status = status
        self.adapters = dict(adapters or {})
        self.stop = stop
        self.processor = processor
        self.subject = subject
        self.settings = settings
        self.ca_bundle = ca_bundle
        self.redactor = redactor
        self.bus = bus
        self.sleep = sleep
        self.notes: list[str] = []
        self.coverage: list[str] = []
        self.shortfalls: list[str] = []
        self._attach_sink = attach_sink
        self._sessions: list[VendorSession] = []

    # -- HTTP
    def session(self, *, limits: Limits | None = None, retry: RetryPolicy | None = None,
                timeout: float | tuple[float, float] | None = None, sleep: Sleep | None = None) -> VendorSession:
        """A session with this run's trust, redaction and the connector's declared limits (``sleep``: a wrapper
        of the run's sleep for the retry waits, e.g. one that keeps the connector's own clock)."""
        configured = self.settings.get("timeout")
        default = (DEFAULT_TIMEOUT[0], float(configured)) if configured else DEFAULT_TIMEOUT
        s = VendorSession(self.name, ca_bundle=self.ca_bundle, timeout=timeout or default,
                          limits=limits, retry=retry, redactor=self.redactor, sleep=sleep or self.sleep, stop=self.stop,
                          answer_deadline=float(self.settings.get("answer_deadline") or ANSWER_DEADLINE),
                          max_answer_bytes=int(self.settings.get("max_answer_mb") or 100) * 2**20)
        for prefix, adapter in self.adapters.items():
            s.mount(prefix, adapter)
        self._sessions.append(s)
        return s

    @property
    def calls(self) -> int:
        """HTTP requests made so far by every session of this connector (retries included)."""
        return sum(s.calls for s in self._sessions)

    # -- records
    def record(self, category: str, dataset: str, data: Mapping[str, Any], *, endpoint: str,
               vendor_id: object = None, third_parties: Iterable[str] = ()) -> Record:
        """A record of what this connector's processor holds (``data`` from ``endpoint``), filed under
        ``category`` and ``dataset``; ``third_parties`` are sorted and deduplicated."""
        return Record(connector=self.name, processor=self.processor, category=category, dataset=dataset,
                      data=data, endpoint=endpoint, vendor_id=None if vendor_id is None else str(vendor_id),
                      third_parties=tuple(sorted(set(third_parties))))

    def disclosure(self, recipient: str, category: str, dataset: str, data: Mapping[str, Any], *,
                   endpoint: str, vendor_id: object = None) -> Record:
        """A record of what this processor passed on to a recipient without an API of its own (a carrier
        that received a name and address for a shipment); it is filed under ``recipient``."""
        return Record(connector=self.name, processor=recipient, category=category, dataset=dataset, data=data,
                      endpoint=endpoint, vendor_id=None if vendor_id is None else str(vendor_id))

    def attach(self, category: str, filename: str, content: bytes) -> str:
        """Add a file (e.g. an invoice PDF) to the package at once (it survives a later failure of this
        connector) and return its path in the package, ``attachments/<processor>/<unique safe name>``."""
        if self._attach_sink is None:
            raise RuntimeError("attachments need a spool: this context was built without one")
        return self._attach_sink(Attachment(category, filename, content))

    def halt(self) -> None:
        """This connector has ended: its waits (the run's own sleep, not one a caller passed in) end at once, and its
        sessions send nothing more, so a request still under way on a thread of its own (sent ahead, say) ends
        within that request. A stop shared by several connectors (``dsar check``'s) halts them all."""
        if self.stop is not None:
            self.stop.set()

    def note(self, text: str) -> None:
        """Something the privacy officer should know that does not change coverage (a skipped mailbox)."""
        self.notes.append(self.redactor(text))

    def withheld(self, count: int, what: str, why: str) -> None:
        """The one standard note for items a vendor returned that are left out on purpose (someone else's)."""
        if count:
            self.note(f"withheld {count} {what}: {why}")

    def keep_owned(self, items: Iterable[Any], belongs: Callable[[Any], bool], what: str,
                   why: str = "they belong to another person") -> list[Any]:
        """The items for which ``belongs`` is true; the others are withheld with the standard note."""
        everything = list(items)
        mine = [i for i in everything if belongs(i)]
        self.withheld(len(everything) - len(mine), what, why)
        return mine

    def covered(self, text: str) -> None:
        """Record what one search covered ("invoices dated 2023-03-13 to today, all 212"), for the manifest."""
        self.coverage.append(self.redactor(text))

    def cut_short(self, reason: str) -> None:
        """A search stopped before its natural end (a cap, a budget, a limit): the connector ends
        ``incomplete`` with this reason, never ``complete``."""
        self.shortfalls.append(self.redactor(reason))

    # -- state kept between runs, progress
    def invoice_index(self) -> InvoiceIndex | None:
        """This connector's invoice index in the register's database; None for a run without a register."""
        return InvoiceIndex(self.register, self.name) if self.register is not None else None

    def status(self, text: str) -> None:
        """Tell the progress display what the connector is doing ("waiting for … until 14:05"; "running")."""
        if self._status is not None:
            self._status(text)

    # -- identifiers
    def offer(self, kind: str, value: object, **attrs: Any) -> None:
        """Offer an identifier of ``kind`` to the other connectors of this run (blanks and repeats are dropped)."""
        self.bus.offer(self.name, kind, value, **attrs)

    @contextmanager
    def offering(self) -> Iterator[Callable[..., None]]:
        """Offer a batch (a page's identifiers) through the function this yields, called as :meth:`offer`; the
        consumers get them together when the block ends (also when it fails), woken once, not once each."""
        batch: list[tuple[str, object, dict[str, Any]]] = []
        try:
            yield lambda kind, value, **attrs: batch.append((kind, value, attrs))
        finally:
            self.bus.offer_all(self.name, batch)

    def done_offering(self, *kinds: str) -> None:
        """Tell consumers no more of these kinds will come, so their streams end before this connector does."""
        for kind in kinds:
            self.bus.close(self.name, kind)

    def identifiers(self, kind: str) -> Iterator[Identifier]:
        """The identifiers of ``kind`` the other connectors offer, as they arrive; ends when no provider is left."""
        return self.bus.stream(kind)


class Connector(ABC):
    """Subclass, declare the class attributes, implement :meth:`collect`, and register the class through
    the ``register_connectors`` hook."""

    name: ClassVar[str]                        # config table [connectors.<name>], package file name
    processor: ClassVar[str]                   # key in the processor register
    categories: ClassVar[tuple[str, ...]]      # every category collect() may emit
    declared_settings: ClassVar[tuple[Setting, ...]] = ()   # the [connectors.<name>] keys (plus COMMON)
    datasets: ClassVar[tuple[Dataset, ...]] = ()            # every kind of record collect() may yield
    provides: ClassVar[tuple[str, ...]] = ()   # identifier kinds this connector offers to others
    description: ClassVar[str] = ""
    secret_settings: ClassVar[tuple[str, ...]] = ()   # derived from ``declared_settings``: redacted everywhere

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.secret_settings = tuple(s.name for s in cls.declared_settings if s.secret)

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings

    @classmethod
    def all_settings(cls) -> tuple[Setting, ...]:
        """The declared settings and the common ones every connector takes."""
        own = {s.name for s in cls.declared_settings}
        return (*cls.declared_settings, *(s for s in COMMON if s.name not in own))

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a config section before any request; return the typed settings with defaults filled in.
        Raises ConfigError naming the key and what it must be (never its value)."""
        return validate(cls.name, cls.all_settings(), settings, cls.check)

    @classmethod
    def check(cls, settings: dict[str, Any]) -> None:
        """Cross-field checks on the typed settings (raise ConfigError); none by default."""
        return None

    @abstractmethod
    def collect(self) -> Iterable[Record]:
        """Yield every record the processor holds about ``self.ctx.subject``."""


__all__ = ["Attachment", "Connector", "ConnectorContext", "Record"]
