"""The fault matrix: every vendor × every fault the sandbox can inject, each with its expected outcome.

Transient faults (a 429 with Retry-After, a burst of 5xx, a read timeout, a dropped connection) are retried away:
the connector ends ``complete`` with exactly the records of a clean run, in a bounded number of calls. Permanent
faults (malformed or truncated JSON, a redirect to another host, a wrong shape, hostile text) fail that connector
with one printable line, the package is ``partial``, and the other connector's records are all there. In every
case no traceback is logged and no secret appears in the package, the reasons or the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest

from aggregator.http import Redactor
from aggregator.logs import RedactingFilter
from aggregator.sandbox import Fault
from aggregator.sandbox.vendors.silvasoft import CREDENTIALS_BODY, RATE_LIMIT_BODY
from connectors.office365 import MAILBOX_CONCURRENCY
from tests.conftest import OTHER

VENDORS = ["lightspeed", "mailchimp", "office365", "paypal", "silvasoft"]
PARTNER = {"lightspeed": "mailchimp", "mailchimp": "paypal", "office365": "mailchimp", "paypal": "mailchimp",
           "silvasoft": "mailchimp"}
HOSTILE = "\x1b]0;pwned\x07\x1b[2J status: complete \ud83d"
MAX_RETRIES = 5            # RetryPolicy.attempts: a transient fault costs at most this many extra calls
# Office 365 starts a mailbox's first requests together: of a mailbox without Exchange Online (the sandbox's trainee),
# up to MAILBOX_CONCURRENCY - 1 more may already be on their way when its 404 comes, as many in one run as another
# happens to send; the clean run's count varies by that much.
RACED = {"office365": MAILBOX_CONCURRENCY - 1}


def no_sleep(_seconds: float) -> None:
    return None


@dataclass(frozen=True)
class Case:
    name: str
    fault: dict[str, Any]
    transient: bool
    reason: str = ""                   # a substring of the one-line reason, for permanent faults
    settings: tuple[tuple[str, Any], ...] = ()
    data: bool = False                 # aimed at the data requests (not the first, often a token or discovery)


CASES = [
    Case("429 with Retry-After", {"status": 429, "headers": {"Retry-After": "2"}, "body": {"error": "slow down"},
                                  "times": 1}, True),
    Case("burst of 5xx", {"status": 503, "body": {"error": "unavailable"}, "times": 3}, True),
    Case("read timeout", {"delay": 0.6, "times": 1}, True, settings=(("timeout", 0.2),)),
    Case("connection reset", {"drop": True, "times": 1}, True),
    Case("malformed JSON", {"status": 200, "body": b"{\"not\": json", "times": None}, False, "JSON"),
    Case("truncated body", {"truncate": True, "times": None}, False, ""),
    Case("cross-origin redirect", {"status": 302, "headers": {"Location": "https://evil.example/steal"},
                                   "times": None}, False, "refused to follow a redirect to another host"),
    Case("wrong shape", {"status": 200, "body": b"[[1, 2, 3]]", "times": None}, False, ""),
    Case("hostile text", {"status": 500, "body": {"error": HOSTILE, "message": HOSTILE}, "times": None}, False, ""),
    Case("wrong shape in the data", {"status": 200, "body": {"unexpected": {"id": [1, 2]}}, "times": None}, False, "",
         data=True),
]
DATA_PATHS = {"lightspeed": "/customers.json", "mailchimp": "/lists", "office365": "/v1.0/", "paypal": "/v1/reporting",
              "silvasoft": "/listrelations"}


@pytest.fixture(scope="module")
def clean_runs(sandbox, tmp_path_factory) -> dict[str, tuple[int, int]]:
    """(records, calls) of a clean run per vendor, the yardstick of the transient cases."""
    from aggregator import config as config_mod
    from aggregator.api import export

    out: dict[str, tuple[int, int]] = {}
    for vendor in VENDORS:
        cfg = config_mod.from_mapping(sandbox.config_mapping([vendor]), env={})
        result = export(OTHER, config=cfg, out_dir=tmp_path_factory.mktemp(vendor), entry_points=False,
                        sleep=no_sleep, adapters=sandbox.adapters(), request_id="clean")
        outcome = result.connectors[vendor]
        assert outcome.status == "complete", outcome.error
        out[vendor] = (outcome.records, outcome.calls)
        sandbox.clear()
    return out


def _secrets(sandbox) -> list[str]:
    mapping = sandbox.config_mapping()
    keys = ("api_key", "api_secret", "client_secret")
    return [str(v) for section in mapping["connectors"].values() for k, v in section.items() if k in keys]


def _capture(caplog, sandbox) -> None:
    """The CLI's handler setup on pytest's capturing handler: what the user would see on stderr."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter(Redactor(_secrets(sandbox))))


