"""The core: subject, config, plugins and their validation, the runner's isolation, HTTP retries, redaction,
and the package (manifest schema, checksums, atomic 0600 zip)."""

from __future__ import annotations

import hashlib
import inspect
import json
import signal
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from aggregator import config as config_mod
from aggregator import hookspecs
from aggregator.connector import Connector
from aggregator.errors import ConfigError, ConnectorError, InputError
from aggregator.hookspecs import hookimpl
from aggregator.http import Redactor, RetryPolicy, VendorSession, parse_retry_after
from aggregator.plugins import PluginError, build_registry, plugin_manager
from aggregator.processors import Processor
from aggregator.sandbox import Fault
from aggregator.subject import Subject
from tests.conftest import EMPTY, OTHER

SCHEMA = json.loads((Path(__file__).parents[1] / "aggregator" / "schemas" / "manifest.schema.json").read_text())


# ---------------------------------------------------------------- subject
@pytest.mark.parametrize("raw", ["", "jan", "jan@", "@example.be", "jan@example", "jan desmet@example.be",
                                 "jan@@example.be", "<jan@example.be>", "jan..d@example.be"])
def test_malformed_emails_are_rejected(raw: str):
    with pytest.raises(InputError, match="not a valid e-mail address"):
        Subject.parse(raw)


def test_email_is_trimmed_and_lower_cased():
    s = Subject.parse("  Jan.Desmet@Example.BE\n", customer_number=" 1001 ")
    assert s == Subject("jan.desmet@example.be", "1001")
    assert s.matches("JAN.DESMET@example.be") and not s.matches("jan.desmet@example.com")


# ---------------------------------------------------------------- config
def test_env_substitution_and_missing_variable_names_the_key_not_a_value():
    data = {"connectors": {"lightspeed": {"base_url": "https://x/nl/", "api_key": "${LS_KEY}",
                                           "api_secret": "${LS_SECRET}"}}}
    cfg = config_mod.from_mapping(data, env={"LS_KEY": "k-123", "LS_SECRET": "s-456"})
    assert cfg.connectors["lightspeed"]["api_secret"] == "s-456"
    with pytest.raises(ConfigError) as exc:
        config_mod.from_mapping(data, env={"LS_KEY": "k-123"})
    assert str(exc.value) == ("config: connectors.lightspeed.api_secret needs environment variable LS_SECRET, "
                              "which is not set")


