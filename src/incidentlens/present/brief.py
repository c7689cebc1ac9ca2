"""The content of a brief for one filter, built from the query layer; `brief_pdf` (fpdf2, for
print) and `brief_docx` (python-docx, for staff who edit) lay the same content out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from incidentlens import links
from incidentlens.data.database import Database
from incidentlens.data.schema import humanise
from incidentlens.present import charts, format, images, narrative
from incidentlens.query import answer as answer_q
from incidentlens.query import queries
from incidentlens.query.filters import Filters

MAX_TABLE_ROWS = 25
ALWAYS_SHOWN = ("msp", "break_fix", "unknown")  # assessed types with a figures row even at zero


def table_note(n: int) -> str:
    """What the brief's incident table will hold, said before it is made."""
    if n == 0:
        return "No incident in view, so the brief has no incident table."
    if n <= MAX_TABLE_ROWS:
        return (
            f"{narrative.incidents(n)} in view; the brief's table lists {'it' if n == 1 else 'them all'}, newest first."
        )
    return f"{n} incidents in view; the brief's table lists the {MAX_TABLE_ROWS} newest and links to the rest."


LIMITATIONS = [
    "Only publicly reported incidents are included; prominent cases and English-language "
    "coverage are over-represented, and small providers that closed leave few traces.",
    "Provider types are coded from evidence of what the provider sold and did at the time, "
    "never from the label a source used; 'unknown' is kept in every count.",
    "An incident counts as 'labelled MSP' when at least one source called the provider a managed "
    "service provider; a repost counts once, for its original outlet, and a label is credited to "
    "whoever said it (an official quoted by the press counts as government).",
    "Shares carry 95% Wilson score intervals; groups of fewer than 10 are flagged as small samples. "
    "The figures describe the dataset; they do not estimate how common such attacks are.",
]


@dataclass
class Brief:
    title: str
    date: str
    version: str
    filter_words: str
    permalink: str
    headline: queries.Headline
    answer: str  # the break/fix question answered in words (page 1, first)
    readings: list[answer_q.Reading]  # the same shares under each defensible reading
    takeaways: list[str]
    table: pd.DataFrame  # id, date, victims, provider, assessed type, labels used, note
    more_rows: int
    notes: list[str]  # numbered source citations
    charts_png: list[bytes] = field(default_factory=list)
    robustness_png: bytes | None = None
    chart_note: str = ""

    @property
    def robustness(self) -> str:
        return narrative.robustness_sentence(self.readings)

    @property
    def local_note(self) -> str:
        """Said on the first page when the permalink only works on the computer that made the brief."""
        if not links.is_local(self.permalink):
            return ""
        return f"Local copy: the links in this brief open only on the computer that made it. {links.HOW_TO_SET}"

    @property
    def empty(self) -> bool:
        return self.headline.n == 0


UNNAMED_ORIGINAL = "original outlet not named"  # sources.repost_of when the repost names none


def source_note(s: Any) -> str:
    """One numbered note: outlet, date and address; a repost says so and names its original,
    since some incidents are known only from reposts (2 in the real data)."""
    date = f", {pd.Timestamp(s.published_date):%Y-%m-%d}" if pd.notna(s.published_date) else ""
    if s.is_repost != "yes":
        return f"{s.publisher}{date}. {s.url}"
    unnamed = format.is_blank(s.repost_of) or s.repost_of == UNNAMED_ORIGINAL
    of = UNNAMED_ORIGINAL if unnamed else f"original outlet: {s.repost_of}"
    return f"{s.publisher}{date} (a repost; {of}). {s.url}"


def build(db: Database, f: Filters, permalink: str, with_charts: bool = True, today: dt.date | None = None) -> Brief:
    today = today or dt.date.today()
    h = queries.headline(db, f)
    ans, readings = answer_q.of(db, f)
    inc = queries.incidents(db, f)
    shown = inc.head(MAX_TABLE_ROWS)
    src = queries.sources_of(db, f)
    notes: list[str] = []
    rows = []
    for r in shown.itertuples():
        own = src[src["incident_id"] == r.incident_id]
        original = own[own["is_repost"] == "no"]
        cited = (original if len(original) else own).head(1)  # a repost when it is all there is
        refs = []
        for s in cited.itertuples():
            notes.append(source_note(s))
            refs.append(str(len(notes)))
        victims = format.count_range(r.downstream_orgs_min, r.downstream_orgs_max)
        rows.append(
            {
                "incident": r.incident_id,
                "date": format.date_as_known(r.attack_date, r.attack_date_precision),
                "victims": victims,
                "provider": r.provider_name or "(not named)",
                "assessed as": humanise(r.provider_type),
                "labels used": ", ".join(humanise(t) for t in r.label_terms if t != "unnamed") or "none",
                "notes": ",".join(refs),
            }
        )
    pngs: list[bytes] = []
    robustness_png = None
    chart_note = ""
    if with_charts and h.n:
        source = f"IncidentLens dataset v{db.version}, accessed {today.isoformat()}, {links.cite(permalink)}"
        figs = [charts.labelled_vs_assessed(h), charts.by_year(queries.by_year(db, f), h.filter_words)]
        try:
            pngs = [images.render(images.with_furniture(fig, source, width=1000), "png", scale=2) for fig in figs]
            solid = charts.robustness(readings, narrative.robustness_title(readings), h.filter_words)
            robustness_png = images.render(images.with_furniture(solid, source, width=1000), "png", scale=2)
        except images.ExportUnavailable as exc:
            chart_note = str(exc)
    return Brief(
        title="Incidents attributed to IT providers: what the provider really was",
        date=today.isoformat(),
        version=db.version,
        filter_words=h.filter_words,
        permalink=permalink,
        headline=h,
        answer=narrative.answer_sentence(ans),
        readings=readings,
        takeaways=narrative.takeaways(h),
        table=pd.DataFrame(rows),
        robustness_png=robustness_png,
        more_rows=max(0, len(inc) - len(shown)),
        notes=notes,
        charts_png=pngs,
        chart_note=chart_note,
    )


def figure_rows(b: Brief) -> list[tuple[str, str]]:
    """The headline figures as (label, value) pairs, each with n and its interval. MSP, break/fix
    and unknown always have a row, zero included: "none was a break/fix shop" is the finding the
    brief's answer states, so its table must show it too."""
    h = b.headline
    out = [
        ("Incidents in view", str(h.n)),
        ("Labelled MSP by at least one source", f"{h.labelled.k} of {h.n}: {h.labelled.percent()}"),
    ]
    for t in h.labelled_by_type:
        if t.share.k or t.code in ALWAYS_SHOWN:
            flag = " (small sample)" if t.share.small_sample else ""
            out.append(
                (f"…of those, provider assessed as {t.label}", f"{t.share.k} of {t.share.n}: {t.share.percent()}{flag}")
            )
    return out


def robustness_rows(b: Brief) -> list[tuple[str, str, str]]:
    """One row per reading: its name and both shares with n and interval."""

    def cell(s) -> str:
        return f"{s.k} of {s.n}: {s.percent()}"

    return [(r.label, cell(r.shares["msp"]), cell(r.shares["break_fix"])) for r in b.readings]


def render(b: Brief, fmt: str) -> bytes:
    """The brief as PDF (brief_pdf) or Word (brief_docx): one content, two layouts."""
    if fmt == "pdf":
        from incidentlens.present import brief_pdf

        return brief_pdf.render(b)
    if fmt == "docx":
        from incidentlens.present import brief_docx

        return brief_docx.render(b)
    raise ValueError(f"unknown brief format {fmt!r}; choose pdf or docx")
