"""The reporting cycle on the pages (DESIGN.md §9): a manager's submissions and their status on the
upload page, the submissions table of 上报记录. The 报送进度 page (pages/reporting.py) is the office's.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from analytics import fmt
from analytics.access.permissions import Actor, PermissionDenied
from analytics.figures import reporting, tables
from analytics.ingest import IngestError, review
from analytics.text import md
from ui.cache import store
from ui.scaffold import show_outcome
from ui.state import lang, t


def state_name(state: str) -> str:
    zh, en = review.STATES.get(state, (state, state))
    return t(zh, en)


def _list(actor: Actor | None) -> pd.DataFrame:
    cur = store().cursor()
    try:
        # A manager sees their cooperative's submissions; the office sees all.
        coop = actor.cooperative if actor is not None and actor.role == "manager" else None
        return review.submissions_list(cur, cooperative=coop)
    finally:
        cur.close()


def _shown(df: pd.DataFrame) -> pd.DataFrame:
    L = lang()
    cols = {"submission_id": t("报送编号", "No."), "state": t("状态", "Status"), "sector": t("板块", "Sector"),
            "cooperatives": t("合作社", "Cooperative"), "months": t("月份", "Months"), "n_rows": t("行数", "Rows"),
            "submitted_by": t("提交人", "By"), "submitted_at": t("提交时间", "Submitted"),
            "reviewed_by": t("审核人", "Reviewed by"), "reason": t("退回原因", "Reason returned"),
            "filename": t("文件", "File")}
    return df.assign(state=df["state"].map(state_name), sector=[fmt.sector_name(s, L) for s in df["sector"]],
                     submitted_at=df["submitted_at"].dt.strftime("%Y-%m-%d %H:%M"),
                     reviewed_by=df["reviewed_by"].fillna(""), reason=df["reason"].fillna(""),
                     months=df["months"].fillna("").str.replace("..", t(" 至 ", " to "), regex=False)
                     )[list(cols)].rename(columns=cols)


def awaiting_review(missing: pd.DataFrame, month: str) -> pd.DataFrame:
    """A 未上报 list (sector, cooperative, …) with a status column: 待审核 or 已退回 where the
    cooperative has submitted the month and the office has not accepted it yet, else 未报."""
    cur = store().cursor()
    try:
        open_ = reporting.awaiting(cur, month)
    finally:
        cur.close()
    status = [state_name(open_[(s, c)]) if (s, c) in open_ else t("未报", "Not reported")
              for s, c in zip(missing["sector"], missing["cooperative"], strict=True)]
    out = missing.copy()
    out.insert(2, "status", status)
    return out


def my_submissions(actor: Actor) -> None:
    """On the upload page: a manager's latest submissions, their status, and a return's reason."""
    if actor.role != "manager":
        return
    df = _list(actor)
    df = df[df["state"] != "superseded"].head(10)
    if df.empty:
        return
    for r in df[df["state"] == "returned"].itertuples():
        st.warning(t(f"报送 {r.submission_id}（{md(r.filename)}，{md(r.months)}）"  # text-safe: md() on names
                     f"已被退回。原因：{md(r.reason)}"
                     "。请修改后重新上传，新文件会替换它。",
                     f"Submission {r.submission_id} ({md(r.filename)}, {md(r.months)}) was returned. "
                     f"Reason: {md(r.reason)}. Correct it and upload again; the new file replaces it."),
                   icon=":material/undo:")
    with st.expander(t("我的报送及审核状态", "My submissions and their review"), expanded=bool(
            (df["state"] != "accepted").any()), icon=":material/fact_check:"):
        st.caption(t("上传的月报先成为“待审核”的报送，农业办审核通过后才计入看板的数字；退回的请按原因修改后重新上传。",
                     "An upload is a submission awaiting review; it counts once the office accepts it. "
                     "Correct a returned one and upload again."))
        st.dataframe(tables.styled(_shown(df)), hide_index=True, width="stretch")


def submissions_log(actor: Actor | None) -> None:
    """On 上报记录: the submissions and their status (a manager: their cooperative's), with a CSV."""
    df = _list(actor)
    if df.empty:
        return
    st.subheader(t("报送与审核", "Submissions and review"))
    show_outcome(_WITHDRAWN)
    shown = _shown(df)
    st.dataframe(tables.styled(shown.head(500)), hide_index=True, width="stretch")
    st.download_button(t("下载报送记录 CSV", "Download submissions (CSV)"), partial(tables.to_csv_bytes, shown),
                       t("报送记录.csv", "submissions.csv"), "text/csv", on_click="ignore", key="subs_csv")
    if actor is not None and actor.role == "manager":
        _withdraw_form(df[df["state"] == review.PENDING], actor)


_WITHDRAWN = "_withdraw_result"


def _withdraw(sid: int, actor: Actor) -> None:
    # A callback: the table above is drawn after it, already showing 已撤回.
    try:
        review.withdraw(store(), sid, actor, lang=lang())
    except (IngestError, PermissionDenied) as e:
        st.session_state[_WITHDRAWN] = (False, md(e))
    else:
        st.session_state[_WITHDRAWN] = (True, t(f"已撤回报送 {sid:d}，它不会计入任何数字。",
                                                f"Withdrew submission {sid:d}; it will not count."))
    st.session_state["wd_sure"] = False


def _withdraw_form(pending: pd.DataFrame, actor: Actor) -> None:
    """A manager takes back a submission still 待审核 (nothing of it counts yet; review.withdraw)."""
    if pending.empty:
        return
    with st.expander(t("撤回待审核的报送", "Withdraw a submission awaiting review"), icon=":material/undo:"):
        st.caption(t("待审核的报送还没有计入任何数字，撤回后也不会计入。已通过的数据只能由农业办撤销；"
                     "如需更正请重新上报，审核通过后替换。",
                     "A submission awaiting review counts nowhere yet, and will not once withdrawn. Accepted "
                     "figures can only be undone by the agriculture office; to correct them, upload again."))
        labels = {int(r.submission_id): f"{r.submission_id} · {r.filename} · {r.months} · "
                  f"{r.submitted_at:%Y-%m-%d %H:%M}" for r in pending.itertuples()}
        sid = st.selectbox(t("选择要撤回的报送", "Submission to withdraw"), list(labels), format_func=labels.get,
                           key="wd_pick")
        sure = st.checkbox(t("我确认要撤回这份报送", "I want to withdraw this submission"), key="wd_sure")
        st.button(t("撤回", "Withdraw"), icon=":material/undo:", disabled=not sure, key="wd_go",
                  on_click=_withdraw, args=(sid, actor))
