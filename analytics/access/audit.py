"""The audit log: every administrator action leaves a row, written in the action's own transaction.
"""

from __future__ import annotations

import pandas as pd

from .permissions import Actor, Cursor

# What each audit action is called on the 管理 page: (Chinese, English).
AUDIT_ACTIONS = {
    "create_user": ("添加用户", "Add user"), "set_password": ("设置密码", "Set password"),
    "disable_user": ("停用用户", "Disable user"), "enable_user": ("启用用户", "Enable user"),
    "unlock_user": ("解锁用户", "Unlock user"), "unlock_addresses": ("解除地址锁定", "Unlock addresses"),
    "assign_cooperative": ("修改角色或合作社", "Change role or cooperative"),
    "set_targets": ("修改年度目标", "Set targets"), "update_unit": ("更正单元登记", "Correct unit"),
    "undo_upload": ("撤销上传", "Undo upload"), "backup": ("备份", "Backup"),
    "restore": ("从备份恢复", "Restore"), "login_locked": ("登录暂停", "Login locked"),
    "review_accept": ("通过报送", "Accept submission"), "review_return": ("退回报送", "Return submission"),
    "withdraw_submission": ("撤回报送", "Withdraw submission"),
    "set_deadline": ("调整报送截止日", "Set reporting deadline"),
    "set_warning_state": ("预警处理", "Warning state"),
    "set_sows_normal": ("设定能繁母猪正常保有量", "Set normal sows"),
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
