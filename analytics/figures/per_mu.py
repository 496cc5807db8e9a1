"""亩均 (per mu) comparisons: by crop, greenhouse type, cooperative, village, year or town, and across sectors.
"""

from __future__ import annotations

import pandas as pd

from .. import contract
from ..scope import Cursor, Filters, Period
from .kpis import _from_groups, _num, _per_unit, group_where
from .rollups import groups_table

PER_MU_GROUPS = ("crop", "gh_type", "cooperative", "village", "year", "town")


def whole_years(months: list[str]) -> list[int]:
    """The calendar years all twelve of whose months are among ``months`` ('YYYY-MM'), ascending."""
    have = set(months)
    return sorted(y for y in {int(m[:4]) for m in have} if all(f"{y:04d}-{i:02d}" in have for i in range(1, 13)))


def yearly_basis(period: Period, months: list[str]) -> Period | None:
    """The period the per-mu comparison is made on, given the chosen ``period`` and the months
    with data ('YYYY-MM').

    亩均效益 5,000 元/亩 and the reference yields (公斤/亩) are yearly yardsticks, and a plot's
    harvest falls in a few months: a month, a 1—N月 累计 or a year with months missing set
    against them reads as a wall of zeros. So the comparison is on a whole year: the latest
    calendar year with all twelve months of data, not later than the year ``period`` ends in
    (2023-06 → 2023 when 2023 is whole; 2024-01 with 2024 in progress → 2023; the period
    itself when it is such a year). None when there is no such year (the page then shows the
    chosen period without the yardsticks).
    """
    years = [y for y in whole_years(months) if y <= period.end.year]
    return Period.year(years[-1]) if years else None


def years_basis(months: list[str]) -> Period | None:
    """The 按年份 comparison's span: the first to the last whole year (:func:`whole_years`); a
    year in progress is not set beside whole ones. None without a whole year."""
    years = whole_years(months)
    return Period(Period.year(years[0]).start, Period.year(years[-1]).end) if years else None


def per_mu_by(cur: Cursor, by: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Greenhouse per-mu figures grouped by crop, type, cooperative, village, town or year.

    The per-plot step is the same as everywhere: a plot's area is its largest area in the
    group (by year: in each year; by crop: while growing it), yield, revenue and cost are sums.
    A plot's type is its registered one, else the last one it reported (as in the unit tables).
    """
    if by not in PER_MU_GROUPS:
        raise ValueError(f"不支持的分组“{by}”")
    src = _from_groups([period], filters)
    if src is not None and (by in ("crop", "town", "cooperative") or (by == "year" and src[0] == "year")):
        # A month or a year by crop, town or cooperative: the groups kept on write.
        grain, key, values = src
        extra, params = group_where(filters)
        table = groups_table("greenhouse", grain, crop=by == "crop" and grain == "year")
        df = cur.execute(f"""
            SELECT g.{by} AS "group", CAST(sum(g.n) AS BIGINT) AS plots, sum(g.area_mu) AS area_mu,
                   sum(g.yield_kg) AS yield_kg, sum(g.revenue) AS revenue, sum(g.cost) AS cost
            FROM {table} g WHERE g.{key} = ? AND g.{by} IS NOT NULL{extra}
            GROUP BY g.{by} ORDER BY g.{by}""", [values[0], *params]).df()
        return _per_mu_columns(df)
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
    return _per_mu_columns(df)


def _per_mu_columns(df: pd.DataFrame) -> pd.DataFrame:
    """The group as text, profit (元) and the per-mu ratios (公斤/亩, 元/亩; NaN without area)."""
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
    src = _from_groups([period], filters)
    for s in contract.SECTOR_KEYS:
        if src is not None:  # a month or a year: the groups kept on write
            grain, key, values = src
            extra, params = group_where(filters)
            sql = (f"SELECT sum(g.land_units), sum(g.n), sum(g.land), sum(g.pl), sum(g.rl) "
                   f"FROM {groups_table(s, grain)} g WHERE g.{key} = ?{extra}")
            params = [values[0], *params]
        else:
            pu, params = _per_unit(s, period, filters, attrs=False)
            sql = f"""SELECT count(land), count(*), sum(land), sum(CASE WHEN land IS NOT NULL THEN profit END),
                             sum(CASE WHEN land IS NOT NULL THEN coalesce(revenue, 0) END)
                      FROM ({pu}) x"""
        n, any_units, land, profit, revenue = cur.execute(sql, params).fetchone()
        if not any_units:
            continue
        land, profit, revenue = _num(land), _num(profit), _num(revenue)
        rows.append({"sector": s, "units": int(n), "land_mu": land, "profit": profit, "revenue": revenue,
                     "profit_per_mu": profit / land if land else None,
                     "output_value_per_mu": revenue / land if land else None})
    return pd.DataFrame(rows, columns=["sector", "units", "land_mu", "profit", "revenue",
                                       "profit_per_mu", "output_value_per_mu"])
