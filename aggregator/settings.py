"""Connector settings, declared once: type, bounds, required, secret, default and a one-line help each.

Every configured connector's section is validated against its declaration before any request is sent (a bad
value is exit 2 with nothing sent), turned into typed values with defaults filled in, and the same
declarations produce ``dsar connectors --settings`` and the README's configuration reference. Errors name
the key and what it must be, never the value (it may be a secret, or come from an environment variable).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from aggregator.errors import ConfigError

Kind = Literal["text", "url", "int", "float", "bool", "date", "list"]


@dataclass(frozen=True)
class Setting:
    """One key of a ``[connectors.<name>]`` table."""

    name: str
    help: str
    kind: Kind = "text"
    required: bool = False
    secret: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False       # the minimum itself is not allowed (a rate of 0 would mean "no limit")
    example: str | None = None        # shown in the config reference instead of the default

    def describe(self) -> str:
        """The type and bounds in words, for the reference (``whole number 1–1000``)."""
        words = {"text": "text", "url": "https URL", "int": "whole number", "float": "number", "bool": "true/false",
                 "date": "date YYYY-MM-DD", "list": "list of text"}[self.kind]
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None and not self.above_minimum:
            return f"{words} {_num(lo)}–{_num(hi)}"
        bounds = [f"{'>' if self.above_minimum else '≥'} {_num(lo)}"] if lo is not None else []
        bounds += [f"≤ {_num(hi)}"] if hi is not None else []
        return f"{words} {' and '.join(bounds)}" if bounds else words


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# Every connector takes these.
COMMON: tuple[Setting, ...] = (
    Setting("timeout", "seconds to wait for a vendor's answer (the read timeout)", "float", default=30.0,
            minimum=0.1, maximum=600),
    Setting("answer_deadline", "seconds one whole answer may take, however slowly it arrives", "float",
            default=300.0, minimum=1, maximum=3600),
    Setting("max_answer_mb", "largest answer read from the vendor, in MB", "int", default=100, minimum=1,
            maximum=2000),
)


def _fail(connector: str, setting: Setting, must: str) -> ConfigError:
    return ConfigError(f"config: connectors.{connector}.{setting.name} must be {must}")


def _date(connector: str, s: Setting, value: Any) -> date:
    """A date setting: a TOML date, the date of a TOML date-time, or text written YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _fail(connector, s, "a date written YYYY-MM-DD") from None


def _coerce(connector: str, s: Setting, value: Any) -> Any:
    if s.kind in ("text", "url"):
        if not isinstance(value, str) or not value.strip():
            raise _fail(connector, s, "a non-empty text")
        text = value.strip()
        if s.kind == "url":
            parts = urlsplit(text)
            if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
                raise _fail(connector, s, "an https URL without user name or password")
        return text
    if s.kind == "bool":
        if not isinstance(value, bool):
            raise _fail(connector, s, "true or false")
        return value
    if s.kind == "date":
        return _date(connector, s, value)
    if s.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise _fail(connector, s, 'a list of non-empty texts (["a", "b"])')
        return [v.strip() for v in value]
    # numbers
    if isinstance(value, bool):
        raise _fail(connector, s, f"a {s.describe()}")
    try:
        number: float = int(value) if s.kind == "int" else float(value)
        if s.kind == "int" and isinstance(value, float | str) and float(value) != number:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise _fail(connector, s, f"a {s.describe()}") from None
    if not math.isfinite(number):
        raise _fail(connector, s, f"a {s.describe()}")
    too_low = s.minimum is not None and (number <= s.minimum if s.above_minimum else number < s.minimum)
    if too_low or (s.maximum is not None and number > s.maximum):
        raise _fail(connector, s, f"a {s.describe()}")
    return number


def validate(connector: str, declared: Sequence[Setting], raw: Mapping[str, Any],
             check: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Check ``raw`` against ``declared`` and return the typed settings with defaults filled in.

    Raises :class:`ConfigError` for an unknown key (a typo would silently fall back to a default), a missing
    required key, or a value of the wrong type or out of bounds; then runs the connector's own cross-field
    ``check`` on the typed settings.
    """
    by_name = {s.name: s for s in declared}
    unknown = sorted(set(raw) - set(by_name))
    if unknown:
        raise ConfigError(f"config: connectors.{connector} has no setting {', '.join(unknown)} "
                          f"(known: {', '.join(by_name)})")
    out: dict[str, Any] = {}
    for s in declared:
        value = raw.get(s.name)
        if value is None or (isinstance(value, str) and not value.strip() and s.kind != "list"):
            if s.required:
                raise ConfigError(f"config: connectors.{connector}.{s.name} is missing ({s.help})")
            out[s.name] = s.default
            continue
        out[s.name] = _coerce(connector, s, value)
    if check is not None:
        check(out)
    return out


def reference(declared: Sequence[Setting]) -> list[str]:
    """The config reference of one connector as Markdown table rows (generated into the README)."""
    rows: list[str] = []
    for s in declared:
        if s.required:
            default = "**required**"
        elif s.example is not None:
            default = s.example
        elif s.default is None:
            default = "—"
        else:
            default = f"`{str(s.default).lower() if isinstance(s.default, bool) else s.default}`"
        flags = " (secret: use `${VAR}`)" if s.secret else ""
        rows.append(f"| `{s.name}` | {s.describe()} | {default} | {s.help}{flags} |")
    return rows
