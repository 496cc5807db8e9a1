"""预警 Warnings: the events the rules found on accepted data, their state (新 → 已查看 → 已处理 with a
note), each town's 正常保有量 of breeding sows, and the rule table with its sources. The office only.

Events and settings are read uncached (a state change must show at once); every change goes
through analytics.store.alerts, which checks the acting user and writes the audit row.
"""

import pandas as pd
import streamlit as st

from analytics.access import permissions
from analytics.figures import tables, warnings
from analytics.store import alerts
from analytics.text import md
from ui import auth
from ui.cache import store
from ui.scaffold import demo_badge, several_towns
from ui.state import lang, t
from ui.warnings import events_layout

auth.require("warnings")
me = auth.actor()
L = lang()
st.title(t("预警", "Warnings"))
demo_badge()
if done := st.session_state.pop("_warn_done", None):
    st.success(md(done))

STATE_NAMES = {s: t(s, warnings.STATE_EN[s]) for s in warnings.STATES}
RULE_NAMES = {r: t(*names) for r, names in warnings.RULE_NAMES.items()}
LEVEL_NAMES = {k: t(*v) for k, v in warnings.LEVELS.items()}

cur = store().cursor()
try:
    every = warnings.warning_events(cur, active_only=False)
    normals = warnings.sows_normal(cur)
finally:
    cur.close()

# --- filters --------------------------------------------------------------------------------
# The states as pills: three short words always whole (as chips in a multiselect the first was
# pushed out of its box at 1366 px, leaving only its ×).
c1, c2, c3, c4 = st.columns([1, 2, 1.7, 1.3])
months = sorted(set(every["month"]), reverse=True)
# The all-months choice is a word of no language, not None: a language switch writes a kept value
# back to the browser only when it is a plain value (ui.state._keep_widget_values), and None was
# not, so the box went on showing "全部" in English until the next run.
ALL_MONTHS = "all"
month = c1.selectbox(t("月份", "Month"), [ALL_MONTHS, *months], key="warn_month",
                     format_func=lambda m: t("全部", "All") if m == ALL_MONTHS else m)
rules = c2.multiselect(t("规则", "Rule"), list(RULE_NAMES), key="warn_rules", format_func=RULE_NAMES.get,
                       placeholder=t("全部", "All"))
states = c3.pills(t("状态", "State"), list(warnings.STATES), selection_mode="multi",
                  default=[warnings.NEW, warnings.SEEN], key="warn_states", format_func=STATE_NAMES.get,
                  help=t("不选即全部", "None picked: all"))
gone = c4.toggle(t("含已消除", "Cleared too"), key="warn_gone",
                 help=t("数据更正或撤销上传后不再成立的预警（保留其状态和说明）",
                        "Warnings no longer true after a correction or an undo (their state and note kept)"))
shown = every
if month != ALL_MONTHS:
    shown = shown[shown["month"] == month]
if rules:
    shown = shown[shown["rule_id"].isin(rules)]
if states:
    shown = shown[shown["state"].isin(states)]
if not gone:
    shown = shown[shown["active"]]

open_n = int((every["active"] & every["state"].isin([warnings.NEW, warnings.SEEN])).sum())
# Counts elsewhere (the 汇报 views, the deck) are of a period: this one says it is of every month.
st.markdown(t(f"**未处理预警 {open_n:,} 条**（全部月份，新和已查看）；下表按所选条件 {len(shown):,} 条。",
              f"**{open_n:,} open warnings** (all months, new and seen); {len(shown):,} listed below "
              "with the filters chosen."))


def _place(r: pd.Series) -> str:
    return r["town"] if not isinstance(r["unit"], str) else f"{r['cooperative']} › {r['unit']}"


def _label(r: pd.Series) -> str:
    return f"#{r['event_id']} {r['month']} {RULE_NAMES[r['rule_id']]} {_place(r)}"


# Figure and threshold to the same decimals, enough to show the figure past its threshold.
pairs = [warnings.figure_texts(r, f, v, L)
         for r, f, v in zip(shown["rule_id"], shown["figure"], shown["threshold"], strict=True)]
