"""Hypothesis strategies for whole data folders: the fixture dataset with free text, numbers,
dates, quoting, line endings and the descriptor's custom keys varied. A plain module shared by the
loader property (tests/unit) and the page property (tests/app).

Many generated folders do not validate (a link in a title, an integer beyond 64 bits): those
test the validator's refusal. The ones that validate are the contract: they load, and load
exactly what Python's csv module (the validator's reader) reads.
"""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from paths import FIXTURE, REAL

PACKAGE = json.loads((REAL / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = tuple(r["name"] for r in PACKAGE["resources"])
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def _fields(resource: str) -> list[dict]:
    return next(r for r in PACKAGE["resources"] if r["name"] == resource)["schema"]["fields"]


def _free_text(resource: str) -> list[str]:
    """Columns of free text: no vocabulary, pattern or list, not a key or a URL."""
    return [
        f["name"]
        for f in _fields(resource)
        if f.get("type", "string") == "string"
        and "x-list-separator" not in f
        and not {"enum", "pattern"} & set(f.get("constraints", {}))
        and f["name"] not in ("url", "incident_id", "repost_of", "speaker")
    ]


def _read(name: str) -> list[dict[str, str]]:
    with open(FIXTURE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


BASE = {res: _read(next(r for r in PACKAGE["resources"] if r["name"] == res)["path"]) for res in RESOURCES}
TEXT = {res: _free_text(res) for res in RESOURCES}
# Every custom key the descriptor has, as a JSON path to delete.
CUSTOM_KEYS = [(k,) for k in PACKAGE if k.startswith("x-")] + [
    ("resources", i, "schema", "fields", j, k)
    for i, r in enumerate(PACKAGE["resources"])
    for j, f in enumerate(r["schema"]["fields"])
    for k in f
    if k.startswith("x-") and k != "x-list-separator"
]

# Text: any printable character, newlines, Markdown the validator lets through, and now and then
# a piece it refuses.
SAFE = [
    '"',
    ",",
    "\n",
    "'",
    "=",
    "+",
    "-",
    "@",
    "**evil**",
    "_evil_",
    "# evil",
    "`evil`",
    "$evil$",
    ":smile:",
    "<",
    ">",
    "&lt;",
    "[evil]",
    "\\",
    "\u00e9",
    "\u4e2d",
    "\U0001f600",
    "\ufeff",
    "\u200b",
    "  ",
]
REFUSED = ["](", ":red[evil]", "<b>evil</b>", "![e](https://evil.example/p.png)", "https://evil.example"]
characters = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=BIDI)
texts = st.tuples(
    st.lists(st.one_of(st.text(characters, min_size=1, max_size=12), st.sampled_from(SAFE)), min_size=1, max_size=6),
    st.sampled_from([""] * 40 + REFUSED),
).map(lambda parts: "".join(parts[0]) + parts[1])
integers = st.one_of(st.integers(0, 2**63 - 1), st.integers(0, 2**63 - 1), st.integers(0, 2**64))
numbers = st.one_of(
    st.integers(0, 10**15).map(str),
    st.decimals(0, 10**12, places=2).map(str),
    st.sampled_from(["", "0", "1e400", "NaN", "inf", "+5", "9" * 40, "-3", "00012", "1_000"]),
)
MUTATED = ("incidents", "sources", "policy_actions")  # coding_agreement's text follows rules A1/A2


@dataclass
class Dataset:
    """Rows per resource, how to write them, and the descriptor."""

    rows: dict[str, list[dict[str, str]]]
    endings: dict[str, list[str]]
    quote_all: bool
    final_newline: bool
    descriptor: dict

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "datapackage.json").write_text(json.dumps(self.descriptor, indent=2), encoding="utf-8")
        for res in RESOURCES:
            rows = self.rows[res]
            header = [f["name"] for f in _fields(res)]
            lines = [_record(header, self.quote_all)] + [_record([r[c] for c in header], self.quote_all) for r in rows]
            ends = self.endings[res]
            body = "".join(line + ends[i % len(ends)] for i, line in enumerate(lines))
            if not self.final_newline:
                body = body.rstrip("\r\n")
            path = next(r for r in PACKAGE["resources"] if r["name"] == res)["path"]
            (directory / path).write_bytes(body.encode("utf-8"))
        return directory


def _record(cells: list[str], quote_all: bool) -> str:
    out = []
    for cell in cells:
        if quote_all or any(ch in cell for ch in ',"\r\n'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out)


@st.composite
def datasets(draw) -> Dataset:
    rows = {res: copy.deepcopy(BASE[res]) for res in RESOURCES}
    for res in MUTATED:
        for _ in range(draw(st.integers(0, 6))):
            row = draw(st.sampled_from(rows[res]))
            column = draw(st.sampled_from(TEXT[res]))
            row[column] = draw(texts)
    for _ in range(draw(st.integers(0, 2))):
        row = draw(st.sampled_from(rows["incidents"]))
        low, high = sorted(draw(st.lists(integers, min_size=2, max_size=2)))
        row["downstream_orgs_min"], row["downstream_orgs_max"] = str(low), str(high)
    if draw(st.booleans()):
        draw(st.sampled_from(rows["incidents"]))["ransom_demand_usd"] = draw(numbers)
    raw = copy.deepcopy(PACKAGE)
    for path in draw(st.lists(st.sampled_from(CUSTOM_KEYS), max_size=4, unique=True)):
        node = raw
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    ending = st.sampled_from(["\n", "\r\n", "\r"])
    return Dataset(
        rows=rows,
        endings={res: draw(st.lists(ending, min_size=1, max_size=3)) for res in RESOURCES},
        quote_all=draw(st.booleans()),
        final_newline=draw(st.booleans()),
        descriptor=raw,
    )
