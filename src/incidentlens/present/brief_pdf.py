"""The brief laid out as PDF with fpdf2, in Liberation Sans when Debian's fonts are installed."""

from __future__ import annotations

import io
from pathlib import Path

from incidentlens import links
from incidentlens.present import narrative
from incidentlens.present.brief import LIMITATIONS, Brief, figure_rows, robustness_rows

FONT_DIR = Path("/usr/share/fonts/truetype/liberation")
# Chinese, Japanese and Korean, for the labels sources used in their own language (Debian's
# fonts-wqy-zenhei); without it such text is drawn as "?".
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
HEADING_KEEP_MM = 20  # a heading needs this much of its section below it on the same page
ROBUSTNESS_MM = 90  # "How solid is this number?": its heading, sentence and the readings' table


def render(b: Brief) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=16)
    family = _fonts(pdf)
    pdf.set_title(b.title)
    pdf.set_creator("IncidentLens")
    pdf.alias_nb_pages()

    def footer() -> None:
        pdf.set_y(-12)
        pdf.set_font(family, "", 8)
        pdf.set_text_color(110)
        pdf.cell(
            0, 5, _t(f"IncidentLens brief · dataset v{b.version} · page {pdf.page_no()}/{{nb}}", family), align="C"
        )
        pdf.set_text_color(0)

    pdf.footer = footer  # type: ignore[method-assign]  # fpdf2 calls this on every page
    pdf.add_page()
    pdf.set_font(family, "B", 17)
    _line(pdf, 8, _t(b.title, family))
    pdf.set_font(family, "", 10)
    pdf.set_text_color(80)
    _line(pdf, 5, _t(f"{b.date} · IncidentLens dataset v{b.version}", family))
    _line(pdf, 5, _t(f"Filter: {b.filter_words}", family))
    _line(pdf, 5, _t(f"View online: {b.permalink}", family))
    if b.local_note:
        pdf.set_font(family, "B", 10)
        pdf.set_text_color(170, 0, 0)
        _line(pdf, 5, _t(b.local_note, family))
    pdf.set_text_color(0)
    pdf.ln(3)
    _h2(pdf, family, "The answer")
    pdf.set_font(family, "B", 11)
    _line(pdf, 5.5, _t(b.answer, family))
    pdf.set_font(family, "", 10)
    pdf.ln(1)
    _line(pdf, 5, _t(b.robustness + " See 'How solid is this number?' below.", family))
    pdf.ln(3)
    _h2(pdf, family, "Headline figures")
    if b.empty:
        pdf.set_font(family, "", 10)
        _line(
            pdf,
            5,
            _t(
                "No incident matches this filter, so there are no figures, charts or "
                "table in this brief. Widen the filter and generate it again.",
                family,
            ),
        )
    else:
        pdf.set_font(family, "", 9.5)
        with pdf.table(
            col_widths=(55, 45), text_align=("LEFT", "LEFT"), line_height=5, first_row_as_headings=False
        ) as table:
            for label, value in figure_rows(b):
                row = table.row()
                row.cell(_t(label, family))
                row.cell(_t(value, family))
    pdf.ln(3)
    _h2(pdf, family, "What the numbers say")
    pdf.set_font(family, "", 10)
    for s in b.takeaways:
        _line(pdf, 5, _t(f"• {s}", family))
        pdf.ln(1)
    for png in b.charts_png:
        pdf.ln(2)
        pdf.image(io.BytesIO(png), w=pdf.epw * 0.92)
    if b.chart_note:
        _line(pdf, 5, _t(f"(Charts not included: {b.chart_note})", family))
    if not b.empty:
        _section_break(pdf, ROBUSTNESS_MM)
        _h2(pdf, family, "How solid is this number?")
        pdf.set_font(family, "", 10)
        _line(pdf, 5, _t(b.robustness, family))
        pdf.ln(2)
        pdf.set_font(family, "", 8.5)
        with pdf.table(col_widths=(40, 30, 30), line_height=4.2, text_align="LEFT") as table:
            head = table.row()
            for c in ("Reading", "Provider assessed as an MSP", "Provider a break/fix shop"):
                head.cell(c)
            for label, msp, bf in robustness_rows(b):
                row = table.row()
                for c in (label, msp, bf):
                    row.cell(_t(c, family))
        if b.robustness_png:
            pdf.ln(2)
            pdf.image(io.BytesIO(b.robustness_png), w=pdf.epw * 0.92)
        pdf.ln(3)
        _h2(pdf, family, "Incidents in view")
        pdf.set_font(family, "", 7.5)
        cols = ["incident", "date", "victims", "provider", "assessed as", "labels used", "notes"]
        with pdf.table(col_widths=(34, 13, 11, 26, 17, 28, 9), line_height=3.6, text_align="LEFT") as table:
            head = table.row()
            for c in cols:
                head.cell(c.capitalize())
            for rec in b.table.to_dict("records"):
                row = table.row()
                for c in cols:
                    row.cell(_t(str(rec[c]), family))
        if b.more_rows:
            pdf.set_font(family, "I", 8.5)
            _line(pdf, 5, _t(f"…and {b.more_rows} more incidents: open the permalink to see them all.", family))
    pdf.ln(3)
    _h2(pdf, family, "Method and limitations")
    pdf.set_font(family, "", 9)
    for s in LIMITATIONS:
        _line(pdf, 4.5, _t(f"• {s}", family))
    if b.notes:
        pdf.ln(2)
        _h2(pdf, family, "Notes (sources)")
        pdf.set_font(family, "", 7.5)
        for i, note in enumerate(b.notes, 1):
            _line(pdf, 3.6, _t(f"{i}. {note}", family))
    pdf.ln(2)
    pdf.set_font(family, "", 8.5)
    _line(pdf, 4.5, _t(narrative.dataset_citation(b.version, b.date)["apa"] + f" {links.cite(b.permalink)}", family))
    return bytes(pdf.output())


