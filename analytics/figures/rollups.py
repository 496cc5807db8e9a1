"""The rollups, the write side of the figures: per-unit chunks of every KPI kept on each accepted upload.

A *chunk* is what one unit did over some months; chunks merge associatively (see
:mod:`.kpis`). ``unit_month_<sector>`` and ``unit_year_<sector>`` are kept on write
(:func:`rebuild_rollups`, :func:`refresh_rollups`), called by the store's single writer
(:mod:`analytics.store.db`) and its migrations. The read side (:mod:`.kpis`) builds on the same SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from .. import contract
from ..scope import UNASSIGNED_TOWN, Cursor


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
    cooperative's town changes: rollups.retown_rollups)."""
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
    """Per unit and month (the records as chunks, with integer unit ids, in month order, and
    the :data:`FLAGS` saying whether the unit reported a month and a year before and after) and
    per unit and year for every sector; plots also per unit, year and crop (by_crop and the
    per-crop comparison need a plot's largest area while growing each crop)."""
    out = [Rollup(f"unit_month_{s}", s, None) for s in contract.SECTOR_KEYS]
    out += [Rollup(f"unit_year_{s}", s, ()) for s in contract.SECTOR_KEYS]
    return out + [Rollup("unit_year_greenhouse_crop", "greenhouse", ("crop",))]


# Whether a unit that reported in a month also reported in the month ``offset`` months away
# (column -> offset), kept on each ``unit_month_<sector>`` row beside its chunk: a one-month
# 环比 / 同比 over the units in both months is then a plain scan of each month's rows with the
# flag as a filter (figures.compare), not a join of two months' per-unit rows (issue 19.6).
# A write to a unit recomputes every row of that unit (refresh_rollups), so the flags of the
# months around a written month (m ± 1, m ± 12) stay right.
FLAGS: dict[str, int] = {"prev_month_reported": -1, "next_month_reported": 1,
                         "prev_year_reported": -12, "next_year_reported": 12}


# The same for ``unit_year_<sector>`` rows (column -> offset in years): whether the unit also
# reported in the year before and the year after, so a whole year's 同比 over the units in both
# years reads the year groups (figures.compare) instead of joining two years' per-unit rows.
YEAR_FLAGS: dict[str, int] = {"prev_year_reported": -1, "next_year_reported": 1}


def flag_column(months: int) -> str:
    """The ``unit_month_<sector>`` flag saying the unit reported ``months`` months away
    (−1, 1, −12 or 12). Raises KeyError for another distance."""
    return {v: k for k, v in FLAGS.items()}[months]


def _flag_columns(m: str = "m", flags: dict[str, int] = FLAGS, order: str = "mi") -> list[str]:
    """The FLAGS (or YEAR_FLAGS, ``order`` "year") as window counts over a unit's month index
    (year): RANGE frames of a fixed integer distance (DuckDB and Spark alike); > 0 is 'it did'."""
    out = []
    for name, k in flags.items():
        frame = f"{-k} PRECEDING AND {-k} PRECEDING" if k < 0 else f"{k} FOLLOWING AND {k} FOLLOWING"
        out.append(f"count(*) OVER (PARTITION BY {m}.unit_id ORDER BY {m}.{order} RANGE BETWEEN {frame}) > 0 AS {name}")
    return out


def _rollup_select(r: Rollup, where: str = "") -> str:
    if r.keys is None:
        cols = [f"m.{c}" for c in _chunk_columns(r.sector)] + _flag_columns()
        return (f"SELECT {', '.join(cols)} FROM (SELECT c.*, year(c.last_month) * 12 + month(c.last_month) - 1 AS mi "
                f"FROM ({_record_chunks(r.sector, where)}) c) m")
    keys = ["unit_id", "year", *r.keys]
    aggs = _merge_aggregates(r.sector, keys)
    by = ", ".join(f"m.{k}" for k in keys)
    # Columns in chunk order, so rollup rows and record chunks UNION ALL by position.
    named = {a.rsplit(" AS ", 1)[1]: a for a in aggs}
    cols = [f"m.{c}" if c in keys else named[c] for c in _chunk_columns(r.sector)]
    merged = f"SELECT {', '.join(cols)} FROM ({_record_chunks(r.sector, where)}) m GROUP BY {by}"
    return f"SELECT y.*, {', '.join(_flag_columns('y', YEAR_FLAGS, 'year'))} FROM ({merged}) y"


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


