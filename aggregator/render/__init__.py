"""The pages a person reads: ``index.html`` answers Art. 15 on its first screen (layered, in Dutch or English),
then links one page per category of readable cards (``pages/<category>.html``), every data file and the
standard-format files. Everything is self-contained: inline CSS, no script, no outside request."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import jinja2
from markupsafe import Markup

from aggregator.categories import CATEGORIES
from aggregator.datasets import Dataset, Origin
from aggregator.i18n import EEA, country_code, country_name, fmt_moment, fmt_number, t
from aggregator.processors import Processor
from aggregator.render import card_html
from aggregator.render.cards import Card
from aggregator.render.shelf import Shelf
from aggregator.spool import Records, entries

CARDS_PER_PAGE = 100
EDPB_MEMBERS = "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("aggregator", "templates"),
    autoescape=True,          # every value from a vendor is HTML-escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Readable:
    """How to write the readable answer: its language, the authorities table, every connector's datasets."""

    language: str = "nl"
    authorities: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    datasets: Mapping[str, Sequence[Dataset]] = field(default_factory=dict)   # connector -> its datasets
    # (connector, dataset name) -> its declaration, filled on first use (every card asks)
    _index: dict[tuple[str, Any], Dataset | None] = field(default_factory=dict, init=False, repr=False,
                                                          compare=False)

    def dataset(self, record: Mapping[str, Any]) -> Dataset | None:
        """The declaration of a record's dataset, or None when its connector declares none (yet)."""
        key = (str(record["source"].get("connector")), record["dataset"])
        try:
            return self._index[key]
        except KeyError:
            pass
        except TypeError:             # an unhashable dataset name: nothing declares it
            return None
        found = next((d for d in self.datasets.get(key[0], ()) if d.name == key[1]), None)
        if len(self._index) < 4096:
            self._index[key] = found
        return found


def page_path(category: str, part: int = 1) -> str:
    """Where a category's readable page lives in the package."""
    return f"pages/{category}.html" if part == 1 else f"pages/{category}-{part}.html"


def cards_for(records: Iterable[dict[str, Any]], readable: Readable, lang: str) -> list[Card]:
    """The cards of one category × processor, newest first, lines nested in their parent (as the pages show them)."""
    with Shelf(readable) as shelf:
        shelf.add("", records)
        return [card for _, card in shelf.cards(0, len(shelf), lang)]


