"""What a figure is asked about: the :class:`Period`, the :class:`Filters`, and the cursor it reads.

Shared by every wing (figures, store, meeting, ui), so none has to import another for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import duckdb

Cursor = duckdb.DuckDBPyConnection
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """'2023-06' → date(2023, 6, 1), with a Chinese error for anything else."""
    m = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"月份“{text}”格式不对，应为 YYYY-MM，如 2023-06")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_str(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_index(d: date) -> int:
    """A month as an integer (year × 12 + month − 1): "the month after" is + 1, "a year before"
    − 12, the same arithmetic as the SQL of the rollups and the gaps kept on write."""
    return d.year * 12 + d.month - 1


@dataclass(frozen=True)
class Period:
    """An inclusive range of months."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"起始月份 {month_str(self.start)} 晚于结束月份 {month_str(self.end)}")

    @classmethod
    def year(cls, y: int) -> Period:
        if not 2000 <= int(y) <= 2100:
            raise ValueError(f"年份“{y}”不在 2000–2100 之间")
        return cls(date(int(y), 1, 1), date(int(y), 12, 1))

    @classmethod
    def months(cls, start: str, end: str) -> Period:
        return cls(parse_month(start), parse_month(end))

    @property
    def label_from(self) -> str:
        return month_str(self.start)

    @property
    def label_to(self) -> str:
        return month_str(self.end)

    @property
    def is_full_year(self) -> bool:
        return self.start.year == self.end.year and self.start.month == 1 and self.end.month == 12

    def previous_year(self) -> Period:
        """The same months one year earlier, for year-on-year change."""
        return Period(self.start.replace(year=self.start.year - 1),
                      self.end.replace(year=self.end.year - 1))

    @property
    def is_month(self) -> bool:
        """One month (本月 and the 环比 views)."""
        return self.start == self.end

    def label(self, lang: str = "zh") -> str:
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月" if lang == "zh" else self.label_from
        if self.is_full_year:
            return f"{self.start.year}年" if lang == "zh" else str(self.start.year)
        if lang == "zh":
            return f"{self.start.year}年{self.start.month}月—{self.end.year}年{self.end.month}月"
        return f"{self.label_from} to {self.label_to}"


@dataclass(frozen=True)
class Filters:
    """Sidebar filters; an empty tuple means 'all'. A unit passes when it matches every
    non-empty filter (its cooperative's town, its cooperative, its village, its zone, its name)."""

    cooperatives: tuple[str, ...] = field(default_factory=tuple)
    villages: tuple[str, ...] = field(default_factory=tuple)
    zones: tuple[str, ...] = field(default_factory=tuple)
    towns: tuple[str, ...] = field(default_factory=tuple)
    # Units by name (棚号 / 养殖户): a drill-down to one unit, always with its cooperative.
    units: tuple[str, ...] = field(default_factory=tuple)

    @property
    def by_unit_attribute(self) -> bool:
        """Village, zone or unit set: these select units, not cooperatives."""
        return bool(self.villages or self.zones or self.units)


UNASSIGNED_TOWN = "未分配乡镇"  # cooperatives whose town is not registered yet
