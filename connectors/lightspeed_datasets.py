"""What the Lightspeed eCom connector yields, field by field: labels (Belgian Dutch and English), kinds, glossaries
for Lightspeed's status codes, and the shop-internal values (cost prices, supplier) that are not the customer's.

Field lists follow the API's resources (customers, orders, orders/{id}/products, shipments, invoices and their
items, reviews, tickets and their messages, groups/customers, customers/{id}/metafields, subscriptions) as
Lightspeed's documentation and sample JSON describe them, not only what the fixtures hold. Returns and quotes
(``returns.json``, ``quotes.json``, ``quotes/{id}/products.json``) are resources of the official PHP client; it lists
no fields, so theirs follow the order resource's names (see the README's Lightspeed section). So do order events
(``orders/events.json``), the metafields of orders, invoices and shipments, contact-form messages (``contacts.json``)
and blog comments (``blogs/comments.json``): the client names the resources, not their fields. A staff-only order
event (``isVisible`` false) is its own dataset whose text is declared ``INTERNAL``: the masking stage leaves it out
and logs that it did, by policy, instead of the connector dropping or keeping it on its own."""

from __future__ import annotations

from aggregator.datasets import Dataset, Field, Kind, Origin

# --------------------------------------------------------------------------- glossaries (Lightspeed's codes)
ORDER_STATUS = {
    "on_hold": ("In de wacht", "On hold"),
    "processing_awaiting_payment": ("In behandeling: wacht op betaling", "Processing: awaiting payment"),
    "processing_awaiting_shipment": ("In behandeling: wacht op verzending", "Processing: awaiting shipment"),
    "processing_awaiting_pickup": ("In behandeling: wacht op afhaling", "Processing: awaiting pick-up"),
    "processing_ready_for_pickup": ("Klaar om af te halen", "Ready for pick-up"),
    "completed": ("Afgerond", "Completed"),
    "completed_shipped": ("Afgerond: verzonden", "Completed: shipped"),
    "completed_picked_up": ("Afgerond: afgehaald", "Completed: picked up"),
    "cancelled": ("Geannuleerd", "Cancelled"),
}
PAYMENT_STATUS = {
    "not_paid": ("Niet betaald", "Not paid"),
    "partially_paid": ("Gedeeltelijk betaald", "Partly paid"),
    "paid": ("Betaald", "Paid"),
    "cancelled": ("Geannuleerd", "Cancelled"),
}
SHIPMENT_STATUS = {
    "not_shipped": ("Niet verzonden", "Not shipped"),
    "partially_shipped": ("Gedeeltelijk verzonden", "Partly shipped"),
    "shipped": ("Verzonden", "Shipped"),
    "cancelled": ("Geannuleerd", "Cancelled"),
}
TICKET_STATUS = {
    "open": ("Open", "Open"),
    "closed": ("Afgesloten", "Closed"),
}
GENDER = {
    "male": ("Man", "Male"),
    "female": ("Vrouw", "Female"),
}
CUSTOMER_TYPE = {
    "private": ("Particulier", "Private customer"),
}
CHANNEL = {
    "main": ("Webwinkel", "Web shop"),
    "api": ("Via een koppeling (API)", "Through an integration (API)"),
}
DISCOUNT_TYPE = {
    "amount": ("Vast bedrag", "Fixed amount"),
    "percentage": ("Percentage", "Percentage"),
}
PAYMENT_METHOD = {
    "invoice": ("Op factuur", "On invoice"),
    "bank_transfer": ("Overschrijving", "Bank transfer"),
    "mollie-bancontact": ("Bancontact (via Mollie)", "Bancontact (through Mollie)"),
    "paypalcp": ("PayPal", "PayPal"),
}


# --------------------------------------------------------------------------- shared groups of fields
def _link(nl: str, en: str) -> Field:
    return Field(nl, en, Kind.IDENTIFIER)


def _language(prefix: str = "language") -> dict[str, Field]:
    return {
        prefix: Field("Taal", "Language", Kind.DATA),
        f"{prefix}.id": Field("Taal (nummer)", "Language (number)", Kind.IDENTIFIER),
        f"{prefix}.code": Field("Taalcode", "Language code", Kind.CODE),
        f"{prefix}.locale": Field("Taal en regio", "Language and region", Kind.CODE),
        f"{prefix}.title": Field("Taal", "Language", Kind.TEXT),
    }


