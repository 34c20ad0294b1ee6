"""Redaction between the spool and the package (Art. 15(4), recital 63): other people's e-mail addresses, names,
phone numbers and postal addresses become stable pseudonyms ("Derde partij 1" / "Third party 1"), the shop's own
business data (fields declared ``Kind.INTERNAL``) is left out, and every replacement is logged by kind and
place in ``redactions.json``, never by value.

It is vendor-neutral: what a field holds comes from the connectors' dataset declarations
(:mod:`aggregator.datasets`). Who a value belongs to is decided per value:

* the subject: the requester's address, any address in a record filed under ``contact`` (a connector only files
  the subject's own contact card there), and the names and phone numbers that stand beside such an address;
* the shop: ``[redaction] own_addresses`` and role addresses (``info@``, ``verkoop@`` …) at ``own_domains``
  (default: the controller e-mail's domain), and names that carry the shop's name;
* staff: other addresses at the shop's domains, and the names beside them; kept by default (the customer dealt
  with them), pseudonymised with ``staff = "pseudonymise"``;
* everyone else is a third party. A name beside a third party's address gets that address's pseudonym, so one
  person carries one label in headers, attendee lists and message bodies.

Free text (bodies, notes, reviews, and strings inside opaque ``DATA`` blobs or undeclared paths) is searched for
e-mail addresses in any form (any case, ``<…>``, ``mailto:``, HTML entities), phone numbers, and the names of
the package's third parties. A record of a connector without declarations gets the safe default: every string
is treated as free text, and the addresses its connector listed in ``third_parties`` are pseudonymised.

Pseudonyms are numbered in the order the package lists the records, so every run over the same data gives the
same labels. Two learning passes over the spool (who is the subject; who are the third parties) come first; the
package writer then reads the records through :class:`RedactedSpool`, so JSON, CSV and index.html all see the
same redacted records.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from aggregator.config import Config
from aggregator.datasets import Dataset, Field, Kind
from aggregator.spool import Spool, open_private
from aggregator.subject import Subject

if TYPE_CHECKING:
    from aggregator.plugins import Registry

# Local parts that name a function, not a person: such an address at one of the shop's domains is the shop's.
ROLE_LOCALS = frozenset({
    "info", "contact", "verkoop", "sales", "support", "service", "klantendienst", "helpdesk", "boekhouding",
    "accounting", "facturatie", "billing", "invoices", "facturen", "orders", "bestellingen", "webshop", "shop",
    "noreply", "no-reply", "donotreply", "admin", "beheer", "office", "hello", "hallo", "privacy", "dpo",
})
# Names a vendor puts where no person is meant (Lightspeed writes "customer" as a ticket message's sender).
ROLE_NAMES = frozenset({"customer", "klant", "client", "support", "admin", "system", "systeem", "shop", "webshop"})

LABELS = {
    "third": {"nl": "Derde partij", "en": "Third party"},
    "staff": {"nl": "Medewerker", "en": "Staff member"},
    "phone": {"nl": "[telefoonnummer verborgen]", "en": "[phone number hidden]"},
    "address": {"nl": "[adres verborgen]", "en": "[address hidden]"},
}

# What each kind of redaction means, in the words redactions.json and index.html use.
KINDS: dict[str, dict[str, str]] = {
    "third_party_email": {
        "nl": "e-mailadres van een ander persoon, vervangen door een schuilnaam",
        "en": "another person's e-mail address, replaced by a pseudonym"},
    "third_party_name": {
        "nl": "naam van een ander persoon, vervangen door een schuilnaam",
        "en": "another person's name, replaced by a pseudonym"},
    "third_party_phone": {
        "nl": "telefoonnummer van een ander persoon, verborgen",
        "en": "another person's phone number, hidden"},
    "third_party_address": {
        "nl": "postadres van een ander persoon, verborgen", "en": "another person's postal address, hidden"},
    "phone_in_free_text": {
        "nl": "telefoonnummer in een vrije tekst dat niet het uwe is, verborgen",
        "en": "a phone number in free text that is not yours, hidden"},
    "staff_email": {
        "nl": "werkadres van een medewerker, vervangen door een schuilnaam",
        "en": "a staff member's work address, replaced by a pseudonym"},
    "staff_name": {
        "nl": "naam van een medewerker, vervangen door een schuilnaam",
        "en": "a staff member's name, replaced by a pseudonym"},
    "shop_internal": {
        "nl": "interne bedrijfsgegeven van de winkel (geen persoonsgegeven van u), weggelaten",
        "en": "the shop's internal business data (not your personal data), left out"},
}
WHY = {
    "nl": "Gegevens van andere personen worden niet meegegeven: dat zou hun rechten schaden (AVG art. 15, lid 4, "
          "en overweging 63). Interne bedrijfsgegevens zoals aankoopprijzen zijn geen persoonsgegevens van u en "
          "zijn bedrijfsgeheim.",
    "en": "Other people's details are not handed over: that would harm their rights (GDPR Art. 15(4) and recital "
          "63). Internal business data such as purchase prices is not your personal data and is a trade secret.",
}

_AT = r"(?:@|&#0*64;|&#x0*40;|&commat;|%40)"
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+" + _AT + r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                            r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", re.IGNORECASE)
_AT_FORMS = re.compile(_AT, re.IGNORECASE)
_PLAIN_ADDRESS = re.compile(r"[a-z0-9._%+'-]+@[a-z0-9.-]+")     # an address a JSON string holds without escapes
# A phone number in text: international (+ or 00) or national (0…) form, 9–15 digits, common separators.
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+|00|0)\d(?:[ ./-]?\(?\d\)?){7,16}(?![\w])")
_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_BEFORE = re.compile(r"(\w[\w'-]*) $")
_CAPITALISED_AFTER = re.compile(r" [A-Z]")


class Role(Enum):
    """Who a value belongs to."""

    SUBJECT = "subject"
    SHOP = "shop"
    STAFF = "staff"
    THIRD = "third"


@dataclass(frozen=True)
class Policy:
    """The validated ``[redaction]`` table."""

    enabled: bool = True
    own_domains: tuple[str, ...] = ()
    own_addresses: tuple[str, ...] = ()
    staff: str = "keep"                 # "keep" | "pseudonymise"
    language: str = "nl"                # the language of the labels written into the data

    @classmethod
    def from_config(cls, table: Mapping[str, Any] | None, controller: Mapping[str, Any]) -> Policy:
        """A policy from ``Config.redaction`` (already validated), with the controller's defaults filled in."""
        table = table or {}
        email = str(controller.get("email") or "").strip().lower()
        domain = email.rsplit("@", 1)[-1] if "@" in email else ""
        domains = tuple(table.get("own_domains") or ((domain,) if domain else ()))
        addresses = tuple(table.get("own_addresses") or ((email,) if email else ()))
        return cls(enabled=bool(table.get("enabled", True)), own_domains=domains, own_addresses=addresses,
                   staff=str(table.get("staff", "keep")), language=str(table.get("language", "nl")))


