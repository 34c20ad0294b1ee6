"""Starting the service: ``dsar serve`` (the HTTP API, with embedded jobs unless a queue is configured) and
``dsar worker`` (RQ workers for the queue mode)."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from aggregator import config as config_mod
from aggregator import register as register_mod
from aggregator.errors import ConfigError
from aggregator.register import Register
from aggregator.service import jobs as jobs_mod
from aggregator.service import settings as settings_mod
from aggregator.service.limits import SharedLimits
from aggregator.service.settings import ServiceSettings


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def runtime(settings: ServiceSettings, register_path: str | os.PathLike[str] | None = None,
            redis: Any = None, **kwargs: Any) -> jobs_mod.Runtime:
    """The register (created if needed) and the shared limits for ``settings``."""
    register = Register.open(register_mod.resolve_path(register_path, settings.config.register_path))
    limits = SharedLimits(settings.config, window=settings.lightspeed_window,
                          per_second=settings.lightspeed_per_second, redis=redis)
    return jobs_mod.Runtime(settings, register, limits, **kwargs)


def _redis(settings: ServiceSettings) -> Any:
    if not settings.redis_url:
        return None
    import redis

    client = jobs_mod.redis_client(settings.redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"queue: cannot reach Redis at the configured redis_url ({type(exc).__name__})") from None
    return client


def serve(config: str | None, *, host: str, port: int, sandbox: bool, register: str | None,
          out: str | None) -> int:
    """Run the HTTP API in the foreground until interrupted."""
    import uvicorn

    from aggregator.service.app import create_app

    box = None
    try:
        if sandbox:
            from aggregator.sandbox import Sandbox

            box = Sandbox().start()
            cfg = config_mod.from_mapping(box.config_mapping(), source="<sandbox>")
            settings, generated = settings_mod.sandbox_settings(cfg, out_dir=out or "packages")
            if generated:
                _say(f"service token (generated; set $DSAR_SERVICE_TOKEN to choose one): {settings.token}")
        else:
            settings = settings_mod.load(config)
            if out:
                settings = dataclasses.replace(settings, out_dir=Path(out))
        client = _redis(settings)
        rt = runtime(settings, register, redis=client)
        jobs: jobs_mod.EmbeddedJobs | jobs_mod.QueueJobs = (jobs_mod.QueueJobs(rt, client) if client is not None
                                                             else jobs_mod.EmbeddedJobs(rt))
        mode = f"RQ queue {settings.queue_name!r}" if client is not None else f"{settings.workers} embedded worker(s)"
        _say(f"dsar serve: http://{host}:{port} (OpenAPI at /docs), register {rt.register.path}, jobs: {mode}"
             + (f", sandbox vendors at {box.base_url}" if box else ""))
        uvicorn.run(create_app(rt, jobs), host=host, port=port, access_log=False, log_config=None,
                    log_level="warning")
    finally:
        if box is not None:
            box.stop()
    return 0


def worker(config: str | None, *, register: str | None, burst: bool) -> int:
    """Run an RQ worker for the configured queue until interrupted (or, with ``burst``, until it is empty)."""
    from rq import Queue, Worker

    settings = settings_mod.load(config)
    client = _redis(settings)
    if client is None:
        raise ConfigError("config: dsar worker needs [queue] redis_url")
    jobs_mod._WORKER_RUNTIME = runtime(settings, register, redis=client)
    queue = Queue(settings.queue_name, connection=client)
    _say(f"dsar worker: queue {settings.queue_name!r}, register {jobs_mod._WORKER_RUNTIME.register.path}")
    Worker([queue], connection=client).work(burst=burst, with_scheduler=False, logging_level="WARNING")
    return 0


__all__ = ["runtime", "serve", "worker"]
