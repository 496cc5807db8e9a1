"""The upload and upload-log pages through AppTest: errors, preview, confirm, figures change, undo."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from analytics import fmt, ingest, scope
from analytics.access import accounts, passwords, permissions
from analytics.figures import kpis
from analytics.ingest import review
from analytics.store.db import Store
from tests.conftest import ROOT
from tests.test_ingest import DUCK_HEADER, dump
from ui.auth import User

COOP = "兴旺种鸭专业合作社"
ADMIN = User("boss", "admin")
MANAGER = User("wang", "manager", COOP)


@pytest.fixture(autouse=True)
def app_env(monkeypatch, app_db):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "admin-pass-for-tests")
    with Store(app_db) as s:
        accounts.create_user(s, permissions.SYSTEM, "boss", "pass-for-tests", "admin")
        accounts.create_user(s, permissions.SYSTEM, "wang", "pass-for-tests", "manager", COOP)
    return app_db


def app(page: str, user: User, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["auth_user"] = user
    at.session_state["lang"] = "zh"
    at.query_params["year"] = "2023"  # the figures tests compare the year 2023 (the landing is 本月)
    at.run()
    at.switch_page(page).run()
    if lang == "en":  # switched on the page itself: AppTest cannot re-send the overview's radio in English
        at.sidebar.toggle(key="_lang_toggle").set_value(True).run()
    assert not at.exception, at.exception
    return at


def metric_value(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def table_with(at: AppTest, column: str):
    """The first table or grid on the page that has ``column`` (the help tables come first; short
    problem lists are plain tables, so their reasons wrap)."""
    return next(d.value for d in [*at.dataframe, *at.table] if column in d.value.columns)


def store():
    from ui import cache

    return cache.store()


def correction(app_db) -> tuple[bytes, float]:
    """A re-upload of December 2023 for the cooperative's sheds: revenue +10,000 元 each."""
    with Store(app_db) as s:
        df = s.cursor().execute("""SELECT * FROM duck_records WHERE cooperative = ? AND month = DATE '2023-12-01'
                                   ORDER BY unit LIMIT 20""", [COOP]).df()
    lines = [DUCK_HEADER] + [
        f"2023-12,{COOP},{r.unit},{r.stock},{r.eggs},{r.culled},{r.feed_kg},{r.revenue + 10_000:.2f},{r.cost},"
        f"{r.workers}" for r in df.itertuples()]
    return ("\n".join(lines) + "\n").encode("utf-8-sig"), 10_000.0 * len(df)


