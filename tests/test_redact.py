"""Redaction (Art. 15(4)): other people's details and the shop's internal fields stay out of the package.

The third parties are listed explicitly from the sandbox's fixtures (fixtures/office365/generate.py: Els
Vermeulen in cc and at a showroom visit, Pieter Maes in cc and at a quote meeting), and each test first checks
that the unredacted internal copy really holds what the redacted package must not, so no test passes vacuously.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aggregator import cli
from aggregator import config as config_mod
from aggregator.api import export
from aggregator.datasets import Dataset, Field, Kind, Origin, leaves, paths
from aggregator.model import Record
from aggregator.plugins import build_registry, plugin_manager
from aggregator.redact import KINDS, Policy, RecordRedactor, RedactedSpool
from aggregator.sandbox.server import to_toml
from aggregator.spool import Spool
from aggregator.subject import Subject
from tests.conftest import DEMO

# Every third party the sandbox knows in the demo customer's data: (name, address).
THIRD_PARTIES = [("Els Vermeulen", "els.vermeulen@example.be"), ("Pieter Maes", "pieter@maes-elektro.be")]
SHOP = ["info@megasecurity.eu", "verkoop@megasecurity.eu"]
STAFF = ("Kristof Vandenberghe", "kristof@megasecurity.eu")          # a technician invited to an installation
INTERNAL_KEYS = ["priceCost", "supplierTitle", "fee_amount"]          # Lightspeed cost price/supplier, PayPal fee
CONTROLLER = dict(config_mod.DEFAULT_CONTROLLER)
SCHEMA = json.loads((Path(__file__).parents[1] / "aggregator/schemas/manifest.schema.json").read_text())


def _export(sandbox: Any, out: Path, redaction: dict[str, Any] | None = None) -> zipfile.ZipFile:
    mapping = sandbox.config_mapping(None)
    if redaction is not None:
        mapping["redaction"] = redaction
    cfg = config_mod.from_mapping(mapping, env={}, source="<test>")
    result = export(DEMO, config=cfg, out_dir=out, entry_points=False, adapters=sandbox.adapters(),
                    request_id="redact-test")
    return zipfile.ZipFile(result.package)


@pytest.fixture(scope="module")
def demo(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The demo customer's package, every connector, redaction on (the default)."""
    return _export(sandbox, tmp_path_factory.mktemp("redacted"))


