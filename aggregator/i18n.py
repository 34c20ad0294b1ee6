"""The words of the pages a person reads, in Dutch and English, and the formatters that write dates, amounts,
yes/no and countries the way a person writes them (times in Europe/Brussels). Data values are never translated."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("nl", "en")
TZ = ZoneInfo("Europe/Brussels")
_BABEL = {"nl": "nl_BE", "en": "en_IE"}   # Belgian Dutch; English with the euro written before the amount

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

# key -> (nl, en). Placeholders in {braces} are filled with str.format.
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Uw persoonsgegevens bij {shop}", "Your personal data at {shop}"),
    "lead": ("Antwoord op uw vraag om inzage van {received} (verzoek {rid}) voor {email}. Opgesteld op {generated}.",
             "Our answer to your request for access of {received} (request {rid}) for {email}. "
             "Prepared on {generated}."),
    "skip": ("Naar de inhoud", "Skip to the content"),
    "toc": ("Op deze pagina", "On this page"),
    "other_language": ("Read this in English", "Lees dit in het Nederlands"),
    # confirmation
    "h_confirm": ("Hebben wij gegevens over u?", "Do we hold data about you?"),
    "yes_data": ("Ja. {n} van onze verwerkers bewaren samen {records} gegevens over u (zie de tabel hieronder).",
                 "Yes. {n} of our processors hold {records} pieces of data about you together (see the table below)."),
    "no_data": ("Nee: wij en onze verwerkers bewaren geen gegevens over {email}.",
                "No: neither we nor our processors hold any data about {email}."),
    "no_data_partial": ("Nee: bij de verwerkers die wij konden bevragen, vonden wij geen gegevens over {email}.",
                        "No: the processors we could query hold no data about {email}."),
    "partial": ("Dit antwoord is nog niet volledig:", "This answer is not complete yet:"),
    # the vendor's own reason stays in "how this answer was made" and manifest.json: it is an operator's text
    "partial_failed": ("{proc} kon deze keer niet worden bevraagd. Wij vragen het opnieuw en sturen u de rest.",
                       "{proc} could not be queried this time. We will ask again and send you the rest."),
    "partial_short": ("Bij {proc} kon niet alles worden doorzocht. Wij vullen dit aan.",
                      "{proc} could not be searched completely. We will complete this."),
    "partial_unasked": ("{proc} werd deze keer niet bevraagd.", "{proc} was not queried this time."),
    "copy_here": ("Een kopie van al deze gegevens zit in dit pakket: per soort gegevens een leesbare pagina "
                  "(hieronder) en de ruwe gegevens in standaardbestanden.",
                  "A copy of all this data is in this package: a readable page per kind of data (below) and the "
                  "raw data in standard files."),
    # who holds what
    "h_who": ("Wie bewaart wat, en waarom", "Who holds what, and why"),
    "who_caption": ("Verwerkers, wat zij over u bewaren, waarvoor en op welke grond",
                    "Processors, what they hold about you, what for and on what legal ground"),
    "col_processor": ("Verwerker", "Processor"),
    "col_holds": ("Bewaart over u", "Holds about you"),
    "col_purpose": ("Waarvoor", "What for"),
    "col_basis": ("Rechtsgrond", "Legal basis"),
    "nothing_held": ("niets", "nothing"),
    "not_retrievable": ("niet per persoon op te vragen", "not retrievable per person"),
    "from_our_records": ("volgens onze eigen gegevens", "according to our own records"),
    "records_n": ("{n} gegevens", "{n} items"),
    # recipients and transfers
    "h_recipients": ("Aan wie uw gegevens gaan", "Who receives your data"),
    "rec_caption": ("Ontvangers en doorgiften buiten de Europese Economische Ruimte",
                    "Recipients and transfers outside the European Economic Area"),
    "col_recipients": ("Ontvangers", "Recipients"),
    "col_where": ("Waar", "Where"),
    "col_safeguard": ("Waarborg bij doorgifte buiten de EER", "Safeguard for a transfer outside the EEA"),
    "no_transfer": ("Geen doorgifte buiten de EER.", "No transfer outside the EEA."),
    "copy_safeguard": ("Een kopie van de waarborgen (bv. de standaardcontractbepalingen) krijgt u op vraag bij "
                       "{email}.",
                       "You can get a copy of the safeguards (e.g. the standard contractual clauses) by asking "
                       "{email}."),
    # retention
    "h_retention": ("Hoe lang wij uw gegevens bewaren", "How long we keep your data"),
    "ret_caption": ("Bewaartermijnen per verwerker, met hun wettelijke grond",
                    "Retention periods per processor, with their legal source"),
    "col_retention": ("Bewaartermijn", "Retention period"),
    "col_source_law": ("Grond", "Source"),
    # source
    "h_source": ("Waar uw gegevens vandaan komen", "Where your data comes from"),
    "source_intro": ("De meeste gegevens gaf u zelf (bij een bestelling, een inschrijving of een bericht). Sommige "
                     "werden vastgesteld toen u onze diensten gebruikte, of afgeleid. Wat niet van u zelf komt:",
                     "Most of the data you gave us yourself (with an order, a subscription or a message). Some was "
                     "recorded while you used our services, or worked out. What did not come from you:"),
    "origin_provided": ("door u verstrekt", "provided by you"),
    "origin_observed": ("vastgesteld bij uw gebruik", "observed while you used our services"),
    "origin_derived": ("afgeleid", "derived"),
    "origin_unknown": ("niet aangegeven", "not declared"),
    "origin_list": ("{origin}: {items}", "{origin}: {items}"),
    "no_third_source": ("Wij kregen geen gegevens over u van derden.", "We received no data about you from others."),
    # automated decisions
    "h_profiling": ("Geautomatiseerde besluiten en profilering", "Automated decisions and profiling"),
    "profiling_none": ("Wij nemen geen besluiten over u die uitsluitend op geautomatiseerde verwerking berusten en "
                       "maken geen profiel van u dat rechtsgevolgen heeft of u anders in aanmerkelijke mate treft "
                       "(art. 22 AVG).",
                       "We take no decision about you based solely on automated processing and build no profile of "
                       "you that has legal effects or similarly significantly affects you (Art. 22 GDPR)."),
    "profiling_fields": ("Enkele gegevens lijken daar wel op; zo werken ze:", "Some fields look like it; this is "
                         "what they are:"),
    "prof_rating": ("Mailchimp-score (1 tot 5 sterren): Mailchimp berekent die automatisch uit hoe vaak u onze "
                    "nieuwsbrief opent en erop klikt. Wij gebruiken ze niet om over u te beslissen.",
                    "Mailchimp member rating (1 to 5 stars): Mailchimp works it out from how often you open and "
                    "click our newsletter. We do not use it to decide anything about you."),
    "prof_vip": ("VIP-markering: een vlag die wij met de hand kunnen zetten; ze verandert niets aan prijzen of "
                 "voorwaarden.", "VIP flag: a flag we can set by hand; it changes no price or condition."),
    "prof_tags": ("Labels (tags) en klantengroepen: door ons toegekend om de nieuwsbrief of de webwinkel in te "
                  "delen, niet om u te beoordelen.",
                  "Tags and customer groups: assigned by us to organise the newsletter or the web shop, not to "
                  "assess you."),
    "prof_status": ("Statussen (betaald, verzonden, geslaagd): het verloop van een bestelling of betaling, geen "
                    "oordeel over u.", "Statuses (paid, shipped, successful): how an order or payment went, not an "
                    "assessment of you."),
    # rights
    "h_rights": ("Uw rechten", "Your rights"),
    "rights_intro": ("U kunt ons altijd vragen, kosteloos, bij {email} of {address}:",
                     "You can always ask us, free of charge, at {email} or {address}:"),
    "r_access": ("inzage: dit pakket; een nieuwe vraag mag altijd;", "access: this package; you may ask again;"),
    "r_rectify": ("verbetering van wat onjuist of onvolledig is;", "rectification of what is wrong or incomplete;"),
    "r_erase": ("wissing, tenzij een wet ons verplicht de gegevens te bewaren (zoals facturen);",
                "erasure, unless a law obliges us to keep the data (such as invoices);"),
    "r_restrict": ("beperking van de verwerking zolang een betwisting loopt;",
                   "restriction of processing while a dispute is open;"),
    "r_object": ("bezwaar tegen een verwerking op grond van ons gerechtvaardigd belang;",
                 "objection to processing based on our legitimate interest;"),
    "r_marketing": ("bezwaar tegen direct marketing: altijd en zonder reden, ook via de afmeldlink in elke "
                    "nieuwsbrief;", "objection to direct marketing: always and without giving a reason, also "
                    "through the unsubscribe link in every newsletter;"),
    "r_portability": ("overdraagbaarheid: de gegevens die u zelf gaf of die uw gebruik vastlegde, in een gangbaar "
                      "formaat (zie {file});", "portability: the data you provided or that your use recorded, in a "
                      "common format (see {file});"),
    "r_consent": ("uw toestemming intrekken (bv. voor de nieuwsbrief), zonder dat dit wat ervoor gebeurde "
                  "onrechtmatig maakt.", "withdrawing your consent (e.g. for the newsletter), without making what "
                  "happened before unlawful."),
    "h_complaint": ("Klacht indienen", "Lodging a complaint"),
    "complaint_intro": ("Bent u niet tevreden over ons antwoord, dan kunt u klacht indienen bij de "
                        "toezichthoudende autoriteit:", "If you are not satisfied with our answer, you can lodge a "
                        "complaint with the supervisory authority:"),
    "complaint_also": ("Uw adres ligt (ook) in {country}; u kunt ook daar klacht indienen:",
                       "Your address is (also) in {country}; you can also complain there:"),
    "complaint_other": ("de gegevensbeschermingsautoriteit van {country} (lijst: {url})",
                        "the data protection authority of {country} (list: {url})"),
    # masking
    "h_masking": ("Gegevens van anderen", "Other people's data"),
    "masking": ("Gegevens van andere personen (bv. iemand in kopie of een andere deelnemer aan een afspraak) zijn "
                "vervangen door een schuilnaam zoals „Derde partij 1”; dezelfde persoon heeft overal dezelfde "
                "schuilnaam. Interne gegevens van de winkel, zoals aankoopprijzen, zijn weggelaten: het zijn geen "
                "persoonsgegevens van u. Zo beschermen we de rechten van anderen (art. 15, lid 4 AVG). Wat er "
                "vervangen of weggelaten is, staat per bestand in redactions.json.{more}",
                "Other people's details (e.g. someone in copy or another attendee of a meeting) are replaced by a "
                "pseudonym such as “Third party 1”; the same person has the same pseudonym everywhere. The shop's "
                "internal data, such as purchase prices, is left out: it is not your personal data. This protects "
                "other people's rights (Art. 15(4) GDPR). redactions.json lists, per file, what was replaced or "
                "left out.{more}"),
    "masking_count": (" In dit pakket gaat het om {n} andere persoon/personen.",
                      " In this package this concerns {n} other person(s)."),
    "masking_attachments": ("Bijlagen (zoals pdf-facturen en bijgevoegde e-mails) staan er ongewijzigd in, zoals u ze "
                            "ontving of verstuurde: daarin is niets vervangen.",
                            "Attachments (such as PDF invoices and attached e-mails) are included unchanged, as you "
                            "received or sent them: nothing in them is replaced."),
    "masking_off": ("Interne kopie: gegevens van andere personen en interne gegevens zijn NIET gemaskeerd. Niet aan "
                    "de aanvrager bezorgen.",
                    "Internal copy: other people's details and the shop's internal data are NOT masked. Do not send "
                    "this to the requester."),
    "masking_unchecked": ("Berichten en notities kunnen gegevens van anderen bevatten (bv. het e-mailadres van iemand "
                          "in kopie). Dit pakket is niet door de maskeerstap gegaan (art. 15, lid 4 AVG): laat het "
                          "nakijken voor u het verstuurt.",
                          "Messages and notes can hold other people's data (e.g. the address of someone in copy). "
                          "This package did not pass the masking step (Art. 15(4) GDPR): have it checked before "
                          "sending it."),
    # data pages
    "h_data": ("Uw gegevens, per soort", "Your data, by kind"),
    "data_caption": ("Leesbare pagina's per soort gegevens", "Readable pages per kind of data"),
    "col_kind": ("Soort gegevens", "Kind of data"),
    "col_count": ("Aantal", "Number"),
    "col_from": ("Bij", "Held by"),
    "h_files": ("Over deze bestanden", "About these files"),
    "files_intro": ("Alle bestanden in dit pakket. Elk bestand opent met gewone programma's:",
                    "Every file in this package. Each opens with common programs:"),
    "f_html": (".html: deze pagina's, in elke webbrowser; ze werken zonder internet en laten zich afdrukken.",
               ".html: these pages, in any web browser; they work offline and print well."),
    "f_vcf": (".vcf (vCard): uw contactgegevens, in Contacten of Outlook.",
              ".vcf (vCard): your contact details, in Contacts or Outlook."),
    "f_ics": (".ics (iCalendar): afspraken, in Agenda, Outlook of Google Agenda.",
              ".ics (iCalendar): appointments, in Calendar, Outlook or Google Calendar."),
    "f_eml": (".eml: e-mailberichten, in Outlook, Apple Mail of Thunderbird.",
              ".eml: e-mail messages, in Outlook, Apple Mail or Thunderbird."),
    "f_csv": (".csv: tabellen, in Excel of LibreOffice (UTF-8, gescheiden door puntkomma's).",
              ".csv: tables, in Excel or LibreOffice (UTF-8, separated by semicolons)."),
    "f_json": (".json: alle gegevens zoals ze werden opgehaald, voor een computerprogramma; "
               "manifest.json beschrijft het pakket.",
               ".json: all data as it was retrieved, for a computer program; manifest.json describes the package."),
    "f_pdf": (".pdf: facturen zoals wij ze u stuurden, in elke pdf-lezer.",
              ".pdf: invoices as we sent them to you, in any PDF reader."),
    "files_caption": ("Bestanden in dit pakket", "Files in this package"),
    "col_file": ("Bestand", "File"),
    "col_what": ("Inhoud", "Contents"),
    "col_size": ("Grootte", "Size"),
    "more_files": ("{n} e-mailberichten (.eml)", "{n} e-mail messages (.eml)"),
    "w_manifest": ("beschrijving van het pakket, met controlegetallen", "description of the package, with checksums"),
    "w_portability": ("welke gegevens de overdraagbare kopie vormen (art. 20 AVG)",
                      "which data forms the portable copy (Art. 20 GDPR)"),
    "w_vcf": ("uw contactgegevens", "your contact details"),
    "w_ics": ("afspraken", "appointments"),
    "w_eml": ("e-mailbericht", "e-mail message"),
    "w_page": ("leesbare pagina", "readable page"),
    "w_json": ("ruwe gegevens", "raw data"),
    "w_csv": ("tabel", "table"),
    "w_pdf": ("factuur", "invoice"),
    "w_attachment": ("bijlage", "attachment"),
    "h_how": ("Hoe dit antwoord tot stand kwam", "How this answer was made"),
    "how_caption": ("Opgevraagde systemen en resultaat", "Systems queried and result"),
    "col_system": ("Systeem", "System"),
    "col_result": ("Resultaat", "Result"),
    "col_notes": ("Opmerkingen", "Notes"),
    "st_complete": ("volledig doorzocht", "searched completely"),
    "st_incomplete": ("niet volledig doorzocht", "not searched completely"),
    "st_failed": ("kon niet worden bevraagd", "could not be queried"),
    "st_not_configured": ("niet bevraagd (niet ingesteld)", "not queried (not set up)"),
    "st_skipped": ("niet bevraagd (weggelaten)", "not queried (left out)"),
    "notes_en": ("Technische opmerkingen (in het Engels)", "Technical notes"),
    "controller": ("Verwerkingsverantwoordelijke", "Controller"),
    # category pages
    "back": ("Terug naar het overzicht", "Back to the overview"),
    "page_lead": ("{n} gegevens, nieuwste eerst. De ruwe gegevens:", "{n} items, newest first. The raw data:"),
    "part": ("deel {i} van {n}", "part {i} of {n}"),
    "prev": ("Vorige", "Previous"),
    "next": ("Volgende", "Next"),
    "held_by": ("Bij {proc}", "Held by {proc}"),
    "origin": ("Herkomst", "Origin"),
    "tech": ("technische details", "technical details"),
    "more": ("meer details", "more details"),
    "source_line": ("Opgehaald bij {proc} op {when} ({endpoint})", "Retrieved from {proc} on {when} ({endpoint})"),
    "generic_label": ("Deze gegevens hebben nog geen omschrijving; de namen komen van het systeem zelf.",
                      "These data have no description yet; the names come from the system itself."),
    "glossary": ("Verklaring van de codes", "What the codes mean"),
    "gl_caption": ("Codes op deze pagina en wat ze betekenen", "Codes on this page and what they mean"),
    "col_field": ("Gegeven", "Field"),
    "col_code": ("Code", "Code"),
    "col_meaning": ("Betekenis", "Meaning"),
    "lines": ("Regels", "Lines"),
    "download_eml": ("Bericht als e-mailbestand (.eml)", "Message as an e-mail file (.eml)"),
    "download_pdf": ("Factuur als pdf", "Invoice as PDF"),
    "from_to": ("Van {a} aan {b}", "From {a} to {b}"),
    "m_from": ("Van", "From"),
    "m_to": ("Aan", "To"),
    "m_cc": ("Kopie", "Cc"),
    "m_date": ("Datum", "Date"),
    "m_subject": ("Onderwerp", "Subject"),
    "m_attachments": ("Bijlagen", "Attachments"),
    "m_mailbox": ("Mailbox", "Mailbox"),
    "e_when": ("Wanneer", "When"),
    "e_where": ("Waar", "Where"),
    "e_organizer": ("Georganiseerd door", "Organised by"),
    "e_attendees": ("Deelnemers", "Attendees"),
    "no_subject": ("(geen onderwerp)", "(no subject)"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "empty": ("(leeg)", "(empty)"),
    "print_note": ("Afgedrukt uit het inzagepakket {rid}", "Printed from access package {rid}"),
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` (nl or en), with ``values`` filled in."""
    nl, en = TEXTS[key]
    text = nl if lang == "nl" else en
    return text.format(**values) if values else text


