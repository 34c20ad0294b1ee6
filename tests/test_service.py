"""The portal service over HTTP: submit → complete → deliver → download (embedded and RQ mode), auth, signed
links, a server killed mid-export, and vendor limits shared by concurrent exports."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.testclient import TestClient

from aggregator.sandbox import Sandbox
from aggregator.sandbox.server import to_toml
from aggregator.sandbox.vendors import lightspeed as lightspeed_app
from aggregator.service import jobs as jobs_mod
from aggregator.service import links
from aggregator.service import settings as settings_mod
from aggregator.service.app import create_app
from aggregator.service.run import runtime
from tests.conftest import DEMO, OTHER

TOKEN = "portal-token-0123456789abcdef"
LINK_KEY = "link-key-fedcba9876543210-xyz"
SCHEMAS = Path(__file__).resolve().parents[1] / "aggregator" / "schemas"
DSAR = str(Path(sys.executable).with_name("dsar"))
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SMALL = ["sofie.claes@example.com", "eva.wouters1@example.net", "koen.jacobs2@example.net",
         "marie.wouters16@example.net", "eva.claeys20@example.net", "arne.goossens23@example.net",
         "tom.jacobs25@example.net", "tom.mertens27@example.net", "koen.wouters28@example.net"]


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(sandbox: Sandbox, tmp_path: Path, **service: Any) -> settings_mod.ServiceSettings:
    cfg_map = sandbox.config_mapping()
    from aggregator import config as config_mod

    cfg = config_mod.from_mapping(cfg_map, env={}, source="<test>")
    return settings_mod.build(cfg, {"token": TOKEN, "link_key": LINK_KEY, "out_dir": str(tmp_path / "out"),
                                    **service}, {}, env={})


@pytest.fixture
def make_client(sandbox: Sandbox, tmp_path: Path) -> Iterator[Any]:
    """``make_client(**service_settings)``: a TestClient over an embedded-mode service whose exports reach the
    sandbox's vendor apps in-process."""
    opened: list[TestClient] = []

    def _make(**service: Any) -> TestClient:
        rt = runtime(settings_for(sandbox, tmp_path, **service), tmp_path / "reg" / "register.sqlite3",
                     base_adapters=sandbox.adapters(), entry_points=False)
        client = TestClient(create_app(rt, jobs_mod.EmbeddedJobs(rt)))
        client.__enter__()
        client.rt = rt  # type: ignore[attr-defined]
        opened.append(client)
        return client

    yield _make
    for client in opened:
        client.__exit__(None, None, None)


def wait_for(client: Any, rid: str, *, rounds: int = 1200) -> dict[str, Any]:
    """Poll ``GET /requests/{id}`` until the run is over (bounded: a hung run fails the test)."""
    for _ in range(rounds):
        body = client.get(f"/requests/{rid}", headers=AUTH).json()
        if body["job"] is None and body["request"]["status"] not in ("received", "in_progress"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"request {rid} still running: {body}")


def submit(client: Any, email: str = DEMO, **extra: Any) -> str:
    answer = client.post("/requests", json={"email": email, **extra}, headers=AUTH)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


# --------------------------------------------------------------------------- the whole flow, embedded
def test_submit_complete_deliver_download_embedded(make_client, tmp_path):
    client = make_client()
    assert client.get("/health").json()["jobs"] == "embedded"
    rid = submit(client, received_at="2026-11-28T09:30:00Z", customer_number=None)
    body = wait_for(client, rid)
    request = body["request"]
    jsonschema.validate(request, schema("request.schema.json"))
    assert request["status"] == "complete" and request["due_at"] == "2026-12-28T09:30:00Z"
    assert request["connectors"]["lightspeed"]["records"] > 1000
    listed = client.get("/requests", params={"open": "true"}, headers=AUTH).json()
    jsonschema.validate(listed, schema("requests-list.schema.json"))
    assert [r["id"] for r in listed["requests"]] == [rid]

    delivered = client.post(f"/requests/{rid}/deliver", json={"to": DEMO}, headers=AUTH)
    assert delivered.status_code == 200, delivered.text
    link = delivered.json()["link"]
    assert link["to"] == DEMO and link["uses"] == 3 and DEMO not in link["url"]
    jsonschema.validate(delivered.json()["request"], schema("request.schema.json"))
    got = client.get(link["path"])
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert hashlib.sha256(got.content).hexdigest() == request["package"]["sha256"]
    events = client.get(f"/requests/{rid}", headers=AUTH).json()["request"]["events"]
    assert [e["event"] for e in events][-3:] == ["delivered", "link_issued", "downloaded"]
    assert events[-1]["detail"].endswith("use 1 of 3")
    assert client.get("/requests", params={"open": "true"}, headers=AUTH).json()["requests"] == []


