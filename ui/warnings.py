"""预警 on the dashboard pages: the open count on the overview (for the office) and the 能繁母猪 light
on the 生猪 page. The list itself is the 预警 page (pages/warnings.py)."""

from __future__ import annotations

import streamlit as st

from analytics import scope
from analytics.figures import warnings
from analytics.text import md
from ui import auth
from ui.cache import q, store
from ui.state import lang, t

# Streamlit's colour syntax, not emoji: a browser without an emoji font draws 🔴 as an empty box.
_DOT = {warnings.GREEN: ":green[●]", warnings.YELLOW: ":orange[●]", warnings.RED: ":red[●]"}
_NAMES_SHOWN = 10  # farms named in the light's help; the rest counted


def warning_block() -> None:
    """One line: how many 预警 are open (新 or 已查看), with a link to the 预警 page; office roles only.
    Read uncached, so a state changed on the 预警 page shows here at once."""
    if not auth.may_open(auth.current_user(), "warnings"):
        return
    cur = store().cursor()
    try:
        n = warnings.open_count(cur)
    finally:
        cur.close()
    left, right = st.columns([4, 1], vertical_alignment="center")
    if n["open"]:
        latest = n["latest_month"]  # YYYY-MM
        # "全部月份": this count is of every month, whatever period the page shows (the 汇报 views
        # and the deck count the open warnings of their period).
        left.warning(t(f"预警：全部月份共 {n['open']:,} 条未处理（其中 {n['new']:,} 条新），"  # text-safe: month
                       f"最近在 {latest}。",
                       f"Warnings: {n['open']:,} open across all months ({n['new']:,} new), latest in {latest}."),
                     icon=":material/notification_important:")
    else:
        left.success(t("预警：没有未处理的预警。", "Warnings: none open."), icon=":material/task_alt:")
    # A plain link, not st.page_link: that needs the page registered by app.py in this very run.
    right.markdown(":material/arrow_forward: " + t("[查看预警](warnings)", "[Open warnings](warnings)"))


def _month_label(month: str, L: str, year: bool = True) -> str:
    if L != "zh":
        return month
    return f"{month[:4]}年{int(month[5:])}月" if year else f"{int(month[5:])}月"


def _missing_text(units: list[tuple[str, str]]) -> tuple[str, str]:
    """The farms not reported, per cooperative, at most :data:`_NAMES_SHOWN` names (zh, en)."""
    by_coop: dict[str, list[str]] = {}
    for coop, unit in units[:_NAMES_SHOWN]:
        by_coop.setdefault(coop, []).append(unit)
    names = "；".join(f"{md(c)}：{'、'.join(md(u) for u in us)}" for c, us in by_coop.items())
    names_en = "; ".join(f"{md(c)}: {', '.join(md(u) for u in us)}" for c, us in by_coop.items())
    more = len(units) - _NAMES_SHOWN
    if more > 0:
        return f"{names} 等 {len(units):,} 户", f"{names_en} and {more:,} more"
    return names, names_en


