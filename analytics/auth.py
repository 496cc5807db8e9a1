"""Who may change what: accounts, passwords, login with lockout, and the admin-only edits.

The acting user (:class:`Actor`) is passed into every write — ingest, undo, users, targets,
units — and checked here, so the rules hold even if a page were bypassed.

Passwords are hashed with argon2id (argon2-cffi); the plain text is never stored, logged or
returned. Wrong passwords slow the next answer down and, after ``PARK_LOGIN_MAX_FAILURES`` in a
row, lock the account for ``PARK_LOGIN_LOCK_MINUTES``.
"""

from __future__ import annotations

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

from . import contract, settings
from .db import Store

ROLES = ("admin", "viewer", "manager")
ROLE_NAMES = {"admin": ("管理员", "Administrator"), "viewer": ("农业办（只读）", "Office (read-only)"),
              "manager": ("合作社管理员", "Cooperative manager")}
MIN_PASSWORD = 8
ADMIN_USERNAME = "admin"
_USERNAME = re.compile(r"^[^\s/\\]{1,64}$")

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


def check_write(actor: Actor | None, cooperatives: Iterable[str]) -> None:
    """Refuse unless ``actor`` may write rows of every cooperative listed."""
    if actor is None:
        raise PermissionDenied("请先登录后再上传或撤销。")
    if actor.role == "admin":
        return
    if actor.role != "manager":
        raise PermissionDenied(f"用户 {actor.username} 是只读账号，不能修改数据。")
    others = sorted({c for c in cooperatives if c != actor.cooperative})
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


_ACCOUNT_COLS = ("username, role, cooperative, display_name, disabled, failed_logins, "
                 "locked_until, created_at")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def list_users(cur: Cursor) -> list[Account]:
    """Every account, admins first, then by name."""
    rows = cur.execute(f"""SELECT {_ACCOUNT_COLS} FROM users
                           ORDER BY role <> 'admin', role, username""").fetchall()
    return [Account(*r) for r in rows]


def get_user(cur: Cursor, username: str) -> Account | None:
    row = cur.execute(f"SELECT {_ACCOUNT_COLS} FROM users WHERE username = ?", [username]).fetchone()
    return Account(*row) if row else None


def _clean_username(username: str) -> str:
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise AccountError("用户名不能为空，不能含空格或斜杠，最长 64 个字符。")
    return name


def _check_role(role: str, cooperative: str | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"角色“{role}”无效，只能是：{'、'.join(ROLES)}"
                           "（admin 管理员，viewer 农业办只读，manager 合作社）。")
    coop = (cooperative or "").strip() or None
    if role == "manager" and not coop:
        raise AccountError("合作社管理员必须指定所属合作社。")
    # Only managers are confined to a cooperative; for others it would mean nothing.
    return coop if role == "manager" else None


def _existing(cur: Cursor, username: str) -> Account:
    account = get_user(cur, username)
    if account is None:
        raise AccountError(f"找不到用户 {username}。")
    return account


def _active_admins(cur: Cursor) -> int:
    return cur.execute("SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled").fetchone()[0]


def create_user(store: Store, actor: Actor, username: str, password: str, role: str,
                cooperative: str | None = None, display_name: str | None = None) -> Account:
    """Add an account (admin only). A manager must name the cooperative they report for."""
    require_admin(actor, "添加用户")
    name = _clean_username(username)
    coop = _check_role(role, cooperative)
    password_hash = hash_password(password)

    def insert(cur: Cursor) -> Account:
        if get_user(cur, name) is not None:
            raise AccountError(f"用户 {name} 已存在。")
        cur.execute("""INSERT INTO users (username, display_name, role, cooperative, password_hash)
                       VALUES (?, ?, ?, ?, ?)""",
                    [name, (display_name or "").strip() or None, role, coop, password_hash])
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

    store.run_write(update, figures=False)


def unlock_user(store: Store, actor: Actor, username: str) -> None:
    """Lift a lockout and forget the failed attempts; admin only."""
    require_admin(actor, "解锁用户")

    def update(cur: Cursor) -> None:
        _existing(cur, username)
        cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?",
                    [username])

    store.run_write(update, figures=False)


def assign_cooperative(store: Store, actor: Actor, username: str, cooperative: str | None,
                       role: str | None = None) -> Account:
    """Set a user's cooperative (and optionally role); admin only.

    A manager must keep a cooperative; the last active administrator keeps the admin role.
    """
    require_admin(actor, "分配合作社或角色")

    def update(cur: Cursor) -> Account:
        account = _existing(cur, username)
        new_role = role or account.role
        coop = _check_role(new_role, cooperative)
        if (account.role == "admin" and new_role != "admin" and not account.disabled
                and _active_admins(cur) <= 1):
            raise AccountError(f"{username} 是唯一可用的管理员，不能改为其他角色。")
        cur.execute("UPDATE users SET role = ?, cooperative = ? WHERE username = ?",
                    [new_role, coop, username])
        return get_user(cur, username)

    return store.run_write(update, figures=False)


# --- login ---------------------------------------------------------------------------------

