"""What the PayPal connector yields: one dataset per kind of record, every field PayPal's Transaction Search
can put in it (``reporting_transactions_v1`` in ``tests/vendor_schemas/paypal.schema.json``), with labels a
customer understands and PayPal's documented codes explained."""

from __future__ import annotations

from aggregator.datasets import Dataset, Field, Kind, Origin

# PayPal's transaction event codes ("Transaction event codes", developer.paypal.com): the ones a webshop's
# account sees for its customers' payments, refunds, holds and disputes.
EVENT_CODES: dict[str, tuple[str, str]] = {
    "T0000": ("Ontvangen betaling (algemeen)", "Payment received (general)"),
    "T0001": ("MassPay-betaling", "MassPay payment"),
    "T0002": ("Betaling van een abonnement", "Subscription payment"),
    "T0003": ("Vooraf goedgekeurde betaling", "Pre-approved payment"),
    "T0004": ("Betaling van een eBay-veiling", "eBay auction payment"),
    "T0005": ("Rechtstreekse betaling (Direct Payment API)", "Direct payment (Direct Payment API)"),
    "T0006": ("Betaling via PayPal Checkout", "Payment through PayPal Checkout"),
    "T0007": ("Betaling via PayPal Website Payments Standard", "Website Payments Standard payment"),
    "T0008": ("Betaling van verzendkosten aan de vervoerder", "Postage payment to a carrier"),
    "T0009": ("Aankoop van een cadeaubon", "Gift certificate payment"),
    "T0010": ("Betaling van een veiling bij derden", "Third-party auction payment"),
    "T0011": ("Betaling met een mobiele telefoon", "Mobile payment"),
    "T0012": ("Betaling via de virtuele terminal", "Virtual terminal payment"),
    "T0013": ("Gift", "Donation payment"),
    "T0014": ("Terugbetaling van korting (rebate)", "Rebate payment"),
    "T0015": ("Uitbetaling door een derde", "Third-party payout"),
    "T0016": ("Terugvordering door een derde", "Third-party recoupment"),
    "T0017": ("Overboeking tussen winkels", "Store-to-store transfer"),
    "T0018": ("Betaling via PayPal Here", "PayPal Here payment"),
    "T0019": ("Betaling met een ander betaalmiddel", "Generic instrument-funded payment"),
    "T0100": ("Kosten zonder betaling", "Non-payment fee"),
    "T0200": ("Omrekening van munteenheid", "Currency conversion"),
    "T0300": ("Storting op de PayPal-rekening", "Funding of the PayPal account"),
    "T0400": ("Opname van de PayPal-rekening", "Withdrawal from the PayPal account"),
    "T1100": ("Terugboeking (algemeen)", "Reversal (general)"),
    "T1105": ("Opheffing van een blokkering op de rekening", "Reversal of an account hold"),
    "T1106": ("Terugboeking van een betaling door PayPal", "Payment reversal initiated by PayPal"),
    "T1107": ("Terugbetaling door de webshop", "Payment refund initiated by the merchant"),
    "T1108": ("Terugboeking van kosten", "Fee reversal"),
    "T1110": ("Blokkering voor onderzoek van een geschil", "Hold for dispute investigation"),
    "T1111": ("Opheffing van de blokkering na een geschil", "Cancellation of a hold for dispute resolution"),
    "T1200": ("Aanpassing van de rekening", "Account adjustment"),
    "T1201": ("Terugvordering via de kaartuitgever (chargeback)", "Chargeback"),
    "T1202": ("Annulering van een terugvordering (chargeback)", "Chargeback reversal"),
    "T1300": ("Autorisatie", "Authorization"),
    "T1301": ("Nieuwe autorisatie", "Reauthorization"),
    "T1302": ("Annulering van een autorisatie", "Void of an authorization"),
    "T1500": ("Tijdelijke blokkering", "Temporary hold"),
    "T1501": ("Blokkering voor een openstaande autorisatie", "Account hold for an open authorization"),
    "T1502": ("Blokkering voor een bankstorting", "Account hold for an ACH deposit"),
    "T1503": ("Tijdelijke blokkering op het beschikbare saldo", "Temporary hold on the available balance"),
    "T1900": ("Correctie van de rekening", "Account correction"),
    "T2000": ("Overboeking binnen de rekening", "Intra-account transfer"),
    "T9900": ("Andere", "Other"),
}

