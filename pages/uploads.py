"""上报记录 Upload log: who uploaded what, when, how many rows, its status; undo."""

from functools import partial

import streamlit as st

from analytics import fmt, ingest
from analytics.access import permissions
from analytics.access.permissions import PermissionDenied, may_write
from analytics.figures import tables
from analytics.text import md
from ui import auth, submissions
from ui.cache import store
from ui.scaffold import name_widths, page_header, show_outcome
from ui.state import lang, t

_UNDONE = "_undo_result"

auth.require("uploads")
page_header("上报记录", "Upload log")
L = lang()
actor = auth.actor()

cur = store().cursor()
try:
    log = ingest.uploads_log(cur)
finally:
    cur.close()
# A manager reads his own cooperative's uploads only; the office reads them all.
log = log.loc[[permissions.may_see_uploads_of(actor, c.split("、") if c else []) for c in log["cooperatives"]]]
if log.empty:
    st.info(t("还没有任何上传。", "No uploads yet."))
    submissions.submissions_log(actor)  # the reporting cycle: submissions and their status
    st.stop()

STATUS = {"applied": t("已导入", "applied"), "undone": t("已撤销", "undone")}
# What an upload is and its status first: a 1366-pixel screen shows them without scrolling.
COLUMNS = {"upload_id": t("编号", "No."), "filename": t("文件", "File"), "status": t("状态", "Status"),
           "sector": t("板块", "Sector"), "cooperatives": t("合作社", "Cooperatives"), "months": t("月份", "Months"),
           "uploaded_by": t("上传人", "By"), "uploaded_at": t("上传时间", "Uploaded at"), "n_rows": t("行数", "Rows"),
           "n_new": t("新增", "New"), "n_replaced": t("替换", "Replaced"), "undone_by": t("撤销人", "Undone by"),
           "undone_at": t("撤销时间", "Undone at")}
SHOWN = 500  # newest uploads on screen; the CSV holds them all
shown = log.assign(
    sector=[fmt.sector_name(s, L) for s in log["sector"]],
    status=log["status"].map(STATUS),
    uploaded_at=log["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M"),
    undone_at=log["undone_at"].dt.strftime("%Y-%m-%d %H:%M").fillna(""),
    undone_by=log["undone_by"].fillna(""),
    months=log["months"].fillna("").str.replace("..", t(" 至 ", " to "), regex=False),
    cooperatives=log["cooperatives"].fillna("").str.replace("、", t("、", ", "), regex=False),
)[list(COLUMNS)].rename(columns=COLUMNS)
# The file and its months whole (at the grid's guess they read "05_total-row-spaced-in-farm-" and "2023-").
widths = name_widths(shown.head(SHOWN), [COLUMNS["filename"], COLUMNS["months"]])
st.dataframe(tables.styled(shown.head(SHOWN), plain=(COLUMNS["upload_id"],)), hide_index=True, width="stretch",
             column_config={COLUMNS["upload_id"]: st.column_config.Column(pinned=True),
                            COLUMNS["filename"]: st.column_config.TextColumn(width=widths[COLUMNS["filename"]],
                                                                             pinned=True),
                            COLUMNS["months"]: st.column_config.TextColumn(width=widths[COLUMNS["months"]])})
if len(shown) > SHOWN:
    st.caption(t(f"显示最近 {SHOWN:,} 次上传，共 {len(shown):,} 次；全部记录请下载 CSV。",
                 f"The latest {SHOWN:,} of {len(shown):,} uploads; download the CSV for all."))
st.download_button(t("下载上报记录 CSV", "Download the log (CSV)"), partial(tables.to_csv_bytes, shown),
                   t("上报记录.csv", "upload-log.csv"), "text/csv", on_click="ignore", key="log_csv")
# The 上报说明 kept with the values of the uploads above: what a reader of a surprising figure's
# history needs beside who wrote it and when.
cur = store().cursor()
try:
    said = ingest.explanations(cur)
finally:
    cur.close()
said = said.loc[[permissions.may_see_uploads_of(actor, [c]) for c in said["cooperative"]]] if len(said) else said
if len(said):
    EXPLAINED = {"upload_id": t("编号", "No."), "month": t("月份", "Month"), "cooperative": t("合作社", "Cooperative"),
                 "unit": t("单元", "Unit"), "checks": t("核实内容", "What was checked"),
                 "explanation": t("上报说明", "Explanation"), "uploaded_by": t("上传人", "By")}
    with st.expander(t(f"上报说明（{len(said):,} 条）", f"Explanations ({len(said):,})"), icon=":material/edit_note:"):
        st.dataframe(said.assign(month=said["month"].map(lambda d: f"{d:%Y-%m}"))[list(EXPLAINED)]
                     .rename(columns=EXPLAINED), hide_index=True, width="stretch", key="log_explanations")
st.caption(t("撤销一次上传会把它写入或替换的数值恢复为上传前的样子；原始文件始终保留。"
             "若之后的上传又改了同样的记录，须先撤销后来的那次。",
             "Undoing an upload restores the values from before it; the original file is always kept. "
             "If a later upload changed the same records, undo that one first."))
submissions.submissions_log(actor)  # the reporting cycle: submissions and their status


def _undo(upload_id: int) -> None:
    # A callback runs before the page is drawn again, so the log and the list below already
    # show the upload as undone and no longer offer it.
    try:
        r = ingest.undo(store(), upload_id, auth.actor(), lang=L)
    except (ingest.IngestError, PermissionDenied) as e:
        st.session_state[_UNDONE] = (False, md(e))
    else:
        st.session_state[_UNDONE] = (True, t(
            f"已撤销编号 {r['upload_id']:d}（{md(r['filename'])}）：移除 {r['removed']:,} 条，"
            f"恢复 {r['restored']:,} 条原值。",
            f"Undid upload {r['upload_id']:d} ({md(r['filename'])}): removed {r['removed']:,}, "
            f"restored {r['restored']:,} old values."))
    st.session_state["undo_sure"] = False


show_outcome(_UNDONE)

# Offer only what analytics would let this user undo (the same rule refuses it there).
mine = log[(log["status"] == "applied") & (log["sha256"] != "demo")]
# While review is on, a manager's applied uploads are figures the office accepted: only the office
# undoes them (ingest.may_undo); a manager corrects by submitting again.
ours = mine.loc[[may_write(actor, c.split("、") if c else []) for c in mine["cooperatives"]]]
mine = ours.loc[[ingest.may_undo(actor, c.split("、") if c else []) for c in ours["cooperatives"]]]
if mine.empty:
    if len(ours):  # the manager's own accepted uploads: say why no undo, and what to do instead
        st.info(t("已通过的数据只能由农业办撤销；如需更正请重新上报，审核通过后替换。",
                  "Accepted figures can only be undone by the agriculture office. To correct them, upload "
                  "again; the new figures replace them once accepted."), icon=":material/lock:")
    st.stop()

st.subheader(t("撤销上传", "Undo an upload"))
labels = {int(r.upload_id): f"{r.upload_id} · {r.filename} · {r.uploaded_by} · {r.uploaded_at:%Y-%m-%d %H:%M}"
          for r in mine.itertuples()}
uid = st.selectbox(t("选择要撤销的上传", "Upload to undo"), list(labels), format_func=labels.get, key="undo_pick",
                   placeholder=t("选择一次上传", "Choose an upload"))
sure = st.checkbox(t("我确认要撤销这次上传", "I want to undo this upload"), key="undo_sure")
st.button(t("撤销", "Undo"), icon=":material/undo:", disabled=not sure, key="undo_go", on_click=_undo, args=(uid,))
