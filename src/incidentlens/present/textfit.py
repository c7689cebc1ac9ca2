"""Text measured in the charts' font and wrapped to a width: plotly never wraps a title or an
annotation, so an image's lines are made here, wrapped to its canvas."""

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
    Cached: wrapping measures each growing line prefix, and the source line is the same in
    every image."""
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
