"""A file checked against the contract, without touching the database: :func:`parse_here`
(run in a child process by :func:`.isolate.parse`).

read (bytes → sheets) → layout (where the table is, which rows are data) → normalise (values)
→ the checks of DESIGN.md §4, sheet by sheet, then across sheets (the same key twice). The
result lists every problem with its sheet, row, column, value and reason; the rule is that a
file is read right or refused whole, never accepted with a wrong number.

One piece: every check of a sheet (values, periods, decimal points, columns not understood,
totals) writes into the same problem list with the same row numbers, and the file-wide checks
need all of them together.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .. import contract, settings
from ..contract import AREA, CHOICE, COUNT, HARD_MAX, MONEY, MONTH, TEXT, WEIGHT, Sector
from . import layout as lay_mod
from . import normalise, read
from .common import CONTROL_RE, ISSUE_COLUMNS, IngestError, _m, cell_text, empty_issues, issues_frame, norm
from .layout import NUMERIC, Layout, NoHeader

ROUND = {MONEY: 2, WEIGHT: 3, AREA: 4}
ACCOUNT_COLUMNS = ["sheet", "index", "column", "status", "became", "key"]
# A 本年累计 figure of a row: first/last the months it adds up (0: January to the row's month).
CUMULATIVE_COLUMNS = ["sheet", "row", "measure", "column", "value", "first", "last"]
KEYS = ["month", "cooperative", "unit"]
_FATAL = (KeyboardInterrupt, SystemExit)

_REASONS = {
    "required": ("必填，不能为空", "required, must not be empty"),
    "month": ("月份格式不对，应为 2023-06、2023/6、2023.6、2023年6月、202306 或完整日期",
              "not a month: use 2023-06, 2023/6, 2023.6, 2023年6月, 202306 or a full date"),
    "ambiguous": ("这一格是数字 2023.1，Excel 会把 2023.10 也存成 2023.1，分不清 1 月还是 10 月；"
                  "请写成 2023-01 或 2023-10", "a number like 2023.1 cannot tell January from October "
                  "(Excel stores 2023.10 as 2023.1); write 2023-01 or 2023-10"),
    "period": ("这一格是一段时期（几个月的累计、一个季度、半年或全年），不是一个月份：月报每行只能是一个月的数。"
               "请按月分行填写（如 2026-09 只填 9 月的本月数），累计数不要填在月份列",
               "a period (months added up, a quarter, a half or a whole year), not a month: each row must be one "
               "month's figures; write one row per month (2026-09 for September alone)"),
    "early": ("月份早于 2000 年", "month before 2000"),
    "future": ("月份在未来，还不能上报", "month in the future"),
    "number": ("不是数字", "not a number"),
    "negative": ("不能为负数", "must not be negative"),
    "whole": ("应为整数", "must be a whole number"),
    "hard_max": ("数值大得不可能（上限 {limit:,.0f}{unit}），请核对单位和数字",
                 "impossibly large (limit {limit:,.0f} {unit})"),
    "choice": ("应为 {choices} 之一", "must be one of {choices}"),
    "extra": ("这一格在表头范围之外却有内容；请删除或补上表头", "cell outside the header's columns"),
    "duplicate": ("与{where}第 {first} 行重复：同一月份、合作社、{unit}只能出现一次",
                  "same month, cooperative and {unit} as {where}row {first}"),
    "plausible": ("数值偏大（常见上限约 {limit:,.0f}），请核对单位和数字",
                  "unusually large (typical max {limit:,.0f})"),
    "wrong_unit": ("单元格里的单位不是这一列能用的（应为 {units}）", "a unit this column cannot take (use {units})"),
    "contradicts": ("单元格里的单位与表头的单位“{unit}”不一致；请统一后再上传",
                    "the unit in the cell contradicts the header's “{unit}”"),
    "control": ("含有看不见的控制字符（如 NUL），请删除后再上传", "holds control characters (such as NUL)"),
    "too_long": ("文字太长（超过 {limit:,} 个字）", "text too long (over {limit:,} characters)"),
    "formula": ("这一格是公式，但文件里没有保存公式的计算结果（常见于程序生成、从未在 Excel 里打开保存过的文件）；"
                "请用 Excel 或 WPS 打开这个文件、保存后再上传",
                "a formula without a saved result (the file was written by a program and never saved in "
                "Excel); open it in Excel or WPS, save, and upload again"),
    "after_footer": ("这一行在表尾（签名栏，第 {footer} 行）下面，却像是数据；请把数据移到表尾上方",
                     "a data row below the footer (row {footer})"),
}


def _reason(lang: str, key: str, **kw) -> str:
    zh, en = _REASONS[key]
    return (zh if lang == "zh" else en).format(**kw)


def _fmt_total(v: float) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".")


# --- results ------------------------------------------------------------------------------

@dataclass
class SheetReport:
    """Per sheet: taken (rows, months, its layout) or skipped (why)."""

    name: str
    taken: bool
    reason: str = ""
    layout: Layout | None = None
    n_rows: int = 0
    months: list[str] = field(default_factory=list)

    def describe(self, lang: str) -> str:
        name = self.name or _m(lang, "表格", "table")
        if not self.taken:
            return _m(lang, f"工作表“{name}”：已跳过（{self.reason}）", f"sheet “{name}”: skipped ({self.reason})")
        months = "、".join(self.months) if len(self.months) <= 3 else f"{self.months[0]}..{self.months[-1]}"
        where = self.layout.describe(lang) if self.layout else ""
        label = _m(lang, f"工作表“{name}”：" if self.name else "", f"sheet “{name}”: " if self.name else "")
        return label + _m(lang, f"读取 {self.n_rows:,} 行，月份 {months}；{where}",
                          f"{self.n_rows:,} rows read, months {months}; {where}")


@dataclass
class Parsed:
    """A file read and checked against the contract, before any database access."""

    filename: str
    data: bytes
    sha256: str
    lang: str
    sector: str | None = None
    encoding: str | None = None  # a key of read.ENCODING_NAMES
    header_row: int | None = None  # of the first sheet taken, as the spreadsheet numbers it
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)  # canonical columns, units converted
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sheet_of_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    errors: pd.DataFrame = field(default_factory=empty_issues)
    warnings: pd.DataFrame = field(default_factory=empty_issues)
    readings: pd.DataFrame = field(default_factory=empty_issues)  # —, /, 无, ' - ' and how they were read
    notes: list[str] = field(default_factory=list)
    # 核实性 warnings: rows whose per-unit rates are outside the contract's ranges (contract.RATES);
    # each needs a 上报说明 on the page or the command line before it is committed.
    verify: pd.DataFrame = field(default_factory=empty_issues)
    # Every file column and what it became (sheet, index, column, status, became, key).
    columns: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ACCOUNT_COLUMNS))
    sheets: list[SheetReport] = field(default_factory=list)
    # Measure columns the file carries: a re-upload replaces only these (True: every row; a
    # bool array: the rows of the sheets that carry it).
    carried: dict[str, bool | np.ndarray] = field(default_factory=dict)
    # 本年累计 figures beside monthly ones (CUMULATIVE_COLUMNS), checked against the stored months
    # when the file is previewed and committed (.crosscheck), not imported.
    cumulative: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CUMULATIVE_COLUMNS))
    # Per sheet read, its layout's fingerprint (Layout.fingerprint), and the cooperatives the rows
    # name as written — known even when the file is refused, so column choices kept for that
    # cooperative and layout can be recalled (.remember).
    layouts: dict[str, str] = field(default_factory=dict)
    named_cooperatives: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors.empty and self.sector is not None

    @property
    def ext(self) -> str:
        if self.encoding in ("xlsx", "xls", "ods"):
            suffix = Path(self.filename).suffix.lower()
            return suffix if suffix in (".xlsx", ".xlsm") and self.encoding == "xlsx" else f".{self.encoding}"
        suffix = Path(self.filename).suffix.lower()
        return suffix if suffix in read.TEXT_EXTS else ".csv"

    @property
    def cooperatives(self) -> list[str]:
        return sorted(self.frame["cooperative"].unique()) if len(self.frame) else []

    @property
    def months(self) -> list[str]:
        return month_labels(self.frame["month"]) if len(self.frame) else []

    @property
    def multi_sheet(self) -> bool:
        return sum(1 for s in self.sheets if s.taken) > 1

    def layout_notes(self) -> list[str]:
        """Per sheet what was taken or skipped, with its layout, for the preview and the CLI."""
        return [s.describe(self.lang) for s in self.sheets]

    def summary(self) -> str:
        """One line naming the problems, for an st.error or stderr."""
        n = len(self.errors)
        rows = self.errors[["sheet", "row"]].dropna().drop_duplicates().shape[0]
        if n == 1 and not rows:
            reason = self.errors["reason"].iloc[0]
            return _m(self.lang, f"文件“{self.filename}”未导入：{reason}",
                      f"“{self.filename}” was not imported: {reason}")
        formula = self.errors["reason"].eq(_reason(self.lang, "formula")).sum()
        if formula == n:
            return _m(self.lang, f"文件“{self.filename}”未导入：{n} 个公式单元格没有保存计算结果。"
                                 "请用 Excel 或 WPS 打开这个文件、保存后再上传。",
                      f"“{self.filename}” was not imported: {n} formula cell(s) have no saved result. "
                      "Open the file in Excel or WPS, save it and upload again.")
        return _m(self.lang, f"文件“{self.filename}”有 {n} 处问题（涉及 {rows} 行），整个文件未导入。"
                             "请按下表逐条改正后重新上传。",
                  f"“{self.filename}” has {n} problem(s) in {rows} row(s); nothing was imported. "
                  "Fix each one listed below and upload again.")


def month_labels(month: pd.Series) -> list[str]:
    """Distinct months as 'YYYY-MM', sorted (formatted once per distinct month, not per row)."""
    u = pd.Series(pd.unique(month.dropna()))
    return sorted(pd.to_datetime(u).dt.strftime("%Y-%m")) if len(u) else []


# --- one sheet ----------------------------------------------------------------------------------

def _issues(sheet: str, rows: np.ndarray, mask: np.ndarray, column: str, values, reason: str) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    vals = np.asarray(values, dtype=object)[idx]
    return pd.DataFrame({"sheet": sheet, "row": rows[idx], "column": column,
                         "value": [cell_text(v) for v in vals], "reason": reason}, columns=ISSUE_COLUMNS)


@dataclass
class _Part:
    report: SheetReport
    frame: pd.DataFrame
    rows: np.ndarray
    errors: list[pd.DataFrame]
    warnings: list[pd.DataFrame]
    readings: list[pd.DataFrame]
    notes: list[str]
    carried: set[str]
    verify: list[pd.DataFrame] = field(default_factory=list)
    cumulative: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CUMULATIVE_COLUMNS))


def _sheet_part(sheet: read.Sheet, lay: Layout, lang: str, today: date, limits: dict[str, int]) -> _Part:
    s = contract.SECTORS[lay.sector]
    name = sheet.name
    errors: list[pd.DataFrame] = []
    warnings: list[pd.DataFrame] = []
    readings: list[pd.DataFrame] = []
    notes: list[str] = []
    if lay.problems:
        errors.append(pd.DataFrame([{**p, "sheet": name} for p in lay.problems], columns=ISSUE_COLUMNS))
    hrow = lay.header_rows[0] + 1
    text_cols = {i for i, m in lay.columns.items() if m.column.kind in (MONTH, TEXT, CHOICE)}
    start = lay.data_start
    body, rows, extra = read.body_frame(sheet, start, lay.ncols, text_cols, lang)
    if sheet.merged:
        for p in lay_mod.fill_merged_down(lay, sheet, body, start, lang):
            errors.append(pd.DataFrame([{**p, "sheet": name}], columns=ISSUE_COLUMNS))
    kinds = lay_mod.classify(lay, body, rows)
    if extra:
        e = pd.DataFrame(extra)
        e = e[e["row"].isin(rows[kinds.data | kinds.total])] if len(e) else e
        if len(e):
            errors.append(e.assign(sheet=name, reason=_reason(lang, "extra"))[ISSUE_COLUMNS])
    if kinds.after_footer_data.any():
        errors.append(_issues(name, rows, kinds.after_footer_data, "", [""] * len(rows),
                              _reason(lang, "after_footer", footer=lay.footer)))
    errors += _account_issues(lay, body, kinds.data, name, hrow, lang, warnings)
    keep = kinds.data | kinds.total
    body, rows = body[keep].reset_index(drop=True), rows[keep]
    is_total = kinds.total[keep]
    is_sub = kinds.subtotal[keep]
    data = ~is_total
    report = SheetReport(name, True, layout=lay)
    out = pd.DataFrame(index=body.index)
    used = {m.column.key: (i, m) for i, m in lay.columns.items()}
    carried = {c.key for c in s.measures if c.key in used}
    rewrite = _decimal_styles(lay, body, rows, name, lang, errors)
    for col in s.columns:
        if col.key not in used:
            out[col.key] = pd.Series(np.nan if col.kind in NUMERIC else None, index=body.index,
                                     dtype=float if col.kind in NUMERIC else object)
            continue
        i, m = used[col.key]
        raw = body[f"c{i}"]
        written = m.written
        if i in rewrite:  # the column's decimal point decided from all its cells
            raw = normalise.with_decimal(raw, rewrite[i])

        def add(mask: np.ndarray, reason: str, written: str = written, raw: pd.Series = raw) -> None:
            mask = mask & data
            if mask.any():
                errors.append(_issues(name, rows, mask, written, raw, reason))

        blank = lay_mod.blank(raw)
        if col.kind in (MONTH, TEXT, CHOICE):
            add(normalise.has_control(raw), _reason(lang, "control"))
            add(normalise.too_long(raw, limits["max_cell_chars"]), _reason(lang, "too_long",
                                                                           limit=limits["max_cell_chars"]))
        if col.kind == MONTH:
            month, bad, early, future, ambiguous, period = normalise.months(raw, today)
            add(bad, _reason(lang, "month"))
            add(period, _reason(lang, "period"))
            add(ambiguous, _reason(lang, "ambiguous"))
            add(early, _reason(lang, "early"))
            add(future, _reason(lang, "future"))
            out[col.key] = month
            if col.required:
                add(blank, _reason(lang, "required"))
        elif col.kind in (TEXT, CHOICE):
            t = normalise.text(raw)
            if col.required:
                add(t.isna().to_numpy(), _reason(lang, "required"))
            if col.kind == CHOICE:
                mapped = t.map(lambda v: _CHOICE_ALIASES.get(norm(v)) if v is not None else None)
                add(t.notna().to_numpy() & mapped.isna().to_numpy(),
                    _reason(lang, "choice", choices="、".join(col.choices)))
                t = mapped
            out[col.key] = t
        else:
            nums = normalise.numbers(raw, col, m.unit, m.factor or 1.0)
            num = nums.values
            add(nums.bad, _reason(lang, "number"))
            units = "、".join(contract.UNIT_FACTORS.get(col.kind, {}))
            add(nums.wrong_unit, _reason(lang, "wrong_unit", units=units))
            add(nums.contradicts, _reason(lang, "contradicts", unit=m.unit))
            add(num < 0, _reason(lang, "negative"))
            add(num > HARD_MAX[col.kind], _reason(lang, "hard_max", limit=HARD_MAX[col.kind], unit=col.unit or ""))
            if col.kind == COUNT:
                add((num >= 0) & (num <= HARD_MAX[col.kind]) & (np.abs(num - np.round(num)) > 1e-6),
                    _reason(lang, "whole"))
            else:
                num = np.round(num, ROUND[col.kind])
            if col.plausible_max is not None:
                high = data & (num > col.plausible_max) & (num <= HARD_MAX[col.kind])
                if high.any():
                    warnings.append(_issues(name, rows, high, written, raw,
                                            _reason(lang, "plausible", limit=col.plausible_max)))
            for mask, reading in ((nums.placeholder, _m(lang, "按“未上报”（空）读取", "read as not reported")),
                                  (nums.zero_word, _m(lang, "按 0 读取", "read as 0"))):
                if (mask & data).any():
                    readings.append(_issues(name, rows, mask & data, written, raw, reading))
            if (nums.cell_unit & data).any():
                seen = "、".join(nums.units_seen)
                if nums.units_seen == [col.unit]:  # the column's own unit: nothing was converted
                    notes.append(_m(lang, f"“{written}”列的单元格带单位（{seen}），已去掉单位读取",
                                    f"“{written}” cells carry their unit ({seen}), read without it"))
                else:
                    notes.append(_m(lang, f"“{written}”列的单元格带单位（{seen}），已换算为 {col.unit}",
                                    f"“{written}” cells carry units ({seen}), converted to {col.unit}"))
            out[col.key] = num
        if m.factor not in (None, 1.0) and col.kind in NUMERIC:
            notes.append(_m(lang, f"“{written}”已按 {m.unit} 换算为 {col.unit}",
                            f"“{written}” converted from {m.unit} to {col.unit}"))
    # Formula cells with no saved value, in the rows and columns read: never read as empty.
    if sheet.formulas:
        by_row = {int(r): j for j, r in enumerate(rows)}
        for (r, c), ref in sorted(sheet.formulas.items()):
            j = by_row.get(r + 1)
            if j is not None and c in lay.columns and data[j]:
                errors.append(pd.DataFrame([{"sheet": name, "row": r + 1, "column": lay.columns[c].written,
                                             "value": ref, "reason": _reason(lang, "formula")}],
                                           columns=ISSUE_COLUMNS))
    if is_total.any():
        warnings += _total_checks(name, out, rows, is_total, is_sub, lay, s, lang)
    impossible, verify = _plausibility(name, out, rows, data, lay, s, lang)
    errors += impossible
    frame = out[data].reset_index(drop=True)
    report.n_rows = int(data.sum())
    if len(frame):
        report.months = month_labels(frame["month"])
    cumulative = _cumulative(sheet, lay, body, rows, data, used, rewrite)
    return _Part(report, frame, rows[data], errors, warnings, readings, notes, carried, verify, cumulative)


def _cumulative(sheet: read.Sheet, lay: Layout, body: pd.DataFrame, rows: np.ndarray, data: np.ndarray,
                used: dict, rewrite: dict[int, bool]) -> pd.DataFrame:
    """The figures of the sheet's 本年累计 columns (layout.cumulative_columns) per data row, in the
    canonical unit, for the cross-check against the stored months (:mod:`.crosscheck`): one row
    per (row, measure) holding a figure. A cell that is not a number is left out, not refused —
    the column is not imported."""
    parts = []
    for c in lay_mod.cumulative_columns(lay, sheet.head()):
        if c.index >= body.shape[1]:
            continue
        raw = body[f"c{c.index}"]
        style = rewrite.get(used[c.column.key][0])
        if style is not None:
            raw = normalise.with_decimal(raw, style)
        v = normalise.numbers(raw, c.column, c.unit, c.factor).values
        keep = data & np.isfinite(v) & (v >= 0)
        if keep.any():
            first, last = c.span or (0, 0)
            parts.append(pd.DataFrame({"sheet": sheet.name, "row": rows[keep], "measure": c.column.key,
                                       "column": c.written, "value": v[keep], "first": first, "last": last}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CUMULATIVE_COLUMNS)


def _fmt_rate(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}".rstrip("0").rstrip(".")


def _plausibility(name: str, out: pd.DataFrame, rows: np.ndarray, data: np.ndarray, lay: Layout, s: Sector,
                  lang: str) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Both tiers of contract.RATES on each data row: impossible (sows > stock; a rate 100× or
    more beyond its range) → row errors naming the figure; implausible (outside the range, low or
    high) → 核实 rows needing a 上报说明."""
    written = {m.column.key: m.written for m in lay.columns.values()}
    errors: list[pd.DataFrame] = []
    verify: list[pd.DataFrame] = []
    if s.key == "hog" and "sows" in written and "stock" in written:
        sows, stock = out["sows"].to_numpy(dtype=float), out["stock"].to_numpy(dtype=float)
        bad = data & (sows > stock)
        if bad.any():
            idx = np.flatnonzero(bad)
            reasons = [_m(lang, f"能繁母猪 {_fmt_rate(a)} 头多于存栏 {_fmt_rate(b)} 头，不可能"
                                "（母猪是存栏的一部分）；请核对",
                          f"{_fmt_rate(a)} sows exceed the stock of {_fmt_rate(b)}: impossible")
                       for a, b in zip(sows[idx], stock[idx], strict=True)]
            errors.append(pd.DataFrame({"sheet": name, "row": rows[idx], "column": written["sows"],
                                        "value": [_fmt_rate(v) for v in sows[idx]], "reason": reasons},
                                       columns=ISSUE_COLUMNS))
    crops = out["crop"].astype(object).to_numpy() if "crop" in out else None
    for r in contract.rates(s.key):
        if r.numerator not in written or (r.denominator and r.denominator not in written):
            continue
        num = out[r.numerator].to_numpy(dtype=float)
        den = out[r.denominator].to_numpy(dtype=float) if r.denominator else np.ones(len(out))
        mask = data & (num > 0) & (den > 0) & (num <= HARD_MAX[s.column(r.numerator).kind])
        if r.denominator:
            mask &= den <= HARD_MAX[s.column(r.denominator).kind]  # beyond it: already a row error
        if r.crop:
            if crops is None:
                continue
            mask &= np.array([isinstance(c, str) and r.crop in c for c in crops], dtype=bool)
        if not mask.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = num / den
        impossible = mask & ((rate >= contract.IMPOSSIBLE_FACTOR * r.high) |
                             (rate <= r.low / contract.IMPOSSIBLE_FACTOR))
        odd = mask & ~impossible & ((rate < r.low) | (rate > r.high))
        rng = f"{_fmt_rate(r.low)}–{_fmt_rate(r.high)} {r.unit_zh}"
        what = f"{r.zh}（{r.crop}）" if r.crop else r.zh
        for sel, sink, zh, en in (
                (impossible, errors, "超出可能范围 100 倍以上，不可能；请核对单位和数字",
                 "100× or more beyond any plausible value: impossible; check the unit and the figure"),
                (odd, verify, "超出常见范围，请核实并填写上报说明", "outside the usual range; check it and explain")):
            if not sel.any():
                continue
            idx = np.flatnonzero(sel)
            sink.append(pd.DataFrame({
                "sheet": name, "row": rows[idx], "column": written[r.numerator],
                "value": [_fmt_rate(v) for v in num[idx]],
                "reason": [_m(lang, f"{what} {_fmt_rate(v)} {r.unit_zh}（参考 {rng}）{zh}",
                              f"{r.en} {_fmt_rate(v)} {r.unit_zh} (usual {rng}) {en}") for v in rate[idx]]},
                columns=ISSUE_COLUMNS))
    return errors, verify


