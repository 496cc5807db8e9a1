"""Accounts, password hashes, login with slow-down and lockout, admin-only edits, the users CLI."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from argon2 import PasswordHasher

from analytics import scope, settings
from analytics.__main__ import main
from analytics.access import accounts, lockout, passwords, permissions
from analytics.access import audit as access_audit
from analytics.access.permissions import SYSTEM, Actor, PermissionDenied
from analytics.figures import annual_targets, kpis, lists
from analytics.store import registry

PW = "Geheim-密码-2023"
MANAGER = Actor("wang", "manager", "兴旺种鸭专业合作社")
VIEWER = Actor("li", "viewer")
IP1, IP2 = "10.0.0.7", "10.0.0.99"  # two office PCs
NO_WAIT = {"sleep": lambda s: None}


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    """Cheap argon2 parameters: the rules under test do not depend on the cost."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", None)


def add(store, name: str, role: str = "manager", coop: str | None = "兴旺种鸭专业合作社",
        password: str = PW) -> accounts.Account:
    return accounts.create_user(store, SYSTEM, name, password, role, coop)


def users_table(store) -> list[tuple]:
    return store.cursor().execute("SELECT * FROM users ORDER BY username").fetchall()


# --- hashes ------------------------------------------------------------------------------

def test_hash_in_database_verifies_and_holds_no_plaintext(store, monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())  # the production parameters
    add(store, "wang")
    add(store, "zhang", "viewer", None)  # same password: the salt must make the hashes differ
    rows = store.cursor().execute("SELECT username, password_hash FROM users ORDER BY 1").fetchall()
    hashes = [h for _, h in rows]
    assert hashes[0] != hashes[1]
    for h in hashes:
        assert h.startswith("$argon2id$")
        assert PW not in h
        assert PasswordHasher().verify(h, PW)
        assert not PasswordHasher().check_needs_rehash(h)  # the library's current recommendation
    store.cursor().execute("CHECKPOINT")
    raw = store.path.read_bytes()
    assert PW.encode() not in raw and b"Geheim" not in raw


def test_short_password_refused_and_nothing_written(store):
    with pytest.raises(permissions.AccountError, match="至少需要 8 个字符"):
        add(store, "wang", password="1234567")
    assert users_table(store) == []


@pytest.mark.parametrize("name, role, coop, message", [
    ("", "viewer", None, "用户名不能为空"),
    ("a b", "viewer", None, "不能含空格"),
    ("wang", "boss", None, "角色“boss”无效"),
    ("wang", "manager", None, "必须指定所属合作社"),
    ("wang", "manager", "  ", "必须指定所属合作社"),
])
def test_create_user_validation(store, name, role, coop, message):
    with pytest.raises(permissions.AccountError, match=message):
        accounts.create_user(store, SYSTEM, name, PW, role, coop)
    assert users_table(store) == []


def test_duplicate_user_refused(store):
    add(store, "wang")
    with pytest.raises(permissions.AccountError, match="已存在"):
        add(store, "wang", "viewer", None)
    assert [a.role for a in accounts.list_users(store.cursor())] == ["manager"]


def test_only_managers_keep_a_cooperative(store):
    a = add(store, "li", "viewer", "兴旺种鸭专业合作社")
    assert a.cooperative is None


@pytest.mark.parametrize("actor", [MANAGER, VIEWER, None])
def test_only_admin_manages_users(store, actor):
    add(store, "zhao")
    with pytest.raises(PermissionDenied, match="只有管理员"):
        accounts.create_user(store, actor, "evil", PW, "admin")
    with pytest.raises(PermissionDenied):
        accounts.disable_user(store, actor, "zhao")
    with pytest.raises(PermissionDenied):
        accounts.assign_cooperative(store, actor, "zhao", "别的合作社")
    with pytest.raises(PermissionDenied):
        accounts.unlock_user(store, actor, "zhao")
    if actor is not None:
        with pytest.raises(PermissionDenied, match="重置其他用户的密码"):
            accounts.set_password(store, actor, "zhao", "new-password-1")
    assert [(a.username, a.cooperative, a.disabled) for a in accounts.list_users(store.cursor())] == [
        ("zhao", "兴旺种鸭专业合作社", False)]
    assert lockout.authenticate(store, "zhao", PW).username == "zhao"


