"""报送进度 Reporting: the month's status per cooperative × sector, 催报, and the review of submissions."""

from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import contract, fmt
from analytics.access.permissions import PermissionDenied, may_review
from analytics.figures import reporting, tables
from analytics.ingest import IngestError, review
from analytics.text import md
from ui import auth
from ui.cache import q, store
from ui.scaffold import page_header, show_outcome
from ui.state import lang, t

auth.require("reporting")
actor = auth.actor()
page_header("报送进度", "Reporting progress")
L = lang()
_DONE = "_review_done"


def _months() -> tuple[list[str], str]:
    """Months with records or submissions and the calendar's reporting month, and the month the
    page opens on (``reporting.collecting_month``)."""
    cur = store().cursor()
    try:
        subs = review.submissions_list(cur)
    finally:
        cur.close()
    reported = set(q("available_months"))
    for m in subs["months"].dropna():
        reported |= {x for x in m.replace("..", ",").split(",") if x}
    today = date.today()
    return sorted(reported | {reporting.reporting_month(today)}), reporting.collecting_month(reported, today)


months, collecting = _months()
pick = st.query_params.get("month")
month = st.selectbox(t("月份", "Month"), months[::-1], key="rp_month",
                     index=months[::-1].index(pick if pick in months else collecting),
                     format_func=(lambda m: f"{int(m[:4])}年{int(m[5:])}月") if L == "zh" else str)

cur = store().cursor()
try:
    status = reporting.month_status(cur, month)
    due = reporting.deadline(cur, month)
    chased = reporting.chase(cur, status)
finally:
    cur.close()

st.markdown(f"### {md(reporting.counts_line(status, L))}")
# The rule in the office's words with the day it is set to; the setting's name is for the admin
# (README), not for the staff reading this page.
usual = reporting.default_deadline(date(int(month[:4]), int(month[5:7]), 1))
moved = due != usual
st.caption(t(f"截止日期：{due.year}年{due.month}月{due.day}日"  # text-safe: a date from the store
             f"（每月 {usual.day} 日前报上月数据；{'本月已单独调整' if moved else '本月可单独调整'}）。"
             "行为合作社 × 板块；近 12 个月报过的合作社都在其中。",
             f"Deadline: {due:%Y-%m-%d} (each month's figures are due by day {usual.day} of the following month; "
             f"{'moved for this month' if moved else 'this month may be moved'}). "
             "One row per cooperative × sector that reported in the last 12 months."))

show_outcome(_DONE)


def _status_word(r: pd.Series) -> str:
    word = t(*reporting.STATUS[r["status"]])
    if r["overdue"]:
        word += t("（逾期）", " (overdue)")
    elif r["late"]:
        word += t("（迟报）", " (late)")
    if r["correction"]:
        word += t("，更正待审核", ", correction pending")
    return word


def _when(v: object) -> str:
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


COLS = {"cooperative": t("合作社", "Cooperative"), "sector": t("板块", "Sector"), "status": t("状态", "Status"),
        "submitted_at": t("提交时间", "Submitted"), "submitted_by": t("提交人", "By"), "units": t("单元数", "Units"),
        "warnings": t("提醒", "Warnings"), "reason": t("退回原因", "Reason returned"),
        "submission_id": t("报送编号", "Submission")}
# The download keeps the unit count a number (empty where nothing was reported); the screen writes
# it as text with "—", since a missing integer reaches the browser as "None" whatever the Styler says.
listed = status.assign(status=[_status_word(r) for _, r in status.iterrows()],
                       sector=[fmt.sector_name(s, L) for s in status["sector"]],
                       submitted_at=status["submitted_at"].map(_when),
                       submitted_by=status["submitted_by"].fillna(""),
                       warnings=status["warnings"].fillna(0).astype(int),
                       reason=status["reason"].fillna(""),
                       submission_id=status["submission_id"].map(lambda v: "" if v is None or pd.isna(v)
                                                                 else str(int(v))))[list(COLS)].rename(columns=COLS)
shown = listed.assign(**{COLS["units"]: status["units"].map(
    lambda v: fmt.thousands(None if v is None or pd.isna(v) else int(v)))})
if shown.empty:
    st.info(t("这个月没有应报的合作社（近 12 个月没有人报过）。", "No cooperative is expected this month."))