TRANSACTION_STATUS: dict[str, tuple[str, str]] = {
    "S": ("Geslaagd", "Successful"),
    "P": ("In behandeling", "Pending"),
    "V": ("Teruggedraaid: het geld is teruggestort aan de betaler", "Reversed: the money was returned to the payer"),
    "F": ("Gedeeltelijk terugbetaald", "Partially refunded"),
    "D": ("Geweigerd", "Denied"),
}

REFERENCE_TYPES: dict[str, tuple[str, str]] = {
    "ODR": ("Bestelling", "Order"),
    "TXN": ("Transactie", "Transaction"),
    "SUB": ("Abonnement", "Subscription"),
    "PAP": ("Vooraf goedgekeurde betaling", "Pre-approved payment"),
}

PROTECTION: dict[str, tuple[str, str]] = {
    "01": ("Komt in aanmerking voor verkopersbescherming", "Eligible for seller protection"),
    "02": ("Komt niet in aanmerking voor verkopersbescherming", "Not eligible for seller protection"),
    "03": ("Komt gedeeltelijk in aanmerking voor verkopersbescherming", "Partially eligible for seller protection"),
}

YES_NO_VERIFIED = {"Y": ("Geverifieerd", "Verified"), "N": ("Niet geverifieerd", "Not verified")}
YES_NO_CONFIRMED = {"Y": ("Bevestigd", "Confirmed"), "N": ("Niet bevestigd", "Not confirmed")}


def _amount(nl: str, en: str) -> Field:
    return Field(nl, en, Kind.AMOUNT)


_ADDRESS_PARTS = (("line1", "straat en huisnummer", "street and number"), ("line2", "adresregel 2", "address line 2"),
                  ("city", "gemeente", "city"), ("state", "provincie of staat", "state or province"),
                  ("postal_code", "postcode", "postal code"), ("country_code", "land", "country"))


def _address(prefix: str, nl: str = "", en: str = "") -> dict[str, Field]:
    """The parts of a PayPal ``address`` object under ``prefix`` (``""`` for a record that is one)."""
    at = f"{prefix}." if prefix else ""
    return {f"{at}{key}": Field(f"{nl}{pnl}" if nl else pnl.capitalize(), f"{en}{pen}" if en else pen.capitalize(),
                                Kind.ADDRESS) for key, pnl, pen in _ADDRESS_PARTS}


