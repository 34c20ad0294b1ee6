"""``dsar check``: per configured connector one cheap authenticated call (a token, the account, one list item),
and what it reached, like ``gh auth status``: ok / wrong credentials / unreachable / TLS problem / plan limit
reached, so credentials are tested without running an export."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from requests.adapters import BaseAdapter

from aggregator.config import Config
from aggregator.connector import ConnectorContext
from aggregator.errors import ConnectorError, DsarError, VendorError
from aggregator.http import Redactor
from aggregator.identifiers import IdentifierBus
from aggregator.interrupts import results
from aggregator.plugins import Registry
from aggregator.runner import check as check_config
from aggregator.runner import selected
from aggregator.subject import Subject
from aggregator.text import printable

OK = "ok"
WRONG_CREDENTIALS = "wrong credentials"
UNREACHABLE = "unreachable"
TLS_PROBLEM = "TLS problem"
PLAN_LIMIT = "plan limit reached"
FAILED = "failed"
NO_CHECK = "no check available"
LONGEST_WAIT = 10.0        # a check never waits longer than this for a vendor's rate limit
_CHECK_SUBJECT = "dsar-check@example.invalid"   # no subject is looked up; the context needs one


@dataclass(frozen=True)
class AccessReport:
    """What one connector's check found: ``state`` (ok, wrong credentials, ...), the account it reached or the
    one-line reason, and the requests it cost."""

    connector: str
    processor: str
    state: str
    detail: str
    calls: int

    @property
    def ok(self) -> bool:
        """True when the credentials work (or the connector offers no check: nothing failed)."""
        return self.state in (OK, NO_CHECK)


class _TooLong(ConnectorError):
    """A rate-limit wait longer than a check may take."""


def classify(exc: BaseException) -> str:
    """The state a failed check is in, from the error's kind, status and wording."""
    text = str(exc).lower()
    status = exc.status if isinstance(exc, VendorError) else None
    if isinstance(exc, _TooLong) or status == 429 or "ratelimit" in text.replace(" ", "") or "rate limit" in text:
        return PLAN_LIMIT
    if "tls verification failed" in text:
        return TLS_PROBLEM
    if "cannot connect" in text or "timed out" in text or "connection broken" in text:
        return UNREACHABLE
    if status in (401, 403) or any(w in text for w in ("invalid_client", "unauthorized", "unauthorised",
                                                       "aadsts7000215", "invalid api key", "api key invalid")):
        return WRONG_CREDENTIALS
    return FAILED


def check_access(config: Config, registry: Registry, *, only: Collection[str] | None = None,
                 redactor: Redactor | None = None,
                 adapters: Mapping[str, BaseAdapter] | None = None) -> list[AccessReport]:
    """Check every configured (and selected) connector at once; raises ConfigError before any request when the
    config is unusable, never for a connector's failure."""
    typed = check_config(config, registry, only)
    redactor = redactor or Redactor()
    names = [n for n in selected(registry, only) if n in config.connectors]
    for name in names:
        cls = registry.connectors[name]
        redactor.add(*(str(typed[name].get(k) or "") for k in cls.secret_settings))
    subject = Subject.parse(_CHECK_SUBJECT)
    stop = threading.Event()

    def sleep(seconds: float) -> None:
        if seconds > LONGEST_WAIT:
            raise _TooLong(f"the vendor asks to wait {seconds:.0f} s before the next request")
        if stop.wait(seconds):
            raise ConnectorError("interrupted")

    def one(name: str) -> AccessReport:
        cls = registry.connectors[name]
        ctx = ConnectorContext(name=name, processor=cls.processor, subject=subject, settings=typed[name],
                               ca_bundle=config.ca_bundle, redactor=redactor, bus=IdentifierBus({}), sleep=sleep,
                               stop=stop, adapters=adapters)
        probe = getattr(cls, "check_access", None)
        if probe is None:
            return AccessReport(name, cls.processor, NO_CHECK, "the connector offers no access check", 0)
        try:
            detail, state = probe(cls(ctx)), OK
        except DsarError as exc:
            detail, state = str(exc), classify(exc)
        except Exception as exc:  # noqa: BLE001 - a connector's bug is that connector's line, never a traceback
            detail, state = f"unexpected {type(exc).__name__}: {exc}", FAILED
        detail = printable(redactor.line(detail))
        if detail.startswith(f"{name}: "):
            detail = detail[len(name) + 2:]
        return AccessReport(name, cls.processor, state, detail, ctx.calls)

    if not names:
        return []
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="dsar-check")
    try:
        reports = results([pool.submit(one, name) for name in names])
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return reports


def to_json(reports: list[AccessReport]) -> dict[str, object]:
    """``dsar check --json``: every report, and whether all are ok."""
    return {"ok": all(r.ok for r in reports), "connectors": [asdict(r) for r in reports]}


__all__ = ["AccessReport", "check_access", "classify", "to_json"]
