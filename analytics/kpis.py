"""Every KPI of DESIGN.md §5, written once, in SQL over the staging views.

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

The dashboard pages, the report paragraph and the slides all call these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from . import contract

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
    """Sidebar filters; an empty tuple means 'all'."""

    cooperatives: tuple[str, ...] = field(default_factory=tuple)
    villages: tuple[str, ...] = field(default_factory=tuple)
    zones: tuple[str, ...] = field(default_factory=tuple)


def _where(period: Period, filters: Filters, alias: str = "") -> tuple[str, list]:
    p = f"{alias}." if alias else ""
    clauses = [f"{p}month BETWEEN ? AND ?"]
    params: list = [period.start, period.end]
    for col, values in (("cooperative", filters.cooperatives), ("village", filters.villages),
                        ("zone", filters.zones)):
        if values:
            clauses.append(f"{p}{col} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return " AND ".join(clauses), params


def _num(x: object) -> float:
    return 0.0 if x is None or pd.isna(x) else float(x)


def _int(x: object) -> int:
    return 0 if x is None or pd.isna(x) else int(round(float(x)))


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _money(x: object) -> float:
    return round(_num(x), 2)


# --- per-unit aggregation: the heart of every 口径 -------------------------------------

def _unit_agg_sql(sector: str) -> str:
    """One row per unit for the period: the per-unit step of each definition."""
    s = contract.sector(sector)
    sums = [c.key for c in s.measures if c.kind in (contract.COUNT, contract.MONEY, contract.WEIGHT)
            and c.key not in ("stock", "sows", "workers")]
    parts = [
        "cooperative", "unit",
        "any_value(village) AS village", "any_value(zone) AS zone",
        "any_value(land_mu) AS land_mu",
        "count(*) AS n_months",
        "max(workers) AS jobs",
    ]
    parts += [f"sum({k}) AS {k}" for k in sums]
    if sector in ("duck", "hog"):
        parts.append("arg_max(stock, month) FILTER (WHERE stock IS NOT NULL) AS stock")
    if sector == "hog":
        parts.append("arg_max(sows, month) FILTER (WHERE sows IS NOT NULL) AS sows")
    if sector == "greenhouse":
        parts.append("max(area_mu) AS area_mu")
        parts.append("coalesce(any_value(unit_gh_type), arg_max(gh_type, month)) AS gh_type")
        parts.append("arg_max(crop, month) FILTER (WHERE crop IS NOT NULL) AS crop")
    return ", ".join(parts)


def unit_totals(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per unit with its per-unit figures for the period, profit and per-mu added."""
    where, params = _where(period, filters)
    df = cur.execute(
        f"SELECT {_unit_agg_sql(sector)} FROM v_{sector} WHERE {where} GROUP BY cooperative, unit",
        params).df()
    if df.empty:
        return df
    df["profit"] = df["revenue"].fillna(0) - df["cost"].fillna(0)
    land = df["area_mu"] if sector == "greenhouse" else df["land_mu"]
    land = land.where(land > 0)
    df["profit_per_mu"] = df["profit"] / land
    df["output_value_per_mu"] = df["revenue"] / land
    if sector == "greenhouse":
        df["yield_kg_per_mu"] = df["yield_kg"] / land
    return df


