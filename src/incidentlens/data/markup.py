"""Markup that has no place in the dataset's text: the validator rejects it in every text cell
and display string, so data cannot carry a link, an image, HTML or a Streamlit directive into a
page, an export or a brief even where something renders it. (The pages also show data as plain
text; this is the second wall.)"""

from __future__ import annotations

import re

MARKUP: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\]\("), "a Markdown link or image ('](')"),
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE), "a Markdown link definition ('[x]: ...')"),
    (re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>|<[^\s<>@]+@[^\s<>]+>"), "an autolink ('<scheme:...>')"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!|<\?"), "an HTML tag or comment"),
    (re.compile(r":[A-Za-z][A-Za-z0-9-]*\[|:material/"), "a Streamlit directive or icon (':red[...]')"),
    (re.compile(r"\b(?:https?://|www\.)", re.IGNORECASE), "a web address (links belong in a url column)"),
)


def markup(text: str) -> str | None:
    """What markup `text` holds, in words, or None when it holds none."""
    for pattern, what in MARKUP:
        if pattern.search(text):
            return what
    return None
