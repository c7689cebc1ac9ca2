"""One citation title everywhere: the data package's title is the one the README, the method
text, the Methodology page's citations, every bundle's CITATION.cff and every brief use."""

from __future__ import annotations

import datetime as dt
import re

from incidentlens.present import bundle, narrative
from paths import ROOT


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_citation_uses_the_package_title(db):
    title = db.package.title
    cite = narrative.dataset_citation(db.version, db.package.created, dt.date(2027, 1, 5))
    assert title in cite["apa"] and f"title = {{{title}}}" in cite["bibtex"]
    assert f'title: "{title}"' in bundle.citation_cff(db, dt.date(2027, 1, 5))
    for doc in ("README.md", "docs/methodology.md"):
        section = words((ROOT / doc).read_text(encoding="utf-8")).split("## How to cite")[1]
        assert f"*{title}*" in section, doc
