"""Numbers as the office writes them: 万元, 万羽, thousands separators.

Exact display formatting lives here; the report-style rounding with 余/多 lives in
narrative.py. Pages, charts, the paragraph and the slides all format through these.
"""

from __future__ import annotations

import math

SECTOR_NAMES = {"duck": ("种鸭", "Breeder ducks"), "hog": ("生猪", "Hogs"),
                "greenhouse": ("大棚", "Greenhouses"), "total": ("合计", "Total")}
METRIC_NAMES = {
    "units": ("单元数", "Units"), "stock": ("存栏", "Stock"), "sows": ("能繁母猪", "Sows"),
    "eggs": ("产蛋", "Eggs"), "sold_head": ("出栏", "Marketed"), "revenue": ("销售收入", "Revenue"),
    "cost": ("成本", "Cost"), "profit": ("利润", "Profit"), "jobs": ("带动就业", "Jobs"),
    "area_mu": ("面积", "Area"), "yield_kg": ("产量", "Yield"), "land_mu": ("占地", "Land"),
    "yield_kg_per_mu": ("亩均产量", "Yield per mu"),
    "output_value_per_mu": ("亩均产值", "Output value per mu"),
    "profit_per_mu": ("亩均效益", "Profit per mu"),
}
ENGLISH_UNITS = {"元": "yuan", "公斤": "kg", "亩": "mu"}
STOCK_UNIT = {"duck": ("羽", " birds"), "hog": ("头", " head")}
# What a sector's units are called in running text: "20 户未上报", "20 farms".
UNIT_NOUNS = {"duck": ("个鸭棚", "sheds"), "hog": ("户", "farms"), "greenhouse": ("个大棚", "plots")}
# English names of the crops and plot types the contract's help names (无籽西瓜 (seedless
# watermelon) …): the English UI shows "无籽西瓜 (seedless watermelon)"; other crops keep their name.
CROP_NAMES_EN = {"无籽西瓜": "seedless watermelon", "西瓜": "watermelon", "山药": "yam", "辣椒": "chili",
                 "药材": "medicinal herbs"}
GH_TYPE_NAMES_EN = {"温室": "greenhouse", "塑料大棚": "plastic tunnel"}
COUNT_WAN = 100_000  # counts from here on are written in 万 (Chinese) or k (English)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def thousands(x: float | int | None, digits: int = 0) -> str:
    """12345.6 → '12,346'; None → '—'."""
    if _missing(x):
        return "—"
    return f"{x:,.{digits}f}"


def number(x: float | int | None, max_digits: int = 2) -> str:
    """A value as reported, with separators and no trailing zeros: 3900 → '3,900', 60000.0 →
    '60,000', 1234.5 → '1,234.5', 0.456 → '0.46' (``max_digits``); None or NaN → '—' (never 0)."""
    if _missing(x):
        return "—"
    return f"{x:,.{max_digits}f}".rstrip("0").rstrip(".") if max_digits else f"{x:,.0f}"


def wan(x: float | int | None, digits: int = 1) -> str:
    """In units of 10,000: 6420000 → '642.0'."""
    if _missing(x):
        return "—"
    return f"{x / 10_000:,.{digits}f}"


def money(x: float | None, lang: str = "zh", digits: int | None = None) -> str:
    """Money: 万元 in Chinese, ¥…M in English. Small amounts stay in 元.

    One decimal below 1,000 万元 (642.0 万元), none above (8,230 万元); from 1 亿 up in 亿元
    with two decimals (2.36 亿元, not 23,649 万元), as the office writes.
    """
    if _missing(x):
        return "—"
    if lang == "zh" and abs(x) >= 100_000_000:
        return f"{x / 100_000_000:,.2f} 亿元"
    if digits is None:
        digits = 1 if abs(x) < 10_000_000 else 0
    if abs(x) < 10_000:
        return f"{x:,.0f} 元" if lang == "zh" else f"¥{x:,.0f}"
    if lang == "zh":
        return f"{wan(x, digits)} 万元"
    return f"¥{x / 1e6:,.2f}M" if abs(x) >= 1e6 else f"¥{x / 1e3:,.1f}k"


def count(x: float | int | None, unit_zh: str = "", unit_en: str = "", lang: str = "zh") -> str:
    """Counts: 万 from 100,000 in Chinese (62.1 万羽), k in English (621k birds); else separators."""
    if _missing(x):
        return "—"
    if lang == "zh":
        if abs(x) >= COUNT_WAN:
            return f"{x / 10_000:,.1f} 万{unit_zh}"
        return f"{x:,.0f} {unit_zh}".rstrip()
    if abs(x) >= COUNT_WAN:
        return f"{x / 1_000:,.0f}k{unit_en}"
    return f"{x:,.0f}{unit_en}"


def count_scale(largest: float | None, unit: tuple[str, str], lang: str = "zh") -> tuple[float, str]:
    """Divisor and unit for an axis of counts whose largest value is ``largest``, matching
    :func:`count`: (10,000, '万羽') from 100,000 in Chinese, (1,000, 'k birds') in English,
    else (1, '羽') / (1, ' birds'). ``unit`` is (Chinese unit, English unit with its space)."""
    big = largest is not None and not _missing(largest) and abs(largest) >= COUNT_WAN
    if lang == "zh":
        return (10_000, f"万{unit[0]}") if big else (1, unit[0])
    return (1_000, f"k{unit[1]}") if big else (1, unit[1])


def crop_name(name: object, lang: str = "zh") -> str:
    """A crop or plot type as the UI shows it: as typed in Chinese; in English with the
    English name where one is known ("无籽西瓜 (seedless watermelon)", "greenhouse")."""
    if _missing(name):
        return "—"
    s = str(name)
    if lang == "zh":
        return s
    if s in GH_TYPE_NAMES_EN:
        return GH_TYPE_NAMES_EN[s]
    return f"{s} ({CROP_NAMES_EN[s]})" if s in CROP_NAMES_EN else s


def per_mu(x: float | None, lang: str = "zh", unit: str = "元") -> str:
    if _missing(x):
        return "—"
    if lang == "zh":
        return f"{x:,.0f} {unit}/亩"
    return f"{x:,.0f} {ENGLISH_UNITS.get(unit, unit)}/mu"


def pct(x: float | None, digits: int = 1) -> str:
    """Signed percentage for year-on-year change: +12.3%."""
    if _missing(x):
        return "—"
    return f"{x * 100:+.{digits}f}%"


def sector_name(key: str, lang: str = "zh") -> str:
    zh, en = SECTOR_NAMES.get(key, (key, key))
    return zh if lang == "zh" else en


def metric_name(key: str, lang: str = "zh") -> str:
    zh, en = METRIC_NAMES.get(key, (key, key))
    return zh if lang == "zh" else en
