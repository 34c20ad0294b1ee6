"""Identical shop-wide reads answered once for the exports a service runs together (aggregator/service/reads.py)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

from aggregator import config as config_mod
from aggregator.api import export
from aggregator.sandbox import Sandbox
from aggregator.service.limits import SharedLimits
from aggregator.service.reads import (
    SharedReads,
    SharingAdapter,
    graph_listing,
    lightspeed_sweep,
    mailchimp_metadata,
    paypal_search,
)

SEARCH = "https://api-m.paypal.com/v1/reporting/transactions?start_date=2025-06-01T00%3A00%3A00Z&page=1"


class Counting(BaseAdapter):
    """An inner adapter answering ``status`` with a body naming how many requests it has had; ``go`` holds them."""

    def __init__(self, status: int = 200, hold: bool = False) -> None:
        super().__init__()
        self.status, self.sent, self.lock = status, [], threading.Lock()
        self.go = threading.Event()
        if not hold:
            self.go.set()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        with self.lock:
            self.sent.append(request.url)
            n = len(self.sent)
        self.go.wait(10)
        response = requests.Response()
        response.status_code = self.status
        response._content = f'{{"answer": {n}}}'.encode()
        response.headers["Content-Type"] = "application/json"
        response.headers["X-RateLimit-Remaining"] = "15/2990/11990"
        response.url, response.request = request.url or "", request
        return response

    def close(self) -> None:
        return None


def get(adapter: BaseAdapter, url: str, method: str = "GET") -> requests.Response:
    return adapter.send(requests.Request(method, url).prepare())


def test_the_same_shop_wide_read_in_flight_goes_out_once_and_each_export_gets_its_own_copy() -> None:
    inner = Counting(hold=True)
    adapter = SharingAdapter(inner, SharedReads(), "paypal", paypal_search)
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(get(adapter, SEARCH))) for _ in range(5)]
    for t in threads:
        t.start()
    inner.go.set()
    for t in threads:
        t.join(10)
    assert len(inner.sent) == 1
    assert [a.json() for a in answers] == [{"answer": 1}] * 5
    assert len({id(a) for a in answers}) == 5 and len({id(a.request) for a in answers}) == 5
    # only the answer that cost a request carries the vendor's count (an export paces itself on it)
    assert sum("X-RateLimit-Remaining" in a.headers for a in answers) == 1


def test_a_failed_answer_is_not_shared_and_writes_or_customer_lookups_are_never_shared() -> None:
    refused = Counting(status=429)
    adapter = SharingAdapter(refused, SharedReads(), "paypal", paypal_search)
    assert [get(adapter, SEARCH).status_code for _ in range(2)] == [429, 429]
    assert len(refused.sent) == 2                        # each asked for itself
    inner = Counting()
    adapter = SharingAdapter(inner, SharedReads(), "paypal", paypal_search)
    get(adapter, SEARCH, method="POST"), get(adapter, SEARCH, method="POST")
    get(adapter, SEARCH + "&transaction_id=ABC"), get(adapter, SEARCH + "&transaction_id=ABC")
    assert len(inner.sent) == 4


def test_answers_expire_and_the_store_is_bounded() -> None:
    now = [0.0]
    reads = SharedReads(ttl=60.0, max_bytes=40, clock=lambda: now[0])
    inner = Counting()
    adapter = SharingAdapter(inner, reads, "paypal", paypal_search)
    assert get(adapter, SEARCH).json() == get(adapter, SEARCH).json() == {"answer": 1}
    now[0] = 61.0
    assert get(adapter, SEARCH).json() == {"answer": 2}          # older than the TTL: asked again
    for page in range(2, 6):                                      # 13 bytes each, 40 in all
        get(adapter, SEARCH.replace("page=1", f"page={page}"))
    assert reads.bytes <= 40 and len(reads) == 3
    assert get(adapter, SEARCH).json() == {"answer": 7}          # the oldest was dropped first


def test_only_reads_that_name_no_customer_are_shop_wide() -> None:
    assert graph_listing("/v1.0/users/info@x.eu/contactFolders", {"$top": "50"})
    assert graph_listing("/v1.0/groups/816f/threads", {"$select": "id"})
    assert not graph_listing("/v1.0/users/info@x.eu/messages", {"$search": '"participants:jan@x.be"'})
    assert not graph_listing("/v1.0/users/info@x.eu/contacts", {"$filter": "emailAddresses/any(a:a/address eq 'j')"})
    assert not graph_listing("/v1.0/users/info@x.eu/messages/AAM/attachments/AAQ/$value", {})
    assert not graph_listing("/v1.0/users/info@x.eu/messages/AAM", {})                 # a look-up of one item
    assert not graph_listing("/v1.0/users/jan.desmet@example.be", {"$select": "mail"})   # a user, by address
    assert graph_listing("/v1.0/users/info@x.eu/mailFolders/recoverableitemsdeletions/messages", {"$top": "50"})
    assert lightspeed_sweep("/nl/contacts.json", {"page": "1", "limit": "250"})
    assert not lightspeed_sweep("/nl/orders.json", {"customer": "1", "page": "1"})
    assert not lightspeed_sweep("/nl/contacts.json", {"email": "jan@x.be"})
    assert mailchimp_metadata("/3.0/ecommerce/stores", {"count": "1000"})
    assert mailchimp_metadata("/3.0/lists/4f6b/interest-categories/b7e2/interests", {})
    assert not mailchimp_metadata("/3.0/lists/4f6b/members/0123456789abcdef0123456789abcdef/activity-feed", {})
    assert not mailchimp_metadata("/3.0/ecommerce/stores/eu/customers", {"email_address": "jan@x.be"})
    assert not mailchimp_metadata("/3.0/search-members", {"query": "jan@x.be"})
    assert not paypal_search("/v1/reporting/transactions", {"transaction_id": "5O190127TN364715T"})


def _exports(sandbox: Sandbox, tmp_path: Path, emails: list[str], limits: SharedLimits | None,
             https: bool = False) -> list[Any]:
    """The exports of ``emails`` started together, through ``limits``' adapters when given (``https``: over the HTTPS
    sandbox, as a service would reach the vendors, else answered in this process)."""
    cfg = config_mod.from_mapping(sandbox.config_mapping(), env={}, source="<test>")
    results: list[Any] = [None] * len(emails)
    tmp_path.mkdir(parents=True)

    def one(i: int) -> None:
        base = None if https else sandbox.adapters()
        adapters = limits.adapters(base) if limits else base
        results[i] = export(emails[i], config=cfg, out_dir=tmp_path / f"out{i}", entry_points=False,
                            adapters=adapters, request_id=f"test-{i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(emails))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def test_concurrent_exports_share_paypals_window_scans_and_find_the_same(sandbox: Sandbox, tmp_path: Path) -> None:
    emails = ["sofie.claes@example.com", "eva.wouters1@example.net", "koen.jacobs2@example.net"]
    alone = _exports(sandbox, tmp_path / "alone", emails, None)
    asked_alone = len(sandbox.requests_to("paypal", "/v1/reporting/transactions"))
    sandbox.clear()
    limits = SharedLimits(config_mod.from_mapping(sandbox.config_mapping(), env={}, source="<test>"),
                          window=(300, 300.0), per_second=0.0)
    shared = _exports(sandbox, tmp_path / "shared", emails, limits)
    searches = [x for x in sandbox.requests_to("paypal", "/v1/reporting/transactions") if x.status == 200]
    repeated = Counter((x.path, x.query) for x in searches if "transaction_id" not in x.query)
    assert repeated and max(repeated.values()) == 1               # every window scanned once for the three
    assert len(searches) < asked_alone
    assert limits.reads is not None and limits.reads.shared > 0
    for a, b in zip(alone, shared, strict=True):
        assert b.status == a.status == "complete"
        assert b.connectors["paypal"].records == a.connectors["paypal"].records
        assert b.connectors["office365"].records == a.connectors["office365"].records


def test_over_https_a_kept_answer_is_read_whole_and_handed_on(sandbox: Sandbox, tmp_path: Path) -> None:
    emails = ["sofie.claes@example.com", "koen.jacobs2@example.net"]
    limits = SharedLimits(config_mod.from_mapping(sandbox.config_mapping(), env={}, source="<test>"),
                          window=(300, 300.0), per_second=0.0)
    results = _exports(sandbox, tmp_path / "out", emails, limits, https=True)
    searches = [x for x in sandbox.requests_to("paypal", "/v1/reporting/transactions") if x.status == 200]
    assert searches and max(Counter((x.path, x.query) for x in searches).values()) == 1
    assert limits.reads is not None and limits.reads.shared > 0
    assert [r.status for r in results] == ["complete", "complete"]
