"""What the Mailchimp connector yields, field by field: the member record of every audience holding the
address, its contact, consent and sign-up parts, tags, the activity feed, events, goals and notes; per campaign
the feed names, the recipient report, the opens, clicks and bounces with their IP address and the unsubscribe;
abuse (spam) reports; the messages of past conversations the member started; and, in a connected store, the
customer record, orders and carts.

Codes follow the Mailchimp Marketing API 3.0 (member ``status``, activity ``activity_type``, ``bounce_type``,
``email_type``, merge-field ``type``); ``member_rating`` is Mailchimp's own 1–5 engagement score.
Merge fields and interests are audience-specific (their keys are the audience's own tags and ids), so each is
declared once as a whole, with the standard name, address, phone and birthday fields at their own path.
"""

from __future__ import annotations

from aggregator.datasets import Dataset, Field, Kind, Origin

F = Field

STATUS = {
    "subscribed": ("ingeschreven", "subscribed"),
    "unsubscribed": ("uitgeschreven", "unsubscribed"),
    "cleaned": ("verwijderd omdat het adres onbestelbaar was", "cleaned (the address could not be delivered to)"),
    "pending": ("wacht op bevestiging (dubbele opt-in)", "waiting for confirmation (double opt-in)"),
    "transactional": ("enkel transactionele e-mails (bv. bestelbevestigingen)",
                      "transactional e-mails only (e.g. order confirmations)"),
    "archived": ("gearchiveerd", "archived"),
}
RATING = {
    "1": ("1 ster: ooit uitgeschreven en opnieuw ingeschreven, of e-mails kwamen eerder niet aan",
          "1 star: unsubscribed and resubscribed, or e-mails bounced in the past"),
    "2": ("2 sterren: geen betrokkenheid (nieuw of inactief)", "2 stars: no engagement (new or dormant)"),
    "3": ("3 sterren: lage betrokkenheid", "3 stars: low engagement"),
    "4": ("4 sterren: gemiddelde betrokkenheid", "4 stars: moderate engagement"),
    "5": ("5 sterren: hoge betrokkenheid", "5 stars: high engagement"),
}
ACTIVITY = {
    "sent": ("e-mail verzonden", "e-mail sent"),
    "open": ("e-mail geopend", "e-mail opened"),
    "click": ("link aangeklikt", "link clicked"),
    "bounce": ("e-mail niet afgeleverd", "e-mail not delivered (bounce)"),
    "unsub": ("uitgeschreven", "unsubscribed"),
    "conversation": ("antwoord op een e-mail (gesprek)", "reply to an e-mail (conversation)"),
    "note": ("notitie toegevoegd", "note added"),
    "marketing_permission": ("marketingtoestemming gewijzigd", "marketing permission changed"),
    "postcard_sent": ("postkaart verstuurd", "postcard sent"),
    "squatter_signup": ("ingeschreven via een voorlopige Mailchimp-webpagina", "signed up on a Mailchimp holding page"),
    "website_signup": ("ingeschreven via de website", "signed up on the website"),
    "landing_page_signup": ("ingeschreven via een landingspagina", "signed up on a landing page"),
    "ecommerce_signup": ("ingeschreven bij een aankoop in de webwinkel", "signed up when buying in the online shop"),
    "generic_signup": ("ingeschreven (andere bron)", "signed up (other source)"),
    "order": ("bestelling", "order"),
    "event": ("gebeurtenis", "event"),
    "survey_response": ("enquête beantwoord", "survey answered"),
}
BOUNCE = {
    "hard": ("blijvend: het adres bestaat niet of weigert e-mail", "permanent: the address does not exist or refuses"),
    "soft": ("tijdelijk: bv. mailbox vol of server onbereikbaar", "temporary: e.g. mailbox full or server down"),
}
EMAIL_TYPE = {"html": ("opgemaakte e-mail (HTML)", "formatted e-mail (HTML)"), "text": ("platte tekst", "plain text")}
MERGE_TYPE = {
    "text": ("tekst", "text"), "number": ("getal", "number"), "address": ("adres", "address"),
    "phone": ("telefoonnummer", "phone number"), "date": ("datum", "date"), "birthday": ("verjaardag", "birthday"),
    "url": ("webadres", "web address"), "imageurl": ("afbeelding (webadres)", "image (web address)"),
    "radio": ("keuze (keuzerondjes)", "choice (radio buttons)"), "dropdown": ("keuze (keuzelijst)", "choice (list)"),
    "zip": ("postcode", "postal code"),
}
LANGUAGE = {"nl": ("Nederlands", "Dutch"), "fr": ("Frans", "French"), "en": ("Engels", "English"),
            "de": ("Duits", "German"), "es": ("Spaans", "Spanish"), "it": ("Italiaans", "Italian")}