_NUMBERISH = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[^\d]{0,4}$")


def _holds_numbers(col: pd.Series) -> bool:
    """Whether a body column holds figures (180, 6.4万元, ￥85,000.00), not only text."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return bool(col.notna().any())
    for u in pd.unique(col.dropna()):
        if isinstance(u, bool):
            continue
        if isinstance(u, (int, float, np.integer, np.floating)):
            return True
        t = re.sub(r"[\s,¥$'′]", "", unicodedata.normalize("NFKC", str(u)))
        if _NUMBERISH.match(t):
            return True
    return False


def _account_issues(lay: Layout, body: pd.DataFrame, data: np.ndarray, name: str, hrow: int, lang: str,
                    warnings: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Columns not understood: refused when they hold figures and their header names a contract
    column (本月出栏 beside 出栏 would otherwise be dropped silently), listed otherwise."""
    errors, listed = [], []
    for a in lay.accounts:
        if a.status not in (lay_mod.SUSPECT, lay_mod.UNKNOWN) or a.index >= body.shape[1]:
            continue
        col = body[f"c{a.index}"][data] if len(data) == len(body) else body[f"c{a.index}"]
        numeric = _holds_numbers(col)
        written = CONTROL_RE.sub("", a.written) or f"#{a.index + 1}"
        if a.status == lay_mod.SUSPECT and numeric:
            c = a.column
            errors.append(pd.DataFrame([{
                "sheet": name, "row": hrow, "column": written, "value": "",
                "reason": _m(lang, f"这一列没有读取：列名里有“{c.zh}”，它可能就是“{c.header}”，也可能是别的数"
                                   "（如累计数、分项数）。请指定它对应哪一列或忽略它：页面上逐列选择；命令行用 "
                                   f"--column \"{written}={c.zh}\" 或 --ignore-column \"{written}\"",
                             f"column not read: its header contains “{c.en}”; it may be “{c.header}” or another "
                             "figure (a cumulative or a breakdown). Map it or ignore it: on the page per column; "
                             f"on the command line --column \"{written}={c.key}\" or --ignore-column \"{written}\"")}],
                columns=ISSUE_COLUMNS))
        elif a.written and (numeric or a.status == lay_mod.UNKNOWN or a.status == lay_mod.SUSPECT):
            if col.notna().any() or a.status == lay_mod.UNKNOWN:
                listed.append({"sheet": name, "row": hrow, "column": written, "value": "",
                               "reason": _m(lang, "未识别的列，已忽略", "unknown column, ignored")})
    if listed:
        warnings.append(pd.DataFrame(listed, columns=ISSUE_COLUMNS))
    return errors


