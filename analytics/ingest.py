"""The monthly upload (DESIGN.md §4): decode → find header → normalise → validate → upsert.

Everything is driven by ``contract.SECTORS``. A file is parsed without touching the database
(:func:`parse`), compared with what is stored (:func:`preview`), then written in one
transaction under the store's single writer (:func:`commit`) — or not at all. Every accepted
file's bytes are kept under ``<db folder>/uploads/<sha256><ext>``, replaced values go to the
``<table>_history`` tables and :func:`undo` puts back exactly what an upload changed.

Validation works on whole columns (pandas/numpy); no Python loop runs over the rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from . import contract
from .auth import Actor, check_write
from .contract import AREA, CHOICE, COUNT, MONEY, MONTH, TEXT, WEIGHT, Column, Sector
from .db import Store

Cursor = duckdb.DuckDBPyConnection

HEAD_ROWS = 30  # the header must be within the first rows (title lines above it are fine)
ISSUE_COLUMNS = ["row", "column", "value", "reason"]
ISSUE_LABELS = {"row": ("行号", "Row"), "column": ("列", "Column"), "value": ("值", "Value"),
                "reason": ("问题", "Problem")}
ROUND = {MONEY: 2, WEIGHT: 3, AREA: 4}
NUMERIC = (COUNT, MONEY, WEIGHT, AREA)
UPLOAD_DIR = "uploads"


def _m(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


class IngestError(Exception):
    """A refusal the user can act on; the message is Chinese (or English when asked)."""


class Rejected(IngestError):
    """The file has problems; ``errors`` lists every one (row, column, value, reason)."""

    def __init__(self, message: str, errors: pd.DataFrame):
        super().__init__(message)
        self.errors = errors


class AlreadyApplied(IngestError):
    """The same bytes were uploaded before and are still applied."""


class UndoRefused(IngestError):
    pass


# --- results ------------------------------------------------------------------------------

@dataclass
class Parsed:
    """A file read and checked against the contract, before any database access."""

    filename: str
    data: bytes
    sha256: str
    lang: str
    sector: str | None = None
    encoding: str | None = None
    header_row: int | None = None  # as the spreadsheet numbers it
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # canonical columns, units converted
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors.empty and self.sector is not None

    @property
    def ext(self) -> str:
        return ".xlsx" if self.encoding == "xlsx" else ".csv"

    @property
    def cooperatives(self) -> list[str]:
        return sorted(self.frame["cooperative"].unique()) if len(self.frame) else []

    @property
    def months(self) -> list[str]:
        if not len(self.frame):
            return []
        return sorted(pd.unique(self.frame["month"].dt.strftime("%Y-%m")))

    def summary(self) -> str:
        """One line naming the problems, for an st.error or stderr."""
        n = len(self.errors)
        rows = self.errors["row"].dropna().nunique()
        if n == 1 and not rows:
            reason = self.errors["reason"].iloc[0]
            return _m(self.lang, f"文件“{self.filename}”未导入：{reason}",
                      f"“{self.filename}” was not imported: {reason}")
        return _m(self.lang, f"文件“{self.filename}”有 {n} 处问题（涉及 {rows} 行），整个文件未导入。"
                             "请按下表逐条改正后重新上传。",
                  f"“{self.filename}” has {n} problem(s) in {rows} row(s); nothing was imported. "
                  "Fix each one listed below and upload again.")


@dataclass
class Preview:
    """What a commit would do: counts, new cooperatives/units, replaced values, warnings."""

    parsed: Parsed
    n_rows: int
    n_new: int
    n_replaced: int
    new_cooperatives: list[str]
    new_units: pd.DataFrame  # cooperative, unit
    rows: pd.DataFrame  # the parsed rows with _status (new/replace), _new_unit, _row
    diff: pd.DataFrame  # month, cooperative, unit, column, old, new
    warnings: pd.DataFrame
    duplicate_of: dict | None  # the applied upload with the same bytes, if any


@dataclass
class UploadResult:
    upload_id: int
    sector: str
    n_rows: int
    n_new: int
    n_replaced: int
    new_cooperatives: list[str]
    n_new_units: int
    months: str
    stored_path: str

    def message(self, lang: str = "zh") -> str:
        extra = ""
        if self.new_cooperatives or self.n_new_units:
            extra = _m(lang, f"新登记合作社 {len(self.new_cooperatives)} 个、新单元 {self.n_new_units} 个；",
                       f"{len(self.new_cooperatives)} new cooperative(s), {self.n_new_units} new unit(s); ")
        return _m(lang, f"已导入（编号 {self.upload_id}）：{self.n_rows:,} 行，新增 {self.n_new:,} 条，"
                        f"替换 {self.n_replaced:,} 条；{extra}月份 {self.months}。",
                  f"Imported (upload {self.upload_id}): {self.n_rows:,} rows, {self.n_new:,} new, "
                  f"{self.n_replaced:,} replaced; {extra}months {self.months}.")


# --- headers --------------------------------------------------------------------------------

def _norm(text: object) -> str:
    """Header cell → comparable form: NFKC (full-width → ASCII), no spaces, lower case."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


_UNIT_RE = re.compile(r"^(.*?)[(\[](.*)[)\]]$")


def _alias_map(s: Sector) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for c in s.columns:
        for name in (c.zh, c.en, c.key, *contract.HEADER_ALIASES.get(c.key, ())):
            out.setdefault(_norm(name), c)
    return out


_ALIASES = {k: _alias_map(s) for k, s in contract.SECTORS.items()}


_UNIT_ALIASES = {_norm(k): v for k, v in contract.UNIT_ALIASES.items()}


def _factor(col: Column, unit: str | None) -> float | None:
    """Factor from the header's unit to the canonical one; None when the unit is unknown."""
    if col.kind not in NUMERIC or not unit:
        return 1.0
    unit = _UNIT_ALIASES.get(_norm(unit), unit)
    factors = {_norm(k): v for k, v in contract.UNIT_FACTORS.get(col.kind, {}).items()}
    return factors.get(_norm(unit))


def match_header(sector_key: str, cell: object) -> tuple[Column, float | None, str | None] | None:
    """Which column a header cell names: (column, unit factor or None if unknown unit, unit)."""
    h = _norm(cell)
    if not h:
        return None
    aliases = _ALIASES[sector_key]
    if h in aliases:
        return aliases[h], 1.0, None
    m = _UNIT_RE.match(h)
    if m and m.group(1) in aliases:
        col = aliases[m.group(1)]
        return col, _factor(col, m.group(2)), m.group(2)
    # A unit written straight after the name: 销售收入万元, 产量kg.
    for name, col in aliases.items():
        if h.startswith(name) and col.kind in NUMERIC:
            unit = h[len(name):]
            f = _factor(col, unit)
            if f is not None:
                return col, f, unit
    return None


def _match_row(sector_key: str, cells: list) -> dict[int, tuple[Column, float | None, str | None]]:
    out = {}
    for i, cell in enumerate(cells):
        hit = match_header(sector_key, cell)
        if hit is not None:
            out[i] = hit
    return out


