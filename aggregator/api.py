"""The stable Python API: ``export(email, config=...)`` → :class:`ExportResult`. The CLI and the portal
backend both call this; it holds no state between calls."""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from requests.adapters import BaseAdapter

from aggregator import config as config_mod
from aggregator import encrypt, package
from aggregator.config import Config
from aggregator.errors import InputError
from aggregator.http import Redactor, Sleep
from aggregator.identifiers import Identifier, IdentifierBus
from aggregator.model import Outcome, overall_status
from aggregator.plugins import Registry, build_registry, plugin_manager
from aggregator.redact import for_export
from aggregator.register import Register
from aggregator.render import Readable
from aggregator.runner import Progress, check, run, secrets_of
from aggregator.spool import Spool
from aggregator.subject import Subject

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ExportResult:
    """What one export produced: its status, the package and its sha256, every connector's outcome."""

    request_id: str
    status: str                       # "complete" | "partial"
    package: Path
    sha256: str
    connectors: dict[str, Outcome]
    manifest: dict[str, Any]
    encrypted: bool = False           # an AES-256 zip (passphrase=...); the passphrase itself is never kept

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (a stable contract, see README)."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "package": str(self.package),
            "sha256": self.sha256,
            "encrypted": self.encrypted,
            "connectors": {
                name: {"status": o.status, "records": o.records, "error": o.error, "calls": o.calls,
                       "processor": o.processor}
                for name, o in self.connectors.items()
            },
        }


def new_request_id(received_at: datetime) -> str:
    """A fresh request id: the day it was received and ten random hex digits."""
    return f"{received_at:%Y%m%d}-{uuid.uuid4().hex[:10]}"


def export(
    email: str,
    *,
    customer_number: str | None = None,
    config: Config | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] = "packages",
    only: Collection[str] | None = None,
    request_id: str | None = None,
    received_at: datetime | None = None,
    progress: Progress | None = None,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
    sleep: Sleep = time.sleep,
    register: Register | str | os.PathLike[str] | None = None,
    request_type: str = "access",
    actor: str | None = None,
    adapters: Mapping[str, BaseAdapter] | None = None,
    redactor: Redactor | None = None,
    language: str | None = None,
    passphrase: str | None = None,
) -> ExportResult:
    """Collect everything the configured processors hold about ``email`` into one package.

    Raises InputError / ConfigError (exit 2) before any request is sent; connector failures do not raise:
    they come back as ``status == "partial"`` with each failed connector's one-line reason. With ``register``
    (a :class:`Register` or its path) the run is recorded there and its spool kept for a resume; without, the
    run leaves nothing behind but the package. ``redactor``, when given, is the one the run uses (the config's
    secrets are added to it, and every token as it is used): the CLI's log filter shares it. ``adapters`` mounts
    ``requests`` transport adapters by URL prefix on every vendor session (the tests' in-process sandbox uses it).
    ``language`` (nl or en) is the language of the pages; default: the config's, else nl.
    With ``passphrase`` (see :func:`aggregator.encrypt.new_passphrase`) the package is an AES-256 zip under it;
    it is added to the redactor and stored nowhere: the caller hands it to the subject by another channel.
    """
    subject = Subject.parse(email, customer_number)
    cfg = config if isinstance(config, Config) else config_mod.load(config)
    if received_at is not None and received_at.tzinfo is None:
        raise InputError("received_at must carry a time zone (e.g. datetime.now(UTC))")
    received = (received_at or datetime.now(UTC)).astimezone(UTC)
    if received > datetime.now(UTC) + timedelta(minutes=5):
        raise InputError(f"received_at {received:%Y-%m-%d %H:%M} UTC lies in the future")
    rid = request_id or new_request_id(received)
    if not _REQUEST_ID.match(rid):
        raise InputError(f"not a valid request id: {rid!r}")
    language = language or cfg.controller.get("language") or "nl"
    if language not in ("nl", "en"):
        raise InputError(f"language must be nl or en, not {language!r}")
    out = output_dir(out_dir)
    package.package_path(out, rid)              # a directory in the package's way: exit 2 before any request
    registry, secrets = prepare(cfg, only, plugins, entry_points)
    if redactor is None:
        redactor = secrets
    else:
        redactor.merge(secrets)
    if passphrase is not None:                  # dsar export --encrypt
        encrypt.check_passphrase(passphrase)
        redactor.add(passphrase)
    if register is not None:
        from aggregator.requests_api import registered_export

        reg = register if isinstance(register, Register) else Register.open(register)
        return registered_export(reg, subject, cfg, registry, out, rid, received, received_at is not None,
                                 request_type=request_type, actor=actor, only=only, redactor=redactor,
                                 progress=progress, sleep=sleep, adapters=adapters,
                                 language=language, passphrase=passphrase)

    work = Path(tempfile.mkdtemp(prefix=f"dsar-{rid}-"))
    try:
        spool = Spool(work / "spool")
        result, bus = run_and_package(subject, cfg, registry, spool, out, rid, received,
                                      received + timedelta(days=cfg.response_days), only=only, redactor=redactor,
                                      progress=progress, sleep=sleep, adapters=adapters,
                                      language=language, passphrase=passphrase)
        bus.drop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create (if needed) and check the package directory; InputError when it cannot be written."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory {out}: {exc.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to the output directory {out}")
    return out


