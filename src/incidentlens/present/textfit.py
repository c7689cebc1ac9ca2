"""Text measured in the charts' font and wrapped to a width: plotly never wraps a title, so the
lines are made here, for images (wrapped to the canvas) and for the page (wrapped to a width a
laptop screen shows whole)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/liberation")


@lru_cache(maxsize=16)
def _font(size: int, bold: bool):
    from PIL import ImageFont

    path = FONT_DIR / f"LiberationSans-{'Bold' if bold else 'Regular'}.ttf"
    return ImageFont.truetype(str(path), size) if path.exists() else None


@lru_cache(maxsize=8192)
def text_width(text: str, size: int, bold: bool = False) -> float:
    """Width in pixels of `text` in Liberation Sans (what chromium draws the images with, and
    metric-compatible with Arial); where that font is missing, a generous 0.6 em per character.
    Cached: balancing a title measures the same line prefixes at each trial width (2.0 ms a title
    uncached, on every new filter)."""
    font = _font(size, bold)
    return font.getlength(text) if font is not None else 0.6 * size * len(text)


def wrap(text: str, size: int, width: float, bold: bool = False) -> list[str]:
    """Lines of `text` no wider than `width` pixels at font `size`; a word too long for a line
    (a long link) is broken after a '/', '&', '?' or ',' where possible."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if text_width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while text_width(word, size, bold) > width:
            head, word = _break(word, size, width, bold)
            lines.append(head)
        line = word
    if line or not lines:
        lines.append(line)
    return lines


def _break(word: str, size: int, width: float, bold: bool) -> tuple[str, str]:
    """The longest head of `word` that fits, shortened to end at a break character if one is in
    its second half."""
    fits = 1
    while fits < len(word) and text_width(word[: fits + 1], size, bold) <= width:
        fits += 1
    cut = max((i + 1 for i, ch in enumerate(word[:fits]) if ch in "/&?,"), default=0)
    if cut <= fits // 2:
        cut = fits
    return word[:cut], word[cut:]


def balanced(text: str, size: int, width: float, bold: bool = False) -> list[str]:
    """As `wrap`, in as few lines, but with lines of even length: a title that needs two lines
    should not leave one word on the second ("… MSPs and IT" / "providers")."""
    lines = wrap(text, size, width, bold)
    if len(lines) < 2:
        return lines
    lo, hi = width / len(lines), width
    while hi - lo > 2:  # the narrowest width that keeps the number of lines, to 2 px
        mid = (lo + hi) / 2
        if len(wrap(text, size, mid, bold)) == len(lines):
            hi = mid
        else:
            lo = mid
    return wrap(text, size, hi, bold)
