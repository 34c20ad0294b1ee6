"""Who may receive a package without a further identity check: the subject's own address, or an address a
connector found for the same person. Any other recipient needs ``verified_by`` (how their identity was checked).

The addresses are collected at export time from the run's own evidence:

* the address the request was made with;
* identifiers of kind ``email`` that a connector offered on the identifier bus;
* the ``email`` (``Email``, ``email_address``) field of ``contact`` records, which connectors emit only for
  accounts that passed their ownership check (Lightspeed's customer account, Silvasoft's relation, PayPal's payer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aggregator.errors import DeliveryRefused, InputError
from aggregator.identifiers import EMAIL, Identifier
from aggregator.spool import Spool
from aggregator.subject import Subject, normalise_email

EMAIL_FIELDS = ("email", "Email", "email_address", "EmailAddress")
OWN = "the subject's own address"


def _valid(address: str) -> str | None:
    try:
        return Subject.parse(address).email
    except InputError:
        return None


def known_addresses(subject: Subject, spool: Spool, identifiers: Iterable[Identifier]) -> dict[str, str]:
    """Every address the shop knows for ``subject`` after a run, mapped to where it was found."""
    known = {subject.email: OWN}
    for item in identifiers:
        address = _valid(item.value) if item.kind == EMAIL else None
        if address:
            known.setdefault(address, f"{item.source}: e-mail identifier")
    for category, processor, _ in spool.groups():
        if category != "contact":
            continue
        for record in spool.read(category, processor):
            data = record.get("data")
            if not isinstance(data, dict):
                continue
            for key in EMAIL_FIELDS:
                value = data.get(key)
                address = _valid(value) if isinstance(value, str) else None
                if address:
                    known.setdefault(address, f"{record['source']['connector']}: {record['dataset']} record")
    return known


def check_recipient(to: str, known: Mapping[str, str], verified_by: str | None) -> tuple[str, str]:
    """(normalised address, how the recipient is verified); raises :class:`DeliveryRefused`."""
    address = _valid(to or "")
    if address is None:
        raise InputError(f"not a valid e-mail address: {(to or '').strip()!r}")
    if verified_by and verified_by.strip():
        return address, verified_by.strip()
    source = known.get(normalise_email(address))
    if source is None:
        raise DeliveryRefused(f"{address} is not an address the shop knows for this subject: verify the "
                              "recipient's identity first and record how with --verified-by")
    return address, f"known address ({source})"
