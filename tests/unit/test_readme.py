"""The README as a test: its list of filter keys matches the registry, its example links parse
cleanly, and every `incidentlens ...` line in its code blocks runs, against the fixture data.

A README command line uses a small notation, expanded here into the commands it stands for:
`[...]` is optional, `a|b|c` is one of several values, `DIR` is a data directory (the fixture)
and the value after `--out` is a file or folder (one under pytest's tmp_path, so `/tmp/synth`
is not written). Each value of an alternative is run once; the first without the optional
parts, the others with them, so both forms are covered without running every combination.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from incidentlens import cli, local_dashboard
from incidentlens.query import filters as flt
from paths import REAL, ROOT

README = (ROOT / "README.md").read_text()
OPTIONAL = re.compile(r"\[([^\]]+)\]")
ALTERNATIVES = re.compile(r"[\w-]+(\|[\w-]+)+")
RESOURCES = ("incidents", "sources", "policy_actions")
SAMPLE_FILTERS = ["--years", "2019-2023", "--sector", "dental"]  # what `[filters]` stands for


def _command_lines() -> list[tuple[int, str]]:
    """(line number, text) of every `incidentlens ...` line inside a fenced code block."""
    out, fenced = [], False
    for number, line in enumerate(README.splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("incidentlens "):
            out.append((number, line))
    return out


def _pick(words: list[str], i: int) -> list[str]:
    return [w.split("|")[i % len(w.split("|"))] if ALTERNATIVES.fullmatch(w) else w for w in words]


def _variants(line: str) -> list[list[str]]:
    """The argument lists (without the leading `incidentlens`) that one README line stands for."""
    full = shlex.split(OPTIONAL.sub(r"\1", line), comments=True)[1:]
    bare = shlex.split(OPTIONAL.sub("", line), comments=True)[1:]
    n = max([len(w.split("|")) for w in full if ALTERNATIVES.fullmatch(w)], default=1)
    found = [_pick(bare, 0), *(_pick(full, i) for i in range(1 if n > 1 else 0, n))]
    return [list(v) for v in dict.fromkeys(map(tuple, found))]


COMMANDS = [
    pytest.param(argv, id=f"L{number}:{shlex.join(argv)}")
    for number, line in _command_lines()
    for argv in _variants(line)
]


def _concrete(argv: list[str], data: Path, out: Path) -> list[str]:
    """Placeholders filled in: DIR, `filters`, and whatever follows --out."""
    result: list[str] = []
    for before, word in zip(["", *argv], argv):
        if before == "--out":
            result.append(str(out))
        elif word == "DIR":
            result.append(str(data))
        elif word == "filters":
            result += SAMPLE_FILTERS
        elif re.fullmatch(r"[A-Z_]+", word):
            pytest.fail(f"README placeholder {word!r} has no meaning in tests/unit/test_readme.py")
        else:
            result.append(word)
    return result


# ---- the lists and links in the prose ----------------------------------------------------------


def test_readme_dataset_line_matches_the_data():
    """The figures a reader quotes from the README's first lines are the data's own."""
    line = next(x for x in README.splitlines() if x.startswith("Dataset version"))
    found = re.fullmatch(
        r"Dataset version \*\*([\d.]+)\*\*: (\d+) incidents first reported (\d{4})–(\d{4}), "
        r"(\d+) source rows, (\d+) government actions\.",
        line,
    )
    assert found, line
    rows = {name: list(csv.DictReader((REAL / f"{name}.csv").open(encoding="utf-8"))) for name in RESOURCES}
    years = sorted(r["disclosed_date"][:4] for r in rows["incidents"] if r["disclosed_date"])
    assert found.groups() == (
        json.loads((REAL / "datapackage.json").read_text())["version"],
        str(len(rows["incidents"])),
        years[0],
        years[-1],
        str(len(rows["sources"])),
        str(len(rows["policy_actions"])),
    )


def test_readme_lists_exactly_the_registry_filter_keys():
    sentence = README.split("Keys: ", 1)[1].split(". Unknown keys", 1)[0]
    listed = re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", sentence))
    assert listed == list(flt.ALL_KEYS)


def test_readme_cli_filter_options_exist():
    sentence = README.split("Filters use the URL's names", 1)[1].split(")", 1)[0]
    named = re.findall(r"`(--[\w-]+)`", sentence)
    assert named, "the README no longer names any filter option"
    assert set(named) <= {"--years", "--q", *(key.cli for key in flt.KEYS)}


def test_readme_links_name_pages_and_filter_links_keep_every_filter(db):
    links = [urlsplit(link) for link in re.findall(r"`(/[\w/]*\?[^`]+)`", README)]
    for link in links:
        assert (ROOT / "pages" / f"{link.path.strip('/')}.py").is_file(), link.geturl()
    filter_links = [link for link in links if any(k in flt.ALL_KEYS for k, _ in parse_qsl(link.query))]
    assert filter_links
    for link in filter_links:
        parsed = flt.parse(dict(parse_qsl(link.query)), db.package)
        assert not parsed.notes, link.geturl()
        given = {k: sorted(v.split(",")) for k, v in parse_qsl(link.query)}
        assert {k: sorted(v.split(",")) for k, v in parsed.filters.to_params().items()} == given, link.geturl()


def test_readme_documents_every_subcommand():
    documented = {_variants(line)[0][0] for _, line in _command_lines()}
    subcommands = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert documented == set(subcommands.choices)


# ---- the commands ------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [c for c in COMMANDS if c.values[0][0] != "serve"])
def test_readme_command_runs(argv, fixture_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INCIDENTLENS_DATA", str(fixture_dir))  # for the lines without --data
    out = tmp_path / "out"
    try:
        code = cli.main(_concrete(argv, fixture_dir, out))
    except SystemExit as exc:
        code = exc.code
    printed = capsys.readouterr()
    assert code == 0, printed.err
    if "--out" in argv:
        assert out.exists() and (out.is_dir() or out.stat().st_size > 0)
    else:
        assert printed.out.strip()


@pytest.mark.slow
@pytest.mark.parametrize("argv", [c for c in COMMANDS if c.values[0][0] == "serve"])
def test_readme_serve_command_serves_the_dashboard(argv, fixture_dir):
    """Through the installed `incidentlens` script; on a free port, as 8501 may be taken."""
    port = local_dashboard.free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("incidentlens")), *argv, "--port", str(port)],
        env={**os.environ, "INCIDENTLENS_DATA": str(fixture_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # its own group: streamlit, its child, stops with it
    try:
        local_dashboard.wait_healthy(proc, port, timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
