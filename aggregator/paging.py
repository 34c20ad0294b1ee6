"""What every paging loop shares: a guard that ends a loop the vendor does not let advance.

A vendor bug (or a proxy, or a fault) can answer the same page again and again, or never send the last page.
Each connector pages in its vendor's own way (page numbers, count/offset, next links, windows); all of them
pass each page's fingerprint (its item ids, its items, or its next link) to one :class:`PageGuard`, so a loop
that does not advance ends the connector with a one-line reason instead of running until the run is killed.
"""

from __future__ import annotations

import hashlib
import json

from aggregator.errors import VendorError


class PageGuard:
    """Call :meth:`check` once per page; it raises when a page repeats an earlier one or there are too many."""

    def __init__(self, vendor: str, where: str, max_pages: int, hint: str = "") -> None:
        self.vendor = vendor
        self.where = where
        self.max_pages = max_pages
        self.hint = hint
        self.pages = 0
        self._seen: set[bytes] = set()

    def check(self, fingerprint: object) -> None:
        self.pages += 1
        if self.pages > self.max_pages:
            raise VendorError(f"{self.vendor}: paging did not end at {self.where} after {self.max_pages} pages; "
                              f"stopped{f' ({self.hint})' if self.hint else ''}")
        key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode("utf-8")).digest()
        if key in self._seen:
            raise VendorError(f"{self.vendor}: paging did not advance at {self.where} "
                              f"(page {self.pages} repeats an earlier page)")
        self._seen.add(key)