def column_accounts(lay: Layout, lang: str) -> list[dict]:
    """Per file column what it became, for the preview: 表头 → 读作."""
    out = []
    for a in lay.accounts:
        if a.status == lay_mod.BLANK:
            continue
        c = a.column
        if a.status in (lay_mod.MAPPED, lay_mod.USER_MAPPED) and a.index in lay.columns:
            m = lay.columns[a.index]
            became = c.header if lang == "zh" else c.en
            if m.factor not in (None, 1.0) and c.unit:
                became += _m(lang, f"（{m.unit}→{c.unit}，×{m.factor:g}）", f" ({m.unit}→{c.unit}, ×{m.factor:g})")
            if a.note == "本月":
                became += _m(lang, "（本月数）", " (this month)")
            if a.status == lay_mod.USER_MAPPED:
                became += _m(lang, "（按您的指定）", " (as you chose)")
        elif a.status in (lay_mod.MAPPED, lay_mod.USER_MAPPED):
            became = _m(lang, "有问题，见问题表", "a problem, see the problems")
        elif a.status == lay_mod.QUALIFIED:
            of = f"{c.zh}的" if c is not None and lang == "zh" else (f"{c.en}, " if c is not None else "")
            became = _m(lang, f"{of}{a.note}，不导入", f"{of}{a.note}: not imported")
        elif a.status == lay_mod.BREAKDOWN:
            of = c.zh if c is not None else ""
            became = _m(lang, f"{of}的分项（{a.note}），不导入", f"a breakdown of {c.en if c else ''} ({a.note}): "
                                                          "not imported")
        elif a.status == lay_mod.SEQUENCE:
            became = _m(lang, "序号，不导入", "row number: not imported")
        elif a.status == lay_mod.USER_IGNORED:
            became = _m(lang, "按您的指定忽略", "ignored as you chose")
        elif a.status == lay_mod.SUSPECT:
            became = _m(lang, f"未识别（可能是{c.header}）", f"not understood (perhaps {c.en})")
        else:
            became = _m(lang, "未识别，不导入", "not understood: not imported")
        out.append({"sheet": lay.sheet, "index": a.index, "column": CONTROL_RE.sub("", a.written) or f"#{a.index + 1}",
                    "status": a.status, "became": became, "key": c.key if c is not None else None})
    return out


