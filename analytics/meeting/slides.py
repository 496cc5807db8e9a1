"""The meeting deck as data: what each 汇报 view and each PPTX slide shows.

One :class:`Deck` per (period, language, 精确/概数 choice) is built from the KPI functions by
:func:`build`; the 汇报 page draws its slides as HTML views (:func:`to_html`) and
:func:`analytics.meeting.export.build_deck` draws the same slides into PowerPoint, in the same boxes
(:data:`analytics.meeting.theme.BOXES`), so a view and its slide show the same figures in the same
places. Every figure comes from :func:`narrative.gather` and the chart queries, each asked
once, through the caller's ``call`` — the pages' cached ``ui.cache.q`` in the app.

Slides: title, agenda, 总体情况, 本月情况, 种鸭, 生猪, 大棚, 目标, 亩均对比, 存在问题, 工作报告表述, 口径. Each topic
slide has at most three headline figures above one chart at the full content width; every
slide but the title carries its page number and the stamp line (period · 数据截至 · 来源 ·
示例数据 where demo · the 口径 of its figures); the title slide carries 数据截至 and 来源 itself.

One piece: the deck's description, view by view, read by both the 汇报 page and the PPTX builder.
"""

from __future__ import annotations

import base64
import html
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .. import contract, fmt, scope, settings
from ..figures import annual_targets, compare
from . import charts, narrative, theme
from .theme import BOXES, Box

TOWNSHIP = "济阳镇"
TOWNSHIP_EN = "Jiyang"
#: English names of towns the README and demo use (any other keeps its Chinese name in English)
TOWN_NAMES_EN = {TOWNSHIP: TOWNSHIP_EN}


def real_towns(towns: list[str] | tuple[str, ...]) -> list[str]:
    """:func:`lists.towns` without 未分配乡镇 (cooperatives not yet given a town are not a town)."""
    return [x for x in towns if x != scope.UNASSIGNED_TOWN]


def place_name(towns: list[str] | tuple[str, ...], lang: str = "zh") -> str:
    """Whose material it is: the store's one town ('济阳镇'), or '3个乡镇' for a county store.

    ``towns`` is :func:`lists.towns`; cooperatives not yet given a town do not count as one.
    With no town registered, the ``PARK_TOWN`` setting names it.
    """
    real = real_towns(towns) or [settings.get("PARK_TOWN")]
    if len(real) == 1:
        return real[0] if lang == "zh" else TOWN_NAMES_EN.get(real[0], real[0])
    return f"{len(real)}个乡镇" if lang == "zh" else f"{len(real)} towns"

Call = Callable[..., Any]
#: ``make(builder_name, *args, **kwargs)`` → a Plotly figure of :mod:`charts` (read-only to the deck)
Make = Callable[..., Any]


def make_chart(builder: str, *args: Any, **kwargs: Any) -> Any:
    """``charts.<builder>(*args, **kwargs)``: a new figure each call (the CLI and the tests); the 汇报
    page passes ``ui.display.chart``'s shared figures instead, built once per process."""
    return getattr(charts, builder)(*args, **kwargs)


# --- labels shared by views, deck and PNG stamps --------------------------------------------------

def source_label(demo: bool, lang: str = "zh") -> str:
    if demo:
        return "示例数据（演示程序生成，非真实统计）" if lang == "zh" else "DEMO DATA (generated, not real statistics)"
    return "各合作社上报的月度报表" if lang == "zh" else "monthly reports uploaded by the cooperatives"


def as_of_label(as_of: dict, lang: str = "zh", *, upload: bool = True) -> str:
    """'数据截至 2023年12月（最近上传 2024-01-05 10:12）' from lists.data_as_of."""
    m, up = as_of.get("latest_month"), as_of.get("last_upload") if upload else None
    if lang == "zh":
        text = f"数据截至 {int(m[:4])}年{int(m[5:])}月" if m else "数据截至 —（尚无数据）"
        return text + (f"（最近上传 {up}）" if up else "")
    text = f"Data as of {m}" if m else "Data as of — (no data yet)"
    return text + (f" (last upload {up})" if up else "")


def as_of_within(as_of: dict, period: scope.Period) -> dict:
    """``as_of`` (lists.data_as_of) for what a chart or slide of ``period`` shows: its
    ``latest_month`` no later than the period's last month. A 2022 chart's 数据截至 is 2022年12月,
    not the store's latest month, which that chart does not show."""
    latest = as_of.get("latest_month")
    if latest and latest > period.label_to:
        return {**as_of, "latest_month": period.label_to}
    return as_of


#: 口径 in a few words, for the stamp line (the full text is on the 口径 slide)
SHORT_DEFINITIONS: dict[str, tuple[str, str]] = {
    "units": ("单元数：期内有上报的棚舍、户、地块", "units: those that reported"),
    "stock": ("存栏：各单元期内最后一次上报之和", "stock: last report per unit"),
    "profit": ("利润＝销售收入－成本", "profit = revenue − cost"),
    "jobs": ("就业：各单元月用工峰值之和", "jobs: peak month per unit"),
    "profit_per_mu": ("亩均效益＝利润÷面积", "per mu = profit ÷ area"),
    "land": ("土地：大棚面积＋养殖占地", "land: greenhouses + livestock land"),
    "yoy": ("同比：与上年同期比，两期都上报的单元", "YoY: same months a year earlier, units in both"),
    "mom": ("环比：与上月比，两月都上报的单元", "MoM: the month before, units in both"),
    "targets": ("目标：管理员设定的年度目标", "targets: set by the admin"),
    "rounding": ("余/多：少报不超过10%", "'over': at most 10% under"),
    "exact": ("精确数字：未取整", "exact figures, not rounded"),
}


# --- the model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Headline:
    """One headline figure: label above, value, and a note below (同比, or what it covers)."""

    label: str
    value: str
    note: str = ""
    trend: int = 0  # +1 a rise, -1 a fall (colours the note), 0 neutral


