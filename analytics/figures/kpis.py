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
   A record is a one-month chunk (:func:`_record_chunks`);
2. chunks *merge* associatively (:func:`_merge_aggregates`): sums add, peaks take the max, "last"
   values take the one with the latest month. ``unit_year_<sector>`` is the merge of a
   unit's record chunks per year (``unit_year_greenhouse_crop`` per year and crop) and
   ``unit_month_<sector>`` the record chunks themselves, keyed by unit id; both are kept on
   write (:func:`rebuild_rollups`, :func:`refresh_rollups`). A period's per-unit rows are
   the merge of its whole years' rollup rows and of its other months' chunks;
3. every KPI is a sum, count or ratio over those per-unit rows.
The same SQL runs on the DuckDB store, on a Parquet lake through DuckDB, and (transpiled by
sqlglot) on Spark: see analytics/store/lake.py. So it avoids DuckDB-only syntax.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from .. import contract

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

    def label(self, lang: str = "zh") -> str:
        if self.is_full_year:
            return f"{self.start.year}年" if lang == "zh" else str(self.start.year)
        if lang == "zh":
            return f"{self.start.year}年{self.start.month}月—{self.end.year}年{self.end.month}月"
        return f"{self.label_from} to {self.label_to}"


@dataclass(frozen=True)
class Filters:
    """Sidebar filters; an empty tuple means 'all'. A unit passes when it matches every
    non-empty filter (its cooperative's town, its cooperative, its village, its zone)."""

    cooperatives: tuple[str, ...] = field(default_factory=tuple)
    villages: tuple[str, ...] = field(default_factory=tuple)
    zones: tuple[str, ...] = field(default_factory=tuple)
    towns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def by_unit_attribute(self) -> bool:
        """Village or zone set: these are unit attributes, not cooperative ones."""
        return bool(self.villages or self.zones)


UNASSIGNED_TOWN = "未分配乡镇"  # cooperatives whose town is not registered yet


def _in(expr: str, values: Sequence) -> tuple[str, list]:
    return f"{expr} IN ({', '.join('?' * len(values))})", list(values)


def _unit_where(filters: Filters, u: str = "u", c: str = "c") -> tuple[list[str], list]:
    """Filter clauses on a units row ``u`` joined to its cooperative ``c``."""
    clauses, params = [], []
    for expr, values in ((f"coalesce({c}.town, '{UNASSIGNED_TOWN}')", filters.towns),
                         (f"{u}.cooperative", filters.cooperatives),
                         (f"{u}.village", filters.villages), (f"{u}.zone", filters.zones)):
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
        unit_clauses, p = _unit_where(Filters(villages=filters.villages, zones=filters.zones), "fu")
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

@dataclass(frozen=True)
class _Shape:
    """Which columns of a sector's chunks are summed, peaked or taken from the last month."""

    sums: tuple[str, ...]  # summed over months: flows (eggs, revenue, ...)
    peaks: tuple[tuple[str, str], ...]  # (chunk column, record column): max over months
    lasts: tuple[str, ...]  # value in the last month that reported one: stock, sows, crop, type
    stock_months: bool  # sum of monthly stock (bird- or head-months) for the sector's ratios


def _shape(sector: str) -> _Shape:
    s = contract.sector(sector)
    keys = {c.key for c in s.measures}
    sums = tuple(c.key for c in s.measures if c.kind in (contract.COUNT, contract.MONEY, contract.WEIGHT)
                 and c.key not in ("stock", "sows", "workers"))
    peaks = (("jobs", "workers"),) + ((("area_mu", "area_mu"),) if "area_mu" in keys else ())
    lasts = tuple(k for k in ("stock", "sows", "crop", "gh_type") if k in keys)
    return _Shape(sums, peaks, lasts, "stock" in keys)


def _chunk_columns(sector: str) -> list[str]:
    """The columns every chunk has, in one order: records and rollup rows UNION ALL."""
    sh = _shape(sector)
    cols = ["unit_id", "town", "year", "n_months", "last_month", *sh.sums, *(p for p, _ in sh.peaks)]
    if sh.stock_months:
        cols.append("stock_months")
    for k in sh.lasts:
        cols += [k, f"{k}_month"]
    return cols


