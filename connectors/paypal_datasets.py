"""What the PayPal connector yields: one dataset per kind of record, every field PayPal's Transaction Search
can put in it (``reporting_transactions_v1`` in ``tests/vendor_schemas/paypal.schema.json``) and the Orders v2
order the webshop names (``checkout_orders_v2``), with labels a customer understands and PayPal's documented codes
explained; the disputes on the subject's payments (``customer_disputes_v1``: the dispute, and each message
as a record of its own) and their shipment trackers (``shipping_shipment_tracking_v1``)."""

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
        # Added by the connector: the webshop order that names this payment, and PayPal's order id when the
        # webshop named it by that (Orders v2), so the package links the two.
        "webshop_order": Field("Bestelnummer in de webshop", "Order number in the web shop", Kind.IDENTIFIER),
        "paypal_order_id": Field("Bestelnummer bij PayPal (Orders v2)", "PayPal order id (Orders v2)",
                                 Kind.IDENTIFIER),
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

# Orders v2 codes (checkout_orders_v2: order_status, checkout_payment_intent, capture_status, seller_protection...)
ORDER_STATUS = {
    "CREATED": ("Aangemaakt", "Created"),
    "SAVED": ("Bewaard", "Saved"),
    "APPROVED": ("Goedgekeurd door de betaler", "Approved by the payer"),
    "VOIDED": ("Geannuleerd", "Voided"),
    "COMPLETED": ("Afgerond", "Completed"),
    "PAYER_ACTION_REQUIRED": ("Wacht op de betaler", "Waiting for the payer"),
}
INTENT = {
    "CAPTURE": ("Meteen betalen", "Pay at once"),
    "AUTHORIZE": ("Eerst reserveren, later betalen", "Authorise now, capture later"),
}
CAPTURE_STATUS = {
    "COMPLETED": ("Betaald", "Paid"),
    "DECLINED": ("Geweigerd", "Declined"),
    "PARTIALLY_REFUNDED": ("Gedeeltelijk terugbetaald", "Partly refunded"),
    "PENDING": ("In behandeling", "Pending"),
    "REFUNDED": ("Terugbetaald", "Refunded"),
    "FAILED": ("Mislukt", "Failed"),
}
SELLER_PROTECTION = {
    "ELIGIBLE": ("Komt in aanmerking voor verkopersbescherming", "Eligible for seller protection"),
    "PARTIALLY_ELIGIBLE": ("Komt gedeeltelijk in aanmerking voor verkopersbescherming",
                           "Partially eligible for seller protection"),
    "NOT_ELIGIBLE": ("Komt niet in aanmerking voor verkopersbescherming", "Not eligible for seller protection"),
}
DISPUTE_CATEGORIES = {
    "ITEM_NOT_RECEIVED": ("Artikel niet ontvangen", "Item not received"),
    "UNAUTHORIZED_TRANSACTION": ("Betaling zonder toestemming", "Unauthorised payment"),
}
ACCOUNT_STATUS = {"VERIFIED": ("Geverifieerd", "Verified"), "UNVERIFIED": ("Niet geverifieerd", "Not verified")}
PHONE_TYPE = {
    "FAX": ("Fax", "Fax"), "HOME": ("Thuis", "Home"), "MOBILE": ("Gsm", "Mobile"), "OTHER": ("Ander", "Other"),
    "PAGER": ("Pieper", "Pager"),
}
SHIPPING_TYPE = {
    "SHIPPING": ("Verzending", "Shipping"),
    "PICKUP_IN_PERSON": ("Zelf afhalen", "Pick-up in person"),
    "PICKUP_IN_STORE": ("Afhalen in de winkel", "Pick-up in store"),
    "PICKUP_FROM_PERSON": ("Afhalen bij een persoon", "Pick-up from a person"),
}
ITEM_CATEGORY = {
    "DIGITAL_GOODS": ("Digitaal product", "Digital goods"),
    "PHYSICAL_GOODS": ("Fysiek product", "Physical goods"),
    "DONATION": ("Gift", "Donation"),
}

_ORDER_ADDRESS_PARTS = (
    ("address_line_1", "straat en huisnummer", "street and number"), ("address_line_2", "adresregel 2",
                                                                       "address line 2"),
    ("address_line_3", "adresregel 3", "address line 3"), ("admin_area_4", "wijk", "neighbourhood"),
    ("admin_area_3", "deelgemeente", "sub-locality"), ("admin_area_2", "gemeente", "city"),
    ("admin_area_1", "provincie of staat", "state or province"), ("postal_code", "postcode", "postal code"),
    ("country_code", "land", "country"), ("address_details", "adresdetails", "address details"),
)


def _order_address(prefix: str, nl: str, en: str) -> dict[str, Field]:
    """An Orders v2 ``address_portable`` under ``prefix``."""
    return {f"{prefix}.{key}": Field(f"{nl}: {pnl}", f"{en}: {pen}", Kind.ADDRESS)
            for key, pnl, pen in _ORDER_ADDRESS_PARTS}


