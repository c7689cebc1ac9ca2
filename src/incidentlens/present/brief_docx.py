"""The brief laid out as a Word document with python-docx, for staff who edit it."""

from __future__ import annotations

import io

from incidentlens import links
from incidentlens.present import narrative
from incidentlens.present.brief import LIMITATIONS, Brief, figure_rows, robustness_rows


def render(b: Brief) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2)
    doc.styles["Normal"].font.name = "Liberation Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(b.title, level=1)
    doc.add_paragraph(f"{b.date} · IncidentLens dataset v{b.version}")
    doc.add_paragraph(f"Filter: {b.filter_words}")
    doc.add_paragraph(f"View online: {b.permalink}")
    if b.local_note:
        local = doc.add_paragraph().add_run(b.local_note)
        local.bold = True
        local.font.color.rgb = RGBColor(170, 0, 0)
    doc.add_heading("The answer", level=2)
    doc.add_paragraph().add_run(b.answer).bold = True
    doc.add_paragraph(b.robustness + " See 'How solid is this number?' below.")
    doc.add_heading("Headline figures", level=2)
    if b.empty:
        doc.add_paragraph(
            "No incident matches this filter, so there are no figures, charts or table in "
            "this brief. Widen the filter and generate it again."
        )
    else:
        t = doc.add_table(rows=0, cols=2)
        t.style = "Light Grid Accent 1"
        for label, value in figure_rows(b):
            cells = t.add_row().cells
            cells[0].text, cells[1].text = label, value
    doc.add_heading("What the numbers say", level=2)
    for s in b.takeaways:
        doc.add_paragraph(s, style="List Bullet")
    for png in b.charts_png:
        doc.add_picture(io.BytesIO(png), width=Cm(17))
    if b.chart_note:
        doc.add_paragraph(f"(Charts not included: {b.chart_note})")
    if not b.empty:  # no fixed page break: it left a page mostly empty under the last chart
        doc.add_heading("How solid is this number?", level=2)  # kept with what follows (style)
        doc.add_paragraph(b.robustness)
        t = doc.add_table(rows=1, cols=3)
        t.style = "Light Grid Accent 1"
        for cell, c in zip(t.rows[0].cells, ("Reading", "Provider assessed as an MSP", "Provider a break/fix shop")):
            cell.text = c
        for values in robustness_rows(b):
            for cell, v in zip(t.add_row().cells, values):
                cell.text = v
        if b.robustness_png:
            doc.add_picture(io.BytesIO(b.robustness_png), width=Cm(17))
        doc.add_heading("Incidents in view", level=2)
        cols = ["incident", "date", "victims", "provider", "assessed as", "labels used"]
        t = doc.add_table(rows=1, cols=len(cols))
        t.style = "Light Grid Accent 1"
        for cell, c in zip(t.rows[0].cells, cols):
            cell.text = c.capitalize()
        for rec in b.table.to_dict("records"):
            cells = t.add_row().cells
            for cell, c in zip(cells, cols):
                cell.text = str(rec[c])
            if rec["notes"]:  # numbered references to the notes below, as superscripts
                run = cells[0].paragraphs[0].add_run(" " + rec["notes"])
                run.font.superscript = True
            for cell in cells:
                for p in cell.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(8)
        if b.more_rows:
            doc.add_paragraph(f"…and {b.more_rows} more incidents: open the permalink to see them all.")
    doc.add_heading("Method and limitations", level=2)
    for s in LIMITATIONS:
        doc.add_paragraph(s, style="List Bullet")
    if b.notes:
        doc.add_heading("Notes (sources)", level=2)
        for note in b.notes:
            doc.add_paragraph(note, style="List Number")
    doc.add_paragraph(narrative.dataset_citation(b.version, b.date)["apa"] + f" {links.cite(b.permalink)}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