def _find_header(head: list[list], sector: str | None, lang: str
                 ) -> tuple[int, str, dict[int, tuple[Column, float | None, str | None]]]:
    """First row naming every required column of the chosen (or the one fitting) sector."""
    candidates = [sector] if sector else list(contract.SECTOR_KEYS)
    best: tuple[int, int, str] | None = None  # (matched, row, sector) of the closest miss
    for r, cells in enumerate(head):
        found = []
        for key in candidates:
            m = _match_row(key, cells)
            got = {c.key for c, _, _ in m.values()}
            req = {c.key for c in contract.SECTORS[key].required}
            if req <= got:
                found.append((len(got), key, m))
            elif best is None or len(got) > best[0]:
                best = (len(got), r, key)
        if found:
            found.sort(key=lambda x: -x[0])
            if len(found) > 1 and found[0][0] == found[1][0]:
                names = "、".join(contract.SECTORS[k].zh for n, k, _m in found if n == found[0][0])
                raise IngestError(_m(lang, f"无法从表头判断板块（可能是 {names}），请选择板块后再上传。",
                                     "Cannot tell the sector from the headers; please choose it."))
            return r, found[0][1], found[0][2]
    if sector is not None:
        try:  # the file fits another sector: say so rather than list "missing" columns
            _, other, _ = _find_header(head, None, lang)
        except IngestError:
            other = None
        if other is not None and other != sector:
            o, c = contract.SECTORS[other], contract.SECTORS[sector]
            raise IngestError(_m(lang, f"这个文件的表头是{o.zh}月报，但选择的板块是“{c.zh}”。"
                                       f"请把板块改为“{o.zh}”或“按表头自动判断”。",
                                 f"The headers are those of a {o.en} sheet, but “{c.en}” was chosen. "
                                 f"Choose “{o.en}” or “Detect from headers”."))
    if best is not None and best[0] > 0:
        n, r, key = best
        got = {c.key for c, _, _ in _match_row(key, head[r]).values()}
        missing = [c.header for c in contract.SECTORS[key].required if c.key not in got]
        raise IngestError(_m(
            lang, f"第 {r + 1} 行像是表头，但缺少必填列：{'、'.join(missing)}"
                  f"（{contract.SECTORS[key].zh}板块）。请使用模板的表头。",
            f"Row {r + 1} looks like the header but lacks required column(s): {', '.join(missing)}."))
    need = "；".join(f"{s.zh}：" + "、".join(c.zh for c in s.required)
                    for s in (contract.SECTORS[k] for k in candidates))
    raise IngestError(_m(lang, f"在前 {HEAD_ROWS} 行里找不到表头。表头须包含必填列（{need}）。"
                               "请下载模板对照填写。",
                         f"No header row found in the first {HEAD_ROWS} rows; it must name the "
                         "required columns. Please use the template."))


# --- reading bytes ----------------------------------------------------------------------------

@dataclass
class _Raw:
    head: list[list]  # first rows as cells, for header detection
    encoding: str
    body: object  # utf-8 bytes (csv) or list of row tuples (xlsx)
    delimiter: str = ","


_UNKNOWN_ENCODING = ("无法识别文件编码（既不是 UTF-8 也不是 GBK）。"
                     "请在 Excel 中另存为“CSV UTF-8”或直接上传 .xlsx 文件。",
                     "Unknown text encoding (neither UTF-8 nor GBK). Save as “CSV UTF-8” or upload the .xlsx file.")


def _read_raw(data: bytes, filename: str, lang: str) -> _Raw:
    ext = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04" or ext in (".xlsx", ".xlsm"):
        return _read_xlsx(data, lang)
    if data[:4] == b"\xd0\xcf\x11\xe0" or ext == ".xls":
        raise IngestError(_m(lang, "不支持旧版 Excel（.xls）文件。请在 Excel 中“另存为”.xlsx 或 CSV 后再上传。",
                             "Old Excel (.xls) files are not supported; save as .xlsx or CSV."))
    if data.startswith(codecs.BOM_UTF8):
        enc, body = "utf-8-sig", data[3:]
    elif data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            enc, body = "utf-16", data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(_UNKNOWN_ENCODING[lang == "en"]) from None
    else:
        enc, body = "utf-8", data
    head_bytes = body[:65536]
    if len(body) > 65536:
        head_bytes = head_bytes[:head_bytes.rfind(b"\n") + 1] or head_bytes
    try:
        head_text = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows PC saves "CSV" as GBK; GB18030 is its superset.
        # Never latin-1: it would "succeed" and turn every name into mojibake.
        if enc == "utf-8-sig":
            raise IngestError(_m(lang, "文件开头标明是 UTF-8 编码，但内容不是合法的 UTF-8。请重新导出。",
                                 "The file says UTF-8 but is not valid UTF-8; export it again.")) from None
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise IngestError(_UNKNOWN_ENCODING[lang == "en"]) from None
        enc, body, head_text = "gb18030", text.encode("utf-8"), text[:65536]
    lines = head_text.splitlines()[:HEAD_ROWS]
    delim = "\t" if lines and sum(line.count("\t") for line in lines) > sum(line.count(",") for line in lines) \
        else ","
    head = list(csv.reader(lines, delimiter=delim))
    return _Raw(head, enc, body, delim)


def _read_xlsx(data: bytes, lang: str) -> _Raw:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise IngestError(_m(lang, "无法打开这个 Excel 文件，它可能已损坏或不是 .xlsx 格式。",
                             "Cannot open this Excel file; it may be damaged or not .xlsx.")) from None
    try:
        rows = list(wb.worksheets[0].iter_rows(min_row=1, values_only=True))
    finally:
        wb.close()
    return _Raw([list(r) for r in rows[:HEAD_ROWS]], "xlsx", rows)


def _body_frame(raw: _Raw, header_idx: int, ncols: int, text_cols: set[int]
                ) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The data rows as columns 0..ncols-1, their spreadsheet row numbers, and shape problems."""
    names = [f"c{i}" for i in range(ncols)]
    first_row = header_idx + 2  # 1-based, the row after the header
    if raw.encoding == "xlsx":
        return _rows_frame(raw.body[header_idx + 1:], names, first_row)
    bad: list = []
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(raw.body),
            read_options=pacsv.ReadOptions(skip_rows=header_idx + 1, column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=raw.delimiter, ignore_empty_lines=False,
                                             invalid_row_handler=lambda r: bad.append(r) or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={names[i]: pa.string() for i in text_cols},
                null_values=[""], true_values=["\x01"], false_values=["\x02"],
                strings_can_be_null=True))
    except pa.ArrowInvalid:
        bad.append(None)
    if not bad:
        df = tbl.to_pandas()
        return df, first_row + np.arange(len(df)), pd.DataFrame(columns=ISSUE_COLUMNS)
    # Rows of another width, or quoted line breaks: the slow but exact reader numbers them.
    reader = csv.reader(io.StringIO(raw.body.decode("utf-8")), delimiter=raw.delimiter)
    return _rows_frame(list(reader)[header_idx + 1:], names, first_row)


def _rows_frame(rows: list, names: list[str], first_row: int) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Rows of any width as the named columns, plus the cells beyond them (reported as problems)."""
    ncols = len(names)
    width = max((len(r) for r in rows), default=ncols)
    df = pd.DataFrame(rows, columns=range(width), dtype=object) if rows else \
        pd.DataFrame(columns=range(width), dtype=object)
    df = df.reindex(columns=range(max(width, ncols)))
    extra = df.iloc[:, ncols:]
    df = df.iloc[:, :ncols]
    df.columns = names
    return df, first_row + np.arange(len(df)), _extra_cells(extra, first_row)