def _record_chunks(sector: str, where: str = "") -> str:
    """Each record as a one-month chunk, with its unit's integer id and its cooperative's town
    (kept in the rollups so that figures by town need no join; Store keeps them in step when a
    cooperative's town changes: kpis.retown_rollups)."""
    s, sh = contract.sector(sector), _shape(sector)
    cols = ["u.unit_id AS unit_id", f"coalesce(c.town, '{UNASSIGNED_TOWN}') AS town", "year(r.month) AS year",
            "1 AS n_months", "r.month AS last_month"]
    cols += [f"r.{k} AS {k}" for k in sh.sums]
    cols += [f"r.{src} AS {k}" for k, src in sh.peaks]
    if sh.stock_months:
        cols.append("r.stock AS stock_months")
    for k in sh.lasts:
        # A plot's type is its registered one (units.gh_type), else what it reported.
        v = "coalesce(u.gh_type, r.gh_type)" if k == "gh_type" else f"r.{k}"
        cols += [f"{v} AS {k}", f"CASE WHEN {v} IS NOT NULL THEN r.month END AS {k}_month"]
    return (f"SELECT {', '.join(cols)} FROM {s.table} r JOIN units u ON u.sector = '{s.key}' "
            f"AND u.cooperative = r.cooperative AND u.unit = r.unit "
            f"LEFT JOIN cooperatives c ON c.name = r.cooperative" + (f" WHERE {where}" if where else ""))


def _merge_aggregates(sector: str, keys: Sequence[str] = (), m: str = "m") -> list[str]:
    """The merge of chunks: sums add, peaks take the max, last values the latest month's.

    Associative, so merging months into years and years into a period gives the same
    per-unit figures as merging the months directly (tests/test_rollups.py checks it).
    A column named in ``keys`` is a grouping key and only its month is carried.
    """
    sh = _shape(sector)
    # A unit's town is one value (its cooperative's); any row's will do.
    out = [f"any_value({m}.town) AS town", f"sum({m}.n_months) AS n_months", f"max({m}.last_month) AS last_month"]
    out += [f"sum({m}.{k}) AS {k}" for k in sh.sums]
    out += [f"max({m}.{k}) AS {k}" for k, _ in sh.peaks]
    if sh.stock_months:
        out.append(f"sum({m}.stock_months) AS stock_months")
    for k in sh.lasts:
        if k not in keys:
            out.append(f"arg_max({m}.{k}, {m}.{k}_month) AS {k}")
        out.append(f"max({m}.{k}_month) AS {k}_month")
    return out


@dataclass(frozen=True)
class Rollup:
    """A table of chunks kept on write: per unit and month, or merged per unit and year."""

    table: str
    sector: str
    keys: tuple[str, ...] | None  # grain besides unit_id and year; None: one row per record


def rollups() -> list[Rollup]:
    """Per unit and month (the records as chunks, with integer unit ids, in month order) and
    per unit and year for every sector; plots also per unit, year and crop (by_crop and the
    per-crop comparison need a plot's largest area while growing each crop)."""
    out = [Rollup(f"unit_month_{s}", s, None) for s in contract.SECTOR_KEYS]
    out += [Rollup(f"unit_year_{s}", s, ()) for s in contract.SECTOR_KEYS]
    return out + [Rollup("unit_year_greenhouse_crop", "greenhouse", ("crop",))]


def _rollup_select(r: Rollup, where: str = "") -> str:
    if r.keys is None:
        return f"SELECT {', '.join(_chunk_columns(r.sector))} FROM ({_record_chunks(r.sector, where)}) m"
    keys = ["unit_id", "year", *r.keys]
    aggs = _merge_aggregates(r.sector, keys)
    by = ", ".join(f"m.{k}" for k in keys)
    # Columns in chunk order, so rollup rows and record chunks UNION ALL by position.
    named = {a.rsplit(" AS ", 1)[1]: a for a in aggs}
    cols = [f"m.{c}" if c in keys else named[c] for c in _chunk_columns(r.sector)]
    return f"SELECT {', '.join(cols)} FROM ({_record_chunks(r.sector, where)}) m GROUP BY {by}"


