"""Cell values → the contract's values: text, months, numbers with units, placeholders.

Columns are handled whole (pandas/numpy); where a cell needs reading as a person would
(`￥85,000.00`, `6.4万元`, `—`, `2026年6月份`) the work is done once per distinct value and
spread back, so no Python loop runs over the rows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from .. import contract
from ..contract import COUNT, Column
from .common import CONTROL_RE
from .layout import PLACEHOLDERS, blank
from .periods import _MONTH_RES, is_period_text

EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's (1900) date serials
SERIAL_2000 = (date(2000, 1, 1) - EXCEL_EPOCH).days
ZERO_WORDS = {"无", "零", "没有"}
_NUM = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(.*)$")
# Birds may be counted in 只 or 羽; otherwise a count's unit in a cell must be the header's.
_SAME_COUNT = {"只": "羽"}


def _factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _spread(codes: np.ndarray, per_unique: np.ndarray, missing: object) -> np.ndarray:
    full = np.concatenate([per_unique, np.array([missing], dtype=per_unique.dtype)])
    return full[np.where(codes >= 0, codes, len(per_unique))]


def clean_text(v: object) -> str | None:
    """Strip, NFKC and collapse spaces; 3900.0 → '3900'; placeholders (—, /) → None."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (datetime, date)):
        v = v.strftime("%Y-%m-%d")
    t = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(v))).strip()
    t = t[1:].lstrip() if t.startswith("'") else t  # '001: a CSV export's mark for text
    if not t or t in PLACEHOLDERS:
        return None
    return t


def text(s: pd.Series) -> pd.Series:
    """A text column cleaned, on the distinct values only."""
    codes, uniques = _factorize(s)
    u = np.array([clean_text(x) for x in uniques] or [None], dtype=object)[:len(uniques)]
    return pd.Series(_spread(codes, u, None), index=s.index, dtype=object)


def has_control(s: pd.Series) -> np.ndarray:
    """Cells holding NUL or another control character (refused: they break pages and exports)."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return np.zeros(len(s), dtype=bool)
    codes, uniques = _factorize(s)
    hit = np.array([isinstance(x, str) and bool(CONTROL_RE.search(x)) for x in uniques], dtype=bool)
    return _spread(codes, hit, False)


def too_long(s: pd.Series, limit: int) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return np.zeros(len(s), dtype=bool)
    codes, uniques = _factorize(s)
    hit = np.array([isinstance(x, str) and len(x) > limit for x in uniques], dtype=bool)
    return _spread(codes, hit, False)


# --- months -------------------------------------------------------------------------------------

def parse_month_text(text: str) -> tuple[int, int] | None:
    """'2023年6月' → (2023, 6); any format of DESIGN.md §4 and the field's (2026年6月份, 26年6月);
    None when it is none of them."""
    t = re.sub(r"\s*([-/.年月])\s*", r"\1", unicodedata.normalize("NFKC", text).strip().lower())
    t = re.sub(r"^(\d{6})\.0$", r"\1", t)
    t = t.lstrip("'")  # '202609: a CSV export's text mark
    if is_period_text(t):
        return None
    for rx in _MONTH_RES:
        m = rx.match(t)
        if m:
            groups = [g for g in m.groups() if g is not None and g.isdigit()]
            y, mo = int(groups[0]), int(groups[1])
            if y < 100:
                y += 2000
            if len(groups) == 3 and not 1 <= int(groups[2]) <= 31:
                return None
            return (y, mo) if 1 <= mo <= 12 else None
    return None


def _serial(n: float, today: date) -> tuple[int, int] | None:
    """An Excel date serial (a date cell saved as General, or read from CSV) in 2000..today."""
    if not float(n).is_integer() and not (float(n) % 1 < 0.99999):
        return None
    last = (today - EXCEL_EPOCH).days + 62
    if SERIAL_2000 <= n <= last:
        d = EXCEL_EPOCH + timedelta(days=int(n))
        return d.year, d.month
    return None


def months(s: pd.Series, today: date) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                              np.ndarray]:
    """Month column → (month starts, bad format, before 2000, in the future, 2023.1 as a number,
    a period longer than a month)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = s.dt.strftime("%Y-%m-%d")
    codes, uniques = _factorize(s)
    ym = np.full((max(len(uniques), 1), 2), -1, dtype=np.int64)
    numeric_dot1 = np.zeros(len(ym), dtype=bool)
    period = np.zeros(len(ym), dtype=bool)
    for i, u in enumerate(uniques):  # distinct values only: a file has a handful of months
        if isinstance(u, str) and is_period_text(u) or \
                isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool) and \
                float(u).is_integer() and 1990 <= float(u) <= 2100:  # 2026 alone: a year
            period[i] = True
        elif isinstance(u, (pd.Timestamp, datetime, date)):
            ym[i] = (u.year, u.month)
        elif isinstance(u, (float, np.floating)) and not float(u).is_integer() and f"{u}".endswith(".1"):
            numeric_dot1[i] = True  # 2023.1 typed as a number: January or October? Refuse to guess.
        elif isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool) and \
                float(u).is_integer() and _serial(float(u), today):
            ym[i] = _serial(float(u), today)
        elif isinstance(u, str) and re.fullmatch(r"\s*\d{5}\s*", u) and _serial(float(u), today):
            ym[i] = _serial(float(u), today)
        else:
            hit = parse_month_text(str(u))
            if hit:
                ym[i] = hit
    present = codes >= 0
    safe = np.maximum(codes, 0)
    y = np.where(present, ym[safe, 0], -1)
    mo = np.where(present, ym[safe, 1], -1)
    ambiguous = present & numeric_dot1[safe]
    is_period = present & period[safe]
    bad = present & (y < 0) & ~ambiguous & ~is_period & ~blank(s)
    ok = present & (y >= 0)
    early = ok & (y < 2000)
    future = ok & ((y > today.year) | ((y == today.year) & (mo > today.month)))
    valid = ok & ~early & ~future
    month = pd.to_datetime(pd.DataFrame({"year": np.where(valid, y, 2000), "month": np.where(valid, mo, 1),
                                         "day": 1})).astype("datetime64[ns]")
    month[~valid] = pd.NaT
    return month, bad, early, future, ambiguous, is_period


