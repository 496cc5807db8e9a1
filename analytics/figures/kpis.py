"""Every KPI of DESIGN.md §5, written once, in SQL over the records and their rollups.

口径 (definitions), for a period and any filter:
- units: distinct units with at least one record in the period.
- stock, sows: per unit, the value in the last month of the period in which it reported
  (its last non-empty value); summed over units. Never a sum over months.
- revenue, cost, eggs, sold_head, yield_kg, feed: sums over the period.
- profit = revenue − cost.
- jobs (带动就业): per unit, the peak monthly 用工 in the period; summed over units.
- area_mu of a plot: the largest area it reported in the period, never summed over months.
- per mu: yield / area, revenue / area, profit / area; livestock per-mu uses land_mu of the
  units that have one (numerator and denominator over the same units).
- land (流转土地, ``total.land_mu``): greenhouse area plus the land_mu of livestock units.

The dashboard pages, the report paragraph and the slides all call these functions.

How it is computed (one definition, three layers, every layer SQL):
1. a *chunk* is what one unit did over some months: sums of the flows, peak workers and
   area, the stock (and crop, type) of its last month that reported one, with that month.
   A record is a one-month chunk (:func:`.rollups._record_chunks`);
2. chunks *merge* associatively (:func:`.rollups._merge_aggregates`): sums add, peaks take the max, "last"
   values take the one with the latest month. ``unit_year_<sector>`` is the merge of a
   unit's record chunks per year (``unit_year_greenhouse_crop`` per year and crop) and
   ``unit_month_<sector>`` the record chunks themselves, keyed by unit id; both are kept on
   write (:mod:`.rollups`: ``rebuild_rollups``, ``refresh_rollups``). A period's per-unit rows are
   the merge of its whole years' rollup rows and of its other months' chunks;
3. every KPI is a sum, count or ratio over those per-unit rows.
The same SQL runs on the DuckDB store, on a Parquet lake through DuckDB, and (transpiled by
sqlglot) on Spark: see analytics/store/lake.py. So it avoids DuckDB-only syntax.

One piece: the KPIs share the per-unit rows of the three layers above; parted, a KPI would
lose sight of its 口径. Rollups, completeness, lists, targets and 亩均 groupings live beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd

from .. import contract
from ..scope import UNASSIGNED_TOWN, Cursor, Filters, Period, parse_month
from .rollups import _chunk_columns, _in, _merge_aggregates, _shape, groups_table


def _unit_where(filters: Filters, u: str = "u", c: str = "c") -> tuple[list[str], list]:
    """Filter clauses on a units row ``u`` joined to its cooperative ``c``."""
    clauses, params = [], []
    for expr, values in ((f"coalesce({c}.town, '{UNASSIGNED_TOWN}')", filters.towns),
                         (f"{u}.cooperative", filters.cooperatives),
                         (f"{u}.village", filters.villages), (f"{u}.zone", filters.zones),
                         (f"{u}.unit", filters.units)):
        if values:
            sql, p = _in(expr, values)
            clauses.append(sql)
            params += p
    return clauses, params


def _cooperative_where(col: str, filters: Filters) -> tuple[list[str], list]:
    """Clauses on a cooperative name column ``col`` for the cooperative and town filters."""
    clauses, params = [], []
    if filters.cooperatives:
        sql, p = _in(col, filters.cooperatives)
        clauses.append(sql)
        params += p
    if filters.towns:
        sql, p = _in(f"coalesce(t.town, '{UNASSIGNED_TOWN}')", filters.towns)
        clauses.append(f"{col} IN (SELECT t.name FROM cooperatives t WHERE {sql})")
        params += p
    return clauses, params


def _record_where(sector: str, period: Period, filters: Filters, r: str = "r") -> tuple[str, list]:
    """Clauses on a record table row ``r``: the period, and the filters as semi-joins
    (cooperative directly; town through the cooperative; village and zone through the unit)."""
    s = contract.sector(sector)  # the key pasted below comes from the contract, never from input
    clauses, params = [f"{r}.month BETWEEN ? AND ?"], [period.start, period.end]
    more, p = _cooperative_where(f"{r}.cooperative", filters)
    clauses += more
    params += p
    if filters.by_unit_attribute:
        unit_clauses, p = _unit_where(Filters(villages=filters.villages, zones=filters.zones,
                                              units=filters.units), "fu")
        clauses.append(f"EXISTS (SELECT 1 FROM units fu WHERE fu.sector = '{s.key}' "
                       f"AND fu.cooperative = {r}.cooperative AND fu.unit = {r}.unit AND "
                       + " AND ".join(unit_clauses) + ")")
        params += p
    return " AND ".join(clauses), params


def _num(x: object) -> float:
    return 0.0 if x is None or pd.isna(x) else float(x)


def _int(x: object) -> int:
    return 0 if x is None or pd.isna(x) else int(round(float(x)))


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _money(x: object) -> float:
    return round(_num(x), 2)


# --- the per-unit step: chunks, merged --------------------------------------------------

def _period_chunks(sector: str, period: Period, crop: bool = False) -> tuple[str, list, bool]:
    """The chunks of a period: rollup rows of its whole years, records of its other months.

    Returns (sql, params, whole): ``whole`` when every chunk is a rollup row (no months
    outside whole years), so rows are already one per unit and year (and crop).
    """
    cols = ", ".join(_chunk_columns(sector))
    table = f"unit_year_{sector}" + ("_crop" if crop else "")
    y0 = period.start.year if period.start.month == 1 else period.start.year + 1
    y1 = period.end.year if period.end.month == 12 else period.end.year - 1
    parts: list[str] = []
    params: list = []
    if y0 <= y1:
        parts.append(f"SELECT {cols} FROM {table} WHERE year BETWEEN ? AND ?")
        params += [y0, y1]
        ranges = []
        if period.start < date(y0, 1, 1):
            ranges.append((period.start, date(y0 - 1, 12, 1)))
        if period.end > date(y1, 12, 1):
            ranges.append((date(y1 + 1, 1, 1), period.end))
    else:
        ranges = [(period.start, period.end)]
    for a, b in ranges:
        parts.append(f"SELECT {cols} FROM unit_month_{sector} WHERE last_month BETWEEN ? AND ?")
        params += [a, b]
    return " UNION ALL ".join(parts), params, not ranges


def _per_unit(sector: str, period: Period, filters: Filters, by: Sequence[str] = (), *,
              attrs: bool = True, ids: tuple[str, list] | None = None) -> tuple[str, list]:
    """SQL for one row per unit (per unit and ``by``: "crop" for plots, "year") over the
    period, and its parameters.

    Columns: the ``by`` keys, unit_id, town (未分配乡镇 without one), the merged measures,
    ``land`` (area for plots, land_mu for livestock; NULL when not > 0), profit (元) and the
    per-mu ratios (NULL without land); with ``attrs`` also the unit's cooperative, unit,
    village, zone, land_mu, registered type (unit_gh_type) and gh_type_shown (registered
    type, else the last reported one).

    Chunks are merged first and the unit attributes joined to the merged rows, one per unit:
    the join never sees the months, and sums over plots skip it (``attrs=False``; livestock
    always joins for land_mu). A period of whole years read per year (one year, or ``by``
    year) needs no merge: the rollup rows are the answer. Filters select unit ids first;
    ``ids`` (sql, params) keeps only the unit ids it selects (a page of a ranking). Raises
    ValueError for another ``by``.
    """
    if not set(by) <= {"crop", "year"}:
        raise ValueError(f"不支持的分组“{by}”")
    s = contract.sector(sector)
    chunks, params, whole = _period_chunks(sector, period, crop="crop" in by)
    clauses, fparams = _unit_where(filters)
    conds = []
    if clauses:
        conds.append(f"m.unit_id IN (SELECT u.unit_id FROM units u LEFT JOIN cooperatives c "
                     f"ON c.name = u.cooperative WHERE u.sector = '{s.key}' AND {' AND '.join(clauses)})")
    if ids is not None:
        conds.append(f"m.unit_id IN ({ids[0]})")
        fparams = fparams + ids[1]
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    keys = list(by)
    # One month's chunks are the records, one per unit (so one crop and one year): like whole
    # years, nothing to merge.
    if (whole and ("year" in by or period.start.year == period.end.year)) or period.start == period.end:
        merged = f"SELECT m.* FROM ({chunks}) m{where}"
    else:
        select = [f"m.{k} AS {k}" for k in keys] + ["m.unit_id AS unit_id"] + _merge_aggregates(sector, keys)
        group = ", ".join(["m.unit_id"] + [f"m.{k}" for k in keys])
        merged = f"SELECT {', '.join(select)} FROM ({chunks}) m{where} GROUP BY {group}"
    has_type = "gh_type" in _shape(sector).lasts
    if attrs or sector != "greenhouse":
        cols = ["u.cooperative AS cooperative", "u.unit AS unit", "u.village AS village", "u.zone AS zone",
                "u.land_mu AS land_mu", "u.gh_type AS unit_gh_type"]
        joined = f"SELECT p.*, {', '.join(cols)} FROM ({merged}) p JOIN units u ON u.unit_id = p.unit_id"
        shown = "coalesce(j.unit_gh_type, j.gh_type)" if has_type else "j.unit_gh_type"
    else:  # plots without their attributes
        joined, shown = merged, "j.gh_type"
    area = "j.area_mu" if sector == "greenhouse" else "j.land_mu"
    derived = [f"{shown} AS gh_type_shown", f"CASE WHEN {area} > 0 THEN {area} END AS land",
               "coalesce(j.revenue, 0) - coalesce(j.cost, 0) AS profit"]
    outer = f"SELECT j.*, {', '.join(derived)} FROM ({joined}) j"
    ratios = ["q.profit / q.land AS profit_per_mu", "q.revenue / q.land AS output_value_per_mu"]
    if sector == "greenhouse":
        ratios.append("q.yield_kg / q.land AS yield_kg_per_mu")
    return f"SELECT q.*, {', '.join(ratios)} FROM ({outer}) q", params + fparams


# --- the KPI JSON -----------------------------------------------------------------------

# Per-unit sums each sector's block needs (besides units, revenue, cost, jobs, land).
_BLOCK_SUMS = {"duck": ("stock", "eggs"), "hog": ("stock", "sows", "sold_head"), "greenhouse": ("area_mu", "yield_kg")}


def _sector_rows(cur: Cursor, sector: str, period: Period, filters: Filters) -> tuple[dict, dict[str, dict]]:
    """Sums over the per-unit rows per town, and the whole selection as the sum of its towns."""
    return _sector_rows_many(cur, sector, (period,), filters)[0]


def _whole_years(periods: Sequence[Period]) -> list[int] | None:
    """The years, when every period is one calendar year (read together, per year)."""
    return [p.start.year for p in periods] if all(p.is_full_year for p in periods) else None


def group_where(filters: Filters, g: str = "g") -> tuple[str, list]:
    """`` AND ...`` clauses of the town and cooperative filters on a groups row ``g``
    (rollups.groupings) (its town is the cooperative's, kept on write), and their parameters. The groups
    answer no village, zone or unit filter: callers check ``filters.by_unit_attribute`` first."""
    clauses, params = [], []
    for col, values in ((f"{g}.town", filters.towns), (f"{g}.cooperative", filters.cooperatives)):
        if values:
            sql, p = _in(col, values)
            clauses.append(sql)
            params += p
    return "".join(f" AND {c}" for c in clauses), params


def _from_groups(periods: Sequence[Period], filters: Filters) -> tuple[str, str, list] | None:
    """Where periods' sector totals are read from the groups kept on write (rollups.groupings):
    (grain 'month' or 'year', key column, key values) for one month or calendar years, with no
    filter on unit attributes (village, zone, unit); else None (the per-unit rows)."""
    if filters.by_unit_attribute:
        return None
    if len(periods) == 1 and periods[0].is_month:
        return "month", "month", [periods[0].start]
    years = _whole_years(periods)
    return ("year", "year", years) if years else None


def data_ends(cur: Cursor) -> dict[tuple[str, int], date]:
    """{(sector, year): the last month of that year with any of the sector's records}, from
    coop_months (kept on write)."""
    rows = cur.execute("""SELECT sector, year(month), max(month) FROM coop_months WHERE n_records > 0
                          GROUP BY sector, year(month)""").fetchall()
    return {(str(s), int(y)): m for s, y, m in rows}


def _whole_year_if_same(sector: str, period: Period, ends: dict[tuple[str, int], date] | None) -> Period:
    """A period 1—N月 of a year as the whole year when the sector has no record after month N
    of that year (a year in progress: 年累计): the same figures, read from the year rollups
    instead of merging N months of unit rows. Any other period as it is."""
    if (ends is None or period.start.month != 1 or period.start.year != period.end.year
            or period.is_full_year):
        return period
    end = ends.get((sector, period.start.year))
    if end is None or end > period.end:
        return period
    return Period(period.start, date(period.start.year, 12, 1))


def _needs_ends(periods: Sequence[Period]) -> bool:
    return any(p.start.month == 1 and p.start.year == p.end.year and not p.is_full_year and not p.is_month
               for p in periods)


def _sector_rows_many(cur: Cursor, sector: str, periods: Sequence[Period],
                      filters: Filters, ends: dict[tuple[str, int], date] | None = None
                      ) -> list[tuple[dict, dict[str, dict]]]:
    """:func:`_sector_rows` for several periods; calendar years share one grouped pass.

    One grouped pass per query: the totals are added up from the towns (exactly for counts;
    money is rounded to the 分 afterwards), so a sector page and the KPI JSON never disagree.
    A month or calendar years are read from the groups kept on write (:func:`_from_groups`);
    1—N月 of a year with no later month (``ends``, :func:`data_ends`) is read as the whole year.
    """
    if sector not in _BLOCK_SUMS:
        raise ValueError(f"未知板块“{sector}”")
    sums = ["count(*) AS units", *(f"sum({k}) AS {k}" for k in _BLOCK_SUMS[sector]),
            "sum(revenue) AS revenue", "sum(cost) AS cost", "sum(jobs) AS jobs", "sum(land) AS land_mu"]
    names = ["units", *_BLOCK_SUMS[sector], "revenue", "cost", "jobs", "land_mu"]
    periods = [_whole_year_if_same(sector, p, ends) for p in periods]
    if (src := _from_groups(periods, filters)) is not None:
        grain, key, values = src
        extra, params = group_where(filters)
        cols = ["sum(g.n)", *(f"sum(g.{k})" for k in _BLOCK_SUMS[sector]), "sum(g.revenue)", "sum(g.cost)",
                "sum(g.jobs)", "sum(g.land)"]
        by_key: dict[object, dict[str, dict]] = {}
        marks = ", ".join("?" * len(values))
        for k, t, *v in cur.execute(f"""SELECT g.{key}, g.town, {', '.join(cols)} FROM {groups_table(sector, grain)} g
                                        WHERE g.{key} IN ({marks}){extra}
                                        GROUP BY g.{key}, g.town ORDER BY 2""", [*values, *params]).fetchall():
            by_key.setdefault(k, {})[t] = dict(zip(names, v, strict=True))
        return [(_add_towns(towns, names), towns) for towns in (by_key.get(k, {}) for k in values)]
    years = _whole_years(periods)
    if years and len(periods) > 1:
        span = Period(date(min(years), 1, 1), date(max(years), 12, 1))
        pu, params = _per_unit(sector, span, filters, by=["year"], attrs=False)
        queries = [(f"{pu}", params, f"x.year IN ({', '.join('?' * len(years))})", years)]
        key = "x.year"
    else:
        queries = [(*_per_unit(sector, p, filters, attrs=False), "", []) for p in periods]
        key = "0"
    rows: dict[object, dict[str, dict]] = {}
    for i, (pu, params, where, wparams) in enumerate(queries):
        # The rollup rows carry their town: grouping by it needs no join.
        sql = f"""SELECT {key if key != '0' else str(i)} AS k, x.town AS town, {', '.join(sums)}
                  FROM ({pu}) x {'WHERE ' + where if where else ''}
                  GROUP BY {key if key != '0' else '1'}, x.town ORDER BY 2"""
        for k, name, *values in cur.execute(sql, params + wparams).fetchall():
            rows.setdefault(k, {})[name] = dict(zip(names, values, strict=True))
    out = []
    for i, p in enumerate(periods):
        towns = rows.get(p.start.year if years and len(periods) > 1 else i, {})
        out.append((_add_towns(towns, names), towns))
    return out


def _add_towns(towns: dict[str, dict], names: Sequence[str]) -> dict:
    """The selection's sums as the sum of its towns' (exact for counts; floats by fsum)."""
    total: dict = {}
    for n in names:
        values = [t[n] for t in towns.values() if t[n] is not None]
        is_int = all(isinstance(v, int) for v in values)
        total[n] = (sum(values) if is_int else math.fsum(float(v) for v in values)) if values else None
    total["units"] = total["units"] or 0
    return total


def _block(sector: str, r: dict) -> dict:
    """The sector's block of the KPI JSON from its sums (keys as DESIGN.md §5)."""
    rev, cost = _num(r["revenue"]), _num(r["cost"])
    base = {"units": _int(r["units"])}
    if sector == "duck":
        base |= {"stock": _int(r["stock"]), "eggs": _int(r["eggs"])}
    elif sector == "hog":
        base |= {"stock": _int(r["stock"]), "sows": _int(r["sows"]), "sold_head": _int(r["sold_head"])}
    else:
        area, yld = _num(r["area_mu"]), _num(r["yield_kg"])
        base |= {"area_mu": round(area, 2), "yield_kg": round(yld, 2)}
    base |= {"revenue": _money(rev), "cost": _money(cost), "profit": _money(rev - cost), "jobs": _int(r["jobs"])}
    if sector == "greenhouse":
        base |= {"yield_kg_per_mu": _ratio(yld, area), "output_value_per_mu": _ratio(rev, area),
                 "profit_per_mu": _ratio(rev - cost, area)}
    return base


def sector_kpis(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> dict:
    """The sector's block of the KPI JSON (DESIGN.md §5); plots also get ``by_crop``."""
    ends = data_ends(cur) if _needs_ends((period,)) else None
    total, _ = _sector_rows_many(cur, sector, (period,), filters, ends)[0]
    out = _block(sector, total)
    if sector == "greenhouse":
        out["by_crop"] = _by_crop_many(cur, (period,), filters, ends)[0]
    return out


def by_crop(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict:
    """Per crop: a plot's area is its largest area while growing that crop."""
    return _by_crop_many(cur, (period,), filters)[0]


def _by_crop_many(cur: Cursor, periods: Sequence[Period], filters: Filters,
                  ends: dict[tuple[str, int], date] | None = None) -> list[dict]:
    periods = [_whole_year_if_same("greenhouse", p, ends) for p in periods]
    years = _whole_years(periods)
    if (src := _from_groups(periods, filters)) is not None:
        grain, key, values = src
        extra, params = group_where(filters)
        table = groups_table("greenhouse", grain, crop=grain == "year")  # a month's plot has one crop
        marks = ", ".join("?" * len(values))
        found = cur.execute(f"""SELECT g.{key}, g.crop, sum(g.area_mu), sum(g.yield_kg), sum(g.revenue), sum(g.cost)
                                FROM {table} g WHERE g.{key} IN ({marks})
                                  AND g.crop IS NOT NULL{extra}
                                GROUP BY g.{key}, g.crop ORDER BY g.crop""", [*values, *params]).fetchall()
        groups = [[r[1:] for r in found if r[0] == k] for k in values]
    elif years and len(periods) > 1:
        span = Period(date(min(years), 1, 1), date(max(years), 12, 1))
        pu, params = _per_unit("greenhouse", span, filters, by=["crop", "year"], attrs=False)
        found = cur.execute(f"""SELECT year, crop, sum(area_mu), sum(yield_kg), sum(revenue), sum(cost)
                                FROM ({pu}) x WHERE crop IS NOT NULL GROUP BY year, crop ORDER BY crop""",
                            params).fetchall()
        groups = [[r[1:] for r in found if r[0] == y] for y in years]
    else:
        groups = []
        for p in periods:
            pu, params = _per_unit("greenhouse", p, filters, by=["crop"], attrs=False)
            groups.append(cur.execute(f"""SELECT crop, sum(area_mu), sum(yield_kg), sum(revenue), sum(cost)
                                          FROM ({pu}) x WHERE crop IS NOT NULL GROUP BY crop ORDER BY crop""",
                                      params).fetchall())
    out = []
    for rows in groups:
        d = {}
        for crop, area, yld, rev, cost in rows:
            area, yld = _num(area), _num(yld)
            d[crop] = {"area_mu": round(area, 2), "yield_kg": round(yld, 2), "revenue": _money(rev),
                       "cost": _money(cost), "yield_kg_per_mu": _ratio(yld, area)}
        out.append(d)
    return out


def park_kpis(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict:
    """The whole KPI JSON of DESIGN.md §5 for a period.

    Besides the sector blocks and ``total`` (with ``land_mu``, the land of all reporting
    units: greenhouse area + livestock land, 流转土地), ``by_town`` gives per town
    {units, revenue, cost, profit, jobs, land_mu}; units of cooperatives without a town
    are under 未分配乡镇.
    """
    return park_kpis_many(cur, (period,), filters)[0]


def park_kpis_many(cur: Cursor, periods: Sequence[Period], filters: Filters = Filters()) -> list[dict]:
    """:func:`park_kpis` for several periods (this year and the year before, for 同比): calendar
    years are read in one pass per sector, any other periods one by one. Same figures."""
    periods = tuple(periods)
    ends = data_ends(cur) if _needs_ends(periods) else None
    rows = {s: _sector_rows_many(cur, s, periods, filters, ends) for s in contract.SECTOR_KEYS}
    crops = _by_crop_many(cur, periods, filters, ends)
    return [_park_json(p, {s: rows[s][i] for s in contract.SECTOR_KEYS}, crops[i]) for i, p in enumerate(periods)]


def _park_json(period: Period, rows: dict[str, tuple[dict, dict]], crops: dict) -> dict:
    out: dict = {"period": {"from": period.label_from, "to": period.label_to}}
    per_town: dict[str, dict] = {}
    land = 0.0
    for s in contract.SECTOR_KEYS:
        total, towns = rows[s]
        out[s] = _block(s, total)
        land += _num(total["land_mu"])
        for town, r in towns.items():
            t = per_town.setdefault(town, {"units": 0, "revenue": 0.0, "cost": 0.0, "jobs": 0, "land_mu": 0.0})
            t["units"] += _int(r["units"])
            t["revenue"] += _num(r["revenue"])
            t["cost"] += _num(r["cost"])
            t["jobs"] += _int(r["jobs"])
            t["land_mu"] += _num(r["land_mu"])
    out["greenhouse"]["by_crop"] = crops
    rev = sum(out[s]["revenue"] for s in contract.SECTOR_KEYS)
    cost = sum(out[s]["cost"] for s in contract.SECTOR_KEYS)
    out["total"] = {"revenue": _money(rev), "cost": _money(cost), "profit": _money(rev - cost),
                    "jobs": sum(out[s]["jobs"] for s in contract.SECTOR_KEYS), "land_mu": round(land, 2)}
    out["by_town"] = {town: {"units": t["units"], "revenue": _money(t["revenue"]), "cost": _money(t["cost"]),
                             "profit": _money(t["revenue"] - t["cost"]), "jobs": t["jobs"],
                             "land_mu": round(t["land_mu"], 2)}
                      for town, t in sorted(per_town.items())}
    return out


# --- extras the pages show, all from the same per-unit step ---------------------------

def land_mu(cur: Cursor, period: Period, filters: Filters = Filters()) -> float:
    """Land of all units that reported: greenhouse area (largest in period) + livestock land_mu.

    The same figure as ``park_kpis(...)["total"]["land_mu"]``; pages take it from there.
    """
    return round(sum(_num(_sector_rows(cur, s, period, filters)[0]["land_mu"])
                     for s in contract.SECTOR_KEYS), 2)


def zones_count(cur: Cursor, period: Period, filters: Filters = Filters()) -> int:
    """Distinct breeding zones among livestock units that reported."""
    parts, params = [], []
    for s in ("duck", "hog"):
        pu, p = _per_unit(s, period, filters, attrs=False)  # livestock rows carry zone
        parts.append(f"SELECT zone FROM ({pu}) x{s}")
        params += p
    return int(cur.execute(f"SELECT count(DISTINCT zone) FROM ({' UNION ALL '.join(parts)}) z",
                           params).fetchone()[0])


def greenhouse_type_counts(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict[str, int]:
    """Plots per type (the unit's registered type, else its last reported one)."""
    pu, params = _per_unit("greenhouse", period, filters, attrs=False)
    rows = cur.execute(f"""SELECT gh_type, count(*) FROM ({pu}) x WHERE gh_type IS NOT NULL
                           GROUP BY gh_type ORDER BY 1""", params).fetchall()
    return {str(k): int(v) for k, v in rows}


# Per-unit columns, in the order of tables.UNIT_TABLE_COLUMNS plus what sorting needs.
def _unit_columns(sector: str) -> list[str]:
    sh = _shape(sector)
    cols = ["cooperative", "unit", "town", "village", "zone", "n_months", "jobs", *sh.sums, "land_mu",
            "profit", "profit_per_mu", "output_value_per_mu"]
    if sector in ("duck", "hog"):
        cols += [k for k in ("stock", "sows") if k in sh.lasts]
    else:
        cols += ["gh_type_shown AS gh_type", "crop", "area_mu", "yield_kg_per_mu"]
    return cols


SORTABLE = ("profit", "profit_per_mu", "revenue", "output_value_per_mu", "yield_kg_per_mu", "jobs", "stock")


def unit_totals(cur: Cursor, sector: str, period: Period, filters: Filters = Filters(), *,
                sort_by: str = "profit", descending: bool = True, offset: int = 0,
                limit: int | None = None, with_value: bool = False) -> pd.DataFrame:
    """Per-unit figures for the period, sorted by ``sort_by`` (ties by unit id, i.e. by
    registration order).

    ``limit``/``offset`` page through them in SQL, so a page never pulls 260,000 plots to
    show 50: the page is cut before the unit attributes are joined. ``with_value`` keeps only
    units whose ``sort_by`` is known (per-mu needs land).
    Columns: see :func:`_unit_columns` (profit in 元, per-mu in 元/亩 or 公斤/亩).
    """
    if sort_by not in SORTABLE:
        raise ValueError(f"不能按“{sort_by}”排序")
    order = f"{sort_by} {'DESC' if descending else 'ASC'} NULLS LAST, unit_id"
    where = f" WHERE {sort_by} IS NOT NULL" if with_value else ""
    pu, params = _per_unit(sector, period, filters, attrs=False)
    page = ""
    if limit is not None:
        page = " LIMIT ? OFFSET ?"
        params = params + [int(limit), int(offset)]
    # The page's unit ids first (no attributes needed to rank), then their rows with attributes.
    page_ids = (f"SELECT unit_id FROM ({pu}) x{where} ORDER BY {order}{page}", params)
    full, fparams = _per_unit(sector, period, filters, ids=page_ids if limit is not None else None)
    return cur.execute(f"""SELECT {', '.join(_unit_columns(sector))} FROM ({full}) y{where}
                           ORDER BY {order}""", fparams).df()


def unit_histogram(cur: Cursor, sector: str, column: str, period: Period, filters: Filters = Filters(),
                   bins: int = 40) -> pd.DataFrame:
    """Histogram of a per-unit figure (e.g. profit_per_mu) in ``bins`` equal bins, in SQL.

    Columns: x0, x1 (bin edges), units. Units without the figure are left out.
    """
    if column not in SORTABLE:
        raise ValueError(f"不能按“{column}”分组")
    pu, params = _per_unit(sector, period, filters, attrs=False)
    return cur.execute(f"""
        WITH v AS (SELECT {column} AS x FROM ({pu}) p WHERE {column} IS NOT NULL),
             r AS (SELECT min(x) AS lo, max(x) AS hi FROM v),
             b AS (SELECT least(CAST(floor((x - lo) / (CASE WHEN hi > lo THEN hi - lo ELSE 1 END) * ?) AS BIGINT),
                                ? - 1) AS i FROM v, r)
        SELECT lo + i * w AS x0, lo + (i + 1) * w AS x1, n AS units
        FROM (SELECT i, count(*) AS n FROM b GROUP BY i) h, r,
             (SELECT CASE WHEN hi > lo THEN (hi - lo) / ? ELSE 1 END AS w FROM r) ww
        ORDER BY i""", params + [bins, bins, bins]).df()


def monthly(cur: Cursor, sector: str, period: Period, filters: Filters = Filters(), *,
            source: str = "auto") -> pd.DataFrame:
    """Per month: units reporting, stock (sum of that month's reports), flows summed, profit.

    Sums per (cooperative, month) are kept in coop_months, so this reads a few thousand rows;
    a village or zone filter (unit attributes) reads the records (``source="records"`` forces
    it; both give the same sums, tests/test_rollups.py).
    """
    s = contract.sector(sector)
    cols = [c.key for c in s.measures if c.kind in (contract.COUNT, contract.MONEY,
                                                    contract.WEIGHT, contract.AREA)]
    if source == "records" or filters.by_unit_attribute:
        where, params = _record_where(sector, period, filters)
        sel = ", ".join(f"sum(r.{c}) AS {c}" for c in cols)
        sql = f"""SELECT strftime(r.month, '%Y-%m') AS month, count(*) AS units, {sel}
                  FROM {s.table} r WHERE {where} GROUP BY r.month ORDER BY r.month"""
    else:
        where, params = _coop_months_where(period, filters)
        sel = ", ".join(f"sum(r.{c}) AS {c}" for c in cols)
        sql = f"""SELECT strftime(r.month, '%Y-%m') AS month, sum(r.n_records) AS units, {sel}
                  FROM coop_months r WHERE r.sector = ? AND {where} GROUP BY r.month ORDER BY r.month"""
        params = [sector, *params]
    df = cur.execute(sql, params).df()
    df["profit"] = df["revenue"].fillna(0) - df["cost"].fillna(0)
    return df


def _coop_months_where(period: Period, filters: Filters) -> tuple[str, list]:
    """coop_months rows ``r`` of the period with records, for cooperative and town filters."""
    more, p = _cooperative_where("r.cooperative", filters)
    return " AND ".join(["r.n_records > 0", "r.month BETWEEN ? AND ?", *more]), [period.start, period.end, *p]


def monthly_total(cur: Cursor, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Revenue, cost and profit per month and sector, long format (sectors in contract order)."""
    if not filters.by_unit_attribute:  # one read of coop_months for the three sectors
        where, params = _coop_months_where(period, filters)
        df = cur.execute(f"""SELECT strftime(r.month, '%Y-%m') AS month, sum(r.revenue) AS revenue,
                                    sum(r.cost) AS cost, r.sector AS sector
                             FROM coop_months r WHERE {where} GROUP BY r.sector, r.month""", params).df()
        order = {s: i for i, s in enumerate(contract.SECTOR_KEYS)}
        df = df.sort_values(["sector", "month"], key=lambda c: c.map(order) if c.name == "sector" else c)
        df.insert(3, "profit", df["revenue"].fillna(0) - df["cost"].fillna(0))
        return df.reset_index(drop=True)
    frames = []
    for s in contract.SECTOR_KEYS:
        df = monthly(cur, s, period, filters)
        if not df.empty:
            frames.append(df[["month", "revenue", "cost", "profit"]].assign(sector=s))
    if not frames:
        return pd.DataFrame(columns=["month", "revenue", "cost", "profit", "sector"])
    return pd.concat(frames, ignore_index=True)


def _reported(m: pd.DataFrame, col: str) -> tuple[float, float]:
    """(sum of ``col``, stock summed over the same months) over the months where ``col`` was reported."""
    if m.empty or col not in m:
        return 0.0, 0.0
    has = m[col].notna()
    return _num(m.loc[has, col].sum()), _num(m.loc[has, "stock"].sum())


def ratios(sector: str, k: dict, m: pd.DataFrame) -> dict:
    """The sector's own ratios from its KPI block ``k`` and its :func:`monthly` frame ``m``:
    laying and mortality for ducks, 出栏 for hogs, per mu for plots. No query.

    Mortality (‰ per month) = deaths (死淘 / 死亡) ÷ stock, both summed over the months in which
    deaths were reported at all: a month with no figure is "not reported", not zero deaths, and
    a period with none gives ``None`` (shown as —), never 0.00.
    """
    if sector == "duck":
        bird_months = _num(m["stock"].sum()) if not m.empty else 0.0
        culled, culled_months = _reported(m, "culled")
        return {"eggs_per_bird": _ratio(k["eggs"], bird_months / max(len(m), 1)),
                "monthly_mortality_permille": _ratio(culled * 1000, culled_months),
                "profit_per_shed": _ratio(k["profit"], k["units"])}
    if sector == "hog":
        deaths, head_months = _reported(m, "deaths")
        sold_kg = _num(m["sold_kg"].sum()) if not m.empty else 0.0
        return {"profit_per_head": _ratio(k["profit"], k["sold_head"]),
                "avg_weight_kg": _ratio(sold_kg, k["sold_head"]),
                "monthly_mortality_permille": _ratio(deaths * 1000, head_months),
                "profit_per_farm": _ratio(k["profit"], k["units"])}
    return {"yield_kg_per_mu": k["yield_kg_per_mu"], "output_value_per_mu": k["output_value_per_mu"],
            "profit_per_mu": k["profit_per_mu"]}


def sector_ratios(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> dict:
    """:func:`ratios` with its inputs fetched (for the CLI and tests; pages pass theirs)."""
    return ratios(sector, sector_kpis(cur, sector, period, filters), monthly(cur, sector, period, filters))


def yoy(current: float | None, previous: float | None) -> float | None:
    """Year-on-year change as a fraction; None when there is no base to compare with."""
    if current is None or previous is None or not previous:
        return None
    return (current - previous) / abs(previous)


# --- time, reporting status, targets: from coop_months, kept on write -------------------

# --- scoped cache versions ---------------------------------------------------------------

def _scope_of(fn_name: str, args: Sequence[Any]) -> tuple[tuple[str, ...], date | None, date | None, Filters]:
    """Which sectors, months and filters a KPI function call reads (for cache keys)."""
    sectors = tuple(a for a in args if isinstance(a, str) and a in contract.SECTORS) or contract.SECTOR_KEYS
    filters = next((a for a in args if isinstance(a, Filters)), Filters())
    periods = [a for a in args if isinstance(a, Period)]
    periods += [p for a in args if isinstance(a, tuple) for p in a if isinstance(p, Period)]
    if periods and fn_name in ("comparisons", "sector_comparison", "coverage"):
        # They read the month before and the same months a year earlier, and cut the period at
        # the latest month with data, which any later month's upload moves.
        start = min(p.start for p in periods)
        return sectors, date(start.year - 1, start.month, 1) - timedelta(days=1), date(9999, 12, 1), filters
    if periods and fn_name in ("month_completeness", "park_completeness"):
        # A month's missing units are those that reported in the 12 months before (completeness.silent).
        start = min(p.start for p in periods)
        return sectors, date(start.year - 1, start.month, 1), max(p.end for p in periods), filters
    if periods:
        return sectors, min(p.start for p in periods), max(p.end for p in periods), filters
    if fn_name == "missing_reports" and args:
        m = parse_month(args[0])
        return sectors, m.replace(year=m.year - 1), m, filters
    if fn_name in ("targets", "target_progress") and args:
        y = int(args[0])
        return sectors, date(y, 1, 1), date(y, 12, 1), filters
    return sectors, None, None, filters


def scope_version(cur: Cursor, fn_name: str, args: Sequence[Any]) -> int:
    """The latest write that touched what ``fn_name(cur, *args)`` reads: its sectors, its
    months and, with a town or cooperative filter, those cooperatives. With
    ``Store.figures_version`` it keys page caches, so an upload leaves other scopes warm.
    Functions that read no period (month lists, registry lists) take every month."""
    sectors, start, end, filters = _scope_of(fn_name, args)
    clauses, params = [], []
    sql, p = _in("sector", sectors)
    clauses.append(sql)
    params += p
    if start is not None:
        clauses.append("month BETWEEN ? AND ?")
        params += [start, end]
    more, p = _cooperative_where("cooperative", filters)
    clauses += more
    params += p
    row = cur.execute(f"SELECT max(version) FROM coop_months WHERE {' AND '.join(clauses)}", params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