def _month_measures() -> list[str]:
    """Every numeric measure of any sector: the monthly sums coop_months keeps (NULL where a
    sector has no such column)."""
    out: list[str] = []
    for s in contract.SECTORS.values():
        out += [c.key for c in s.measures if c.sql_type in ("BIGINT", "DOUBLE") and c.key not in out]
    return out


def _coop_months_select(sector: str, version: str, keys: str = "") -> str:
    """Records, and the sums of each measure, per (cooperative, month) of a sector.

    With ``keys`` (a relation of cooperative, month) every key gets a row, 0 records when
    none are left, so its version survives an undo."""
    s = contract.sector(sector)
    mine = {c.key for c in s.measures}
    sums = ", ".join(f"sum(r.{k}) AS {k}" if k in mine else f"CAST(NULL AS DOUBLE) AS {k}" for k in _month_measures())
    if keys:
        return (f"SELECT '{s.key}' AS sector, k.cooperative, k.month, count(r.unit) AS n_records, {sums}, "
                f"{version} AS version FROM {keys} k LEFT JOIN {s.table} r ON r.cooperative = k.cooperative "
                "AND r.month = k.month GROUP BY k.cooperative, k.month")
    return (f"SELECT '{s.key}' AS sector, r.cooperative, r.month, count(*) AS n_records, {sums}, "
            f"{version} AS version FROM {s.table} r GROUP BY r.cooperative, r.month")


def rollup_rebuild_sql(version: int) -> list[str]:
    """Statements that (re)build every rollup from the records; ``version`` stamps coop_months."""
    stmts = []
    for r in rollups():
        order = "last_month, unit_id" if r.keys is None else "year, unit_id"
        stmts.append(f"CREATE OR REPLACE TABLE {r.table} AS {_rollup_select(r)} ORDER BY {order}")
    parts = [_coop_months_select(s, f"CAST({int(version)} AS BIGINT)") for s in contract.SECTOR_KEYS]
    stmts.append(f"""CREATE OR REPLACE TABLE coop_months AS
                     SELECT * FROM ({' UNION ALL '.join(parts)}) cm ORDER BY month, sector, cooperative""")
    return stmts


def rebuild_rollups(cur: Cursor, version: int) -> None:
    """Rebuild ``unit_year_*`` and ``coop_months`` from the records (demo load, unknown writes)."""
    for sql in rollup_rebuild_sql(version):
        cur.execute(sql).fetchall()


class _Everything:
    def __repr__(self) -> str:
        return "EVERYTHING"


EVERYTHING = _Everything()  # a write that may have changed any record


@dataclass
class Changes:
    """What a write touched: record keys per sector, and whether unit attributes changed."""

    keys: dict[str, pd.DataFrame] = field(default_factory=dict)
    attributes: bool = False


def capture_changes(cur: Cursor, sector: str, upload_id: int, previous: object = None) -> object:
    """Read the keys (cooperative, unit, month, unit_id) of an upload's records now.

    Also notes whether the upload replaced unit attributes (village, zone, land, type): those
    change every period of the unit, so such a write is not scoped.
    """
    if previous is EVERYTHING:
        return EVERYTHING
    s = contract.sector(sector)
    keys = cur.execute(f"""SELECT DISTINCT r.cooperative, r.unit, r.month, u.unit_id
                           FROM {s.table} r LEFT JOIN units u ON u.sector = ? AND u.cooperative = r.cooperative
                                                           AND u.unit = r.unit
                           WHERE r.upload_id = ?""", [s.key, upload_id]).df()
    attrs = cur.execute("SELECT count(*) FROM units_history WHERE replaced_by = ?", [upload_id]).fetchall()[0][0]
    ch = previous if isinstance(previous, Changes) else Changes()
    ch.keys[s.key] = pd.concat([ch.keys[s.key], keys]) if s.key in ch.keys else keys
    ch.attributes = ch.attributes or bool(attrs)
    return ch