def _address(prefix: str, nl: str, en: str) -> dict[str, Field]:
    """The flat ``address<Billing|Shipping>…`` fields of a customer or an order."""
    return {
        f"{prefix}Company": Field(f"{nl}: bedrijf", f"{en}: company", Kind.NAME),
        f"{prefix}Name": Field(f"{nl}: naam", f"{en}: name", Kind.NAME),
        f"{prefix}Street": Field(f"{nl}: straat", f"{en}: street", Kind.ADDRESS),
        f"{prefix}Street2": Field(f"{nl}: tweede adresregel", f"{en}: second address line", Kind.ADDRESS),
        f"{prefix}Number": Field(f"{nl}: huisnummer", f"{en}: house number", Kind.ADDRESS),
        f"{prefix}Extension": Field(f"{nl}: bus", f"{en}: box or suffix", Kind.ADDRESS),
        f"{prefix}Zipcode": Field(f"{nl}: postcode", f"{en}: postcode", Kind.ADDRESS),
        f"{prefix}City": Field(f"{nl}: gemeente", f"{en}: town or city", Kind.ADDRESS),
        f"{prefix}Region": Field(f"{nl}: provincie of regio", f"{en}: province or region", Kind.ADDRESS),
        f"{prefix}Country": Field(f"{nl}: land", f"{en}: country", Kind.ADDRESS),
    }


PERSON: dict[str, Field] = {
    "email": Field("E-mailadres", "E-mail address", Kind.EMAIL),
    "gender": Field("Geslacht", "Gender", Kind.CODE, GENDER),
    "birthDate": Field("Geboortedatum", "Date of birth", Kind.DATE),
    "nationalId": Field("Rijksregisternummer", "National identification number", Kind.IDENTIFIER),
    "firstname": Field("Voornaam", "First name", Kind.NAME),
    "middlename": Field("Tussenvoegsel", "Middle name", Kind.NAME),
    "lastname": Field("Familienaam", "Last name", Kind.NAME),
    "phone": Field("Telefoonnummer", "Phone number", Kind.PHONE),
    "mobile": Field("Gsm-nummer", "Mobile number", Kind.PHONE),
    "isCompany": Field("Bestelt als bedrijf", "Orders as a company", Kind.FLAG),
    "companyName": Field("Bedrijfsnaam", "Company name", Kind.NAME),
    "companyCoCNumber": Field("Ondernemingsnummer", "Company registration number", Kind.IDENTIFIER),
    "companyVatNumber": Field("Btw-nummer", "VAT number", Kind.IDENTIFIER),
}
TAX_RATES = Field("Btw-tarieven", "VAT rates", Kind.DATA)
CREATED = Field("Aangemaakt op", "Created on", Kind.DATE)
UPDATED = Field("Laatst gewijzigd op", "Last changed on", Kind.DATE)
ID = Field("Nummer bij Lightspeed", "Lightspeed's number", Kind.IDENTIFIER)
IP = Field("IP-adres", "IP address", Kind.NETWORK)
USER_AGENT = Field("Browser en toestel", "Browser and device", Kind.NETWORK)
MEMO = Field("Interne notitie van de winkel", "The shop's internal note", Kind.FREE_TEXT)
COST = Field("Aankoopprijs (intern)", "Purchase price (internal)", Kind.INTERNAL)

CUSTOMER = Dataset(
    "customer", "contact", "Klantgegevens", "Customer details", Origin.PROVIDED, PERSON,
    title=("firstname", "lastname"),
)

CUSTOMER_ACCOUNT = Dataset(
    "customer_account", "account", "Klantaccount", "Customer account", Origin.OBSERVED, {
        "id": Field("Klantnummer", "Customer number", Kind.IDENTIFIER),
        "createdAt": Field("Account aangemaakt op", "Account created on", Kind.DATE),
        "updatedAt": UPDATED,
        "isConfirmed": Field("E-mailadres bevestigd", "E-mail address confirmed", Kind.FLAG),
        "type": Field("Soort klant", "Kind of customer", Kind.CODE, CUSTOMER_TYPE),
        "lastOnlineAt": Field("Laatst online", "Last online", Kind.DATE),
        "referralId": Field("Doorverwezen via (partnercode)", "Referred by (partner code)", Kind.IDENTIFIER),
        "memo": MEMO,
        "doNotifyRegistered": Field("Mail bij registratie", "E-mail on registration", Kind.FLAG),
        "doNotifyConfirmed": Field("Mail bij bevestiging", "E-mail on confirmation", Kind.FLAG),
        "doNotifyPassword": Field("Mail bij nieuw wachtwoord", "E-mail on a new password", Kind.FLAG),
        **_language(),
    },
    date="createdAt", title=("id",),
)

CUSTOMER_DEVICE = Dataset(
    "customer_device", "technical", "Laatst gebruikt toestel", "Device last used", Origin.OBSERVED, {
        "remoteIp": IP,
        "userAgent": USER_AGENT,
        "lastOnlineAt": Field("Laatst online", "Last online", Kind.DATE),
    },
    date="lastOnlineAt",
)

CUSTOMER_METAFIELD = Dataset(
    "customer_metafield", "account", "Extra klantgegeven", "Extra customer detail", Origin.DERIVED, {
        "id": ID,
        "createdAt": CREATED,
        "updatedAt": UPDATED,
        "key": Field("Gegeven", "Detail", Kind.CODE),
        "value": Field("Waarde", "Value", Kind.FREE_TEXT),
    },
    date="createdAt", title=("key",),
)

