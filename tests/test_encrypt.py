"""``dsar export --encrypt``: an AES-256 zip with the same members, a passphrase shown once on stderr and kept
nowhere else (not stdout, logs, register, manifest or package), and the register saying it is encrypted."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import sqlite3
import stat
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import pyzipper

from aggregator import config as config_mod
from aggregator import encrypt
from aggregator.api import ExportResult, export
from aggregator.errors import InputError
from aggregator.http import Redactor
from aggregator.logs import RedactingFilter
from aggregator.register import MIGRATIONS, Register
from aggregator.sandbox.server import Fault
from tests.conftest import OTHER

SCHEMAS = Path(__file__).parents[1] / "aggregator" / "schemas"
PASSPHRASE_LINE = re.compile(r"^passphrase: (\S+)$", re.MULTILINE)


def _export(sandbox, out: Path, vendors: tuple[str, ...] = ("lightspeed",), **kwargs: Any) -> ExportResult:
    """A real export against the sandbox's vendor apps, answered in-process (as conftest's run_export, which
    cannot open an encrypted package)."""
    mapping = sandbox.config_mapping(list(vendors))
    if "lightspeed" in mapping["connectors"]:
        mapping["connectors"]["lightspeed"]["requests_per_second"] = 0
    cfg = config_mod.from_mapping(mapping, env={}, source="<test>")
    kwargs.setdefault("entry_points", False)
    kwargs.setdefault("adapters", sandbox.adapters())
    return export(OTHER, config=cfg, out_dir=out, **kwargs)


def _open(path: Path, passphrase: str) -> dict[str, bytes]:
    with pyzipper.AESZipFile(path) as zf:
        zf.setpassword(passphrase.encode())
        return {name: zf.read(name) for name in zf.namelist()}


def _config_file(sandbox, tmp_path: Path, vendors: list[str]) -> Path:
    path = tmp_path / "dsar.toml"
    text = sandbox.config_toml(vendors)
    path.write_text(text.replace('base_url = "', 'requests_per_second = 0\nbase_url = "', 1))
    return path


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------- the package
def test_the_encrypted_package_holds_the_same_members_byte_for_byte(sandbox, tmp_path: Path):
    plain = _export(sandbox, tmp_path / "plain", request_id="plain-1")
    passphrase = encrypt.new_passphrase()
    sealed = _export(sandbox, tmp_path / "sealed", request_id="sealed-1", passphrase=passphrase)
    assert sealed.encrypted and not plain.encrypted and sealed.status == plain.status == "complete"

    members = _open(sealed.package, passphrase)
    assert sorted(members) == sorted(zipfile.ZipFile(plain.package).namelist())
    manifest = json.loads(members["manifest.json"])
    assert manifest == sealed.manifest and manifest["request_id"] == "sealed-1"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(members) - {"manifest.json"} and len(listed) >= 4
    for name, f in listed.items():          # every member decrypts to exactly the bytes the manifest hashed
        assert hashlib.sha256(members[name]).hexdigest() == f["sha256"] and len(members[name]) == f["bytes"]
    assert json.loads(members["data/contact/lightspeed.json"])[0]["data"]
    assert hashlib.sha256(sealed.package.read_bytes()).hexdigest() == sealed.sha256
    assert stat.S_IMODE(sealed.package.stat().st_mode) == 0o600
    assert _files(tmp_path / "sealed") == [sealed.package]       # no plain copy, no partial left beside it
    assert sealed.package.name == "dsar-sealed-1.zip"


def test_without_the_passphrase_nothing_can_be_read(sandbox, tmp_path: Path):
    passphrase = encrypt.new_passphrase()
    result = _export(sandbox, tmp_path / "o", passphrase=passphrase)
    with pyzipper.AESZipFile(result.package) as zf:
        with pytest.raises(RuntimeError, match="password"):
            zf.read("manifest.json")                                     # no passphrase
        zf.setpassword(encrypt.new_passphrase().encode())
        with pytest.raises(RuntimeError, match="(?i)bad password"):
            zf.read("manifest.json")                                     # another one
    with zipfile.ZipFile(result.package) as zf:                          # plain zipfile: names only
        assert "manifest.json" in zf.namelist()
        infos = zf.infolist()
        assert all(i.flag_bits & 0x1 and i.compress_type == 99 for i in infos)   # encrypted, WinZip AES
        for info in infos:
            with pytest.raises(RuntimeError, match="password required"):
                zf.read(info)
            with pytest.raises(NotImplementedError):                     # even given the passphrase
                zf.read(info, pwd=passphrase.encode())
    raw = result.package.read_bytes()
    assert OTHER.encode() not in raw and b'"request_id"' not in raw


def test_a_failed_encryption_leaves_no_plain_copy(sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def broken(plain: Path, target: Any, passphrase: str) -> None:
        assert plain.is_file() and stat.S_IMODE(plain.parent.stat().st_mode) == 0o700
        target.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encrypt, "encrypt_zip", broken)
    with pytest.raises(OSError, match="No space left"):
        _export(sandbox, tmp_path / "o", passphrase=encrypt.new_passphrase())
    assert _files(tmp_path / "o") == [] and list((tmp_path / "o").iterdir()) == []


def test_a_weak_passphrase_is_bad_input_before_any_request(sandbox, tmp_path: Path):
    with pytest.raises(InputError, match="at least 16 characters"):
        _export(sandbox, tmp_path / "o", passphrase="secret")
    with pytest.raises(InputError, match="control characters"):
        _export(sandbox, tmp_path / "o", passphrase="0123456789abcdef\x1b[2J")
    assert sandbox.requests_to("lightspeed") == []


def test_generated_passphrases_are_typeable_and_random():
    seen = {encrypt.new_passphrase() for _ in range(200)}
    assert len(seen) == 200
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}", p) for p in seen)
    assert len(set("".join(seen).replace("-", ""))) == 32        # the whole alphabet is used


# ---------------------------------------------------------------------- where the passphrase may (not) appear
def test_the_passphrase_is_known_to_the_redactor_and_never_logged(sandbox, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture):
    passphrase = encrypt.new_passphrase()
    redactor = Redactor()
    with caplog.at_level(logging.DEBUG):
        result = _export(sandbox, tmp_path / "o", passphrase=passphrase, redactor=redactor,
                         register=Register.open(tmp_path / "reg" / "register.sqlite3"))
    assert len(caplog.records) > 10 and any(r.levelno == logging.DEBUG for r in caplog.records)
    assert passphrase not in caplog.text
    assert redactor(f"x {passphrase} y") == "x *** y"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "the passphrase is %s", (passphrase,), None)
    RedactingFilter(redactor).filter(record)
    assert record.getMessage() == "the passphrase is ***"
    members = _open(result.package, passphrase)
    assert not any(passphrase.encode() in body for body in members.values())
    assert passphrase not in json.dumps(result.manifest) + json.dumps(result.to_json())


def test_cli_prints_the_passphrase_once_on_stderr_and_nowhere_else(sandbox, tmp_path: Path, capsys):
    from aggregator import cli

    config = _config_file(sandbox, tmp_path, ["lightspeed"])
    register = tmp_path / "reg" / "register.sqlite3"
    code = cli.main(["export", OTHER, "--config", str(config), "--register", str(register), "--out",
                     str(tmp_path / "o"), "--encrypt", "--json", "-vv"])
    out, err = capsys.readouterr()
    assert code == 0, err
    found = PASSPHRASE_LINE.findall(err)
    assert len(found) == 1, err
    passphrase = found[0]
    assert err.count(passphrase) == 1 and "DEBUG" in err                 # the debug log lines are there too
    assert "another channel than the package" in err
    assert passphrase not in out
    result = json.loads(out)
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "export-result.schema.json").read_text())).validate(result)
    assert result["encrypted"] is True

    members = _open(Path(result["package"]), passphrase)
    assert json.loads(members["manifest.json"])["request_id"] == result["request_id"]
    assert not any(passphrase.encode() in body for body in members.values())
    for form in (passphrase, passphrase.replace("-", "")):
        db = b"".join(p.read_bytes() for p in register.parent.glob(register.name + "*"))
        assert form.encode() not in db
        assert all(form.encode() not in p.read_bytes() for p in _files(register.parent))   # spool included

    assert cli.main(["requests", "show", result["request_id"], "--register", str(register)]) == 0
    shown = capsys.readouterr().out
    assert re.search(r"^encrypted yes: AES-256", shown, re.MULTILINE), shown
    assert "encrypted (AES-256, passphrase sent separately)" in shown     # the audit trail's line
    assert passphrase not in shown
    assert cli.main(["requests", "show", result["request_id"], "--register", str(register), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "request.schema.json").read_text())).validate(entry)
    assert entry["package"]["encrypted"] is True and entry["package"]["sha256"] == result["sha256"]


def test_a_plain_export_says_not_encrypted(sandbox, tmp_path: Path, capsys):
    from aggregator import cli

    config = _config_file(sandbox, tmp_path, ["lightspeed"])
    register = tmp_path / "reg" / "register.sqlite3"
    assert cli.main(["export", OTHER, "--config", str(config), "--register", str(register), "--out",
                     str(tmp_path / "o"), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "passphrase" not in err and json.loads(out)["encrypted"] is False
    rid = json.loads(out)["request_id"]
    assert zipfile.ZipFile(json.loads(out)["package"]).read("manifest.json")
    assert cli.main(["requests", "show", rid, "--register", str(register), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["package"]["encrypted"] is False
    assert cli.main(["requests", "show", rid, "--register", str(register)]) == 0
    assert "encrypted" not in capsys.readouterr().out


def test_resume_of_an_encrypted_request_encrypts_again_under_a_new_passphrase(sandbox, tmp_path: Path, capsys):
    from aggregator import cli

    config = _config_file(sandbox, tmp_path, ["lightspeed", "mailchimp"])
    register = tmp_path / "reg" / "register.sqlite3"
    sandbox.inject(Fault("mailchimp", status=401, body={"title": "API Key Invalid", "status": 401}, times=None))
    assert cli.main(["export", OTHER, "--config", str(config), "--register", str(register), "--out",
                     str(tmp_path / "o"), "--encrypt", "--json"]) == 3
    out, err = capsys.readouterr()
    first, rid = PASSPHRASE_LINE.findall(err)[0], json.loads(out)["request_id"]
    sandbox.clear()
    code = cli.main(["requests", "resume", rid, "--config", str(config), "--register", str(register)])   # no flag
    out, err = capsys.readouterr()
    assert code == 0, err
    found = PASSPHRASE_LINE.findall(err)
    assert len(found) == 1 and found[0] != first and err.count(found[0]) == 1 and first not in err
    assert "under a NEW passphrase" in err and out == ""
    entry = Register.open(register).get(rid)
    assert entry.status == "complete" and entry.encrypted and entry.package is not None
    members = _open(entry.package, found[0])
    assert json.loads(members["manifest.json"])["connectors"]["mailchimp"]["status"] == "complete"
    with pytest.raises(RuntimeError):
        _open(entry.package, first)                      # the old passphrase opens nothing any more
    assert stat.S_IMODE(entry.package.stat().st_mode) == 0o600
    assert [p.name for p in _files(tmp_path / "o")] == [entry.package.name]
    # through the Python API (as the portal service resumes) without a passphrase: refused, never in the clear
    sandbox.inject(Fault("mailchimp", status=401, body={"title": "API Key Invalid", "status": 401}, times=None))
    assert cli.main(["export", OTHER, "--config", str(config), "--register", str(register), "--out",
                     str(tmp_path / "o2"), "--encrypt", "--json"]) == 3
    out, _ = capsys.readouterr()
    sandbox.clear()
    second = json.loads(out)["request_id"]
    reg = Register.open(register)
    with pytest.raises(InputError, match="encrypted"):
        reg.resume(second, config=str(config))
    assert reg.get(second).status == "partial" and reg.get(second).encrypted


# ---------------------------------------------------------------------- the register's schema
def test_a_version_4_register_is_upgraded_and_its_packages_read_as_not_encrypted(tmp_path: Path):
    path = tmp_path / "register.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (4)")
        for version in range(1, 5):
            for statement in MIGRATIONS[version].split(";\n"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute("INSERT INTO requests (id, type, email, received_at, due_at, original_due_at, status, "
                     "package_path, package_sha256, created_at, updated_at) VALUES ('r1', 'access', 'a@b.be', "
                     "'2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', 'complete', "
                     "'/p/dsar-r1.zip', ?, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')", ("0" * 64,))
    register = Register.open(path)
    assert register.schema_version() == 5
    entry = register.get("r1")
    assert entry.encrypted is False and entry.status == "complete" and entry.package == Path("/p/dsar-r1.zip")


def test_encrypt_zip_streams_members_of_any_size(tmp_path: Path):
    plain = tmp_path / "plain.zip"
    big = bytes(range(256)) * 20_000                   # 5 MB, several copy chunks
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/big.bin", big)
        zf.writestr("empty.txt", b"")
    target = io.BytesIO()
    encrypt.encrypt_zip(plain, target, "ABCDE-FGHJK-MNPQR-STVWX-YZ012")
    with pyzipper.AESZipFile(io.BytesIO(target.getvalue())) as zf:
        zf.setpassword(b"ABCDE-FGHJK-MNPQR-STVWX-YZ012")
        assert zf.read("data/big.bin") == big and zf.read("empty.txt") == b""
