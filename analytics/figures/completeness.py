"""Completeness and coverage: which months each cooperative reported, and who has not reported a month.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from .. import contract
from ..scope import UNASSIGNED_TOWN, Cursor, Filters, Period, month_index, parse_month
from . import rollups
from .kpis import _cooperative_where, _unit_where
from .rollups import _shape


def month_completeness(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Which months of the period every expected unit has reported (issue 9.3).

    口径: a month is **complete** when every unit that reported in the previous month has
    reported in it. One row per month of the period with any record (the months of
    :func:`monthly`), ascending. Columns: ``month`` ('YYYY-MM'); ``reported`` (units with a
    record); ``expected`` (units that reported the month before; the month before the
    period counts); ``missing`` (of those, units without a record this month);
    ``missing_cooperatives`` (their cooperatives); ``missing_stock`` (their stock in the
    month before, 羽 or 头; 0 for plots, which have no stock); ``complete`` (missing == 0);
    ``awaiting_cooperatives`` (of the missing cooperatives, those with a submission of the month
    awaiting review — counted apart in the chart notes, since 待审核 is not missing).
    The filters select units as everywhere (town, cooperative, village, zone).

    Charts draw the latest month distinctly when it is not complete
    (``analytics.meeting.charts``, ``completeness=``): stock carried from those units' last report,
    which is also what the stock card counts for them.
    """
    return park_completeness(cur, period, filters, (sector,))[contract.sector(sector).key]


def park_completeness(cur: Cursor, period: Period, filters: Filters = Filters(),
                      sectors: Sequence[str] = ()) -> dict[str, pd.DataFrame]:
    """{sector: :func:`month_completeness`} for ``sectors`` (every sector when empty), read
    together: the overview and the deck ask all three on every run."""
    keys = [contract.sector(s).key for s in sectors] or list(contract.SECTOR_KEYS)
    lo = month_index(period.start)
    if filters.by_unit_attribute:
        found = {s: _completeness_by_units(cur, s, period, filters) for s in keys}
    else:
        # Kept on write: units reporting per cooperative and month (coop_months) and the months
        # a unit fell silent (unit_month_gaps); no pass over the unit-months (issue 19.6).
        clauses, fparams = _cooperative_where("cooperative", filters)
        extra = "".join(f" AND {c}" for c in clauses)
        gaps, gparams = _gaps_select(keys, lo, month_index(period.end), filters)
        rows = cur.execute(f"""
            WITH c AS (SELECT sector, year(month) * 12 + month(month) - 1 AS mi, sum(n_records) AS reported
                       FROM coop_months WHERE sector IN ({', '.join('?' * len(keys))}) AND n_records > 0
                         AND month BETWEEN ? AND ?{extra}
                       GROUP BY sector, year(month) * 12 + month(month) - 1),
                 g AS ({gaps})
            SELECT c.sector, c.mi, c.reported, coalesce(e.reported, 0), coalesce(g.missing, 0),
                   coalesce(g.coops, 0), coalesce(g.stock, 0)
            FROM c LEFT JOIN c e ON e.sector = c.sector AND e.mi = c.mi - 1
                   LEFT JOIN g ON g.sector = c.sector AND g.mi = c.mi
            WHERE c.mi >= ? ORDER BY c.sector, c.mi""",
            [*keys, _before(period.start), period.end, *fparams, *gparams, lo]).fetchall()
        found = {s: [r[1:] for r in rows if r[0] == s] for s in keys}
    pending = _pending(cur) if any(int(r[3]) for rows in found.values() for r in rows) else 0
    return {s: _completeness_frame(cur, s, rows, filters, pending) for s, rows in found.items()}


def _completeness_frame(cur: Cursor, sector: str, rows: list[tuple], filters: Filters, pending: int) -> pd.DataFrame:
    """:func:`month_completeness`'s frame from rows (mi, reported, expected, missing, coops, stock)."""
    # Built column by column with their types: the pages ask this for every sector on every run,
    # and a frame built and then converted cost more than the query.
    months = [f"{int(r[0]) // 12:04d}-{int(r[0]) % 12 + 1:02d}" for r in rows]
    missing = [int(r[3]) for r in rows]
    return pd.DataFrame({
        "month": pd.Series(months, dtype=object),
        "reported": pd.Series([int(r[1]) for r in rows], dtype="int64"),
        "expected": pd.Series([int(r[2]) for r in rows], dtype="int64"),
        "missing": pd.Series(missing, dtype="int64"),
        "missing_cooperatives": pd.Series([int(r[4]) for r in rows], dtype="int64"),
        "missing_stock": pd.Series([int(round(float(r[5]))) for r in rows], dtype="int64"),
        "complete": pd.Series([n == 0 for n in missing], dtype=bool),
        "awaiting_cooperatives": pd.Series(_awaiting(cur, sector, months, filters) if pending and any(missing)
                                           else [0] * len(rows), dtype="int64"),
    })