def test_submit_rejects_bad_input_without_queueing(make_client):
    client = make_client()
    for body in ({"email": "not-an-address"}, {"email": DEMO, "type": "other"},
                 {"email": DEMO, "received_at": "2099-01-01T00:00:00Z"}, {"email": DEMO, "id": "../x"}):
        answer = client.post("/requests", json=body, headers=AUTH)
        assert answer.status_code == 422, (body, answer.text)
    assert client.get("/requests", headers=AUTH).json()["requests"] == []
    rid = submit(client, email=OTHER, id="PORTAL-1")
    assert client.post("/requests", json={"email": OTHER, "id": rid}, headers=AUTH).status_code == 409
    wait_for(client, rid)
    assert client.get("/requests/nope", headers=AUTH).status_code == 404


def test_extend_and_deliver_rules(make_client):
    client = make_client()
    rid = submit(client, email=OTHER)
    wait_for(client, rid)
    extended = client.post(f"/requests/{rid}/extend", json={"months": 1, "reason": "many processors"},
                           headers=AUTH)
    assert extended.status_code == 200 and extended.json()["extension"] == {"months": 1,
                                                                           "reason": "many processors"}
    assert client.post(f"/requests/{rid}/extend", json={"months": 2, "reason": "x"}, headers=AUTH).status_code == 409
    refused = client.post(f"/requests/{rid}/deliver", json={"to": "someone@else.example"}, headers=AUTH)
    assert refused.status_code == 403 and "verified" in refused.json()["error"]
    assert client.get(f"/requests/{rid}", headers=AUTH).json()["request"]["status"] == "complete"
    ok = client.post(f"/requests/{rid}/deliver", json={"to": "someone@else.example",
                                                       "verified_by": "ID card checked at the counter"}, headers=AUTH)
    assert ok.status_code == 200 and ok.json()["request"]["delivery"]["to"] == "someone@else.example"
    assert client.post(f"/requests/{rid}/deliver", json={"to": OTHER}, headers=AUTH).status_code == 409


# --------------------------------------------------------------------------- auth
def test_every_endpoint_but_health_and_download_needs_the_token(make_client):
    client = make_client()
    calls = [("get", "/requests"), ("get", "/requests/x"), ("post", "/requests"), ("post", "/requests/x/resume"),
             ("post", "/requests/x/extend"), ("post", "/requests/x/deliver"), ("post", "/requests/x/link"),
             ("get", "/nothing-here")]
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}):
        for method, path in calls:
            answer = getattr(client, method)(path, headers=headers, **({"json": {"email": "garbage"}}
                                                                        if method == "post" else {}))
            assert answer.status_code == 401, (headers, path)
            assert answer.json() == {"error": "unauthorized"}
            assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/requests", headers=AUTH).status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/requests", "/requests/{request_id}/deliver"}
    assert client.get("/requests", headers={"authorization": f"bearer {TOKEN}"}).status_code == 200


# --------------------------------------------------------------------------- links
@pytest.fixture
def delivered(make_client) -> tuple[Any, str]:
    client = make_client(link_uses=2)
    rid = submit(client, email=OTHER)
    wait_for(client, rid)
    assert client.post(f"/requests/{rid}/deliver", json={"to": OTHER}, headers=AUTH).status_code == 200
    return client, rid


def _downloads(client: Any, rid: str) -> int:
    events = client.get(f"/requests/{rid}", headers=AUTH).json()["request"]["events"]
    return sum(e["event"] == "downloaded" for e in events)