@dataclass(frozen=True)
class Slide:
    key: str
    title: str
    number: int
    figures: tuple[Headline, ...] = ()
    chart: str | None = None        # key into Deck.charts
    chart_note: str = ""            # shown in the chart's place when there is no chart
    body: tuple[str, ...] = ()      # text slides: paragraphs or list lines
    stamp_keys: tuple[str, ...] = ()
    note: str = ""                  # under the title: the month shown is incomplete (month_note)

    @property
    def is_content(self) -> bool:
        return self.key != "cover"

    @property
    def chart_box(self) -> Box:
        return BOXES["chart"] if self.figures else BOXES["chart_tall"]


@dataclass(frozen=True)
class Deck:
    lang: str
    period: scope.Period
    demo: bool
    exact: bool
    today: date
    as_of: dict
    slides: tuple[Slide, ...]
    charts: dict[str, Any] = field(default_factory=dict)       # slide key → plotly Figure
    chart_names: dict[str, str] = field(default_factory=dict)  # slide key → file topic
    place: str = TOWNSHIP  # place_name(): the town, or '3个乡镇'
    pending: bool = False  # 含待审核数据: figures include submissions awaiting review (said in the stamp)

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    @property
    def period_label(self) -> str:
        return self.period.label(self.lang)

    @property
    def kicker(self) -> str:
        return f"{self.place} · {self.period_label}"

    def stamp(self, slide: Slide) -> tuple[str, str]:
        """The stamp line of a slide, in two lines: where the figures come from, and their 口径."""
        zh = self.lang == "zh"
        head = " ｜ ".join([self.period_label, as_of_label(self.as_of, self.lang),
                            f"{self.t('来源', 'Source')}{'：' if zh else ': '}{source_label(self.demo, self.lang)}"]
                           + ([self.t("含待审核数据", "incl. pending submissions")] if self.pending else []))
        keys = [k for k in slide.stamp_keys if k in SHORT_DEFINITIONS]
        defs = ("；" if zh else "; ").join(SHORT_DEFINITIONS[k][0 if zh else 1] for k in keys)
        where = self.number_of("definitions")
        more = ""
        if where and where != slide.number:
            more = self.t(f"（全部口径见第{where}页）", f" (all: page {where})")
        if not defs:
            return head, more.strip(" ()（）")
        return head, f"{self.t('口径', 'Definitions')}{'：' if zh else ': '}{defs}{more}"

    def number_of(self, key: str) -> int | None:
        return next((s.number for s in self.slides if s.key == key), None)

    def page_label(self, slide: Slide) -> str:
        return f"{slide.number} / {len(self.slides)}"


# --- building the deck from the KPI functions -------------------------------------------------------

TOPICS: dict[str, tuple[str, str]] = {
    "cover": ("园区生产情况汇报", "Park production report"),
    "agenda": ("目录", "Contents"),
    "overview": ("总体情况", "Overview"),
    "month": ("本月情况", "This month"),
    "duck": ("种鸭养殖", "Breeder ducks"),
    "hog": ("生猪养殖", "Hogs"),
    "greenhouse": ("大棚种植", "Greenhouses"),
    "targets": ("年度目标完成情况", "Progress against the year's targets"),
    "per_mu": ("亩均效益对比", "Profit per mu of land"),
    "problems": ("存在问题", "Issues"),
    "paragraph": ("工作报告表述", "Report paragraph"),
    "definitions": ("口径与数据来源", "Definitions and sources"),
}
ORDER = tuple(TOPICS)

#: file topics of the charts (PNG names: <主题>_<期间>_<数据截至>.png)
CHART_NAMES: dict[str, tuple[str, str]] = {
    "overview": ("各板块月度利润", "monthly-profit-by-sector"),
    "month": ("本月环比同比", "this-month-mom-yoy"),
    "duck": ("种鸭月度收支", "ducks-monthly-money"),
    "hog": ("生猪月度收支", "hogs-monthly-money"),
    "greenhouse": ("大棚各作物亩均效益", "greenhouses-per-mu-by-crop"),
    "targets": ("年度目标完成进度", "targets-progress"),
    "per_mu": ("各板块亩均对比", "per-mu-by-sector"),
}


def _yoy_note(change: float | None, lang: str, measure: str = "profit") -> tuple[str, int]:
    """The 同比 note of a headline and its colour: +1 good news, -1 bad (compare.UP_IS_GOOD)."""
    if change is None:
        return "", 0
    label = "同比 " if lang == "zh" else "YoY "
    good = compare.is_good(measure, change)
    return label + fmt.pct(change), (0 if good is None else 1 if good else -1)


def _this_month(period: scope.Period, landing: str | None, latest: str | None) -> str | None:
    """The month of the 本月情况 view, 'YYYY-MM': the dashboard's landing month when the deck's
    period holds it, else the period's last month with data (a 2022 deck speaks of 2022年12月,
    never of the store's latest month); None when the period has no data."""
    if not landing or not latest:
        return None
    last = min(period.label_to, latest)
    if last < period.label_from:
        return None
    return landing if period.label_from <= landing <= last else last


def _month_note(comp: dict, sector: str, measure: str, lang: str) -> tuple[str, int]:
    """环比 and 同比 of one measure on a comparable basis, coloured by the 环比's good or bad."""
    parts, trend = [], 0
    for basis, zh, en in (("mom", "环比", "MoM"), ("yoy", "同比", "YoY")):
        c = comp[sector][basis]
        change = c["change"][measure] if c else None
        turned = c.get("turn", {}).get(measure) if c and change is None else None
        # A loss on either side: the words the 本月 chart beside it gives (compare.TURNS), not "—".
        said = compare.turn_text(turned, lang) if turned else fmt.pct(change)
        parts.append(f"{zh if lang == 'zh' else en} {said}")
        if basis == "mom":
            good = compare.is_good(measure, change) if not turned else compare.TURNS[turned][2]
            trend = 0 if good is None else 1 if good else -1
    return " · ".join(parts), trend


