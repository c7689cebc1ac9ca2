"""What hostile text turns into when Streamlit renders it as Markdown: links, images, HTML,
emphasis, colour and icon directives, autolinked addresses, maths. A plain module for the tests
and the hostile run.

Hostile inputs carry a marker word (MARKER); `injected(source)` lists the kinds of markup that
wrap or carry it, so the app's own bold labels around it do not count. An empty list means the
hostile part shows literally. CommonMark (markdown-it-py, the parser family Streamlit's Markdown
follows) finds links, images, HTML and emphasis; Streamlit's own additions (GFM autolinks of bare
addresses, `:red[...]`, `:material/...:`, emoji shortcodes, `$maths$`) are found by pattern on the
source (autolinks ignoring escapes: the browser run showed Streamlit links an escaped address).
"""

from __future__ import annotations

import json
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
    # The hostile text wraps the bare marker (**evil**, # evil); the app's own bold around
    # escaped text holds more than the marker.
    "emphasis": re.compile(rf"<(strong|em|del|code)>{MARKER}</|<h[1-6]>{MARKER}\b", re.IGNORECASE),
}
# Streamlit's GFM autolinks and material icons are found after escapes are resolved, so these
# are matched on the text with its backslashes removed.
AUTOLINKS = {
    "autolink": re.compile(rf"\b(?:https?://|www\.)[^\s]*{MARKER}", re.IGNORECASE),
    "email autolink": re.compile(rf"@{MARKER}\.[a-z]", re.IGNORECASE),
    "material icon": re.compile(r":material/[a-z_]+:", re.IGNORECASE),
}
SOURCE = {
    "directive": re.compile(_BARE + r":[a-z-]+" + _BARE + rf"\[{_M}", re.IGNORECASE),
    "icon or emoji": re.compile(_BARE + rf":[a-z_/+-]*{MARKER}[a-z_/+-]*" + _BARE + r":", re.IGNORECASE),
    "maths": re.compile(_BARE + rf"\${_M}" + _BARE + r"\$"),
}


def injected(source: str) -> list[str]:
    """The kinds of markup that carry the marker in `source` (empty: it shows literally)."""
    html = _MD.render(source)
    found = [name for name, pattern in HTML.items() if pattern.search(html)]
    found += [name for name, pattern in AUTOLINKS.items() if pattern.search(source.replace("\\", ""))]
    return found + [name for name, pattern in SOURCE.items() if pattern.search(source)]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in _strings(item)] if isinstance(value, list) else []


# Tags that would style or link the marker. Not <br>: it holds no text, and the app's own line
# breaks in wrapped chart titles come before escaped text (a hostile "<br>" arrives as "&lt;br&gt;").
PLOTLY = re.compile(
    rf"<a\s[^>]*{MARKER}|<a\s[^>]*>[^<]*{MARKER}|<(b|i|em|sup|sub|span)\b[^>]*>[^<]*{MARKER}", re.IGNORECASE
)


def plotly_injected(spec: str) -> list[str]:
    """Plotly renders a subset of HTML (<a href>, <b>, <br> ...) in titles, labels and hovers:
    the strings of a figure's JSON that carry the marker inside such a tag. The layout's `meta`
    (the title as written, for exports) is drawn only through a `%{meta}` template, so it is read
    only if some text uses one."""
    figure = json.loads(spec)
    if "%{meta" not in spec:
        figure.get("layout", {}).pop("meta", None)
    return [text for text in _strings(figure) if PLOTLY.search(text)]


def table_texts(df) -> list[str]:
    """The header and the text cells of a table element's frame."""
    cells = [v for v in df.to_numpy().ravel() if isinstance(v, str)]
    return [str(c) for c in df.columns] + cells


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


# Elements that show their text literally, and proto fields that are not shown as text. Not
# `table`: st.table renders Markdown in its cells (a browser showed a link and bold text there).
LITERAL = {"code", "text", "json", "dataframe", "arrow_data_frame", "exception"}
PLAIN_OPTIONS = {"selectbox", "multiselect"}  # their options show as plain text; radio and pills render Markdown
NOT_SHOWN = {
    "id",
    "form_id",
    "spec",
    "config",
    "value",
    "default",
    "raw_value",
    "page",
    "page_script_hash",
    "query_string",
    "url",
    "data",
    "element_id",
    "key",
    "theme",
    "selection_mode",
    "icon",
}


def _texts(message, skip: set[str], depth: int = 0):
    """Every string a protobuf message shows (labels, bodies, help, options ...), nested."""
    if depth > 3:
        return
    for descriptor, value in message.ListFields():
        if descriptor.name in skip:
            continue
        if descriptor.type == descriptor.TYPE_STRING:
            yield from (list(value) if descriptor.is_repeated else [value])
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            for item in value if descriptor.is_repeated else [value]:
                yield from _texts(item, skip, depth + 1)


def page_markup(at) -> list[tuple[str, str, list[str]]]:
    """(element type, text, markup kinds) for every string shown by an element of an AppTest page
    that would render the marker as markup; plotly figures are checked as plotly renders them."""
    found = []
    for root in (at.main, at.sidebar):
        for node in _nodes(root):
            proto = getattr(node, "proto", None)
            if proto is None or not hasattr(proto, "ListFields") or node.type in LITERAL:
                continue
            if node.type == "plotly_chart":
                found += [(node.type, text[:120], ["plotly HTML"]) for text in plotly_injected(proto.spec)]
                continue
            if node.type == "table":
                cells = table_texts(node.value)
                found += [(node.type, text[:120], kinds) for text in cells if (kinds := injected(text))]
                continue
            skip = NOT_SHOWN | ({"options"} if node.type in PLAIN_OPTIONS else set())
            for text in _texts(proto, skip):
                kinds = injected(text)
                if kinds:
                    found.append((node.type, text[:120], kinds))
    return found
