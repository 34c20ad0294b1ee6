"""Vendor limits shared by every export of a service, per vendor account: in one process (embedded jobs) or through
Redis (every ``dsar worker`` on every machine), so ten exports together never exceed one account's limits.

The limits are enforced at the transport: :class:`LimitedAdapter` wraps the adapter that sends a vendor's
requests, takes a slot of every shared concurrency gate and asks the shared limiters. The connector's own pacing
still applies inside each export. Shared: Lightspeed's window and 20/s (Redis or in-process), Silvasoft's 2/s and
50/min (Redis or in-process), Mailchimp's 10 connections per key and Graph's 4 requests per mailbox (gates, in this
process only). Not shared: Silvasoft's hourly plan (each export's connector keeps it, with its waiting budget).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from aggregator.config import Config
from aggregator.http import Limiter, MinInterval, SlidingWindow

JITTER = 1.0    # seconds added to a window: a request reaches the vendor a little after it is let through
# Silvasoft: 2 requests in any second, counted as they arrive. Under load (ten exports packaging on two cores) a
# request reached the sandbox up to ~0.2 s after its slot: measured, 4 of 34 refused with MinInterval's 0.11 s of
# slack. A window of 2 per 1.25 s leaves 0.25 s.
SILVASOFT_WINDOW = (2, 1.25)
MAILCHIMP_CONNECTIONS = 10      # simultaneous connections per API key
GRAPH_PER_MAILBOX = 4           # Graph's "MailboxConcurrency": concurrent requests per app and mailbox

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


class Gate:
    """At most ``limit`` requests in flight at once per key (the key taken from the request; None: not limited),
    across every export in this process."""

    def __init__(self, limit: int, key: Callable[[requests.PreparedRequest], str | None] = lambda r: "") -> None:
        self.limit, self.key = limit, key
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def enter(self, request: requests.PreparedRequest) -> Iterator[None]:
        """Hold one of the key's slots while the request is sent and answered."""
        key = self.key(request)
        if key is None:
            yield
            return
        with self._lock:
            slot = self._slots.setdefault(key, threading.BoundedSemaphore(self.limit))
        with slot:
            yield


def graph_mailbox(request: requests.PreparedRequest) -> str | None:
    """The mailbox a Graph request reads (``…/users/{id}/…``), lower-cased; None for any other request."""
    parts = urlsplit(request.url or "").path.split("/")
    if "users" in parts[:-1]:
        return unquote(parts[parts.index("users") + 1]).lower() or None
    return None


class LimitedAdapter(BaseAdapter):
    """A transport adapter that passes each request through shared gates and limiters before ``inner`` sends it."""

    def __init__(self, inner: BaseAdapter, limiters: Sequence[Limiter], gates: Sequence[Gate] = ()) -> None:
        super().__init__()
        self.inner = inner
        self.limiters = tuple(limiters)
        self.gates = tuple(gates)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Take a slot of every gate, wait for every limiter, send, and let each limiter learn from the answer."""
        with ExitStack() as held:
            for gate in self.gates:
                held.enter_context(gate.enter(request))
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


def vendor_prefix(cfg: Config, connector: str) -> str | None:
    """The URL prefix of a configured connector's API (where its requests go), or None when not configured."""
    settings = cfg.connectors.get(connector)
    if not settings:
        return None
    if connector == "mailchimp" and not settings.get("base_url"):
        dc = str(settings.get("api_key", "")).rpartition("-")[2]
        return f"https://{dc}.api.mailchimp.com/3.0" if dc else None
    if connector == "office365":
        return str(settings.get("graph_url") or "https://graph.microsoft.com/v1.0")
    return str(settings["base_url"]) if settings.get("base_url") else None


class SharedLimits:
    """The limiters every export of this service shares, by connector; ``redis`` makes them span processes."""

    def __init__(self, cfg: Config, *, window: tuple[int, float], per_second: float, redis: Any = None,
                 sleep: Any = time.sleep) -> None:
        self.prefixes: dict[str, str] = {}
        self.limiters: dict[str, tuple[Limiter, ...]] = {}
        self.gates: dict[str, tuple[Gate, ...]] = {}
        self._others(cfg, redis, sleep)
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

    def _others(self, cfg: Config, redis: Any, sleep: Any) -> None:
        """Silvasoft's pace and minute window, Mailchimp's connections, Graph's requests per mailbox."""
        for name in ("silvasoft", "mailchimp", "office365"):
            prefix = vendor_prefix(cfg, name)
            if prefix is not None:
                self.prefixes[name] = prefix
        if "silvasoft" in self.prefixes:
            key = shop_key(cfg, "silvasoft")
            if redis is not None:
                self.limiters["silvasoft"] = (
                    RedisWindow(redis, f"dsar:limit:silvasoft:{key}:second", *SILVASOFT_WINDOW, sleep),
                    RedisWindow(redis, f"dsar:limit:silvasoft:{key}:minute", 50, 60.0 + JITTER, sleep))
            else:
                self.limiters["silvasoft"] = (SlidingWindow(*SILVASOFT_WINDOW, sleep=sleep),
                                              SlidingWindow(50, 60.0 + JITTER, sleep=sleep))
        if "mailchimp" in self.prefixes:
            self.gates["mailchimp"] = (Gate(MAILCHIMP_CONNECTIONS),)
        if "office365" in self.prefixes:
            self.gates["office365"] = (Gate(GRAPH_PER_MAILBOX, graph_mailbox),)

    def adapters(self, base: Mapping[str, BaseAdapter] | None = None) -> dict[str, BaseAdapter]:
        """Transport adapters for one export: ``base`` (e.g. the tests' in-process sandbox) plus, for each
        limited vendor, its base URL mounted on a :class:`LimitedAdapter` around what would have sent it."""
        mounted: dict[str, BaseAdapter] = dict(base or {})
        for name, prefix in self.prefixes.items():
            inner = next((a for p, a in sorted(mounted.items(), key=lambda kv: -len(kv[0]))
                          if prefix.lower().startswith(p.lower())), None) or HTTPAdapter()
            mounted[prefix] = LimitedAdapter(inner, self.limiters.get(name, ()), self.gates.get(name, ()))
        return mounted


__all__ = ["Gate", "LimitedAdapter", "RedisInterval", "RedisWindow", "SharedLimits", "graph_mailbox", "shop_key",
           "vendor_prefix"]