GAPS_TABLE = "unit_month_gaps"


def _gaps_select(sector: str, where: str = "") -> str:
    """The months a unit fell silent: one row per (unit, month index ``mi``) where the unit
    reported in month ``mi - 1`` but not in ``mi``, with its stock of ``mi - 1`` (羽 or 头;
    NULL for plots), its cooperative and ``until_mi``, the month it reported again (NULL: not
    yet), so a gap spans months ``mi`` to ``until_mi - 1``.

    Months are integers (year * 12 + month - 1), so "the month after" is ``+ 1`` in DuckDB and
    Spark alike. Built from ``unit_month_<sector>`` (one row per unit and month reported), so it
    must run after that rollup; ``where`` restricts the units (a clause on ``m.unit_id``).
    Small: a gap per unit that stopped or skipped a month, a few per cent of the unit-months.
    """
    s = contract.sector(sector)
    stock = "m.stock" if "stock" in _shape(sector).lasts else "CAST(NULL AS DOUBLE)"
    return f"""SELECT '{s.key}' AS sector, g.unit_id AS unit_id, u.cooperative AS cooperative,
                      g.mi + 1 AS mi, g.stock AS stock, g.next_mi AS until_mi
               FROM (SELECT m.unit_id AS unit_id, year(m.last_month) * 12 + month(m.last_month) - 1 AS mi,
                            {stock} AS stock,
                            lead(year(m.last_month) * 12 + month(m.last_month) - 1)
                              OVER (PARTITION BY m.unit_id ORDER BY m.last_month) AS next_mi
                     FROM unit_month_{s.key} m{f" WHERE {where}" if where else ""}) g
               JOIN units u ON u.unit_id = g.unit_id AND u.sector = '{s.key}'
               WHERE g.next_mi IS NULL OR g.next_mi <> g.mi + 1"""


@dataclass(frozen=True)
class Grouping:
    """Units added up per town and cooperative, kept on write beside the rollup they add up:
    ``month_groups_<sector>`` (per month, crop for plots, and the month rollups' :data:`FLAGS`),
    ``year_groups_<sector>`` (per year and the year rollups' :data:`YEAR_FLAGS`) and
    ``year_groups_greenhouse_crop`` (per year, crop and those flags)."""

    table: str
    sector: str
    source: Rollup

    @property
    def grain(self) -> str:
        """'month' or 'year': the key column besides town and cooperative."""
        return "month" if self.source.keys is None else "year"


def groupings() -> list[Grouping]:
    """A grouping of every rollup: the month rollups' per month, the year rollups' per year."""
    return [Grouping(f"{'month' if r.keys is None else 'year'}_groups_{r.table.split('_', 2)[2]}", r.sector, r)
            for r in rollups()]


def groups_table(sector: str, grain: str = "month", crop: bool = False) -> str:
    """The name of a sector's groups per ``grain`` ('month' or 'year'); ``crop``: plots per year
    and crop. Raises KeyError for another."""
    s = contract.sector(sector).key
    return {g.table: g.table for g in groupings()}[f"{grain}_groups_{s}" + ("_crop" if crop else "")]


def group_measures(sector: str) -> list[str]:
    """The sums each groups row keeps, besides ``n`` (units): every flow, peak and numeric last
    value of the sector's chunks (a month's are the record's values; a year's the year rollup's:
    flows summed, peaks and stock of the year), ``stock_units`` / ``sows_units`` (units that
    reported it), ``profit`` (元), ``land`` (亩: a plot's area, a shed's or farm's registered
    land_mu, where > 0), ``land_units`` (units with land), ``rl``, ``pl`` (revenue and profit of the
    units with land: the per-mu numerators) and for plots ``yl`` (their yield)."""
    sh = _shape(sector)
    lasts = [k for k in sh.lasts if k in ("stock", "sows")]
    out = [*sh.sums, *(k for k, _ in sh.peaks), *lasts, *(f"{k}_units" for k in lasts), "profit", "land",
           "land_units", "rl", "pl"]
    return out + (["yl"] if "area_mu" in out else [])