NOTE = t("说明", "Note")
view = pd.DataFrame({
    t("编号", "No."): shown["event_id"], t("月份", "Month"): shown["month"],
    t("规则", "Rule"): [RULE_NAMES[r] for r in shown["rule_id"]],
    t("乡镇", "Town"): shown["town"],
    # A town's rule (能繁母猪) has no cooperative: the row says it is the town's total.
    t("合作社", "Cooperative"): [c if isinstance(u, str) else t(f"{w}合计", f"{w} total")
                                for c, u, w in zip(shown["cooperative"], shown["unit"], shown["town"], strict=True)],
    t("单元", "Unit"): shown["unit"],
    t("数值", "Figure"): [p[0] for p in pairs], t("界限", "Limit"): [p[1] for p in pairs],
    t("级别", "Level"): [LEVEL_NAMES[v] for v in shown["level"]],
    t("状态", "State"): [STATE_NAMES[s] if a else STATE_NAMES[s] + t("（已消除）", " (cleared)")
                       for s, a in zip(shown["state"], shown["active"], strict=True)],
    t("处理人", "By"): shown["state_by"], NOTE: shown["note"]})
if not several_towns():  # one town: its name on every row only narrows the note
    view = view.drop(columns=t("乡镇", "Town"))
# The note last (in the middle it was cut to "已电话核…"); a grid cell cannot hold a note of 500
# characters, so the notes of the rows shown are also written out in full under the table.
picked = st.dataframe(tables.styled(view), width="stretch", hide_index=True, on_select="rerun",
                      selection_mode="multi-row", key="warn_table", **events_layout(list(view.columns), L, len(view)))
noted = shown[shown["note"].fillna("").astype(str).str.strip() != ""]
if len(noted):
    _NOTES_SHOWN = 10
    def _noted(r: pd.Series) -> str:
        by = md(r["state_by"] if isinstance(r["state_by"], str) else "—")
        return t(f"编号 {int(r['event_id'])} {STATE_NAMES[r['state']]}（{by}）：{md(r['note'])}",
                 f"No. {int(r['event_id'])} {STATE_NAMES[r['state']]} ({by}): {md(r['note'])}")

    lines = [_noted(r) for _, r in noted.head(_NOTES_SHOWN).iterrows()]
    more = len(noted) - _NOTES_SHOWN
    if more > 0:
        lines.append(t(f"另有 {more:,} 条说明，请在上表中查看。", f"{more:,} more notes in the table above."))
    st.caption(t("**说明全文**", "**Notes in full**") + "  \n" + "  \n".join(lines))  # text-safe: md() on stored text
st.caption(t("数值：能繁母猪为占正常保有量的比例；存栏下降为较上月减少的比例；死淘率为当月死淘（死亡）÷ 月末存栏；"
             "连续亏损为 3 个月利润合计（元）。界限来自下方规则表。",
             "Figure: sows as a share of the normal holding; stock drop as the share lost since last month; "
             "mortality as deaths ÷ month-end stock; loss streak as the three months' profit (yuan). "
             "Thresholds from the rule table below."))

# --- state changes --------------------------------------------------------------------------
rows = {int(r["event_id"]): _label(r) for _, r in shown.iterrows()}
chosen_rows = picked.selection.rows if picked and hasattr(picked, "selection") else []
if chosen_rows:  # rows ticked in the table choose the events below
    st.session_state["warn_pick"] = [e for i in chosen_rows if (e := int(shown.iloc[i]["event_id"])) in rows]
may_act = me is not None and me.role in permissions.OFFICE_ROLES
with st.form("warn_state"):
    st.subheader(t("更改状态", "Change the state"))
    pick = st.multiselect(t("预警", "Warnings"), list(rows), key="warn_pick", format_func=rows.get,
                          placeholder=t("在上表勾选或在此选择", "Tick rows above or choose here"))
    new_state = st.radio(t("改为", "Set to"), list(warnings.STATES), index=1, horizontal=True,
                         key="warn_new_state", format_func=STATE_NAMES.get)
    note = st.text_area(t("说明（标为“已处理”时必填：核实和处理情况）",
                          "Note (required for handled: what was checked and done)"),
                        key="warn_note", max_chars=500)
    if st.form_submit_button(t("保存", "Save"), disabled=not may_act):
        try:
            n = alerts.set_warning_state(store(), me, pick, new_state, note)
        except (permissions.AccountError, permissions.PermissionDenied) as e:
            st.error(md(e))
        else:
            for key in ("warn_pick", "warn_note"):
                st.session_state.pop(key, None)
            st.session_state["_warn_done"] = t(f"已将 {n} 条预警标为“{new_state}”。",
                                               f"{n} warning(s) set to {warnings.STATE_EN[new_state]}.")
            st.rerun()