def test_user_may_change_own_password(store):
    add(store, "wang")
    accounts.set_password(store, MANAGER, "wang", "new-password-1")
    assert lockout.authenticate(store, "wang", "new-password-1") == MANAGER


# --- login -------------------------------------------------------------------------------

def test_authenticate_returns_the_actor(store):
    add(store, "wang")
    assert lockout.authenticate(store, "wang", PW) == MANAGER
    assert lockout.authenticate(store, " wang ", PW) == MANAGER  # a stray space in the form


def test_wrong_password_and_unknown_user_get_the_same_answer(store):
    add(store, "wang")
    with pytest.raises(lockout.LoginFailed) as wrong:
        lockout.authenticate(store, "wang", "nope", sleep=lambda s: None)
    with pytest.raises(lockout.LoginFailed) as unknown:
        lockout.authenticate(store, "nobody", PW, sleep=lambda s: None)
    assert str(wrong.value) == str(unknown.value) == "用户名或密码错误。"
    with pytest.raises(lockout.LoginFailed):
        lockout.authenticate(store, "wang", "", sleep=lambda s: None)


def test_wrong_passwords_slow_down_then_lock(store):
    add(store, "wang")
    slept: list[float] = []
    t0 = datetime(2024, 3, 1, 9, 0)
    for i in range(4):
        with pytest.raises(lockout.LoginFailed) as e:
            lockout.authenticate(store, "wang", f"guess-{i}", address=IP1, now=t0, sleep=slept.append)
        assert not isinstance(e.value, lockout.AccountLocked)
    assert slept == [0.0, 1.0, 2.0, 4.0]
    assert "再错 1 次将暂停从这里登录" in str(e.value)
    with pytest.raises(lockout.AccountLocked, match=f"账号 wang 从地址 {IP1} 连续输错密码.*请于 09:15 后再试") as e:
        lockout.authenticate(store, "wang", "guess-5", address=IP1, now=t0, sleep=slept.append)
    assert e.value.until == t0 + timedelta(minutes=15)
    account = accounts.get_user(store.cursor(), "wang")
    assert account.locked(t0) and account.locked_until == t0 + timedelta(minutes=15)
    # While locked even the right password is refused, and without waiting on the hash.
    with pytest.raises(lockout.AccountLocked, match="请于 09:15 后再试"):
        lockout.authenticate(store, "wang", PW, address=IP1, now=t0 + timedelta(minutes=14), sleep=slept.append)
    # After the lock: the right password works and the counters are cleared.
    assert lockout.authenticate(store, "wang", PW, address=IP1, now=t0 + timedelta(minutes=16)) == MANAGER
    account = accounts.get_user(store.cursor(), "wang")
    assert account.failed_logins == 0
    assert store.cursor().execute("SELECT count(*) FROM login_failures WHERE address = ?", [IP1]).fetchone()[0] == 0


def fail(store, name: str, n: int, address: str | None, now: datetime) -> BaseException:
    """``n`` wrong passwords; the last exception."""
    for i in range(n):
        try:
            lockout.authenticate(store, name, f"wrong-{i}", address=address, now=now, **NO_WAIT)
        except lockout.LoginFailed as e:
            last = e
    return last


def test_a_stranger_cannot_lock_the_admin_out(store):
    """Lockout counts per account *and address*: the stranger's PC is locked, not the account."""
    add(store, "boss", role="admin", coop=None)
    t0 = datetime(2024, 3, 1, 9, 0)
    assert isinstance(fail(store, "boss", 5, IP1, t0), lockout.AccountLocked)
    with pytest.raises(lockout.AccountLocked, match=f"从地址 {IP1}"):
        lockout.authenticate(store, "boss", PW, address=IP1, now=t0)  # the stranger's PC stays locked
    # The admin at another PC, and at the machine itself, logs in at once.
    assert lockout.authenticate(store, "boss", PW, address=IP2, now=t0).role == "admin"
    assert lockout.authenticate(store, "boss", PW, address=None, now=t0).role == "admin"
    rows = store.cursor().execute("""SELECT username, address, failures, locked_until FROM login_failures
                                     ORDER BY username, address""").fetchall()
    assert rows == [("", IP1, 5, None), ("boss", IP1, 0, t0 + timedelta(minutes=15))]


