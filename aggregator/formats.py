"""Standard formats beside the JSON: the person as a contact (vCard 4.0, RFC 6350), calendar events (iCalendar,
RFC 5545), e-mail messages (.eml, RFC 5322) and CSV that a Belgian Excel opens right (UTF-8 with BOM, ``;``).

The writers read records by their declared field paths or, for records of a connector that declares none yet,
by the shapes the vendors document (Microsoft Graph's message and event resources)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from aggregator.i18n import country_code, parse_moment
from aggregator.spool import Records

CRLF = "\r\n"
VCARD_PATH = "formats/contact.vcf"
ICS_PATH = "formats/calendar.ics"


# ----------------------------------------------------------------------------------------- shapes
def is_message(data: Mapping[str, Any]) -> bool:
    """A Microsoft Graph message (sender, recipients, body)."""
    return "toRecipients" in data and ("from" in data or "sender" in data)


def is_event(data: Mapping[str, Any]) -> bool:
    """A Microsoft Graph calendar event (start, end, attendees)."""
    return isinstance(data.get("start"), dict) and isinstance(data.get("end"), dict) and "attendees" in data


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(value: Any) -> str:
    """A value fit for a header or a content-line parameter: line breaks and control characters become a space
    (a vendor's CR/LF must never start a new header or calendar property)."""
    return _LINE_BREAKS.sub(" ", str(value or "")).strip()


def person(entry: Any) -> tuple[str, str]:
    """(name, address) of a Graph recipient ``{"emailAddress": {"name", "address"}}``, each on one line."""
    addr = (entry or {}).get("emailAddress") or {} if isinstance(entry, dict) else {}
    if not isinstance(addr, dict):
        return "", ""
    return one_line(addr.get("name")), one_line(addr.get("address"))


def eml_path(record: Mapping[str, Any]) -> str:
    """The package path of a message record's .eml file: per mailbox, dated, unique."""
    data = record["data"]
    box = re.sub(r"[^A-Za-z0-9_-]+", "_", str(data.get("mailbox") or "mail").split("@", 1)[0]) or "mail"
    when = str(data.get("sentDateTime") or data.get("receivedDateTime") or "")[:10] or "undated"
    key = hashlib.sha1(f"{data.get('mailbox')}/{record['source'].get('vendor_id') or data.get('id')}".encode())
    return f"formats/mail/{box}/{when}_{key.hexdigest()[:10]}.eml"


# ----------------------------------------------------------------------------------------- .eml
class _Policy(EmailPolicy):
    """``email.policy.SMTPUTF8``, remembering the headers it parses: a mailbox's messages repeat their senders and
    recipients, and the header parser (a class made per header, then a full parse) was most of an .eml's time. A
    parsed header is immutable (folding works on a copy of its parse tree), so one can serve every message."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        """What the stock policy returns, from memory when this (name, value) was parsed before."""
        if isinstance(value, str) and not hasattr(value, "name"):
            return _parsed_header(self, name, value)
        return super().header_store_parse(name, value)


@lru_cache(maxsize=4096)
def _parsed_header(policy: _Policy, name: str, value: str) -> tuple[str, Any]:
    return EmailPolicy.header_store_parse(policy, name, value)


def forget() -> None:
    """Drop the remembered headers (the names, addresses and subjects of the package just written)."""
    _parsed_header.cache_clear()


_SMTPUTF8 = _Policy(linesep="\r\n", utf8=True)        # SMTPUTF8's settings: SMTP's line ends, UTF-8 headers


def _mailbox(name: str, address: str) -> str:
    """One address for a header: ``Name <addr>``; an internationalised address as it is (RFC 6532); a pseudonym
    that replaced an address ("Derde partij 1") as an empty group ``Derde partij 1:;`` (RFC 5322 §3.4)."""
    if "@" not in address:
        label = re.sub(r"[^\w .'-]+", " ", name or address).strip() or "unknown"
        return f"{label}:;"
    try:
        return formataddr((name, address))
    except UnicodeError:        # a non-ASCII address (SMTPUTF8): written as it is, the name quoted
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>' if name else f"<{address}>"


def eml(data: Mapping[str, Any]) -> bytes:
    """One message as an RFC 5322 file with its text (or HTML) body; a header the vendor's data makes invalid is
    left out rather than failing the package (the message's JSON keeps every value)."""
    msg = EmailMessage(policy=_SMTPUTF8)
    headers: list[tuple[str, str]] = []
    name, address = person(data.get("from") or data.get("sender"))
    if address:
        headers.append(("From", _mailbox(name, address)))
    for header, key in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Reply-To", "replyTo")):
        people = data.get(key)
        shown = [_mailbox(*person(p)) for p in (people if isinstance(people, list) else []) if person(p)[1]]
        if shown:
            headers.append((header, ", ".join(shown)))
    moment = parse_moment(data.get("sentDateTime") or data.get("receivedDateTime"))
    if isinstance(moment, datetime):
        headers.append(("Date", format_datetime(moment.astimezone(UTC))))
    headers.append(("Subject", one_line(data.get("subject"))))
    if data.get("internetMessageId"):
        headers.append(("Message-ID", one_line(data["internetMessageId"])))
    for header, value in headers:
        try:
            msg[header] = value
        except (ValueError, TypeError, IndexError):     # email's header parser refuses what it cannot fold
            continue
    body = data.get("body")
    body = body if isinstance(body, dict) else {"content": body}
    content = str(body.get("content") or "").replace("\r\n", "\n")
    msg.set_content(content, subtype="html" if str(body.get("contentType") or "text").lower() == "html" else "plain")
    try:
        return msg.as_bytes()
    except (ValueError, TypeError, UnicodeError, IndexError):   # a header that parsed but will not serialise
        plain = EmailMessage(policy=_SMTPUTF8)
        plain["Subject"] = one_line(data.get("subject")).encode("ascii", "replace").decode()
        plain.set_content(content)
        return plain.as_bytes()


# ----------------------------------------------------------------------------------------- iCalendar
def _escape(text: Any) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1, RFC 6350 §3.2)."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line + CRLF
    parts: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += b
    parts.append(current.decode("utf-8"))
    return (CRLF + " ").join(parts) + CRLF


def _utc(value: Any) -> str | None:
    moment = parse_moment(value)
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return None


def icalendar(events: Iterable[Mapping[str, Any]], stamp: datetime) -> bytes | None:
    """Calendar events (Graph shape) as one VCALENDAR; None when there are none."""
    chunks = list(icalendar_chunks(events, stamp))
    return b"".join(chunks) if len(chunks) > 2 else None


def icalendar_chunks(events: Iterable[Mapping[str, Any]], stamp: datetime) -> Iterator[bytes]:
    """:func:`icalendar` an event at a time (a VCALENDAR with no event when none has a start)."""
    yield _lines(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Mega Security//dsar-aggregator//NL",
                  "CALSCALE:GREGORIAN"])
    for data in events:
        lines = _vevent(data, stamp)
        if lines:
            yield _lines(lines)
    yield _lines(["END:VCALENDAR"])


