"""Login state for the UI. Placeholder until accounts land: everyone is a public viewer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    username: str
    role: str  # admin / viewer / manager / public
    cooperative: str | None = None


PUBLIC = User("public", "public")


def current_user() -> User:
    return PUBLIC


def sidebar() -> User:
    """Draw login / logout in the sidebar; returns the acting user."""
    return current_user()


def may_open(user: User, page_key: str) -> bool:
    """Which pages a role may open; the menu shows only these."""
    return page_key not in ("upload", "admin")
