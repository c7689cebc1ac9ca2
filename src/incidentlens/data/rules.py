"""The codebook's mechanical rules (docs/codebook.md), checked row by row and across files.

Which type each T rule gives, and which rules require an alternative coding, are read from the
`type_rule` field of `datapackage.json` (`x-gives`, `x-requires-alternative`), so the codebook's
tables live in the schema and the checks here only apply them. Each message starts with the rule
id, so a curator can look the rule up.
"""

from __future__ import annotations

import datetime as dt

from incidentlens.data.schema import LIST_SEPARATOR, Package

# A hosted-platform route may keep another type only under these rules (T9's named exceptions).
HOSTED_EXCEPTIONS = ("T4", "T5", "T10", "T11")
# T6: a break/fix shop has no standing contract with the victims.
STANDING = ("managed_contract", "monthly_retainer")
OWN_VOICE = "own voice"

Finding = tuple[str, str]  # (column, message)


def incident(row: dict[str, str], pkg: Package) -> list[Finding]:
    """Rules T9, T10, T12, T13, T14, T6, R2 (blank side), G2 and D1 on one incident row."""
    out: list[Finding] = []
    ptype, rule = row["provider_type"], row["type_rule"]
    alt, alt_rule = row["alt_provider_type"], row["alt_rule"]
    gives = pkg.rule_types.get(rule)
    if gives and ptype not in gives and ptype in (pkg.field("incidents", "provider_type").enum or ()):
        out.append(("provider_type", f"rule {rule} gives {' or '.join(gives)}, not {ptype}"))
    if row["route"] == "hosted_platform" and ptype != "cloud_hosting" and rule not in HOSTED_EXCEPTIONS:
        out.append(
            (
                "type_rule",
                "rule T9: a hosted_platform route is cloud_hosting unless type_rule is "
                f"one of {', '.join(HOSTED_EXCEPTIONS)} (got {rule or 'none'})",
            )
        )
    if bool(alt) != bool(alt_rule):
        out.append(("alt_rule", "rule A2: alt_provider_type and alt_rule are set together or not at all"))
    elif alt and alt == ptype:
        out.append(("alt_provider_type", f"rule A2: the alternative repeats the published type {ptype}"))
    elif alt and pkg.rule_types.get(alt_rule) and alt not in pkg.rule_types[alt_rule]:
        out.append(("alt_rule", f"rule {alt_rule} gives {' or '.join(pkg.rule_types[alt_rule])}, not {alt}"))
    need = pkg.required_alternatives.get(rule)
    if need and (alt, alt_rule) != tuple(need):
        out.append(("alt_provider_type", f"rule {rule}: record the alternative {need[0]} (rule {need[1]})"))
    transitional = row["provider_maturity"] == "transitional"
    if transitional != (rule == "T13"):
        out.append(("provider_maturity", "rule T13: provider_maturity is transitional exactly when type_rule is T13"))
    if transitional and "Transitional:" not in row["type_basis"]:
        out.append(("type_basis", "rule T13: a transitional coding says why after 'Transitional:' in type_basis"))
    if ptype == "unknown" and row["type_confidence"] != "low":
        out.append(("type_confidence", "rule T12: an unknown type has type_confidence low"))
    if ptype == "break_fix" and row["service_relationship"] in STANDING:
        out.append(
            (
                "service_relationship",
                f"rule T6: a break/fix provider cannot have a {row['service_relationship']} relationship",
            )
        )
    family = pkg.type_family.get(ptype)
    if row["service_relationship"] == "managed_contract" and family and family != "managed_it":
        out.append(
            (
                "service_relationship",
                f"rule R4: a managed-services contract gives a managed-IT type (T1, T10), "
                f"not {ptype}; a hosting subscription is product_licence and a non-IT "
                "supplier's contract is business_service_contract",
            )
        )
    documented = row["service_relationship"] not in ("", "not_documented")
    if documented != bool(row["relationship_source_id"]):
        out.append(
            (
                "relationship_source_id",
                "rule R2: a documented service_relationship names its source in relationship_source_id, and only then",
            )
        )
    countries = row["countries"].split(LIST_SEPARATOR) if row["countries"] else []
    if "ZZ" in countries and len(countries) > 1:
        out.append(("countries", "rule G2: ZZ (not reported) stands alone; list the known countries instead"))
    out += _precision(row)
    return out


def _precision(row: dict[str, str]) -> list[Finding]:
    """Rule D1: a month is stored as its 1st, a year as 1 January, a week as its Monday."""
    try:
        day = dt.date.fromisoformat(row["attack_date"])
    except ValueError:
        return []  # the date itself is reported elsewhere
    precision = row["attack_date_precision"]
    wrong = (
        (precision == "month" and day.day != 1)
        or (precision == "year" and (day.month, day.day) != (1, 1))
        or (precision == "week" and day.weekday() != 0)
    )
    stored = {"month": "the 1st of the month", "year": "1 January", "week": "the week's Monday"}
    return [("attack_date", f"rule D1: a {precision}-precision date is stored as {stored[precision]}")] if wrong else []


def source(row: dict[str, str]) -> list[Finding]:
    """Rules L2, L3 and S1 on one source row."""
    out: list[Finding] = []
    if row["speaker"].strip().lower() == OWN_VOICE and row["speaker_type"] != row["source_type"]:
        out.append(
            (
                "speaker_type",
                f"rule L2: a publication's own voice has speaker_type = source_type ({row['source_type']})",
            )
        )
    if row["label_term"] == "unnamed" and (row["label_text"] or row["speaker"].strip().lower() != OWN_VOICE):
        out.append(("label_text", "rule L3: an unnamed label has no label_text and speaker 'own voice'"))
    if (row["is_repost"] == "yes") != bool(row["repost_of"].strip()):
        out.append(("repost_of", "rule S1: a repost names its original outlet in repost_of, and only a repost"))
    return out


def relationship_sources(incidents: list[dict[str, str]], source_ids: dict[str, str]) -> list[tuple[int, str]]:
    """Rule R2 across files: each relationship_source_id is a source of the same incident.

    Returns (index into `incidents`, message); `source_ids` maps source_id -> incident_id.
    """
    out = []
    for i, row in enumerate(incidents):
        sid = row["relationship_source_id"]
        if sid and source_ids.get(sid) != row["incident_id"]:
            out.append((i, f"rule R2: relationship_source_id '{sid}' is not a source of this incident"))
    return out


def agreement(rows: list[dict[str, str]], published: dict[str, str]) -> list[tuple[int, str, str]]:
    """Rules A1 and A2 on coding_agreement.csv: coder 1 is the published type, `agree` says
    whether the coders matched, and every disagreement names the rule that resolved it.

    Returns (index into `rows`, column, message); `published` maps incident_id -> provider_type.
    """
    out = []
    for i, row in enumerate(rows):
        pub = published.get(row["incident_id"])
        if pub is not None and row["coder1_type"] != pub:
            out.append(
                (i, "coder1_type", f"rule A1: coder 1 is the published coding ({pub}), not {row['coder1_type']}")
            )
        same = row["coder1_type"] == row["coder2_type"]
        if (row["agree"] == "yes") != same:
            out.append((i, "agree", "rule A1: agree is yes exactly when the two coders gave the same type"))
        if not same and not (row["resolution_rule"] and row["resolution"]):
            out.append((i, "resolution_rule", "rule A2: a disagreement names the rule that resolved it and how"))
    return out