def _has_at(text: str) -> bool:
    """Whether ``text`` holds "@" in any form (its other forms start with "&" or "%": most text needs no regex)."""
    return "@" in text or (("&" in text or "%" in text) and _AT_FORMS.search(text) is not None)


def normal_address(value: str) -> str:
    """An address as compared: no ``mailto:``, no angle brackets, entity forms of ``@`` undone, lower case."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>").strip()
    return _AT_FORMS.sub("@", text).lower()


def name_tokens(value: str) -> tuple[str, ...]:
    """The lower-cased words of a name ("Desmet, Jan" -> ("desmet", "jan"))."""
    return tuple(_WORD.findall(value.lower()))


def phone_key(value: str) -> str:
    """The last nine digits of a phone number (enough to compare +32 475 …, 0475 … and 475…)."""
    return re.sub(r"\D", "", value)[-9:]


@dataclass
class _Where:
    """The record being redacted, and its log entry."""

    category: str
    dataset: Dataset | None
    items: Counter[tuple[str, str, str, str | None]] = field(default_factory=Counter)


class RecordRedactor:
    """Decides, per value, whose it is, and replaces other people's details; learns from the whole spool first."""

    def __init__(self, policy: Policy, subject: Subject, controller: Mapping[str, Any],
                 datasets: Mapping[str, Sequence[Dataset]]) -> None:
        self.policy = policy
        self.subject = subject
        self.datasets = {name: {d.name: d for d in ds} for name, ds in datasets.items()}
        self.shop_names = tuple(n for n in (str(controller.get("name") or "").lower(),
                                            str(controller.get("legal_entity") or "").lower()) if n)
        self.own_domains = {d.lower().lstrip("@") for d in policy.own_domains}
        self.own_addresses = {normal_address(a) for a in policy.own_addresses}
        self.subject_addresses = {subject.email}
        self.subject_names: list[frozenset[str]] = []
        self._subject_name_cache: dict[tuple[str, ...], bool] = {}
        self.subject_phones: set[str] = set()
        self.kept_tokens: set[str] = set()       # words of names that stay (the subject's, the shop's, staff kept)
        self.third: dict[str, int] = {}          # address -> pseudonym number
        self.third_names: dict[tuple[str, ...], int] = {}
        self.staff: dict[str, int] = {}          # staff address or name -> number (only when pseudonymised)
        self.staff_names: dict[tuple[str, ...], int] = {}
        self.known_staff_names: set[tuple[str, ...]] = set()
        self.log = RedactionLog()
        self.counts: Counter[str] = Counter()
        self._text_names: list[tuple[re.Pattern[str], str, str]] | None = None
        self._declarations: dict[tuple[int, str], dict[str, tuple[str, tuple[str, Field] | None]]] = {}
        self._shapes: dict[tuple[int, str], dict[tuple[str, ...], tuple[tuple[str, Kind], ...]]] = {}
        # (text, emails only) -> (the text redacted, its replacements): every value here is fixed once learnt
        self._text_memo: dict[tuple[str, bool], tuple[str, tuple[tuple[str, str, int], ...]]] = {}
        # learning: (group, record digest, step) -> where each person was first seen, numbered afterwards
        self._where: tuple[int, int, int] = (0, 0, 0)
        self._seen_third: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._seen_staff: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._seen_third_names: dict[tuple[str, ...], tuple[tuple[int, int, int], str]] = {}
        self._seen_staff_names: dict[tuple[str, ...], tuple[tuple[int, int, int], str]] = {}

    # ------------------------------------------------------------------ labels
    def _label(self, kind: str, n: int | None = None, language: str | None = None) -> str:
        base = LABELS[kind][language or self.policy.language]
        return f"{base} {n}" if n is not None else base

    def _third_number(self, address: str) -> int:
        return self.third.setdefault(address, len(self.third) + 1)

    def _staff_number(self, key: str) -> int:
        return self.staff.setdefault(key, len(self.staff) + 1)

    # ------------------------------------------------------------------ who is who
    def role_of(self, address: str) -> Role:
        """Whose address this is: the subject's, the shop's, a staff member's, or a third party's."""
        addr = normal_address(address)
        if addr in self.subject_addresses:
            return Role.SUBJECT
        local, _, domain = addr.rpartition("@")
        if addr in self.own_addresses or (domain in self.own_domains and local in ROLE_LOCALS):
            return Role.SHOP
        if domain in self.own_domains:
            return Role.STAFF
        return Role.THIRD

    def _is_subject_name(self, tokens: Sequence[str]) -> bool:
        key = tuple(tokens)
        found = self._subject_name_cache.get(key)
        if found is None:
            found = self._subject_name_cache[key] = any(len(t) > 1 for t in tokens) and any(
                all(t in known or (len(t) == 1 and any(k.startswith(t) for k in known)) for t in tokens)
                for known in self.subject_names)
        return found

    def _is_shop_name(self, value: str) -> bool:
        low = value.strip().lower()
        return low in ROLE_NAMES or any(n in low for n in self.shop_names)

    def _declared_at(self, ds: Dataset, prefix: str) -> dict[str, tuple[str, tuple[str, Field] | None]]:
        """The remembered (path, declaration) of each key seen in the mappings at ``prefix`` of ``ds``'s records
        (the same few keys are looked up for every record)."""
        key = (id(ds), prefix)          # the redactor holds its datasets, so their ids stay theirs
        found = self._declarations.get(key)
        if found is None:
            found = self._declarations[key] = {}
        return found

    def _people_at(self, ds: Dataset, prefix: str) -> dict[tuple[str, ...], tuple[tuple[str, Kind], ...]]:
        """The remembered people fields (key, kind) of each shape (its keys, in order) of the mappings at ``prefix``
        of ``ds``'s records: the records of a dataset come in a few shapes."""
        key = (id(ds), prefix)
        found = self._shapes.get(key)
        if found is None:
            found = self._shapes[key] = {}
        return found

    def _declared(self, record: Mapping[str, Any]) -> Dataset | None:
        source = record.get("source") or {}
        return self.datasets.get(str(source.get("connector")), {}).get(str(record.get("dataset")))

    # ------------------------------------------------------------------ learning passes
    def prepare(self, spool: Spool) -> None:
        """Learn from every record who the subject is, then number the third parties in package order."""
        groups = spool.groups()
        # Both passes learn only from e-mail addresses (a name or phone counts beside one), so a record without
        # any form of "@" teaches nothing and is not even parsed (most of an activity feed or an order's lines).
        for category, processor, _ in groups:
            for line in spool.lines(category, processor):
                if _has_at(line):
                    self._learn_subject(json.loads(line), category)
        # Pseudonyms are numbered by where a person is first seen in the package: the group, then a digest of the
        # record's content (not its place in the spool, which varies with the order concurrent requests answer),
        # so every run over the same data gives the same labels.
        # A record whose every "@" is in a string that is just the subject's address (an order's e-mail field)
        # shows nobody else, so this pass need not parse it: in practice it parses a handful of records.
        theirs = self._subject_strings()
        for number, (category, processor, _) in enumerate(groups):
            for line in spool.lines(category, processor):
                if _has_at(line) and (theirs is None or _has_at(theirs.sub("", line))):
                    record = json.loads(line)
                    self._learn_others(record, (number, _digest(record)))
        self._number_sightings()
        self.kept_tokens |= {t for known in self.subject_names for t in known}
        for name in self.known_staff_names:
            if self.policy.staff == "keep":
                self.kept_tokens |= set(name)

    def _subject_strings(self) -> re.Pattern[str] | None:
        """A JSON string (in a spooled line) that is exactly one of the subject's addresses, in any case: what
        such a string holds, as a field or as text (found whole there), is the subject's, whoever reads it (None: no
        plain address)."""
        plain = sorted(a for a in self.subject_addresses if _PLAIN_ADDRESS.fullmatch(a)
                       and (found := _EMAIL_IN_TEXT.search(a)) is not None and found.group(0) == a)
        if not plain:
            return None
        # an unescaped quote opens a string (in a JSON line an escaped one is preceded by a backslash); ASCII case
        # only, as str.lower() undoes it (Unicode case folding would also take "ſ" for "s")
        return re.compile(r'(?<!\\)"(?:' + "|".join(re.escape(a) for a in plain) + ')"', re.IGNORECASE | re.ASCII)

    def _learn_subject(self, record: Mapping[str, Any], category: str) -> None:
        ds = self._declared(record)
        if ds is None:
            return
        for mapping, prefix in _mappings(record.get("data") or {}):
            emails, names, phones = _people_fields(mapping, prefix, ds, self._declared_at(ds, prefix),
                                                   self._people_at(ds, prefix))
            if category == "contact":   # the subject's own contact card: every address on it is theirs
                self.subject_addresses |= {normal_address(v) for v in emails
                                           if self.role_of(v) not in (Role.SHOP, Role.STAFF)}
            roles = {self.role_of(v) for v in emails}
            if Role.SUBJECT in roles and Role.THIRD not in roles:
                for v in names:
                    if name_tokens(v) and not self._is_shop_name(v):
                        name = frozenset(name_tokens(v))
                        if name not in self.subject_names:      # once each: every order repeats the name
                            self.subject_names.append(name)
                            self._subject_name_cache.clear()
                self.subject_phones |= {phone_key(v) for v in phones if len(phone_key(v)) >= 8}

    def _learn_others(self, record: Mapping[str, Any], where: tuple[int, int]) -> None:
        ds = self._declared(record)
        self._where = (*where, 0)
        data = record.get("data") or {}
        if ds is not None:
            for mapping, prefix in _mappings(data):
                emails, names, _ = _people_fields(mapping, prefix, ds, self._declared_at(ds, prefix),
                                                  self._people_at(ds, prefix))
                pair = self._pair(emails)
                for v in emails:
                    self._note_address(v)
                if pair is not None:
                    role, address = pair
                    for v in names:
                        tokens = name_tokens(v)
                        if not tokens or self._is_shop_name(v):
                            continue
                        if role is Role.THIRD:
                            # a namesake of the subject keeps a label in the field, but the subject's own name
                            # is never masked in text
                            if not self._is_subject_name(tokens):
                                self._sight(self._seen_third_names, tokens, address)
                                self._sight(self._seen_third, address)
                        elif role is Role.STAFF:
                            self.known_staff_names.add(tokens)
                            if self.policy.staff == "pseudonymise":
                                self._sight(self._seen_staff_names, tokens, address)
                                self._sight(self._seen_staff, address)
                        elif role is Role.SHOP:
                            self.kept_tokens |= set(tokens)
        for text in _texts(data, ds):
            for match in _EMAIL_IN_TEXT.finditer(text):
                self._note_address(match.group(0))
        for address in record.get("third_parties") or []:
            self._note_address(str(address))

    def _note_address(self, value: str) -> None:
        if "@" not in normal_address(value):
            return
        role = self.role_of(value)
        if role is Role.THIRD:
            self._sight(self._seen_third, normal_address(value))
        elif role is Role.STAFF and self.policy.staff == "pseudonymise":
            self._sight(self._seen_staff, normal_address(value))

    def _sight(self, seen: dict[Any, tuple[tuple[int, int, int], str]], key: Any, address: str = "") -> None:
        """Remember where ``key`` (an address, or a name with the address beside it) is first seen."""
        group, digest, step = self._where
        self._where = (group, digest, step + 1)
        if key not in seen or (group, digest, step) < seen[key][0]:
            seen[key] = ((group, digest, step), address)

    def _number_sightings(self) -> None:
        """Number third parties and staff in the order they were first seen; their names take their number."""
        for key in sorted(self._seen_third, key=lambda k: self._seen_third[k][0]):
            self._third_number(key)
        for key in sorted(self._seen_staff, key=lambda k: self._seen_staff[k][0]):
            self._staff_number(key)
        for tokens, (_, address) in sorted(self._seen_third_names.items(), key=lambda kv: kv[1][0]):
            self.third_names.setdefault(tokens, self._third_number(address))
        for tokens, (_, address) in sorted(self._seen_staff_names.items(), key=lambda kv: kv[1][0]):
            self.staff_names.setdefault(tokens, self._staff_number(address))

    def _pair(self, emails: Sequence[str]) -> tuple[Role, str] | None:
        """The role (and address) of the person a mapping's names and phones stand beside, if it has addresses."""
        found = [(self.role_of(v), normal_address(v)) for v in emails if "@" in v]
        for role in (Role.THIRD, Role.SUBJECT, Role.STAFF, Role.SHOP):
            for r, a in found:
                if r is role:
                    return r, a
        return None

    # ------------------------------------------------------------------ redaction
    def redact(self, record: Mapping[str, Any], category: str, file: str | None = None,
               index: int = 0) -> dict[str, Any]:
        """The record with other people's details replaced and internal fields left out; logged when ``file``."""
        if not self.policy.enabled:
            return dict(record)
        where = _Where(category=category, dataset=self._declared(record))
        out = dict(record)
        out["data"] = self._mapping(record.get("data") or {}, "", where)
        third = record.get("third_parties")
        if third:
            labels = []
            for address in third:
                role = self.role_of(str(address))
                if role is Role.THIRD:
                    label = self._label("third", self._third_number(normal_address(str(address))))
                    where.items[("third_parties", "third_party_email", "field", label)] += 1
                    labels.append(label)
            out["third_parties"] = sorted(set(labels), key=_label_order)
            if not out["third_parties"]:
                del out["third_parties"]
        if file is not None and where.items:
            source = record.get("source") or {}
            self.log.append(file, {
                "record": index, "dataset": record.get("dataset"), "vendor_id": source.get("vendor_id"),
                "redactions": [{"field": f, "kind": k, "in": w, "replacement": r, "count": n}
                               for (f, k, w, r), n in where.items.items()],
            })
            for (_, k, _, _), n in where.items.items():
                self.counts[k] += n
        return out

    def _mapping(self, mapping: Mapping[str, Any], prefix: str, where: _Where) -> dict[str, Any]:
        ds = where.dataset
        out: dict[str, Any] = {}
        if ds is None:
            for key, value in mapping.items():
                out[key] = self._value(value, f"{prefix}.{key}" if prefix else str(key), None, None, where)
            return out
        pair = None
        paired = False          # the pair is looked for once a field that stands beside it needs it
        declared = self._declared_at(ds, prefix)
        for key, value in mapping.items():
            path, found = declared.get(key) or _declare(declared, ds, prefix, key)
            kind = found[1].kind if found else None
            if kind is Kind.INTERNAL and found is not None:
                if value not in (None, "", [], {}):   # named by its label: even the vendor's key stays out
                    where.items[(found[1].en, "shop_internal", "field", None)] += 1
                continue
            if not isinstance(value, str | dict | list) or (kind in _KEPT and not isinstance(value, dict | list)):
                out[key] = value        # what _value keeps as it is, kept without asking it
                continue
            if not paired and kind in _PAIRED:
                pair = self._pair(_people_fields(mapping, prefix, ds, declared, self._people_at(ds, prefix))[0])
                paired = True
            out[key] = self._value(value, path, kind, pair, where)
        return out

    def _value(self, value: Any, path: str, kind: Kind | None, pair: tuple[Role, str] | None,
               where: _Where) -> Any:
        if isinstance(value, dict):
            return self._mapping(value, path, where)
        if isinstance(value, list):
            return [self._value(v, path, kind, pair, where) for v in value]
        if not isinstance(value, str) or not value.strip():
            return value
        if kind is Kind.EMAIL:
            return self._email_field(value, path, where)
        if kind is Kind.NAME:
            return self._name_field(value, path, pair, where)
        if kind is Kind.PHONE:
            return self._phone_field(value, path, pair, where)
        if kind is Kind.ADDRESS:
            if pair is not None and pair[0] is Role.THIRD:
                where.items[(path, "third_party_address", "field", self._label("address"))] += 1
                return self._label("address")
            return value
        if kind in _KEPT:
            return value
        if kind in (Kind.TEXT, Kind.URL, Kind.NETWORK):
            return self._text(value, path, where, emails_only=True)
        return self._text(value, path, where)           # FREE_TEXT, DATA, or undeclared

    def _email_field(self, value: str, path: str, where: _Where) -> str:
        addr = normal_address(value)
        if not _EMAIL_IN_TEXT.fullmatch(addr):
            return self._text(value, path, where, emails_only=True)
        role = self.role_of(addr)
        if role is Role.THIRD:
            label = self._label("third", self._third_number(addr))
            where.items[(path, "third_party_email", "field", label)] += 1
            return label
        if role is Role.STAFF and self.policy.staff == "pseudonymise":
            label = self._label("staff", self._staff_number(addr))
            where.items[(path, "staff_email", "field", label)] += 1
            return label
        return value

    def _name_field(self, value: str, path: str, pair: tuple[Role, str] | None, where: _Where) -> str:
        tokens = name_tokens(value)
        if not tokens:
            return value
        if pair is not None and pair[0] is Role.THIRD:
            return self._third_name(tokens, self._third_number(pair[1]), path, "field", where)
        if self._is_subject_name(tokens):
            return value
        if tokens in self.third_names:
            return self._third_name(tokens, self.third_names[tokens], path, "field", where)
        if self._is_shop_name(value) or where.category == "contact":
            return value
        if pair is not None and pair[0] in (Role.SHOP, Role.SUBJECT):
            return value
        if self.policy.staff == "pseudonymise":      # a staff member (beside a staff address, or unattributed)
            key = pair[1] if pair is not None else " ".join(tokens)
            number = self.staff_names.get(tokens) or self._staff_number(key)
            self.staff_names.setdefault(tokens, number)
            label = self._label("staff", number)
            where.items[(path, "staff_name", "field", label)] += 1
            return label
        return value

    def _third_name(self, tokens: tuple[str, ...], number: int, path: str, how: str, where: _Where) -> str:
        if not self._is_subject_name(tokens):
            self.third_names.setdefault(tokens, number)
        label = self._label("third", number)
        where.items[(path, "third_party_name", how, label)] += 1
        return label

    def _phone_field(self, value: str, path: str, pair: tuple[Role, str] | None, where: _Where) -> str:
        key = phone_key(value)
        mine = key in self.subject_phones or (pair is not None and pair[0] is Role.SUBJECT)
        if pair is not None and pair[0] is Role.THIRD:
            mine = False
        elif where.category == "contact" or (pair is not None and pair[0] is Role.SHOP):
            mine = True
        elif pair is not None and pair[0] is Role.STAFF:
            mine = self.policy.staff == "keep"
        if mine or len(key) < 6:
            return value
        where.items[(path, "third_party_phone", "field", self._label("phone"))] += 1
        return self._label("phone")

    def _names_in_text(self) -> list[tuple[re.Pattern[str], str, str]]:
        """Patterns for the package's third parties' (and pseudonymised staff's) names, longest first."""
        if self._text_names is None:
            entries: list[tuple[tuple[str, ...], str, str]] = []
            for tokens, n in self.third_names.items():
                entries.append((tokens, self._label("third", n), "third_party_name"))
            for tokens, n in self.staff_names.items():
                entries.append((tokens, self._label("staff", n), "staff_name"))
            patterns = []
            for tokens, label, kind in sorted(entries, key=lambda e: -len(" ".join(e[0]))):
                body = r"[\s,.]+".join(re.escape(t) for t in tokens)
                patterns.append((re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE), label, kind))
            # a third party's first or last name on its own ("Showroombezoek Jan en Els"), when no kept name has
            # it; _text skips it where a capitalised word stands right beside it (part of someone else's name)
            for tokens, label, kind in entries:
                for t in tokens:
                    if len(t) >= 3 and t not in self.kept_tokens and not self._is_shop_name(t):
                        patterns.append((re.compile(rf"(?<!\w){re.escape(t.capitalize())}(?!\w)"), label,
                                         kind + ":lone"))
            self._text_names = patterns
        return self._text_names

    def _text(self, value: str, path: str, where: _Where, *, emails_only: bool = False) -> str:
        """``value`` with other people's addresses (and, unless ``emails_only``, names and phone numbers) replaced,
        logged at ``path``; remembered per value (a package repeats its titles, links and user agents)."""
        key = (value, emails_only)
        found = self._text_memo.get(key)
        if found is None:
            found = self._text_once(value, emails_only)
            if len(value) <= _REMEMBERED_TEXT_LENGTH and len(self._text_memo) < _REMEMBERED_TEXTS:
                self._text_memo[key] = found
        text, replaced = found
        for kind, label, n in replaced:          # in the order they were made, as the log lists them
            where.items[(path, kind, "text", label)] += n
        return text

    def _text_once(self, value: str, emails_only: bool) -> tuple[str, tuple[tuple[str, str, int], ...]]:
        """:meth:`_text` of ``value``: the text and its replacements (kind, label, count), in order."""
        replaced: list[tuple[str, str, int]] = []

        def email(match: re.Match[str]) -> str:
            addr = normal_address(match.group(0))
            role = self.role_of(addr)
            if role is Role.THIRD:
                label = self._label("third", self._third_number(addr))
                replaced.append(("third_party_email", label, 1))
                return label
            if role is Role.STAFF and self.policy.staff == "pseudonymise":
                label = self._label("staff", self._staff_number(addr))
                replaced.append(("staff_email", label, 1))
                return label
            return match.group(0)

        text = _EMAIL_IN_TEXT.sub(email, value)
        if emails_only:
            return text, tuple(replaced)
        for pattern, label, kind in self._names_in_text():
            lone = kind.endswith(":lone")

            def name(match: re.Match[str], label: str = label, lone: bool = lone) -> str:
                if lone:   # part of another person's full name ("Els Vandamme", "Kristof Maes"): leave it
                    before = _WORD_BEFORE.search(match.string, 0, match.start())
                    if _CAPITALISED_AFTER.match(match.string, match.end()) or (
                            before and before.group(1)[0].isupper() and before.group(1).lower() in self.kept_tokens):
                        return match.group(0)
                return label

            named = pattern.sub(name, text)
            if named != text:
                n = len(pattern.findall(text)) - len(pattern.findall(named))
                replaced.append((kind.removesuffix(":lone"), label, max(n, 1)))
                text = named

        def phone(match: re.Match[str]) -> str:
            key = phone_key(match.group(0))
            digits = len(re.sub(r"\D", "", match.group(0)))
            if digits < 9 or digits > 15 or key in self.subject_phones:
                return match.group(0)
            replaced.append(("phone_in_free_text", self._label("phone"), 1))
            return self._label("phone")

        return _PHONE_IN_TEXT.sub(phone, text), tuple(replaced)

    def forget_texts(self) -> None:
        """Drop the texts remembered while redacting (this customer's values)."""
        self._text_memo.clear()

    # ------------------------------------------------------------------ the log
    def pseudonyms(self) -> list[dict[str, Any]]:
        """Every pseudonym used, in both languages (never the value it stands for)."""
        third = sorted(set(self.third.values()) | set(self.third_names.values()))
        staff = sorted(set(self.staff.values()) | set(self.staff_names.values()))
        return ([{"nl": self._label("third", n, "nl"), "en": self._label("third", n, "en"), "who": "third_party"}
                 for n in third] +
                [{"nl": self._label("staff", n, "nl"), "en": self._label("staff", n, "en"), "who": "staff"}
                 for n in staff])

    def summary(self) -> dict[str, Any]:
        """The manifest's ``redaction`` object: enabled, the staff rule, counts per kind, and the log's path."""
        return {
            "enabled": self.policy.enabled,
            "staff": self.policy.staff,
            "log": "redactions.json",
            "pseudonyms": len(self.pseudonyms()) if self.policy.enabled else 0,
            "counts": dict(sorted(self.counts.items())),
            "records": len(self.log),
        }

    def document(self) -> Iterator[bytes]:
        """redactions.json: what was replaced or left out, per file and record, and why; never a value (written
        piece by piece: at a large customer the per-record log is the biggest thing the package states)."""
        head = {
            "enabled": self.policy.enabled,
            "staff": self.policy.staff,
            "why": WHY,
            "kinds": KINDS,
            "labels": {k: dict(v) for k, v in LABELS.items()},
            "pseudonyms": self.pseudonyms() if self.policy.enabled else [],
            "counts": dict(sorted(self.counts.items())),
            "note": {"nl": "Elk .csv-bestand en index.html tonen dezelfde records als het .json-bestand ernaast.",
                     "en": "Each .csv file and index.html show the same records as the .json file beside them."},
        }
        yield json.dumps(head, ensure_ascii=False, indent=1)[:-2].encode("utf-8") + b',\n "files": {'
        for n, name in enumerate(sorted(self.log.files())):
            yield (b"," if n else b"") + b"\n  " + json.dumps(name).encode("utf-8") + b": ["
            for i, line in enumerate(self.log.lines(name)):
                yield (b"," if i else b"") + b"\n   " + line.rstrip(b"\n")
            yield b"\n  ]"
        yield b"\n }\n}\n"


