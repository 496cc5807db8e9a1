"""The lists behind the filters and the period pickers: months and years with data, the data's
freshness, cooperatives, towns, villages and zones.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..scope import UNASSIGNED_TOWN, Cursor
from .rollups import _in


def available_months(cur: Cursor) -> list[str]:
    """Months with any record, 'YYYY-MM', ascending (from coop_months, not a scan)."""
    # The distinct months first, then their labels: a format per row of coop_months cost more.
    rows = cur.execute("SELECT month FROM coop_months WHERE n_records > 0 GROUP BY month ORDER BY month").fetchall()
    return [f"{m.year:04d}-{m.month:02d}" for (m,) in rows]


def available_years(cur: Cursor) -> list[int]:
    return sorted({int(m[:4]) for m in available_months(cur)})


def default_year(cur: Cursor) -> int | None:
    """The latest complete year (one with December data), so year-on-year compares like with like."""
    months = available_months(cur)
    if not months:
        return None
    years = sorted({int(m[:4]) for m in months})
    if months[-1].endswith("-12") or len(years) == 1:
        return years[-1]
    return years[-2]


def data_as_of(cur: Cursor) -> dict:
    """Latest month with data and time of the last applied upload (数据截至)."""
    months = available_months(cur)
    row = cur.execute("""SELECT max(uploaded_at) FROM uploads WHERE status = 'applied'""").fetchone()
    return {"latest_month": months[-1] if months else None,
            "last_upload": row[0].strftime("%Y-%m-%d %H:%M") if row and row[0] else None}


def cooperatives(cur: Cursor, towns: Sequence[str] = ()) -> list[str]:
    """Registered cooperatives (of the given towns), by name."""
    if towns:
        sql, p = _in(f"coalesce(town, '{UNASSIGNED_TOWN}')", towns)
        return [r[0] for r in cur.execute(f"SELECT name FROM cooperatives WHERE {sql} ORDER BY name", p).fetchall()]
    return [r[0] for r in cur.execute("SELECT name FROM cooperatives ORDER BY name").fetchall()]


def towns(cur: Cursor) -> list[str]:
    """Registered towns (乡镇), and 未分配乡镇 when a cooperative has none."""
    names = [r[0] for r in cur.execute("SELECT name FROM towns ORDER BY name").fetchall()]
    if cur.execute("SELECT count(*) FROM cooperatives WHERE town IS NULL").fetchone()[0]:
        names.append(UNASSIGNED_TOWN)
    return names


def villages(cur: Cursor) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT DISTINCT village FROM units WHERE village IS NOT NULL ORDER BY 1").fetchall()]


def zones(cur: Cursor) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT DISTINCT zone FROM units WHERE zone IS NOT NULL ORDER BY 1").fetchall()]


def unit_names(cur: Cursor, cooperatives: Sequence[str]) -> list[str]:
    """Registered unit names (棚号 / 养殖户) of these cooperatives, for a drill-down link to one unit."""
    if not cooperatives:
        return []
    return [r[0] for r in cur.execute("SELECT DISTINCT unit FROM units WHERE list_contains(?, cooperative) "
                                      "ORDER BY unit", [list(cooperatives)]).fetchall()]


def last_reports(cur: Cursor, sector: str, cooperatives: Sequence[str], units: Sequence[str]) -> dict:
    """{(cooperative, unit): 'YYYY-MM' of its latest record}, for the pairs given (one table page)."""
    from .. import contract

    s = contract.sector(sector)
    if len(cooperatives) != len(units):
        raise ValueError("合作社与单元的个数不一致")
    if not cooperatives:
        return {}
    # The page's unit ids first (a join on the pairs, not a test of every unit's name), then
    # their year rollup rows: a year's last_month is the unit's latest month in it.
    rows = cur.execute(f"""
        WITH ids AS (SELECT u.unit_id, u.cooperative, u.unit FROM units u
                     JOIN (SELECT unnest(?) AS c, unnest(?) AS n) k ON u.cooperative = k.c AND u.unit = k.n
                     WHERE u.sector = ?)
        SELECT ids.cooperative, ids.unit, strftime(max(m.last_month), '%Y-%m')
        FROM unit_year_{s.key} m JOIN ids ON m.unit_id = ids.unit_id
        GROUP BY ids.cooperative, ids.unit""", [list(cooperatives), list(units), s.key]).fetchall()
    return {(c, u): m for c, u, m in rows}