@pytest.fixture(scope="module")
def raw(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The same package as the shop's internal review copy (``[redaction] enabled = false``)."""
    return _export(sandbox, tmp_path_factory.mktemp("raw"), {"enabled": False})


def _files(zf: zipfile.ZipFile) -> dict[str, str]:
    return {n: zf.read(n).decode("utf-8") for n in zf.namelist()}


def _records(zf: zipfile.ZipFile, processor: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in sorted(zf.namelist()):
        if name.startswith("data/") and name.endswith(f"/{processor}.json"):
            out += json.loads(zf.read(name))
    return out


# ---------------------------------------------------------------------------------------------- the demo package
def test_no_third_party_address_or_name_in_any_file_but_the_subject_and_shop_remain(demo, raw):
    raw_text = "\n".join(_files(raw).values()).lower()
    for name, address in THIRD_PARTIES:       # the fixtures really hold them: the check below is not vacuous
        assert address in raw_text and name.lower() in raw_text
    for path, text in _files(demo).items():
        low = text.lower()
        for name, address in THIRD_PARTIES:
            assert address not in low, (path, "address")
            assert name.lower() not in low, (path, "name")
        assert "vermeulen" not in low and "maes-elektro" not in low, path
    data = "\n".join(t for p, t in _files(demo).items() if p.startswith("data/")).lower()
    assert DEMO in data                                          # the subject's own address stays
    for address in SHOP:                                         # and the shop's
        assert address in data
    assert STAFF[1] in data and STAFF[0].lower() in data         # staff stay by default
    assert "jan desmet" in data                                  # and the subject's name


def test_one_third_party_one_pseudonym_in_headers_attendees_bodies_and_marks(demo, raw):
    raw_o365 = {r["source"]["vendor_id"]: r for r in _records(raw, "office365")}
    labels: dict[str, set[str]] = {address: set() for _, address in THIRD_PARTIES}
    names: dict[str, set[str]] = {address: set() for _, address in THIRD_PARTIES}
    seen = 0
    for record in _records(demo, "office365"):
        before = raw_o365[record["source"]["vendor_id"]]
        for key in ("from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "attendees"):
            was = before["data"].get(key) or []
            now = record["data"].get(key) or []
            for old, new in zip(was if isinstance(was, list) else [was], now if isinstance(now, list) else [now],
                                strict=True):
                address = old["emailAddress"]["address"].lower()
                if address in labels:
                    seen += 1
                    labels[address].add(new["emailAddress"]["address"])
                    names[address].add(new["emailAddress"]["name"])
        for old_mark, new_mark in zip(sorted(before.get("third_parties", [])), record.get("third_parties", []),
                                      strict=True):
            labels[old_mark].add(new_mark)
    assert seen >= 18                                   # 16 cc's, 1 to, 2 attendees in the fixtures
    for address, found in labels.items():
        assert len(found) == 1 and re.fullmatch(r"Derde partij \d+", next(iter(found))), (address, found)
        assert names[address] == found                  # the name beside the address carries the same label
    assert len({next(iter(v)) for v in labels.values()}) == len(labels)      # different people, different labels
    els = next(iter(labels["els.vermeulen@example.be"]))
    event = next(r for r in _records(demo, "office365") if r["data"].get("subject", "").startswith("Showroombezoek"))
    assert event["data"]["subject"] == f"Showroombezoek Jan en {els}"           # "Jan en Els" in a subject line
    quote = next(r for r in _records(demo, "office365") if r["data"].get("bccRecipients"))
    assert f"Beste {els}," in quote["data"]["body"]["content"]                  # "Beste Els," in a body


def test_redactions_json_lists_each_redaction_and_no_value(demo, raw):
    log = json.loads(demo.read("redactions.json"))
    assert log["enabled"] is True and set(log["kinds"]) == set(KINDS) and log["why"]["nl"] and log["why"]["en"]
    assert {p["nl"] for p in log["pseudonyms"]} >= {"Derde partij 1", "Derde partij 2"}
    assert all(p["en"].startswith(("Third party ", "Staff member ")) for p in log["pseudonyms"])
    # every third-party address in the internal copy is one logged item in the redacted package
    raw_o365 = _records(raw, "office365")
    expected = sum(1 for r in raw_o365 for path in _email_paths(r) if path[1] in dict(THIRD_PARTIES).values())
    expected += sum(len(r.get("third_parties", [])) for r in raw_o365)
    entries = log["files"]["data/communications/office365.json"]
    logged = sum(item["count"] for e in entries for item in e["redactions"] if item["kind"] == "third_party_email")
    assert logged == expected and expected > 0
    # each entry names a record of that file by position, with its dataset and vendor id
    records = json.loads(demo.read("data/communications/office365.json"))
    for entry in entries:
        assert records[entry["record"]]["source"]["vendor_id"] == entry["vendor_id"]
        assert records[entry["record"]]["dataset"] == entry["dataset"]
        assert {i["kind"] for i in entry["redactions"]} <= set(KINDS)
    # internal fields: one per order, order line and quote line that had a cost price (quote lines are nested),
    # and the text of each staff-only order comment
    cost = sum(1 for r in _records(raw, "lightspeed") for path, value in leaves(r["data"])
               if path.rsplit(".", 1)[-1] == "priceCost" and value not in (None, ""))
    cost += sum(1 for r in _records(raw, "lightspeed") if r["dataset"] == "order_staff_comment"
                and r["data"].get("message"))
    dropped = sum(i["count"] for e in log["files"]["data/orders/lightspeed.json"] for i in e["redactions"]
                  if i["kind"] == "shop_internal")
    assert dropped == cost > 0
    text = demo.read("redactions.json").decode().lower()
    for name, address in THIRD_PARTIES:
        assert address not in text and name.lower() not in text
    for key in INTERNAL_KEYS:
        assert key.lower() not in text
    counts = json.loads(demo.read("manifest.json"))["redaction"]["counts"]
    assert counts == log["counts"] and counts["third_party_email"] >= logged


def _email_paths(record: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    stack: list[tuple[str, Any]] = [("", record["data"])]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{k}" if where else k, v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(where, v) for v in value]
        elif isinstance(value, str) and where.endswith(".address") and "@" in value:
            found.append((where, value.lower()))
    return found


def test_no_shop_internal_field_in_any_file(demo, raw):
    registry = build_registry(plugin_manager(entry_points=False))
    declared = {(c, d.name): d for c, cls in registry.connectors.items() for d in cls.datasets}
    internal_seen = 0
    for zf, expect_none in ((raw, False), (demo, True)):
        for name in zf.namelist():
            if not (name.startswith("data/") and name.endswith(".json")):
                continue
            for record in json.loads(zf.read(name)):
                ds = declared.get((record["source"]["connector"], record["dataset"]))
                if ds is None:
                    continue
                internal = [p for p in paths(record["data"]) if (f := ds.field_for(p)) and f[1].kind is Kind.INTERNAL]
                if expect_none:
                    assert not internal, (name, internal)
                else:
                    internal_seen += len(internal)
    assert internal_seen > 700                          # the internal copy holds every cost price
    raw_text = "\n".join(_files(raw).values())
    assert all(key in raw_text for key in INTERNAL_KEYS)
    for path, text in _files(demo).items():
        for key in INTERNAL_KEYS:
            assert key not in text, (path, key)


def test_manifest_and_index_say_what_was_masked(demo):
    manifest = json.loads(demo.read("manifest.json"))
    jsonschema.validate(manifest, SCHEMA)
    red = manifest["redaction"]
    assert red["enabled"] is True and red["staff"] == "keep" and red["log"] == "redactions.json"
    assert red["pseudonyms"] == len(THIRD_PARTIES) and red["counts"]["shop_internal"] > 700
    listed = {f["path"]: f for f in manifest["files"]}
    assert "redactions.json" in listed and listed["redactions.json"]["bytes"] == len(demo.read("redactions.json"))
    html = demo.read("index.html").decode()
    masking = html[html.index('<section id="masking"'):]
    masking = masking[:masking.index("</section>")]
    assert "Derde partij 1" in masking and "art. 15, lid 4" in masking and "redactions.json" in masking
    assert f"{len(THIRD_PARTIES)} andere persoon/personen" in masking


def test_internal_copy_is_marked_as_such(raw):
    manifest = json.loads(raw.read("manifest.json"))
    jsonschema.validate(manifest, SCHEMA)
    assert manifest["redaction"]["enabled"] is False and manifest["redaction"]["counts"] == {}
    assert json.loads(raw.read("redactions.json"))["enabled"] is False
    assert "NIET gemaskeerd" in raw.read("index.html").decode()


def test_staff_pseudonymised_on_request(sandbox, tmp_path):
    zf = _export(sandbox, tmp_path, {"staff": "pseudonymise"})
    data = "\n".join(t for p, t in _files(zf).items() if p.startswith("data/") or p == "index.html").lower()
    assert STAFF[1] not in data and STAFF[0].lower() not in data
    assert "medewerker 1" in data
    for address in SHOP:                                 # role addresses are the shop's, not a person's
        assert address in data
    for name, address in THIRD_PARTIES:
        assert address not in data and name.lower() not in data
    assert json.loads(zf.read("manifest.json"))["redaction"]["staff"] == "pseudonymise"


# ---------------------------------------------------------------------------------------------- hostile cases
PEOPLE = {"emailAddress": Field("Persoon", "Person", Kind.DATA),
          "emailAddress.name": Field("Naam", "Name", Kind.NAME),
          "emailAddress.address": Field("E-mailadres", "E-mail address", Kind.EMAIL)}
MESSAGE = Dataset("message", "communications", "Bericht", "Message", Origin.PROVIDED, {
    "subject": Field("Onderwerp", "Subject", Kind.FREE_TEXT),
    "body": Field("Tekst", "Text", Kind.FREE_TEXT),
    "internetMessageId": Field("Berichtnummer", "Message id", Kind.IDENTIFIER),
    **{f"{k}.{p}" if p else k: f for k in ("from", "to", "cc") for p, f in [("", Field(k, k, Kind.DATA)),
       *[(q, g) for q, g in PEOPLE.items()]]},
    "cost": Field("Aankoopprijs", "Purchase price", Kind.INTERNAL),
})
NOTE = Dataset("note", "communications", "Notitie", "Note", Origin.DERIVED, {    # shaped like Mailchimp's notes
    "note": Field("Notitie", "Note", Kind.FREE_TEXT),
    "created_by": Field("Geschreven door", "Written by", Kind.NAME),
})
CUSTOMER = Dataset("customer", "contact", "Klant", "Customer", Origin.PROVIDED, {
    "email": Field("E-mailadres", "E-mail address", Kind.EMAIL),
    "firstname": Field("Voornaam", "First name", Kind.NAME),
    "lastname": Field("Familienaam", "Last name", Kind.NAME),
    "phone": Field("Telefoon", "Phone", Kind.PHONE),
})


def _person(name: str, address: str) -> dict[str, Any]:
    return {"emailAddress": {"name": name, "address": address}}


def _redact(tmp_path: Path, records: list[Record], **policy: Any) -> tuple[list[dict[str, Any]], RecordRedactor]:
    spool = Spool(tmp_path / "spool")
    for record in records:
        spool.write(record)
    spool.close()
    merged = {"own_domains": ("megasecurity.eu",), "own_addresses": ("info@megasecurity.eu",), **policy}
    redactor = RecordRedactor(Policy(**merged), Subject.parse(DEMO), CONTROLLER,
                        {"mail": (MESSAGE, NOTE), "shop": (CUSTOMER,)})
    view = RedactedSpool(spool, redactor)
    out = [r for category, processor, _ in view.groups() for r in view.read(category, processor)]
    return out, redactor


def _customer() -> Record:
    return Record("shop", "lightspeed", "contact", "customer", {"email": DEMO, "firstname": "Jan",
                  "lastname": "Desmet", "phone": "+32 475 12 34 56"}, endpoint="GET /customers")


def _message(**data: Any) -> Record:
    return Record("mail", "office365", "communications", "message", data, endpoint="GET /messages",
                  vendor_id=str(data.get("internetMessageId")))


def test_hostile_address_forms_all_get_the_same_pseudonym(tmp_path):
    near = "jan.desmet@example.bf"                      # one character from the subject's address
    body = ("<p>Zie <a href=\"mailto:Pieter@Maes-Elektro.be\">Pieter Maes</a> &lt;PIETER@MAES-ELEKTRO.BE&gt; "
            "of pieter&#64;maes-elektro.be, cc <pieter@maes-elektro.be>. Jan (jan.desmet@example.be) en "
            f"{near}. Bel Pieter op 0476 11 22 33 of mij op +32 475 12 34 56. Bestelling 2025-11-05.</p>")
    records = [_customer(), _message(
        internetMessageId="<E000392EB62F@mail.example.net>",
        subject="Offerte met Pieter Maes", body=body,
        **{"from": _person("Jan Desmet", DEMO.upper()), "to": [_person("Mega Security", "info@megasecurity.eu")],
           "cc": [_person("Pieter Maes", "PIETER@maes-elektro.be"), _person("Jan Desmet", near)]},
        cost=12.5)]
    out, redactor = _redact(tmp_path, records)
    msg = out[0]["data"] if out[0]["dataset"] == "message" else out[1]["data"]
    dumped = json.dumps(msg).lower()
    assert "maes-elektro" not in dumped and "pieter" not in dumped and near not in dumped
    label = msg["cc"][0]["emailAddress"]["address"]
    assert label == msg["cc"][0]["emailAddress"]["name"] == "Derde partij 1"
    # mailto:, the link's text, &lt;…&gt; in capitals, &#64;, <…>, and "Bel Pieter" (his first name alone)
    assert msg["body"].count("Derde partij 1") == 6
    assert msg["subject"] == "Offerte met Derde partij 1"
    near_label = msg["cc"][1]["emailAddress"]["address"]
    assert near_label == "Derde partij 2" and near_label in msg["body"]
    assert msg["cc"][1]["emailAddress"]["name"] == "Derde partij 2"        # beside a stranger's address
    assert msg["from"]["emailAddress"] == {"name": "Jan Desmet", "address": DEMO.upper()}
    assert "jan.desmet@example.be" in msg["body"] and "+32 475 12 34 56" in msg["body"]
    assert "0476 11 22 33" not in msg["body"] and "[telefoonnummer verborgen]" in msg["body"]
    assert "2025-11-05" in msg["body"]
    assert msg["internetMessageId"] == "<E000392EB62F@mail.example.net>"   # an identifier, not a person
    assert "cost" not in msg
    kinds = {i["kind"] for e in redactor.log["data/communications/office365.json"] for i in e["redactions"]}
    assert kinds == {"third_party_email", "third_party_name", "phone_in_free_text", "shop_internal"}
    again, _ = _redact(tmp_path / "again", records)
    assert again == out                                                      # stable from run to run


def test_the_redacted_view_redacts_each_record_once_and_leaves_nothing_behind(tmp_path, monkeypatch):
    spool = Spool(tmp_path / "spool")
    records = [_customer(), _message(internetMessageId="<a@x>", subject="Met Pieter Maes",
                                     **{"cc": [_person("Pieter Maes", "pieter@maes-elektro.be")]})]
    for record in records:
        spool.write(record)
    spool.close()
    redactor = RecordRedactor(Policy(own_domains=("megasecurity.eu",)), Subject.parse(DEMO), CONTROLLER,
                              {"mail": (MESSAGE, NOTE), "shop": (CUSTOMER,)})
    calls: list[str] = []
    redact = redactor.redact
    monkeypatch.setattr(redactor, "redact", lambda record, *a, **k: calls.append(record["dataset"])
                        or redact(record, *a, **k))
    view = RedactedSpool(spool, redactor)
    reads = [[r for c, p, _ in view.groups() for r in view.read(c, p)] for _ in range(4)]
    assert sorted(calls) == ["customer", "message"]         # four reads (JSON, CSV, pages, facts), one redaction
    assert reads[0] == reads[1] == reads[3]
    dumped = json.dumps(reads[3])
    assert "maes-elektro" not in dumped and "Derde partij 1" in dumped
    assert len(redactor.log["data/communications/office365.json"]) == 1       # logged once, on the first read
    scratch = [p for p in (tmp_path / "spool").iterdir() if p.name.startswith(".")]
    assert len(scratch) == 1 and oct(scratch[0].stat().st_mode & 0o777) == "0o700"
    assert Spool(tmp_path / "spool").groups() == spool.groups()           # a reopened spool does not count it
    view.close()
    assert not [p for p in (tmp_path / "spool").iterdir() if p.name.startswith(".")]


def test_pseudonyms_do_not_depend_on_the_order_records_arrived_in(tmp_path):
    people = [("Pieter Maes", "pieter@maes-elektro.be"), ("Els Vermeulen", "els.vermeulen@example.be"),
              ("An Peeters", "an@peeters.be")]
    messages = [_message(internetMessageId=f"<m{i}@x>", subject=f"Offerte {i}", cc=[_person(name, address)])
                for i, (name, address) in enumerate(people)]
    labels = []
    for n, order in enumerate(([0, 1, 2], [2, 0, 1], [1, 2, 0])):
        out, _ = _redact(tmp_path / str(n), [_customer(), *(messages[i] for i in order)])
        by_subject = {r["data"]["subject"]: r["data"]["cc"][0]["emailAddress"]["name"] for r in out
                      if r["dataset"] == "message"}
        labels.append(by_subject)
    assert labels[0] == labels[1] == labels[2]
    assert sorted(labels[0].values()) == ["Derde partij 1", "Derde partij 2", "Derde partij 3"]


def test_every_other_person_is_numbered_before_the_first_record_is_written(tmp_path):
    """However a record holds another person's address beside the subject's own (an entity, %40, a quoted
    string), the learning passes find it; a record that shows only the subject's address teaches them nothing."""
    records = [_customer(),
               _message(internetMessageId="<m1@x>", subject="Alleen ik", **{"from": _person("Jan", DEMO.upper())}),
               _message(internetMessageId="<m2@x>", subject="Vraag", body="Schrijf pieter&#64;maes-elektro.be of "
                        "zie https://x.example/?to=an%40peeters.be", **{"from": _person("Jan Desmet", DEMO.upper()),
                        "to": [_person("Els", '"els@vermeulen.be"'), _person("Jan", DEMO)]})]
    spool = Spool(tmp_path / "spool")
    for record in records:
        spool.write(record)
    spool.close()
    redactor = RecordRedactor(Policy(own_domains=("megasecurity.eu",)), Subject.parse(DEMO), CONTROLLER,
                              {"mail": (MESSAGE, NOTE), "shop": (CUSTOMER,)})
    view = RedactedSpool(spool, redactor)                  # learns from the spool before anything is read
    assert set(redactor.third) == {"pieter@maes-elektro.be", "an@peeters.be", '"els@vermeulen.be"'}
    assert sorted(redactor.third.values()) == [1, 2, 3] and DEMO not in redactor.third
    out = [r for c, p, _ in view.groups() for r in view.read(c, p)]
    dumped = json.dumps(out)
    assert "maes-elektro" not in dumped and "peeters" not in dumped and "vermeulen" not in dumped
    view.close()


def test_staff_and_notes_by_staff(tmp_path):
    records = [_customer(),
               _message(internetMessageId="m1", subject="Installatie", body="Kristof Vandenberghe komt langs.",
                        **{"from": _person("Kristof Vandenberghe", "kristof@megasecurity.eu"),
                           "to": [_person("Jan Desmet", DEMO)]}),
               Record("mail", "mailchimp", "communications", "note",
                      {"note": "Belde over factuur.", "created_by": "Els Vandamme"}, endpoint="GET /notes")]
    kept, _ = _redact(tmp_path / "keep", records)
    assert "kristof@megasecurity.eu" in json.dumps(kept) and "Els Vandamme" in json.dumps(kept)
    hidden, redactor = _redact(tmp_path / "pseudo", records, staff="pseudonymise")
    text = json.dumps(hidden)
    assert "kristof" not in text.lower() and "Vandamme" not in text
    message = next(r for r in hidden if r["dataset"] == "message")["data"]
    assert message["from"]["emailAddress"]["name"] == message["from"]["emailAddress"]["address"] == "Medewerker 1"
    assert message["body"] == "Medewerker 1 komt langs."
    assert next(r for r in hidden if r["dataset"] == "note")["data"]["created_by"] == "Medewerker 2"
    assert {p["en"] for p in redactor.pseudonyms()} == {"Staff member 1", "Staff member 2"}


def test_own_addresses_and_domains_from_config(tmp_path):
    records = [_customer(), _message(internetMessageId="m1", subject="Doorgestuurd", body="via alarm@partner.example",
                                     **{"from": _person("Partner", "alarm@partner.example"),
                                        "to": [_person("Jan Desmet", DEMO)]})]
    out, _ = _redact(tmp_path, records, own_addresses=("alarm@partner.example",))
    assert "alarm@partner.example" in json.dumps(out)
    out, _ = _redact(tmp_path / "b", records)
    assert "alarm@partner.example" not in json.dumps(out)


def test_a_connector_without_declarations_gets_the_safe_default(tmp_path):
    record = Record("legacy", "mailchimp", "communications", "note",
                    {"text": "Gesprek met Griet (griet@coppens-boekhouding.example), tel. 0499 12 34 56",
                     "nested": [{"who": "Griet@Coppens-Boekhouding.example"}], "id": "x@y-not-declared.example"},
                    endpoint="GET /x", third_parties=("griet@coppens-boekhouding.example",))
    out, _ = _redact(tmp_path, [_customer(), record])
    note = next(r for r in out if r["source"]["connector"] == "legacy")
    dumped = json.dumps(note).lower()
    assert "coppens" not in dumped and "0499" not in dumped
    assert note["third_parties"] == ["Derde partij 1"] and note["data"]["nested"][0]["who"] == "Derde partij 1"


def test_the_subjects_own_contact_card_is_not_masked(tmp_path):
    card = Record("shop", "lightspeed", "contact", "customer",
                  {"email": "jan@desmet-renovaties.example", "firstname": "Jan", "lastname": "Desmet",
                   "phone": "0475 12 34 56"}, endpoint="GET /customers")
    out, redactor = _redact(tmp_path, [_customer(), card])
    assert [r["data"] for r in out] == [r.data for r in (_customer(), card)]
    assert not redactor.log


# ---------------------------------------------------------------------------------------------- configuration
@pytest.mark.parametrize(("table", "key"), [
    ({"enabled": "no"}, "redaction.enabled"),
    ({"own_domains": "megasecurity.eu"}, "redaction.own_domains"),
    ({"own_domains": ["not a domain"]}, "redaction.own_domains"),
    ({"own_addresses": ["info-at-megasecurity.eu"]}, "redaction.own_addresses"),
    ({"staff": "hide"}, "redaction.staff"),
    ({"language": "fr"}, "redaction.language"),
    ({"stafff": "keep"}, "redaction.stafff"),
])
def test_a_bad_redaction_setting_exits_2_before_any_request(sandbox, tmp_path, capsys, table, key):
    mapping = sandbox.config_mapping(["paypal"])
    mapping["redaction"] = table
    path = tmp_path / "dsar.toml"
    path.write_text(to_toml(mapping), encoding="utf-8")
    code = cli.main(["export", DEMO, "--config", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and key in err[0], err
    assert sandbox.log == []