def test_one_address_trying_many_names_is_locked_for_all(store, monkeypatch):
    monkeypatch.setenv("PARK_LOGIN_MAX_FAILURES_PER_ADDRESS", "6")
    for name in ("wang", "zhao", "qian"):
        add(store, name)
    t0 = datetime(2024, 3, 1, 9, 0)
    fail(store, "wang", 2, IP1, t0)
    fail(store, "zhao", 2, IP1, t0)
    fail(store, "nobody", 1, IP1, t0)  # unknown names count the same way
    with pytest.raises(lockout.AccountLocked, match=f"从地址 {IP1} 登录失败的次数过多"):
        lockout.authenticate(store, "qian", "wrong", address=IP1, now=t0, **NO_WAIT)
    with pytest.raises(lockout.AccountLocked, match="已暂停从这里登录"):
        lockout.authenticate(store, "qian", PW, address=IP1, now=t0)
    assert lockout.authenticate(store, "qian", PW, address=IP2, now=t0) == Actor("qian", "manager", MANAGER.cooperative)
    assert lockout.authenticate(store, "qian", PW, address=IP1, now=t0 + timedelta(minutes=16)).username == "qian"


def test_unknown_names_lock_like_known_ones(store):
    """A lockout does not reveal which names exist."""
    add(store, "wang")
    t0 = datetime(2024, 3, 1, 9, 0)
    known, unknown = fail(store, "wang", 5, IP1, t0), fail(store, "ghost", 5, IP2, t0)
    assert type(known) is type(unknown) is lockout.AccountLocked
    assert str(known).replace("wang", "X").replace(IP1, "A") == str(unknown).replace("ghost", "X").replace(IP2, "A")


def test_admin_on_the_machine_itself_is_never_locked_out(store, monkeypatch):
    add(store, "boss", role="admin", coop=None)
    add(store, "wang")
    t0 = datetime(2024, 3, 1, 9, 0)
    slept: list[float] = []
    for i in range(8):  # far past every limit, from localhost (no address)
        with pytest.raises(lockout.LoginFailed) as e:
            lockout.authenticate(store, "boss", f"wrong-{i}", address=None, now=t0, sleep=slept.append)
        assert not isinstance(e.value, lockout.AccountLocked)
    assert slept[-1] == 8.0  # still slowed down
    assert lockout.authenticate(store, "boss", PW, address=None, now=t0).role == "admin"
    # Not for other roles, and not when the setting is off (a reverse proxy on this machine).
    assert isinstance(fail(store, "wang", 5, None, t0), lockout.AccountLocked)
    monkeypatch.setenv("PARK_LOGIN_LOCAL_ADMIN", "0")
    assert isinstance(fail(store, "boss", 5, None, t0), lockout.AccountLocked)
    with pytest.raises(lockout.AccountLocked, match="从本机"):
        lockout.authenticate(store, "boss", PW, address=None, now=t0)


def test_admin_lifts_address_locks(store):
    add(store, "wang")
    t0 = datetime.now()
    fail(store, "wang", 5, IP1, t0)
    locked = lockout.locked_addresses(store.cursor(), t0)
    assert list(zip(locked["address"], locked["username"])) == [(IP1, "wang")]
    with pytest.raises(PermissionDenied):
        lockout.unlock_addresses(store, MANAGER)
    assert lockout.unlock_addresses(store, SYSTEM) == 1
    assert lockout.locked_addresses(store.cursor(), t0).empty
    assert lockout.authenticate(store, "wang", PW, address=IP1).username == "wang"


# --- audit ---------------------------------------------------------------------------------

def audit(store) -> list[tuple]:
    df = access_audit.audit_log(store.cursor())
    rows = zip(df["actor"], df["action"], df["target"], df["detail"])
    return [tuple(None if pd.isna(v) else v for v in r) for r in rows][::-1]  # oldest first


