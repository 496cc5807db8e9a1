"""Who may change what. (Accounts, hashing and lockout are added by the accounts work.)

The acting user is passed into every write (ingest, undo), so the rules hold even if a page
were bypassed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("admin", "viewer", "manager")


class PermissionDenied(PermissionError):
    """Refused; the message is Chinese and names what was refused."""


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
