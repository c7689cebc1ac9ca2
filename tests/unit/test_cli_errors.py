"""Issue 15.7: every command-line error is one line on stderr and a non-zero exit, never a
traceback: control characters in --base-url (they used to crash the Word brief), usage errors,
and anything unexpected inside a command."""

from __future__ import annotations

import string
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentlens import cli


def run(argv: list[str], capsys) -> tuple[int, list[str]]:
    """main() as a shell sees it: the exit code and the lines on stderr that are not notes."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line and not line.startswith("note:")]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/\x01",
        "https://exa\x00mple.org",
        "https://example.org/\x7f",
        "https://example.org/\u202e",
        "https://example.org/a\u200bb",
        "https://[::1",
        "http://example.org:port",
        "https://example.org/a\x0bb",
    ],
)
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_control_character_in_the_base_url_is_one_line_exit_2(fixture_dir, tmp_path, capsys, url, fmt):
    out = tmp_path / f"brief.{fmt}"
    code, errors = run(
        ["--data", str(fixture_dir), "brief", "--format", fmt, "--no-charts", "--out", str(out), "--base-url", url],
        capsys,
    )
    assert code == 2 and len(errors) == 1 and "--base-url" in errors[0], errors
    assert not out.exists()


def test_the_same_from_the_environment(fixture_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INCIDENTLENS_BASE_URL", "https://example.org/\x01")
    code, errors = run(
        ["--data", str(fixture_dir), "export", "--format", "bundle", "--out", str(tmp_path / "b.zip")], capsys
    )
    assert code == 2 and len(errors) == 1 and "INCIDENTLENS_BASE_URL" in errors[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["export", "--format", "csv"],
        ["export", "--format", "exe"],
        ["stats", "--years"],
        ["synth", "--incidents", "many", "--out", "x"],
    ],
)
def test_usage_errors_are_one_line(fixture_dir, capsys, argv):
    code, errors = run(["--data", str(fixture_dir), *argv], capsys)
    assert code == 2 and len(errors) == 1 and "--help" in errors[0], errors


def test_an_unexpected_error_is_one_line_exit_1(fixture_dir, capsys, monkeypatch):
    from incidentlens.present import exports

    def broken(*args, **kwargs):
        raise ValueError("something\nwent\r\nwrong")

    monkeypatch.setattr(exports, "to_bytes", broken)
    code, errors = run(["--data", str(fixture_dir), "export", "--format", "csv", "--out", "x.csv"], capsys)
    assert code == 1 and errors == ["incidentlens: error: ValueError: something went wrong"]


def test_debug_shows_the_traceback(fixture_dir, monkeypatch):
    from incidentlens.present import exports

    monkeypatch.setattr(exports, "to_bytes", lambda *a, **k: 1 / 0)
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["--data", str(fixture_dir), "export", "--format", "csv", "--out", "x.csv"])


@pytest.mark.parametrize("command", [["stats"], ["export", "--format", "csv", "--out", "x.csv"]])
def test_data_that_does_not_validate_is_one_line_naming_the_first_problem(tmp_path, capsys, command):
    code, errors = run(["--data", str(tmp_path / "nowhere"), *command], capsys)
    assert code == 1 and len(errors) == 1 and "datapackage.json:1:1: file not found" in errors[0], errors


WORDS = st.sampled_from(
    [
        "--data",
        "--years",
        "--ptype",
        "--q",
        "--base-url",
        "--format",
        "--out",
        "--compare",
        "--share-of",
        "--country",
        "--json",
        "--robustness",
        "--no-charts",
        "2019-2021",
        "msp",
        "csv",
        "docx",
        "bundle",
        "2100",
        "x,y",
        "label=msp",
        "http://x.example",
        "",
        "-",
        "--",
        "=",
        "\x01",
        "\u202e",
        "é",
        "../..",
        "/dev/null",
    ]
)
ARGS = st.lists(st.one_of(WORDS, st.text(string.printable + "\x00\x1b\u2028", max_size=8)), max_size=6)


# capsys is read (and so emptied) once per example.
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(command=st.sampled_from(["validate", "stats", "export", "brief"]), args=ARGS)
def test_any_arguments_end_in_output_or_one_line_error(fixture_dir, tmp_path_factory, capsys, command, args):
    out = tmp_path_factory.mktemp("cli") / "out"
    argv = ["--data", str(fixture_dir), command, *args]
    if command in ("export", "brief"):
        argv += ["--out", str(out), "--no-charts"] if command == "brief" else ["--out", str(out)]
    code, errors = run(argv, capsys)
    if code != 0:
        assert len(errors) == 1, (argv, errors)


def test_a_real_process_prints_no_traceback(fixture_dir, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "incidentlens.cli",
            "--data",
            str(fixture_dir),
            "brief",
            "--format",
            "docx",
            "--no-charts",
            "--out",
            str(tmp_path / "b.docx"),
            "--base-url",
            "https://example.org/\x01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
