"""Runs every configured connector at once, each isolated: a failure marks that connector failed with a
one-line reason and never loses another connector's records."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aggregator.config import Config
from aggregator.connector import Connector, ConnectorContext, utcnow
from aggregator.errors import ConfigError, ConnectorError, DsarError
from aggregator.http import Redactor, Sleep, one_line
from aggregator.identifiers import Identifier, IdentifierBus
from aggregator.plugins import Registry
from aggregator.spool import Spool
from aggregator.subject import Subject

log = logging.getLogger("dsar.runner")

COMPLETE, FAILED, NOT_CONFIGURED, SKIPPED = "complete", "failed", "not_configured", "skipped"

Progress = Callable[[str, int, str], None]   # (connector, records so far, status)


@dataclass
class Outcome:
    name: str
    processor: str
    status: str
    records: int = 0
    error: str | None = None
    calls: int = 0
    notes: list[str] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None


def secrets_of(config: Config, registry: Registry) -> Redactor:
    """A redactor that knows every secret setting of every configured connector."""
    redactor = Redactor()
    for name, settings in config.connectors.items():
        cls = registry.connectors.get(name)
        for key in cls.secret_settings if cls else ():
            value = settings.get(key)
            if isinstance(value, str):
                redactor.add(value)
    return redactor


def check(config: Config, registry: Registry, only: Collection[str] | None) -> None:
    """Validate everything that would stop the run before any request is sent (exit 2 material)."""
    for name in sorted(set(config.connectors) - set(registry.connectors)):
        raise ConfigError(f"config: [connectors.{name}] names no registered connector "
                           f"(known: {', '.join(registry.connectors)})")
    chosen = selected(registry, only)
    for name in chosen:
        if name in config.connectors:
            registry.connectors[name].check_settings(config.connectors[name])
    if not any(name in config.connectors for name in chosen):
        where = f" (config: {config.source})" if config.source != "<defaults>" else " (no --config or $DSAR_CONFIG)"
        raise ConfigError(f"no {'selected ' if only else ''}connector is configured{where}: nothing would be "
                          "queried, and an empty package would wrongly say we hold no data")


def selected(registry: Registry, only: Collection[str] | None) -> list[str]:
    return [n for n in registry.connectors if not only or n in only]


def run(
    subject: Subject,
    config: Config,
    registry: Registry,
    spool: Spool,
    *,
    only: Collection[str] | None = None,
    redactor: Redactor | None = None,
    progress: Progress | None = None,
    sleep: Sleep = time.sleep,
    identifiers: Iterable[Identifier] = (),
) -> tuple[dict[str, Outcome], IdentifierBus]:
    redactor = redactor or secrets_of(config, registry)
    outcomes: dict[str, Outcome] = {}
    running: list[type[Connector]] = []
    for name, cls in registry.connectors.items():
        if only and name not in only:
            outcomes[name] = Outcome(name, cls.processor, SKIPPED, error="not requested (--only)")
        elif name not in config.connectors:
            outcomes[name] = Outcome(name, cls.processor, NOT_CONFIGURED,
                                     error=f"no [connectors.{name}] section in the configuration")
        else:
            outcomes[name] = Outcome(name, cls.processor, COMPLETE)
            running.append(cls)

    providers: dict[str, list[str]] = {}
    for cls in running:
        for kind in cls.provides:
            providers.setdefault(kind, []).append(cls.name)
    bus = IdentifierBus(providers)
    for item in identifiers:    # offered by connectors of an earlier run of this request (resume)
        bus.offer(item.source, item.kind, item.value, **item.attrs)

    stop = threading.Event()            # set on Ctrl-C: every wait in every connector ends at once

    def interruptible(seconds: float) -> None:
        if stop.wait(seconds):
            raise ConnectorError("interrupted")

    if sleep is time.sleep:
        sleep = interruptible

    def report(name: str, records: int, status: str) -> None:
        if progress is None:
            return
        try:
            progress(name, records, status)
        except Exception as exc:  # noqa: BLE001 - a display problem must never cost an export
            log.warning("progress callback failed: %s", one_line(redactor(exc)))

    def work(cls: type[Connector]) -> None:
        outcome = outcomes[cls.name]
        outcome.started_at = utcnow()
        report(cls.name, 0, "running")
        t0 = time.monotonic()
        ctx = ConnectorContext(name=cls.name, processor=cls.processor, subject=subject,
                               settings=config.connectors[cls.name], ca_bundle=config.ca_bundle,
                               redactor=redactor, bus=bus, sleep=sleep,
                               attach_sink=lambda a: spool.attach(cls.name, cls.processor, a), stop=stop)
        try:
            connector = cls(ctx)
            for record in connector.collect():
                if record.category not in cls.categories:
                    raise ConnectorError(f"emitted undeclared category {record.category!r}")
                if record.processor not in registry.processors:
                    raise ConnectorError(f"emitted a record for unknown processor {record.processor!r}")
                spool.write(record)
                outcome.records += 1
                outcome.categories[record.category] = outcome.categories.get(record.category, 0) + 1
                if outcome.records % 25 == 0:
                    report(cls.name, outcome.records, "running")
        except DsarError as exc:
            outcome.status, outcome.error = FAILED, _reason(cls.name, exc, redactor)
        except Exception as exc:  # noqa: BLE001 - isolation: any bug in one connector stays in that connector
            outcome.status = FAILED
            outcome.error = _reason(cls.name, f"unexpected {type(exc).__name__}: {exc}", redactor)
        finally:
            bus.finished(cls.name)
            outcome.calls = ctx.calls
            outcome.notes = list(ctx.notes)
            outcome.finished_at = utcnow()
            outcome.seconds = round(time.monotonic() - t0, 3)
            report(cls.name, outcome.records, outcome.status)

    if running:
        pool = ThreadPoolExecutor(max_workers=len(running), thread_name_prefix="dsar")
        try:
            for future in [pool.submit(work, cls) for cls in running]:
                future.result()
        except BaseException:   # Ctrl-C: no new request, no more waiting, nothing new started; then let the
            stop.set()          # running connectors end (each within one request) before the caller cleans up
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    return outcomes, bus


def _reason(name: str, exc: object, redactor: Redactor) -> str:
    text = one_line(redactor(exc)) or "failed without a message"
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


def overall_status(outcomes: Mapping[str, Outcome]) -> str:
    return "partial" if any(o.status == FAILED for o in outcomes.values()) else "complete"