CUSTOMER_GROUP = Dataset(
    "customer_group", "account", "Klantengroep", "Customer group", Origin.DERIVED, {
        "id": ID,
        "customer": _link("Klantaccount", "Customer account"),
        "group": _link("Groep", "Group"),
        "groupTitle": Field("Groep", "Group", Kind.TEXT),
    },
    title=("groupTitle",),
)

ORDER = Dataset(
    "order", "orders", "Bestelling", "Order", Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Besteld op", "Ordered on", Kind.DATE),
        "updatedAt": UPDATED,
        "number": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
        "status": Field("Status van de bestelling", "Order status", Kind.CODE, ORDER_STATUS),
        "customStatusId": Field("Eigen status van de winkel", "The shop's own status", Kind.IDENTIFIER),
        "channel": Field("Besteld via", "Ordered through", Kind.CODE, CHANNEL),
        "remoteIp": IP,
        "userAgent": USER_AGENT,
        "referralId": Field("Doorverwezen via (partnercode)", "Referred by (partner code)", Kind.IDENTIFIER),
        "priceCost": COST,
        "priceExcl": Field("Totaal excl. btw", "Total excl. VAT", Kind.AMOUNT),
        "priceIncl": Field("Totaal incl. btw", "Total incl. VAT", Kind.AMOUNT),
        "weight": Field("Gewicht", "Weight", Kind.NUMBER),
        "volume": Field("Volume", "Volume", Kind.NUMBER),
        "colli": Field("Aantal pakketten", "Number of parcels", Kind.NUMBER),
        **PERSON,
        **_address("addressBilling", "Factuuradres", "Billing address"),
        **_address("addressShipping", "Leveradres", "Delivery address"),
        "paymentId": Field("Betaalmethode (code)", "Payment method (code)", Kind.CODE, PAYMENT_METHOD),
        "paymentStatus": Field("Betaalstatus", "Payment status", Kind.CODE, PAYMENT_STATUS),
        "paymentIsPost": Field("Betaling achteraf", "Paid afterwards", Kind.FLAG),
        "paymentIsInvoiceExternal": Field("Factuur buiten Lightspeed", "Invoice outside Lightspeed", Kind.FLAG),
        "paymentTaxRate": Field("Btw-tarief betaalkosten", "VAT rate of the payment fee", Kind.NUMBER),
        "paymentTaxRates": TAX_RATES,
        "paymentBasePriceExcl": Field("Betaalkosten excl. btw (basis)", "Payment fee excl. VAT (base)", Kind.AMOUNT),
        "paymentBasePriceIncl": Field("Betaalkosten incl. btw (basis)", "Payment fee incl. VAT (base)", Kind.AMOUNT),
        "paymentPriceExcl": Field("Betaalkosten excl. btw", "Payment fee excl. VAT", Kind.AMOUNT),
        "paymentPriceIncl": Field("Betaalkosten incl. btw", "Payment fee incl. VAT", Kind.AMOUNT),
        "paymentTitle": Field("Betaalmethode", "Payment method", Kind.TEXT),
        "paymentData": Field("Gegevens van de betaalprovider", "Payment provider's details", Kind.DATA),
        "paymentData.paypalTransactionId": Field("PayPal-transactienummer", "PayPal transaction id",
                                                 Kind.IDENTIFIER),
        "paymentData.paypalOrderId": Field("PayPal-bestelnummer", "PayPal order id", Kind.IDENTIFIER),
        "shipmentId": Field("Verzendmethode (code)", "Shipping method (code)", Kind.IDENTIFIER),
        "shipmentStatus": Field("Verzendstatus", "Shipping status", Kind.CODE, SHIPMENT_STATUS),
        "shipmentIsCashOnDelivery": Field("Betaling bij levering", "Cash on delivery", Kind.FLAG),
        "shipmentIsPickup": Field("Afhalen", "Pick-up", Kind.FLAG),
        "shipmentTaxRate": Field("Btw-tarief verzendkosten", "VAT rate of the shipping cost", Kind.NUMBER),
        "shipmentTaxRates": TAX_RATES,
        "shipmentBasePriceExcl": Field("Verzendkosten excl. btw (basis)", "Shipping excl. VAT (base)", Kind.AMOUNT),
        "shipmentBasePriceIncl": Field("Verzendkosten incl. btw (basis)", "Shipping incl. VAT (base)", Kind.AMOUNT),
        "shipmentPriceExcl": Field("Verzendkosten excl. btw", "Shipping excl. VAT", Kind.AMOUNT),
        "shipmentPriceIncl": Field("Verzendkosten incl. btw", "Shipping incl. VAT", Kind.AMOUNT),
        "shipmentDiscountExcl": Field("Korting op verzending excl. btw", "Shipping discount excl. VAT", Kind.AMOUNT),
        "shipmentDiscountIncl": Field("Korting op verzending incl. btw", "Shipping discount incl. VAT", Kind.AMOUNT),
        "shipmentTitle": Field("Verzendmethode", "Shipping method", Kind.TEXT),
        "shipmentData": Field("Gegevens van de verzendmethode", "Shipping method details", Kind.DATA),
        "shippingDate": Field("Verzenddatum", "Shipping date", Kind.DATE),
        "deliveryDate": Field("Leverdatum", "Delivery date", Kind.DATE),
        "taxRates": TAX_RATES,
        "isDiscounted": Field("Met korting", "Discounted", Kind.FLAG),
        "discountType": Field("Soort korting", "Kind of discount", Kind.CODE, DISCOUNT_TYPE),
        "discountAmount": Field("Korting", "Discount", Kind.AMOUNT),
        "discountPercentage": Field("Kortingspercentage", "Discount percentage", Kind.NUMBER),
        "discountCouponCode": Field("Kortingscode", "Discount code", Kind.TEXT),
        "isNewCustomer": Field("Nieuwe klant", "New customer", Kind.FLAG),
        "newsletterSubscribed": Field("Ingeschreven op de nieuwsbrief", "Subscribed to the newsletter", Kind.FLAG),
        "comment": Field("Opmerking bij de bestelling", "Comment with the order", Kind.FREE_TEXT),
        "memo": MEMO,
        "doNotifyNew": Field("Mail bij nieuwe bestelling", "E-mail on a new order", Kind.FLAG),
        "doNotifyReminder": Field("Betaalherinnering per mail", "Payment reminder by e-mail", Kind.FLAG),
        "doNotifyCancelled": Field("Mail bij annulering", "E-mail on cancellation", Kind.FLAG),
        **_language(),
        "customer": _link("Klantaccount", "Customer account"),
        "invoices": _link("Facturen", "Invoices"),
        "shipments": _link("Zendingen", "Shipments"),
        "products": _link("Bestelde producten", "Ordered products"),
        "metafields": _link("Extra gegevens", "Extra details"),
        "quote": _link("Offerte", "Quote"),
        "events": _link("Gebeurtenissen", "Events"),
    },
    date="createdAt", title=("number",),
)

