"""What the Office 365 connector yields, field by field: e-mails and their attachments, Outlook contacts, calendar
events and posts in Microsoft 365 group conversations.

Paths follow Microsoft Graph's property names (v1.0: ``message``, ``contact``, ``event`` and their complex
types ``recipient``, ``emailAddress``, ``itemBody``, ``physicalAddress``, ``location``, ``attendee``; ``attachment``,
``post``, ``conversationThread``), plus the connector's own ``mailbox`` (the shop mailbox the item was found in),
per attachment ``kind``, ``file`` and ``leftOut``, a contact's ``contactFolder``, a deleted message's
``heldAfterDeletion`` and a post's ``group`` and thread fields.
Containers that may come empty or null (``ccRecipients: []``, ``sender: null``) are declared as well, each with
its people-bearing parts (names, addresses, text anyone may have written) declared at their own paths.
"""

from __future__ import annotations

from aggregator.datasets import Dataset, Field, Kind, Origin

BODY_TYPES = {"text": ("platte tekst", "plain text"), "html": ("opgemaakte tekst (HTML)", "formatted text (HTML)")}
IMPORTANCE = {"low": ("laag", "low"), "normal": ("normaal", "normal"), "high": ("hoog", "high")}
ATTACHMENT_KINDS = {
    "fileAttachment": ("bestand", "file"),
    "itemAttachment": ("bijgevoegd e-mailbericht, agenda-item of contact", "attached e-mail, event or contact"),
    "referenceAttachment": ("koppeling naar een bestand in de cloud", "link to a file in the cloud"),
}
ATTENDEE_TYPES = {"required": ("verplicht", "required"), "optional": ("optioneel", "optional"),
                  "resource": ("middel (zaal of toestel)", "resource (room or equipment)")}
RESPONSES = {
    "none": ("geen antwoord", "no response"), "organizer": ("organisator", "organizer"),
    "tentativelyAccepted": ("voorlopig aanvaard", "tentatively accepted"), "accepted": ("aanvaard", "accepted"),
    "declined": ("geweigerd", "declined"), "notResponded": ("niet geantwoord", "not responded"),
}
EVENT_TYPES = {"singleInstance": ("eenmalige afspraak", "single event"),
               "occurrence": ("afspraak uit een reeks", "occurrence of a series"),
               "exception": ("gewijzigde afspraak uit een reeks", "changed occurrence of a series"),
               "seriesMaster": ("reeks afspraken", "series of events")}
LOCATION_TYPES = {
    "default": ("gewone plaats", "ordinary place"), "conferenceRoom": ("vergaderzaal", "conference room"),
    "homeAddress": ("thuisadres", "home address"), "businessAddress": ("werkadres", "business address"),
    "geoCoordinates": ("coördinaten", "coordinates"), "streetAddress": ("adres", "street address"),
    "hotel": ("hotel", "hotel"), "restaurant": ("restaurant", "restaurant"),
    "localBusiness": ("zaak", "local business"), "postalAddress": ("postadres", "postal address"),
}
LOCATION_ID_TYPES = {"unknown": ("onbekend", "unknown"), "locationStore": ("locatielijst", "location store"),
                     "directory": ("adresboek van de organisatie", "organisation directory"),
                     "private": ("eigen locatie", "private"), "bing": ("Bing", "Bing")}


def _person(path: str, nl: str, en: str, whose_nl: str, whose_en: str) -> dict[str, Field]:
    """A Graph ``recipient`` (or a list of them) at ``path``: the container, and its name and e-mail address."""
    return {
        path: Field(nl, en, Kind.DATA),
        f"{path}.emailAddress.name": Field(f"Naam {whose_nl}", f"{whose_en} name", Kind.NAME),
        f"{path}.emailAddress.address": Field(f"E-mailadres {whose_nl}", f"{whose_en} e-mail address", Kind.EMAIL),
    }


def _address(path: str, nl: str, en: str) -> dict[str, Field]:
    """A Graph ``physicalAddress`` at ``path``: every part is an address part."""
    return {
        path: Field(nl, en, Kind.ADDRESS),
        f"{path}.street": Field(f"{nl}: straat en huisnummer", f"{en}: street and number", Kind.ADDRESS),
        f"{path}.postalCode": Field(f"{nl}: postcode", f"{en}: postal code", Kind.ADDRESS),
        f"{path}.city": Field(f"{nl}: gemeente", f"{en}: town or city", Kind.ADDRESS),
        f"{path}.state": Field(f"{nl}: provincie of deelstaat", f"{en}: province or state", Kind.ADDRESS),
        f"{path}.countryOrRegion": Field(f"{nl}: land", f"{en}: country", Kind.ADDRESS),
    }


