"""What the Silvasoft connector yields, field by field: the relation (the customer master record), the
requester's own contact entry, addresses, sales invoices and sales orders with their lines.

Field names are Silvasoft's own (``VENDOR_APIS.md``, the sandbox fixtures). Dates are written dd-MM-yyyy
(``createdOn`` is ISO 8601). Status codes are the Dutch values Silvasoft shows in its interface.
"""

from __future__ import annotations

from aggregator.datasets import Dataset, Field, Kind, Origin

_ADDRESS_TYPES = {
    "BillingAddress": ("Factuuradres", "Billing address"),
    "ShippingAddress": ("Leveringsadres", "Delivery address"),
}

ADDRESS: dict[str, Field] = {
    "Address_Street": Field("Straat", "Street", Kind.ADDRESS),
    "Address_Unit": Field("Huisnummer", "House number", Kind.ADDRESS),
    "Address_UnitAppendix": Field("Busnummer", "Box number", Kind.ADDRESS),
    "Address_PostalCode": Field("Postcode", "Postcode", Kind.ADDRESS),
    "Address_City": Field("Gemeente", "Town or city", Kind.ADDRESS),
    "Address_CountryCode": Field("Land (code)", "Country (code)", Kind.ADDRESS),
}

# The person fields of a contact entry: of a relation (``Relation_Contact``), an invoice or an order.
CONTACT: dict[str, Field] = {
    "FirstName": Field("Voornaam", "First name", Kind.NAME),
    "Preposition": Field("Tussenvoegsel", "Name prefix", Kind.NAME),
    "LastName": Field("Familienaam", "Surname", Kind.NAME),
    "Email": Field("E-mailadres", "E-mail address", Kind.EMAIL),
    "Phone": Field("Telefoonnummer", "Phone number", Kind.PHONE),
    "MobilePhone": Field("Gsm-nummer", "Mobile number", Kind.PHONE),
    "Sex": Field("Geslacht", "Sex", Kind.CODE, {"Man": ("Man", "Male"), "Woman": ("Vrouw", "Female")}),
    "DefaultContact": Field("Standaardcontactpersoon", "Default contact person", Kind.FLAG),
    "ContactType": Field("Soort contactpersoon", "Kind of contact", Kind.CODE,
                         {"Invoice": ("Voor facturen", "For invoices"), "Order": ("Voor bestellingen", "For orders")}),
}

LINE: dict[str, Field] = {
    "ProductNumber": Field("Artikelnummer", "Product number", Kind.IDENTIFIER),
    "Description": Field("Omschrijving", "Description"),
    "Quantity": Field("Aantal", "Quantity", Kind.NUMBER),
    "UnitPriceExclTax": Field("Eenheidsprijs excl. btw", "Unit price excl. VAT", Kind.AMOUNT),
    "TaxPc": Field("Btw-percentage", "VAT rate (%)", Kind.NUMBER),
    "SubTotalInclTax": Field("Subtotaal incl. btw", "Subtotal incl. VAT", Kind.AMOUNT),
}

_CUSTOMER = {
    "CustomerNumber": Field("Klantnummer", "Customer number", Kind.IDENTIFIER),
    "CustomerName": Field("Naam van de klant", "Customer name", Kind.NAME),
    "CustomerEmail": Field("E-mailadres van de klant", "Customer e-mail address", Kind.EMAIL),
}


def _nested(prefix: str, fields: dict[str, Field]) -> dict[str, Field]:
    return {f"{prefix}.{path}": f for path, f in fields.items()}


_INVOICE_NUMBER = {"InvoiceNumber": Field("Factuurnummer", "Invoice number", Kind.IDENTIFIER)}
_ORDER_NUMBER = {"OrderNumber": Field("Bestelnummer", "Order number", Kind.IDENTIFIER)}
_RELATION_ID = {"RelationGUID": Field("Relatie-ID (Silvasoft)", "Relation id (Silvasoft)", Kind.IDENTIFIER)}
_ADDRESS_TYPE = {"Address_Type": Field("Soort adres", "Kind of address", Kind.CODE, _ADDRESS_TYPES)}