_T = "transaction_info."
TRANSACTION = Dataset(
    "transaction", "payments", "PayPal-betaling", "PayPal payment", Origin.OBSERVED,
    date=f"{_T}transaction_initiation_date",
    title=(f"{_T}transaction_subject", f"{_T}transaction_initiation_date"),
    fields={
        f"{_T}transaction_id": Field("Transactienummer bij PayPal", "PayPal transaction id", Kind.IDENTIFIER),
        f"{_T}paypal_account_id": Field("PayPal-rekeningnummer van de betaler", "Payer's PayPal account id",
                                        Kind.IDENTIFIER),
        f"{_T}paypal_reference_id": Field("Verwijst naar PayPal-nummer", "Refers to PayPal id", Kind.IDENTIFIER),
        f"{_T}paypal_reference_id_type": Field("Soort verwijzing", "Kind of reference", Kind.CODE,
                                               REFERENCE_TYPES),
        f"{_T}transaction_event_code": Field("Soort transactie", "Kind of transaction", Kind.CODE, EVENT_CODES),
        f"{_T}transaction_initiation_date": Field("Gestart op", "Started at", Kind.DATE),
        f"{_T}transaction_updated_date": Field("Laatst bijgewerkt op", "Last updated at", Kind.DATE),
        f"{_T}transaction_amount": _amount("Bedrag", "Amount"),
        f"{_T}fee_amount": Field("PayPal-kosten voor de webshop", "PayPal fee charged to the shop", Kind.INTERNAL),
        f"{_T}discount_amount": _amount("Korting", "Discount"),
        f"{_T}insurance_amount": _amount("Verzekering", "Insurance"),
        f"{_T}sales_tax_amount": _amount("Btw", "Sales tax"),
        f"{_T}shipping_amount": _amount("Verzendkosten", "Shipping costs"),
        f"{_T}shipping_discount_amount": _amount("Korting op verzendkosten", "Shipping discount"),
        f"{_T}shipping_tax_amount": _amount("Btw op verzendkosten", "Tax on shipping"),
        f"{_T}other_amount": _amount("Ander bedrag", "Other amount"),
        f"{_T}tip_amount": _amount("Fooi", "Tip"),
        f"{_T}transaction_status": Field("Status", "Status", Kind.CODE, TRANSACTION_STATUS),
        f"{_T}transaction_subject": Field("Onderwerp van de betaling", "Subject of the payment", Kind.FREE_TEXT),
        f"{_T}transaction_note": Field("Bericht van de betaler", "Payer's note", Kind.FREE_TEXT),
        f"{_T}payment_tracking_id": Field("Opvolgnummer van de betaling", "Payment tracking id", Kind.IDENTIFIER),
        f"{_T}bank_reference_id": Field("Referentie van de bank", "Bank reference", Kind.IDENTIFIER),
        f"{_T}ending_balance": Field("Saldo van de webshop na de transactie", "Shop's balance after the transaction",
                                     Kind.INTERNAL),
        f"{_T}available_balance": Field("Beschikbaar saldo van de webshop", "Shop's available balance",
                                        Kind.INTERNAL),
        f"{_T}invoice_id": Field("Bestel- of factuurnummer van de webshop", "Shop's order or invoice number",
                                 Kind.IDENTIFIER),
        f"{_T}custom_field": Field("Referentie van de webshop", "Shop's reference", Kind.FREE_TEXT),
        f"{_T}protection_eligibility": Field("Verkopersbescherming", "Seller protection", Kind.CODE, PROTECTION),
        f"{_T}credit_term": Field("Looptijd van het krediet", "Credit term", Kind.TEXT),
        f"{_T}credit_transactional_fee": Field("Transactiekosten van het krediet", "Credit transaction fee",
                                               Kind.INTERNAL),
        f"{_T}credit_promotional_fee": Field("Promotiekosten van het krediet", "Credit promotional fee",
                                             Kind.INTERNAL),
        f"{_T}annual_percentage_rate": Field("Jaarlijks kostenpercentage", "Annual percentage rate", Kind.NUMBER),
        f"{_T}payment_method_type": Field("Betaalwijze", "Payment method", Kind.CODE),
        f"{_T}instrument_type": Field("Betaalmiddel", "Payment instrument", Kind.CODE),
        f"{_T}instrument_sub_type": Field("Soort betaalmiddel", "Payment instrument type", Kind.CODE),
        "store_info.store_id": Field("Winkelnummer", "Store id", Kind.IDENTIFIER),
        "store_info.terminal_id": Field("Kassanummer", "Terminal id", Kind.IDENTIFIER),
        "auction_info.auction_site": Field("Veilingsite", "Auction site", Kind.TEXT),
        "auction_info.auction_item_site": Field("Pagina van het geveilde artikel", "Auction item page", Kind.URL),
        "auction_info.auction_buyer_id": Field("Koperskenmerk op de veilingsite", "Buyer id on the auction site",
                                               Kind.IDENTIFIER),
        "auction_info.auction_closing_date": Field("Einde van de veiling", "Auction closed at", Kind.DATE),
        "incentive_info.incentive_details.incentive_type": Field("Soort voordeel", "Kind of incentive", Kind.TEXT),
        "incentive_info.incentive_details.incentive_code": Field("Kortingscode", "Incentive code", Kind.CODE),
        "incentive_info.incentive_details.incentive_amount": _amount("Voordeel", "Incentive amount"),
        "incentive_info.incentive_details.incentive_program_code": Field("Voordeelprogramma", "Incentive programme",
                                                                         Kind.CODE),
    },
)

