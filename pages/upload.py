"""上传月报 Upload: template → file → errors or preview (layout, names, warnings, changes) → confirm."""

from functools import partial

import pandas as pd
import streamlit as st

from analytics import contract, fmt, ingest, settings
from analytics.access.permissions import PermissionDenied, check_write
from analytics.ingest import templates
from analytics.text import md
from ui import auth, submissions
from ui.cache import store
from ui.scaffold import page_header, tabs, uploader_texts
from ui.state import lang, t

actor = auth.require("upload")  # stops the page for anyone not logged in as manager or admin
page_header("上传月报", "Upload a monthly sheet")
L = lang()


if actor.role == "manager":
    coop = md(actor.cooperative)
    st.caption(t(f"您只能上报“{coop}”的数据。", f"You may upload data of {coop} only."))
submissions.my_submissions(actor)  # the reporting cycle: status and a return's reason

AUTO = "auto"
SECTOR_LABELS = {AUTO: t("按表头自动判断", "Detect from headers"),
                 **{k: fmt.sector_name(k, L) for k in contract.SECTOR_KEYS}}
sector = st.selectbox(t("板块", "Sector"), list(SECTOR_LABELS), key="up_sector", format_func=SECTOR_LABELS.get,
                      placeholder=t("选择板块", "Choose a sector"))
chosen = None if sector == AUTO else sector
limits = settings.upload_limits()

with st.expander(t("下载模板与填写说明", "Templates and how to fill them in"), icon=":material/download:"):
    st.markdown(t("一个文件 = 一个板块，可含一个或多个合作社、一个或多个月份。"
                  "支持 CSV/TXT（UTF-8、GBK 或 Excel 的“Unicode 文本”）、Excel（.xlsx、.xlsm、.xls）"
                  "和 WPS/LibreOffice 的 .ods"
                  "（读取每一张可见的工作表，如每月一张）。表头上方可以有标题行，下方可以有单位行；"
                  "合计行、签名栏会自动跳过；空单元格和“—”“/”表示“未上报”，不是 0。",
                  "One file = one sector, any cooperatives and months. CSV/TXT (UTF-8, GBK or Excel's Unicode "
                  "text), Excel (.xlsx, .xlsm, .xls) or .ods (every visible sheet, e.g. one per month). Title lines, "
                  "a units row, total rows and signature footers are handled; an empty cell, “—” or “/” means "
                  "“not reported”."))
    shown_sectors = contract.SECTOR_KEYS if chosen is None else (chosen,)
    for key, tab in tabs(f"up_tpl_{'_'.join(shown_sectors)}",
                         {k: fmt.sector_name(k, L) for k in shown_sectors}).items():
        with tab:
            a, b = st.columns(2)
            # Templates are built when clicked, not on every run of the page (~190 ms for all six).
            a.download_button(t("下载 CSV 模板", "CSV template"), partial(templates.template_csv, key),
                              f"{contract.sector(key).zh}月报模板.csv", "text/csv", key=f"tpl_csv_{key}",
                              on_click="ignore")
            b.download_button(t("下载 Excel 模板", "Excel template"), partial(templates.template_xlsx, key),
                              f"{contract.sector(key).zh}月报模板.xlsx", key=f"tpl_xlsx_{key}",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              on_click="ignore")
            # The contract itself: the Chinese headers a sheet must have and their English aliases,
            # in both languages (the language walk in tests/test_browser_daily.py skips it).
            st.container(key=f"contract_help_{key}").dataframe(templates.help_table(key, L), hide_index=True,
                                                               width="stretch")

max_mb = max(1, round(limits["max_bytes"] / 1048576))
uploader_texts("up_file", max_mb)
# Every file type is let through the widget: the reader names what a file is and what to do
# (in Chinese), where Streamlit's own refusal is an English "file type not allowed" chip.
up = st.file_uploader(t("选择月报文件", "Choose the monthly file"), type=None, key="up_file", max_upload_size=max_mb)
if up is None:
    st.stop()

data = up.getvalue()
IGNORE = "__ignore__"
# The uploader's decisions on columns the reader did not understand: header → column key or IGNORE.
col_decisions: dict[str, str] = st.session_state.setdefault("_up_cols", {})
file_key = (up.name, len(data), hash(data))
if st.session_state.get("_up_cols_file") != file_key:
    col_decisions.clear()
    st.session_state["_up_cols_file"] = file_key
column_choices = ingest.ColumnChoices({k: v for k, v in col_decisions.items() if v and v != IGNORE},
                                      {k for k, v in col_decisions.items() if v == IGNORE})
cache_key = (*file_key, chosen, L, tuple(sorted(col_decisions.items())))
if st.session_state.get("_up_key") != cache_key:
    with st.spinner(t("正在读取和检查文件……", "Reading and checking the file…")):
        st.session_state["_up_parsed"] = ingest.parse(data, up.name, chosen, lang=L, columns=column_choices)
    st.session_state["_up_key"] = cache_key
    st.session_state.pop("_up_done", None)
