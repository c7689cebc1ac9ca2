"""Rule S1 re-derived in plain pandas, independently of the loader's SQL, for tests to compare.

A repost counts for its original outlet (`repost_of`), once per (incident, outlet, speaker type,
label term); when the original is also recorded, the copy adds nothing.
"""

import pandas as pd


def counted(src: pd.DataFrame) -> pd.DataFrame:
    """The source rows that count, from sources.csv read as text."""
    outlet = src["repost_of"].where(src["repost_of"] != "", src["publisher"])
    marked = src.assign(outlet=outlet, _copy=src["is_repost"] == "yes")
    keep = marked.sort_values(["_copy", "source_id"]).drop_duplicates(
        ["incident_id", "outlet", "speaker_type", "label_term"]
    )
    return keep.drop(columns="_copy").sort_values("source_id")