def _extra_cells(extra: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Cells right of the header's last column that hold something."""
    if extra.shape[1] == 0:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    filled = extra.notna() & (extra.astype(str).apply(lambda s: s.str.strip()) != "")
    r, c = np.nonzero(filled.to_numpy())
    return pd.DataFrame({"row": first_row + r, "column": [f"#{extra.columns[j] + 1}" for j in c],
                         "value": extra.to_numpy()[r, c].astype(str), "reason": "extra"})


# --- normalising values -------------------------------------------------------------------

def _blank(s: pd.Series) -> np.ndarray:
    """Missing or only spaces."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.isna().to_numpy()
    return (s.isna() | (s.astype("str").str.strip() == "")).to_numpy()


def _text(s: pd.Series) -> pd.Series:
    """Strip, NFKC and collapse spaces — on the distinct values only, then spread back."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(uniques):
        return pd.Series(None, index=s.index, dtype=object)
    u = pd.Series(np.asarray(uniques, dtype=object)).astype("str")
    u = u.str.normalize("NFKC").str.strip().str.replace(r"\s+", " ", regex=True)
    u = u.str.replace(r"\.0$", "", regex=True) if not pd.api.types.is_string_dtype(s.dtype) else u
    out = np.where(codes >= 0, u.to_numpy(dtype=object)[np.maximum(codes, 0)], None)
    out[out == ""] = None
    return pd.Series(out, index=s.index, dtype=object)


_MONTH_RES = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ t].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_month_text(text: str) -> tuple[int, int] | None:
    """'2023年6月' → (2023, 6); any format of DESIGN.md §4; None when it is none of them."""
    t = re.sub(r"\s*([-/.年月])\s*", r"\1", unicodedata.normalize("NFKC", text).strip().lower())
    t = re.sub(r"^(\d{6})\.0$", r"\1", t)
    for rx in _MONTH_RES:
        m = rx.match(t)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if len(m.groups()) == 3 and not 1 <= int(m.group(3)) <= 31:
                return None
            return (y, mo) if 1 <= mo <= 12 else None
    return None


def _months(s: pd.Series, today: date) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Month column → (month starts, bad format, before 2000, in the future, 2023.1 as a number)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = s.dt.strftime("%Y-%m-%d")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    ym = np.full((max(len(uniques), 1), 2), -1, dtype=np.int64)
    numeric_dot1 = np.zeros(len(ym), dtype=bool)
    for i, u in enumerate(uniques):  # distinct values only: a file has a handful of months
        if isinstance(u, (pd.Timestamp, date)):
            ym[i] = (u.year, u.month)
        elif isinstance(u, float) and not u.is_integer() and f"{u}".endswith(".1"):
            numeric_dot1[i] = True  # 2023.1 typed as a number: January or October? Refuse to guess.
        else:
            hit = parse_month_text(str(u))
            if hit:
                ym[i] = hit
    present = codes >= 0
    y = np.where(present, ym[np.maximum(codes, 0), 0], -1)
    mo = np.where(present, ym[np.maximum(codes, 0), 1], -1)
    ambiguous = present & numeric_dot1[np.maximum(codes, 0)]
    bad = present & (y < 0) & ~ambiguous
    ok = present & (y >= 0)
    early = ok & (y < 2000)
    future = ok & ((y > today.year) | ((y == today.year) & (mo > today.month)))
    valid = ok & ~early & ~future
    month = pd.to_datetime(pd.DataFrame({"year": np.where(valid, y, 2000), "month": np.where(valid, mo, 1),
                                         "day": 1})).astype("datetime64[ns]")
    month[~valid] = pd.NaT
    return month, bad, early, future, ambiguous


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as floats: thousands separators, full-width digits and spaces accepted.

    Returns (values with NaN for empty or bad, bad mask).
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan, copy=True), np.zeros(len(s), dtype=bool)
    blank = _blank(s)
    num = pd.to_numeric(s, errors="coerce") if s.dtype == object else pd.Series(np.nan, index=s.index)
    num = num.to_numpy(dtype=float, na_value=np.nan, copy=True)
    rest = ~blank & np.isnan(num)
    if rest.any():
        t = s[rest].astype("str").str.normalize("NFKC").str.replace(r"[\s,]", "", regex=True)
        t = t.where(t.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"))
        num[rest] = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~blank & ~np.isfinite(num)
    num[bad] = np.nan
    return num, bad


# --- parse: the whole file checked, no database ------------------------------------------

_CHOICE_ALIASES = {_norm(k): v for k, v in contract.GH_TYPE_ALIASES.items()}

_REASONS = {
    "required": ("必填，不能为空", "required, must not be empty"),
    "total": ("这是合计/小计行，请删除后再上传", "a total row: delete it before uploading"),
    "month": ("月份格式不对，应为 2023-06、2023/6、2023.6、2023年6月、202306 或完整日期",
              "not a month: use 2023-06, 2023/6, 2023.6, 2023年6月, 202306 or a full date"),
    "ambiguous": ("这一格是数字 2023.1，Excel 会把 2023.10 也存成 2023.1，分不清 1 月还是 10 月；"
                  "请写成 2023-01 或 2023-10", "a number like 2023.1 cannot tell January from October "
                  "(Excel stores 2023.10 as 2023.1); write 2023-01 or 2023-10"),
    "early": ("月份早于 2000 年", "month before 2000"),
    "future": ("月份在未来，还不能上报", "month in the future"),
    "number": ("不是数字", "not a number"),
    "negative": ("不能为负数", "must not be negative"),
    "whole": ("应为整数", "must be a whole number"),
    "choice": ("应为 {choices} 之一", "must be one of {choices}"),
    "extra": ("这一格在表头范围之外却有内容；请删除或补上表头", "cell outside the header's columns"),
    "duplicate": ("与第 {first} 行重复：同一月份、合作社、{unit}只能出现一次",
                  "same month, cooperative and {unit} as row {first}"),
    "plausible": ("数值偏大（常见上限约 {limit:,.0f}），请核对单位和数字",
                  "unusually large (typical max {limit:,.0f})"),
}


def _reason(lang: str, key: str, **kw) -> str:
    zh, en = _REASONS[key]
    return (zh if lang == "zh" else en).format(**kw)


def _cell_text(v: object) -> str:
    """A cell as the user typed it: 3900 not 3900.0, empty for missing."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def display_value(v: object) -> str:
    """A stored value for the preview: 12,345 / 1,234.5 / text; （空） for not reported."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "（空）"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()):
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GBK/GB18030",
                  "utf-16": "UTF-16", "xlsx": "Excel (.xlsx)"}


def _issues(rows: np.ndarray, mask: np.ndarray, column: str, values: pd.Series | np.ndarray,
            reason: str) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    vals = pd.Series(np.asarray(values, dtype=object)[idx], dtype=object)
    shown = vals.map(_cell_text)  # the problem rows only
    return pd.DataFrame({"row": rows[idx], "column": column, "value": shown.to_numpy(), "reason": reason})


