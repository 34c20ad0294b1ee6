"""The hooks a dsar-aggregator plugin can implement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("dsar_aggregator")
hookimpl = pluggy.HookimplMarker("dsar_aggregator")


@hookspec
def register_processors(register: Callable[..., None]) -> None:
    """Register processors (``register(Processor(...))``) that are not in the shop's default register."""


@hookspec
def register_connectors(register: Callable[[type[Any]], None]) -> None:
    """Register connector classes (``register(MyConnector)``); the core validates each one."""

