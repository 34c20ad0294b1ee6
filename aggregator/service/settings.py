"""The service's own configuration: the ``[service]`` and ``[queue]`` tables of the config file (``${VAR}``
substituted like the rest), next to the tool's ordinary :class:`aggregator.config.Config`."""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator import config as config_mod
from aggregator.config import Config
from aggregator.errors import ConfigError

SERVICE_KEYS = {"token", "link_key", "link_days", "link_uses", "workers", "out_dir", "lightspeed_window",
                "lightspeed_per_second"}
QUEUE_KEYS = {"redis_url", "name"}
MIN_SECRET = 16      # characters: a shorter token or link key is refused


@dataclass(frozen=True)
class ServiceSettings:
    """What ``dsar serve`` and ``dsar worker`` need besides the connectors' config; secrets are not shown in repr."""

    config: Config
    token: str = field(repr=False)
    link_key: bytes = field(repr=False)
    link_days: float = 7.0
    link_uses: int = 3
    workers: int = 2
    out_dir: Path = Path("packages")
    redis_url: str | None = field(default=None, repr=False)    # may carry a password
    queue_name: str = "dsar"
    lightspeed_window: tuple[int, float] = (300, 300.0)   # Lightspeed: 300 requests per 5 minutes per shop
    lightspeed_per_second: float = 20.0                   # … and 20 per second


def _number(table: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"config: {table}.{key} must be a number from {low:g} to {high:g}")
    return float(value)


def _secret(key: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) < MIN_SECRET:
        raise ConfigError(f"config: service.{key} must be a string of at least {MIN_SECRET} characters "
                          f"(use \"${{VAR}}\" and keep it in the environment)")
    return value


def build(cfg: Config, service: Mapping[str, Any], queue: Mapping[str, Any], *, base_dir: Path | None = None,
          env: Mapping[str, str] | None = None) -> ServiceSettings:
    """Validate the ``[service]`` and ``[queue]`` tables (already parsed TOML) into :class:`ServiceSettings`."""
    env = os.environ if env is None else env
    service = config_mod._substitute(dict(service), "service", env)
    queue = config_mod._substitute(dict(queue), "queue", env)
    for table, data, keys in (("service", service, SERVICE_KEYS), ("queue", queue, QUEUE_KEYS)):
        unknown = sorted(set(data) - keys)
        if unknown:
            raise ConfigError(f"config: [{table}] has unknown key(s): {', '.join(unknown)}")
    if "token" not in service:
        raise ConfigError('config: [service] token is required (token = "${DSAR_SERVICE_TOKEN}")')
    if "link_key" not in service:
        raise ConfigError('config: [service] link_key is required (link_key = "${DSAR_LINK_KEY}")')
    out = Path(str(service.get("out_dir", "packages")))
    if not out.is_absolute() and base_dir is not None:
        out = base_dir / out
    window = service.get("lightspeed_window", [300, 300])
    if not isinstance(window, list) or len(window) != 2:
        raise ConfigError("config: service.lightspeed_window must be [requests, seconds]")
    redis_url = queue.get("redis_url")
    if redis_url is not None and (not isinstance(redis_url, str) or not redis_url.startswith(("redis://",
                                                                                            "rediss://",
                                                                                            "unix://"))):
        raise ConfigError("config: queue.redis_url must be a redis://, rediss:// or unix:// URL")
    return ServiceSettings(
        config=cfg, token=_secret("token", service["token"]),
        link_key=_secret("link_key", service["link_key"]).encode(),
        link_days=_number("service", "link_days", service.get("link_days", 7), 0.001, 90),
        link_uses=int(_number("service", "link_uses", service.get("link_uses", 3), 1, 100)),
        workers=int(_number("service", "workers", service.get("workers", 2), 1, 32)),
        out_dir=out, redis_url=redis_url, queue_name=str(queue.get("name", "dsar")),
        lightspeed_window=(int(_number("service", "lightspeed_window", window[0], 1, 100000)),
                           _number("service", "lightspeed_window", window[1], 0.1, 86400)),
        lightspeed_per_second=_number("service", "lightspeed_per_second",
                                      service.get("lightspeed_per_second", 20), 0.1, 1000),
    )


def load(path: str | os.PathLike[str] | None, *, env: Mapping[str, str] | None = None) -> ServiceSettings:
    """Read the config file (or ``$DSAR_CONFIG``) with its ``[service]`` and ``[queue]`` tables."""
    env = os.environ if env is None else env
    chosen = path or env.get("DSAR_CONFIG")
    if not chosen:
        raise ConfigError("config: dsar serve needs --config FILE (or $DSAR_CONFIG), or --sandbox")
    file = Path(chosen)
    cfg = config_mod.load(file, env=env)
    data = tomllib.loads(file.read_text(encoding="utf-8"))     # load() has read and checked it already
    service, queue = data.get("service", {}), data.get("queue", {})
    if not isinstance(service, dict) or not isinstance(queue, dict):
        raise ConfigError("config: [service] and [queue] must be tables")
    return build(cfg, service, queue, base_dir=file.parent, env=env)


def sandbox_settings(cfg: Config, env: Mapping[str, str] | None = None, **overrides: Any) -> tuple[ServiceSettings,
                                                                                                    bool]:
    """Settings for ``dsar serve --sandbox``: the token from ``$DSAR_SERVICE_TOKEN`` or a generated one (the
    flag says which), a fresh link key per run."""
    env = os.environ if env is None else env
    token = env.get("DSAR_SERVICE_TOKEN") or ""
    generated = not token
    service = {"token": token or secrets.token_urlsafe(32), "link_key": secrets.token_urlsafe(32), **overrides}
    return build(cfg, service, {}, env={}), generated


__all__ = ["ServiceSettings", "build", "load", "sandbox_settings"]
