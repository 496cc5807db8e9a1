"""The dashboard's settings, declared once as data (name, default, help), read from the environment.

Each is read when it is used (tests change one with monkeypatch.setenv), and the README's
table and ``python -m analytics settings`` both come from :data:`SETTINGS`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("PARK_PUBLIC_VIEW", "1",
            "1：不登录也能查看看板各页（演示默认）；0：查看也需要登录。上传、撤销和管理页始终需要登录。"),
    Setting("PARK_SESSION_IDLE_MINUTES", "30",
            "登录后无操作超过这么多分钟，会话结束，需重新登录。"),
    Setting("PARK_ADMIN_PASSWORD", "",
            "首次启动且数据库中没有管理员时，用它作为 admin 的初始密码；"
            "不设则随机生成，只在控制台显示一次。"),
    Setting("PARK_LOGIN_MAX_FAILURES", "5",
            "连续输错密码这么多次后锁定账号。"),
    Setting("PARK_LOGIN_LOCK_MINUTES", "15",
            "账号被锁定的分钟数；管理员重置密码或解锁可提前解除。"),
    Setting("PARK_TOWN", "济阳镇",
            "只有一个乡镇的数据库用的乡镇名称：建库时登记它，上传时新出现的合作社自动归入它。"),
    Setting("PARK_LAKE", "",
            "设为 Parquet 数据湖目录（python -m analytics export-parquet 导出）时，"
            "看板只读地展示该数据湖，不打开数据库。"),
    Setting("PARK_SPARK_MASTER", "local[2]",
            "kpis --engine spark 使用的 Spark master，如 local[2] 或 spark://host:7077。"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The setting's value: the environment variable if set and not blank, else its default."""
    default = _BY_NAME[name].default  # KeyError: an undeclared setting is a programming error
    value = os.environ.get(name, "").strip()
    return value or default


def flag(name: str) -> bool:
    """A yes/no setting: 0, false, no, off (any case) and 否 mean no; anything else yes."""
    return get(name).lower() not in ("0", "false", "no", "off", "否")


def number(name: str) -> float:
    """A positive number; a value that is not one falls back to the default, said on stderr."""
    value = get(name)
    try:
        x = float(value)
        if x > 0:
            return x
    except ValueError:
        pass
    print(f"设置 {name}={value!r} 不是正数，改用默认值 {_BY_NAME[name].default}。", file=sys.stderr)
    return float(_BY_NAME[name].default)


def public_view() -> bool:
    return flag("PARK_PUBLIC_VIEW")


def session_idle_minutes() -> float:
    return number("PARK_SESSION_IDLE_MINUTES")


def max_failures() -> int:
    return max(1, int(number("PARK_LOGIN_MAX_FAILURES")))


def lock_minutes() -> float:
    return number("PARK_LOGIN_LOCK_MINUTES")