def refresh_rollups(cur: Cursor, changes: Changes, version: int) -> bool:
    """Recompute the rollups of the touched units and the touched (sector, cooperative, month)
    rows of coop_months, stamped with ``version``. Returns whether the write stays scoped."""
    for sector, keys in changes.keys.items():
        s = contract.sector(sector)
        k = keys.assign(month=pd.to_datetime(keys["month"]).dt.date)
        cur.execute("SELECT 1").fetchall()  # register() needs no unfinished result on the cursor
        cur.register("_chg", k)
        try:
            touched = "(r.cooperative, r.unit) IN (SELECT cooperative, unit FROM _chg)"
            for r in rollups():
                if r.sector != sector:
                    continue
                cur.execute(f"""DELETE FROM {r.table} WHERE unit_id IN (
                                  SELECT unit_id FROM _chg WHERE unit_id IS NOT NULL
                                  UNION SELECT u.unit_id FROM units u JOIN _chg c ON u.sector = '{s.key}'
                                    AND u.cooperative = c.cooperative AND u.unit = c.unit)""").fetchall()
                cur.execute(f"INSERT INTO {r.table} {_rollup_select(r, touched)}").fetchall()
            cur.execute(f"""DELETE FROM coop_months WHERE sector = '{s.key}'
                            AND (cooperative, month) IN (SELECT cooperative, month FROM _chg)""").fetchall()
            keys = "(SELECT DISTINCT cooperative, month FROM _chg)"
            rows = _coop_months_select(sector, "CAST(? AS BIGINT)", keys)
            cur.execute(f"INSERT INTO coop_months {rows}", [version]).fetchall()
        finally:
            cur.unregister("_chg")
    # Rows of units an undo removed went with the ids read before the removal; the insert
    # joins the units that remain, so no rollup row outlives its unit.
    return not changes.attributes