def _order_name(prefix: str, nl: str, en: str) -> dict[str, Field]:
    """An Orders v2 ``name`` under ``prefix``."""
    parts = (("prefix", "aanspreektitel", "title"), ("given_name", "voornaam", "first name"),
             ("middle_name", "tweede voornaam", "middle name"), ("surname", "familienaam", "surname"),
             ("suffix", "achtervoegsel", "suffix"), ("full_name", "volledige naam", "full name"),
             ("alternate_full_name", "naam", "name"))
    return {f"{prefix}.{key}": Field(f"{nl}: {pnl}", f"{en}: {pen}", Kind.NAME) for key, pnl, pen in parts}


_U = "purchase_units."
_C = f"{_U}payments.captures."
_W = "payment_source.paypal."
CHECKOUT_ORDER = Dataset(
    "checkout_order", "orders", "Bestelling bij PayPal (Orders v2)", "Order at PayPal (Orders v2)", Origin.PROVIDED,
    date="create_time", title=(f"{_U}invoice_id", "create_time"),
    fields={
        "id": Field("Bestelnummer bij PayPal", "PayPal order id", Kind.IDENTIFIER),
        "intent": Field("Soort betaling", "Kind of payment", Kind.CODE, INTENT),
        "status": Field("Status van de bestelling", "Order status", Kind.CODE, ORDER_STATUS),
        "processing_instruction": Field("Verwerkingsinstructie", "Processing instruction", Kind.CODE),
        "create_time": Field("Aangemaakt op", "Created at", Kind.DATE),
        "update_time": Field("Laatst bijgewerkt op", "Last updated at", Kind.DATE),
        "payer.email_address": Field("Betaler: e-mailadres", "Payer: e-mail address", Kind.EMAIL),
        "payer.payer_id": Field("Betaler: PayPal-rekeningnummer", "Payer: PayPal account id", Kind.IDENTIFIER),
        **_order_name("payer.name", "Betaler", "Payer"),
        "payer.phone.phone_type": Field("Betaler: soort telefoon", "Payer: kind of phone", Kind.CODE, PHONE_TYPE),
        "payer.phone.phone_number": Field("Betaler: telefoonnummer", "Payer: phone number", Kind.PHONE),
        "payer.birth_date": Field("Betaler: geboortedatum", "Payer: date of birth", Kind.DATE),
        "payer.tax_info": Field("Betaler: fiscaal nummer", "Payer: tax number", Kind.IDENTIFIER),
        **_order_address("payer.address", "Betaler", "Payer"),
        "payment_source": Field("Betaalmiddel", "Means of payment", Kind.DATA),
        f"{_W}email_address": Field("PayPal-rekening: e-mailadres", "PayPal account: e-mail address", Kind.EMAIL),
        f"{_W}account_id": Field("PayPal-rekening: nummer", "PayPal account: id", Kind.IDENTIFIER),
        f"{_W}account_status": Field("PayPal-rekening: status", "PayPal account: status", Kind.CODE,
                                     ACCOUNT_STATUS),
        **_order_name(f"{_W}name", "PayPal-rekening", "PayPal account"),
        f"{_W}phone_type": Field("PayPal-rekening: soort telefoon", "PayPal account: kind of phone", Kind.CODE,
                                 PHONE_TYPE),
        f"{_W}phone_number": Field("PayPal-rekening: telefoonnummer", "PayPal account: phone number", Kind.PHONE),
        f"{_W}birth_date": Field("PayPal-rekening: geboortedatum", "PayPal account: date of birth", Kind.DATE),
        f"{_W}tax_info": Field("PayPal-rekening: fiscaal nummer", "PayPal account: tax number", Kind.IDENTIFIER),
        **_order_address(f"{_W}address", "PayPal-rekening", "PayPal account"),
        f"{_W}attributes": Field("PayPal-rekening: kenmerken", "PayPal account: attributes", Kind.DATA),
        f"{_U}reference_id": Field("Referentie van de webshop", "Shop's reference", Kind.IDENTIFIER),
        f"{_U}id": Field("Nummer van het deel", "Part id", Kind.IDENTIFIER),
        f"{_U}description": Field("Omschrijving", "Description", Kind.TEXT),
        f"{_U}custom_id": Field("Referentie van de webshop", "Shop's reference", Kind.FREE_TEXT),
        f"{_U}invoice_id": Field("Bestel- of factuurnummer van de webshop", "Shop's order or invoice number",
                                 Kind.IDENTIFIER),
        f"{_U}soft_descriptor": Field("Omschrijving op het rekeninguittreksel", "Text on the bank statement",
                                      Kind.TEXT),
        f"{_U}amount": _amount("Bedrag", "Amount"),
        f"{_U}amount.breakdown.item_total": _amount("Artikelen", "Items"),
        f"{_U}amount.breakdown.shipping": _amount("Verzendkosten", "Shipping costs"),
        f"{_U}amount.breakdown.handling": _amount("Behandelingskosten", "Handling costs"),
        f"{_U}amount.breakdown.tax_total": _amount("Btw", "Tax"),
        f"{_U}amount.breakdown.insurance": _amount("Verzekering", "Insurance"),
        f"{_U}amount.breakdown.shipping_discount": _amount("Korting op verzendkosten", "Shipping discount"),
        f"{_U}amount.breakdown.discount": _amount("Korting", "Discount"),
        f"{_U}payee": Field("Rekening van de webshop", "The shop's account", Kind.INTERNAL),
        f"{_U}payment_instruction": Field("Afspraken tussen de webshop en PayPal", "Shop's arrangements with PayPal",
                                          Kind.INTERNAL),
        f"{_U}items.name": Field("Artikel", "Item", Kind.TEXT),
        f"{_U}items.unit_amount": _amount("Prijs per stuk", "Unit price"),
        f"{_U}items.tax": _amount("Btw per stuk", "Tax per unit"),
        f"{_U}items.quantity": Field("Aantal", "Quantity", Kind.NUMBER),
        f"{_U}items.description": Field("Omschrijving", "Description", Kind.TEXT),
        f"{_U}items.sku": Field("Artikelcode", "Item code", Kind.IDENTIFIER),
        f"{_U}items.category": Field("Soort artikel", "Kind of item", Kind.CODE, ITEM_CATEGORY),
        **_order_name(f"{_U}shipping.name", "Verzending", "Shipping"),
        f"{_U}shipping.type": Field("Verzending: wijze", "Shipping: method", Kind.CODE, SHIPPING_TYPE),
        **_order_address(f"{_U}shipping.address", "Verzending", "Shipping"),
        f"{_U}shipping.options": Field("Verzending: keuzes", "Shipping: options", Kind.DATA),
        f"{_U}shipping.trackers": Field("Verzending: volgnummers", "Shipping: trackers", Kind.DATA),
        f"{_U}supplementary_data": Field("Aanvullende gegevens", "Supplementary data", Kind.DATA),
        f"{_C}id": Field("Transactienummer bij PayPal", "PayPal transaction id", Kind.IDENTIFIER),
        f"{_C}status": Field("Status van de betaling", "Payment status", Kind.CODE, CAPTURE_STATUS),
        f"{_C}status_details": Field("Reden van de status", "Reason for the status", Kind.DATA),
        f"{_C}amount": _amount("Betaald bedrag", "Amount paid"),
        f"{_C}invoice_id": Field("Bestel- of factuurnummer van de webshop", "Shop's order or invoice number",
                                 Kind.IDENTIFIER),
        f"{_C}custom_id": Field("Referentie van de webshop", "Shop's reference", Kind.FREE_TEXT),
        f"{_C}final_capture": Field("Laatste betaling voor deze bestelling", "Final payment for this order",
                                    Kind.FLAG),
        f"{_C}seller_protection.status": Field("Verkopersbescherming", "Seller protection", Kind.CODE,
                                               SELLER_PROTECTION),
        f"{_C}seller_protection.dispute_categories": Field("Beschermd tegen", "Protected against", Kind.CODE,
                                                           DISPUTE_CATEGORIES),
        f"{_C}seller_receivable_breakdown": Field("Kosten en opbrengst voor de webshop",
                                                  "Fees and proceeds for the shop", Kind.INTERNAL),
        f"{_C}disbursement_mode": Field("Uitbetaling aan de webshop", "Payout to the shop", Kind.INTERNAL),
        f"{_C}network_transaction_reference": Field("Referentie bij het kaartnetwerk", "Card network reference",
                                                    Kind.DATA),
        f"{_C}processor_response": Field("Antwoord van de betaalverwerker", "Payment processor's response",
                                         Kind.DATA),
        f"{_C}create_time": Field("Betaald op", "Paid at", Kind.DATE),
        f"{_C}update_time": Field("Laatst bijgewerkt op", "Last updated at", Kind.DATE),
        f"{_U}payments.authorizations": Field("Reserveringen", "Authorisations", Kind.DATA),
        f"{_U}payments.refunds": Field("Terugbetalingen", "Refunds", Kind.DATA),
    },
)