# --- the normal holding per town ------------------------------------------------------------
st.subheader(t("能繁母猪正常保有量", "Normal holding of breeding sows"))
st.caption(t("按乡镇设定（头）。能繁母猪月末存栏占正常保有量的比例按当月适用的《生猪产能调控实施方案》分区："
             "2024年修订版（2024年2月29日起）绿色 92%–105%，黄色 85%–92% 或 105%–110%，其余为红色；"
             "此前的暂行方案（2021年9月起）绿色 95%–105%，黄色 90%–95% 或 105%–110%。",
             "Set per town (head). Month-end breeding sows as a share of it are zoned by the rule on regulating "
             "hog production capacity in force that month: the 2024 revision (from 29 Feb 2024) green 92–105 %, "
             "yellow 85–92 % or 105–110 %, red otherwise; the 2021 interim rule (from Sept 2021) green 95–105 %, "
             "yellow 90–95 % or 105–110 %."))
for town, value in normals.items():
    a, b, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
    v = a.number_input(t(f"{town}（头）", f"Town {town}: normal holding (head)"), min_value=0, step=10,
                       key=f"warn_normal_{town}",
                       value=int(value) if value else 0)
    if b.button(t("保存", "Save"), key=f"warn_normal_save_{town}", disabled=not may_act):
        try:
            alerts.set_sows_normal(store(), me, town, v or None)
        except (permissions.AccountError, permissions.PermissionDenied) as e:
            st.error(md(e))
        else:
            st.session_state["_warn_done"] = t(f"已设定{town}的正常保有量：{v:,} 头。",  # text-safe: registered town
                                               f"Normal holding of {town} set: {v:,} head.")
            st.rerun()

# --- the rule table -------------------------------------------------------------------------
st.subheader(t("规则", "Rules"))


def _params(r: warnings.Rule) -> str:
    p = r.params
    if r.id == "sows_zone":
        (g0, g1), (y0, y1) = p["green"], p["yellow"]
        return t(f"绿色 {g0:.0%}–{g1:.0%}；黄色 {y0:.0%}–{g0:.0%} 或 {g1:.0%}–{y1:.0%}；其余红色",
                 f"green {g0:.0%}–{g1:.0%}; yellow {y0:.0%}–{g0:.0%} or {g1:.0%}–{y1:.0%}; red otherwise")
    if r.id == "stock_drop":
        return t(f"较上月下降超过 {p['share']:.0%}", f"down more than {p['share']:.0%} on last month")
    if r.id == "mortality_spike":
        return t(f"超过前 12 个月中位数的 {p['multiple']:g} 倍"
                 f"（至少 {p['min_months']} 个月，且不低于 {p['floor']:.0%}）",
                 f"above {p['multiple']:g}× the median of the previous 12 months (at least {p['min_months']} "
                 f"months; never below {p['floor']:.0%})")
    return t(f"连续 {p['months']} 个月 收入 − 成本 < 0", f"revenue − cost < 0 for {p['months']} months running")


SCOPE_NAMES = {"unit": t("每个鸭棚、养殖户的当月", "each duck shed or hog farm, month by month"),
               "town": t("乡镇合计，只判断全乡镇养殖户都已上报的月份",
                         "the town's total, only on months all its farms reported")}
SECTOR_NAMES = {"duck": t("种鸭", "ducks"), "hog": t("生猪", "hogs")}
# A plain table, not a grid: its five rows wrap, so the thresholds and the sources are read whole
# at 1366 px (a grid cut them at the screen's edge in either language).
st.table(pd.DataFrame([{
    t("规则", "Rule"): RULE_NAMES[r.id], t("生效日期", "Since"): r.since.isoformat(),
    t("板块", "Sectors"): t("、", ", ").join(SECTOR_NAMES[s] for s in r.sectors),
    t("判断对象", "Judged on"): SCOPE_NAMES[r.scope], t("界限", "Thresholds"): _params(r),
    t("依据", "Source"): t(r.source, r.source_en or r.source)} for r in warnings.RULES]),
    hide_index=True)
