"""Records as cards a person reads: a title, a date, labelled fields in the page's language (from the dataset
declarations), codes explained, identifiers tucked away under "technical details"; lines nested in their order
or invoice. Records of a connector that declares no datasets yet get generic labels, marked as such."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aggregator import formats
from aggregator.datasets import Dataset, Field, Kind
from aggregator.i18n import (
    country_name,
    fmt_amount,
    fmt_bool,
    fmt_moment,
    fmt_number,
    parse_moment,
    sort_key,
    t,
)

LONG_LIST = 8          # a list of more values than this is folded away
MAIN_KINDS = {Kind.NAME, Kind.EMAIL, Kind.PHONE, Kind.ADDRESS, Kind.DATE, Kind.AMOUNT, Kind.NUMBER, Kind.FLAG,
              Kind.CODE, Kind.TEXT, Kind.FREE_TEXT, Kind.URL}
TECH_KINDS = {Kind.IDENTIFIER, Kind.DATA, Kind.NETWORK}


@dataclass
class Row:
    """One labelled value on a card."""

    label: str
    value: str
    kind: str = Kind.TEXT
    label_lang: str | None = None     # set when the label is not in the page's language
    items: list[str] = field(default_factory=list)   # a long list, folded


@dataclass
class Lines:
    """Lines of an order or invoice: a small table."""

    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Card:
    """One record, ready to show."""

    title: str
    date: str | None
    sort: float
    rows: list[Row]
    tech: list[Row]
    body: str | None = None
    more: list[Row] = field(default_factory=list)     # less telling fields, folded under "more details"
    lines: list[Lines] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    generic: bool = False
    kind_label: str = ""
    origin: str | None = None
    source: str = ""
    codes: list[tuple[str, str, str]] = field(default_factory=list)   # (field label, code, meaning)


# ----------------------------------------------------------------------------------------- values
def _currency(data: Mapping[str, Any]) -> str | None:
    for key in ("currency", "Currency", "currency_code"):
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _scalar(value: Any, kind: str, decl: Field | None, lang: str, currency: str | None,
            codes: list[tuple[str, str, str]], label: str) -> str | None:
    """A value as a person reads it, or None when there is nothing to show."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if kind == Kind.AMOUNT:
        return fmt_amount(value, currency, lang) or str(value)
    if kind == Kind.DATE:
        return fmt_moment(value, lang) or str(value)
    if kind == Kind.FLAG or isinstance(value, bool):
        return fmt_bool(value, lang) or str(value)
    if kind == Kind.CODE and decl is not None and decl.glossary:
        meaning = decl.glossary.get(str(value))
        if meaning:
            text = meaning[0] if lang == "nl" else meaning[1]
            codes.append((label, str(value), text))
            return text
        return str(value)
    if kind == Kind.ADDRESS and isinstance(value, dict):     # a country object {"code", "title"}
        return str(value.get("title") or country_name(value.get("code"), lang) or "") or None
    if kind == Kind.ADDRESS and isinstance(value, str) and len(value) == 2 and value.isalpha():
        return country_name(value, lang) or value
    if kind == Kind.NUMBER and not isinstance(value, bool):
        if decl is not None and "rate" in decl.en.lower() and "%" not in decl.en and _fraction(value):
            return fmt_number(round(float(value) * 100, 2), lang) + "\u00a0%"      # Lightspeed's 0.21: 21 %
        return fmt_number(value, lang)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _fraction(value: Any) -> bool:
    try:
        return 0 < float(value) < 1
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------------------- address groups
_ROLE_ORDER = ("name", "company", "street", "number", "box", "extra", "zip", "city", "region", "country")
_ROLE_KEYS = {
    "company": ("company",), "name": ("name",), "street": ("street", "line1", "addr1"),
    "number": ("number", "unit"), "box": ("extension", "unitappendix"), "extra": ("street2", "line2", "addr2"),
    "zip": ("zipcode", "postalcode", "postal_code", "zip"), "city": ("city",), "region": ("region", "state"),
    "country": ("country", "countrycode", "country_code", "countryorregion"),
}


