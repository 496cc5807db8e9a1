"""Who may change what: accounts, passwords, login with lockout, and the admin-only edits.

The acting user (:class:`Actor`) is passed into every write — ingest, undo, users, targets,
units — and checked here, so the rules hold even if a page were bypassed.

Passwords are hashed with argon2id (argon2-cffi); the plain text is never stored, logged or
returned. Wrong passwords slow the next answer down and are counted per account *and client
address*: after ``PARK_LOGIN_MAX_FAILURES`` in a row from one address that address may not log in
to that account for ``PARK_LOGIN_LOCK_MINUTES``, and after ``PARK_LOGIN_MAX_FAILURES_PER_ADDRESS``
to any account, not at all. Other computers are not affected, so a stranger cannot lock the
administrator out; and an administrator on the machine itself (no address: localhost) is never
locked out (``PARK_LOGIN_LOCAL_ADMIN``).

Every administrator action (accounts, targets, unit registry; undo through ``uploads``) leaves a
row in the audit table, written in the action's own transaction: see :func:`audit_log`.
A login is a server-side session (see "sessions" below) that a cookie carries across reloads and
tabs.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import contract, settings
from ..store.db import Store

ROLES = ("admin", "viewer", "manager")
ROLE_NAMES = {"admin": ("管理员", "Administrator"), "viewer": ("农业办（只读）", "Office (read-only)"),
              "manager": ("合作社管理员", "Cooperative manager")}
MIN_PASSWORD = 8
ADMIN_USERNAME = "admin"
_USERNAME = re.compile(r"^[^\s/\\\x00-\x1f\x7f-\x9f]{1,64}$")

Cursor = duckdb.DuckDBPyConnection


class PermissionDenied(PermissionError):
    """Refused; the message is Chinese and names what was refused."""


class AccountError(ValueError):
    """An account, target or unit edit that cannot be done as asked; Chinese message."""


class LoginFailed(Exception):
    """Login refused; the message is Chinese and safe to show (it never says which part was wrong)."""


class AccountLocked(LoginFailed):
    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class Actor:
    username: str
    role: str  # admin / viewer / manager; "system" for the CLI run by the IT person
    cooperative: str | None = None


# The office's IT person at the console: the CLI acts as this user unless told otherwise.
SYSTEM = Actor("system", "admin")
# The address of a browser on the machine itself (st.context.ip_address gives None there).
LOCAL = "本机"


def check_write(actor: Actor | None, cooperatives: Iterable[str], action: str = "upload") -> None:
    """Refuse unless ``actor`` may write rows of every cooperative listed.

    ``action`` ("upload" or "undo") only chooses the wording of the refusal.
    """
    if actor is None:
        raise PermissionDenied("请先登录后再上传或撤销。")
    if actor.role == "admin":
        return
    if actor.role != "manager":
        raise PermissionDenied(f"用户 {actor.username} 是只读账号，不能修改数据。")
    others = sorted({c for c in cooperatives if c != actor.cooperative})
    if others and action == "undo":
        raise PermissionDenied(
            f"用户 {actor.username} 只能撤销“{actor.cooperative}”的上传，"
            f"这次上传还写入了其他合作社的数据：{'、'.join(others)}。未撤销任何数据，请联系管理员。")
    if others:
        raise PermissionDenied(
            f"用户 {actor.username} 只能上报“{actor.cooperative}”的数据，"
            f"文件中含有其他合作社：{'、'.join(others)}。本次未写入任何数据。")


def may_write(actor: Actor | None, cooperatives: Iterable[str]) -> bool:
    """Whether ``check_write`` would let ``actor`` write these cooperatives' rows."""
    try:
        check_write(actor, cooperatives)
    except PermissionDenied:
        return False
    return True


def require_admin(actor: Actor | None, what: str) -> None:
    """Refuse unless ``actor`` is an administrator; ``what`` completes “只有管理员可以…”."""
    if actor is None or actor.role != "admin":
        who = f"用户 {actor.username} " if actor else ""
        raise PermissionDenied(f"{who}无权操作：只有管理员可以{what}。")


# --- audit -------------------------------------------------------------------------------

