"""Running exports for the service: in a bounded worker pool inside the server (embedded, the default) or on an
RQ queue on Redis served by ``dsar worker`` processes. The register is the shared state: a request is recorded
(``received``) before its job is queued, and a run that died with its process is marked so it can be resumed.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from requests.adapters import BaseAdapter

from aggregator.api import export
from aggregator.errors import DsarError, RequestBusy
from aggregator.http import Redactor
from aggregator.register import Register
from aggregator.service.limits import SharedLimits
from aggregator.service.settings import ServiceSettings

log = logging.getLogger("aggregator.service")
ACTOR = "portal"
INTERRUPTED = "interrupted: the service stopped before this run finished; resume it"


@dataclass
class Runtime:
    """Everything a job needs: the settings, the register, the shared vendor limits, and (tests) extra transport
    adapters and plugins."""

    settings: ServiceSettings
    register: Register
    limits: SharedLimits
    base_adapters: Mapping[str, BaseAdapter] | None = None
    entry_points: bool = True
    progress: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)   # request -> connector -> state
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def track(self, request_id: str) -> Any:
        """A progress callback for the runner that keeps each connector's record count for ``GET /requests``."""
        def progress(connector: str, records: int, status: str) -> None:
            with self._lock:
                self.progress.setdefault(request_id, {})[connector] = {"records": records, "status": str(status)}
        return progress

    def live(self, request_id: str) -> dict[str, dict[str, Any]]:
        """The connectors' state of the run under way (empty when none runs in this process)."""
        with self._lock:
            return {k: dict(v) for k, v in self.progress.get(request_id, {}).items()}


def perform(rt: Runtime, action: str, request_id: str) -> str:
    """Run one job (``export`` or ``resume``) for a request already in the register; returns its new status.
    Errors are recorded in the register (one redacted line) and logged, never raised."""
    register, settings = rt.register, rt.settings
    try:
        entry = register.get(request_id)
        if entry.email is None:
            raise DsarError(f"request {request_id} has no subject address")
        adapters = rt.limits.adapters(rt.base_adapters)
        common: dict[str, Any] = {"progress": rt.track(request_id), "entry_points": rt.entry_points,
                                  "adapters": adapters, "actor": ACTOR}
        if action == "resume" and entry.failed_connectors() and register.spool_dir(request_id).is_dir():
            register.resume(request_id, config=settings.config, out_dir=settings.out_dir, **common)
        else:     # a new request, or one whose first run died before recording any connector: run it whole
            export(entry.email, customer_number=entry.customer_number, config=settings.config,
                   out_dir=settings.out_dir, request_id=request_id, received_at=entry.received_at,
                   register=register, request_type=entry.type, **common)
    except RequestBusy:
        log.warning("request %s: another run holds it; this %s job is dropped", request_id, action)
    except Exception as exc:  # noqa: BLE001 - a job never takes the worker down: record the reason, one line
        reason = Redactor(_secrets(settings)).line(exc if isinstance(exc, DsarError) else
                                                   f"{type(exc).__name__}: {exc}")
        log.error("request %s: %s failed: %s", request_id, action, reason)
        try:
            if register.get(request_id).status in ("received", "in_progress"):
                register.fail(request_id, reason, actor=ACTOR)
        except DsarError:
            pass
    finally:
        with rt._lock:
            rt.progress.pop(request_id, None)
    try:
        return register.get(request_id).status
    except DsarError:
        return "unknown"


def _secrets(settings: ServiceSettings) -> list[str]:
    found = [settings.token, settings.link_key.decode()]
    for values in settings.config.connectors.values():
        found += [str(v) for k, v in values.items() if any(w in k for w in ("key", "secret", "password", "token"))]
    return found


def recover(register: Register, *, statuses: tuple[str, ...] = ("received", "in_progress"),
            only: str | None = None) -> list[str]:
    """Mark requests left ``received`` or ``in_progress`` by a process that is gone (nobody holds their run lock)
    as ``failed`` with the reason, so they are resumed rather than silently lost; returns their ids."""
    marked = []
    for entry in register.list(open_only=True):
        if entry.status not in statuses or (only is not None and entry.id != only):
            continue
        try:
            with register.lock(entry.id):
                current = register.get(entry.id)
                if current.status in statuses:
                    register.fail(entry.id, INTERRUPTED, actor=ACTOR)
                    marked.append(entry.id)
        except RequestBusy:
            continue          # a live run (another process on this machine) holds it
    return marked


