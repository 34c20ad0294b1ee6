"""msal's HTTP cache for the Office 365 connector, kept between exports in one file: the OpenID discovery answers.

msal (``ConfidentialClientApplication(http_cache=...)``, since 1.16) keeps in its ``http_cache``, besides its own
expiry index: the 2xx answers of its discovery GETs (the tenant's ``/v2.0/.well-known/openid-configuration``, and
instance discovery for hosts it does not know) for a day, keyed ``GET <url> hash=<SHA-256 of the query> 2xx``; and
its POSTs' error answers: a 400 (a token request refused) for 60 s keyed ``POST <url> hash=<SHA-256 of the query and
the whole form> 400``, a form that holds the client secret (or assertion), and a 429, 5xx or ``Retry-After`` answer
for as long as that says, keyed by URL, client id, scope and a hash of the user's refresh token, code or name. Those
answers are AAD's error documents (status, body, every header). Only the GET entries are written here (status and
body, no header, so no cookie): public metadata. The POST entries, and so any hash of the secret, stay in the
application's memory; tokens are in msal's token cache, never in this one.

The file is written 0600 (replaced whole, never appended), and read only when it is a regular file of this user
that no one else may read or write. An entry is used only if every endpoint msal would send to that its document
names is on the origin (scheme, host and port) of the URL it answered: a file someone edited cannot send the
client secret elsewhere. Anything unexpected (another version, broken JSON, an expired entry) is dropped: the
discovery is then asked again, as without the file.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

FILE_NAME = "office365-discovery.json"   # beside the request register, unless the config names another file
VERSION = 1
INDEX = "_index_"                         # msal's expiring mapping keeps its expiry index under this key
# the endpoints msal sends requests to, read from a discovery document (the tenant's, or instance discovery's)
ENDPOINT_KEYS = ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint",
                 "tenant_discovery_endpoint")
MAX_ENTRIES = 64                          # a few tenants' documents; a larger file is someone else's


def _origin(url: object) -> tuple[str, str] | None:
    parts = urlsplit(str(url))
    return (parts.scheme.lower(), parts.netloc.lower()) if parts.scheme and parts.netloc else None


def _key_url(key: str) -> str | None:
    """The URL of msal's GET key (``GET <url> hash=<sha256 of its params> 2xx``); None for any other key."""
    parts = key.split(" ")
    if len(parts) != 4 or parts[0] != "GET" or not parts[2].startswith("hash=") or parts[3] != "2xx":
        return None
    return parts[1]


def _usable(key: str, status: object, text: object) -> bool:
    """A discovery answer fit to keep or use: a GET's 2xx JSON document whose endpoints are all on its own origin."""
    url = _key_url(key)
    if url is None or not isinstance(status, int) or not 200 <= status < 300 or not isinstance(text, str):
        return False
    origin = _origin(url)
    if origin is None or origin[0] not in ("https", "http"):
        return False
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    if not isinstance(doc, dict) or not ("token_endpoint" in doc or "tenant_discovery_endpoint" in doc):
        return False
    for name in ENDPOINT_KEYS:
        if name in doc and (not isinstance(doc[name], str) or _origin(doc[name]) != origin):
            return False
    return True


def _msal_index_key() -> str | None:
    """The key under which msal's expiring mapping keeps its index (None: not found in this msal)."""
    try:
        from msal.individual_cache import _ExpiringMapping
    except ImportError:
        return None
    key = getattr(_ExpiringMapping, "_INDEX", None)
    return key if isinstance(key, str) else None


class _Answer:
    """A kept discovery answer as msal's HTTP client returns one: status, body, no headers."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code, self.text = status_code, text
        self.headers: dict[str, str] = {}

    def raise_for_status(self) -> None:
        """As requests does (a kept answer is a 2xx: never raises)."""
        if self.status_code >= 400:
            raise requests.HTTPError(f"HTTP {self.status_code}")


class DiscoveryCache(dict[str, Any]):
    """msal's ``http_cache`` for one application: filled from the file's discovery answers, written back (those
    alone) by :meth:`save`; msal adds and reads its entries as in a plain dict."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._loaded: set[str] = set()
        self._load()

    def _load(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077 \
                    or st.st_size > 4 * 1024 * 1024:
                return
            with os.fdopen(fd, "r", encoding="utf-8") as f:
                fd = -1
                data = json.load(f)
        except (OSError, ValueError):
            return
        finally:
            if fd >= 0:
                os.close(fd)
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("entries"), list):
            return
        now = int(time.time())
        sequence: list[list[Any]] = []
        timestamps: dict[str, list[int]] = {}
        for entry in data["entries"][:MAX_ENTRIES]:
            if not isinstance(entry, dict):
                continue
            key, expires, created = entry.get("key"), entry.get("expires_at"), entry.get("created_at")
            if not isinstance(key, str) or not isinstance(expires, int) or not isinstance(created, int) \
                    or not created <= now < expires or not _usable(key, entry.get("status"), entry.get("text")):
                continue
            self[key] = _Answer(entry["status"], entry["text"])
            sequence.append([expires, created, key])
            timestamps[key] = [expires, created]
        if timestamps and _msal_index_key() == INDEX:      # only into the index layout this module knows
            sequence.sort()                      # a sorted list is a heap, as msal's index expects
            self[INDEX] = (sequence, timestamps)
            self._loaded = set(timestamps)

    @property
    def loaded(self) -> bool:
        """Whether the file gave msal any answer."""
        return bool(self._loaded)

    def entries(self) -> list[dict[str, Any]]:
        """The discovery answers msal holds now, as the file keeps them (nothing of any POST); none when msal's
        index is not laid out as this module knows it."""
        try:
            index = self.get(INDEX)
            timestamps = index[1] if isinstance(index, tuple) and len(index) == 2 else {}
            now = int(time.time())
            kept = []
            for key, value in list(self.items()):
                times = timestamps.get(key)
                status, text = getattr(value, "status_code", None), getattr(value, "text", None)
                if key == INDEX or times is None or not times[1] <= now < times[0] or not _usable(key, status, text):
                    continue
                kept.append({"key": key, "expires_at": int(times[0]), "created_at": int(times[1]), "status": status,
                             "text": text})
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return []
        return kept[:MAX_ENTRIES]

    def save(self) -> None:
        """Write the discovery answers to the file (0600, replaced whole) if msal added one; a failure to write is
        no error (the next export asks the discovery again)."""
        entries = self.entries()
        if {e["key"] for e in entries} <= self._loaded:
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)   # 0600
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump({"version": VERSION, "entries": entries}, f, indent=1)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self._loaded = {e["key"] for e in entries}


__all__ = ["FILE_NAME", "DiscoveryCache"]