class RedactionLog:
    """The per-record log of redactions, file by file, kept in unnamed scratch files rather than in memory."""

    def __init__(self) -> None:
        self._files: dict[str, IO[bytes]] = {}
        self._count = 0
        self.directory: Path | None = None      # where the scratch files go (the spool's private folder)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def append(self, file: str, entry: Mapping[str, Any]) -> None:
        """Log one record's redactions in ``file``."""
        sink = self._files.get(file)
        if sink is None:
            sink = self._files[file] = tempfile.TemporaryFile(dir=self.directory)
        sink.seek(0, 2)                   # a reader may have left it elsewhere
        sink.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        self._count += 1

    def files(self) -> list[str]:
        """The package files that have at least one entry."""
        return list(self._files)

    def lines(self, file: str) -> Iterator[bytes]:
        """One file's entries, each as its JSON line."""
        sink = self._files[file]
        sink.seek(0)
        yield from sink

    def __getitem__(self, file: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines(file)]

    def close(self) -> None:
        """Drop the scratch files (the log is empty afterwards)."""
        for sink in self._files.values():
            sink.close()
        self._files.clear()
        self._count = 0


def for_export(config: Config, subject: Subject, registry: Registry, language: str | None = None) -> RecordRedactor:
    """The redactor of one export: the config's ``[redaction]`` policy (its labels in ``language``, the pages'
    language, unless ``redaction.language`` says otherwise) and every registered connector's datasets."""
    table = dict(config.redaction)
    if language and "language" not in table:
        table["language"] = language
    return RecordRedactor(Policy.from_config(table, config.controller), subject, config.controller,
                          {name: cls.datasets for name, cls in registry.connectors.items()})


