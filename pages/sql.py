"""SQL console: researchers run one read-only SELECT at a time over a snapshot of the dataset
(the page itself is in incidentlens.ui.console)."""

from incidentlens import ui
from incidentlens.ui import console

db, f = ui.start("pages/sql.py", "SQL console")
console.page(db)
