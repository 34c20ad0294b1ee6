"""Shared fixtures: one sandbox per test session (faults and logs cleared after each test), and a helper
that runs a real export against it and opens the package."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aggregator import config as config_mod
from aggregator.api import ExportResult, export
from aggregator.sandbox import Sandbox

DEMO = "jan.desmet@example.be"
OTHER = "sofie.claes@example.com"
EMPTY = "niemand@example.org"
NEAR_MISS = "jan.desmet@example.com"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that talk to the HTTPS sandbox form the ``sandbox`` tier; the rest are the fast unit tier."""
    for item in items:
        if "sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sandbox)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(autouse=True)
def _private_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every ``dsar`` it starts) records to a register under tmp_path, never the user's."""
    path = tmp_path / "register" / "register.sqlite3"
    monkeypatch.setenv("DSAR_REGISTER", str(path))
    return path


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").clear()


@dataclass
class Package:
    """An opened package: the export result, its manifest, and its data files by path."""

    result: ExportResult
    manifest: dict[str, Any]
    zip: zipfile.ZipFile

    def data(self, category: str, processor: str) -> list[dict[str, Any]]:
        name = f"data/{category}/{processor}.json"
        if name not in self.zip.namelist():
            return []
        return json.loads(self.zip.read(name))

    def records(self, processor: str, dataset: str | None = None) -> list[dict[str, Any]]:
        out = []
        for name in self.zip.namelist():
            if name.startswith("data/") and name.endswith(f"/{processor}.json"):
                out += [r for r in json.loads(self.zip.read(name)) if dataset in (None, r["dataset"])]
        return out

    def text(self) -> str:
        """Everything in the package as one string (for "nobody else's data leaks" checks)."""
        return "\n".join(self.zip.read(n).decode("utf-8", "replace") for n in self.zip.namelist())


@pytest.fixture
def run_export(sandbox: Sandbox, tmp_path: Path):
    """``run_export(email, vendors=["lightspeed"], settings={"lightspeed": {...}}, **export_kwargs)``: a real
    export against the sandbox's vendor apps, answered in-process (``https=True``: over the HTTPS server)."""

    def _run(email: str, vendors: list[str] | None = None, settings: dict[str, dict[str, Any]] | None = None,
             https: bool = False, tables: dict[str, dict[str, Any]] | None = None, **kwargs: Any) -> Package:
        mapping = sandbox.config_mapping(vendors)
        for name, extra in (settings or {}).items():
            mapping["connectors"].setdefault(name, {}).update(extra)
        mapping.update(tables or {})          # other config tables, e.g. {"redaction": {"enabled": False}}
        cfg = config_mod.from_mapping(mapping, env={}, source="<test>")
        kwargs.setdefault("entry_points", False)
        if not https:        # the fast tier: the same sandbox apps and faults, answered in-process
            kwargs.setdefault("adapters", sandbox.adapters())
        kwargs.setdefault("request_id", "test-request")   # a random id could hold a digit run a test greps for
        result = export(email, config=cfg, out_dir=tmp_path / "out", **kwargs)
        zf = zipfile.ZipFile(result.package)
        return Package(result, json.loads(zf.read("manifest.json")), zf)

    return _run


def together(run_export: Any, count: int, vendor: str, settings: dict[str, Any], **kwargs: Any) -> list[Any]:
    """``count`` exports of the demo customer by ``vendor`` alone, started together in threads (``settings`` its
    connector's, ``kwargs`` for ``run_export``); their packages, in order. A thread's error is raised here."""
    import threading

    results: list[Any] = [None] * count

    def one(i: int) -> None:
        try:
            results[i] = run_export(DEMO, vendors=[vendor], settings={vendor: settings}, request_id=f"t{i}",
                                    **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test below
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def offering_plugin(name: str, kind: str, offers: list[tuple[str, dict[str, Any]]], delay: float = 0.0) -> object:
    """A test-only plugin: a connector (processor "lightspeed") that offers identifiers of ``kind``, as the
    webshop connector does, so another connector's lookups can be tested without Lightspeed."""
    import time
    from collections.abc import Callable

    from aggregator.connector import Connector, Record
    from aggregator.hookspecs import hookimpl

    class Offering(Connector):
        processor = "lightspeed"
        categories = ("orders",)
        provides = (kind,)

        def collect(self) -> Iterator[Record]:
            time.sleep(delay)
            for value, attrs in offers:
                self.ctx.offer(kind, value, **attrs)
            return iter(())

    Offering.name = name

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
            register(Offering)

    return Plugin()