def test_admin_actions_are_audited_with_who_and_when(store):
    boss = Actor("boss", "admin")
    before = datetime.now().replace(microsecond=0) - timedelta(seconds=1)
    add(store, "boss", role="admin", coop=None)
    accounts.create_user(store, boss, "wang", PW, "manager", "兴旺种鸭专业合作社")
    accounts.set_password(store, boss, "wang", "new-password-1")
    accounts.disable_user(store, boss, "wang")
    accounts.disable_user(store, boss, "wang", disabled=False)
    accounts.assign_cooperative(store, boss, "wang", "金羽种鸭专业合作社")
    accounts.unlock_user(store, boss, "wang")
    registry.set_targets(store, boss, 2023, {("duck", "stock"): 700_000, ("hog", "profit"): None})
    assert audit(store) == [
        ("system", "create_user", "boss", "管理员"),
        ("boss", "create_user", "wang", "合作社管理员，兴旺种鸭专业合作社"),
        ("boss", "set_password", "wang", None),
        ("boss", "disable_user", "wang", None),
        ("boss", "enable_user", "wang", None),
        ("boss", "assign_cooperative", "wang", "合作社管理员，金羽种鸭专业合作社"),
        ("boss", "unlock_user", "wang", None),
        ("boss", "set_targets", "2023", "种鸭存栏=700,000；生猪利润=—"),
    ]
    when = access_audit.audit_log(store.cursor())["done_at"]
    assert (when >= before).all() and (when <= datetime.now()).all()


def test_refused_actions_leave_no_audit_row(store):
    add(store, "wang")
    n = len(audit(store))
    with pytest.raises(PermissionDenied):
        accounts.create_user(store, MANAGER, "zhao", PW, "viewer")
    with pytest.raises(permissions.AccountError):
        accounts.disable_user(store, SYSTEM, "nobody")
    assert len(audit(store)) == n


def test_unit_edits_undo_and_lockouts_are_audited(demo_store):
    from analytics import ingest

    coop = "兴旺种鸭专业合作社"
    unit = registry.list_units(demo_store.cursor(), coop, "duck")["unit"].iloc[0]
    registry.update_unit(demo_store, SYSTEM, "duck", coop, unit, land_mu=12.5, village="新村")
    csv = f"月份,合作社,棚号,存栏(羽)\n2024-01,{coop},{unit},4000\n".encode()
    r = ingest.ingest(demo_store, csv, "duck.csv", Actor("admin", "admin"))
    ingest.undo(demo_store, r.upload_id, Actor("admin", "admin"))
    fail(demo_store, "ghost", 5, IP1, datetime.now())
    rows = audit(demo_store)
    assert rows[0] == ("system", "update_unit", f"种鸭·{coop}·{unit}", "村=新村，占地（亩）=12.5")
    assert rows[1] == ("admin", "undo_upload", str(r.upload_id), "duck.csv")
    assert rows[2][:3] == ("system", "login_locked", "ghost") and rows[2][3].startswith(IP1)


def test_control_characters_are_refused_in_names(store):
    with pytest.raises(permissions.AccountError, match="控制字符"):
        add(store, "wa\x00ng")
    with pytest.raises(permissions.AccountError, match="控制字符"):
        add(store, "wang", coop="兴旺\x00合作社")
    assert accounts.list_users(store.cursor()) == []


def test_success_clears_the_failure_count(store):
    add(store, "wang")
    for _ in range(3):
        with pytest.raises(lockout.LoginFailed):
            lockout.authenticate(store, "wang", "bad", sleep=lambda s: None)
    assert accounts.get_user(store.cursor(), "wang").failed_logins == 3
    lockout.authenticate(store, "wang", PW)
    assert accounts.get_user(store.cursor(), "wang").failed_logins == 0


