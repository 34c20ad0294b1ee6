"""One card's HTML, written in Python rather than by the category template: a page holds a hundred cards of some
thirty escaped values each, and Jinja's per-value escaping and chunking cost more than everything else on the page.
The markup is the one ``category.html.j2`` had for a card, character for character (the template now places the
cards a section holds; ``tests/test_render.py`` and the golden comparison of whole packages guard the output)."""

from __future__ import annotations

from collections.abc import Callable

from aggregator.render.cards import Card, Row

_FREE_TEXT = "free_text"


def escape(value: object) -> str:
    """``value`` as markupsafe's ``escape`` writes it into HTML (``&#34;`` and ``&#39;`` for quotes)."""
    text = str(value)
    return (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;")
            .replace('"', "&#34;"))


def _dt(r: Row) -> str:
    lang = f' lang="{escape(r.label_lang)}"' if r.label_lang else ""
    return f"<dt{lang}>{escape(r.label)}</dt>"


def card(c: Card, t: Callable[..., str]) -> str:
    """One ``<article class="card">`` with its trailing newline; ``t`` gives the page's words."""
    out = ['<article class="card">\n<header><h3>', escape(c.title), "</h3>"]
    if c.date:
        out += ["<time>", escape(c.date), "</time>"]
    out += ['</header>\n<div class="kind">', escape(c.kind_label)]
    if c.origin:
        out += [" · ", escape(t("origin_" + str(c.origin)))]
    out.append("</div>\n")
    if c.rows:
        out.append("<dl>")
        for r in c.rows:
            if r.kind != _FREE_TEXT or r.value:
                out += [_dt(r), "<dd>"]
                if r.items:
                    out += ["<details><summary>", str(len(r.items)), "</summary>",
                            ", ".join(escape(i) for i in r.items), "</details>"]
                else:
                    out.append(escape(r.value))
                out.append("</dd>")
        out.append("</dl>")
    if c.body:
        out += ['<div class="body">', escape(c.body), "</div>"]
    for lines in c.lines:
        out += ['<div class="scroll"><table><caption>', escape(lines.caption), "</caption><thead><tr>"]
        out += [f'<th scope="col">{escape(h)}</th>' for h in lines.headers]
        out.append("</tr></thead><tbody>")
        for row in lines.rows:
            out.append("<tr>")
            out += [f"<td>{escape(v)}</td>" for v in row]
            out.append("</tr>")
        out.append("</tbody></table></div>")
    for href, label in c.links:
        out += ['<p><a href="../', escape(href), '">', escape(label), "</a></p>"]
    if c.more:
        out += ['<details class="more"><summary>', escape(t("more")), "</summary><dl>"]
        for r in c.more:
            out += [_dt(r), "<dd>", escape(r.value), "</dd>"]
        out.append("</dl></details>")
    out += ['<details class="tech"><summary>', escape(t("tech")), "</summary>\n"]
    if c.tech:
        out.append("<dl>")
        for r in c.tech:
            out += [_dt(r), "<dd>", escape(r.value), "</dd>"]
        out.append("</dl>")
    out += ['<p class="src">', escape(c.source), "</p>\n</details>\n</article>\n"]
    return "".join(out)
