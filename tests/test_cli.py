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

    full_env = {**os.environ, "XDG_CONFIG_HOME": "/nonexistent/dsar-tests", **(env or {})}   # no user config
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
    assert set(out) == {"request_id", "status", "package", "sha256", "encrypted", "connectors"}
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


@pytest.mark.parametrize(("args", "env", "code", "text"), [
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


# --------------------------------------------------------------------------- the operator's conventions
def test_bare_dsar_prints_help_with_examples_and_environment():
    proc = dsar()
    assert proc.returncode == 0, proc.stderr
    assert "usage: dsar" in proc.stdout and "examples:" in proc.stdout and "environment variables:" in proc.stdout
    assert all(len(line) < 80 for line in proc.stdout.splitlines())


def test_every_option_has_help_and_no_bare_dest_placeholder():
    import argparse

    from aggregator.cli import _parser

    def walk(parser: argparse.ArgumentParser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    yield from walk(child)

    for parser in walk(_parser()):
        for action in parser._actions:
            assert action.help, (parser.prog, action.dest)
            if action.option_strings and action.nargs != 0:
                assert action.metavar, (parser.prog, action.option_strings)
        text = parser.format_help()
        assert " CONFIG" not in text and " ONLY" not in text, parser.prog
    export_help = dsar("export", "--help").stdout
    assert "examples:" in export_help and "--config FILE" in export_help and "--only NAME[,NAME]" in export_help


def test_connectors_exits_2_when_a_section_misses_a_required_key(ls_config: Path):
    ls_config.write_text("\n".join(line for line in ls_config.read_text().splitlines()
                                   if not line.startswith("api_secret")))
    proc = dsar("connectors", "--config", str(ls_config))
    assert proc.returncode == 2 and "connectors.lightspeed.api_secret" in proc.stdout + proc.stderr


def test_verbose_shows_a_retry(sandbox, ls_config: Path, tmp_path: Path, capsys):
    from aggregator import cli
    from aggregator.sandbox.server import Fault

    sandbox.inject(Fault("lightspeed", status=503, match="customers.json", times=1))
    code = cli.main(["export", OTHER, "--config", str(ls_config), "--no-register", "--out", str(tmp_path / "o"),
                     "-v"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "HTTP 503" in err and "will retry" in err
    assert "lightspeed: page 1 of" in err                     # -v shows pages too
    assert "DEBUG" not in err                                  # request lines only at -vv


def test_quiet_hides_the_retry_notice_and_the_summary(sandbox, ls_config: Path, tmp_path: Path, capsys):
    from aggregator import cli
    from aggregator.sandbox.server import Fault

    sandbox.inject(Fault("lightspeed", status=503, match="customers.json", times=1))
    assert cli.main(["export", OTHER, "--config", str(ls_config), "--no-register", "--out", str(tmp_path / "o"),
                     "-q"]) == 0
    err = capsys.readouterr().err
    assert "will retry" not in err and err.startswith("complete: ") and len(err.splitlines()) == 1


def test_no_secret_appears_at_vv(sandbox, tmp_path: Path):
    import tomllib

    config = tmp_path / "dsar.toml"
    config.write_text(sandbox.config_toml())
    data = tomllib.loads(config.read_text())
    from aggregator.plugins import build_registry, plugin_manager

    registry = build_registry(plugin_manager())
    secrets = [str(section[key]) for name, section in data["connectors"].items()
               for key in registry.connectors[name].secret_settings if key in section]
    assert len(secrets) >= 5
    proc = dsar("export", OTHER, "--config", str(config), "--no-register", "--out", str(tmp_path / "o"), "-vv")
    assert proc.returncode in (0, 3), proc.stderr
    assert "DEBUG" in proc.stderr and "GET" in proc.stderr          # request lines are there...
    for secret in secrets:
        assert secret not in proc.stderr and secret not in proc.stdout      # ...and no secret
    assert "Traceback" not in proc.stderr


def test_config_discovery_order(tmp_path: Path):
    from aggregator import config as config_mod

    xdg = tmp_path / "xdg"
    user = xdg / "dsar" / "dsar.toml"
    env = {"XDG_CONFIG_HOME": str(xdg), "HOME": str(tmp_path)}
    assert config_mod.discover(None, env=env)[0] in (None, config_mod.SYSTEM_PATH)
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert config_mod.discover(None, env=env) == (user, "$XDG_CONFIG_HOME/dsar/dsar.toml")
    assert config_mod.discover(None, env={**env, "DSAR_CONFIG": "/x.toml"}) == (Path("/x.toml"), "$DSAR_CONFIG")
    assert config_mod.discover("/y.toml", env={**env, "DSAR_CONFIG": "/x.toml"}) == (Path("/y.toml"), "--config")


def test_config_init_then_path_then_check_reads_it(sandbox, tmp_path: Path):
    import tomllib

    from aggregator import config as config_mod
    from aggregator.config_template import variable
    from aggregator.plugins import build_registry, plugin_manager

    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    proc = dsar("config", "path", env=env)
    assert proc.returncode == 2 and "dsar config init" in proc.stderr
    proc = dsar("config", "init", env=env)
    target = tmp_path / "xdg" / "dsar" / "dsar.toml"
    assert proc.returncode == 0 and proc.stdout.strip() == str(target), proc.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert dsar("config", "init", env=env).returncode == 2          # never overwritten without --force
    proc = dsar("config", "path", env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == str(target)
    text = target.read_text()
    registry = build_registry(plugin_manager())
    real = tomllib.loads(sandbox.config_toml())["connectors"]
    for name, cls in registry.connectors.items():       # every secret is a ${VAR}, never a value
        for key in cls.secret_settings:
            assert f'{key} = "${{{variable(name, next(s for s in cls.declared_settings if s.name == key))}}}"' in text
    values = {variable(n, s): str(real[n][s.name]) for n, cls in registry.connectors.items()
              for s in cls.all_settings() if s.required or s.secret}
    cfg = config_mod.load(target, env={**env, **values})
    assert set(cfg.connectors) == set(registry.connectors)
    proc = dsar("check", "--json", env={**env, **values, "SSL_CERT_FILE": ""}, cwd=tmp_path)
    assert json.loads(proc.stdout)["config"] == str(target)


def test_completion_scripts():
    import shutil

    bash = dsar("completion", "bash")
    assert bash.returncode == 0 and "complete -F _dsar dsar" in bash.stdout
    assert '"requests list") words="' in bash.stdout and "--due-within" in bash.stdout
    zsh = dsar("completion", "zsh")
    assert zsh.returncode == 0 and "bashcompinit" in zsh.stdout
    if shutil.which("bash"):
        assert subprocess.run(["bash", "-n"], input=bash.stdout, text=True).returncode == 0


@pytest.mark.parametrize(("signame", "code", "line"), [("SIGTERM", 143, "dsar: terminated"),
                                                        ("SIGINT", 130, "dsar: interrupted")])
def test_a_signal_stops_the_run_with_one_line_and_removes_the_throwaway_spool(sandbox, tmp_path: Path, signame,
                                                                              code, line):
    import os
    import signal
    import time

    from aggregator.sandbox.server import Fault

    config = tmp_path / "dsar.toml"
    config.write_text(sandbox.config_toml(["mailchimp"]))
    sandbox.inject(Fault("mailchimp", status=429, headers={"Retry-After": "50"}, times=None))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    full_env = {**os.environ, "TMPDIR": str(tmp)}
    full_env.pop("DSAR_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "export", OTHER, "--config", str(config),
                             "--no-register", "--out", str(tmp_path / "o")], env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(e.vendor == "mailchimp" and e.status == 429 for e in sandbox.log):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)                 # the connector is now in its rate-limit wait
        assert list(tmp.iterdir()), "the throw-away spool exists while the run goes on"
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "waiting for Mailchimp's rate limit until" in err          # plain progress lines off a terminal
    assert [x for x in err.splitlines() if x.startswith("dsar:")] == [line]
    assert "Traceback" not in err and out == ""
    assert list(tmp.iterdir()) == []