def _decimal_styles(lay: Layout, body: pd.DataFrame, rows: np.ndarray, name: str, lang: str,
                    errors: list[pd.DataFrame]) -> dict[int, bool]:
    """Per numeric column written as text, whether ',' is its decimal point (a European export:
    2,5 · 1.234,5 · 3.200 = 3,200): decided from all the column's cells, else from the other
    columns of the sheet when they agree. A column that mixes both, or whose 3.200 cannot be
    told from 3.2, is refused naming its cells. Returns {column index: euro?} to rewrite."""
    kinds = {i: normalise.separator_kinds(body[f"c{i}"]) for i, m in lay.columns.items()
             if m.column.kind in NUMERIC and not pd.api.types.is_numeric_dtype(body[f"c{i}"].dtype)}
    euro_cols = {i for i, k in kinds.items() if (k == normalise.EURO).any()}
    anglo_cols = {i for i, k in kinds.items() if (k == normalise.ANGLO).any()}
    sheet_style = True if euro_cols and not anglo_cols else False if anglo_cols and not euro_cols else None
    out: dict[int, bool] = {}
    raw_of = {i: body[f"c{i}"] for i in kinds}
    for i, k in kinds.items():
        written = lay.columns[i].written
        if i in euro_cols and i in anglo_cols:
            mask = (k == normalise.EURO) | (k == normalise.ANGLO)
            errors.append(_issues(name, rows, mask, written, raw_of[i], _m(
                lang, "这一列的数字有的用“.”作小数点，有的用“,”作小数点（如 3.25 和 2,5），分不清千位分隔符和小数点；"
                      "请统一写成不带千位分隔符、用“.”作小数点的数字后再上传",
                "this column writes decimals both with '.' and with ',' (3.25 and 2,5): decimal point and "
                "thousands separator cannot be told apart; write plain numbers with '.' as the decimal point")))
            continue
        style = True if i in euro_cols else False if i in anglo_cols else sheet_style
        if style is None and (k == normalise.AMB_DOT).any():
            mask = k == normalise.AMB_DOT
            cells = "、".join(dict.fromkeys(cell_text(v) for v in raw_of[i][mask]))
            errors.append(_issues(name, rows, mask, written, raw_of[i], _m(
                lang, f"分不清“.”是小数点还是千位分隔符：{cells[:60]} 可能是带三位小数的数，"
                      "也可能是按欧洲习惯写的千位数（3.200 = 3,200）；请写成不带分隔符的数字（如 3200 或 3.2）后再上传",
                f"cannot tell whether '.' is the decimal point or a thousands separator ({cells[:60]}: 3.2 or "
                "3,200?); write plain numbers (3200 or 3.2)")))
            continue
        if style or (k == normalise.AMB_COMMA).any() or (k == normalise.ANGLO).any():
            out[i] = bool(style)
    return out