def month_note(month: date, reported: int, expected: int, lang: str = "zh", *, one_month: bool = True,
               short: bool = False, unit: str = "个单元") -> str:
    """The note under a slide's title when the month it shows is incomplete (issue 19.8), e.g.
    "12月 2613/2875 个单元已报；未报单元不计入" (``unit``: 户 or 棚 for one sector); '' when every
    expected unit has reported.

    ``reported``/``expected`` are as :func:`figures.compare.coverage` (expected: the units that
    reported in the month or the month before). ``one_month``: the slide shows that month alone;
    over longer periods only that month's figures of the missing units are absent (their stock
    stays at their last report). ``short`` names the month without its year ("12月").
    """
    if expected <= reported:
        return ""
    if lang == "zh":
        label = f"{month.month}月" if short else f"{month.year}年{month.month}月"
        rest = "未报单元不计入" if one_month else "未报单元该月数字不计入"
        return f"{label} {reported}/{expected} {unit}已报；{rest}"
    label = month.strftime("%b") if short else month.strftime("%b %Y")
    rest = "units not reported are not counted" if one_month else "the others not counted that month"
    return f"{label}: {reported:,} of {expected:,} units reported; {rest}"


def _sector_note(done: pd.DataFrame | None, month: date, missing: bool, lang: str, short: bool,
                 one_month: bool, unit: str = "个单元") -> str:
    """:func:`month_note` of one sector from its ``month_completeness`` (reported, and expected =
    reported + missing, the coverage's count), or "生猪 12月未报" when the sector sent nothing."""
    if missing:
        label = f"{month.month}月" if short else f"{month.year}年{month.month}月"
        return (f"{label} 尚未上报；未报单元不计入" if lang == "zh"
                else f"{month.strftime('%b' if short else '%b %Y')}: not reported yet; not counted")
    if done is None or done.empty or done.iloc[-1]["month"] != f"{month:%Y-%m}":
        return ""
    last = done.iloc[-1]
    return month_note(month, int(last["reported"]), int(last["reported"]) + int(last["missing"]), lang,
                      one_month=one_month, short=short, unit=unit)