PAYER = Dataset(
    "payer", "contact", "Betaler (PayPal-rekening)", "Payer (PayPal account)", Origin.PROVIDED,
    title=("payer_name.alternate_full_name", "email_address"),
    fields={
        "account_id": Field("PayPal-rekeningnummer", "PayPal account id", Kind.IDENTIFIER),
        "email_address": Field("E-mailadres", "E-mail address", Kind.EMAIL),
        "phone_number.country_code": Field("Landcode van het telefoonnummer", "Phone country code", Kind.PHONE),
        "phone_number.national_number": Field("Telefoonnummer", "Phone number", Kind.PHONE),
        "phone_number.extension_number": Field("Toestelnummer", "Phone extension", Kind.PHONE),
        "address_status": Field("Adres bevestigd door PayPal", "Address confirmed by PayPal", Kind.CODE,
                                YES_NO_CONFIRMED),
        "payer_status": Field("Rekening geverifieerd door PayPal", "Account verified by PayPal", Kind.CODE,
                              YES_NO_VERIFIED),
        "payer_name.prefix": Field("Aanspreektitel", "Title", Kind.NAME),
        "payer_name.given_name": Field("Voornaam", "First name", Kind.NAME),
        "payer_name.middle_name": Field("Tweede voornaam", "Middle name", Kind.NAME),
        "payer_name.surname": Field("Familienaam", "Surname", Kind.NAME),
        "payer_name.suffix": Field("Achtervoegsel", "Name suffix", Kind.NAME),
        "payer_name.full_name": Field("Volledige naam", "Full name", Kind.NAME),
        "payer_name.alternate_full_name": Field("Naam", "Name", Kind.NAME),
        "country_code": Field("Land van de rekening", "Country of the account", Kind.ADDRESS),
        **_address("address"),
    },
)

PAYER_ADDRESS = Dataset(
    "payer_address", "addresses", "Adres van de betaler", "Payer's address", Origin.PROVIDED,
    title=("line1", "city"), fields=_address(""),
)

SHIPPING_ADDRESS = Dataset(
    "shipping_address", "addresses", "Verzendgegevens bij PayPal", "Shipping details at PayPal", Origin.PROVIDED,
    title=("name", "address.city"),
    fields={
        "name": Field("Naam van de ontvanger", "Recipient's name", Kind.NAME),
        "method": Field("Verzendwijze", "Shipping method", Kind.TEXT),
        **_address("address"),
        **_address("secondary_shipping_address", "Tweede verzendadres: ", "Second shipping address: "),
    },
)

_I = "item_details."
CART = Dataset(
    "cart", "orders", "Betaalde artikelen", "Items paid for", Origin.PROVIDED,
    title=(f"{_I}invoice_number", f"{_I}item_name"),
    fields={
        f"{_I}item_code": Field("Artikelcode", "Item code", Kind.IDENTIFIER),
        f"{_I}item_name": Field("Artikel", "Item", Kind.TEXT),
        f"{_I}item_description": Field("Omschrijving", "Description", Kind.TEXT),
        f"{_I}item_options": Field("Gekozen opties", "Chosen options", Kind.FREE_TEXT),
        f"{_I}item_quantity": Field("Aantal", "Quantity", Kind.NUMBER),
        f"{_I}item_unit_price": _amount("Prijs per stuk", "Unit price"),
        f"{_I}item_amount": _amount("Bedrag", "Amount"),
        f"{_I}discount_amount": _amount("Korting", "Discount"),
        f"{_I}adjustment_amount": _amount("Aanpassing", "Adjustment"),
        f"{_I}gift_wrap_amount": _amount("Cadeauverpakking", "Gift wrapping"),
        f"{_I}tax_percentage": Field("Btw-tarief (%)", "Tax rate (%)", Kind.NUMBER),
        f"{_I}tax_amounts.tax_amount": _amount("Btw", "Tax"),
        f"{_I}basic_shipping_amount": _amount("Verzendkosten", "Shipping costs"),
        f"{_I}extra_shipping_amount": _amount("Extra verzendkosten", "Extra shipping costs"),
        f"{_I}handling_amount": _amount("Behandelingskosten", "Handling costs"),
        f"{_I}insurance_amount": _amount("Verzekering", "Insurance"),
        f"{_I}total_item_amount": _amount("Totaal", "Total"),
        f"{_I}invoice_number": Field("Bestel- of factuurnummer", "Order or invoice number", Kind.IDENTIFIER),
        f"{_I}checkout_options.checkout_option_name": Field("Keuze bij het afrekenen", "Checkout option",
                                                            Kind.TEXT),
        f"{_I}checkout_options.checkout_option_value": Field("Gekozen waarde", "Chosen value", Kind.FREE_TEXT),
        "tax_inclusive": Field("Prijzen inclusief btw", "Prices include tax", Kind.FLAG),
        "paypal_invoice_id": Field("Factuurnummer bij PayPal", "PayPal invoice id", Kind.IDENTIFIER),
    },
)

DATASETS: tuple[Dataset, ...] = (TRANSACTION, PAYER, PAYER_ADDRESS, SHIPPING_ADDRESS, CART)