def sector_kpis(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> dict:
    """The sector's block of the KPI JSON (DESIGN.md §5)."""
    where, params = _where(period, filters)
    agg = _unit_agg_sql(sector)
    base = f"SELECT {agg} FROM v_{sector} WHERE {where} GROUP BY cooperative, unit"
    if sector == "duck":
        row = cur.execute(f"""SELECT count(*), sum(stock), sum(eggs), sum(revenue), sum(cost),
                                     sum(jobs) FROM ({base})""", params).fetchone()
        units, stock, eggs, rev, cost, jobs = row
        return {"units": _int(units), "stock": _int(stock), "eggs": _int(eggs),
                "revenue": _money(rev), "cost": _money(cost),
                "profit": _money(_num(rev) - _num(cost)), "jobs": _int(jobs)}
    if sector == "hog":
        row = cur.execute(f"""SELECT count(*), sum(stock), sum(sows), sum(sold_head),
                                     sum(revenue), sum(cost), sum(jobs) FROM ({base})""",
                          params).fetchone()
        units, stock, sows, sold, rev, cost, jobs = row
        return {"units": _int(units), "stock": _int(stock), "sows": _int(sows),
                "sold_head": _int(sold), "revenue": _money(rev), "cost": _money(cost),
                "profit": _money(_num(rev) - _num(cost)), "jobs": _int(jobs)}
    if sector == "greenhouse":
        row = cur.execute(f"""SELECT count(*), sum(area_mu), sum(yield_kg), sum(revenue),
                                     sum(cost), sum(jobs) FROM ({base})""", params).fetchone()
        units, area, yld, rev, cost, jobs = row
        area, yld, rev, cost = _num(area), _num(yld), _num(rev), _num(cost)
        return {"units": _int(units), "area_mu": round(area, 2), "yield_kg": round(yld, 2),
                "revenue": _money(rev), "cost": _money(cost), "profit": _money(rev - cost),
                "jobs": _int(jobs),
                "yield_kg_per_mu": _ratio(yld, area),
                "output_value_per_mu": _ratio(rev, area),
                "profit_per_mu": _ratio(rev - cost, area),
                "by_crop": by_crop(cur, period, filters)}
    raise ValueError(f"未知板块“{sector}”")


def by_crop(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict:
    """Per crop: a plot's area is its largest area while growing that crop."""
    where, params = _where(period, filters)
    rows = cur.execute(f"""
        SELECT crop, sum(area) AS area, sum(y) AS yld, sum(rev) AS rev, sum(cost) AS cost
        FROM (SELECT cooperative, unit, crop, max(area_mu) AS area, sum(yield_kg) AS y,
                     sum(revenue) AS rev, sum(cost) AS cost
              FROM v_greenhouse WHERE {where} AND crop IS NOT NULL
              GROUP BY cooperative, unit, crop)
        GROUP BY crop ORDER BY crop""", params).fetchall()
    out = {}
    for crop, area, yld, rev, cost in rows:
        area, yld = _num(area), _num(yld)
        out[crop] = {"area_mu": round(area, 2), "yield_kg": round(yld, 2), "revenue": _money(rev),
                     "cost": _money(cost), "yield_kg_per_mu": _ratio(yld, area)}
    return out


def park_kpis(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict:
    """The whole KPI JSON of DESIGN.md §5 for a period."""
    out: dict = {"period": {"from": period.label_from, "to": period.label_to}}
    for s in contract.SECTOR_KEYS:
        out[s] = sector_kpis(cur, s, period, filters)
    rev = sum(out[s]["revenue"] for s in contract.SECTOR_KEYS)
    cost = sum(out[s]["cost"] for s in contract.SECTOR_KEYS)
    out["total"] = {"revenue": _money(rev), "cost": _money(cost), "profit": _money(rev - cost),
                    "jobs": sum(out[s]["jobs"] for s in contract.SECTOR_KEYS)}
    return out


# --- extras the pages show, all from the same per-unit step ---------------------------

def land_mu(cur: Cursor, period: Period, filters: Filters = Filters()) -> float:
    """Land of all units that reported: greenhouse area (largest in period) + livestock land_mu."""
    total = 0.0
    for s in contract.SECTOR_KEYS:
        df = unit_totals(cur, s, period, filters)
        if df.empty:
            continue
        col = "area_mu" if s == "greenhouse" else "land_mu"
        total += float(df[col].fillna(0).sum())
    return round(total, 2)


def zones_count(cur: Cursor, period: Period, filters: Filters = Filters()) -> int:
    """Distinct breeding zones among livestock units that reported."""
    where, params = _where(period, filters)
    row = cur.execute(f"""SELECT count(DISTINCT zone) FROM (
                            SELECT zone FROM v_duck WHERE {where}
                            UNION ALL SELECT zone FROM v_hog WHERE {where})""",
                      params + params).fetchone()
    return int(row[0])


def greenhouse_type_counts(cur: Cursor, period: Period, filters: Filters = Filters()) -> dict[str, int]:
    df = unit_totals(cur, "greenhouse", period, filters)
    if df.empty:
        return {}
    return {str(k): int(v) for k, v in df.groupby("gh_type").size().items()}


def monthly(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Per month: stock (sum of that month's reports), flows summed, profit, workers."""
    s = contract.sector(sector)
    where, params = _where(period, filters)
    cols = [c.key for c in s.measures if c.kind in (contract.COUNT, contract.MONEY,
                                                    contract.WEIGHT, contract.AREA)]
    sel = ", ".join(f"sum({c}) AS {c}" for c in cols)
    df = cur.execute(f"""SELECT strftime(month, '%Y-%m') AS month, count(*) AS units, {sel}
                         FROM v_{sector} WHERE {where} GROUP BY month ORDER BY month""",
                     params).df()
    df["profit"] = df["revenue"].fillna(0) - df["cost"].fillna(0)
    return df


def monthly_total(cur: Cursor, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Revenue, cost and profit per month and sector, long format."""
    frames = []
    for s in contract.SECTOR_KEYS:
        df = monthly(cur, s, period, filters)
        if not df.empty:
            frames.append(df[["month", "revenue", "cost", "profit"]].assign(sector=s))
    if not frames:
        return pd.DataFrame(columns=["month", "revenue", "cost", "profit", "sector"])
    return pd.concat(frames, ignore_index=True)


def sector_ratios(cur: Cursor, sector: str, period: Period, filters: Filters = Filters()) -> dict:
    """The sector's own ratios: laying and mortality for ducks, 出栏 for hogs."""
    k = sector_kpis(cur, sector, period, filters)
    m = monthly(cur, sector, period, filters)
    if sector == "duck":
        bird_months = _num(m["stock"].sum()) if not m.empty else 0.0
        culled = _num(m["culled"].sum()) if not m.empty else 0.0
        return {"eggs_per_bird": _ratio(k["eggs"], bird_months / max(len(m), 1)),
                "monthly_mortality_permille": _ratio(culled * 1000, bird_months),
                "profit_per_shed": _ratio(k["profit"], k["units"])}
    if sector == "hog":
        head_months = _num(m["stock"].sum()) if not m.empty else 0.0
        deaths = _num(m["deaths"].sum()) if not m.empty else 0.0
        sold_kg = _num(m["sold_kg"].sum()) if not m.empty else 0.0
        return {"profit_per_head": _ratio(k["profit"], k["sold_head"]),
                "avg_weight_kg": _ratio(sold_kg, k["sold_head"]),
                "monthly_mortality_permille": _ratio(deaths * 1000, head_months),
                "profit_per_farm": _ratio(k["profit"], k["units"])}
    return {"yield_kg_per_mu": k["yield_kg_per_mu"], "output_value_per_mu": k["output_value_per_mu"],
            "profit_per_mu": k["profit_per_mu"]}


PER_MU_GROUPS = ("crop", "gh_type", "cooperative", "village", "year")


def per_mu_by(cur: Cursor, by: str, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Greenhouse per-mu figures grouped by crop, type, cooperative, village or year.

    The per-plot step is the same as everywhere: a plot's area is its largest area in the
    group (by year: in each year), yield, revenue and cost are sums.
    """
    if by not in PER_MU_GROUPS:
        raise ValueError(f"不支持的分组“{by}”")
    where, params = _where(period, filters)
    group = {"gh_type": "coalesce(unit_gh_type, gh_type)"}.get(by, by)
    df = cur.execute(f"""
        SELECT g AS "group", count(*) AS plots, sum(area) AS area_mu, sum(y) AS yield_kg,
               sum(rev) AS revenue, sum(cost) AS cost
        FROM (SELECT {group} AS g, cooperative, unit, max(area_mu) AS area, sum(yield_kg) AS y,
                     sum(revenue) AS rev, sum(cost) AS cost
              FROM v_greenhouse WHERE {where}
              GROUP BY g, cooperative, unit)
        WHERE g IS NOT NULL
        GROUP BY g ORDER BY g""", params).df()
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
        df = unit_totals(cur, s, period, filters)
        if df.empty:
            continue
        land_col = "area_mu" if s == "greenhouse" else "land_mu"
        with_land = df[df[land_col].fillna(0) > 0]
        land = float(with_land[land_col].sum())
        profit = float(with_land["profit"].sum())
        revenue = float(with_land["revenue"].fillna(0).sum())
        rows.append({"sector": s, "units": len(with_land), "land_mu": land, "profit": profit,
                     "revenue": revenue, "profit_per_mu": profit / land if land else None,
                     "output_value_per_mu": revenue / land if land else None})
    return pd.DataFrame(rows, columns=["sector", "units", "land_mu", "profit", "revenue",
                                       "profit_per_mu", "output_value_per_mu"])


def yoy(current: float | None, previous: float | None) -> float | None:
    """Year-on-year change as a fraction; None when there is no base to compare with."""
    if current is None or previous is None or not previous:
        return None
    return (current - previous) / abs(previous)


# --- time, reporting status, targets ---------------------------------------------------

def available_months(cur: Cursor) -> list[str]:
    rows = cur.execute("""SELECT DISTINCT strftime(month, '%Y-%m') AS m FROM (
                            SELECT month FROM duck_records UNION ALL
                            SELECT month FROM hog_records UNION ALL
                            SELECT month FROM greenhouse_records) ORDER BY m""").fetchall()
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
    """Cooperatives that reported in the 12 months before ``month`` but not in ``month``."""
    m = parse_month(month)
    start = Period(m.replace(year=m.year - 1), m).start
    frames = []
    for s in contract.SECTOR_KEYS:
        where, params = _where(Period(start, m), filters)
        frames.append(cur.execute(f"""
            SELECT '{s}' AS sector, cooperative, strftime(max(month), '%Y-%m') AS last_month,
                   count(DISTINCT unit) AS units
            FROM v_{s} WHERE {where}
            GROUP BY cooperative HAVING max(month) < ?""", params + [m]).df())
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["sector", "cooperative"]).reset_index(drop=True)


def cooperatives(cur: Cursor) -> list[str]:
    return [r[0] for r in cur.execute("SELECT name FROM cooperatives ORDER BY name").fetchall()]


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


def target_progress(cur: Cursor, year: int, filters: Filters = Filters()) -> pd.DataFrame:
    """Actual against the year's targets for each target set."""
    t = targets(cur, year)
    if t.empty:
        return t.assign(actual=[], share=[])
    k = park_kpis(cur, Period.year(year), filters)
    t["actual"] = [k.get(s, {}).get(m) for s, m in zip(t["sector"], t["metric"])]
    t["share"] = [(a / v if a is not None and v else None) for a, v in zip(t["actual"], t["value"])]
    return t