AUDIENCE = {
    "list_id": F("Doelgroep-id", "Audience id", Kind.IDENTIFIER),
    "list_name": F("Doelgroep (mailinglijst)", "Audience (mailing list)"),
}
IDS = {
    "email_address": F("E-mailadres", "E-mail address", Kind.EMAIL),
    "unique_email_id": F("Unieke id van het e-mailadres", "Unique e-mail id", Kind.IDENTIFIER),
    "contact_id": F("Contact-id", "Contact id", Kind.IDENTIFIER),
    "full_name": F("Volledige naam", "Full name", Kind.NAME),
    "language": F("Taal", "Language", Kind.CODE, LANGUAGE),
    "email_type": F("Soort e-mail", "E-mail format", Kind.CODE, EMAIL_TYPE),
}
SIGNUP = {
    "ip_signup": F("IP-adres bij inschrijving", "IP address at sign-up", Kind.NETWORK),
    "timestamp_signup": F("Tijdstip van inschrijving", "Signed up at", Kind.DATE),
    "ip_opt": F("IP-adres bij bevestiging (opt-in)", "IP address at confirmation (opt-in)", Kind.NETWORK),
    "timestamp_opt": F("Tijdstip van bevestiging (opt-in)", "Confirmed (opted in) at", Kind.DATE),
}
CONSENT = {
    "status": F("Inschrijvingsstatus", "Subscription status", Kind.CODE, STATUS),
    "unsubscribe_reason": F("Reden van uitschrijving", "Reason for unsubscribing", Kind.FREE_TEXT),
    "source": F("Bron van de inschrijving", "Where the subscription came from"),
    "last_changed": F("Laatst gewijzigd", "Last changed", Kind.DATE),
    "consents_to_one_to_one_messaging": F("Akkoord met persoonlijke berichten", "Agrees to one-to-one messages",
                                          Kind.FLAG),
    "marketing_permissions": F("Marketingtoestemmingen", "Marketing permissions", Kind.DATA),
    "marketing_permissions.marketing_permission_id": F("Toestemmings-id", "Permission id", Kind.IDENTIFIER),
    "marketing_permissions.text": F("Toestemming", "Permission"),
    "marketing_permissions.enabled": F("Gegeven", "Given", Kind.FLAG),
}
TECHNICAL = {
    "email_client": F("E-mailprogramma", "E-mail client", Kind.NETWORK),
    "location": F("Geschatte locatie (uit het IP-adres)", "Estimated location (from the IP address)", Kind.DATA),
    "location.latitude": F("Breedtegraad", "Latitude", Kind.NUMBER),
    "location.longitude": F("Lengtegraad", "Longitude", Kind.NUMBER),
    "location.gmtoff": F("Verschil met GMT (uren)", "Offset from GMT (hours)", Kind.NUMBER),
    "location.dstoff": F("Verschil met GMT in de zomer (uren)", "Offset from GMT in summer (hours)", Kind.NUMBER),
    "location.country_code": F("Land", "Country", Kind.CODE),
    "location.timezone": F("Tijdzone", "Time zone"),
    "location.region": F("Regio", "Region"),
}
MERGE = {   # the audience's own fields by tag; the standard ones hold a name, address, phone or birthday
    "merge_fields": F("Profielvelden", "Profile fields", Kind.DATA),
    "merge_fields.FNAME": F("Voornaam", "First name", Kind.NAME),
    "merge_fields.LNAME": F("Achternaam", "Last name", Kind.NAME),
    "merge_fields.ADDRESS": F("Adres", "Address", Kind.ADDRESS),
    "merge_fields.PHONE": F("Telefoonnummer", "Phone number", Kind.PHONE),
    "merge_fields.BIRTHDAY": F("Verjaardag", "Birthday", Kind.DATE),
}
STAFF_NOTE = {
    "note": F("Notitie", "Note", Kind.FREE_TEXT),
    "created_by": F("Geschreven door", "Written by", Kind.NAME),
    "created_at": F("Geschreven op", "Written at", Kind.DATE),
    "updated_at": F("Gewijzigd op", "Changed at", Kind.DATE),
}

