"""The command line, called in-process: `incidentlens --data DIR <command> ...`.

Expected counts are worked out by hand from tests/fixtures/data (see the comments), and the
machine-readable output is also compared with queries.headline for the same filter.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest

from incidentlens import cli
from incidentlens.query import queries
from incidentlens.query.filters import Filters

# Hand-counted in the fixture: 9 incidents; 5 have an original source saying "MSP" (town,
# dental vendor, nursing homes, RMM vendor, outsourcer). 2019-2020 & dental: the dental vendor only,
# labelled MSP by a security vendor. Government sources said "MSP" for nursing homes and RMM vendor.
DENTAL = "2019-08-fx-dental-vendor"


def run(argv: list[str]) -> int:
    """main() as a shell would see it: a returned code or a SystemExit code."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


# ---- options before or after the subcommand ----------------------------------------------------


def test_data_works_before_or_after_the_subcommand(fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "validate"]) == 0
    before = capsys.readouterr().out
    assert cli.main(["validate", "--data", str(fixture_dir)]) == 0
    assert capsys.readouterr().out == before
    assert before.startswith(f"{fixture_dir}: valid")


def test_data_after_the_subcommand_wins_over_data_before_it(fixture_dir, tmp_path, capsys):
    assert run(["--data", str(fixture_dir), "validate", "--data", str(tmp_path / "nowhere")]) == 1
    assert "datapackage.json:1:1: file not found" in capsys.readouterr().out
    assert run(["--data", str(tmp_path / "nowhere"), "validate", "--data", str(fixture_dir)]) == 0


def _bundle_permalink(fixture_dir, tmp_path, argv: list[str]) -> str:
    out = tmp_path / "bundle.zip"
    assert (
        cli.main(["--data", str(fixture_dir), *argv, "--format", "bundle", "--out", str(out), "--sector", "dental"])
        == 0
    )
    with zipfile.ZipFile(out) as z:
        return json.loads(z.read("datapackage.json"))["x-filter"]["permalink"]


@pytest.mark.parametrize(
    "argv",
    [["--base-url", "https://lens.example.org/", "export"], ["export", "--base-url", "https://lens.example.org/"]],
    ids=["before", "after"],
)
def test_base_url_works_before_or_after_the_subcommand(fixture_dir, tmp_path, argv):
    assert _bundle_permalink(fixture_dir, tmp_path, argv) == "https://lens.example.org/explorer?sector=dental"


def test_base_url_defaults_to_the_local_dashboard(fixture_dir, tmp_path):
    assert _bundle_permalink(fixture_dir, tmp_path, ["export"]) == "http://localhost:8501/explorer?sector=dental"


# ---- validate ----------------------------------------------------------------------------------


def test_validate_valid(fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "validate"]) == 0
    out, err = capsys.readouterr()
    assert str(fixture_dir) in out and "valid" in out
    assert err == ""