def test_lockout_limits_are_settings(store, monkeypatch):
    monkeypatch.setenv("PARK_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("PARK_LOGIN_LOCK_MINUTES", "60")
    add(store, "wang")
    t0 = datetime(2024, 3, 1, 9, 0)
    with pytest.raises(lockout.LoginFailed):
        lockout.authenticate(store, "wang", "bad", now=t0, sleep=lambda s: None)
    with pytest.raises(lockout.AccountLocked) as e:
        lockout.authenticate(store, "wang", "bad", now=t0, sleep=lambda s: None)
    assert e.value.until == datetime(2024, 3, 1, 10, 0)


def test_admin_reset_or_unlock_lifts_the_lock(store):
    add(store, "wang")
    t0 = datetime.now()
    for _ in range(5):
        with pytest.raises(lockout.LoginFailed):
            lockout.authenticate(store, "wang", "bad", now=t0, sleep=lambda s: None)
    with pytest.raises(lockout.AccountLocked):
        lockout.authenticate(store, "wang", PW)
    accounts.unlock_user(store, SYSTEM, "wang")
    assert lockout.authenticate(store, "wang", PW) == MANAGER
    for _ in range(5):
        with pytest.raises(lockout.LoginFailed):
            lockout.authenticate(store, "wang", "bad", now=t0, sleep=lambda s: None)
    accounts.set_password(store, SYSTEM, "wang", "fresh-password")
    assert lockout.authenticate(store, "wang", "fresh-password") == MANAGER
    with pytest.raises(lockout.LoginFailed):
        lockout.authenticate(store, "wang", PW, sleep=lambda s: None)


def test_disabled_user_cannot_log_in(store):
    add(store, "wang")
    accounts.disable_user(store, SYSTEM, "wang")
    with pytest.raises(lockout.LoginFailed, match="已停用"):
        lockout.authenticate(store, "wang", PW)
    accounts.disable_user(store, SYSTEM, "wang", disabled=False)
    assert lockout.authenticate(store, "wang", PW) == MANAGER


def test_last_admin_cannot_be_disabled_or_demoted(store):
    add(store, "boss", "admin", None)
    with pytest.raises(permissions.AccountError, match="唯一可用的管理员"):
        accounts.disable_user(store, SYSTEM, "boss")
    with pytest.raises(permissions.AccountError, match="唯一可用的管理员"):
        accounts.assign_cooperative(store, SYSTEM, "boss", "兴旺种鸭专业合作社", role="manager")
    add(store, "boss2", "admin", None)
    accounts.disable_user(store, SYSTEM, "boss")
    assert accounts.get_user(store.cursor(), "boss").disabled


def test_a_manager_on_a_look_alike_cooperative_is_refused_until_confirmed(store):
    cur = store.cursor()
    cur.execute("INSERT INTO cooperatives (name) VALUES ('丰华生猪养殖专业合作社')")
    cur.execute("""INSERT INTO name_aliases (kind, sector, cooperative, alias, name)
                   VALUES ('cooperative', 'hog', '丰华生猪养殖专业合作社', '丰华猪场', '丰华生猪养殖专业合作社')""")
    refused = "“丰华（生猪）合作社”像是已登记的“丰华生猪养殖专业合作社”.*确是新合作社"
    with pytest.raises(permissions.AccountError, match=refused):
        add(store, "zhou", coop="丰华（生猪）合作社")
    assert users_table(store) == []
    # an alias kept at upload stands for the registered name; a confirmed new one is kept as typed
    assert add(store, "zhou", coop="丰华猪场").cooperative == "丰华生猪养殖专业合作社"
    a = accounts.create_user(store, SYSTEM, "wu", PW, "manager", "丰华 生猪合作社", new_cooperative=True)
    assert a.cooperative == "丰华 生猪合作社"
    with pytest.raises(permissions.AccountError, match="像是已登记的"):
        accounts.assign_cooperative(store, SYSTEM, "zhou", "丰华生猪专业合作社")
    assert accounts.get_user(cur, "zhou").cooperative == "丰华生猪养殖专业合作社"
    # an unrelated new cooperative needs no confirmation
    assert accounts.assign_cooperative(store, SYSTEM, "zhou", "青禾种植专业合作社").cooperative == "青禾种植专业合作社"


def test_assign_cooperative_moves_a_manager(store):
    add(store, "wang")
    a = accounts.assign_cooperative(store, SYSTEM, "wang", "金羽种鸭专业合作社")
    assert a.cooperative == "金羽种鸭专业合作社"
    assert lockout.authenticate(store, "wang", PW).cooperative == "金羽种鸭专业合作社"
    a = accounts.assign_cooperative(store, SYSTEM, "wang", None, role="viewer")
    assert (a.role, a.cooperative) == ("viewer", None)
    with pytest.raises(permissions.AccountError, match="必须指定所属合作社"):
        accounts.assign_cooperative(store, SYSTEM, "wang", "", role="manager")


# --- first start -------------------------------------------------------------------------

def test_ensure_admin_uses_the_password_setting(store, monkeypatch, capsys):
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "office-admin-pw")
    assert accounts.ensure_admin(store) == "admin"
    err = capsys.readouterr().err
    assert "已创建管理员账号 admin" in err and "office-admin-pw" not in err
    assert lockout.authenticate(store, "admin", "office-admin-pw") == Actor("admin", "admin", None)
    assert accounts.ensure_admin(store) is None
    assert capsys.readouterr().err == ""