MEMBER = Dataset("member", "marketing", "Lid van een mailinglijst", "Mailing-list member", Origin.PROVIDED, {
    **AUDIENCE, **IDS, **CONSENT, **SIGNUP, **TECHNICAL, **MERGE,
    "id": F("Abonnee-hash (van het e-mailadres)", "Subscriber hash (of the e-mail address)", Kind.IDENTIFIER),
    "web_id": F("Id in de Mailchimp-website", "Id on the Mailchimp website", Kind.IDENTIFIER),
    "merge_field_labels": F("Namen van de profielvelden", "Names of the profile fields", Kind.DATA),
    "interests": F("Interesses (per id)", "Interests (by id)", Kind.DATA),
    "interest_labels": F("Namen van de interesses", "Names of the interests", Kind.DATA),
    "interests_named": F("Interesses", "Interests", Kind.DATA),
    "member_rating": F("Betrokkenheidsscore (1–5 sterren, berekend door Mailchimp)",
                       "Engagement rating (1–5 stars, worked out by Mailchimp)", Kind.CODE, RATING),
    "vip": F("VIP", "VIP", Kind.FLAG),
    "stats": F("Statistieken", "Statistics", Kind.DATA),
    "stats.avg_open_rate": F("Gemiddeld openingspercentage", "Average open rate", Kind.NUMBER),
    "stats.avg_click_rate": F("Gemiddeld klikpercentage", "Average click rate", Kind.NUMBER),
    "stats.ecommerce_data.total_revenue": F("Totale aankopen", "Total spent", Kind.AMOUNT),
    "stats.ecommerce_data.number_of_orders": F("Aantal bestellingen", "Number of orders", Kind.NUMBER),
    "stats.ecommerce_data.currency_code": F("Munt", "Currency", Kind.CODE),
    "tags_count": F("Aantal labels", "Number of tags", Kind.NUMBER),
    "tags": F("Labels", "Tags", Kind.DATA),
    "tags.id": F("Label-id", "Tag id", Kind.IDENTIFIER),
    "tags.name": F("Label", "Tag"),
    "last_note": F("Laatste notitie", "Last note", Kind.DATA),
    "last_note.note_id": F("Id van de laatste notitie", "Id of the last note", Kind.IDENTIFIER),
    **{f"last_note.{k}": F(f"Laatste notitie: {f.nl.lower()}", f"Last note: {f.en.lower()}", f.kind)
       for k, f in STAFF_NOTE.items() if k != "updated_at"},
}, date="last_changed", title=("list_name",))

MEMBER_CONTACT = Dataset("member_contact", "contact", "Contactgegevens in een mailinglijst",
                         "Contact details in a mailing list", Origin.PROVIDED, {
    **AUDIENCE, **IDS,
    "merge_fields": F("Profielvelden", "Profile fields", Kind.DATA),
    "merge_fields.tag": F("Veldcode", "Field code", Kind.IDENTIFIER),
    "merge_fields.name": F("Veld", "Field"),
    "merge_fields.type": F("Soort veld", "Field type", Kind.CODE, MERGE_TYPE),
    "merge_fields.value": F("Waarde", "Value", Kind.FREE_TEXT),
    **{f"merge_fields.value.{k}": F(nl, en, Kind.ADDRESS) for k, nl, en in (
        ("addr1", "Adresregel 1", "Address line 1"), ("addr2", "Adresregel 2", "Address line 2"),
        ("city", "Gemeente", "City"), ("state", "Provincie", "State or province"), ("zip", "Postcode", "Postal code"),
        ("country", "Land", "Country"))},
}, title=("full_name", "list_name"))

SUBSCRIPTION = Dataset("subscription", "consent", "Inschrijving en toestemming", "Subscription and consent",
                       Origin.PROVIDED, {
    **AUDIENCE, **CONSENT, **SIGNUP,
    "double_optin": F("Dubbele opt-in vereist", "Double opt-in required", Kind.FLAG),
    "permission_reminder": F("Herinnering waarom je e-mails krijgt", "Reminder of why you get these e-mails"),
}, date="last_changed", title=("list_name", "status"))