# Disputes (customer_disputes_v1: dispute_reason, status, dispute_state, dispute_lifecycle_stage, ...).
DISPUTE_REASON = {
    "MERCHANDISE_OR_SERVICE_NOT_RECEIVED": ("Artikel of dienst niet ontvangen", "Item or service not received"),
    "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED": ("Artikel of dienst niet zoals beschreven",
                                                "Item or service not as described"),
    "UNAUTHORISED": ("Betaling zonder toestemming", "Unauthorised payment"),
    "CREDIT_NOT_PROCESSED": ("Terugbetaling niet verwerkt", "Refund not processed"),
    "DUPLICATE_TRANSACTION": ("Dubbel aangerekend", "Charged twice"),
    "INCORRECT_AMOUNT": ("Verkeerd bedrag", "Wrong amount"),
    "PAYMENT_BY_OTHER_MEANS": ("Al op een andere manier betaald", "Paid by other means"),
    "CANCELED_RECURRING_BILLING": ("Stopgezet abonnement toch aangerekend", "Cancelled recurring billing"),
    "PROBLEM_WITH_REMITTANCE": ("Probleem met de overschrijving", "Problem with the remittance"),
    "OTHER": ("Andere", "Other"),
}
DISPUTE_STATUS = {
    "OPEN": ("Open", "Open"),
    "WAITING_FOR_BUYER_RESPONSE": ("Wacht op antwoord van de koper", "Waiting for the buyer's response"),
    "WAITING_FOR_SELLER_RESPONSE": ("Wacht op antwoord van de webshop", "Waiting for the shop's response"),
    "UNDER_REVIEW": ("Wordt onderzocht door PayPal", "Under review by PayPal"),
    "RESOLVED": ("Afgehandeld", "Resolved"),
    "OTHER": ("Andere", "Other"),
}
DISPUTE_STATE = {
    "OPEN_INQUIRIES": ("Open vragen", "Open inquiries"),
    "REQUIRED_ACTION": ("Actie nodig", "Action required"),
    "REQUIRED_OTHER_PARTY_ACTION": ("Actie nodig van de andere partij", "Action required of the other party"),
    "UNDER_PAYPAL_REVIEW": ("Wordt onderzocht door PayPal", "Under PayPal's review"),
    "APPEALABLE": ("Beroep mogelijk", "Appealable"),
    "RESOLVED": ("Afgehandeld", "Resolved"),
}
LIFE_CYCLE = {
    "INQUIRY": ("Vraag aan de webshop", "Inquiry to the shop"),
    "CHARGEBACK": ("Terugvordering via de kaartuitgever", "Chargeback"),
    "PRE_ARBITRATION": ("Voor de arbitrage", "Pre-arbitration"),
    "ARBITRATION": ("Arbitrage door PayPal", "Arbitration by PayPal"),
}
CHANNEL = {
    "INTERNAL": ("Geopend bij PayPal", "Opened at PayPal"),
    "EXTERNAL": ("Geopend bij de bank of kaartuitgever", "Opened at the bank or card issuer"),
    "ALERT": ("Melding van de kaartuitgever", "Alert from the card issuer"),
}
DISPUTED_TRANSACTION_STATUS = {
    "COMPLETED": ("Afgerond", "Completed"), "UNCLAIMED": ("Niet opgeëist", "Unclaimed"),
    "DENIED": ("Geweigerd", "Denied"), "FAILED": ("Mislukt", "Failed"), "HELD": ("Tegengehouden", "Held"),
    "PENDING": ("In behandeling", "Pending"), "PARTIALLY_REFUNDED": ("Gedeeltelijk terugbetaald", "Partly refunded"),
    "REFUNDED": ("Terugbetaald", "Refunded"), "REVERSED": ("Teruggedraaid", "Reversed"),
    "CANCELLED": ("Geannuleerd", "Cancelled"),
}
OUTCOME = {
    "RESOLVED_BUYER_FAVOUR": ("In het voordeel van de koper", "In the buyer's favour"),
    "RESOLVED_SELLER_FAVOUR": ("In het voordeel van de webshop", "In the shop's favour"),
    "RESOLVED_WITH_PAYOUT": ("Afgehandeld met een uitbetaling door PayPal", "Resolved with a payout by PayPal"),
    "CANCELED_BY_BUYER": ("Ingetrokken door de koper", "Withdrawn by the buyer"),
    "ACCEPTED": ("Aanvaard", "Accepted"), "DENIED": ("Afgewezen", "Denied"), "NONE": ("Geen", "None"),
}
ADJUDICATION_TYPE = {
    "DENY_BUYER": ("Koper in het ongelijk gesteld", "Decided against the buyer"),
    "PAYOUT_TO_BUYER": ("Uitbetaald aan de koper", "Paid out to the buyer"),
    "PAYOUT_TO_SELLER": ("Uitbetaald aan de webshop", "Paid out to the shop"),
    "RECOVER_FROM_SELLER": ("Teruggevorderd van de webshop", "Recovered from the shop"),
}
PARTY = {"SELLER": ("Webshop", "Shop"), "BUYER": ("Koper", "Buyer"),
         "PAYMENT_PROCESSOR": ("Betaalverwerker", "Payment processor"), "ARBITER": ("PayPal (bemiddelaar)",
                                                                                   "PayPal (arbiter)")}
