"""环比 and 同比 on a comparable basis, the coverage behind them, and which way is good.

口径 (DESIGN.md §5, README "Definitions"):
- **环比** compares a one-month period with the month before; **同比** compares a period with
  the same months a year earlier (:meth:`Period.previous_year`). A period reaching past the
  latest month with data is cut at that month first (:func:`with_data`), so a year in progress
  (1—N月) is compared with 1—N月 of the year before, never with a whole year.
- Both are computed over the **units that reported in both periods** (a unit id with at least
  one record in each): flows (revenue, cost, eggs, ...) summed over each period's months, stocks
  at each period's end (a unit's last report in the period), peaks (jobs, area) per period, all
  by the per-unit step of :mod:`.kpis` (the same SQL on the DuckDB file, the lake and Spark).
  A late unit or a sector that has not reported yet therefore changes nothing; the coverage
  says how many reported.
- A sector with no unit in the period is 未报: its changes are None, never 0 or −100 %; a change
  is None too when no unit reported in both periods, the base is 0, or either side is a loss.
- Each measure declares whether up is good (:data:`UP_IS_GOOD`); cards, tables and the deck
  colour a change by that, not by its sign.
"""

from __future__ import annotations

from datetime import date

from .. import contract, fmt
from ..scope import Cursor, Filters, Period, month_index, month_str
from . import rollups
from .completeness import silent
from .kpis import _BLOCK_SUMS, _cooperative_where, _per_unit, _unit_where, group_where

# Whether a rise is good news, per measure (issue 19.3): the one place cards, tables and the deck
# read. Output, money earned, stock, jobs and per-mu figures up is good; cost, deaths and feed per
# unit of output up is bad.
UP_IS_GOOD: dict[str, bool] = {
    "units": True, "stock": True, "sows": True, "eggs": True, "sold_head": True, "area_mu": True,
    "yield_kg": True, "revenue": True, "profit": True, "jobs": True, "land_mu": True,
    "yield_kg_per_mu": True, "output_value_per_mu": True, "profit_per_mu": True,
    "eggs_per_bird": True, "profit_per_head": True, "profit_per_shed": True,
    "cost": False, "deaths": False, "feed_kg": False, "monthly_mortality_permille": False,
    "feed_per_egg": False, "feed_per_kg": False,
}


def delta_color(measure: str) -> str:
    """``st.metric``'s delta_color for a measure: 'normal' (up green) or 'inverse' (up red).

    Raises KeyError for a measure not declared in :data:`UP_IS_GOOD`: every coloured change
    must have said which way is good."""
    return "normal" if UP_IS_GOOD[measure] else "inverse"


def is_good(measure: str, change: float | None) -> bool | None:
    """Whether a change is good news (None: no change, or no comparison)."""
    if change is None or change == 0:
        return None
    return (change > 0) == UP_IS_GOOD[measure]


def month_before(period: Period) -> Period | None:
    """The 环比 base of a one-month period (the month before); None for longer periods."""
    if period.start != period.end:
        return None
    prev = _prev_month(period.start)
    return Period(prev, prev)


def _prev_month(m: date) -> date:
    return date(m.year - (m.month == 1), (m.month - 2) % 12 + 1, 1)


def latest_month(cur: Cursor) -> date | None:
    """The latest month with any accepted record (coop_months, kept on write)."""
    row = cur.execute("SELECT max(month) FROM coop_months WHERE n_records > 0").fetchone()
    return row[0] if row and row[0] is not None else None


# The landing month needs at least this share of a sector's units of the months before it.
LANDING_SHARE = 0.5