def _gaps_select(sector_keys: Sequence[str], lo: int, hi: int, filters: Filters,
                 by_town: bool = False) -> tuple[str, list]:
    """The 口径 of ``missing``, written once: of the gaps kept on write (a unit that reported the
    month before and has no record this month), per sector of ``sector_keys``, month index lo..hi
    (year × 12 + month − 1) and, ``by_town``, town of the unit's cooperative (未分配乡镇 for one
    without). Columns sector, [town,] mi, missing (units), coops (their cooperatives), stock
    (their stock the month before). Town and cooperative filters only (the gaps know the
    cooperative, not the village or zone)."""
    clauses, params = _cooperative_where("g.cooperative", filters)
    extra = "".join(f" AND {c}" for c in clauses)
    town = f"coalesce(ct.town, '{UNASSIGNED_TOWN}')"
    keys = f"g.sector, {town} AS town, g.mi" if by_town else "g.sector, g.mi"
    join = " LEFT JOIN cooperatives ct ON ct.name = g.cooperative" if by_town else ""
    group = f"g.sector, {town}, g.mi" if by_town else "g.sector, g.mi"
    return (f"""SELECT {keys}, count(*) AS missing, count(DISTINCT g.cooperative) AS coops, sum(g.stock) AS stock
                FROM {rollups.GAPS_TABLE} g{join}
                WHERE g.sector IN ({', '.join('?' * len(sector_keys))}) AND g.mi BETWEEN ? AND ?{extra}
                GROUP BY {group}""",
            [*sector_keys, lo, hi, *params])


def missing_by_town(cur: Cursor, sector: str, lo: int, hi: int,
                    towns: Sequence[str] = ()) -> dict[str, dict[int, int]]:
    """{town: {month index: units not reported}}: :func:`month_completeness`'s ``missing`` (units
    that reported the month before and not this one) per town, for month indices lo..hi
    (year × 12 + month − 1), restricted to ``towns`` when given. A unit's town is its
    cooperative's (未分配乡镇 without one), so the towns of a month sum to the park's ``missing``.
    A month with records and no entry is complete (0). Every town in one query, not one per
    town: a county has a hundred towns."""
    sql, params = _gaps_select([contract.sector(sector).key], lo, hi, Filters(towns=tuple(towns)), by_town=True)
    got: dict[str, dict[int, int]] = {}
    for _sector, town, mi, n, _coops, _stock in cur.execute(sql, params).fetchall():
        got.setdefault(town, {})[int(mi)] = int(n)
    return got


def _pending(cur: Cursor) -> int:
    """Submissions awaiting review (0 on a lake or a store from before the reporting cycle)."""
    try:
        return int(cur.execute("SELECT count(*) FROM submissions WHERE state = 'pending'").fetchall()[0][0])
    except duckdb.CatalogException:
        return 0


def _awaiting(cur: Cursor, sector: str, months: list[str], filters: Filters) -> list[int]:
    """Per month of ``months`` ('YYYY-MM'): of the missing units' cooperatives, how many have a submission of that
    month awaiting review (待审核 is not "missing": DESIGN.md §9). Unit-attribute filters count
    the filtered cooperatives' submissions."""
    clauses, fparams = _cooperative_where("g.cooperative", filters)
    extra = "".join(f" AND {c}" for c in clauses)
    lo = min(month_index(parse_month(m)) for m in months)
    hi = max(month_index(parse_month(m)) for m in months)
    got = dict(cur.execute(f"""
        SELECT g.mi, count(DISTINCT g.cooperative)
        FROM {rollups.GAPS_TABLE} g
        JOIN submission_months m ON m.sector = g.sector AND m.cooperative = g.cooperative
                                AND year(m.month) * 12 + month(m.month) - 1 = g.mi
        JOIN submissions s ON s.submission_id = m.submission_id AND s.state = 'pending'
        WHERE g.sector = ? AND g.mi BETWEEN ? AND ?{extra}
        GROUP BY g.mi""", [sector, lo, hi, *fparams]).fetchall())
    return [int(got.get(month_index(parse_month(m)), 0)) for m in months]


def _before(d: date) -> date:
    return date(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1)