def login_delay(failures: int) -> float:
    """Seconds to wait before answering the ``failures``-th wrong password in a row: 0, 1, 2, 4 … ≤ 8."""
    return 0.0 if failures <= 1 else min(2.0 ** (failures - 2), 8.0)


_sleep = time.sleep  # module attribute so tests (also AppTest runs) can make waiting instant


def authenticate(store: Store, username: str, password: str, *, now: datetime | None = None,
                 sleep: Callable[[float], None] | None = None) -> Actor:
    """The :class:`Actor` for a correct username and password; :class:`LoginFailed` otherwise.

    Wrong passwords are counted per account; each answer is delayed by :func:`login_delay`,
    and after ``PARK_LOGIN_MAX_FAILURES`` in a row the account is locked for
    ``PARK_LOGIN_LOCK_MINUTES`` (:class:`AccountLocked`), correct password or not.
    ``now`` and ``sleep`` are injectable so tests need not wait.
    """
    now = now or _now()
    name = (username or "").strip()
    cur = store.cursor()
    try:
        row = cur.execute("""SELECT password_hash, role, cooperative, disabled, failed_logins,
                                    locked_until FROM users WHERE username = ?""", [name]).fetchone()
    finally:
        cur.close()
    generic = "用户名或密码错误。"
    if row is None:
        _spend_verify_time(password or "")
        raise LoginFailed(generic)
    password_hash, role, cooperative, disabled, failures, locked_until = row
    if locked_until is not None and locked_until > now:
        # While locked the password is not even checked: guessing gains nothing.
        raise AccountLocked(f"密码输错次数过多，账号已锁定，请于 {locked_until:%H:%M} 后再试，"
                            "或请管理员解锁。", locked_until)
    if not verify_password(password_hash, password or ""):
        limit = settings.max_failures()

        def count(cur: Cursor) -> tuple[int, datetime | None]:
            n = cur.execute("""UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ?
                               RETURNING failed_logins""", [name]).fetchone()[0]
            if n < limit:
                return n, None
            until = now + timedelta(minutes=settings.lock_minutes())
            # Counting starts afresh once the lock has passed.
            cur.execute("UPDATE users SET failed_logins = 0, locked_until = ? WHERE username = ?",
                        [until, name])
            return n, until

        n, until = store.run_write(count, figures=False)
        if until is not None:
            raise AccountLocked(f"密码已连续输错 {n} 次，账号锁定至 {until:%H:%M}。"
                                "请稍后再试，或请管理员重置密码。", until)
        (sleep or _sleep)(login_delay(n))
        left = limit - n
        raise LoginFailed(generic + (f"再错 {left} 次账号将被锁定。" if left <= 2 else ""))
    if disabled:
        raise LoginFailed("此账号已停用，请联系管理员。")
    rehash = _hasher.check_needs_rehash(password_hash)
    if failures or locked_until is not None or rehash:
        new_hash = _hasher.hash(password) if rehash else password_hash

        def reset(cur: Cursor) -> None:
            cur.execute("""UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = ?
                           WHERE username = ?""", [new_hash, name])

        store.run_write(reset, figures=False)
    return Actor(name, role, cooperative)


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
        return True

    if not store.run_write(create, figures=False):
        return None
    out = out or sys.stderr
    if given:
        print(f"已创建管理员账号 {ADMIN_USERNAME}，密码为 PARK_ADMIN_PASSWORD 的值。", file=out)
    else:
        print(f"已创建管理员账号 {ADMIN_USERNAME}，初始密码：{password}\n"
              "（只显示这一次，请记下，登录后在“管理”页修改。）", file=out)
    out.flush()
    return ADMIN_USERNAME


# --- annual targets ------------------------------------------------------------------------

def _target_metrics() -> dict[tuple[str, str], tuple[str, str]]:
    from . import kpis  # kpis is heavy and nothing in it needs auth

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


def list_units(cur: Cursor, cooperative: str | None = None, sector: str | None = None) -> pd.DataFrame:
    """Registered sheds, farms and plots with their attributes, for the registry editor."""
    where, params = [], []
    if cooperative:
        where.append("cooperative = ?")
        params.append(cooperative)
    if sector:
        where.append("sector = ?")
        params.append(sector)
    sql = ("SELECT sector, cooperative, unit, gh_type, village, zone, land_mu FROM units"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY sector, cooperative, unit")
    return cur.execute(sql, params).df()


def _clean_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


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
            fields["village"] = _clean_text(e["village"])
        if "zone" in e:
            fields["zone"] = _clean_text(e["zone"])
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
            sets = ", ".join(f"{k} = ?" for k in fields)
            cur.execute(f"UPDATE units SET {sets} WHERE sector = ? AND cooperative = ? AND unit = ?",
                        [*fields.values(), sector, coop, unit])
            # The administrator's correction is final: undoing an earlier upload must not put
            # back the attributes that upload had replaced.
            cur.execute("DELETE FROM units_history WHERE sector = ? AND cooperative = ? AND unit = ?",
                        [sector, coop, unit])
            for table, key in (("villages", "village"), ("zones", "zone")):
                if fields.get(key):
                    cur.execute(f"INSERT INTO {table} VALUES (?) ON CONFLICT DO NOTHING", [fields[key]])
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