SIGNUP_TECHNICAL = Dataset("signup_technical", "technical", "Technische gegevens van de inschrijving",
                           "Technical details of the sign-up", Origin.OBSERVED, {**AUDIENCE, **SIGNUP, **TECHNICAL},
                           date="timestamp_signup", title=("list_name",))

TAG = Dataset("tag", "marketing", "Label", "Tag", Origin.DERIVED, {
    **AUDIENCE,
    "id": F("Label-id", "Tag id", Kind.IDENTIFIER),
    "name": F("Label", "Tag"),
    "date_added": F("Toegevoegd op", "Added at", Kind.DATE),
}, date="date_added", title=("name",))

ACTIVITY_DATASET = Dataset("activity", "engagement", "Activiteit", "Activity", Origin.OBSERVED, {
    **AUDIENCE,
    "activity_type": F("Activiteit", "Activity", Kind.CODE, ACTIVITY),
    "created_at_timestamp": F("Tijdstip", "When", Kind.DATE),
    "campaign_id": F("Campagne-id", "Campaign id", Kind.IDENTIFIER),
    "campaign_title": F("Campagne", "Campaign"),
    "link_clicked": F("Aangeklikte link", "Link clicked", Kind.URL),
    "bounce_type": F("Soort bounce", "Kind of bounce", Kind.CODE, BOUNCE),
    "bounce_has_open_activity": F("Toch geopend", "Opened nevertheless", Kind.FLAG),
    "unsubscribe_reason": F("Reden van uitschrijving", "Reason for unsubscribing", Kind.FREE_TEXT),
    "is_admin_unsubscribed": F("Uitgeschreven door de winkel", "Unsubscribed by the shop", Kind.FLAG),
    "thread_id": F("Gesprek-id", "Conversation id", Kind.IDENTIFIER),
    "message_text": F("Bericht", "Message", Kind.FREE_TEXT),
    "from_email": F("Van (e-mailadres)", "From (e-mail address)", Kind.EMAIL),
    "has_read": F("Gelezen", "Read", Kind.FLAG),
    "is_user": F("Geschreven door de winkel", "Written by the shop", Kind.FLAG),
    "avatar_url": F("Profielfoto", "Profile picture", Kind.URL),
    "created_by": F("Door", "By", Kind.NAME),
    "note_id": F("Notitie-id", "Note id", Kind.IDENTIFIER),
    "note_text": F("Notitie", "Note", Kind.FREE_TEXT),
    "updated_at_timestamp": F("Gewijzigd op", "Changed at", Kind.DATE),
    "marketing_permission_opted_in": F("Toestemming gegeven", "Permission given", Kind.FLAG),
    "marketing_permisson_text": F("Toestemming", "Permission"),   # sic: Mailchimp's spelling
    "updated_by": F("Gewijzigd door", "Changed by", Kind.NAME),
    "outreach_id": F("Id van de actie", "Outreach id", Kind.IDENTIFIER),
    "outreach_title": F("Actie (formulier, pagina, advertentie)", "Outreach (form, page, ad)"),
    "outreach_type": F("Soort actie", "Kind of outreach", Kind.CODE),
    "store_name": F("Webwinkel", "Online shop"),
    "signup_category": F("Soort inschrijving", "Kind of sign-up"),
    "order_id": F("Bestelnummer", "Order number", Kind.IDENTIFIER),
    "order_total": F("Totaal van de bestelling", "Order total", Kind.AMOUNT),
    "order_url": F("Link naar de bestelling", "Link to the order", Kind.URL),
    "order_items": F("Bestelde artikelen", "Items ordered", Kind.DATA),
    "order_items.id": F("Lijn-id", "Line id", Kind.IDENTIFIER),
    "order_items.product_id": F("Product-id", "Product id", Kind.IDENTIFIER),
    "order_items.product_variant_id": F("Variant-id", "Variant id", Kind.IDENTIFIER),
    "order_items.product_title": F("Product", "Product"),
    "order_items.product_variant_title": F("Variant", "Variant"),
    "order_items.image_url": F("Afbeelding", "Image", Kind.URL),
    "order_items.quantity": F("Aantal", "Quantity", Kind.NUMBER),
    "order_items.price": F("Prijs", "Price", Kind.AMOUNT),
    "order_items.discount": F("Korting", "Discount", Kind.AMOUNT),
    "event_name": F("Gebeurtenis", "Event"),
    "event_properties": F("Details van de gebeurtenis", "Event details", Kind.DATA),
    "survey_id": F("Enquête-id", "Survey id", Kind.IDENTIFIER),
    "survey_title": F("Enquête", "Survey"),
}, date="created_at_timestamp", title=("activity_type", "campaign_title"))

