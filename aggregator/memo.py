"""Memos kept per dataset: the packaging stage works a dataset's declarations out once (the keys at a path, how a
card shows a field, the shapes of its mappings) and every record of that dataset reuses the answer."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class PerDataset(Generic[V]):
    """A dict per (dataset, key) — a path prefix, a language — made empty on first use; keyed by the dataset's id,
    with the dataset kept beside it so a new dataset at a reused id starts afresh; all dropped at ``limit``."""

    def __init__(self, limit: int = 1024) -> None:
        self._memos: dict[tuple[int, Hashable], tuple[Any, dict[Any, V]]] = {}
        self._limit = limit

    def at(self, dataset: Any, key: Hashable) -> dict[Any, V]:
        """The memo of ``dataset`` at ``key``."""
        entry = self._memos.get((id(dataset), key))
        if entry is None or entry[0] is not dataset:
            if len(self._memos) >= self._limit:
                self._memos.clear()
            entry = self._memos[(id(dataset), key)] = (dataset, {})
        return entry[1]

    def clear(self) -> None:
        """Drop every memo."""
        self._memos.clear()

    def __len__(self) -> int:
        return len(self._memos)
