"""The validator: every rule on its own broken copy of the fixture, with exact locations.

Line numbers count physical lines of the file (the header is line 1); columns count cells from 1
(for a bad UTF-8 byte, the byte's position in its line). Each case asserts the complete set of
locations reported, so a rule that fires in the wrong place, or drags spurious problems along,
fails the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentlens import cli
from incidentlens.data.validate import Problem, validate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "data"
INC, SRC, POL, AGR = "incidents.csv", "sources.csv", "policy_actions.csv", "coding_agreement.csv"
FORMAT = re.compile(
    r"^(incidents\.csv|sources\.csv|policy_actions\.csv|coding_agreement\.csv|datapackage\.json):\d+:\d+: "
    r"\S[^\n\r]*$"
)


def _header(name: str) -> dict[str, int]:
    with open(FIXTURE / name, newline="", encoding="utf-8") as fh:
        return {col: i for i, col in enumerate(next(csv.reader(fh)), start=1)}


# 1-based column numbers, read from the fixture headers (not from the package under test).
COL = {INC: _header(INC), SRC: _header(SRC), POL: _header(POL)}


# ---- helpers that break a copy of the fixture ------------------------------------------------


def rows(d: Path, name: str) -> list[list[str]]:
    with open(d / name, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write(d: Path, name: str, table: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    (d / name).write_bytes(buf.getvalue().encode("utf-8"))


def set_cell(name: str, line: int, column: str, value: str) -> Callable[[Path], None]:
    """A mutation: put `value` in `column` of the record on physical `line` (one line per fixture record)."""

    def mutate(d: Path) -> None:
        table = rows(d, name)
        table[line - 1][COL[name][column] - 1] = value
        write(d, name, table)

    return mutate


def edit_lines(name: str, change: Callable[[list[str]], None]) -> Callable[[Path], None]:
    """A mutation on the raw text lines of a file (for structure the csv module would repair)."""

    def mutate(d: Path) -> None:
        lines = (d / name).read_text(encoding="utf-8").split("\n")
        change(lines)
        (d / name).write_text("\n".join(lines), encoding="utf-8")

    return mutate


def append_copy(name: str, line: int, **changes: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, name)
        new = list(table[line - 1])
        for column, value in changes.items():
            new[COL[name][column] - 1] = value
        write(d, name, [*table, new])

    return mutate


def map_columns(name: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    """Apply `change` to every record including the header (reorder, add or drop columns)."""

    def mutate(d: Path) -> None:
        write(d, name, [change(r) for r in rows(d, name)])

    return mutate


def delete_line(name: str, line: int) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        table = rows(d, name)
        del table[line - 1]
        write(d, name, table)

    return mutate


def replace_bytes(name: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        raw = (d / name).read_bytes()
        assert raw.count(old) == 1, "the test's anchor must be unique"
        (d / name).write_bytes(raw.replace(old, new))

    return mutate


def write_bytes(name: str, content: bytes) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / name).write_bytes(content)

    return mutate


def remove(name: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / name).unlink()

    return mutate


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        for m in mutations:
            m(d)

    return mutate


def swap(i: int, j: int) -> Callable[[list[str]], list[str]]:
    def change(record: list[str]) -> list[str]:
        out = list(record)
        out[i - 1], out[j - 1] = out[j - 1], out[i - 1]
        return out

    return change


def where(problems: list[Problem]) -> set[tuple[str, int, int]]:
    return {(p.file, p.line, p.column) for p in problems}


def messages_at(problems: list[Problem], file: str, line: int, column: int) -> str:
    return " | ".join(p.message for p in problems if (p.file, p.line, p.column) == (file, line, column))


def assert_well_formed(problems: list[Problem]) -> None:
    assert problems, "a broken copy must give at least one problem"
    for p in problems:
        assert isinstance(p, Problem)
        assert str(p) == f"{p.file}:{p.line}:{p.column}: {p.message}"
        assert FORMAT.match(str(p)), repr(str(p))
        assert p.line >= 1 and p.column >= 1


# ---- the valid fixture -------------------------------------------------------------------------


def test_fixture_is_valid(fixture_dir):
    assert validate(fixture_dir) == []


def test_cli_validate_exits_0_on_the_valid_fixture(fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "validate"]) == 0
    out = capsys.readouterr().out
    assert "valid" in out
    version = json.loads((fixture_dir / "datapackage.json").read_text())["version"]
    assert version in out


# ---- one broken copy per rule ------------------------------------------------------------------
# Fixture lines: incidents 2 town-msp, 3 dental-vendor, 4 nursing-msp, 5 hosting, 6 rmm-vendor,
# 7 city-it, 8 outsourcer, 9 pathology, 10 unknown. Sources 2-4 town, 5-6 dental, 7-9 nursing,
# 10 hosting, 11-12 rmm, 13 city, 14-15 outsourcer, 16 pathology, 17 unknown. Policy 2-4.

TOWN_URL_1 = "https://example.org/2019-08-fx-town-msp/1"
NURSING_PREFIX = b"2019-11-fx-nursing-msp,Fixture: nurs"

P = pytest.param
DP = "datapackage.json"


def replace_in_line(name: str, index: int, old: str, new: str) -> Callable[[Path], None]:
    return edit_lines(name, lambda ls: ls.__setitem__(index, ls[index].replace(old, new)))


CASES = [
    # enums and lists
    P(set_cell(INC, 2, "provider_type", "mspp"), {(INC, 2, 12): "allowed"}, id="enum"),
    P(set_cell(INC, 2, "provider_type", "MSP"), {(INC, 2, 12): "allowed"}, id="enum-is-case-sensitive"),
    P(
        set_cell(SRC, 6, "source_type", "blog"),
        {(SRC, 6, 5): "allowed", (SRC, 6, COL[SRC]["speaker_type"]): "L2"},
        id="enum-sources",
    ),
    P(set_cell(POL, 3, "kind", "decree"), {(POL, 3, 6): "allowed"}, id="enum-policy"),
    P(set_cell(INC, 3, "victim_sectors", "dental;dentistry"), {(INC, 3, 8): "dentistry"}, id="sector-item"),
    P(set_cell(INC, 3, "victim_sectors", "dental; healthcare"), {(INC, 3, 8): "padded"}, id="sector-padded"),
    P(set_cell(INC, 3, "victim_sectors", "dental;;healthcare"), {(INC, 3, 8): "empty"}, id="sector-empty-item"),
    P(set_cell(INC, 3, "victim_sectors", "dental;dental"), {(INC, 3, 8): "repeated"}, id="sector-repeated"),
    P(set_cell(INC, 2, "countries", "US;usa"), {(INC, 2, 6): "usa"}, id="country-pattern"),
    P(set_cell(INC, 2, "countries", "United States"), {(INC, 2, 6): "United States"}, id="country-name"),
    P(set_cell(INC, 2, "us_states", "Texas"), {(INC, 2, 7): "Texas"}, id="state-pattern"),
    P(set_cell(POL, 2, "jurisdictions", "US;Europe"), {(POL, 2, 4): "Europe"}, id="jurisdiction"),
    P(set_cell(POL, 3, "provider_types_named", "msp;isp"), {(POL, 3, 10): "isp"}, id="policy-item-enum"),
    # identifiers
    P(
        set_cell(INC, 5, "incident_id", "2020-05-FX-hosting"),
        {
            (INC, 5, 1): "pattern",
            (SRC, 10, 2): "not in incidents",
            (SRC, 18, 2): "not in incidents",
            (AGR, 5, 1): "not in incidents",
        },
        id="incident-id-pattern",
    ),
    P(
        set_cell(INC, 5, "incident_id", "2020-13-fx-hosting"),
        {
            (INC, 5, 1): "pattern",
            (SRC, 10, 2): "not in incidents",
            (SRC, 18, 2): "not in incidents",
            (AGR, 5, 1): "not in incidents",
        },
        id="incident-id-month-13",
    ),
    P(append_copy(INC, 5), {(INC, 11, 1): "duplicate"}, id="duplicate-incident-id"),
    P(
        append_copy(INC, 5, incident_id="2020-05-fx-Hosting"),
        {(INC, 11, 1): "pattern"},
        id="near-duplicate-incident-id-case",
    ),
    P(append_copy(SRC, 10), {(SRC, 19, 1): "duplicate", (SRC, 19, 3): "repeats line 10"}, id="duplicate-source-id"),
    P(set_cell(SRC, 3, "source_id", "2019-08-fx-town-msp#x"), {(SRC, 3, 1): "pattern"}, id="source-id-pattern"),
    P(append_copy(POL, 2), {(POL, 5, 1): "duplicate"}, id="duplicate-policy-id"),
    # required values
    P(set_cell(INC, 3, "title", ""), {(INC, 3, 2): "required"}, id="required-title"),
    P(set_cell(SRC, 5, "publisher", ""), {(SRC, 5, 4): "required"}, id="required-publisher"),
    P(set_cell(POL, 4, "body", ""), {(POL, 4, 5): "required"}, id="required-body"),
    # dates
    P(set_cell(INC, 2, "attack_date", "16/08/2019"), {(INC, 2, 3): "date"}, id="bad-date"),
    P(set_cell(INC, 2, "attack_date", "2019-02-30"), {(INC, 2, 3): "date"}, id="impossible-date"),
    P(set_cell(POL, 3, "date", "2021-13-01"), {(POL, 3, 2): "date"}, id="impossible-month-policy"),
    P(set_cell(SRC, 2, "published_date", "yesterday"), {(SRC, 2, 6): "date"}, id="bad-date-sources"),
    P(
        set_cell(INC, 2, "last_reviewed", "2999-01-01"),
        {(INC, 2, COL[INC]["last_reviewed"]): "future"},
        id="future-date",
    ),
    P(set_cell(POL, 2, "date", "2999-01-01"), {(POL, 2, 2): "future"}, id="future-date-policy"),
    P(set_cell(INC, 2, "disclosed_date", "2019-08-15"), {(INC, 2, 5): "before"}, id="disclosed-before-attack"),
    # counts
    P(set_cell(INC, 2, "downstream_orgs_min", "30"), {(INC, 2, 9): "greater"}, id="min-over-max"),
    P(set_cell(INC, 2, "downstream_orgs_min", "-1"), {(INC, 2, 9): "minimum"}, id="negative-count"),
    P(
        set_cell(INC, 2, "ransom_demand_usd", "-5"),
        {(INC, 2, COL[INC]["ransom_demand_usd"]): "minimum"},
        id="negative-ransom",
    ),
    P(set_cell(INC, 2, "downstream_orgs_min", "20.5"), {(INC, 2, 9): "integer"}, id="non-integer-count"),
    P(set_cell(INC, 2, "downstream_orgs_max", "twenty"), {(INC, 2, 10): "integer"}, id="text-count"),
    # URLs
    P(set_cell(SRC, 2, "url", "javascript:alert(1)"), {(SRC, 2, 3): "http"}, id="url-javascript"),
    P(set_cell(SRC, 2, "url", "ftp://example.org/x"), {(SRC, 2, 3): "http"}, id="url-ftp"),
    P(set_cell(SRC, 2, "url", " JaVaScRiPt:alert(1)"), {(SRC, 2, 3): "http"}, id="url-javascript-space-case"),
    P(set_cell(SRC, 2, "url", "JaVaScRiPt:alert(1)"), {(SRC, 2, 3): "http"}, id="url-javascript-mixed-case"),
    P(set_cell(SRC, 2, "url", "java\tscript:alert(1)"), {(SRC, 2, 3): "http"}, id="url-javascript-tab"),
    P(set_cell(SRC, 2, "url", "data:text/html,<script>alert(1)</script>"), {(SRC, 2, 3): "http"}, id="url-data"),
    P(set_cell(SRC, 2, "url", "http://"), {(SRC, 2, 3): "host"}, id="url-no-host"),
    P(set_cell(SRC, 2, "url", "http:///path-only"), {(SRC, 2, 3): "host"}, id="url-empty-host"),
    P(set_cell(SRC, 2, "url", "https://exa mple.org/"), {(SRC, 2, 3): "space"}, id="url-space"),
    P(
        set_cell(POL, 2, "source_urls", "https://example.org/p/1;javascript:alert(1)"),
        {(POL, 2, 11): "javascript"},
        id="policy-url-javascript",
    ),
    P(set_cell(POL, 2, "source_urls", "http:///path-only"), {(POL, 2, 11): "host"}, id="policy-url-no-host"),
    P(set_cell(SRC, 3, "url", TOWN_URL_1), {(SRC, 3, 3): "repeats line 2"}, id="duplicate-url"),
    # references between files
    P(
        set_cell(SRC, 17, "incident_id", "2025-01-fx-missing"),
        {(SRC, 17, 2): "not in incidents", (SRC, 17, 1): "source_id", (INC, 10, 1): "no source"},
        id="dangling-foreign-key",
    ),
    P(delete_line(SRC, 17), {(INC, 10, 1): "no source"}, id="incident-without-source"),
    # characters and lengths
    P(set_cell(INC, 2, "title", "Fixture\x07bell"), {(INC, 2, 2): "U+0007"}, id="control-char"),
    P(set_cell(INC, 2, "title", "Fixture \x1b[2J clear"), {(INC, 2, 2): "U+001B"}, id="escape-char"),
    P(set_cell(INC, 2, "title", "Fixture\x00nul"), {(INC, 2, 2): "U+0000"}, id="nul-char"),
    P(set_cell(INC, 2, "title", "Fixture invoice \u202efdp.exe"), {(INC, 2, 2): "U+202E"}, id="bidi-override"),
    P(set_cell(SRC, 2, "publisher", "\u2066Fixture\u2069"), {(SRC, 2, 4): "bidi"}, id="bidi-isolate"),
    P(set_cell(INC, 2, "title", "x" * 121), {(INC, 2, 2): "maxLength"}, id="over-max-length"),
    P(set_cell(INC, 2, "disagreements", "y" * 20_001), {(INC, 2, COL[INC]["disagreements"]): "20000"}, id="over-20000"),
    # header drift
    P(replace_in_line(INC, 0, ",title,", ",name,"), {(INC, 1, 2): "expected 'title'"}, id="header-renamed"),
    P(replace_in_line(INC, 0, ",title,", ",Title,"), {(INC, 1, 2): "expected 'title'"}, id="header-case"),
    P(map_columns(INC, swap(2, 3)), {(INC, 1, 2): "attack_date", (INC, 1, 3): "title"}, id="header-reordered"),
    P(
        map_columns(INC, lambda r: [*r, "notes" if r[0] == "incident_id" else ""]),
        {(INC, 1, len(COL[INC]) + 1): "extra"},
        id="header-extra-column",
    ),
    P(map_columns(INC, lambda r: r[:-1]), {(INC, 1, len(COL[INC])): "missing"}, id="header-missing-column"),
    P(
        map_columns(SRC, lambda r: r[:4] + r[5:]),
        {
            (SRC, 1, 5): "source_type",
            **{(SRC, 1, i): "" for i in range(6, len(COL[SRC]))},
            (SRC, 1, len(COL[SRC])): "missing",
        },
        id="header-dropped-middle-column",
    ),
    # structure
    P(
        edit_lines(POL, lambda ls: ls.__setitem__(2, ls[2] + ",extra")),
        {(POL, 3, 14): "14 cells"},
        id="ragged-too-many",
    ),
    P(
        edit_lines(POL, lambda ls: ls.__setitem__(2, ls[2].rsplit(",", 1)[0])),
        {(POL, 3, 13): "12 cells"},
        id="ragged-too-few",
    ),
    P(
        replace_in_line(INC, 2, ",Fixture: dental", ',"Fixture: dental'),
        {(INC, 3, 1): "malformed"},
        id="unterminated-quote",
    ),
    P(
        replace_in_line(INC, 3, ",Fixture: nursing homes via IT shop,", ',"Fixture: nursing" homes,'),
        {(INC, 4, 1): "malformed"},
        id="text-after-closing-quote",
    ),
    P(
        replace_bytes(INC, NURSING_PREFIX + b"ing", NURSING_PREFIX + b"\xffing"),
        {(INC, 4, len(NURSING_PREFIX) + 1): "UTF-8"},
        id="bad-utf8-byte",
    ),
    P(
        replace_bytes(INC, NURSING_PREFIX + b"ing", NURSING_PREFIX + b"\xe9ing"),
        {(INC, 4, len(NURSING_PREFIX) + 1): "0xe9"},
        id="latin1-byte",
    ),
    P(
        lambda d: (d / INC).write_bytes(b"\xef\xbb\xbf" + (d / INC).read_bytes()),
        {(INC, 1, 1): "byte-order mark"},
        id="byte-order-mark",
    ),
    P(write_bytes(INC, b""), {(INC, 1, 1): "empty"}, id="empty-file"),
    P(write_bytes(SRC, b"\n\n  \n"), {(SRC, 1, 1): "empty"}, id="whitespace-only-file"),
    P(remove(SRC), {(SRC, 1, 1): "not found"}, id="missing-file"),
    P(remove(POL), {(POL, 1, 1): "not found"}, id="missing-policy-file"),
    # the codebook's mechanical rules (docs/codebook.md)
    P(set_cell(INC, 3, "route", "hosted_platform"), {(INC, 3, COL[INC]["type_rule"]): "T9"}, id="rule-T9"),
    P(set_cell(INC, 2, "type_rule", "T8"), {(INC, 2, COL[INC]["provider_type"]): "T8 gives"}, id="rule-gives-type"),
    P(
        set_cell(INC, 2, "provider_maturity", "transitional"),
        {(INC, 2, COL[INC]["provider_maturity"]): "T13", (INC, 2, COL[INC]["type_basis"]): "Transitional:"},
        id="rule-T13-transitional",
    ),
    P(
        both(
            set_cell(INC, 2, "type_rule", "T13"),
            set_cell(INC, 2, "provider_maturity", "transitional"),
            set_cell(INC, 2, "type_basis", "Transitional: fixture reason."),
        ),
        {(INC, 2, COL[INC]["alt_provider_type"]): "break_fix"},
        id="rule-T13-alternative",
    ),
    P(
        both(set_cell(INC, 5, "type_rule", "T10"), set_cell(INC, 5, "provider_type", "msp")),
        {(INC, 5, COL[INC]["alt_provider_type"]): "cloud_hosting", (AGR, 5, 2): "published coding"},
        id="rule-T10-alternative",
    ),
    P(set_cell(INC, 10, "type_confidence", "high"), {(INC, 10, COL[INC]["type_confidence"]): "T12"}, id="rule-T12"),
    P(
        set_cell(INC, 4, "service_relationship", "monthly_retainer"),
        {(INC, 4, COL[INC]["service_relationship"]): "T6"},
        id="rule-T6",
    ),
    P(
        set_cell(INC, 3, "service_relationship", "managed_contract"),
        {(INC, 3, COL[INC]["service_relationship"]): "R4"},
        id="rule-R4",
    ),
    P(
        set_cell(INC, 2, "relationship_source_id", ""),
        {(INC, 2, COL[INC]["relationship_source_id"]): "R2"},
        id="rule-R2-missing",
    ),
    P(
        set_cell(INC, 2, "relationship_source_id", "2019-08-fx-dental-vendor#1"),
        {(INC, 2, COL[INC]["relationship_source_id"]): "not a source of this incident"},
        id="rule-R2-elsewhere",
    ),
    P(set_cell(INC, 8, "alt_rule", ""), {(INC, 8, COL[INC]["alt_rule"]): "A2"}, id="rule-A2-half"),
    P(set_cell(INC, 2, "countries", "US;ZZ"), {(INC, 2, COL[INC]["countries"]): "G2"}, id="rule-G2"),
    P(set_cell(INC, 5, "attack_date", "2020-05-02"), {(INC, 5, COL[INC]["attack_date"]): "D1"}, id="rule-D1"),
    P(set_cell(SRC, 2, "speaker_type", "trade_press"), {(SRC, 2, COL[SRC]["speaker_type"]): "L2"}, id="rule-L2"),
    P(set_cell(SRC, 17, "label_text", "MSP"), {(SRC, 17, COL[SRC]["label_text"]): "L3"}, id="rule-L3"),
    P(set_cell(SRC, 4, "repost_of", ""), {(SRC, 4, COL[SRC]["repost_of"]): "S1"}, id="rule-S1-unnamed"),
    P(
        set_cell(SRC, 2, "repost_of", "Fixture Wire"),
        {(SRC, 2, COL[SRC]["repost_of"]): "S1"},
        id="rule-S1-not-a-repost",
    ),
    # the descriptor itself
    P(remove(DP), {(DP, 1, 1): "not found"}, id="missing-datapackage"),
    P(write_bytes(DP, b'{"resources": ['), {(DP, 1, 1): "JSON"}, id="truncated-datapackage"),
    P(write_bytes(DP, b"\xff\xfe{}"), {(DP, 1, 1): ""}, id="datapackage-not-utf8"),
    P(write_bytes(DP, b"{}"), {(DP, 1, 1): ""}, id="datapackage-without-resources"),
    P(write_bytes(DP, b"[]"), {(DP, 1, 1): ""}, id="datapackage-is-a-list"),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES)
def test_each_rule_reports_exact_locations(data_dir, capsys, mutate, expected):
    mutate(data_dir)
    problems = validate(data_dir)
    assert_well_formed(problems)
    assert where(problems) == set(expected), "\n".join(map(str, problems))
    for (file, line, column), word in expected.items():
        assert word.lower() in messages_at(problems, file, line, column).lower()
    # The command line lists exactly the same problems, one per line, and fails.
    assert cli.main(["--data", str(data_dir), "validate"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [str(p) for p in problems]
    assert f"{len(problems)} problem" in captured.err


# ---- cells far beyond any limit, and all-empty rows ----------------------------------------------


def test_cell_beyond_the_csv_field_limit_is_reported_not_raised(data_dir):
    set_cell(INC, 2, "summary", "z" * 200_000)(data_dir)
    problems = validate(data_dir)
    assert_well_formed(problems)
    assert {(p.file, p.line) for p in problems} == {(INC, 2)}


@pytest.mark.parametrize("cells", [",extra", ""], ids=["too-many", "too-few"])
def test_ragged_row_is_reported_on_its_line(data_dir, cells):
    if cells:
        edit_lines(POL, lambda ls: ls.__setitem__(2, ls[2] + cells))(data_dir)
    else:
        edit_lines(POL, lambda ls: ls.__setitem__(2, ls[2].rsplit(",", 1)[0]))(data_dir)
    problems = validate(data_dir)
    assert_well_formed(problems)
    column = 14 if cells else 13
    assert "the header has 13" in messages_at(problems, POL, 3, column)


@pytest.mark.parametrize("blank", ["", ",,,,,,,,,,,,", "  "], ids=["empty-line", "only-commas", "spaces"])
def test_blank_row_is_reported_on_its_line(data_dir, blank):
    edit_lines(POL, lambda ls: ls.insert(2, blank))(data_dir)
    problems = validate(data_dir)
    assert_well_formed(problems)
    assert "blank" in messages_at(problems, POL, 3, 1)


def test_blank_row_gives_only_the_blank_row_problem(data_dir):
    edit_lines(POL, lambda ls: ls.insert(2, ""))(data_dir)
    assert where(validate(data_dir)) == {(POL, 3, 1)}


def test_blank_row_does_not_shift_later_cell_errors(data_dir):
    edit_lines(INC, lambda ls: ls.insert(3, ""))(data_dir)  # new line 4; rmm-vendor moves to line 7
    set_cell(INC, 7, "provider_type", "bogus")(data_dir)
    problems = validate(data_dir)
    assert "allowed" in messages_at(problems, INC, 7, 12)


def test_ragged_row_does_not_shift_later_cell_errors(data_dir):
    edit_lines(INC, lambda ls: ls.__setitem__(2, ls[2] + ",extra"))(data_dir)
    set_cell(INC, 6, "provider_type", "bogus")(data_dir)
    problems = validate(data_dir)
    assert "cells" in messages_at(problems, INC, 3, len(COL[INC]) + 1)
    assert "allowed" in messages_at(problems, INC, 6, 12)


def test_ragged_incident_row_does_not_orphan_its_sources(data_dir):
    edit_lines(INC, lambda ls: ls.__setitem__(2, ls[2] + ",extra"))(data_dir)
    assert where(validate(data_dir)) == {(INC, 3, len(COL[INC]) + 1)}


def test_named_exceptions_keep_a_hosted_platform_route_valid(data_dir):
    # The outsourcer (T4) running its own data centre is one of rule T9's named exceptions.
    set_cell(INC, 8, "route", "hosted_platform")(data_dir)
    assert validate(data_dir) == []


def test_unpadded_date_is_rejected(data_dir):
    set_cell(INC, 2, "attack_date", "2019-8-16")(data_dir)
    assert (INC, 2, 3) in where(validate(data_dir))


def test_problem_stays_on_one_line_when_the_bad_value_has_a_newline(data_dir):
    set_cell(INC, 2, "provider_type", "msp\nincidents.csv:99:1: forged")(data_dir)
    problems = validate(data_dir)
    assert problems
    assert all("\n" not in str(p) for p in problems)


# ---- several problems, multi-line cells, the reference date ------------------------------------


def test_every_problem_is_reported_not_only_the_first(data_dir):
    set_cell(INC, 2, "provider_type", "bogus")(data_dir)
    set_cell(INC, 4, "attack_date", "2019-02-30")(data_dir)
    set_cell(INC, 4, "victim_sectors", "long_term_care;spa")(data_dir)
    set_cell(SRC, 7, "url", "javascript:alert(1)")(data_dir)
    set_cell(POL, 3, "status", "pending")(data_dir)
    problems = validate(data_dir)
    assert_well_formed(problems)
    assert where(problems) == {(INC, 2, 12), (INC, 4, 3), (INC, 4, 8), (SRC, 7, 3), (POL, 3, 8)}


def test_problems_come_sorted_and_without_duplicates(data_dir):
    set_cell(POL, 3, "status", "pending")(data_dir)
    set_cell(INC, 9, "provider_type", "bogus")(data_dir)
    set_cell(INC, 2, "provider_type", "bogus")(data_dir)
    problems = validate(data_dir)
    assert problems == sorted(set(problems))


def test_multi_line_cell_keeps_later_rows_on_their_real_lines(data_dir):
    # The town row's summary spans three physical lines (2-4), so every later record moves down by two.
    set_cell(INC, 2, "summary", "Fixture incident\nwritten over\nthree lines.")(data_dir)
    assert validate(data_dir) == [], "a newline inside a quoted cell is allowed"
    set_cell(INC, 2, "provider_type", "bogus")(data_dir)  # the multi-line record itself
    set_cell(INC, 6, "provider_type", "bogus")(data_dir)  # rmm-vendor: record 6, physical line 8
    set_cell(INC, 3, "disclosed_date", "2019-08-01")(data_dir)  # dental-vendor: physical line 5
    problems = validate(data_dir)
    assert where(problems) == {(INC, 2, 12), (INC, 8, 12), (INC, 5, 5)}


def test_dates_after_the_reference_day_are_in_the_future(data_dir):
    # Every fixture row was last reviewed on 2026-11-01; judged from the day before, all are future.
    problems = validate(data_dir, today=dt.date(2026, 10, 31))
    incidents = {(INC, line, COL[INC]["last_reviewed"]) for line in range(2, 11)}
    policies = {(POL, line, 13) for line in range(2, 5)}
    assert where(problems) == incidents | policies
    assert all("future" in p.message for p in problems)
    assert validate(data_dir, today=dt.date(2026, 11, 1)) == []