def parse(data: bytes, filename: str, sector: str | None = None, *, lang: str = "zh",
          today: date | None = None) -> Parsed:
    """Read and check a file against the contract; never touches the database.

    ``sector`` None means detect it from the headers. The result's ``errors`` lists every
    problem; when it is empty ``frame`` holds the rows in canonical columns and units.
    """
    today = today or date.today()
    p = Parsed(filename, data, hashlib.sha256(data).hexdigest(), lang)

    def fail(msg: str) -> Parsed:
        p.errors = pd.DataFrame([{"row": None, "column": "", "value": "", "reason": msg}])
        return p

    if sector is not None and sector not in contract.SECTORS:
        return fail(_m(lang, f"未知板块“{sector}”，应为 种鸭(duck)、生猪(hog)、大棚(greenhouse) 之一",
                       f"Unknown sector “{sector}”: use duck, hog or greenhouse"))
    if not data.strip():
        return fail(_m(lang, "文件是空的。", "The file is empty."))
    try:
        raw = _read_raw(data, filename, lang)
        header_idx, skey, matched = _find_header(raw.head, sector, lang)
    except IngestError as e:
        return fail(str(e))
    s = contract.SECTORS[skey]
    p.sector, p.encoding, p.header_row = skey, raw.encoding, header_idx + 1
    header_cells = raw.head[header_idx]
    errors: list[pd.DataFrame] = []
    warnings: list[pd.DataFrame] = []

    # Which file column feeds which contract column; header-level problems first.
    use: dict[str, tuple[int, float]] = {}
    for i, (col, factor, unit) in sorted(matched.items()):
        written = str(header_cells[i]).strip()
        if col.key in use:
            first = str(header_cells[use[col.key][0]]).strip()
            errors.append(pd.DataFrame([{"row": p.header_row, "column": written, "value": written,
                                         "reason": _m(lang, f"与“{first}”是同一列，重复了",
                                                      f"duplicates column “{first}”")}]))
            continue
        if factor is None:
            units = "、".join(contract.UNIT_FACTORS.get(col.kind, {}))
            errors.append(pd.DataFrame([{"row": p.header_row, "column": written, "value": unit,
                                         "reason": _m(lang, f"单位“{unit}”无法识别，可用：{units}",
                                                      f"unknown unit “{unit}”; use one of {units}")}]))
            continue
        use[col.key] = (i, factor)
        p.headers[col.key] = written
        if factor != 1.0:
            p.notes.append(_m(lang, f"“{written}”已按 {unit} 换算为 {col.unit}",
                              f"“{written}” converted from {unit} to {col.unit}"))
    ignored = [str(c).strip() for i, c in enumerate(header_cells)
               if i not in matched and str(c or "").strip() not in ("", "None")]
    if ignored:
        warnings.append(pd.DataFrame([{"row": p.header_row, "column": c, "value": "",
                                       "reason": _m(lang, "未识别的列，已忽略", "unknown column, ignored")}
                                      for c in ignored]))

    ncols = max(len(header_cells), 1)
    text_cols = {i for k, (i, _) in use.items() if s.column(k).kind in (MONTH, TEXT, CHOICE)}
    try:
        body, rows, extra = _body_frame(raw, header_idx, ncols, text_cols)
    except UnicodeDecodeError:
        return fail(_m(lang, "文件编码混杂：开头是 UTF-8，后面不是。请重新导出为“CSV UTF-8”或 .xlsx。",
                       "Mixed text encodings in the file; export it again as “CSV UTF-8” or .xlsx."))
    except pa.ArrowInvalid as e:
        if "UTF8" in str(e) or "utf8" in str(e).lower():
            return fail(_m(lang, "文件编码混杂：开头是 UTF-8，后面不是。请重新导出为“CSV UTF-8”或 .xlsx。",
                           "Mixed text encodings in the file; export it again as “CSV UTF-8” or .xlsx."))
        raise
    # Wholly empty rows (Excel leaves them) are not data.
    empty = np.ones(len(body), dtype=bool)
    for c in body.columns:
        empty &= _blank(body[c])
    keep = ~empty
    if not extra.empty:
        extra["reason"] = _reason(lang, "extra")
        errors.append(extra)
    body, rows = body[keep].reset_index(drop=True), rows[keep]
    if not len(body):
        return fail(_m(lang, "表头下面没有数据行。", "There are no data rows under the header."))

    out = pd.DataFrame(index=body.index)
    totals = np.zeros(len(body), dtype=bool)
    for k in ("month", "cooperative", "unit"):
        raw_col = body[f"c{use[k][0]}"]
        totals |= raw_col.astype("str").str.contains("合计|小计|总计", regex=True).to_numpy()
    for col in s.columns:
        if col.key not in use:
            out[col.key] = pd.Series(np.nan if col.kind in NUMERIC else None, index=body.index,
                                     dtype=float if col.kind in NUMERIC else object)
            continue
        i, factor = use[col.key]
        raw_col = body[f"c{i}"]
        name = p.headers[col.key]

        def add(mask: np.ndarray, reason: str, name: str = name, raw_col: pd.Series = raw_col) -> None:
            mask = mask & ~totals  # a total row gets one message, not one per cell
            if mask.any():
                errors.append(_issues(rows, mask, name, raw_col, reason))

        blank = _blank(raw_col)
        if col.key == "month" and totals.any():
            errors.append(_issues(rows, totals, name, raw_col, _reason(lang, "total")))
        if col.required:
            add(blank, _reason(lang, "required"))
        if col.kind == MONTH:
            month, bad, early, future, ambiguous = _months(raw_col, today)
            add(bad, _reason(lang, "month"))
            add(ambiguous, _reason(lang, "ambiguous"))
            add(early, _reason(lang, "early"))
            add(future, _reason(lang, "future"))
            out[col.key] = month
        elif col.kind == TEXT:
            out[col.key] = _text(raw_col)
        elif col.kind == CHOICE:
            t = _text(raw_col)
            mapped = t.str.lower().str.replace(r"\s+", "", regex=True).map(_CHOICE_ALIASES)
            add(t.notna().to_numpy() & mapped.isna().to_numpy(),
                _reason(lang, "choice", choices="、".join(col.choices)))
            out[col.key] = mapped
        else:
            num, bad = _numbers(raw_col)
            add(bad, _reason(lang, "number"))
            add(num < 0, _reason(lang, "negative"))
            num = num * factor
            if col.kind == COUNT:
                add((num >= 0) & (np.abs(num - np.round(num)) > 1e-6), _reason(lang, "whole"))
            else:
                num = np.round(num, ROUND[col.kind])
            if col.plausible_max is not None:
                high = num > col.plausible_max
                if high.any():
                    warnings.append(_issues(rows, high, name, raw_col,
                                            _reason(lang, "plausible", limit=col.plausible_max)))
            out[col.key] = num

    keys = ["month", "cooperative", "unit"]
    complete = out[keys].notna().all(axis=1).to_numpy()
    dup = np.zeros(len(out), dtype=bool)
    if complete.any():
        k = out.loc[complete, keys]
        d = k.duplicated(keep="first").to_numpy()
        if d.any():
            first = pd.Series(rows[complete]).groupby([k[c].to_numpy() for c in keys]).transform("first")
            dup[np.flatnonzero(complete)[d]] = True
            first_rows = np.zeros(len(out), dtype=np.int64)
            first_rows[complete] = first.to_numpy()
            # One message per repeated row, naming the row it repeats (vectorised: no loop).
            before, after = _reason(lang, "duplicate", first="\x00",
                                    unit=s.keys[2].zh if lang == "zh" else s.unit_en).split("\x00")
            e = _issues(rows, dup, p.headers["unit"], body[f"c{use['unit'][0]}"], "")
            e["reason"] = before + pd.Series(first_rows[dup]).astype(str).to_numpy() + after
            errors.append(e)
    order = {p.headers.get(c.key, ""): n for n, c in enumerate(s.columns)}
    if errors:
        e = pd.concat(errors, ignore_index=True)
        e["_o"] = e["column"].map(order).fillna(99)
        p.errors = e.sort_values(["row", "_o"], kind="stable", na_position="first")[ISSUE_COLUMNS] \
            .reset_index(drop=True)
        p.frame = out.iloc[0:0]
        return p
    if warnings:
        p.warnings = pd.concat(warnings, ignore_index=True)[ISSUE_COLUMNS]
    p.frame, p.rows = out, rows
    return p