def build(call: Call, period: scope.Period, *, lang: str = "zh", demo: bool = False, exact: bool = False,
          today: date | None = None, pending: bool = False, make: Make = make_chart) -> Deck:
    """The deck for ``period``: slides, headline figures and chart figures.

    ``call(fn_name, *args)`` reaches ``analytics.figures.kpis`` — ``ui.cache.q`` on a page,
    :func:`narrative.kpi_caller` elsewhere; each (function, arguments) is asked once.
    ``exact`` writes the paragraph with exact figures instead of 余/多 (the page's choice);
    ``pending`` (the page's 含待审核数据) puts that in every stamp line. ``make`` builds the
    charts (:func:`make_chart`; the page's shared cache): the deck never changes a chart it gets.
    """
    zh = lang == "zh"

    def t(a: str, b: str) -> str:
        return a if zh else b

    facts = narrative.gather(call, period)
    k = facts.kpis
    g, tot = k["greenhouse"], k["total"]
    today = today or date.today()
    as_of = call("data_as_of")
    figs: dict[str, Any] = {}
    slides: list[Slide] = []
    towns = call("towns")
    place = place_name(towns, lang)
    several = len(real_towns(towns)) > 1
    whole_zh, whole_en = (f"全部{place}", f"all {place}") if several else ("全镇", "the whole township")

    def add(key: str, **kw: Any) -> None:
        slides.append(Slide(key, t(*TOPICS[key]), len(slides) + 1, **kw))

    def n(x: float, zh_unit: str, en_unit: str) -> str:
        return fmt.count(x, zh_unit, en_unit, lang)

    no_data = t("所选期间没有该板块的上报数据。", "No reports for this sector in the period.")
    no_reports = t("所选期间没有上报数据。", "No reports in the period.")

    add("cover")
    add("agenda")

    # 总体情况: the park's totals and monthly profit by sector
    note, trend = _yoy_note(narrative.yoy(facts, "total", "profit"), lang)
    jobs_note, jobs_trend = _yoy_note(narrative.yoy(facts, "total", "jobs"), lang)
    land_note = t(f"养殖小区 {facts.zones} 个", f"{facts.zones} breeding zones")
    monthly_total = call("monthly_total", period)
    # An incomplete latest month is drawn apart with its note, as on the pages (issue 9.3).
    done = call("park_completeness", period)
    # The period's last month with data, when incomplete, is said under the titles (issue 19.8):
    # park-wide from its coverage, a sector's from its completeness.
    cov_last, shown = facts.coverage, (facts.comparison or {}).get("period")
    last_month = shown.end if shown is not None else None
    short = period.start.year == period.end.year
    park_note = sector_notes = None
    if cov_last is not None and last_month is not None:
        park_note = month_note(last_month, cov_last["reported"], cov_last["expected"], lang,
                               one_month=period.is_month, short=short)
        sector_notes = {s: _sector_note(done[s], last_month, s in cov_last["sectors_missing"], lang, short,
                                        period.is_month, contract.sector(s).unit_zh) for s in contract.SECTOR_KEYS}
    park_note = park_note or ""
    sector_notes = sector_notes or dict.fromkeys(contract.SECTOR_KEYS, "")
    if not monthly_total.empty:
        figs["overview"] = make("sector_profit_trend", monthly_total, lang, completeness=done)
    add("overview", figures=(
        Headline(t("总利润", "Total profit"), fmt.money(tot["profit"], lang), note, trend),
        Headline(t("带动就业", "Jobs"), n(tot["jobs"], "人", " people"), jobs_note, jobs_trend),
        Headline(t("流转土地", "Land"), f"{fmt.thousands(facts.land_mu, 0)} {t('亩', 'mu')}", land_note)),
        chart="overview" if "overview" in figs else None, chart_note=no_reports,
        stamp_keys=("profit", "jobs", "land", "yoy"), note=park_note)

    # 本月: the landing month against the month before and the same month a year earlier, over the
    # units that reported in both, with its coverage (issue 19.7)
    landing = _this_month(period, call("landing_month"), as_of.get("latest_month"))
    if landing:
        month = scope.Period.months(landing, landing)
        mk, comp = call("park_kpis", month), call("comparisons", month)
        cov = call("coverage", month)
        heads = tuple(Headline(label, fmt.money(mk["total"][key], lang), *_month_note(comp, "total", key, lang))
                      for key, label in (("revenue", t("本月销售收入", "Revenue this month")),
                                         ("cost", t("本月成本", "Cost this month")),
                                         ("profit", t("本月利润", "Profit this month"))))
        figs["month"] = make("month_compare", charts.month_rows(comp), landing, lang,
                             note=compare.coverage_text(month, cov, lang))
        add("month", figures=heads, chart="month", chart_note=compare.coverage_text(month, cov, lang),
            stamp_keys=("mom", "yoy"), note=month_note(month.start, cov["reported"], cov["expected"], lang))

    # one slide per sector
    for sector in ("duck", "hog"):
        b = k[sector]
        m = call("monthly", sector, period)
        if not m.empty:
            name = fmt.sector_name(sector, lang)
            figs[sector] = make("money_trend", m, t(f"{name}月度收入、成本与利润（万元）",
                                                    f"{name}: monthly revenue, cost and profit (10k yuan)"), lang,
                                sector=sector, completeness=done[sector])
        unit_zh, unit_en = fmt.STOCK_UNIT[sector]
        note, trend = _yoy_note(narrative.yoy(facts, sector, "profit"), lang)
        if sector == "duck":
            heads = (Headline(t("种鸭存栏", "Duck stock"), n(b["stock"], unit_zh, unit_en),
                              t(f"种鸭棚 {b['units']:,} 个", f"{b['units']:,} sheds")),
                     Headline(t("净利润", "Net profit"), fmt.money(b["profit"], lang), note, trend),
                     Headline(t("带动就业", "Jobs"), n(b["jobs"], "人", " people")))
            keys = ("stock", "profit", "jobs", "yoy")
        else:
            heads = (Headline(t("生猪存栏", "Hog stock"), n(b["stock"], unit_zh, unit_en),
                              t(f"养猪户 {b['units']:,} 户 · 能繁母猪 {b['sows']:,} 头",
                                f"{b['units']:,} farms · {b['sows']:,} sows")),
                     Headline(t("出栏", "Marketed"), n(b["sold_head"], "头", " head")),
                     Headline(t("利润", "Profit"), fmt.money(b["profit"], lang), note, trend))
            keys = ("stock", "profit", "yoy")
        add(sector, figures=heads if b["units"] else (), chart=sector if sector in figs else None,
            chart_note=no_data, stamp_keys=keys, note=sector_notes[sector] if b["units"] else "")

    crops = call("per_mu_by", "crop", period)
    if not crops.empty:
        figs["greenhouse"] = make("per_mu_grouped", crops, t("各作物亩均产值与亩均效益（元/亩）",
                                                            "Output value and profit per mu by crop (yuan/mu)"), lang)
    note, trend = _yoy_note(narrative.yoy(facts, "greenhouse", "profit_per_mu"), lang)
    types = facts.gh_types
    area_note = t(f"温室 {types.get('温室', 0):,} 个 · 塑料大棚 {types.get('塑料大棚', 0):,} 个",
                  f"{types.get('温室', 0):,} greenhouses · {types.get('塑料大棚', 0):,} tunnels")
    add("greenhouse", figures=(
        Headline(t("种植面积", "Area"), f"{fmt.thousands(g['area_mu'], 0)} {t('亩', 'mu')}", area_note),
        Headline(t("亩均效益", "Profit per mu"), fmt.per_mu(g["profit_per_mu"], lang), note, trend),
        Headline(t("带动就业", "Jobs"), n(g["jobs"], "人", " people"))) if g["units"] else (),
        chart="greenhouse" if "greenhouse" in figs else None, chart_note=no_data,
        stamp_keys=("profit_per_mu", "jobs", "yoy"), note=sector_notes["greenhouse"] if g["units"] else "")

    # targets: the year's targets against the same KPI JSON as every other slide
    heads: tuple[Headline, ...] = ()
    target_note = ""
    if not period.is_full_year:
        target_note = t("年度目标按全年设定；所选期间不是整年，不作比较。",
                        "Targets are set per year; the chosen period is not a whole year.")
    else:
        year = period.start.year
        prog = annual_targets.progress(call("targets", year), k)  # the same KPI JSON as every slide
        if prog.empty:
            target_note = t(f"{year}年尚未设定年度目标（管理员可在“管理”页设定）。",
                            f"No targets set for {year} (the admin sets them on the Admin page).")
        else:
            figs["targets"] = make("progress_bars", prog, lang)
            done = int(sum(1 for s in prog["share"] if s is not None and not pd.isna(s) and s >= 1))
            shares = [(s, m) for s, m in zip(prog["share"], zip(prog["sector"], prog["metric"]))
                      if s is not None and not pd.isna(s)]
            heads = (Headline(t("已完成目标", "Targets met"), t(f"{done} / {len(prog)} 项", f"{done} of {len(prog)}")),)
            if shares:
                low, (s_key, m_key) = min(shares)
                name = annual_targets.TARGET_METRICS.get((s_key, m_key), (m_key, m_key))[0 if zh else 1]
                heads += (Headline(t("完成度最低", "Lowest"), f"{low * 100:.0f}%", name, 1 if low >= 1 else -1),)
    add("targets", figures=heads, chart="targets" if "targets" in figs else None, chart_note=target_note,
        stamp_keys=("targets", "profit", "jobs"), note=park_note if "targets" in figs else "")

    cross = call("cross_sector_per_mu", period)
    heads = ()
    if not cross.empty:
        figs["per_mu"] = make("cross_sector", cross, lang)
        heads = tuple(Headline(t(f"{fmt.sector_name(r.sector, lang)}每亩利润", f"{fmt.sector_name(r.sector, lang)}"),
                               fmt.per_mu(r.profit_per_mu, lang),
                               t(f"{fmt.thousands(r.land_mu, 0)} 亩 · {r.units:,} 个单元",
                                 f"{fmt.thousands(r.land_mu, 0)} mu · {r.units:,} units"))
                      for r in cross.head(3).itertuples())
    add("per_mu", figures=heads, chart="per_mu" if "per_mu" in figs else None, chart_note=no_reports,
        stamp_keys=("profit_per_mu", "land"), note=park_note if not cross.empty else "")

    add("problems", body=problems(call, period, lang))

    add("paragraph", body=(narrative.compose(facts, lang=lang, exact=exact),),
        stamp_keys=("exact",) if exact else ("rounding", "yoy"))

    defs = [f"{name}：{text_zh}" if zh else f"{narrative.DEFINITION_NAMES_EN[key]}: {text_en}"
            for key, (name, text_zh, text_en) in narrative.DEFINITIONS.items()]
    shown_as_of = as_of_within(as_of, period)  # what the deck shows ends with the period
    defs += [t("数据来源：", "Source: ") + source_label(demo, lang), as_of_label(shown_as_of, lang),
             t(f"统计期间：{period.label_from} 至 {period.label_to}；范围：{whole_zh}（不受页面筛选影响）",
               f"Period: {period.label_from} to {period.label_to}; "
               f"scope: {whole_en} (page filters do not apply)")]
    add("definitions", body=tuple(defs))

    # the agenda lists the slides after it
    agenda = tuple(f"{s.number:02d}　{s.title}" for s in slides[2:])
    slides[1] = Slide("agenda", t(*TOPICS["agenda"]), 2, body=agenda)
    names = {key: t(*CHART_NAMES[key]) for key in figs}
    return Deck(lang, period, demo, exact, today, shown_as_of, tuple(slides), figs, names, place, pending)