_ROLES_LONGEST_FIRST = sorted(_ROLE_KEYS.items(), key=lambda kv: -max(len(k) for k in kv[1]))


@lru_cache(maxsize=1024)
def _role(path: str) -> str | None:
    """The part of an address a field's path names (``addressBillingZipcode`` -> ``zip``), remembered per path."""
    last = path.rsplit(".", 1)[-1].lower()
    for role, keys in _ROLES_LONGEST_FIRST:
        if any(last.endswith(k) for k in keys):
            return role
    return None


def _address_text(parts: list[tuple[str, str]]) -> str:
    """Address parts (path, shown value) as one line: name, street number box, zip city, country."""
    by_role: dict[str, str] = {}
    for path, value in parts:
        role = _role(path) or path
        by_role.setdefault(role, value)
    street = " ".join(x for x in (by_role.pop("street", ""), by_role.pop("number", ""),
                                  by_role.pop("box", "")) if x)
    place = " ".join(x for x in (by_role.pop("zip", ""), by_role.pop("city", "")) if x)
    order = [by_role.pop("name", ""), by_role.pop("company", ""), street, by_role.pop("extra", ""), place,
             by_role.pop("region", ""), by_role.pop("country", "")]
    return ", ".join(x for x in [*order, *by_role.values()] if x)


# ----------------------------------------------------------------------------------------- declared records
_REMEMBERED_KEYS = 4096     # per dataset and path: a blob keyed by ids must not grow the memo without bound
# id(dataset) -> (the dataset, so the id stays its own; path prefix -> key -> (path, its own declaration, the
# declaration of a leaf there: its own or the nearest declared ancestor's))
_KEYS: dict[int, tuple[Dataset, dict[str, dict[str, tuple[str, Field | None, Field | None]]]]] = {}


def forget() -> None:
    """Drop the remembered record keys and shown values per dataset (those of the package just written)."""
    _KEYS.clear()
    _PLANS.clear()


def _keys_at(dataset: Dataset, prefix: str) -> dict[str, tuple[str, Field | None, Field | None]]:
    """The remembered (path, declaration, leaf declaration) of the keys seen at ``prefix`` in ``dataset``'s records
    (every card of a dataset walks the same few keys)."""
    entry = _KEYS.get(id(dataset))
    if entry is None or entry[0] is not dataset:
        if len(_KEYS) >= 1024:
            _KEYS.clear()
        entry = _KEYS[id(dataset)] = (dataset, {})
    memo = entry[1].get(prefix)
    if memo is None:
        memo = entry[1][prefix] = {}
    return memo


def _walk(data: Mapping[str, Any], dataset: Dataset, prefix: str = "",
          out: list[tuple[str, Any, Field | None]] | None = None) -> list[tuple[str, Any, Field | None]]:
    """(path, value, declaration) for every shown node: a declared leaf, a declared amount object, or an
    undeclared leaf (declaration None); lists of objects are given whole, with their path (in a list: nested
    generators cost more than the walk)."""
    out = [] if out is None else out
    memo = _keys_at(dataset, prefix)
    for key, value in data.items():
        found = memo.get(key)
        if found is None:
            path = f"{prefix}.{key}" if prefix else str(key)
            decl = dataset.fields.get(path)
            found = (path, decl, decl or (dataset.field_for(path) or (None, None))[1])
            if len(memo) < _REMEMBERED_KEYS:
                memo[key] = found
        path, decl, leaf = found
        if decl is not None and decl.kind == Kind.AMOUNT and isinstance(value, dict):
            out.append((path, value, decl))
        elif decl is not None and decl.kind == Kind.ADDRESS and isinstance(value, dict) and "title" in value:
            out.append((path, value, decl))
        elif isinstance(value, dict):
            if decl is not None and decl.kind in (Kind.DATA, Kind.IDENTIFIER) and not _declares_below(dataset, path):
                out.append((path, value, decl))
            else:
                _walk(value, dataset, path, out)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append((path, value, decl))
        else:
            out.append((path, value, leaf))
    return out