# --- preview: compare with the database ------------------------------------------------

def _register(cur: Cursor, name: str, df: pd.DataFrame) -> None:
    cur.register(name, df)


def _key_frame(p: Parsed) -> pd.DataFrame:
    return p.frame[["month", "cooperative", "unit"]]


def _measure_cols(s: Sector) -> list[str]:
    return [c.key for c in s.measures]


def _unit_attrs(p: Parsed, s: Sector) -> pd.DataFrame:
    """Per unit in the file: its latest non-empty attributes (village, zone, land, type)."""
    cols = [c for c in ("gh_type", "village", "zone", "land_mu") if c in p.frame]
    f = p.frame.sort_values("month", kind="stable")
    a = f.groupby(["cooperative", "unit"], sort=False)[cols].last().reset_index()
    for c in ("gh_type", "village", "zone", "land_mu"):
        if c not in a:
            a[c] = None
    a["land_mu"] = a["land_mu"].astype(float)
    a.insert(0, "sector", s.key)
    return a[["sector", "cooperative", "unit", "gh_type", "village", "zone", "land_mu"]]


def find_applied(cur: Cursor, sha256: str) -> dict | None:
    row = cur.execute("""SELECT upload_id, filename, uploaded_by, strftime(uploaded_at, '%Y-%m-%d %H:%M')
                         FROM uploads WHERE sha256 = ? AND status = 'applied'
                         ORDER BY upload_id LIMIT 1""", [sha256]).fetchall()
    row = row[0] if row else None
    if not row:
        return None
    return {"upload_id": row[0], "filename": row[1], "uploaded_by": row[2], "uploaded_at": row[3]}


def already_message(lang: str, d: dict) -> str:
    return _m(lang, f"同一个文件已于 {d['uploaded_at']} 由 {d['uploaded_by']} 上传过（编号 {d['upload_id']}，"
                    f"{d['filename']}），不会重复导入。如需修改，请改动数据后重新上传。",
              f"The same file was already uploaded on {d['uploaded_at']} by {d['uploaded_by']} "
              f"(upload {d['upload_id']}, {d['filename']}); it is not applied twice.")


def preview(cur: Cursor, p: Parsed) -> Preview:
    """What committing ``p`` would change: new and replaced rows, diffs, new units, warnings."""
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    s = contract.SECTORS[p.sector]
    lang = p.lang
    measures = _measure_cols(s)
    keys = ["month", "cooperative", "unit"]
    inc = _key_frame(p)
    _register(cur, "_pv_keys", inc)
    try:
        old = cur.execute(f"""SELECT r.* EXCLUDE (upload_id) FROM {s.table} r
                              JOIN _pv_keys i ON r.month = CAST(i.month AS DATE)
                               AND r.cooperative = i.cooperative AND r.unit = i.unit""").df()
        units = cur.execute("""SELECT cooperative, unit, gh_type, village, zone, land_mu FROM units
                               WHERE sector = ?""", [s.key]).df()
        coops = {r[0] for r in cur.execute("SELECT name FROM cooperatives").fetchall()}
        # The last stored months before the file, for the stock balance and usual levels.
        hist = pd.DataFrame()
        if "stock" in measures:
            out_col = "culled" if s.key == "duck" else "deaths"
            sold = ", sold_head" if s.key == "hog" else ""
            hist = cur.execute(f"""
                SELECT r.month, r.cooperative, r.unit, r.stock, r.{out_col}{sold}
                FROM {s.table} r SEMI JOIN (SELECT DISTINCT cooperative, unit FROM _pv_keys) i
                  ON r.cooperative = i.cooperative AND r.unit = i.unit
                WHERE r.month >= ? - INTERVAL 12 MONTH""",
                [p.frame["month"].min().date()]).df()
        gh_hist = pd.DataFrame()
        if s.key == "greenhouse":
            gh_hist = cur.execute("""
                SELECT r.month, r.cooperative, r.unit, r.crop, r.area_mu, r.yield_kg
                FROM greenhouse_records r SEMI JOIN (SELECT DISTINCT cooperative, unit FROM _pv_keys) i
                  ON r.cooperative = i.cooperative AND r.unit = i.unit
                WHERE year(r.month) BETWEEN ? AND ?""",
                [int(p.frame["month"].dt.year.min()), int(p.frame["month"].dt.year.max())]).df()
        duplicate_of = find_applied(cur, p.sha256)
    finally:
        cur.unregister("_pv_keys")

    new = p.frame.copy()
    new["_row"] = p.rows
    if len(old):
        old["month"] = pd.to_datetime(old["month"]).astype("datetime64[ns]")
        old["_exists"] = True
        m = new.merge(old, on=keys, how="left", suffixes=("", "_old"))
    else:
        m = new.assign(_exists=False)
        for c in measures:
            m[f"{c}_old"] = np.nan
    exists = m["_exists"].fillna(False).astype(bool).to_numpy()
    ukeys = set(zip(units["cooperative"], units["unit"], strict=True))
    pairs = pd.MultiIndex.from_frame(new[["cooperative", "unit"]])
    new_unit = ~pairs.isin(list(ukeys)) if ukeys else np.ones(len(new), dtype=bool)
    rows = new.assign(_status=np.where(exists, "replace", "new"), _new_unit=new_unit,
                      _new_coop=~new["cooperative"].isin(coops))

    # Diff of replaced values, one line per changed cell.
    diffs = []
    for c in measures:
        a, b = m[f"{c}_old"], m[c]
        changed = exists & ~((a.isna() & b.isna()) | (a == b)).to_numpy()
        if changed.any():
            diffs.append(pd.DataFrame({"month": m["month"][changed].dt.strftime("%Y-%m"),
                                       "cooperative": m["cooperative"][changed], "unit": m["unit"][changed],
                                       "column": s.column(c).header, "old": a[changed].astype(object),
                                       "new": b[changed].astype(object)}))
    attrs = _unit_attrs(p, s).merge(units, on=["cooperative", "unit"], suffixes=("", "_old"))
    for c in ("gh_type", "village", "zone", "land_mu"):
        a, b = attrs[f"{c}_old"], attrs[c]
        changed = (b.notna() & ~((a == b) & a.notna())).to_numpy()
        if changed.any():
            col = s.column(c) if c in {x.key for x in s.columns} else None
            diffs.append(pd.DataFrame({"month": "", "cooperative": attrs["cooperative"][changed],
                                       "unit": attrs["unit"][changed],
                                       "column": col.header if col else c,
                                       "old": a[changed].astype(object), "new": b[changed].astype(object)}))
    diff = pd.concat(diffs, ignore_index=True) if diffs else \
        pd.DataFrame(columns=["month", "cooperative", "unit", "column", "old", "new"])

    warnings = [p.warnings] if len(p.warnings) else []
    if len(hist) or "stock" in measures:
        warnings += _stock_warnings(p, s, hist, lang)
    if s.key == "greenhouse":
        warnings += _yield_warnings(p, gh_hist, lang)
    w = pd.concat(warnings, ignore_index=True) if warnings else pd.DataFrame(columns=ISSUE_COLUMNS)
    nu = rows.loc[rows["_new_unit"], ["cooperative", "unit"]].drop_duplicates().reset_index(drop=True)
    return Preview(p, len(new), int((~exists).sum()), int(exists.sum()),
                   sorted(set(new["cooperative"]) - coops), nu, rows, diff, w, duplicate_of)


