"""Passwords: argon2id hashes (argon2-cffi) and the policy; the plain text is never stored, logged or returned.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .permissions import AccountError

MIN_PASSWORD = 8
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
