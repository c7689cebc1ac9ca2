"""Hostile data folders (issue 15): markup in text, numbers DuckDB cannot hold, mixed line
endings, resource paths out of the folder and odd descriptors. Each is either refused by the
validator with FILE:LINE:COLUMN or loads; the validator and the loader never raise."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from incidentlens.data.database import DataError, load
from incidentlens.data.descriptor import VOCABULARY_COLUMNS
from incidentlens.data.schema import OutsideDataFolder
from incidentlens.data.validate import validate

INC, SRC, POL = "incidents.csv", "sources.csv", "policy_actions.csv"


def read(d: Path, name: str) -> list[dict[str, str]]:
    with open(d / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(d: Path, name: str, table: list[dict[str, str]], ending: str = "\n") -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(table[0]), lineterminator=ending)
    writer.writeheader()
    writer.writerows(table)
    (d / name).write_bytes(buf.getvalue().encode("utf-8"))


def set_cell(d: Path, name: str, column: str, value: str, row: int = 0) -> tuple[int, int]:
    """Put `value` in `column` of data row `row`; return its (line, column) in a one-line-per-record file."""
    table = read(d, name)
    table[row][column] = value
    write(d, name, table)
    return row + 2, list(table[0]).index(column) + 1


def descriptor(d: Path) -> dict:
    return json.loads((d / "datapackage.json").read_text(encoding="utf-8"))


def field(raw: dict, resource: str, name: str) -> dict:
    res = next(r for r in raw["resources"] if r["name"] == resource)
    return next(f for f in res["schema"]["fields"] if f["name"] == name)


def save(d: Path, raw: dict) -> None:
    (d / "datapackage.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")


# ---- 15.3: markup in text --------------------------------------------------------------------

MARKUP = [
    ("[click](https://evil.example)", "link"),
    ("see ![p](https://evil.example/p.png)", "link or image"),
    ("[x][1]\n[1]: https://evil.example", "link"),
    ("<img src=x onerror=alert(1)>", "HTML"),
    ("a <b>bold</b> claim", "HTML"),
    ("<!-- hidden -->", "HTML"),
    ("<https://evil.example>", "autolink"),
    (":red[alarm] raised", "directive"),
    ("an :material/warning: icon", "directive"),
    ("reported at https://evil.example/a", "web address"),
    ("www.evil.example says", "web address"),
]


@pytest.mark.parametrize(("value", "word"), MARKUP)
@pytest.mark.parametrize(
    ("name", "column"),
    [(INC, "title"), (INC, "summary"), (INC, "provider_name"), (SRC, "publisher"), (SRC, "supports"), (POL, "title")],
)
def test_markup_in_a_text_field_is_a_problem_at_its_cell(data_dir, name, column, value, word):
    line, col = set_cell(data_dir, name, column, value)
    problems = [p for p in validate(data_dir) if "holds" in p.message]
    assert [(p.file, p.line, p.column) for p in problems] == [(name, line, col)], problems
    assert word in problems[0].message and column in problems[0].message


@pytest.mark.parametrize(
    "value",
    [
        "**bold** and _it_",
        "# heading",
        "costs $5 and $6",
        "a < b > c",
        "x:y [1] (2)",
        "Lapsus$",
        "5 * 3 = 15",
        "`code`",
    ],
)
def test_plain_punctuation_is_not_markup(data_dir, value):
    set_cell(data_dir, INC, "summary", value)
    assert validate(data_dir) == []


def test_urls_stay_allowed_in_url_columns(data_dir):
    assert validate(data_dir) == []  # the fixture has URLs in sources.url and policy source_urls


# ---- 15.4: what validates, loads -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "word"),
    [
        (str(2**63), "out of range"),
        (str(10**30), "out of range"),
        ("9" * 5000, "out of range"),
        ("+5", "plain digits"),
        ("1_000", "plain digits"),
        (" 5", "plain digits"),
        ("٥", "plain digits"),
    ],
)
def test_integers_the_loader_cannot_hold_are_problems(data_dir, value, word):
    table = read(data_dir, INC)
    table[0]["downstream_orgs_max"] = value
    table[0]["downstream_orgs_min"] = "0"
    write(data_dir, INC, table)
    problems = validate(data_dir)
    assert any(word in p.message and p.file == INC and p.line == 2 for p in problems), problems
    with pytest.raises(DataError):
        load(data_dir)


def test_the_largest_64_bit_integer_validates_and_loads(data_dir):
    table = read(data_dir, INC)
    table[0]["downstream_orgs_min"] = table[0]["downstream_orgs_max"] = str(2**63 - 1)
    write(data_dir, INC, table)
    assert validate(data_dir) == []
    db = load(data_dir)
    assert db.scalar("SELECT max(downstream_orgs_max) FROM incidents") == 2**63 - 1


@pytest.mark.parametrize("value", ["1e400", "NaN", "inf", "1,000", "1" * 40])
def test_numbers_the_loader_cannot_hold_are_problems(data_dir, value):
    set_cell(data_dir, INC, "ransom_demand_usd", value)
    assert any(p.file == INC and p.line == 2 and "ransom_demand_usd" in p.message for p in validate(data_dir))


def test_dates_in_other_digits_are_problems(data_dir):
    set_cell(data_dir, INC, "last_reviewed", "２０２４-01-01")
    assert any("YYYY-MM-DD" in p.message for p in validate(data_dir))


@pytest.mark.parametrize("endings", [("\r\n", "\n"), ("\n", "\r\n"), ("\r\n", "\r")])
@pytest.mark.parametrize("name", [INC, SRC, POL])
def test_mixed_line_endings_validate_and_load(data_dir, name, endings):
    table = read(data_dir, name)
    text = io.StringIO()
    csv.DictWriter(text, list(table[0]), lineterminator="\n").writeheader()
    lines = [text.getvalue().rstrip("\n")]
    for row in table:
        buf = io.StringIO()
        csv.DictWriter(buf, list(table[0]), lineterminator="").writerow(row)
        lines.append(buf.getvalue())
    body = "".join(line + endings[i % 2] for i, line in enumerate(lines))
    (data_dir / name).write_bytes(body.encode("utf-8"))
    assert validate(data_dir) == []
    db = load(data_dir)
    table_name = name.removesuffix(".csv")
    assert db.scalar(f"SELECT count(*) FROM {table_name}") == len(table)
    # No CR survives into any text cell.
    cols = [r[0] for r in db.con.execute(f"DESCRIBE {table_name}").fetchall()]
    assert all(
        db.scalar(f"SELECT count(*) FROM {table_name} WHERE CAST({c} AS VARCHAR) LIKE ?", ["%" + "\r" + "%"]) == 0
        for c in cols
    )


CUSTOM = [
    ("x-provider-families",),
    ("x-provider-family-labels",),
    ("x-provider-family-colours",),
    ("incidents", "provider_type", "x-labels"),
    ("incidents", "provider_type", "x-colours"),
    ("incidents", "provider_type", "x-phrases"),
    ("incidents", "type_rule", "x-gives"),
    ("incidents", "type_rule", "x-requires-alternative"),
    ("incidents", "victim_sectors", "x-item-enum"),
    ("sources", "source_type", "x-vocabulary"),
    ("incidents", "service_relationship", "x-phrases"),
]
# The keys the pages read as the list of codes (types and their families, filter vocabularies).
CODE_LISTS = [
    ("x-provider-type-family",),
    ("sources", "label_term", "x-vocabulary"),
    ("incidents", "provider_type", "x-vocabulary"),
    ("policy_actions", "kind", "x-vocabulary"),
]


@pytest.mark.parametrize("key", CUSTOM, ids=lambda k: ".".join(k))
def test_a_descriptor_without_a_custom_key_validates_and_loads(data_dir, key):
    raw = descriptor(data_dir)
    if len(key) == 1:
        del raw[key[0]]
    else:
        del field(raw, *key[:2])[key[2]]
    save(data_dir, raw)
    assert validate(data_dir) == []
    db = load(data_dir)
    assert db.scalar("SELECT count(*) FROM incidents") > 0


@pytest.mark.parametrize("key", CODE_LISTS, ids=lambda k: ".".join(k))
def test_a_descriptor_without_a_code_list_is_refused_at_its_line(data_dir, key):
    raw = descriptor(data_dir)
    if len(key) == 1:
        del raw[key[0]]
    else:
        del field(raw, *key[:2])[key[2]]
    save(data_dir, raw)
    problems = validate(data_dir)
    assert problems and all(p.file == "datapackage.json" for p in problems)
    assert any(key[-1] in p.message for p in problems), problems


def test_a_vocabulary_that_misses_a_code_is_refused(data_dir):
    raw = descriptor(data_dir)
    del field(raw, "sources", "label_term")["x-vocabulary"]["unnamed"]
    save(data_dir, raw)
    assert any("missing unnamed" in p.message for p in validate(data_dir))


def test_a_descriptor_without_every_optional_custom_key_validates_and_loads(data_dir):
    raw = descriptor(data_dir)
    keep = {"x-list-separator", "x-provider-type-family"}
    for key in [k for k in raw if k.startswith("x-") and k not in keep]:
        del raw[key]
    for res in raw["resources"]:
        for f in res["schema"]["fields"]:
            kept = keep | ({"x-vocabulary"} if f["name"] in VOCABULARY_COLUMNS.get(res["name"], ()) else set())
            for key in [k for k in f if k.startswith("x-") and k not in kept]:
                del f[key]
    save(data_dir, raw)
    assert validate(data_dir) == []
    assert load(data_dir).scalar("SELECT count(*) FROM policy_actions") > 0


@pytest.mark.parametrize(
    ("mutate", "word"),
    [
        (lambda raw: field(raw, "incidents", "countries").pop("x-list-separator"), "x-list-separator"),
        (lambda raw: field(raw, "incidents", "provider_type").__setitem__("x-colours", {"msp": "red"}), "colour"),
        (lambda raw: field(raw, "incidents", "provider_type").__setitem__("x-labels", ["msp"]), "object"),
        (lambda raw: field(raw, "incidents", "type_rule").__setitem__("x-gives", "T1"), "object"),
        (
            lambda raw: field(raw, "incidents", "type_rule").__setitem__("x-requires-alternative", {"T10": ["x"]}),
            "alternative",
        ),
        (lambda raw: field(raw, "incidents", "countries").__setitem__("x-item-pattern", "(["), "regular expression"),
        (
            lambda raw: field(raw, "incidents", "title").__setitem__("constraints", {"pattern": "(["}),
            "regular expression",
        ),
        (lambda raw: field(raw, "incidents", "title").__setitem__("type", "nonsense"), "not supported"),
        (lambda raw: field(raw, "incidents", "title").__setitem__("name", "title; DROP TABLE x"), "lower-case"),
        (lambda raw: field(raw, "incidents", "downstream_orgs_min").__setitem__("type", "string"), "integer"),
        (
            lambda raw: field(raw, "incidents", "provider_type")["x-labels"].__setitem__(
                "msp", "[MSP](https://evil.example)"
            ),
            "link",
        ),
        (lambda raw: raw.__setitem__("title", "<img src=https://evil.example/p.png>"), "HTML"),
        (lambda raw: raw.__setitem__("version", {"v": 1}), "version"),
        (lambda raw: raw.__setitem__("licenses", "CC"), "licenses"),
        (lambda raw: raw["resources"][0]["schema"].__setitem__("missingValues", ["", "NA"]), "missingValues"),
        (lambda raw: raw.__setitem__("resources", raw["resources"][:2]), "policy_actions"),
        (lambda raw: raw["resources"][0]["schema"].__setitem__("primaryKey", ["nope"]), "primary key"),
    ],
)
def test_descriptor_problems_are_reported_at_their_line_never_raised(data_dir, mutate, word):
    raw = descriptor(data_dir)
    mutate(raw)
    save(data_dir, raw)
    problems = validate(data_dir)
    assert problems and all(p.file == "datapackage.json" for p in problems), problems
    assert any(word in p.message for p in problems), problems
    assert all(p.line > 1 for p in problems), "the line of the key, not just line 1"
    with pytest.raises(DataError):
        load(data_dir)


@pytest.mark.parametrize("text", ["[" * 100_000, '{"resources": [' + "[" * 50_000, "\xff\xfe", "[]", "7"])
def test_a_broken_descriptor_is_one_problem(data_dir, text):
    (data_dir / "datapackage.json").write_bytes(text.encode("latin-1"))
    problems = validate(data_dir)
    assert len(problems) == 1 and problems[0].file == "datapackage.json"


# ---- 15.10: resource paths stay inside the data folder ---------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../outside.csv",
        "/etc/passwd",
        "sub/../../outside.csv",
        "..\\outside.csv",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.csv",
        "link.csv",
    ],
)
def test_resource_paths_out_of_the_folder_are_refused(data_dir, path):
    outside = data_dir.parent / "outside.csv"
    outside.write_text("SECRET-FIRST-LINE,x\n1,2\n", encoding="utf-8")
    (data_dir / "link.csv").symlink_to(outside)
    raw = descriptor(data_dir)
    raw["resources"][0]["path"] = path
    save(data_dir, raw)
    problems = validate(data_dir)
    assert [p.file for p in problems] == ["datapackage.json"], problems
    assert "folder" in problems[0].message or "plain relative" in problems[0].message
    assert not any("SECRET" in str(p) or "root:" in str(p) for p in problems)
    with pytest.raises(DataError):
        load(data_dir)
    with pytest.raises(OutsideDataFolder):
        load(data_dir, check=False)


def test_a_resource_in_a_subfolder_is_fine(data_dir):
    (data_dir / "tables").mkdir()
    (data_dir / INC).rename(data_dir / "tables" / INC)
    raw = descriptor(data_dir)
    raw["resources"][0]["path"] = "tables/incidents.csv"
    save(data_dir, raw)
    assert validate(data_dir) == []
    assert load(data_dir).scalar("SELECT count(*) FROM incidents") > 0


# ---- CHANGELOG.md, which the Methodology page renders as Markdown ------------------------------


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("- see ![x](https://evil.example/p.png)", "image"),
        ("- <img src=x onerror=alert(1)>", "HTML"),
        ("- [click](javascript:alert(1))", "other than a web page"),
        ("[1]: data:text/html,x", "other than a web page"),
        ("- <mailto:me@evil.example>", "autolink"),
        ("- :red[alarm]", "directive"),
    ],
)
def test_changelog_markup_that_reaches_out_is_a_problem(data_dir, line, word):
    (data_dir / "CHANGELOG.md").write_text(f"# Changelog\n\n## 1.0\n{line}\n", encoding="utf-8")
    problems = validate(data_dir)
    assert [(p.file, p.line) for p in problems] == [("CHANGELOG.md", 4)] and word in problems[0].message


def test_changelog_links_to_web_pages_are_fine(data_dir):
    (data_dir / "CHANGELOG.md").write_text(
        "# Changelog\n- [source](https://example.org/a) and https://example.org/b, <https://example.org/c>\n",
        encoding="utf-8",
    )
    assert validate(data_dir) == []


def test_changelog_that_is_not_utf8_or_leaves_the_folder_is_a_problem(data_dir):
    (data_dir / "CHANGELOG.md").write_bytes(b"# Changelog\n\xff\n")
    assert [(p.file, p.line) for p in validate(data_dir)] == [("CHANGELOG.md", 2)]
    (data_dir / "CHANGELOG.md").unlink()
    (data_dir / "CHANGELOG.md").symlink_to("/etc/passwd")
    problems = validate(data_dir)
    assert [p.file for p in problems] == ["CHANGELOG.md"] and "outside" in problems[0].message