def _total_checks(name: str, out: pd.DataFrame, rows: np.ndarray, is_total: np.ndarray, is_sub: np.ndarray,
                  lay: Layout, s: Sector, lang: str) -> list[pd.DataFrame]:
    """A total row holding numbers against the rows it totals: a 小计 the rows since the last
    subtotal or total, a 合计 every data row since the last 合计. A mismatch is a warning naming both."""
    res = []
    used = {m.column.key: m for m in lay.columns.values()}
    measures = [c for c in s.columns if c.kind in NUMERIC and c.key in used and c.role != contract.KEY]
    sub_start = grand_start = 0
    for j in np.flatnonzero(is_total):
        start = sub_start if is_sub[j] else grand_start
        seg = np.arange(start, j)
        seg = seg[~is_total[seg]]
        for c in measures:
            total = out[c.key].iloc[j]
            if pd.isna(total) or not len(seg):
                continue
            got = float(np.nansum(out[c.key].to_numpy(dtype=float)[seg]))
            if abs(total - got) > 0.01 + 1e-9 * abs(got):
                f = used[c.key].factor or 1.0
                res.append(pd.DataFrame([{"sheet": name, "row": int(rows[j]), "column": used[c.key].written,
                                          "value": _fmt_total(total / f),
                                          "reason": _m(lang, f"合计行的“{used[c.key].written}”是 "
                                                             f"{_fmt_total(total / f)}，"
                                                             f"但它合计的 {len(seg)} 行之和是 {_fmt_total(got / f)}，"
                                                             "请核对（合计行本身不导入）",
                                                       f"the total row's “{used[c.key].written}” is "
                                                       f"{_fmt_total(total / f)} but its {len(seg)} rows sum to "
                                                       f"{_fmt_total(got / f)} (the total row is not imported)")}],
                                        columns=ISSUE_COLUMNS))
        if is_sub[j]:
            sub_start = j + 1
        else:
            sub_start = grand_start = j + 1
    return res