def _stock_warnings(p: Parsed, s: Sector, hist: pd.DataFrame, lang: str) -> list[pd.DataFrame]:
    """Stock far above the unit's usual level; last month's stock − losses − sales far from now."""
    out_col = "culled" if s.key == "duck" else "deaths"
    f = p.frame.assign(_row=p.rows)
    cols = ["month", "cooperative", "unit", "stock", out_col] + (["sold_head"] if s.key == "hog" else [])
    if len(hist):
        hist = hist.assign(month=pd.to_datetime(hist["month"]).astype("datetime64[ns]"))
        k = pd.MultiIndex.from_frame(hist[["month", "cooperative", "unit"]])
        hist = hist[~k.isin(pd.MultiIndex.from_frame(f[["month", "cooperative", "unit"]]))]
    allrec = pd.concat([hist[cols] if len(hist) else None, f[cols]], ignore_index=True)
    prev = allrec.assign(month=allrec["month"] + pd.DateOffset(months=1))
    prev = prev.rename(columns={"stock": "_prev_stock"})[["month", "cooperative", "unit", "_prev_stock"]]
    g = f.merge(prev, on=["month", "cooperative", "unit"], how="left")
    outflow = g[out_col].fillna(0) + (g["sold_head"].fillna(0) if s.key == "hog" else 0)
    expected = g["_prev_stock"] - outflow
    res = []
    header = p.headers.get("stock", s.column("stock").header)
    loss = (g["stock"] < expected - np.maximum(0.05 * g["_prev_stock"], 10)).to_numpy()
    if loss.any():
        msg = _m(lang, "存栏比上月少了 {d:,.0f}，多于死淘/出栏（上月 {p:,.0f}，应约 {e:,.0f}），请核对",
                 "stock fell by {d:,.0f}, more than losses and sales (last month {p:,.0f}, expected ~{e:,.0f})")
        sel = np.flatnonzero(loss)
        res.append(pd.DataFrame({"row": g["_row"].to_numpy()[sel], "column": header,
                                 "value": g["stock"].to_numpy()[sel],
                                 "reason": [msg.format(d=pv - st, p=pv, e=e) for pv, st, e in zip(
                                     g["_prev_stock"].to_numpy()[sel], g["stock"].to_numpy()[sel],
                                     expected.to_numpy()[sel], strict=True)]}))
    # The unit's usual level: median stock over the stored year before the file.
    if len(hist):
        usual = hist.groupby(["cooperative", "unit"])["stock"].median().rename("_usual").reset_index()
        g2 = f.merge(usual, on=["cooperative", "unit"], how="left")
        high = ((g2["stock"] > 2 * g2["_usual"]) & (g2["stock"] > 50)).to_numpy()
        if high.any():
            sel = np.flatnonzero(high)
            msg = _m(lang, "存栏远高于该单元往常水平（约 {u:,.0f}），请核对", "stock far above this unit's usual "
                                                                 "level (~{u:,.0f})")
            res.append(pd.DataFrame({"row": g2["_row"].to_numpy()[sel], "column": header,
                                     "value": g2["stock"].to_numpy()[sel],
                                     "reason": [msg.format(u=u) for u in g2["_usual"].to_numpy()[sel]]}))
    return res


def yield_reference(crop: str | None) -> tuple[float, float] | None:
    """DESIGN §6 reference range (kg per mu per cycle) for a crop name, or None."""
    for k, v in contract.YIELD_PER_MU_REFERENCE.items():
        if crop and k in crop:
            return v
    return None


def _yield_warnings(p: Parsed, hist: pd.DataFrame, lang: str) -> list[pd.DataFrame]:
    """Year-to-date yield per mu of a plot far outside its crop's reference range."""
    f = p.frame.assign(_row=p.rows)
    cols = ["month", "cooperative", "unit", "crop", "area_mu", "yield_kg"]
    if len(hist):
        hist = hist.assign(month=pd.to_datetime(hist["month"]).astype("datetime64[ns]"))
        k = pd.MultiIndex.from_frame(hist[["month", "cooperative", "unit"]])
        hist = hist[~k.isin(pd.MultiIndex.from_frame(f[["month", "cooperative", "unit"]]))]
    a = pd.concat([hist[cols] if len(hist) else None, f[cols]], ignore_index=True)
    a = a[a["crop"].notna()]
    if not len(a):
        return []
    a["year"] = a["month"].dt.year
    g = a.groupby(["cooperative", "unit", "crop", "year"]).agg(
        area=("area_mu", "max"), y=("yield_kg", "sum"), last=("month", "max")).reset_index()
    crops = pd.Series(g["crop"].unique())
    ref = {c: yield_reference(c) or (np.nan, np.nan) for c in crops}  # distinct crops only
    g["lo"] = g["crop"].map({c: r[0] for c, r in ref.items()})
    g["hi"] = g["crop"].map({c: r[1] for c, r in ref.items()})
    g["per_mu"] = g["y"] / g["area"].where(g["area"] > 0)
    # Half the low end only once the year is complete; 1.5× the high end any time.
    bad = (g["per_mu"] > 1.5 * g["hi"]) | ((g["last"].dt.month == 12) & (g["per_mu"] < 0.5 * g["lo"]))
    g = g[bad.fillna(False)]
    if not len(g):
        return []
    f["year"] = f["month"].dt.year
    last_rows = f.sort_values("month").groupby(["cooperative", "unit", "crop", "year"])["_row"].last()
    g = g.join(last_rows, on=["cooperative", "unit", "crop", "year"]).dropna(subset=["_row"])
    msg = _m(lang, "{crop}{year}年亩产 {v:,.0f} 公斤，超出参考范围 {lo:,.0f}–{hi:,.0f} 公斤/亩，请核对产量和面积",
             "{crop} {year} yield {v:,.0f} kg/mu is outside the reference {lo:,.0f}–{hi:,.0f} kg/mu")
    header = p.headers.get("yield_kg", "产量(公斤)")
    return [pd.DataFrame({"row": g["_row"].astype(int).to_numpy(), "column": header,
                          "value": g["y"].round(1).to_numpy(),
                          "reason": [msg.format(crop=c, year=y, v=v, lo=lo, hi=hi) for c, y, v, lo, hi in zip(
                              g["crop"], g["year"], g["per_mu"], g["lo"], g["hi"], strict=True)]})]


