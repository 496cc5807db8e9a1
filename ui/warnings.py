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

_DOT = {warnings.GREEN: "🟢", warnings.YELLOW: "🟡", warnings.RED: "🔴"}


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
        left.warning(t(f"预警：{n['open']:,} 条未处理（其中 {n['new']:,} 条新），最近在 {latest}。",  # text-safe: month
                       f"Warnings: {n['open']:,} open ({n['new']:,} new), latest in {latest}."),
                     icon=":material/notification_important:")
    else:
        left.success(t("预警：没有未处理的预警。", "Warnings: none open."), icon=":material/task_alt:")
    # A plain link, not st.page_link: that needs the page registered by app.py in this very run.
    right.markdown(":material/arrow_forward: " + t("[查看预警](warnings)", "[Open warnings](warnings)"))


def sows_light(month: str, filters: scope.Filters) -> None:
    """The 能繁母猪 light of ``month`` per town (green / yellow / red), with the share of the town's
    normal holding and the rule in force; a hint where no normal holding is set."""
    L = lang()
    lights = q("sows_light", month, tuple(filters.towns))
    if not lights:
        st.caption(t("能繁母猪预警灯：尚未设定正常保有量（农业农村部门在“预警”页按乡镇设定）。",
                     "Breeding-sow light: no normal holding set yet (the office sets it per town on the "
                     "Warnings page)."))
        return
    for x in lights:
        label = f"{x['month'][:4]}年{int(x['month'][5:])}月" if L == "zh" else x["month"]
        if x["share"] is None:
            st.caption(t(f"能繁母猪预警灯（{md(x['town'])}，{label}）：当月没有养殖户上报能繁母猪。",  # text-safe: md()
                         f"Breeding-sow light ({md(x['town'])}, {label}): no farm reported sows that month."))
            continue
        zone_zh, zone_en = warnings.LEVELS[x["zone"]]
        g0, g1 = x["green"]
        rule = x["rule_since"][:4] + t("年规则", " rule")
        st.markdown(t(  # text-safe: names through md(), numbers, a month label from YYYY-MM, fixed zone words
            f"{_DOT[x['zone']]} **能繁母猪 {zone_zh}区域**（{md(x['town'])}，{label}）：{x['sows']:,} 头，"
            f"为正常保有量 {x['normal']:,.0f} 头的 **{x['share'] * 100:.1f}%**；{x['farms']:,} 户上报。",
            f"{_DOT[x['zone']]} **Breeding sows: {zone_en} zone** ({md(x['town'])}, {label}): {x['sows']:,} head, "
            f"**{x['share'] * 100:.1f}%** of the normal holding of {x['normal']:,.0f}; {x['farms']:,} farms reported."),
            help=t(f"依据 {x['source']}（{rule}）：绿色 {g0:.0%}–{g1:.0%}。",
                   f"Per {x['source']} ({rule}): green {g0:.0%}–{g1:.0%}."))