class RedactedSpool:
    """A read-only view of a spool whose records come out redacted. Each group is redacted once, on its first
    complete read (logged then), into a private file in the spool's folder; later reads (the CSV, the pages, the
    standard formats, the first screen) parse that file instead of redacting again. :meth:`close` removes it."""

    def __init__(self, spool: Spool, redactor: RecordRedactor) -> None:
        self.spool = spool
        self.redactor = redactor
        self._logged: set[tuple[str, str]] = set()
        self._redacted: dict[tuple[str, str], Path] = {}
        self._scratch: Path | None = None
        self._made = 0
        redactor.log.directory = spool.directory
        if redactor.policy.enabled:
            redactor.prepare(spool)

    def __enter__(self) -> RedactedSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def attachments(self) -> list[tuple[str, str, str, Any]]:
        """The spool's attachments, as they are (files are not redacted; see the README)."""
        return self.spool.attachments

    def groups(self) -> list[tuple[str, str, int]]:
        """(category, processor, record count), as the spool's."""
        return self.spool.groups()

    def read(self, category: str, processor: str) -> Iterator[dict[str, Any]]:
        """The group's records, redacted."""
        for _, record in self.entries(category, processor):
            yield record

    def entries(self, category: str, processor: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The group's records, redacted, each with its JSON text (one line, as the package's data file writes
        it: a reader that writes the record out need not encode it again)."""
        key = (category, processor)
        done = self._redacted.get(key)
        if done is not None:
            with done.open(encoding="utf-8") as fh:
                for line in fh:
                    yield line[:-1], json.loads(line)        # json.dumps writes no raw newline inside a line
            return
        first = key not in self._logged
        self._logged.add(key)
        file = f"data/{category}/{processor}.json" if first else None
        if not self.redactor.policy.enabled:
            for index, record in enumerate(self.spool.read(category, processor)):
                redacted = self.redactor.redact(record, category, file, index)
                yield json.dumps(redacted, ensure_ascii=False, default=str), redacted
            return
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix=".redacted-", dir=self.spool.directory))
        self._made += 1
        path = self._scratch / f"{self._made}.jsonl"
        with open_private(path, "w") as out:
            for index, record in enumerate(self.spool.read(category, processor)):
                redacted = self.redactor.redact(record, category, file, index)
                text = json.dumps(redacted, ensure_ascii=False, default=str)
                out.write(text + "\n")
                yield text, redacted
        self._redacted[key] = path          # reached only when the reader took every record

    def close(self) -> None:
        """Remove the redacted copies and the redaction log's scratch files (redactions.json is written by now)."""
        self.redactor.log.close()
        self.redactor.forget_texts()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
            self._redacted.clear()


