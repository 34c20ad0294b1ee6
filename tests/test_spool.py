from pathlib import Path

from aggregator.connector import Attachment, Record
from aggregator.spool import Spool


def rec(connector: str, category: str, processor: str, n: int) -> Record:
    return Record(connector, processor, category, "thing", {"n": n}, endpoint="-")


def test_records_are_spooled_per_connector_and_merged_per_category_and_processor(tmp_path: Path):
    spool = Spool(tmp_path)
    spool.write(rec("b", "orders", "silvasoft", 1))
    spool.write(rec("a", "orders", "silvasoft", 2))
    spool.write(rec("a", "contact", "silvasoft", 3))
    spool.close()
    assert (tmp_path / "a" / "orders__silvasoft.jsonl").is_file() and (tmp_path / "b").is_dir()
    assert spool.groups() == [("contact", "silvasoft", 1), ("orders", "silvasoft", 2)]
    assert [r["data"]["n"] for r in spool.read("orders", "silvasoft")] == [2, 1]   # connector name order


def test_discard_forgets_one_connector_only(tmp_path: Path):
    spool = Spool(tmp_path)
    spool.write(rec("a", "orders", "silvasoft", 1))
    spool.write(rec("b", "orders", "silvasoft", 2))
    spool.attach("a", "silvasoft", Attachment("invoices", "f.pdf", b"%PDF"))
    spool.attach("b", "silvasoft", Attachment("invoices", "g.pdf", b"%PDF"))
    spool.discard("a")
    spool.close()
    assert spool.groups() == [("orders", "silvasoft", 1)]
    assert [r["data"]["n"] for r in spool.read("orders", "silvasoft")] == [2]
    assert [a[0] for a in spool.attachments] == ["b"] and not (tmp_path / "a").exists()