MOVEMENT_TYPE = {"DEBIT": ("Afgeschreven", "Debit"), "CREDIT": ("Bijgeschreven", "Credit")}
MOVEMENT_REASON = {
    "DISPUTE_SETTLEMENT_FEE": ("Kosten voor de afhandeling", "Settlement fee"),
    "DISPUTE_SETTLEMENT": ("Afhandeling van het geschil", "Dispute settlement"),
    "DISPUTE_FEE": ("Kosten voor het geschil", "Dispute fee"), "CHARGEBACK_FEE": ("Kosten voor de terugvordering",
                                                                                  "Chargeback fee"),
}
OFFER_TYPE = {
    "REFUND": ("Terugbetaling", "Refund"),
    "REFUND_WITH_RETURN": ("Terugbetaling na terugzending", "Refund with return"),
    "REFUND_WITH_REPLACEMENT": ("Terugbetaling met vervanging", "Refund with replacement"),
    "REPLACEMENT_WITHOUT_REFUND": ("Vervanging zonder terugbetaling", "Replacement without refund"),
}
OFFER_EVENT = {"PROPOSED": ("Voorgesteld", "Proposed"), "ACCEPTED": ("Aanvaard", "Accepted"),
               "DENIED": ("Geweigerd", "Denied")}
EVIDENCE_SOURCE = {
    "REQUESTED_FROM_BUYER": ("Gevraagd aan de koper", "Requested from the buyer"),
    "REQUESTED_FROM_SELLER": ("Gevraagd aan de webshop", "Requested from the shop"),
    "SUBMITTED_BY_BUYER": ("Ingediend door de koper", "Submitted by the buyer"),
    "SUBMITTED_BY_SELLER": ("Ingediend door de webshop", "Submitted by the shop"),
    "SUBMITTED_BY_PARTNER": ("Ingediend door een partner", "Submitted by a partner"),
}
EVIDENCE_TYPE = {   # the common ones of the spec's long list; another is shown as PayPal writes it
    "PROOF_OF_FULFILLMENT": ("Bewijs van levering", "Proof of fulfilment"),
    "PROOF_OF_REFUND": ("Bewijs van terugbetaling", "Proof of refund"),
    "PROOF_OF_DELIVERY_SIGNATURE": ("Handtekening bij levering", "Signature on delivery"),
    "PROOF_OF_RECEIPT_COPY": ("Kopie van het ontvangstbewijs", "Copy of the receipt"),
    "RETURN_POLICY": ("Retourbeleid", "Return policy"),
    "PROOF_OF_RETURN": ("Bewijs van terugzending", "Proof of return"),
    "PROOF_OF_RESHIPMENT": ("Bewijs van nieuwe verzending", "Proof of reshipment"),
    "ITEM_DESCRIPTION": ("Beschrijving van het artikel", "Item description"),
    "PHOTOS_OF_SHIPPED_ITEM": ("Foto's van het verzonden artikel", "Photos of the shipped item"),
    "ORDER_DETAILS": ("Gegevens van de bestelling", "Order details"),
    "BUYER_RESPONSE": ("Antwoord van de koper", "Buyer's response"),
    "MERCHANT_RESPONSE": ("Antwoord van de webshop", "Shop's response"),
    "OTHER": ("Andere", "Other"),
}
ITEM_TYPE = {"PRODUCT": ("Product", "Product"), "SERVICE": ("Dienst", "Service"), "BOOKING": ("Boeking", "Booking"),
             "DIGITAL_DOWNLOAD": ("Digitale download", "Digital download")}


