"""What the PayPal connector yields: one dataset per kind of record, every field PayPal's Transaction Search
can put in it (``reporting_transactions_v1`` in ``tests/vendor_schemas/paypal.schema.json``) and the Orders v2
order the webshop names (``checkout_orders_v2``), with labels a customer understands and PayPal's documented codes
explained."""

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

DATASETS: tuple[Dataset, ...] = (TRANSACTION, PAYER, PAYER_ADDRESS, SHIPPING_ADDRESS, CART, CHECKOUT_ORDER)
