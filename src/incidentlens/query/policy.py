"""Government actions on MSPs set against the incidents: who acted where, and how incidents in
that jurisdiction split by provider type in the two years before and after (descriptive only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def _places(jurisdictions: list[str]) -> tuple[list[str], list[str]]:
    """The countries and US states an action's jurisdictions cover ("EU" is its member states)."""
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
    return sorted(countries), sorted(states)


def _in_places(countries: str = "?::VARCHAR[]", states: str = "?::VARCHAR[]") -> str:
    """An incident had victims in any of the countries or US states (SQL expressions, bound
    parameters by default)."""
    return f"(list_has_any(countries, {countries}) OR list_has_any(us_states, {states}))"


def _where(jurisdictions: list[str]) -> tuple[str, list]:
    """Incidents whose victims were in any of the jurisdictions."""
    return _in_places(), list(_places(jurisdictions))


# How long a stored date may stand for, by its precision (D1): a month-dated incident is any day of
# that month, and is placed in a window only if the whole month is inside it.
PERIOD = {"day": (1, "day"), "week": (7, "day"), "month": (1, "month"), "year": (1, "year")}


@dataclass(frozen=True)
class Windows:
    """The two windows around an action, each [start, end). A coarsely dated action (stored as
    the 1st of its month or year) spans that whole period, and an incident in it could be on
    either side, so 'before' ends where the period starts and 'after' begins where it ends."""

    before_start: dt.date
    before_end: dt.date
    after_start: dt.date
    after_end: dt.date

    def edges(self) -> list[dt.date]:
        return [self.before_start, self.before_end, self.after_start, self.after_end]


def windows(date: dt.date, precision: str = "day") -> Windows:
    amount, unit = PERIOD[precision]
    after_start = (pd.Timestamp(date) + pd.DateOffset(**{f"{unit}s": amount})).date()
    return Windows(_years_from(date, -WINDOW_YEARS), date, after_start, _years_from(after_start, WINDOW_YEARS))


# The day after the last day an incident's stored date may stand for.
_LAST = (
    "(attack_date + CASE attack_date_precision "
    + " ".join(f"WHEN '{p}' THEN INTERVAL {n} {unit.upper()}" for p, (n, unit) in PERIOD.items())
    + " END)"
)


def _inside(start: str = "?", end: str = "?") -> str:
    """An incident's whole possible date range lies in [start, end) (SQL expressions, bound
    parameters by default)."""
    return f"(attack_date >= {start} AND {_LAST} <= {end})"


def _either(w: Windows) -> tuple[str, list]:
    """An incident's range meets the windows but lies inside neither."""
    sql = f"(attack_date < ? AND {_LAST} > ? AND NOT {_inside()} AND NOT {_inside()})"
    return sql, [w.after_end, w.before_start, *w.edges()]


def before_after(db: Database, f: Filters, jurisdictions: list[str], w: Windows) -> pd.DataFrame:
    """Per provider type: incidents in the jurisdiction whose whole possible date range falls in
    the window before the action, or in the window after it."""
    jw, jp = _where(jurisdictions)
    fw, fp = f.where()
    df = db.query(
        f"""SELECT provider_type, count(*) FILTER (WHERE {_inside()}) AS before,
                   count(*) FILTER (WHERE {_inside()}) AS after
            FROM incidents WHERE {jw} AND {fw} GROUP BY provider_type""",
        [*w.edges(), *jp, *fp],
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


def window_totals(db: Database, f: Filters, actions: list[tuple[list[str], Windows]]) -> list[int]:
    """For each (jurisdictions, windows), the incidents placed before or after it: before_after's
    total, for every action in one query (the Policy picker needs them all; one query per action
    took about 0.3 s for the 23 real actions on each new filter)."""
    if not actions:
        return []
    places = [_places(j) for j, _ in actions]
    fw, fp = f.where()
    df = db.query(
        f"""WITH w AS (
                SELECT unnest(?::INTEGER[]) AS i, unnest(?::VARCHAR[][]) AS cs, unnest(?::VARCHAR[][]) AS ss,
                       unnest(?::DATE[]) AS b0, unnest(?::DATE[]) AS b1, unnest(?::DATE[]) AS a0,
                       unnest(?::DATE[]) AS a1),
            inc AS (SELECT countries, us_states, attack_date, attack_date_precision FROM incidents WHERE {fw})
            SELECT w.i, count(*) FILTER (WHERE {_inside("w.b0", "w.b1")} OR {_inside("w.a0", "w.a1")}) AS n
            FROM w LEFT JOIN inc ON {_in_places("w.cs", "w.ss")}
            GROUP BY w.i ORDER BY w.i""",
        [
            list(range(len(actions))),
            [c for c, _ in places],
            [s for _, s in places],
            *(list(edge) for edge in zip(*(w.edges() for _, w in actions))),
            *fp,
        ],
    )
    return [int(n) for n in df["n"]]


def either_side(db: Database, f: Filters, jurisdictions: list[str], w: Windows) -> pd.DataFrame:
    """Incidents in the jurisdiction dated too coarsely to place: their month, week or year
    crosses an edge of a window, or falls in the period of a coarsely dated action. Counted on
    neither side, and named to the reader."""
    either, ep = _either(w)
    jw, jp = _where(jurisdictions)
    fw, fp = f.where()
    return db.query(
        f"""SELECT incident_id, title, attack_date, attack_date_precision FROM incidents
            WHERE {jw} AND {fw} AND {either} ORDER BY attack_date, incident_id""",
        [*jp, *fp, *ep],
    )


def quarterly(db: Database, f: Filters) -> pd.DataFrame:
    """Incidents per quarter (first day of the quarter) and provider family. An incident dated only
    to a year, or to a week that spans two quarters, has no one quarter: its quarter is null."""
    where, params = f.where()
    first, last = "date_trunc('quarter', attack_date)", f"date_trunc('quarter', {_LAST} - INTERVAL 1 DAY)"
    return db.query(
        f"""SELECT CASE WHEN {first} = {last} THEN {first} END AS quarter, provider_family, count(*) AS n
            FROM incidents WHERE {where} GROUP BY ALL ORDER BY quarter NULLS LAST, provider_family""",
        params,
    )


def _years_from(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` away; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