def test_config_file_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found"):
        config_mod.load(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[connectors.lightspeed\napi_key = 1\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        config_mod.load(bad, env={})
    with pytest.raises(ConfigError, match="unknown table"):
        config_mod.from_mapping({"conectors": {}}, env={})


def test_defaults_come_from_the_privacy_policy():
    cfg = config_mod.load(None, env={})
    assert cfg.controller["legal_entity"] == "Securco BV" and cfg.response_days == 30
    assert cfg.connectors == {}


# ---------------------------------------------------------------- plugins
class _Good(Connector):
    name = "good"
    processor = "mailchimp"
    categories = ("contact",)

    def collect(self):
        yield self.ctx.record("contact", "thing", {"email": self.ctx.subject.email}, endpoint="GET /x", vendor_id=1)


def _plugin(*classes: type, processors: tuple[Processor, ...] = ()) -> object:
    class P:
        @hookimpl
        def register_connectors(self, register: Callable[[type], None]) -> None:
            for c in classes:
                register(c)

        @hookimpl
        def register_processors(self, register: Callable[[Processor], None]) -> None:
            for p in processors:
                register(p)

    return P()


def test_builtins_are_loaded_as_default_plugins():
    registry = build_registry(plugin_manager(entry_points=False))
    assert "lightspeed" in registry.connectors
    assert set(registry.processors) >= {"lightspeed", "mailchimp", "paypal", "silvasoft", "office365", "transport",
                                        "google_analytics"}


@pytest.mark.parametrize(("attrs", "message"), [
    ({"categories": ("contact", "horoscope")}, "unknown or no categories"),
    ({"categories": ()}, "unknown or no categories"),
    ({"processor": "acme"}, "unknown processor 'acme'"),
    ({"name": "not a name"}, "name must be an identifier"),
    ({"name": "lightspeed"}, "registered twice"),
])
def test_registration_is_validated(attrs: dict, message: str):
    bad = type("Bad", (_Good,), dict(attrs))
    with pytest.raises(PluginError, match=message):
        build_registry(plugin_manager(entry_points=False, extra=[_plugin(bad)]))


def test_a_plugin_can_bring_its_own_processor():
    acme = Processor("acme", "Acme CRM", "CRM", "Customer care", "Contract", "Name", "NL", "EEA", "2 years")
    cls = type("AcmeConn", (_Good,), {"name": "acme", "processor": "acme"})
    registry = build_registry(plugin_manager(entry_points=False, extra=[_plugin(cls, processors=(acme,))]))
    assert registry.connectors["acme"] is cls and registry.processors["acme"].name == "Acme CRM"


def test_a_plugins_processor_can_be_overridden_in_config():
    acme = Processor("acme", "Acme CRM", "CRM", "Customer care", "Contract", "Name", "NL", "EEA", "2 years")
    registry = build_registry(plugin_manager(entry_points=False, extra=[_plugin(processors=(acme,))]),
                              {"acme": {"retention": "1 year"}})
    assert registry.processors["acme"].retention == "1 year" and registry.processors["acme"].name == "Acme CRM"


def test_every_hook_has_a_test_of_its_effect():
    """A new hook spec fails this test until a test of what it does is named here (datasette's rule)."""
    tested = {"register_connectors": test_third_party_connector_data_lands_in_the_package,
              "register_processors": test_a_plugin_can_bring_its_own_processor}
    specs = {n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "dsar_aggregator_spec")}
    assert specs == set(tested)
    for name, test in tested.items():
        assert f"def {name}(" in inspect.getsource(_plugin) and "_plugin(" in inspect.getsource(test)


def test_third_party_connector_data_lands_in_the_package(run_export):
    pkg = run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)])
    [rec] = pkg.data("contact", "mailchimp")
    assert rec["data"] == {"email": OTHER} and rec["source"]["connector"] == "good"
    assert rec["source"]["endpoint"] == "GET /x" and rec["source"]["vendor_id"] == "1"


def test_one_connector_crashing_never_hides_another(run_export):
    class Crashing(_Good):
        name = "crashing"

        def collect(self):
            yield self.ctx.record("contact", "first", {"a": 1}, endpoint="-")
            raise RuntimeError("boom\nsecond line")

    class Liar(_Good):
        name = "liar"

        def collect(self):
            yield self.ctx.record("payments", "oops", {}, endpoint="-")

    pkg = run_export(OTHER, [], {"good": {}, "crashing": {}, "liar": {}}, plugins=[_plugin(_Good, Crashing, Liar)])
    out = pkg.result.connectors
    assert pkg.result.status == "partial"
    assert out["good"].status == "complete" and out["good"].records == 1
    assert out["crashing"].error == "crashing: unexpected RuntimeError: boom second line"
    assert out["liar"].error == "liar: emitted undeclared category 'payments'"
    assert "Not complete: crashing, liar could not be queried" in pkg.manifest["summary"]["statement"]


def test_missing_required_setting_is_a_config_error_before_any_request(run_export, sandbox):
    with pytest.raises(ConfigError, match=r"^config: connectors.lightspeed.api_secret is missing( \(.*\))?$"):
        run_export(OTHER, ["lightspeed"], {"lightspeed": {"api_secret": ""}})
    assert sandbox.requests_to("lightspeed") == []


def test_only_unknown_name_is_an_input_error(run_export):
    with pytest.raises(InputError, match="unknown connector"):
        run_export(OTHER, [], only=["nope"])


# ---------------------------------------------------------------- HTTP
def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # in the past: no wait