def _documents(prefix: str, nl: str, en: str) -> dict[str, Field]:
    """A ``document`` list (name, url) under ``prefix``."""
    return {f"{prefix}.name": Field(f"{nl}: bestandsnaam", f"{en}: file name", Kind.TEXT),
            f"{prefix}.url": Field(f"{nl}: link", f"{en}: link", Kind.URL)}


_D = "disputed_transactions."
_E = "evidences."
_O = "offer."
DISPUTE = Dataset(
    "dispute", "payments", "Geschil over een PayPal-betaling", "Dispute about a PayPal payment", Origin.PROVIDED,
    date="create_time", title=(f"{_D}invoice_number", "reason"),
    fields={
        "dispute_id": Field("Nummer van het geschil", "Dispute id", Kind.IDENTIFIER),
        "create_time": Field("Geopend op", "Opened at", Kind.DATE),
        "update_time": Field("Laatst bijgewerkt op", "Last updated at", Kind.DATE),
        "reason": Field("Reden", "Reason", Kind.CODE, DISPUTE_REASON),
        "status": Field("Status", "Status", Kind.CODE, DISPUTE_STATUS),
        "dispute_state": Field("Stand van zaken", "State", Kind.CODE, DISPUTE_STATE),
        "dispute_amount": _amount("Betwist bedrag", "Disputed amount"),
        "dispute_asset": Field("Betwiste cryptomunt", "Disputed cryptocurrency", Kind.DATA),
        "fee_policy": Field("Kostenregeling", "Fee policy", Kind.INTERNAL),
        "external_reason_code": Field("Redencode van de kaartuitgever", "Card issuer's reason code", Kind.CODE),
        "dispute_life_cycle_stage": Field("Fase", "Stage", Kind.CODE, LIFE_CYCLE),
        "dispute_channel": Field("Waar geopend", "Where it was opened", Kind.CODE, CHANNEL),
        "buyer_response_due_date": Field("Antwoord van de koper verwacht tegen", "Buyer's response due by",
                                         Kind.DATE),
        "seller_response_due_date": Field("Antwoord van de webshop verwacht tegen", "Shop's response due by",
                                          Kind.DATE),
        f"{_D}buyer_transaction_id": Field("Transactienummer van de koper", "Buyer's transaction id",
                                           Kind.IDENTIFIER),
        f"{_D}seller_transaction_id": Field("Transactienummer van de webshop", "Shop's transaction id",
                                            Kind.IDENTIFIER),
        f"{_D}reference_id": Field("Referentie", "Reference", Kind.IDENTIFIER),
        f"{_D}create_time": Field("Betaald op", "Paid at", Kind.DATE),
        f"{_D}transaction_status": Field("Status van de betaling", "Payment status", Kind.CODE,
                                         DISPUTED_TRANSACTION_STATUS),
        f"{_D}gross_amount": _amount("Betaald bedrag", "Amount paid"),
        f"{_D}gross_asset": Field("Betaalde cryptomunt", "Cryptocurrency paid", Kind.DATA),
        f"{_D}invoice_number": Field("Bestel- of factuurnummer van de webshop", "Shop's order or invoice number",
                                     Kind.IDENTIFIER),
        f"{_D}custom": Field("Referentie van de webshop", "Shop's reference", Kind.FREE_TEXT),
        f"{_D}buyer.name": Field("Naam van de koper", "Buyer's name", Kind.NAME),
        f"{_D}seller.email": Field("E-mailadres van de webshop", "Shop's e-mail address", Kind.EMAIL),
        f"{_D}seller.merchant_id": Field("PayPal-rekening van de webshop", "Shop's PayPal account",
                                         Kind.IDENTIFIER),
        f"{_D}seller.name": Field("Webshop", "Shop", Kind.TEXT),
        f"{_D}items.item_id": Field("Artikelnummer", "Item id", Kind.IDENTIFIER),
        f"{_D}items.item_name": Field("Artikel", "Item", Kind.TEXT),
        f"{_D}items.item_description": Field("Omschrijving", "Description", Kind.TEXT),
        f"{_D}items.item_quantity": Field("Aantal", "Quantity", Kind.NUMBER),
        f"{_D}items.partner_transaction_id": Field("Transactienummer bij de partner", "Partner's transaction id",
                                                   Kind.IDENTIFIER),
        f"{_D}items.reason": Field("Reden voor dit artikel", "Reason for this item", Kind.CODE, DISPUTE_REASON),
        f"{_D}items.dispute_amount": _amount("Betwist bedrag voor dit artikel", "Disputed amount for this item"),
        f"{_D}items.notes": Field("Opmerkingen bij het artikel", "Notes on the item", Kind.FREE_TEXT),
        f"{_D}items.item_type": Field("Soort artikel", "Kind of item", Kind.CODE, ITEM_TYPE),
        f"{_D}items.product_details": Field("Productgegevens", "Product details", Kind.DATA),
        f"{_D}items.service_details": Field("Gegevens van de dienst", "Service details", Kind.DATA),
        f"{_D}items.booking_details": Field("Gegevens van de boeking", "Booking details", Kind.DATA),
        f"{_D}items.digital_download_details": Field("Gegevens van de download", "Download details", Kind.DATA),
        f"{_D}items.cancellation_details": Field("Gegevens van de annulering", "Cancellation details", Kind.DATA),
        f"{_D}items.agreed_refund_details": Field("Afgesproken terugbetaling", "Agreed refund", Kind.DATA),
        f"{_D}payment_processor": Field("Betaalverwerker", "Payment processor", Kind.DATA),
        "dispute_outcome.outcome_code": Field("Uitkomst", "Outcome", Kind.CODE, OUTCOME),
        "dispute_outcome.amount_refunded": _amount("Terugbetaald bedrag", "Amount refunded"),
        "dispute_outcome.asset_refunded": Field("Terugbetaalde cryptomunt", "Cryptocurrency refunded", Kind.DATA),
        "adjudications.type": Field("Beslissing van PayPal", "PayPal's decision", Kind.CODE, ADJUDICATION_TYPE),
        "adjudications.adjudication_time": Field("Beslist op", "Decided at", Kind.DATE),
        "adjudications.reason": Field("Reden van de beslissing", "Reason for the decision", Kind.CODE),
        "adjudications.dispute_life_cycle_stage": Field("Fase van de beslissing", "Stage of the decision",
                                                        Kind.CODE, LIFE_CYCLE),
        "money_movements.affected_party": Field("Geldbeweging: voor wie", "Money movement: for whom", Kind.CODE,
                                                PARTY),
        "money_movements.amount": _amount("Geldbeweging: bedrag", "Money movement: amount"),
        "money_movements.asset": Field("Geldbeweging: cryptomunt", "Money movement: cryptocurrency", Kind.DATA),
        "money_movements.initiated_time": Field("Geldbeweging: op", "Money movement: at", Kind.DATE),
        "money_movements.type": Field("Geldbeweging: soort", "Money movement: kind", Kind.CODE, MOVEMENT_TYPE),
        "money_movements.reason": Field("Geldbeweging: reden", "Money movement: reason", Kind.CODE,
                                        MOVEMENT_REASON),
        "extensions.merchant_contacted": Field("Koper contacteerde eerst de webshop", "Buyer contacted the shop "
                                               "first", Kind.FLAG),
        "extensions.merchant_contacted_outcome": Field("Resultaat van dat contact", "Outcome of that contact",
                                                       Kind.CODE),
        "extensions.merchant_contacted_time": Field("Webshop gecontacteerd op", "Shop contacted at", Kind.DATE),
        "extensions.merchant_contacted_mode": Field("Webshop gecontacteerd via", "Shop contacted through",
                                                    Kind.CODE),
        "extensions.buyer_contacted_time": Field("Koper gecontacteerd op", "Buyer contacted at", Kind.DATE),
        "extensions.buyer_contacted_channel": Field("Koper gecontacteerd via", "Buyer contacted through",
                                                    Kind.TEXT),
        "extensions.billing_dispute_properties": Field("Gegevens over de aanrekening", "Billing details",
                                                       Kind.DATA),
        "extensions.merchandize_dispute_properties": Field("Gegevens over het artikel", "Item details", Kind.DATA),
        f"{_E}evidence_type": Field("Bewijsstuk: soort", "Evidence: kind", Kind.CODE, EVIDENCE_TYPE),
        f"{_E}source": Field("Bewijsstuk: van wie", "Evidence: from whom", Kind.CODE, EVIDENCE_SOURCE),
        f"{_E}date": Field("Bewijsstuk: op", "Evidence: at", Kind.DATE),
        f"{_E}notes": Field("Bewijsstuk: toelichting", "Evidence: notes", Kind.FREE_TEXT),
        **_documents(f"{_E}documents", "Bewijsstuk", "Evidence"),
        f"{_E}evidence_info.tracking_info.carrier_name": Field("Bewijsstuk: vervoerder", "Evidence: carrier",
                                                               Kind.CODE),
        f"{_E}evidence_info.tracking_info.carrier_name_other": Field("Bewijsstuk: andere vervoerder",
                                                                     "Evidence: other carrier", Kind.TEXT),
        f"{_E}evidence_info.tracking_info.tracking_url": Field("Bewijsstuk: volglink", "Evidence: tracking link",
                                                               Kind.URL),
        f"{_E}evidence_info.tracking_info.tracking_number": Field("Bewijsstuk: volgnummer",
                                                                  "Evidence: tracking number", Kind.IDENTIFIER),
        f"{_E}evidence_info.refund_ids": Field("Bewijsstuk: nummers van de terugbetalingen",
                                               "Evidence: refund ids", Kind.IDENTIFIER),
        f"{_E}item_id": Field("Bewijsstuk: artikelnummer", "Evidence: item id", Kind.IDENTIFIER),
        f"{_E}item_type": Field("Bewijsstuk: soort artikel", "Evidence: kind of item", Kind.CODE, ITEM_TYPE),
        f"{_E}action_info": Field("Bewijsstuk: bij welke stap", "Evidence: for which step", Kind.DATA),
        f"{_E}dispute_life_cycle_stage": Field("Bewijsstuk: fase", "Evidence: stage", Kind.CODE, LIFE_CYCLE),
        f"{_O}buyer_requested_amount": _amount("Door de koper gevraagd bedrag", "Amount the buyer asked for"),
        f"{_O}seller_offered_amount": _amount("Door de webshop aangeboden bedrag", "Amount the shop offered"),
        f"{_O}offer_type": Field("Soort voorstel", "Kind of offer", Kind.CODE, OFFER_TYPE),
        f"{_O}history.offer_time": Field("Voorstel: op", "Offer: at", Kind.DATE),
        f"{_O}history.actor": Field("Voorstel: van wie", "Offer: from whom", Kind.CODE, PARTY),
        f"{_O}history.event_type": Field("Voorstel: wat", "Offer: what", Kind.CODE, OFFER_EVENT),
        f"{_O}history.offer_type": Field("Voorstel: soort", "Offer: kind", Kind.CODE, OFFER_TYPE),
        f"{_O}history.offer_amount": _amount("Voorstel: bedrag", "Offer: amount"),
        f"{_O}history.notes": Field("Voorstel: toelichting", "Offer: notes", Kind.FREE_TEXT),
        f"{_O}history.dispute_life_cycle_stage": Field("Voorstel: fase", "Offer: stage", Kind.CODE, LIFE_CYCLE),
        "refund_details.allowed_refund_amount": _amount("Mogelijke terugbetaling", "Refund allowed"),
        "communication_details.email": Field("Contactadres voor het geschil", "Contact address for the dispute",
                                             Kind.EMAIL),
        "communication_details.note": Field("Bericht bij het contactadres", "Note with the contact address",
                                            Kind.FREE_TEXT),
        "communication_details.time_posted": Field("Contactadres gegeven op", "Contact address given at",
                                                   Kind.DATE),
        "supporting_info.notes": Field("Aanvullende informatie", "Supporting information", Kind.FREE_TEXT),
        **_documents("supporting_info.documents", "Aanvullende informatie", "Supporting information"),
        "supporting_info.source": Field("Aanvullende informatie: van wie", "Supporting information: from whom",
                                        Kind.CODE, EVIDENCE_SOURCE),
        "supporting_info.provided_time": Field("Aanvullende informatie: op", "Supporting information: at",
                                               Kind.DATE),
        "supporting_info.dispute_life_cycle_stage": Field("Aanvullende informatie: fase",
                                                          "Supporting information: stage", Kind.CODE, LIFE_CYCLE),
        "allowed_response_options": Field("Mogelijke antwoorden van de webshop", "The shop's possible responses",
                                          Kind.INTERNAL),
    },
)