def sows_light(month: str, filters: scope.Filters) -> None:
    """The 能繁母猪 light of ``month`` per town (green / yellow / red), with the share of the town's
    normal holding and the rule in force; a hint where no normal holding is set. A month some
    farms of the town have not reported is not judged: the light shows the latest month they all
    reported, and says how many farms are missing (named in its help)."""
    L = lang()
    lights = q("sows_light", month, tuple(filters.towns))
    if not lights:
        st.caption(t("能繁母猪预警灯：尚未设定正常保有量（农业农村部门在“预警”页按乡镇设定）。",
                     "Breeding-sow light: no normal holding set yet (the office sets it per town on the "
                     "Warnings page)."))
        return
    for x in lights:
        label = _month_label(x["month"], L)
        late, late_en = _missing_text(x["missing_units"]) if x["missing"] else ("", "")
        if x["judged"] is None or x["share"] is None:
            if x["missing"]:
                st.caption(t(  # text-safe: md() names, numbers, a month label from YYYY-MM
                    f"能繁母猪预警灯（{md(x['town'])}，{label}）：{x['missing']:,} 户未报，"
                    "此前也没有全部上报且有能繁母猪的月份，暂不判断。",
                    f"Breeding-sow light ({md(x['town'])}, {label}): {x['missing']:,} farms have not "
                    "reported, and no earlier month has all farms reported with sows; not judged."),
                    help=t(f"未报：{late}", f"Not reported: {late_en}"))
            else:
                st.caption(t(  # text-safe: md()
                    f"能繁母猪预警灯（{md(x['town'])}，{label}）：当月没有养殖户上报能繁母猪。",
                    f"Breeding-sow light ({md(x['town'])}, {label}): no farm reported sows that month."))
            continue
        zone_zh, zone_en = warnings.LEVELS[x["zone"]]
        g0, g1 = x["green"]
        rule = x["rule_since"][:4] + t("年规则", " rule")
        dot = _DOT[x["zone"]]
        figures = (f"{x['sows']:,} 头，为正常保有量 {x['normal']:,.0f} 头的 **{x['share'] * 100:.1f}%**；"
                   f"{x['farms']:,} 户上报。")
        figures_en = (f"{x['sows']:,} head, **{x['share'] * 100:.1f}%** of the normal holding of "
                      f"{x['normal']:,.0f}; {x['farms']:,} farms reported.")
        basis = t(f"依据 {x['source']}（{rule}）：绿色 {g0:.0%}–{g1:.0%}。",
                  f"Per {x.get('source_en') or x['source']} ({rule}): green {g0:.0%}–{g1:.0%}.")
        if x["judged"] == x["month"]:
            st.markdown(t(  # text-safe: names through md(), numbers, a month label from YYYY-MM, fixed zone words
                f"{dot} **能繁母猪 {zone_zh}区域**（{md(x['town'])}，{label}）：{figures}",
                f"{dot} **Breeding sows: {zone_en} zone** ({md(x['town'])}, {label}): {figures_en}"), help=basis)
            continue
        # Not every farm has reported the month: a total short of them would be a wrong zone.
        judged = _month_label(x["judged"], L)
        short = _month_label(x["month"], L, year=x["month"][:4] != x["judged"][:4])
        st.markdown(t(  # text-safe: names through md(), numbers, month labels from YYYY-MM, fixed zone words
            f"{dot} **能繁母猪 {zone_zh}区域**（{md(x['town'])}）：按 {judged}（最近一个全部上报的月份）判断；"
            f"{short} {x['missing']:,} 户未报，不作判断。{judged}：{figures}",
            f"{dot} **Breeding sows: {zone_en} zone** ({md(x['town'])}): judged on {judged} (the latest month "
            f"all farms reported); {x['missing']:,} farms have not reported {short}, so it is not judged. "
            f"{judged}: {figures_en}"),
            help=basis + t(f"\n\n{short}未报：{late}", f"\n\nNot reported for {short}: {late_en}"))


# The events grid in English at 1366 px: the rule names run twice the Chinese width, so the
# columns get fixed widths (px) that add up to the grid's room and the rows are tall enough for
# the grid to wrap a cell (Streamlit wraps only rows taller than 64 px). Chinese fits as drawn.
EVENT_WIDTHS_EN = {"No.": 42, "Month": 74, "Rule": 112, "Town": 70, "Cooperative": 104, "Unit": 60,
                   "Figure": 82, "Limit": 68, "Level": 62, "State": 64, "By": 52}
EVENTS_ROOM_EN = 860  # px: a 1366-px screen's main column (906) less the row ticks (37) and borders
_NOTE_LEAST = 100  # px
_WRAPPING_ROW = 66  # px: three lines of the grid's text
_ROW, _HEAD, _TALLEST = 35, 38, 420  # px: Streamlit's row and header, the grid's most


def events_layout(columns: list[str], lang: str, rows: int) -> dict:
    """Keyword arguments for ``st.dataframe`` of the 预警 events (``columns``: the shown headers,
    the note last): the grid's height for ``rows`` rows (px). In English, fixed widths (px) whose
    sum is EVENTS_ROOM_EN, the note taking what the others leave, and rows that wrap; in Chinese
    the note 200 px ("medium")."""
    note = columns[-1]
    if lang == "zh":
        return {"height": min(_HEAD + _ROW * rows, _TALLEST),
                "column_config": {note: st.column_config.TextColumn(width="medium")}}
    widths = {c: EVENT_WIDTHS_EN[c] for c in columns[:-1]}
    widths[note] = max(EVENTS_ROOM_EN - sum(widths.values()), _NOTE_LEAST)
    return {"height": min(_HEAD + _WRAPPING_ROW * rows, _TALLEST + 2 * _WRAPPING_ROW), "row_height": _WRAPPING_ROW,
            "column_config": {c: st.column_config.Column(width=w) for c, w in widths.items()}}