# --- commit and undo ------------------------------------------------------------------------

def upload_dir(store: Store) -> Path:
    return store.path.parent / UPLOAD_DIR


def _keep_bytes(store: Store, p: Parsed) -> tuple[Path, bool]:
    """Content-addressed copy of the raw file; returns (path, whether this call created it)."""
    folder = upload_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{p.sha256}{p.ext}"
    if path.exists():
        return path, False
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(p.data)
    os.replace(tmp, path)
    return path, True


def _months_label(months: list[str]) -> str:
    if len(months) <= 3:
        return ",".join(months)
    return f"{months[0]}..{months[-1]}"


def _write_records(cur: Cursor, s: Sector, frame: pd.DataFrame, uid: int) -> tuple[int, int]:
    """Move the rows the file replaces to history, then insert the file's rows."""
    cols = contract.record_columns(s)
    incoming = frame[cols]  # noqa: F841 - read by DuckDB
    cur.register("_incoming", incoming)
    try:
        on = ("r.month = CAST(i.month AS DATE) AND r.cooperative = i.cooperative AND r.unit = i.unit")
        cur.execute(f"""INSERT INTO {s.table}_history ({', '.join(cols)}, upload_id, replaced_by)
                        SELECT {', '.join('r.' + c for c in cols)}, r.upload_id, ?
                        FROM {s.table} r SEMI JOIN _incoming i ON {on}""", [uid])
        n_replaced = cur.execute(f"SELECT count(*) FROM {s.table}_history WHERE replaced_by = ?",
                                 [uid]).fetchall()[0][0]
        if n_replaced:
            cur.execute(f"DELETE FROM {s.table} r USING _incoming i WHERE {on}")
        casts = {c.key: f"CAST({c.key} AS {c.sql_type})" for c in s.columns}
        cur.execute(f"""INSERT INTO {s.table} ({', '.join(cols)}, upload_id)
                        SELECT {', '.join(casts[c] for c in cols)}, ? FROM _incoming""", [uid])
    finally:
        cur.unregister("_incoming")
    return len(frame) - n_replaced, n_replaced


def _write_registry(cur: Cursor, p: Parsed, s: Sector, uid: int) -> tuple[list[str], int]:
    """New cooperatives, units and names; changed unit attributes go to units_history first."""
    attrs = _unit_attrs(p, s)  # noqa: F841 - read by DuckDB
    cur.register("_attrs", attrs)
    try:
        on = "u.sector = a.sector AND u.cooperative = a.cooperative AND u.unit = a.unit"
        changed = " OR ".join(f"(a.{c} IS NOT NULL AND a.{c} IS DISTINCT FROM u.{c})"
                              for c in ("gh_type", "village", "zone", "land_mu"))
        cur.execute(f"""INSERT INTO units_history SELECT u.sector, u.cooperative, u.unit, u.gh_type,
                               u.village, u.zone, u.land_mu, ?
                        FROM units u JOIN _attrs a ON {on} WHERE {changed}""", [uid])
        cur.execute(f"""UPDATE units u SET gh_type = coalesce(a.gh_type, u.gh_type),
                               village = coalesce(a.village, u.village), zone = coalesce(a.zone, u.zone),
                               land_mu = coalesce(a.land_mu, u.land_mu)
                        FROM _attrs a WHERE {on} AND ({changed})""")
        n_units = cur.execute(f"""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone,
                                                     land_mu, created_by_upload)
                                  SELECT a.*, ? FROM _attrs a
                                  WHERE NOT EXISTS (SELECT 1 FROM units u WHERE {on})""",
                              [uid]).fetchall()[0][0]
        new_coops = [r[0] for r in cur.execute("""
            SELECT cooperative, arg_max(village, village IS NOT NULL) FROM _attrs
            WHERE cooperative NOT IN (SELECT name FROM cooperatives) GROUP BY cooperative ORDER BY 1""").fetchall()]
        cur.execute("""INSERT INTO cooperatives (name, village, created_by_upload)
                       SELECT cooperative, arg_max(village, village IS NOT NULL), ? FROM _attrs
                       WHERE cooperative NOT IN (SELECT name FROM cooperatives) GROUP BY cooperative""", [uid])
        for kind, table in (("village", "villages"), ("zone", "zones")):
            cur.execute(f"""INSERT INTO upload_names SELECT DISTINCT ?, '{kind}', {kind} FROM _attrs
                            WHERE {kind} IS NOT NULL AND {kind} NOT IN (SELECT name FROM {table})""",
                        [uid])
            cur.execute(f"""INSERT INTO {table} SELECT name FROM upload_names
                            WHERE upload_id = ? AND kind = '{kind}'""", [uid])
    finally:
        cur.unregister("_attrs")
    return new_coops, int(n_units)


def commit(store: Store, p: Parsed, actor: Actor | None) -> UploadResult:
    """Write a checked file in one transaction under the single writer, or nothing at all.

    Raises Rejected (file has errors), PermissionDenied (actor may not write these
    cooperatives) or AlreadyApplied (the same bytes are already applied).
    """
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    check_write(actor, p.cooperatives)
    s = contract.SECTORS[p.sector]
    path, created = _keep_bytes(store, p)
    months = _months_label(p.months)

    def write(cur: Cursor) -> UploadResult:
        dup = find_applied(cur, p.sha256)
        if dup:
            raise AlreadyApplied(already_message(p.lang, dup))
        uid = cur.execute("SELECT nextval('upload_seq')").fetchall()[0][0]
        n_new, n_replaced = _write_records(cur, s, p.frame, uid)
        new_coops, n_units = _write_registry(cur, p, s, uid)
        # Scale (issue 12): declare what this upload wrote, after records and registry, so
        # the commit refreshes only its units' rollups and its (sector, cooperative, month)
        # cache versions (analytics/db.py Store.records_changed).
        store.records_changed(cur, s.key, uid)
        cur.execute("""INSERT INTO uploads (upload_id, sha256, filename, sector, uploaded_by, n_rows, n_new,
                                            n_replaced, months, status, stored_path)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'applied', ?)""",
                    [uid, p.sha256, p.filename, s.key, actor.username, len(p.frame), n_new, n_replaced,
                     months, str(path)])
        return UploadResult(uid, s.key, len(p.frame), n_new, n_replaced, new_coops, n_units, months, str(path))

    try:
        return store.run_write(write)
    except BaseException:
        if created:  # nothing of this upload may stay behind
            path.unlink(missing_ok=True)
        raise


def ingest(store: Store, data: bytes, filename: str, actor: Actor | None, *, sector: str | None = None,
           lang: str = "zh", today: date | None = None) -> UploadResult:
    """Parse and commit one file: the path of the upload page and of the CLI."""
    return commit(store, parse(data, filename, sector, lang=lang, today=today), actor)


def upload_info(cur: Cursor, upload_id: int) -> dict | None:
    row = cur.execute("""SELECT upload_id, sha256, filename, sector, uploaded_by,
                                strftime(uploaded_at, '%Y-%m-%d %H:%M'), status FROM uploads
                         WHERE upload_id = ?""", [upload_id]).fetchall()
    row = row[0] if row else None
    if not row:
        return None
    return dict(zip(["upload_id", "sha256", "filename", "sector", "uploaded_by", "uploaded_at", "status"],
                    row, strict=True))