ORDER_PAYMENT = Dataset(
    "order_payment", "payments", "Betaling van een bestelling", "Payment of an order", Origin.PROVIDED, {
        "number": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
        "createdAt": Field("Besteld op", "Ordered on", Kind.DATE),
        "paymentId": ORDER.fields["paymentId"],
        "paymentTitle": ORDER.fields["paymentTitle"],
        "paymentStatus": ORDER.fields["paymentStatus"],
        "paymentData": ORDER.fields["paymentData"],
        "paymentData.paypalTransactionId": ORDER.fields["paymentData.paypalTransactionId"],
        "paymentData.paypalOrderId": ORDER.fields["paymentData.paypalOrderId"],
        "priceExcl": ORDER.fields["priceExcl"],
        "priceIncl": ORDER.fields["priceIncl"],
        "paymentPriceIncl": ORDER.fields["paymentPriceIncl"],
        "paymentIsInvoiceExternal": ORDER.fields["paymentIsInvoiceExternal"],
    },
    date="createdAt", title=("number", "paymentTitle"),
)

ORDER_DEVICE = Dataset(
    "order_device", "technical", "Toestel bij een bestelling", "Device used for an order", Origin.OBSERVED, {
        "order": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
        "createdAt": Field("Besteld op", "Ordered on", Kind.DATE),
        "remoteIp": IP,
        "userAgent": USER_AGENT,
    },
    date="createdAt", title=("order",),
)