parsed: ingest.Parsed = st.session_state["_up_parsed"]
# Choices this cooperative made for this layout on an earlier upload: the starting point, said
# above the columns, changeable there.
if st.session_state.get("_up_recall_file") != file_key:
    st.session_state["_up_recall_file"] = file_key
    recalled = ingest.recall_columns(store().cursor(), parsed, column_choices)
    st.session_state["_up_recalled"] = recalled
    if recalled:
        for header, choice in recalled.items():
            col_decisions.setdefault(header, choice or IGNORE)
        st.rerun()
recalled = {h: c for h, c in st.session_state.get("_up_recalled", {}).items()
            if col_decisions.get(h) == (c or IGNORE)}


def column_decisions() -> None:
    """A choice per column the reader did not understand (its header names a contract column):
    which column it is, or ignore it. Shown until the file reads without them."""
    cols = parsed.columns
    ask = cols[cols["status"].isin(["suspect", "user_mapped", "user_ignored"])] if len(cols) else cols
    if not len(ask) or parsed.sector is None:
        return
    s = contract.sector(parsed.sector)
    options = ["", IGNORE] + [c.key for c in s.columns if c.kind in ingest.NUMERIC_KINDS]
    labels = {"": t("（请选择）", "(choose)"), IGNORE: t("忽略这一列，不导入", "Ignore this column"),
              **{c.key: t(f"就是“{c.header}”", f"it is “{c.en}”") for c in s.columns}}
    st.subheader(t("列核对", "Check the columns"))
    if recalled:
        st.info(md(ingest.describe_recalled_columns(recalled, {c.key: c.header if L == "zh" else c.en
                                                               for c in s.columns}, L)), icon=":material/history:")
    st.caption(t("下列各列的列名里有模板的列名，但读不出它是哪一列（可能是本月数，也可能是累计数或分项数）。"
                 "请逐列指定它对应的列，或忽略它。",
                 "These columns' headers contain a template column's name, but which figure they hold is unclear "
                 "(this month's, a cumulative or a breakdown). Say which column each is, or ignore it."))

    def remember(header: str, widget: str) -> None:
        col_decisions[header] = st.session_state[widget]

    for r in ask.itertuples(index=False):
        widget = f"up_col_{r.sheet}_{r.index}"
        current = col_decisions.get(r.column, "")
        st.selectbox(md(f"“{r.column}”"), options, index=options.index(current) if current in options else 0,
                     key=widget, format_func=labels.get, on_change=remember, args=(r.column, widget))


def column_table() -> None:
    """Each column of the file and what it became."""
    cols = parsed.columns
    if not len(cols):
        return
    with st.expander(t("各列读作", "What each column became"), expanded=bool((cols["status"] != "mapped").any())):
        view = cols[["sheet", "column", "became"]] if parsed.multi_sheet else cols[["column", "became"]]
        names = {"sheet": t("工作表", "Sheet"), "column": t("文件中的列", "Column in the file"),
                 "became": t("导入为", "Imported as")}
        st.dataframe(view.rename(columns=names), hide_index=True, width="stretch")


def issues(df: pd.DataFrame) -> pd.DataFrame:
    """A problems table as the office reads it: the sheet only when the file has several, blanks blank."""
    if not parsed.multi_sheet:
        df = df.drop(columns=["sheet"], errors="ignore")
    df = df.assign(value=df["value"].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v))
    return df.rename(columns={k: t(*v) for k, v in ingest.ISSUE_LABELS.items()})


def show_issues(df: pd.DataFrame) -> None:
    """A problems table whose reasons are read whole: wrapped in a plain table while it is short
    (a grid cuts a long reason at its column's edge, and the part saying what to do is at the
    end); a scrolling grid when it is long."""
    if len(df) <= ISSUES_IN_FULL:
        st.table(issues(df), hide_index=True)
    else:
        st.dataframe(issues(df), hide_index=True, width="stretch")


ISSUES_IN_FULL = 30
done = st.session_state.get("_up_done")
if done is not None:
    st.success(md(done.message(L)), icon=":material/check_circle:")
    st.page_link("pages/overview.py", label=t("查看总览", "Go to the overview"), icon=":material/dashboard:")
    st.stop()

if not parsed.ok:
    st.error(md(parsed.summary()), icon=":material/block:")
    if parsed.errors["row"].notna().any() or len(parsed.errors) > 1:
        show_issues(parsed.errors)
    column_decisions()
    column_table()
    st.stop()

