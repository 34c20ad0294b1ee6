"""index.html: the overview first (processors × categories, Art. 15 information), then the data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jinja2

from aggregator.categories import CATEGORIES
from aggregator.processors import Processor
from aggregator.spool import Spool

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("aggregator", "templates"),
    autoescape=True,          # every value from a vendor is HTML-escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_index(manifest: Mapping[str, Any], processors: Mapping[str, Processor], spool: Spool) -> Iterator[bytes]:
    """index.html, rendered from the manifest and the spooled records, as UTF-8 chunks."""
    found = {p["key"]: p["categories"] for p in manifest["processors"]}
    used = [slug for slug in CATEGORIES if any(slug in cats for cats in found.values())]
    sections = [
        (CATEGORIES[slug], [(processors[proc], spool.read(cat, proc)) for cat, proc, _ in spool.groups()
                            if cat == slug])
        for slug in used
    ]
    template = _ENV.get_template("index.html.j2")
    for chunk in template.generate(m=manifest, processors=processors, found=found, used=used,
                                   categories=CATEGORIES, sections=sections):
        yield chunk.encode("utf-8")
