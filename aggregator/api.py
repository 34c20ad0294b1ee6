"""The stable Python API: ``export(email, config=...)`` → :class:`ExportResult`. The CLI and the portal
backend both call this; it holds no state between calls."""

from __future__ import annotations

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
from aggregator import package
from aggregator.config import Config
from aggregator.errors import InputError
from aggregator.http import Sleep
from aggregator.model import Outcome, overall_status
from aggregator.plugins import build_registry, plugin_manager
from aggregator.runner import Progress, check, run, secrets_of
from aggregator.spool import Spool
from aggregator.subject import Subject

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ExportResult:
    request_id: str
    status: str                       # "complete" | "partial"
    package: Path
    sha256: str
    connectors: dict[str, Outcome]
    manifest: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (a stable contract, see README)."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "package": str(self.package),
            "sha256": self.sha256,
            "connectors": {
                name: {"status": o.status, "records": o.records, "error": o.error, "calls": o.calls,
                       "processor": o.processor}
                for name, o in self.connectors.items()
            },
        }


def new_request_id(received_at: datetime) -> str:
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
    adapters: Mapping[str, BaseAdapter] | None = None,
    language: str | None = None,
) -> ExportResult:
    """Collect everything the configured processors hold about ``email`` into one package.

    Raises InputError / ConfigError (exit 2) before any request is sent; connector failures do not raise:
    they come back as ``status == "partial"`` with each failed connector's one-line reason. ``adapters``
    mounts ``requests`` transport adapters by URL prefix on every vendor session (the tests' in-process
    sandbox uses it). ``language`` (nl or en) is the language of the pages; default: the config's.
    """
    subject = Subject.parse(email, customer_number)
    cfg = config if isinstance(config, Config) else config_mod.load(config)
    if received_at is not None and received_at.tzinfo is None:
        raise InputError("received_at must carry a time zone (e.g. datetime.now(UTC))")
    received = (received_at or datetime.now(UTC)).astimezone(UTC)
    rid = request_id or new_request_id(received)
    if not _REQUEST_ID.match(rid):
        raise InputError(f"not a valid request id: {rid!r}")
    language = language or cfg.controller.get("language") or "nl"
    if language not in ("nl", "en"):
        raise InputError(f"language must be nl or en, not {language!r}")

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output directory {out}: {exc.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to the output directory {out}")

    registry = build_registry(plugin_manager(entry_points=entry_points, extra=plugins), cfg.processors)
    if only is not None and not only:
        raise InputError("--only names no connector")
    if only:
        unknown = sorted(set(only) - set(registry.connectors))
        if unknown:
            raise InputError(f"unknown connector(s): {', '.join(unknown)} (known: {', '.join(registry.connectors)})")
    check(cfg, registry, only)
    redactor = secrets_of(cfg, registry)

    work = Path(tempfile.mkdtemp(prefix=f"dsar-{rid}-"))
    try:
        spool = Spool(work / "spool")
        outcomes, bus = run(subject, cfg, registry, spool, only=only, redactor=redactor, progress=progress,
                            sleep=sleep, adapters=adapters)
        spool.close()
        status = overall_status(outcomes)
        info = package.RequestInfo(rid, subject, cfg.controller, received,
                                   received + timedelta(days=cfg.response_days), status)
        path, digest, manifest = package.build(out, info, outcomes, registry.processors, spool,
                                               bus.snapshot(), datetime.now(UTC),
                                               readable=package.Readable(
                                                   language=language, authorities=cfg.authorities,
                                                   datasets={n: c.datasets for n, c in registry.connectors.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ExportResult(rid, status, path, digest, outcomes, manifest)


__all__ = ["ExportResult", "export", "new_request_id"]