def test_link_is_limited_in_uses(delivered):
    client, rid = delivered
    rt = client.rt
    link = links.issue(rt.register, rid, rt.settings.link_key, days=1, uses=2)
    assert client.get(f"/download/{link.token}").status_code == 200
    assert client.get(f"/download/{link.token}").status_code == 200
    over = client.get(f"/download/{link.token}")
    assert over.status_code == 410 and over.headers["content-type"].startswith("text/html")
    assert b"PK" not in over.content[:4] and "used as often" in over.text
    assert _downloads(client, rid) == 2


def test_expired_link_is_refused(delivered):
    client, rid = delivered
    rt = client.rt
    link = links.issue(rt.register, rid, rt.settings.link_key, days=7, uses=3, now=time.time() - 8 * 86400)
    answer = client.get(f"/download/{link.token}")
    assert answer.status_code == 410 and "expired" in answer.text and not answer.content.startswith(b"PK")
    assert _downloads(client, rid) == 0
    fresh = client.post(f"/requests/{rid}/link", headers=AUTH)        # the portal asks for a new one
    assert fresh.status_code == 200 and fresh.json()["link"]["to"] == OTHER
    assert client.get(fresh.json()["link"]["path"]).status_code == 200
    assert client.post(f"/requests/{rid}/link").status_code == 401


def test_tampered_or_foreign_link_is_refused(delivered):
    client, rid = delivered
    rt = client.rt
    link = links.issue(rt.register, rid, rt.settings.link_key, days=1, uses=100)
    payload, signature = link.token.split(".")
    data = json.loads(links._unb64(payload))
    longer = links._b64(json.dumps({**data, "e": data["e"] + 86400 * 365, "n": 10**6}).encode())
    foreign = links.issue(rt.register, rid, b"another-key-0123456789abcdef", days=1, uses=3)
    for token in (f"{longer}.{signature}", f"{payload}.{signature[:-2]}AA", foreign.token, payload, "x.y",
                  f"{payload}.", "%00"):
        answer = client.get(f"/download/{token}")
        assert answer.status_code in (403, 404), token
        if answer.status_code == 403:
            assert "not valid" in answer.text and not answer.content.startswith(b"PK")
    assert _downloads(client, rid) == 0
    assert client.get(f"/download/{link.token}").status_code == 200


def test_link_dies_with_the_package(delivered):
    client, rid = delivered
    rt = client.rt
    link = links.issue(rt.register, rid, rt.settings.link_key, days=1, uses=3)
    package = Path(client.get(f"/requests/{rid}", headers=AUTH).json()["request"]["package"]["path"])
    original = package.read_bytes()
    package.write_bytes(original[:-1] + b"x")      # the file no longer matches its recorded sha256
    assert client.get(f"/download/{link.token}").status_code == 410
    package.write_bytes(original)
    assert client.get(f"/download/{link.token}").status_code == 200
    rt.register.anonymise(rid)                     # an erased request serves nothing any more
    assert client.get(f"/download/{link.token}").status_code == 410
    assert _downloads(client, rid) == 1


# --------------------------------------------------------------------------- shared vendor limits
def test_ten_concurrent_submissions_stay_within_lightspeed_window(make_client, sandbox, monkeypatch):
    """Lightspeed's 300-per-5-minutes window shrunk to 20 per second: ten exports at once, each pacing itself on
    the headers, would overshoot it (7 of 167 requests answered 429 when the shared window was disabled); the
    service's shared window keeps every one of them inside."""
    monkeypatch.setattr(lightspeed_app, "WINDOWS", (1.0, 3600.0, 86400.0))
    sandbox.apps["lightspeed"].limits = (20, 100000, 100000)
    client = make_client(workers=10, lightspeed_window=[20, 1])
    ids = [submit(client, email) for email in [*SMALL, "pieter.goossens30@example.net"]]
    finals = [wait_for(client, rid, rounds=3000)["request"] for rid in ids]
    assert [f["status"] for f in finals] == ["complete"] * 10
    assert all(f["connectors"]["lightspeed"]["records"] > 0 for f in finals)
    assert 429 not in [x.status for x in sandbox.log], [(x.vendor, x.path) for x in sandbox.log if x.status == 429]
    assert len(sandbox.requests_to("lightspeed")) > 100     # more than five of the shrunk windows' budgets


