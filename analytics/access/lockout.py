"""Login with slow-down and lockout, and a user's own password change.

Wrong passwords slow the next answer down and are counted per account *and client
address*: after ``PARK_LOGIN_MAX_FAILURES`` in a row from one address that address may not log in
to that account for ``PARK_LOGIN_LOCK_MINUTES``, and after ``PARK_LOGIN_MAX_FAILURES_PER_ADDRESS``
to any account, not at all. Other computers are not affected, so a stranger cannot lock the
administrator out; and an administrator on the machine itself (no address: localhost) is never
locked out (``PARK_LOGIN_LOCAL_ADMIN``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from .. import settings
from . import passwords
from .accounts import set_password
from .audit import record
from .passwords import _spend_verify_time, check_password_policy, verify_password
from .permissions import LOCAL, SYSTEM, AccountError, Actor, Cursor, _now, require_admin

if TYPE_CHECKING:  # the store sits above access and hands itself in; no import at run time
    from ..store.db import Store


class LoginFailed(Exception):
    """Login refused; the message is Chinese and safe to show (it never says which part was wrong)."""


class AccountLocked(LoginFailed):
    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


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
    rehash = passwords._hasher.check_needs_rehash(password_hash)
    new_hash = passwords._hasher.hash(password) if rehash else password_hash

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


FAILURE_MAX_AGE = timedelta(days=1)


def purge_failures(store: Store, *, now: datetime | None = None, age: timedelta = FAILURE_MAX_AGE) -> int:
    """Forget wrong passwords older than ``age`` (a day) whose lock, if any, is over: a
    mistyped password yesterday does not count towards today's lock, and the table does not
    grow with every address that ever mistyped. Returns the rows deleted."""
    now = now or _now()

    def delete(cur: Cursor) -> int:
        args = [now - age, now]
        n = cur.execute("""SELECT count(*) FROM login_failures
                           WHERE last_failure < ? AND (locked_until IS NULL OR locked_until < ?)""",
                        args).fetchone()[0]
        cur.execute("""DELETE FROM login_failures
                       WHERE last_failure < ? AND (locked_until IS NULL OR locked_until < ?)""", args)
        return int(n)

    return store.run_write(delete, figures=False)