def _check_hygiene(pkg, caplog, sandbox) -> None:
    text = pkg.text()
    reasons = " ".join(o.error or "" for o in pkg.result.connectors.values())
    for secret in _secrets(sandbox):
        assert secret not in text and secret not in reasons and secret not in caplog.text
    assert "Traceback" not in caplog.text and "Traceback" not in reasons
    for o in pkg.result.connectors.values():
        for line in (o.error or "", *o.notes):
            assert "\x1b" not in line and "\n" not in line and "\ud83d" not in line


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_matrix(vendor: str, case: Case, run_export, sandbox, clean_runs, caplog):
    _capture(caplog, sandbox)
    partner = PARTNER[vendor]
    fault = sandbox.inject(Fault(vendor, **case.fault, **({"match": DATA_PATHS[vendor]} if case.data else {})))
    settings = {vendor: dict(case.settings)}
    pkg = run_export(OTHER, [vendor, partner], settings, sleep=no_sleep)
    outcome = pkg.result.connectors[vendor]
    records, calls = clean_runs[vendor]
    if case.transient:
        assert outcome.status == "complete", outcome.error
        assert outcome.records == records
        assert fault.hits >= 1 and outcome.calls <= calls + MAX_RETRIES + RACED.get(vendor, 0)   # hit, retried, bounded
        assert pkg.result.status == "complete"
    else:
        assert outcome.status == "failed", f"{vendor} {case.name}: {outcome.status} {outcome.records}"
        assert outcome.error and outcome.error.startswith(f"{vendor}: ") and case.reason in outcome.error
        assert not re.search(r"unexpected \w+(Error|Exception)\b", outcome.error)   # known, not a crash of ours
        assert outcome.calls <= calls + MAX_RETRIES + RACED.get(vendor, 0)    # no retry storm on a permanent fault
        assert pkg.result.status == "partial" and fault.hits >= 1
    assert pkg.result.connectors[partner].status == "complete"
    assert pkg.result.connectors[partner].records == clean_runs[partner][0]   # nothing of the other is lost
    _check_hygiene(pkg, caplog, sandbox)


VENDOR_401 = [
    ("silvasoft", {"status": 401, "body": RATE_LIMIT_BODY, "times": 1}, "complete", ""),
    ("silvasoft", {"status": 401, "body": CREDENTIALS_BODY, "times": None}, "failed", "401"),
    ("paypal", {"status": 401, "body": {"error": "invalid_token", "error_description": "Token signature verification "
                                        "failed"}, "match": "/v1/reporting", "times": 1}, "complete", ""),
    ("paypal", {"status": 401, "body": {"error": "invalid_client", "error_description": "Client Authentication "
                                        "failed"}, "match": "/v1/oauth2/token", "times": None},
     "failed", "invalid_client"),
    ("office365", {"status": 400, "body": {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid "
                                           "client secret provided."}, "match": "/oauth2/v2.0/token", "times": None},
     "failed", "invalid_client"),
    ("office365", {"status": 200, "body": b"<html>maintenance</html>", "match": "/oauth2/v2.0/token", "times": None},
     "failed", ""),
    ("office365", {"status": 307, "headers": {"Location": "https://evil.example/token"},
                   "match": "/oauth2/v2.0/token", "times": None}, "failed", "refused to follow a redirect"),
    ("paypal", {"status": 307, "headers": {"Location": "https://evil.example/token"},
                "match": "/v1/oauth2/token", "times": None}, "failed", "refused to follow a redirect"),
    ("lightspeed", {"status": 401, "body": {"error": {"code": 401, "message": "Invalid API key or secret"}},
                    "times": None}, "failed", "401"),
    ("mailchimp", {"status": 401, "body": {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                                           "title": "API Key Invalid", "status": 401,
                                           "detail": "Your API key may be invalid, or you've attempted to access "
                                                     "the wrong datacenter."}, "times": None}, "failed", "401"),
]


@pytest.mark.parametrize(("vendor", "fault", "expected", "reason"), VENDOR_401,
                         ids=[f"{v}-{f.get('status')}-{e}-{i}" for i, (v, f, e, _) in enumerate(VENDOR_401)])
def test_vendor_specific_auth_faults(vendor: str, fault: dict[str, Any], expected: str, reason: str, run_export,
                                     sandbox, clean_runs, caplog):
    _capture(caplog, sandbox)
    partner = PARTNER[vendor]
    sandbox.inject(Fault(vendor, **fault))
    pkg = run_export(OTHER, [vendor, partner], sleep=no_sleep)
    outcome = pkg.result.connectors[vendor]
    assert outcome.status == expected, outcome.error
    if expected == "complete":
        assert outcome.records == clean_runs[vendor][0]
    else:
        assert reason in (outcome.error or "")
        assert outcome.calls <= clean_runs[vendor][1] + MAX_RETRIES
    assert pkg.result.connectors[partner].records == clean_runs[partner][0]
    _check_hygiene(pkg, caplog, sandbox)
