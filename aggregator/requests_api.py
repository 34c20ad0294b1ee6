"""Export and resume runs recorded in the register: the spool lives at ``<register dir>/spool/<request id>/``
(0700/0600) until the request is delivered or anonymised, with the identifiers the connectors offered, so a
resume re-runs only the failed connectors and rebuilds the package under the same request id."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path

from requests.adapters import BaseAdapter

from aggregator import config as config_mod
from aggregator.api import ExportResult, output_dir, prepare, run_and_package
from aggregator.config import Config
from aggregator.delivery import known_addresses
from aggregator.encrypt import check_passphrase
from aggregator.errors import InputError, RegisterError
from aggregator.http import Redactor, Sleep
from aggregator.identifiers import Identifier
from aggregator.model import Outcome, Status
from aggregator.plugins import Registry
from aggregator.register import FAILED_LIKE, NOT_RUN, Register, RequestEntry
from aggregator.runner import Progress
from aggregator.spool import Spool
from aggregator.subject import Subject

IDENTIFIERS = "identifiers.json"   # in the spool directory: what the connectors offered (kind, value, source, attrs)


def request_status(outcomes: Mapping[str, Outcome]) -> str:
    """The register's status after a run: ``failed`` when every connector that ran failed, ``partial`` when
    some did (a connector ``incomplete`` counts as failed), else ``complete``."""
    ran = [str(o.status) for o in outcomes.values() if str(o.status) not in NOT_RUN]
    bad = [s for s in ran if s in FAILED_LIKE]
    if bad and len(bad) == len(ran):
        return "failed"
    return "partial" if bad else "complete"


def _save_identifiers(spool: Spool, items: Iterable[Identifier]) -> None:
    path = spool.directory / IDENTIFIERS
    body = json.dumps([{"kind": i.kind, "value": i.value, "source": i.source, "attrs": dict(i.attrs)}
                       for i in items], ensure_ascii=False, default=str)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body)
    os.replace(tmp, path)


def _load_identifiers(spool: Spool, drop: Collection[str]) -> list[Identifier]:
    path = spool.directory / IDENTIFIERS
    if not path.is_file():
        return []
    return [Identifier(i["kind"], i["value"], i["source"], i["attrs"])
            for i in json.loads(path.read_text(encoding="utf-8")) if i["source"] not in drop]


def _finish(register: Register, entry: RequestEntry, result: ExportResult, spool: Spool,
            identifiers: list[Identifier], subject: Subject, *, event: str, actor: str | None) -> None:
    _save_identifiers(spool, identifiers)
    known = known_addresses(subject, spool, identifiers)
    status = request_status(result.connectors)
    register.finish(entry.id, outcomes=result.connectors, status=status, package=result.package.resolve(),
                    sha256=result.sha256, known_addresses=known, event=event, actor=actor,
                    encrypted=result.encrypted)
    if not result.manifest.get("redaction", {}).get("enabled", True):
        register.note(entry.id, "redaction_disabled", "[redaction] enabled = false: an internal review copy, "
                      "other people's details and shop-internal fields NOT removed", actor=actor)
    if entry.type == "erasure" and status == "complete":
        register._anonymise(entry.id, actor=actor)      # the caller holds the request's lock


def _beside(package: Path | None, out: Path) -> Path | None:
    """The request's current package as a path in ``out`` (to be superseded by a resume), if it lives there."""
    if package is None or package.parent.resolve() != out.resolve():
        return None
    return out / package.name


def registered_export(
    register: Register, subject: Subject, cfg: Config, registry: Registry, out: Path, rid: str, received: datetime,
    received_given: bool, *, request_type: str, actor: str | None, only: Collection[str] | None,
    redactor: Redactor, progress: Progress | None, sleep: Sleep, adapters: Mapping[str, BaseAdapter] | None = None,
    language: str | None = None,
    passphrase: str | None = None,
) -> ExportResult:
    """:func:`aggregator.export` with a register: record the request and the run, keep the spool."""
    with register.lock(rid):
        entry = register.start(rid, request_type=request_type, email=subject.email,
                               customer_number=subject.customer_number, received_at=received,
                               response_days=cfg.response_days, received_given=received_given, actor=actor)
        try:
            register.discard_spool(rid)          # a new full run starts from nothing
            spool = Spool(register.spool_dir(rid))
            result, bus = run_and_package(subject, cfg, registry, spool, out, rid, entry.received_at, entry.due_at,
                                          only=only, redactor=redactor, progress=progress, sleep=sleep,
                                          adapters=adapters, register=register.path, language=language,
                                          passphrase=passphrase)
            try:
                _finish(register, entry, result, spool, bus.items(), subject, event="export_finished", actor=actor)
            finally:
                bus.drop()
        except BaseException as exc:
            register.fail(rid, "interrupted" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__,
                          actor=actor)
            raise
    register.expire_spools(actor=actor)     # housekeeping: no spool outlives its request by long
    return result


