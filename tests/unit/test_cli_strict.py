"""The command line is strict where it matters: a filter value the dashboard would drop from a
link exits 2 listing what is allowed, instead of silently counting everything."""

from __future__ import annotations

import json

import pytest

from incidentlens import cli
from incidentlens.query import filters as flt
from incidentlens.query import queries
from incidentlens.query.filters import Filters


def run(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


@pytest.mark.parametrize(
    "command",
    [["stats"], ["stats", "--json"], ["brief", "--format", "pdf", "--no-charts"], ["export", "--format", "csv"]],
)
def test_an_unknown_provider_type_exits_2_listing_every_allowed_value(db, fixture_dir, tmp_path, capsys, command):
    out = tmp_path / "out.file"
    extra = ["--out", str(out)] if command[0] != "stats" else []
    assert run(["--data", str(fixture_dir), *command, *extra, "--ptype", "nonsense"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    line = captured.err.strip()
    assert line.startswith("error: --ptype: unknown value 'nonsense'; allowed: ")
    assert line.split("allowed: ")[1].split(", ") == sorted(db.package.type_family)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sector", "dental,bogus"], "--sector: unknown value 'bogus'; allowed: "),
        (["--labelled-by", "trade,press"], "--labelled-by: unknown values 'trade', 'press'; allowed: "),
        (["--label", "nope"], "--label: unknown value 'nope'; allowed: "),
        (["--family", "it"], "--family: unknown value 'it'; allowed: "),
        (["--conf", "certain"], "--conf: unknown value 'certain'; allowed: high, low, medium"),
        (["--years", "soon"], "--years: 'soon' is not a year or a range between 1990 and 2100"),
        (["--years", "3000"], "--years: '3000' is not a year or a range"),
    ],
)
def test_each_filter_names_what_it_accepts(fixture_dir, capsys, args, message):
    assert run(["--data", str(fixture_dir), "stats", *args]) == 2
    assert message in capsys.readouterr().err


def test_label_lists_not_msp_among_its_values(db, fixture_dir, capsys):
    assert run(["--data", str(fixture_dir), "stats", "--label", "nope"]) == 2
    allowed = capsys.readouterr().err.strip().split("allowed: ")[1].split(", ")
    assert flt.NOT_MSP in allowed and "msp" in allowed


def test_a_country_that_is_not_a_code_lists_the_codes_in_the_data(db, fixture_dir, capsys):
    assert run(["--data", str(fixture_dir), "stats", "--country", "USA"]) == 2
    err = capsys.readouterr().err
    in_data = sorted(queries.facet_counts(db, Filters(), "country"))
    assert f"--country: unknown value 'USA'; allowed: two-letter codes; in the data: {', '.join(in_data)}" in err


def test_every_problem_is_reported_at_once(fixture_dir, capsys):
    assert run(["--data", str(fixture_dir), "stats", "--ptype", "x", "--sector", "y", "--years", "z"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert [e.split(":")[1].strip() for e in errors] == ["--years", "--ptype", "--sector"]


def test_valid_values_in_any_case_still_count(db, fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "stats", "--json", "--ptype", "MSP", "--country", "us"]) == 0
    expected = queries.headline(db, Filters(ptype=("msp",), country=("US",)))
    assert json.loads(capsys.readouterr().out)["n_incidents"] == expected.n


def test_a_country_code_without_incidents_is_a_zero_not_an_error(fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "stats", "--json", "--country", "FR"]) == 0
    assert json.loads(capsys.readouterr().out)["n_incidents"] == 0


def test_compare_slices_are_strict_too(fixture_dir, capsys):
    argv = [
        "--data",
        str(fixture_dir),
        "stats",
        "--compare",
        "labelled_by=trade&sectr=dental",
        "years=20x",
        "--share-of",
        "msp",
    ]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "error: group A, sectr: unknown filter; the filters are years, ptype" in err
    assert "error: group A, labelled_by: unknown value 'trade'; allowed: " in err
    assert "error: group B, years: '20x' is not a year" in err