PROBLEM_LINES = 6  # events listed one by one on the 存在问题 view; the rest are counted


def problems(call: Call, period: scope.Period, lang: str = "zh") -> tuple[str, ...]:
    """The 存在问题 view: the open 预警 of the period's months (新 or 已查看; worst first) and the
    cooperatives that have not reported the period's last month (``missing_reports``)."""
    from ..figures import warnings

    zh = lang == "zh"
    w = call("open_warnings", None, (period.label_from, period.label_to))
    w = w.assign(_red=w["level"] != warnings.RED).sort_values(["_red", "month"], ascending=[True, False])
    lines: list[str] = []
    if w.empty:
        lines.append(f"预警：{period.label('zh')}没有未处理的预警。" if zh
                     else f"Warnings: none open for {period.label('en')}.")
    else:
        order = list(warnings.RULE_NAMES)  # most first, ties in the rule table's order
        counts = sorted(w["rule_id"].value_counts().items(), key=lambda rn: (-rn[1], order.index(rn[0])))
        each = ("、" if zh else ", ").join(f"{warnings.RULE_NAMES[r][0 if zh else 1]} {n:,}" for r, n in counts)
        # The scope is said: the 预警 page and the overview count every month's open ones.
        lines.append(f"预警：{period.label('zh')}未处理 {len(w):,} 条（{each}）" if zh
                     else f"Warnings: {len(w):,} open for {period.label('en')} ({each})")
        for r in w.head(PROBLEM_LINES).itertuples():
            # The English deck carries no Chinese (its test): a town by its English name, a unit by its kind.
            if not isinstance(r.unit, str):
                where = r.town if zh else TOWN_NAMES_EN.get(r.town, "the town")
            else:
                where = f"{r.cooperative} {r.unit}" if zh else f"one {contract.sector(r.sector).unit_en}"
            level = warnings.LEVELS[r.level][0 if zh else 1]
            fig, lim = warnings.figure_texts(r.rule_id, r.figure, r.threshold, lang)  # decimals that show the crossing
            name = warnings.RULE_NAMES[r.rule_id][0 if zh else 1]
            lines.append(f"· {r.month} {name}：{where} {fig}（{level}，界限 {lim}）" if zh
                         else f"· {r.month} {name}: {where} {fig} ({level}, threshold {lim})")
        if len(w) > PROBLEM_LINES:
            lines.append(f"· 另有 {len(w) - PROBLEM_LINES:,} 条，见“预警”页" if zh
                         else f"· {len(w) - PROBLEM_LINES:,} more on the Warnings page")
    latest = call("data_as_of")["latest_month"]
    month = min(period.label_to, latest) if latest else None
    late = call("missing_reports", month) if month else pd.DataFrame()
    if month and late.empty:
        lines.append(f"上报：近 12 个月上报过的合作社都已上报 {month}。" if zh
                     else f"Reporting: every cooperative of the last 12 months has reported {month}.")
    elif month:
        if zh:
            names = "、".join(f"{c}（{fmt.sector_name(sec, lang)}，最近 {m}）"
                             for sec, c, m in zip(late["sector"], late["cooperative"], late["last_month"], strict=True))
            lines.append(f"未按时上报 {month}：{names}")
        else:
            n = late["cooperative"].nunique()
            lines.append(f"Not reported for {month}: {n:,} cooperative{'s' if n > 1 else ''} "
                         "(names on the overview page)")
    return tuple(lines)


# --- text extent: how much room a text needs ---------------------------------------------------------

def char_width(c: str) -> float:
    """Advance width of a character in em, generous (real faces are narrower, so text estimated
    to fit does fit): CJK and full-width 1.0, any other character 0.62, a space 0.32."""
    if c == " ":
        return 0.32
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 1.0
    return 0.62


