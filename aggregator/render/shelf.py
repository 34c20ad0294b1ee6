"""A category's cards laid out for paging without holding them: every record is written once to an unnamed
scratch file and only its place and sort key stay in memory (a few bytes a record), so a page of cards is built
from the records it shows, however many a category has. Lines (an order's order lines) are found again by their
parent's link."""

from __future__ import annotations

import heapq
import json
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from aggregator.datasets import Dataset, Kind
from aggregator.i18n import fmt_moment, sort_key, t
from aggregator.render.cards import Card, card_moment, declared_card, generic_card

if TYPE_CHECKING:
    from aggregator.render import Readable

class Shelf:
    """The records of one category, section by section (a processor each), cards newest first per section."""

    def __init__(self, readable: Readable, directory: Path | None = None) -> None:
        self.readable = readable
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)     # 0600, gone when closed or on a crash
        self.sections: list[str] = []
        self._nests: list[dict[str, tuple[str, str, str]]] = []
        self._places = array("q")        # the records shown as cards, in page order: offsets in the scratch file
        self._section_of = array("H")    # ... and the section each belongs to
        self._lines: dict[tuple[int, str], array[int]] = {}   # (section, "parent dataset\0link") -> offsets

    def __enter__(self) -> Shelf:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._places)

    def add(self, section: str, records: Iterable[Mapping[str, Any]]) -> None:
        """Shelve one section's records: its cards sorted newest first (stable), its lines kept by parent."""
        self.add_entries(section, ((json.dumps(r, ensure_ascii=False), r) for r in records))

    def add_entries(self, section: str, entries: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """:meth:`add`, from (JSON text, record) pairs (a reader that has the text saves encoding it again)."""
        number = len(self.sections)
        self.sections.append(section)
        nests: dict[str, tuple[str, str, str]] = {}
        self._nests.append(nests)
        seen: set[str] = set()
        present: set[str] = set()        # "parent dataset\0link value" of every parent record
        parent_links: dict[str, str] = {}
        places, sorts = array("q"), array("d")
        # the lines until their parents are known: offsets, sort keys and "parent dataset\0link value" (one string
        # shared by the lines of one parent), a few bytes a line where a tuple each took a hundred and more
        line_places, line_sorts = array("q"), array("d")
        line_keys: list[str] = []
        shared: dict[str, str] = {}
        for text, record in entries:
            connector = str(record["source"].get("connector"))
            if connector not in seen:
                seen.add(connector)
                nests.update(children(self.readable.datasets.get(connector, ())))
                parent_links = {parent: link for parent, _, link in nests.values()}
            offset = self._file.tell()
            self._file.write(text.encode("utf-8") + b"\n")
            name = str(record["dataset"])
            link = parent_links.get(name)
            if link is not None:
                present.add(f"{name}\0{record['data'].get(link)}")
            moment = sort_key(card_moment(record, self.readable.dataset(record)))
            nest = nests.get(name)
            if nest is not None:
                key = f"{nest[0]}\0{record['data'].get(nest[1])}"
                line_keys.append(shared.setdefault(key, key))
                line_places.append(offset)
                line_sorts.append(moment)
            else:
                places.append(offset)
                sorts.append(moment)
        shared.clear()
        for offset, key, moment in zip(line_places, line_keys, line_sorts, strict=True):
            if key in present:
                found = self._lines.get((number, key))
                if found is None:
                    found = self._lines[(number, key)] = array("q")
                found.append(offset)
            else:                         # a line whose parent is not in the package is a card of its own
                places.append(offset)
                sorts.append(moment)
        if line_keys:                     # back in the order the records came (a stable sort keeps it)
            order = array("q", _stable_order(places, places.__getitem__))
            places = array("q", (places[i] for i in order))
            sorts = array("d", (sorts[i] for i in order))
        for i in _stable_order(sorts, lambda i: -sorts[i]):
            self._places.append(places[i])
            self._section_of.append(number)

    def cards(self, start: int, stop: int, lang: str) -> list[tuple[str, Card]]:
        """(section, card) for the cards in positions ``start`` to ``stop``."""
        out = []
        for i in range(start, min(stop, len(self._places))):
            number = self._section_of[i]
            out.append((self.sections[number], self._card(self._read(self._places[i]), number, lang)))
        return out

    def _read(self, offset: int) -> dict[str, Any]:
        self._file.seek(offset)
        record: dict[str, Any] = json.loads(self._file.readline())
        return record

    def _card(self, record: dict[str, Any], section: int, lang: str) -> Card:
        dataset = self.readable.dataset(record)
        if dataset is None:
            card = generic_card(record, lang)
        else:
            nests = self._nests[section]
            child = next((c for c, n in nests.items() if n[0] == dataset.name), None)
            connector = str(record["source"].get("connector"))
            child_set = next((d for d in self.readable.datasets.get(connector, ()) if d.name == child), None)
            link = nests[child] if child else None
            offsets = self._lines.get((section, f"{dataset.name}\0{record['data'].get(link[2])}")) if link else None
            lines = [self._read(o) for o in offsets or ()]
            card = declared_card(record, dataset, lang, lines, child_set, link[1] if link else None)
        src = record["source"]
        card.source = t(lang, "source_line", proc=src.get("processor"),
                        when=fmt_moment(src.get("retrieved_at"), lang) or src.get("retrieved_at"),
                        endpoint=(src.get("endpoint") or "").split("?", 1)[0])
        return card

    def close(self) -> None:
        """Drop the scratch file."""
        self._file.close()


_RUN = 4096


def _stable_order(values: Sequence[Any], key: Callable[[int], Any]) -> Iterator[int]:
    """The positions of ``values`` as ``sorted(range(len(values)), key=key)`` orders them (stable), holding 8 bytes
    a position instead of a list of int objects and their keys (about 70 bytes a record): runs of ``_RUN``
    positions are sorted, kept as arrays, then merged (``heapq.merge`` keeps the earlier run first on ties)."""
    runs = [array("q", sorted(range(lo, min(lo + _RUN, len(values))), key=key))
            for lo in range(0, len(values), _RUN)]
    return iter(runs[0]) if len(runs) == 1 else heapq.merge(*runs, key=key)


def children(datasets: Iterable[Dataset]) -> dict[str, tuple[str, str, str]]:
    """Line datasets nested in their parent's card: child name -> (parent name, child link, parent link), where
    the link is an identifier both declare with the same label (an order line's order number)."""
    listed = list(datasets)
    by_name = {d.name: d for d in listed}
    out = {}
    for d in listed:
        parent = by_name.get(d.name.removesuffix("_line")) if d.name.endswith("_line") else None
        if parent is None:
            continue
        for cpath, cf in d.fields.items():
            match = next((ppath for ppath, pf in parent.fields.items()
                          if cf.kind == pf.kind == Kind.IDENTIFIER and pf.en == cf.en), None)
            if match:
                out[d.name] = (parent.name, cpath, match)
                break
    return out
