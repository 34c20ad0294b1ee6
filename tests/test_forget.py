"""What the formatters remember while writing a package never outlives it: the portal's worker writes many
customers' packages in one process, and a memo holding one customer's values must not serve the next."""

from __future__ import annotations

from aggregator import formats, i18n
from aggregator.render import cards
from tests.conftest import DEMO

_MEMOS = (i18n._parse_text, i18n._fmt_text_moment, i18n._amount, i18n._money, i18n._decimal_text,
          formats._parsed_header)


def test_free_text_is_never_remembered_only_date_shaped_text():
    i18n.forget()
    assert i18n.parse_moment("Jan Desmet, Kerkstraat 1, 9000 Gent") is None
    assert i18n.fmt_moment("Jan Desmet", "nl") is None
    assert i18n._parse_text.cache_info().currsize == 0 and i18n._fmt_text_moment.cache_info().currsize == 0
    assert i18n.fmt_moment("2024-03-01", "nl") == "1 maart 2024"
    assert i18n._fmt_text_moment.cache_info().currsize == 1


def test_a_written_package_leaves_nothing_remembered(run_export):
    pkg = run_export(DEMO, ["lightspeed", "office365"])
    assert pkg.result.status == "complete"
    assert [m.cache_info().currsize for m in _MEMOS] == [0] * len(_MEMOS)
    assert not cards._KEYS
