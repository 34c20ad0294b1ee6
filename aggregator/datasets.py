"""Datasets, declared: what each kind of record a connector yields holds, field by field.

A connector lists its datasets (``Lightspeed orders``, ``Mailchimp activity``, ``Graph messages``) with, per
field, a label in Dutch and English, its kind (a person's name / e-mail / phone / address, a date, an amount,
a code with its glossary, an identifier, free text, a shop-internal value …) and, per dataset, whether the
data was provided by the subject, observed, or derived. The core reads these declarations: masking other
people's data, rendering the package for a person, and the Art. 20 portability subset are vendor-neutral code.

A field is named by its path in the record's data: keys joined by dots, list positions left out
(``messages.from`` is the ``from`` of every item of ``messages``). Declaring a path covers everything below
it, so an opaque vendor blob (an app's ``paymentData``) is declared once; a connector that yields a value at
a path no declaration covers is reported (:func:`undeclared`), and the tests fail on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a field holds, as far as masking and rendering need to know."""

    NAME = "name"                  # a person's (or company's) name
    EMAIL = "email"                # an e-mail address
    PHONE = "phone"                # a phone number
    ADDRESS = "address"            # a postal address or a part of one
    DATE = "date"                  # a date or a moment
    AMOUNT = "amount"              # money (the currency is a sibling field or part of the value)
    NUMBER = "number"              # a count or a measure
    FLAG = "flag"                  # yes/no
    CODE = "code"                  # a vendor code; ``glossary`` explains its values
    IDENTIFIER = "identifier"      # a vendor's or the shop's id, a link to another object
    TEXT = "text"                  # short text that is not about another person (a product title)
    FREE_TEXT = "free_text"        # text anyone may have written into (a message body, a note)
    NETWORK = "network"            # an IP address, a user agent, a device
    URL = "url"                    # a web address
    DATA = "data"                  # a nested vendor structure kept as it is
    INTERNAL = "internal"          # the shop's own business data (cost price, margin): never in the package


class Origin(StrEnum):
    """Where a dataset's data came from (Art. 15(1)(g), and the Art. 20 portability subset)."""

    PROVIDED = "provided"          # given by the subject (forms, orders, messages): part of the Art. 20 copy
    OBSERVED = "observed"          # recorded about the subject's use of a service (opens, clicks, IPs): Art. 20
    DERIVED = "derived"            # worked out by the shop or the processor (ratings, segments, statuses)


@dataclass(frozen=True)
class Field:
    """One declared field."""

    nl: str
    en: str
    kind: Kind = Kind.TEXT
    glossary: Mapping[str, tuple[str, str]] = field(default_factory=dict)   # code -> (nl, en)
    origin: Origin | None = None   # when it differs from the dataset's (a rating derived inside a provided record)


_REMEMBERED_PATHS = 4096      # per dataset; vendor keys are few, but a blob keyed by ids must not grow it unbounded


@dataclass(frozen=True)
class Dataset:
    """One kind of record a connector yields, with every field it may hold."""

    name: str                      # the record's ``dataset`` ("order", "order_line", "message")
    category: str                  # the category its records are filed under
    nl: str                        # a title for a person ("Bestelling")
    en: str                        # ("Order")
    origin: Origin
    fields: Mapping[str, Field]
    date: str | None = None        # the path of the field that dates a record (cards are sorted by it)
    title: tuple[str, ...] = ()    # paths whose values make a record's title ("order number", "date")
    # field_for's answers by path (redaction and rendering ask for the same few paths millions of times)
    _found: dict[str, tuple[str, Field] | None] = field(default_factory=dict, init=False, repr=False,
                                                        compare=False)
    _below: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def field_for(self, path: str) -> tuple[str, Field] | None:
        """The declaration that covers ``path``: its own, or the nearest declared ancestor's."""
        try:
            return self._found[path]
        except KeyError:
            pass
        found = self._lookup(path)
        if len(self._found) < _REMEMBERED_PATHS:
            self._found[path] = found
        return found

    def declares_below(self, path: str) -> bool:
        """Whether a field below ``path`` (not ``path`` itself) is declared."""
        below = self._below.get(path)
        if below is None:
            below = any(p.startswith(path + ".") for p in self.fields)
            if len(self._below) < _REMEMBERED_PATHS:
                self._below[path] = below
        return below

    def _lookup(self, path: str) -> tuple[str, Field] | None:
        probe = path
        while True:
            found = self.fields.get(probe)
            if found is not None:
                return probe, found
            if "." not in probe:
                return None
            probe = probe.rsplit(".", 1)[0]


def leaves(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of ``data`` with its path (keys joined by dots, list positions left out), iteratively; an
    empty list or object is a leaf of its own."""
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, Mapping):
            if not value and where:
                yield where, value
            for key, child in value.items():
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(value, list | tuple):
            if not value and where:
                yield where, value
            for child in value:
                stack.append((where, child))
        elif where:
            yield where, value


def paths(data: Any, prefix: str = "") -> Iterator[str]:
    """Every leaf path in ``data``."""
    for path, _ in leaves(data, prefix):
        yield path


def undeclared(dataset: Dataset, data: Mapping[str, Any]) -> list[str]:
    """The leaf paths of ``data`` that no field of ``dataset`` covers, sorted. An empty or null value counts as
    declared when fields below its path are (``ccRecipients: []`` where ``ccRecipients.emailAddress.address``
    is declared), so a parent need not be declared only to cover its empty form."""
    missing: set[str] = set()
    for path, value in leaves(data):
        if dataset.field_for(path) is not None:
            continue
        if value in (None, [], {}) and any(name.startswith(f"{path}.") for name in dataset.fields):
            continue
        missing.add(path)
    return sorted(missing)


def check_declarations(connector: str, categories: tuple[str, ...], datasets: tuple[Dataset, ...]) -> list[str]:
    """Problems with a connector's declarations (empty when they are sound), for registration."""
    problems = []
    names = [d.name for d in datasets]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"dataset {name!r} declared twice")
    for d in datasets:
        if d.category not in categories:
            problems.append(f"dataset {d.name!r} is filed under {d.category!r}, which the connector does not declare")
        if not d.fields:
            problems.append(f"dataset {d.name!r} declares no field")
        for path in (d.date, *d.title):
            if path is not None and d.field_for(path) is None:
                problems.append(f"dataset {d.name!r} names undeclared field {path!r} as date or title")
    return problems