def landing_month(cur: Cursor) -> str | None:
    """The month the dashboard opens on (本月): the latest month in which a reasonable share of
    some sector's units reported, 'YYYY-MM' (None for an empty store).

    A month qualifies when, in at least one sector, the units that reported it are at least
    :data:`LANDING_SHARE` of the most units that sector had in any of its 12 reported months
    before (months with its data, however far back: after a year without reports the sector's
    last months still count); the first month of a sector's data qualifies. So a month where one
    cooperative of a sector has reported early, or a new small cooperative after a long gap, does
    not become the landing view (its figures would be a sliver of the park), while a month one
    whole sector has reported does (the others show 未报). Read from coop_months (units per
    cooperative and month, kept on write).
    """
    rows = cur.execute("""SELECT sector, year(month) * 12 + month(month) - 1 AS mi, sum(n_records) AS n
                          FROM coop_months WHERE n_records > 0 GROUP BY sector, year(month) * 12 + month(month) - 1
                          ORDER BY mi""").fetchall()
    if not rows:
        return None
    by_sector: dict[str, list[tuple[int, int]]] = {}
    for sector, mi, n in rows:
        by_sector.setdefault(sector, []).append((int(mi), int(n)))
    ok = []
    for months in by_sector.values():  # in month order
        for i, (mi, n) in enumerate(months):
            before = [m for _, m in months[max(0, i - 12):i]]
            if n >= LANDING_SHARE * max(before, default=0):
                ok.append(mi)
    mi = max(ok)
    return f"{mi // 12:04d}-{mi % 12 + 1:02d}"


def with_data(period: Period, latest: date | None) -> Period:
    """The period cut at the latest month with data (a year in progress is 1—N月)."""
    if latest is None or period.end <= latest or period.start > latest:
        return period
    return Period(period.start, latest)


_TOWN_MEASURES = ("revenue", "cost", "profit")


def _measures(sector: str) -> list[str]:
    return [*_BLOCK_SUMS[sector], "revenue", "cost", "profit", "jobs"]


def _change(now: float | None, base: float | None) -> float | None:
    """(now − base) / base; None without both figures, against 0, or where either is a loss:
    a percentage between a loss and a profit (or two losses) reads backwards (+282.8 % for
    −3.2 万 → 5.9 万), so cards, tables and the deck alike give none (the deck's 口径 note:
    上年无数据或为亏损时不列)."""
    if now is None or base is None or not base or base < 0 or now < 0:
        return None
    return (now - base) / base


# Where a loss stands in the way of a percentage (:func:`_change` gives none), the words a report
# uses instead: key -> (中文, English, good news?).
TURNS: dict[str, tuple[str, str, bool]] = {
    "to_profit": ("扭亏为盈", "back in profit", True), "to_loss": ("由盈转亏", "into a loss", False),
    "narrower": ("减亏", "smaller loss", True), "wider": ("增亏", "larger loss", False)}


def turn(now: float | None, base: float | None) -> str | None:
    """The :data:`TURNS` key of a change with a loss on either side (profit, per-mu profit), else None."""
    if now is None or base is None or (now >= 0 and base >= 0):
        return None
    if base < 0 <= now:
        return "to_profit"
    if now < 0 <= base:
        return "to_loss"
    return "narrower" if now > base else "wider" if now < base else None


def turn_text(key: str | None, lang: str = "zh") -> str | None:
    """The words of a :data:`TURNS` key in ``lang`` (None for None)."""
    return None if key is None else TURNS[key][0 if lang == "zh" else 1]


# The distances (months) between a one-month period and its base that the month rollups'
# flags answer (rollups.FLAGS): 环比 (1) and 同比 (12). Emptied, every comparison joins
# (the tests and bench/pages.py compare the two ways).
FLAG_DISTANCES: tuple[int, ...] = (1, 12)


def _flag_distance(period: Period, base: Period, filters: Filters) -> int | None:
    """Months from ``base`` to ``period`` when the flags answer the comparison: both single
    months a distance in :data:`FLAG_DISTANCES` apart (the month rollups' flags), or two whole
    years one after the other (12 in it: the year rollups'), and no village/zone/unit filter
    (those select units by their attributes, a semi-join over the units either way: they keep
    the join, the path they are tested on). Else None."""
    if filters.by_unit_attribute:
        return None
    k = month_index(period.start) - month_index(base.start)
    if period.is_month and base.is_month:
        return k if k in FLAG_DISTANCES else None
    if period.is_full_year and base.is_full_year and k == 12:
        return k if k in FLAG_DISTANCES else None
    return None


