"""The researcher SQL console: one read-only SELECT at a time over a snapshot of the dataset.

No single layer is trusted (tech notes §6): the statement gate (`gate`), a read-only snapshot
with hardened settings (`catalogue`, `gate`), and worker processes with OS limits (`worker`);
`output` turns results into what the page and the command line show.
"""

from incidentlens.console.catalogue import DERIVED, EXAMPLES, TABLES, VIEW_NOTES, VIEWS, snapshot
from incidentlens.console.gate import (
    DEFAULT_TIMEOUT_S,
    HARDENED,
    MAX_DEPTH,
    MAX_SQL_CHARS,
    MAX_TIMEOUT_S,
    MEMORY_LIMIT,
    ConsoleError,
)
from incidentlens.console.output import FORMATS, for_display, format_result, main_sql
from incidentlens.console.worker import (
    DEFAULT_BYTES,
    DEFAULT_ROWS,
    MAX_BYTES,
    MAX_CONCURRENT,
    MAX_ROWS,
    WORKER_MEMORY,
    Console,
    Result,
    size_text,
)

__all__ = [
    "DEFAULT_BYTES",
    "DEFAULT_ROWS",
    "DEFAULT_TIMEOUT_S",
    "DERIVED",
    "EXAMPLES",
    "FORMATS",
    "HARDENED",
    "MAX_BYTES",
    "MAX_CONCURRENT",
    "MAX_DEPTH",
    "MAX_ROWS",
    "MAX_SQL_CHARS",
    "MAX_TIMEOUT_S",
    "MEMORY_LIMIT",
    "TABLES",
    "VIEWS",
    "VIEW_NOTES",
    "WORKER_MEMORY",
    "Console",
    "ConsoleError",
    "Result",
    "for_display",
    "format_result",
    "main_sql",
    "size_text",
    "snapshot",
]