def _email(path: str, nl: str, en: str) -> dict[str, Field]:
    """A Graph ``emailAddress`` at ``path`` (or a list of them): the container, its name and its address."""
    return {
        path: Field(nl, en, Kind.DATA),
        f"{path}.name": Field(f"Naam bij het {nl[0].lower()}{nl[1:]}", f"Name with the {en[0].lower()}{en[1:]}",
                              Kind.NAME),
        f"{path}.address": Field(nl, en, Kind.EMAIL),
    }


def _moment(path: str, nl: str, en: str) -> dict[str, Field]:
    """A Graph ``dateTimeTimeZone`` at ``path``."""
    return {
        path: Field(nl, en, Kind.DATA),
        f"{path}.dateTime": Field(nl, en, Kind.DATE),
        f"{path}.timeZone": Field(f"{nl}: tijdzone", f"{en}: time zone"),
    }


def _body(nl: str, en: str) -> dict[str, Field]:
    """A Graph ``itemBody`` (asked for as plain text)."""
    return {
        "body": Field(nl, en, Kind.DATA),
        "body.content": Field(nl, en, Kind.FREE_TEXT),
        "body.contentType": Field("Tekstformaat", "Text format", Kind.CODE, BODY_TYPES),
    }


MAILBOX = Field("Mailbox van de winkel", "The shop's mailbox", Kind.EMAIL)
ID = Field("Nummer bij Microsoft", "Microsoft's id", Kind.IDENTIFIER)
CREATED = Field("Aangemaakt op", "Created on", Kind.DATE)
MODIFIED = Field("Laatst gewijzigd op", "Last changed on", Kind.DATE)
FOLDER = Field("Map in de mailbox", "Folder in the mailbox", Kind.IDENTIFIER)

MESSAGE = Dataset(
    "message", "communications", "E-mailbericht", "E-mail message", Origin.PROVIDED,
    {
        "mailbox": MAILBOX,
        "id": ID,
        "internetMessageId": Field("Berichtnummer (internet)", "Internet message id", Kind.IDENTIFIER),
        "conversationId": Field("Gespreksnummer", "Conversation id", Kind.IDENTIFIER),
        "parentFolderId": FOLDER,
        "subject": Field("Onderwerp", "Subject", Kind.FREE_TEXT),
        **_person("from", "Van", "From", "afzender", "Sender's"),
        **_person("sender", "Verzonden door", "Sent by", "verzender", "Sending account's"),
        **_person("toRecipients", "Aan", "To", "geadresseerde", "Recipient's"),
        **_person("ccRecipients", "Cc", "Cc", "in cc", "Cc recipient's"),
        **_person("bccRecipients", "Bcc", "Bcc", "in bcc", "Bcc recipient's"),
        **_person("replyTo", "Antwoord naar", "Reply to", "voor antwoorden", "Reply-to"),
        "sentDateTime": Field("Verzonden op", "Sent on", Kind.DATE),
        "receivedDateTime": Field("Ontvangen op", "Received on", Kind.DATE),
        **_body("Tekst van het bericht", "Message text"),
        "hasAttachments": Field("Met bijlagen", "Has attachments", Kind.FLAG),
        "importance": Field("Belang", "Importance", Kind.CODE, IMPORTANCE),
        "isDraft": Field("Concept", "Draft", Kind.FLAG),
        "heldAfterDeletion": Field("Verwijderd, maar nog bewaard door Exchange", "Deleted, but still held by Exchange",
                                   Kind.FLAG),
        "attachments": Field("Bijlagen", "Attachments", Kind.DATA),
        "attachments.name": Field("Bestandsnaam", "File name", Kind.FREE_TEXT),
        "attachments.size": Field("Grootte (bytes)", "Size (bytes)", Kind.NUMBER),
        "attachments.contentType": Field("Bestandstype", "File type"),
        "attachments.isInline": Field("Getoond in de tekst", "Shown inside the text", Kind.FLAG),
        "attachments.kind": Field("Soort bijlage", "Kind of attachment", Kind.CODE, ATTACHMENT_KINDS),
        "attachments.file": Field("Bestand in dit pakket", "File in this package", Kind.IDENTIFIER),
    },
    date="sentDateTime", title=("subject", "sentDateTime"),
)

