"""The standard-format files (.eml, .ics) stay valid whatever a vendor's values hold: a line break never starts a
new header or property, a non-ASCII or pseudonymised address never fails the package."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import icalendar

from aggregator import formats


def _message(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "subject": "Offerte", "sentDateTime": "2026-01-01T10:00:00Z",
        "from": {"emailAddress": {"name": "Jan Desmet", "address": "jan.desmet@example.be"}},
        "toRecipients": [{"emailAddress": {"name": "Info", "address": "info@megasecurity.eu"}}],
        "body": {"contentType": "text", "content": "Hallo"},
    }
    return {**base, **fields}


def test_a_line_break_in_a_subject_or_name_never_adds_a_header():
    raw = formats.eml(_message(subject="Vraag\r\nBcc: spy@evil.example",
                               toRecipients=[{"emailAddress": {"name": "X\nReply-To: a@evil.example",
                                                               "address": "info@megasecurity.eu"}}]))
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and msg["Reply-To"] is None
    assert "Bcc: spy@evil.example" in str(msg["Subject"])            # kept as text on the subject line


def test_non_ascii_and_pseudonymised_addresses_and_an_odd_body_still_give_a_message():
    raw = formats.eml(_message(
        **{"from": {"emailAddress": {"name": "José", "address": "josé@exämple.be"}}},
        toRecipients=[{"emailAddress": {"name": "Derde partij 1", "address": "Derde partij 1"}}],
        body="just a string"))
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert "josé@exämple.be" in str(msg["From"])
    assert str(msg["To"]).startswith("Derde partij 1:")            # an empty group, not a fake address
    assert msg.get_content().strip() == "just a string"


def test_a_line_break_in_an_attendee_name_never_adds_a_calendar_property():
    event = {"subject": "Plaatsing", "start": {"dateTime": "2026-01-01T10:00:00", "timeZone": "UTC"},
             "end": {"dateTime": "2026-01-01T11:00:00", "timeZone": "UTC"},
             "attendees": [{"emailAddress": {"name": "A\r\nATTENDEE:mailto:evil@x.example", "address": "a@b.example"}}]}
    ics = formats.icalendar([event], datetime(2026, 1, 2, tzinfo=UTC))
    assert ics is not None
    [vevent] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    attendees = vevent.get("ATTENDEE")
    assert not isinstance(attendees, list) and str(attendees) == "mailto:a@b.example"
