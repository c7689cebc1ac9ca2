"""`incidentlens`: validate, stats, export, serve (and more) from the command line.

Filters use the same names as the dashboard's URL (`--years 2019-2023 --ptype msp,break_fix`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qs, urlsplit

from incidentlens import links
from incidentlens.data.schema import data_dir, load_package
from incidentlens.query import filters as flt

SERVE = Path(__file__).resolve().parents[2] / "serve.py"  # app.py behind IncidentLens's middleware
STREAMLIT_CONFIG = SERVE.parent / ".streamlit" / "config.toml"
ALLOWED_HOSTS_ENV = "STREAMLIT_SERVER_ALLOWED_HOSTS"
DEBUG_ENV = "INCIDENTLENS_DEBUG"  # "1": an unexpected error shows its traceback instead of one line


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (same names and values as the dashboard URL)")
    g.add_argument("--years", dest="f_years", metavar="RANGE", help="a year or a range, e.g. 2019-2023")
    for key in flt.KEYS:
        g.add_argument(key.cli, dest=f"f_{key.name}", metavar="VALUES", help=f"comma-separated {key.help}")
    g.add_argument("--q", dest="f_q", metavar="TEXT", help="free text in titles, summaries and providers")


def _filters(args, db) -> flt.Filters:
    """The filters given; a value the dashboard would drop from a link stops the command here
    (exit 2, naming the values allowed) instead of silently counting everything."""
    params = {k: getattr(args, f"f_{k}") for k in flt.ALL_KEYS if getattr(args, f"f_{k}") is not None}
    _stop_on(_problems(params, db, lambda key: "--" + key.replace("_", "-")))
    parsed = flt.parse(params, db.package)
    for note in parsed.notes:
        print(f"note: {note}", file=sys.stderr)
    return parsed.filters


def _stop_on(problems: list[str]) -> None:
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2)


def _problems(params: dict[str, str], db, name: Callable[[str], str]) -> list[str]:
    """One message per filter key that is unknown or has values outside its vocabulary (for
    countries and US states: not two-letter codes), saying what it accepts; `name` spells a key."""
    from incidentlens.query import queries

    out = [
        f"{name(k)}: unknown filter; the filters are {', '.join(flt.ALL_KEYS)}" for k in params if k not in flt.ALL_KEYS
    ]
    if "years" in params and flt.parse({"years": params["years"]}, db.package).filters.years is None:
        out.append(
            f"{name('years')}: {params['years']!r} is not a year or a range between {flt.YEAR_MIN} and "
            f"{flt.YEAR_MAX}, e.g. 2019-2023"
        )
    allowed = flt.allowed_values(db.package)
    for key in flt.KEYS:
        values = [v.strip() for v in params.get(key.name, "").split(",") if v.strip()]
        if key.vocabulary is None:
            bad = [v for v in values if not flt.CODE.match(v.upper())]
            accepted = "two-letter codes; in the data: " + ", ".join(
                sorted(queries.facet_counts(db, flt.Filters(), key.name))
            )
        else:
            bad = [v for v in values if v.lower() not in allowed[key.name]]
            accepted = ", ".join(sorted(allowed[key.name]))
        if bad:
            out.append(
                f"{name(key.name)}: unknown value{'s' if len(bad) > 1 else ''} "
                f"{', '.join(repr(b) for b in bad)}; allowed: {accepted}"
            )
    return out


def _db(args):
    from incidentlens.data.database import DataError, load

    try:
        return load(args.data)
    except DataError as exc:
        n = len(exc.problems)
        print(
            f"incidentlens: error: the data does not validate ({n} problem{'s' if n > 1 else ''}, the first: "
            f"{exc.problems[0]}); `incidentlens validate` lists them",
            file=sys.stderr,
        )
        raise SystemExit(1) from None


def cmd_validate(args) -> int:
    from incidentlens.data.validate import validate

    problems = validate(data_dir(args.data))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"{data_dir(args.data)}: valid (dataset version {load_package(args.data).version})")
    return 0


def cmd_stats(args) -> int:
    from incidentlens.present import narrative
    from incidentlens.query import agreement, answer, queries

    db = _db(args)
    f = _filters(args, db)
    if args.compare:
        return cmd_compare(args, db, f)
    h = queries.headline(db, f)
    ans, readings = answer.of(db, f)
    if args.robustness:
        return _print_robustness(readings, args.json)
    if args.json:
        print(
            json.dumps(
                {
                    **h.as_dict(),
                    "answer": {**ans.as_dict(), "sentence": narrative.answer_sentence(ans)},
                    "robustness": _robustness_dict(readings),
                    "coding_agreement": agreement.agreement(db).as_dict(),
                },
                indent=2,
            )
        )
        return 0
    print(f"IncidentLens dataset {h.version}: {h.filter_words}")
    print(f"\n{narrative.answer_sentence(ans)}\n{narrative.robustness_sentence(readings)}\n")
    print(f"Incidents in view: {h.n}")
    print(f"Labelled MSP by at least one source: {h.labelled.k} of {h.n}, {h.labelled.percent()}")
    print("\nOf the incidents labelled MSP, provider assessed as:")
    for t in h.labelled_by_type:
        flag = "  (n < 10)" if t.share.small_sample else ""
        print(f"  {t.label:<24} {t.share.k:>4} of {t.share.n:<4} {t.share.percent()}{flag}")
    print("\nAll incidents in view, by assessed provider type:")
    for t in h.by_type:
        print(f"  {t.label:<24} {t.share.k:>4}  {t.share.percent()}")
    return 0


def _robustness_dict(readings: list) -> dict:
    from incidentlens.present import narrative

    return {"sentence": narrative.robustness_sentence(readings), "readings": [r.as_dict() for r in readings]}


def _print_robustness(readings: list, as_json: bool) -> int:
    """`stats --robustness`: the headline shares under every defensible reading."""
    from incidentlens.present import narrative

    if as_json:
        print(json.dumps(_robustness_dict(readings), indent=2))
        return 0
    print(narrative.robustness_sentence(readings))
    print(f"\n  {'Reading':<42} {'Provider an MSP':<30} {'Provider break/fix'}")
    for r in readings:
        msp, bf = r.shares["msp"], r.shares["break_fix"]
        print(f"  {r.label:<42} {f'{msp.k} of {msp.n}, {msp.percent()}':<30} {bf.k} of {bf.n}, {bf.percent()}")
    return 0


def _base_url(args) -> str | None:
    """--base-url, $INCIDENTLENS_BASE_URL or the config file's base_url; exit 2 when unusable."""
    try:
        return links.base_url(args.base_url)
    except links.SettingError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _permalink(args, f: flt.Filters, page: str = "") -> str:
    """The link printed in briefs and bundles; localhost, with a note, when no address is set."""
    base = _base_url(args) or links.LOCAL
    url = links.permalink(base, page, f.to_params())
    if links.is_local(url):
        print(f"note: links point to {base} ({links.LOCAL_NOTE}). {links.HOW_TO_SET}", file=sys.stderr)
    return url


