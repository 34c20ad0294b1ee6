"""The answer a customer reads: the Art. 15 checklist on the first screen (both languages), no vendor field name
as a label, values written as a person writes them, the standard formats parsed by real libraries, the Art. 20
subset, partial and no-data answers, the complaint authorities, and the page styles' contrast."""

from __future__ import annotations

import csv
import email
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
import vobject

from aggregator import config as config_mod
from aggregator.api import export
from aggregator.cli import main
from aggregator.connector import Connector
from aggregator.errors import ConfigError
from aggregator.hookspecs import hookimpl
from aggregator.i18n import fmt_amount, fmt_bool, fmt_moment, parse_moment
from aggregator.model import Record
from aggregator.plugins import build_registry, plugin_manager
from aggregator.processors import DEFAULT_PROCESSORS, build_register
from aggregator.render import Pages, Readable, cards_for
from aggregator.sandbox.server import Fault
from aggregator.spool import Spool
from tests.conftest import DEMO, EMPTY

SCHEMA = json.loads((Path(__file__).parents[1] / "aggregator/schemas/manifest.schema.json").read_text())
VENDOR_KEYS = ("addressBillingStreet2", "paymentIsInvoiceExternal", "transaction_event_code", "transaction_status",
               "receivedDateTime", "sentDateTime", "createdAt", "priceIncl", "InvoiceTotalInclTax", "InvoiceDate",
               "payer_name", "transaction_initiation_date", "quantityOrdered", "toRecipients")


class _Sections(HTMLParser):
    """The text of every element with an id, the labels (dt, th, caption, summary) and the links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.text: dict[str, list[str]] = {}
        self.labels: list[str] = []
        self.links: list[str] = []
        self._label_depth = 0
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag in ("br", "meta", "link", "img", "input"):
            return
        self.stack.append((tag, a.get("id")))
        if tag in ("dt", "th", "caption", "summary"):
            self.labels.append("")
            self._label_depth += 1

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            t, _ = self.stack.pop()
            if t in ("dt", "th", "caption", "summary"):
                self._label_depth -= 1
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self.stack:
            if ident:
                self.text.setdefault(ident, []).append(data)
        if self._label_depth:
            self.labels[-1] += data

    def section(self, ident: str) -> str:
        return re.sub(r"\s+", " ", "".join(self.text.get(ident, [])))


def _parse(html: str) -> _Sections:
    p = _Sections()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def demo(sandbox, tmp_path_factory) -> dict[str, zipfile.ZipFile]:
    """The demo customer's package in Dutch and in English (every vendor, answered in-process)."""
    out = tmp_path_factory.mktemp("render")
    cfg = config_mod.from_mapping(sandbox.config_mapping(None), env={}, source="<test>")
    packages = {}
    for lang in ("nl", "en"):
        result = export(DEMO, config=cfg, out_dir=out, adapters=sandbox.adapters(), entry_points=False,
                        request_id=f"render-{lang}", language=lang)
        packages[lang] = zipfile.ZipFile(result.package)
    return packages


def _index(zf: zipfile.ZipFile) -> _Sections:
    return _parse(zf.read("index.html").decode())


