"""Who may change what: roles, the acting user (:class:`Actor`) passed into every write, and the checks.

The checks run in analytics, not on the pages, so the rules hold even if a page were bypassed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..scope import Cursor  # noqa: F401 - the access modules' name for it

ROLES = ("admin", "viewer", "reviewer", "manager")
ROLE_NAMES = {"admin": ("管理员", "Administrator"), "viewer": ("农业办（只读）", "Office (read-only)"),
              "reviewer": ("审核员", "Reviewer"), "manager": ("合作社管理员", "Cooperative manager")}
# Who reviews the cooperatives' submissions (DESIGN.md §9): the office, not the submitters.
REVIEW_ROLES = ("admin", "reviewer")


class PermissionDenied(PermissionError):
    """Refused; the message is Chinese and names what was refused."""


@dataclass(frozen=True)
class Actor:
    username: str
    role: str  # admin / viewer / reviewer / manager; "system" for the CLI run by the IT person
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


def may_see_uploads_of(actor: Actor | None, cooperatives: Iterable[str]) -> bool:
    """Whether ``actor`` sees an upload record (file, uploader, explanations) of these
    cooperatives: the office sees every one; a cooperative manager only those of his own
    cooperative (DESIGN §2: "only their own cooperative"); an upload of several cooperatives or
    of none known is the office's."""
    if actor is None:
        return False
    if actor.role != "manager":
        return True
    coops = set(cooperatives)
    return bool(coops) and coops == {actor.cooperative}


def may_review(actor: Actor | None) -> bool:
    """Whether ``actor`` may accept or return submissions: an administrator or a 审核员."""
    return actor is not None and actor.role in REVIEW_ROLES


def check_review(actor: Actor | None) -> None:
    """Refuse unless ``actor`` may review submissions; the message is Chinese."""
    if not may_review(actor):
        who = f"用户 {actor.username} " if actor else ""
        raise PermissionDenied(f"{who}无权审核：只有农业办的管理员或审核员可以通过或退回报送。")


def require_admin(actor: Actor | None, what: str) -> None:
    """Refuse unless ``actor`` is an administrator; ``what`` completes “只有管理员可以…”."""
    if actor is None or actor.role != "admin":
        who = f"用户 {actor.username} " if actor else ""
        raise PermissionDenied(f"{who}无权操作：只有管理员可以{what}。")


# The agriculture office: who follows up 预警 (cooperative managers do not).
OFFICE_ROLES = ("admin", "viewer", "reviewer")


def require_office(actor: Actor | None, what: str) -> None:
    """Refuse unless ``actor`` is of the office (:data:`OFFICE_ROLES`); ``what`` completes “只有农业办可以…”."""
    if actor is None or actor.role not in OFFICE_ROLES:
        who = f"用户 {actor.username} " if actor else ""
        raise PermissionDenied(f"{who}无权操作：只有农业办可以{what}。")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


class AccountError(ValueError):
    """An account, target or unit edit that cannot be done as asked; Chinese message."""
