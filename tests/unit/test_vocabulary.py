"""Vocabularies live in data/datapackage.json only: every code has a label, provider types and
families have colours, and a code the package does not know is drawn grey, never dropped."""

from __future__ import annotations

import pandas as pd

from incidentlens.data.schema import NEUTRAL_COLOUR, load_package
from incidentlens.present import charts
from paths import REAL


def test_every_vocabulary_code_has_a_label():
    pkg = load_package(REAL)
    for res in pkg.resource_names():
        for field in pkg.fields(res):
            codes = set(field.vocabulary) | set(field.item_enum or ())
            labels = pkg._custom(res, field.name, "x-labels")
            assert codes <= set(labels), (res, field.name, codes - set(labels))
    assert set(pkg.families) <= set(pkg.raw["x-provider-family-labels"])


def test_provider_types_and_families_have_distinct_colours():
    pkg = load_package(REAL)
    types = pkg.vocabulary("incidents", "provider_type")
    colours = pkg._custom("incidents", "provider_type", "x-colours")
    assert set(types) == set(colours)
    assert len(set(colours.values())) == len(colours)
    assert set(pkg.families) == set(pkg.raw["x-provider-family-colours"])
    assert pkg.colour("no_such_code") == NEUTRAL_COLOUR


def test_a_code_missing_from_the_vocabulary_is_drawn_not_dropped():
    df = pd.DataFrame({"year": [2020, 2020, 2021], "provider_type": ["msp", "brand_new_type", "msp"], "n": [2, 3, 1]})
    fig = charts.by_year(df, "all incidents")
    names = [trace.name for trace in fig.data]
    assert "Brand new type" in names
    new = next(t for t in fig.data if t.name == "Brand new type")
    assert list(new.y) == [3] and new.marker.color == NEUTRAL_COLOUR
    assert sum(sum(t.y) for t in fig.data) == df["n"].sum() == 6
