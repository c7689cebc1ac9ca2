"""What hostile text turns into when Streamlit renders it as Markdown: links, images, HTML,
emphasis, colour and icon directives, autolinked addresses, maths. A plain module for the tests
and the hostile run.

Hostile inputs carry a marker word (MARKER); `injected(source)` lists the kinds of markup that
wrap or carry it, so the app's own bold labels around it do not count. An empty list means the
hostile part shows literally. CommonMark (markdown-it-py, the parser family Streamlit's Markdown
follows) finds links, images, HTML and emphasis; Streamlit's own additions (GFM autolinks of bare
addresses, `:red[...]`, `:material/...:`, emoji shortcodes, `$maths$`) are found by pattern on the
unescaped source.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

MARKER = "evil"
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BARE = r"(?<!\\)"  # not escaped with a backslash
_M = rf"[^\n]*?{MARKER}"
HTML = {
    "link": re.compile(rf"<a [^>]*{MARKER}|<a [^>]*>[^<]*{MARKER}", re.IGNORECASE),
    "image": re.compile(r"<img", re.IGNORECASE),
    "raw HTML": re.compile(r"<(script|iframe|svg|style|span|div|b|i|u|font|object|embed)\b", re.IGNORECASE),
    "emphasis": re.compile(rf"<(strong|em|del|h[1-6])>[^<]*{MARKER}", re.IGNORECASE),
}
SOURCE = {
    "autolink": re.compile(_BARE + rf"\b(?:https?://|www\.)[^\s\\]*{MARKER}", re.IGNORECASE),
    "email autolink": re.compile(rf"@{MARKER}" + _BARE + r"\.[a-z]", re.IGNORECASE),
    "directive": re.compile(_BARE + r":[a-z-]+" + _BARE + rf"\[{_M}", re.IGNORECASE),
    "icon or emoji": re.compile(_BARE + rf":[a-z_/+-]*{MARKER}[a-z_/+-]*" + _BARE + r":", re.IGNORECASE),
    "maths": re.compile(_BARE + rf"\${_M}" + _BARE + r"\$"),
}


def injected(source: str) -> list[str]:
    """The kinds of markup that carry the marker in `source` (empty: it shows literally)."""
    html = _MD.render(source)
    found = [name for name, pattern in HTML.items() if pattern.search(html)]
    return found + [name for name, pattern in SOURCE.items() if pattern.search(source)]


def plotly_injected(text: str) -> list[str]:
    """Plotly renders a subset of HTML in titles, labels and hovers (<a href>, <b>, <br> …)."""
    return ["plotly HTML"] if re.search(rf"<[a-z][^>]*>[^<]*{MARKER}|<a\s[^>]*{MARKER}", text,
                                        re.IGNORECASE) else []