DISPUTE_MESSAGE = Dataset(
    "dispute_message", "communications", "Bericht in een PayPal-geschil", "Message in a PayPal dispute",
    Origin.PROVIDED, date="time_posted", title=("posted_by", "time_posted"),
    fields={
        "dispute_id": Field("Nummer van het geschil", "Dispute id", Kind.IDENTIFIER),
        "posted_by": Field("Geschreven door", "Written by", Kind.CODE, PARTY),
        "time_posted": Field("Geschreven op", "Written at", Kind.DATE),
        "content": Field("Bericht", "Message", Kind.FREE_TEXT),
        **_documents("documents", "Bijlage", "Attachment"),
    },
)

TRACKING_STATUS = {
    "CANCELLED": ("Geannuleerd", "Cancelled"), "DELIVERED": ("Geleverd", "Delivered"),
    "LOCAL_PICKUP": ("Af te halen", "Local pick-up"), "ON_HOLD": ("Tegengehouden", "On hold"),
    "SHIPPED": ("Verzonden", "Shipped"), "SHIPMENT_CREATED": ("Zending aangemaakt", "Shipment created"),
    "DROPPED_OFF": ("Afgegeven", "Dropped off"), "IN_TRANSIT": ("Onderweg", "In transit"),
    "RETURNED": ("Teruggestuurd", "Returned"), "LABEL_PRINTED": ("Label afgedrukt", "Label printed"),
    "ERROR": ("Fout", "Error"), "UNCONFIRMED": ("Niet bevestigd", "Unconfirmed"),
    "PICKUP_FAILED": ("Ophalen mislukt", "Pick-up failed"), "DELIVERY_DELAYED": ("Levering vertraagd",
                                                                                 "Delivery delayed"),
    "DELIVERY_SCHEDULED": ("Levering gepland", "Delivery scheduled"),
    "DELIVERY_FAILED": ("Levering mislukt", "Delivery failed"), "INRETURN": ("Wordt teruggestuurd", "Being returned"),
    "IN_PROCESS": ("In behandeling", "In process"), "NEW": ("Nieuw", "New"), "VOID": ("Ongeldig", "Void"),
    "PROCESSED": ("Verwerkt", "Processed"), "NOT_SHIPPED": ("Niet verzonden", "Not shipped"),
    "COMPLETED": ("Afgerond", "Completed"),
}
TRACKING_NUMBER_TYPE = {"CARRIER_PROVIDED": ("Van de vervoerder", "From the carrier"),
                        "E2E_PARTNER_PROVIDED": ("Van een partner", "From a partner")}
