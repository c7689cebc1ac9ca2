"""`incidentlens`: validate, stats, export, serve (and more) from the command line.

Filters use the same names as the dashboard's URL (`--years 2019-2023 --ptype msp,break_fix`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import filters as flt
from .schema import data_dir, load_package

APP = Path(__file__).resolve().parents[2] / "app.py"


def _add_filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (same names and values as the dashboard URL)")
    for key in flt.ALL_KEYS:
        g.add_argument(f"--{key.replace('_', '-')}", dest=f"f_{key}", metavar="VALUE",
                       help="free text" if key == "q" else "comma-separated values")


def _filters(args) -> flt.Filters:
    params = {k: getattr(args, f"f_{k}") for k in flt.ALL_KEYS if getattr(args, f"f_{k}") is not None}
    parsed = flt.parse(params, load_package(args.data))
    for note in parsed.notes:
        print(f"note: {note}", file=sys.stderr)
    return parsed.filters


def _db(args):
    from .db import DataError, load

    try:
        return load(args.data)
    except DataError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def cmd_validate(args) -> int:
    from .validate import validate

    problems = validate(data_dir(args.data))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"{data_dir(args.data)}: valid (dataset version {load_package(args.data).version})")
    return 0


def cmd_stats(args) -> int:
    from . import queries

    db = _db(args)
    h = queries.headline(db, _filters(args))
    if args.json:
        print(json.dumps(h.as_dict(), indent=2))
        return 0
    print(f"IncidentLens dataset {h.version}: {h.filter_words}")
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


def cmd_export(args) -> int:
    from . import exports

    db = _db(args)
    data = exports.to_bytes(db, _filters(args), args.format)
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    env = dict(os.environ)
    if args.data:
        env["INCIDENTLENS_DATA"] = str(Path(args.data).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(args.port),
           "--server.address", args.address]
    return subprocess.call(cmd, env=env, cwd=APP.parent)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="incidentlens", description=__doc__.splitlines()[0])
    p.add_argument("--data", help="data directory (default: $INCIDENTLENS_DATA or the repo's data/)")
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check the data files; exit 1 listing every problem")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("stats", help="headline numbers for a filter")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    _add_filters(s)
    s.set_defaults(func=cmd_stats)

    e = sub.add_parser("export", help="write every incident matching a filter")
    e.add_argument("--format", required=True, choices=["csv", "json", "parquet", "xlsx"])
    e.add_argument("--out", required=True, help="output file")
    _add_filters(e)
    e.set_defaults(func=cmd_export)

    r = sub.add_parser("serve", help="start the dashboard")
    r.add_argument("--port", type=int, default=8501)
    r.add_argument("--address", default="127.0.0.1")
    r.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # --data may also come after the subcommand's own options
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