def _lines(lines: list[str]) -> bytes:
    return "".join(_fold(line) for line in lines).encode("utf-8")


def has_start(data: Mapping[str, Any]) -> bool:
    """An event the calendar can show (it has a start)."""
    return _utc(data.get("start")) is not None


def _vevent(data: Mapping[str, Any], stamp: datetime) -> list[str]:
    """One event's content lines (none when it has no start)."""
    start, end = _utc(data.get("start")), _utc(data.get("end"))
    if not start:
        return []
    uid = str(data.get("iCalUId") or data.get("id") or hashlib.sha1(repr(data).encode()).hexdigest())
    lines = ["BEGIN:VEVENT", f"UID:{_escape(uid)}",
             f"DTSTAMP:{_utc(data.get('lastModifiedDateTime')) or stamp.strftime('%Y%m%dT%H%M%SZ')}",
             f"DTSTART:{start}"]
    if end:
        lines.append(f"DTEND:{end}")
    lines.append(f"SUMMARY:{_escape(data.get('subject') or '')}")
    where = (data.get("location") or {}).get("displayName")
    if where:
        lines.append(f"LOCATION:{_escape(where)}")
    body = str((data.get("body") or {}).get("content") or "").strip()
    if body:
        lines.append(f"DESCRIPTION:{_escape(body)}")
    name, address = person(data.get("organizer"))
    if address:
        lines.append(f"ORGANIZER;CN={_param(name)}:mailto:{address}" if name else f"ORGANIZER:mailto:{address}")
    for attendee in data.get("attendees") or []:
        name, address = person(attendee)
        if address:
            lines.append(f"ATTENDEE;CN={_param(name)}:mailto:{address}" if name else f"ATTENDEE:mailto:{address}")
    if data.get("isCancelled"):
        lines.append("STATUS:CANCELLED")
    lines.append("END:VEVENT")
    return lines