def _fonts(pdf) -> str:
    """Liberation Sans (Unicode) when Debian's fonts-liberation is installed, else Helvetica;
    WenQuanYi Zen Hei for the characters Liberation lacks, when installed."""
    regular = FONT_DIR / "LiberationSans-Regular.ttf"
    if not regular.exists():
        return "helvetica"
    pdf.add_font("Liberation", "", str(regular))
    pdf.add_font("Liberation", "B", str(FONT_DIR / "LiberationSans-Bold.ttf"))
    pdf.add_font("Liberation", "I", str(FONT_DIR / "LiberationSans-Italic.ttf"))
    if CJK_FONT.exists():
        pdf.add_font("CJK", "", str(CJK_FONT))
        pdf.set_fallback_fonts(["CJK"], exact_match=False)  # bold and italic text too
    return "Liberation"


def _t(text: str, family: str) -> str:
    """Text the chosen font can draw: core fonts are Latin-1 only."""
    if family == "helvetica":
        return (
            text.replace("–", "-")
            .replace("…", "...")
            .replace("•", "-")
            .replace("·", "-")
            .encode("latin-1", "replace")
            .decode("latin-1")
        )
    if CJK_FONT.exists():  # the fallback font _fonts added
        return text
    return "".join(ch if ord(ch) < 0x2E80 else "?" for ch in text)


def _line(pdf, height: float, text: str) -> None:
    """A wrapped paragraph that leaves the cursor at the left margin of the next line; it starts a
    new page rather than split (the citation's last line once sat alone on the brief's last page)."""
    needed = pdf.multi_cell(0, height, text, align="L", dry_run=True, output="HEIGHT")
    if pdf.will_page_break(needed) and needed < pdf.eph:
        pdf.add_page()
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", align="L")


def _section_break(pdf, height: float) -> None:
    """A new page only when the section's first `height` mm would not fit on this one: a fixed
    break left a page two-thirds empty under a chart that had just moved over."""
    if pdf.will_page_break(height):
        pdf.add_page()
    else:
        pdf.ln(6)


def _h2(pdf, family: str, text: str) -> None:
    """A section heading, kept on the page of the section's first lines."""
    if pdf.will_page_break(7 + HEADING_KEEP_MM):
        pdf.add_page()
    pdf.set_font(family, "B", 12.5)
    pdf.set_text_color(0, 70, 130)
    _line(pdf, 7, _t(text, family))
    pdf.set_text_color(0)
