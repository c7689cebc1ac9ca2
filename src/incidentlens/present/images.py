"""Charts as PNG and SVG files for slides and print, with the source line inside the image.

Rendering uses plotly's kaleido with Debian's chromium. One export browser is kept warm per
process (a cold start costs about 2.5 s per image; a warm one about 0.2 s), and calls are
serialised because the sync server is shared.

The layout of an image never depends on the process-wide plotly template (importing Streamlit
changes it, and its template turns automatic margins off): the house template, the margins and
automatic margins are set on every image, titles and footer lines are wrapped to the canvas by
measuring the text in the font chromium draws with, and the plot area is measured in a first
rendering so that the footer sits under the axis labels whatever they need.
"""

from __future__ import annotations

import atexit
import html
import re
import shutil
import threading
import warnings
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio

from incidentlens.present.charts import subtitle_of, title_of
from incidentlens.present.textfit import wrap

FORMATS = ("png", "svg")
TEMPLATE = "plotly_white"
PAD = 24  # white border around everything, px
TITLE_SIZE, SUBTITLE_SIZE, FOOTER_SIZE = 18, 13, 11
LINE_HEIGHT = 1.35  # line pitch as a multiple of the font size
GAP = 14  # between title block and plot, and between the axis labels and the footer, px
_lock = threading.Lock()
_started = False


class ExportUnavailable(RuntimeError):
    """No chromium on this machine, so images cannot be rendered."""


@dataclass(frozen=True)
class Box:
    """The plot area in pixels from the image's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float


def with_furniture(fig: go.Figure, source_line: str, note: str = "", width: int = 1100) -> go.Figure:
    """A copy of the figure laid out for export: title and subtitle wrapped to the canvas, the
    plot where the axis labels fit, then the source line and definitions under everything.

    The page shows a chart's title as text above the chart; the image puts its title block in
    place of the chart's room above the plot, so the plot keeps its height on the page.
    Renders the figure once (SVG) to measure where plotly put the plot area."""
    out = go.Figure(fig)
    if out.layout.legend.yanchor == "bottom" and (out.layout.legend.y or 0) >= 1:
        # A legend over the plot (charts.LEGEND_ABOVE) would meet the title block; an image is
        # wide enough to keep it at the right.
        out.update_layout(legend={"orientation": "v", "x": 1.01, "y": 1, "yanchor": "top"})
    text_width = width - 2 * PAD
    title = wrap(title_of(fig), TITLE_SIZE, text_width)
    subtitle = wrap(subtitle_of(fig), SUBTITLE_SIZE, text_width) if subtitle_of(fig) else []
    header = _block(title, TITLE_SIZE) + (GAP / 2 + _block(subtitle, SUBTITLE_SIZE) if subtitle else 0)
    height = round((out.layout.height or 450) - (out.layout.margin.t or 0) + PAD + header + GAP)
    out.update_layout(
        template=pio.templates[TEMPLATE],
        width=width,
        height=height,
        paper_bgcolor="white",
        margin={"l": PAD, "r": PAD, "t": PAD + header + GAP, "b": PAD, "autoexpand": True},
        title={
            "text": lines_markup(title),
            "xref": "container",
            "x": PAD / width,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": PAD, "l": 0},
            "font": {"size": TITLE_SIZE},
            "subtitle": {"text": lines_markup(subtitle), "font": {"size": SUBTITLE_SIZE, "color": "#444"}},
        },
    )
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    box = plot_box(out)
    below = height - box.bottom  # what the x axis (ticks, title) takes under the plot
    lines = wrap(source_line, FOOTER_SIZE, text_width) + (wrap(note, FOOTER_SIZE, text_width) if note else [])
    pitch = FOOTER_SIZE * LINE_HEIGHT
    footer = GAP + pitch * len(lines) + PAD
    # Automatic margins push the axis labels and the legend right to the canvas edge: add the
    # white border on a side that was pushed.
    left = box.left + (PAD if box.left > PAD + 0.5 else 0)
    right = width - box.right + (PAD if width - box.right > PAD + 0.5 else 0)
    out.update_layout(
        height=round(height + footer),
        margin={"l": left, "r": right, "t": box.top, "b": below + footer},
    )
    for i, text in enumerate(lines):
        out.add_annotation(
            text=text,
            xref="paper",
            yref="paper",
            x=(PAD - left) / (width - left - right),
            xanchor="left",
            y=0,
            yanchor="top",
            yshift=-(below + GAP + pitch * i),
            showarrow=False,
            align="left",
            font={"size": FOOTER_SIZE, "color": "#444"},
        )
    return out


def lines_markup(lines: list[str]) -> str:
    """Lines for a plotly title, each shown as written: plotly reads <a href>, <b>, <br> … in a
    title as markup, and the filter in words carries text from the link (?q=)."""
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def _block(lines: list[str], size: int) -> float:
    return size * LINE_HEIGHT * len(lines)


def plot_box(fig: go.Figure) -> Box:
    """Where plotly draws the plot area of `fig`, in pixels, after its automatic margins."""
    probe = go.Figure(fig)
    index = len(probe.layout.shapes)
    probe.add_shape(type="rect", xref="paper", yref="paper", x0=0, x1=1, y0=0, y1=1, opacity=0, line={"width": 0})
    svg = render(probe, "svg").decode("utf-8")
    number = r"(-?[\d.]+)"
    match = re.search(
        rf'<g class="shape-group" data-index="{index}"><path[^>]*? d="M{number},{number}'
        rf"H{number}V{number}H",
        svg,
    )
    if not match:
        raise RuntimeError("could not find the plot area in plotly's SVG")
    left, bottom, right, top = (float(g) for g in match.groups())
    return Box(left=left, top=top, right=right, bottom=bottom)


def available() -> bool:
    """Whether a chromium for kaleido is on this machine."""
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))


def _ensure_server() -> None:
    global _started
    if _started:
        return
    if not available():
        raise ExportUnavailable("Chart images need chromium (apt-get install chromium); it was not found.")
    import kaleido

    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _started = True


def render(fig: go.Figure, fmt: str, scale: float = 2.0) -> bytes:
    """PNG (at `scale`×) or SVG bytes of a figure."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}")
    with _lock:
        _ensure_server()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "kopts ignored when using a server"
            return fig.to_image(format=fmt, scale=scale if fmt == "png" else 1)
