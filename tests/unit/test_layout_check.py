"""The label-overlap check itself: tilted labels side by side are apart, though their upright
boxes overlap; labels on top of each other are caught, tilted or not."""

from __future__ import annotations

import math

from layout_check import TextBox, text_problems


def tilted(text: str, cx: float, cy: float, angle: float = 30, w: float = 40, h: float = 14) -> TextBox:
    """A label of w x h turned by `angle` about its centre, with its upright box on screen."""
    t = math.radians(angle)
    half_w = (w * abs(math.cos(t)) + h * abs(math.sin(t))) / 2
    half_h = (w * abs(math.sin(t)) + h * abs(math.cos(t))) / 2
    return TextBox(text, "xtick", cx - half_w, cy - half_h, cx + half_w, cy + half_h, angle, w, h)


def test_tilted_labels_side_by_side_are_apart_though_their_upright_boxes_overlap():
    a, b = tilted("2013", 100, 50), tilted("2014", 130, 50)
    assert a.x1 > b.x0  # the upright boxes overlap
    assert text_problems(400, 100, [a, b]) == []
    upright = [TextBox(x.text, x.cls, x.x0, x.y0, x.x1, x.y1) for x in (a, b)]
    assert text_problems(400, 100, upright)


def test_tilted_labels_on_top_of_each_other_are_caught():
    assert text_problems(400, 100, [tilted("2013", 100, 50), tilted("2014", 105, 52)])
