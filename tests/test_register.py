"""The request register: schema and upgrades, deadlines and extensions, delivery rule, resume after a failed
connector, anonymisation down to the file's bytes, secrets never stored, concurrent exports."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aggregator import DeliveryRefused, Register, RegisterError, RequestBusy, UnknownRequest, export
from aggregator import config as config_mod
from aggregator.register import MIGRATIONS, SCHEMA_VERSION, add_months
from aggregator.sandbox.server import Fault
from tests.conftest import DEMO, EMPTY, OTHER

SCHEMAS = Path(__file__).parents[1] / "aggregator" / "schemas"


def make_config(sandbox, vendors: list[str]) -> config_mod.Config:
    mapping = sandbox.config_mapping(vendors)
    if "lightspeed" in mapping["connectors"]:
        mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
    return config_mod.from_mapping(mapping, env={}, source="<test>")


def run(register: Register, tmp_path: Path, cfg: config_mod.Config, email: str = OTHER, **kwargs: Any):
    kwargs.setdefault("entry_points", False)
    return export(email, config=cfg, out_dir=tmp_path / "out", register=register, **kwargs)


@pytest.fixture
def register(tmp_path: Path) -> Register:
    return Register.open(tmp_path / "reg" / "register.sqlite3")


def db_bytes(register: Register) -> bytes:
    return b"".join(p.read_bytes() for p in register.path.parent.glob(register.path.name + "*"))


def validate(name: str, obj: object) -> None:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator(schema).validate(obj)


# ---------------------------------------------------------------------- schema
def test_a_fresh_register_is_created_in_wal_mode_with_private_modes(tmp_path: Path):
    reg = Register.create(tmp_path / "new" / "r.sqlite3")
    assert reg.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(reg.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(reg.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(reg.path.parent.stat().st_mode) == 0o700
    with pytest.raises(RegisterError, match="already exists"):
        Register.create(reg.path)


def test_many_threads_opening_a_fresh_register_at_once_create_it_once(tmp_path: Path):
    path = tmp_path / "race" / "r.sqlite3"
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Register.open(path)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*), MAX(version) FROM schema_version").fetchone() == (1, SCHEMA_VERSION)
    conn.close()


def test_a_version_1_file_is_upgraded_and_keeps_its_requests(tmp_path: Path):
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[1].split(";\n"):
            conn.execute(statement)
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute("INSERT INTO requests VALUES ('OLD-1', 'access', 'a@example.be', NULL, '2026-01-01T00:00:00Z', "
                     "'2026-01-31T00:00:00Z', 'complete', '/p/dsar-OLD-1.zip', ?, '2026-01-01T00:00:00Z', "
                     "'2026-01-01T00:00:00Z')", ("0" * 64,))
        conn.execute("INSERT INTO connector_outcomes VALUES ('OLD-1', 'lightspeed', 'lightspeed', 'complete', 5, 3, "
                     "NULL)")
    conn.close()
    reg = Register.open(path)
    assert reg.schema_version() == SCHEMA_VERSION
    entry = reg.get("OLD-1")
    assert entry.email == "a@example.be" and entry.original_due_at == entry.due_at == datetime(2026, 1, 31, tzinfo=UTC)
    assert entry.extension_months == 0 and entry.connectors["lightspeed"].records == 5
    assert entry.connectors["lightspeed"].notes == [] and entry.known_addresses == {}
    assert Register.open(path).schema_version() == SCHEMA_VERSION      # opening again changes nothing


def test_a_newer_register_is_refused_with_exit_2(tmp_path: Path):
    path = tmp_path / "future.sqlite3"
    Register.open(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(RegisterError, match="newer than this tool knows"):
        Register.open(path)
    proc = dsar("requests", "list", "--register", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("dsar: error: register:")


# ---------------------------------------------------------------------- deadlines
def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 12, 15, tzinfo=UTC), 2) == datetime(2028, 2, 15, tzinfo=UTC)


def test_30_day_deadline_extension_and_overdue_listing(sandbox, tmp_path: Path, register: Register):
    cfg = make_config(sandbox, ["lightspeed"])
    now = datetime.now(UTC)
    fresh = run(register, tmp_path, cfg, EMPTY, received_at=now - timedelta(days=2), request_id="FRESH")
    old = run(register, tmp_path, cfg, EMPTY, received_at=now - timedelta(days=40), request_id="OLD")
    entry = register.get(fresh.request_id)
    assert entry.due_at - entry.received_at == timedelta(days=30) and entry.days_left() == 28
    assert fresh.manifest["due_at"] == entry.due_at.isoformat().replace("+00:00", "Z")
    assert register.get(old.request_id).is_overdue()

    assert [e.id for e in register.list()] == ["OLD", "FRESH"]                      # sorted by due date
    assert [e.id for e in register.list(overdue=True)] == ["OLD"]
    assert [e.id for e in register.list(due_within=30)] == ["OLD", "FRESH"]
    assert [e.id for e in register.list(due_within=5)] == ["OLD"]

    with pytest.raises(RegisterError, match="original deadline .* has passed"):
        register.extend("OLD", 1, "too late")
    with pytest.raises(RegisterError, match="needs a reason"):
        register.extend("FRESH", 1, " ")
    extended = register.extend("FRESH", 1, "many processors", actor="dpo")
    assert extended.due_at == add_months(entry.original_due_at, 1) and extended.extension_months == 1
    extended = register.extend("FRESH", 1, "still waiting for Silvasoft")
    assert extended.due_at == add_months(entry.original_due_at, 2)
    with pytest.raises(RegisterError, match="at most 2 in total"):
        register.extend("FRESH", 1, "more")
    assert [e.event for e in extended.events].count("extended") == 2 and extended.events[-2].actor == "dpo"
    # past the original deadline, an extension granted earlier still holds
    later = entry.original_due_at + timedelta(days=3)
    assert not extended.is_overdue(later) and register.list(overdue=True, now=later)[0].id == "OLD"


# ---------------------------------------------------------------------- delivery
def test_delivery_to_a_known_address_only_unless_verified(sandbox, tmp_path: Path, register: Register):
    result = run(register, tmp_path, make_config(sandbox, ["lightspeed"]), OTHER)
    rid = result.request_id
    spool = register.spool_dir(rid)
    assert spool.is_dir()
    with pytest.raises(DeliveryRefused, match="not an address the shop knows"):
        register.deliver(rid, "someone.else@example.com")
    proc = dsar("requests", "deliver", rid, "--to", "someone.else@example.com", "--register", str(register.path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert [line for line in proc.stderr.splitlines() if line.startswith("dsar: error:")] == [
        proc.stderr.strip()]
    assert register.get(rid).status == "complete"

    proc = dsar("requests", "deliver", rid, "--to", OTHER.upper(), "--register", str(register.path), "--actor", "dpo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(result.package.resolve())
    entry = register.get(rid)
    assert entry.status == "delivered" and entry.delivered_to == OTHER
    assert entry.verified_by == "known address (the subject's own address)" and entry.events[-1].actor == "dpo"
    assert not spool.exists()                       # the spool goes once the package is delivered
    assert rid not in [e.id for e in register.list(open_only=True)] and register.list()[0].id == rid
    with pytest.raises(RegisterError, match="delivered"):
        register.deliver(rid, OTHER)


def test_delivery_to_another_address_with_a_recorded_identity_check(sandbox, tmp_path: Path, register: Register):
    rid = run(register, tmp_path, make_config(sandbox, ["lightspeed"]), EMPTY).request_id
    proc = dsar("requests", "deliver", rid, "--to", "lawyer@example.nl", "--verified-by",
                "power of attorney + ID checked by dpo", "--json", "--register", str(register.path))
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    validate("request.schema.json", shown)
    assert shown["status"] == "delivered" and shown["delivery"]["to"] == "lawyer@example.nl"
    assert shown["delivery"]["verified_by"] == "power of attorney + ID checked by dpo"
    with pytest.raises(UnknownRequest):
        register.deliver("NOPE", OTHER)


def test_delivery_accepts_an_email_identifier_a_connector_offered(sandbox, tmp_path: Path, register: Register):
    from tests.conftest import offering_plugin

    plugin = offering_plugin("offerer", "email", [("Jan.Paypal@Example.com", {})])
    cfg = config_mod.from_mapping({"connectors": {"offerer": {}}}, env={})
    rid = export(DEMO, config=cfg, out_dir=tmp_path / "o", register=register, plugins=[plugin],
                 entry_points=False).request_id
    entry = register.deliver(rid, "jan.paypal@example.com")
    assert entry.verified_by == "known address (offerer: e-mail identifier)"


# ---------------------------------------------------------------------- resume
def test_resume_reruns_only_the_failed_connector(sandbox, tmp_path: Path, register: Register):
    cfg = make_config(sandbox, ["lightspeed", "mailchimp"])
    sandbox.inject(Fault("mailchimp", status=401, body={"title": "API Key Invalid", "status": 401}, times=None))
    first = run(register, tmp_path, cfg, OTHER)
    assert first.status == "partial" and first.connectors["mailchimp"].status == "failed"
    entry = register.get(first.request_id)
    assert entry.status == "partial" and entry.failed_connectors() == ["mailchimp"]
    ls_calls = len(sandbox.requests_to("lightspeed"))
    assert ls_calls == first.connectors["lightspeed"].calls > 0

    spool = register.spool_dir(first.request_id)
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    files = [p for p in spool.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)

    sandbox.clear()                                    # the fault is gone, and so is the request log
    second = register.resume(first.request_id, config=cfg, entry_points=False)
    assert second.status == "complete" and second.request_id == first.request_id
    assert sandbox.requests_to("lightspeed") == []     # the connector that had succeeded was not asked again
    assert len(sandbox.requests_to("mailchimp")) == second.connectors["mailchimp"].calls > 0
    assert second.package == first.package and second.sha256 != first.sha256
    manifest = json.loads(zipfile.ZipFile(second.package).read("manifest.json"))
    assert manifest["request_id"] == first.request_id and manifest["status"] == "complete"
    assert manifest["connectors"]["lightspeed"]["calls"] == ls_calls           # the kept outcome, truthfully
    assert manifest["connectors"]["lightspeed"]["records"] == first.connectors["lightspeed"].records
    assert manifest["summary"]["records"] == (first.connectors["lightspeed"].records
                                              + second.connectors["mailchimp"].records)
    assert manifest["identifiers"] == first.manifest["identifiers"]
    after = register.get(first.request_id)
    assert after.status == "complete" and after.sha256 == second.sha256
    assert [e.event for e in after.events][-2:] == ["resume_started", "resume_finished"]
    validate("manifest.schema.json", manifest)
    with pytest.raises(RegisterError, match="only a partial or failed request can be resumed"):
        register.resume(first.request_id, config=cfg, entry_points=False)


def test_resume_via_the_cli_exits_3_while_the_connector_still_fails(sandbox, tmp_path: Path, register: Register):
    cfg_file = tmp_path / "dsar.toml"
    text = sandbox.config_toml(["lightspeed", "mailchimp"]).replace('base_url = "', 'requests_per_second = 0\n'
                                                                    'base_url = "', 1)
    cfg_file.write_text(text)
    sandbox.inject(Fault("mailchimp", status=401, body={"title": "API Key Invalid", "status": 401}, times=None))
    proc = dsar("export", EMPTY, "--config", str(cfg_file), "--register", str(register.path), "--json",
                "--out", str(tmp_path / "o"))
    assert proc.returncode == 3, proc.stderr
    rid = json.loads(proc.stdout)["request_id"]
    proc = dsar("requests", "resume", rid, "--config", str(cfg_file), "--register", str(register.path), "--json")
    assert proc.returncode == 3, proc.stderr
    validate("export-result.schema.json", json.loads(proc.stdout))
    sandbox.clear()
    proc = dsar("requests", "resume", rid, "--config", str(cfg_file), "--register", str(register.path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["connectors"]["mailchimp"]["status"] == "complete"


# ---------------------------------------------------------------------- anonymisation and secrets
def test_an_erasure_request_is_anonymised_when_it_completes(sandbox, tmp_path: Path, register: Register):
    result = run(register, tmp_path, make_config(sandbox, ["lightspeed", "silvasoft"]), OTHER,
                 customer_number="1001", request_type="erasure", actor="dpo")
    entry = register.get(result.request_id)
    assert entry.type == "erasure" and entry.status == "complete" and entry.anonymised_at
    assert entry.email is None and entry.customer_number is None and entry.package is None
    assert entry.known_addresses == {} and all(e.detail is None for e in entry.events)
    assert entry.connectors["lightspeed"].records == result.connectors["lightspeed"].records > 0
    assert entry.connectors["silvasoft"].categories == result.connectors["silvasoft"].categories
    assert entry.received_at and entry.due_at and entry.events[-1].event == "anonymised"
    assert not register.spool_dir(result.request_id).exists()
    raw = db_bytes(register)
    assert OTHER.encode() not in raw and b"claes" not in raw.lower()
    assert str(result.package).encode() not in raw


def test_anonymise_command_removes_the_address_from_the_file(sandbox, tmp_path: Path, register: Register):
    rid = run(register, tmp_path, make_config(sandbox, ["lightspeed"]), OTHER, request_id="A-1").request_id
    proc = dsar("requests", "extend", rid, "--months", "1", "--reason", f"waiting for {OTHER}'s bank", "--json",
                "--register", str(register.path))
    assert proc.returncode == 0, proc.stderr
    validate("request.schema.json", json.loads(proc.stdout))
    assert json.loads(proc.stdout)["extension"] == {"months": 1, "reason": f"waiting for {OTHER}'s bank"}
    assert OTHER.encode() in db_bytes(register)
    proc = dsar("requests", "anonymise", rid, "--register", str(register.path), "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    validate("request.schema.json", shown)
    assert shown["email"] is None and shown["anonymised"] is True and shown["extension"]["months"] == 1
    assert OTHER.encode() not in db_bytes(register) and b"bank" not in db_bytes(register)
    assert shown["connectors"]["lightspeed"]["records"] > 0


def test_no_secret_reaches_the_register(sandbox, tmp_path: Path, register: Register):
    mapping = sandbox.config_mapping(["lightspeed", "mailchimp", "silvasoft"])
    secrets = [v for s in mapping["connectors"].values() for k, v in s.items()
               if isinstance(v, str) and k in ("api_key", "api_secret", "client_secret")]
    assert len(secrets) >= 3
    sandbox.inject(Fault("silvasoft", status=401, body="Unauthorized", times=None))
    run(register, tmp_path, config_mod.from_mapping(mapping, env={}), OTHER, sleep=lambda s: None)
    raw = db_bytes(register)
    assert OTHER.encode() in raw                      # the check can fail: the file is readable as bytes
    for secret in secrets:
        assert secret.encode() not in raw


# ---------------------------------------------------------------------- listing, JSON, errors
def test_requests_list_and_show_json_match_their_schemas(sandbox, tmp_path: Path, register: Register):
    run(register, tmp_path, make_config(sandbox, ["lightspeed"]), EMPTY, request_id="J-1",
        received_at=datetime.now(UTC) - timedelta(days=35))
    proc = dsar("requests", "list", "--json", "--register", str(register.path))
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    validate("requests-list.schema.json", listed)
    assert listed["requests"][0]["id"] == "J-1" and listed["requests"][0]["overdue"] is True
    assert listed["requests"][0]["days_left"] == -5
    proc = dsar("requests", "list", "--overdue", "--register", str(register.path))
    assert "J-1" in proc.stdout and "OVERDUE 5d" in proc.stdout
    proc = dsar("requests", "show", "J-1", "--json", "--register", str(register.path))
    shown = json.loads(proc.stdout)
    validate("request.schema.json", shown)
    assert shown["connectors"]["lightspeed"]["status"] == "complete" and shown["events"][0]["event"] == "received"
    with pytest.raises(jsonschema.ValidationError):
        validate("request.schema.json", {**shown, "status": "lost"})


@pytest.mark.parametrize(("args", "text"), [
    (["requests", "show", "NOPE"], "no request 'NOPE'"),
    (["requests", "list", "--register", "/nonexistent/r.sqlite3"], "/nonexistent/r.sqlite3 does not exist"),
    (["requests", "extend", "NOPE", "--months", "3", "--reason", "x"], "usage:"),
    (["export", OTHER, "--received-at", "30/11/2026"], "--received-at must be YYYY-MM-DD"),
    (["export", OTHER, "--received-at", "2999-01-01"], "lies in the future"),
])
def test_register_errors_are_one_line_and_exit_2(args: list[str], text: str, tmp_path: Path):
    Register.open(os.environ["DSAR_REGISTER"])
    cfg = tmp_path / "c.toml"
    cfg.write_text('[connectors.lightspeed]\nbase_url = "https://127.0.0.1:9/nl/"\napi_key = "k"\napi_secret = "s"\n')
    proc = dsar(*args, *(["--config", str(cfg)] if args[0] == "export" else []))
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("dsar: error:")]
    assert len(errors) == 1 and text in errors[0] and "Traceback" not in proc.stderr


def test_attaching_to_an_existing_request_and_no_register(sandbox, tmp_path: Path, register: Register):
    cfg = make_config(sandbox, ["lightspeed"])
    received = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    run(register, tmp_path, cfg, EMPTY, request_id="R-7", received_at=received)
    again = run(register, tmp_path, cfg, EMPTY, request_id="R-7")       # keeps the original arrival time
    assert again.manifest["received_at"] == "2026-11-02T09:30:00Z"
    assert [e.event for e in register.get("R-7").events].count("export_started") == 2
    with pytest.raises(RegisterError, match="another e-mail address"):
        run(register, tmp_path, cfg, OTHER, request_id="R-7")
    with pytest.raises(RegisterError, match="cannot change it"):
        run(register, tmp_path, cfg, EMPTY, request_id="R-7", received_at=received + timedelta(days=1))
    out = tmp_path / "throwaway"
    proc = dsar("export", EMPTY, "--config", str(_toml(sandbox, tmp_path)), "--no-register", "--json", "--out",
                str(out))
    assert proc.returncode == 0, proc.stderr
    assert not Path(os.environ["DSAR_REGISTER"]).exists()   # nothing recorded, not even a new register file


def test_register_path_from_config_resolves_against_the_config_folder(tmp_path: Path):
    cfg_file = tmp_path / "etc" / "dsar.toml"
    cfg_file.parent.mkdir()
    cfg_file.write_text('[register]\npath = "data/register.sqlite3"\n')
    cfg = config_mod.load(cfg_file)
    assert cfg.register_path == str(tmp_path / "etc" / "data" / "register.sqlite3")
    with pytest.raises(config_mod.ConfigError, match=r"\[register\] takes one key"):
        config_mod.from_mapping({"register": {"path": "x", "url": "y"}}, env={})


# ---------------------------------------------------------------------- concurrency
def test_two_exports_at_once_in_threads(sandbox, tmp_path: Path, register: Register):
    cfg = make_config(sandbox, ["lightspeed", "silvasoft"])
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def one(email: str) -> None:
        try:
            results[email] = run(register, tmp_path, cfg, email)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(e,)) for e in (EMPTY, OTHER)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {e.email for e in register.list()} == {EMPTY, OTHER}
    for email, result in results.items():
        entry = register.get(result.request_id)
        assert entry.status == result.status == "complete" and entry.sha256 == result.sha256
        manifest = json.loads(zipfile.ZipFile(result.package).read("manifest.json"))
        assert manifest["subject"]["email"] == email
        spooled = "".join(p.read_text() for p in register.spool_dir(result.request_id).rglob("*.jsonl"))
        assert (OTHER in spooled.lower()) == (email == OTHER)      # each run's spool holds its own records


def test_two_exports_at_once_in_two_processes(sandbox, tmp_path: Path):
    register = Register(tmp_path / "fresh" / "register.sqlite3")     # not created yet: both processes race to
    cfg_file = _toml(sandbox, tmp_path)                               # create and migrate it
    cmd = [sys.executable, "-m", "aggregator.cli", "export", "--config", str(cfg_file), "--register",
           str(register.path), "--json", "--out", str(tmp_path / "o")]
    procs = [subprocess.Popen([*cmd, email, "--request-id", f"P-{i}"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i, email in enumerate((EMPTY, OTHER))]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    entries = {e.id: e for e in register.list()}
    assert set(entries) == {"P-0", "P-1"} and entries["P-0"].email == EMPTY and entries["P-1"].email == OTHER
    for out, _ in outs:
        result = json.loads(out)
        assert entries[result["request_id"]].sha256 == result["sha256"]
    with sqlite3.connect(register.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_second_run_of_the_same_request_is_refused_while_one_runs(register: Register):
    register.start("BUSY", request_type="access", email=OTHER, customer_number=None,
                   received_at=datetime.now(UTC), response_days=30)
    with register.lock("BUSY"):
        with pytest.raises(RequestBusy, match="being processed by another run"):
            register.anonymise("BUSY")
        proc = dsar("requests", "anonymise", "BUSY", "--register", str(register.path))
        assert proc.returncode == 2 and "being processed by another run" in proc.stderr
    with pytest.raises(RegisterError, match="in progress"):
        register.anonymise("BUSY")
    assert register.get("BUSY").email == OTHER


# ---------------------------------------------------------------------- helpers
def _toml(sandbox, tmp_path: Path) -> Path:
    path = tmp_path / "ls.toml"
    path.write_text(sandbox.config_toml(["lightspeed"]).replace('base_url = "', 'requests_per_second = 0\n'
                                                               'base_url = "', 1))
    return path


def dsar(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("DSAR_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "aggregator.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_resume_hands_the_rerun_connector_what_the_kept_connectors_offered(tmp_path: Path, register: Register):
    """A connector that needs another's identifiers (PayPal needs Lightspeed's order numbers) still gets them
    on a resume, although the connector that offered them is not run again."""
    from collections.abc import Callable, Iterator

    from aggregator.connector import Connector, Record
    from aggregator.errors import ConnectorError
    from aggregator.hookspecs import hookimpl
    from tests.conftest import offering_plugin

    attempts: list[int] = []

    class Consumer(Connector):
        name = "consumer"
        processor = "paypal"
        categories = ("orders",)

        def collect(self) -> Iterator[Record]:
            attempts.append(1)
            numbers = [i.value for i in self.ctx.identifiers("order_number")]
            if len(attempts) == 1:
                raise ConnectorError("vendor down")
            for n in numbers:
                yield self.ctx.record("orders", "order_ref", {"order": n}, endpoint="-", vendor_id=n)

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
            register(Consumer)

    offers = offering_plugin("offerer", "order_number", [("ORD-1", {"date": "2026-01-02"}), ("ORD-2", {})])
    plugins = [offers, Plugin()]
    cfg = config_mod.from_mapping({"connectors": {"offerer": {}, "consumer": {}}}, env={})
    first = export(OTHER, config=cfg, out_dir=tmp_path / "o", register=register, plugins=plugins,
                   entry_points=False)
    assert first.connectors["consumer"].status == "failed" and first.connectors["offerer"].status == "complete"
    second = register.resume(first.request_id, config=cfg, plugins=plugins, entry_points=False)
    assert second.status == "complete" and second.connectors["consumer"].records == 2
    manifest = json.loads(zipfile.ZipFile(second.package).read("manifest.json"))
    assert manifest["identifiers"]["order_number"] == ["ORD-1", "ORD-2"]
    assert sorted(r["data"]["order"] for r in json.loads(zipfile.ZipFile(second.package).read(
        "data/orders/paypal.json"))) == ["ORD-1", "ORD-2"]


def test_a_spool_expires_30_days_after_the_deadline_and_the_last_activity(sandbox, tmp_path: Path,
                                                                           register: Register):
    cfg = make_config(sandbox, ["lightspeed"])
    sandbox.inject(Fault("lightspeed", status=401, body={"error": "bad key"}, times=None))
    now = datetime.now(UTC)
    run(register, tmp_path, cfg, OTHER, request_id="STALE", received_at=now - timedelta(days=61))
    run(register, tmp_path, cfg, OTHER, request_id="RECENT", received_at=now - timedelta(days=10))
    assert register.spool_dir("STALE").is_dir() and register.spool_dir("RECENT").is_dir()   # a late export
    assert register.expire_spools(now=now + timedelta(days=29)) == []                        # can still resume
    assert register.expire_spools(now=now + timedelta(days=31)) == ["STALE"]
    assert not register.spool_dir("STALE").exists() and register.spool_dir("RECENT").is_dir()
    assert register.get("STALE").events[-1].event == "spool_expired"
    with pytest.raises(RegisterError, match="its spool .* is gone; export it again"):
        register.resume("STALE", config=cfg, entry_points=False)
    assert register.expire_spools(now=now + timedelta(days=51)) == ["RECENT"]


def test_cli_export_backdates_and_types_the_request(sandbox, tmp_path: Path, register: Register):
    proc = dsar("export", EMPTY, "--config", str(_toml(sandbox, tmp_path)), "--register", str(register.path),
                "--received-at", "2026-11-02T09:30", "--type", "portability", "--request-id", "CLI-1",
                "--actor", "an", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert f"request CLI-1 (portability) recorded in {register.path}" in proc.stderr
    assert f"spooled records: {register.spool_dir('CLI-1')} (directories 0700, files 0600" in proc.stderr
    entry = register.get("CLI-1")
    assert entry.type == "portability" and entry.status == "complete"
    assert entry.received_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert entry.due_at == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert {e.actor for e in entry.events} == {"an"}