def _write(path: str, data: bytes) -> int:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        print(f"cannot write {path}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from incidentlens.present import bundle, exports

    db = _db(args)
    f = _filters(args, db)
    if args.format == "bundle":
        return _write(args.out, bundle.build(db, f, _permalink(args, f, "explorer")))
    return _write(args.out, exports.to_bytes(db, f, args.format))


def cmd_brief(args) -> int:
    from incidentlens.present import brief

    db = _db(args)
    f = _filters(args, db)
    b = brief.build(db, f, _permalink(args, f), with_charts=not args.no_charts)
    if b.chart_note:
        print(f"note: {b.chart_note}", file=sys.stderr)
    return _write(args.out, brief.render(b, args.format))


def cmd_compare(args, db, f: flt.Filters) -> int:
    from incidentlens.query import compare

    pkg = db.package
    _stop_on(
        [
            problem
            for group, text in zip("AB", args.compare)
            for problem in _problems(
                {k: ",".join(v) for k, v in parse_qs(text).items()}, db, partial("group {}, {}".format, group)
            )
        ]
    )
    a, b = (compare.parse_slice(s, pkg) for s in args.compare)
    for note in a.notes + b.notes:
        print(f"note: {note}", file=sys.stderr)
    code = args.share_of
    if code not in pkg.type_family:
        print(f"--share-of must be one of: {', '.join(pkg.type_family)}", file=sys.stderr)
        return 2
    c = compare.compare(db, f, a.filters, b.filters, code)
    if args.json:
        print(json.dumps({"dataset_version": db.version, **c.as_dict()}, indent=2))
    else:
        print(f"A: {c.a_words}\nB: {c.b_words}\n{c.sentence()}")
    return 0


def cmd_sql(args) -> int:
    from incidentlens.console import main_sql

    return main_sql(args.sql, args.format, args.max_rows, _db(args))


def cmd_synth(args) -> int:
    from incidentlens.data import synth

    return synth.main_synth(args.incidents, args.out)


def cmd_serve(args) -> int:
    env = dict(os.environ)
    if args.data:
        env["INCIDENTLENS_DATA"] = str(Path(args.data).resolve())
    base = _base_url(args)
    if base:
        env[links.BASE_URL_ENV] = base
    elif args.address not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"note: the dashboard accepts connections addressed to {', '.join(_local_hosts())} only; set "
            f"{links.BASE_URL_ENV} (or --base-url) to the address readers use",
            file=sys.stderr,
        )
    return subprocess.call(serve_command(args.port, args.address, base), env=env, cwd=SERVE.parent)