EVENT = Dataset("event", "engagement", "Gebeurtenis", "Event", Origin.OBSERVED, {
    **AUDIENCE,
    "name": F("Gebeurtenis", "Event"),
    "occurred_at": F("Tijdstip", "When", Kind.DATE),
    "properties": F("Details", "Details", Kind.DATA),
}, date="occurred_at", title=("name",))

GOAL = Dataset("goal", "engagement", "Bezochte pagina (doel)", "Page visited (goal)", Origin.OBSERVED, {
    **AUDIENCE,
    "goal_id": F("Doel-id", "Goal id", Kind.IDENTIFIER),
    "event": F("Doel", "Goal"),
    "data": F("Pagina", "Page"),
    "last_visited_at": F("Laatst bezocht", "Last visited", Kind.DATE),
}, date="last_visited_at", title=("event",))

NOTE = Dataset("note", "communications", "Notitie van de winkel", "Note by the shop", Origin.DERIVED, {
    **AUDIENCE, **STAFF_NOTE,
    "id": F("Notitie-id", "Note id", Kind.IDENTIFIER),
    "contact_id": F("Contact-id", "Contact id", Kind.IDENTIFIER),
    "email_id": F("Abonnee-hash (van het e-mailadres)", "Subscriber hash (of the e-mail address)", Kind.IDENTIFIER),
}, date="created_at")     # titled "Notitie van de winkel": its author is not what it is about

# ----------------------------------------------------------------------------------------------- campaign reports
RECIPIENT_STATUS = {
    "sent": ("afgeleverd", "delivered"),
    "hard": ("niet afgeleverd, blijvend (hard bounce)", "not delivered, permanently (hard bounce)"),
    "soft": ("niet afgeleverd, tijdelijk (soft bounce)", "not delivered, temporarily (soft bounce)"),
}
ABSPLIT = {"a": ("variant A van een A/B-test", "variant A of an A/B test"),
           "b": ("variant B van een A/B-test", "variant B of an A/B test"),
           "winner": ("winnende variant van een A/B-test", "winning variant of an A/B test")}
ACTION = {"open": ("e-mail geopend", "e-mail opened"), "click": ("link aangeklikt", "link clicked"),
          "bounce": ("e-mail niet afgeleverd", "e-mail not delivered (bounce)")}
CAMPAIGN = {
    "campaign_id": F("Campagne-id", "Campaign id", Kind.IDENTIFIER),
    "campaign_title": F("Campagne", "Campaign"),
}
RECIPIENT = {
    "email_address": F("E-mailadres", "E-mail address", Kind.EMAIL),
    "email_id": F("Abonnee-hash (van het e-mailadres)", "Subscriber hash (of the e-mail address)", Kind.IDENTIFIER),
    "list_is_active": F("Doelgroep bestaat nog", "Audience still exists", Kind.FLAG),
    "vip": F("VIP", "VIP", Kind.FLAG),
}
SENT_MERGE = {   # the profile fields as they were filled in the e-mail
    "merge_fields": F("Profielvelden in de e-mail", "Profile fields in the e-mail", Kind.DATA),
    **{f"merge_fields.{k}": F(f.nl, f.en, f.kind) for k, f in MERGE.items() if k != "merge_fields"},
}