def _sums(sector: str, side: str) -> list[str]:
    """The sums of one side's per-unit rows (alias ``side``), named ``<side>_<measure>``."""
    cols = [f"sum({side}.{m}) AS {side}_{m}" for m in _measures(sector)]
    if sector == "greenhouse":
        cols += [f"sum({side}.land) AS {side}_land",
                 *(f"sum(CASE WHEN {side}.land IS NOT NULL THEN {side}.{m} END) AS {side}_{k}"
                   for k, m in (("yl", "yield_kg"), ("rl", "revenue"), ("pl", "profit")))]
    return cols


def _joined_rows(cur: Cursor, sector: str, period: Period, base: Period, filters: Filters,
                 by_town: bool) -> tuple[list[tuple], list[str]]:
    """The comparison's rows by a join of the two periods' per-unit rows (any periods).

    Returns (rows of (n in period, n in base, town, n in both, *sums), the sums' names)."""
    a_sql, a_params = _per_unit(sector, period, filters, attrs=False)
    b_sql, b_params = _per_unit(sector, base, filters, attrs=False)
    cols = [c for pair in zip(_sums(sector, "a"), _sums(sector, "b"), strict=True) for c in pair]
    rows = cur.execute(f"""
        WITH a AS ({a_sql}), b AS ({b_sql})
        SELECT na.n, nb.n, j.*
        FROM (SELECT count(*) AS n FROM a) na
        CROSS JOIN (SELECT count(*) AS n FROM b) nb
        LEFT JOIN (SELECT {'a.town' if by_town else "''"} AS town, count(*) AS n_both, {', '.join(cols)}
                   FROM a JOIN b ON a.unit_id = b.unit_id{' GROUP BY a.town' if by_town else ''}) j ON 1 = 1
        ORDER BY j.town""", a_params + b_params).fetchall()
    return rows, [c.rsplit(" AS ", 1)[1] for c in cols]