def test_ensure_admin_prints_a_random_password_once(store, monkeypatch, capsys):
    monkeypatch.delenv("PARK_ADMIN_PASSWORD", raising=False)
    assert accounts.ensure_admin(store) == "admin"
    err = capsys.readouterr().err
    password = re.search(r"初始密码：(\S+)", err).group(1)
    assert len(password) >= 12
    assert lockout.authenticate(store, "admin", password).role == "admin"
    assert accounts.ensure_admin(store) is None
    assert password not in capsys.readouterr().err
    assert [a.username for a in accounts.list_users(store.cursor())] == ["admin"]


def test_ensure_admin_refuses_a_short_password_setting(store, monkeypatch):
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "123")
    with pytest.raises(permissions.AccountError, match="PARK_ADMIN_PASSWORD 不可用"):
        accounts.ensure_admin(store)
    assert users_table(store) == []


def test_ensure_admin_leaves_existing_admins_alone(store, monkeypatch, capsys):
    add(store, "boss", "admin", None)
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "office-admin-pw")
    assert accounts.ensure_admin(store) is None
    assert [a.username for a in accounts.list_users(store.cursor())] == ["boss"]


# --- who may write -----------------------------------------------------------------------

def test_check_write():
    permissions.check_write(MANAGER, ["兴旺种鸭专业合作社"])
    permissions.check_write(SYSTEM, ["兴旺种鸭专业合作社", "金羽种鸭专业合作社"])
    with pytest.raises(PermissionDenied, match="只能上报“兴旺种鸭专业合作社”的数据.*金羽种鸭专业合作社.*未写入"):
        permissions.check_write(MANAGER, ["兴旺种鸭专业合作社", "金羽种鸭专业合作社"])
    with pytest.raises(PermissionDenied, match="只能撤销“兴旺种鸭专业合作社”的上传.*金羽种鸭专业合作社.*未撤销"):
        permissions.check_write(MANAGER, ["兴旺种鸭专业合作社", "金羽种鸭专业合作社"], action="undo")
    with pytest.raises(PermissionDenied, match="只读账号"):
        permissions.check_write(VIEWER, ["兴旺种鸭专业合作社"])
    with pytest.raises(PermissionDenied, match="请先登录"):
        permissions.check_write(None, [])


# --- targets and units -------------------------------------------------------------------

def test_admin_sets_targets_and_the_overview_reads_them(demo_store):
    registry.set_targets(demo_store, SYSTEM, 2023, {("duck", "stock"): 800_000, ("hog", "profit"): None})
    registry.set_target(demo_store, SYSTEM, 2024, "total", "jobs", 900)
    t = annual_targets.target_progress(demo_store.cursor(), 2023).set_index(["sector", "metric"])
    assert t.loc[("duck", "stock"), "value"] == 800_000
    assert ("hog", "profit") not in t.index
    actual = kpis.park_kpis(demo_store.cursor(), scope.Period.year(2023))["duck"]["stock"]
    assert t.loc[("duck", "stock"), "share"] == pytest.approx(actual / 800_000)
    assert annual_targets.targets(demo_store.cursor(), 2024).values.tolist() == [["total", "jobs", 900.0]]


