"""The fixed vocabulary of data categories: slug (used in package paths), English and Dutch labels, DPV IRI.

The IRIs are the closest concept of the W3C Data Privacy Vocabulary (DPV 2, personal-data extension
``https://w3id.org/dpv/pd#``; consent is a core DPV concept). A connector may only emit these slugs; the
plugin manager rejects a connector that declares any other.
"""

from __future__ import annotations

from dataclasses import dataclass

PD = "https://w3id.org/dpv/pd#"
DPV = "https://w3id.org/dpv#"


@dataclass(frozen=True)
class Category:
    """One data category: its slug, English and Dutch labels, DPV IRI and a plain description."""

    slug: str
    en: str
    nl: str
    iri: str
    description: str


CATEGORIES: dict[str, Category] = {
    c.slug: c
    for c in (
        Category("contact", "Identity and contact details", "Identiteit en contactgegevens", PD + "Contact",
                 "Name, e-mail address, telephone number, customer number."),
        Category("addresses", "Postal addresses", "Postadressen", PD + "PhysicalAddress",
                 "Billing, shipping and other postal addresses."),
        Category("account", "Account and profile", "Account en profiel", PD + "AccountIdentifier",
                 "Account identifiers, language, customer groups, account dates."),
        Category("orders", "Orders and purchases", "Bestellingen en aankopen", PD + "Purchase",
                 "Orders, ordered products, quotes and returns."),
        Category("shipments", "Shipments and carriers", "Zendingen en vervoerders", PD + "Transactional",
                 "Shipments, the carrier that delivered them and what it received."),
        Category("payments", "Payments", "Betalingen", PD + "Transaction",
                 "Payment method, payment status, payer details and transactions."),
        Category("invoices", "Invoices and bookkeeping", "Facturen en boekhouding", PD + "Financial",
                 "Invoices, invoice lines and bookkeeping relation records."),
        Category("marketing", "Newsletter and marketing", "Nieuwsbrief en marketing", PD + "Preference",
                 "Newsletter membership, interests, tags and marketing preferences."),
        Category("consent", "Consent records", "Toestemmingen", DPV + "Consent",
                 "Opt-in and opt-out status, marketing permissions, when and from where consent was given."),
        Category("engagement", "Engagement and activity", "Interactie en activiteit", PD + "Behavioural",
                 "Opens, clicks, events and other activity recorded about the person."),
        Category("communications", "Messages and correspondence", "Berichten en correspondentie",
                 PD + "Communication", "E-mail messages, support tickets, notes and calendar events."),
        Category("feedback", "Reviews and feedback", "Beoordelingen en feedback", PD + "Opinion",
                 "Product reviews and ratings written by the person."),
        Category("technical", "Technical data", "Technische gegevens", PD + "DeviceBased",
                 "IP addresses, user agents and other device data recorded with an action."),
    )
}


def get(slug: str) -> Category:
    """The category with this slug; an unknown slug raises KeyError."""
    return CATEGORIES[slug]
