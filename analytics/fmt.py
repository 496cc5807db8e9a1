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


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def thousands(x: float | int | None, digits: int = 0) -> str:
    """12345.6 → '12,346'; None → '—'."""
    if _missing(x):
        return "—"
    return f"{x:,.{digits}f}"


def wan(x: float | int | None, digits: int = 1) -> str:
    """In units of 10,000: 6420000 → '642.0'."""
    if _missing(x):
        return "—"
    return f"{x / 10_000:,.{digits}f}"


def money(x: float | None, lang: str = "zh", digits: int | None = None) -> str:
    """Money: 万元 in Chinese, ¥…M in English. Small amounts stay in 元.

    One decimal below 1,000 万元 (642.0 万元), none above (24,230 万元), as the office writes.
    """
    if _missing(x):
        return "—"
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
        if abs(x) >= 100_000:
            return f"{x / 10_000:,.1f} 万{unit_zh}"
        return f"{x:,.0f} {unit_zh}".rstrip()
    if abs(x) >= 100_000:
        return f"{x / 1_000:,.0f}k{unit_en}"
    return f"{x:,.0f}{unit_en}"


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
