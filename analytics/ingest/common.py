"""What every stage of the upload shares: refusals, the report of problems, text normalising."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ["sheet", "row", "column", "value", "reason"]
ISSUE_LABELS = {"sheet": ("工作表", "Sheet"), "row": ("行号", "Row"), "column": ("列", "Column"),
                "value": ("值", "Value"), "reason": ("问题", "Problem")}

# C0 controls but tab, LF and CR (cells may wrap), DEL and C1 controls: never part of a name.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _m(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


class IngestError(Exception):
    """A refusal the user can act on; the message is Chinese (or English when asked)."""


class Rejected(IngestError):
    """The file has problems; ``errors`` lists every one (sheet, row, column, value, reason)."""

    def __init__(self, message: str, errors: pd.DataFrame):
        super().__init__(message)
        self.errors = errors


class AlreadyApplied(IngestError):
    """The same bytes were uploaded before and are still applied."""


class UndoRefused(IngestError):
    """An undo that would break later uploads, or of something that cannot be undone."""


class SimilarNames(IngestError):
    """New names that look like registered ones; ``similar`` lists them (kind, name, match)."""

    def __init__(self, message: str, similar: pd.DataFrame):
        super().__init__(message)
        self.similar = similar


class CommitFailed(IngestError):
    """The database refused the write; nothing was written. The message names the first cause."""


def norm(text: object) -> str:
    """A cell → comparable form: NFKC (full-width → ASCII), no spaces at all, lower case."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame(columns=ISSUE_COLUMNS)


def issue(reason: str, *, sheet: str = "", row: int | None = None, column: str = "", value: object = "") -> dict:
    return {"sheet": sheet, "row": row, "column": column, "value": value, "reason": reason}


def issues_frame(items: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=ISSUE_COLUMNS) if items else empty_issues()


def cell_text(v: object) -> str:
    """A cell as the user typed it: 3900 not 3900.0, empty for missing."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, str):
        return CONTROL_RE.sub("\ufffd", v)  # shown, never passed on raw
    return str(v)


def display_value(v: object) -> str:
    """A stored value for the preview: 12,345 / 1,234.5 / text; （空） for not reported."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "（空）"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()):
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)