else:
    st.dataframe(tables.styled(shown), hide_index=True, width="stretch",
                 column_config={COLS["cooperative"]: st.column_config.Column(pinned=True),
                                COLS["units"]: st.column_config.TextColumn(alignment="right")})
    st.download_button(t("下载报送进度 CSV", "Download the progress (CSV)"), partial(tables.to_csv_bytes, listed),
                       t(f"报送进度_{month}.csv", f"reporting_{month}.csv"), "text/csv", on_click="ignore",
                       key="rp_csv")

# --- 催报 -----------------------------------------------------------------------------------------
st.subheader(t("催报", "Chase"))
if chased.empty:
    st.success(t("本月应报的合作社都已报送。", "Every expected cooperative has reported this month."),
               icon=":material/task_alt:")
else:
    st.caption(t("未报和被退回的合作社及其管理员。下面的文字可复制到农业办的微信群；看板不会发送任何消息。",
                 "Cooperatives not reported or returned, with their managers. Copy the text below into the "
                 "office's WeChat group; nothing is sent from the dashboard."))
    # The sector keys serve the WeChat text (chase_text); the table names the sectors in the UI language.
    chase_cols = {"cooperative": t("合作社", "Cooperative"), "sectors": t("板块", "Sectors"),
                  "status": t("状态", "Status"), "overdue": t("逾期", "Overdue"),
                  "deadline": t("截止日期", "Deadline"), "managers": t("管理员", "Managers")}
    ch = chased.assign(sectors=chased["sector_keys"].map(
                           lambda keys: t("、", ", ").join(fmt.sector_name(k, L) for k in keys)),
                       status=chased["status"].map(lambda s: t(*reporting.STATUS[s])),
                       overdue=chased["overdue"].map({True: t("是", "yes"), False: ""}),
                       deadline=chased["deadline"].map(lambda d: f"{d:%Y-%m-%d}"),
                       managers=chased["managers"].map(lambda m: m or "—"))[list(chase_cols)]
    ch = ch.rename(columns=chase_cols)
    st.dataframe(tables.styled(ch), hide_index=True, width="stretch")
    st.code(reporting.chase_text(chased, month, L), language=None, wrap_lines=True)  # text-safe: a code block
    st.download_button(t("下载催报名单 CSV", "Download the chase list (CSV)"), partial(tables.to_csv_bytes, ch),
                       t(f"催报_{month}.csv", f"chase_{month}.csv"), "text/csv", on_click="ignore", key="rp_chase_csv")

if not may_review(actor):
    st.stop()

# --- the deadline ------------------------------------------------------------------------------------
with st.expander(t("调整本月截止日期", "Move this month's deadline"), icon=":material/event:"):
    new_due = st.date_input(t("截止日期", "Deadline"), value=due, key="rp_due")

    def _set_due(reset: bool) -> None:
        try:
            review.set_deadline(store(), month, None if reset else st.session_state["rp_due"], auth.actor())
        except PermissionDenied as e:
            st.session_state[_DONE] = (False, md(e))
        else:
            st.session_state[_DONE] = (True, t("截止日期已保存。", "Deadline saved."))

    a, b = st.columns(2)
    a.button(t("保存截止日期", "Save the deadline"), key="rp_due_save", on_click=_set_due, args=(False,))
    b.button(t("恢复默认", "Back to the default"), key="rp_due_reset", on_click=_set_due, args=(True,))

# --- review ------------------------------------------------------------------------------------------
st.subheader(t("审核报送", "Review submissions"))
cur = store().cursor()
try:
    waiting = review.submissions_list(cur, states=(review.PENDING,))
finally:
    cur.close()
if waiting.empty:
    st.info(t("没有待审核的报送。", "No submission awaits review."), icon=":material/inbox:")
    st.stop()

labels = {int(r.submission_id): f"{r.submission_id} · {r.cooperatives} · {fmt.sector_name(r.sector, L)} · "
          f"{r.months} · {r.submitted_by} · {r.submitted_at:%Y-%m-%d %H:%M}" for r in waiting.itertuples()}
sid = st.selectbox(t("待审核的报送", "Submission awaiting review"), list(labels), format_func=labels.get,
                   key="rp_pick")
cur = store().cursor()
try:
    sub = review.submission(cur, sid)
    cmp = review.comparison(cur, sid)
finally:
    cur.close()