ORDER_LINE = Dataset(
    "order_line", "orders", "Besteld product", "Ordered product", Origin.PROVIDED, {
        "order": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
        "id": ID,
        "supplierTitle": Field("Leverancier (intern)", "Supplier (internal)", Kind.INTERNAL),
        "brandTitle": Field("Merk", "Brand", Kind.TEXT),
        "productTitle": Field("Product", "Product", Kind.TEXT),
        "variantTitle": Field("Variant", "Variant", Kind.TEXT),
        "taxRate": Field("Btw-tarief", "VAT rate", Kind.NUMBER),
        "quantityOrdered": Field("Aantal besteld", "Quantity ordered", Kind.NUMBER),
        "quantityInvoiced": Field("Aantal gefactureerd", "Quantity invoiced", Kind.NUMBER),
        "quantityShipped": Field("Aantal verzonden", "Quantity shipped", Kind.NUMBER),
        "quantityRefunded": Field("Aantal terugbetaald", "Quantity refunded", Kind.NUMBER),
        "quantityReturned": Field("Aantal teruggestuurd", "Quantity returned", Kind.NUMBER),
        "articleCode": Field("Artikelcode", "Article code", Kind.TEXT),
        "ean": Field("EAN-code", "EAN code", Kind.TEXT),
        "sku": Field("SKU", "SKU", Kind.TEXT),
        "weight": Field("Gewicht", "Weight", Kind.NUMBER),
        "volume": Field("Volume", "Volume", Kind.NUMBER),
        "colli": Field("Aantal pakketten", "Number of parcels", Kind.NUMBER),
        "sizeX": Field("Lengte", "Length", Kind.NUMBER),
        "sizeY": Field("Breedte", "Width", Kind.NUMBER),
        "sizeZ": Field("Hoogte", "Height", Kind.NUMBER),
        "priceCost": COST,
        "customExcl": Field("Prijs van de gekozen opties excl. btw", "Price of the chosen options excl. VAT",
                            Kind.AMOUNT),
        "customIncl": Field("Prijs van de gekozen opties incl. btw", "Price of the chosen options incl. VAT",
                            Kind.AMOUNT),
        "basePriceExcl": Field("Stukprijs excl. btw", "Unit price excl. VAT", Kind.AMOUNT),
        "basePriceIncl": Field("Stukprijs incl. btw", "Unit price incl. VAT", Kind.AMOUNT),
        "priceExcl": Field("Prijs excl. btw", "Price excl. VAT", Kind.AMOUNT),
        "priceIncl": Field("Prijs incl. btw", "Price incl. VAT", Kind.AMOUNT),
        "discountExcl": Field("Korting excl. btw", "Discount excl. VAT", Kind.AMOUNT),
        "discountIncl": Field("Korting incl. btw", "Discount incl. VAT", Kind.AMOUNT),
        "customFields": Field("Gekozen opties en ingevulde tekst", "Chosen options and entered text",
                              Kind.FREE_TEXT),
        "product": _link("Product", "Product"),
        "variant": _link("Variant", "Variant"),
    },
    title=("productTitle", "variantTitle"),
)

SHIPMENT = Dataset(
    "shipment", "shipments", "Zending", "Shipment", Origin.OBSERVED, {
        "id": ID,
        "createdAt": Field("Aangemaakt op", "Created on", Kind.DATE),
        "updatedAt": UPDATED,
        "number": Field("Zendingsnummer", "Shipment number", Kind.IDENTIFIER),
        "status": Field("Verzendstatus", "Shipping status", Kind.CODE, SHIPMENT_STATUS),
        "trackingCode": Field("Trackingcode", "Tracking code", Kind.IDENTIFIER),
        "doNotifyShipped": Field("Mail bij verzending", "E-mail when shipped", Kind.FLAG),
        "doNotifyReadyForPickup": Field("Mail wanneer klaar om af te halen", "E-mail when ready for pick-up",
                                        Kind.FLAG),
        "doNotifyTrackingCode": Field("Trackingcode per mail", "Tracking code by e-mail", Kind.FLAG),
        "totalWeight": Field("Totaal gewicht", "Total weight", Kind.NUMBER),
        "totalSizeX": Field("Lengte", "Length", Kind.NUMBER),
        "totalSizeY": Field("Breedte", "Width", Kind.NUMBER),
        "totalSizeZ": Field("Hoogte", "Height", Kind.NUMBER),
        "customer": _link("Klantaccount", "Customer account"),
        "order": _link("Bestelling", "Order"),
        "products": _link("Verzonden producten", "Shipped products"),
        "metafields": _link("Extra gegevens", "Extra details"),
        "events": _link("Gebeurtenissen", "Events"),
    },
    date="createdAt", title=("number",),
)

CARRIER_DISCLOSURE = Dataset(
    "carrier_disclosure", "shipments", "Doorgegeven aan de vervoerder", "Passed on to the carrier", Origin.PROVIDED, {
        "carrier": Field("Vervoerder en verzendmethode", "Carrier and shipping method", Kind.TEXT),
        "carrier_method": Field("Vervoerder (code)", "Carrier (code)", Kind.CODE),
        "shared_on": Field("Doorgegeven op", "Date passed on", Kind.DATE),
        "order": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
        "shipment": Field("Zendingsnummer", "Shipment number", Kind.IDENTIFIER),
        "trackingCode": Field("Trackingcode", "Tracking code", Kind.IDENTIFIER),
        "recipient": Field("Ontvanger", "Recipient", Kind.ADDRESS),
        "recipient.company": Field("Bedrijf", "Company", Kind.NAME),
        "recipient.name": Field("Naam", "Name", Kind.NAME),
        "phone": Field("Telefoonnummer", "Phone number", Kind.PHONE),
        "email": Field("E-mailadres", "E-mail address", Kind.EMAIL),
    },
    date="shared_on", title=("carrier", "shipment"),
)