CONTACT = Dataset(
    "contact", "contact", "Contactpersoon in Outlook", "Outlook contact", Origin.PROVIDED,
    {
        "mailbox": MAILBOX,
        "id": ID,
        "changeKey": Field("Versie bij Microsoft", "Microsoft's version key", Kind.IDENTIFIER),
        "parentFolderId": FOLDER,
        "contactFolder": Field("Map met contactpersonen", "Contacts folder", Kind.FREE_TEXT),
        "createdDateTime": CREATED,
        "lastModifiedDateTime": MODIFIED,
        "categories": Field("Categorieën", "Categories"),
        "displayName": Field("Weergavenaam", "Display name", Kind.NAME),
        "fileAs": Field("Opgeslagen als", "Filed as", Kind.NAME),
        "title": Field("Aanspreektitel", "Title"),
        "givenName": Field("Voornaam", "First name", Kind.NAME),
        "middleName": Field("Tweede voornaam", "Middle name", Kind.NAME),
        "surname": Field("Familienaam", "Last name", Kind.NAME),
        "initials": Field("Initialen", "Initials", Kind.NAME),
        "nickName": Field("Bijnaam", "Nickname", Kind.NAME),
        "generation": Field("Achtervoegsel (jr., sr.)", "Suffix (Jr., Sr.)"),
        "yomiGivenName": Field("Voornaam (fonetisch)", "First name (phonetic)", Kind.NAME),
        "yomiSurname": Field("Familienaam (fonetisch)", "Last name (phonetic)", Kind.NAME),
        "yomiCompanyName": Field("Bedrijfsnaam (fonetisch)", "Company name (phonetic)", Kind.NAME),
        "birthday": Field("Geboortedatum", "Date of birth", Kind.DATE),
        **_email("emailAddresses", "E-mailadres", "E-mail address"),
        **_email("primaryEmailAddress", "Eerste e-mailadres", "Primary e-mail address"),
        **_email("secondaryEmailAddress", "Tweede e-mailadres", "Secondary e-mail address"),
        **_email("tertiaryEmailAddress", "Derde e-mailadres", "Third e-mail address"),
        "imAddresses": Field("Chatadressen", "Instant messaging addresses", Kind.EMAIL),
        "mobilePhone": Field("Gsm-nummer", "Mobile phone", Kind.PHONE),
        "homePhones": Field("Telefoon thuis", "Home phone", Kind.PHONE),
        "businessPhones": Field("Telefoon werk", "Work phone", Kind.PHONE),
        **_address("homeAddress", "Adres thuis", "Home address"),
        **_address("businessAddress", "Adres werk", "Work address"),
        **_address("otherAddress", "Ander adres", "Other address"),
        "companyName": Field("Bedrijf", "Company", Kind.NAME),
        "department": Field("Afdeling", "Department"),
        "jobTitle": Field("Functie", "Job title"),
        "profession": Field("Beroep", "Profession"),
        "officeLocation": Field("Kantoor", "Office", Kind.ADDRESS),
        "businessHomePage": Field("Website werk", "Work website", Kind.URL),
        "manager": Field("Leidinggevende", "Manager", Kind.NAME),
        "assistantName": Field("Assistent", "Assistant", Kind.NAME),
        "spouseName": Field("Partner", "Spouse or partner", Kind.NAME),
        "children": Field("Kinderen", "Children", Kind.NAME),
        "personalNotes": Field("Notities", "Notes", Kind.FREE_TEXT),
    },
    date="createdDateTime", title=("displayName",),
)

EVENT = Dataset(
    # an appointment the shop recorded in its calendar with the customer as attendee or organizer
    "event", "communications", "Afspraak in de agenda", "Calendar event", Origin.OBSERVED,
    {
        "mailbox": MAILBOX,
        "id": ID,
        "iCalUId": Field("Afspraaknummer (iCalendar)", "Event id (iCalendar)", Kind.IDENTIFIER),
        "seriesMasterId": Field("Reeks", "Series", Kind.IDENTIFIER),
        "type": Field("Soort afspraak", "Kind of event", Kind.CODE, EVENT_TYPES),
        "createdDateTime": CREATED,
        "lastModifiedDateTime": MODIFIED,
        "subject": Field("Onderwerp", "Subject", Kind.FREE_TEXT),
        **_body("Beschrijving", "Description"),
        **_moment("start", "Begint op", "Starts at"),
        **_moment("end", "Eindigt op", "Ends at"),
        "isAllDay": Field("Hele dag", "All day", Kind.FLAG),
        "isCancelled": Field("Geannuleerd", "Cancelled", Kind.FLAG),
        "location": Field("Plaats", "Location", Kind.DATA),
        "location.displayName": Field("Plaats", "Location", Kind.FREE_TEXT),
        "location.locationType": Field("Soort plaats", "Kind of location", Kind.CODE, LOCATION_TYPES),
        "location.uniqueId": Field("Plaatsnummer", "Location id", Kind.IDENTIFIER),
        "location.uniqueIdType": Field("Herkomst van de plaats", "Source of the location", Kind.CODE,
                                       LOCATION_ID_TYPES),
        "location.locationUri": Field("Link naar de plaats", "Link to the location", Kind.URL),
        "location.locationEmailAddress": Field("E-mailadres van de plaats", "Location's e-mail address", Kind.EMAIL),
        "location.coordinates": Field("Coördinaten van de plaats", "Coordinates of the location", Kind.ADDRESS),
        **_address("location.address", "Adres van de plaats", "Address of the location"),
        **_person("organizer", "Organisator", "Organizer", "organisator", "Organizer's"),
        **_person("attendees", "Deelnemers", "Attendees", "deelnemer", "Attendee's"),
        "attendees.type": Field("Soort deelname", "Attendance", Kind.CODE, ATTENDEE_TYPES),
        "attendees.status": Field("Antwoord", "Response", Kind.DATA),
        "attendees.status.response": Field("Antwoord", "Response", Kind.CODE, RESPONSES),
        "attendees.status.time": Field("Geantwoord op", "Responded on", Kind.DATE),
        "attendees.proposedNewTime": Field("Voorgesteld nieuw tijdstip", "Proposed new time", Kind.DATA),
        **_moment("attendees.proposedNewTime.start", "Voorgesteld nieuw begin", "Proposed new start"),
        **_moment("attendees.proposedNewTime.end", "Voorgesteld nieuw einde", "Proposed new end"),
    },
    date="start.dateTime", title=("subject", "start.dateTime"),
)