def test_session_retries_5xx_and_honours_retry_after(sandbox):
    sandbox.inject(Fault("lightspeed", status=503, times=1, headers={"Retry-After": "4"}))
    sandbox.inject(Fault("lightspeed", status=502, times=1))
    waits: list[float] = []
    s = VendorSession("lightspeed", ca_bundle=str(sandbox.ca_path), sleep=waits.append,
                      retry=RetryPolicy(attempts=3))
    r = s.get(sandbox.vendor_url("lightspeed") + "/nl/customers.json", auth=("sandbox-ls-key-7c1e",
                                                                             "sandbox-ls-secret-94b2d0"))
    assert r.status_code == 200 and s.calls == 3
    assert waits[0] == 4.0 and 0 < waits[1] <= 60


def test_session_gives_up_after_bounded_attempts(sandbox):
    sandbox.inject(Fault("lightspeed", status=500, times=None))
    s = VendorSession("lightspeed", ca_bundle=str(sandbox.ca_path), sleep=lambda _: None,
                      retry=RetryPolicy(attempts=3))
    r = s.get(sandbox.vendor_url("lightspeed") + "/nl/customers.json")
    assert r.status_code == 500 and s.calls == 3


def test_ca_bundle_holds_even_when_the_environment_names_another(sandbox, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    s = VendorSession("lightspeed", ca_bundle=str(sandbox.ca_path))
    assert s.get(sandbox.vendor_url("lightspeed") + "/nl/x.json").status_code == 401  # TLS worked


def test_redactor_hides_secrets_and_authorization_values():
    r = Redactor(["s3cr3t-value"])
    assert r("token s3cr3t-value in url?key=s3cr3t-value") == "token *** in url?key=***"
    assert r("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc") == "Authorization: Bearer ***"


# ---------------------------------------------------------------- the package
def test_manifest_validates_and_checksums_match(run_export):
    received = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    pkg = run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)], received_at=received, request_id="REQ-1")
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(pkg.manifest)
    m = pkg.manifest
    assert m["request_id"] == "REQ-1" and m["received_at"] == "2026-11-01T09:30:00Z"
    assert m["due_at"] == "2026-12-01T09:30:00Z"
    names = set(pkg.zip.namelist())
    assert {"manifest.json", "index.html", "data/contact/mailchimp.json", "data/contact/mailchimp.csv"} <= names
    for f in m["files"]:
        body = pkg.zip.read(f["path"])
        assert len(body) == f["bytes"] and hashlib.sha256(body).hexdigest() == f["sha256"]
    assert {f["path"] for f in m["files"]} == names - {"manifest.json"}
    assert m["connectors"]["lightspeed"]["status"] == "not_configured"
    assert stat.S_IMODE(pkg.result.package.stat().st_mode) == 0o600
    assert hashlib.sha256(pkg.result.package.read_bytes()).hexdigest() == pkg.result.sha256
    assert not list(pkg.result.package.parent.glob(".*.part"))


def test_csv_only_for_flat_records(run_export):
    class Nested(_Good):
        name = "nested"

        def collect(self):
            yield self.ctx.record("contact", "thing", {"a": {"b": 1}}, endpoint="-")

    pkg = run_export(EMPTY, [], {"nested": {}}, plugins=[_plugin(Nested)])
    assert "data/contact/mailchimp.json" in pkg.zip.namelist()
    assert "data/contact/mailchimp.csv" not in pkg.zip.namelist()


def test_processor_register_is_overridable_in_config():
    default = build_registry(plugin_manager(entry_points=False)).processors["mailchimp"]
    assert default.retention.startswith("Until unsubscription")
    cfg = config_mod.from_mapping({"processors": {"mailchimp": {"retention": "30 days after unsubscribing."}}},
                                  env={})
    registry = build_registry(plugin_manager(entry_points=False), cfg.processors)
    assert registry.processors["mailchimp"].retention == "30 days after unsubscribing."
    with pytest.raises(ConfigError, match="unknown key"):
        build_registry(plugin_manager(entry_points=False), {"mailchimp": {"colour": "red"}})