def _tokens(text: str) -> list[str]:
    """Wrap units: a CJK character alone (it may break anywhere), a Latin word with its spaces."""
    out: list[str] = []
    word = ""
    for c in text:
        if unicodedata.east_asian_width(c) in ("W", "F"):
            if word:
                out.append(word)
                word = ""
            out.append(c)
        else:
            word += c
            if c == " ":
                out.append(word)
                word = ""
    if word:
        out.append(word)
    return out


def line_count(text: str, size: float, width: float) -> int:
    """Lines a text takes at ``size`` px in a box ``width`` px wide (greedy wrap, estimate)."""
    lines, used = 1, 0.0
    for tok in _tokens(text):
        w = sum(char_width(c) for c in tok) * size
        if used + w > width and used > 0:
            lines += 1
            used = w - (char_width(" ") * size if tok.endswith(" ") else 0)
            while used > width:  # a word longer than the line breaks inside
                lines += 1
                used -= width
        else:
            used += w
    return lines


def text_height(paragraphs: tuple[str, ...] | list[str], size: float, width: float,
                line_height: float = theme.SLIDE_TYPE.line_height, gap: float = 0.4) -> float:
    """Height in px of paragraphs at ``size``, with ``gap`` em between paragraphs."""
    lines = sum(line_count(p, size, width) for p in paragraphs)
    return lines * size * line_height + max(len(paragraphs) - 1, 0) * gap * size


def fit_size(paragraphs: tuple[str, ...] | list[str], box: Box, largest: int, smallest: int) -> int:
    """The largest font size (px, ≤ ``largest``) at which the paragraphs fit ``box``; at least
    ``smallest`` (then the text may not fit: callers keep texts short enough)."""
    for size in range(largest, smallest - 1, -1):
        if text_height(paragraphs, size, box.w) <= box.h:
            return size
    return smallest


# --- HTML views ----------------------------------------------------------------------------------

def _em(px: float) -> str:
    return f"{px / 16:.4f}em"


def _box_style(b: Box) -> str:
    return f"left:{_em(b.x)};top:{_em(b.y)};width:{_em(b.w)};height:{_em(b.h)}"


def _text(b: Box, text: str, size: int, cls: str, *, align: str = "left", tag: str = "div") -> str:
    return (f'<div class="pv-box" style="{_box_style(b)};text-align:{align}">'
            f'<{tag} class="pv-text {cls}" style="font-size:{_em(size)}">{html.escape(text)}</{tag}></div>')


def css(st: theme.Style) -> str:
    """The views' stylesheet for a style: the slide box letterboxed into the window, the print
    layout (one view per A4 landscape page), colours and fonts from the theme."""
    p, t = st.palette, st.type
    return f"""
.park-slide {{position: relative; box-sizing: border-box; overflow: hidden; margin: 0 auto;
  width: min(100vw, 177.7778vh); height: min(100vh, 56.25vw); font-size: min(2.2222vh, 1.25vw);
  background: {p.background}; color: {p.text}; font-family: {theme.CSS_FONT}; line-height: {t.line_height};}}
.park-slide .pv-box {{position: absolute; overflow: visible;}}
.park-slide .pv-text, .park-slide .pv-text p {{margin: 0; white-space: pre-wrap; overflow-wrap: anywhere;
  font-family: inherit; line-height: inherit; color: inherit; letter-spacing: 0;}}
.park-slide .pv-text p {{font-size: inherit;}}
.park-slide h1.pv-text {{margin: 0 !important; padding: 0 !important; font-family: inherit !important;
  scroll-margin: 0;}}
.park-slide .pv-title {{font-weight: 700; color: {p.title}; line-height: 1.25; white-space: nowrap;}}
.park-slide .pv-kicker, .park-slide .pv-label {{color: {p.muted};}}
.park-slide .pv-title-note {{color: {p.down}; font-weight: 600; line-height: 1.4; white-space: nowrap;}}
.park-slide .pv-label, .park-slide .pv-note {{line-height: {t.figure_line_height}; white-space: nowrap;}}
.park-slide .pv-value {{font-weight: 700; color: {p.figure}; line-height: {t.figure_line_height}; white-space: nowrap;}}
.park-slide .pv-note {{color: {p.muted};}}
.park-slide .pv-up {{color: {p.up};}}
.park-slide .pv-down {{color: {p.down};}}
.park-slide .pv-stamp {{color: {p.muted}; line-height: 1.4;}}
.park-slide .pv-stamp .pv-demo, .park-slide .pv-demo {{color: {p.demo}; font-weight: 600;}}
.park-slide .pv-page {{color: {p.muted};}}
.park-slide .pv-rule {{background: {p.rule};}}
.park-slide .pv-bar {{background: {p.accent}; border-radius: .2em;}}
.park-slide .pv-chart img {{width: 100%; height: 100%; object-fit: contain; display: block;}}
.park-slide .pv-chart img.pv-phone {{display: none;}}
.park-slide .pv-chart .pv-missing {{color: {p.muted}; border: 1px dashed {p.rule}; height: 100%;
  display: flex; align-items: center; justify-content: center; text-align: center; padding: 1em;
  box-sizing: border-box;}}
.park-slide .pv-cover-title {{font-weight: 700; color: {p.title}; line-height: 1.2; white-space: nowrap;}}
.park-slide .pv-body {{color: {p.text};}}
.park-slide .pv-body p {{margin: 0 0 .4em 0;}}
.park-slide .pv-paragraph p {{text-indent: 2em;}}
/* A phone: each view a card in the page's flow, its boxes stacked in reading order at readable
   sizes, instead of a 16:9 slide letterboxed to a few px per em (issue 19.8). */
@media screen and (max-width: 640px) {{
  .park-slide {{width: auto !important; height: auto !important; font-size: 11px !important;
    margin: .75rem .5rem !important; padding: 1.1em 1.2em; border-radius: .6rem; overflow: visible;
    display: flex; flex-direction: column; gap: .5em; box-shadow: 0 1px 4px rgba(0, 0, 0, .18);}}
  .park-slide .pv-box {{position: static !important; width: auto !important; height: auto !important;
    text-align: left !important;}}
  .park-slide .pv-bar, .park-slide .pv-rule {{display: none;}}
  .park-slide h1.pv-title {{font-size: 2em !important; white-space: normal; border-left: .25em solid {p.accent};
    padding-left: .4em !important;}}
  .park-slide .pv-title, .park-slide .pv-cover-title, .park-slide .pv-label, .park-slide .pv-value,
  .park-slide .pv-note, .park-slide .pv-title-note {{white-space: normal;}}
  .park-slide .pv-cover-title {{font-size: 2.2em !important; text-align: center;}}
  .park-slide .pv-kicker {{font-size: 1.1em !important;}}
  .park-slide .pv-title-note {{font-size: 1.15em !important;}}
  .park-slide .pv-figure {{border-top: 1px solid {p.rule}; padding-top: .4em;}}
  .park-slide .pv-chart img {{height: auto;}}
  /* the chart drawn for the card's width (its text 13–15 px), not the slide's shrunk to ~5 px */
  .park-slide .pv-has-phone img.pv-wide {{display: none;}}
  .park-slide .pv-has-phone img.pv-phone {{display: block;}}
  .park-slide .pv-chart .pv-missing {{height: auto; min-height: 6em;}}
  .park-slide .pv-body {{font-size: 1.35em !important;}}
  .park-slide .pv-stamp {{font-size: 1em !important; border-top: 1px solid {p.rule}; padding-top: .4em;}}
  .park-slide .pv-page {{font-size: 1em !important; text-align: right;}}
}}
@media print {{
  @page {{size: A4 landscape; margin: 10mm;}}
  .park-slide {{width: 277mm !important; height: 155.8mm !important; font-size: 3.4625mm !important;
    margin: 0 !important; break-before: page; page-break-before: always; break-inside: avoid;
    -webkit-print-color-adjust: exact; print-color-adjust: exact;}}
  /* a forced break before the first view would leave a blank first page */
  .park-slide[data-slide="cover"] {{break-before: auto; page-break-before: auto;}}
}}
"""


