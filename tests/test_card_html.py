"""A card's HTML (aggregator/render/card_html.py) is the markup the category template wrote for it, character for
character, escaping included: checked against that template text, rendered by Jinja with the pages' settings."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import escape

from aggregator.i18n import t
from aggregator.render import card_html
from aggregator.render.cards import Card, Lines, Row

# the card loop of category.html.j2 before the cards were written in Python
CARD_TEMPLATE = """{% for c in cards %}
<article class="card">
<header><h3>{{ c.title }}</h3>{% if c.date %}<time>{{ c.date }}</time>{% endif %}</header>
<div class="kind">{{ c.kind_label }}{% if c.origin %} · {{ t("origin_" ~ c.origin) }}{% endif %}</div>
{% if c.rows %}<dl>{% for r in c.rows %}{% if r.kind != "free_text" or r.value %}<dt{% if r.label_lang %} lang="{{ r.label_lang }}"{% endif %}>{{ r.label }}</dt><dd>{% if r.items %}<details><summary>{{ r.items|length }}</summary>{{ r.items | join(", ") }}</details>{% else %}{{ r.value }}{% endif %}</dd>{% endif %}{% endfor %}</dl>{% endif %}
{% if c.body %}<div class="body">{{ c.body }}</div>{% endif %}
{% for l in c.lines %}<div class="scroll"><table><caption>{{ l.caption }}</caption><thead><tr>{% for h in l.headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead><tbody>{% for row in l.rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table></div>{% endfor %}
{% for href, label in c.links %}<p><a href="../{{ href }}">{{ label }}</a></p>{% endfor %}
{% if c.more %}<details class="more"><summary>{{ t("more") }}</summary><dl>{% for r in c.more %}<dt{% if r.label_lang %} lang="{{ r.label_lang }}"{% endif %}>{{ r.label }}</dt><dd>{{ r.value }}</dd>{% endfor %}</dl></details>{% endif %}
<details class="tech"><summary>{{ t("tech") }}</summary>
{% if c.tech %}<dl>{% for r in c.tech %}<dt{% if r.label_lang %} lang="{{ r.label_lang }}"{% endif %}>{{ r.label }}</dt><dd>{{ r.value }}</dd>{% endfor %}</dl>{% endif %}
<p class="src">{{ c.source }}</p>
</details>
</article>
{% endfor %}
"""  # noqa: E501

HOSTILE = "<script>alert(\"x\")</script> & 'quoted' Café — €"


def _cards() -> list[Card]:
    full = Card(title=f"Bestelling {HOSTILE}", date="6 augustus 2026, 07:05", sort=1.0,
                rows=[Row("Status", "Verzonden"), Row(f"Label {HOSTILE}", HOSTILE, label_lang="en"),
                      Row("Lijst", "", items=[f"item {i} {HOSTILE}" for i in range(10)]),
                      Row("Opmerking", "", kind="free_text"), Row("Leeg vrij", "", kind="free_text")],
                tech=[Row("Id", "123 & <4>", label_lang="en")], body=f"Lijn 1\nLijn 2 {HOSTILE}",
                more=[Row("Vlag", "ja"), Row(f"Meer {HOSTILE}", HOSTILE, label_lang="en")],
                lines=[Lines("Regels", ["Product", f"Prijs {HOSTILE}"], [["KP-2", "€ 119,00"], [HOSTILE, ""]])],
                links=[("attachments/x/factuur \"1\".pdf", f"Download {HOSTILE}")], kind_label=f"Soort {HOSTILE}",
                origin="provided", source=f"Opgehaald bij {HOSTILE}", codes=[("Status", "1", "Open")])
    bare = Card(title="", date=None, sort=0.0, rows=[], tech=[], kind_label="", origin=None, source="")
    return [full, bare]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_card_is_written_as_the_template_wrote_it(lang: str) -> None:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)

    def tr(key: str, **values: object) -> str:
        return t(lang, key, **values)

    cards = _cards()
    expected = env.from_string(CARD_TEMPLATE).render(cards=cards, t=tr)
    written = "".join(card_html.card(c, tr) for c in cards)
    assert written == expected
    assert "<script>" not in written and "&lt;script&gt;" in written and "&#34;" in written and "&#39;" in written


def test_escape_matches_markupsafe() -> None:
    for text in (HOSTILE, "", "plain", "&amp; already", "a\"b'c<d>e&f", 12, 3.5):
        assert card_html.escape(text) == str(escape(text))