INVOICE = Dataset(
    "invoice", "invoices", "Factuur", "Invoice", Origin.DERIVED, {
        "id": ID,
        "createdAt": Field("Factuurdatum", "Invoice date", Kind.DATE),
        "updatedAt": UPDATED,
        "number": Field("Factuurnummer", "Invoice number", Kind.IDENTIFIER),
        "status": Field("Betaalstatus", "Payment status", Kind.CODE, PAYMENT_STATUS),
        "isVatShifted": Field("Btw verlegd", "VAT reverse-charged", Kind.FLAG),
        "priceExcl": Field("Totaal excl. btw", "Total excl. VAT", Kind.AMOUNT),
        "priceIncl": Field("Totaal incl. btw", "Total incl. VAT", Kind.AMOUNT),
        "creditNote": Field("Creditnota", "Credit note", Kind.FLAG),
        "customer": _link("Klantaccount", "Customer account"),
        "order": _link("Bestelling", "Order"),
        "metafields": _link("Extra gegevens", "Extra details"),
        "events": _link("Gebeurtenissen", "Events"),
        "file": _link("Factuur als pdf", "Invoice as PDF"),
        "items": Field("Factuurregels", "Invoice lines", Kind.DATA),
        "items.id": ID,
        "items.productTitle": Field("Product", "Product", Kind.TEXT),
        "items.variantTitle": Field("Variant", "Variant", Kind.TEXT),
        "items.articleCode": Field("Artikelcode", "Article code", Kind.TEXT),
        "items.ean": Field("EAN-code", "EAN code", Kind.TEXT),
        "items.sku": Field("SKU", "SKU", Kind.TEXT),
        "items.quantityInvoiced": Field("Aantal", "Quantity", Kind.NUMBER),
        "items.priceCost": COST,
        "items.basePriceExcl": Field("Stukprijs excl. btw", "Unit price excl. VAT", Kind.AMOUNT),
        "items.basePriceIncl": Field("Stukprijs incl. btw", "Unit price incl. VAT", Kind.AMOUNT),
        "items.priceExcl": Field("Prijs excl. btw", "Price excl. VAT", Kind.AMOUNT),
        "items.priceIncl": Field("Prijs incl. btw", "Price incl. VAT", Kind.AMOUNT),
        "items.discountExcl": Field("Korting excl. btw", "Discount excl. VAT", Kind.AMOUNT),
        "items.discountIncl": Field("Korting incl. btw", "Discount incl. VAT", Kind.AMOUNT),
        "items.taxRate": Field("Btw-tarief", "VAT rate", Kind.NUMBER),
        "items.product": _link("Product", "Product"),
        "items.variant": _link("Variant", "Variant"),
    },
    date="createdAt", title=("number",),
)

RETURN_STATUS = {
    "requested": ("Aangevraagd", "Requested"),
    "accepted": ("Aanvaard", "Accepted"),
    "received": ("Ontvangen door de winkel", "Received by the shop"),
    "processed": ("Afgehandeld", "Processed"),
    "rejected": ("Geweigerd", "Rejected"),
}

RETURN = Dataset(
    "return", "orders", "Retour", "Return", Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Aangevraagd op", "Requested on", Kind.DATE),
        "updatedAt": UPDATED,
        "status": Field("Status van de retour", "Return status", Kind.CODE, RETURN_STATUS),
        "reason": Field("Reden", "Reason", Kind.TEXT),
        "comment": Field("Toelichting van de klant", "The customer's explanation", Kind.FREE_TEXT),
        "memo": MEMO,
        "quantity": Field("Aantal", "Quantity", Kind.NUMBER),
        "productTitle": Field("Product", "Product", Kind.TEXT),
        "variantTitle": Field("Variant", "Variant", Kind.TEXT),
        "customer": _link("Klantaccount", "Customer account"),
        "order": _link("Bestelling", "Order"),
        "orderProduct": _link("Besteld product", "Ordered product"),
    },
    date="createdAt", title=("productTitle", "reason"),
)

_QUOTE_ORDER_FIELDS = (
    "channel", "remoteIp", "userAgent", "priceCost", "priceExcl", "priceIncl", "weight", "paymentId", "paymentTitle",
    "shipmentId", "shipmentTitle", "discountCouponCode", "memo", "customer",
)
QUOTE = Dataset(
    "quote", "orders", "Winkelmandje of offerte", "Shopping cart or quote", Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Aangemaakt op", "Created on", Kind.DATE),
        "updatedAt": UPDATED,
        **{name: ORDER.fields[name] for name in _QUOTE_ORDER_FIELDS},
        **PERSON,
        **_address("addressBilling", "Factuuradres", "Billing address"),
        **_address("addressShipping", "Leveradres", "Delivery address"),
        "comment": Field("Opmerking", "Comment", Kind.FREE_TEXT),
        **_language(),
        "order": _link("Bestelling die eruit volgde", "Order that followed"),
        "products": Field("Producten", "Products", Kind.DATA),
        "products.id": ID,
        "products.productTitle": Field("Product", "Product", Kind.TEXT),
        "products.variantTitle": Field("Variant", "Variant", Kind.TEXT),
        "products.articleCode": Field("Artikelcode", "Article code", Kind.TEXT),
        "products.ean": Field("EAN-code", "EAN code", Kind.TEXT),
        "products.sku": Field("SKU", "SKU", Kind.TEXT),
        "products.quantity": Field("Aantal", "Quantity", Kind.NUMBER),
        "products.priceCost": COST,
        "products.basePriceExcl": Field("Stukprijs excl. btw", "Unit price excl. VAT", Kind.AMOUNT),
        "products.basePriceIncl": Field("Stukprijs incl. btw", "Unit price incl. VAT", Kind.AMOUNT),
        "products.priceExcl": Field("Prijs excl. btw", "Price excl. VAT", Kind.AMOUNT),
        "products.priceIncl": Field("Prijs incl. btw", "Price incl. VAT", Kind.AMOUNT),
        "products.product": _link("Product", "Product"),
        "products.variant": _link("Variant", "Variant"),
    },
    date="createdAt", title=("createdAt", "priceIncl"),
)