class Pages:
    """Renders the category pages and the index of one package."""

    def __init__(self, manifest: Mapping[str, Any], processors: Mapping[str, Processor], spool: Records,
                 readable: Readable, scratch: Path | None = None, files: Listed | None = None) -> None:
        self.m = manifest
        self.files: Listed = files if files is not None else _Listing(manifest.get("files", []))
        self.scratch = scratch                     # where the pages' scratch files go (the spool's private folder)
        self.processors = processors
        self.spool = spool
        self.readable = readable
        self.lang = readable.language
        self.written: dict[str, list[str]] = {}    # category -> its page paths
        self._census: dict[tuple[str, str], Census] = {}   # what the pages' pass saw of each group

    def _ctx(self, **extra: Any) -> dict[str, Any]:
        lang = self.lang

        def tr(key: str, **values: Any) -> str:
            return t(lang, key, **values)
        return {"lang": lang, "t": tr, "m": self.m, "categories": CATEGORIES, **extra}

    def category_pages(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        """(path, HTML chunks) for every category page, split in parts of CARDS_PER_PAGE cards."""
        groups = self.spool.groups()
        order = list(self.processors)
        for slug in CATEGORIES:
            mine = sorted([(p, n) for c, p, n in groups if c == slug],
                          key=lambda pn: order.index(pn[0]) if pn[0] in order else len(order))
            if not mine:
                continue
            with Shelf(self.readable, self.scratch) as shelf:
                for processor, _ in mine:
                    proc = self.processors.get(processor)
                    shelf.add_entries(proc.text("name", self.lang)[0] if proc else processor,
                                      self._counted(slug, processor))
                total = len(shelf)
                parts = max(1, -(-total // CARDS_PER_PAGE))
                raw = [f for f in self.files.data if f.get("category") == slug]
                paths = [page_path(slug, i + 1) for i in range(parts)]
                self.written[slug] = paths
                template = _ENV.get_template("category.html.j2")
                for i in range(parts):
                    chunk = shelf.cards(i * CARDS_PER_PAGE, (i + 1) * CARDS_PER_PAGE, self.lang)
                    ctx = self._ctx(category=CATEGORIES[slug], part=i + 1, parts=parts, paths=paths, total=total,
                                    raw=raw, codes=sorted({c for _, card in chunk for c in card.codes}),
                                    generic=any(c.generic for _, c in chunk))
                    page_sections: list[tuple[str, list[str]]] = []     # (section, its cards' HTML)
                    for name, card in chunk:
                        if not page_sections or page_sections[-1][0] != name:
                            page_sections.append((name, []))
                        page_sections[-1][1].append(card_html.card(card, ctx["t"]))
                    yield paths[i], _encoded(template.render(
                        sections=[(name, Markup("".join(html))) for name, html in page_sections], **ctx))

    def _counted(self, category: str, processor: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The group's (JSON text, record) pairs, noting its census on the way (kept once the group is read)."""
        census = Census()
        for text, record in entries(self.spool, category, processor):
            census.see(category, record)
            yield text, record
        self._census[(category, processor)] = census

    def census(self) -> dict[tuple[str, str], Census] | None:
        """Every group's census, when the pages' pass read them all (else None: read the records again)."""
        if all((c, p) in self._census for c, p, _ in self.spool.groups()):
            return self._census
        return None

    # ------------------------------------------------------------------------------------- the first screen
    def facts(self) -> dict[str, Any]:
        """Everything the first screen states, computed once (also what the checklist test reads)."""
        lang = self.lang
        m = self.m
        holders = [p for p in m["processors"] if p["categories"]]
        used_connectors = {c for p in holders for c in p["connectors"]}
        gaps = []
        for o in m["connectors"].values():
            proc = self.processors.get(o["processor"])
            pname = proc.text("name", lang)[0] if proc else o["processor"]
            if o["status"] == "failed":
                gaps.append(t(lang, "partial_failed", proc=pname))
            elif o["status"] == "incomplete":
                gaps.append(t(lang, "partial_short", proc=pname))
            elif o["status"] in ("not_configured", "skipped"):
                gaps.append(t(lang, "partial_unasked", proc=pname))
        origins: dict[str, dict[str, list[tuple[str, str]]]] = {}   # processor -> origin -> [(label, category)]
        seen = set()
        census = self.census() or _read_census(self.spool)
        for c, p, _ in self.spool.groups():
            for key in census[(c, p)].datasets:
                if key in seen:
                    continue
                seen.add(key)
                d = self.readable.dataset({"source": {"connector": key[0]}, "dataset": key[1]})
                proc = self.processors.get(p)
                pname = proc.text("name", lang)[0] if proc else p
                if d is not None and d.origin != Origin.PROVIDED:
                    origins.setdefault(pname, {}).setdefault(t(lang, f"origin_{d.origin}"), []).append(
                        (d.nl if lang == "nl" else d.en, c))
        countries = set()
        for c, p, _ in self.spool.groups():
            countries |= census[(c, p)].countries
        home = str(m["controller"].get("country") or "BE")
        authorities = self.readable.authorities
        complaint = [self._authority(home)]
        for code in sorted(countries - {home}):
            if code in EEA:
                complaint.append(self._authority(code))
        return {"holders": holders, "used_connectors": used_connectors, "gaps": gaps, "origins": origins,
                "complaint": complaint, "countries": sorted(countries),
                "attachments": self.files.attachments,
                "has_authorities": bool(authorities)}

    def _authority(self, code: str) -> dict[str, Any]:
        lang = self.lang
        a = self.readable.authorities.get(code)
        country = country_name(code, lang) or code
        if not a:
            return {"code": code, "country": country, "name": t(lang, "complaint_other", country=country,
                                                                  url=EDPB_MEMBERS), "lines": [], "url": EDPB_MEMBERS}
        name = a.get(f"name_{lang}") or a.get("name_nl") or a.get("name_en") or code
        lines = [x for x in (a.get("address"), a.get("phone"), a.get("email")) if x]
        return {"code": code, "country": country, "name": name, "lines": lines, "url": a.get("url") or ""}

    def index(self, files: Listed | Sequence[Mapping[str, Any]]) -> Iterator[bytes]:
        """index.html: the first screen, then the data pages and every file of the package (streamed: the list of
        files can hold tens of thousands of e-mails, read from ``files`` as the page is written)."""
        lang = self.lang
        facts = self.facts()
        matrix = []
        for p in self.m["processors"]:
            proc = self.processors[p["key"]]
            matrix.append({"key": p["key"], "p": proc, "has_api": p["has_api"],
                           "text": lambda name, proc=proc: proc.text(name, lang),
                "cats": {slug: p["categories"][slug] for slug in CATEGORIES if slug in p["categories"]}})
        data_pages = []
        for slug, paths in self.written.items():
            count = sum(p["categories"].get(slug, 0) for p in self.m["processors"])
            held = [self.processors[p["key"]].text("name", lang)[0] for p in self.m["processors"]
                    if p["categories"].get(slug)]
            data_pages.append({"slug": slug, "paths": paths, "count": count, "held": held})
        listing = files if isinstance(files, Listed) else _Listing(files)
        template = _ENV.get_template("index.html.j2")
        return _blocks(template.generate(**self._ctx(
            facts=facts, matrix=matrix, data_pages=data_pages, files=_FileRows(listing, lang),
            fmt_moment=lambda v: fmt_moment(v, lang) or v, fmt_number=lambda v: fmt_number(v, lang))))


def _countries(data: Any) -> set[str]:
    """Country codes found in address-like keys of a record."""
    out: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k).lower()
                if "country" in key and isinstance(v, str):
                    code = country_code(v)
                    if code:
                        out.add(code)
                elif "country" in key and isinstance(v, dict) and v.get("code"):
                    code = country_code(str(v["code"]))
                    if code:
                        out.add(code)
                else:
                    stack.append(v)
        elif isinstance(value, list):
            stack.extend(value)
    return out


@runtime_checkable
class Listed(Protocol):
    """The package's list of files as the pages read it (:class:`aggregator.package.FileList`): iterable once or
    more, its size, its extensions, its data files and whether any file is an attachment."""

    count: int
    exts: set[str]
    data: list[dict[str, Any]]
    attachments: bool

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every entry, in the order listed."""


class _Listing:
    """:class:`Listed` over a list in memory."""

    def __init__(self, files: Iterable[Mapping[str, Any]]) -> None:
        self._files = [dict(f) for f in files]
        self.count = len(self._files)
        self.exts = {str(f["path"]).rsplit(".", 1)[-1].lower() for f in self._files}
        self.data = [f for f in self._files if str(f["path"]).startswith("data/")]
        self.attachments = any(str(f["path"]).startswith("attachments/") for f in self._files)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._files)


class _Mails:
    """The e-mail files of the list, counted up front and read as the page lists them."""

    def __init__(self, files: Listed, count: int) -> None:
        self.files = files
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for f in self.files:
            if str(f["path"]).endswith(".eml"):
                yield {"path": str(f["path"])}


class _FileRows:
    """The package's files for the "about these files" table, e-mails grouped (there can be thousands): each read
    from the list as the page is written, the list itself and manifest.json (listed last) never held whole."""

    def __init__(self, files: Listed, lang: str) -> None:
        self.files = files
        self.lang = lang
        self.exts = files.exts | {"json"}                   # manifest.json
        self.mails = _Mails(files, sum(1 for f in files if str(f["path"]).endswith(".eml")))

    @property
    def rows(self) -> Iterator[dict[str, Any]]:
        """Every file but the e-mails and index.html, then manifest.json."""
        for f in itertools.chain(self.files, [{"path": "manifest.json"}]):
            path = str(f["path"])
            if path == "index.html" or path.endswith(".eml"):
                continue
            yield {"path": path, "what": _what(path, f, self.lang), "bytes": f.get("bytes")}


def _what(path: str, f: Mapping[str, Any], lang: str) -> str:
    cat = CATEGORIES.get(str(f.get("category") or ""))
    cat_label = (cat.nl if lang == "nl" else cat.en) if cat else ""
    if path == "manifest.json":
        return t(lang, "w_manifest")
    if path == "portability.json":
        return t(lang, "w_portability")
    ext = path.rsplit(".", 1)[-1]
    key = {"vcf": "w_vcf", "ics": "w_ics", "eml": "w_eml", "json": "w_json", "csv": "w_csv", "pdf": "w_pdf",
           "html": "w_page"}.get(ext, "w_attachment")
    if path.startswith("attachments/") and ext != "pdf":
        key = "w_attachment"
    proc = f.get("processor")
    bits = [t(lang, key)]
    if cat_label and ext not in ("vcf", "ics"):
        bits.append(cat_label.lower() if lang == "nl" else cat_label)
    if proc and ext in ("json", "csv"):
        bits.append(f"({proc})")
    return " ".join(bits)


@dataclass
class Census:
    """What one group holds, as the first screen and portability.json need it: its (connector, dataset) pairs in
    the order first seen, with their record counts, and the countries in its addresses."""

    datasets: dict[tuple[Any, Any], int] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)

    def see(self, category: str, record: Mapping[str, Any]) -> None:
        """Count one record of the group."""
        key = (record["source"].get("connector"), record["dataset"])
        self.datasets[key] = self.datasets.get(key, 0) + 1
        if category in ("contact", "addresses"):
            self.countries |= _countries(record["data"])


def _read_census(spool: Records) -> dict[tuple[str, str], Census]:
    """Every group's census, read from the records."""
    out = {}
    for c, p, _ in spool.groups():
        census = out[(c, p)] = Census()
        for r in spool.read(c, p):
            census.see(c, r)
    return out


def portability(manifest: Mapping[str, Any], readable: Readable, spool: Records,
                census: Mapping[tuple[str, str], Census] | None = None) -> bytes:
    """portability.json: the datasets that form the Art. 20 copy (provided by the subject or observed about
    their use; derived data is not part of it), with the files that hold them (``census``: the groups' census,
    when the caller has it)."""
    included: dict[tuple[str, str], dict[str, Any]] = {}
    excluded: dict[tuple[str, str], dict[str, Any]] = {}
    census = census if census is not None else _read_census(spool)
    for c, p, _ in spool.groups():
        for (connector, dataset), n in census[(c, p)].datasets.items():
            key = (str(connector), str(dataset))
            d = readable.dataset({"source": {"connector": connector}, "dataset": dataset})
            origin = str(d.origin) if d else None
            target = included if origin in (Origin.PROVIDED, Origin.OBSERVED) else excluded
            entry = target.setdefault(key, {"connector": key[0], "dataset": key[1], "category": c, "processor": p,
                                            "origin": origin, "records": 0, "file": f"data/{c}/{p}.json"})
            entry["records"] += n
    return (json.dumps({
        "request_id": manifest["request_id"],
        "basis": "GDPR Art. 20: personal data the subject provided, including data observed about their use of "
                 "the service; data derived by the controller or a processor is not part of it.",
        "datasets": sorted(included.values(), key=lambda e: (e["category"], e["connector"], e["dataset"])),
        "not_included": sorted(excluded.values(), key=lambda e: (e["category"], e["connector"], e["dataset"])),
    }, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _blocks(chunks: Iterable[str]) -> Iterator[bytes]:
    """A streamed template's many small chunks as UTF-8 blocks of about 64 KiB."""
    buffer: list[str] = []
    size = 0
    for chunk in chunks:
        buffer.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            size = 0
    yield "".join(buffer).encode("utf-8")


def _encoded(page: str) -> Iterator[bytes]:
    """One rendered page as UTF-8 (rendered whole: a page holds at most CARDS_PER_PAGE cards, and streaming the
    template's thousands of tiny chunks cost more than the page's size)."""
    yield page.encode("utf-8")


__all__ = ["Census", "Listed", "Pages", "Readable", "cards_for", "page_path", "portability"]