def _flagged_many(cur: Cursor, sector: str, period: Period, bases: dict[int, Period], filters: Filters,
                  by_town: bool) -> dict[int, tuple[list[tuple], list[str]]]:
    """:func:`_joined_rows` of a single month against single-month bases ``{k: base}`` (``k``
    months before it: 1 for 环比, 12 for 同比), from the month rollups' flags (rollups.FLAGS, kept
    on write), or of a whole year against the year before (``{12: base}``, rollups.YEAR_FLAGS):
    the units in both are the period's rows flagged "reported k months before" and the base's
    rows flagged "reported k months after".

    The months (years) are read in one query from the groups (rollups.groupings, kept on write:
    units added up per town, cooperative and flags): one row per month (year) and town with the
    sums over its flagged units, a few hundred values, no join.
    Same columns, same figures (up to the order floats are added in); a unit's town is the same
    in every month, so towns match across sides."""
    town = "x.town" if by_town else "''"
    ks = sorted(bases)
    names = _measures(sector) + (["land", "yl", "rl", "pl"] if sector == "greenhouse" else [])
    extra, params = group_where(filters, "g")
    # One month against months, or one whole year against the year before (the year groups,
    # whose flags say "reported the year before / after": the same names as 12 months').
    grain = "month" if period.is_month else "year"
    at = {k: (b.start if period.is_month else b.start.year) for k, b in bases.items()}
    now = period.start if period.is_month else period.start.year
    # f<k>: in the period's rows "reported k months before", in a base's rows "k months after";
    # each month and town is one row with its sums over the flagged units, for every k.
    flags = ", ".join(f"CASE WHEN g.{grain} = ? THEN g.{rollups.flag_column(-k)} "
                      f"ELSE g.{rollups.flag_column(k)} END AS f{k}" for k in ks)
    sums = ", ".join(f"sum(CASE WHEN x.f{k} THEN x.{m} END)" for k in ks for m in ["n", *names])
    marks = ", ".join("?" * (1 + len(ks)))
    got = cur.execute(f"""SELECT x.{grain}, {town} AS town, sum(x.n), {sums}
                          FROM (SELECT g.*, {flags} FROM {rollups.groups_table(sector, grain)} g
                                WHERE g.{grain} IN ({marks}){extra}) x
                          GROUP BY x.{grain}, {town} ORDER BY 2""",
                      [*(now for _ in ks), now, *(at[k] for k in ks), *params]).fetchall()
    width = 1 + len(names)
    aliases = [x for m in names for x in (f"a_{m}", f"b_{m}")]

    def side(key: object, i: int) -> tuple[int, dict[str, tuple]]:
        """(units in the month or year, {town: (units flagged f<ks[i]>, *sums over them)})."""
        rows = [r for r in got if r[0] == key]
        return sum(int(r[2]) for r in rows), {r[1]: r[3 + i * width:3 + (i + 1) * width] for r in rows}

    out = {}
    for i, k in enumerate(ks):
        n_now, a_by = side(now, i)
        n_base, b_by = side(at[k], i)
        empty = (None,) * width
        rows = []
        for t in sorted(set(a_by) | set(b_by)):
            a, b = a_by.get(t, empty), b_by.get(t, empty)
            rows.append((n_now, n_base, t, int(a[0] or 0),
                         *(x for pair in zip(a[1:], b[1:], strict=True) for x in pair)))
        if not rows:  # nothing in either month: one empty row, as the join gives
            rows = [(0, 0, None, 0, *(None for _ in aliases))]
        out[k] = (rows, aliases)
    return out


def comparable(cur: Cursor, sector: str, period: Period, base: Period,
               filters: Filters = Filters(), by_town: bool = False) -> dict:
    """One sector's figures over the units that reported in both ``period`` and ``base``.

    Returns ``{"units": n reported in period, "units_base": n in base, "units_both": n in both,
    "now": {measure: value}, "base": {measure: value}, "change": {measure: fraction or None},
    "turn": {measure: a :data:`TURNS` key where a loss is on either side, else None}}``;
    measures as in the KPI block (money in 元, stock in 羽/头, area in 亩, yield in 公斤); for
    plots also the per-mu ratios over the plots in both (元/亩, 公斤/亩). ``now``/``base`` hold
    None when no unit reported in both. With ``by_town``, also ``"by_town"``: {town: {"units_both",
    "now", "base", "change"}} of revenue, cost and profit (元), each unit in the town of its row
    in ``period`` (未分配乡镇 without one; towns with no unit in both left out): the sector's
    figures are the sums of its towns. The SQL is the per-unit step of :mod:`.kpis`, so it runs
    unchanged over the lake and (transpiled) on Spark.

    A single month against the month before or the same month a year earlier, or a whole year
    against the year before (no village/zone filter), reads the groups kept on write by the
    rollups' flags, no join; any other pair of periods joins the two periods' per-unit rows.
    Both give the same figures.
    """
    return _comparables(cur, sector, period, {"base": base}, filters, by_town)["base"]


def _comparables(cur: Cursor, sector: str, period: Period, bases: dict[str, Period | None], filters: Filters,
                 by_town: bool) -> dict[str, dict | None]:
    """:func:`comparable` of ``period`` against each base (None: no comparison); the bases the
    flags answer share one read of the period's rows (:func:`_flagged_many`)."""
    flagged = {k: b for b in bases.values() if b is not None
               and (k := _flag_distance(period, b, filters)) is not None}
    got = _flagged_many(cur, sector, period, flagged, filters, by_town) if flagged else {}
    out: dict[str, dict | None] = {}
    for name, b in bases.items():
        if b is None:
            out[name] = None
            continue
        k = _flag_distance(period, b, filters)
        rows, names = got[k] if k is not None else _joined_rows(cur, sector, period, b, filters, by_town)
        out[name] = _compared(sector, rows, names, by_town)
    return out


