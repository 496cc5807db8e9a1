"""The work-report paragraph, written from the same KPI functions as the pages.

The seed report's sentence (全镇流转土地4500多亩，养殖小区5个，其中养殖种鸭160余棚60余万羽，
净利润600余万元，带动200多人就业，…) is rebuilt for any period, in Chinese or English,
rounded the report's way or with exact figures.

Rounding rule of the report (余/多), :func:`report_number` — one style, kept everywhere:
the figure is cut down to its leading digits and 余/多 says "and some more" (390余万元, never
近400万元, which would overstate).

1. A missing figure (None/NaN) gives None: its clause is left out, never written as 0.
2. The value is first rounded to a whole number N (the report has no fractions).
3. Keep as few leading digits of N as allowed, dropping the rest (truncate, never round up).
   Keeping k digits is allowed when what is dropped is
   a. at most 10% of N (:data:`MAX_UNDERSTATEMENT`): the report may understate, never by more
      than a tenth (3,940,000 → 390余万元, not 300余万元; 245 → 240多人, not 200多人), and
   b. at most half a unit of the last kept digit: 余 means "a little more", so a figure nearer
      the next number up keeps another digit (99 → 99, not 90余; 9,888 → 9888, not 9000余).
   If no cut is allowed the figure is written exactly. So most counts under 100 come out
   exact (27 → 27个, 99 → 99人); 21 → 20余个 and 5,420 → 5000余元 are cut.
4. If nothing non-zero was dropped the figure is exact and gets no 余/多 (100人, 10000头,
   3,900,000.14 元 → 390万元: fen do not make a 余).
5. Scale: N ≥ 1亿 (100,000,000) is written in 亿, N ≥ 100,000 in 万 (60余万羽, 600余万元);
   10,000–99,999 stay plain, like the report's "存栏生猪10000头".
6. 余/多 goes between the number and 万 (60余万羽), as the report writes it; negative values keep
   their sign (the paragraph says 亏损 instead).
7. Never a decimal with 余: a cut figure whose 万 or 亿 would need a decimal is written in whole
   units with 余/多 after them, as the report writes "4万多人": 139,344 元 → 13万余元 (not 13.9余万元;
   a figure of 10万 and more loses under 1万 by this, less than 10%), 233,484,181 → 2亿3000余万元
   (not 2.3亿余元). An exact figure keeps its decimal (139,000 → 13.9万元, 2.36亿元).

The seed report's figures come out of this rule: 165 → 160余棚, 621,363 → 60余万羽,
6,420,000 → 600余万元, 213 → 200多人, 2,530 → 2500余个, 5,420 → 5000余元, 4,520 → 4500多亩.

``exact=True`` writes the figures themselves as the office writes them and as the cards do
(:func:`analytics.fmt.thousands`: separators, a space before the unit): counts whole (618,043 羽),
money in 元 to the fen (1,234,567.89 元), per-mu in whole 元 (5,420 元), land in 亩 with one
decimal (4,520.3 亩).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import contract, figures, fmt, scope
from ..figures import compare, kpis

#: the most a report figure may understate the true one (rule 3a)
MAX_UNDERSTATEMENT = 0.10

WAN, YI = 10_000, 100_000_000


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def truncate(x: float) -> tuple[int, bool]:
    """The report's base figure of ``x`` and whether anything was dropped (rules 2–4).

    >>> truncate(621_363)
    (600000, True)
    >>> truncate(3_940_000)
    (3900000, True)
    >>> truncate(99)
    (99, False)
    """
    n = abs(int(round(x)))
    sign = -1 if x < 0 else 1
    width = len(str(n))
    for keep in range(1, width):
        step = 10 ** (width - keep)
        base = n // step * step
        dropped = n - base
        if dropped == 0:
            return sign * base, False
        if dropped <= MAX_UNDERSTATEMENT * n and 2 * dropped <= step:
            return sign * base, True
    return sign * n, False


def _scale(n: int, wan: bool) -> tuple[int, str, str]:
    """(divisor, Chinese unit, English word) for rule 3."""
    if abs(n) >= YI:
        return YI, "亿", "hundred million"
    if wan and abs(n) >= 100_000:
        return WAN, "万", "ten thousand"
    return 1, "", ""


def _mantissa(base: int, div: int) -> str:
    v = base / div
    return f"{v:.0f}" if v == int(v) else f"{v:g}"


def report_number(x: float | None, unit: str = "", *, more: str = "余", wan: bool = True) -> str | None:
    """A figure the way the report writes it: 621,363 羽 → '60余万羽'.

    ``more`` is '余' or '多' (the report uses both: 200多人, 300余人); ``wan=False`` keeps
    large numbers out of 万 (for 亩, which the report writes plainly).
    """
    if _missing(x):
        return None
    base, dropped = truncate(float(x))
    div, scale, _ = _scale(base, wan)
    m = _mantissa(base, div)
    tail = more if dropped else ""
    sign, a = ("-" if base < 0 else ""), abs(base)
    if dropped and scale == "亿" and a % YI:  # rule 7: 2亿3000余万元, never 2.3亿余元
        wan_part = a % YI // WAN
        return f"{sign}{a // YI}亿{wan_part}{more}万{unit}" if wan_part else f"{sign}{a // YI}亿{more}{unit}"
    if scale == "亿":  # 2亿余元, as usually written; 万 takes it in front (60余万羽)
        return f"{m}{scale}{tail}{unit}"
    if dropped and scale == "万" and a % WAN:  # rule 7: 13万余元, never 13.9余万元
        return f"{sign}{a // WAN}万{more}{unit}"
    return f"{m}{tail}{scale}{unit}"


def report_number_en(x: float | None, unit: str = "") -> str | None:
    """The English form of :func:`report_number`: 621,363 → 'over 600,000'."""
    if _missing(x):
        return None
    base, dropped = truncate(float(x))
    a = abs(base)
    if a >= 1_000_000:
        text = f"{a / 1_000_000:g} million"
    else:
        text = f"{a:,}"
    if base < 0:
        text = "-" + text
    unit = f" {unit}" if unit else ""
    return f"{'over ' if dropped else ''}{text}{unit}"


def exact_number(x: float | None, unit: str = "", *, kind: str = "count") -> str | None:
    """Exact forms as a report writes them, no space before the unit like the rest of the sentence
    (发展养猪户58户): count → '621,363羽'; money in 万元 to two decimals, the way statistical
    reports give it → '642.00万元', '10.24万元' (under 1万: '9,876.50元'); per_mu → '5,420元';
    land to one decimal, a whole number without it → '4,720.3亩', '4,212亩'. None where the figure
    is missing (rule 1)."""
    if _missing(x):
        return None
    if kind == "money":
        return f"{fmt.thousands(x / WAN, 2)}万元" if abs(x) >= WAN else f"{fmt.thousands(x, 2)}元"
    if kind == "land":
        return f"{fmt.number(x, 1)}{unit}"
    return f"{fmt.thousands(x, 0)}{unit}"


def exact_number_en(x: float | None, unit: str = "", *, kind: str = "count") -> str | None:
    if _missing(x):
        return None
    if kind == "money":
        return f"{x:,.0f} yuan"
    text = f"{x:,.1f}" if kind == "land" else f"{int(round(x)):,}"
    return f"{text} {unit}".rstrip()


# --- 口径: what each figure of the paragraph, the page and the deck means ------------------------

#: key → (name, Chinese definition, English definition); DESIGN.md §5 in words
DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "units": ("单元数", "期间内至少上报过一个月的棚舍、养殖户或大棚地块数",
              "sheds, farms or plots with at least one monthly report in the period"),
    "stock": ("存栏", "各单元期间内最后一次上报的存栏之和，不按月累加",
              "per unit the last reported stock in the period, summed over units; never summed over months"),
    "profit": ("利润", "销售收入减成本，期间内各月相加",
               "revenue minus cost, summed over the months of the period"),
    "jobs": ("带动就业", "各单元期间内月用工人数的最高值之和",
             "per unit the peak monthly workforce in the period, summed over units"),
    "profit_per_mu": ("亩均效益", "大棚利润 ÷ 种植面积（每个地块取期间内最大面积）",
                      "greenhouse profit ÷ area (each plot's largest area in the period)"),
    "land": ("流转土地", "有上报单元的占地之和：大棚按种植面积，种鸭、生猪按填报的占地",
             "land of reporting units: greenhouse area plus the land of duck sheds and hog farms"),
    "zones": ("养殖小区", "有种鸭或生猪上报的养殖小区个数",
              "breeding zones with duck or hog reports"),
    "yoy": ("同比", "与上年相同月份比较，按两期都上报的单元计算（流量按同样月份累加，存栏取各期期末）；"
                    "年度未过完时按有数据的1—N月对比上年1—N月；上年无数据或为亏损时不列",
            "against the same months a year earlier, over the units that reported in both periods (flows "
            "over the same months, stock at each period's end); a year in progress as 1—N against 1—N; "
            "left out without a positive base"),
    "mom": ("环比", "本月与上月比较，同样只计两个月都上报的单元；未上报的板块写“未报”，不算作0或−100%",
            "a month against the month before, over the units that reported in both; a sector that has "
            "not reported shows 'not reported', never 0 or −100 %"),
    "rounding": ("余/多", "报告表述截取前几位数字，不向上取整；少报不超过10%，舍去部分不超过末位的一半，"
                         "否则多留一位（160余棚、60余万羽、600余万元、390余万元）",
                 "leading digits kept, never rounded up: at most 10% under and at most half a unit of "
                 "the last digit kept dropped, else one digit more"),
}


#: the English names of DEFINITIONS' keys
DEFINITION_NAMES_EN = {"units": "Units", "stock": "Stock", "profit": "Profit", "jobs": "Jobs",
                       "profit_per_mu": "Profit per mu", "land": "Land", "zones": "Breeding zones",
                       "yoy": "Year on year", "mom": "Month on month", "rounding": "Report figures"}


# --- the facts one paragraph (and one deck) is written from ---------------------------------

@dataclass(frozen=True)
class Facts:
    """Everything the paragraph says, fetched once through the KPI functions."""

    period: scope.Period
    kpis: dict
    previous: dict | None  # park_kpis of the same months a year earlier (None: 同比 from ``comparison``)
    land_mu: float
    zones: int
    gh_types: dict[str, int]
    # figures.compare.comparisons of the period: 同比 over the units in both periods
    comparison: dict | None = None
    coverage: dict | None = None  # figures.compare.coverage of the compared period's last month
    # One-month periods only: per sector the units expected that month (reported + not yet,
    # completeness.month_completeness: those that reported it or the month before) — the park's
    # size, which the month's reports alone understate while some are missing.
    expected: dict[str, int] | None = None


Call = Callable[..., Any]


def gather(call: Call, period: scope.Period) -> Facts:
    """Fetch the facts through ``call(fn_name, *args)`` — ``ui.cache.q`` in the app.

    The pages pass their cached ``q``; the CLI and the deck use :func:`gather_from_cursor`.
    Both end in the same ``analytics.figures.kpis`` functions.
    """
    # 同比 comes from the comparison over the units in both periods, so the whole previous year's
    # KPIs are not fetched (``previous`` is for callers that have no comparison); and the period's
    # KPIs are asked as park_kpis, the question the 本月 view and the pages ask: one cache key.
    k, prev = call("park_kpis", period), None
    # Land is in the KPI JSON (total.land_mu): not computed a second time.
    comp = call("comparisons", period)
    last = scope.Period(comp["period"].end, comp["period"].end)
    expected = None
    if period.is_month:
        expected = {}
        every = call("park_completeness", period)
        for s in contract.SECTOR_KEYS:
            done = every[s]
            row = done.iloc[-1] if len(done) and done.iloc[-1]["month"] == period.label_to else None
            expected[s] = int(row["reported"]) + int(row["missing"]) if row is not None else k[s]["units"]
    return Facts(period, k, prev, k["total"]["land_mu"], call("zones_count", period),
                 call("greenhouse_type_counts", period), comp, call("coverage", last), expected)


def missing_units(facts: Facts, sector: str) -> int:
    """Units of ``sector`` expected in a one-month period that have not reported it (0 otherwise)."""
    if facts.expected is None:
        return 0
    return max(facts.expected.get(sector, 0) - facts.kpis[sector]["units"], 0)


def kpi_caller(cur: scope.Cursor) -> Call:
    """``call(fn_name, *args)`` over a cursor: the non-Streamlit twin of ``ui.cache.q``."""
    return lambda fn_name, *args: getattr(figures, fn_name)(cur, *args)


def gather_from_cursor(cur: scope.Cursor, period: scope.Period) -> Facts:
    return gather(kpi_caller(cur), period)


def yoy(facts: Facts, sector: str, key: str) -> float | None:
    """Year-on-year change of one figure, None where the previous period has no data.

    ``sector`` is a sector key or ``'total'`` (the park's revenue, cost, profit, jobs).

    Only between two positive figures: a percentage between a loss and a profit (or two
    losses) reads backwards in a report sentence, so the paragraph leaves it out.
    """
    if facts.comparison is not None:
        # on a comparable basis: the units that reported in both periods (figures.compare)
        c = facts.comparison[sector]["yoy"]
        now, before = c["now"].get(key), c["base"].get(key)
        if _missing(now) or _missing(before) or now <= 0 or before <= 0:
            return None
        return kpis.yoy(now, before)
    if facts.previous is None or (sector != "total" and not facts.previous[sector].get("units")):
        return None
    now, before = facts.kpis[sector].get(key), facts.previous[sector].get(key)
    if _missing(now) or _missing(before) or now <= 0 or before <= 0:
        return None
    return kpis.yoy(now, before)


def _yoy_zh(change: float | None) -> str:
    if change is None:
        return ""
    if abs(change) < 0.0005:
        return "（与上年同期持平）"
    word = "增长" if change > 0 else "下降"
    return f"（同比{word}{abs(change) * 100:.1f}%）"


def _yoy_en(change: float | None) -> str:
    if change is None:
        return ""
    if abs(change) < 0.0005:
        return " (flat year on year)"
    return f" ({'up' if change > 0 else 'down'} {abs(change) * 100:.1f}% year on year)"


# --- the paragraph -------------------------------------------------------------------------

CROPS_EN = {"无籽西瓜": "seedless watermelon", "山药": "Chinese yam", "药材": "medicinal herbs",
            "辣椒": "chili"}


def _crops(facts: Facts) -> list[str]:
    by_crop = facts.kpis["greenhouse"].get("by_crop") or {}
    return sorted(by_crop, key=lambda c: -(by_crop[c].get("area_mu") or 0))[:4]


def _zh(facts: Facts, exact: bool) -> str:
    def n(x, unit="", *, more="余", kind="count", wan=True):
        if exact:
            return exact_number(x, unit, kind=kind)
        return report_number(x, unit, more=more, wan=wan)

    def profit(word: str, x: float) -> str:
        if x < 0:
            return f"亏损{n(-x, '元', kind='money')}"
        return f"{word}{n(x, '元', kind='money')}"

    k = facts.kpis
    # A month some units have not reported yet: the park's size in units is the units expected
    # (reported or not), and what comes from the reports alone is said to be of those reported.
    partial = any(missing_units(facts, s) for s in contract.SECTOR_KEYS)
    head: list[str] = []
    if facts.land_mu:
        land = n(facts.land_mu, "亩", more="多", kind="land", wan=False)
        head.append(f"本月已报单元流转土地{land}" if partial else f"全镇流转土地{land}")
    if facts.zones:
        head.append(f"养殖小区{facts.zones}个")
    parts: list[str] = []
    d = k["duck"]
    if d["units"] and missing_units(facts, "duck"):
        parts.append(f"养殖种鸭{n(facts.expected['duck'], '棚')}，本月已报{n(d['units'], '棚')}{n(d['stock'], '羽')}")
    elif d["units"]:
        parts.append(f"养殖种鸭{n(d['units'], '棚')}{n(d['stock'], '羽')}")
    if d["units"]:
        parts.append(profit("净利润", d["profit"]) + _yoy_zh(yoy(facts, "duck", "profit")))
        if d["jobs"]:
            parts.append(f"带动{n(d['jobs'], '人', more='多')}就业")
    h = k["hog"]
    if h["units"]:
        if missing_units(facts, "hog"):
            parts.append(f"发展养猪户{facts.expected['hog']}户，本月已报{h['units']}户")
        else:
            parts.append(f"发展养猪户{h['units']}户")
        parts.append(f"存栏生猪{n(h['stock'], '头')}")
        parts.append(profit("利润", h["profit"]) + _yoy_zh(yoy(facts, "hog", "profit")))
        if h["jobs"]:
            parts.append(f"带动{n(h['jobs'], '人', more='多')}就业")
    g = k["greenhouse"]
    if g["units"]:
        types = [f"{name}{n(facts.gh_types[t], '个')}"
                 for t, name in (("温室", "温室大棚"), ("塑料大棚", "塑料大棚")) if facts.gh_types.get(t)]
        if types and missing_units(facts, "greenhouse"):
            parts.append(f"发展大棚{n(facts.expected['greenhouse'], '个')}，本月已报" + "、".join(types))
        elif types:
            parts.append("发展" + "、".join(types))
        crops = _crops(facts)
        if crops:
            parts.append(f"主要种植{'、'.join(crops)}等高效农业")
        if g["profit_per_mu"] is not None:
            ppm = g["profit_per_mu"]
            word = "亩均效益" if ppm >= 0 else "亩均亏损"
            parts.append(f"{word}{n(abs(ppm), '元', kind='per_mu')}"
                         + _yoy_zh(yoy(facts, "greenhouse", "profit_per_mu")))
        if g["jobs"]:
            parts.append(f"带动{n(g['jobs'], '人')}就业")
    if not head and not parts:
        return f"{facts.period.label('zh')}，所选期间暂无上报数据。"
    text = "，".join(head)
    if parts:
        text += ("，其中" if head else "") + "，".join(parts)
    return f"{facts.period.label('zh')}，{text}。"


def _en(facts: Facts, exact: bool) -> str:
    def n(x, unit="", *, kind="count"):
        if exact:
            return exact_number_en(x, unit, kind=kind)
        return report_number_en(x, unit)

    def money(x: float) -> str:
        return exact_number_en(x, kind="money") if exact else report_number_en(x, "yuan")

    k = facts.kpis
    partial = any(missing_units(facts, s) for s in contract.SECTOR_KEYS)
    sentences: list[str] = []
    head = []
    if facts.land_mu:
        land = n(facts.land_mu, "mu", kind="land")
        head.append(f"the units reported this month hold {land} of transferred land" if partial
                    else f"the park holds {land} of transferred land")
    if facts.zones:
        head.append(f"{facts.zones} breeding zones")
    if head:
        sentences.append(" in ".join(head) if len(head) == 1 else f"{head[0]} and {head[1]}")
    d = k["duck"]
    if d["units"]:
        sheds = n(d["units"], "sheds")
        if missing_units(facts, "duck"):
            sheds = f"{n(facts.expected['duck'], 'sheds')}, {n(d['units'], '')} reported this month"
        s = (f"breeder ducks: {sheds} with {n(d['stock'], 'birds')}, "
             f"net {'loss' if d['profit'] < 0 else 'profit'} of {money(abs(d['profit']))}"
             + _yoy_en(yoy(facts, "duck", "profit")))
        if d["jobs"]:
            s += f", employing {n(d['jobs'], 'people')}"
        sentences.append(s)
    h = k["hog"]
    if h["units"]:
        farms = f"{h['units']} farms"
        if missing_units(facts, "hog"):
            farms = f"{facts.expected['hog']} farms, {h['units']} reported this month"
        s = (f"hogs: {farms} with {n(h['stock'], 'head')} in stock, "
             f"{'loss' if h['profit'] < 0 else 'profit'} of {money(abs(h['profit']))}"
             + _yoy_en(yoy(facts, "hog", "profit")))
        if h["jobs"]:
            s += f", employing {n(h['jobs'], 'people')}"
        sentences.append(s)
    g = k["greenhouse"]
    if g["units"]:
        types = [f"{n(facts.gh_types[t], name)}"
                 for t, name in (("温室", "greenhouses"), ("塑料大棚", "plastic tunnels"))
                 if facts.gh_types.get(t)]
        s = "protected crops: " + (" and ".join(types) if types else f"{g['units']} plots")
        if missing_units(facts, "greenhouse"):
            s = (f"protected crops: {n(facts.expected['greenhouse'], 'plots')}, reported this month "
                 + (" and ".join(types) if types else f"{g['units']} plots"))
        crops = _crops(facts)
        if crops:
            s += f" growing {', '.join(CROPS_EN.get(c, c) for c in crops)}"
        if g["profit_per_mu"] is not None:
            s += (f", profit per mu of {n(g['profit_per_mu'], 'yuan', kind='per_mu')}"
                  + _yoy_en(yoy(facts, "greenhouse", "profit_per_mu")))
        if g["jobs"]:
            s += f", employing {n(g['jobs'], 'people')}"
        sentences.append(s)
    label = facts.period.label("en")
    if not sentences:
        return f"{label}: no reports for the chosen period."
    body = "; ".join(sentences)
    return f"In {label}, {body}."


def incomplete(facts: Facts) -> bool:
    """Whether the period's figures may still grow: it reaches past the latest month with data
    (a year in progress), or it ends with the latest month and that month is not yet reported
    by every unit expected (a past month's gaps are final, not pending)."""
    if facts.coverage is None or facts.comparison is None:
        return False
    shown = facts.comparison["period"]
    return shown != facts.period or (facts.comparison["latest"] == shown.label_to
                                     and facts.coverage["reported"] < facts.coverage["expected"])


def compose(facts: Facts, *, lang: str = "zh", exact: bool = False) -> str:
    """The paragraph for already gathered facts; when the period is incomplete it says how
    complete it is and on which basis 同比 is computed (issue 19.7), not a bare 同比."""
    text = _en(facts, exact) if lang == "en" else _zh(facts, exact)
    if incomplete(facts):
        line = compare.coverage_text(facts.period, facts.coverage, lang, compared=facts.comparison["period"])
        text += f"（{line}。）" if lang == "zh" else f" ({line}.)"
    return text


def paragraph(cur: scope.Cursor, period: scope.Period, *, lang: str = "zh", exact: bool = False) -> str:
    """The report paragraph for a period, e.g. '2022年，全镇流转土地4700多亩，养殖小区5个，…'."""
    return compose(gather_from_cursor(cur, period), lang=lang, exact=exact)