REVIEW = Dataset(
    "review", "feedback", "Productbeoordeling", "Product review", Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Geschreven op", "Written on", Kind.DATE),
        "updatedAt": UPDATED,
        "isVisible": Field("Zichtbaar in de webwinkel", "Visible in the web shop", Kind.FLAG),
        "score": Field("Score (0 tot 1)", "Score (0 to 1)", Kind.NUMBER),
        "name": Field("Naam bij de beoordeling", "Name shown with the review", Kind.NAME),
        "content": Field("Tekst", "Text", Kind.FREE_TEXT),
        **_language(),
        "customer": _link("Klantaccount", "Customer account"),
        "product": _link("Product", "Product"),
    },
    date="createdAt", title=("score",),
)

SUPPORT_TICKET = Dataset(
    "support_ticket", "communications", "Vraag aan de klantendienst", "Question to customer service",
    Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Gesteld op", "Asked on", Kind.DATE),
        "updatedAt": UPDATED,
        "status": Field("Status", "Status", Kind.CODE, TICKET_STATUS),
        "subject": Field("Onderwerp", "Subject", Kind.FREE_TEXT),
        "customer": _link("Klantaccount", "Customer account"),
        "messages": Field("Berichten", "Messages", Kind.DATA),
        "messages.id": ID,
        "messages.createdAt": Field("Verstuurd op", "Sent on", Kind.DATE),
        "messages.updatedAt": UPDATED,
        "messages.from": Field("Van", "From", Kind.NAME),
        "messages.isCustomer": Field("Van de klant", "From the customer", Kind.FLAG),
        "messages.message": Field("Bericht", "Message", Kind.FREE_TEXT),
    },
    date="createdAt", title=("subject",),
)

ADDRESS = Dataset(
    "address", "addresses", "Adres", "Address", Origin.PROVIDED, {
        "company": Field("Bedrijf", "Company", Kind.NAME),
        "name": Field("Naam", "Name", Kind.NAME),
        "street": Field("Straat", "Street", Kind.ADDRESS),
        "street2": Field("Tweede adresregel", "Second address line", Kind.ADDRESS),
        "number": Field("Huisnummer", "House number", Kind.ADDRESS),
        "extension": Field("Bus", "Box or suffix", Kind.ADDRESS),
        "zipcode": Field("Postcode", "Postcode", Kind.ADDRESS),
        "city": Field("Gemeente", "Town or city", Kind.ADDRESS),
        "region": Field("Provincie of regio", "Province or region", Kind.ADDRESS),
        "country": Field("Land", "Country", Kind.ADDRESS),
        "used_for": Field("Gebruikt als", "Used as", Kind.TEXT),
    },
    title=("street", "number", "city"),
)

NEWSLETTER_SUBSCRIPTION = Dataset(
    "newsletter_subscription", "marketing", "Inschrijving op de nieuwsbrief", "Newsletter subscription",
    Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Ingeschreven op", "Subscribed on", Kind.DATE),
        "updatedAt": UPDATED,
        "isConfirmed": Field("Inschrijving bevestigd", "Subscription confirmed", Kind.FLAG),
        "email": PERSON["email"],
        "firstname": PERSON["firstname"],
        "lastname": PERSON["lastname"],
        "doNotifyConfirmed": Field("Bevestigingsmail", "Confirmation e-mail", Kind.FLAG),
        **_language(),
    },
    date="createdAt", title=("email",),
)

