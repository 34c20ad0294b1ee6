"""The data subject: one e-mail address (and maybe a customer number), validated and normalised."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aggregator.errors import InputError

# Deliberately plain: one @, a dot-separated domain with a TLD, no spaces or angle brackets.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")


# An address inside free text (a message body, a note): for spotting other people's addresses.
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                            r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def emails_in(text: object) -> list[str]:
    """Every e-mail address found in ``text`` (not validated further), in order of appearance."""
    return _EMAIL_IN_TEXT.findall(text) if isinstance(text, str) else []


def normalise_email(value: str) -> str:
    """Trim and lower-case an address for comparison (vendors keep addresses in any case)."""
    return value.strip().lower()


def same_email(a: str | None, b: str | None) -> bool:
    """Compare two addresses the way every connector must: trimmed and case-insensitively."""
    if not a or not b:
        return False
    return normalise_email(a) == normalise_email(b)


@dataclass(frozen=True)
class Subject:
    """Who the request is about. ``email`` is trimmed and lower-cased."""

    email: str
    customer_number: str | None = None

    @classmethod
    def parse(cls, email: str, customer_number: str | int | None = None) -> Subject:
        """The subject for ``email`` (normalised) and an optional customer number; an invalid one raises InputError."""
        address = normalise_email(email or "")
        if len(address) > 254 or not _EMAIL.match(address) or ".." in address:
            raise InputError(f"not a valid e-mail address: {email.strip()!r}")
        number = str(customer_number).strip() if customer_number not in (None, "") else None
        if number is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", number):
            raise InputError(f"not a valid customer number: {number!r}")
        return cls(email=address, customer_number=number)

    def matches(self, address: str | None) -> bool:
        """Whether ``address`` is the subject's (trimmed, case-insensitively)."""
        return same_email(self.email, address)
