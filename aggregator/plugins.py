"""The plugin manager: built-in connectors (the modules named in :data:`DEFAULT_PLUGINS`) and third-party
plugins (entry-point group ``dsar_aggregator``) are loaded the same way, then validated on registration."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy

from aggregator import hookspecs
from aggregator.categories import CATEGORIES
from aggregator.connector import Connector
from aggregator.datasets import check_declarations
from aggregator.errors import DsarError
from aggregator.processors import Processor, build_register

ENTRY_POINT_GROUP = "dsar_aggregator"

# The built-in connectors, registered through the same manager (and the same validation) as third-party ones.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "connectors.lightspeed",
    "connectors.mailchimp",
    "connectors.office365",
    "connectors.paypal",
    "connectors.silvasoft",
)


class PluginError(DsarError):
    """A plugin registered something the core cannot accept."""


def default_plugins() -> list[ModuleType]:
    """The modules of :data:`DEFAULT_PLUGINS`, imported."""
    return [importlib.import_module(name) for name in DEFAULT_PLUGINS]


def plugin_manager(*, entry_points: bool = True, extra: Iterable[object] = ()) -> pluggy.PluginManager:
    """A fresh manager for one run: built-ins, then entry points, then ``extra`` plugin objects."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for module in default_plugins():
        pm.register(module, name=f"builtin:{module.__name__}")
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra:
        pm.register(plugin)
    return pm


@dataclass(frozen=True)
class Registry:
    """What the plugins registered, validated: the processor register and the connectors by name."""

    processors: dict[str, Processor]
    connectors: dict[str, type[Connector]]


def build_registry(pm: pluggy.PluginManager,
                   processor_overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Registry:
    """The processors and connectors the plugins register, validated (the config's processor overrides applied);
    anything the core cannot accept raises PluginError."""
    extra_processors: dict[str, Processor] = {}

    def register_processor(processor: Processor) -> None:
        if not isinstance(processor, Processor):
            raise PluginError(f"register_processors: expected a Processor, got {processor!r}")
        if processor.key in extra_processors:
            raise PluginError(f"processor {processor.key!r} registered twice")
        extra_processors[processor.key] = processor

    pm.hook.register_processors(register=register_processor)
    processors = build_register(processor_overrides, extra=extra_processors)

    found: dict[str, type[Connector]] = {}

    def register_connector(cls: type[Connector]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise PluginError(f"register_connectors: {cls!r} is not a Connector subclass")
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise PluginError(f"connector {cls.__name__}: name must be an identifier, got {name!r}")
        if name in found:
            raise PluginError(f"connector name {name!r} registered twice")
        if getattr(cls, "processor", None) not in processors:
            raise PluginError(f"connector {name!r}: unknown processor {getattr(cls, 'processor', None)!r}")
        categories = getattr(cls, "categories", ())
        unknown = [c for c in categories if c not in CATEGORIES]
        if not categories or unknown:
            raise PluginError(f"connector {name!r}: unknown or no categories {unknown}")
        problems = check_declarations(name, tuple(categories), tuple(getattr(cls, "datasets", ())))
        if problems:
            raise PluginError(f"connector {name!r}: {'; '.join(problems)}")
        found[name] = cls

    pm.hook.register_connectors(register=register_connector)
    return Registry(processors=processors, connectors=dict(sorted(found.items())))