def _declares_below(dataset: Dataset, path: str) -> bool:
    return dataset.declares_below(path)


def _label(decl: Field | None, path: str, lang: str) -> tuple[str, str | None]:
    if decl is not None:
        return (decl.nl if lang == "nl" else decl.en), None
    return humanize(path), ("en" if lang != "en" else None)


@lru_cache(maxsize=4096)
def humanize(path: str) -> str:
    """A label made from a vendor key when no declaration gives one: ``receivedDateTime`` -> ``Received date time``."""
    words: list[str] = []
    for part in path.split("."):
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", part).replace("_", " ").replace("-", " ")
        words.append(spaced.strip().lower())
    text = " › ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


PERSON_CATEGORIES = {"contact", "addresses", "account"}


def _zero(value: Any) -> bool:
    if isinstance(value, dict):
        value = value.get("value")
    try:
        return float(value) == 0
    except (TypeError, ValueError):
        return False


@dataclass
class _Plan:
    """How a dataset's cards show one field, worked out once per dataset, path, declaration and language (every
    card of a dataset walks the same fields): all but the value, plus the texts of values already shown."""

    decl: Field | None
    kind: Kind
    skip: bool                  # left off the card: internal, or the card's date or title
    label: str
    label_lang: str | None
    group: str | None           # an address or name part ("Factuuradres: Straat"): one row per group
    tech: bool                  # under "technical details"
    folded: bool                # under "more details"
    plain: bool                 # a text or number shows as it is (no amount, date, flag, explained code ...)
    texts: dict[tuple[Any, type, str | None], tuple[str | None, tuple[tuple[str, str, str], ...]]] = field(
        default_factory=dict)   # (value, its type, currency) -> (shown text, the codes it explained)

    def text(self, value: Any, lang: str, currency: str | None, codes: list[tuple[str, str, str]]) -> str | None:
        """:func:`_scalar` of ``value`` in this field, remembered where formatting costs (amounts, numbers, codes,
        flags, countries) and the value is a plain scalar (a package repeats its prices, statuses and flags)."""
        if self.plain and type(value) in (str, int, float):     # not a bool: that reads "ja" or "nee"
            return str(value) or None                            # what _scalar writes: the value as it is
        if self.kind not in _REMEMBERED_KINDS or not isinstance(value, str | int | float):
            return _scalar(value, self.kind, self.decl, lang, currency, codes, self.label)
        key = (value, type(value), currency if self.kind == Kind.AMOUNT else None)   # True is not 1
        found = self.texts.get(key)
        if found is None:
            mark = len(codes)
            text = _scalar(value, self.kind, self.decl, lang, currency, codes, self.label)
            found = (text, tuple(codes[mark:]))
            if len(self.texts) < _REMEMBERED_VALUES:
                self.texts[key] = found
        else:
            codes.extend(found[1])
        return found[0]


_FORMATTED_KINDS = frozenset({Kind.AMOUNT, Kind.DATE, Kind.FLAG, Kind.ADDRESS, Kind.NUMBER})   # see _scalar
_REMEMBERED_KINDS = frozenset({Kind.AMOUNT, Kind.NUMBER, Kind.CODE, Kind.FLAG, Kind.ADDRESS})
_REMEMBERED_VALUES = 512    # per field: an amount per order must not grow the memo without bound
# (id(dataset), language) -> (the dataset, so the id stays its own; path -> its plan)
_PLANS: dict[tuple[int, str], tuple[Dataset, dict[str, _Plan]]] = {}


