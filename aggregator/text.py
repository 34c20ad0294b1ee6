"""Vendor text made safe to store, print and render: lone surrogates (which no UTF-8 file or terminal can take)
and control characters (terminal escapes, NUL, BEL) replaced, and nesting depth bounded, without recursion."""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
MAX_DEPTH = 64            # nesting a record may have; deeper is a vendor fault, not personal data

# C0 controls except tab, line feed and carriage return; DEL and C1 controls (ESC [ … CSI, OSC); lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class TooDeep(ValueError):
    """A value nested deeper than :data:`MAX_DEPTH`."""


def clean(text: str) -> tuple[str, int]:
    """``text`` with every unsafe character replaced by U+FFFD, and how many were replaced."""
    out, count = _UNSAFE.subn(REPLACEMENT, text)
    return out, count


def printable(text: object) -> str:
    """One line safe for a terminal: every control character (escapes, line breaks) and lone surrogate
    replaced, so a vendor's text cannot move the cursor, set a window title or fake a status line."""
    return _UNSAFE_ONE_LINE.sub(REPLACEMENT, str(text))


def clean_data(data: Any, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """A copy of JSON-like ``data`` with every string (keys too) cleaned; returns it and the number of
    characters replaced. Raises :class:`TooDeep` past ``max_depth`` levels. Iterative: any depth is safe."""
    replaced = 0

    def fix(value: str) -> str:
        nonlocal replaced
        cleaned, n = clean(value)
        replaced += n
        return cleaned

    root: list[Any] = [None]
    stack: list[tuple[Any, list[Any] | dict[str, Any], Any, int]] = [(data, root, 0, 0)]   # (value, parent, key, depth)
    while stack:
        value, parent, key, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"nested more than {max_depth} levels deep")
        if isinstance(value, str):
            parent[key] = fix(value)
        elif isinstance(value, dict):
            copy: dict[str, Any] = {}
            parent[key] = copy
            for k, v in value.items():
                name = fix(k) if isinstance(k, str) else str(k)
                base, n = name, 2
                while name in copy:                 # two keys that clean to one: keep both values
                    name, n = f"{base} ({n})", n + 1
                copy[name] = None
                stack.append((v, copy, name, depth + 1))
        elif isinstance(value, list | tuple):
            items: list[Any] = [None] * len(value)
            parent[key] = items
            for i, v in enumerate(value):
                stack.append((v, items, i, depth + 1))
        else:
            parent[key] = value
    return root[0], replaced
