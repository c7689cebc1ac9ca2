"""Every number the dashboard, the command line and the brief show, as plain functions.

Each takes a `Database` and a `Filters` and returns a DataFrame or a small dataclass; column
names only ever come from the allow-lists below, and values are always bound parameters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd

from incidentlens.data.database import Database
from incidentlens.data.schema import humanise
from incidentlens.query.filters import KEYS, LIST_KEYS, NOT_MSP, Filters
from incidentlens.query.stats import Share, shares

# dimension key -> (column, holds a list), from the filter registry
DIMENSIONS: dict[str, tuple[str, bool]] = {k.name: (k.column, k.list_column) for k in KEYS}

EXPLORER_COLUMNS = [
    "incident_id",
    "title",
    "attack_date",
    "attack_date_precision",
    "countries",
    "us_states",
    "victim_sectors",
    "provider_name",
    "provider_type",
    "provider_family",
    "type_confidence",
    "route",
    "attack_type",
    "downstream_orgs_min",
    "downstream_orgs_max",
    "labelled_msp",
    "label_terms",
    "msp_label_by",
    "source_count",
    "independent_sources",
]


def _filtered(f: Filters, columns: list[str] | None = None) -> tuple[str, list]:
    """The incidents matching `f`: every column, or only `columns` (names from code, never a reader)."""
    if columns and not all(c.isidentifier() for c in columns):
        raise ValueError(f"not a column name: {columns}")
    where, params = f.where()
    return f"SELECT {', '.join(columns) if columns else '*'} FROM incidents WHERE {where}", params


NEWEST_FIRST = "attack_date DESC, incident_id"  # the order of every incident list and export


def incidents(db: Database, f: Filters, columns: list[str] | None = None) -> pd.DataFrame:
    """The incidents matching a filter, newest first; only `columns` are read when given (the
    Explorer's list at 100k incidents took 1.0–1.5 s when every text column came along)."""
    sql, params = _filtered(f, columns)
    return db.query(f"{sql} ORDER BY {NEWEST_FIRST}", params)


def count(db: Database, f: Filters) -> int:
    where, params = f.where()
    return int(db.scalar(f"SELECT count(*) FROM incidents WHERE {where}", params))


@dataclass(frozen=True)
class TypeShare:
    code: str
    label: str
    share: Share


@dataclass(frozen=True)
class Headline:
    """The Overview's and `incidentlens stats`' figures for one filter."""

    n: int
    labelled: Share  # incidents labelled MSP by at least one counted source (rule L6), of n
    labelled_by_type: list[TypeShare]  # among labelled-MSP incidents, share per assessed type
    by_type: list[TypeShare]  # all incidents in view, per assessed type
    by_family: list[TypeShare]
    filter_words: str
    version: str

    def labelled_share(self, code: str) -> Share:
        return next(t.share for t in self.labelled_by_type if t.code == code)

    def as_dict(self) -> dict:
        def rows(items):
            return [{"code": t.code, "label": t.label, **t.share.as_dict()} for t in items]

        return {
            "filter": self.filter_words,
            "dataset_version": self.version,
            "n_incidents": self.n,
            "labelled_msp": self.labelled.as_dict(),
            "labelled_msp_by_assessed_type": rows(self.labelled_by_type),
            "by_provider_type": rows(self.by_type),
            "by_provider_family": rows(self.by_family),
        }


def headline(db: Database, f: Filters) -> Headline:
    """One grouped query gives every headline figure; shares are computed from its counts. It
    counts the facet codes (`facet_index`), about three times quicker than the text columns."""
    facet_index(db)
    where, params = _where_coded(f)
    grouped = (
        f"""SELECT c.value AS provider_type, sum(c.n) AS n, sum(c.labelled) AS labelled
            FROM {FACET_TOTALS} c WHERE c.key = 'ptype' AND {where} GROUP BY c.value"""
        if _years_only(f)
        else f"""SELECT fc.vals[1] AS provider_type, g.n, g.labelled FROM (
                SELECT c.ptype AS code, count(*) AS n, count(*) FILTER (WHERE c.labelled_msp) AS labelled
                FROM {FACET_ROWS} c WHERE {where} GROUP BY c.ptype) g
            LEFT JOIN {FACET_CODES} fc ON fc.key = 'ptype' AND fc.code = g.code"""
    )
    counts = db.query(grouped, params)
    by = {r.provider_type: (int(r.n), int(r.labelled)) for r in counts.itertuples()}
    pkg = db.package
    types = list(pkg.type_family)
    n = sum(v[0] for v in by.values())
    n_lab = sum(v[1] for v in by.values())
    fam_counts: dict[str, int] = {}
    for code, (cnt, _) in by.items():
        fam = pkg.type_family.get(code, "unknown")
        fam_counts[fam] = fam_counts.get(fam, 0) + cnt
    it = iter(
        shares(
            [(n_lab, n)]
            + [(by.get(c, (0, 0))[1], n_lab) for c in types]
            + [(by.get(c, (0, 0))[0], n) for c in types]
            + [(fam_counts.get(c, 0), n) for c in pkg.families]
        )
    )
    return Headline(
        n=n,
        labelled=next(it),
        labelled_by_type=[TypeShare(c, humanise(c), next(it)) for c in types],
        by_type=[TypeShare(c, humanise(c), next(it)) for c in types],
        by_family=[TypeShare(c, humanise(c), next(it)) for c in pkg.families],
        filter_words=f.describe(pkg),
        version=pkg.version,
    )


def facet_counts(db: Database, f: Filters, key: str) -> dict[str, int]:
    """How many incidents each value of a facet would give, under all the *other* filters."""
    column, is_list = DIMENSIONS[key]
    others = f.with_(**{key: ()})
    where, params = others.where()
    value = f"unnest({column})" if is_list else column
    df = db.query(
        f"SELECT v, count(*) AS n FROM (SELECT {value} AS v FROM incidents WHERE {where}) GROUP BY v",
        params,
    )
    return {str(r.v): int(r.n) for r in df.itertuples() if r.v is not None}


FACETS = LIST_KEYS
FACET_CODES = "facet_codes"  # (key, code, vals): each value of a facet, or each distinct list of values
FACET_ROWS = "facet_rows"  # per incident, in the incidents table's order: each facet's code, year, labelled
FACET_TOTALS = "facet_totals"  # (key, value, attack_year, n, labelled): incidents per facet value and year
_FACET_INDEX = threading.Lock()


def facet_index(db: Database) -> None:
    """Build, once per database, the tables `sidebar_counts` counts from: every facet as a small
    integer per incident (a list facet: one code per distinct list), so counting is an integer
    GROUP BY instead of unnesting lists; and every facet value counted per year, so a view filtered by
    years alone (the landing page, the year slider) adds up a few hundred rows instead of scanning
    every incident. The SQL console copies only its own tables, not these."""

    def text(key: str, alias: str = "") -> str:  # a facet's value as text: lists joined by a control character
        column, is_list = DIMENSIONS[key]
        return f"array_to_string({alias}{column}, chr(31))" if is_list else f"{alias}{column}"

    with _FACET_INDEX:
        if db.has_table(FACET_TOTALS):
            return
        cur = db.con.cursor()  # as every query: the connection itself is not for several threads
        cur.execute(
            f"CREATE TABLE {FACET_CODES} AS "
            + " UNION ALL ".join(
                f"""SELECT '{k}' AS key, (row_number() OVER (ORDER BY t) - 1)::INTEGER AS code, t, vals FROM (
                    SELECT DISTINCT {text(k)} AS t, {c if is_list else f"[{c}]"} AS vals FROM incidents)"""
                for k, (c, is_list) in ((k, DIMENSIONS[k]) for k in FACETS)
            )
        )
        joins = " ".join(
            f"LEFT JOIN (SELECT code AS c_{k}, t AS t_{k} FROM {FACET_CODES} WHERE key = '{k}') "
            f"ON t_{k} = {text(k, 'i.')}"
            for k in FACETS
        )
        cur.execute(
            f"CREATE TABLE {FACET_ROWS} AS SELECT {', '.join(f'c_{k} AS {k}' for k in FACETS)}, "
            f"i.attack_year, i.labelled_msp, i.rowid AS rid FROM incidents i {joins} ORDER BY i.rowid"
        )
        per_code = " UNION ALL ".join(
            f"""SELECT '{k}' AS key, {k} AS code, attack_year, count(*) AS n,
                   count(*) FILTER (WHERE labelled_msp) AS labelled FROM {FACET_ROWS} GROUP BY ALL"""
            for k in FACETS
        )
        cur.execute(  # a code the join cannot place is a scalar facet's NULL: one NULL value
            f"""CREATE TABLE {FACET_TOTALS} AS
                SELECT key, value, attack_year, sum(n)::BIGINT AS n, sum(labelled)::BIGINT AS labelled FROM (
                    SELECT t.key, unnest(coalesce(fc.vals, [NULL])) AS value, t.attack_year, t.n, t.labelled
                    FROM ({per_code}) t LEFT JOIN {FACET_CODES} fc ON fc.key = t.key AND fc.code = t.code)
                GROUP BY ALL"""
        )
        cur.close()


def _years_only(f: Filters) -> bool:
    """Whether `f` sets nothing but a year range: then `facet_totals` answers it exactly, and
    `_where_coded(f)` holds only `c.attack_year`, a column that table has too."""
    return not f.chosen and not f.q


def _where_coded(f: Filters) -> tuple[str, list]:
    """WHERE for `f` over `facet_rows c`: chosen facet values are matched on their codes (a
    semi-join with a small table instead of a list search per row), free text by a semi-join on the
    rows of `incidents` it matches (parallel; a positional join took twice as long at 1M). The same
    rows as `f.where()`; tests compare the two."""
    clauses: list[str] = []
    params: list = []
    if f.years:
        clauses.append("c.attack_year BETWEEN ? AND ?")
        params += list(f.years)
    for key, values in f.chosen:
        chosen = [v for v in values if (key, v) != ("label", NOT_MSP)]
        parts = ["NOT c.labelled_msp"] if len(chosen) < len(values) else []
        if chosen:
            parts.append(
                f"c.{key} IN (SELECT code FROM {FACET_CODES} WHERE key = '{key}' AND list_has_any(vals, ?::VARCHAR[]))"
            )
            params.append(chosen)
        clauses.append("(" + " OR ".join(parts) + ")")
    if f.q:
        clauses.append("c.rid IN (SELECT rowid FROM incidents WHERE contains(search_text, ?))")
        params.append(f.q.lower())
    return " AND ".join(clauses) or "TRUE", params


NOT_MSP_CODE = -1  # in `_scanned_counts`: the row that counts incidents no source labelled MSP


def _scanned_counts(keys: list[str], where: str) -> str:
    """(key, code, n) for these facets over the rows `where` picks: the rows once, then a plain
    GROUP BY per facet (on a few hundred incidents, one GROUPING SETS costs about 10 ms to set up;
    these about 4). Codes become values in Python (`_code_values`)."""
    counts = " UNION ALL ".join(f"SELECT '{k}' AS key, {k} AS code, count(*) AS n FROM r GROUP BY {k}" for k in keys)
    not_msp = (
        f" UNION ALL SELECT 'label', {NOT_MSP_CODE}, count(*) FILTER (WHERE NOT labelled_msp) FROM r"
        if "label" in keys
        else ""
    )
    return f"""WITH r AS MATERIALIZED (
                   SELECT {", ".join(f"c.{k}" for k in keys)}, c.labelled_msp FROM {FACET_ROWS} c WHERE {where})
               {counts}{not_msp}"""


def _code_values(db: Database) -> dict[tuple[str, int], tuple[str, ...]]:
    """Each facet code's values (a list facet's code stands for a distinct list), read once."""

    def build() -> dict[tuple[str, int], tuple[str, ...]]:
        rows = db.rows(f"SELECT key, code, vals FROM {FACET_CODES}")
        return {(k, c): tuple(str(v) for v in vals if v is not None) for k, c, vals in rows}

    return db.memo(FACET_CODES, build)


def _totalled_counts(keys: list[str], where: str, params: list) -> tuple[str, list]:
    """(key, value, n) for these facets from the per-year totals, for a WHERE on years alone;
    the NOT_MSP count from the provider type's rows, where each incident is counted once."""
    sql = f"""SELECT c.key, c.value, sum(c.n)::BIGINT AS n FROM {FACET_TOTALS} c
              WHERE list_contains(?::VARCHAR[], c.key) AND {where} GROUP BY ALL"""
    if "label" not in keys:
        return sql, [keys, *params]
    not_msp = f"""SELECT 'label', '{NOT_MSP}', coalesce(sum(c.n - c.labelled), 0)::BIGINT
                  FROM {FACET_TOTALS} c WHERE c.key = 'ptype' AND {where}"""
    return f"{sql} UNION ALL {not_msp}", [keys, *params, *params]


def sidebar_counts(db: Database, f: Filters) -> dict[str, dict[str, int]]:
    """`facet_counts` for every facet, and under "label" also NOT_MSP: how many incidents no source
    labelled MSP. One scan for all facets the filter does not touch (they share its WHERE), and
    one per facet it sets; each counts small integer codes (`facet_index`), or adds up the per-year
    totals when its WHERE is a year range or nothing."""
    facet_index(db)
    groups: dict[Filters, list[str]] = {}
    for key in FACETS:
        groups.setdefault(f.with_(**{key: ()}) if getattr(f, key) else f, []).append(key)
    out: dict[str, dict[str, int]] = {key: {} for key in FACETS}
    for others, keys in groups.items():
        where, params = _where_coded(others)
        if _years_only(others):
            for key, value, n in db.rows(*_totalled_counts(keys, where, params)):
                if value is not None and (n or value == NOT_MSP):
                    out[key][str(value)] = int(n)
            continue
        values = _code_values(db)
        for key, code, n in db.rows(_scanned_counts(keys, where), params):
            if code == NOT_MSP_CODE:
                out[key][NOT_MSP] = int(n)
                continue
            for value in values.get((key, code), ()):
                out[key][value] = out[key].get(value, 0) + int(n)
    return out


def by_dimension(db: Database, f: Filters, key: str) -> pd.DataFrame:
    """Incidents per value of a dimension and provider family (list columns are unnested)."""
    column, is_list = DIMENSIONS[key]
    where, params = f.where()
    value = f"unnest({column})" if is_list else column
    return db.query(
        f"""SELECT v AS value, provider_family, count(*) AS n FROM
            (SELECT {value} AS v, provider_family FROM incidents WHERE {where})
            GROUP BY ALL ORDER BY value, provider_family""",
        params,
    )


def by_year(db: Database, f: Filters) -> pd.DataFrame:
    """Incidents per attack year and assessed provider type."""
    where, params = f.where()
    return db.query(
        f"""SELECT attack_year AS year, provider_type, count(*) AS n FROM incidents WHERE {where}
            GROUP BY ALL ORDER BY year, provider_type""",
        params,
    )


def labelled_share_by_year(db: Database, f: Filters) -> pd.DataFrame:
    """Per year: incidents, how many were labelled MSP, and that share with its interval."""
    where, params = f.where()
    df = db.query(
        f"""SELECT attack_year AS year, count(*) AS n, count(*) FILTER (WHERE labelled_msp) AS k
            FROM incidents WHERE {where} GROUP BY ALL ORDER BY year""",
        params,
    )
    return _with_shares(df)


def _with_shares(df: pd.DataFrame) -> pd.DataFrame:
    got = shares(list(zip(df["k"], df["n"])))
    return df.assign(
        share=[s.share for s in got],
        low=[s.low for s in got],
        high=[s.high for s in got],
        small_sample=[s.small_sample for s in got],
    )


OTHER_LABELS = "other_labels"  # the bucket of minor label terms (its label: "Other labels")


def label_flows(db: Database, f: Filters, minor_below: float = 0.0) -> pd.DataFrame:
    """Sankey links: label term used (counted sources, rule S1) -> assessed provider type, in incidents.

    Terms used for fewer than `minor_below` of the incidents in view (never 'msp') become one
    OTHER_LABELS term when there are at least two of them; each incident counts once in it."""
    sql, params = _filtered(f)
    return db.query(
        f"""WITH f AS ({sql}),
            used AS (SELECT DISTINCT f.incident_id, s.label_term, f.provider_type
                     FROM f JOIN sources s USING (incident_id) WHERE s.counted),
            minor AS (SELECT label_term FROM used GROUP BY label_term
                      HAVING count(DISTINCT incident_id) < ? * (SELECT count(*) FROM f) AND label_term <> 'msp'),
            grouped AS (SELECT incident_id, provider_type,
                               CASE WHEN label_term IN (SELECT label_term FROM minor)
                                         AND (SELECT count(*) FROM minor) > 1
                                    THEN '{OTHER_LABELS}' ELSE label_term END AS label_term FROM used)
            SELECT label_term, provider_type, count(DISTINCT incident_id) AS n FROM grouped
            GROUP BY ALL ORDER BY n DESC, label_term, provider_type""",
        [*params, minor_below],
    )


def who_labels(db: Database, f: Filters) -> pd.DataFrame:
    """Share of counted label rows using the MSP label, by who said it (speaker type, rule L2),
    for managed-IT providers and for all others."""
    sql, params = _filtered(f)
    df = db.query(
        f"""WITH f AS ({sql})
            SELECT s.speaker_type,
                   CASE WHEN f.provider_family = 'managed_it' THEN 'managed_it' ELSE 'not_managed_it' END
                       AS provider_group,
                   count(*) FILTER (WHERE s.label_term = 'msp') AS k, count(*) AS n
            FROM f JOIN sources s USING (incident_id) WHERE s.counted
            GROUP BY ALL ORDER BY speaker_type, provider_group""",
        params,
    )
    return _with_shares(df)


def sources_for(db: Database, incident_id: str) -> pd.DataFrame:
    return db.query(
        "SELECT * FROM sources WHERE incident_id = ? ORDER BY published_date NULLS LAST, source_id",
        [incident_id],
    )


def incident(db: Database, incident_id: str) -> dict | None:
    df = db.query("SELECT * FROM incidents WHERE incident_id = ?", [incident_id])
    return None if df.empty else df.iloc[0].to_dict()


def incident_title(db: Database, incident_id: str) -> str | None:
    """A record's title alone: the record page shows it before the sidebar is drawn."""
    return db.scalar("SELECT title FROM incidents WHERE incident_id = ?", [incident_id]) if incident_id else None


def sources_of(db: Database, f: Filters) -> pd.DataFrame:
    """Every source row of the incidents matching a filter (for exports and bundles)."""
    sql, params = _filtered(f)
    return db.query(
        f"SELECT s.* EXCLUDE (repost, outlet, counted) FROM sources s "
        f"WHERE s.incident_id IN (SELECT incident_id FROM ({sql}))"
        " ORDER BY s.incident_id, s.source_id",
        params,
    )


def year_bounds(db: Database) -> tuple[int, int]:
    """The first and last year of any incident (the per-year totals hold every incident)."""
    facet_index(db)
    row = db.query(f"SELECT min(attack_year) AS lo, max(attack_year) AS hi FROM {FACET_TOTALS} WHERE key = 'ptype'")
    lo, hi = row.iloc[0]["lo"], row.iloc[0]["hi"]
    if pd.isna(lo):
        return (2017, 2026)
    return int(lo), int(hi)