def _param(text: str) -> str:
    return '"' + one_line(text).replace('"', "'") + '"'


# ----------------------------------------------------------------------------------------- vCard
# Where a record keeps the parts of a name, phone and postal address, by field path (declared datasets) or
# by the vendor's documented key (Graph contacts, Mailchimp merge fields).
_GIVEN = ("firstname", "FirstName", "payer_name.given_name", "givenName", "merge_fields.FNAME")
_FAMILY = ("lastname", "LastName", "payer_name.surname", "surname", "merge_fields.LNAME")
_PHONES = ("phone", "mobile", "Phone", "MobilePhone", "mobilePhone", "merge_fields.PHONE")
_ADDRESS_PARTS = {
    "street": ("street", "Address_Street", "line1", "addr1"),
    "number": ("number", "Address_Unit"),
    "box": ("extension", "Address_UnitAppendix"),
    "extra": ("street2", "line2", "addr2"),
    "zip": ("zipcode", "Address_PostalCode", "postal_code", "postalCode", "zip"),
    "city": ("city", "Address_City"),
    "region": ("region", "state"),
    "country": ("country", "Address_CountryCode", "country_code", "countryOrRegion"),
}


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _address(parts: Mapping[str, Any]) -> dict[str, str] | None:
    found = {role: str(next((parts.get(k) for k in keys if parts.get(k)), "") or "").strip()
             for role, keys in _ADDRESS_PARTS.items()}
    if not (found["street"] and found["city"]):
        return None
    country = parts.get("country") if isinstance(parts.get("country"), dict) else None
    if country:   # Lightspeed writes {"code": "be", "title": "België"}
        found["country"] = str(country.get("code") or country.get("title") or "")
    found["country"] = country_code(found["country"]) or found["country"]
    return found


