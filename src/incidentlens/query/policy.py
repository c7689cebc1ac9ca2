"""Government actions on MSPs set against the incidents: who acted where, and how incidents in
that jurisdiction split by provider type in the two years before and after (descriptive only)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from incidentlens.data.database import Database
from incidentlens.query.filters import Filters
from incidentlens.query.stats import share

# EU member states (ISO 3166-1 alpha-2), for actions whose jurisdiction is "EU".
EU = (
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "EU",
)
WINDOW_YEARS = 2


def actions(db: Database, jurisdictions: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    df = db.query(
        """SELECT * FROM policy_actions
           WHERE (len(?::VARCHAR[]) = 0 OR list_has_any(jurisdictions, ?::VARCHAR[]))
             AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], kind))
           ORDER BY date, policy_id""",
        [list(jurisdictions), list(jurisdictions), list(kinds), list(kinds)],
    )
    return df


def _where(jurisdictions: list[str]) -> tuple[str, list]:
    """Incidents whose victims were in any of the jurisdictions (countries or US states)."""
    countries: set[str] = set()
    states: set[str] = set()
    for j in jurisdictions:
        if j == "EU":
            countries.update(EU)
        elif "-" in j:
            country, sub = j.split("-", 1)
            if country == "US":
                states.add(sub)
            else:
                countries.add(country)
        else:
            countries.add(j)
    return (
        "(list_has_any(countries, ?::VARCHAR[]) OR list_has_any(us_states, ?::VARCHAR[]))",
        [sorted(countries), sorted(states)],
    )


def before_after(db: Database, f: Filters, jurisdictions: list[str], date: dt.date) -> pd.DataFrame:
    """Per provider type: incidents in the jurisdiction in the two years before and after."""
    jw, jp = _where(jurisdictions)
    fw, fp = f.where()
    start, end = _years_from(date, -WINDOW_YEARS), _years_from(date, WINDOW_YEARS)
    df = db.query(
        f"""SELECT provider_type,
                   count(*) FILTER (WHERE attack_date >= ? AND attack_date < ?) AS before,
                   count(*) FILTER (WHERE attack_date >= ? AND attack_date < ?) AS after
            FROM incidents WHERE {jw} AND {fw} GROUP BY provider_type""",
        [start, date, date, end, *jp, *fp],
    )
    types = list(db.package.type_family)
    df = df.set_index("provider_type").reindex(types, fill_value=0).reset_index()
    nb, na = int(df["before"].sum()), int(df["after"].sum())
    out = []
    for r in df.itertuples():
        b, a = share(int(r.before), nb), share(int(r.after), na)
        out.append(
            {
                "provider_type": r.provider_type,
                "before": b.k,
                "before_share": b.share,
                "before_low": b.low,
                "before_high": b.high,
                "after": a.k,
                "after_share": a.share,
                "after_low": a.low,
                "after_high": a.high,
            }
        )
    return pd.DataFrame(out)


def quarterly(db: Database, f: Filters) -> pd.DataFrame:
    """Incidents per quarter (first day of the quarter) and provider family."""
    where, params = f.where()
    return db.query(
        f"""SELECT date_trunc('quarter', attack_date) AS quarter, provider_family, count(*) AS n
            FROM incidents WHERE {where} GROUP BY ALL ORDER BY quarter, provider_family""",
        params,
    )


def _years_from(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` away; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