_CHOICE_ALIASES = {norm(k): v for k, v in contract.GH_TYPE_ALIASES.items()}


# --- the whole file -------------------------------------------------------------------------------

def parse_here(data: bytes, filename: str, sector: str | None = None, *, lang: str = "zh",
               today: date | None = None, limits: dict[str, int] | None = None,
               columns: lay_mod.ColumnChoices | None = None) -> Parsed:
    """Read and check a file against the contract; never touches the database, never raises.

    ``sector`` None means detect it from the headers; ``limits`` defaults to the settings
    (:func:`analytics.settings.upload_limits`). The result's ``errors`` lists every problem
    (sheet, row, column, value, reason); when it is empty ``frame`` holds the rows in canonical
    columns and units (money 元, weight 公斤, area 亩), ``rows`` their spreadsheet row numbers.
    """
    p = Parsed(clean_filename(filename), data, hashlib.sha256(data).hexdigest(), lang)
    try:
        return _parse(p, sector, today or date.today(), limits or settings.upload_limits(), columns)
    except IngestError as e:
        return _fail(p, str(e))
    except _FATAL:
        raise
    except BaseException as e:  # noqa: BLE001 - whatever the bytes, a refusal and never a traceback
        if isinstance(e, MemoryError) or re.search(r"memory|alloc|resource temporarily", str(e), re.I):
            return _fail(p, _m(lang, "文件无法读取：读取时超出了内存上限（文件过大，或范围记录写得过大），未导入。"
                                     "请删掉多余的内容、或拆成几个文件后再上传。",
                               "The file cannot be read within the memory limit; split it or remove unused content."))
        return _fail(p, _m(lang, f"无法读取这个文件（{type(e).__name__}）。请用 Excel 或 WPS 打开并重新保存后再上传；"
                                 "如仍不行，请把文件发给管理员。",
                           f"Cannot read this file ({type(e).__name__}); open and save it again in Excel or WPS."))


