"""Clearly synthetic, schema-valid datasets of any size, for benchmarks and load tests.

Every value comes from the descriptor's vocabularies (read with `schema.load_package`), every id
says `synth`, every URL is under `https://example.invalid/synthetic/`, every title is
"Synthetic incident <n>", and the copied `datapackage.json` is marked SYNTHETIC in its title,
description and version. Generation is vectorised (numpy + pyarrow), so a million incidents with
about three million sources take seconds, not minutes.

    incidentlens synth --incidents 100000 --out /tmp/synth100k
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from incidentlens.data.schema import REPO_DATA, Package, load_package

FIRST_DAY = np.datetime64("2015-01-01", "D")
LAST_DAY = np.datetime64("2025-12-31", "D")
REVIEWED = np.datetime64("2025-12-31", "D")
URL_BASE = "https://example.invalid/synthetic/"
SYNTHETIC_NOTE = (
    "SYNTHETIC: randomly generated test data laid out with the IncidentLens schema. "
    "It describes no real incident, provider, source or policy."
)

# Rough shapes so the charts have something to show; codes missing here get a small weight.
PROVIDER_WEIGHTS = {
    "msp": 0.30,
    "mssp": 0.05,
    "it_outsourcer": 0.08,
    "public_shared_it": 0.04,
    "break_fix": 0.08,
    "consultant_var": 0.07,
    "software_vendor": 0.18,
    "cloud_hosting": 0.08,
    "non_it_supplier": 0.04,
    "unknown": 0.08,
}
COUNTRY_WEIGHTS = {
    "US": 8.0,
    "GB": 3.0,
    "DE": 2.0,
    "AU": 2.0,
    "CA": 1.5,
    "NL": 1.0,
    "FR": 1.0,
    "SE": 1.0,
    "IE": 0.7,
    "BE": 0.7,
    "NZ": 0.5,
    "IT": 0.5,
    "ES": 0.5,
    "JP": 0.5,
    "DK": 0.4,
    "NO": 0.4,
}
US_STATES = ("TX", "CA", "NY", "FL", "WI", "MD", "OH", "PA", "IL", "WA", "GA", "NC", "MA", "CO", "MN")
JURISDICTIONS = ("US", "EU", "GB", "US-TX", "AU", "DE", "US-NY")


def _weights(codes, table: dict[str, float], default: float = 0.02) -> np.ndarray:
    w = np.array([table.get(c, default) for c in codes], dtype=float)
    return w / w.sum()


def _choice(rng: np.random.Generator, codes, n: int, p=None) -> pa.Array:
    """n values drawn from a vocabulary, as a pyarrow string array."""
    pool = pa.array(list(codes), pa.string())
    return pool.take(pa.array(rng.choice(len(pool), size=n, p=p)))


def _combos(rng: np.random.Generator, codes, n: int, size_p, item_w=None) -> tuple[pa.Array, np.ndarray]:
    """n ';'-joined lists of distinct vocabulary items; list length k has probability size_p[k-1].

    Returns the strings and the index of the chosen combination in `itertools.combinations`
    order over all lengths (callers use it to derive dependent columns)."""
    codes = list(codes)
    item_w = np.ones(len(codes)) if item_w is None else np.asarray(item_w, dtype=float)
    ks = rng.choice(len(size_p), size=n, p=size_p) + 1
    texts: list[str] = []
    index = np.empty(n, dtype=np.int64)
    for k in range(1, len(size_p) + 1):
        combos = list(itertools.combinations(range(len(codes)), k))
        w = np.array([np.prod(item_w[list(c)]) for c in combos])
        rows = np.flatnonzero(ks == k)
        index[rows] = len(texts) + rng.choice(len(combos), size=len(rows), p=w / w.sum())
        texts += [";".join(codes[i] for i in c) for c in combos]
    return pa.array(texts, pa.string()).take(pa.array(index)), index


def _masked_choice(values: pa.Array, keep: np.ndarray, otherwise: str) -> pa.Array:
    """`values` where `keep`, else `otherwise`: keeps generated rows inside the codebook's rules."""
    return pa.array(np.where(keep, values.to_numpy(zero_copy_only=False), otherwise), pa.string())


def _num(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of pyarrow arrays and Python string constants."""
    return pc.binary_join_element_wise(*parts, "")


def _masked(values, keep: np.ndarray, type_=None) -> pa.Array:
    """`values` where keep is True, null (an empty CSV cell) elsewhere."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=type_)
    return pc.if_else(pa.array(keep), arr, pa.scalar(None, arr.type))


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), pa.date32())


def _write(table: dict[str, pa.Array], columns: list[str], path: Path) -> None:
    missing = set(columns) ^ set(table)
    if missing:
        raise ValueError(f"{path.name}: generated columns differ from the schema: {sorted(missing)}")
    pacsv.write_csv(
        pa.table({c: table[c] for c in columns}), str(path), pacsv.WriteOptions(include_header=True, batch_size=65_536)
    )