class EmbeddedJobs:
    """A bounded pool of worker threads inside the server process."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.pool = ThreadPoolExecutor(max_workers=rt.settings.workers, thread_name_prefix="dsar-job")
        self.futures: dict[str, Future[str]] = {}

    def start(self) -> list[str]:
        """Mark the runs a previous server left unfinished; returns their ids."""
        return recover(self.rt.register)

    def submit(self, action: str, request_id: str) -> None:
        """Queue ``action`` for ``request_id`` in the pool."""
        self.futures[request_id] = self.pool.submit(perform, self.rt, action, request_id)

    def state(self, request_id: str) -> str | None:
        """``queued`` or ``running`` while a job for the request is in this pool, else None."""
        future = self.futures.get(request_id)
        if future is None or future.done():
            return None
        return "running" if future.running() else "queued"

    def close(self, wait: bool = True) -> None:
        """Stop taking jobs; ``wait`` for the running ones."""
        self.pool.shutdown(wait=wait, cancel_futures=True)


# --------------------------------------------------------------------------- RQ on Redis
_WORKER_RUNTIME: Runtime | None = None    # set by ``dsar worker`` in its own process


def rq_job(action: str, request_id: str) -> str:
    """The function RQ runs in a ``dsar worker``: :func:`perform` with the worker's runtime."""
    if _WORKER_RUNTIME is None:
        raise RuntimeError("this job must run in a `dsar worker` process")
    return perform(_WORKER_RUNTIME, action, request_id)


def redis_client(url: str) -> Any:
    """A Redis client for ``url`` (redis-py)."""
    import redis

    return redis.Redis.from_url(url)


class QueueJobs:
    """Jobs sent to an RQ queue on Redis; ``dsar worker`` processes (any number, any machine sharing the
    register) run them."""

    def __init__(self, rt: Runtime, connection: Any) -> None:
        from rq import Queue

        self.rt = rt
        self.queue = Queue(rt.settings.queue_name, connection=connection)

    def start(self) -> list[str]:
        """Mark requests whose RQ job is neither queued nor running (lost with Redis, or dropped outside
        :func:`perform`) so they can be resumed; returns their ids."""
        from rq.registry import DeferredJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        live = set(self.queue.get_job_ids())
        for registry in (StartedJobRegistry, DeferredJobRegistry, ScheduledJobRegistry):
            live |= set(registry(queue=self.queue).get_job_ids())
        marked = []
        for entry in self.rt.register.list(open_only=True):
            if entry.status in ("received", "in_progress") and not any(j.startswith(f"dsar-{entry.id}-")
                                                                       for j in live):
                marked += recover(self.rt.register, only=entry.id)
        return marked

    def submit(self, action: str, request_id: str) -> None:
        """Enqueue ``action`` for ``request_id``."""
        self.queue.enqueue(rq_job, action, request_id, job_id=f"dsar-{request_id}-{action}-{uuid.uuid4().hex[:8]}",
                           job_timeout=24 * 3600, result_ttl=3600, failure_ttl=7 * 86400)

    def state(self, request_id: str) -> str | None:
        """``queued`` or ``running`` while a job for the request is on the queue or with a worker, else None."""
        from rq.registry import StartedJobRegistry

        prefix = f"dsar-{request_id}-"
        if any(j.startswith(prefix) for j in StartedJobRegistry(queue=self.queue).get_job_ids()):
            return "running"
        if any(j.startswith(prefix) for j in self.queue.get_job_ids()):
            return "queued"
        return None

    def close(self, wait: bool = True) -> None:
        """Nothing to stop: the workers are other processes."""
        return None


__all__ = ["EmbeddedJobs", "QueueJobs", "Runtime", "perform", "recover", "redis_client", "rq_job"]