def clean_filename(filename: object) -> str:
    """The file's name as kept and shown: no folders, no control characters, at most 200 characters."""
    return CONTROL_RE.sub("", Path(str(filename)).name)[:200] or "upload"


def refusal(filename: object, data: bytes, lang: str, message: str) -> Parsed:
    """A Parsed that refuses the whole file with one message."""
    return _fail(Parsed(clean_filename(filename), data, hashlib.sha256(data).hexdigest(), lang), message)


def _fail(p: Parsed, msg: str) -> Parsed:
    p.errors = issues_frame([{"sheet": "", "row": None, "column": "", "value": "", "reason": msg}])
    p.frame = pd.DataFrame()
    return p


def _parse(p: Parsed, sector: str | None, today: date, limits: dict[str, int],
           choices: lay_mod.ColumnChoices | None = None) -> Parsed:
    lang = p.lang
    if sector is not None and sector not in contract.SECTORS:
        raise IngestError(_m(lang, f"未知板块“{sector}”，应为 种鸭(duck)、生猪(hog)、大棚(greenhouse) 之一",
                             f"Unknown sector “{sector}”: use duck, hog or greenhouse"))
    if not p.data.strip():
        raise IngestError(_m(lang, "文件是空的。", "The file is empty."))
    book = read.read(p.data, p.filename, lang, limits)
    p.encoding = book.encoding
    reports = [SheetReport(n, False, why) for n, why in book.skipped]
    found: list[tuple[read.Sheet, Layout]] = []
    sheet_errors: list[str] = []
    single = len(book.sheets) == 1
    for sheet in book.sheets:
        try:
            lay = lay_mod.find_layout(sheet, sector, lang, choices)
        except NoHeader as e:
            if single:
                raise
            if e.score >= 3:  # a sheet of the sector that lacks a column: its data would be lost
                sheet_errors.append(_m(lang, f"工作表“{sheet.name}”：{e}", f"sheet “{sheet.name}”: {e}"))
            reports.append(SheetReport(sheet.name, False, _m(lang, "没有可识别的表头", "no recognisable header")))
            continue
        found.append((sheet, lay))
    if sheet_errors:
        raise IngestError("；".join(sheet_errors))
    if not found:
        raise IngestError(_m(lang, "工作簿里没有一张表有可识别的表头（" + "；".join(
            r.describe(lang) for r in reports) + "）。请下载模板对照填写。",
            "No sheet in the workbook has a recognisable header."))
    sectors = {lay.sector for _, lay in found}
    if len(sectors) > 1:
        which = "；".join(f"“{sh.name}”是{contract.SECTORS[lay.sector].zh}" for sh, lay in found)
        raise IngestError(_m(lang, f"一个文件只能是一个板块，但这个工作簿里 {which}。请分成几个文件上传。",
                             "One file holds one sector; this workbook holds several. Split it."))
    skey = sectors.pop()
    s = contract.SECTORS[skey]
    p.sector = skey
    parts = []
    for sheet, lay in found:
        part = _sheet_part(sheet, lay, lang, today, limits)
        if not part.report.n_rows and not any(len(e) for e in part.errors) and len(found) > 1:
            part.report.taken, part.report.reason = False, _m(lang, "表头下面没有数据", "no rows under the header")
        parts.append(part)
    first = parts[0]
    p.columns = pd.DataFrame([a for part in parts for a in column_accounts(part.report.layout, lang)],
                             columns=ACCOUNT_COLUMNS)
    p.header_row = first.report.layout.header_rows[0] + 1
    p.headers = {m.column.key: m.written for m in first.report.layout.columns.values()}
    for part in parts[1:]:
        for m in part.report.layout.columns.values():
            p.headers.setdefault(m.column.key, m.written)
    reports += [part.report for part in parts]
    p.sheets = [r for r in reports if r.taken] + [r for r in reports if not r.taken]
    errors = [e for part in parts for e in part.errors if len(e)]
    warnings = [w for part in parts for w in part.warnings if len(w)]
    readings = [r for part in parts for r in part.readings if len(r)]
    for part in parts:
        p.notes += [n for n in part.notes if n not in p.notes]
    taken = [part for part in parts if part.report.taken]
    n_rows = sum(part.report.n_rows for part in taken)
    if n_rows > limits["max_rows"]:
        raise IngestError(_m(lang, f"文件有 {n_rows:,} 行数据，超过上限 {limits['max_rows']:,} 行。"
                                   "请拆成几个文件上传。",
                             f"{n_rows:,} rows, over the limit of {limits['max_rows']:,}; split the file."))
    if not n_rows and not errors:
        raise IngestError(_m(lang, "表头下面没有数据行。", "There are no data rows under the header."))
    frame = pd.concat([part.frame for part in taken], ignore_index=True) if taken else pd.DataFrame()
    p.layouts = {part.report.name: part.report.layout.fingerprint() for part in parts}
    if "cooperative" in frame:
        p.named_cooperatives = sorted({c for c in frame["cooperative"] if isinstance(c, str) and c})
    rows = np.concatenate([part.rows for part in taken]) if taken else np.zeros(0, dtype=np.int64)
    sheet_of = np.concatenate([np.full(len(part.rows), part.report.name, dtype=object) for part in taken]) \
        if taken else np.zeros(0, dtype=object)
    all_carried = set.union(*(part.carried for part in taken)) if taken else set()
    for k in sorted(all_carried):
        if all(k in part.carried for part in taken):
            p.carried[k] = True
        else:
            p.carried[k] = np.concatenate([np.full(len(part.rows), k in part.carried) for part in taken])
    if len(frame):
        dup = _duplicates(frame, rows, sheet_of, s, p.headers.get("unit", s.keys[2].zh), lang, len(taken) > 1)
        if dup is not None:
            errors.append(dup)
    column_order = {p.headers.get(c.key, ""): n for n, c in enumerate(s.columns)}
    sheet_order = {r.name: n for n, r in enumerate(p.sheets)}
    if errors:
        e = pd.concat(errors, ignore_index=True)
        e["_s"] = e["sheet"].map(sheet_order).fillna(0)
        e["_o"] = e["column"].map(column_order).fillna(99)
        p.errors = e.sort_values(["_s", "row", "_o"], kind="stable", na_position="first")[ISSUE_COLUMNS] \
            .reset_index(drop=True)
        p.frame = frame.iloc[0:0]
        return p
    if warnings:
        p.warnings = pd.concat(warnings, ignore_index=True)[ISSUE_COLUMNS]
    verify = [v for part in taken for v in part.verify if len(v)]
    if verify:
        p.verify = pd.concat(verify, ignore_index=True)[ISSUE_COLUMNS]
    if readings:
        p.readings = pd.concat(readings, ignore_index=True)[ISSUE_COLUMNS]
    cumulative = [part.cumulative for part in taken if len(part.cumulative)]
    if cumulative:
        p.cumulative = pd.concat(cumulative, ignore_index=True)[CUMULATIVE_COLUMNS]
    p.frame, p.rows, p.sheet_of_row = frame, rows, sheet_of
    return p