CARRIERS = {   # the ones a Belgian shop uses; PayPal's list is long, another is shown as PayPal writes it
    "BE_BPOST": ("bpost", "bpost"), "BPOST": ("bpost", "bpost"), "BPOST_INT": ("bpost international",
                                                                          "bpost international"),
    "NLD_POSTNL": ("PostNL", "PostNL"), "POSTNL": ("PostNL", "PostNL"), "DPD": ("DPD", "DPD"),
    "GLS": ("GLS", "GLS"), "DHL": ("DHL", "DHL"), "BEL_DHL": ("DHL België", "DHL Belgium"),
    "UPS": ("UPS", "UPS"), "FEDEX": ("FedEx", "FedEx"), "OTHER": ("Andere vervoerder", "Other carrier"),
}
DIRECTION = {"FORWARD": ("Naar de klant", "To the customer"), "RETURN": ("Terug naar de webshop",
                                                                         "Back to the shop")}
UPLOADER = {"MERCHANT": ("De webshop", "The shop"), "CONSUMER": ("De klant", "The customer"),
            "PARTNER": ("Een partner", "A partner")}

SHIPMENT_TRACKER = Dataset(
    "shipment_tracker", "shipments", "Zending gemeld bij PayPal", "Shipment reported to PayPal", Origin.OBSERVED,
    date="shipment_date", title=("tracking_number", "shipment_date"),
    fields={
        "transaction_id": Field("Transactienummer bij PayPal", "PayPal transaction id", Kind.IDENTIFIER),
        "tracking_number": Field("Volgnummer", "Tracking number", Kind.IDENTIFIER),
        "tracking_number_type": Field("Soort volgnummer", "Kind of tracking number", Kind.CODE,
                                      TRACKING_NUMBER_TYPE),
        "status": Field("Status van de zending", "Shipment status", Kind.CODE, TRACKING_STATUS),
        "shipment_date": Field("Verzonden op", "Shipped on", Kind.DATE),
        "carrier": Field("Vervoerder", "Carrier", Kind.CODE, CARRIERS),
        "carrier_name_other": Field("Andere vervoerder", "Other carrier", Kind.TEXT),
        "postage_payment_id": Field("Nummer van de portbetaling", "Postage payment id", Kind.IDENTIFIER),
        "notify_buyer": Field("Koper per e-mail verwittigd", "Buyer notified by e-mail", Kind.FLAG),
        "quantity": Field("Aantal verzonden artikelen", "Items shipped", Kind.NUMBER),
        "tracking_number_validated": Field("Volgnummer bevestigd door de vervoerder",
                                           "Tracking number confirmed by the carrier", Kind.FLAG),
        "last_updated_time": Field("Laatst bijgewerkt op", "Last updated at", Kind.DATE),
        "shipment_direction": Field("Richting", "Direction", Kind.CODE, DIRECTION),
        "shipment_uploader": Field("Gemeld door", "Reported by", Kind.CODE, UPLOADER),
        "account_id": Field("PayPal-rekening (versleuteld)", "PayPal account (encrypted)", Kind.IDENTIFIER),
        "tracking_url": Field("Volglink", "Tracking link", Kind.URL),
        "items": Field("Verzonden artikelen", "Items shipped", Kind.DATA),
    },
)

DATASETS: tuple[Dataset, ...] = (TRANSACTION, PAYER, PAYER_ADDRESS, SHIPPING_ADDRESS, CART, CHECKOUT_ORDER, DISPUTE,
                                 DISPUTE_MESSAGE, SHIPMENT_TRACKER)