def _compared(sector: str, rows: list[tuple], names: list[str], by_town: bool) -> dict:
    """:func:`comparable`'s answer from the rows of :func:`_joined_rows` or :func:`_flagged_many`."""
    measures = _measures(sector)
    towns = [(town, int(n or 0), dict(zip(names, values, strict=True)))
             for _, _, town, n, *values in rows if town is not None]
    n_now, n_base = rows[0][0], rows[0][1]
    both = sum(n for _, n, _ in towns)
    got = {}
    for name in names:  # the sector's sums are its towns' (exact for counts; floats added in town order)
        vals = [g[name] for _, _, g in towns if g[name] is not None]
        got[name] = sum(vals) if vals else None

    def value(side: str, m: str) -> float | None:
        v = got[f"{side}_{m}"]
        return None if not both else float(v or 0)

    now = {m: value("a", m) for m in measures}
    was = {m: value("b", m) for m in measures}
    if sector == "greenhouse":
        for side, out in (("a", now), ("b", was)):
            land = float(got[f"{side}_land"] or 0)
            for key, num in (("yield_kg_per_mu", "yl"), ("output_value_per_mu", "rl"), ("profit_per_mu", "pl")):
                out[key] = float(got[f"{side}_{num}"] or 0) / land if both and land else None
    out = {"units": int(n_now or 0), "units_base": int(n_base or 0), "units_both": both,
           "now": now, "base": was, "change": {m: _change(now[m], was[m]) for m in now},
           "turn": {m: turn(now[m], was[m]) for m in now}}
    if by_town:
        out["by_town"] = {}
        for town, n, g in towns:
            if not n:
                continue
            tn = {m: float(g[f"a_{m}"] or 0) for m in _TOWN_MEASURES}
            tb = {m: float(g[f"b_{m}"] or 0) for m in _TOWN_MEASURES}
            out["by_town"][town] = {"units_both": n, "now": tn, "base": tb,
                                    "change": {m: _change(tn[m], tb[m]) for m in tn},
                                    "turn": {m: turn(tn[m], tb[m]) for m in tn}}
    return out


