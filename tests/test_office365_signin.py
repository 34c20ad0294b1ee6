"""Office 365's sign-in across exports: msal's OpenID discovery answer kept in a file (``discovery_cache``), and
nothing secret in it."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from msal.throttled_http_client import ThrottledHttpClient

from aggregator.errors import ConfigError
from aggregator.register import Register
from connectors import _office365_signin as signin
from connectors.office365 import Office365Connector
from tests.conftest import DEMO

DISCOVERY, TOKEN = "/.well-known/openid-configuration", "/oauth2/v2.0/token"


def ok(pkg: Any) -> Any:
    outcome = pkg.result.connectors["office365"]
    assert outcome.status == "complete", outcome.error
    return outcome


def secret(sandbox: Any) -> str:
    return str(sandbox.config_mapping(["office365"])["connectors"]["office365"]["client_secret"])


def assert_nothing_secret(path: Path, sandbox: Any) -> None:
    text = path.read_text(encoding="utf-8")
    tokens = sandbox.apps["office365"]._tokens
    assert tokens, "the sandbox issued no token: the check below would prove nothing"
    assert secret(sandbox) not in text
    assert not any(t in text or t.split(".")[-1] in text for t in tokens)
    assert '"POST ' not in text and '"client_secret"' not in text and '"access_token"' not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_later_export_signs_in_with_the_token_request_alone(run_export, sandbox, tmp_path):
    cache = tmp_path / "state" / "discovery.json"
    settings = {"office365": {"discovery_cache": str(cache)}}
    first = ok(run_export(DEMO, vendors=["office365"], settings=settings))
    assert len(sandbox.requests_to("office365", DISCOVERY)) == len(sandbox.requests_to("office365", TOKEN)) == 1
    assert_nothing_secret(cache, sandbox)
    entries = json.loads(cache.read_text(encoding="utf-8"))["entries"]
    assert [e["key"].split(" ")[0] for e in entries] == ["GET"] and DISCOVERY in entries[0]["key"]
    assert json.loads(entries[0]["text"])["token_endpoint"].endswith(TOKEN)
    sandbox.clear()

    second = ok(run_export(DEMO, vendors=["office365"], settings=settings))
    assert not sandbox.requests_to("office365", DISCOVERY)              # msal found the discovery in the file
    assert len(sandbox.requests_to("office365", TOKEN)) == 1            # the token is never kept: asked again
    assert second.records == first.records
    assert_nothing_secret(cache, sandbox)


def test_the_default_file_lies_beside_the_register_and_off_keeps_none(run_export, sandbox, tmp_path):
    register = Register.open(tmp_path / "reg" / "register.sqlite3")
    ok(run_export(DEMO, vendors=["office365"], register=register, request_id="one"))
    beside = tmp_path / "reg" / signin.FILE_NAME
    assert_nothing_secret(beside, sandbox)
    sandbox.clear()
    ok(run_export(DEMO, vendors=["office365"], register=register, request_id="two"))
    assert not sandbox.requests_to("office365", DISCOVERY)
    sandbox.clear()

    beside.unlink()
    ok(run_export(DEMO, vendors=["office365"], register=register, request_id="three",
                  settings={"office365": {"discovery_cache": "off"}}))
    assert not beside.exists() and len(sandbox.requests_to("office365", DISCOVERY)) == 1


def test_a_file_moving_the_token_endpoint_elsewhere_is_not_used(run_export, sandbox, tmp_path):
    cache = tmp_path / "discovery.json"
    settings = {"office365": {"discovery_cache": str(cache)}}
    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    data = json.loads(cache.read_text(encoding="utf-8"))
    doc = json.loads(data["entries"][0]["text"])
    doc["token_endpoint"] = "https://collector.example/oauth2/v2.0/token"     # would receive the client secret
    data["entries"][0]["text"] = json.dumps(doc)
    cache.write_text(json.dumps(data), encoding="utf-8")
    sandbox.clear()

    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    assert len(sandbox.requests_to("office365", DISCOVERY)) == len(sandbox.requests_to("office365", TOKEN)) == 1
    assert "collector.example" not in cache.read_text(encoding="utf-8")       # written anew from the real answer


@pytest.mark.parametrize("spoil", ["broken", "readable by others", "another version", "expired"])
def test_a_spoilt_file_means_a_fresh_discovery_never_a_failure(run_export, sandbox, tmp_path, spoil):
    cache = tmp_path / "discovery.json"
    settings = {"office365": {"discovery_cache": str(cache)}}
    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    data = json.loads(cache.read_text(encoding="utf-8"))
    if spoil == "broken":
        cache.write_text(cache.read_text(encoding="utf-8")[:40], encoding="utf-8")
    elif spoil == "readable by others":
        os.chmod(cache, 0o644)
    elif spoil == "another version":
        cache.write_text(json.dumps({**data, "version": 99}), encoding="utf-8")
    else:
        data["entries"][0].update(created_at=int(time.time()) - 90_000, expires_at=int(time.time()) - 3_600)
        cache.write_text(json.dumps(data), encoding="utf-8")
    sandbox.clear()
    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    assert len(sandbox.requests_to("office365", DISCOVERY)) == 1
    assert_nothing_secret(cache, sandbox)                                      # replaced whole, 0600 again


def test_msal_s_post_entries_stay_in_memory(tmp_path):
    # msal's own throttling layer with this cache: a token request answered 400 is kept under a key hashing the
    # whole form (client secret included) and a 429 under the client id and scope; neither reaches the file
    form = {"client_id": "app-1", "client_secret": "s3cret-value", "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials"}
    discovery = {"token_endpoint": "https://login.example/t/oauth2/v2.0/token",
                 "authorization_endpoint": "https://login.example/t/oauth2/v2.0/authorize"}

    class Raw:
        def __init__(self) -> None:
            self.posts = 0

        def get(self, url: str, **kwargs: Any) -> Any:
            return SimpleNamespace(status_code=200, text=json.dumps(discovery), headers={"Set-Cookie": "fpc=x"})

        def post(self, url: str, **kwargs: Any) -> Any:
            self.posts += 1
            return SimpleNamespace(status_code=400 if "t/" in url else 429, headers={"Retry-After": "30"}
                                   if "u/" in url else {}, text='{"error": "invalid_grant"}')

    cache = signin.DiscoveryCache(tmp_path / "d.json")
    raw = Raw()
    client = ThrottledHttpClient(raw, http_cache=cache)
    client.get("https://login.example/t/v2.0/.well-known/openid-configuration")
    for url in ("https://login.example/t/oauth2/v2.0/token", "https://login.example/u/oauth2/v2.0/token"):
        client.post(url, data=dict(form))
        client.post(url, data=dict(form))                    # answered from msal's cache: the entry is there
    assert raw.posts == 2
    assert sum(k.startswith("POST ") for k in cache) == 2
    cache.save()
    text = (tmp_path / "d.json").read_text(encoding="utf-8")
    held = [k for k in cache if k.startswith("POST ")]
    assert "POST" not in text and "s3cret-value" not in text and "fpc" not in text
    assert not any(k.split("hash=")[1].split(" ")[0] in text for k in held)
    assert not any(hashlib.sha256(form["client_secret"].encode()).hexdigest() in k for k in held)
    again = signin.DiscoveryCache(tmp_path / "d.json")
    assert [k for k in again if k != signin.INDEX] == [k for k in cache if k.startswith("GET ")]


def test_a_relative_discovery_cache_is_a_config_error(sandbox):
    raw = {**sandbox.config_mapping(["office365"])["connectors"]["office365"], "discovery_cache": "state/d.json"}
    with pytest.raises(ConfigError, match="discovery_cache must be an absolute path or off"):
        Office365Connector.check_settings(raw)


def test_a_file_msal_cannot_read_means_signing_in_without_it(run_export, sandbox, tmp_path, monkeypatch):
    """Should a later msal keep its index otherwise and trip over what the file gave it, the export signs in without
    the file (the discovery asked afresh), never fails for it."""
    import msal

    cache = tmp_path / "discovery.json"
    settings = {"office365": {"discovery_cache": str(cache)}}
    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    sandbox.clear()
    real = msal.ConfidentialClientApplication
    given: list[object] = []

    def tripping(*args: Any, http_cache: Any = None, **kwargs: Any) -> Any:
        given.append(http_cache)
        if isinstance(http_cache, signin.DiscoveryCache) and http_cache.loaded:
            raise KeyError("expires_at")            # msal reading an index it does not know
        return real(*args, http_cache=http_cache, **kwargs)

    monkeypatch.setattr(msal, "ConfidentialClientApplication", tripping)
    ok(run_export(DEMO, vendors=["office365"], settings=settings))
    assert len(given) == 2 and given[1] is None
    assert len(sandbox.requests_to("office365", DISCOVERY)) == 1           # asked again, without the file


def test_an_index_of_another_shape_gives_no_entries_and_writes_nothing(tmp_path):
    cache = signin.DiscoveryCache(tmp_path / "discovery.json")
    cache["GET https://login.example/t/v2.0/.well-known/openid-configuration hash=ab 2xx"] = SimpleNamespace(
        status_code=200, text=json.dumps({"token_endpoint": "https://login.example/t/oauth2/v2.0/token"}))
    cache[signin.INDEX] = ([], [("expires", 1)])     # not (heap, {key: [expires, created]})
    assert cache.entries() == []
    cache.save()
    assert not (tmp_path / "discovery.json").exists()