@pytest.mark.parametrize("values, message", [
    ({("duck", "eggs"): 1}, "没有“duck / eggs”这项目标"),
    ({("duck", "stock"): -1}, "不小于 0"),
    ({("duck", "stock"): float("inf")}, "不小于 0"),
])
def test_bad_targets_refused(demo_store, values, message):
    before = annual_targets.targets(demo_store.cursor(), 2023).values.tolist()
    with pytest.raises(permissions.AccountError, match=message):
        registry.set_targets(demo_store, SYSTEM, 2023, {("hog", "stock"): 1, **values})
    assert annual_targets.targets(demo_store.cursor(), 2023).values.tolist() == before


@pytest.mark.parametrize("actor", [MANAGER, VIEWER])
def test_only_admin_edits_targets_and_units(demo_store, actor):
    before = annual_targets.targets(demo_store.cursor(), 2023).values.tolist()
    units = registry.list_units(demo_store.cursor())
    with pytest.raises(PermissionDenied, match="只有管理员可以修改年度目标"):
        registry.set_target(demo_store, actor, 2023, "duck", "stock", 1)
    u = units.iloc[0]
    with pytest.raises(PermissionDenied, match="只有管理员可以修改单元登记"):
        registry.update_unit(demo_store, actor, u.sector, u.cooperative, u.unit, land_mu=99)
    assert annual_targets.targets(demo_store.cursor(), 2023).values.tolist() == before
    assert registry.list_units(demo_store.cursor()).equals(units)


def test_admin_corrects_units(demo_store):
    coop = "兴旺种鸭专业合作社"
    units = registry.list_units(demo_store.cursor(), coop)
    assert set(units["cooperative"]) == {coop} and set(units["sector"]) == {"duck"}
    u1, u2 = units["unit"].iloc[0], units["unit"].iloc[1]
    land_before = kpis.land_mu(demo_store.cursor(), scope.Period.year(2023))
    old_land = units.set_index("unit").loc[u1, "land_mu"]
    registry.update_unit(demo_store, SYSTEM, "duck", coop, u1, land_mu="12.5", village="新村")
    registry.update_unit(demo_store, SYSTEM, "duck", coop, u2, zone="  ")
    after = registry.list_units(demo_store.cursor(), coop).set_index("unit")
    assert after.loc[u1, "land_mu"] == 12.5 and after.loc[u1, "village"] == "新村"
    assert pd.isna(after.loc[u2, "zone"])
    assert after.loc[u2, "village"] == units.set_index("unit").loc[u2, "village"]  # untouched
    assert "新村" in lists.villages(demo_store.cursor())
    land_after = kpis.land_mu(demo_store.cursor(), scope.Period.year(2023))
    assert land_after == pytest.approx(land_before - old_land + 12.5)


def test_unit_edits_are_all_or_nothing(demo_store):
    units = registry.list_units(demo_store.cursor(), "兴旺种鸭专业合作社")
    good = {"sector": "duck", "cooperative": "兴旺种鸭专业合作社", "unit": units["unit"].iloc[0],
            "land_mu": 99}
    with pytest.raises(permissions.AccountError, match="找不到单元"):
        registry.update_units(demo_store, SYSTEM, [good, {**good, "unit": "不存在"}])
    with pytest.raises(permissions.AccountError, match="不小于 0"):
        registry.update_units(demo_store, SYSTEM, [good, {**good, "land_mu": -3}])
    with pytest.raises(permissions.AccountError, match="不是数字"):
        registry.update_units(demo_store, SYSTEM, [{**good, "land_mu": "三亩"}])
    assert registry.list_units(demo_store.cursor(), "兴旺种鸭专业合作社").equals(units)


# --- settings ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("", True), ("1", True), ("0", False), ("off", False),
                                             ("False", False), ("yes", True)])
def test_public_view_flag(monkeypatch, value, expected):
    monkeypatch.delenv("PARK_HOST", raising=False)
    monkeypatch.setenv("PARK_PUBLIC_VIEW", value)
    assert settings.public_view() is expected


@pytest.mark.parametrize("value, listening, expected", [
    ("", "127.0.0.1", True), ("", "::1", True), ("", "localhost", True),
    ("", "0.0.0.0", False), ("", "192.168.1.20", False), ("", "::", False),  # noqa: S104
    ("1", "0.0.0.0", True), ("0", "127.0.0.1", False)])  # noqa: S104