# What each audit action is called on the 管理 page: (Chinese, English).
AUDIT_ACTIONS = {
    "create_user": ("添加用户", "Add user"), "set_password": ("设置密码", "Set password"),
    "disable_user": ("停用用户", "Disable user"), "enable_user": ("启用用户", "Enable user"),
    "unlock_user": ("解锁用户", "Unlock user"), "unlock_addresses": ("解除地址锁定", "Unlock addresses"),
    "assign_cooperative": ("修改角色或合作社", "Change role or cooperative"),
    "set_targets": ("修改年度目标", "Set targets"), "update_unit": ("更正单元登记", "Correct unit"),
    "undo_upload": ("撤销上传", "Undo upload"), "backup": ("备份", "Backup"),
    "restore": ("从备份恢复", "Restore"), "login_locked": ("登录暂停", "Login locked"),
}


def record(cur: Cursor, actor: Actor, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Add an audit row inside the caller's write transaction, so it exists iff the action does."""
    if action not in AUDIT_ACTIONS:
        raise KeyError(f"unknown audit action {action!r}")
    cur.execute("INSERT INTO audit_log (actor, action, target, detail) VALUES (?, ?, ?, ?)",
                [actor.username, action, target, detail])


def audit_log(cur: Cursor, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` audit rows: done_at, actor, action (key of AUDIT_ACTIONS), target, detail.

    Undone uploads come from the uploads table (``v_audit``), written by the undo itself.
    """
    return cur.execute("SELECT done_at, actor, action, target, detail FROM v_audit ORDER BY done_at DESC LIMIT ?",
                       [limit]).df()


# --- passwords ---------------------------------------------------------------------------

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    """The argon2id hash to store; refuses passwords shorter than MIN_PASSWORD."""
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少需要 {MIN_PASSWORD} 个字符。")
    if password != password.strip():
        raise AccountError("密码首尾不能有空格。")


def _spend_verify_time(password: str) -> None:
    # An unknown user costs as long as a wrong password, so timing does not reveal names.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(16))
    verify_password(_dummy_hash, password)


# --- accounts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """A user as the admin page and the CLI show it; never carries the hash."""
    username: str
    role: str
    cooperative: str | None
    display_name: str | None
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime | None

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or _now())

    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.cooperative)


# locked_until: the latest lock of this account from any address (see login_failures).
_ACCOUNTS = """SELECT username, role, cooperative, display_name, disabled, failed_logins,
                      (SELECT max(f.locked_until) FROM login_failures f WHERE f.username = u.username),
                      created_at
               FROM users u"""


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def list_users(cur: Cursor) -> list[Account]:
    """Every account, admins first, then by name."""
    rows = cur.execute(_ACCOUNTS + " ORDER BY role <> 'admin', role, username").fetchall()
    return [Account(*r) for r in rows]


def get_user(cur: Cursor, username: str) -> Account | None:
    row = cur.execute(_ACCOUNTS + " WHERE username = ?", [username]).fetchone()
    return Account(*row) if row else None


def _clean_username(username: str) -> str:
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise AccountError("用户名不能为空，不能含空格、斜杠或控制字符，最长 64 个字符。")
    return name


def _check_role(role: str, cooperative: str | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"角色“{role}”无效，只能是：{'、'.join(ROLES)}"
                           "（admin 管理员，viewer 农业办只读，manager 合作社）。")
    coop = _clean_text(cooperative, "合作社", "名称")
    if role == "manager" and not coop:
        raise AccountError("合作社管理员必须指定所属合作社。")
    # Only managers are confined to a cooperative; for others it would mean nothing.
    return coop if role == "manager" else None


def _registered_cooperative(cur: Cursor, coop: str | None, new_cooperative: bool) -> str | None:
    """The registered name a manager's cooperative stands for.

    A registered name or an alias kept at upload gives the registered name. A new name that
    reads like a registered one once 专业/养殖/合作社, spaces and brackets are dropped (the
    upload's look-alike rule, ``ingest.identity.coop_key``) is refused unless the admin confirms
    it is another cooperative (``new_cooperative``): a manager tied to a misspelt name could
    upload nothing of their own and would start a second copy of the cooperative.
    """
    if coop is None:
        return None
    from ..ingest.identity import coop_key  # ingest imports this module

    if cur.execute("SELECT 1 FROM cooperatives WHERE name = ?", [coop]).fetchone():
        return coop
    alias = cur.execute("""SELECT min(name) FROM name_aliases WHERE kind = 'cooperative' AND alias = ?""",
                        [coop]).fetchone()[0]
    if alias:
        return alias
    if not new_cooperative:
        key = coop_key(coop)
        like = [n for (n,) in cur.execute("SELECT name FROM cooperatives ORDER BY name").fetchall()
                if key and coop_key(n) == key]
        if like:
            raise AccountError(f"“{coop}”像是已登记的“{like[0]}”（去掉“专业”“养殖”“合作社”、空格、括号等字样后相同）。"
                               "如是同一个合作社，请从列表中选择已登记的名称；确是另一个合作社，"
                               "请勾选“确是新合作社”后再保存。")
    return coop


def _existing(cur: Cursor, username: str) -> Account:
    account = get_user(cur, username)
    if account is None:
        raise AccountError(f"找不到用户 {username}。")
    return account


def _active_admins(cur: Cursor) -> int:
    return cur.execute("SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled").fetchone()[0]


def create_user(store: Store, actor: Actor, username: str, password: str, role: str,
                cooperative: str | None = None, display_name: str | None = None, *,
                new_cooperative: bool = False) -> Account:
    """Add an account (admin only). A manager must name the cooperative they report for.

    Raises :class:`AccountError` (in Chinese) for a bad name, role or password, an existing
    user, or a cooperative that looks like a registered one (unless ``new_cooperative``).
    """
    require_admin(actor, "添加用户")
    name = _clean_username(username)
    checked = _check_role(role, cooperative)
    password_hash = hash_password(password)

    def insert(cur: Cursor) -> Account:
        if get_user(cur, name) is not None:
            raise AccountError(f"用户 {name} 已存在。")
        coop = _registered_cooperative(cur, checked, new_cooperative)
        cur.execute("""INSERT INTO users (username, display_name, role, cooperative, password_hash)
                       VALUES (?, ?, ?, ?, ?)""",
                    [name, (display_name or "").strip() or None, role, coop, password_hash])
        record(cur, actor, "create_user", name, ROLE_NAMES[role][0] + (f"，{coop}" if coop else ""))
        return get_user(cur, name)

    return store.run_write(insert, figures=False)


def set_password(store: Store, actor: Actor, username: str, password: str) -> None:
    """Set a new password (an admin for anyone, a user for themself); also lifts a lock."""
    if actor.username != username:
        require_admin(actor, "重置其他用户的密码")
    password_hash = hash_password(password)

    def update(cur: Cursor) -> None:
        _existing(cur, username)
        cur.execute("""UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL
                       WHERE username = ?""", [password_hash, username])
        cur.execute("DELETE FROM login_failures WHERE username = ?", [username])
        record(cur, actor, "set_password", username)
        _end_sessions(cur, "password", username=username)  # a stolen session dies with the old password

    store.run_write(update, figures=False)


def disable_user(store: Store, actor: Actor, username: str, disabled: bool = True) -> None:
    """Disable (or, with ``disabled=False``, enable again) an account; admin only.

    The last active administrator cannot be disabled, so the office never locks itself out.
    """
    require_admin(actor, "停用或启用用户")

    def update(cur: Cursor) -> None:
        account = _existing(cur, username)
        if disabled and account.role == "admin" and not account.disabled and _active_admins(cur) <= 1:
            raise AccountError(f"{username} 是唯一可用的管理员，不能停用。请先添加另一位管理员。")
        cur.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
        record(cur, actor, "disable_user" if disabled else "enable_user", username)
        if disabled:
            _end_sessions(cur, "disabled", username=username)

    store.run_write(update, figures=False)


def unlock_user(store: Store, actor: Actor, username: str) -> None:
    """Lift the account's lockouts from every address and forget the failed attempts; admin only."""
    require_admin(actor, "解锁用户")

    def update(cur: Cursor) -> None:
        _existing(cur, username)
        cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?",
                    [username])
        cur.execute("DELETE FROM login_failures WHERE username = ?", [username])
        record(cur, actor, "unlock_user", username)

    store.run_write(update, figures=False)


def locked_addresses(cur: Cursor, now: datetime | None = None) -> pd.DataFrame:
    """Addresses locked out now: address, username ('' = every account), failures, locked_until."""
    return cur.execute("""SELECT address, username, locked_until FROM login_failures
                          WHERE locked_until > ? ORDER BY locked_until DESC, address, username""",
                       [now or _now()]).df()


def unlock_addresses(store: Store, actor: Actor) -> int:
    """Lift every address lockout (admin only); returns how many were lifted."""
    require_admin(actor, "解除地址锁定")

    def update(cur: Cursor) -> int:
        n = cur.execute("DELETE FROM login_failures WHERE locked_until IS NOT NULL").fetchall()[0][0]
        record(cur, actor, "unlock_addresses", None, f"{n} 项")
        return int(n)

    return store.run_write(update, figures=False)


def assign_cooperative(store: Store, actor: Actor, username: str, cooperative: str | None,
                       role: str | None = None, *, new_cooperative: bool = False) -> Account:
    """Set a user's cooperative (and optionally role); admin only.

    A manager must keep a cooperative; the last active administrator keeps the admin role; a
    cooperative that looks like a registered one is refused unless ``new_cooperative``.
    """
    require_admin(actor, "分配合作社或角色")

    def update(cur: Cursor) -> Account:
        account = _existing(cur, username)
        new_role = role or account.role
        coop = _check_role(new_role, cooperative)
        if coop != account.cooperative:
            coop = _registered_cooperative(cur, coop, new_cooperative)
        if (account.role == "admin" and new_role != "admin" and not account.disabled
                and _active_admins(cur) <= 1):
            raise AccountError(f"{username} 是唯一可用的管理员，不能改为其他角色。")
        cur.execute("UPDATE users SET role = ?, cooperative = ? WHERE username = ?",
                    [new_role, coop, username])
        record(cur, actor, "assign_cooperative", username, ROLE_NAMES[new_role][0] + (f"，{coop}" if coop else ""))
        if new_role != account.role:
            _end_sessions(cur, "role", username=username)  # a new role starts with a new login
        return get_user(cur, username)

    return store.run_write(update, figures=False)


# --- login ---------------------------------------------------------------------------------

def login_delay(failures: int) -> float:
    """Seconds to wait before answering the ``failures``-th wrong password in a row: 0, 1, 2, 4 … ≤ 8."""
    return 0.0 if failures <= 1 else min(2.0 ** (failures - 2), 8.0)


_sleep = time.sleep  # module attribute so tests (also AppTest runs) can make waiting instant


def _lock_message(name: str, address: str, until: datetime, everyone: bool) -> str:
    where = "本机" if address == LOCAL else f"地址 {address} "
    if everyone:
        return (f"从{where}登录失败的次数过多，已暂停从这里登录，请于 {until:%H:%M} 后再试。"
                "其他电脑不受影响；管理员可在“管理”页解除。")
    return (f"账号 {name} 从{where}连续输错密码，已暂停从这里登录此账号，请于 {until:%H:%M} 后再试，"
            "或请管理员解锁。其他电脑不受影响。")


def authenticate(store: Store, username: str, password: str, *, address: str | None = None,
                 now: datetime | None = None, sleep: Callable[[float], None] | None = None) -> Actor:
    """The :class:`Actor` for a correct username and password; :class:`LoginFailed` otherwise.

    ``address`` is the client's IP address (``st.context.ip_address``); None means the machine
    itself. Wrong passwords are counted per (account, address) and per address; each answer is
    delayed by :func:`login_delay`; past ``PARK_LOGIN_MAX_FAILURES`` (one account) or
    ``PARK_LOGIN_MAX_FAILURES_PER_ADDRESS`` (any accounts) the address is locked out for
    ``PARK_LOGIN_LOCK_MINUTES`` (:class:`AccountLocked`), correct password or not — except an
    administrator on the machine itself while ``PARK_LOGIN_LOCAL_ADMIN`` is on.
    ``now`` and ``sleep`` are injectable so tests need not wait.
    """
    now = now or _now()
    name = (username or "").strip()[:64] or " "  # never '', the address-wide row's name
    addr = (address or LOCAL)[:64]
    cur = store.cursor()
    try:
        row = cur.execute("""SELECT password_hash, role, cooperative, disabled, failed_logins
                             FROM users WHERE username = ?""", [name]).fetchone()
        locks = dict(cur.execute("""SELECT username, locked_until FROM login_failures
                                    WHERE address = ? AND username IN (?, '') AND locked_until > ?""",
                                 [addr, name, now]).fetchall())
    finally:
        cur.close()
    generic = "用户名或密码错误。"
    exempt = address is None and row is not None and row[1] == "admin" and settings.local_admin()
    if locks and not exempt:
        # While locked the password is not even checked: guessing gains nothing.
        everyone = "" in locks
        until = locks[""] if everyone else locks[name]
        raise AccountLocked(_lock_message(name, addr, until, everyone), until)
    if row is None or not verify_password(row[0], password or ""):
        if row is None:
            _spend_verify_time(password or "")
        n, until, everyone = store.run_write(
            lambda cur: _count_failure(cur, name, addr, now, known=row is not None, lockable=not exempt),
            figures=False)
        if until is not None:
            raise AccountLocked(_lock_message(name, addr, until, everyone), until)
        (sleep or _sleep)(login_delay(n))
        left = settings.max_failures() - n
        raise LoginFailed(generic + (f"再错 {left} 次将暂停从这里登录。" if 0 < left <= 2 else ""))
    password_hash, role, cooperative, disabled, failures = row
    if disabled:
        raise LoginFailed("此账号已停用，请联系管理员。")
    rehash = _hasher.check_needs_rehash(password_hash)
    new_hash = _hasher.hash(password) if rehash else password_hash

    def reset(cur: Cursor) -> None:
        cur.execute("DELETE FROM login_failures WHERE address = ? AND username IN (?, '')", [addr, name])
        if failures or rehash:
            cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = ? "
                        "WHERE username = ?", [new_hash, name])

    store.run_write(reset, figures=False)
    return Actor(name, role, cooperative)


def _count_failure(cur: Cursor, name: str, addr: str, now: datetime, *,
                   known: bool, lockable: bool) -> tuple[int, datetime | None, bool]:
    """Count one wrong password for (name, addr) and for addr; lock what reached its limit.

    Unknown names are counted too, the same way, so a lockout does not tell which names exist.
    An exempt login (``lockable`` False: an administrator on this machine) is counted for the
    slow-down only. Returns (failures in a row for this name from this address, lock end or
    None, whether the lock is the address-wide one).
    """
    counts = {}
    limits = ((name, settings.max_failures()), ("", settings.max_failures_per_address()))
    for who, limit in limits if lockable else limits[:1]:
        n = cur.execute("""INSERT INTO login_failures (username, address, failures, last_failure)
                           VALUES (?, ?, 1, ?)
                           ON CONFLICT (username, address) DO UPDATE
                           SET failures = login_failures.failures + 1, last_failure = excluded.last_failure
                           RETURNING failures""", [who, addr, now]).fetchone()[0]
        counts[who] = (n, limit)
    if known:
        cur.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ?", [name])
    until, everyone = None, False
    for who, (n, limit) in counts.items():
        if n >= limit and lockable:
            until, everyone = now + timedelta(minutes=settings.lock_minutes()), who == ""
            # Counting starts afresh once the lock has passed.
            cur.execute("""UPDATE login_failures SET failures = 0, locked_until = ?
                           WHERE username = ? AND address = ?""", [until, who, addr])
            record(cur, SYSTEM, "login_locked", who or "（所有账号）",
                   f"{'本机' if addr == LOCAL else addr}，至 {until:%Y-%m-%d %H:%M}")
    return counts[name][0], until, everyone


def ensure_admin(store: Store, out: IO[str] | None = None) -> str | None:
    """On first start (no administrator at all) create ``admin``; returns its name, else None.

    The password is ``PARK_ADMIN_PASSWORD`` if set; otherwise a random one, printed this once
    on ``out`` (stderr) and nowhere else.
    """
    cur = store.cursor()
    try:
        if cur.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]:
            return None
    finally:
        cur.close()
    given = settings.get("PARK_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    try:
        password_hash = hash_password(password)
    except AccountError as e:
        raise AccountError(f"PARK_ADMIN_PASSWORD 不可用：{e}") from None

    def create(cur: Cursor) -> bool:
        if cur.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]:
            return False  # another session got here first
        if get_user(cur, ADMIN_USERNAME) is not None:
            raise AccountError(f"数据库里没有管理员，但用户名 {ADMIN_USERNAME} 已被非管理员占用；"
                               "请用 python -m analytics users add 另建一个管理员。")
        cur.execute("""INSERT INTO users (username, display_name, role, password_hash)
                       VALUES (?, '管理员', 'admin', ?)""", [ADMIN_USERNAME, password_hash])
        record(cur, SYSTEM, "create_user", ADMIN_USERNAME, "首次启动创建的管理员")
        return True

    if not store.run_write(create, figures=False):
        return None
    out = out or sys.stderr
    if given:
        print(f"已创建管理员账号 {ADMIN_USERNAME}，密码为 PARK_ADMIN_PASSWORD 的值。", file=out)
    else:
        print(f"已创建管理员账号 {ADMIN_USERNAME}，初始密码：{password}\n"
              "（只显示这一次，请记下，登录后在“账户”页修改。）", file=out)
    out.flush()
    return ADMIN_USERNAME


# --- annual targets ------------------------------------------------------------------------

def _target_metrics() -> dict[tuple[str, str], tuple[str, str]]:
    from ..figures import kpis  # kpis is heavy and nothing in it needs auth

    return kpis.TARGET_METRICS


def set_targets(store: Store, actor: Actor, year: int,
                values: Mapping[tuple[str, str], float | None]) -> int:
    """Set the year's targets in one transaction (admin only); ``None`` removes a target.

    Keys are (sector, metric) pairs from ``kpis.TARGET_METRICS``. Returns how many were set.
    """
    require_admin(actor, "修改年度目标")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise AccountError(f"年份 {year} 无效。")
    known = _target_metrics()
    clean: dict[tuple[str, str], float | None] = {}
    for key, value in values.items():
        if key not in known:
            raise AccountError(f"没有“{key[0]} / {key[1]}”这项目标；可设的目标："
                               + "、".join(zh for zh, _ in known.values()) + "。")
        if value is not None and (isinstance(value, float) and math.isnan(value)):
            value = None
        if value is not None and not (math.isfinite(float(value)) and float(value) >= 0):
            raise AccountError(f"“{known[key][0]}”的目标值必须是不小于 0 的数，收到 {value}。")
        clean[key] = None if value is None else float(value)

    def write(cur: Cursor) -> int:
        n = 0
        record(cur, actor, "set_targets", str(year),
               "；".join(f"{known[k][0]}={'—' if v is None else f'{v:,.0f}'}" for k, v in clean.items()))
        for (sector, metric), value in clean.items():
            if value is None:
                cur.execute("DELETE FROM targets WHERE year = ? AND sector = ? AND metric = ?",
                            [year, sector, metric])
            else:
                cur.execute("""INSERT INTO targets VALUES (?, ?, ?, ?)
                               ON CONFLICT (year, sector, metric) DO UPDATE SET value = excluded.value""",
                            [year, sector, metric, value])
                n += 1
        return n

    # Targets touch no record: caches go cold, the per-unit rollups stay (issue 12).
    return store.run_write(write, records=False)


def set_target(store: Store, actor: Actor, year: int, sector: str, metric: str,
               value: float | None) -> None:
    """Set (or with ``None`` remove) one annual target; admin only."""
    set_targets(store, actor, year, {(sector, metric): value})


# --- the unit registry ---------------------------------------------------------------------

_KEEP: Any = object()  # "leave this attribute as it is"
UNIT_FIELDS = ("village", "zone", "land_mu")
UNIT_FIELD_NAMES = {"village": "村", "zone": "小区", "land_mu": "占地（亩）"}


def list_units(cur: Cursor, cooperative: str | None = None, sector: str | None = None) -> pd.DataFrame:
    """Registered sheds, farms and plots with their attributes, for the registry editor."""
    return cur.execute("""SELECT sector, cooperative, unit, gh_type, village, zone, land_mu FROM units
                          WHERE ($1 IS NULL OR cooperative = $1) AND ($2 IS NULL OR sector = $2)
                          ORDER BY sector, cooperative, unit""", [cooperative or None, sector or None]).df()


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _clean_text(value: Any, where: str = "", what: str = "") -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if _CONTROL.search(text):
        raise AccountError(f"{where}：{what}中含有控制字符（如换行、NUL），请删去后再保存。")
    return text or None


def _clean_land(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AccountError(f"{where}：占地（亩）“{value}”不是数字。") from None
    if math.isnan(x):
        return None
    if not math.isfinite(x) or x < 0:
        raise AccountError(f"{where}：占地（亩）必须是不小于 0 的数，收到 {value}。")
    return x


def update_units(store: Store, actor: Actor, edits: Iterable[Mapping[str, Any]]) -> int:
    """Correct unit attributes in one transaction (admin only); returns how many units changed.

    Each edit names ``sector``, ``cooperative``, ``unit`` and any of ``village``, ``zone``,
    ``land_mu`` (``None`` or blank clears it). A village or zone not seen before is registered.
    """
    require_admin(actor, "修改单元登记（占地、村、小区）")
    changes = []
    for e in edits:
        sector, coop, unit = e.get("sector"), e.get("cooperative"), e.get("unit")
        if sector not in contract.SECTORS:
            raise AccountError(f"板块“{sector}”无效。")
        where = f"{contract.sector(sector).zh}·{coop}·{unit}"
        fields = {}
        if "village" in e:
            fields["village"] = _clean_text(e["village"], where, "村")
        if "zone" in e:
            fields["zone"] = _clean_text(e["zone"], where, "小区")
        if "land_mu" in e:
            fields["land_mu"] = _clean_land(e["land_mu"], where)
        if fields:
            changes.append((sector, coop, unit, where, fields))

    def write(cur: Cursor) -> int:
        for sector, coop, unit, where, fields in changes:
            found = cur.execute("""SELECT count(*) FROM units
                                   WHERE sector = ? AND cooperative = ? AND unit = ?""",
                                [sector, coop, unit]).fetchone()[0]
            if not found:
                raise AccountError(f"找不到单元 {where}，未做任何修改。")
            # One fixed statement: a field not in the edit keeps its value (flag false).
            cur.execute("""UPDATE units SET village = CASE WHEN ? THEN ? ELSE village END,
                                            zone = CASE WHEN ? THEN ? ELSE zone END,
                                            land_mu = CASE WHEN ? THEN ? ELSE land_mu END
                           WHERE sector = ? AND cooperative = ? AND unit = ?""",
                        [*(x for f in UNIT_FIELDS for x in (f in fields, fields.get(f))), sector, coop, unit])
            # The administrator's correction is final: undoing an earlier upload must not put
            # back the attributes that upload had replaced.
            cur.execute("DELETE FROM units_history WHERE sector = ? AND cooperative = ? AND unit = ?",
                        [sector, coop, unit])
            if fields.get("village"):
                cur.execute("INSERT INTO villages VALUES (?) ON CONFLICT DO NOTHING", [fields["village"]])
            if fields.get("zone"):
                cur.execute("INSERT INTO zones VALUES (?) ON CONFLICT DO NOTHING", [fields["zone"]])
            record(cur, actor, "update_unit", where,
                   "，".join(f"{UNIT_FIELD_NAMES[k]}={'—' if v is None else v}" for k, v in fields.items()))
        return len(changes)

    # Village, zone and land are joined to the rollups when read: no record changes (issue 12).
    return store.run_write(write, records=False)


def _cell(v: object) -> object:
    """A registry cell for comparison: blank, None and NaN all mean "not set"."""
    if v is None or (isinstance(v, str) and not v.strip()) or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.strip() if isinstance(v, str) else float(v)


def unit_edits(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """The edits that turn ``before`` (from :func:`list_units`) into ``after`` (the same rows,
    edited), in the shape :func:`update_units` takes: only units and fields that changed."""
    edits = []
    for i in range(len(before)):
        changed = {f: after.at[i, f] for f in UNIT_FIELDS if _cell(after.at[i, f]) != _cell(before.at[i, f])}
        if changed:
            edits.append({k: before.at[i, k] for k in ("sector", "cooperative", "unit")} | changed)
    return edits


def update_unit(store: Store, actor: Actor, sector: str, cooperative: str, unit: str, *,
                land_mu: Any = _KEEP, village: Any = _KEEP, zone: Any = _KEEP) -> None:
    """Correct one unit's land, village or zone; arguments left out stay as they are."""
    edit = {"sector": sector, "cooperative": cooperative, "unit": unit}
    edit.update({k: v for k, v in (("land_mu", land_mu), ("village", village), ("zone", zone))
                 if v is not _KEEP})
    update_units(store, actor, [edit])


# --- sessions ------------------------------------------------------------------------------
# A login lasts across reloads, tabs and bookmarks the way web frameworks do it: the browser
# keeps a random token (``secrets``, 256 bits) in a cookie, the server keeps only its SHA-256
# with the user, when it was created, last seen and when it expires. A slow hash is not
# needed: the token is random, not chosen by a person, so it cannot be guessed from its hash.
# Logout ends the session; a password change, disabling the account and a role change end
# all of the user's sessions (the hooks in set_password, disable_user, assign_cooperative).

SESSION_TOKEN_BYTES = 32
END_REASONS = ("logout", "password", "disabled", "role", "idle", "expired", "revoked")


class SessionEnded(Exception):
    """The token opens no session; ``reason`` is one of :data:`END_REASONS`: ``logout``,
    ``password`` (changed), ``disabled`` (or the account is gone), ``role`` (changed),
    ``idle`` (PARK_SESSION_IDLE_MINUTES without a request), ``expired`` (older than
    PARK_SESSION_MAX_HOURS) or ``revoked`` (a token the store does not know, or no longer)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Session:
    """One row of the session store; never carries the token itself."""
    token_hash: str
    username: str
    created_at: datetime
    last_seen: datetime
    expires_at: datetime
    ended_at: datetime | None
    ended_why: str | None


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _end_sessions(cur: Cursor, why: str, *, username: str | None = None,
                  key: str | None = None) -> None:
    """Mark the user's open sessions (or the one with hash ``key``) ended, with the reason."""
    if key is None:
        cur.execute("""UPDATE sessions SET ended_at = ?, ended_why = ?
                       WHERE username = ? AND ended_at IS NULL""", [_now(), why, username])
    else:
        cur.execute("""UPDATE sessions SET ended_at = ?, ended_why = ?
                       WHERE token_hash = ? AND ended_at IS NULL""", [_now(), why, key])


def create_session(store: Store, actor: Actor, *, now: datetime | None = None) -> str:
    """Open a session for ``actor`` (already authenticated) and return its token for the cookie.

    The session ends ``PARK_SESSION_MAX_HOURS`` after now at the latest. Rows of sessions
    that have run out (anyone's) are cleared out on the way.
    """
    now = now or _now()
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    expires = now + timedelta(hours=settings.session_max_hours())
    stale = now - timedelta(minutes=settings.session_idle_minutes())

    def insert(cur: Cursor) -> None:
        cur.execute("DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?", [now, stale])
        cur.execute("""INSERT INTO sessions (token_hash, username, created_at, last_seen, expires_at)
                       VALUES (?, ?, ?, ?, ?)""", [token_hash(token), actor.username, now, now, expires])

    store.run_write(insert, figures=False)
    return token


def _touch_interval(idle: timedelta) -> timedelta:
    # Writing last_seen on every click would be a write per script run; once a minute (less
    # under a very short idle setting) keeps the idle timeout right to within that interval.
    return min(timedelta(minutes=1), idle / 10)


def resume_session(store: Store, token: str, *, now: datetime | None = None) -> Actor:
    """The :class:`Actor` whose session ``token`` opens, as the account is now (role and
    cooperative re-read), and records the visit; :class:`SessionEnded` when it opens none.
    A session found idle, expired or of a disabled account is ended there and then, so the
    same token is refused from then on."""
    now = now or _now()
    key = token_hash(token or "")
    cur = store.cursor()
    try:
        row = cur.execute("""SELECT s.last_seen, s.expires_at, s.ended_why, u.role, u.cooperative,
                                    u.disabled, s.username
                             FROM sessions s LEFT JOIN users u USING (username)
                             WHERE s.token_hash = ?""", [key]).fetchone()
    finally:
        cur.close()
    if row is None:
        raise SessionEnded("revoked")
    last_seen, expires_at, ended_why, role, cooperative, disabled, username = row
    if ended_why:
        raise SessionEnded(ended_why if ended_why in END_REASONS else "revoked")
    idle = timedelta(minutes=settings.session_idle_minutes())
    why = ("expired" if now >= expires_at else "idle" if now - last_seen > idle
           else "disabled" if role is None or disabled else None)
    if why:
        store.run_write(lambda c: _end_sessions(c, why, key=key), figures=False)
        raise SessionEnded(why)
    if now - last_seen >= _touch_interval(idle):
        store.run_write(lambda c: c.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?",
                                            [now, key]), figures=False)
    return Actor(username, role, cooperative)


def end_session(store: Store, token: str) -> None:
    """Log out: the token opens nothing from now on, in any tab or on any copy of the cookie."""
    store.run_write(lambda c: _end_sessions(c, "logout", key=token_hash(token or "")), figures=False)


def list_sessions(cur: Cursor, username: str | None = None) -> list[Session]:
    """Session rows (all, or one user's; ended ones too until cleared out), newest first."""
    sql = ("SELECT token_hash, username, created_at, last_seen, expires_at, ended_at, ended_why "
           "FROM sessions")
    rows = cur.execute(sql + (" WHERE username = ?" if username else "") + " ORDER BY created_at DESC",
                       [username] if username else []).fetchall()
    return [Session(*r) for r in rows]


def change_own_password(store: Store, actor: Actor, current: str, new: str, *,
                        address: str | None = None) -> None:
    """A user changes their own password (the 账户 page): the current one must be right.

    A wrong current password counts as a failed login (slow-down, lockout), so a borrowed
    open session cannot be used to guess it. Ends every session of the user, this one too;
    the caller opens a new one. ``address`` is the client's, as for :func:`authenticate`.
    :class:`LoginFailed` or :class:`AccountError` (Chinese).
    """
    check_password_policy(new)
    if new == current:
        raise AccountError("新密码不能与当前密码相同。")
    try:
        authenticate(store, actor.username, current, address=address)
    except AccountLocked:
        raise
    except LoginFailed as e:
        # authenticate's answer names no part ("用户名或密码错误"); here only one part is asked.
        raise LoginFailed(str(e).replace("用户名或密码错误。", "当前密码不正确。")) from None
    set_password(store, actor, actor.username, new)
