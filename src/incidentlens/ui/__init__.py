"""Streamlit glue shared by every page: the cached database, the filter sidebar kept in the URL,
plain-text rendering and the furniture around each chart."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from incidentlens import links
from incidentlens.data.database import Database, DataError, load
from incidentlens.data.schema import data_dir, humanise
from incidentlens.present import images
from incidentlens.present.charts import alt_text, subtitle_of, title_of
from incidentlens.query import filters as flt
from incidentlens.query import queries

FILTER_KEYS = flt.ALL_KEYS
# The pages' own state in the URL (tab, breakdown, comparison, action, record, query): a link to
# the view keeps these and the filters, and nothing else a link arrived with (utm_source=, …).
PAGE_KEYS = ("section", "by", "ca", "cb", "cshare", "action", "id", "sql")

# The project's own navigation (Streamlit's page list is hidden in .streamlit/config.toml):
# file, title, icon. The file names give the URL paths.
PAGES = (
    ("app.py", "Overview", ":material/insights:"),
    ("pages/attribution.py", "Attribution", ":material/account_tree:"),
    ("pages/explorer.py", "Explorer", ":material/table:"),
    ("pages/incident.py", "Incident record", ":material/description:"),
    ("pages/policy.py", "Policy context", ":material/gavel:"),
    ("pages/brief.py", "Brief (PDF/Word)", ":material/picture_as_pdf:"),
    ("pages/sql.py", "SQL console", ":material/terminal:"),
    ("pages/methodology.py", "Methodology", ":material/menu_book:"),
)


@st.cache_resource(show_spinner="Loading the dataset…")
def _database(directory: str) -> Database:
    db = load(directory)
    queries.facet_index(db)  # the sidebar's facet codes, built with the data rather than on a first view
    return db


@st.cache_data(max_entries=512, show_spinner=False)
def _sidebar_counts(directory: str, version: str, f: flt.Filters, _db: Database) -> dict[str, dict[str, int]]:
    """Facet counts (and the not-labelled-MSP count) per filter, cached: every rerun draws the
    sidebar, most with unchanged filters."""
    return queries.sidebar_counts(_db, f)


@st.cache_data(max_entries=8, show_spinner=False)
def _sidebar_fixed(
    directory: str, version: str, _db: Database
) -> tuple[tuple[int, int], dict[str, list[str]], dict[str, str | None]]:
    """What the sidebar shows that depends on the dataset only, made once: the year bounds, the
    options of each key with a vocabulary in the order shown, and each key's help text."""
    allowed = flt.allowed_values(_db.package)
    options = {
        spec.name: sorted(allowed[spec.name], key=lambda v: (v == "unknown", humanise(v)))
        for spec in flt.KEYS
        if spec.vocabulary is not None
    }
    return queries.year_bounds(_db), options, {spec.name: _descriptions(_db.package, spec) for spec in flt.KEYS}


def start(page: str, heading: str | Callable[[Database], str]) -> tuple[Database, flt.Filters]:
    """Set up a page: config, its heading, navigation carrying the filters, the database and the
    sidebar. `heading` (text, or made from the database, e.g. a record's title) is drawn before the
    sidebar: drawn after the sidebar's ten filters, it showed about 0.2 s later (browser benchmark)."""
    title = next(name for path, name, _ in PAGES if path == page)
    st.session_state["page_path"] = "" if page == "app.py" else page.removeprefix("pages/").removesuffix(".py")
    st.set_page_config(page_title=f"{title} · IncidentLens", page_icon="🔎", layout="wide")
    if page == "app.py" and _asked_path():
        # Streamlit runs the Overview for a path no page has: say so, so it does not pass for that page.
        st.warning(
            f"There is no page at /{plain(_asked_path())}, so this is the Overview. The pages are listed on the left.",
            icon=":material/link_off:",
        )
    nav = st.sidebar.container()
    db = database()
    st.title(heading if isinstance(heading, str) else heading(db))
    f = sidebar_filters(db)
    params = f.to_params()
    with nav:
        for path, name, icon in PAGES:
            st.page_link(path, label=name, icon=icon, query_params=params)
        st.divider()
    return db, f


def database() -> Database:
    """The process-wide database; a data problem stops the page with the validator's list."""
    try:
        return _database(str(data_dir()))
    except DataError as exc:
        st.error("The data files do not validate, so nothing is shown. Run `incidentlens validate`.")
        st.text("\n".join(str(p) for p in exc.problems[:50]))
        st.stop()