def check_language(lang: str) -> str:
    """``lang`` when it is a language the pages are written in, else ValueError naming the choices."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return lang


# ----------------------------------------------------------------------------------------- dates and times
_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_YMD = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_moment(value: Any) -> datetime | date | None:
    """A date or an aware moment from an ISO 8601 string (``Z``, an offset, or none: UTC), ``dd-MM-yyyy``, or
    a ``{"dateTime", "timeZone"}`` object as Microsoft Graph writes one; None when it is neither."""
    if isinstance(value, dict) and "dateTime" in value:
        moment = parse_moment(value.get("dateTime"))
        if isinstance(moment, datetime):
            zone = str(value.get("timeZone") or "UTC")
            try:
                tz = ZoneInfo(zone) if zone != "UTC" else UTC
            except (KeyError, ValueError):
                tz = UTC
            return moment.replace(tzinfo=tz) if moment.tzinfo is UTC and zone != "UTC" else moment
        return moment
    if not isinstance(value, str):
        return None
    text = value.strip()
    return _parse_text(text) if _date_shaped(text) else None


def _date_shaped(text: str) -> bool:
    """Whether ``text`` may be a date or moment: only such strings are remembered (never free text, names or
    addresses, which are this customer's data)."""
    return bool(_DMY.match(text) or _YMD.match(text) or _ISO.match(text))


@lru_cache(maxsize=8192)
def _parse_text(value: str) -> datetime | date | None:
    """:func:`parse_moment` of a string (remembered: a package repeats its dates and retrieval moments; the
    answers are immutable)."""
    text = value.strip()
    m = _DMY.match(text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    if _YMD.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if _ISO.match(text):
        cleaned = text.replace("Z", "+00:00")
        cleaned = re.sub(r"(\.\d{6})\d+", r"\1", cleaned)    # Graph writes seven fraction digits
        try:
            moment = datetime.fromisoformat(cleaned)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def sort_key(value: Any) -> float:
    """A number that sorts moments (newest last); dates count as midnight in Brussels, unknowns as 0."""
    moment = parse_moment(value)
    if isinstance(moment, datetime):
        return moment.timestamp()
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=TZ).timestamp()
    return 0.0


def fmt_date(value: datetime | date, lang: str) -> str:
    """``6 augustus 2026`` / ``6 August 2026`` (a moment in Brussels time)."""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date()
    return f"{value.day} {MONTHS[lang][value.month - 1]} {value.year}"


def fmt_moment(value: Any, lang: str) -> str | None:
    """A date as ``6 augustus 2026`` and a moment as ``6 augustus 2026, 07:05`` (Brussels); None if not one."""
    if isinstance(value, str):
        text = value.strip()
        return _fmt_text_moment(text, lang) if _date_shaped(text) else None
    return _fmt_moment(parse_moment(value), lang)


@lru_cache(maxsize=8192)
def _fmt_text_moment(value: str, lang: str) -> str | None:
    return _fmt_moment(_parse_text(value), lang)


def _fmt_moment(moment: datetime | date | None, lang: str) -> str | None:
    if isinstance(moment, datetime):
        local = moment.astimezone(TZ)
        return f"{fmt_date(local, lang)}, {local:%H:%M}"
    if isinstance(moment, date):
        return fmt_date(moment, lang)
    return None


# ----------------------------------------------------------------------------------------- numbers and money
def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def fmt_amount(value: Any, currency: str | None, lang: str) -> str | None:
    """``€ 330,90`` (nl) / ``€330.90`` (en); a PayPal ``{"currency_code", "value"}`` object too; None if no number."""
    if isinstance(value, dict):
        return fmt_amount(value.get("value"), str(value.get("currency_code") or currency or "EUR"), lang)
    if isinstance(value, str | int | float):
        return _amount(value, currency, lang)
    return _amount.__wrapped__(value, currency, lang)


@lru_cache(maxsize=8192, typed=True)
def _amount(value: Any, currency: str | None, lang: str) -> str | None:
    """:func:`fmt_amount` of a plain value (remembered: a package repeats its prices; keyed by type as well, so
    ``True`` is never taken for ``1``)."""
    number = _decimal(value)
    if number is None:
        return None
    return _money(number, (currency or "EUR").upper(), lang)


@lru_cache(maxsize=4096)
def _money(number: Decimal, currency: str, lang: str) -> str:
    """Babel's currency format (slow: amounts repeat across a package's cards, so they are remembered)."""
    return str(format_currency(number, currency, locale=_BABEL[lang]))


def fmt_number(value: Any, lang: str) -> str:
    """A number with the language's decimal mark (``21,5``); other values as they are."""
    number = _decimal(value)
    if number is None:
        return str(value)
    return _decimal_text(str(number), lang)


@lru_cache(maxsize=4096)
def _decimal_text(number: str, lang: str) -> str:
    """Babel's decimal format of a Decimal's text (keyed by the text: ``1.0`` and ``1`` are equal Decimals but
    are written differently)."""
    return str(format_decimal(Decimal(number), locale=_BABEL[lang]))


def fmt_bool(value: Any, lang: str) -> str | None:
    """ja/nee (yes/no) for a boolean or its usual spellings; None for anything else."""
    if isinstance(value, bool):
        return t(lang, "yes" if value else "no")
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return t(lang, "yes" if value.strip().lower() == "true" else "no")
    if isinstance(value, int) and value in (0, 1):
        return t(lang, "yes" if value else "no")
    return None


# ----------------------------------------------------------------------------------------- countries
def country_name(value: Any, lang: str) -> str | None:
    """The name of the country a two-letter code (``BE``, ``be``) stands for, in ``lang``; None if not a code."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        return None
    return Locale.parse(_BABEL[lang]).territories.get(code)


def country_code(value: Any) -> str | None:
    """The two-letter code of a country written as a code or as its Dutch, English, French or German name."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper() if Locale.parse("en").territories.get(text.upper()) else None
    wanted = text.casefold()
    for loc in ("nl", "en", "fr", "de"):
        for code, name in Locale.parse(loc).territories.items():
            if len(code) == 2 and code.isalpha() and name.casefold() == wanted:
                return str(code)
    return None


EEA = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split())


def forget() -> None:
    """Drop every remembered format (values of the package just written)."""
    for memo in (_parse_text, _fmt_text_moment, _amount, _money, _decimal_text):
        memo.cache_clear()
