"""Checks that an image shows every label whole: the text of an SVG measured by chromium (each
<text> element's box, rotations included), and ink at the edges of a PNG or a PDF page.

A plain module (like paths.py) so that the image tests and scripts/look.py share it.
"""

from __future__ import annotations

import io
import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

# A rotated label's angle and its unrotated size: tilted year labels side by side have boxes that
# overlap on screen while their letters stay apart.
TURN = """t => { const m = t.getCTM(), b = t.getBBox(), scale = Math.hypot(m.a, m.b);
  return {angle: Math.round(Math.atan2(m.b, m.a) * 180 / Math.PI), w: b.width * scale, h: b.height * scale}; }"""

TEXT_BOXES = """() => {
  const TURN = TURN_JS;
  const svg = document.querySelector('svg');
  const boxes = [];
  for (const t of svg.querySelectorAll('text')) {
    const text = t.textContent.trim();
    const style = getComputedStyle(t);
    if (!text || style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const r = t.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    boxes.push({text, cls: t.getAttribute('class') || '', x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
                ...TURN(t)});
  }
  const markers = [];
  for (const m of svg.querySelectorAll('.scatterlayer .points path.point')) {
    const r = m.getBoundingClientRect();
    if (r.width > 0 && r.height > 0)
      markers.push({text: '', cls: 'marker', x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
  }
  return {width: svg.width.baseVal.value, height: svg.height.baseVal.value, boxes, markers};
}""".replace("TURN_JS", TURN)


@dataclass(frozen=True)
class TextBox:
    text: str
    cls: str
    x0: float
    y0: float
    x1: float
    y1: float
    angle: float = 0  # degrees, for a rotated label, with its unrotated width and height
    w: float = 0
    h: float = 0


def text_boxes(page, svg: str) -> tuple[float, float, list[TextBox]]:
    """Load the SVG alone in a Playwright page and measure every visible text element and every
    scatter marker (markers come last, with an empty text)."""
    page.set_content(f"<html><body style='margin:0'>{svg}</body></html>")
    page.evaluate("document.fonts.ready")
    found = page.evaluate(TEXT_BOXES)
    return found["width"], found["height"], [TextBox(**b) for b in found["boxes"] + found["markers"]]


def text_problems(width: float, height: float, boxes: list[TextBox], tolerance: float = 1.5) -> list[str]:
    """Every text box that leaves the canvas, and every pair of boxes (text or marker) that overlap
    by more than `tolerance` pixels both ways (font boxes of neighbouring lines may touch); markers
    may overlap each other."""
    out = [
        f"outside the {width:.0f}x{height:.0f} canvas: {b.text!r} at ({b.x0:.0f},{b.y0:.0f})-({b.x1:.0f},{b.y1:.0f})"
        for b in boxes
        if b.x0 < -0.5 or b.y0 < -0.5 or b.x1 > width + 0.5 or b.y1 > height + 0.5
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.cls == b.cls == "marker":
                continue
            dx, dy = _overlap(a, b)
            if dx > tolerance and dy > tolerance:
                out.append(f"overlap by {dx:.0f}x{dy:.0f} px: {a.text or 'a marker'!r} and {b.text or 'a marker'!r}")
    return out


def _overlap(a: TextBox, b: TextBox) -> tuple[float, float]:
    """How far two boxes overlap along and across the text; two labels turned by the same angle
    are compared in their own frame, not by their upright bounding boxes."""
    if a.angle and a.angle == b.angle:
        turn = math.radians(a.angle)
        cx, cy = (b.x0 + b.x1 - a.x0 - a.x1) / 2, (b.y0 + b.y1 - a.y0 - a.y1) / 2
        along = cx * math.cos(turn) + cy * math.sin(turn)
        across = -cx * math.sin(turn) + cy * math.cos(turn)
        return (a.w + b.w) / 2 - abs(along), (a.h + b.h) / 2 - abs(across)
    return min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box around every pixel that is not (nearly) white, or None for a blank image."""
    grey = image.convert("L")
    return ImageChops.invert(grey).point(lambda v: 255 if v > 12 else 0).getbbox()


def png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def edge_problems(image: Image.Image, border: int) -> list[str]:
    """Where ink comes within `border` pixels of an edge of the image (a label cut by the canvas
    touches it)."""
    box = ink_box(image)
    if box is None:
        return ["the image is blank"]
    w, h = image.size
    left, top, right, bottom = box
    gaps = {"left": left, "top": top, "right": w - right, "bottom": h - bottom}
    return [
        f"ink {gap} px from the {side} edge (at least {border} expected)" for side, gap in gaps.items() if gap < border
    ]


def pdf_pages(pdf: bytes, dpi: int = 72) -> list[Image.Image]:
    """The pages of a PDF as images, drawn by poppler's pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", str(src), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return [Image.open(p).copy() for p in sorted(Path(tmp).glob("page-*.png"))]
