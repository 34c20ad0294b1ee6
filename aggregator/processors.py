"""The processor register: who holds the shop's customer data, why, where, and for how long.

Defaults mirror Mega Security's privacy policy; any field can be overridden per processor in the
``[processors.<key>]`` table of the config (see README).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
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
    # What the first screen of the answer needs beyond the register (Art. 15(1)(c), (d), (g), Art. 46):
    recipients: str = ""           # who receives the data through this processor
    outside_eea: bool = False      # data may leave the EEA (then ``transfer_safeguard`` names the Art. 45/46 basis)
    retention_source: str = ""     # the law or policy the retention period rests on, cited
    source: str = ""               # what this processor holds that did not come from the subject, and from where
    nl: Mapping[str, str] = field(default_factory=dict)   # Dutch of the text fields above, by field name

    def text(self, name: str, lang: str) -> tuple[str, str]:
        """A text field in ``lang`` and the language it is really in (the English when no Dutch is given)."""
        english = str(getattr(self, name) or "")
        if lang == "nl" and self.nl.get(name):
            return self.nl[name], "nl"
        return english, "en"


# Retention sources, checked (see README "The answer a customer reads"): the Belgian VAT Code art. 60 §4 as amended
# by the Act of 20 November 2022 (in force 1 January 2023, circular 2023/C/58) keeps invoices and the documents
# of art. 60 §1 (orders, delivery and payment documents) 10 years from 1 January after their date; the Code of
# Economic Law art. III.88 keeps the books 7 years from 1 January after their closing.
VAT_CODE_60 = "Belgian VAT Code art. 60 §§1 and 4, as amended by the Act of 20 November 2022 (from 1 January 2023)"
VAT_CODE_60_NL = ("Btw-Wetboek art. 60, §§ 1 en 4, zoals gewijzigd door de wet van 20 november 2022 "
                  "(vanaf 1 januari 2023)")
POLICY = "Mega Security's privacy policy"
POLICY_NL = "privacyverklaring van Mega Security"

DEFAULT_PROCESSORS: dict[str, Processor] = {
    p.key: p
    for p in (
        Processor(
            "lightspeed", "Lightspeed eCom", "Webshop platform, hosting and transactional e-mail",
            "Running the webshop: customer accounts, orders, shipments, reviews and order e-mails.",
            "Performance of a contract (GDPR art. 6.1.b)",
            "Identity and contact details, addresses, orders, payment status, reviews, support tickets.",
            "Netherlands (EU)", "Within the EEA: no transfer",
            "Your account: as long as it exists. Orders, shipments and invoices: 10 years from 1 January after "
            "their date.",
            recipients="Lightspeed (hosting); the carrier of each shipment receives your name and delivery address.",
            retention_source=VAT_CODE_60,
            source="Your IP address and browser with each order, recorded by the webshop.",
            nl={"service": "Webwinkelplatform, hosting en e-mails over bestellingen",
                "purpose": "De webwinkel draaien: klantaccounts, bestellingen, zendingen, beoordelingen en "
                           "e-mails over uw bestelling.",
                "legal_basis": "Uitvoering van de overeenkomst (art. 6.1.b AVG)",
                "data_shared": "Identiteit en contactgegevens, adressen, bestellingen, betaalstatus, "
                               "beoordelingen, vragen aan de klantendienst.",
                "country": "Nederland (EU)", "transfer_safeguard": "Binnen de EER: geen doorgifte",
                "retention": "Uw account: zolang het bestaat. Bestellingen, zendingen en facturen: 10 jaar vanaf "
                             "1 januari na hun datum.",
                "recipients": "Lightspeed (hosting); de vervoerder van elke zending krijgt uw naam en leveradres.",
                "retention_source": VAT_CODE_60_NL,
                "source": "Uw IP-adres en browser bij elke bestelling, vastgelegd door de webwinkel."}),
        Processor(
            "mailchimp", "Mailchimp (Intuit)", "Newsletter",
            "Sending the newsletter to subscribers and measuring opens and clicks.",
            "Consent (GDPR art. 6.1.a)",
            "E-mail address, name, subscription and consent status, opens and clicks per campaign (with time, link and "
            "IP address), tags, notes, abuse reports, past conversations; customers, orders and carts synced from the "
            "webshop.",
            "United States", "EU-US Data Privacy Framework; standard contractual clauses",
            "Until unsubscription, then kept as an unsubscribed record.",
            recipients="Intuit Mailchimp (United States).", outside_eea=True, retention_source=POLICY,
            source="Opens, clicks and a member rating, recorded and worked out by Mailchimp.",
            nl={"service": "Nieuwsbrief",
                "purpose": "De nieuwsbrief sturen aan wie zich inschreef, en meten of hij geopend en aangeklikt "
                           "wordt.",
                "legal_basis": "Toestemming (art. 6.1.a AVG)",
                "data_shared": "E-mailadres, naam, inschrijving en toestemming, openingen en klikken per campagne "
                               "(met tijdstip, link en IP-adres), labels, notities, klachten over spam, vroegere "
                               "gesprekken; klanten, bestellingen en winkelmandjes uit de webwinkel.",
                "country": "Verenigde Staten",
                "transfer_safeguard": "EU-VS-kader voor gegevensbescherming (art. 45 AVG); "
                                      "standaardcontractbepalingen (art. 46 AVG)",
                "retention": "Tot u zich uitschrijft; daarna blijft alleen een uitgeschreven adres bewaard.",
                "recipients": "Intuit Mailchimp (Verenigde Staten).", "retention_source": POLICY_NL,
                "source": "Openingen, klikken en een score, vastgesteld en berekend door Mailchimp."}),
        Processor(
            "paypal", "PayPal (Europe) S.à r.l. et Cie, S.C.A.", "Payments",
            "Processing payments for orders.", "Performance of a contract (GDPR art. 6.1.b)",
            "Payer name, e-mail address, addresses, transaction amounts and dates, disputes with their messages, "
            "shipment tracking.",
            "Luxembourg (EU)", "Within the EEA; transfers under binding corporate rules",
            "Our payment records: 10 years from 1 January after their date. PayPal keeps its own records as "
            "its own legal duties require.",
            recipients="PayPal, which is also a controller in its own right for your PayPal account.",
            retention_source=VAT_CODE_60,
            source="Payment status, PayPal's checks of your account and address, from PayPal.",
            nl={"service": "Betalingen", "purpose": "Betalingen voor bestellingen verwerken.",
                "legal_basis": "Uitvoering van de overeenkomst (art. 6.1.b AVG)",
                "data_shared": "Naam van de betaler, e-mailadres, adressen, bedragen en data van betalingen, "
                               "geschillen met hun berichten, verzendgegevens (track & trace).",
                "country": "Luxemburg (EU)",
                "transfer_safeguard": "Binnen de EER; doorgiften binnen PayPal op grond van bindende "
                                      "bedrijfsvoorschriften (art. 47 AVG)",
                "retention": "Onze betaalgegevens: 10 jaar vanaf 1 januari na hun datum. PayPal bewaart zijn "
                             "eigen gegevens zoals zijn eigen wettelijke plichten vragen.",
                "recipients": "PayPal, dat voor uw PayPal-rekening ook zelf verwerkingsverantwoordelijke is.",
                "retention_source": VAT_CODE_60_NL,
                "source": "Betaalstatus en de controles van PayPal op uw rekening en adres, van PayPal."}),
        Processor(
            "silvasoft", "Silvasoft", "Invoicing and bookkeeping",
            "Issuing invoices and keeping the accounts.", "Legal obligation (GDPR art. 6.1.c)",
            "Name, address, e-mail address, VAT number, invoices and invoice lines.",
            "Netherlands (EU)", "Within the EEA: no transfer",
            "Invoices: 10 years from 1 January after the invoice date; the accounts: 7 years from 1 January "
            "after their closing.",
            recipients="Silvasoft (bookkeeping software); the tax authorities on request.",
            retention_source=VAT_CODE_60 + "; Code of Economic Law art. III.88",
            nl={"service": "Facturatie en boekhouding", "purpose": "Facturen opmaken en de boekhouding voeren.",
                "legal_basis": "Wettelijke verplichting (art. 6.1.c AVG)",
                "data_shared": "Naam, adres, e-mailadres, btw-nummer, facturen en factuurregels.",
                "country": "Nederland (EU)", "transfer_safeguard": "Binnen de EER: geen doorgifte",
                "retention": "Facturen: 10 jaar vanaf 1 januari na de factuurdatum; de boekhouding: 7 jaar "
                             "vanaf 1 januari na de afsluiting.",
                "recipients": "Silvasoft (boekhoudprogramma); de belastingdienst op vraag.",
                "retention_source": VAT_CODE_60_NL + "; Wetboek van economisch recht art. III.88"}),
        Processor(
            "office365", "Microsoft Office 365", "Business e-mail and calendar",
            "Corresponding with customers by e-mail; appointments.",
            "Legitimate interest (GDPR art. 6.1.f)",
            "E-mail messages to and from the customer with their attachments, contact details, calendar invitations, "
            "posts in group conversations.",
            "Ireland (EU) with possible transfers to the United States",
            "EU Data Boundary; EU-US Data Privacy Framework; standard contractual clauses",
            "As long as needed for the correspondence, at most 7 years.",
            recipients="Microsoft Ireland; Microsoft in the United States for support and security.",
            outside_eea=True, retention_source=POLICY,
            nl={"service": "Zakelijke e-mail en agenda", "purpose": "Met klanten mailen; afspraken.",
                "legal_basis": "Gerechtvaardigd belang (art. 6.1.f AVG)",
                "data_shared": "E-mails van en aan u met hun bijlagen, contactgegevens, uitnodigingen in de agenda, "
                              "berichten in groepsgesprekken.",
                "country": "Ierland (EU), met mogelijke doorgifte naar de Verenigde Staten",
                "transfer_safeguard": "EU-gegevensgrens; EU-VS-kader voor gegevensbescherming (art. 45 AVG); "
                                      "standaardcontractbepalingen (art. 46 AVG)",
                "retention": "Zolang nodig voor de briefwisseling, ten hoogste 7 jaar.",
                "recipients": "Microsoft Ierland; Microsoft in de Verenigde Staten voor ondersteuning en "
                              "beveiliging.",
                "retention_source": POLICY_NL}),
        Processor(
            "transport", "Transport companies (bpost, PostNL, DPD, ...)", "Delivery of orders",
            "Delivering ordered goods.", "Performance of a contract (GDPR art. 6.1.b)",
            "Name, shipping address, telephone number where needed; per shipment (see the shipments category).",
            "Belgium / EU", "Within the EEA: no transfer", "According to the carrier's own policy.",
            has_api=False, recipients="The carrier of each shipment (bpost, PostNL, DPD, ...).",
            retention_source="the carrier's privacy policy",
            source="Delivery status and tracking code, from the carrier.",
            nl={"name": "Vervoerders (bpost, PostNL, DPD, ...)", "service": "Levering van bestellingen",
                "purpose": "Bestelde goederen leveren.",
                "legal_basis": "Uitvoering van de overeenkomst (art. 6.1.b AVG)",
                "data_shared": "Naam, leveradres, telefoonnummer waar nodig; per zending (zie Zendingen).",
                "country": "België / EU", "transfer_safeguard": "Binnen de EER: geen doorgifte",
                "retention": "Volgens het beleid van de vervoerder.",
                "recipients": "De vervoerder van elke zending (bpost, PostNL, DPD, ...).",
                "retention_source": "privacyverklaring van de vervoerder",
                "source": "Verzendstatus en trackingcode, van de vervoerder."}),
        Processor(
            "google_analytics", "Google Analytics", "Website statistics",
            "Measuring the use of the webshop with anonymised IP addresses.",
            "Legitimate interest / consent for cookies",
            "Pseudonymous cookie identifier, anonymised IP address, pages visited.",
            "United States", "EU-US Data Privacy Framework; standard contractual clauses",
            "26 months; not linked to the e-mail address, so not retrievable per person.",
            has_api=False, recipients="Google (United States).", outside_eea=True, retention_source=POLICY,
            source="Pages visited, recorded by a cookie.",
            nl={"service": "Statistieken van de website",
                "purpose": "Meten hoe de webwinkel gebruikt wordt, met ingekorte IP-adressen.",
                "legal_basis": "Gerechtvaardigd belang / toestemming voor cookies",
                "data_shared": "Pseudonieme cookiecode, ingekort IP-adres, bezochte pagina's.",
                "country": "Verenigde Staten",
                "transfer_safeguard": "EU-VS-kader voor gegevensbescherming (art. 45 AVG); "
                                      "standaardcontractbepalingen (art. 46 AVG)",
                "retention": "26 maanden; niet gekoppeld aan uw e-mailadres, dus niet per persoon op te vragen.",
                "recipients": "Google (Verenigde Staten).", "retention_source": POLICY_NL,
                "source": "Bezochte pagina's, vastgelegd met een cookie."}),
    )
}

_OVERRIDABLE = {f.name for f in fields(Processor)} - {"key"}
_OPTIONAL = {"has_api", "recipients", "outside_eea", "retention_source", "source", "nl"}


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
            old = register[key]
            stale = {name for name in values if name != "nl" and name in old.nl}   # Dutch of a changed text
            nl = {k: v for k, v in old.nl.items() if k not in stale}
            register[key] = replace(old, **{**values, "nl": {**nl, **dict(values.get("nl") or {})}})
        else:
            missing = _OVERRIDABLE - set(values) - _OPTIONAL
            if missing:
                raise ConfigError(f"config: new processor [processors.{key}] lacks: {', '.join(sorted(missing))}")
            register[key] = Processor(key=key, **values)
    return register