def contact_facts(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The person's names, phones and postal addresses found in contact and address records, deduplicated."""
    given: list[str] = []
    family: list[str] = []
    phones: list[str] = []
    addresses: list[dict[str, str]] = []

    def add(bucket: list[Any], value: Any) -> None:
        if value and value not in bucket:
            bucket.append(value)

    for record in records:
        data = record["data"]
        for path in _GIVEN:
            add(given, str(_get(data, path) or "").strip())
        for path in _FAMILY:
            add(family, str(_get(data, path) or "").strip())
        for path in _PHONES:
            add(phones, str(_get(data, path) or "").strip())
        pp = _get(data, "phone_number")
        if isinstance(pp, dict) and pp.get("national_number"):
            add(phones, f"+{pp.get('country_code') or ''} {pp['national_number']}".replace("+ ", ""))
        for key in ("homeAddress", "businessAddress", "otherAddress", "address", "merge_fields.ADDRESS"):
            sub = _get(data, key)
            if isinstance(sub, dict):
                add(addresses, _address(sub))
        add(addresses, _address(data))
        for key, prefix in (("addressBillingStreet", "addressBilling"), ("addressShippingStreet", "addressShipping")):
            if data.get(key):
                add(addresses, _address({k[len(prefix):].lower(): v for k, v in data.items() if k.startswith(prefix)}))
    return {"given": given, "family": family, "phones": phones, "addresses": [a for a in addresses if a]}


def vcard(facts: Mapping[str, Any], email: str) -> bytes:
    """The person as one vCard 4.0 (RFC 6350)."""
    given = facts["given"][0] if facts["given"] else ""
    family = facts["family"][0] if facts["family"] else ""
    full = " ".join(p for p in (given, family) if p) or email
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_escape(full)}", f"N:{_escape(family)};{_escape(given)};;;",
             f"EMAIL;TYPE=home:{email}"]
    for tel in dict.fromkeys(re.sub(r"[^0-9+]", "", phone) for phone in facts["phones"]):
        if tel:
            lines.append(f"TEL;VALUE=uri:tel:{tel}")
    adr = []
    for a in facts["addresses"]:
        street = " ".join(p for p in (a["street"], a["number"], a["box"] and f"bus {a['box']}") if p)
        adr.append("ADR;TYPE=home:" + ";".join(
            _escape(x) for x in ("", a["extra"], street, a["city"], a["region"], a["zip"], a["country"])))
    lines += dict.fromkeys(adr)
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines).encode("utf-8")


# ----------------------------------------------------------------------------------------- all of them
def files(spool: Records, email: str, stamp: datetime,
          scratch: Path | None = None) -> Iterator[tuple[str, Iterable[bytes], dict[str, Any]]]:
    """Every standard-format file the spooled records give: (package path, content in chunks, manifest metadata).
    The calendar's events wait in an unnamed scratch file (0600, in ``scratch``) while the e-mails are written,
    rather than in a list: a busy mailbox holds thousands."""
    groups = spool.groups()
    if any(n for c, _, n in groups if c in ("contact", "addresses")):
        contacts = (r for c, p, _ in groups if c in ("contact", "addresses") for r in spool.read(c, p))
        yield VCARD_PATH, [vcard(contact_facts(contacts), email)], {"category": "contact", "format": "vcard"}
    with tempfile.TemporaryFile(dir=scratch) as events:
        count = 0
        for category, processor, _ in groups:
            if category != "communications":
                continue
            for record in spool.read(category, processor):
                data = record["data"]
                if is_message(data):
                    yield eml_path(record), [eml(data)], {"category": category, "processor": processor,
                                                          "format": "eml"}
                elif is_event(data) and has_start(data):
                    events.write(json.dumps(data).encode("ascii") + b"\n")   # escapes keep any text
                    count += 1
        if count:
            events.seek(0)
            yield ICS_PATH, icalendar_chunks((json.loads(line) for line in events), stamp), {
                "category": "communications", "format": "icalendar"}


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value safe for a spreadsheet: text that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+``,
    ``-``, ``@``, a leading tab or carriage return) gets a leading apostrophe (OWASP CSV injection guidance)."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_rows(records: Iterable[Mapping[str, Any]], columns: list[str]) -> Iterator[bytes]:
    """CSV as a Belgian Excel opens it: UTF-8 with a byte-order mark, ``;`` between fields, CRLF line ends;
    every cell passed through :func:`csv_cell`."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, delimiter=";")
    writer.writerow([csv_cell(c) for c in ("dataset", "vendor_id", "retrieved_at", *columns)])
    for record in records:
        src = record["source"]
        writer.writerow([csv_cell(v) for v in (record["dataset"], src.get("vendor_id"), src.get("retrieved_at"),
                                                 *(record["data"].get(c) for c in columns))])
        if buf.tell() > 65536:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")