def _plans(dataset: Dataset, lang: str) -> dict[str, _Plan]:
    """The remembered plans of ``dataset``'s fields in ``lang``, by path."""
    entry = _PLANS.get((id(dataset), lang))
    if entry is None or entry[0] is not dataset:
        if len(_PLANS) >= 1024:
            _PLANS.clear()
        entry = _PLANS[(id(dataset), lang)] = (dataset, {})
    return entry[1]


def _plan(plans: dict[str, _Plan], dataset: Dataset, path: str, decl: Field | None, lang: str) -> _Plan:
    """The plan of the field at ``path`` of ``dataset``'s cards (found by :func:`_walk` with ``decl``), remembered
    in ``plans``."""
    plan = plans.get(path)
    if plan is None or plan.decl is not decl:
        kind = decl.kind if decl is not None else Kind.TEXT
        label, label_lang = _label(decl, path, lang)
        plan = _Plan(
            decl=decl, kind=kind, skip=kind == Kind.INTERNAL or path == dataset.date or path in dataset.title,
            label=label, label_lang=label_lang,
            group=label.split(": ", 1)[0] if kind in (Kind.ADDRESS, Kind.NAME) and ": " in label else None,
            tech=kind in TECH_KINDS and path not in dataset.title,
            folded=_folded(kind, decl, label, path, dataset.category in PERSON_CATEGORIES),
            plain=kind not in _FORMATTED_KINDS and not (kind == Kind.CODE and decl is not None and decl.glossary))
        if len(plans) < _REMEMBERED_KEYS:
            plans[path] = plan
    return plan


def _shown(value: Any, path: str, plan: _Plan, dataset: Dataset, lang: str, currency: str | None,
           codes: list[tuple[str, str, str]]) -> Row | Lines | None:
    """One field as a card shows it: a table of sub-lines, a (possibly itemised) row, or None when empty."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        table = _sub_lines(value, dataset, path, lang, currency, codes)
        if table is not None:
            table.caption = plan.label
        return table
    if isinstance(value, list):
        shown = [s for s in (plan.text(v, lang, currency, codes) for v in value) if s]
        if not shown:
            return None
        return Row(plan.label, ", ".join(shown) if len(shown) <= LONG_LIST else "", plan.kind, plan.label_lang,
                   shown if len(shown) > LONG_LIST else [])
    text = plan.text(value, lang, currency, codes)
    return None if text is None else Row(plan.label, text, plan.kind, plan.label_lang)


def _fill_groups(rows: list[Row], groups: Mapping[str, list[tuple[str, str]]], at: Mapping[str, int]) -> None:
    """Write each grouped address or name ("Factuuradres: …") into the row reserved for it."""
    for prefix, parts in groups.items():
        rows[at[prefix]].value = _address_text(parts)


def _folded(kind: Kind, decl: Field | None, label: str, path: str, person_record: bool) -> bool:
    """Whether a row goes under "more details": flags, measures, the person's details repeated on a non-person
    record, excl.-VAT twins, update stamps, codes without a glossary."""
    return (kind in (Kind.FLAG, Kind.NUMBER) or (not person_record and _personal(kind, decl))
            or (kind == Kind.AMOUNT and "excl" in label.lower())
            or (kind == Kind.DATE and path.startswith(("updated", "Updated", "lastModified")))
            or (kind == Kind.CODE and not (decl and decl.glossary)))


def _card_title(data: Mapping[str, Any], dataset: Dataset, lang: str) -> str:
    """The card's title from the declared title fields: names joined by a space, other parts by " · "; a bare
    identifier is preceded by the dataset's name ("Bestelling ORD10260")."""
    title_paths = [p for p in dataset.title if p != dataset.date]
    title = ""
    previous_name = False
    for p in title_paths:
        bit = _title_value(data, p, dataset, lang)
        if not bit:
            continue
        found = dataset.field_for(p)
        is_name = bool(found and found[1].kind == Kind.NAME)
        title += (" " if is_name and previous_name else " · ") + bit if title else bit   # "Jan Desmet · 20260171"
        previous_name = is_name
    kind_label = dataset.nl if lang == "nl" else dataset.en
    title = title or kind_label
    if title_paths and all((f := dataset.field_for(p)) and f[1].kind == Kind.IDENTIFIER for p in title_paths[:1]):
        title = f"{kind_label} {title}"        # "Bestelling ORD10260", not a bare number
    return title


