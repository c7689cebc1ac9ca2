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


# The dataset's CHANGELOG.md is Markdown and cites its sources, so links to web pages stay; what
# could fetch something, run something or change how the page looks does not.
CHANGELOG: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\["), "a Markdown image"),
    (re.compile(r"\]\((?!\s*<?https?://)"), "a link to something other than a web page"),
    (
        re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?(?!https?://)", re.MULTILINE),
        "a link definition to something other than a web page",
    ),
    (
        re.compile(r"<(?!https?://)[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>|<[^\s<>@]+@[^\s<>]+>"),
        "an autolink to something other than a web page",
    ),
    MARKUP[3],
    MARKUP[4],
)


def markup(text: str) -> str | None:
    """What markup `text` holds, in words, or None when it holds none."""
    return _first(MARKUP, text)


def changelog_markup(text: str) -> str | None:
    """What a line of the dataset's CHANGELOG.md holds that the page must not render, or None."""
    return _first(CHANGELOG, text)


def _first(patterns: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    for pattern, what in patterns:
        if pattern.search(text):
            return what
    return None
