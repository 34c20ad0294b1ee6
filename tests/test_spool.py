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


def test_attachment_names_are_made_safe_and_unique(tmp_path: Path):
    spool = Spool(tmp_path)
    first = spool.attach("a", "silvasoft", Attachment("invoices", "invoice 1.pdf", b"ONE"))
    second = spool.attach("b", "silvasoft", Attachment("invoices", "invoice_1.pdf", b"TWO"))
    third = spool.attach("a", "office365", Attachment("communications", "../../etc/passwd", b"X"))
    dots = [spool.attach("a", "office365", Attachment("communications", name, b"D")) for name in (".", "..")]
    assert (first, second) == ("attachments/silvasoft/invoice_1.pdf", "attachments/silvasoft/invoice_1-2.pdf")
    assert third == "attachments/office365/_.._etc_passwd"
    assert dots == ["attachments/office365/file", "attachments/office365/file-2"]
    assert [p.read_bytes() for (_, _, _, p) in spool.attachments] == [b"ONE", b"TWO", b"X", b"D", b"D"]


def test_a_spool_reopened_from_disk_has_its_records_and_attachments_and_can_discard_one_connector(tmp_path: Path):
    import stat

    first = Spool(tmp_path / "s")
    first.write(rec("a", "orders", "silvasoft", 1))
    first.write(rec("a", "orders", "silvasoft", 2))
    first.write(rec("b", "orders", "silvasoft", 3))
    first.attach("b", "silvasoft", Attachment("invoices", "f.pdf", b"PDF"))
    first.close()
    again = Spool(tmp_path / "s")
    assert again.groups() == [("orders", "silvasoft", 3)]
    assert [(c, p, cat, path.read_bytes()) for c, p, cat, path in again.attachments] == [
        ("b", "silvasoft", "invoices", b"PDF")]
    assert again.connectors() == ["a", "b"]
    again.discard("b")
    assert again.groups() == [("orders", "silvasoft", 2)] and again.attachments == []
    assert not (tmp_path / "s" / "b").exists()
    again.write(rec("b", "orders", "silvasoft", 4))
    again.close()
    assert [r["data"]["n"] for r in Spool(tmp_path / "s").read("orders", "silvasoft")] == [1, 2, 4]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "s").rglob("*")}
    assert set(modes.values()) == {0o700, 0o600} and modes["orders__silvasoft.jsonl"] == 0o600