# --- numbers --------------------------------------------------------------------------------------

BAD, BLANK, ZERO, NUMBER, WRONG_UNIT, CONTRADICTS, PERCENT = range(7)


@dataclass
class Numbers:
    """A numeric column read: canonical values (NaN for empty or bad) and, per cell, how it was read."""

    values: np.ndarray
    bad: np.ndarray  # not a number at all
    wrong_unit: np.ndarray  # a unit this column cannot take (元 in a count)
    contradicts: np.ndarray  # a unit that contradicts the header's (6.4万元 under 销售收入(元))
    placeholder: np.ndarray  # —, /, - : not reported
    zero_word: np.ndarray  # 无, or Excel's accounting zero ' - ': 0
    cell_unit: np.ndarray  # a unit typed in the cell and used
    units_seen: list[str]


def _read_cell(raw: object, col: Column, header_unit: str | None, header_factor: float
               ) -> tuple[int, float, str]:
    """One distinct cell → (how, value in the canonical unit, unit typed)."""
    if isinstance(raw, bool):
        return BAD, np.nan, ""
    if isinstance(raw, (int, float, np.integer, np.floating)):
        v = float(raw)
        return (NUMBER, v * header_factor, "") if np.isfinite(v) else (BAD, np.nan, "")
    if not isinstance(raw, str):
        return BAD, np.nan, ""
    t = unicodedata.normalize("NFKC", raw)
    t = re.sub(r"^\s*'", "", t)  # '180: a CSV export's mark for text
    if re.fullmatch(r"\s*[¥$]?\s*-\s*", t) and (re.match(r"\s+-\s+$", t) or "¥" in t or "$" in t):
        return ZERO, 0.0, ""  # Excel's accounting format writes zero as ' - '
    s = re.sub(r"\s+", "", t)
    if not s:
        return BLANK, np.nan, ""
    if s in PLACEHOLDERS or re.fullmatch(r"[-—/\\]+", s):
        return BLANK, np.nan, ""
    if s in ZERO_WORDS:
        return ZERO, 0.0, ""
    s = re.sub(r"^(rmb|cny)|^[¥$]", "", s.lower())
    neg = re.fullmatch(r"\((.*)\)", s)  # accounting negative (1,000)
    if neg:
        s = "-" + neg.group(1)
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?.*", s):
        s = s.replace(",", "")
    m = _NUM.match(s)
    if not m:
        return BAD, np.nan, ""
    v = float(m.group(1))
    unit = m.group(2)
    if not np.isfinite(v):
        return BAD, np.nan, ""
    if not unit:
        return NUMBER, v * header_factor, ""
    if unit == "%":
        return PERCENT, np.nan, unit
    f = contract.unit_factor(col.kind, contract.UNIT_ALIASES.get(unit, unit))
    if f is None:
        return WRONG_UNIT, np.nan, unit
    if header_unit:
        hu = re.sub(r"^(单位|计量单位)[:：]?", "", header_unit)
        same = abs(f - header_factor) < 1e-12
        if col.kind == COUNT:
            same = same and _SAME_COUNT.get(unit, unit) == _SAME_COUNT.get(hu, hu)
        if not same:
            return CONTRADICTS, np.nan, unit
    return NUMBER, v * f, unit