CAMPAIGN_RECIPIENT = Dataset("campaign_recipient", "communications", "Ontvangen campagne-e-mail",
                             "Campaign e-mail received", Origin.OBSERVED, {
    **AUDIENCE, **CAMPAIGN, **RECIPIENT, **SENT_MERGE,
    "sent_at": F("Verzonden op (volgens de activiteit)", "Sent at (from the activity)", Kind.DATE),
    "status": F("Aflevering", "Delivery", Kind.CODE, RECIPIENT_STATUS),
    "open_count": F("Aantal keer geopend", "Times opened", Kind.NUMBER),
    "last_open": F("Laatst geopend", "Last opened", Kind.DATE),
    "absplit_group": F("A/B-testgroep", "A/B test group", Kind.CODE, ABSPLIT),
    "gmt_offset": F("Tijdzone bij verzending (uren van GMT)", "Time zone when sent (hours from GMT)", Kind.NUMBER),
}, date="sent_at", title=("campaign_title",))

CAMPAIGN_ACTIVITY = Dataset("campaign_activity", "engagement", "Opening, klik of bounce van een campagne-e-mail",
                            "Open, click or bounce of a campaign e-mail", Origin.OBSERVED, {
    **AUDIENCE, **CAMPAIGN, **RECIPIENT,
    "action": F("Wat gebeurde", "What happened", Kind.CODE, ACTION),
    "type": F("Soort bounce", "Kind of bounce", Kind.CODE, BOUNCE),
    "timestamp": F("Tijdstip", "When", Kind.DATE),
    "url": F("Aangeklikte link", "Link clicked", Kind.URL),
    "ip": F("IP-adres", "IP address", Kind.NETWORK),
}, date="timestamp", title=("action", "campaign_title"))

CAMPAIGN_UNSUBSCRIBE = Dataset("campaign_unsubscribe", "consent", "Uitschrijving via een campagne-e-mail",
                               "Unsubscribe through a campaign e-mail", Origin.PROVIDED, {
    **AUDIENCE, **CAMPAIGN, **RECIPIENT, **SENT_MERGE,
    "timestamp": F("Uitgeschreven op", "Unsubscribed at", Kind.DATE),
    "reason": F("Opgegeven reden", "Reason given", Kind.FREE_TEXT),
}, date="timestamp", title=("campaign_title",))

ABUSE_REPORT = Dataset("abuse_report", "consent", "Spammelding (klacht over een e-mail)",
                       "Abuse report (spam complaint about an e-mail)", Origin.OBSERVED, {
    **AUDIENCE, **CAMPAIGN, **RECIPIENT, **SENT_MERGE,
    "id": F("Meldings-id", "Report id", Kind.IDENTIFIER),
    "date": F("Gemeld op", "Reported at", Kind.DATE),
}, date="date", title=("campaign_title", "list_name"))

CONVERSATION_MESSAGE = Dataset("conversation_message", "communications", "Bericht in een gesprek over een campagne",
                               "Message in a conversation about a campaign", Origin.PROVIDED, {
    **AUDIENCE, **CAMPAIGN,
    "conversation_id": F("Gesprek-id", "Conversation id", Kind.IDENTIFIER),
    "id": F("Bericht-id", "Message id", Kind.IDENTIFIER),
    "from_label": F("Van", "From", Kind.NAME),
    "from_email": F("Van (e-mailadres)", "From (e-mail address)", Kind.EMAIL),
    "subject": F("Onderwerp", "Subject", Kind.FREE_TEXT),
    "message": F("Bericht", "Message", Kind.FREE_TEXT),
    "read": F("Gelezen", "Read", Kind.FLAG),
    "timestamp": F("Verzonden of ontvangen op", "Sent or received at", Kind.DATE),
}, date="timestamp", title=("from_label", "subject"))

# ----------------------------------------------------------------------------------------------- e-commerce
STORE = {
    "store_id": F("Winkel-id in Mailchimp", "Store id in Mailchimp", Kind.IDENTIFIER),
    "store_name": F("Webwinkel", "Online shop"),
}
_ADDR = Kind.ADDRESS
ADDRESS_PARTS = (("address1", "adresregel 1", "address line 1", _ADDR),
                 ("address2", "adresregel 2", "address line 2", _ADDR),
                 ("city", "gemeente", "city", _ADDR), ("province", "provincie", "province", _ADDR),
                 ("province_code", "provinciecode", "province code", _ADDR),
                 ("postal_code", "postcode", "postal code", _ADDR), ("country", "land", "country", _ADDR),
                 ("country_code", "landcode", "country code", _ADDR), ("latitude", "breedtegraad", "latitude", _ADDR),
                 ("longitude", "lengtegraad", "longitude", _ADDR),
                 # who the parcel or invoice is addressed to: a person, maybe not the customer (a gift)
                 ("name", "naam", "name", Kind.NAME), ("company", "bedrijf", "company", Kind.NAME),
                 ("phone", "telefoon", "phone", Kind.PHONE))