def _incidents(pkg: Package, rng: np.random.Generator, n: int) -> tuple[dict[str, pa.Array], dict]:
    def vocab(name: str):
        f = pkg.field("incidents", name)
        return f.enum or f.item_enum or tuple(f.vocabulary)

    number = np.arange(1, n + 1)
    span = int((LAST_DAY - FIRST_DAY).astype(int))
    attack = FIRST_DAY + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")
    precision_codes = vocab("attack_date_precision")
    precision = rng.choice(
        len(precision_codes),
        size=n,
        p=_weights(precision_codes, {"day": 0.65, "week": 0.05, "month": 0.2, "year": 0.1}),
    )
    month_start = attack.astype("datetime64[M]").astype("datetime64[D]")
    year_start = attack.astype("datetime64[Y]").astype("datetime64[D]")
    codes = list(precision_codes)
    if "month" in codes:
        attack = np.where(precision == codes.index("month"), month_start, attack)
    if "year" in codes:
        attack = np.where(precision == codes.index("year"), year_start, attack)
    if "week" in codes:  # rule D1: a week is stored as its Monday (1970-01-01 was a Thursday)
        monday = attack - ((attack.astype("datetime64[D]").astype(int) + 3) % 7).astype("timedelta64[D]")
        monday = np.where(monday < FIRST_DAY, monday + np.timedelta64(7, "D"), monday)  # stay in range, a Monday
        attack = np.where(precision == codes.index("week"), monday, attack)
    disclosed = np.minimum(attack + rng.integers(0, 121, size=n).astype("timedelta64[D]"), LAST_DAY)

    years = attack.astype("datetime64[Y]").astype(int) + 1970
    months = attack.astype("datetime64[M]").astype(int) % 12 + 1
    incident_id = _join(_num(years), "-", pc.utf8_lpad(_num(months), 2, "0"), "-synth-", _num(number))

    countries, country_idx = _combos(rng, COUNTRY_WEIGHTS, n, [0.8, 0.15, 0.05], list(COUNTRY_WEIGHTS.values()))
    has_us = pc.match_substring(countries, "US").to_numpy(zero_copy_only=False)
    states, _ = _combos(rng, US_STATES, n, [0.8, 0.2])
    sectors, _ = _combos(rng, vocab("victim_sectors"), n, [0.7, 0.25, 0.05])

    lo = (rng.pareto(1.2, size=n) * 20).astype(np.int64) + 1
    hi = lo + rng.integers(0, 500, size=n)
    has_lo = rng.random(n) < 0.7
    has_hi = has_lo & (rng.random(n) < 0.85)

    ptypes = vocab("provider_type")
    ptype_idx = rng.choice(len(ptypes), size=n, p=_weights(ptypes, PROVIDER_WEIGHTS))
    provider_pool = max(10, n // 5)
    chosen = np.array(list(ptypes))[ptype_idx] if n else np.array([], dtype=str)
    is_msp, is_unknown, is_hosting = (chosen == "msp"), (chosen == "unknown"), (chosen == "cloud_hosting")
    ransom = (rng.integers(10, 10_000, size=n) * 1000).astype(np.int64)

    table = {
        "incident_id": incident_id,
        "title": _join("Synthetic incident ", _num(number)),
        "attack_date": _dates(attack),
        "attack_date_precision": pa.array(precision_codes, pa.string()).take(pa.array(precision)),
        "disclosed_date": _masked(_dates(disclosed), rng.random(n) < 0.6),
        "countries": countries,
        "us_states": _masked(states, has_us & (rng.random(n) < 0.8)),
        "victim_sectors": sectors,
        "downstream_orgs_min": _masked(lo, has_lo),
        "downstream_orgs_max": _masked(hi, has_hi),
        "provider_name": _masked(
            _join("Synthetic provider ", _num(rng.integers(1, provider_pool + 1, n))), rng.random(n) < 0.9
        ),
        "provider_type": pa.array(list(ptypes), pa.string()).take(pa.array(ptype_idx)),
        "provider_maturity": pa.array(np.where(is_msp, "established", "unknown"), pa.string()),
        "type_confidence": _masked_choice(
            _choice(
                rng,
                vocab("type_confidence"),
                n,
                _weights(vocab("type_confidence"), {"high": 0.5, "medium": 0.35, "low": 0.15}),
            ),
            ~is_unknown,
            "low",
        ),
        "type_basis": pa.array(np.full(n, "Synthetic record: generated at random, no evidence."), pa.string()),
        **_coding(pkg, rng, incident_id, ptype_idx, ptypes),
        "route": _masked_choice(
            _choice(rng, [r for r in vocab("route") if r != "hosted_platform"], n), ~is_hosting, "hosted_platform"
        ),
        "attack_type": _choice(
            rng, vocab("attack_type"), n, _weights(vocab("attack_type"), {"ransomware": 0.6, "data_theft": 0.2}, 0.04)
        ),
        "malware": _masked(_join("Synthetic malware ", _num(rng.integers(1, 40, n))), rng.random(n) < 0.3),
        "threat_actor": _masked(_join("Synthetic actor ", _num(rng.integers(1, 25, n))), rng.random(n) < 0.3),
        "ransom_demand_usd": _masked(ransom, rng.random(n) < 0.2),
        "certification_at_incident": pa.nulls(n, pa.string()),
        "summary": _join(
            "Synthetic incident ",
            _num(number),
            " was generated for benchmarks and load tests; it describes no real event.",
        ),
        "disagreements": pa.nulls(n, pa.string()),
        "last_reviewed": _dates(np.full(n, REVIEWED)),
    }
    return table, {"incident_id": incident_id, "attack": attack, "ptype": ptype_idx, "ptypes": ptypes}


def _coding(
    pkg: Package, rng: np.random.Generator, incident_id: pa.Array, ptype_idx: np.ndarray, ptypes
) -> dict[str, pa.Array]:
    """The codebook fields: the first rule giving each type, no alternative, and a relationship
    documented by the incident's first source for about a third of incidents."""
    n = len(ptype_idx)
    if "type_rule" not in pkg.columns("incidents"):
        return {}
    first_rule = {t: next((r for r, gives in pkg.rule_types.items() if t in gives), "") for t in ptypes}
    # Rule T6: a break/fix provider is never on a standing contract.
    relations = [
        c
        for c in pkg.field("incidents", "service_relationship").enum or ()
        if c not in ("not_documented", "managed_contract", "monthly_retainer")
    ]
    documented = (rng.random(n) < 0.33) & bool(relations)
    picked = np.array(relations or ["not_documented"])[rng.integers(0, max(1, len(relations)), n)]
    relation = np.where(documented, picked, "not_documented")
    return {
        "type_rule": pa.array([first_rule[t] for t in ptypes], pa.string()).take(pa.array(ptype_idx)),
        "alt_provider_type": pa.nulls(n, pa.string()),
        "alt_rule": pa.nulls(n, pa.string()),
        "service_relationship": pa.array(relation, pa.string()),
        "relationship_source_id": _masked(_join(incident_id, "#1"), documented),
    }


def _sources(pkg: Package, rng: np.random.Generator, inc: dict) -> dict[str, pa.Array]:
    def vocab(name: str):
        f = pkg.field("sources", name)
        return f.enum or tuple(f.vocabulary)

    n = len(inc["attack"])
    per = rng.integers(1, 6, size=n)  # 1-5 sources per incident
    total = int(per.sum())
    owner = np.repeat(np.arange(n), per)
    starts = np.cumsum(per) - per
    seq = np.arange(total) - np.repeat(starts, per) + 1
    number = np.arange(1, total + 1)
    owner_ids = inc["incident_id"].take(pa.array(owner))

    # Sources call the provider an MSP more often when it was one; that is the dashboard's story.
    ptypes = list(inc["ptypes"])
    is_msp = inc["ptype"][owner] == (ptypes.index("msp") if "msp" in ptypes else -1)
    labels = list(vocab("label_term"))
    says_msp = rng.random(total) < np.where(is_msp, 0.7, 0.3)
    others = [i for i, c in enumerate(labels) if c != "msp"]
    label_idx = np.where(
        says_msp & ("msp" in labels),
        labels.index("msp") if "msp" in labels else 0,
        np.array(others)[rng.integers(0, len(others), size=total)],
    )
    label = pa.array(labels, pa.string()).take(pa.array(label_idx))
    repost = (rng.random(total) < 0.15) & (seq > 1)
    published = np.minimum(inc["attack"][owner] + rng.integers(0, 366, size=total).astype("timedelta64[D]"), LAST_DAY)
    yes_no = vocab("is_repost")
    source_type = _choice(rng, vocab("source_type"), total)
    publisher = _join("Synthetic publisher ", _num(rng.integers(1, 60, size=total)))
    speakers = {}
    if "speaker_type" in pkg.columns("sources"):
        speakers = {
            "speaker_type": source_type,
            "speaker": pa.array(np.full(total, "own voice"), pa.string()),
            "repost_of": _masked(_join("Synthetic publisher ", _num(rng.integers(1, 60, size=total))), repost),
        }
    return {
        **speakers,
        "source_id": _join(owner_ids, "#", _num(seq)),
        "incident_id": owner_ids,
        "url": _join(URL_BASE, _num(number)),
        "publisher": publisher,
        "source_type": source_type,
        "published_date": _masked(_dates(published), rng.random(total) < 0.8),
        "label_term": label,
        "label_text": _masked(
            pa.array(np.full(total, "managed service provider"), pa.string()), says_msp & (rng.random(total) < 0.5)
        ),
        "is_repost": pa.array(
            np.where(repost, "yes" if "yes" in yes_no else yes_no[0], "no" if "no" in yes_no else yes_no[-1]),
            pa.string(),
        ),
        "supports": pa.array(np.full(total, "Synthetic source statement."), pa.string()),
    }


def _agreement(pkg: Package, incidents: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """A second coding that agrees everywhere: synthetic data has no evidence to disagree about."""
    n = len(incidents["incident_id"])
    return {
        "incident_id": incidents["incident_id"],
        "coder1_type": incidents["provider_type"],
        "coder2_type": incidents["provider_type"],
        "coder2_rule": incidents["type_rule"],
        "coder2_confidence": incidents["type_confidence"],
        "agree": pa.array(np.full(n, "yes"), pa.string()),
        "resolution_rule": pa.nulls(n, pa.string()),
        "resolution": pa.nulls(n, pa.string()),
    }


def _policy_actions(pkg: Package, rows: int = 5) -> dict[str, pa.Array]:
    def vocab(name: str):
        f = pkg.field("policy_actions", name)
        return list(f.enum or f.item_enum or tuple(f.vocabulary))

    kinds, statuses, precisions = vocab("kind"), vocab("status"), vocab("date_precision")
    named = vocab("provider_types_named")
    out: dict[str, list] = {c: [] for c in pkg.columns("policy_actions")}
    for i in range(rows):
        year = 2016 + 2 * i % 10
        values = {
            "policy_id": f"{year}-{i % 12 + 1:02d}-synth-policy-{i + 1}",
            "date": dt.date(year, i % 12 + 1, 1),
            "date_precision": precisions[0],
            "jurisdictions": JURISDICTIONS[i % len(JURISDICTIONS)],
            "body": f"Synthetic body {i + 1}",
            "kind": kinds[i % len(kinds)],
            "title": f"Synthetic policy action {i + 1}",
            "status": statuses[i % len(statuses)],
            "what_it_does": "Synthetic: describes no real government action.",
            "provider_types_named": named[i % len(named)],
            "source_urls": f"{URL_BASE}policy/{i + 1}",
            "notes": None,
            "last_reviewed": dt.date(2025, 12, 31),
        }
        for c in out:
            out[c].append(values.get(c))
    return {c: pa.array(v, pa.date32() if c in ("date", "last_reviewed") else pa.string()) for c, v in out.items()}


def descriptor(pkg: Package, n_incidents: int, seed: int) -> dict:
    """The real descriptor, marked SYNTHETIC everywhere a person or a program would look."""
    raw = copy.deepcopy(pkg.raw)
    raw["title"] = f"SYNTHETIC DATA: {raw.get('title', 'IncidentLens')}"
    raw["description"] = f"{SYNTHETIC_NOTE} {raw.get('description', '')}".strip()
    raw["version"] = f"{raw.get('version', 'unversioned')}-synthetic"
    raw["x-synthetic"] = {"generator": "incidentlens.synth", "n_incidents": n_incidents, "seed": seed}
    return raw


def write(n_incidents: int, out: Path, seed: int = 0) -> None:
    """Write incidents.csv, sources.csv, policy_actions.csv and datapackage.json into `out`."""
    if n_incidents < 0:
        raise ValueError("n_incidents must be zero or more")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pkg = load_package(REPO_DATA)
    rng = np.random.default_rng(seed)
    incidents, state = _incidents(pkg, rng, n_incidents)
    if "coding_agreement" in pkg.resource_names():
        _write(
            _agreement(pkg, incidents), pkg.columns("coding_agreement"), out / pkg.resource("coding_agreement")["path"]
        )
    _write(incidents, pkg.columns("incidents"), out / pkg.resource("incidents")["path"])
    del incidents
    _write(_sources(pkg, rng, state), pkg.columns("sources"), out / pkg.resource("sources")["path"])
    _write(_policy_actions(pkg), pkg.columns("policy_actions"), out / pkg.resource("policy_actions")["path"])
    (out / "datapackage.json").write_text(
        json.dumps(descriptor(pkg, n_incidents, seed), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main_synth(n: int, out: str, seed: int = 0) -> int:
    """CLI entry point: `incidentlens synth --incidents N --out DIR`."""
    if n < 0:
        print("--incidents must be zero or more", file=sys.stderr)
        return 2
    start = time.perf_counter()
    write(n, Path(out), seed=seed)
    took = time.perf_counter() - start
    print(f"{out}: wrote {n} SYNTHETIC incidents (seed {seed}) in {took:.1f} s; not real data.")
    return 0
