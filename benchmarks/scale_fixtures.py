"""Writes the sandbox fixtures at a scale factor into a directory, for the scale benchmark (issue 21).

    .venv/bin/python benchmarks/scale_fixtures.py 10 /tmp/fixtures-x10

Scale 1 is the shipped demo fixtures as they are. Scale ``k`` repeats every vendor's *transactional* records
``k`` times (the people, customers, audiences, members, relations and mailboxes stay as they are): Lightspeed
orders, shipments, invoices, tickets, reviews, returns and quotes (with their sub-resources), Mailchimp member
activity, PayPal transactions, Silvasoft sales invoices and orders, Office 365 messages and events. Each copy gets
new ids, consistently: an id of a copied record is rewritten wherever it appears in that vendor's copies (a
shipment's order link, the key of an order's product lines), so a copy is a new record that links like the
original. The demo customer thereby has ``k`` times the orders, activity, payments, invoices and e-mail, among
``k`` times the other customers' records.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parents[1] / "fixtures"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{5,}")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# Lightspeed: (list file, its plural key, the file of sub-resources keyed by the parent's id or None)
LIGHTSPEED = [("orders", "orders", "order_products"), ("shipments", "shipments", "shipment_products"),
              ("invoices", "invoices", "invoice_items"), ("tickets", "tickets", "ticket_messages"),
              ("quotes", "quotes", "quote_products"), ("reviews", "reviews", None), ("returns", "returns", None)]


def new_id(old: Any, copy: int) -> Any:
    """The id of copy ``copy`` (1-based beyond the original) of a record whose id is ``old``: same type, unique."""
    if isinstance(old, int):
        return int(f"{copy}{old}")
    text = str(old)
    digest = hashlib.sha256(f"{copy}:{text}".encode()).digest()
    if text.isdigit():
        return f"{copy}{text}"
    if len(text) > 24:          # Graph ids: keep the prefix, vary the tail
        tail = hashlib.sha256(f"{copy}:{text}".encode()).hexdigest()[:16]
        return text[:-16] + tail
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[: len(text)])


def _rewrite(obj: Any, mapping: dict[str, Any]) -> Any:
    """``obj`` with every id token in ``mapping`` replaced (as a JSON value and inside strings such as links)."""
    text = json.dumps(obj, ensure_ascii=False)

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        return str(mapping.get(token, token))

    return json.loads(_TOKEN.sub(sub, text))


def _copies(items: list[dict[str, Any]], key: str, k: int) -> list[dict[str, Any]]:
    out = list(items)
    for copy in range(1, k):
        mapping = {str(it[key]): new_id(it[key], copy) for it in items}
        out.extend(_rewrite(it, mapping) for it in items)
    return out


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


def scale_lightspeed(root: Path, k: int) -> None:
    """Orders, shipments, invoices, tickets, quotes, reviews and returns ``k`` times, with their sub-resources."""
    lists = {name: _load(root / f"{name}.json")[key] for name, key, _ in LIGHTSPEED}
    subs = {sub: _load(root / f"{sub}.json") for _, _, sub in LIGHTSPEED if sub}
    originals = {name: list(items) for name, items in lists.items()}
    ids = {str(it["id"]): it["id"] for items in originals.values() for it in items}
    ids.update({str(line["id"]): line["id"] for sub in subs.values() for lines in sub.values()
                for line in lines if isinstance(line, dict) and "id" in line})
    # the numbers too (an order's "ORD10001", which its lines, shipments and events carry): a copy that kept its
    # original's number would share that original's lines (each order card nesting k times the lines)
    ids.update({str(it["number"]): it["number"] for items in originals.values() for it in items
                if isinstance(it.get("number"), str) and it["number"]})
    parents = {sub: dict(items) for sub, items in subs.items()}
    for copy in range(1, k):
        mapping = {token: new_id(value, copy) for token, value in ids.items()}
        for name, _, sub in LIGHTSPEED:
            lists[name].extend(_rewrite(it, mapping) for it in originals[name])
            if sub:
                for parent, lines in parents[sub].items():
                    if parent in mapping:
                        subs[sub][str(mapping[parent])] = _rewrite(lines, mapping)
    for name, key, sub in LIGHTSPEED:
        _dump(root / f"{name}.json", {key: lists[name]})
        if sub:
            _dump(root / f"{sub}.json", subs[sub])


def scale_mailchimp(root: Path, k: int) -> None:
    """Every member's activity feed ``k`` times (the same campaigns, as more of them would show)."""
    for path in sorted((root / "lists").glob("*.json")):
        data = _load(path)
        for member in data.get("member_data", {}).values():
            if isinstance(member, dict) and isinstance(member.get("activity"), list):
                member["activity"] = member["activity"] * k
        _dump(path, data)


def scale_paypal(root: Path, k: int) -> None:
    """Every transaction ``k`` times, each copy with its own transaction id."""
    data = _load(root / "transactions.json")
    details = data["transaction_details"]
    out = list(details)
    for copy in range(1, k):
        for it in details:
            info = it["transaction_info"]
            mapping = {info["transaction_id"]: new_id(info["transaction_id"], copy)}
            out.append(_rewrite(it, mapping))
    data["transaction_details"] = out
    _dump(root / "transactions.json", data)


def scale_silvasoft(root: Path, k: int) -> None:
    """Sales invoices and orders ``k`` times, each copy with its own number."""
    _dump(root / "salesinvoices.json", _copies(_load(root / "salesinvoices.json"), "InvoiceNumber", k))
    _dump(root / "orders.json", _copies(_load(root / "orders.json"), "OrderNumber", k))


def scale_office365(root: Path, k: int) -> None:
    """Every mailbox's messages and events ``k`` times, each copy with its own id."""
    for path in sorted(root.glob("mailbox-*.json")):
        box = _load(path)
        for key in ("messages", "events"):
            box[key] = _copies(box.get(key, []), "id", k)
        _dump(path, box)


def write(k: int, target: Path, source: Path = SHIPPED) -> Path:
    """Copy the shipped fixtures to ``target`` and scale them by ``k``; returns ``target``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("generate.py", "__pycache__"))
    if k > 1:
        scale_lightspeed(target / "lightspeed", k)
        scale_mailchimp(target / "mailchimp", k)
        scale_paypal(target / "paypal", k)
        scale_silvasoft(target / "silvasoft", k)
        scale_office365(target / "office365", k)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        print("usage: scale_fixtures.py K TARGET_DIR", file=sys.stderr)
        raise SystemExit(2)
    write(int(sys.argv[1]), Path(sys.argv[2]))
