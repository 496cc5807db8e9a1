"""Finding the table in a sheet: header rows, a units row, a column-code row, then which body
rows are data and which are totals, footers or empty (frictionless-py's Dialect is the model:
the layout is a value the preview can show, "表头第3–4行，单位行第5行，已跳过合计行第12行").

One piece: what a header cell means (a contract column, a qualifier, a breakdown, nothing
known) decides which row is the header and which body rows repeat it, so the column account
and the row kinds are read from the same tables here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import contract
from ..contract import AREA, CHOICE, COUNT, MONEY, MONTH, TEXT, WEIGHT, Column
from .common import IngestError, _m, norm
from .periods import is_period_text
from .read import HEAD_ROWS, Sheet

NUMERIC = (COUNT, MONEY, WEIGHT, AREA)
PLACEHOLDERS = {"—", "——", "-", "--", "/", "//", "\\", "…", "...", "─", "―"}

# A total row: 合计/小计/总计/共计/累计 anywhere in a key or text cell, once spaces are gone
# ("合 计", "合\u3000计", "合计：", "本月小计", "青禾合作社小计").
TOTAL_RE = re.compile(r"合计|小计|总计|共计|累计|总合|^合$|^total$|^subtotal$|^sum$")
# A footer row: a signature block or a note under the table; it ends the table.
FOOTER_RE = re.compile(r"^(单位负责人|统计负责人|部门负责人|主管领导|分管领导|负责人|填表人|填报人|制表人|"
                       r"审核人|复核人|"
                       r"审批人|经办人|统计员|报出日期|填报日期|填表日期|制表日期|报送日期|制表|审核|联系电话|联系人|"
                       r"单位盖章|盖章|(注|说明|备注)\d*[:：.、])")
SEQUENCE_HEADERS = {"序号", "序", "行次", "no", "no.", "#", "顺序号", "编码序号"}
CODE_TOKEN = re.compile(r"^([甲乙丙丁戊己庚辛壬癸]|\d{1,3}|[a-z])$")
_UNIT_IN_HEADER = re.compile(r"^(.*?)[(\[](.*)[)\]]$")
_SUB_TOTAL_WORDS = {"合计", "小计", "计", "总计", "总数", "数量", "合计数", "小计数", "总量"}
_NOTE_PREFIX = re.compile(r"^(其中|内)[:：]?")


@dataclass
class ColumnMap:
    column: Column
    factor: float | None  # header unit → canonical; None when the unit is unknown
    unit: str | None  # the unit as written (header or units row)
    written: str  # the header as written, for messages


@dataclass
class Layout:
    """Where the table is in one sheet, as data (0-based row indices; shown 1-based)."""

    sheet: str
    sector: str
    header_rows: tuple[int, ...]
    columns: dict[int, ColumnMap]
    header_cells: list[str]  # the (combined) header text per file column
    ncols: int
    units_row: int | None = None
    code_row: int | None = None
    problems: list[dict] = field(default_factory=list)  # header-level problems (issue dicts)
    ignored: list[str] = field(default_factory=list)  # header cells naming no contract column
    accounts: list = field(default_factory=list)  # an Account per file column, in file order
    # Filled once the body is read: spreadsheet row numbers of rows not taken as data.
    totals: list[int] = field(default_factory=list)
    footer: int | None = None
    empty: int = 0
    repeated: list[int] = field(default_factory=list)  # header rows repeated mid-sheet (printing)
    page_titles: list[int] = field(default_factory=list)
    header_tokens: dict[int, set[str]] = field(default_factory=dict)  # per mapped column, its header words

    @property
    def data_start(self) -> int:
        return max((self.header_rows[-1], self.units_row or -1, self.code_row or -1)) + 1

    def fingerprint(self) -> str:
        """The layout as a key: a hash of the sector and the normalised header cells (a two-row
        header joined per column), the same for next month's file of the same form."""
        text = "\x1e".join([self.sector, *(norm(c) for c in self.header_cells)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]

    def by_key(self) -> dict[str, int]:
        return {m.column.key: i for i, m in self.columns.items()}

    def describe(self, lang: str) -> str:
        """'表头第3–4行，单位行第5行，已跳过合计行第12行' — what the preview says about the layout."""
        h = [r + 1 for r in self.header_rows]
        parts = [_m(lang, f"表头第{h[0]}行" if len(h) == 1 else f"表头第{h[0]}–{h[-1]}行",
                    f"header on row {h[0]}" if len(h) == 1 else f"header on rows {h[0]}–{h[-1]}")]
        if self.units_row is not None:
            parts.append(_m(lang, f"单位行第{self.units_row + 1}行", f"units on row {self.units_row + 1}"))
        if self.code_row is not None:
            parts.append(_m(lang, f"已跳过栏目代码行第{self.code_row + 1}行",
                            f"column-code row {self.code_row + 1} skipped"))
        if self.totals:
            rows = "、".join(str(r) for r in self.totals[:10]) + ("等" if len(self.totals) > 10 else "")
            parts.append(_m(lang, f"已跳过合计行第{rows}行", f"total row(s) {rows} skipped"))
        if self.repeated:
            rows = "、".join(str(r) for r in self.repeated[:10]) + ("等" if len(self.repeated) > 10 else "")
            parts.append(_m(lang, f"第{rows}行是重复的表头（分页打印），已跳过",
                            f"repeated header row(s) {rows} (printed pages) skipped"))
        if self.page_titles:
            rows = "、".join(str(r) for r in self.page_titles[:10])
            parts.append(_m(lang, f"第{rows}行是分页标题，已跳过", f"page title row(s) {rows} skipped"))
        if self.footer is not None:
            parts.append(_m(lang, f"表尾（签名栏）从第{self.footer}行起，未读取",
                            f"footer from row {self.footer} not read"))
        if self.empty:
            parts.append(_m(lang, f"空行或只有序号的行 {self.empty} 行已跳过",
                            f"{self.empty} empty or number-only row(s) skipped"))
        return _m(lang, "，", ", ").join(parts)


class NoHeader(IngestError):
    """No header in this sheet; ``score`` says how close a row came (columns it named)."""

    def __init__(self, message: str, score: int = 0):
        super().__init__(message)
        self.score = score


# --- headers --------------------------------------------------------------------------------

def _alias_map(s: contract.Sector) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for c in s.columns:
        for name in (c.zh, c.en, c.key, *contract.HEADER_ALIASES.get(c.key, ())):
            out.setdefault(norm(name), c)
    return out


_ALIASES = {k: _alias_map(s) for k, s in contract.SECTORS.items()}


def unit_factor(col: Column, unit: str | None) -> float | None:
    """Factor from a written unit to the column's canonical one; None when the kind does not take it."""
    if col.kind not in NUMERIC or not unit:
        return 1.0
    u = re.sub(r"^(单位|计量单位)[:：]?", "", norm(unit))
    return contract.unit_factor(col.kind, u)


def match_header(sector_key: str, cell: object) -> tuple[Column, float | None, str | None] | None:
    """Which column a header cell names: (column, unit factor or None if unknown unit, unit)."""
    h = norm(cell)
    if not h:
        return None
    h = re.sub(r"[*＊※]+$|^[*＊※]+", "", h)  # 月份* : a required-column mark
    aliases = _ALIASES[sector_key]
    if h in aliases:
        return aliases[h], 1.0, None
    m = _UNIT_IN_HEADER.match(h)
    if m and m.group(1) in aliases:
        col = aliases[m.group(1)]
        unit = re.sub(r"^(单位|计量单位)[:：]?", "", m.group(2))
        return col, unit_factor(col, unit), unit
    m = re.match(r"^(.+?)[/／](.+)$", h)  # 存栏/头
    if m and m.group(1) in aliases and aliases[m.group(1)].kind in NUMERIC:
        col = aliases[m.group(1)]
        f = unit_factor(col, m.group(2))
        if f is not None:
            return col, f, m.group(2)
    # A unit written straight after the name: 销售收入万元, 产量kg.
    for name, col in aliases.items():
        if h.startswith(name) and col.kind in NUMERIC and len(h) > len(name):
            unit = h[len(name):]
            f = unit_factor(col, unit)
            if f is not None:
                return col, f, unit
    return None


# --- every column accounted for -----------------------------------------------------------------
#
# A header names a contract column (read), a qualified figure of one (本年累计出栏: a known
# qualifier, ignored by name), a breakdown of one (仔猪 under 存栏: ignored by name), or nothing we
# know. A numeric column of the last kind whose header still contains a contract column's name
# is never dropped silently: the file is refused until the uploader maps or ignores it.

# This month's figure, however it is written: 本月出栏, 当月销售收入, 销售收入（本月）, 本期出栏.
_CURRENT_PREFIX = re.compile(r"^(本月|当月|本期|月末|期末)(实际|份)?(数|数量)?(?=.)")
_CURRENT_SUFFIX = re.compile(r"[(\[_\-·.:：]?(本月|当月|本期)(数|实际)?[)\]]?(?=(\(.*\))?$)")
_CURRENT_WORD = re.compile(r"^(本月|当月|本期|本月数|当月数|本期数|本月实际|当月实际|月末|期末)$")
# Known qualifiers, longest first: (pattern, what the preview calls it zh, en).
QUALIFIERS: tuple[tuple[str, str, str], ...] = (
    (r"本年累计|年累计|本年止累计|自年初累计|\d{1,2}[-—–~至到]\d{1,2}月(累计)?|累计", "累计数", "cumulative"),
    (r"上年同期|去年同期|同期", "上年同期数", "same period last year"),
    (r"同比", "同比", "year-on-year"),
    (r"环比", "环比", "month-on-month"),
    (r"上月|上期|期初|月初", "上月或期初数", "last month / opening"),
    (r"计划|目标|任务|预计", "计划数", "plan / target"),
    (r"增减|增长|增幅|比上年|比上月|±", "增减", "change"),
    (r"占比|比重|比例|百分比|率$|率\(|%", "比率", "ratio"),
    (r"平均|均价|单价|均重|亩均|亩产|头均|只均|羽均|人均", "平均数或单价", "average / unit price"),
)
_QUALIFIER_RES = [(re.compile(p), zh, en) for p, zh, en in QUALIFIERS]
_BREAKDOWN_PREFIX = re.compile(r"^(其中|内|含)[:：]?")

# Account statuses.
MAPPED, QUALIFIED, BREAKDOWN, SUSPECT, UNKNOWN, SEQUENCE, BLANK, USER_MAPPED, USER_IGNORED = (
    "mapped", "qualifier", "breakdown", "suspect", "unknown", "sequence", "blank", "user_mapped", "user_ignored")


@dataclass
class Account:
    """What one file column became: a contract column (with its unit factor), a known
    qualifier or breakdown (ignored by name), or not understood (``column`` then holds what it
    probably is, if its header contains a contract column's name)."""

    status: str
    column: Column | None = None
    factor: float | None = 1.0
    unit: str | None = None
    note: str = ""  # the qualifier or breakdown as named, or 本月 when a 本月X was read as X
    index: int = -1
    written: str = ""


def _strip_unit(h: str) -> str:
    return re.sub(r"[(\[][^()\[\]]*[)\]]$", "", h)


def _qualifier(h: str) -> tuple[str, str] | None:
    for rx, zh, en in _QUALIFIER_RES:
        if rx.search(h):
            return zh, en
    return None


def _pure_qualifier(h: str) -> tuple[str, str] | None:
    """A header cell that is only a qualifier (本年累计, 同比(%), 上年同期数): a group or sub-header."""
    q = _qualifier(h)
    if q is None:
        return None
    rest = h
    for rx, _zh, _en in _QUALIFIER_RES:
        rest = rx.sub("", rest)
    rest = re.sub(r"[(\[][^()\[\]]*[)\]]|数|量|%|值|幅度|[+\-±:：]", "", rest)
    return q if not rest else None


def probable_column(sector_key: str, h: str) -> Column | None:
    """The numeric contract column whose name or alias (two characters or more) a header
    contains, the longest such name first: 出栏合计 → 出栏, 其他收入 → 销售收入."""
    best: tuple[int, Column] | None = None
    for name, col in _ALIASES[sector_key].items():
        if col.kind in NUMERIC and len(name) >= 2 and not name.isascii() and name in h:
            if best is None or len(name) > best[0]:
                best = (len(name), col)
        elif col.kind in NUMERIC and name.isascii() and len(name) >= 4 and re.search(rf"\b{re.escape(name)}\b", h):
            if best is None or len(name) > best[0]:
                best = (len(name), col)
    return best[1] if best else None


def interpret(sector_key: str, cell: object) -> Account:
    """One header cell (or a two-row header joined as ``top␟sub``) → its Account."""
    text = _s(cell)
    if "\x1f" in text:
        top, sub = text.split("\x1f", 1)
        return _interpret_pair(sector_key, top, sub)
    h = re.sub(r"[*＊※]+$|^[*＊※]+", "", norm(text))
    if not h or h == "none":
        return Account(BLANK)
    if h in SEQUENCE_HEADERS:
        return Account(SEQUENCE)
    hit = match_header(sector_key, h)
    if hit is not None and hit[1] is not None:
        return Account(MAPPED, *hit)
    cur = _CURRENT_SUFFIX.sub("", _CURRENT_PREFIX.sub("", h))
    if cur != h and cur:
        hit2 = match_header(sector_key, cur)
        if hit2 is not None:
            return Account(MAPPED, *hit2, note="本月")
    if hit is not None and _qualifier(h) is None:
        return Account(MAPPED, *hit)  # a unit we do not know: a header problem, named
    q = _qualifier(_strip_unit(h)) or _qualifier(h)
    if q is not None:
        return Account(QUALIFIED, probable_column(sector_key, h), note=q[0])
    m = _BREAKDOWN_PREFIX.match(h)
    if m:
        return Account(BREAKDOWN, probable_column(sector_key, h), note=h[m.end():])
    col = probable_column(sector_key, h)
    m = _UNIT_IN_HEADER.match(h)
    if col is not None and m and _any_unit(m.group(2)) and unit_factor(col, m.group(2)) is None:
        return Account(UNKNOWN)  # 饲料费(元): money, so not 饲料(公斤) whatever its name holds
    return Account(SUSPECT, col) if col is not None else Account(UNKNOWN)


def _interpret_pair(sector_key: str, top: str, sub: str) -> Account:
    """A column under a two-row header: the group header over its sub-column."""
    if not norm(sub):
        return interpret(sector_key, top)
    if not norm(top):
        return interpret(sector_key, sub)
    t, s2 = norm(top), _BREAKDOWN_PREFIX.sub("", norm(sub))
    if _CURRENT_WORD.match(_strip_unit(t)):  # 本月 over 存栏 / 出栏 / 收入
        a = interpret(sector_key, sub)
        return Account(a.status, a.column, a.factor, a.unit, note="本月" if a.status == MAPPED else a.note)
    q = _pure_qualifier(t)
    if q is not None:  # 本年累计 over 出栏 / 收入
        return Account(QUALIFIED, interpret(sector_key, sub).column, note=q[0])
    if s2 in _SUB_TOTAL_WORDS or _CURRENT_WORD.match(_strip_unit(s2)):  # 存栏 over 合计, 出栏 over 本月
        a = interpret(sector_key, top)
        if a.status == MAPPED and _CURRENT_WORD.match(_strip_unit(s2)):
            a.note = "本月"
        return a
    q = _pure_qualifier(s2)
    if q is not None:  # 出栏 over 本年累计 / 上年同期 / 同比(%)
        return Account(QUALIFIED, interpret(sector_key, top).column, note=q[0])
    base = interpret(sector_key, top)
    m = _UNIT_IN_HEADER.match(t)
    unit = m.group(2) if m else ""
    for cand in ([f"{s2}({unit})"] if unit and not _UNIT_IN_HEADER.match(s2) else []) + [s2]:
        a = interpret(sector_key, cand)
        if a.status == MAPPED and (base.column is None or a.column.key != base.column.key):
            return a  # 其中：能繁母猪 under 存栏(头): a contract column of its own
    if base.column is not None:  # 仔猪 / 育肥猪 under 存栏: a breakdown, named and ignored
        return Account(BREAKDOWN, base.column, note=_s(sub))
    return interpret(sector_key, sub)


CUMULATIVE = QUALIFIERS[0][1]  # the note of a 本年累计 / 1—9月 column
_MONTH_SPAN = re.compile(r"(\d{1,2})[-—–~至到](\d{1,2})月")


@dataclass
class Cumulative:
    """A year-to-date column beside a monthly one: where it is, its unit, and which months it
    adds up ((1, 9) for 1—9月累计; None for 本年累计: January to the row's month)."""

    index: int
    column: Column
    factor: float
    unit: str | None
    written: str
    span: tuple[int, int] | None


def cumulative_columns(lay: Layout, head: list[list]) -> list[Cumulative]:
    """The 累计 columns of measures summed over months (contract.SUMMED_OVER_MONTHS) whose monthly
    column the sheet also carries, with the unit their header or the units row gives. A 累计
    column whose unit cannot be read is left out (it is not imported either way)."""
    mapped = set(lay.by_key())
    out = []
    for a in lay.accounts:
        if a.status != QUALIFIED or a.note != CUMULATIVE or a.column is None \
                or a.column.key not in contract.SUMMED_OVER_MONTHS or a.column.key not in mapped:
            continue
        factor, unit = 1.0, None
        for part in (norm(x) for x in a.written.split("/")):
            m = _UNIT_IN_HEADER.match(part)
            if m and _any_unit(re.sub(r"^(单位|计量单位)[:：]?", "", m.group(2))):
                unit = re.sub(r"^(单位|计量单位)[:：]?", "", m.group(2))
                factor = unit_factor(a.column, unit)
                break
        if unit is None and lay.units_row is not None and a.index < len(head[lay.units_row]):
            token = _unit_token(head[lay.units_row][a.index])
            if token and _any_unit(token):
                unit, factor = token, unit_factor(a.column, token)
        if factor is None:
            continue
        span = _MONTH_SPAN.search(norm(a.written))
        out.append(Cumulative(a.index, a.column, factor, unit, a.written,
                              (int(span.group(1)), int(span.group(2))) if span else None))
    return out


def _accounts(sector_key: str, cells: list) -> dict[int, Account]:
    return {i: interpret(sector_key, c) for i, c in enumerate(cells)}


def _mapped(acc: dict[int, Account]) -> set[str]:
    return {a.column.key for a in acc.values() if a.status == MAPPED and a.column is not None}


def _match_cells(sector_key: str, cells: list) -> dict[int, tuple[Column, float | None, str | None]]:
    out = {}
    for i, cell in enumerate(cells):
        if isinstance(cell, list):  # candidates for a two-row header, best first
            for cand in cell:
                hit = match_header(sector_key, cand)
                if hit is not None:
                    out[i] = hit
                    break
        else:
            hit = match_header(sector_key, cell)
            if hit is not None:
                out[i] = hit
    return out


def _s(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v).strip()


def _is_number(v: object) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return not (isinstance(v, float) and np.isnan(v))
    return bool(re.fullmatch(r"[+-]?[\d,]+(\.\d+)?", unicodedata.normalize("NFKC", _s(v))))


def _fill_right(cells: list, row: int, merged: list) -> list[str]:
    out = [_s(c) for c in cells]
    for (r0, c0), (r1, c1) in merged:
        if r0 <= row <= r1 and c1 > c0 and c0 < len(out):
            top = _s(cells[c0]) if row == r0 else out[c0]
            for c in range(c0, min(c1 + 1, len(out))):
                out[c] = out[c] or top
    return out


def _two_row_cells(top: list[str], sub: list[str]) -> list[str]:
    """Per column the two header rows joined as ``top␟sub`` (a group header merged or written
    once over its sub-columns is carried right; a column with nothing below is its top alone)."""
    out = []
    inherited = ""
    for i in range(max(len(top), len(sub))):
        t = top[i] if i < len(top) else ""
        s = sub[i] if i < len(sub) else ""
        if t:
            inherited = t
        elif s:
            t = inherited
        out.append(f"{t}\x1f{s}" if s else t)
    return out


def _sub_row_qualifies(sub: list[str]) -> bool:
    """A row under the header that splits its columns (合计 / 其中… / 本月 / 本年累计 / 同比),
    not a units row."""
    tokens = [norm(c) for c in sub if _s(c)]
    if not tokens or any(_any_unit(_unit_token(t)) for t in tokens):
        return False
    return any(t in _SUB_TOTAL_WORDS or _CURRENT_WORD.match(_strip_unit(t)) or _pure_qualifier(t)
               or _BREAKDOWN_PREFIX.match(t) for t in tokens)


def _required_ok(key: str, got: set[str]) -> bool:
    return {c.key for c in contract.SECTORS[key].required} <= got


@dataclass
class ColumnChoices:
    """The uploader's decisions on columns the reader does not understand: a header as written
    (or its sub-column, or the two joined with '/') → a contract column key, or ignored."""

    columns: dict[str, str] = field(default_factory=dict)
    ignore: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.columns = {norm(k): v for k, v in self.columns.items()}
        self.ignore = {norm(k) for k in self.ignore}

    def decide(self, written: str) -> tuple[str, str | None] | None:
        names = {norm(written), norm(written.replace("\x1f", "/")), norm(written.split("\x1f")[-1])}
        for n in names:
            if n in self.ignore:
                return USER_IGNORED, None
        for n in names:
            if n in self.columns:
                return USER_MAPPED, self.columns[n]
        return None


def resolve_column(sector_key: str, name: str) -> Column | None:
    """A column named by key, Chinese name, header with unit or alias: 出栏 / 出栏(头) / sold_head."""
    s = contract.SECTORS[sector_key]
    for c in s.columns:
        if name in (c.key, c.zh, c.en, c.header):
            return c
    hit = match_header(sector_key, name)
    return hit[0] if hit else None


def find_layout(sheet: Sheet, sector: str | None, lang: str, choices: ColumnChoices | None = None) -> Layout:
    """The header (one or two rows) of the chosen or fitting sector, then a units row and a
    column-code row under it. Raises NoHeader, or IngestError when the sector is ambiguous or
    another than the one chosen."""
    head = sheet.head()
    candidates = [sector] if sector else list(contract.SECTOR_KEYS)
    best: tuple[int, int, str] | None = None  # (matched, row, sector) of the closest miss
    for r, raw in enumerate(head):
        cells = _fill_right(raw, r, sheet.merged)
        two = None
        if r + 1 < len(head) and not any(_is_number(v) for v in head[r + 1]) and any(_s(v) for v in head[r + 1]):
            sub = _fill_right(head[r + 1], r + 1, sheet.merged)
            two = (_two_row_cells([_s(c) for c in raw], sub), _sub_row_qualifies(sub))
            # The single-row reading of a merged group header repeats it over its sub-columns.
            cells_one = [_s(c) for c in raw] if _sub_row_qualifies(sub) else cells
        else:
            cells_one = cells
        found = []
        for key in candidates:
            one = _accounts(key, cells_one)
            got1 = _mapped(one)
            choice, rows, got, header = one, (r,), got1, cells_one
            if two is not None:
                both = _accounts(key, two[0])
                got2 = _mapped(both)
                if _required_ok(key, got2) and ((len(got1) >= 2 and len(got2) > len(got1))
                                                or (two[1] and len(got2) >= len(got1))):
                    choice, rows, got, header = both, (r, r + 1), got2, two[0]
            if _required_ok(key, got):
                found.append((len(got), key, choice, rows, header))
            elif best is None or len(got) > best[0]:
                best = (len(got), r, key)
        if found:
            found.sort(key=lambda x: -x[0])
            if len(found) > 1 and found[0][0] == found[1][0]:
                names = "、".join(contract.SECTORS[k].zh for n, k, *_ in found if n == found[0][0])
                raise IngestError(_m(lang, f"无法从表头判断板块（可能是 {names}），请选择板块后再上传。",
                                     "Cannot tell the sector from the headers; please choose it."))
            _, key, accounts, rows, header = found[0]
            return _finish(sheet, head, key, accounts, rows, header, lang, choices)
    if sector is not None:
        try:  # the sheet fits another sector: say so rather than list "missing" columns
            other = find_layout(sheet, None, lang).sector
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
        got = _mapped(_accounts(key, _fill_right(head[r], r, sheet.merged)))
        missing = [c.header for c in contract.SECTORS[key].required if c.key not in got]
        raise NoHeader(_m(lang, f"第 {r + 1} 行像是表头，但缺少必填列：{'、'.join(missing)}"
                                f"（{contract.SECTORS[key].zh}板块）。请使用模板的表头。",
                          f"Row {r + 1} looks like the header but lacks required column(s): {', '.join(missing)}."),
                       score=n)
    need = "；".join(f"{s.zh}：" + "、".join(c.zh for c in s.required)
                    for s in (contract.SECTORS[k] for k in candidates))
    raise NoHeader(_m(lang, f"在前 {HEAD_ROWS} 行里找不到表头。表头须包含必填列（{need}）。请下载模板对照填写。",
                      f"No header row found in the first {HEAD_ROWS} rows; it must name the required columns. "
                      "Please use the template."))


def shown_header(written: str) -> str:
    """A header as messages show it: a two-row one as 期末存栏(头)/仔猪."""
    top, _, sub = written.partition("\x1f")
    return f"{top}/{sub}" if sub else top


def _finish(sheet: Sheet, head: list[list], key: str, accounts: dict[int, Account], rows: tuple[int, ...],
            header_cells: list[str], lang: str, choices: ColumnChoices | None = None) -> Layout:
    """Column map with header-level problems; then a units row and a column-code row, in either order."""
    written_cells = [_s(c) for c in header_cells]
    lay = Layout(sheet.name, key, rows, {}, [shown_header(c) for c in written_cells],
                 max(len(head[rows[0]]), len(header_cells), 1))
    used: dict[str, int] = {}
    hrow = rows[0] + 1
    for i, acc in sorted(accounts.items()):
        acc.index = i
        raw = written_cells[i] if i < len(written_cells) else ""
        acc.written = shown_header(raw)
        if len(rows) == 2 and acc.status == MAPPED and "\x1f" in raw and \
                norm(raw.split("\x1f")[1]) not in _SUB_TOTAL_WORDS and acc.note != "本月":
            acc.written = raw.split("\x1f")[1]  # 其中：能繁母猪: named by its own words
        decided = choices.decide(raw) if choices and acc.status not in (BLANK, SEQUENCE) else None
        if decided is not None:
            status, target = decided
            if status == USER_IGNORED:
                acc.status, acc.column = USER_IGNORED, acc.column
            else:
                col = resolve_column(key, target or "")
                if col is None:
                    lay.problems.append({"row": hrow, "column": acc.written, "value": target,
                                         "reason": _m(lang, f"指定的对应列“{target}”不是{contract.SECTORS[key].zh}"
                                                            "板块的列", f"“{target}” is not a column of this sector")})
                    continue
                unit_m = _UNIT_IN_HEADER.match(norm(acc.written))
                unit = unit_m.group(2) if unit_m else None
                f = unit_factor(col, unit) if unit else 1.0
                acc.status, acc.column, acc.factor, acc.unit = USER_MAPPED, col, f if f is not None else 1.0, \
                    unit if f is not None else None
        lay.accounts.append(acc)
        if acc.status not in (MAPPED, USER_MAPPED):
            continue
        col, factor, unit, written = acc.column, acc.factor, acc.unit, acc.written
        if col.key in used:
            first = lay.columns[used[col.key]].written
            lay.problems.append({"row": hrow, "column": written, "value": written,
                                 "reason": _m(lang, f"与“{first}”是同一列，重复了", f"duplicates column “{first}”")})
            continue
        if factor is None:
            units = "、".join(contract.UNIT_FACTORS.get(col.kind, {}))
            lay.problems.append({"row": hrow, "column": written, "value": unit,
                                 "reason": _m(lang, f"单位“{unit}”无法识别，可用：{units}（也可加“万”“千”）",
                                              f"unknown unit “{unit}”; use one of {units}")})
            continue
        used[col.key] = i
        lay.columns[i] = ColumnMap(col, factor, unit, written)
    lay.ignored = [a.written for a in lay.accounts if a.status == UNKNOWN and a.written]
    for _ in range(2):
        r = lay.data_start
        if r >= len(head):
            break
        if lay.units_row is None and _units_row(lay, head[r], lang):
            lay.units_row = r
        elif lay.code_row is None and _code_row(head[r]):
            lay.code_row = r
        else:
            break
    above = [*rows, *(r for r in (lay.units_row, lay.code_row) if r is not None)]
    for i in lay.columns:
        lay.header_tokens[i] = {norm(head[r][i]) for r in above if i < len(head[r]) and _s(head[r][i])}
    return lay


def _unit_token(v: object) -> str:
    return re.sub(r"^[(\[]|[)\]]$", "", re.sub(r"^(单位|计量单位)[:：]?", "", norm(v)))


def _any_unit(token: str) -> bool:
    return any(contract.unit_factor(k, token) is not None for k in NUMERIC)


def _units_row(lay: Layout, cells: list, lang: str) -> bool:
    """A row of units under the header (头, 元, 人, —): read as the columns' units."""
    tokens = {i: _unit_token(v) for i, v in enumerate(cells) if _s(v)}
    if not tokens or any(_is_number(cells[i]) for i in tokens):
        return False
    real = [i for i, t in tokens.items() if _any_unit(t)]
    if not real or any(not (_any_unit(t) or t in PLACEHOLDERS or t in ("单位", "计量单位")) for t in tokens.values()):
        return False
    for i, t in tokens.items():
        m = lay.columns.get(i)
        if m is None or t in PLACEHOLDERS or t in ("单位", "计量单位") or m.column.kind not in NUMERIC:
            continue
        f = unit_factor(m.column, t)
        if f is None:
            lay.problems.append({"row": lay.data_start + 1, "column": m.written, "value": t,
                                 "reason": _m(lang, f"单位行写的“{t}”不是“{m.column.zh}”能用的单位",
                                              f"unit “{t}” does not fit “{m.column.en}”")})
        elif m.unit and abs((m.factor or 0) - f) > 1e-12:
            lay.problems.append({"row": lay.data_start + 1, "column": m.written, "value": t,
                                 "reason": _m(lang, f"单位行写“{t}”，与表头的单位“{m.unit}”不一致，请改成一致后再上传",
                                              f"unit row says “{t}”, the header “{m.unit}”")})
        else:
            m.factor, m.unit = f, t
    return True


def _code_row(cells: list) -> bool:
    """A row of column codes (甲 乙 丙 1 2 3 …) under the header of a statistical form."""
    tokens = [norm(v) for v in cells if _s(v)]
    tokens = [t[:-2] if t.endswith(".0") else t for t in tokens]
    if len(tokens) < 3 or not all(CODE_TOKEN.match(t) for t in tokens):
        return False
    nums = [int(t) for t in tokens if t.isdigit()]
    return all(b == a + 1 for a, b in zip(nums, nums[1:], strict=False))


# --- the body: which rows are data ------------------------------------------------------------

def _per_unique(s: pd.Series, fn) -> np.ndarray:
    """fn(text) on the distinct values only, spread back (a file has few distinct names)."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return np.zeros(len(s), dtype=bool)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(uniques):
        return np.zeros(len(s), dtype=bool)
    hit = np.array([bool(fn(u)) if isinstance(u, str) else False for u in uniques] + [False])
    return hit[np.where(codes >= 0, codes, len(uniques))]


def blank(s: pd.Series) -> np.ndarray:
    """Missing or only spaces."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.isna().to_numpy()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if not len(uniques):
        return np.ones(len(s), dtype=bool)
    b = np.array([(not str(u).strip()) if isinstance(u, str) else False for u in uniques] + [True])
    return b[np.where(codes >= 0, codes, len(uniques))]


def is_total_text(v: str) -> bool:
    return bool(TOTAL_RE.search(norm(v).rstrip(":：")))


def _is_period(v: str) -> bool:
    """A total word in the month column counts only when it is not a period (全年合计 is one)."""
    return is_total_text(v) and not is_period_text(v)


def is_footer_text(v: str) -> bool:
    return bool(FOOTER_RE.match(norm(v)))


@dataclass
class RowKinds:
    data: np.ndarray  # bool per body row
    total: np.ndarray
    subtotal: np.ndarray
    after_footer_data: np.ndarray  # data-looking rows under a footer: refused


def classify(lay: Layout, body: pd.DataFrame, rows: np.ndarray) -> RowKinds:
    """Per body row: data, total (合计/小计 …), footer (and all below), or empty (blank, only a
    序号, only formatting). Sets the layout's totals / footer / empty for the preview."""
    n = len(body)
    mapped = set(lay.columns)
    keys = lay.by_key()
    seq_cols = {i for i, h in enumerate(lay.header_cells) if norm(h) in SEQUENCE_HEADERS}
    text_cols = [i for i, m in lay.columns.items() if m.column.kind in (MONTH, TEXT, CHOICE)]
    total_cols = sorted(set(text_cols) | seq_cols | {0})
    empty = np.ones(n, dtype=bool)
    for i in mapped:
        empty &= blank(body[f"c{i}"])
    for i in range(body.shape[1]):
        if i not in mapped and i not in seq_cols:
            empty &= blank(body[f"c{i}"])
    total = np.zeros(n, dtype=bool)
    sub = np.zeros(n, dtype=bool)
    month_col = keys.get("month")
    for i in total_cols:
        if i < body.shape[1]:
            col = body[f"c{i}"]
            # 1—9月累计 in the month column is a period where a month belongs, refused as such,
            # not a total row to skip.
            total |= _per_unique(col, _is_period if i == month_col else is_total_text)
            sub |= _per_unique(col, lambda v: "小计" in norm(v))
    footer = np.zeros(n, dtype=bool)
    for i in range(body.shape[1]):
        footer |= _per_unique(body[f"c{i}"], is_footer_text)
    footer &= ~total
    after = np.zeros(n, dtype=bool)
    below_data = np.zeros(n, dtype=bool)
    if footer.any():
        first = int(np.flatnonzero(footer)[0])
        lay.footer = int(rows[first])
        after[first:] = True
        key_cols = [keys[k] for k in ("month", "cooperative", "unit") if k in keys]
        filled = np.ones(n, dtype=bool)
        for i in key_cols:
            filled &= ~blank(body[f"c{i}"])
        below_data = after & ~footer & ~total & filled
    repeated, titles = _repeated_headers(lay, body)
    repeated &= ~after
    titles &= ~after & ~repeated
    data = ~empty & ~total & ~after & ~repeated & ~titles
    lay.totals = [int(r) for r in rows[total & ~after & ~repeated]]
    lay.repeated = [int(r) for r in rows[repeated]]
    lay.page_titles = [int(r) for r in rows[titles]]
    lay.empty = int((empty & ~after).sum())
    return RowKinds(data, total & ~after & ~repeated, sub & ~after & ~repeated, below_data & ~repeated & ~titles)


PAGE_RE = re.compile(r"第\d+页|共\d+页|续表|续页|\(续\)|（续）")


def _repeated_headers(lay: Layout, body: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows repeating the header (a sheet laid out for printing repeats it on every page, with
    its units row), and the page titles above them (one cell, or 第2页 / 续表): skipped, named."""
    n = len(body)
    hits = np.zeros(n, dtype=np.int64)
    for i, tokens in lay.header_tokens.items():
        if i < body.shape[1] and tokens:
            hits += _per_unique(body[f"c{i}"], lambda v, t=tokens: norm(v) in t).astype(np.int64)
    need = max(2, (len(lay.header_tokens) + 1) // 2)
    repeated = hits >= need
    filled = np.zeros(n, dtype=np.int64)
    page = np.zeros(n, dtype=bool)
    for i in range(body.shape[1]):
        filled += (~blank(body[f"c{i}"])).astype(np.int64)
        page |= _per_unique(body[f"c{i}"], lambda v: bool(PAGE_RE.search(norm(v))))
    for j in np.flatnonzero(repeated[:-1] if n else repeated):  # its second row or units row
        k = j + 1
        while k < n and not repeated[k] and filled[k] and hits[k] == filled[k]:
            repeated[k] = True
            k += 1
    above = np.zeros(n, dtype=bool)
    above[:-1] = repeated[1:]
    titles = (above & (filled == 1)) | (page & (filled <= 2))
    return repeated, titles


def fill_merged_down(lay: Layout, sheet: Sheet, body: pd.DataFrame, start: int, lang: str) -> list[dict]:
    """A key or text cell merged down over several rows gives every covered row its value (a
    cooperative's name beside all its farms); a number merged down cannot be split: a problem."""
    problems = []
    for (r0, c0), (r1, _c1) in sheet.merged:
        if r1 <= r0 or r1 < start or c0 not in lay.columns:
            continue
        m = lay.columns[c0]
        lo, hi = max(r0, start) - start, r1 - start
        if m.column.kind in NUMERIC:
            problems.append({"row": r0 + 1, "column": m.written, "value": "",
                             "reason": _m(lang, f"第{r0 + 1}–{r1 + 1}行的这一列是合并单元格，数字无法分到各行；"
                                                "请拆开合并、每行填写",
                                          f"rows {r0 + 1}–{r1 + 1} of this column are merged; a number cannot be "
                                          "split between rows")})
            continue
        if r0 < start:
            continue
        name = f"c{c0}"
        if hi < len(body):
            body.iloc[lo + 1:hi + 1, body.columns.get_loc(name)] = body.iloc[lo, body.columns.get_loc(name)]
    return problems