ATTACHMENT = Dataset(
    # a file, attached e-mail or cloud link on a message to or from the customer; the file itself is in the package
    "attachment", "communications", "Bijlage bij een e-mail", "E-mail attachment", Origin.PROVIDED,
    {
        "mailbox": MAILBOX,
        "messageId": Field("Bericht (nummer bij Microsoft)", "Message (Microsoft's id)", Kind.IDENTIFIER),
        "messageSubject": Field("Onderwerp van het bericht", "Subject of the message", Kind.FREE_TEXT),
        "messageSentDateTime": Field("Bericht verzonden op", "Message sent on", Kind.DATE),
        "name": Field("Naam van de bijlage", "Name of the attachment", Kind.FREE_TEXT),
        "size": Field("Grootte (bytes)", "Size (bytes)", Kind.NUMBER),
        "contentType": Field("Bestandstype", "File type"),
        "isInline": Field("Getoond in de tekst", "Shown inside the text", Kind.FLAG),
        "lastModifiedDateTime": MODIFIED,
        "kind": Field("Soort bijlage", "Kind of attachment", Kind.CODE, ATTACHMENT_KINDS),
        "file": Field("Bestand in dit pakket", "File in this package", Kind.IDENTIFIER),
        "leftOut": Field("Waarom het bestand niet in dit pakket zit", "Why the file is not in this package",
                         Kind.FREE_TEXT),
    },
    date="messageSentDateTime", title=("name", "messageSentDateTime"),
)

GROUP_POST = Dataset(
    # a post in a Microsoft 365 group's conversations (the group mailbox), written by or addressed to the customer
    "group_post", "communications", "Bericht in een groepsgesprek", "Post in a group conversation", Origin.PROVIDED,
    {
        "group": Field("E-mailadres van de groep", "The group's e-mail address", Kind.EMAIL),
        "groupName": Field("Groep", "Group"),
        "threadTopic": Field("Onderwerp van het gesprek", "Topic of the conversation", Kind.FREE_TEXT),
        **_person("threadToRecipients", "Gesprek aan", "Conversation to", "geadresseerde van het gesprek",
                  "Conversation recipient's"),
        **_person("threadCcRecipients", "Gesprek in cc", "Conversation cc", "in cc van het gesprek",
                  "Conversation cc recipient's"),
        "id": ID,
        "changeKey": Field("Versie bij Microsoft", "Microsoft's version key", Kind.IDENTIFIER),
        "conversationId": Field("Gespreksnummer", "Conversation id", Kind.IDENTIFIER),
        "conversationThreadId": Field("Draadnummer", "Thread id", Kind.IDENTIFIER),
        "categories": Field("Categorieën", "Categories"),
        "createdDateTime": CREATED,
        "lastModifiedDateTime": MODIFIED,
        "receivedDateTime": Field("Ontvangen op", "Received on", Kind.DATE),
        **_person("from", "Van", "From", "afzender", "Sender's"),
        **_person("sender", "Verzonden door", "Sent by", "verzender", "Sending account's"),
        **_person("newParticipants", "Toegevoegd aan het gesprek", "Added to the conversation", "nieuwe deelnemer",
                  "New participant's"),
        "hasAttachments": Field("Met bijlagen", "Has attachments", Kind.FLAG),
        **_body("Tekst van het bericht", "Post text"),
    },
    date="receivedDateTime", title=("threadTopic", "receivedDateTime"),
)

DATASETS: tuple[Dataset, ...] = (MESSAGE, CONTACT, EVENT, ATTACHMENT, GROUP_POST)