# Look-alike names: the admin maps each to the registered name or confirms it is new.
choices = ingest.NameChoices(accept_new=True)
similar = st.session_state.get("_up_similar")
if similar is not None and st.session_state.get("_up_similar_key") == cache_key and len(similar):
    st.subheader(t("名称核对", "Check the names"))
    st.caption(t("下列名称是新的，但去掉“专业”“养殖”“合作社”、空格、括号等字样后与已登记的名称相同。"
                 "请选择是同一个（按已登记名称导入，并记住这个对应），还是确为新登记。",
                 "These new names equal registered ones once generic words, spaces and brackets are removed. "
                 "Choose whether each is the registered one (remembered for next time) or really new."))
    for i, r in enumerate(similar.itertuples(index=False)):
        where = f"（{r.cooperative}）" if r.kind == "unit" else ""
        same = t(f"是已登记的“{md(r.match)}”", f"the registered “{md(r.match)}”")
        new = t("确为新名称，登记为新的", "really new: register it")
        pick = st.radio(md(f"“{r.name}”{where}"), [same, new], key=f"up_map_{i}", horizontal=True)
        if pick == same and r.kind == "cooperative":
            choices.cooperatives[r.name] = r.match
        elif pick == same:
            choices.units[(r.cooperative, r.name)] = r.match

# The preview is worked out once per file, user, name choices and data version, not again on
# every rerun (the confirm click is one).
preview_key = (cache_key, actor, repr(choices), store().data_version())
if st.session_state.get("_up_preview_key") != preview_key:
    try:
        pv0 = ingest.preview(store().cursor(), parsed, choices)
        check_write(actor, pv0.cooperatives)
        st.session_state["_up_preview"] = pv0
    except (ingest.IngestError, PermissionDenied) as e:
        st.error(md(e), icon=":material/block:")
        if isinstance(e, ingest.Rejected) and len(e.errors):  # a cross-check against the stored months
            st.dataframe(issues(e.errors), hide_index=True, width="stretch")
        st.stop()
    st.session_state["_up_preview_key"] = preview_key
    if st.session_state.get("_up_similar_key") != cache_key:  # first preview of this file: ask about names
        st.session_state["_up_similar"], st.session_state["_up_similar_key"] = pv0.similar, cache_key
        if len(pv0.similar):
            st.rerun()
pv: ingest.Preview = st.session_state["_up_preview"]
if pv.duplicate_of:
    st.info(md(ingest.already_message(L, pv.duplicate_of)), icon=":material/info:")
    st.stop()

st.subheader(t("预览", "Preview"))
kind = ingest.ENCODING_NAMES.get(parsed.encoding, parsed.encoding)
st.caption(md(t(f"{fmt.sector_name(parsed.sector, L)}；编码 {kind}；月份 {'、'.join(parsed.months)}",
                f"{fmt.sector_name(parsed.sector, L)}; {kind}; months {', '.join(parsed.months)}")))
for note in parsed.layout_notes() + parsed.notes:
    st.caption(f":material/info: {md(note)}")
column_decisions()
column_table()
for r in pv.aliased.itertuples(index=False):
    st.caption(":material/link: " + md(t(f"“{r.name}”按已登记名称“{r.registered}”导入",
                                          f"“{r.name}” imported as the registered “{r.registered}”")))
c = st.columns(4)
c[0].metric(t("行数", "Rows"), f"{pv.n_rows:,}")
c[1].metric(t("新增记录", "New records"), f"{pv.n_new:,}")
c[2].metric(t("替换已有记录", "Replaced records"), f"{pv.n_replaced:,}")
c[3].metric(t("新单元", "New units"), f"{len(pv.new_units):,}")
if pv.new_cooperatives:
    st.info(t("将新登记合作社：", "New cooperatives to register: ") + md("、".join(pv.new_cooperatives)),
            icon=":material/fiber_new:")
replaced = ingest.would_replace(store().cursor(), actor, parsed.sector, pv.rows)
if replaced:  # said before the manager confirms, not only after
    ids_zh = "、".join(f"{i}（{'待审核' if st_ == 'pending' else '已退回'}）" for i, st_ in replaced)
    ids_en = ", ".join(f"{i} ({'awaiting review' if st_ == 'pending' else 'returned'})" for i, st_ in replaced)
    st.info(t(f"提交后将替换之前同月份的报送 {ids_zh}，以这份文件为准。",  # text-safe: ids and fixed words
              f"Submitting replaces the earlier submission(s) of the same months: {ids_en}; this file counts."),
            icon=":material/swap_horiz:")

if len(pv.warnings):
    st.warning(t(f"{len(pv.warnings)} 条提醒：不影响导入，请核对后再确认。",
                 f"{len(pv.warnings)} warning(s): they do not block the import; please check them."),
               icon=":material/warning:")
    show_issues(pv.warnings)