def test_attachments_survive_their_connectors_failure(run_export):
    class Attaching(_Good):
        name = "attaching"

        def collect(self):
            path = self.ctx.attach("contact", "offer.pdf", b"%PDF-1.4 offer")
            yield self.ctx.record("contact", "thing", {"file": path}, endpoint="-")
            raise RuntimeError("later failure")

    pkg = run_export(OTHER, [], {"attaching": {}}, plugins=[_plugin(Attaching)])
    [rec] = pkg.data("contact", "mailchimp")
    assert rec["data"]["file"] == "attachments/mailchimp/offer.pdf"
    assert pkg.zip.read("attachments/mailchimp/offer.pdf") == b"%PDF-1.4 offer"
    assert pkg.result.connectors["attaching"].status == "failed"


def test_a_failing_progress_callback_costs_nothing(run_export):
    def progress(name: str, records: int, status: str) -> None:
        raise ConnectionError("portal websocket closed")

    pkg = run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)], progress=progress)
    assert pkg.result.status == "complete" and pkg.result.connectors["good"].records == 1


def test_every_connector_is_on_the_display_before_any_starts(run_export):
    """A connector whose thread starts late still has its line from the first frame: the runner announces them
    all, in the registry's order, from the calling thread before it starts any (a CI run once caught a display
    block with two of three lines while the third connector's thread had not yet run)."""
    class Second(_Good):
        name = "second"

    events: list[tuple[str, str, bool]] = []

    def progress(name: str, records: int, status: str) -> None:
        events.append((name, status, threading.current_thread() is threading.main_thread()))

    pkg = run_export(OTHER, [], {"good": {}, "second": {}}, plugins=[_plugin(_Good, Second)], progress=progress)
    assert pkg.result.status == "complete"
    assert events[:2] == [("good", "running", True), ("second", "running", True)], events
    assert [e for e in events[2:] if e[1] == "running"] == [], events      # announced once, not again per thread


def _interrupt_on_another_thread(ready: threading.Event, timeout: float) -> None:
    """Ctrl-C as a terminal sends it (to the process), landing on a thread other than the main one: the case in
    which a main thread blocked without a timeout never sees it (the kernel picks the thread; this test picks the
    worst one every time instead of now and then)."""
    def fire() -> None:
        if ready.wait(timeout):
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    threading.Thread(target=fire, daemon=True).start()


def test_interrupt_ends_waits_at_once(tmp_path: Path):
    """Ctrl-C during a connector's 300 s wait (a Retry-After, a rate-limit pause) ends the run at once (well
    within 30 s even on a loaded machine)."""
    import threading
    import time as time_mod

    from aggregator.runner import run
    from aggregator.spool import Spool

    started = threading.Event()
    ended = threading.Event()

    class Waiting(_Good):
        name = "waiting"

        def collect(self):
            started.set()
            try:
                self.ctx.sleep(300)
            finally:
                ended.set()
            yield from ()

    registry = build_registry(plugin_manager(entry_points=False, extra=[_plugin(Waiting)]))
    cfg = config_mod.from_mapping({"connectors": {"waiting": {}}}, env={})
    _interrupt_on_another_thread(started, 30)
    t0 = time_mod.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run(Subject.parse(OTHER), cfg, registry, Spool(tmp_path))
    assert ended.wait(30), "the connector's wait did not end after the interrupt"
    assert time_mod.monotonic() - t0 < 30