def _figure_html(box: Box, fig: Headline, t: theme.TypeScale) -> str:
    def line(cls: str, size: int, text: str) -> str:
        return f'<div class="pv-text {cls}" style="font-size:{_em(size)}">{html.escape(text)}</div>'

    trend = "pv-up" if fig.trend > 0 else "pv-down" if fig.trend < 0 else ""
    label, value, note = figure_sizes(fig, t)
    return (f'<div class="pv-box pv-figure" style="{_box_style(box)}">'
            + line("pv-label", label, fig.label) + line("pv-value", value, fig.value)
            + (line(f"pv-note {trend}", note, fig.note) if fig.note else "") + "</div>")


def _cover_html(deck: Deck, slide: Slide, t: theme.TypeScale) -> list[str]:
    out = [f'<div class="pv-box pv-bar" style="{_box_style(BOXES["cover_band"])};border-radius:0"></div>',
           _text(BOXES["cover_title"], cover_title(deck), cover_title_size(deck, t), "pv-cover-title",
                 align="center", tag="h1"),
           _text(BOXES["cover_sub"], cover_subtitle(deck), t.cover_sub, "pv-sub", align="center"),
           _text(BOXES["cover_date"], cover_date(deck), t.cover_note, "pv-note", align="center"),
           _text(BOXES["cover_asof"], cover_as_of(deck), t.figure_note, "pv-note", align="center")]
    if deck.demo:
        out.append(_text(BOXES["cover_demo"], demo_note(deck), t.cover_note, "pv-demo", align="center"))
    return out


def to_html(deck: Deck, slide: Slide, st: theme.Style, image: bytes | None = None, problem: str = "",
            phone: bytes | None = None) -> str:
    """One slide as an HTML view (``<div class="park-slide">``), every text escaped.

    ``image`` is the slide's chart as PNG (rendered at 2× its box); without it the chart's box
    shows ``problem`` (e.g. no Chromium on this machine) or the slide's own note. ``phone`` is
    the same chart as SVG laid out for a phone's card (``theme.for_phone``), shown instead of
    the PNG on a screen up to 640 px wide, where the slide's chart text would shrink to ~5 px.
    """
    t = st.type
    if slide.key == "cover":
        parts = _cover_html(deck, slide, t)
    else:
        parts = [f'<div class="pv-box pv-bar" style="{_box_style(BOXES["bar"])}"></div>',
                 _text(BOXES["title"], slide.title, t.title, "pv-title", tag="h1"),
                 _text(BOXES["kicker"], deck.kicker, t.kicker, "pv-kicker", align="right")]
        if slide.note:
            parts.append(_text(BOXES["title_note"], slide.note, t.title_note, "pv-title-note"))
        parts += [_figure_html(figure_box(i), fig, t) for i, fig in enumerate(slide.figures)]
        if slide.chart is not None and image is not None:
            src = "data:image/png;base64," + base64.b64encode(image).decode()
            alt = html.escape(deck.chart_names.get(slide.key, slide.title))
            small = ""
            if phone is not None:
                small = (f'<img class="pv-phone" src="data:image/svg+xml;base64,{base64.b64encode(phone).decode()}"'
                         f' alt="{alt}">')
            parts.append(f'<div class="pv-box pv-chart{" pv-has-phone" if small else ""}" '
                         f'style="{_box_style(slide.chart_box)}"><img class="pv-wide" src="{src}" alt="{alt}">'
                         f'{small}</div>')
        elif slide.chart is not None or slide.chart_note:
            note = problem if slide.chart is not None else slide.chart_note
            parts.append(f'<div class="pv-box pv-chart" style="{_box_style(slide.chart_box)}"><div class='
                         f'"pv-text pv-missing" style="font-size:{_em(t.list)}">{html.escape(note)}</div></div>')
        if slide.body:
            box, size, cls = body_layout(slide, t)
            paras = "".join(f"<p>{html.escape(x)}</p>" for x in slide.body)
            parts.append(f'<div class="pv-box" style="{_box_style(box)}"><div class="pv-text pv-body {cls}"'
                         f' style="font-size:{_em(size)}">{paras}</div></div>')
        parts.append(f'<div class="pv-box pv-rule" style="{_box_style(BOXES["rule"])}"></div>')
        head, defs = deck.stamp(slide)
        src = html.escape(source_label(deck.demo, deck.lang))
        head_html = html.escape(head)
        if deck.demo:  # the 示例数据 mark stands out
            head_html = head_html.replace(src, f'<span class="pv-demo">{src}</span>')
        size = _em(stamp_size(deck, slide, t))
        parts.append(f'<div class="pv-box" style="{_box_style(BOXES["stamp"])}"><div class="pv-text pv-stamp"'
                     f' style="font-size:{size}">{head_html}<br>{html.escape(defs)}</div></div>')
        parts.append(_text(BOXES["page"], deck.page_label(slide), t.page, "pv-page", align="right"))
    return f'<div class="park-slide pv-{st.key}" data-slide="{html.escape(slide.key)}">{"".join(parts)}</div>'


