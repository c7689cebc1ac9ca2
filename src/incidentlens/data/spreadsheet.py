"""Spreadsheet-safe text: spreadsheet programs execute text starting with `=`, `+`, `-`, `@`, tab
or CR as a formula, so such text cells get a leading apostrophe (OWASP's advice).

Shared by the downloads (`present.exports`) and the SQL console's CSV output (`console.output`),
which sit in different layers, so it lives here at the bottom.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make one text cell safe to open in a spreadsheet; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