def sector_comparison(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> dict:
    """One sector's part of :func:`comparisons`: ``{"period", "mom_base", "yoy_base", "latest",
    "mom": comparable(...) or None, "yoy": comparable(...)}`` (a sector page's cards)."""
    latest = latest_month(cur)
    p = with_data(period, latest)
    bases = {"mom": month_before(p), "yoy": p.previous_year()}
    return {"period": p, "mom_base": bases["mom"], "yoy_base": bases["yoy"],
            "latest": month_str(latest) if latest else None,
            **_comparables(cur, sector, p, bases, filters, False)}


def comparisons(cur: Cursor, period: Period, filters: Filters = Filters(), by_town: bool = False) -> dict:
    """环比 and 同比 of every sector and of the park total, on a comparable basis.

    Returns ``{"period": Period compared (cut at the latest month with data), "mom_base": Period
    or None (one-month periods only), "yoy_base": Period, "latest": 'YYYY-MM' or None,
    "<sector>": {"mom": comparable(...) or None, "yoy": comparable(...)}, "total": {"mom", "yoy"}}``;
    the total's ``now``/``base``/``change`` cover revenue, cost, profit and jobs over the units in
    both periods of every sector, and its ``units*`` add the sectors' counts. With ``by_town``
    (a store of several towns), each ``comparable`` and the total carry ``by_town`` too, the
    total's adding the sectors' (revenue, cost, profit: the by-town table's 环比/同比 column).
    """
    latest = latest_month(cur)
    p = with_data(period, latest)
    bases = {"mom": month_before(p), "yoy": p.previous_year()}
    out: dict = {"period": p, "mom_base": bases["mom"], "yoy_base": bases["yoy"],
                 "latest": month_str(latest) if latest else None}
    for s in contract.SECTOR_KEYS:
        out[s] = _comparables(cur, s, p, bases, filters, by_town)
    out["total"] = {}
    for k in bases:
        if bases[k] is None:
            out["total"][k] = None
            continue
        parts = [out[s][k] for s in contract.SECTOR_KEYS]
        tot: dict = {"units": sum(c["units"] for c in parts), "units_base": sum(c["units_base"] for c in parts),
                     "units_both": sum(c["units_both"] for c in parts), "now": {}, "base": {}}
        for m in ("revenue", "cost", "profit", "jobs"):
            for side in ("now", "base"):
                vals = [c[side][m] for c in parts if c[side][m] is not None]
                tot[side][m] = sum(vals) if vals else None
        tot["change"] = {m: _change(tot["now"][m], tot["base"][m]) for m in tot["now"]}
        tot["turn"] = {m: turn(tot["now"][m], tot["base"][m]) for m in tot["now"]}
        towns: dict[str, dict] = {}
        for c in parts:
            for town, x in c.get("by_town", {}).items():
                t = towns.setdefault(town, {"units_both": 0, "now": dict.fromkeys(_TOWN_MEASURES, 0.0),
                                            "base": dict.fromkeys(_TOWN_MEASURES, 0.0)})
                t["units_both"] += x["units_both"]
                for m in _TOWN_MEASURES:
                    t["now"][m] += x["now"][m]
                    t["base"][m] += x["base"][m]
        for t in towns.values():
            t["change"] = {m: _change(t["now"][m], t["base"][m]) for m in _TOWN_MEASURES}
            t["turn"] = {m: turn(t["now"][m], t["base"][m]) for m in _TOWN_MEASURES}
        if by_town:
            tot["by_town"] = towns
        out["total"][k] = tot
    return out


def coverage(cur: Cursor, period: Period, filters: Filters = Filters(), sectors: tuple[str, ...] = ()) -> dict:
    """How complete a period is: units that reported in it against the units expected.

    Expected = units that reported in the period or in the month before it (a unit that
    reported last month is expected this month); for one month, the units that reported it and
    those silent since a report in the 12 months before (completeness.silent). Returns ``{"reported": n, "expected": n,
    "sectors_missing": [sector keys with no unit in the period but some the month before]}``,
    read from coop_months (kept on write); with village/zone filters from the per-unit rows.
    ``sectors``: count only those (a sector page's line); all when empty.
    """
    keys = [s for s in contract.SECTOR_KEYS if not sectors or s in sectors]
    before = Period(_prev_month(period.start), _prev_month(period.start))
    rep = exp = 0
    missing = []
    if period.is_month and not filters.by_unit_attribute:
        # From the tables kept on write: the month's units (coop_months) and the units that
        # reported the month before but not this one (unit_month_gaps).
        clauses, fparams = _cooperative_where("cooperative", filters)
        extra = "".join(f" AND {c}" for c in clauses)
        mi = month_index(period.start)
        got = dict.fromkeys(contract.SECTOR_KEYS, (0, 0))
        for sector, n_now, n_gone in cur.execute(f"""
                SELECT s.sector, coalesce(c.n, 0), coalesce(g.n, 0)
                FROM (SELECT DISTINCT sector FROM coop_months) s
                LEFT JOIN (SELECT sector, sum(n_records) AS n FROM coop_months
                           WHERE month = ? AND n_records > 0{extra} GROUP BY sector) c ON c.sector = s.sector
                LEFT JOIN (SELECT sector, count(*) AS n FROM {silent(mi, mi)} g
                           WHERE 1 = 1{extra} GROUP BY sector) g ON g.sector = s.sector""",
                                                 [period.start, *fparams, *fparams]).fetchall():
            got[sector] = (int(n_now), int(n_now) + int(n_gone))
        for s in keys:
            n_now, n_all = got[s]
            rep, exp = rep + n_now, exp + n_all
            if not n_now and n_all:
                missing.append(s)
        return {"reported": rep, "expected": exp, "sectors_missing": missing}
    for s in keys:
        a_sql, a_params = _per_unit(s, period, filters, attrs=False)
        if period.is_month:  # the month's units and the selected units silent in it (completeness.silent)
            clauses, uparams = _unit_where(filters)
            chosen = "".join(f" AND {c}" for c in clauses)
            mi = month_index(period.start)
            n_now, n_all = cur.execute(f"""
                WITH a AS ({a_sql})
                SELECT (SELECT count(*) FROM a),
                       (SELECT count(*) FROM a) + (SELECT count(*) FROM {silent(mi, mi)} g WHERE g.sector = ?
                         AND g.unit_id IN (SELECT u.unit_id FROM units u LEFT JOIN cooperatives c
                                           ON c.name = u.cooperative WHERE u.sector = ?{chosen}))""",
                                       [*a_params, s, s, *uparams]).fetchone()
        else:
            b_sql, b_params = _per_unit(s, before, filters, attrs=False)
            n_now, n_all = cur.execute(f"""
                WITH a AS ({a_sql}), b AS ({b_sql})
                SELECT (SELECT count(*) FROM a),
                       (SELECT count(*) FROM (SELECT unit_id FROM a UNION SELECT unit_id FROM b) u)""",
                                       a_params + b_params).fetchone()
        rep += int(n_now or 0)
        exp += int(n_all or 0)
        if not n_now and n_all:
            missing.append(s)
    return {"reported": rep, "expected": exp, "sectors_missing": missing}


def coverage_text(period: Period, cov: dict, lang: str = "zh", *, compared: Period | None = None,
                  sector: str | None = None) -> str:
    """The coverage line under a period's figures (issue 19.2), e.g.
    "本月（2024年1月）48/50 个单元已报，生猪未报；同比、环比按两期都上报的单元计算" (a sector's
    line, ``sector``, counts its own units: 38/58 户 for hog farms, 棚 for sheds and plots).

    ``cov`` is :func:`coverage` of the last month of ``compared`` (the period the comparisons
    used, cut at the latest month with data; ``period`` when None), and that month is the one
    named; ``compared`` is named too when it differs from ``period``."""
    missing = [fmt.sector_name(s, lang) for s in cov["sectors_missing"]]
    # ``cov`` counts the last month of the months compared; a year in progress must not be
    # named by its December.
    last = Period((compared or period).end, (compared or period).end)
    if lang == "zh":
        head = (f"本月（{last.label('zh')}）" if period.is_month else f"{last.label('zh')}")
        # 户 are hog farms; sheds and plots are 棚; a park-wide count mixes them: 个单元.
        unit = contract.sector(sector).unit_zh if sector else "个单元"
        line = f"{head} {cov['reported']}/{cov['expected']} {unit}已报"
        if missing:
            line += "，" + "、".join(missing) + "未报"
        basis = "同比、环比" if period.is_month else "同比"
        line += f"；{basis}按两期都上报的单元计算"
        if compared is not None and compared != period:
            line += f"（按有数据的 {compared.label('zh')} 对比上年同期）"
        return line
    head = f"This month ({last.label('en')})" if period.is_month else last.label("en")
    line = f"{head}: {cov['reported']}/{cov['expected']} units reported"
    if missing:
        line += ", not yet: " + ", ".join(missing)
    basis = "Year-on-year and month-on-month" if period.is_month else "Year-on-year"
    line += f"; {basis} over the units that reported in both periods"
    if compared is not None and compared != period:
        line += f" ({compared.label('en')}, the months with data, against a year earlier)"
    return line
