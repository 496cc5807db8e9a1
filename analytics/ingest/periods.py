"""Month cells and periods longer than a month: the patterns both the row kinds (a 累计 in the
month column is a period, not a total row) and the month reader need."""

from __future__ import annotations

import re
import unicodedata

_MONTH_RES = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?份?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    # A day only where it really follows the month: the same separator twice, or 年…月…日.
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ t].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:[ t].*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{2})年(\d{1,2})月份?$"),  # 26年6月: this century
)
# A period longer than a month, written where a month belongs: 2026.1-9, 1—9月累计, 2026年第三季度,
# 上半年, 全年, 2026年 alone. Checked before the month forms: 2026.1-9 must never be 9 January.
_RANGE = r"[-—–~～至到]"
PERIOD_RES = (
    re.compile(rf"^(\d{{4}}[-/.年]?)?\d{{1,2}}月?{_RANGE}(\d{{4}}[-/.年]?)?\d{{1,2}}月?份?(累计|合计|止)?$"),
    re.compile(rf"^\d{{6}}{_RANGE}\d{{6}}$"),
    re.compile(r"累计|季度|[一二三四1-4]季|q[1-4]|上半年|下半年|半年|全年|年度|年报|前\d+个?月|1至\d+月"),
    re.compile(r"^\d{4}年?$"),
)


def is_period_text(text: str) -> bool:
    """A cell naming a period longer than a month (a range, a quarter, a half, a year)."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower().lstrip("'"))
    if _MONTH_RES[2].match(t) or _MONTH_RES[3].match(t):
        return False  # 2026-09-30, 2026/9/1: a day, the same separator twice
    return any(rx.search(t) for rx in PERIOD_RES)