# ---------------------------------------------------------------------------------------------- helpers
def _digest(record: Mapping[str, Any]) -> int:
    """A number that orders records by their content (dataset, vendor id, data), the same from run to run."""
    source = record.get("source") or {}
    text = json.dumps([record.get("dataset"), source.get("vendor_id"), record.get("data")], sort_keys=True,
                      ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _label_order(label: str) -> tuple[str, int]:
    head, _, n = label.rpartition(" ")
    return head, int(n) if n.isdigit() else 0


def _mappings(data: Any, prefix: str = "") -> Iterator[tuple[Mapping[str, Any], str]]:
    """Every mapping in ``data`` with its path (list positions left out), the root first."""
    stack: deque[tuple[Any, str]] = deque([(data, prefix)])
    while stack:
        value, where = stack.popleft()
        if isinstance(value, dict):
            yield value, where
            for key, child in value.items():     # only what can hold a mapping: a scalar yields nothing
                if isinstance(child, dict | list):
                    stack.append((child, f"{where}.{key}" if where else str(key)))
        elif isinstance(value, list):
            stack.extend((child, where) for child in value if isinstance(child, dict | list))


_PAIRED = (Kind.NAME, Kind.PHONE, Kind.ADDRESS)      # the kinds whose owner is the address beside them
_KEPT = frozenset({Kind.IDENTIFIER, Kind.DATE, Kind.AMOUNT, Kind.NUMBER, Kind.FLAG, Kind.CODE})   # never personal text
_TEXT_KINDS = (None, Kind.FREE_TEXT, Kind.DATA, Kind.TEXT, Kind.URL, Kind.NETWORK)


def _texts(data: Any, ds: Dataset | None) -> Iterator[str]:
    """Every string in ``data`` that redaction searches as text (all of them when nothing is declared)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            found = ds.field_for(path) if ds is not None else None
            if found is None or found[1].kind in _TEXT_KINDS:
                yield value
        elif isinstance(value, dict):      # pushed in reverse: popped in document order
            stack.extend(reversed([(child, f"{path}.{key}" if path else str(key)) for key, child in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(child, path) for child in value]))


_REMEMBERED_KEYS = 4096     # per dataset and path: a blob keyed by ids must not grow the memo without bound
_REMEMBERED_TEXTS = 8192    # short texts redacted (titles, links, user agents), not bodies
_REMEMBERED_TEXT_LENGTH = 256


def _declare(memo: dict[str, tuple[str, tuple[str, Field] | None]], ds: Dataset, prefix: str,
             key: str) -> tuple[str, tuple[str, Field] | None]:
    """(path, declaration) of ``key`` in a mapping at ``prefix``, remembered in ``memo``."""
    path = f"{prefix}.{key}" if prefix else str(key)
    entry = (path, ds.field_for(path))
    if len(memo) < _REMEMBERED_KEYS:
        memo[key] = entry
    return entry


_PEOPLE_KINDS = (Kind.EMAIL, Kind.NAME, Kind.PHONE)
_REMEMBERED_SHAPES = 64     # per dataset and path: mappings keyed by ids would each be a shape of their own


def _people_fields(mapping: Mapping[str, Any], prefix: str, ds: Dataset,
                   memo: dict[str, tuple[str, tuple[str, Field] | None]] | None = None,
                   shapes: dict[tuple[str, ...], tuple[tuple[str, Kind], ...]] | None = None,
                   ) -> tuple[list[str], list[str], list[str]]:
    """The e-mail addresses, names and phone numbers held directly by one mapping (its own scalar fields); which
    keys hold them is remembered per shape of mapping in ``shapes``."""
    found: dict[Kind, list[str]] = {Kind.EMAIL: [], Kind.NAME: [], Kind.PHONE: []}
    memo = {} if memo is None else memo
    shape = tuple(mapping)
    people = shapes.get(shape) if shapes is not None else None
    if people is None:
        people = tuple((key, declared[1].kind) for key in shape
                       if (declared := (memo.get(key) or _declare(memo, ds, prefix, key))[1]) is not None
                       and declared[1].kind in _PEOPLE_KINDS)
        if shapes is not None and len(shapes) < _REMEMBERED_SHAPES:
            shapes[shape] = people
    for key, kind in people:
        value = mapping[key]
        values = value if isinstance(value, list) else (value,)
        found[kind].extend(v for v in values if isinstance(v, str) and v.strip())
    return found[Kind.EMAIL], found[Kind.NAME], found[Kind.PHONE]