def declared_card(record: Mapping[str, Any], dataset: Dataset, lang: str, children: Sequence[Mapping[str, Any]],
                  child_set: Dataset | None, child_link: str | None) -> Card:
    """A card for a record of a declared dataset, with its child lines (order lines) when there are any.

    Shown first: what tells the record (statuses, amounts, addresses, texts, dates); folded under "more
    details": yes/no flags, measures, the person's own details repeated on an order, excl.-VAT twins of
    amounts; under "technical details": identifiers, network data, vendor blobs. Zero amounts are left out."""
    data = record["data"]
    currency = _currency(data)
    rows: list[Row] = _message_head(data, lang)
    tech: list[Row] = []
    more: list[Row] = []
    codes: list[tuple[str, str, str]] = []
    lines: list[Lines] = []
    body: str | None = None
    groups: dict[str, list[tuple[str, str]]] = {}
    group_at: dict[str, int] = {}
    plans = _plans(dataset, lang)
    for path, value, decl in _shown_fields(data, dataset):
        plan = plans.get(path)
        if plan is None or plan.decl is not decl:
            plan = _plan(plans, dataset, path, decl, lang)
        if plan.skip:
            continue
        kind = plan.kind
        if kind == Kind.IDENTIFIER and isinstance(value, dict):    # a link to another API object
            continue
        if kind in (Kind.AMOUNT, Kind.NUMBER) and _zero(value):
            continue
        made = _shown(value, path, plan, dataset, lang, currency, codes)
        if made is None:
            continue
        if isinstance(made, Lines):
            lines.append(made)
            continue
        row = made
        if plan.group is not None:
            prefix = plan.group
            groups.setdefault(prefix, []).append((path, row.value))
            if prefix not in group_at:
                group_at[prefix] = len(rows)
                rows.append(Row(prefix, "", Kind.ADDRESS, plan.label_lang))
            continue
        if plan.tech:
            tech.append(row)
        elif plan.folded:
            more.append(row)
        elif kind == Kind.FREE_TEXT and body is None and len(row.value) > 80:
            body = row.value.replace("\r\n", "\n")
            rows.append(Row(plan.label, "", Kind.FREE_TEXT, plan.label_lang))
        else:
            rows.append(row)
    _fill_groups(rows, groups, group_at)
    rows = _without_twins(rows, more)
    if children and child_set is not None:
        table = _child_lines(children, child_set, child_link, lang, codes)
        if table is not None:
            lines.append(table)
    title = _card_title(data, dataset, lang)
    kind_label = dataset.nl if lang == "nl" else dataset.en
    date_value = card_moment(record, dataset)
    card = Card(title=title, date=fmt_moment(date_value, lang) if date_value else None,
                sort=sort_key(date_value), rows=[r for r in rows if r.value or r.items or r.kind == Kind.FREE_TEXT],
                tech=tech, more=more, body=body, lines=lines, kind_label=kind_label, origin=str(dataset.origin),
                codes=codes)
    card.links.extend(_file_links(record, lang))
    return card