ADDRESS_OWNERS = (("address", "Adres", "Address"), ("shipping_address", "Leveradres", "Shipping address"),
                  ("billing_address", "Factuuradres", "Billing address"),
                  ("customer.address", "Adres van de klant", "Customer's address"))
SHOP_ADDRESS = {f"{owner}.{k}": F(f"{onl}: {nl}", f"{oen}: {en}", kind)
                for owner, onl, oen in ADDRESS_OWNERS for k, nl, en, kind in ADDRESS_PARTS}
CUSTOMER_FIELDS = {
    "id": F("Klant-id (van de webwinkel)", "Customer id (from the online shop)", Kind.IDENTIFIER),
    "email_address": F("E-mailadres", "E-mail address", Kind.EMAIL),
    "first_name": F("Voornaam", "First name", Kind.NAME),
    "last_name": F("Achternaam", "Last name", Kind.NAME),
    "company": F("Bedrijf", "Company", Kind.NAME),
    "opt_in_status": F("Ingeschreven op de nieuwsbrief via de winkel", "Subscribed to the newsletter through the shop",
                       Kind.FLAG),
    "orders_count": F("Aantal bestellingen", "Number of orders", Kind.NUMBER),
    "total_spent": F("Totaal besteed", "Total spent", Kind.AMOUNT),
    "created_at": F("Klant sinds", "Customer since", Kind.DATE),
    "updated_at": F("Gewijzigd op", "Changed at", Kind.DATE),
}
LINES = {
    "lines": F("Artikelen", "Items", Kind.DATA),
    "lines.id": F("Lijn-id", "Line id", Kind.IDENTIFIER),
    "lines.product_id": F("Product-id", "Product id", Kind.IDENTIFIER),
    "lines.product_title": F("Product", "Product"),
    "lines.product_variant_id": F("Variant-id", "Variant id", Kind.IDENTIFIER),
    "lines.product_variant_title": F("Variant", "Variant"),
    "lines.quantity": F("Aantal", "Quantity", Kind.NUMBER),
    "lines.price": F("Prijs", "Price", Kind.AMOUNT),
    "lines.discount": F("Korting", "Discount", Kind.AMOUNT),
    "lines.image_url": F("Afbeelding", "Image", Kind.URL),
}
IN_CUSTOMER = {f"customer.{k}": F(f"Klant: {f.nl.lower()}", f"Customer: {f.en.lower()}", f.kind)
               for k, f in CUSTOMER_FIELDS.items()}
MONEY = {
    "currency_code": F("Munt", "Currency", Kind.CODE),
    "order_total": F("Totaal", "Total", Kind.AMOUNT),
    "tax_total": F("Waarvan btw", "Of which VAT", Kind.AMOUNT),
}
FINANCIAL = {"paid": ("betaald", "paid"), "pending": ("wacht op betaling", "awaiting payment"),
             "refunded": ("terugbetaald", "refunded"), "cancelled": ("geannuleerd", "cancelled"),
             "partially_refunded": ("deels terugbetaald", "partly refunded")}
FULFILMENT = {"shipped": ("verzonden", "shipped"), "pending": ("nog niet verzonden", "not shipped yet"),
              "partial": ("deels verzonden", "partly shipped"), "cancelled": ("geannuleerd", "cancelled")}

SHOP_CUSTOMER = Dataset("shop_customer", "contact", "Klant van de webwinkel (zoals gesynchroniseerd naar Mailchimp)",
                        "Customer of the online shop (as synced to Mailchimp)", Origin.PROVIDED, {
    **STORE, **CUSTOMER_FIELDS, **{k: f for k, f in SHOP_ADDRESS.items() if k.startswith("address.")},
    "address": F("Adres", "Address", Kind.ADDRESS),
}, date="updated_at", title=("store_name",))