DATASETS: tuple[Dataset, ...] = (
    Dataset("relation", "contact", "Klantfiche", "Customer record", Origin.PROVIDED, {
        **_RELATION_ID,
        "CustomerNumber": Field("Klantnummer", "Customer number", Kind.IDENTIFIER),
        "SupplierNumber": Field("Leveranciersnummer", "Supplier number", Kind.IDENTIFIER),
        "Name": Field("Naam", "Name", Kind.NAME),
        "Email": Field("E-mailadres", "E-mail address", Kind.EMAIL),
        "Phone": Field("Telefoonnummer", "Phone number", Kind.PHONE),
        "RelationType": Field("Soort relatie", "Kind of relation", Kind.CODE,
                              {"Business": ("Onderneming", "Business"), "Private": ("Particulier", "Private person")}),
        "RegistrationNumber": Field("Ondernemingsnummer", "Company registration number", Kind.IDENTIFIER),
        "TaxIdentificationNumber": Field("Btw-nummer", "VAT number", Kind.IDENTIFIER),
        "IsCustomer": Field("Is klant", "Is a customer", Kind.FLAG),
        "IsSupplier": Field("Is leverancier", "Is a supplier", Kind.FLAG),
        "IsOther": Field("Andere relatie", "Other kind of relation", Kind.FLAG),
        "createdOn": Field("Aangemaakt op", "Created on", Kind.DATE),
        "CreatedOn": Field("Aangemaakt op", "Created on", Kind.DATE),
    }, date="createdOn", title=("Name", "CustomerNumber")),
    Dataset("relation_contact", "contact", "Contactpersoon", "Contact person", Origin.PROVIDED,
            {**_RELATION_ID, **CONTACT}, title=("FirstName", "LastName")),
    Dataset("relation_address", "addresses", "Adres van de klant", "Customer address", Origin.PROVIDED,
            {**_RELATION_ID, **ADDRESS, **_ADDRESS_TYPE}, title=("Address_Street", "Address_Unit", "Address_City")),
    Dataset("sales_invoice", "invoices", "Verkoopfactuur", "Sales invoice", Origin.PROVIDED, {
        **_INVOICE_NUMBER,
        "InvoiceDate": Field("Factuurdatum", "Invoice date", Kind.DATE),
        "InvoiceDueDate": Field("Vervaldatum", "Due date", Kind.DATE),
        **_CUSTOMER,
        "InvoiceStatus": Field("Status", "Status", Kind.CODE,
                               {"Betaald": ("Betaald", "Paid"), "Openstaand": ("Openstaand", "Unpaid")}),
        "Currency": Field("Munt", "Currency", Kind.CODE, {"EUR": ("Euro", "Euro")}),
        "InvoiceTotalExclTax": Field("Totaal excl. btw", "Total excl. VAT", Kind.AMOUNT),
        "InvoiceTotalTax": Field("Btw", "VAT", Kind.AMOUNT),
        "InvoiceTotalInclTax": Field("Totaal incl. btw", "Total incl. VAT", Kind.AMOUNT),
        "InvoiceOutstandingAmount": Field("Nog te betalen", "Amount outstanding", Kind.AMOUNT),
        "InvoiceReference": Field("Referentie", "Reference", Kind.FREE_TEXT),
        "InvoiceNotes": Field("Opmerkingen", "Notes", Kind.FREE_TEXT),
        **_nested("Invoice_Contact", CONTACT),
        **_nested("Invoice_Address", {**ADDRESS, **_ADDRESS_TYPE}),
        "pdf_attachment": Field("Factuur (pdf, in dit pakket)", "Invoice (PDF, in this package)"),
    }, date="InvoiceDate", title=("InvoiceNumber", "InvoiceDate")),
    Dataset("sales_invoice_line", "invoices", "Factuurregel", "Invoice line", Origin.PROVIDED,
            {**_INVOICE_NUMBER, **LINE}, title=("Description",)),
    Dataset("invoice_address", "addresses", "Adres op een factuur", "Address on an invoice", Origin.PROVIDED,
            {**_INVOICE_NUMBER, **ADDRESS, **_ADDRESS_TYPE},
            title=("Address_Street", "Address_Unit", "Address_City")),
    Dataset("sales_order", "orders", "Verkooporder", "Sales order", Origin.PROVIDED, {
        **_ORDER_NUMBER,
        "OrderDate": Field("Besteldatum", "Order date", Kind.DATE),
        **_CUSTOMER,
        "OrderStatus": Field("Status", "Status", Kind.CODE, {
            "In behandeling": ("In behandeling", "Being processed"),
            "Gefactureerd": ("Gefactureerd", "Invoiced"),
            "Afgerond": ("Afgerond", "Completed"),
        }),
        "OrderTotalExclTax": Field("Totaal excl. btw", "Total excl. VAT", Kind.AMOUNT),
        "OrderTotalInclTax": Field("Totaal incl. btw", "Total incl. VAT", Kind.AMOUNT),
        "OrderReference": Field("Referentie", "Reference", Kind.FREE_TEXT),
        "OrderNotes": Field("Opmerkingen", "Notes", Kind.FREE_TEXT),
        **_nested("Order_Contact", CONTACT),
        **_nested("Order_Address", {**ADDRESS, **_ADDRESS_TYPE}),
    }, date="OrderDate", title=("OrderNumber", "OrderDate")),
    Dataset("sales_order_line", "orders", "Orderregel", "Order line", Origin.PROVIDED,
            {**_ORDER_NUMBER, **LINE}, title=("Description",)),
    Dataset("order_address", "addresses", "Adres op een bestelling", "Address on an order", Origin.PROVIDED,
            {**_ORDER_NUMBER, **ADDRESS, **_ADDRESS_TYPE}, title=("Address_Street", "Address_Unit", "Address_City")),
)
