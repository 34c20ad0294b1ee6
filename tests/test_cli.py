"""The ``dsar`` command as a user or the portal runs it: exit codes, one-line errors, the --json contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import EMPTY, OTHER


def dsar(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    full_env.pop("DSAR_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "aggregator.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("dsar: error:")]
    assert len(errors) == 1 and text in errors[0], proc.stderr


@pytest.fixture
def ls_config(sandbox, tmp_path: Path) -> Path:
    path = tmp_path / "dsar.toml"
    text = sandbox.config_toml(["lightspeed"])
    path.write_text(text.replace('base_url = "', 'requests_per_second = 0\nbase_url = "'))
    return path


def test_json_output_is_exactly_one_object_and_exit_0(ls_config: Path, tmp_path: Path):
    proc = dsar("export", OTHER, "--config", str(ls_config), "--json", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    schema = json.loads((Path(__file__).parents[1] / "aggregator/schemas/export-result.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(out)
    assert set(out) == {"request_id", "status", "package", "sha256", "connectors"}
    assert out["status"] == "complete" and Path(out["package"]).is_file()
    ls = out["connectors"]["lightspeed"]
    assert ls["status"] == "complete" and ls["records"] > 0 and ls["error"] is None
    assert all(c["status"] == "not_configured" for n, c in out["connectors"].items() if n != "lightspeed")
    assert proc.stdout.count("\n") == 1


def test_partial_export_exits_3_and_still_writes_the_package(ls_config: Path, tmp_path: Path):
    text = ls_config.read_text().replace("sandbox-ls-secret-94b2d0", "${LS_SECRET}")
    ls_config.write_text(text)
    proc = dsar("export", OTHER, "--config", str(ls_config), "--json", "--out", str(tmp_path / "o"),
                env={"LS_SECRET": "definitely-wrong-secret"})
    assert proc.returncode == 3, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "partial" and Path(out["package"]).is_file()
    assert out["connectors"]["lightspeed"]["error"].startswith("lightspeed: 401 ")
    assert "definitely-wrong-secret" not in proc.stdout + proc.stderr


def test_human_summary_goes_to_stderr(ls_config: Path, tmp_path: Path):
    proc = dsar("export", EMPTY, "--config", str(ls_config), "--out", str(tmp_path / "o"))
    assert proc.returncode == 0 and proc.stdout == ""
    assert "package:" in proc.stderr and f"We hold no data about {EMPTY}" in proc.stderr


@pytest.mark.parametrize("args, env, code, text", [
    (["export", "not-an-email"], {}, 2, "not a valid e-mail address: 'not-an-email'"),
    (["export", OTHER, "--only", "lightspeed,nope"], {}, 2, "unknown connector(s): nope"),
    (["export", OTHER, "--only", ","], {}, 2, "--only names no connector"),
    (["export", OTHER, "--config", "/nonexistent/dsar.toml"], {}, 2, "config: file not found"),
    (["export"], {}, 2, "usage:"),
    (["export", OTHER, "--out", "/proc/no-such-dir"], {}, 2, "cannot create the output directory /proc/no-such-dir"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], env: dict[str, str], code: int, text: str):
    assert_one_line_error(dsar(*args, env=env), code, text)


def test_config_not_toml_and_unset_variable(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    assert_one_line_error(dsar("export", OTHER, "--config", str(bad)), 2, "is not valid TOML")
    cfg = tmp_path / "env.toml"
    cfg.write_text('[connectors.lightspeed]\nbase_url = "https://x/nl/"\napi_key = "k"\n'
                   'api_secret = "${NOPE_SECRET}"\n')
    assert_one_line_error(dsar("export", OTHER, "--config", str(cfg)), 2,
                          "connectors.lightspeed.api_secret needs environment variable NOPE_SECRET")


def test_config_from_environment_variable(ls_config: Path, tmp_path: Path):
    assert_one_line_error(dsar("export", EMPTY, "--json", "--out", str(tmp_path / "o")), 2,
                          "no connector is configured (no --config or $DSAR_CONFIG)")
    import os
    proc = subprocess.run([sys.executable, "-m", "aggregator.cli", "export", EMPTY, "--json", "--out",
                           str(tmp_path / "o")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DSAR_CONFIG": str(ls_config)})
    assert json.loads(proc.stdout)["connectors"]["lightspeed"]["status"] == "complete"


def test_connectors_lists_every_registered_connector(ls_config: Path):
    proc = dsar("connectors", "--config", str(ls_config), "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["lightspeed"]["configured"] is True and "orders" in rows["lightspeed"]["categories"]
    assert all(r["configured"] is False for n, r in rows.items() if n != "lightspeed")


def test_sandbox_command_serves_and_prints_a_working_config(tmp_path: Path):
    import os
    import tomllib

    cfg = tmp_path / "sandbox.toml"
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "sandbox", "--write-config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert first.startswith("# sandbox listening on https://127.0.0.1:")
        config = tomllib.loads(cfg.read_text())
        assert set(config["connectors"]) == {"lightspeed", "mailchimp", "office365", "paypal", "silvasoft"}
        out = dsar("export", EMPTY, "--config", str(cfg), "--json", "--only", "lightspeed,silvasoft",
                   "--out", str(tmp_path / "o"))
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["connectors"]["silvasoft"]["status"] == "complete"
        assert result["connectors"]["paypal"]["status"] == "skipped"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
