"""Annual targets and progress towards them (目标完成率), per sector and metric.
"""

from __future__ import annotations

import pandas as pd

from ..scope import Cursor, Filters, Period
from .kpis import park_kpis

# Targets: (sector, metric) pairs the overview's progress bars know how to measure.
TARGET_METRICS: dict[tuple[str, str], tuple[str, str]] = {
    ("duck", "stock"): ("种鸭存栏", "Duck stock"),
    ("duck", "profit"): ("种鸭净利润", "Duck profit"),
    ("hog", "stock"): ("生猪存栏", "Hog stock"),
    ("hog", "profit"): ("生猪利润", "Hog profit"),
    ("greenhouse", "profit_per_mu"): ("大棚亩均效益", "Greenhouse profit per mu"),
    ("total", "jobs"): ("带动就业", "Jobs"),
}


def targets(cur: Cursor, year: int) -> pd.DataFrame:
    return cur.execute("SELECT sector, metric, value FROM targets WHERE year = ? ORDER BY sector, metric",
                       [year]).df()


def progress(t: pd.DataFrame, k: dict) -> pd.DataFrame:
    """Actual against targets ``t`` (from :func:`targets`) with the year's KPI JSON ``k``."""
    if t.empty:
        return t.assign(actual=[], share=[])
    t = t.copy()
    t["actual"] = [k.get(s, {}).get(m) for s, m in zip(t["sector"], t["metric"])]
    t["share"] = [(a / v if a is not None and v else None) for a, v in zip(t["actual"], t["value"])]
    return t


def target_progress(cur: Cursor, year: int, filters: Filters = Filters()) -> pd.DataFrame:
    """Actual against the year's targets for each target set (pages use :func:`progress`)."""
    t = targets(cur, year)
    return progress(t, park_kpis(cur, Period.year(year), filters)) if len(t) else progress(t, {})