def retown_rollups(cur: Cursor, cooperatives: Sequence[str]) -> None:
    """Put the current town of these cooperatives into their units' rollup rows (after a
    cooperative's town changed; Store and db.assign_town call it in the same write)."""
    if not cooperatives:
        return
    sql, params = _in("u.cooperative", list(cooperatives))
    for r in rollups():
        cur.execute(f"""UPDATE {r.table} SET town = t.town FROM (
                          SELECT u.unit_id, coalesce(c.town, ?) AS town
                          FROM units u LEFT JOIN cooperatives c ON c.name = u.cooperative
                          WHERE u.sector = ? AND {sql}) t
                        WHERE {r.table}.unit_id = t.unit_id""", [UNASSIGNED_TOWN, r.sector, *params]).fetchall()


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
    ``ids`` (sql, params) keeps only the unit ids it selects (a page of a ranking).
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
    if whole and ("year" in by or period.start.year == period.end.year):
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
    else:
        joined, shown = merged, "j.gh_type"
    land = "j.area_mu" if sector == "greenhouse" else "j.land_mu"
    derived = [f"{shown} AS gh_type_shown", f"CASE WHEN {land} > 0 THEN {land} END AS land",
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


def _sector_rows_many(cur: Cursor, sector: str, periods: Sequence[Period],
                      filters: Filters) -> list[tuple[dict, dict[str, dict]]]:
    """:func:`_sector_rows` for several periods; calendar years share one grouped pass.

    One grouped pass per query: the totals are added up from the towns (exactly for counts;
    money is rounded to the 分 afterwards), so a sector page and the KPI JSON never disagree.
    """
    if sector not in _BLOCK_SUMS:
        raise ValueError(f"未知板块“{sector}”")
    sums = ["count(*) AS units", *(f"sum({k}) AS {k}" for k in _BLOCK_SUMS[sector]),
            "sum(revenue) AS revenue", "sum(cost) AS cost", "sum(jobs) AS jobs", "sum(land) AS land_mu"]
    names = ["units", *_BLOCK_SUMS[sector], "revenue", "cost", "jobs", "land_mu"]
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
        total: dict = {}
        for n in names:
            values = [t[n] for t in towns.values() if t[n] is not None]
            is_int = all(isinstance(v, int) for v in values)
            total[n] = (sum(values) if is_int else math.fsum(float(v) for v in values)) if values else None
        total["units"] = total["units"] or 0
        out.append((total, towns))
    return out


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
    total, _ = _sector_rows(cur, sector, period, filters)
    out = _block(sector, total)
    if sector == "greenhouse":
        out["by_crop"] = by_crop(cur, period, filters)
    return out


def by_crop(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict:
    """Per crop: a plot's area is its largest area while growing that crop."""
    return _by_crop_many(cur, (period,), filters)[0]


def _by_crop_many(cur: Cursor, periods: Sequence[Period], filters: Filters) -> list[dict]:
    years = _whole_years(periods)
    if years and len(periods) > 1:
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
    rows = {s: _sector_rows_many(cur, s, periods, filters) for s in contract.SECTOR_KEYS}
    crops = _by_crop_many(cur, periods, filters)
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


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_completeness(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Which months of the period every expected unit has reported (issue 9.3).

    口径: a month is **complete** when every unit that reported in the previous month has
    reported in it. One row per month of the period with any record (the months of
    :func:`monthly`), ascending. Columns: ``month`` ('YYYY-MM'); ``reported`` (units with a
    record); ``expected`` (units that reported the month before; the month before the
    period counts); ``missing`` (of those, units without a record this month);
    ``missing_cooperatives`` (their cooperatives); ``missing_stock`` (their stock in the
    month before, 羽 or 头; 0 for plots, which have no stock); ``complete`` (missing == 0).
    The filters select units as everywhere (town, cooperative, village, zone).

    Charts draw the latest month distinctly when it is not complete
    (``analytics.meeting.charts``, ``completeness=``): stock carried from those units' last report,
    which is also what the stock card counts for them.
    """
    s = contract.sector(sector)
    has_stock = "stock" in _shape(sector).lasts
    before = date(period.start.year - (period.start.month == 1), (period.start.month - 2) % 12 + 1, 1)
    params: list = [before, period.end]
    unit_filter = ""
    clauses, fparams = _unit_where(filters)
    if clauses:
        unit_filter = (f" AND m.unit_id IN (SELECT u.unit_id FROM units u LEFT JOIN cooperatives c "
                       f"ON c.name = u.cooperative WHERE u.sector = '{s.key}' AND {' AND '.join(clauses)})")
        params += fparams
    stock = "m.stock" if has_stock else "CAST(NULL AS DOUBLE)"
    # Months as integers (year * 12 + month - 1): "the month after" is + 1 in DuckDB and Spark alike.
    rows = cur.execute(f"""
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
        WHERE c.mi >= ? ORDER BY c.mi""", params + [_month_index(period.start)]).fetchall()
    out = pd.DataFrame(rows, columns=["mi", "reported", "expected", "missing", "missing_cooperatives",
                                      "missing_stock"])
    out.insert(0, "month", [f"{int(mi) // 12:04d}-{int(mi) % 12 + 1:02d}" for mi in out["mi"]])
    out = out.drop(columns="mi").astype({c: "int64" for c in ("reported", "expected", "missing",
                                                                "missing_cooperatives")})
    out["missing_stock"] = out["missing_stock"].astype(float).round().astype("int64")
    out["complete"] = out["missing"] == 0
    return out


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


def yoy(current: float | None, previous: float | None) -> float | None:
    """Year-on-year change as a fraction; None when there is no base to compare with."""
    if current is None or previous is None or not previous:
        return None
    return (current - previous) / abs(previous)


# --- time, reporting status, targets: from coop_months, kept on write -------------------

def available_months(cur: Cursor) -> list[str]:
    """Months with any record, 'YYYY-MM', ascending (from coop_months, not a scan)."""
    rows = cur.execute("""SELECT DISTINCT strftime(month, '%Y-%m') AS m FROM coop_months
                          WHERE n_records > 0 ORDER BY m""").fetchall()
    return [r[0] for r in rows]


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
        uc, p = _unit_where(Filters(villages=filters.villages, zones=filters.zones), "fu")
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


# --- scoped cache versions ---------------------------------------------------------------

def _scope_of(fn_name: str, args: Sequence[Any]) -> tuple[tuple[str, ...], date | None, date | None, Filters]:
    """Which sectors, months and filters a KPI function call reads (for cache keys)."""
    sectors = tuple(a for a in args if isinstance(a, str) and a in contract.SECTORS) or contract.SECTOR_KEYS
    filters = next((a for a in args if isinstance(a, Filters)), Filters())
    periods = [a for a in args if isinstance(a, Period)]
    periods += [p for a in args if isinstance(a, tuple) for p in a if isinstance(p, Period)]
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
