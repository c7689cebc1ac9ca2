"""Widgets of the Attribution page: the high-confidence shortcut and the two-group comparison."""

from __future__ import annotations

import streamlit as st

from incidentlens.data.database import Database
from incidentlens.present import format
from incidentlens.query import compare, queries
from incidentlens.query.filters import Filters
from incidentlens.query.stats import SMALL_SAMPLE, interval
from incidentlens.ui import plain

SECTIONS = ("From label to reality", "Who says MSP", "Over time", "Where and whom", "Compare two groups")
# Sections renamed, so that links made before still open them: at 1024 px with the sidebar open
# the tab bar needed 600 px of 564, and "Compare two groups" was cut behind a scroll arrow.
RENAMED = {"Who uses the MSP label": "Who says MSP"}
MINOR = 0.10  # label terms used for fewer incidents than this share are one node in the flow chart
# Breakdowns: filter key -> the word the charts use for it (they treat "country" and "US state" as codes).
DIMENSIONS = {"sector": "sector", "country": "country", "state": "US state", "route": "route", "attack": "attack type"}
CUSTOM = "Custom"
CUSTOM_A, CUSTOM_B = "labelled_by=trade_press", "label=not_msp"  # the custom groups before a reader types


def follow_renamed_section() -> None:
    """An old section name in the link (`section=`) becomes its new one. The tabs read their value
    from the link as it was when the run began, so the run starts again with the new name."""
    old = st.query_params.get("section", "")
    if old in RENAMED:
        st.query_params["section"] = RENAMED[old]
        st.rerun()


def breakdown() -> tuple[str, str]:
    """Which dimension the 'Where and whom' section breaks the incidents down by (`by=` in the URL)."""
    wanted = st.query_params.get("by", "")
    key = st.segmented_control(
        "Break down by",
        list(DIMENSIONS),
        default=wanted if wanted in DIMENSIONS else "sector",
        required=True,
        key="by_pick",
        format_func=lambda k: DIMENSIONS[k][:1].upper() + DIMENSIONS[k][1:],
    )
    st.query_params["by"] = key
    return key, DIMENSIONS[key]


def _set_confidence() -> None:
    st.session_state["w_conf"] = ["high"] if st.session_state["high_only"] else []


def high_confidence_toggle(f: Filters) -> None:
    """A shortcut to the sidebar's confidence filter, so the view it gives is in the URL
    (`conf=high`) and in "Showing: …" like every other filter."""
    st.session_state["high_only"] = f.conf == ("high",)
    st.toggle(
        "High-confidence codings only",
        key="high_only",
        on_change=_set_confidence,
        help="Redraw every chart using only incidents whose provider type is coded with high "
        "confidence (a sensitivity check). Same as Coding confidence = High in the sidebar.",
    )


def _default_preset(db: Database, f: Filters) -> str:
    """The first preset with data on both sides: ten incidents or more each if any has that."""
    sizes = {
        name: [queries.count(db, compare.combine(f, compare.parse_slice(text, db.package).filters)) for text in pair]
        for name, pair in compare.PRESETS.items()
    }
    for need in (SMALL_SAMPLE, 1):
        found = next((name for name, ns in sizes.items() if min(ns) >= need), None)
        if found:
            return found
    return next(iter(compare.PRESETS))


def _slices(db: Database, f: Filters) -> tuple[str, str]:
    """Group A and B as URL-style filters: a preset, or two custom texts, defaulting from the URL."""
    url_a, url_b = st.query_params.get("ca", ""), st.query_params.get("cb", "")
    names = [*compare.PRESETS, CUSTOM]
    from_url = next((name for name, pair in compare.PRESETS.items() if pair == (url_a, url_b)), None)
    first = from_url or (CUSTOM if url_a or url_b else _default_preset(db, f))
    preset = st.selectbox("Comparison", names, index=names.index(first), key="cmp_preset", on_change=_comparison_to_url)
    if preset != CUSTOM:
        return compare.PRESETS[preset]
    c1, c2 = st.columns(2)
    text_a = c1.text_input(
        "Group A (URL-style filter)",
        url_a or CUSTOM_A,
        max_chars=500,
        key="cmp_a",
        help="e.g. years=2019-2021&sector=dental",
        on_change=_comparison_to_url,
    )
    text_b = c2.text_input(
        "Group B (URL-style filter)",
        url_b or CUSTOM_B,
        max_chars=500,
        key="cmp_b",
        on_change=_comparison_to_url,
    )
    return text_a, text_b


def _comparison_to_url() -> None:
    """Put a changed comparison in the URL before the run it starts, so the page header's "Copy
    link to this view", drawn before the comparison, already carries it."""
    state = st.session_state
    preset = str(state.get("cmp_preset"))
    texts = compare.PRESETS.get(preset) or (state.get("cmp_a", CUSTOM_A), state.get("cmp_b", CUSTOM_B))
    st.query_params.update({"ca": texts[0], "cb": texts[1], "cshare": state.get("cmp_share", "msp")})


def comparison(db: Database, f: Filters) -> None:
    """Two slices of the incidents in view, the share of one provider type in each, and the
    difference with its 95% interval; an empty side is explained instead of shown as 'n/a'."""
    st.caption(
        "Pick two groups: each is the incidents in view narrowed by the group's own filter; see the "
        "share whose provider was assessed as one type in each, and the difference with a 95% interval "
        "(Newcombe's method)."
    )
    pkg = db.package
    text_a, text_b = _slices(db, f)
    types = list(pkg.type_family)
    wanted = st.query_params.get("cshare", "msp")
    code = st.selectbox(
        "Share of incidents whose provider was assessed as",
        types,
        format_func=pkg.label,
        index=types.index(wanted) if wanted in types else 0,
        key="cmp_share",
        on_change=_comparison_to_url,
    )
    slice_a, slice_b = compare.parse_slice(text_a, pkg), compare.parse_slice(text_b, pkg)
    for note in slice_a.notes + slice_b.notes:
        st.warning(plain(note))
    replaced = compare.replaced_note(f, slice_a.filters, slice_b.filters, pkg)
    if replaced:
        st.info(plain(replaced))
    result = compare.compare(db, f, slice_a.filters, slice_b.filters, code)
    st.query_params.update({"ca": text_a, "cb": text_b, "cshare": code})
    diff = result.result
    m1, m2, m3 = st.columns(3)
    for col, name, side, words in ((m1, "A", diff.a, result.a_words), (m2, "B", diff.b, result.b_words)):
        col.metric(f"Group {name}", format.pct(side.share), help=plain(words))
        ci = "" if side.low is None else f" · 95% CI {interval(side.low, side.high)}"
        col.caption(f"{side.k} of {side.n}{ci}  \n{plain(words)}")
    m3.metric("Difference A − B", format.points(diff.diff), help="95% interval by Newcombe's hybrid score method")
    problem = format.comparison_problem(result)
    if problem:
        st.error(plain(problem))
        return
    if diff.low is not None and diff.high is not None:
        m3.caption(
            f"95% CI {format.points_range(diff.low, diff.high)}"
            + (" · small sample" if diff.small_sample else "")
            + (f"  \n{note}" if (note := format.rounding_note(diff.a.share, diff.b.share, diff.diff)) else "")
        )
    st.markdown(plain(result.sentence()))
