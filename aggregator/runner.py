"""Runs every configured connector at once, each isolated: a failure marks that connector failed with a
one-line reason and never loses another connector's records."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from requests.adapters import BaseAdapter

from aggregator.config import Config
from aggregator.connector import Connector, ConnectorContext
from aggregator.datasets import undeclared
from aggregator.errors import ConfigError, ConnectorError, DsarError
from aggregator.http import Redactor, Sleep, return_large_buffers
from aggregator.identifiers import Identifier, IdentifierBus
from aggregator.interrupts import results
from aggregator.model import Outcome, Record, Status, overall_status, utcnow
from aggregator.plugins import Registry
from aggregator.spool import Spool
from aggregator.subject import Subject
from aggregator.text import TooDeep, clean, clean_data, printable

log = logging.getLogger("dsar.runner")

Progress = Callable[[str, int, str], None]   # (connector, records so far, status)
WAIT_SHOWN = 1.0                              # waits longer than this (seconds) are shown as "waiting for ..."
MAX_UNDECLARED = 50                           # undeclared field paths reported per connector


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


def check(config: Config, registry: Registry, only: Collection[str] | None) -> dict[str, dict[str, Any]]:
    """Validate everything that would stop the run before any request is sent (exit 2 material); returns
    the typed settings of every configured connector, selected or not (a bad section is an error either way)."""
    for name in sorted(set(config.connectors) - set(registry.connectors)):
        raise ConfigError(f"config: [connectors.{name}] names no registered connector "
                           f"(known: {', '.join(registry.connectors)})")
    typed = {name: registry.connectors[name].check_settings(section) for name, section in config.connectors.items()}
    chosen = selected(registry, only)
    if not any(name in config.connectors for name in chosen):
        where = f" (config: {config.source})" if config.source != "<defaults>" else " (no --config or $DSAR_CONFIG)"
        raise ConfigError(f"no {'selected ' if only else ''}connector is configured{where}: nothing would be "
                          "queried, and an empty package would wrongly say we hold no data")
    return typed


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
    adapters: Mapping[str, BaseAdapter] | None = None,
    identifiers: Iterable[Identifier] = (),
    register: Path | None = None,
) -> tuple[dict[str, Outcome], IdentifierBus]:
    """Run the selected connectors at once; ``register`` (the register's file) gives them their invoice index."""
    return_large_buffers()              # answers' bodies, once dropped, go back to the system (once per process)
    redactor = redactor or secrets_of(config, registry)
    typed = check(config, registry, only)
    outcomes, running = _plan(config, registry, only)
    bus = IdentifierBus({kind: [c.name for c in running if kind in c.provides]
                         for kind in {k for c in running for k in c.provides}})
    for item in identifiers:    # offered by connectors of an earlier run of this request (resume)
        bus.offer(item.source, item.kind, item.value, **item.attrs)

    # One per connector, set on Ctrl-C (every wait in every connector ends at once) or by the connector itself once
    # it has ended (ConnectorContext.halt: its own threads' waits end, and its sessions send nothing more)
    halts = {cls.name: threading.Event() for cls in running}

    report = _Reporter(progress, redactor)

    def work(cls: type[Connector]) -> None:
        outcome = outcomes[cls.name]
        outcome.started_at = utcnow()
        t0 = time.monotonic()
        known = registry.processors.get(cls.processor)
        halt = halts[cls.name]
        waits = _Waits(cls.name, known.name.split(" (")[0] if known else cls.name, outcome, report,
                       functools.partial(_interruptible, halt) if sleep is time.sleep else sleep)
        ctx = ConnectorContext(name=cls.name, processor=cls.processor, subject=subject,
                               settings=typed[cls.name], ca_bundle=config.ca_bundle,
                               redactor=redactor, bus=bus, sleep=waits.sleep,
                               attach_sink=lambda a: spool.attach(cls.name, cls.processor, a), stop=halt,
                               adapters=adapters, register=register, status=waits.status)
        waits.ctx = ctx
        admit = _Admission(cls, registry)
        try:
            for record in cls(ctx).collect():
                spool.write(admit(record))
                outcome.records += 1
                outcome.categories[record.category] = outcome.categories.get(record.category, 0) + 1
                if outcome.records % 25 == 0:
                    report(cls.name, outcome.records, "running", ctx.calls)
            if ctx.shortfalls:
                outcome.status = Status.INCOMPLETE
                outcome.error = _reason(cls.name, "; ".join(ctx.shortfalls), redactor)
        except DsarError as exc:
            outcome.status, outcome.error = Status.FAILED, _reason(cls.name, exc, redactor)
        except Exception as exc:  # noqa: BLE001 - isolation: any bug in one connector stays in that connector
            outcome.status = Status.FAILED
            outcome.error = _reason(cls.name, f"unexpected {type(exc).__name__}: {exc}", redactor)
        finally:
            halt.set()              # ended: a thread it left behind waits no longer and sends nothing more
            bus.finished(cls.name)
            _close(outcome, ctx, admit, t0)
            report(cls.name, outcome.records, outcome.status, outcome.calls)

    for cls in running:     # every connector is on the display, in the registry's order, before any starts: a
        report(cls.name, 0, "running")  # thread that starts late must not leave its line missing from the block
    if running:
        pool = ThreadPoolExecutor(max_workers=len(running), thread_name_prefix="dsar")
        try:
            results([pool.submit(work, cls) for cls in running])
        except BaseException:   # Ctrl-C: no new request, no more waiting, nothing new started; then let the
            for event in halts.values():    # running connectors end (each within one request) before the caller
                event.set()                 # cleans up
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    return outcomes, bus


def _interruptible(halt: threading.Event, seconds: float) -> None:
    """The run's sleep for one connector: ended at once when the run is interrupted or the connector has ended."""
    if halt.wait(seconds):
        raise ConnectorError("interrupted")


def _plan(config: Config, registry: Registry,
          only: Collection[str] | None) -> tuple[dict[str, Outcome], list[type[Connector]]]:
    """An outcome for every registered connector (skipped, not configured, or to run) and the ones to run."""
    outcomes: dict[str, Outcome] = {}
    running: list[type[Connector]] = []
    for name, cls in registry.connectors.items():
        if only and name not in only:
            outcomes[name] = Outcome(name, cls.processor, Status.SKIPPED, error="not requested (--only)")
        elif name not in config.connectors:
            outcomes[name] = Outcome(name, cls.processor, Status.NOT_CONFIGURED,
                                     error=f"no [connectors.{name}] section in the configuration")
        else:
            outcomes[name] = Outcome(name, cls.processor, Status.COMPLETE)
            running.append(cls)
    return outcomes, running


class _Reporter:
    """Progress reports that can never cost an export (a failing display is logged, not raised)."""

    def __init__(self, progress: Progress | None, redactor: Redactor) -> None:
        self.progress = progress
        self.redactor = redactor

    def __call__(self, name: str, records: int, status: str, calls: int | None = None) -> None:
        if self.progress is None:
            return
        try:
            if calls is not None and getattr(self.progress, "wants_calls", False):
                self.progress(name, records, status, calls=calls)  # type: ignore[call-arg]
            else:
                self.progress(name, records, status)
        except Exception as exc:  # noqa: BLE001 - a display problem must never cost an export
            log.warning("progress callback failed: %s", self.redactor.line(exc))


class _Waits:
    """One connector's sleep and status: a long wait (a limiter, a 429) is shown, not silent, in the
    connector's own words when it gave some ("waiting for Silvasoft's hourly limit until 14:05")."""

    def __init__(self, name: str, vendor: str, outcome: Outcome, report: _Reporter, sleep: Sleep) -> None:
        self.name, self.vendor, self.outcome, self.report, self._sleep = name, vendor, outcome, report, sleep
        self.ctx: ConnectorContext | None = None
        self.said: str | None = None

    def _calls(self) -> int | None:
        return self.ctx.calls if self.ctx is not None else None

    def status(self, text: str) -> None:
        self.said = text
        self.report(self.name, self.outcome.records, text, self._calls())

    def sleep(self, seconds: float) -> None:
        if seconds < WAIT_SHOWN:
            return self._sleep(seconds)
        until = (datetime.now() + timedelta(seconds=seconds)).strftime("%H:%M:%S")
        log.info("%s: waiting %.1f s for %s's rate limit (until %s)", self.name, seconds, self.vendor, until)
        if not (self.said or "").startswith("waiting"):        # the connector said it better already
            self.report(self.name, self.outcome.records, f"waiting for {self.vendor}'s rate limit until {until}",
                        self._calls())
        try:
            self._sleep(seconds)
        finally:
            self.said = None
            self.report(self.name, self.outcome.records, "running", self._calls())


class _Admission:
    """What every record passes before it is spooled: its category, processor and dataset declared, its fields
    checked against the declaration (undeclared ones noted), its vendor text made safe."""

    def __init__(self, cls: type[Connector], registry: Registry) -> None:
        self.cls = cls
        self.processors = registry.processors
        self.declared = {d.name: d for d in cls.datasets}
        self.missing: set[str] = set()
        self.replaced = 0

    def __call__(self, record: Record) -> Record:
        if record.category not in self.cls.categories:
            raise ConnectorError(f"emitted undeclared category {record.category!r}")
        if record.processor not in self.processors:
            raise ConnectorError(f"emitted a record for unknown processor {record.processor!r}")
        if self.declared:
            dataset = self.declared.get(record.dataset)
            if dataset is None or dataset.category != record.category:
                raise ConnectorError(f"emitted undeclared dataset {record.dataset!r} under {record.category!r}")
            if len(self.missing) < MAX_UNDECLARED:
                self.missing.update(f"{dataset.name}: {p}" for p in undeclared(dataset, record.data))
        record, n = _cleaned(record)
        self.replaced += n
        return record


def _close(outcome: Outcome, ctx: ConnectorContext, admit: _Admission, t0: float) -> None:
    """Copy what the run learnt into the outcome: calls, notes, coverage, shortfalls, undeclared fields."""
    outcome.calls = ctx.calls
    outcome.notes = [printable(n) for n in ctx.notes]
    if admit.replaced:
        outcome.notes.append(f"replaced {admit.replaced} unprintable character(s) in the vendor's data (lone "
                             "surrogates or control characters) with U+FFFD")
    outcome.coverage = [printable(n) for n in ctx.coverage]
    outcome.shortfalls = [printable(n) for n in ctx.shortfalls]
    outcome.undeclared = sorted(admit.missing)[:MAX_UNDECLARED]
    if admit.missing:
        outcome.notes.append(f"{len(admit.missing)} field(s) the connector does not declare were exported "
                             "unlabelled: " + ", ".join(outcome.undeclared[:5]))
    outcome.finished_at = utcnow()
    outcome.seconds = round(time.monotonic() - t0, 3)


def _cleaned(record: Record) -> tuple[Record, int]:
    """The record with its vendor text made safe (see :mod:`aggregator.text`); a record nested beyond reason
    fails its connector with one line."""
    try:
        data, n = clean_data(record.data)
    except TooDeep as exc:
        raise ConnectorError(f"a {record.dataset!r} record is {exc}") from None
    parties = tuple(clean(p)[0] for p in record.third_parties)
    if not n and parties == record.third_parties:
        return record, 0
    return replace(record, data=data, third_parties=parties), n


def _reason(name: str, exc: object, redactor: Redactor) -> str:
    text = printable(redactor.line(exc)) or "failed without a message"
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


__all__ = ["Outcome", "Progress", "Status", "check", "overall_status", "run", "secrets_of"]
