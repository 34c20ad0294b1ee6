"""Everything a plugin author or an operator relies on is documented, and the generated parts of the README
match the code (in the manner of datasette's tests/test_docs.py)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from aggregator import docs, hookspecs
from aggregator.connector import Connector
from aggregator.plugins import build_registry, plugin_manager

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGISTRY = build_registry(plugin_manager(entry_points=False))
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "dsar_aggregator_spec")]
CONNECTORS = list(REGISTRY.connectors.items())


def test_there_are_hooks_to_document():
    assert HOOKS == ["register_connectors", "register_processors"]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_one_sentence_docstring_and_is_in_the_readme(hook: str):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert doc and doc.endswith(".") and "\n" not in doc
    assert f"def {hook}(" in README


def test_the_readme_settings_reference_is_generated_from_the_declarations():
    assert docs.render_readme(README, REGISTRY) == README, "run: python -m aggregator.docs"


@pytest.mark.parametrize(("name", "cls"), CONNECTORS, ids=[n for n, _ in CONNECTORS])
def test_every_setting_is_declared_with_help_and_in_the_readme(name: str, cls: type[Connector]):
    block = README.split(docs.START, 1)[1].split(docs.END, 1)[0]
    section = block.split(f"`[connectors.{name}]`", 1)[1].split("#### ", 1)[0]
    for setting in cls.all_settings():
        assert setting.help.strip(), f"{name}.{setting.name} has no help"
        assert f"| `{setting.name}` |" in section, f"{name}.{setting.name} missing from the README"
    assert cls.description, f"{name} has no description"


_VENDOR_KEY = re.compile(r"^[a-z]+([A-Z][a-z0-9]*)+$|^[a-z0-9]+(_[a-z0-9]+)+$")


@pytest.mark.parametrize(("name", "cls"), CONNECTORS, ids=[n for n, _ in CONNECTORS])
def test_every_dataset_field_has_a_label_a_person_can_read(name: str, cls: type[Connector]):
    for dataset in cls.datasets:
        assert dataset.nl and dataset.en and dataset.nl != dataset.name
        for path, field in dataset.fields.items():
            for label in (field.nl, field.en):
                assert label.strip(), f"{name}.{dataset.name}.{path}: empty label"
                assert not _VENDOR_KEY.match(label), f"{name}.{dataset.name}.{path}: {label!r} is a vendor key"
            for code, (nl, en) in field.glossary.items():
                assert nl and en, f"{name}.{dataset.name}.{path}: glossary entry {code!r} unlabelled"