def test_public_view_off_beyond_the_machine_unless_turned_on(monkeypatch, value, listening, expected):
    """Unset, viewing without a login is open only while the dashboard listens on loopback."""
    monkeypatch.setenv("PARK_PUBLIC_VIEW", value)
    assert settings.public_view(listening) is expected
    monkeypatch.setenv("PARK_HOST", listening)
    assert settings.public_view() is expected


def test_bad_number_setting_falls_back(monkeypatch, capsys):
    monkeypatch.setenv("PARK_SESSION_IDLE_MINUTES", "abc")
    assert settings.session_idle_minutes() == 30
    assert "不是正数" in capsys.readouterr().err
    monkeypatch.setenv("PARK_SESSION_IDLE_MINUTES", "5")
    assert settings.session_idle_minutes() == 5


# --- command line ------------------------------------------------------------------------

def run_cli(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_cli(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.duckdb")
    code, out, err = run_cli(monkeypatch, capsys, [
        "users", "add", "wang", "--role", "manager", "--cooperative", "兴旺种鸭专业合作社",
        "--password-stdin", "--db", db], PW + "\n")
    assert code == 0 and "已添加用户 wang（合作社管理员，合作社：兴旺种鸭专业合作社）" in out
    assert "还没有合作社“兴旺种鸭专业合作社”" in err  # a fresh database: warn about a typo
    assert PW not in out + err
    code, out, err = run_cli(monkeypatch, capsys, ["users", "add", "li", "--role", "viewer",
                                                   "--password-stdin", "--db", db], "short\n")
    assert code == 1 and "至少需要 8 个字符" in err
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list", "--db", db])
    assert code == 0 and "wang\t合作社管理员\t兴旺种鸭专业合作社\t正常" in out and "li" not in out
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "disable", "wang", "--db", db])
    assert code == 0 and "已停用用户 wang" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["users", "list", "--db", db])
    assert "已停用" in out
    code, out, err = run_cli(monkeypatch, capsys, ["users", "set-password", "wang", "--password-stdin",
                                                   "--db", db], "another-pass\n")
    assert code == 0 and "another-pass" not in out + err
    run_cli(monkeypatch, capsys, ["users", "enable", "wang", "--db", db])
    from analytics.store.db import Store

    with Store(db) as s:
        assert lockout.authenticate(s, "wang", "another-pass") == MANAGER


def test_users_cli_errors(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "cli.duckdb")
    code, _, err = run_cli(monkeypatch, capsys, ["users", "disable", "ghost", "--db", db])
    assert code == 1 and "不存在" in err  # no database yet
    run_cli(monkeypatch, capsys, ["init-db", "--db", db])
    code, _, err = run_cli(monkeypatch, capsys, ["users", "disable", "ghost", "--db", db])
    assert code == 1 and "找不到用户 ghost" in err
    # Not a terminal and no --password-stdin: refuse rather than hang on a prompt.
    code, _, err = run_cli(monkeypatch, capsys, ["users", "add", "li", "--role", "viewer", "--db", db])
    assert code == 1 and "--password-stdin" in err
    with pytest.raises(SystemExit) as e:
        main(["users", "add", "li", "--role", "boss", "--db", db])
    assert e.value.code == 2


def test_settings_cli_hides_the_password(monkeypatch, capsys):
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "office-admin-pw")
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "PARK_HOST=127.0.0.1" in out and "PARK_ADMIN_PASSWORD=（已设置）" in out
    assert "office-admin-pw" not in out


def test_login_upgrades_an_outdated_hash(store, monkeypatch):
    add(store, "wang")  # hashed with the cheap test parameters
    old = store.cursor().execute("SELECT password_hash FROM users").fetchone()[0]
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
    assert lockout.authenticate(store, "wang", PW) == MANAGER
    new = store.cursor().execute("SELECT password_hash FROM users").fetchone()[0]
    assert new != old and not PasswordHasher().check_needs_rehash(new)
    assert PasswordHasher().verify(new, PW)


def test_readme_lists_every_setting():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [s.name for s in settings.SETTINGS if f"| `{s.name}` |" not in readme] == []
