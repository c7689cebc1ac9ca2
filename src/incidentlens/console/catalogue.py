"""What the console shows researchers: the snapshot's tables and views, the columns the loader
derives, example queries, and column descriptions.

The console reads a snapshot file rather than the dashboard's database so that it can be opened
read-only in other processes; the views are created here because nothing can write to it later.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from incidentlens.data.database import Database
    from incidentlens.data.schema import Package

# The snapshot's tables, in the order the schema panel lists them. Only these names are ever
# formatted into SQL.
TABLES = ("incidents", "sources", "policy_actions", "provider_types")

VIEWS = {
    "incident_labels": """
        SELECT incident_id, attack_year, provider_type, provider_family, labelled_msp, msp_label_by,
               label_terms, label_count, source_count, independent_sources
        FROM incidents""",
    "source_labels": """
        SELECT s.source_id, s.incident_id, s.source_type, s.speaker_type, s.label_term, s.label_text,
               s.repost, s.outlet, s.counted,
               i.attack_year, i.provider_type, i.provider_family
        FROM sources s JOIN incidents i USING (incident_id)""",
}

# Columns the loader derives (they are not in datapackage.json) and the two views.
DERIVED = {
    "incidents": {
        "provider_family": "Family of the assessed provider_type (managed_it, reactive_project, …)",
        "attack_year": "Year of attack_date",
        "search_text": "Lower-cased title, summary, provider name and id, for free-text search",
        "source_count": "Sources recorded for the incident, reposts included",
        "independent_sources": "Distinct original outlets (a repost stands for its original, rule S1)",
        "label_terms": "Label terms of the counted source rows (sorted, distinct)",
        "label_count": "Number of distinct label terms of the counted source rows",
        "msp_label_by": "Speaker types (who said it, rule L2) of counted rows that called the provider an MSP",
        "labelled_msp": "At least one counted source row called the provider an MSP (rule L6)",
    },
    "sources": {
        "repost": "is_repost as a boolean",
        "outlet": "The original outlet: repost_of for a repost, else publisher (rule S1)",
        "counted": "The one row that counts for its (incident, outlet, speaker type, label term) (rule S1)",
    },
    "provider_types": {
        "provider_type": "Assessed provider type (incidents.provider_type)",
        "provider_family": "The family that type belongs to",
    },
}
VIEW_NOTES = {
    "incident_labels": "One row per incident: how sources labelled its provider and what it was.",
    "source_labels": "One row per source, with its incident's assessed provider type and year.",
}

EXAMPLES = {
    "Labelled MSP by government sources, by assessed type": """\
-- Incidents a government source called an MSP, by what the provider actually was
-- (every assessed type is listed, so a zero is shown as a zero)
SELECT t.provider_type, count(i.incident_id) AS incidents
FROM provider_types t
LEFT JOIN incidents i
  ON i.provider_type = t.provider_type AND list_contains(i.msp_label_by, 'government')
GROUP BY t.provider_type
ORDER BY incidents DESC, t.provider_type""",
    "Sources per label term and who said it": """\
-- Counted label rows (a repost counts once, for its original), by label and who said it
SELECT label_term, speaker_type, count(*) AS sources
FROM sources
WHERE counted
GROUP BY label_term, speaker_type
ORDER BY label_term, speaker_type""",
    "Incidents per year and provider family": """\
SELECT attack_year, provider_family, count(*) AS incidents
FROM incidents
GROUP BY attack_year, provider_family
ORDER BY attack_year, provider_family""",
    "Incidents whose provider was called an MSP but assessed as something else": """\
SELECT i.incident_id, i.title, i.provider_type,
       count(*) AS msp_sources,
       list_sort(list_distinct(list(s.speaker_type))) AS called_msp_by
FROM incidents i
JOIN sources s USING (incident_id)
WHERE s.label_term = 'msp' AND s.counted AND i.provider_type <> 'msp'
GROUP BY i.incident_id, i.title, i.provider_type
ORDER BY i.incident_id""",
    "Share labelled MSP per provider family (view)": """\
SELECT provider_family, count(*) AS incidents,
       count(*) FILTER (WHERE labelled_msp) AS labelled_msp,
       round(100.0 * count(*) FILTER (WHERE labelled_msp) / count(*), 1) AS percent_labelled
FROM incident_labels
GROUP BY provider_family
ORDER BY incidents DESC, provider_family""",
    "Policy actions that name MSPs": """\
SELECT date, kind, status, title, jurisdictions
FROM policy_actions
WHERE list_contains(provider_types_named, 'msp')
ORDER BY date""",
}


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    cur = con.cursor()
    try:
        return {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        cur.close()


def snapshot(db: Database) -> Path:
    """Copy the dashboard's tables into a new private `.duckdb` file and return its path.

    Arrow carries the rows across, so lists stay lists and dates stay dates. Views are created
    here because the console opens the file read-only. Each call makes a new temporary directory
    (mode 0700), removed at exit or by `Console.close()`.
    """
    directory = Path(tempfile.mkdtemp(prefix="incidentlens-console-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "snapshot.duckdb"
    present = _existing_tables(db.con)
    writer = duckdb.connect(
        str(path), config={"autoload_known_extensions": False, "autoinstall_known_extensions": False}
    )
    try:
        for name in TABLES:
            if name not in present:
                continue
            cur = db.con.cursor()
            try:
                rows = cur.sql(f"SELECT * FROM {name}").to_arrow_table()
            finally:
                cur.close()
            writer.register("_rows", rows)
            writer.execute(f"CREATE TABLE {name} AS SELECT * FROM _rows")
            writer.unregister("_rows")
        for name, body in VIEWS.items():
            writer.execute(f"CREATE VIEW {name} AS {body}")
        writer.execute("CHECKPOINT")
    finally:
        writer.close()
    path.chmod(0o400)
    return path


def descriptions(package: Package) -> dict[tuple[str, str], str]:
    """(table, column) -> description: the derived columns' and datapackage.json's."""
    out = {(t, c): d for t, cols in DERIVED.items() for c, d in cols.items()}
    for name in package.resource_names():
        for f in package.fields(name):
            out[(name, f.name)] = f.description
    return out
