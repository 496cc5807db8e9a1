"""The dashboard's settings, declared once as data (name, default, help), read from the environment.

Each is read when it is used (tests change one with monkeypatch.setenv), and the README's
table and ``python -m analytics settings`` both come from :data:`SETTINGS`.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("PARK_PUBLIC_VIEW", "",
            "1：不登录也能查看看板各页；0：查看也需要登录。不设：只在本机监听（PARK_HOST 为 127.0.0.1）"
            "时开放，向局域网监听时须登录。上传、撤销和管理页始终需要登录。"),
    # Safe by default on a network (issue 20): the machine alone unless the office chooses the LAN.
    Setting("PARK_HOST", "127.0.0.1",
            "看板监听的地址：127.0.0.1 只有本机能打开；0.0.0.0 让局域网的同事也能打开"
            "（此时未登录不能查看，除非 PARK_PUBLIC_VIEW=1）。make run HOST=0.0.0.0 与此相同。"),
    Setting("PARK_TRUSTED_PROXY", "",
            "反向代理（如同机的 Caddy：127.0.0.1）的地址，多个用逗号分隔。只有来自这些地址的连接，"
            "其 X-Forwarded-For 头才被当作访问者的地址（登录锁定按它计数）；不设：从不相信该头。"),
    Setting("PARK_SESSION_IDLE_MINUTES", "30",
            "登录后无操作超过这么多分钟，会话结束，需重新登录。"),
    Setting("PARK_SESSION_MAX_HOURS", "12",
            "一次登录最长有效的小时数：到时即使一直在操作，也须重新登录。"),
    Setting("PARK_ADMIN_PASSWORD", "",
            "首次启动且数据库中没有管理员时，用它作为 admin 的初始密码；"
            "不设则随机生成，只在控制台显示一次。"),
    Setting("PARK_LOGIN_MAX_FAILURES", "5",
            "从同一地址（电脑）对同一账号连续输错密码这么多次后，该地址暂停登录该账号；"
            "其他电脑不受影响，所以陌生人锁不住管理员。"),
    Setting("PARK_LOGIN_MAX_FAILURES_PER_ADDRESS", "20",
            "同一地址对任何账号累计输错这么多次后，该地址暂停登录所有账号（防止逐个试用户名）。"),
    Setting("PARK_LOGIN_LOCK_MINUTES", "15",
            "暂停登录的分钟数；管理员重置密码或解锁可提前解除。"),
    Setting("PARK_LOGIN_LOCAL_ADMIN", "1",
            "1：管理员在看板所在的电脑上（localhost）登录永不被锁定；若看板放在同机的反向代理之后"
            "（所有访问都显得来自本机），请设为 0。"),
    Setting("PARK_BACKUP_DIR", "",
            "备份目录；不设则为数据库所在目录下的 backups/。最好放在另一块硬盘或 U 盘上。"),
    Setting("PARK_BACKUP_KEEP_DAYS", "14",
            "运行中的看板每天自动备份一次，保留这么多天的备份（更早的自动删除，最新的一份总会保留）；"
            "0：不自动备份。"),
    Setting("PARK_BACKUP_KEEP_COPIES", "30",
            "最多保留的备份份数（含手动备份）；超出时删除最旧的，最新的一份总会保留。"
            "各份备份中相同的原始上传文件只存一份（硬链接），所以多保留几份只多占数据库本身的大小。"),
    # Upload limits (issue 11): checked before the expensive work, the same for the page and the CLI.
    Setting("PARK_UPLOAD_MAX_MB", "50",
            "上传文件的大小上限（MB），页面和命令行相同。"),
    Setting("PARK_UPLOAD_MAX_UNZIPPED_MB", "500",
            "Excel（.xlsx）解压后的总大小上限（MB）；按压缩包目录检查，超过则在解压前拒绝。"),
    Setting("PARK_UPLOAD_MAX_ZIP_RATIO", "100",
            "Excel（.xlsx）内单个文件的最大压缩比；超过即视为“压缩炸弹”，在解压前拒绝。"),
    Setting("PARK_UPLOAD_MAX_COLUMNS", "200",
            "一张表最多的列数（不计末尾的空列）。"),
    Setting("PARK_UPLOAD_MAX_ROWS", "1000000",
            "一个文件最多的行数（所有工作表合计）。"),
    Setting("PARK_UPLOAD_MAX_CELL_CHARS", "1000",
            "名称、作物等文字单元格的最大字数。"),
    Setting("PARK_TOWN", "济阳镇",
            "只有一个乡镇的数据库用的乡镇名称：建库时登记它，上传时新出现的合作社自动归入它。"),
    Setting("PARK_LAKE", "",
            "设为 Parquet 数据湖目录（python -m analytics export-parquet 导出）时，"
            "看板只读地展示该数据湖，不打开数据库。"),
    Setting("PARK_REVIEW", "1",
            "1：合作社管理员上传的月报先成为“待审核”的报送，农业办（管理员或审核员）通过后才计入数字；"
            "0：不审核，任何上传立即计入（小办公室可用）。"),
    Setting("PARK_REPORT_DEADLINE_DAY", "5",
            "报送截止日：次月的第几天（默认 5 日）；某个月可在“报送进度”页单独调整。"),
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


def host() -> str:
    """The address the dashboard listens on (``PARK_HOST``), e.g. 127.0.0.1 or 0.0.0.0."""
    return get("PARK_HOST")


def is_loopback(address: str | None) -> bool:
    """Whether listening on ``address`` keeps the dashboard to this machine (127.x, ::1, localhost).

    None or '' is not loopback: a server told no address listens on every interface.
    """
    if not address:
        return False
    if address.strip("[]").lower() in ("localhost", "::1"):
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def public_view(listening: str | None = None) -> bool:
    """Whether nobody-logged-in may view the dashboard pages.

    ``PARK_PUBLIC_VIEW`` decides when set. Unset, viewing is open only while the dashboard
    listens on this machine alone: ``listening`` is the address it serves on (default
    ``PARK_HOST``); beyond loopback every figure would otherwise be open to the whole LAN.
    """
    if os.environ.get("PARK_PUBLIC_VIEW", "").strip():
        return flag("PARK_PUBLIC_VIEW")
    return is_loopback(host() if listening is None else listening)


def trusted_proxies() -> list[str]:
    """Addresses whose X-Forwarded-For header names the client (``PARK_TRUSTED_PROXY``); [] = none."""
    return [a.strip() for a in get("PARK_TRUSTED_PROXY").split(",") if a.strip()]


def session_idle_minutes() -> float:
    return number("PARK_SESSION_IDLE_MINUTES")


def session_max_hours() -> float:
    return number("PARK_SESSION_MAX_HOURS")


def max_failures() -> int:
    return max(1, int(number("PARK_LOGIN_MAX_FAILURES")))


def max_failures_per_address() -> int:
    return max(1, int(number("PARK_LOGIN_MAX_FAILURES_PER_ADDRESS")))


def lock_minutes() -> float:
    return number("PARK_LOGIN_LOCK_MINUTES")


def local_admin() -> bool:
    return flag("PARK_LOGIN_LOCAL_ADMIN")


def backup_keep_days() -> int:
    """Days of daily backups to keep; 0 turns the dashboard's daily backup off."""
    if get("PARK_BACKUP_KEEP_DAYS") in ("0", "0.0"):
        return 0
    return max(1, int(number("PARK_BACKUP_KEEP_DAYS")))