def test_validate_broken_lists_every_problem_and_exits_1(data_dir, capsys):
    text = (data_dir / "incidents.csv").read_text()
    text = text.replace(",msp,established,", ",mspp,established,").replace("2019-08-26,day", "2019-02-30,day")
    (data_dir / "incidents.csv").write_text(text)
    assert cli.main(["--data", str(data_dir), "validate"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("incidents.csv:2:12: provider_type")
    assert lines[1].startswith("incidents.csv:3:3: attack_date")
    assert len(lines) == 2
    assert "2 problem(s) found" in err


def test_validate_missing_directory(tmp_path, capsys):
    assert run(["--data", str(tmp_path / "nowhere"), "validate"]) == 1
    assert "datapackage.json:1:1: file not found" in capsys.readouterr().out


# ---- stats -------------------------------------------------------------------------------------


def test_stats_json_equals_headline(db, fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "stats", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    headline = json.loads(json.dumps(queries.headline(db, Filters()).as_dict()))
    assert {k: doc[k] for k in headline} == headline
    assert set(doc) - set(headline) == {"answer", "robustness", "coding_agreement"}
    assert doc["n_incidents"] == 9
    # Six: the hosting incident's only MSP label is a repost that stands in for its original.
    assert doc["labelled_msp"]["k"] == 6 and doc["labelled_msp"]["n"] == 9
    assert doc["filter"] == "all incidents"


def test_stats_json_with_filters(db, fixture_dir, capsys):
    argv = ["--data", str(fixture_dir), "stats", "--json", "--years", "2019-2020", "--sector", "dental"]
    assert cli.main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    f = Filters(years=(2019, 2020), sector=("dental",))
    headline = json.loads(json.dumps(queries.headline(db, f).as_dict()))
    assert {k: doc[k] for k in headline} == headline
    assert doc["n_incidents"] == 1
    assert doc["labelled_msp"]["k"] == 1
    by_type = {r["code"]: r["k"] for r in doc["by_provider_type"]}
    assert by_type["software_vendor"] == 1 and sum(by_type.values()) == 1


def test_stats_text_with_filters(fixture_dir, capsys):
    argv = ["--data", str(fixture_dir), "stats", "--years", "2019-2020", "--sector", "dental"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "Incidents in view: 1\n" in out
    assert "Labelled MSP by at least one source: 1 of 1" in out
    assert "in the dental sector" in out and "2019–2020" in out


def test_stats_dashed_option_names(fixture_dir, capsys):
    argv = ["--data", str(fixture_dir), "stats", "--json", "--labelled-by", "government"]
    assert cli.main(argv) == 0
    # Nursing (an agency), the RMM vendor (an agency) and the outsourcer (a minister quoted by the
    # trade press, rule L2).
    assert json.loads(capsys.readouterr().out)["n_incidents"] == 3


def test_a_reversed_year_range_is_read_with_a_note_and_exit_0(fixture_dir, capsys):
    assert cli.main(["--data", str(fixture_dir), "stats", "--json", "--years", "2021-2019"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("note: ") and "Read years='2021-2019' as 2019-2021" in err
    assert json.loads(out)["n_incidents"] == 5


def test_stats_on_broken_data_exits_1_with_the_problems(data_dir, capsys):
    (data_dir / "sources.csv").unlink()
    assert run(["--data", str(data_dir), "stats"]) == 1
    assert "sources.csv:1:1: file not found" in capsys.readouterr().err


def test_usage_errors_exit_2(fixture_dir, capsys):
    assert run(["--data", str(fixture_dir), "export", "--format", "csv"]) == 2  # no --out
    assert run(["--data", str(fixture_dir), "export", "--format", "exe", "--out", "x"]) == 2
    assert run(["--data", str(fixture_dir), "frobnicate"]) == 2


# ---- export ------------------------------------------------------------------------------------

FILTER_ARGS = ["--years", "2019-2020", "--sector", "dental"]


def _export(fixture_dir, tmp_path, fmt, *extra):
    out = tmp_path / f"out.{fmt}"
    code = cli.main(["--data", str(fixture_dir), "export", "--format", fmt, "--out", str(out), *extra])
    return code, out


def test_export_json_with_filters(fixture_dir, tmp_path, capsys):
    code, out = _export(fixture_dir, tmp_path, "json", *FILTER_ARGS)
    assert code == 0
    doc = json.loads(out.read_text())
    assert [r["incident_id"] for r in doc["incidents"]] == [DENTAL]
    assert doc["query"] == "years=2019-2020&sector=dental"
    assert f"wrote {out}" in capsys.readouterr().err


def test_export_parquet_with_filters(fixture_dir, tmp_path):
    code, out = _export(fixture_dir, tmp_path, "parquet", *FILTER_ARGS)
    assert code == 0
    assert pq.read_table(out).column("incident_id").to_pylist() == [DENTAL]


def test_export_csv_with_filters(fixture_dir, tmp_path):
    code, out = _export(fixture_dir, tmp_path, "csv", *FILTER_ARGS)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert [r["incident_id"] for r in rows] == [DENTAL]


def test_export_xlsx_with_filters(fixture_dir, tmp_path):
    code, out = _export(fixture_dir, tmp_path, "xlsx", *FILTER_ARGS)
    assert code == 0
    ws = openpyxl.load_workbook(out)["incidents"]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == [DENTAL]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx"])
def test_export_with_an_empty_result_still_writes_a_file(fixture_dir, tmp_path, fmt):
    code, out = _export(fixture_dir, tmp_path, fmt, "--q", "no such words")
    assert code == 0
    assert out.stat().st_size > 0


def test_export_with_a_bad_filter_value_exits_2_and_writes_nothing(fixture_dir, tmp_path, capsys):
    assert (
        run(
            [
                "--data",
                str(fixture_dir),
                "export",
                "--format",
                "json",
                "--out",
                str(tmp_path / "x.json"),
                "--ptype",
                "' OR 1=1 --",
            ]
        )
        == 2
    )
    assert 'error: --ptype: unknown value "\' OR 1=1 --"; allowed: ' in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_export_to_an_unwritable_place_exits_1(fixture_dir, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir" / "x.json"
    assert run(["--data", str(fixture_dir), "export", "--format", "json", "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert not out.exists()