def _completeness_by_units(cur: Cursor, sector: str, period: Period, filters: Filters) -> list[tuple]:
    """The same rows as :func:`month_completeness` for filters on unit attributes (village,
    zone), which coop_months cannot answer: from the month rollup of the selected units."""
    s = contract.sector(sector)
    has_stock = "stock" in _shape(sector).lasts
    params: list = [_before(period.start), period.end]
    clauses, fparams = _unit_where(filters)
    unit_filter = (f" AND m.unit_id IN (SELECT u.unit_id FROM units u LEFT JOIN cooperatives c "
                   f"ON c.name = u.cooperative WHERE u.sector = '{s.key}' AND {' AND '.join(clauses)})")
    params += fparams
    stock = "m.stock" if has_stock else "CAST(NULL AS DOUBLE)"
    return cur.execute(f"""
        WITH r AS (SELECT m.unit_id AS unit_id, year(m.last_month) * 12 + month(m.last_month) - 1 AS mi,
                          {stock} AS stock
                   FROM unit_month_{s.key} m WHERE m.last_month BETWEEN ? AND ?{unit_filter}),
             gone AS (SELECT p.unit_id AS unit_id, p.mi + 1 AS mi, p.stock AS stock FROM r p
                      WHERE NOT EXISTS (SELECT 1 FROM r n WHERE n.unit_id = p.unit_id AND n.mi = p.mi + 1))
        SELECT c.mi, c.reported, coalesce(e.expected, 0), coalesce(g.missing, 0), coalesce(g.coops, 0),
               coalesce(g.stock, 0)
        FROM (SELECT mi, count(*) AS reported FROM r GROUP BY mi) c
        LEFT JOIN (SELECT mi + 1 AS mi, count(*) AS expected FROM r GROUP BY mi + 1) e ON e.mi = c.mi
        LEFT JOIN (SELECT gone.mi AS mi, count(*) AS missing, count(DISTINCT u.cooperative) AS coops,
                          sum(gone.stock) AS stock
                   FROM gone JOIN units u ON u.unit_id = gone.unit_id GROUP BY gone.mi) g ON g.mi = c.mi
        WHERE c.mi >= ? ORDER BY c.mi""", params + [month_index(period.start)]).fetchall()


def missing_reports(cur: Cursor, month: str, filters: Filters = Filters()) -> pd.DataFrame:
    """Cooperatives that reported in the 12 months before ``month`` but not in ``month``.

    Columns: sector, cooperative, last_month, units (records in its last reported month).
    Village and zone filters keep the cooperatives with a unit there.
    """
    m = parse_month(month)
    start = m.replace(year=m.year - 1)
    clauses, p = _cooperative_where("cm.cooperative", filters)
    params = [start, m, *p]
    if filters.by_unit_attribute:
        uc, p = _unit_where(Filters(villages=filters.villages, zones=filters.zones, units=filters.units),
                            "fu")
        clauses.append("EXISTS (SELECT 1 FROM units fu WHERE fu.sector = cm.sector "
                       f"AND fu.cooperative = cm.cooperative AND {' AND '.join(uc)})")
        params += p
    extra = "".join(f" AND {c}" for c in clauses)
    return cur.execute(f"""
        SELECT sector, cooperative, strftime(max(month), '%Y-%m') AS last_month,
               CAST(arg_max(n_records, month) AS BIGINT) AS units
        FROM coop_months cm WHERE n_records > 0 AND month BETWEEN ? AND ?{extra}
        GROUP BY sector, cooperative HAVING max(month) < ?
        ORDER BY sector, cooperative""", params + [m]).df()


def silent_units(cur: Cursor, sector: str, month: str, filters: Filters = Filters(), *,
                 by_town: bool = False) -> pd.DataFrame:
    """The units behind :func:`month_completeness`'s ``missing`` for ``month`` ('YYYY-MM'): each
    reported the month before and has no record in ``month``. Columns: cooperative, unit,
    stock (their stock of the month before, 羽 or 头; NULL for plots), and with ``by_town`` the
    town of their cooperative (未分配乡镇 without one: every town's in one query, as
    :func:`missing_by_town`); ordered by cooperative and unit. Town and cooperative filters select
    by the unit's cooperative, others by the unit."""
    s = contract.sector(sector)
    clauses, params = _cooperative_where("g.cooperative", filters)
    if filters.by_unit_attribute:
        uc, p = _unit_where(Filters(villages=filters.villages, zones=filters.zones, units=filters.units))
        clauses.append(f"g.unit_id IN (SELECT u.unit_id FROM units u LEFT JOIN cooperatives c "
                       f"ON c.name = u.cooperative WHERE u.sector = '{s.key}' AND {' AND '.join(uc)})")
        params += p
    extra = "".join(f" AND {c}" for c in clauses)
    town = f", coalesce(ct.town, '{UNASSIGNED_TOWN}') AS town" if by_town else ""
    join = " LEFT JOIN cooperatives ct ON ct.name = g.cooperative" if by_town else ""
    return cur.execute(f"""
        SELECT g.cooperative, u.unit, g.stock{town}
        FROM {rollups.GAPS_TABLE} g JOIN units u ON u.unit_id = g.unit_id{join}
        WHERE g.sector = ? AND g.mi = ?{extra}
        ORDER BY g.cooperative, u.unit""", [s.key, month_index(parse_month(month)), *params]).df()
