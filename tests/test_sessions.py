"""The session store: random tokens, only their hash kept, idle and absolute expiry, and the
events that end a user's sessions (logout, password change, disable, role change)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from analytics import settings
from analytics.access import accounts, lockout, passwords, permissions, sessions
from analytics.access.permissions import SYSTEM, Actor
from analytics.access.sessions import SessionEnded

PW = "Sitzung-密码-2024"
COOP = "兴旺种鸭专业合作社"
T0 = datetime(2024, 3, 1, 8, 0, 0)


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", None)
    monkeypatch.setattr(lockout, "_sleep", lambda seconds: None)
    monkeypatch.setenv("PARK_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("PARK_SESSION_MAX_HOURS", "12")


@pytest.fixture
def users(store):
    accounts.create_user(store, SYSTEM, "wang", PW, "manager", COOP)
    accounts.create_user(store, SYSTEM, "li", PW, "viewer")
    accounts.create_user(store, SYSTEM, "boss", PW, "admin")
    return store


WANG = Actor("wang", "manager", COOP)
LI = Actor("li", "viewer")


def rows(store) -> list[tuple]:
    return store.cursor().execute("SELECT * FROM sessions ORDER BY created_at, username").fetchall()


def ended(store, token: str) -> str:
    with pytest.raises(SessionEnded) as e:
        sessions.resume_session(store, token, now=T0 + timedelta(minutes=1))
    return e.value.reason


def test_only_the_hash_is_stored_with_user_and_times(users):
    token = sessions.create_session(users, WANG, now=T0)
    assert len(token) >= 43 and token.replace("-", "").replace("_", "").isalnum()  # 32 random bytes
    assert rows(users) == [(hashlib.sha256(token.encode()).hexdigest(), "wang", T0, T0,
                            T0 + timedelta(hours=12), None, None)]
    dumped = repr(users.cursor().execute("SELECT * FROM sessions").fetchall())
    assert token not in dumped
    assert sessions.create_session(users, WANG, now=T0) != token  # a fresh random token each time


def test_resume_gives_the_account_as_it_is_now(users):
    token = sessions.create_session(users, WANG, now=T0)
    assert sessions.resume_session(users, token, now=T0 + timedelta(minutes=5)) == WANG
    # A cooperative change applies to the open session at once (no new login needed).
    accounts.assign_cooperative(users, SYSTEM, "wang", "金羽种鸭专业合作社")
    assert sessions.resume_session(users, token, now=T0 + timedelta(minutes=6)) == Actor(
        "wang", "manager", "金羽种鸭专业合作社")


def test_unknown_or_tampered_token_is_refused(users):
    token = sessions.create_session(users, WANG, now=T0)
    assert ended(users, token[:-1] + ("A" if token[-1] != "A" else "B")) == "revoked"
    assert ended(users, "") == "revoked"
    assert ended(users, sessions.token_hash(token)) == "revoked"  # the stored hash is not a key


def test_idle_timeout_counts_from_the_last_visit(users):
    token = sessions.create_session(users, WANG, now=T0)
    # Visits within the idle time keep it alive: 25 + 25 + 25 minutes is past 30 from the start.
    for m in (25, 50, 75):
        assert sessions.resume_session(users, token, now=T0 + timedelta(minutes=m)) == WANG
    assert rows(users)[0][3] == T0 + timedelta(minutes=75)  # last_seen
    with pytest.raises(SessionEnded, match="idle"):
        sessions.resume_session(users, token, now=T0 + timedelta(minutes=75 + 31))
    # Ended for good: coming back "in time" does not revive it.
    with pytest.raises(SessionEnded, match="idle"):
        sessions.resume_session(users, token, now=T0 + timedelta(minutes=80))
    assert rows(users)[0][-1] == "idle"


def test_last_seen_is_written_at_most_once_a_minute(users):
    token = sessions.create_session(users, WANG, now=T0)
    sessions.resume_session(users, token, now=T0 + timedelta(seconds=40))
    assert rows(users)[0][3] == T0
    sessions.resume_session(users, token, now=T0 + timedelta(seconds=61))
    assert rows(users)[0][3] == T0 + timedelta(seconds=61)


def test_absolute_lifetime_ends_even_an_active_session(users, monkeypatch):
    monkeypatch.setenv("PARK_SESSION_MAX_HOURS", "1")
    token = sessions.create_session(users, WANG, now=T0)
    for m in (20, 40, 59):
        assert sessions.resume_session(users, token, now=T0 + timedelta(minutes=m)) == WANG
    with pytest.raises(SessionEnded, match="expired"):
        sessions.resume_session(users, token, now=T0 + timedelta(minutes=60))


def test_logout_ends_only_that_session(users):
    here, there = sessions.create_session(users, WANG, now=T0), sessions.create_session(users, WANG, now=T0)
    sessions.end_session(users, here)
    assert ended(users, here) == "logout"  # also a copy of the cookie taken before
    assert sessions.resume_session(users, there, now=T0 + timedelta(minutes=1)) == WANG


@pytest.mark.parametrize("change, reason", [
    (lambda s: accounts.set_password(s, SYSTEM, "wang", "another-password"), "password"),
    (lambda s: accounts.disable_user(s, SYSTEM, "wang"), "disabled"),
    (lambda s: accounts.assign_cooperative(s, SYSTEM, "wang", None, role="viewer"), "role"),
])
def test_password_disable_and_role_change_end_every_session_of_the_user(users, change, reason):
    mine = [sessions.create_session(users, WANG, now=T0) for _ in range(2)]
    other = sessions.create_session(users, LI, now=T0)
    change(users)
    assert [ended(users, tok) for tok in mine] == [reason, reason]
    assert sessions.resume_session(users, other, now=T0 + timedelta(minutes=1)) == LI


def test_enabling_again_does_not_revive_old_sessions(users):
    token = sessions.create_session(users, WANG, now=T0)
    accounts.disable_user(users, SYSTEM, "wang")
    accounts.disable_user(users, SYSTEM, "wang", disabled=False)
    assert ended(users, token) == "disabled"


def test_a_refused_role_change_ends_nothing(users):
    token = sessions.create_session(users, Actor("boss", "admin"), now=T0)
    with pytest.raises(permissions.AccountError, match="唯一可用的管理员"):
        accounts.assign_cooperative(users, SYSTEM, "boss", None, role="viewer")
    assert sessions.resume_session(users, token, now=T0 + timedelta(minutes=1)) == Actor("boss", "admin")


def test_account_disabled_or_gone_behind_the_sessions_back(users):
    token = sessions.create_session(users, WANG, now=T0)
    users.run_write(lambda c: c.execute("DELETE FROM users WHERE username = 'wang'"), figures=False)
    assert ended(users, token) == "disabled"


def test_new_sessions_clear_out_rows_that_ran_out(users):
    old = sessions.create_session(users, WANG, now=T0)
    sessions.end_session(users, old)
    sessions.create_session(users, LI, now=T0 + timedelta(hours=1))  # old is past the idle time
    assert [r[1] for r in rows(users)] == ["li"]


def test_change_own_password(users):
    keep = sessions.create_session(users, WANG, now=T0)
    with pytest.raises(lockout.LoginFailed, match="当前密码不正确"):
        lockout.change_own_password(users, WANG, "not-my-password", "brand-new-password")
    assert accounts.get_user(users.cursor(), "wang").failed_logins == 1  # counts like a failed login
    assert sessions.resume_session(users, keep, now=T0 + timedelta(minutes=1)) == WANG
    with pytest.raises(permissions.AccountError, match="至少需要 8 个字符"):
        lockout.change_own_password(users, WANG, PW, "short")
    with pytest.raises(permissions.AccountError, match="不能与当前密码相同"):
        lockout.change_own_password(users, WANG, PW, PW)
    assert lockout.authenticate(users, "wang", PW) == WANG  # nothing changed so far
    lockout.change_own_password(users, WANG, PW, "brand-new-password")
    assert ended(users, keep) == "password"
    assert lockout.authenticate(users, "wang", "brand-new-password") == WANG
    with pytest.raises(lockout.LoginFailed):
        lockout.authenticate(users, "wang", PW)


def test_lifetime_setting_is_read_and_documented(monkeypatch):
    monkeypatch.delenv("PARK_SESSION_MAX_HOURS")
    assert settings.session_max_hours() == 12
    monkeypatch.setenv("PARK_SESSION_MAX_HOURS", "0.5")
    assert settings.session_max_hours() == 0.5
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "| `PARK_SESSION_MAX_HOURS` | `12` |" in readme
