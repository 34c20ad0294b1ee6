"""``dsar check``: one cheap authenticated call per connector against the sandbox; a wrong secret is that
connector's line and exit 3; a broken config is exit 2 before any request."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from aggregator import cli
from aggregator.check import FAILED, PLAN_LIMIT, TLS_PROBLEM, UNREACHABLE, WRONG_CREDENTIALS, classify
from aggregator.errors import ConnectorError, VendorError
from aggregator.sandbox.server import Fault

SECRETS = {"lightspeed": "api_secret", "mailchimp": "api_key", "paypal": "client_secret",
           "silvasoft": "api_key", "office365": "client_secret"}


def write_config(sandbox, tmp_path: Path, change: dict[str, dict[str, str]] | None = None) -> Path:
    data = tomllib.loads(sandbox.config_toml())
    for name, values in (change or {}).items():
        data["connectors"][name].update(values)
    lines = []
    for table, body in data.items():
        if table == "connectors":
            for name, section in body.items():
                lines.append(f"[connectors.{name}]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in section.items()]
        else:
            lines.append(f"[{table}]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in body.items()]
    path = tmp_path / "dsar.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_against_the_sandbox_is_ok_for_all_five(sandbox, tmp_path, capsys):
    code = cli.main(["check", "--config", str(write_config(sandbox, tmp_path)), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] is True
    states = {c["connector"]: (c["state"], c["detail"]) for c in out["connectors"]}
    assert set(states) == set(SECRETS)
    assert all(state == "ok" for state, _ in states.values()), states
    assert states["lightspeed"][1] == "shop Mega Security (id 36104)"
    assert states["mailchimp"][1].startswith("account Mega Security")
    assert "mailbox" in states["office365"][1]
    assert "1 of the plan's" in states["silvasoft"][1]          # it says what the check cost
    log = sandbox.log
    assert {e.vendor for e in log} == set(SECRETS)
    assert sum(1 for e in log if e.vendor == "silvasoft") == 1  # one request of the hourly plan, no more


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_wrong_secret_gives_that_line_and_exit_3(sandbox, tmp_path, capsys, name):
    secret = "wrongkey00000000000000000000000-us21" if name == "mailchimp" else "definitely-not-the-secret-9f3"
    config = write_config(sandbox, tmp_path, {name: {SECRETS[name]: secret}})
    code = cli.main(["check", "--config", str(config)])
    captured = capsys.readouterr()
    assert code == 3
    lines = {line.split()[1]: line for line in captured.out.splitlines()}
    assert set(lines) == set(SECRETS)
    assert "wrong credentials" in lines[name] and lines[name].startswith("✗")
    assert all(line.startswith("✓ ") and " ok " in line for n, line in lines.items() if n != name)
    assert secret not in captured.out + captured.err
    assert "Traceback" not in captured.err


def test_plan_limit_reached_when_silvasoft_answers_its_rate_limit(sandbox, tmp_path, capsys):
    sandbox.inject(Fault("silvasoft", status=401, times=None,
                         body={"errorCode": "UNAUTHORIZED", "errorMessage": "Ratelimit exceeded"}))
    config = write_config(sandbox, tmp_path)
    code = cli.main(["check", "--config", str(config), "--only", "silvasoft", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3
    assert [c["state"] for c in out["connectors"]] == ["plan limit reached"]


def test_unreachable_vendor(sandbox, tmp_path, capsys):
    config = write_config(sandbox, tmp_path, {"paypal": {"base_url": "https://127.0.0.1:9"}})
    assert cli.main(["check", "--config", str(config), "--only", "paypal"]) == 3
    assert "unreachable" in capsys.readouterr().out


def test_tls_problem_when_the_vendor_certificate_is_not_trusted(sandbox, tmp_path, capsys):
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    config = write_config(sandbox, tmp_path)
    text = config.read_text()
    assert "ca_bundle" in text
    config.write_text("\n".join(f'ca_bundle = "{other_ca}"' if line.startswith("ca_bundle") else line
                                for line in text.splitlines()) + "\n")
    assert cli.main(["check", "--config", str(config), "--only", "lightspeed,paypal"]) == 3
    out = capsys.readouterr().out
    assert out.count("TLS problem") == 2, out


def test_config_error_is_exit_2_before_any_request(sandbox, tmp_path, capsys):
    config = write_config(sandbox, tmp_path)
    config.write_text(config.read_text().replace("[connectors.paypal]", "[connectors.paypal]\nbogus = 1"))
    assert cli.main(["check", "--config", str(config)]) == 2
    assert "connectors.paypal has no setting bogus" in capsys.readouterr().err
    assert sandbox.log == []


@pytest.mark.parametrize(("exc", "state"), [
    (VendorError("x: 401 Unauthorized", status=401), WRONG_CREDENTIALS),
    (VendorError("x: 403 Forbidden", status=403), WRONG_CREDENTIALS),
    (VendorError("x: 429 Too Many Requests", status=429), PLAN_LIMIT),
    (VendorError("silvasoft: 401 UNAUTHORIZED: Ratelimit exceeded", status=401), PLAN_LIMIT),
    (ConnectorError("x: cannot connect to api.example.com"), UNREACHABLE),
    (ConnectorError("x: timed out calling GET /"), UNREACHABLE),
    (ConnectorError("x: TLS verification failed for api.example.com"), TLS_PROBLEM),
    (VendorError("x: 500 Internal Server Error", status=500), FAILED),
])
def test_error_kinds_map_to_states(exc, state):
    assert classify(exc) == state