def test_upload_preview_confirm_and_the_overview_changes(app_db):
    data, added = correction(app_db)
    at = app("pages/overview.py", ADMIN)
    profit_before = metric_value(at, "利润")
    at.switch_page("pages/upload.py").run()
    assert [t.value for t in at.title] == ["上传月报"]
    assert len(at.get("download_button")) == 6  # CSV and XLSX for each sector
    at.file_uploader[0].upload("12月更正.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    assert metric_value(at, "行数") == "20" and metric_value(at, "替换已有记录") == "20"
    assert metric_value(at, "新增记录") == "0"
    diff = table_with(at, "原值")  # the replaced values: revenue only
    assert set(diff["列"]) == {"销售收入(元)"} and len(diff) == 20
    assert store().cursor().execute("SELECT count(*) FROM uploads WHERE sha256 <> 'demo'").fetchall() == [(0,)]

    assert at.button(key="up_confirm").label == "确认导入"  # the office imports at once
    at.button(key="up_confirm").click().run()
    assert not at.exception, at.exception
    assert "已导入" in at.success[0].value and "替换 20 条" in at.success[0].value

    at.switch_page("pages/overview.py").run()
    k = kpis.park_kpis(store().cursor(), scope.Period.year(2023))
    assert metric_value(at, "利润") == fmt.money(k["total"]["profit"], "zh") != profit_before
    log = ingest.uploads_log(store().cursor())
    assert log.loc[0, ["filename", "uploaded_by", "n_replaced", "status"]].tolist() == [
        "12月更正.csv", "boss", 20, "applied"]
    assert added == 200_000.0


def test_bad_file_shows_every_problem_and_writes_nothing(app_db):
    with Store(app_db) as s:
        before = dump(s)
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("bad_duck.csv", (ROOT / "data/samples/bad_duck.csv").read_bytes(), "text/csv").run()
    assert "8 处问题" in at.error[0].value
    table = table_with(at, "问题")
    assert list(table.columns) == ["行号", "列", "值", "问题"] and len(table) == 8
    assert [7, "存栏(羽)", "-5", "不能为负数"] in table.values.tolist()
    assert not [b for b in at.button if b.key == "up_confirm"]
    assert dump(store()) == before


def test_errors_in_english(app_db):
    at = app("pages/upload.py", ADMIN, lang="en")
    at.file_uploader[0].upload("bad_duck.csv", (ROOT / "data/samples/bad_duck.csv").read_bytes(), "text/csv").run()
    assert "nothing was imported" in at.error[0].value
    assert list(table_with(at, "Problem").columns) == ["Row", "Column", "Value", "Problem"]


def test_manager_cannot_upload_another_cooperative(app_db):
    at = app("pages/upload.py", MANAGER)
    other = f"{DUCK_HEADER}\n2024-01,金羽种鸭专业合作社,D-002,3900,60000,18,24000,85000,70000,2\n".encode()
    at.file_uploader[0].upload("x.csv", other, "text/csv").run()
    assert "只能上报“兴旺种鸭专业合作社”" in at.error[0].value
    assert not [b for b in at.button if b.key == "up_confirm"]


def test_new_units_are_marked_in_the_preview(app_db):
    at = app("pages/upload.py", MANAGER)
    data = (ROOT / "data/samples/duck_2024-01.csv").read_bytes().decode("utf-8-sig")
    data += f"2024-01,{COOP},D-NEW,100,1000,0,500,2000,1000,1\n"
    at.file_uploader[0].upload("jan.csv", data.encode("utf-8-sig"), "text/csv").run()
    assert metric_value(at, "新单元") == "1"
    rows = table_with(at, "状态")
    assert rows.loc[rows["棚号"] == "D-NEW", "状态"].tolist() == ["新增·新单元"]
    at.button(key="up_confirm").click().run()
    assert "已提交" in at.success[0].value and "55 行" in at.success[0].value  # awaiting review


# What the review leaves besides the records: the submission (已撤回 once undone) and its audit row.
CYCLE = ("uploads", "meta", "submissions", "submission_months", "pending_duck", "audit_log")


def test_upload_log_lists_and_undo_restores(app_db):
    data, _ = correction(app_db)
    with Store(app_db) as s:
        before = {k: v for k, v in dump(s).items() if k not in CYCLE}
        sub = ingest.ingest(s, data, "12月更正.csv", permissions.Actor("wang", "manager", COOP))
        res = review.accept(s, sub.submission_id, permissions.SYSTEM)
    at = app("pages/uploads.py", MANAGER)
    log = at.dataframe[0].value
    assert log.iloc[0][["编号", "文件", "上传人", "行数", "状态"]].tolist() == [
        res.upload_id, "12月更正.csv", "wang", 20, "已导入"]
    # Accepted figures are the office's to undo (issue 18): the manager is told why and what to do.
    assert not [b for b in at.button if b.key == "undo_go"] and not [b for b in at.selectbox if b.key == "undo_pick"]
    assert "已通过的数据只能由农业办撤销；如需更正请重新上报，审核通过后替换。" in [i.value for i in at.info]
    at = app("pages/uploads.py", ADMIN)
    assert at.selectbox(key="undo_pick").value == res.upload_id  # demo uploads are not offered
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo_go").click().run()
    assert not at.exception, at.exception
    assert "已撤销编号" in at.success[0].value
    after = {k: v for k, v in dump(store()).items() if k not in CYCLE}
    assert after == before


def test_a_manager_withdraws_a_submission_awaiting_review_on_the_log(app_db):
    data, _ = correction(app_db)
    with Store(app_db) as s:
        sid = ingest.ingest(s, data, "12月更正.csv", permissions.Actor("wang", "manager", COOP)).submission_id
    at = app("pages/uploads.py", MANAGER)
    assert at.selectbox(key="wd_pick").value == sid and at.button(key="wd_go").disabled
    at.checkbox(key="wd_sure").check().run()
    at.button(key="wd_go").click().run()
    assert not at.exception, at.exception
    assert f"已撤回报送 {sid}，它不会计入任何数字。" in [x.value for x in at.success]
    assert store().cursor().execute("SELECT state FROM submissions WHERE submission_id = ?",
                                    [sid]).fetchone() == ("superseded",)
    assert table_with(at, "报送编号").iloc[0][["报送编号", "状态"]].tolist() == [sid, "已撤回"]
    assert not [b for b in at.button if b.key == "wd_go"]  # nothing left awaiting review
    assert not [b for b in app("pages/uploads.py", ADMIN).button if b.key == "wd_go"]  # the office returns instead


def test_viewer_sees_the_log_but_cannot_undo(app_db):
    data, _ = correction(app_db)
    with Store(app_db) as s:
        accounts.create_user(s, permissions.SYSTEM, "li", "pass-for-tests", "viewer")
        ingest.ingest(s, data, "12月更正.csv", permissions.SYSTEM)
    at = app("pages/uploads.py", User("li", "viewer"))
    assert table_with(at, "文件")["文件"].tolist()[0] == "12月更正.csv"
    assert not [b for b in at.button if b.key == "undo_go"]


def test_manager_is_offered_only_own_uploads(app_db, monkeypatch):
    monkeypatch.setenv("PARK_REVIEW", "0")  # with review on a manager undoes no applied upload (above)
    data, _ = correction(app_db)
    other = f"{DUCK_HEADER}\n2024-01,金羽种鸭专业合作社,D-002,3900,60000,18,24000,85000,70000,2\n".encode()
    with Store(app_db) as s:
        mine = ingest.ingest(s, data, "mine.csv", permissions.SYSTEM)
        ingest.ingest(s, other, "other.csv", permissions.SYSTEM)
    at = app("pages/uploads.py", MANAGER)
    options = at.selectbox(key="undo_pick").options
    assert len(options) == 1 and options[0].startswith(f"{mine.upload_id} · mine.csv · system · ")


FIELD = ROOT / "tests" / "data" / "field_cases"


def test_an_xls_workbook_is_previewed_with_its_sheets_and_layout(app_db):
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("生猪.xls", (FIELD / "01_wps-excel97-2003.xls").read_bytes(),
                               "application/vnd.ms-excel").run()
    assert not at.exception and not at.error, at.error
    captions = " ".join(c.value for c in at.caption)
    assert "工作表“生猪月报”：读取 2 行，月份 2026" in captions and "表头第1行" in captions
    assert metric_value(at, "行数") == "2"
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value


def test_placeholders_are_listed_and_blanks_are_blank(app_db):
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("占位.csv", (FIELD / "09_placeholders-dash-slash-wu.csv").read_bytes(), "text/csv").run()
    assert not at.exception
    readings = table_with(at, "读作")
    assert readings[["行号", "值"]].values.tolist() == [[3, "—"], [4, "无"], [4, "-"], [3, "/"]]
    rows = table_with(at, "状态")
    assert rows.loc[rows["养殖户"] == "孙三田", "能繁母猪(头)"].tolist() == [""]  # not "None", not nan


def test_a_look_alike_cooperative_is_mapped_before_confirming(app_db):
    data = f"{DUCK_HEADER}\n2024-01,兴旺种鸭合作社,D-001,3900,60000,18,24000,85000,70000,2\n".encode()
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("别名.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    pick = at.radio(key="up_map_0")
    assert pick.value.startswith("是已登记的") and COOP in pick.value
    assert not at.info or "将新登记合作社" not in " ".join(i.value for i in at.info)
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value and "新登记合作社" not in at.success[0].value
    cur = store().cursor()
    assert cur.execute("SELECT alias, name FROM name_aliases").fetchall() == [("兴旺种鸭合作社", COOP)]
    assert cur.execute("SELECT count(*) FROM cooperatives WHERE name = '兴旺种鸭合作社'").fetchall() == [(0,)]


def test_a_correction_sheet_shows_only_its_changed_cells(app_db):
    with Store(app_db) as s:
        unit, cost = s.cursor().execute("""SELECT unit, cost FROM duck_records WHERE cooperative = ?
                                           AND month = DATE '2023-12-01' ORDER BY unit LIMIT 1""", [COOP]).fetchall()[0]
    at = app("pages/upload.py", ADMIN)
    at.selectbox(key="up_sector").set_value("duck").run()
    at.file_uploader[0].upload("成本更正.csv", f"月份,合作社,棚号,成本(元)\n2023-12,{COOP},{unit},1\n".encode(),
                               "text/csv").run()
    assert not at.exception, at.exception
    diff = table_with(at, "原值")
    assert diff[["列", "原值", "新值"]].values.tolist() == [["成本(元)", ingest.display_value(cost), "1"]]


def test_a_column_not_understood_is_chosen_on_the_page_then_read(app_db):
    """本月出栏 is read as 出栏; 出栏合计 is refused until the uploader says what it is."""
    head = "月份,合作社,养殖户,存栏(头),本月出栏(头),出栏合计(头),本年累计出栏(头),销售收入(元)\n"
    data = (head + "2026-09,众兴养猪专业合作社,王一,100,5,5,40,10000\n").encode()
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("列.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    assert "1 处问题" in at.error[0].value
    assert "它可能就是“出栏(头)”" in table_with(at, "问题")["问题"].iloc[0]
    became = table_with(at, "导入为").set_index("文件中的列")["导入为"]
    assert became["本月出栏(头)"] == "出栏(头)（本月数）" and became["本年累计出栏(头)"] == "出栏的累计数，不导入"
    assert not [b for b in at.button if b.key == "up_confirm"]
    at.selectbox(key="up_col__5").set_value("__ignore__").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    became = table_with(at, "导入为").set_index("文件中的列")["导入为"]
    assert became["出栏合计(头)"] == "按您的指定忽略"
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value
    cur = store().cursor()
    assert cur.execute("""SELECT stock, sold_head FROM hog_records WHERE unit = '王一'""").fetchall() == [(100, 5)]


def test_any_file_type_reaches_our_reader_and_its_chinese_message(app_db):
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("报表.pdf", b"%PDF-1.4 fake", "application/pdf").run()
    assert not at.exception, at.exception
    assert "这是 PDF 文件，不是表格" in at.error[0].value


def test_an_ods_workbook_is_accepted_and_previewed(app_db):
    from tests.ods import ods_bytes
    from tests.test_ingest_noise import FOUR, HOG_H

    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("生猪.ods", ods_bytes({"9月": [HOG_H, *FOUR]}),
                               "application/vnd.oasis.opendocument.spreadsheet").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metric_value(at, "行数") == "4"
    assert r"编码 OpenDocument \(\.ods\)" in " ".join(c.value for c in at.caption)  # as escaped Markdown


def test_a_value_outside_the_usual_range_needs_an_explanation_kept_with_it(app_db):
    """500 元 per hog sold (usual 800–6,400): the row needs a 上报说明 before confirming; it is stored."""
    data = ("月份,合作社,养殖户,存栏(头),能繁母猪(头),出栏(头),销售收入(元)\n"
            "2026-09,众兴养猪专业合作社,王一,100,10,10,5000\n"
            "2026-09,众兴养猪专业合作社,王二,100,10,10,25000\n").encode()
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("核实.csv", data, "text/csv").run()
    assert not at.exception, at.exception
    assert "还有 1 行需要填写上报说明" in at.warning[-1].value
    assert at.button(key="up_confirm").disabled
    box = at.text_input(key="up_explain__2")
    assert r"出栏每头收入 500 元\/头（参考 800–6\,400 元\/头）" in box.label  # as escaped Markdown
    box.input("本月卖的是仔猪").run()
    assert not at.button(key="up_confirm").disabled
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value
    got = ingest.explanations(store().cursor(), unit="王一")
    assert got[["row_number", "explanation", "uploaded_by"]].values.tolist() == [[2, "本月卖的是仔猪", "boss"]]
    assert "出栏每头收入 500 元/头" in got["checks"].iloc[0]
    at.switch_page("pages/uploads.py").run()  # the upload log keeps it beside who wrote the value
    assert not at.exception, at.exception
    kept = table_with(at, "上报说明")
    assert kept[["单元", "月份", "上报说明", "上传人"]].values.tolist() == [
        ["王一", "2026-09", "本月卖的是仔猪", "boss"]]


def test_column_choices_are_remembered_for_the_cooperatives_next_file_of_that_layout(app_db):
    """A choice made on the page is kept when the upload is committed; the same cooperative's next
    file of the same layout starts from it, says so, and can change it."""
    head = "月份,合作社,养殖户,存栏(头),出栏合计(头),其他收入(元),销售收入(元)\n"
    aug = (head + "2026-08,众兴养猪专业合作社,王一,100,5,300,10000\n").encode()
    sep = (head + "2026-09,众兴养猪专业合作社,王一,100,7,300,12000\n").encode()
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("8月.csv", aug, "text/csv").run()
    assert "2 处问题" in at.error[0].value and not at.info
    at.selectbox(key="up_col__4").set_value("sold_head").run()
    at.selectbox(key="up_col__5").set_value("__ignore__").run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value

    at.file_uploader[0].upload("9月.csv", sep, "text/csv").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # read with last month's choices
    said = [i.value.replace("\\", "") for i in at.info if "沿用上次的列选择" in i.value]  # escaped Markdown
    assert said == ["沿用上次的列选择：“出栏合计(头)” → 出栏(头)；“其他收入(元)” → 忽略（可在下面的“列核对”里修改）"]
    assert at.selectbox(key="up_col__4").value == "sold_head"
    became = table_with(at, "导入为").set_index("文件中的列")["导入为"]
    assert became["出栏合计(头)"] == "出栏(头)（按您的指定）" and became["其他收入(元)"] == "按您的指定忽略"
    at.selectbox(key="up_col__4").set_value("__ignore__").run()  # changeable
    assert not [i for i in at.info if "沿用上次的列选择：“出栏合计" in i.value]
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value
    cur = store().cursor()
    assert cur.execute("""SELECT sold_head FROM hog_records WHERE unit = '王一' AND month = DATE '2026-09-01'
                       """).fetchall() == [(None,)]
    assert cur.execute("""SELECT header, choice, chosen_by FROM column_choices ORDER BY header""").fetchall() == [
        ("其他收入(元)", "", "boss"), ("出栏合计(头)", "", "boss")]


def test_a_manager_reads_only_his_cooperatives_uploads(app_db):
    """DESIGN §2: a manager sees only his own cooperative; the office sees every upload."""
    data, _ = correction(app_db)
    other = f"{DUCK_HEADER}\n2024-01,金羽种鸭专业合作社,D-002,3900,60000,18,24000,85000,70000,2\n".encode()
    with Store(app_db) as s:
        ingest.ingest(s, data, "mine.csv", permissions.SYSTEM)
        ingest.ingest(s, other, "other.csv", permissions.SYSTEM)
    files = table_with(app("pages/uploads.py", MANAGER), "文件")["文件"].tolist()
    assert "mine.csv" in files and "other.csv" not in files
    office = table_with(app("pages/uploads.py", ADMIN), "文件")["文件"].tolist()
    assert {"mine.csv", "other.csv"} <= set(office)
    assert not permissions.may_see_uploads_of(MANAGER, ["金羽种鸭专业合作社", MANAGER.cooperative])
    assert not permissions.may_see_uploads_of(MANAGER, [])