# ----------------------------------------------------------------------------------------- the first screen
CHECKLIST = {   # Art. 15 item -> (section id, what it must say in nl, in en)
    "confirmation": ("confirmation", r"Ja\. 6 van onze verwerkers bewaren samen \d\.\d{3} gegevens",
                     r"Yes\. 6 of our processors hold \d,\d{3} pieces of data"),
    "copy": ("copy", r"kopie van al deze gegevens", r"copy of all this data"),
    "purposes": ("purposes", r"De webwinkel draaien.*De nieuwsbrief sturen.*Betalingen voor bestellingen",
                 r"Running the webshop.*Sending the newsletter.*Processing payments"),
    "legal basis": ("purposes", r"Uitvoering van de overeenkomst \(art\. 6\.1\.b AVG\).*Toestemming",
                    r"Performance of a contract.*Consent"),
    "categories": ("categories", r"Bestellingen en aankopen.*Betalingen.*Facturen en boekhouding",
                   r"Orders and purchases.*Payments.*Invoices and bookkeeping"),
    "recipients": ("recipients", r"vervoerder van elke zending", r"carrier of each shipment"),
    "transfer safeguards": ("recipients", r"standaardcontractbepalingen \(art\. 46 AVG\).*kopie van de waarborgen",
                            r"standard contractual clauses.*copy of the safeguards"),
    "retention": ("retention", r"Facturen: 10 jaar.*Btw-Wetboek art\. 60, §§ 1 en 4",
                  r"Invoices: 10 years.*Belgian VAT Code art\. 60 §§1 and 4"),
    "rights": ("rights", r"inzage.*verbetering.*wissing.*beperking.*bezwaar.*direct marketing: altijd.*"
                         r"overdraagbaarheid.*toestemming intrekken",
               r"access.*rectification.*erasure.*restriction.*objection.*direct marketing: always.*portability.*"
               r"withdrawing your consent"),
    "complaint authority": ("complaint", r"Gegevensbeschermingsautoriteit \(GBA\).*Drukpersstraat 35, 1000 Brussel",
                            r"Data Protection Authority \(APD-GBA\).*Drukpersstraat 35"),
    "source": ("source", r"PayPal.*van PayPal.*vastgesteld bij uw gebruik",
               r"PayPal.*from PayPal.*observed while you used our services"),
    "automated decisions": ("profiling", r"geen besluiten.*art\. 22 AVG.*Mailchimp-score.*VIP",
                            r"no decision.*Art\. 22 GDPR.*member rating.*VIP"),
    "third-party masking": ("masking", r"Gegevens van anderen.*schuilnaam.*art\. 15, lid 4 AVG.*redactions\.json",
                            r"Other people's data.*pseudonym.*Art\. 15\(4\) GDPR.*redactions\.json"),
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("item", list(CHECKLIST))
def test_first_screen_answers_every_article_15_item(demo, lang, item):
    ident, nl, en = CHECKLIST[item]
    page = _index(demo[lang])
    assert page.lang == lang
    assert re.search(nl if lang == "nl" else en, page.section(ident), re.S), f"{item}: {page.section(ident)[:300]}"


def test_first_screen_sections_come_in_the_layered_order(demo):
    html = demo["nl"].read("index.html").decode()
    order = [html.index(f'id="{i}"') for i in ("confirmation", "purposes", "recipients", "retention", "source",
                                                 "profiling", "rights", "complaint", "masking", "data", "files", "how")]
    assert order == sorted(order)


def test_every_file_is_linked_from_the_index_and_exists(demo):
    for zf in demo.values():
        names = set(zf.namelist())
        links = {h for h in _index(zf).links if not h.startswith(("#", "http", "mailto:"))}
        assert names - {"index.html"} <= links
        assert links <= names


def test_about_these_files_says_which_program_opens_which(demo):
    text = _index(demo["nl"]).section("files")
    for what in (".vcf (vCard)", ".ics (iCalendar)", ".eml", ".csv", "Excel", ".json"):
        assert what in text


# ----------------------------------------------------------------------------------------- the data pages
def _pages(zf: zipfile.ZipFile) -> dict[str, _Sections]:
    return {n: _parse(zf.read(n).decode()) for n in zf.namelist() if n.startswith("pages/")}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_vendor_field_name_is_a_label(demo, lang):
    pages = _pages(demo[lang])
    labels = "\n".join(label for p in [*pages.values(), _index(demo[lang])] for label in p.labels)
    for key in VENDOR_KEYS:
        assert key not in labels, key
    # and the labels are the declared ones, so the check is not vacuous
    expected = ("Status van de bestelling", "Soort transactie", "Totaal incl. btw", "Vervaldatum") if lang == "nl" \
        else ("Order status", "Kind of transaction", "Total incl. VAT", "Due date")
    for label in expected:
        assert label in labels, label


def test_values_are_written_as_a_person_writes_them(demo):
    payments = demo["nl"].read("pages/payments.html").decode() + demo["nl"].read("pages/payments-3.html").decode()
    assert re.search(r"€\xa0\d{1,3}(\.\d{3})*,\d{2}|€ \d{1,3}(\.\d{3})*,\d{2}", payments)
    assert re.search(r"\d{1,2} (januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
                     r"december) 20\d\d, \d\d:\d\d", payments)
    assert "Betaling via PayPal Checkout" in payments and "Geslaagd" in payments      # T0006, S in words
    assert "T0006" in payments                                                          # … and in the glossary
    orders = demo["nl"].read("pages/orders.html").decode()
    assert "Kerkstraat 12, 8850 Ardooie, België" in orders                              # an address, a country
    assert ">nee<" in orders or ">ja<" in orders
    assert "2026-" not in re.sub(r"<details class=\"tech\">.*?</details>", "", orders, flags=re.S)


def test_cards_are_sorted_newest_first_and_lines_sit_in_their_order(demo):
    orders = demo["en"].read("pages/orders.html").decode()
    numbers = re.findall(r"<h3>Order (ORD\d+)", orders)
    assert numbers[:3] == ["ORD10260", "ORD10259", "ORD10258"]
    first = orders[orders.index("<h3>Order ORD10260"):orders.index("<h3>Order ORD10259")]
    assert "<caption>Lines</caption>" in first and "Bedieningspaneel KP-2" in first


def test_messages_keep_their_line_breaks_and_technical_ids_are_folded(demo):
    page = "".join(demo["nl"].read(n).decode() for n in demo["nl"].namelist()
                   if re.fullmatch(r"pages/communications(-\d+)?\.html", n)).replace("\r\n", "\n")
    assert "Hallo,\nSinds gisteren blijft de sirene afgaan zonder reden." in page
    card = page[page.index("Sirene blijft afgaan"):]
    card = card[:card.index("</article>")]
    tech = card[card.index('<details class="tech">'):]
    assert "AAMkADI1" in tech and "AAMkADI1" not in card[:card.index('<details class="tech">')]


def test_undeclared_datasets_get_generic_labels_marked_as_such(run_export):
    class Undeclared(Connector):
        name = "undeclared"
        processor = "lightspeed"
        categories = ("communications",)

        def collect(self) -> Iterator[Record]:
            yield self.ctx.record("communications", "note", {"created_by": "Support", "note": "Bel ons terug"},
                                  endpoint="GET /notes")

    class Plugin:
        @hookimpl
        def register_connectors(self, register: Any) -> None:
            register(Undeclared)

    pkg = run_export(DEMO, [], {"undeclared": {}}, plugins=[Plugin()], only=["undeclared"])
    page = pkg.zip.read("pages/communications.html").decode()
    assert "de namen komen van het systeem zelf" in page
    assert '<dt lang="en">Created by</dt>' in page


def test_pages_stay_small_enough_to_open_and_print(demo):
    for zf in demo.values():
        for info in zf.infolist():
            if info.filename.endswith(".html"):
                assert info.file_size < 600_000, info.filename


def test_pages_are_self_contained(demo):
    for zf in demo.values():
        for name in zf.namelist():
            if name.endswith(".html"):
                html = zf.read(name).decode()
                assert not re.search(r"<(script|link|img|iframe)\b", html), name
                assert "url(" not in html and "@import" not in html, name


# ----------------------------------------------------------------------------------------- standard formats
def test_vcard_parses_with_vobject(demo):
    card = vobject.readOne(demo["nl"].read("formats/contact.vcf").decode())
    assert card.fn.value == "Jan Desmet"
    assert card.email.value == DEMO
    assert card.tel.value.endswith("+32475123456")
    assert card.adr.value.street == "Kerkstraat 12" and card.adr.value.city == "Ardooie"


def test_icalendar_parses_with_icalendar(demo):
    cal = icalendar.Calendar.from_ical(demo["nl"].read("formats/calendar.ics"))
    events = list(cal.walk("VEVENT"))
    assert len(events) == 5
    visit = next(e for e in events if str(e["SUMMARY"]) == "Plaatsbezoek alarmsysteem - Jan Desmet")
    assert visit.decoded("DTSTART") == datetime(2024, 1, 11, 9, 0, tzinfo=UTC)
    assert str(visit["LOCATION"]) == "Kerkstraat 12, 8850 Ardooie"
    assert "mailto:jan.desmet@example.be" in [str(a) for a in visit.get("ATTENDEE") if a] or \
        str(visit.get("ATTENDEE")) == "mailto:jan.desmet@example.be"


def test_eml_files_parse_with_the_email_package(demo):
    zf = demo["nl"]
    mails = [n for n in zf.namelist() if n.startswith("formats/mail/") and n.endswith(".eml")]
    records = [r for r in json.loads(zf.read("data/communications/office365.json")) if r["dataset"] == "message"]
    assert len(mails) == len(records) > 100
    siren = next(n for n in mails if b"Sirene blijft afgaan" in zf.read(n))
    msg = email.message_from_bytes(zf.read(siren), policy=policy.default)
    assert msg["Subject"] == "Sirene blijft afgaan"
    assert msg["From"].addresses[0].addr_spec.lower() == DEMO
    assert msg["Date"].datetime == datetime(2026, 9, 2, 18, 40, tzinfo=UTC)
    assert "Sinds gisteren blijft de sirene afgaan" in msg.get_body(("plain", "html")).get_content()


def test_csv_opens_right_in_a_belgian_excel(demo):
    body = demo["nl"].read("data/contact/lightspeed.csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["dataset", "vendor_id", "retrieved_at"] and len(rows) == 2
    assert "Desmet" in rows[1]


# ----------------------------------------------------------------------------------------- Art. 20, manifest
def test_portability_lists_provided_and_observed_datasets(demo):
    zf = demo["nl"]
    port = json.loads(zf.read("portability.json"))
    included = {(d["connector"], d["dataset"]): d for d in port["datasets"]}
    excluded = {(d["connector"], d["dataset"]) for d in port["not_included"]}
    assert included[("lightspeed", "order")]["origin"] == "provided"
    assert included[("paypal", "transaction")]["origin"] == "observed"
    assert ("lightspeed", "customer_group") in excluded       # derived: not part of the Art. 20 copy
    assert all(d["file"] in zf.namelist() for d in port["datasets"])
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["portability"] == "portability.json" and manifest["language"] == "nl"


def test_manifest_with_the_new_files_validates(demo):
    for zf in demo.values():
        manifest = json.loads(zf.read("manifest.json"))
        jsonschema.Draft202012Validator(SCHEMA).validate(manifest)
        assert {f["path"] for f in manifest["files"]} == set(zf.namelist()) - {"manifest.json"}


# ----------------------------------------------------------------------------------------- partial, no data
def test_a_partial_answer_says_what_is_missing_and_why(run_export, sandbox):
    sandbox.inject(Fault("paypal", status=500, body=b"boom", times=None))
    pkg = run_export(DEMO, ["lightspeed", "paypal"], sleep=lambda _s: None)
    assert pkg.result.status == "partial"
    page = _parse(pkg.zip.read("index.html").decode())
    text = page.section("confirmation")
    assert "Dit antwoord is nog niet volledig" in text
    assert "PayPal (Europe) S.à r.l. et Cie, S.C.A. kon deze keer niet worden bevraagd" in text
    assert "500" not in text and "boom" not in text       # the vendor's text is for the operator, not this screen
    assert "Mailchimp (Intuit) werd deze keer niet bevraagd" in text


def test_a_no_data_answer_is_one_sentence_and_names_no_data(run_export):
    pkg = run_export(EMPTY, ["lightspeed"])
    html = pkg.zip.read("index.html").decode()
    page = _parse(html)
    # only Lightspeed was asked: the sentence says so instead of claiming nobody holds anything
    assert page.section("confirmation").strip().startswith("Hebben wij gegevens over u? Nee: bij de verwerkers die wij")
    assert "Mailchimp (Intuit) werd deze keer niet bevraagd" in page.section("confirmation")
    assert not [n for n in pkg.zip.namelist() if n.startswith(("pages/", "data/", "formats/"))]
    assert not [h for h in page.links if h.startswith(("pages/", "data/", "formats/"))]
    for absent in ("purposes", "recipients", "data", "masking"):
        assert f'id="{absent}"' not in html
    assert "Gegevensbeschermingsautoriteit" in page.section("complaint")


# ----------------------------------------------------------------------------------------- authorities
def _one_record_spool(tmp_path: Path, data: dict[str, Any], category: str = "addresses") -> Spool:
    spool = Spool(tmp_path / "spool")
    spool.write(Record("paypal", "paypal", category, "payer_address", data, endpoint="-"))
    spool.close()
    return spool


def _facts(spool: Spool, authorities: dict[str, dict[str, str]], lang: str = "nl") -> dict[str, Any]:
    manifest = {"processors": [], "connectors": {}, "controller": {"country": "BE"}}
    registry = build_registry(plugin_manager(entry_points=False))
    readable = Readable(lang, authorities, {n: c.datasets for n, c in registry.connectors.items()})
    return Pages(manifest, registry.processors, spool, readable).facts()


def test_a_dutch_address_adds_the_dutch_authority(tmp_path):
    spool = _one_record_spool(tmp_path, {"line1": "Stationsplein 1", "city": "Utrecht", "country_code": "NL"})
    complaint = _facts(spool, config_mod.DEFAULT_AUTHORITIES)["complaint"]
    assert [a["code"] for a in complaint] == ["BE", "NL"]
    assert complaint[1]["name"] == "Autoriteit Persoonsgegevens (AP)"
    assert "Postbus 93374, 2509 AJ Den Haag" in complaint[1]["lines"]


def test_an_address_in_a_country_without_an_entry_points_to_the_edpb_list(tmp_path):
    spool = _one_record_spool(tmp_path, {"line1": "Rue de Rivoli 1", "city": "Paris", "country_code": "FR"})
    complaint = _facts(spool, config_mod.DEFAULT_AUTHORITIES, "en")["complaint"]
    assert complaint[1]["country"] == "France" and "edpb.europa.eu" in complaint[1]["url"]


def test_an_address_outside_the_eea_adds_no_authority(tmp_path):
    spool = _one_record_spool(tmp_path, {"line1": "1 Main St", "city": "Boston", "country_code": "US"})
    assert [a["code"] for a in _facts(spool, config_mod.DEFAULT_AUTHORITIES)["complaint"]] == ["BE"]


def test_authorities_and_language_are_configurable():
    cfg = config_mod.from_mapping({"controller": {"language": "en"},
                                   "authorities": {"FR": {"name_nl": "CNIL", "name_en": "CNIL",
                                                          "url": "https://www.cnil.fr"}}}, env={})
    assert cfg.controller["language"] == "en" and cfg.authorities["FR"]["name_en"] == "CNIL"
    assert cfg.authorities["BE"]["address"] == "Drukpersstraat 35, 1000 Brussel"
    with pytest.raises(ConfigError, match="controller.language"):
        config_mod.from_mapping({"controller": {"language": "fr"}}, env={})
    with pytest.raises(ConfigError, match=r"\[authorities.fr\]"):
        config_mod.from_mapping({"authorities": {"fr": {"name_en": "CNIL"}}}, env={})
    with pytest.raises(ConfigError, match=r"\[authorities.FR\] takes"):
        config_mod.from_mapping({"authorities": {"FR": {"street": "x"}}}, env={})


def test_cli_language_flag(sandbox, tmp_path, capsys):
    config = tmp_path / "dsar.toml"
    mapping = sandbox.config_mapping(["silvasoft"])
    lines = []
    for name, section in mapping["connectors"].items():
        lines.append(f"[connectors.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in section.items()]
    if "tls" in mapping:
        lines.append("[tls]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in mapping["tls"].items()]
    config.write_text("\n".join(lines) + "\n")
    code = main(["export", DEMO, "--config", str(config), "--out", str(tmp_path / "out"), "--language", "en",
                 "--request-id", "cli-en", "--json"])
    assert code == 0
    html = zipfile.ZipFile(tmp_path / "out" / "dsar-cli-en.zip").read("index.html").decode()
    assert '<html lang="en">' in html and "Your personal data at Mega Security" in html
    assert main(["export", DEMO, "--config", str(config), "--language", "fr"]) == 2


def test_overriding_a_register_text_in_english_drops_its_stale_dutch():
    reg = build_register({"mailchimp": {"retention": "30 days after unsubscribing."}})
    assert reg["mailchimp"].text("retention", "nl") == ("30 days after unsubscribing.", "en")
    assert reg["mailchimp"].text("purpose", "nl")[1] == "nl"
    reg = build_register({"mailchimp": {"retention": "30 days.", "nl": {"retention": "30 dagen."}}})
    assert reg["mailchimp"].text("retention", "nl") == ("30 dagen.", "nl")


def test_every_register_text_has_its_dutch():
    for p in DEFAULT_PROCESSORS.values():
        for name in ("service", "purpose", "legal_basis", "data_shared", "country", "transfer_safeguard",
                     "retention", "recipients", "retention_source"):
            assert p.text(name, "nl")[1] == "nl", (p.key, name)


# ----------------------------------------------------------------------------------------- formatters, styles
def test_formatters():
    assert fmt_amount("330.90", "EUR", "nl") == "€\xa0330,90"
    assert fmt_amount({"currency_code": "USD", "value": "12.5"}, None, "en") == "US$12.50"
    assert fmt_moment("2026-08-06T05:05:12Z", "nl") == "6 augustus 2026, 07:05"          # Brussels, summer time
    assert fmt_moment("2026-01-06T05:05:12Z", "en") == "6 January 2026, 06:05"
    assert fmt_moment("14-10-2026", "nl") == "14 oktober 2026"                             # Silvasoft's dates
    assert fmt_moment("2025-06-18T20:31:05+0000", "nl") == "18 juni 2025, 22:31"            # PayPal's offsets
    assert parse_moment({"dateTime": "2024-01-11T09:00:00.0000000", "timeZone": "UTC"}) == \
        datetime(2024, 1, 11, 9, tzinfo=UTC)
    assert (fmt_bool(False, "nl"), fmt_bool(True, "en"), fmt_bool("x", "nl")) == ("nee", "yes", None)


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_text_colours_have_a_contrast_of_at_least_4_5(demo):
    css = demo["nl"].read("index.html").decode()
    colours = dict(re.findall(r"--(\w+):(#[0-9a-f]{6})", css))
    for fg in ("ink", "muted", "accent", "warn"):
        for bg in ("#ffffff", colours["soft"]):
            hi, lo = sorted((_luminance(colours[fg]), _luminance(bg)), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 4.5, (fg, bg)


def test_a_complete_no_data_answer_is_the_plain_sentence(run_export):
    pkg = run_export(EMPTY)      # every processor asked, none holds anything
    assert pkg.result.status == "complete" and pkg.manifest["summary"]["no_data"] is True
    page = _parse(pkg.zip.read("index.html").decode())
    assert page.section("confirmation").strip() == \
        "Hebben wij gegevens over u? Nee: wij en onze verwerkers bewaren geen gegevens over niemand@example.org."


def test_invoice_pdfs_are_linked_from_their_card_and_the_index(run_export):
    pkg = run_export(DEMO, ["silvasoft"], {"silvasoft": {"include_pdf": True}})
    pdfs = [n for n in pkg.zip.namelist() if n.endswith(".pdf")]
    assert pdfs
    page = pkg.zip.read("pages/invoices.html").decode()
    assert all(f'href="../{p}"' in page for p in pdfs)
    index = _parse(pkg.zip.read("index.html").decode())
    assert set(pdfs) <= set(index.links) and ".pdf:" in index.section("files")


def test_the_masking_section_says_attachments_are_unchanged(demo):
    assert any(n.startswith("attachments/") for n in demo["nl"].namelist())       # invoice PDFs, by default
    assert "Bijlagen (zoals pdf-facturen en bijgevoegde e-mails) staan er ongewijzigd in" in \
        _index(demo["nl"]).section("masking")
    assert "Attachments (such as PDF invoices and attached e-mails) are included unchanged" in \
        _index(demo["en"]).section("masking")


# ----------------------------------------------------------------------------------------- pages a page at a time
def test_a_page_is_built_from_the_records_it_shows_in_the_order_the_cards_sort(tmp_path, monkeypatch):
    from aggregator.render.shelf import Shelf
    from connectors.lightspeed_datasets import DATASETS

    def record(dataset: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"dataset": dataset, "data": data, "source": {"connector": "lightspeed", "processor": "lightspeed"}}

    records = [record("order", {"number": f"ORD{n}", "createdAt": f"2026-0{n}-01T10:00:00+00:00"})
               for n in (3, 1, 4, 2)]
    records.insert(1, record("order_line", {"order": "ORD4", "productTitle": "Kluis"}))
    records.append(record("order_line", {"order": "ORD9", "productTitle": "Wees"}))       # its order is absent
    readable = Readable("en", {}, {"lightspeed": DATASETS})
    read: list[int] = []
    with Shelf(readable, tmp_path) as shelf:
        original = shelf._read
        monkeypatch.setattr(shelf, "_read", lambda offset: read.append(offset) or original(offset))
        shelf.add("Lightspeed", iter(records))
        assert len(shelf) == 5                                   # four orders and the orphan line
        first = shelf.cards(0, 2, "en")
        assert [c.title for _, c in first] == ["Order ORD4", "Order ORD3"]
        assert len(read) == 3                                    # two orders and the one line of ORD4, nothing else
        assert "Kluis" in str(first[0][1].lines)
        rest = [c.title for _, c in shelf.cards(2, 10, "en")]
    assert rest[:2] == ["Order ORD2", "Order ORD1"] and len(rest) == 3
    assert [c.title for c in cards_for(iter(records), readable, "en")] == ["Order ORD4", "Order ORD3", *rest]