def resume(
    register: Register, request_id: str, *, config: Config | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None, actor: str | None = None, progress: Progress | None = None,
    plugins: Iterable[object] = (), entry_points: bool = True, sleep: Sleep = time.sleep,
    adapters: Mapping[str, BaseAdapter] | None = None, passphrase: str | None = None, language: str | None = None,
) -> ExportResult:
    """Re-run the connectors of ``request_id`` that failed, keep the others' spooled records and recorded
    outcomes, rebuild the package (same file name, new sha256; AES-256 encrypted under ``passphrase`` when given,
    see :func:`aggregator.api.export`) and record the run. A request whose package was encrypted is never
    rebuilt in the clear: without a ``passphrase`` it is refused. ``language``: that of the pages (default: the
    config's)."""
    entry = register.get(request_id)
    if entry.encrypted and passphrase is None:
        raise InputError(f"request {request_id}: its package was encrypted; resume it with a passphrase "
                         "(dsar requests resume --encrypt), never in the clear")
    if entry.anonymised_at or entry.status not in ("partial", "failed"):
        state = "anonymised" if entry.anonymised_at else entry.status
        raise RegisterError(f"request {request_id} is {state}: only a partial or failed request can be resumed")
    failed = entry.failed_connectors()
    if not failed:
        raise RegisterError(f"request {request_id} has no failed connector to run again")
    spool_dir = register.spool_dir(request_id)
    if not spool_dir.is_dir():
        raise RegisterError(f"request {request_id}: its spool {spool_dir} is gone; export it again instead")
    if entry.email is None:
        raise RegisterError(f"request {request_id} has no subject address")
    subject = Subject(entry.email, entry.customer_number)
    cfg = config if isinstance(config, Config) else config_mod.load(config)
    registry, redactor = prepare(cfg, failed, plugins, entry_points)
    if passphrase is not None:
        check_passphrase(passphrase)
        redactor.add(passphrase)
    out = output_dir(out_dir if out_dir is not None else (entry.package.parent if entry.package else "packages"))
    keep = {name: Outcome(c.name, c.processor, Status(c.status), records=c.records, error=c.error, calls=c.calls,
                          notes=list(c.notes), categories=dict(c.categories), coverage=list(c.coverage),
                          shortfalls=list(c.shortfalls), started_at=c.started_at, finished_at=c.finished_at,
                          seconds=c.seconds)
            for name, c in entry.connectors.items() if name not in failed}
    with register.lock(request_id):
        if register.get(request_id).sha256 != entry.sha256:
            raise RegisterError(f"request {request_id} changed meanwhile; look at it again before resuming")
        register.mark_resuming(request_id, failed, actor=actor)
        try:
            spool = Spool(spool_dir)
            for name in failed:
                spool.discard(name)
            seeds = _load_identifiers(spool, failed)
            result, bus = run_and_package(subject, cfg, registry, spool, out, request_id, entry.received_at,
                                          entry.due_at, only=failed, redactor=redactor, progress=progress,
                                          sleep=sleep, identifiers=seeds, keep=keep, adapters=adapters,
                                          supersede=_beside(entry.package, out), register=register.path,
                                          language=language,
                                          passphrase=passphrase)
            try:
                _finish(register, entry, result, spool, bus.items(), subject, event="resume_finished", actor=actor)
            finally:
                bus.drop()
        except BaseException as exc:
            register.fail(request_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__,
                          actor=actor)
            raise
    old = entry.package
    if old is not None and old.resolve() != result.package.resolve():
        old.unlink(missing_ok=True)    # the package moved to another --out: the stale copy goes
    return result


__all__ = ["registered_export", "request_status", "resume"]