ORDER_EVENT_TYPE = {
    "order_status": ("Status van de bestelling gewijzigd", "Order status changed"),
    "payment_status": ("Betaalstatus gewijzigd", "Payment status changed"),
    "shipment_status": ("Verzendstatus gewijzigd", "Shipping status changed"),
    "message": ("Bericht aan de klant", "Message to the customer"),
    "comment": ("Opmerking", "Comment"),
}
_EVENT_FIELDS: dict[str, Field] = {
    "orderNumber": Field("Bestelnummer", "Order number", Kind.IDENTIFIER),
    "id": ID,
    "createdAt": Field("Op", "On", Kind.DATE),
    "type": Field("Soort gebeurtenis", "Kind of event", Kind.CODE, ORDER_EVENT_TYPE),
    "status": Field("Nieuwe status", "New status", Kind.CODE, {**ORDER_STATUS, **PAYMENT_STATUS, **SHIPMENT_STATUS}),
    "isVisible": Field("Zichtbaar voor de klant", "Visible to the customer", Kind.FLAG),
    "order": _link("Bestelling", "Order"),
    "invoice": _link("Factuur", "Invoice"),
    "shipment": _link("Zending", "Shipment"),
}

ORDER_EVENT = Dataset(
    "order_event", "orders", "Verloop van een bestelling", "Order history", Origin.OBSERVED, {
        **_EVENT_FIELDS,
        "message": Field("Bericht of toelichting", "Message or explanation", Kind.FREE_TEXT),
    },
    date="createdAt", title=("orderNumber", "type"),
)

ORDER_STAFF_COMMENT = Dataset(
    "order_staff_comment", "orders", "Interne opmerking bij een bestelling", "Internal comment on an order",
    Origin.DERIVED, {
        **_EVENT_FIELDS,
        "message": Field("Interne opmerking van de winkel", "The shop's internal comment", Kind.INTERNAL),
    },
    date="createdAt", title=("orderNumber", "type"),
)


def _metafield(name: str, category: str, nl: str, en: str, parent: tuple[str, str]) -> Dataset:
    """Whatever an app stored on an order, invoice or shipment (``…/{id}/metafields``): a key and a value."""
    return Dataset(name, category, nl, en, Origin.DERIVED, {
        "parent": Field(*parent, Kind.IDENTIFIER),
        "id": ID,
        "createdAt": CREATED,
        "updatedAt": UPDATED,
        "key": Field("Gegeven", "Detail", Kind.CODE),
        "value": Field("Waarde", "Value", Kind.FREE_TEXT),
    }, date="createdAt", title=("parent", "key"))


ORDER_METAFIELD = _metafield("order_metafield", "orders", "Extra gegeven bij een bestelling",
                             "Extra detail of an order", ("Bestelnummer", "Order number"))
INVOICE_METAFIELD = _metafield("invoice_metafield", "invoices", "Extra gegeven bij een factuur",
                               "Extra detail of an invoice", ("Factuurnummer", "Invoice number"))
SHIPMENT_METAFIELD = _metafield("shipment_metafield", "shipments", "Extra gegeven bij een zending",
                                "Extra detail of a shipment", ("Zendingsnummer", "Shipment number"))

CONTACT_MESSAGE = Dataset(
    "contact_message", "communications", "Bericht via het contactformulier", "Message through the contact form",
    Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Verstuurd op", "Sent on", Kind.DATE),
        "updatedAt": UPDATED,
        "name": Field("Naam", "Name", Kind.NAME),
        "company": Field("Bedrijf", "Company", Kind.NAME),
        "email": PERSON["email"],
        "phone": PERSON["phone"],
        "subject": Field("Onderwerp", "Subject", Kind.FREE_TEXT),
        "message": Field("Bericht", "Message", Kind.FREE_TEXT),
        **_language(),
    },
    date="createdAt", title=("subject",),
)

BLOG_COMMENT = Dataset(
    "blog_comment", "feedback", "Reactie op de blog", "Comment on the blog", Origin.PROVIDED, {
        "id": ID,
        "createdAt": Field("Geschreven op", "Written on", Kind.DATE),
        "updatedAt": UPDATED,
        "isVisible": Field("Zichtbaar in de webwinkel", "Visible in the web shop", Kind.FLAG),
        "name": Field("Naam bij de reactie", "Name shown with the comment", Kind.NAME),
        "email": PERSON["email"],
        "content": Field("Tekst", "Text", Kind.FREE_TEXT),
        **_language(),
        "blog": _link("Blog", "Blog"),
        "article": _link("Blogartikel", "Blog article"),
    },
    date="createdAt", title=("createdAt",),
)

DATASETS: tuple[Dataset, ...] = (
    CUSTOMER, CUSTOMER_ACCOUNT, CUSTOMER_DEVICE, CUSTOMER_METAFIELD, CUSTOMER_GROUP, ORDER, ORDER_PAYMENT,
    ORDER_DEVICE, ORDER_LINE, SHIPMENT, CARRIER_DISCLOSURE, INVOICE, RETURN, QUOTE, REVIEW, SUPPORT_TICKET, ADDRESS,
    NEWSLETTER_SUBSCRIPTION, ORDER_EVENT, ORDER_STAFF_COMMENT, ORDER_METAFIELD, INVOICE_METAFIELD, SHIPMENT_METAFIELD,
    CONTACT_MESSAGE, BLOG_COMMENT,
)
