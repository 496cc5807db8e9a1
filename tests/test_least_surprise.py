"""Least surprise (issue 9, point 6): a new user is a read-only viewer unless the admin says
otherwise; an undone upload leaves the undo list at once; the language switch keeps widget
values (the browser half of that is in test_browser_sessions.py)."""

from __future__ import annotations

from analytics import ingest
from analytics.access import accounts, permissions
from analytics.store.db import Store
from analytics.text import md
from tests.test_ingest import DUCK_HEADER
from tests.test_upload_page import ADMIN, COOP, MANAGER, app, app_env  # noqa: F401


def test_new_user_defaults_to_the_office_viewer(app_db):
    at = app("pages/admin.py", ADMIN)
    role = at.selectbox(key="add_role")
    assert role.value == "viewer" and role.options[role.index] == "农业办（只读）"
    at.text_input(key="add_name").input("zhao")
    at.text_input(key="add_pw").input("pass-for-zhao")
    next(b for b in at.button if b.form_id == "admin_add_user").click()
    at.run()
    assert not at.exception, at.exception
    from ui import cache

    assert accounts.get_user(cache.store().cursor(), "zhao").role == "viewer"
    assert at.selectbox(key="add_role").value == "viewer"  # and again for the next one


def _month(month: str, revenue: float) -> bytes:
    return (f"{DUCK_HEADER}\n{month},{COOP},D-001,3900,60000,18,24000,{revenue},70000,2\n").encode("utf-8-sig")


def test_an_undone_upload_leaves_the_undo_list_at_once(app_db):
    with Store(app_db) as s:
        first = ingest.ingest(s, _month("2024-01", 85_000), "一月.csv", permissions.SYSTEM)
        second = ingest.ingest(s, _month("2024-02", 86_000), "二月.csv", permissions.SYSTEM)
    at = app("pages/uploads.py", ADMIN)
    assert [o.split(" · ")[0] for o in at.selectbox(key="undo_pick").options] == [
        str(second.upload_id), str(first.upload_id)]
    at.selectbox(key="undo_pick").set_value(second.upload_id)
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo_go").click().run()
    assert not at.exception, at.exception
    assert f"已撤销编号 {second.upload_id}（{md('二月.csv')}）" in at.success[0].value
    # The same run already shows it: no stale choice, the box unticked, the log says 已撤销.
    assert [o.split(" · ")[0] for o in at.selectbox(key="undo_pick").options] == [str(first.upload_id)]
    assert at.checkbox(key="undo_sure").value is False
    log = at.dataframe[0].value.set_index("编号")
    assert log.loc[second.upload_id, "状态"] == "已撤销" and log.loc[first.upload_id, "状态"] == "已导入"
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo_go").click().run()
    assert f"已撤销编号 {first.upload_id}（{md('一月.csv')}）" in at.success[0].value
    assert not [b for b in at.button if b.key == "undo_go"]  # nothing left to undo: no list at all
    from ui import cache

    cur = cache.store().cursor()
    assert cur.execute("SELECT count(*) FROM duck_records WHERE year(month) = 2024").fetchone()[0] == 0


def test_language_switch_keeps_the_values_of_keyed_widgets(app_db):
    at = app("pages/duck.py", MANAGER)

    def w(kind: str, key: str):
        return getattr(at.sidebar, kind)(key=key)  # the tree is new after every run

    w("radio", "f_mode").set_value("year").run()
    w("selectbox", "f_year").set_value(2022).run()
    w("multiselect", "f_coop").set_value([COOP]).run()
    w("toggle", "_lang_toggle").set_value(True).run()
    assert not at.exception, at.exception
    assert (w("radio", "f_mode").value, w("selectbox", "f_year").value, w("multiselect", "f_coop").value) == (
        "year", 2022, [COOP])
    assert w("radio", "f_mode").options == ["Month", "Year to date", "Year", "Range"]
    w("radio", "f_mode").set_value("range").run()
    w("toggle", "_lang_toggle").set_value(False).run()
    assert w("radio", "f_mode").value == "range" and w("radio", "f_mode").options == ["月", "年累计", "全年", "区间"]
    assert w("multiselect", "f_coop").value == [COOP]