def _groups_select(g: Grouping, where: str = "") -> str:
    """A grouping's rows: its rollup's units added up per (month, town, cooperative, [crop,] flags)
    or per (year, town, cooperative, [crop]), each with ``n`` units and the sums of
    :func:`group_measures`.

    A month's per-unit rows are its month rollup rows (one per unit), and a calendar year's its
    year rollup rows, so the sums any question about one month or whole years asks without a
    village, zone or unit filter (a one-month 环比 / 同比 over the units in both months, sector
    totals by town or crop, the 能繁母猪 per town) are sums of these groups: a few per cooperative
    instead of one per unit (issue 19.6). Built from the rollup, so it runs after it; the unit's
    cooperative and registered land come from ``units`` (registry.update_units regroups the
    cooperative of a unit whose land it corrects). ``where`` restricts the cooperatives (on ``u``).
    Integer sums are BIGINT (a park's units fit), not the HUGEINT ``sum`` gives; other sums are
    added as decimals (to 10⁻⁶ of the unit: 元, 公斤, 亩) and kept as DOUBLE, so a group refreshed on
    write equals the same group rebuilt bit for bit, whatever order its units are read in (a
    float sum is not: an undo must put every table back exactly).
    """
    s, r = contract.sector(g.sector), g.source
    types = {c.key: c.sql_type for c in s.measures} | {"jobs": "BIGINT"}
    if r.keys is None:
        crop = ["m.crop AS crop"] if "crop" in _shape(g.sector).lasts else []
        keys = ["m.last_month AS month", "m.town AS town", "u.cooperative AS cooperative", *crop,
                *(f"m.{f} AS {f}" for f in FLAGS)]
    else:
        keys = ["m.year AS year", "m.town AS town", "u.cooperative AS cooperative", *(f"m.{k} AS {k}" for k in r.keys),
                *(f"m.{f} AS {f}" for f in YEAR_FLAGS)]
    area = "m.area_mu" if "area_mu" in types else "u.land_mu"
    profit = "coalesce(m.revenue, 0) - coalesce(m.cost, 0)"
    expr = {"profit": profit, "land": f"CASE WHEN {area} > 0 THEN {area} END",
            "yl": f"CASE WHEN {area} > 0 THEN m.yield_kg END", "rl": f"CASE WHEN {area} > 0 THEN m.revenue END",
            "pl": f"CASE WHEN {area} > 0 THEN {profit} END"}
    sums = []
    for k in group_measures(g.sector):
        if k == "land_units":
            sums.append(f"count(CASE WHEN {area} > 0 THEN 1 END) AS {k}")
        elif k.endswith("_units"):
            sums.append(f"count(m.{k.removesuffix('_units')}) AS {k}")
        elif types.get(k) == "BIGINT":
            sums.append(f"CAST(sum(m.{k}) AS BIGINT) AS {k}")
        else:  # exact decimal sums: a group's figure does not depend on the order its units come in
            sums.append(f"CAST(sum(CAST({expr.get(k, f'm.{k}')} AS DECIMAL(38, 6))) AS DOUBLE) AS {k}")
    group = ", ".join(k.rsplit(" AS ", 1)[0] for k in keys)
    return (f"SELECT {', '.join(keys)}, count(*) AS n, {', '.join(sums)} "
            f"FROM {r.table} m JOIN units u ON u.unit_id = m.unit_id AND u.sector = '{s.key}'"
            + (f" WHERE {where}" if where else "") + f" GROUP BY {group}")


def groups_rebuild_sql() -> list[str]:
    """Statements that (re)build every grouping from its rollup."""
    return [f"CREATE OR REPLACE TABLE {g.table} AS SELECT * FROM ({_groups_select(g)}) g "
            f"ORDER BY {g.grain}, town, cooperative" for g in groupings()]