# --- layout decisions shared by the HTML views and the deck ----------------------------------------

def figure_box(i: int) -> Box:
    """The i-th headline figure (of at most three), side by side in the figures box."""
    f = BOXES["figures"]
    w = f.w // 3  # three columns always, so one figure does not sprawl across the slide
    return Box(f.x + i * w, f.y, w - 24, f.h)


def one_line(text: str, largest: int, width: float) -> int:
    """The largest size ≤ ``largest`` (down to 60% of it) at which ``text`` stays on one line."""
    smallest = max(8, int(largest * 0.6))
    return next((size for size in range(largest, smallest - 1, -1) if line_count(text, size, width) == 1), smallest)


def figure_sizes(fig: Headline, t: theme.TypeScale) -> tuple[int, int, int]:
    """Font sizes of a headline figure's label, value and note, each kept to one line."""
    w = figure_box(0).w
    return (one_line(fig.label, t.figure_label, w), one_line(fig.value, t.figure, w),
            one_line(fig.note, t.figure_note, w))


def body_layout(slide: Slide, t: theme.TypeScale) -> tuple[Box, int, str]:
    """Box, font size (fitted) and CSS class of a text slide's body."""
    box = BOXES["body"]
    if slide.key == "paragraph":
        # the first line is indented by two characters: count them as text
        return box, fit_size(("　　" + slide.body[0],), box, t.body, t.body_min), "pv-paragraph"
    return box, fit_size(slide.body, box, t.list, t.body_min - 4), "pv-list"


def stamp_size(deck: Deck, slide: Slide, t: theme.TypeScale) -> int:
    """The stamp's font size: the type scale's, smaller only if its two lines would wrap."""
    head, defs = deck.stamp(slide)
    box = BOXES["stamp"]
    for size in range(t.stamp, 8, -1):
        if line_count(head, size, box.w) == 1 and line_count(defs, size, box.w) == 1:
            return size
    return 9


def cover_title(deck: Deck) -> str:
    return deck.t(f"{deck.place}园区生产情况汇报", f"{deck.place} Park: Production Report")


def cover_title_size(deck: Deck, t: theme.TypeScale) -> int:
    """The cover title on one line: the type scale's size, smaller for a long title."""
    box = BOXES["cover_title"]
    return next((size for size in range(t.cover, t.title - 1, -1) if line_count(cover_title(deck), size, box.w) == 1),
                t.title)


def cover_subtitle(deck: Deck) -> str:
    p = deck.period
    if p.is_month:  # "2023年12月", not "2023年12月（2023-12 至 2023-12）"
        return deck.period_label
    return deck.t(f"{deck.period_label}（{p.label_from} 至 {p.label_to}）",
                  f"{deck.period_label} ({p.label_from} to {p.label_to})")


def cover_date(deck: Deck) -> str:
    d = deck.today
    return deck.t(f"汇报日期：{d.year}年{d.month}月{d.day}日", f"Presented on {d:%Y-%m-%d}")


def cover_as_of(deck: Deck) -> str:
    sep = "　" if deck.lang == "zh" else " · "
    return (as_of_label(deck.as_of, deck.lang) + sep + deck.t("来源：", "Source: ")
            + source_label(deck.demo, deck.lang))


def demo_note(deck: Deck) -> str:
    return deck.t("示例数据：本材料数字由演示程序生成，并非真实统计",
                  "DEMO DATA: these figures are generated, not real statistics")


def file_period(period: scope.Period, lang: str = "zh") -> str:
    """The period in a file name: '2022年', '2023年1月-2023年6月'; '2022', '2023-01-to-2023-06'."""
    if lang == "zh":
        return period.label("zh").replace("—", "-")
    return str(period.start.year) if period.is_full_year else f"{period.label_from}-to-{period.label_to}"


def chart_file_stem(topic: str, period: scope.Period, as_of: dict, lang: str = "zh") -> str:
    """``<主题>_<期间>_<数据截至>``: '种鸭月度收支_2022年_数据截至2022年12月' (:func:`as_of_within`)."""
    m = as_of_within(as_of, period).get("latest_month")
    if lang == "zh":
        upto = f"数据截至{int(m[:4])}年{int(m[5:])}月" if m else "尚无数据"
    else:
        upto = f"data-as-of-{m}" if m else "no-data"
        topic = "-".join(topic.split())  # 'Breeder ducks-stock' → 'Breeder-ducks-stock': no spaces in names
    return f"{topic}_{file_period(period, lang)}_{upto}"
