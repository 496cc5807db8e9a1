"""The admin page through AppTest: users, annual targets, unit registry; checked in the database."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from analytics.access import accounts, lockout
from analytics.figures import annual_targets
from analytics.store import registry
from tests.test_auth_ui import ADMIN_PW, COOP, PW, app, app_env, login  # noqa: F401 - app_env is a fixture
from ui import cache


@pytest.fixture
def at():
    a = login(app(), "admin", ADMIN_PW)
    a.switch_page("pages/admin.py").run()
    assert not a.exception, a.exception
    assert [t.value for t in a.title] == ["管理"]
    return a


def account(name: str) -> accounts.Account | None:
    return accounts.get_user(cache.store().cursor(), name)


def click(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception


def test_users_table_lists_accounts(at):
    table = at.dataframe[0].value
    assert list(table["用户名"]) == ["admin", "wang", "li"]
    assert list(table["角色"]) == ["管理员", "合作社管理员", "农业办（只读）"]
    assert table.set_index("用户名").loc["wang", "合作社"] == COOP


def test_add_manager(at):
    at.text_input(key="add_name").input("zhao")
    at.selectbox(key="add_role").set_value("manager")
    at.selectbox(key="add_coop").set_value("金羽种鸭专业合作社")
    at.text_input(key="add_pw").input("zhao-password")
    click(at, "添加")
    assert "已添加用户 zhao。" in [s.value for s in at.success]
    a = account("zhao")
    assert (a.role, a.cooperative, a.disabled) == ("manager", "金羽种鸭专业合作社", False)
    h = cache.store().cursor().execute("SELECT password_hash FROM users WHERE username = 'zhao'").fetchone()[0]
    assert "zhao-password" not in h and PasswordHasher().verify(h, "zhao-password")
    assert "zhao" in list(at.dataframe[0].value["用户名"])
    # The form starts empty again: no name, no password left in the browser, least power first.
    assert (at.text_input(key="add_name").value, at.text_input(key="add_pw").value) == ("", "")
    assert (at.selectbox(key="add_role").value, at.selectbox(key="add_coop").value) == ("viewer", None)
    assert not at.warning or all("Session State" not in w.value for w in at.warning)


def test_add_manager_without_cooperative_is_refused(at):
    at.text_input(key="add_name").input("zhao")
    at.selectbox(key="add_role").set_value("manager")
    at.text_input(key="add_pw").input("zhao-password")
    click(at, "添加")
    assert "合作社管理员必须指定所属合作社。" in [e.value for e in at.error]
    assert account("zhao") is None


def test_a_look_alike_cooperative_needs_the_new_cooperative_tick(at):
    at.text_input(key="add_name").input("zhao")
    at.selectbox(key="add_role").set_value("manager")
    at.text_input(key="add_coop_new").input("金羽（种鸭）合作社")  # the demo has 金羽种鸭专业合作社
    at.text_input(key="add_pw").input("zhao-password")
    click(at, "添加")
    assert [e.value for e in at.error] == [
        "“金羽（种鸭）合作社”像是已登记的“金羽种鸭专业合作社”（去掉“专业”“养殖”“合作社”、空格、括号等字样后相同）。"
        "如是同一个合作社，请从列表中选择已登记的名称；确是另一个合作社，请勾选“确是新合作社”后再保存。"]
    assert account("zhao") is None
    assert at.text_input(key="add_name").value == "zhao"  # kept to correct, not retyped
    at.checkbox(key="add_new_coop").check()
    click(at, "添加")
    assert "已添加用户 zhao。" in [s.value for s in at.success]
    assert account("zhao").cooperative == "金羽（种鸭）合作社"
    assert at.text_input(key="add_name").value == ""  # emptied for the next user


def test_reset_password_disable_and_enable(at):
    at.selectbox(key="edit_user").set_value("wang").run()
    at.text_input(key="reset_pw").input("brand-new-pass")
    click(at, "重置密码")
    assert "已为 wang 设置新密码。" in [s.value for s in at.success]
    assert lockout.authenticate(cache.store(), "wang", "brand-new-pass").cooperative == COOP
    click(at, "停用")
    assert account("wang").disabled
    with pytest.raises(lockout.LoginFailed, match="已停用"):
        lockout.authenticate(cache.store(), "wang", "brand-new-pass")
    assert at.selectbox(key="edit_user").value == "wang"
    click(at, "启用")
    assert not account("wang").disabled


def test_last_admin_cannot_disable_themself(at):
    at.selectbox(key="edit_user").set_value("admin").run()
    click(at, "停用")
    assert any("唯一可用的管理员" in e.value for e in at.error)
    assert not account("admin").disabled


def test_assign_cooperative_and_unlock(at):
    for _ in range(5):
        with pytest.raises(lockout.LoginFailed):
            lockout.authenticate(cache.store(), "wang", "wrong", sleep=lambda s: None)
    at.run()
    assert at.dataframe[0].value.set_index("用户名").loc["wang", "状态"].startswith("锁定至")
    at.selectbox(key="edit_user").set_value("wang").run()
    at.selectbox(key="edit_coop_wang").set_value("金羽种鸭专业合作社")
    click(at, "保存角色和合作社")
    assert account("wang").cooperative == "金羽种鸭专业合作社"
    click(at, "解除锁定")
    assert lockout.authenticate(cache.store(), "wang", PW).cooperative == "金羽种鸭专业合作社"


def test_targets_saved_in_canonical_units(at):
    assert at.number_input(key="target_duck_stock_2023").value == 700_000  # the demo's target
    assert at.number_input(key="target_duck_profit_2023").value == 700  # 万元
    at.number_input(key="target_duck_stock_2023").set_value(800_000)
    at.number_input(key="target_hog_profit_2023").set_value(2_500)
    at.number_input(key="target_total_jobs_2023").set_value(0)  # 0: no target
    click(at, "保存目标")
    assert "已保存 2023 年目标。" in [s.value for s in at.success]
    t = annual_targets.targets(cache.store().cursor(), 2023).set_index(["sector", "metric"])["value"]
    assert t[("duck", "stock")] == 800_000
    assert t[("hog", "profit")] == 25_000_000
    assert t[("duck", "profit")] == 7_000_000  # untouched
    assert ("total", "jobs") not in t.index


def test_unit_registry_corrections(at):
    at.selectbox(key="units_coop").set_value(COOP).run()
    editor = at.data_editor[0]
    units = editor.value
    assert set(units["cooperative"]) == {COOP} and len(units) > 5
    first, second = units["unit"].iloc[0], units["unit"].iloc[1]
    at.session_state[editor.key] = {"edited_rows": {0: {"land_mu": 9.5}, 1: {"village": "新村"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("已修改 2 个" in c.value for c in at.caption)
    click(at, "保存更正")
    assert "已更正 2 个单元。" in [s.value for s in at.success]
    after = registry.list_units(cache.store().cursor(), COOP).set_index("unit")
    assert after.loc[first, "land_mu"] == 9.5 and after.loc[second, "village"] == "新村"
    # The saved edits are not applied a second time on the fresh table.
    assert any("已修改 0 个" in c.value for c in at.caption)


def test_admin_page_in_english():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from ui.auth import User

    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["auth_user"] = User("admin", "admin")
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Users", "Annual targets", "Unit registry", "Backups", "Audit log"]
    assert list(at.dataframe[0].value.columns) == ["Username", "Role", "Cooperative", "Status", "Created"]
    assert at.number_input(key="target_duck_profit_2023").label == "Duck profit (10k yuan)"


def test_backup_now_and_the_restore_command(at, app_db):
    from analytics.store import files

    assert not files.list_backups(files.backup_dir(app_db))
    at.button(key="backup_now").click().run()
    assert not at.exception, at.exception
    (made,) = files.list_backups(files.backup_dir(app_db))
    assert made.manifest and made.manifest["made_by"] == "admin"
    # The sizes on disk: the database, uploads/ and the backups, as files.store_sizes counts them.
    sizes = files.store_sizes(app_db)
    assert sizes["backups"] > 0
    shown = next(c.value for c in at.caption if c.value.startswith("占用磁盘："))
    assert (f"数据库 {sizes['store'] / 1e6:,.1f} MB" in shown
            and f"备份 {sizes['backups'] / 1e6:,.1f} MB" in shown and "最多保留 30 份" in shown), shown
    assert any(made.path.name in s.value.replace("\\", "") for s in at.success)
    assert f"{files.PYTHON} -m analytics restore {made.path} --db {app_db}" in [c.value for c in at.code]
    # The 操作记录 tab lists it, with who did it.
    log = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert (log.iloc[0]["操作人"], log.iloc[0]["操作"], log.iloc[0]["对象"]) == ("admin", "备份", made.path.name)


def test_audit_tab_lists_admin_actions(at):
    at.text_input(key="add_name").input("zhao")
    at.selectbox(key="add_role").set_value("viewer")
    at.text_input(key="add_pw").input("zhao-password")
    click(at, "添加")
    log = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert (log.iloc[0]["操作人"], log.iloc[0]["操作"], log.iloc[0]["对象"]) == ("admin", "添加用户", "zhao")
    assert "首次启动创建的管理员" in list(log["内容"])  # the first admin, made at start by the system


def test_locked_addresses_are_listed_and_lifted(at):
    from datetime import datetime

    for i in range(5):
        with pytest.raises(lockout.LoginFailed):
            lockout.authenticate(cache.store(), "wang", f"wrong-{i}", address="10.0.0.7", now=datetime.now())
    at.run()
    assert [s.value for s in at.subheader if s.value == "暂停登录的地址"]
    locked = next(d.value for d in at.dataframe if "地址" in d.value.columns)
    assert list(zip(locked["地址"], locked["账号"])) == [("10.0.0.7", "wang")]
    at.button(key="unlock_addresses").click().run()
    assert not at.exception, at.exception
    assert lockout.locked_addresses(cache.store().cursor()).empty
    assert not [s for s in at.subheader if s.value == "暂停登录的地址"]
