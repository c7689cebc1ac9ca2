"""Charts as PNG and SVG files for slides and print, with the source line inside the image.

Rendering uses plotly's kaleido with Debian's chromium. One export browser is kept warm per
process (a cold start costs about 2.5 s per image; a warm one about 0.2 s), and calls are
serialised because the sync server is shared.
"""

from __future__ import annotations

import atexit
import shutil
import threading
import warnings

import plotly.graph_objects as go

FORMATS = ("png", "svg")
_lock = threading.Lock()
_started = False


class ExportUnavailable(RuntimeError):
    """No chromium on this machine, so images cannot be rendered."""


def with_furniture(fig: go.Figure, source_line: str, note: str = "", width: int = 1100) -> go.Figure:
    """A copy of the figure sized for export, with source line and definitions under the plot.

    The legend sits to the right, so only tick labels and the axis title are under the plot;
    the footer lines are then placed a fixed number of pixels below the plot area.
    """
    out = go.Figure(fig)
    lines = _wrap(source_line, 150) + (_wrap(note, 150) if note else [])
    footer = 18 * len(lines) + 16
    axis_room = 80
    top = out.layout.margin.t or 90
    out.update_layout(
        width=width,
        height=int(out.layout.height or 450) + footer,
        margin={"b": axis_room + footer, "l": 20, "r": 30, "t": top},
        paper_bgcolor="white",
    )
    for i, text in enumerate(lines):
        out.add_annotation(text=text, xref="paper", yref="paper", x=0, xanchor="left", y=0,
                           yanchor="top", yshift=-(axis_room + 18 * i), showarrow=False,
                           align="left", font={"size": 11, "color": "#444"})
    return out


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return lines


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