def upload_cooperatives(cur: Cursor, upload_id: int, sector: str) -> list[str]:
    """Cooperatives whose rows an upload wrote (or replaced)."""
    t = contract.sector(sector).table
    return [r[0] for r in cur.execute(f"""
        SELECT DISTINCT cooperative FROM (
            SELECT cooperative FROM {t} WHERE upload_id = $1
            UNION ALL SELECT cooperative FROM {t}_history WHERE upload_id = $1 OR replaced_by = $1)
        ORDER BY 1""", [upload_id]).fetchall()]


def _undo_conflicts(cur: Cursor, uid: int, s: Sector, lang: str) -> list[str]:
    """Later uploads that built on this one; undoing it would break them."""
    later = {r[0] for r in cur.execute(f"SELECT DISTINCT replaced_by FROM {s.table}_history "
                                       "WHERE upload_id = ?", [uid]).fetchall()}
    later |= {r[0] for r in cur.execute(f"""
        SELECT DISTINCT r.upload_id FROM {s.table} r JOIN units u
          ON u.sector = ? AND u.cooperative = r.cooperative AND u.unit = r.unit
        WHERE u.created_by_upload = ? AND r.upload_id <> ?""", [s.key, uid, uid]).fetchall()}
    later |= {r[0] for r in cur.execute("""
        SELECT DISTINCT h.replaced_by FROM units_history h
        WHERE h.replaced_by > ? AND EXISTS (
            SELECT 1 FROM units u WHERE u.created_by_upload = ? AND u.sector = h.sector
              AND u.cooperative = h.cooperative AND u.unit = h.unit
            UNION ALL SELECT 1 FROM units_history g WHERE g.replaced_by = ? AND g.sector = h.sector
              AND g.cooperative = h.cooperative AND g.unit = h.unit)""", [uid, uid, uid]).fetchall()}
    later |= {r[0] for r in cur.execute("""
        SELECT DISTINCT coalesce(u.created_by_upload, -1) FROM units u
        JOIN cooperatives c ON c.name = u.cooperative
        WHERE c.created_by_upload = ? AND u.created_by_upload IS DISTINCT FROM ?""", [uid, uid]).fetchall()}
    out = []
    for v in sorted(later):
        info = upload_info(cur, v) if v != -1 else None
        if info:
            out.append(_m(lang, f"编号 {v}（{info['filename']}，{info['uploaded_by']}，{info['uploaded_at']}）",
                          f"upload {v} ({info['filename']}, {info['uploaded_by']}, {info['uploaded_at']})"))
        else:
            out.append(_m(lang, "管理员登记的单元", "units registered by an administrator"))
    return out


def undo(store: Store, upload_id: int, actor: Actor | None, *, lang: str = "zh") -> dict:
    """Put back exactly the values before an upload; refuse if a later upload built on it."""

    def write(cur: Cursor) -> dict:
        info = upload_info(cur, upload_id)
        if info is None:
            raise UndoRefused(_m(lang, f"没有编号为 {upload_id} 的上传记录。", f"No upload {upload_id}."))
        if info["status"] != "applied":
            raise UndoRefused(_m(lang, f"编号 {upload_id} 已经撤销过了。", f"Upload {upload_id} is already undone."))
        if info["sha256"] == "demo":
            raise UndoRefused(_m(lang, "示例数据不能在这里撤销；请用 python -m analytics demo 重建数据库。",
                                 "Demo data cannot be undone here."))
        s = contract.sector(info["sector"])
        check_write(actor, upload_cooperatives(cur, upload_id, s.key))
        blockers = _undo_conflicts(cur, upload_id, s, lang)
        if blockers:
            raise UndoRefused(_m(lang, f"不能撤销编号 {upload_id}：之后的上传 {'；'.join(blockers)} "
                                       "又修改了同样的记录。请先撤销后来的上传。",
                                 f"Cannot undo upload {upload_id}: later {'; '.join(blockers)} changed the same "
                                 "records. Undo those first."))
        # Scale (issue 12): declare what this undo removes, before removing it, so the commit
        # refreshes only those units' rollups and cache versions (Store.records_changed).
        store.records_changed(cur, s.key, upload_id)
        cols = ", ".join(contract.record_columns(s))
        n = cur.execute(f"DELETE FROM {s.table} WHERE upload_id = ?", [upload_id]).fetchall()[0][0]
        restored = cur.execute(f"""INSERT INTO {s.table} ({cols}, upload_id)
                                   SELECT {cols}, upload_id FROM {s.table}_history WHERE replaced_by = ?""",
                               [upload_id]).fetchall()[0][0]
        cur.execute(f"DELETE FROM {s.table}_history WHERE replaced_by = ?", [upload_id])
        cur.execute("""UPDATE units u SET gh_type = h.gh_type, village = h.village, zone = h.zone,
                              land_mu = h.land_mu
                       FROM units_history h WHERE h.replaced_by = ? AND u.sector = h.sector
                         AND u.cooperative = h.cooperative AND u.unit = h.unit""", [upload_id])
        cur.execute("DELETE FROM units_history WHERE replaced_by = ?", [upload_id])
        cur.execute("DELETE FROM units WHERE created_by_upload = ?", [upload_id])
        cur.execute("DELETE FROM cooperatives WHERE created_by_upload = ?", [upload_id])
        for kind, table, refs in (("village", "villages", "SELECT village FROM units UNION SELECT village "
                                   "FROM cooperatives"), ("zone", "zones", "SELECT zone FROM units")):
            cur.execute(f"""DELETE FROM {table} WHERE name IN (
                              SELECT name FROM upload_names WHERE upload_id = ? AND kind = '{kind}')
                            AND name NOT IN (SELECT x FROM ({refs}) t(x) WHERE x IS NOT NULL)""", [upload_id])
        cur.execute("DELETE FROM upload_names WHERE upload_id = ?", [upload_id])
        cur.execute("""UPDATE uploads SET status = 'undone', undone_by = ?, undone_at = current_timestamp
                       WHERE upload_id = ?""", [actor.username, upload_id])
        return {"upload_id": upload_id, "removed": int(n), "restored": int(restored),
                "filename": info["filename"]}

    return store.run_write(write)


def uploads_log(cur: Cursor) -> pd.DataFrame:
    """Every upload, newest first, with the cooperatives it wrote."""
    parts = []
    for s in contract.SECTORS.values():
        parts.append(f"SELECT upload_id, cooperative FROM {s.table} WHERE upload_id IS NOT NULL "
                     f"UNION SELECT replaced_by, cooperative FROM {s.table}_history")
    df = cur.execute(f"""
        WITH c AS (SELECT upload_id, string_agg(DISTINCT cooperative, '、' ORDER BY cooperative) AS coops
                   FROM ({' UNION '.join(parts)}) GROUP BY upload_id)
        SELECT u.upload_id, u.filename, u.sector, c.coops AS cooperatives, u.uploaded_by, u.uploaded_at,
               u.n_rows, u.n_new, u.n_replaced, u.months, u.status, u.undone_by, u.undone_at,
               u.sha256
        FROM uploads u LEFT JOIN c USING (upload_id)
        ORDER BY u.upload_id DESC""").df()
    return df
