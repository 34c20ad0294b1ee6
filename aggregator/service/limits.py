"""Vendor rate limits shared by every export of a service: in one process (embedded jobs) or through Redis
(every ``dsar worker`` on every machine), so ten exports together never exceed one shop's Lightspeed window.

The limits are enforced at the transport: :class:`LimitedAdapter` wraps the adapter that sends a vendor's
requests and asks the shared limiters first. The connector's own pacing still applies inside each export.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from aggregator.config import Config
from aggregator.http import Limiter, MinInterval, SlidingWindow

JITTER = 1.0    # seconds added to a window: a request reaches the vendor a little after it is let through

# A sliding window in a sorted set: at most ARGV[1] members in the last ARGV[2] ms (Redis' own clock, shared by
# every machine); returns 0 when this request may go (and counts it), else the milliseconds to wait.
_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, span = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], span)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + span - now)
"""

# Evenly spaced slots: the next free slot (ms) is stored; returns how long this request waits for its slot.
_INTERVAL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now
"""


class RedisWindow:
    """At most ``limit`` requests in any ``seconds``, counted in Redis for every process sharing ``key``."""

    def __init__(self, client: Any, key: str, limit: int, seconds: float, sleep: Any = time.sleep) -> None:
        self.client, self.key, self.limit, self.ms = client, key, limit, int(seconds * 1000)
        self.sleep = sleep
        self._script = client.register_script(_WINDOW)
        self._counter = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until the shared window has room, then count this request in it."""
        while True:
            with self._lock:
                self._counter += 1
                member = f"{id(self)}-{threading.get_ident()}-{self._counter}"
            wait = int(self._script(keys=[self.key], args=[self.limit, self.ms, member]))
            if wait <= 0:
                return
            self.sleep(wait / 1000)

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the window is fixed."""
        return None


class RedisInterval:
    """At most ``per_second`` requests per second over every process sharing ``key``, spread evenly."""

    def __init__(self, client: Any, key: str, per_second: float, sleep: Any = time.sleep) -> None:
        self.key, self.sleep = key, sleep
        self.step = max(1, int(1000 / per_second))
        self._script = client.register_script(_INTERVAL)

    def acquire(self) -> None:
        """Take the next shared slot and sleep until it comes."""
        wait = int(self._script(keys=[self.key], args=[self.step]))
        if wait > 0:
            self.sleep(wait / 1000)

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn: the interval is fixed."""
        return None


class LimitedAdapter(BaseAdapter):
    """A transport adapter that passes each request through shared limiters before ``inner`` sends it."""

    def __init__(self, inner: BaseAdapter, limiters: Sequence[Limiter]) -> None:
        super().__init__()
        self.inner = inner
        self.limiters = tuple(limiters)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Wait for every limiter, send, and let each limiter learn from the answer."""
        for limiter in self.limiters:
            limiter.acquire()
        response = self.inner.send(request, *args, **kwargs)
        for limiter in self.limiters:
            limiter.observe(response)
        return response

    def close(self) -> None:
        """Close the wrapped adapter."""
        self.inner.close()


def shop_key(cfg: Config, connector: str) -> str | None:
    """A stable name for one vendor account (its base URL and a hash of its key, never the key itself)."""
    settings = cfg.connectors.get(connector)
    if not settings or not settings.get("base_url"):
        return None
    ident = f"{settings['base_url']}|{settings.get('api_key', '')}".encode()
    return hashlib.sha256(ident).hexdigest()[:24]


class SharedLimits:
    """The limiters every export of this service shares, by connector; ``redis`` makes them span processes."""

    def __init__(self, cfg: Config, *, window: tuple[int, float], per_second: float, redis: Any = None,
                 sleep: Any = time.sleep) -> None:
        self.prefixes: dict[str, str] = {}
        self.limiters: dict[str, tuple[Limiter, ...]] = {}
        key = shop_key(cfg, "lightspeed")
        if key is None:
            return
        limit, seconds = window
        self.prefixes["lightspeed"] = str(cfg.connectors["lightspeed"]["base_url"])
        if redis is not None:
            self.limiters["lightspeed"] = (RedisWindow(redis, f"dsar:limit:lightspeed:{key}:window", limit,
                                                       seconds + JITTER, sleep),
                                           RedisInterval(redis, f"dsar:limit:lightspeed:{key}:rate", per_second, sleep))
        else:
            self.limiters["lightspeed"] = (SlidingWindow(limit, seconds + JITTER, sleep=sleep),
                                           MinInterval(per_second, sleep=sleep))

    def adapters(self, base: Mapping[str, BaseAdapter] | None = None) -> dict[str, BaseAdapter]:
        """Transport adapters for one export: ``base`` (e.g. the tests' in-process sandbox) plus, for each
        limited vendor, its base URL mounted on a :class:`LimitedAdapter` around what would have sent it."""
        mounted: dict[str, BaseAdapter] = dict(base or {})
        for name, prefix in self.prefixes.items():
            inner = next((a for p, a in sorted(mounted.items(), key=lambda kv: -len(kv[0]))
                          if prefix.lower().startswith(p.lower())), None) or HTTPAdapter()
            mounted[prefix] = LimitedAdapter(inner, self.limiters[name])
        return mounted


__all__ = ["LimitedAdapter", "RedisInterval", "RedisWindow", "SharedLimits", "shop_key"]