SHOP_ORDER = Dataset("shop_order", "orders", "Bestelling (zoals gesynchroniseerd naar Mailchimp)",
                     "Order (as synced to Mailchimp)", Origin.PROVIDED, {
    **STORE, **MONEY, **LINES, **IN_CUSTOMER,
    **{k: f for k, f in SHOP_ADDRESS.items() if not k.startswith("address.")},
    "customer": F("Klant", "Customer", Kind.DATA),
    "id": F("Bestelnummer", "Order number", Kind.IDENTIFIER),
    "campaign_id": F("Campagne die tot de bestelling leidde", "Campaign that led to the order", Kind.IDENTIFIER),
    "landing_site": F("Eerste pagina van het bezoek", "First page of the visit", Kind.URL),
    "financial_status": F("Betaalstatus", "Payment status", Kind.CODE, FINANCIAL),
    "fulfillment_status": F("Verzendstatus", "Shipping status", Kind.CODE, FULFILMENT),
    "order_url": F("Link naar de bestelling", "Link to the order", Kind.URL),
    "discount_total": F("Korting", "Discount", Kind.AMOUNT),
    "shipping_total": F("Verzendkosten", "Shipping costs", Kind.AMOUNT),
    "tracking_code": F("Trackingcode", "Tracking code", Kind.CODE),
    "tracking_number": F("Zendingsnummer", "Tracking number", Kind.IDENTIFIER),
    "tracking_carrier": F("Vervoerder", "Carrier"),
    "tracking_url": F("Link om de zending te volgen", "Link to track the shipment", Kind.URL),
    "processed_at_foreign": F("Besteld op", "Ordered at", Kind.DATE),
    "cancelled_at_foreign": F("Geannuleerd op", "Cancelled at", Kind.DATE),
    "updated_at_foreign": F("Gewijzigd op", "Changed at", Kind.DATE),
    "promos": F("Kortingscodes", "Promo codes", Kind.DATA),
    "promos.code": F("Kortingscode", "Promo code", Kind.IDENTIFIER),
    "promos.amount_discounted": F("Korting", "Discount", Kind.AMOUNT),
    "promos.type": F("Soort korting", "Kind of discount", Kind.CODE,
                     {"fixed": ("vast bedrag", "fixed amount"), "percentage": ("percentage", "percentage")}),
    "outreach": F("Actie die tot de bestelling leidde", "Outreach that led to the order", Kind.DATA),
    "outreach.id": F("Id van de actie", "Outreach id", Kind.IDENTIFIER),
    "outreach.name": F("Actie", "Outreach"),
    "outreach.type": F("Soort actie", "Kind of outreach", Kind.CODE),
    "outreach.published_time": F("Actie gestart op", "Outreach started at", Kind.DATE),
}, date="processed_at_foreign", title=("id", "store_name"))

SHOP_CART = Dataset("shop_cart", "orders", "Winkelmandje (niet afgerekend)", "Shopping cart (not checked out)",
                    Origin.PROVIDED, {
    **STORE, **MONEY, **{k: f for k, f in LINES.items() if k not in ("lines.discount", "lines.image_url")},
    **IN_CUSTOMER, **{k: f for k, f in SHOP_ADDRESS.items() if k.startswith("customer.address.")},
    "customer": F("Klant", "Customer", Kind.DATA),
    "id": F("Winkelmandje-id", "Cart id", Kind.IDENTIFIER),
    "campaign_id": F("Campagne die tot het winkelmandje leidde", "Campaign that led to the cart", Kind.IDENTIFIER),
    "checkout_url": F("Link om verder te winkelen", "Link to resume the purchase", Kind.URL),
    "created_at": F("Aangemaakt op", "Created at", Kind.DATE),
    "updated_at": F("Gewijzigd op", "Changed at", Kind.DATE),
}, date="updated_at", title=("store_name",))

DATASETS: tuple[Dataset, ...] = (MEMBER, MEMBER_CONTACT, SUBSCRIPTION, SIGNUP_TECHNICAL, TAG, ACTIVITY_DATASET, EVENT,
                                 GOAL, NOTE, CAMPAIGN_RECIPIENT, CAMPAIGN_ACTIVITY, CAMPAIGN_UNSUBSCRIBE, ABUSE_REPORT,
                                 CONVERSATION_MESSAGE, SHOP_CUSTOMER, SHOP_ORDER, SHOP_CART)