def test_interrupt_sends_no_further_request_and_leaves_no_thread_writing(sandbox, tmp_path: Path):
    """Ctrl-C while connectors are busy with HTTP: nothing new is sent, and when run() returns every connector
    has stopped, so the caller can delete the spool (the subject's data) without a thread writing it again."""
    import threading
    import time as time_mod

    from aggregator.runner import run
    from aggregator.spool import Spool

    url = sandbox.vendor_url("lightspeed") + "/nl/customers.json"
    first = threading.Event()

    class Busy(_Good):
        name = "busy"

        def collect(self):
            http = self.ctx.session()
            for i in range(50):
                http.get(url)
                first.set()
                yield self.ctx.record("contact", "thing", {"i": i}, endpoint="-")

    sandbox.latency["lightspeed"] = 0.3
    registry = build_registry(plugin_manager(entry_points=False, extra=[_plugin(Busy)]))
    cfg = config_mod.from_mapping({"connectors": {"busy": {}}, "tls": {"ca_bundle": str(sandbox.ca_path)}}, env={})
    _interrupt_on_another_thread(first, 10)
    with pytest.raises(KeyboardInterrupt):
        run(Subject.parse(OTHER), cfg, registry, Spool(tmp_path))
    sent = len(sandbox.requests_to("lightspeed"))
    assert sent <= 3
    assert not [t for t in threading.enumerate() if t.name.startswith("dsar_")]   # the runner's workers
    time_mod.sleep(0.7)
    assert len(sandbox.requests_to("lightspeed")) == sent


def test_two_runs_of_one_request_id_never_corrupt_the_package(run_export):
    import threading
    import zipfile

    results: list = []

    def one() -> None:
        results.append(run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)], request_id="PORTAL-123"))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    paths = {r.result.package for r in results}
    assert len(paths) == 3                                   # three packages, none written over another
    for r in results:
        assert zipfile.ZipFile(r.result.package).testzip() is None
        assert hashlib.sha256(r.result.package.read_bytes()).hexdigest() == r.result.sha256
    assert not list(results[0].result.package.parent.glob(".*.part"))


def test_a_second_run_of_one_request_id_never_overwrites_the_first_package(run_export):
    first = run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)], request_id="PORTAL-9")
    before = first.result.package.read_bytes()
    second = run_export(OTHER, [], {"good": {}}, plugins=[_plugin(_Good)], request_id="PORTAL-9")
    assert first.result.package.name == "dsar-PORTAL-9.zip"
    assert second.result.package.name == "dsar-PORTAL-9-2.zip"
    assert first.result.package.read_bytes() == before


def test_a_directory_in_the_packages_way_is_exit_2_before_any_request(run_export, sandbox, tmp_path):
    (tmp_path / "out" / "dsar-PORTAL-7.zip").mkdir(parents=True)
    with pytest.raises(InputError, match="is a directory or a link"):
        run_export(OTHER, ["lightspeed"], request_id="PORTAL-7")
    assert sandbox.requests_to("lightspeed") == []


def test_a_body_cut_off_midway_is_retried_then_reported_in_one_line(sandbox):
    url = sandbox.vendor_url("lightspeed") + "/nl/customers.json"
    auth = ("sandbox-ls-key-7c1e", "sandbox-ls-secret-94b2d0")
    sandbox.inject(Fault("lightspeed", cut=True, times=1))
    s = VendorSession("lightspeed", ca_bundle=str(sandbox.ca_path), sleep=lambda _: None)
    s.auth = auth
    assert s.get_json(url)["customers"] and s.calls == 2
    sandbox.inject(Fault("lightspeed", cut=True, times=None))
    s = VendorSession("lightspeed", ca_bundle=str(sandbox.ca_path), sleep=lambda _: None,
                      retry=RetryPolicy(attempts=3))
    s.auth = auth
    with pytest.raises(ConnectorError, match=r"^lightspeed: connection broken while reading GET "
                                             r"/lightspeed/nl/customers.json$"):
        s.get_json(url)
    assert s.calls == 3


def test_page_guard_stops_repeats_and_endless_paging():
    from aggregator.errors import VendorError
    from aggregator.paging import PageGuard

    guard = PageGuard("acme", "GET /x", max_pages=3)
    guard.check([1, 2])
    guard.check("https://acme/x?page=2")
    with pytest.raises(VendorError, match=r"^acme: paging did not advance at GET /x \(page 3 repeats an earlier"):
        guard.check([1, 2])
    guard = PageGuard("acme", "GET /x", max_pages=2, hint="raise page_size")
    guard.check(1)
    guard.check(2)
    with pytest.raises(VendorError, match=r"after 2 pages; stopped \(raise page_size\)$"):
        guard.check(3)
