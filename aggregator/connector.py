"""What a connector is: a small class declaring its processor and categories, and a ``collect`` method
that yields :class:`Record` objects through a per-run :class:`ConnectorContext`."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from aggregator.errors import ConfigError
from aggregator.http import DEFAULT_TIMEOUT, Limits, Redactor, RetryPolicy, Sleep, VendorSession
from aggregator.identifiers import Identifier, IdentifierBus
from aggregator.subject import Subject


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Record:
    """One piece of personal data, with where it came from."""

    connector: str
    processor: str
    category: str
    dataset: str                      # what kind of object: "order", "order_line", "member", "message"
    data: Mapping[str, Any]
    endpoint: str                     # "GET /nl/orders.json?customer=…" (no secrets, no host)
    vendor_id: str | None = None
    retrieved_at: str = field(default_factory=utcnow)
    third_parties: tuple[str, ...] = ()   # other people's addresses found in ``data`` (to redact later)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "source": {"processor": self.processor, "connector": self.connector, "endpoint": self.endpoint,
                       "vendor_id": self.vendor_id, "retrieved_at": self.retrieved_at},
            "data": self.data,
        }
        if self.third_parties:
            out["third_parties"] = list(self.third_parties)
        return out


@dataclass
class Attachment:
    category: str
    filename: str
    content: bytes


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
    ) -> None:
        self.name = name
        self.stop = stop
        self.processor = processor
        self.subject = subject
        self.settings = settings
        self.ca_bundle = ca_bundle
        self.redactor = redactor
        self.bus = bus
        self.sleep = sleep
        self.notes: list[str] = []
        self._attach_sink = attach_sink
        self._sessions: list[VendorSession] = []

    # -- HTTP
    def session(self, *, limits: Limits | None = None, retry: RetryPolicy | None = None,
                timeout: float | tuple[float, float] | None = None) -> VendorSession:
        """A session with this run's trust, redaction and the connector's declared limits."""
        configured = self.settings.get("timeout")
        default = (DEFAULT_TIMEOUT[0], float(configured)) if configured else DEFAULT_TIMEOUT
        s = VendorSession(self.name, ca_bundle=self.ca_bundle, timeout=timeout or default,
                          limits=limits, retry=retry, redactor=self.redactor, sleep=self.sleep, stop=self.stop)
        self._sessions.append(s)
        return s

    @property
    def calls(self) -> int:
        """HTTP requests made so far by every session of this connector (retries included)."""
        return sum(s.calls for s in self._sessions)

    # -- records
    def record(self, category: str, dataset: str, data: Mapping[str, Any], *, endpoint: str,
               vendor_id: object = None, third_parties: Iterable[str] = ()) -> Record:
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

    def note(self, text: str) -> None:
        """Something the privacy officer should know that is not a failure (a skipped mailbox)."""
        self.notes.append(self.redactor(text))

    # -- identifiers
    def offer(self, kind: str, value: object, **attrs: Any) -> None:
        self.bus.offer(self.name, kind, value, **attrs)

    def done_offering(self, *kinds: str) -> None:
        """Tell consumers no more of these kinds will come, so their streams end before this connector does."""
        for kind in kinds:
            self.bus.close(self.name, kind)

    def identifiers(self, kind: str) -> Iterator[Identifier]:
        return self.bus.stream(kind)


class Connector(ABC):
    """Subclass, declare the class attributes, implement :meth:`collect`, and register the class through
    the ``register_connectors`` hook."""

    name: ClassVar[str]                        # config table [connectors.<name>], package file name
    processor: ClassVar[str]                   # key in the processor register
    categories: ClassVar[tuple[str, ...]]      # every category collect() may emit
    required_settings: ClassVar[tuple[str, ...]] = ()
    secret_settings: ClassVar[tuple[str, ...]] = ()   # redacted from every message
    numeric_settings: ClassVar[tuple[str, ...]] = ("timeout",)   # optional settings that must be numbers ≥ 0
    provides: ClassVar[tuple[str, ...]] = ()   # identifier kinds this connector offers to others
    description: ClassVar[str] = ""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> None:
        """Raise ConfigError naming the first missing or empty required key (never its value)."""
        for key in cls.required_settings:
            value = settings.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ConfigError(f"config: connectors.{cls.name}.{key} is missing")
        for key in cls.numeric_settings:
            value = settings.get(key)
            if value is None:
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = -1.0
            if isinstance(value, bool) or not number >= 0:
                raise ConfigError(f"config: connectors.{cls.name}.{key} must be a number ≥ 0")
            if key == "timeout" and number == 0:
                raise ConfigError(f"config: connectors.{cls.name}.timeout must be more than 0 seconds")

    @abstractmethod
    def collect(self) -> Iterable[Record]:
        """Yield every record the processor holds about ``self.ctx.subject``."""