def _duplicates(out: pd.DataFrame, rows: np.ndarray, sheet_of: np.ndarray, s: Sector, header: str, lang: str,
                multi: bool) -> pd.DataFrame | None:
    """One message per repeated key, naming the row (and sheet) it repeats; vectorised."""
    complete = out[KEYS].notna().all(axis=1).to_numpy()
    if not complete.any():
        return None
    k = out.loc[complete, KEYS]
    d = k.duplicated(keep="first").to_numpy()
    if not d.any():
        return None
    pos = np.flatnonzero(complete)
    first_pos = pd.Series(pos).groupby([k[c].to_numpy() for c in KEYS]).transform("first").to_numpy()
    dup_pos, orig = pos[d], first_pos[d]
    unit = s.keys[2].zh if lang == "zh" else s.unit_en
    where = [(_m(lang, f"工作表“{sheet_of[o]}”", f"sheet “{sheet_of[o]}” ") if multi and sheet_of[o] != sheet_of[q]
              else "") for q, o in zip(dup_pos, orig, strict=True)]
    return pd.DataFrame({"sheet": sheet_of[dup_pos], "row": rows[dup_pos], "column": header,
                         "value": out["unit"].to_numpy()[dup_pos],
                         "reason": [_reason(lang, "duplicate", first=int(rows[o]), unit=unit, where=w)
                                    for o, w in zip(orig, where, strict=True)]}, columns=ISSUE_COLUMNS)