# The file name in bold: the markup stays outside md(), which makes only the stored text literal.
st.markdown(f"**{md(sub['filename'])}**" + md(t(  # text-safe: stored values pass md()
    f"：{sub['cooperatives']}，{fmt.sector_name(sub['sector'], L)}，月份 {sub['months']}，{sub['n_rows']:,} 行，"
    f"{sub['submitted_by']} 提交于 {sub['submitted_at']:%Y-%m-%d %H:%M}",
    f": {sub['cooperatives']}, {fmt.sector_name(sub['sector'], L)}, months {sub['months']}, {sub['n_rows']:,} rows, "
    f"submitted by {sub['submitted_by']} on {sub['submitted_at']:%Y-%m-%d %H:%M}")))
raw = Path(sub["stored_path"]) if sub.get("stored_path") else None
if raw is not None and raw.is_file():
    st.download_button(t("下载原始文件", "Download the raw file"), partial(raw.read_bytes), sub["filename"],
                       on_click="ignore", key="rp_raw", icon=":material/download:")

warnings = review.warnings_of(sub)
if len(warnings):
    st.warning(t(f"{len(warnings)} 条提醒（含上报说明的一并列出）：",
                 f"{len(warnings)} warning(s), with explanations:"),
               icon=":material/warning:")
    st.dataframe(tables.styled(warnings.rename(columns={
        "row": t("行号", "Row"), "column": t("列", "Column"), "value": t("值", "Value"), "reason": t("提醒", "Warning"),
        "note": t("上报说明", "Explanation"), "sheet": t("工作表", "Sheet")}), plain=(t("行号", "Row"),)),
                 hide_index=True, width="stretch")

if len(cmp):
    changed = int(cmp["changed"].sum())
    st.markdown(t(f"**数值对照**：与上月、去年同月对比；与已通过数值不同的格 {changed} 个（更正报送会替换它们）。",
                  f"**Values** against last month and the same month last year; {changed} cell(s) differ from "
                  "the accepted values (a correction replaces them)."))
    s_names = {c.key: (c.header if L == "zh" else c.en) for c in contract.sector(sub["sector"]).columns}
    # As reported, with separators; "—" where there is no value (no accepted value yet, a month not reported).
    values = {c: cmp[c].map(lambda v: fmt.number(None if v is None or pd.isna(v) else float(v)))
              for c in ("value", "stored", "last_month", "last_year")}
    view = cmp.assign(measure=cmp["measure"].map(s_names), changed=cmp["changed"].map({True: "●", False: ""}),
                      **values)
    view = view.rename(columns={"month": t("月份", "Month"), "cooperative": t("合作社", "Cooperative"),
                                "unit": t("单元", "Unit"), "measure": t("指标", "Measure"),
                                "value": t("报送值", "Submitted"), "stored": t("已通过值", "Accepted now"),
                                "last_month": t("上月", "Last month"),
                                "last_year": t("去年同月", "Same month last year"),
                                "changed": t("有更改", "Changed")})
    # The values are text now (each measure keeps its own decimals): right-aligned as numbers are.
    st.dataframe(tables.styled(view), hide_index=True, width="stretch", column_config={
        t(*c): st.column_config.TextColumn(alignment="right") for c in (
            ("报送值", "Submitted"), ("已通过值", "Accepted now"), ("上月", "Last month"),
            ("去年同月", "Same month last year"))})


def _accept(sid: int) -> None:
    try:
        res = review.accept(store(), sid, auth.actor(), lang=L)
    except (IngestError, PermissionDenied) as e:
        st.session_state[_DONE] = (False, md(e))
    else:
        st.session_state[_DONE] = (True, t(f"已通过报送 {sid}，数值已计入（上传编号 {res.upload_id}）。",
                                           f"Accepted submission {sid}; its figures count now "
                                           f"(upload {res.upload_id})."))


def _return(sid: int) -> None:
    try:
        review.return_submission(store(), sid, auth.actor(), st.session_state.get("rp_reason", ""), lang=L)
    except (IngestError, PermissionDenied) as e:
        st.session_state[_DONE] = (False, md(e))
    else:
        st.session_state[_DONE] = (True, t(f"已退回报送 {sid}，合作社会在上传页看到原因。",
                                           f"Returned submission {sid}; the cooperative sees the reason "
                                           "on its upload page."))
        st.session_state["rp_reason"] = ""


st.text_area(t("退回原因（退回时必填）", "Reason for returning (required to return)"), key="rp_reason", max_chars=1000)
a, b = st.columns(2)
a.button(t("通过", "Accept"), type="primary", icon=":material/check:", key="rp_accept", on_click=_accept, args=(sid,))
b.button(t("退回", "Return"), icon=":material/undo:", key="rp_return", on_click=_return, args=(sid,))
