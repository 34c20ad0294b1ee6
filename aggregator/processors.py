"""The processor register: who holds the shop's customer data, why, where, and for how long.

Defaults mirror Mega Security's privacy policy; any field can be overridden per processor in the
``[processors.<key>]`` table of the config (see README).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from aggregator.errors import ConfigError


@dataclass(frozen=True)
class Processor:
    """One processor of the shop's register: what it does, why, on which basis, where, how long."""

    key: str
    name: str
    service: str
    purpose: str
    legal_basis: str
    data_shared: str
    country: str
    transfer_safeguard: str
    retention: str
    has_api: bool = True


DEFAULT_PROCESSORS: dict[str, Processor] = {
    p.key: p
    for p in (
        Processor(
            "lightspeed", "Lightspeed eCom", "Webshop platform, hosting and transactional e-mail",
            "Running the webshop: customer accounts, orders, shipments, reviews and order e-mails.",
            "Performance of a contract (GDPR art. 6.1.b)",
            "Identity and contact details, addresses, orders, payment status, reviews, support tickets.",
            "Netherlands (EU)", "Within the EEA: no transfer",
            "As long as the account exists; orders 7 years (tax law)."),
        Processor(
            "mailchimp", "Mailchimp (Intuit)", "Newsletter",
            "Sending the newsletter to subscribers and measuring opens and clicks.",
            "Consent (GDPR art. 6.1.a)",
            "E-mail address, name, subscription and consent status, opens, clicks, tags, notes.",
            "United States", "EU-US Data Privacy Framework; standard contractual clauses",
            "Until unsubscription, then kept as an unsubscribed record."),
        Processor(
            "paypal", "PayPal (Europe) S.à r.l. et Cie, S.C.A.", "Payments",
            "Processing payments for orders.", "Performance of a contract (GDPR art. 6.1.b)",
            "Payer name, e-mail address, addresses, transaction amounts and dates.",
            "Luxembourg (EU)", "Within the EEA; transfers under binding corporate rules",
            "As required by financial regulation (typically 10 years)."),
        Processor(
            "silvasoft", "Silvasoft", "Invoicing and bookkeeping",
            "Issuing invoices and keeping the accounts.", "Legal obligation (GDPR art. 6.1.c)",
            "Name, address, e-mail address, VAT number, invoices and invoice lines.",
            "Netherlands (EU)", "Within the EEA: no transfer", "7 years (Belgian accounting law)."),
        Processor(
            "office365", "Microsoft Office 365", "Business e-mail and calendar",
            "Corresponding with customers by e-mail; appointments.",
            "Legitimate interest (GDPR art. 6.1.f)",
            "E-mail messages to and from the customer, contact details, calendar invitations.",
            "Ireland (EU) with possible transfers to the United States",
            "EU Data Boundary; EU-US Data Privacy Framework; standard contractual clauses",
            "As long as needed for the correspondence, at most 7 years."),
        Processor(
            "transport", "Transport companies (bpost, PostNL, DPD, ...)", "Delivery of orders",
            "Delivering ordered goods.", "Performance of a contract (GDPR art. 6.1.b)",
            "Name, shipping address, telephone number where needed; per shipment (see the shipments category).",
            "Belgium / EU", "Within the EEA: no transfer", "According to the carrier's own policy.",
            has_api=False),
        Processor(
            "google_analytics", "Google Analytics", "Website statistics",
            "Measuring the use of the webshop with anonymised IP addresses.",
            "Legitimate interest / consent for cookies",
            "Pseudonymous cookie identifier, anonymised IP address, pages visited.",
            "United States", "EU-US Data Privacy Framework; standard contractual clauses",
            "26 months; not linked to the e-mail address, so not retrievable per person.",
            has_api=False),
    )
}

_OVERRIDABLE = {f.name for f in fields(Processor)} - {"key"}


def build_register(overrides: Mapping[str, Mapping[str, Any]] | None,
                   extra: Mapping[str, Processor] | None = None) -> dict[str, Processor]:
    """The default register plus plugins' processors (``extra``), with the config's ``[processors.*]``
    overrides applied last (new keys allowed)."""
    register = dict(DEFAULT_PROCESSORS)
    for key, proc in (extra or {}).items():
        register.setdefault(key, proc)
    for key, values in (overrides or {}).items():
        if not isinstance(values, Mapping):
            raise ConfigError(f"config: [processors.{key}] must be a table")
        unknown = set(values) - _OVERRIDABLE
        if unknown:
            raise ConfigError(f"config: [processors.{key}] has unknown key(s): {', '.join(sorted(unknown))}")
        if key in register:
            register[key] = replace(register[key], **values)
        else:
            missing = _OVERRIDABLE - set(values) - {"has_api"}
            if missing:
                raise ConfigError(f"config: new processor [processors.{key}] lacks: {', '.join(sorted(missing))}")
            register[key] = Processor(key=key, **values)
    return register