def numbers(s: pd.Series, col: Column, header_unit: str | None, header_factor: float) -> Numbers:
    """A numeric column → canonical values; thousands separators, full-width digits, currency
    signs, units typed in cells, placeholders and accounting zeros read as DESIGN.md §4 says."""
    n = len(s)
    z = np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = ~np.isfinite(v) & ~np.isnan(v)
        v[bad] = np.nan
        return Numbers(v * header_factor, bad, z, z, z, z, z, [])
    # Plain numbers go through pandas' C parser; only the rest is read cell by cell.
    num = pd.to_numeric(s, errors="coerce") if s.dtype == object else pd.Series(np.nan, index=s.index)
    values = num.to_numpy(dtype=float, na_value=np.nan, copy=True)
    isnum = np.isfinite(values)
    if s.dtype == object:  # bools and the like slip through to_numeric
        isnum &= ~s.map(lambda x: isinstance(x, bool)).to_numpy(dtype=bool)
    values = np.where(isnum, values * header_factor, np.nan)
    how = np.where(isnum, NUMBER, BLANK)
    unit_used = np.zeros(n, dtype=bool)
    units_seen: set[str] = set()
    rest = ~isnum & ~s.isna().to_numpy()
    if rest.any():
        codes, uniques = _factorize(s[rest])
        read = [_read_cell(u, col, header_unit, header_factor) for u in uniques]
        h = np.array([r[0] for r in read], dtype=np.int64)
        v = np.array([r[1] for r in read], dtype=float)
        u = np.array([bool(r[2]) and r[0] == NUMBER for r in read], dtype=bool)
        units_seen = {r[2] for r in read if r[2] and r[0] == NUMBER}
        idx = np.flatnonzero(rest)
        how[idx] = h[codes]
        values[idx] = v[codes]
        unit_used[idx] = u[codes]
    return Numbers(values, (how == BAD) | (how == PERCENT), how == WRONG_UNIT, how == CONTRADICTS,
                   ~isnum & (how == BLANK) & ~blank(s), how == ZERO, unit_used, sorted(units_seen))


# --- decimal comma or dot grouping ------------------------------------------------------------------

PLAIN, ANGLO, EURO, AMB_DOT, AMB_COMMA = range(5)
_CORE = re.compile(r"^([^\d+\-.,]*)([+-]?\d[\d.,]*\d|[+-]?\d)(.*)$")


def _separator_kind(v: object) -> int:
    """How a cell writes its separators: ANGLO (3.25, 1,234,567, 1,234.5), EURO (2,5, 1.234.567,
    1.234,5), AMB_DOT (3.200: 3.2 or 3,200?), AMB_COMMA (1,500), PLAIN (no separator)."""
    if not isinstance(v, str):
        return PLAIN
    m = _CORE.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)).lstrip("'"))
    if not m:
        return PLAIN
    core = m.group(2).lstrip("+-")
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        return EURO if core.rfind(",") > core.rfind(".") else ANGLO
    if not dots and not commas:
        return PLAIN
    sep = "." if dots else ","
    parts = core.split(sep)
    grouped = 1 <= len(parts[0]) <= 3 and not parts[0].startswith("0") and all(len(x) == 3 for x in parts[1:])
    if len(parts) > 2:
        return (EURO if sep == "." else ANGLO) if grouped else PLAIN
    if grouped:
        return AMB_DOT if sep == "." else AMB_COMMA
    return ANGLO if sep == "." else EURO


def separator_kinds(s: pd.Series) -> np.ndarray:
    """Per cell its separator kind (distinct values only)."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return np.full(len(s), PLAIN, dtype=np.int64)
    codes, uniques = _factorize(s)
    k = np.array([_separator_kind(u) for u in uniques], dtype=np.int64)
    return _spread(codes, k, PLAIN) if len(uniques) else np.full(len(s), PLAIN, dtype=np.int64)


def with_decimal(s: pd.Series, euro: bool) -> pd.Series:
    """Cells rewritten with '.' as the decimal point and no grouping: 3.200 → 3200 (euro), 1,500 →
    1500 (not euro), 2,5 → 2.5 (euro); units and currency signs kept around the number."""
    def one(v: object) -> object:
        if not isinstance(v, str):
            return v
        m = _CORE.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)).lstrip("'"))
        if not m:
            return v
        core = m.group(2)
        core = core.replace(".", "").replace(",", ".") if euro else core.replace(",", "")
        return f"{m.group(1)}{core}{m.group(3)}"

    codes, uniques = _factorize(s)
    if not len(uniques):
        return s
    return pd.Series(_spread(codes, np.array([one(u) for u in uniques], dtype=object), None), index=s.index,
                     dtype=object)
