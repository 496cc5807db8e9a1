"""The monthly upload (DESIGN.md §4), in the order the data flows:

- :mod:`.read` — bytes → sheets of cells (encodings, CSV dialects, .xlsx/.xlsm/.xls, limits);
- :mod:`.layout` — where the table is in a sheet (header rows, units row, totals, footers);
- :mod:`.normalise` — cell values → the contract's values (units, months, placeholders);
- :mod:`.validate` — :func:`parse`: the whole file checked, no database;
- :mod:`.identity` — look-alike names and the alias table;
- :mod:`.crosscheck` — a 本年累计 column against the stored months (preview and commit);
- :mod:`.apply` — :func:`preview`, commit, :func:`undo`, the upload log;
- :mod:`.remember` — column choices kept per cooperative and layout, recalled next month;
- :mod:`.submissions`, :mod:`.review` — the reporting cycle: :func:`commit` sends a manager's
  file to review (待审核), the office accepts or returns it (DESIGN.md §9);
- :mod:`.templates` — the blank upload templates, from the same column spec.

May import the ground floor, figures, access (the acting user's write check) and the store (the single
writer); never meeting, the CLI or ui.

Pages, the CLI and tests use this package's names: ``ingest.parse(...)``, ``ingest.commit(...)``.
"""

from .apply import (
    Preview,
    UploadResult,
    already_message,
    explanations,
    find_applied,
    missing_explanations,
    preview,
    sweep_uploads,
    undo,
    upload_cooperatives,
    upload_dir,
    upload_info,
    uploads_log,
    yield_reference,
)
from .common import (
    ISSUE_COLUMNS,
    ISSUE_LABELS,
    AlreadyApplied,
    CommitFailed,
    IngestError,
    Rejected,
    SimilarNames,
    UndoRefused,
    display_value,
)
from .identity import NameChoices, coop_key, unit_key
from .isolate import parse
from .layout import NUMERIC as NUMERIC_KINDS
from .layout import ColumnChoices, Layout, match_header
from .normalise import parse_month_text
from .read import ENCODING_NAMES
from .remember import describe as describe_recalled_columns
from .remember import merged as merged_columns
from .remember import recall as recall_columns
from .review import SubmissionResult, commit, ingest, would_replace
from .submissions import may_undo, needs_review
from .validate import Parsed, SheetReport

__all__ = [
    "ENCODING_NAMES", "ISSUE_COLUMNS", "ColumnChoices", "ISSUE_LABELS", "AlreadyApplied", "CommitFailed",
    "IngestError", "Layout", "NUMERIC_KINDS",
    "NameChoices", "Parsed", "Preview", "Rejected", "SheetReport", "SimilarNames", "SubmissionResult",
    "UndoRefused", "UploadResult",
    "already_message", "commit", "explanations", "missing_explanations", "coop_key", "display_value",
    "find_applied", "ingest", "match_header", "may_undo", "needs_review", "parse", "describe_recalled_columns",
    "merged_columns",
    "recall_columns",
    "parse_month_text", "preview", "sweep_uploads", "undo", "unit_key", "upload_cooperatives", "upload_dir",
    "upload_info", "uploads_log", "would_replace", "yield_reference",
]
