"""Silvasoft requests and wall time of a first and a second export, with and without the invoice index, on a
generated administration: 3,000 invoices over three years, the subject's spread over those years.

    .venv/bin/python benchmarks/bench_silvasoft_index.py [--invoices 3000] [--plans 15,1200]

The data is generated in memory into the sandbox's Silvasoft app (nothing is written to fixtures/). Time is a
fake clock: the plan's hourly waits are counted, not slept, so "wall" is the time the export would take against
Silvasoft (waits + the 2 requests/s pacing + our own time), and "real" what this run took.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aggregator import config as config_mod
from aggregator.api import export
from aggregator.sandbox import Sandbox

TODAY = date(2026, 11, 26)
SUBJECT = "pieter.verbeke@example.be"
LATER = "lotte.maes@example.be"       # another customer, whose relation is younger than the index


class FakeClock:
    """A ``sleep`` that only adds up what it was asked to wait."""

    def __init__(self) -> None:
        self.slept = 0.0
        self.long_waits = 0

    def __call__(self, seconds: float) -> None:
        self.slept += seconds
        self.long_waits += seconds > 60


def administration(invoices: int, seed: int = 3000) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    """Relations, invoice headers (with one line each) and orders, shaped like Silvasoft's answers."""
    rng = random.Random(seed)
    start = TODAY - timedelta(days=3 * 365)
    relations = []
    for n in range(300):
        email = SUBJECT if n == 0 else LATER if n == 1 else f"klant{n}@example.be"
        created = start - timedelta(days=5) if n == 0 else TODAY - timedelta(days=200) if n == 1 else \
            start + timedelta(days=rng.randrange(0, 3 * 365))
        relations.append({"RelationGUID": 9_000_000 + n, "RelationType": "Private", "Name": f"Klant {n}",
                          "IsCustomer": True, "IsSupplier": False, "IsOther": False, "CustomerNumber": 5000 + n,
                          "SupplierNumber": None, "Email": email, "Phone": "", "RegistrationNumber": "",
                          "TaxIdentificationNumber": "", "createdOn": f"{created.isoformat()}T09:00:00.000Z",
                          "Relation_Contact": []})
    subject_days = {int(i * invoices / 12) + 7 for i in range(12)}   # twelve, spread over the three years
    later_days = {invoices - 40, invoices - 5}
    items = []
    for i in range(invoices):
        day = start + timedelta(days=i * 3 * 365 // invoices)
        customer = 5000 if i in subject_days else 5001 if i in later_days else 5002 + rng.randrange(298)
        items.append({"InvoiceNumber": int(f"{day.year}{i:05d}"), "InvoiceDate": day.strftime("%d-%m-%Y"),
                      "CustomerNumber": customer, "CustomerName": f"Klant {customer - 5000}",
                      "InvoiceTotalInclTax": 121.0, "InvoiceTotalExclTax": 100.0, "TotalTax": 21.0,
                      "Invoice_InvoiceLine": [{"ProductNumber": "MS-PIR-01", "Description": "PIR", "Quantity": 1,
                                               "UnitPriceExclTax": 100.0, "TaxPc": 21, "SubTotalInclTax": 121.0}]})
    orders = []
    for i in range(invoices // 10):
        day = start + timedelta(days=i * 3 * 365 // (invoices // 10))
        orders.append({"OrderNumber": 700000 + i, "OrderDate": day.strftime("%d-%m-%Y"),
                       "CustomerNumber": 5002 + rng.randrange(298), "OrderStatus": "Open", "Order_Orderline": []})
    items.sort(key=lambda x: x["InvoiceNumber"], reverse=True)
    orders.sort(key=lambda o: (o["OrderDate"][6:], o["OrderDate"][3:5], o["OrderDate"][:2]), reverse=True)
    return relations, items, orders


def run(sb: Sandbox, email: str, plan: int, out: Path, register: Path | None) -> tuple[str, int, int, float, float]:
    """One export: status, Silvasoft requests, hourly waits, fake wall seconds, real seconds."""
    mapping = sb.config_mapping(["silvasoft"])
    mapping["connectors"]["silvasoft"]["requests_per_hour"] = plan
    clock = FakeClock()
    t0 = time.perf_counter()
    result = export(email, config=config_mod.from_mapping(mapping, env={}), out_dir=out, sleep=clock,
                    adapters=sb.adapters(), register=register, entry_points=False)
    real = time.perf_counter() - t0
    o = result.connectors["silvasoft"]
    return str(o.status), o.calls, clock.long_waits, clock.slept + real, real


def _hm(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{seconds:.0f} s"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--invoices", type=int, default=3000)
    p.add_argument("--plans", default="15,1200")
    args = p.parse_args()
    relations, invoices, orders = administration(args.invoices)
    print(f"{args.invoices} invoices over three years, {len(orders)} sales orders, {len(relations)} relations; "
          f"the subject has 12 invoices spread over the three years")
    print(f"{'plan':>6}  {'register':<9} {'export':<28} {'status':<10} {'requests':>8} {'waits':>5} "
          f"{'wall (fake clock)':>17} {'real':>7}")
    with Sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        app: Any = sb.apps["silvasoft"]
        app.relations, app.invoices, app.orders = relations, invoices, orders
        for plan in (int(x) for x in args.plans.split(",")):
            for label, register in (("none", None), ("index", Path(tmp) / f"reg-{plan}" / "register.sqlite3")):
                runs = [("first, the subject", SUBJECT), ("second, the subject again", SUBJECT),
                        ("third, another customer", LATER)]
                for what, email in runs if register else runs[:1]:
                    status, calls, waits, wall, real = run(sb, email, plan, Path(tmp) / "out", register)
                    print(f"{plan:>5}/h  {label:<9} {what:<28} {status:<10} {calls:>8} {waits:>5} "
                          f"{_hm(wall):>17} {real:>6.1f}s")


if __name__ == "__main__":
    main()