# Streamlit's Markdown links web and e-mail addresses (remark-gfm) and draws :material/…: icons
# found in the text after escapes are resolved, so escaping cannot stop them: a zero-width space
# breaks what they look for (found in a browser; AppTest cannot see it).
AFTER_ESCAPES = re.compile(r"(?i)\b(https?|ftp|mailto|xmpp)(?=:)|\b(www)(?=\.)|(@)|(:)(?=material/)")


def plain(text) -> str:
    """Escape Markdown so free text (summaries, notes, sources, echoed links) is shown literally,
    and no address in it becomes a link, no icon code an icon."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    unlinked = AFTER_ESCAPES.sub(lambda m: m.group(0) + "\u200b", str(text))
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", unlinked).replace("\n", "  \n")


def safe_link(url: str) -> str:
    """Markdown for a link only when it is http(s) with a host; anything else as plain text."""
    parts = urlsplit(str(url))
    if parts.scheme in ("http", "https") and parts.hostname and not any(c.isspace() for c in str(url)):
        target = str(url).replace(">", "%3E").replace("<", "%3C")
        return f"[{plain(parts.hostname)}](<{target}>)"
    return plain(url)


def _url_params() -> dict:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _set_widgets(f: flt.Filters, bounds: tuple[int, int]) -> None:
    st.session_state["w_years"] = f.years or bounds  # parse() keeps years inside the data's bounds
    for key in flt.LIST_KEYS:
        st.session_state[f"w_{key}"] = list(getattr(f, key))
    st.session_state["w_q"] = f.q


def _from_widgets(bounds: tuple[int, int]) -> flt.Filters:
    ss = st.session_state
    years = tuple(ss.get("w_years", bounds))
    values = {key: tuple(sorted(ss.get(f"w_{key}", []))) for key in flt.LIST_KEYS}
    return flt.Filters(years=None if years == tuple(bounds) else years, q=ss.get("w_q", "").strip()[:200], **values)


def sidebar_filters(db: Database) -> flt.Filters:
    """Draw the filter sidebar, keep it in sync with the URL, and return the active filters."""
    bounds, vocabulary_options, helps = _sidebar_fixed(str(db.directory), db.version, db)
    raw = _url_params()
    parsed = flt.parse(raw, db.package, bounds)
    notes = [*flt.repeated(raw, [k for k in raw if k not in FILTER_KEYS]), *parsed.notes]
    from_url = parsed.filters
    if not any(k in raw for k in FILTER_KEYS) and "applied" in st.session_state:
        from_url = st.session_state["applied"]  # a page switch drops the query string; keep the view
    widgets_lost = any(f"w_{k}" not in st.session_state for k in FILTER_KEYS)  # page switch
    if from_url != st.session_state.get("applied") or widgets_lost:
        _set_widgets(from_url, bounds)
    else:
        # Re-assign so each page's widgets take the values over (widget ids differ per page).
        for k in FILTER_KEYS:
            st.session_state[f"w_{k}"] = st.session_state[f"w_{k}"]
    current = _from_widgets(bounds)
    with st.sidebar:
        st.header("Filters")
        if bounds[0] < bounds[1]:
            st.slider("Years (attack date)", bounds[0], bounds[1], key="w_years")
        st.text_input("Search titles, summaries, providers", key="w_q", max_chars=200)
        all_counts = _sidebar_counts(str(db.directory), db.version, current, db)
        for spec in flt.KEYS:
            key = spec.name
            counts = all_counts[key]
            if spec.vocabulary is None:
                options = sorted(set(counts) | set(st.session_state.get(f"w_{key}", [])))
            else:
                options = vocabulary_options[key]
            st.multiselect(
                spec.label,
                options,
                key=f"w_{key}",
                format_func=lambda v, c=counts: f"{_pretty(v)} ({c.get(v, 0)})",
                help=helps[key],
            )
        st.button("Reset all filters", width="stretch", on_click=_reset, args=(bounds,))
    active = _from_widgets(bounds)
    st.session_state["applied"] = active
    _write_url(active)
    for note in notes:
        st.warning(plain(f"Link problem: {note} The rest of the view is shown."), icon="⚠️")
    return active


def _reset(bounds: tuple[int, int]) -> None:
    """Clear every filter. A callback, because it runs before the next run draws the widgets: a
    widget's value cannot be set once the widget is on the page."""
    _set_widgets(flt.Filters(), bounds)
    st.session_state["applied"] = flt.Filters()
    _write_url(flt.Filters())


def _pretty(value: str) -> str:
    return (
        "Not labelled MSP by any source"
        if value == flt.NOT_MSP
        else (value if re.fullmatch(r"[A-Z]{2}", value) else humanise(value))
    )