def prepare(cfg: Config, only: Collection[str] | None, plugins: Iterable[object],
            entry_points: bool) -> tuple[Registry, Redactor]:
    """The connector registry and the secret redactor, after every check that must pass before a request."""
    registry = build_registry(plugin_manager(entry_points=entry_points, extra=plugins), cfg.processors)
    if only is not None and not only:
        raise InputError("--only names no connector")
    if only:
        unknown = sorted(set(only) - set(registry.connectors))
        if unknown:
            raise InputError(f"unknown connector(s): {', '.join(unknown)} (known: {', '.join(registry.connectors)})")
    check(cfg, registry, only)
    return registry, secrets_of(cfg, registry)


def run_and_package(
    subject: Subject, cfg: Config, registry: Registry, spool: Spool, out: Path, rid: str, received: datetime,
    due: datetime, *, only: Collection[str] | None, redactor: Redactor, progress: Progress | None, sleep: Sleep,
    identifiers: Iterable[Identifier] = (), keep: Mapping[str, Outcome] | None = None,
    adapters: Mapping[str, BaseAdapter] | None = None, supersede: Path | None = None,
    register: Path | None = None, language: str | None = None, passphrase: str | None = None,
) -> tuple[ExportResult, IdentifierBus]:
    """Run the connectors into ``spool`` and write the package (AES-256 encrypted under ``passphrase`` when
    given); ``keep`` supplies the outcomes of connectors
    not run this time (resume), ``identifiers`` what they offered then; ``language`` that of the pages
    (default: the config's)."""
    language = language or str(cfg.controller.get("language") or "nl")
    outcomes, bus = run(subject, cfg, registry, spool, only=only, redactor=redactor, progress=progress,
                        sleep=sleep, identifiers=identifiers, adapters=adapters, register=register)
    spool.close()
    if keep:
        outcomes = {name: keep.get(name, o) if only and name not in only else o for name, o in outcomes.items()}
    status = overall_status(outcomes)
    info = package.RequestInfo(rid, subject, cfg.controller, received, due, status)
    write = package.build if passphrase is None else functools.partial(encrypt.build, passphrase)
    path, digest, manifest = write(out, info, outcomes, registry.processors, spool, bus.snapshot(),
                                   datetime.now(UTC), supersede=supersede,
                                   record_redactor=for_export(cfg, subject, registry, language),
                                   readable=Readable(
                                       language=language, authorities=cfg.authorities,
                                       datasets={n: c.datasets for n, c in registry.connectors.items()}))
    return ExportResult(rid, status, path, digest, outcomes, manifest, encrypted=passphrase is not None), bus


__all__ = ["ExportResult", "export", "new_request_id", "run_and_package"]