if len(parsed.readings):
    with st.expander(t(f"{len(parsed.readings)} 个占位符按约定读取（—、/、- 为未上报；无为 0）",
                       f"{len(parsed.readings)} placeholder(s) read by convention (—, /, - not reported; 无 is 0)")):
        st.dataframe(issues(parsed.readings).rename(columns={t("问题", "Problem"): t("读作", "Read as")}),
                     hide_index=True, width="stretch")

if len(pv.diff):
    st.markdown(t("**将被替换的数值**（只列出有变化的格；原值会保存在历史记录中，可撤销）",
                  "**Values to be replaced** (changed cells only; old values are kept and can be restored)"))
    st.dataframe(pv.diff.rename(columns={
        "month": t("月份", "Month"), "cooperative": t("合作社", "Cooperative"), "unit": t("单元", "Unit"),
        "column": t("列", "Column"), "old": t("原值", "Old"), "new": t("新值", "New")}).assign(**{
        t("原值", "Old"): pv.diff["old"].map(ingest.display_value),
        t("新值", "New"): pv.diff["new"].map(ingest.display_value)}),
        hide_index=True, width="stretch")

s = contract.sector(parsed.sector)
shown = pv.rows.head(500).copy()
shown["month"] = shown["month"].dt.strftime("%Y-%m")
status = shown["_status"].map({"new": t("新增", "new"), "replace": t("替换", "replace")})
shown.insert(0, t("状态", "Status"), status + shown["_new_unit"].map({True: t("·新单元", " · new unit"), False: ""}))
shown.insert(0, t("行号", "Row"), shown["_row"])
shown = shown.drop(columns=["_status", "_new_unit", "_new_coop", "_row"])
shown = shown.drop(columns=[c.key for c in s.measures if c.key not in parsed.carried])  # not in the file
# Every cell as the office writes it (12,345; blank where not reported, as in the sheet), one
# text type per column so the table needs no mixed-type fallback.
shown = shown.astype(object).where(shown.notna(), None).map(lambda v: "" if v is None else ingest.display_value(v))
shown = shown.rename(columns={col.key: (col.header if L == "zh" else col.en) for col in s.columns})
st.markdown(t(f"**文件内容**（共 {pv.n_rows:,} 行" + ("，仅显示前 500 行" if pv.n_rows > 500 else "") + "）",
              f"**Rows** ({pv.n_rows:,}" + (", first 500 shown" if pv.n_rows > 500 else "") + ")"))
st.dataframe(shown, hide_index=True, width="stretch")

# 核实: each row whose per-unit rates are outside the usual ranges needs a short 上报说明 from the
# uploader before confirming; it is stored with the values and shown where they are reviewed.
explained: dict = {}
if len(parsed.verify):
    st.subheader(t("核实（需要上报说明）", "Check (an explanation is needed)"))
    st.caption(t("下列数值超出常见范围（范围见填写说明），可能是单位或数字写错，也可能确实如此。"
                 "请逐行核对；确实无误的，写一句上报说明（如“新建猪舍，本月集中补栏”），会和数值一起保存。",
                 "These values are outside the usual ranges: a wrong unit or figure, or really so. Check each "
                 "row; where it is right, write a short explanation, stored with the values."))
    for (sh, row), g in parsed.verify.groupby(["sheet", "row"], sort=False):
        where = t(f"第 {int(row)} 行", f"Row {int(row)}") if not sh else \
            t(f"工作表“{sh}”第 {int(row)} 行", f"sheet “{sh}”, row {int(row)}")
        label = md(f"{where}：" + "；".join(g["reason"]))
        text = st.text_input(label, key=f"up_explain_{sh}_{int(row)}", max_chars=200,
                             placeholder=t("上报说明", "Explanation"))
        if text.strip():
            explained[(sh, int(row))] = text.strip()
missing = ingest.missing_explanations(parsed, explained)
# A manager's file waits for the office's review: the button says so, not that it imports.
to_review = ingest.needs_review(actor)
confirm_zh, confirm_en = ("提交审核", "Submit for review") if to_review else ("确认导入", "Confirm import")
if len(missing):
    st.warning(t(f"还有 {len(missing['row'].unique())} 行需要填写上报说明，填写后才能{confirm_zh}。",
                 f"{len(missing['row'].unique())} row(s) still need an explanation before confirming."),
               icon=":material/edit_note:")  # text-safe: a count and a fixed label
if st.button(t(confirm_zh, confirm_en), type="primary", icon=":material/check:", key="up_confirm",
             disabled=bool(len(missing))):
    try:
        with st.spinner(t("正在写入……", "Writing…")):
            st.session_state["_up_done"] = ingest.commit(store(), parsed, actor, names=choices,
                                                         explanations=explained)
    except ingest.Rejected as e:
        st.error(md(e), icon=":material/block:")
        show_issues(e.errors)
    except (ingest.IngestError, PermissionDenied) as e:
        st.error(md(e), icon=":material/block:")
    else:
        st.rerun()