def _local_hosts() -> list[str]:
    """The Host names .streamlit/config.toml allows (server.allowedHosts)."""
    return tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8"))["server"]["allowedHosts"]


def serve_command(port: int, address: str, base: str | None) -> list[str]:
    """`streamlit run serve.py`; with a public address, its host joins the Host names WebSocket
    connections may use (unless STREAMLIT_SERVER_ALLOWED_HOSTS sets that list itself)."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(SERVE),
        "--server.port",
        str(port),
        "--server.address",
        address,
    ]
    if base and ALLOWED_HOSTS_ENV not in os.environ:
        for host in dict.fromkeys([*_local_hosts(), urlsplit(base).hostname]):
            cmd += ["--server.allowedHosts", str(host)]
    return cmd


def _global_options(p: argparse.ArgumentParser) -> None:
    """--data and --base-url, given on the top parser and on every subcommand so they work before
    or after it. No defaults here (SUPPRESS): a subcommand not given one keeps the top parser's."""
    p.add_argument(
        "--data", default=argparse.SUPPRESS, help="data directory (default: $INCIDENTLENS_DATA or the repo's data/)"
    )
    p.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help="the dashboard's public address, for permalinks in briefs, bundles and the "
        "served dashboard (default: $INCIDENTLENS_BASE_URL, then base_url in "
        "incidentlens.toml, else http://localhost:8501 marked as a local copy)",
    )


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="incidentlens", description=__doc__.splitlines()[0])
    _global_options(p)
    p.set_defaults(data=None, base_url=None)
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check the data files; exit 1 listing every problem")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("stats", help="headline numbers for a filter")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument(
        "--robustness", action="store_true", help="the headline shares under every defensible reading of the data"
    )
    s.add_argument(
        "--compare",
        nargs=2,
        metavar=("SLICE_A", "SLICE_B"),
        help="compare two slices written like URL filters, e.g. "
        "'labelled_by=trade_press' 'labelled_by=mainstream_media'",
    )
    s.add_argument(
        "--share-of",
        default="msp",
        metavar="PROVIDER_TYPE",
        help="with --compare: the provider type whose share is compared (default msp)",
    )
    _add_filters(s)
    s.set_defaults(func=cmd_stats)

    e = sub.add_parser("export", help="write every incident matching a filter")
    e.add_argument("--format", required=True, choices=["csv", "json", "parquet", "xlsx", "bundle"])
    e.add_argument("--out", required=True, help="output file")
    _add_filters(e)
    e.set_defaults(func=cmd_export)

    b = sub.add_parser("brief", help="a 2-4 page brief for a filter, as PDF or Word")
    b.add_argument("--format", required=True, choices=["pdf", "docx"])
    b.add_argument("--out", required=True, help="output file")
    b.add_argument("--no-charts", action="store_true", help="skip chart images (no chromium needed)")
    _add_filters(b)
    b.set_defaults(func=cmd_brief)

    q = sub.add_parser("sql", help="one read-only SELECT over a sandboxed snapshot (exit 2 on refusal)")
    q.add_argument("sql", help='e.g. "SELECT provider_type, count(*) FROM incidents GROUP BY 1"')
    q.add_argument("--format", default="table", choices=["table", "csv", "json"])
    q.add_argument("--max-rows", type=int, default=1000)
    q.set_defaults(func=cmd_sql)

    y = sub.add_parser("synth", help="write a clearly synthetic, schema-valid dataset for benchmarks")
    y.add_argument("--incidents", type=int, required=True)
    y.add_argument("--out", required=True, help="output directory")
    y.set_defaults(func=cmd_synth)

    r = sub.add_parser("serve", help="start the dashboard")
    r.add_argument("--port", type=int, default=8501)
    r.add_argument("--address", default="127.0.0.1")
    r.set_defaults(func=cmd_serve)

    for command in sub.choices.values():
        _global_options(command)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except Exception as exc:  # every error is one line; INCIDENTLENS_DEBUG=1 shows the traceback
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        print(f"incidentlens: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: Exception) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 300 else text[:297] + "..."


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (subcommand parsers are made with the same class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


if __name__ == "__main__":
    raise SystemExit(main())
