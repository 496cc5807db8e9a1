"""亩均 (per mu) comparisons: by crop, greenhouse type, cooperative, village, year or town, and across sectors.
"""

from __future__ import annotations

import pandas as pd

from .. import contract
from ..scope import Cursor, Filters, Period
from .kpis import _num, _per_unit

PER_MU_GROUPS = ("crop", "gh_type", "cooperative", "village", "year", "town")


def per_mu_by(cur: Cursor, by: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Greenhouse per-mu figures grouped by crop, type, cooperative, village, town or year.

    The per-plot step is the same as everywhere: a plot's area is its largest area in the
    group (by year: in each year; by crop: while growing it), yield, revenue and cost are sums.
    A plot's type is its registered one, else the last one it reported (as in the unit tables).
    """
    if by not in PER_MU_GROUPS:
        raise ValueError(f"不支持的分组“{by}”")
    if by in ("crop", "year"):
        pu, params = _per_unit("greenhouse", period, filters, by=[by], attrs=False)
        pu = f"SELECT x.*, x.{by} AS grp FROM ({pu}) x"
    else:
        pu, params = _per_unit("greenhouse", period, filters)
        pu = f"SELECT x.*, x.{'gh_type_shown' if by == 'gh_type' else by} AS grp FROM ({pu}) x"
    df = cur.execute(f"""
        SELECT grp AS "group", count(*) AS plots, sum(area_mu) AS area_mu, sum(yield_kg) AS yield_kg,
               sum(revenue) AS revenue, sum(cost) AS cost
        FROM ({pu}) y WHERE grp IS NOT NULL GROUP BY grp ORDER BY grp""", params).df()
    df["group"] = df["group"].astype(str)
    df["profit"] = df["revenue"] - df["cost"]
    area = df["area_mu"].where(df["area_mu"] > 0)
    df["yield_kg_per_mu"] = df["yield_kg"] / area
    df["output_value_per_mu"] = df["revenue"] / area
    df["profit_per_mu"] = df["profit"] / area
    return df


def cross_sector_per_mu(cur: Cursor, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Profit and output value per mu of land: ducks and hogs on land_mu, greenhouses on area."""
    rows = []
    for s in contract.SECTOR_KEYS:
        pu, params = _per_unit(s, period, filters, attrs=False)
        n, any_units, land, profit, revenue = cur.execute(f"""
            SELECT count(land), count(*), sum(land), sum(CASE WHEN land IS NOT NULL THEN profit END),
                   sum(CASE WHEN land IS NOT NULL THEN coalesce(revenue, 0) END)
            FROM ({pu}) x""", params).fetchone()
        if not any_units:
            continue
        land, profit, revenue = _num(land), _num(profit), _num(revenue)
        rows.append({"sector": s, "units": int(n), "land_mu": land, "profit": profit, "revenue": revenue,
                     "profit_per_mu": profit / land if land else None,
                     "output_value_per_mu": revenue / land if land else None})
    return pd.DataFrame(rows, columns=["sector", "units", "land_mu", "profit", "revenue",
                                       "profit_per_mu", "output_value_per_mu"])
