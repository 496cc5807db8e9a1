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


def month_completeness(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Which months of the period every expected unit has reported (issue 9.3).

    口径: a month is **complete** when every unit that reported in any of the 12 months before
    (:data:`MISSING_FOR`) has reported in it or since. One row per month of the period with any
    record (the months of :func:`monthly`), ascending. Columns: ``month`` ('YYYY-MM');
    ``reported`` (units with a record); ``missing`` (units without a record this month that
    reported in the 12 months before and not since: :func:`silent`); ``expected`` (reported +
    missing); ``missing_cooperatives`` (their cooperatives); ``missing_stock`` (their last
    reported stock, 羽 or 头; 0 for plots, which have no stock); ``complete`` (missing == 0);
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
            SELECT c.sector, c.mi, c.reported, c.reported + coalesce(g.missing, 0), coalesce(g.missing, 0),
                   coalesce(g.coops, 0), coalesce(g.stock, 0)
            FROM c LEFT JOIN g ON g.sector = c.sector AND g.mi = c.mi
            ORDER BY c.sector, c.mi""",
            [*keys, period.start, period.end, *fparams, *gparams]).fetchall()
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
                FROM {silent(lo, hi)} g{join}
                WHERE g.sector IN ({', '.join('?' * len(sector_keys))}){extra}
                GROUP BY {group}""",
            [*sector_keys, *params])


# A unit that has not reported for this many months since its last report is no longer expected
# (a shed pulled down, a plot given up): the same year the office looks back over for the
# cooperatives that have not reported (missing_reports) and for the landing month.
MISSING_FOR = 12


def silent(lo: int, hi: int) -> str:
    """SQL of the relation (sector, unit_id, cooperative, stock, mi) of the 口径 of "missing",
    written once: every month index ``mi`` in lo..hi (year × 12 + month − 1) in which a unit has
    no record though it reported in one of the :data:`MISSING_FOR` months before (from the gaps
    kept on write: a gap runs from the month after a report to the month the unit reports again),
    with its last reported stock (羽 or 头; NULL for plots) and its cooperative. A month two of
    180 sheds reported after the other 178 went quiet the month before is therefore 2/180, not
    2/2. The month indices are integers the code computes, written into the SQL."""
    cols = "x.sector AS sector, x.unit_id AS unit_id, x.cooperative AS cooperative, x.stock AS stock"
    if lo == hi:  # one month (the pages' usual question): a filter, no join
        return (f"(SELECT {cols}, {int(lo)} AS mi FROM {rollups.GAPS_TABLE} x "
                f"WHERE x.mi BETWEEN {int(lo) - MISSING_FOR + 1} AND {int(lo)} "
                f"AND (x.until_mi IS NULL OR x.until_mi > {int(lo)}))")
    # No month (hi < lo): one NULL month, which matches no gap.
    span = ", ".join(f"({int(m)})" for m in range(int(lo), int(hi) + 1)) or "(CAST(NULL AS BIGINT))"
    return (f"(SELECT {cols}, "
            f"s.mi AS mi FROM {rollups.GAPS_TABLE} x JOIN (VALUES {span}) s(mi) ON s.mi >= x.mi "
            f"AND s.mi < x.mi + {MISSING_FOR} AND (x.until_mi IS NULL OR s.mi < x.until_mi) "
            f"WHERE x.mi BETWEEN {int(lo) - MISSING_FOR + 1} AND {int(hi)})")


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
        FROM {silent(lo, hi)} g
        JOIN submission_months m ON m.sector = g.sector AND m.cooperative = g.cooperative
                                AND year(m.month) * 12 + month(m.month) - 1 = g.mi
        JOIN submissions s ON s.submission_id = m.submission_id AND s.state = 'pending'
        WHERE g.sector = ?{extra}
        GROUP BY g.mi""", [sector, *fparams]).fetchall())
    return [int(got.get(month_index(parse_month(m)), 0)) for m in months]


def _before(d: date) -> date:
    return date(d.year - (d.month == 1), (d.month - 2) % 12 + 1, 1)


def _completeness_by_units(cur: Cursor, sector: str, period: Period, filters: Filters) -> list[tuple]:
    """The same rows as :func:`month_completeness` for filters on unit attributes (village,
    zone), which coop_months cannot answer: from the month rollup of the selected units."""
    s = contract.sector(sector)
    clauses, fparams = _unit_where(filters)
    units = (f"SELECT u.unit_id FROM units u LEFT JOIN cooperatives c "
             f"ON c.name = u.cooperative WHERE u.sector = '{s.key}' AND {' AND '.join(clauses)}")
    lo, hi = month_index(period.start), month_index(period.end)
    return cur.execute(f"""
        WITH r AS (SELECT year(m.last_month) * 12 + month(m.last_month) - 1 AS mi, count(*) AS reported
                   FROM unit_month_{s.key} m WHERE m.last_month BETWEEN ? AND ? AND m.unit_id IN ({units})
                   GROUP BY year(m.last_month) * 12 + month(m.last_month) - 1),
             g AS (SELECT g.mi, count(*) AS missing, count(DISTINCT g.cooperative) AS coops, sum(g.stock) AS stock
                   FROM {silent(lo, hi)} g WHERE g.sector = ? AND g.unit_id IN ({units}) GROUP BY g.mi)
        SELECT r.mi, r.reported, r.reported + coalesce(g.missing, 0), coalesce(g.missing, 0), coalesce(g.coops, 0),
               coalesce(g.stock, 0)
        FROM r LEFT JOIN g ON g.mi = r.mi ORDER BY r.mi""",
                       [period.start, period.end, *fparams, s.key, *fparams]).fetchall()


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
    mi = month_index(parse_month(month))
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
        FROM {silent(mi, mi)} g JOIN units u ON u.unit_id = g.unit_id{join}
        WHERE g.sector = ?{extra}
        ORDER BY g.cooperative, u.unit""", [s.key, *params]).df()