def regroup(cur: Cursor, sector: str, among: str, params: Sequence = ()) -> None:
    """Recompute the groups of some cooperatives (``among``: SQL selecting their names, or
    placeholders for ``params``), from their rollup rows and units as they are now."""
    where = f"u.cooperative IN ({among})"
    for g in groupings():
        if g.sector != sector:
            continue
        cur.execute(f"DELETE FROM {g.table} WHERE cooperative IN ({among})", list(params)).fetchall()
        cur.execute(f"INSERT INTO {g.table} {_groups_select(g, where)}", list(params)).fetchall()


def gaps_rebuild_sql() -> list[str]:
    """The statement that (re)builds :data:`GAPS_TABLE` from the month rollups."""
    parts = " UNION ALL ".join(_gaps_select(s) for s in contract.SECTOR_KEYS)
    return [f"CREATE OR REPLACE TABLE {GAPS_TABLE} AS SELECT * FROM ({parts}) g ORDER BY mi, sector, unit_id"]


def _rollup_rebuild(r: Rollup) -> str:
    order = "last_month, unit_id" if r.keys is None else "year, unit_id"
    return f"CREATE OR REPLACE TABLE {r.table} AS {_rollup_select(r)} ORDER BY {order}"


def year_rollups_rebuild_sql() -> list[str]:
    """Statements that (re)build ``unit_year_<sector>`` (with its :data:`YEAR_FLAGS`) from the records."""
    return [_rollup_rebuild(r) for r in rollups() if r.keys is not None]


def month_rollups_rebuild_sql() -> list[str]:
    """Statements that (re)build ``unit_month_<sector>`` (with its :data:`FLAGS`) from the records."""
    return [_rollup_rebuild(r) for r in rollups() if r.keys is None]


def rollup_rebuild_sql(version: int) -> list[str]:
    """Statements that (re)build every rollup from the records; ``version`` stamps coop_months."""
    stmts = [_rollup_rebuild(r) for r in rollups()]
    parts = [_coop_months_select(s, f"CAST({int(version)} AS BIGINT)") for s in contract.SECTOR_KEYS]
    stmts.append(f"""CREATE OR REPLACE TABLE coop_months AS
                     SELECT * FROM ({' UNION ALL '.join(parts)}) cm ORDER BY month, sector, cooperative""")
    return stmts + gaps_rebuild_sql() + groups_rebuild_sql()


def rebuild_rollups(cur: Cursor, version: int) -> None:
    """Rebuild every table kept on write (``unit_month_*``, ``unit_year_*``, ``coop_months``, the
    gaps and the month groups) from the records (demo load, unknown writes)."""
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
            ids = (f"SELECT unit_id FROM _chg WHERE unit_id IS NOT NULL UNION SELECT u.unit_id FROM units u "
                   f"JOIN _chg c ON u.sector = '{s.key}' AND u.cooperative = c.cooperative AND u.unit = c.unit")
            cur.execute(f"DELETE FROM {GAPS_TABLE} WHERE sector = '{s.key}' AND unit_id IN ({ids})").fetchall()
            cur.execute(f"INSERT INTO {GAPS_TABLE} {_gaps_select(sector, f'm.unit_id IN ({ids})')}").fetchall()
            # Every month of a touched unit may change (its flags), so its cooperative's groups
            # are recomputed whole: a cooperative's few hundred rows.
            regroup(cur, sector, "SELECT DISTINCT cooperative FROM _chg")
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


def touched_months(changes: Changes) -> list:
    """The months (dates) whose records a scoped write touched, over every sector."""
    return sorted({m for k in changes.keys.values() for m in pd.to_datetime(k["month"]).dt.date})


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
    for s in contract.SECTOR_KEYS:  # the groups take the town from the month rollups just updated
        regroup(cur, s, ", ".join("?" * len(params)), params)


def _in(expr: str, values: Sequence) -> tuple[str, list]:
    return f"{expr} IN ({', '.join('?' * len(values))})", list(values)