# --------------------------------------------------------------------------- a real server, killed
def _write_config(path: Path, sandbox: Sandbox, extra: dict[str, Any]) -> None:
    mapping = sandbox.config_mapping()
    mapping.update(extra)
    path.write_text(to_toml(mapping), encoding="utf-8")


def _start_server(cfg: Path, register: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DSAR_SERVICE_TOKEN": TOKEN, "DSAR_LINK_KEY": LINK_KEY}
    proc = subprocess.Popen([DSAR, "serve", "--config", str(cfg), "--port", str(port), "--register", str(register)],
                            env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def test_server_killed_mid_export_leaves_the_request_resumable(sandbox, tmp_path, monkeypatch):
    monkeypatch.setattr(lightspeed_app, "WINDOWS", (3.0, 3600.0, 86400.0))    # 5-minute windows shrunk to 3 s
    sandbox.apps["lightspeed"].limits = (100, 100000, 100000)
    cfg = tmp_path / "dsar.toml"
    _write_config(cfg, sandbox, {"service": {"token": "${DSAR_SERVICE_TOKEN}", "link_key": "${DSAR_LINK_KEY}",
                                             "out_dir": str(tmp_path / "out"), "lightspeed_window": [100, 3]}})
    register, log, port = tmp_path / "reg" / "register.sqlite3", tmp_path / "server.log", free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox.latency["lightspeed"] = 0.05         # a slow shop: the export is still running when the server dies
    server = _start_server(cfg, register, port, log)
    try:
        rid = httpx.post(f"{base}/requests", json={"email": DEMO}, headers=AUTH).json()["id"]
        for _ in range(600):
            if len(sandbox.requests_to("lightspeed")) >= 40:
                break
            time.sleep(0.05)
        state = httpx.get(f"{base}/requests/{rid}", headers=AUTH).json()
        assert state["request"]["status"] == "in_progress"
        assert state["progress"]["lightspeed"]["status"] == "running"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    sandbox.latency.clear()
    server = _start_server(cfg, register, port, log)
    try:
        after = httpx.get(f"{base}/requests/{rid}", headers=AUTH).json()["request"]
        assert after["status"] == "failed"
        assert after["events"][-1]["event"] == "export_failed" and "interrupted" in after["events"][-1]["detail"]
        assert httpx.post(f"{base}/requests/{rid}/resume", headers=AUTH).status_code == 202
        done = wait_for(httpx.Client(base_url=base), rid)["request"]
        assert done["status"] == "complete" and done["connectors"]["lightspeed"]["status"] == "complete"
        link = httpx.post(f"{base}/requests/{rid}/deliver", json={"to": DEMO}, headers=AUTH).json()["link"]
        zipped = httpx.get(link["url"])
        assert zipped.status_code == 200 and hashlib.sha256(zipped.content).hexdigest() == done["package"]["sha256"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert TOKEN not in text and LINK_KEY not in text and link["path"].split("/")[-1] not in text
    raw = register.read_bytes() + b"".join(p.read_bytes() for p in register.parent.glob("*-wal"))
    assert TOKEN.encode() not in raw and LINK_KEY.encode() not in raw


# --------------------------------------------------------------------------- RQ on a real redis-server
@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (Debian package redis-server; .ci/run installs it)")
    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rq_mode_submit_complete_deliver_download_with_shared_limits(sandbox, tmp_path, redis_url, monkeypatch):
    monkeypatch.setattr(lightspeed_app, "WINDOWS", (2.0, 3600.0, 86400.0))
    sandbox.apps["lightspeed"].limits = (60, 100000, 100000)
    cfg = tmp_path / "dsar.toml"
    _write_config(cfg, sandbox, {
        "service": {"token": TOKEN, "link_key": LINK_KEY, "out_dir": str(tmp_path / "out"),
                    "lightspeed_window": [60, 2]},
        "queue": {"redis_url": redis_url}})
    register = tmp_path / "reg" / "register.sqlite3"
    settings = settings_mod.load(cfg, env={})
    client_redis = jobs_mod.redis_client(redis_url)
    rt = runtime(settings, register, redis=client_redis)
    with TestClient(create_app(rt, jobs_mod.QueueJobs(rt, client_redis))) as client:
        assert client.get("/health").json()["jobs"] == "queue"
        ids = [submit(client, email) for email in [DEMO, *SMALL[:5]]]
        assert {client.get(f"/requests/{r}", headers=AUTH).json()["request"]["status"] for r in ids} == {"received"}
        workers = [subprocess.Popen([DSAR, "worker", "--config", str(cfg), "--register", str(register), "--burst"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
        outputs = [w.communicate(timeout=600)[0].decode(errors="replace") for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        finals = [wait_for(client, rid)["request"] for rid in ids]
        assert [f["status"] for f in finals] == ["complete"] * len(ids), outputs
        assert 429 not in [x.status for x in sandbox.log]
        link = client.post(f"/requests/{ids[0]}/deliver", json={"to": DEMO}, headers=AUTH).json()["link"]
        got = client.get(link["path"])
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == finals[0]["package"]["sha256"]
    assert not any(TOKEN in o or LINK_KEY in o for o in outputs)


def test_redis_window_is_shared_between_clients(redis_url):
    from aggregator.service.limits import RedisWindow

    class Waited(Exception):
        pass

    def sleep(seconds: float) -> None:
        raise Waited(seconds)

    a = RedisWindow(jobs_mod.redis_client(redis_url), "dsar:test:window", 5, 30.0, sleep=sleep)
    b = RedisWindow(jobs_mod.redis_client(redis_url), "dsar:test:window", 5, 30.0, sleep=sleep)
    for limiter in (a, b, a, b, a):
        limiter.acquire()                      # five in the window, counted together: nobody waits
    with pytest.raises(Waited) as waited:
        b.acquire()                            # the sixth waits for the oldest to leave the 30-s window
    assert 25 < waited.value.args[0] <= 30


# --------------------------------------------------------------------------- the commands
def test_serve_and_worker_refuse_bad_configuration_in_one_line(tmp_path):
    no_token = tmp_path / "no-token.toml"
    no_token.write_text('[service]\nlink_key = "0123456789abcdef0123"\n', encoding="utf-8")
    unset = tmp_path / "unset.toml"
    unset.write_text('[service]\ntoken = "${DSAR_TEST_UNSET_TOKEN}"\nlink_key = "0123456789abcdef0123"\n',
                     encoding="utf-8")
    no_queue = tmp_path / "no-queue.toml"
    no_queue.write_text(f'[service]\ntoken = "{TOKEN}"\nlink_key = "{LINK_KEY}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DSAR_TEST_UNSET_TOKEN"}
    for args, expected in ((["serve", "--config", str(tmp_path / "missing.toml")], "file not found"),
                           (["serve", "--config", str(no_token)], "token is required"),
                           (["serve", "--config", str(unset)], "DSAR_TEST_UNSET_TOKEN"),
                           (["worker", "--config", str(no_queue)], "needs [queue] redis_url")):
        done = subprocess.run([DSAR, *args], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in done.stderr and "Traceback" not in done.stderr
        assert LINK_KEY not in done.stderr and TOKEN not in done.stderr


def test_serve_sandbox_prints_a_generated_token_and_needs_it(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DSAR_SERVICE_TOKEN"}
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([DSAR, "serve", "--sandbox", "--port", str(port), "--register",
                             str(tmp_path / "reg.sqlite3"), "--out", str(tmp_path / "out")],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        line = next(x for x in log.read_text().splitlines() if x.startswith("service token (generated"))
        token = line.rsplit(" ", 1)[1]
        assert len(token) >= 32
        assert httpx.get(f"{base}/requests").status_code == 401
        assert httpx.get(f"{base}/requests", headers={"Authorization": f"Bearer {token}"}).json()["requests"] == []
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