def _descriptions(pkg, spec: flt.Key) -> str | None:
    vocab = flt.vocabulary(spec, pkg)
    if not vocab:
        return None
    return "\n".join(f"- **{plain(humanise(k))}**: {plain(v)}" for k, v in vocab.items())


def _write_url(f: flt.Filters) -> None:
    """Write the canonical filter keys, leaving page-specific keys (id, sql, …) alone."""
    wanted = f.to_params()
    for key in FILTER_KEYS:
        if key in st.query_params and key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value or len(st.query_params.get_all(key)) > 1:
            st.query_params[key] = value


def permalink(page: str = "", extra: dict | None = None) -> str:
    """An absolute link to this view, for copying and citing: the page, the filters and, for the
    page being shown, its own state in the URL (section, breakdown, comparison, action, …)."""
    f: flt.Filters = st.session_state.get("applied", flt.Filters())
    own = (
        {k: st.query_params[k] for k in st.query_params if k in PAGE_KEYS}
        if page == st.session_state.get("page_path")
        else {}
    )
    return links.permalink(base_url(), page, {**f.to_params(), **own, **(extra or {})})


def base_url() -> str:
    """The configured public address, else the address the browser used (without the page)."""
    try:
        configured = links.base_url()
    except links.SettingError as exc:
        st.warning(f"The public address setting is ignored: {exc}", icon="⚠️")
        configured = None
    if configured:
        return configured
    url = (st.context.url or "").rstrip("/")
    path = _asked_path()
    if path and url.endswith("/" + path):
        url = url[: -len(path) - 1]
    return url if re.match(r"^https?://[^/?#\s]+", url) else links.LOCAL


def _asked_path() -> str:
    """The path the browser asked for, below the server's base path: '' for the Overview,
    'attribution' for a page, or a path no page has."""
    path = urlsplit(st.context.url or "").path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return path.removeprefix(base).strip("/") if base and (path + "/").startswith(base + "/") else path


def header(db: Database, f: flt.Filters, page: str) -> None:
    """Under the page's title: the filter in words, and the copyable link to this view."""
    st.markdown(f"**Showing:** {plain(f.describe(db.package))} · dataset v{plain(db.version)}")
    with st.expander("Copy link to this view"):
        link = permalink(page)
        st.code(link, language=None)
        if links.is_local(link):
            st.caption(f"This is a {links.LOCAL_NOTE}. {links.HOW_TO_SET}")


DEFINITIONS = (
    "MSP: managed service provider, an ongoing contract to manage a customer's IT with "
    "privileged access (NIS2 art. 6(39)). Labelled MSP: at least one source used the term, a "
    "repost counting once. Assessed type: coded from evidence of what the provider sold and did."
)


def source_line(page: str) -> str:
    db = database()
    return f"IncidentLens dataset v{db.version}, accessed {dt.date.today().isoformat()}, {links.cite(permalink(page))}"


def _image(fig: go.Figure, line: str, fmt: str) -> bytes:
    """The chart as an image with the source line and definitions inside, made when downloaded."""
    return images.render(images.with_furniture(fig, line, DEFINITIONS), fmt)


@st.fragment
def chart(fig: go.Figure, data: pd.DataFrame, key: str, page: str = "") -> None:
    """A chart with its chart/table toggle, image downloads, source line and description. A
    fragment: switching between chart and table reruns only this, not the whole page."""
    view = st.segmented_control(
        "View", ["Chart", "Table"], default="Chart", key=f"view_{key}", label_visibility="collapsed"
    )
    # The finding as text, over the chart and the table alike: the browser wraps it at any width.
    heading = st.container(gap=None)
    heading.markdown(f"**{plain(title_of(fig))}**")
    heading.caption(plain(subtitle_of(fig)))
    if view == "Table":
        st.dataframe(data, hide_index=True, width="stretch")
    else:
        # No plotly camera button: its image had no title and no source line; the buttons below do.
        st.plotly_chart(
            fig,
            width="stretch",
            key=f"chart_{key}",
            config={"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]},
        )
    line = source_line(page)
    st.caption(f"Source: {plain(line)}  \n{plain(alt_text(fig))}")
    db = database()
    if not images.available():
        st.caption("Image downloads need chromium on the server (apt-get install chromium).")
        return
    row = st.container(horizontal=True)  # buttons as wide as their labels (columns cut them at 1024 px)
    for fmt in images.FORMATS:
        row.download_button(
            f"{fmt.upper()} image",
            data=partial(_image, fig, line, fmt),
            file_name=f"incidentlens-{db.version}-{key}.{fmt}",
            on_click="ignore",
            key=f"img_{key}_{fmt}",
            mime="image/png" if fmt == "png" else "image/svg+xml",
        )
