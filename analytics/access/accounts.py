"""Accounts: create, disable, unlock, a manager's cooperative, passwords set by the admin, the first admin.

Every administrator action (accounts, targets, unit registry; undo through ``uploads``) leaves a
row in the audit table, written in the action's own transaction: see
:func:`analytics.access.audit.audit_log`. Password hashes: :mod:`.passwords`; login and lockout:
:mod:`.lockout`; sessions: :mod:`.sessions`.
"""

from __future__ import annotations

import math
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from .. import settings
from ..text import coop_key
from .audit import record
from .passwords import hash_password
from .permissions import ROLE_NAMES, ROLES, SYSTEM, AccountError, Actor, Cursor, _now, require_admin
from .sessions import _end_sessions

if TYPE_CHECKING:  # the store sits above access and hands itself in; no import at run time
    from ..store.db import Store

ADMIN_USERNAME = "admin"
_USERNAME = re.compile(r"^[^\s/\\\x00-\x1f\x7f-\x9f]{1,64}$")

# --- audit -------------------------------------------------------------------------------

# --- passwords ---------------------------------------------------------------------------

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
                           "（admin 管理员，viewer 农业办只读，reviewer 审核员，manager 合作社）。")
    coop = _clean_text(cooperative, "合作社", "名称")
    if role == "manager" and not coop:
        raise AccountError("合作社管理员必须指定所属合作社。")
    # Only managers are confined to a cooperative; for others it would mean nothing.
    return coop if role == "manager" else None


def _registered_cooperative(cur: Cursor, coop: str | None, new_cooperative: bool) -> str | None:
    """The registered name a manager's cooperative stands for.

    A registered name or an alias kept at upload gives the registered name. A new name that
    reads like a registered one once 专业/养殖/合作社, spaces and brackets are dropped (the
    upload's look-alike rule, ``text.coop_key``) is refused unless the admin confirms
    it is another cooperative (``new_cooperative``): a manager tied to a misspelt name could
    upload nothing of their own and would start a second copy of the cooperative.
    """
    if coop is None:
        return None
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

# --- the unit registry ---------------------------------------------------------------------

# --- sessions ------------------------------------------------------------------------------
# A login lasts across reloads, tabs and bookmarks the way web frameworks do it: the browser
# keeps a random token (``secrets``, 256 bits) in a cookie, the server keeps only its SHA-256
# with the user, when it was created, last seen and when it expires. A slow hash is not
# needed: the token is random, not chosen by a person, so it cannot be guessed from its hash.
# Logout ends the session; a password change, disabling the account and a role change end
# all of the user's sessions (the hooks in set_password, disable_user, assign_cooperative).


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _clean_text(value: Any, where: str = "", what: str = "") -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if _CONTROL.search(text):
        raise AccountError(f"{where}：{what}中含有控制字符（如换行、NUL），请删去后再保存。")
    return text or None