def _file_links(record: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """Links from a card to its files in the package: an invoice's PDF, a message's .eml."""
    data = record["data"]
    links = []
    pdf = data.get("pdf_attachment")
    if isinstance(pdf, str) and pdf.startswith("attachments/"):
        links.append((pdf, t(lang, "download_pdf")))
    if formats.is_message(data):
        links.append((formats.eml_path(record), t(lang, "download_eml")))
    return links


_MESSAGE_PEOPLE = ("from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "replyTo")


def _message_head(data: Mapping[str, Any], lang: str) -> list[Row]:
    """For an e-mail message: from, to and cc first, as a person reads a message; otherwise nothing."""
    if not formats.is_message(data):
        return []
    rows = [Row(t(lang, "m_from"), _who(data.get("from") or data.get("sender"))),
            Row(t(lang, "m_to"), _who(data.get("toRecipients"))), Row(t(lang, "m_cc"), _who(data.get("ccRecipients")))]
    return [r for r in rows if r.value]


def _shown_fields(data: Mapping[str, Any], dataset: Dataset) -> Iterable[tuple[str, Any, Field | None]]:
    """The fields a declared card walks: all of them, minus a message's people, which its head already shows."""
    if not formats.is_message(data):
        return _walk(data, dataset)
    people = set(_MESSAGE_PEOPLE)
    return ((p, v, d) for p, v, d in _walk(data, dataset) if p.split(".")[0] not in people)


def _personal(kind: str, decl: Field | None) -> bool:
    """A detail of the person (name, e-mail, phone, birth date, gender) repeated on another record."""
    if kind in (Kind.NAME, Kind.EMAIL, Kind.PHONE):
        return True
    words = (decl.en.lower() if decl else "")
    return "birth" in words or words in ("gender", "sex")


def _without_twins(rows: list[Row], more: list[Row]) -> list[Row]:
    """Rows minus the twins of another row: the same value under a longer label ("Shipping incl. VAT (base)"
    beside "Shipping incl. VAT", "Payment method (code)" beside "Payment method"), which go to ``more``."""
    kept: list[Row] = []
    by_value: dict[str, list[Row]] = {}
    for row in rows:
        if row.value:
            by_value.setdefault(row.value, []).append(row)
    for row in rows:
        twin = row.value and next((o for o in by_value[row.value] if o is not row and row.label.startswith(o.label)
                                   and len(row.label) > len(o.label)), None)
        (more if twin else kept).append(row)
    return kept


def _title_value(data: Mapping[str, Any], path: str, dataset: Dataset, lang: str) -> str:
    value = _get(data, path)
    found = dataset.field_for(path)
    decl = found[1] if found else None
    if value in (None, "", [], {}):
        return ""
    text = _scalar(value, decl.kind if decl else Kind.TEXT, decl, lang, _currency(data), [], "")
    return text or ""


def _get(data: Mapping[str, Any], path: str | None) -> Any:
    value: Any = data
    for part in (path or "").split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _pick_columns(paths: list[str], dataset: Dataset, prefix: str = "") -> list[str]:
    """The columns of a lines table: up to three texts, the quantity, up to two amounts incl. VAT."""
    def decl(p: str) -> Field | None:
        found = dataset.field_for(prefix + p)
        return found[1] if found else None
    texts = [p for p in paths if (d := decl(p)) and d.kind in (Kind.TEXT, Kind.FREE_TEXT)][:3]
    numbers = [p for p in paths if (d := decl(p)) and d.kind == Kind.NUMBER]
    qty = [p for p in numbers if decl(p).en.lower().startswith(("quantity", "aantal"))][:1] or numbers[:1]  # type: ignore[union-attr]
    amounts = [p for p in paths if (d := decl(p)) and d.kind == Kind.AMOUNT]
    incl = [p for p in amounts if "incl" in decl(p).en.lower() and "discount" not in decl(p).en.lower()  # type: ignore[union-attr]
            and "option" not in decl(p).en.lower()]  # type: ignore[union-attr]
    return texts + qty + (incl or amounts)[-2:]


def _sub_lines(items: list[Mapping[str, Any]], dataset: Dataset, path: str, lang: str, currency: str | None,
               codes: list[tuple[str, str, str]]) -> Lines | None:
    """A list of objects inside a record (invoice items, ticket messages, contacts on an invoice) as a table."""
    present: list[str] = []
    for item in items:
        for key, value in item.items():
            if value not in (None, "", [], {}) and key not in present:
                present.append(key)
    shown = [k for k in present if (f := dataset.field_for(f"{path}.{k}")) and f[1].kind in MAIN_KINDS
             and f[1].kind != Kind.INTERNAL]
    if len(shown) > 6:
        shown = _pick_columns(shown, dataset, path + ".") or shown[:6]
    if not shown:
        return None
    headers = []
    decls = []
    for k in shown:
        found = dataset.field_for(f"{path}.{k}")
        d = found[1] if found else None
        decls.append(d)
        headers.append((d.nl if lang == "nl" else d.en) if d else humanize(k))
    rows = [[_scalar(item.get(k), d.kind if d else Kind.TEXT, d, lang, currency, codes, h) or ""
             for k, d, h in zip(shown, decls, headers, strict=True)] for item in items]
    return Lines("", headers, rows)


def _child_lines(children: Sequence[Mapping[str, Any]], child_set: Dataset, link: str | None, lang: str,
                 codes: list[tuple[str, str, str]]) -> Lines | None:
    present: list[str] = []
    for child in children:
        for key, value in child["data"].items():
            if value not in (None, "", [], {}, False) and key not in present and key != link:
                present.append(key)
    shown = _pick_columns(present, child_set)
    if not shown:
        return None
    decls = [child_set.fields[p] for p in shown]
    headers = [d.nl if lang == "nl" else d.en for d in decls]
    columns = list(zip(shown, decls, headers, strict=True))
    rows = []
    for c in children:
        data, currency = c["data"], _currency(c["data"])
        rows.append([_scalar(data.get(p), d.kind, d, lang, currency, codes, h) or "" for p, d, h in columns])
    return Lines(t(lang, "lines"), headers, rows)


# ----------------------------------------------------------------------------------------- undeclared records
_TITLE_KEYS = ("subject", "campaign_title", "title", "name", "displayName", "full_name", "email_address",
               "activity_type", "list_name")
_DATE_KEYS = ("sentDateTime", "receivedDateTime", "created_at_timestamp", "timestamp", "date_added",
              "created_at", "createdDateTime", "last_changed", "timestamp_signup", "occurred_at")
_ID = re.compile(r"(^id$|_id$|Id$|^iCalUId$|^changeKey$|^etag$|Hash$|^unique_email_id$|^web_id$|^parentFolderId$)")


def card_moment(record: Mapping[str, Any], dataset: Dataset | None) -> Any:
    """The value that dates a record's card (cards are sorted by it, newest first): the declared ``date`` field,
    else an event's start, else the first of the usual vendor date keys."""
    data = record["data"]
    if dataset is not None:
        return _get(data, dataset.date) if dataset.date else None
    if formats.is_event(data) and not formats.is_message(data):
        return data.get("start")
    return next((data[k] for k in _DATE_KEYS if parse_moment(data.get(k)) is not None), None)


def generic_card(record: Mapping[str, Any], lang: str) -> Card:
    """A card for a record whose dataset is not declared: labels from the vendor's keys, marked as such."""
    data = record["data"]
    date_value = card_moment(record, None)
    if formats.is_message(data):
        return _message_card(record, lang, date_value)
    if formats.is_event(data):
        return _event_card(record, lang)
    title = next((str(data[k]) for k in _TITLE_KEYS if isinstance(data.get(k), str | int) and data.get(k)), "")
    rows, tech = _generic_rows(data, lang)
    return Card(title=title or humanize(str(record["dataset"])), date=fmt_moment(date_value, lang) if date_value
                else None, sort=sort_key(date_value), rows=rows, tech=tech, generic=True,
                kind_label=humanize(str(record["dataset"])))


def _generic_rows(data: Mapping[str, Any], lang: str, skip: Iterable[str] = ()) -> tuple[list[Row], list[Row]]:
    rows: list[Row] = []
    tech: list[Row] = []
    other = "en" if lang != "en" else None
    skipped = set(skip)
    stack: list[tuple[str, Any]] = [(k, v) for k, v in data.items() if k not in skipped]
    for path, value in stack:
        if value in (None, "", [], {}):
            continue
        last = path.rsplit(".", 1)[-1]
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v and "value" in v
                                                     for v in value):
            for item in value:      # named values (Mailchimp's merge fields, labelled by the audience's own names)
                shown = item["value"]
                if isinstance(shown, dict):
                    shown = _address_text([(str(k), str(v)) for k, v in shown.items() if v])
                if shown not in (None, "", [], {}):
                    rows.append(Row(str(item["name"]), _plain(shown, lang), Kind.TEXT))
            continue
        if isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                text = ", ".join(_plain(v, lang) for v in value)
            else:
                text = "; ".join(", ".join(f"{humanize(k)}: {_plain(v, lang)}" for k, v in item.items()
                                           if v not in (None, "", [], {}))
                                 if isinstance(item, dict) else _plain(item, lang) for item in value)
            row = Row(humanize(path), text, Kind.TEXT, other)
        else:
            row = Row(humanize(path), _plain(value, lang), Kind.TEXT, other)
        (tech if _ID.search(last) else rows).append(row)
    return rows, tech


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return fmt_bool(value, lang) or str(value)
    if isinstance(value, str):
        moment = fmt_moment(value, lang) if parse_moment(value) is not None else None
        return moment or value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _who(entries: Any) -> str:
    out = []
    for entry in entries if isinstance(entries, list) else [entries]:
        name, address = formats.person(entry)
        if address:
            out.append(f"{name} <{address}>" if name else address)
    return ", ".join(out)


_MESSAGE_SHOWN = ("subject", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "sentDateTime",
                  "receivedDateTime", "body", "mailbox", "attachments")


def _message_card(record: Mapping[str, Any], lang: str, date_value: Any) -> Card:
    data = record["data"]
    rows = _message_head(data, lang)
    rows.append(Row(t(lang, "m_mailbox"), str(data.get("mailbox") or "")))
    names = [str(a.get("name")) for a in data.get("attachments") or [] if isinstance(a, dict) and a.get("name")]
    if names:
        rows.append(Row(t(lang, "m_attachments"), ", ".join(names)))
    _, tech = _generic_rows(data, lang, skip=_MESSAGE_SHOWN)
    body = str((data.get("body") or {}).get("content") or "").replace("\r\n", "\n").strip()
    return Card(title=str(data.get("subject") or t(lang, "no_subject")), date=fmt_moment(date_value, lang),
                sort=sort_key(date_value), rows=[r for r in rows if r.value], tech=tech, body=body or None,
                links=[(formats.eml_path(record), t(lang, "download_eml"))], kind_label="e-mail")


_EVENT_SHOWN = ("subject", "start", "end", "location", "organizer", "attendees", "body", "mailbox")


def _event_card(record: Mapping[str, Any], lang: str) -> Card:
    data = record["data"]
    start, end = data.get("start"), data.get("end")
    when = fmt_moment(start, lang) or ""
    end_text = fmt_moment(end, lang)
    if end_text:
        same_day = end_text.split(", ")[0] == when.split(", ")[0]
        when += " – " + (end_text.split(", ")[-1] if same_day else end_text)
    rows = [Row(t(lang, "e_when"), when), Row(t(lang, "e_where"), str((data.get("location") or {}).get(
        "displayName") or "")), Row(t(lang, "e_organizer"), _who(data.get("organizer"))),
            Row(t(lang, "e_attendees"), _who(data.get("attendees")))]
    _, tech = _generic_rows(data, lang, skip=_EVENT_SHOWN)
    body = str((data.get("body") or {}).get("content") or "").replace("\r\n", "\n").strip()
    return Card(title=str(data.get("subject") or t(lang, "no_subject")), date=fmt_moment(start, lang),
                sort=sort_key(start), rows=[r for r in rows if r.value], tech=tech, body=body or None,
                links=[(formats.ICS_PATH, "iCalendar (.ics)")], kind_label="agenda")
