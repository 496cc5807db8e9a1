"""Login sessions: a random token in a cookie, only its SHA-256 kept on the server, ended on logout,
password change, disabling, role change, idle time or age.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .. import settings
from .permissions import Actor, Cursor, _now

if TYPE_CHECKING:  # the store sits above access and hands itself in; no import at run time
    from ..store.db import Store


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


def purge(store: Store, *, now: datetime | None = None) -> int:
    """Delete the rows of sessions that have run out (past their lifetime, or idle longer than
    ``PARK_SESSION_IDLE_MINUTES``), as each new login also does; returns how many went.
    Ended but unexpired sessions stay, so their old cookie still gets the right notice."""
    now = now or _now()
    stale = now - timedelta(minutes=settings.session_idle_minutes())

    def delete(cur: Cursor) -> int:
        n = cur.execute("SELECT count(*) FROM sessions WHERE expires_at <= ? OR last_seen < ?",
                        [now, stale]).fetchone()[0]
        cur.execute("DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?", [now, stale])
        return int(n)

    return store.run_write(delete, figures=False)


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