def backup_keep_copies() -> int:
    """The most backups kept (``PARK_BACKUP_KEEP_COPIES``), at least 1."""
    return max(1, int(number("PARK_BACKUP_KEEP_COPIES")))


def upload_limits() -> dict[str, int]:
    """The upload limits (bytes, counts), read now: keys max_bytes, max_unzipped_bytes,
    max_zip_ratio, max_columns, max_rows, max_cell_chars."""
    mb = 1024 * 1024
    return {
        "max_bytes": int(number("PARK_UPLOAD_MAX_MB") * mb),
        "max_unzipped_bytes": int(number("PARK_UPLOAD_MAX_UNZIPPED_MB") * mb),
        "max_zip_ratio": int(number("PARK_UPLOAD_MAX_ZIP_RATIO")),
        "max_columns": int(number("PARK_UPLOAD_MAX_COLUMNS")),
        "max_rows": int(number("PARK_UPLOAD_MAX_ROWS")),
        "max_cell_chars": int(number("PARK_UPLOAD_MAX_CELL_CHARS")),
    }


def review() -> bool:
    """Whether a manager's upload waits for the office's review (PARK_REVIEW)."""
    return flag("PARK_REVIEW")


def report_deadline_day() -> int:
    """The day of the following month a month's reports are due (PARK_REPORT_DEADLINE_DAY), 1–28."""
    return min(28, max(1, int(number("PARK_REPORT_DEADLINE_DAY"))))
