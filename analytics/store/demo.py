"""The deterministic demo park (示例数据).

Monthly records 2021-01..2023-12 for a park shaped like the township report: the 2022
figures, read through the KPI definitions, reproduce its sentence (160余棚60余万羽、净利润
600余万元、带动200多人就业; 养猪户55户、存栏10000头、利润2000余万元; 温室20余个、塑料大棚
2500余个、亩均效益5000余元、带动300余人就业; 流转土地4500多亩; 养殖小区5个).

Each of those phrases comes out of the paragraph's rounding rule (narrative.report_number: never
more than 10% under, 余 only for "a little more"), so the 2022 figures sit where the rule and the
report agree: 165 sheds, ~62万 birds, 642万元, 213 jobs; 55 farms, 10,000 head, 2,130万元;
21 greenhouses, 2,530 tunnels, 5,420 元/亩, 318 jobs; 4,520 亩 (DUCK_JOBS_2022 and the
constants below).

Everything comes from one seeded generator, so the same seed gives the same numbers.
Yearly totals that the report fixes are hit by solving for one cost level per year, not by
tuning random draws, so the ranges hold for any seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import contract
from .db import Store, set_meta

MONTHS = pd.period_range("2021-01", "2023-12", freq="M")
YEARS = (2021, 2022, 2023)
DEFAULT_SEED = 2022

ZONES_DUCK = ("东湖种鸭小区", "北岗种鸭小区", "前营种鸭小区")
ZONES_HOG = ("西营生猪小区", "南庄生猪小区")
VILLAGES = ("前营村", "后营村", "李庄村", "王楼村", "张集村", "刘寨村", "孙庄村", "陈楼村")

# cooperative: (sector, home village, zone or None, share of the sector's units)
COOPS = {
    "兴旺种鸭专业合作社": ("duck", "前营村", ZONES_DUCK[2], 0.29),
    "金羽种鸭专业合作社": ("duck", "后营村", ZONES_DUCK[0], 0.26),
    "东湖禽业专业合作社": ("duck", "王楼村", ZONES_DUCK[0], 0.24),
    "恒发种鸭养殖合作社": ("duck", "李庄村", ZONES_DUCK[1], 0.21),
    "丰华生猪养殖专业合作社": ("hog", "张集村", ZONES_HOG[0], 0.40),
    "众兴养猪专业合作社": ("hog", "刘寨村", ZONES_HOG[1], 0.35),
    "康源生猪养殖合作社": ("hog", "孙庄村", ZONES_HOG[1], 0.25),
    "甜园西瓜种植专业合作社": ("greenhouse", "陈楼村", None, 0.0),
    "怀山药种植专业合作社": ("greenhouse", "李庄村", None, 0.0),
    "本草药材种植专业合作社": ("greenhouse", "孙庄村", None, 0.0),
    "红辣椒种植专业合作社": ("greenhouse", "王楼村", None, 0.0),
    "绿源果蔬专业合作社": ("greenhouse", "前营村", None, 0.0),
}
CROP_COOP = {"无籽西瓜": "甜园西瓜种植专业合作社", "山药": "怀山药种植专业合作社",
             "药材": "本草药材种植专业合作社", "辣椒": "红辣椒种植专业合作社"}
# These two have not sent their December 2023 sheet: the overview lists them.
LATE_COOPS = ("众兴养猪专业合作社", "本草药材种植专业合作社")

# Yearly totals the report fixes for 2022, with plausible neighbours for 2021 and 2023.
DUCK_PROFIT = {2021: 5_380_000, 2022: 6_420_000, 2023: 7_050_000}
HOG_PROFIT = {2021: 11_600_000, 2022: 21_300_000, 2023: 3_900_000}  # the hog price cycle; 2000余万元
GH_PROFIT_PER_MU = {2021: 4_860, 2022: 5_420, 2023: 5_690}
HOG_STOCK_DEC_2022 = 10_000  # 存栏生猪10000头: exactly, as the report writes it
LAND_2022 = 4_520.0          # 流转土地4500多亩
DUCK_JOBS_2022 = 213         # 带动200多人就业 (200–222 read so under the 10% rule)
GH_JOBS_2022 = 318           # 带动300余人就业 (301–333)

# Crop: (yield kg/亩 per year, price 元/kg, harvest month → share, growing months)
CROPS = {
    "无籽西瓜": (4_000, 2.3, {5: 0.15, 6: 0.35, 7: 0.35, 8: 0.15}, range(2, 9)),
    "山药": (2_500, 4.2, {10: 0.3, 11: 0.45, 12: 0.25}, range(4, 13)),
    "辣椒": (2_000, 4.8, {6: 0.1, 7: 0.2, 8: 0.3, 9: 0.25, 10: 0.15}, range(3, 11)),
    "药材": (350, 30.0, {9: 0.3, 10: 0.4, 11: 0.3}, range(3, 12)),
}
# Live-hog price, 元/kg, by month: the 2021 slide, the 2022 autumn peak, the 2023 trough.
HOG_PRICE = np.array([
    30.0, 28.5, 27.0, 24.0, 21.0, 17.5, 16.0, 15.5, 14.0, 13.5, 15.5, 16.5,
    15.0, 13.5, 12.5, 13.0, 14.5, 17.0, 21.0, 22.0, 23.5, 26.5, 24.0, 19.5,
    15.5, 14.8, 14.6, 14.3, 14.5, 14.6, 16.2, 17.0, 16.3, 15.2, 14.6, 14.4,
])
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁"
GIVEN = ("建国", "春生", "秀英", "国强", "玉兰", "海涛", "志刚", "桂芳", "德明", "金山", "红梅",
         "永福", "长林", "俊峰", "学军", "瑞华")


@dataclass
class DemoPark:
    cooperatives: pd.DataFrame
    units: pd.DataFrame
    records: dict[str, pd.DataFrame]
    targets: pd.DataFrame


def _start_index(rng: np.random.Generator, n: int, plan: list[tuple[int, str, str]]) -> np.ndarray:
    """Month index at which each unit starts reporting, from (count, first, last) slices."""
    out = np.zeros(n, dtype=int)
    i = 0
    for count, first, last in plan:
        a, b = MONTHS.get_loc(pd.Period(first, "M")), MONTHS.get_loc(pd.Period(last, "M"))
        out[i:i + count] = rng.integers(a, b + 1, size=count)
        i += count
    assert i == n
    return out


def _coop_assign(rng: np.random.Generator, sector: str, n: int) -> np.ndarray:
    names = [c for c, v in COOPS.items() if v[0] == sector]
    shares = np.array([COOPS[c][3] for c in names])
    counts = np.floor(shares * n).astype(int)
    counts[0] += n - counts.sum()
    return np.array(rng.permutation(np.repeat(names, counts)))


def _grid(units: pd.DataFrame, start: np.ndarray) -> pd.DataFrame:
    """Unit × month rows from each unit's start month, dropping late cooperatives' last month."""
    n_m = len(MONTHS)
    ui = np.repeat(np.arange(len(units)), n_m)
    mi = np.tile(np.arange(n_m), len(units))
    keep = mi >= start[ui]
    late = units["cooperative"].isin(LATE_COOPS).to_numpy()[ui] & (mi == n_m - 1)
    keep &= ~late
    return pd.DataFrame({"u": ui[keep], "m": mi[keep]})


def _year_of(m: np.ndarray) -> np.ndarray:
    return MONTHS.year.to_numpy()[m]


def _solve_cost(revenue: np.ndarray, weight: np.ndarray, years: np.ndarray,
                profit_target: dict[int, float]) -> np.ndarray:
    """Cost = weight × level(year), the level chosen so the year's profit hits its target."""
    cost = np.zeros_like(revenue)
    for y, target in profit_target.items():
        sel = years == y
        level = (revenue[sel].sum() - target) / weight[sel].sum()
        cost[sel] = weight[sel] * level
    return cost


def _peaks(rng: np.random.Generator, active: np.ndarray, total: int, low: int, high: int) -> np.ndarray:
    """Per-unit peak workers in low..high (0 allowed), summing to `total` over active units."""
    peaks = np.zeros(len(active), dtype=int)
    idx = rng.permutation(np.flatnonzero(active))
    remaining = total
    for i in idx:
        if remaining <= 0:
            break
        p = min(int(rng.integers(low, high + 1)), remaining)
        peaks[i] = p
        remaining -= p
    return peaks


def _ducks(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = 180  # 160 余棚 in 2022, growing in 2023
    start = _start_index(rng, n, [(138, "2021-01", "2021-01"), (27, "2021-05", "2022-10"),
                                  (15, "2023-03", "2023-09")])
    units = pd.DataFrame({"sector": "duck", "unit": [f"D-{i + 1:03d}" for i in range(n)],
                          "cooperative": _coop_assign(rng, "duck", n)})
    units["zone"] = units["cooperative"].map(lambda c: COOPS[c][2])
    units["village"] = units["cooperative"].map(lambda c: COOPS[c][1])
    units["land_mu"] = np.round(rng.uniform(1.8, 2.6, n), 1)
    units["gh_type"] = None
    active_2022 = start <= MONTHS.get_loc(pd.Period("2022-12", "M"))
    # one or two workers per shed, DUCK_JOBS_2022 in all at the 2022 peak
    peaks = np.ones(n, dtype=int)
    active = np.flatnonzero(active_2022)
    peaks[rng.choice(active, size=DUCK_JOBS_2022 - len(active), replace=False)] = 2
    peaks[~active_2022] = rng.integers(1, 3, size=(~active_2022).sum())

    g = _grid(units, start)
    u, m = g["u"].to_numpy(), g["m"].to_numpy()
    capacity = rng.uniform(3_500, 4_250, n)
    phase = rng.integers(0, 13, n)
    age = (m - phase[u]) % 13  # a flock is replaced every 13 months
    stock = np.round(capacity[u] * (1 - 0.0045 * age) * rng.normal(1, 0.004, len(u)))
    culled = np.round(capacity[u] * 0.0045 * rng.normal(1, 0.15, len(u))).clip(0)
    season = 1 + 0.06 * np.cos((MONTHS.month.to_numpy()[m] - 4) / 12 * 2 * np.pi)
    laying = np.where(age == 0, 4.0, 18.0) * season
    eggs = np.round(stock * 0.86 * laying * rng.normal(1, 0.04, len(u)))
    feed = np.round(stock * 0.21 * 30 * rng.normal(1, 0.03, len(u)))
    revenue = np.round(eggs * rng.normal(1.42, 0.05, len(u)) + culled * 18, 2)
    years = _year_of(m)
    cost = np.round(_solve_cost(revenue, feed * rng.normal(1, 0.02, len(u)), years, DUCK_PROFIT), 2)
    rec = pd.DataFrame({
        "month": MONTHS.to_timestamp()[m].date, "cooperative": units["cooperative"].to_numpy()[u],
        "unit": units["unit"].to_numpy()[u], "stock": stock.astype(int), "eggs": eggs.astype(int),
        "culled": culled.astype(int), "feed_kg": feed, "revenue": revenue, "cost": cost,
        "workers": peaks[u]})
    return units, rec


def _farmer_names(rng: np.random.Generator, n: int) -> list[str]:
    pool = [s + g for s in SURNAMES for g in GIVEN]
    return [str(x) for x in rng.choice(pool, size=n, replace=False)]


def _hogs(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = 58  # 55 户 in 2022
    start = _start_index(rng, n, [(48, "2021-01", "2021-01"), (7, "2021-08", "2022-06"),
                                  (3, "2023-02", "2023-07")])
    units = pd.DataFrame({"sector": "hog", "unit": _farmer_names(rng, n),
                          "cooperative": _coop_assign(rng, "hog", n)})
    units["zone"] = units["cooperative"].map(lambda c: COOPS[c][2])
    units["village"] = units["cooperative"].map(lambda c: COOPS[c][1])
    units["land_mu"] = np.round(rng.uniform(4.5, 8.5, n), 1)
    units["gh_type"] = None
    peaks = rng.integers(1, 5, n)

    g = _grid(units, start)
    u, m = g["u"].to_numpy(), g["m"].to_numpy()
    size = rng.lognormal(0, 0.45, n)
    herd_cycle = 1 + 0.08 * np.sin((m - 14) / 36 * 2 * np.pi)
    stock_raw = size[u] * herd_cycle * rng.normal(1, 0.03, len(u))
    dec22 = m == MONTHS.get_loc(pd.Period("2022-12", "M"))
    stock = np.round(stock_raw * HOG_STOCK_DEC_2022 / stock_raw[dec22].sum())
    # rounding leaves the December total a few head off: the largest farm takes the difference
    biggest = np.flatnonzero(dec22)[np.argmax(stock[dec22])]
    stock[biggest] += HOG_STOCK_DEC_2022 - stock[dec22].sum()
    sows = np.round(stock * rng.normal(0.1, 0.01, len(u)))
    sold = np.round(stock * rng.normal(0.17, 0.02, len(u))).clip(0)
    sold_kg = np.round(sold * rng.normal(120, 4, len(u)), 1)
    deaths = np.round(stock * 0.006 * rng.normal(1, 0.3, len(u))).clip(0)
    feed = np.round(stock * 2.4 * 30 * rng.normal(1, 0.03, len(u)))
    revenue = np.round(sold_kg * HOG_PRICE[m] * rng.normal(1, 0.02, len(u)), 2)
    efficiency = rng.normal(1, 0.06, n)
    years = _year_of(m)
    cost = np.round(_solve_cost(revenue, sold_kg * efficiency[u] + stock * 2.0, years, HOG_PROFIT), 2)
    rec = pd.DataFrame({
        "month": MONTHS.to_timestamp()[m].date, "cooperative": units["cooperative"].to_numpy()[u],
        "unit": units["unit"].to_numpy()[u], "stock": stock.astype(int), "sows": sows.astype(int),
        "sold_head": sold.astype(int), "sold_kg": sold_kg, "deaths": deaths.astype(int),
        "feed_kg": feed, "revenue": revenue, "cost": cost, "workers": peaks[u]})
    return units, rec


def _greenhouses(rng: np.random.Generator, land_livestock_2022: float
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_w, n_s = 27, 2_610  # 20 余个温室 (21), 2500 余个塑料大棚 in 2022
    start_w = _start_index(rng, n_w, [(15, "2021-01", "2021-01"), (6, "2021-03", "2022-02"),
                                      (6, "2023-01", "2023-02")])
    start_s = _start_index(rng, n_s, [(2_300, "2021-01", "2021-01"), (230, "2021-02", "2022-02"),
                                      (80, "2023-01", "2023-02")])
    start = np.concatenate([start_w, start_s])
    gh_type = np.array(["温室"] * n_w + ["塑料大棚"] * n_s)
    crop_names = np.array(list(CROPS))
    crops = np.concatenate([rng.choice(["无籽西瓜", "辣椒"], size=n_w),
                            rng.choice(crop_names, size=n_s, p=[0.42, 0.25, 0.23, 0.10])])
    coop = np.array([CROP_COOP[c] for c in crops], dtype=object)
    mixed = (gh_type == "温室") | (rng.random(n_w + n_s) < 0.12)
    coop[mixed] = "绿源果蔬专业合作社"
    area = np.where(gh_type == "温室", rng.uniform(2.0, 4.0, n_w + n_s),
                    rng.uniform(1.2, 1.9, n_w + n_s))
    active_2022 = start <= MONTHS.get_loc(pd.Period("2022-12", "M"))
    area *= (LAND_2022 - land_livestock_2022) / area[active_2022].sum()
    area = np.round(area, 2)
    codes = [f"W-{i + 1:02d}" for i in range(n_w)] + [f"S-{i + 1:04d}" for i in range(n_s)]
    units = pd.DataFrame({"sector": "greenhouse", "unit": codes, "cooperative": coop,
                          "gh_type": gh_type, "zone": None, "land_mu": None})
    home = units["cooperative"].map(lambda c: COOPS[c][1]).to_numpy()
    units["village"] = np.where(rng.random(len(units)) < 0.8, home, rng.choice(VILLAGES, len(units)))
    peaks = _peaks(rng, active_2022, GH_JOBS_2022, 1, 3)

    g = _grid(units, start)
    u, m = g["u"].to_numpy(), g["m"].to_numpy()
    month_no = MONTHS.month.to_numpy()[m]
    years = _year_of(m)
    year_factor = np.select([years == 2021, years == 2022], [0.95, 1.0], 1.03)
    plot_factor = rng.normal(1, 0.12, len(units)).clip(0.6, 1.4)
    yld = np.zeros(len(u))
    price = np.zeros(len(u))
    growing = np.zeros(len(u))
    busy = np.zeros(len(u), dtype=bool)
    crop_u = crops[u]
    for crop, (per_mu, p, harvest, grow) in CROPS.items():
        sel = crop_u == crop
        share = np.array([harvest.get(mn, 0.0) for mn in range(13)])[month_no[sel]]
        yld[sel] = area[u[sel]] * per_mu * share * plot_factor[u[sel]] * year_factor[sel]
        price[sel] = p
        growing[sel] = np.isin(month_no[sel], list(grow)).astype(float) / len(grow)
        busy[sel] = share > 0
    yld = np.round(yld * rng.normal(1, 0.05, len(u)).clip(0.7), 1)
    revenue = np.round(yld * price * rng.normal(1, 0.04, len(u)), 2)
    # Cost is spread over the growing months in proportion to area; the level per year is
    # solved so that 亩均效益 hits the year's figure.
    weight = area[u] * growing * rng.normal(1, 0.05, len(u)).clip(0.5)
    target_profit = {}
    for y in YEARS:
        plots_y = np.unique(u[years == y])
        target_profit[y] = GH_PROFIT_PER_MU[y] * area[plots_y].sum()
    cost = np.round(_solve_cost(revenue, weight, years, target_profit), 2)
    workers = np.where(busy, peaks[u], peaks[u] // 2)
    rec = pd.DataFrame({
        "month": MONTHS.to_timestamp()[m].date, "cooperative": coop[u], "unit": units["unit"].to_numpy()[u],
        "gh_type": gh_type[u], "crop": crop_u, "area_mu": area[u], "yield_kg": yld,
        "revenue": revenue, "cost": cost, "workers": workers})
    return units, rec


def build(seed: int = DEFAULT_SEED) -> DemoPark:
    """Generate the demo park in memory; the same seed always gives the same numbers."""
    rng = np.random.default_rng(seed)
    duck_units, duck = _ducks(rng)
    hog_units, hog = _hogs(rng)
    dec22 = pd.Timestamp("2022-12-01").date()
    land_livestock = sum(
        float(units.loc[units["unit"].isin(rec.loc[rec["month"] <= dec22, "unit"]), "land_mu"].sum())
        for units, rec in ((duck_units, duck), (hog_units, hog))
        if not rec.empty
    )
    gh_units, gh = _greenhouses(rng, land_livestock)
    units = pd.concat([duck_units, hog_units, gh_units], ignore_index=True)
    coops = pd.DataFrame({"name": list(COOPS), "village": [v[1] for v in COOPS.values()]})
    targets = pd.DataFrame([
        (y, s, mname, v) for y, vals in {
            2022: {("duck", "stock"): 620_000, ("duck", "profit"): 6_000_000,
                   ("hog", "stock"): 10_000, ("hog", "profit"): 20_000_000,
                   ("greenhouse", "profit_per_mu"): 5_000, ("total", "jobs"): 550},
            2023: {("duck", "stock"): 700_000, ("duck", "profit"): 7_000_000,
                   ("hog", "stock"): 11_000, ("hog", "profit"): 20_000_000,
                   ("greenhouse", "profit_per_mu"): 6_000, ("total", "jobs"): 700},
        }.items() for (s, mname), v in vals.items()
    ], columns=["year", "sector", "metric", "value"])
    return DemoPark(coops, units, {"duck": duck, "hog": hog, "greenhouse": gh}, targets)


# Towns of a scale demo: 济阳镇 first (today's park), then names made from two syllables.
TOWN = "济阳镇"
_TOWN_FIRST = "东西南北新安永福兴太仁崔孙曲垛回龙凤"
_TOWN_SECOND = "河庄集店营湖桥寨堤风山泉"


def town_names(n: int) -> list[str]:
    """``n`` distinct town names, 济阳镇 first; deterministic."""
    if not 1 <= n <= 1 + len(_TOWN_FIRST) * len(_TOWN_SECOND):
        raise ValueError(f"乡镇个数应在 1 到 {1 + len(_TOWN_FIRST) * len(_TOWN_SECOND)} 之间，收到 {n}")
    others = [a + b + "镇" for a in _TOWN_FIRST for b in _TOWN_SECOND]
    return [TOWN, *others[: n - 1]]


def _towns_frame(n: int) -> pd.DataFrame:
    """Town name and the prefix its copy of the park puts before cooperative, village and
    zone names ('' for 济阳镇, so one town is exactly today's park)."""
    names = town_names(n)
    return pd.DataFrame({"town": names, "prefix": ["" if t == TOWN else t.removesuffix("镇") for t in names]})


def load(store: Store, seed: int = DEFAULT_SEED, towns: int = 1) -> dict[str, int]:
    """Replace everything in the store with the demo park, in one transaction.

    ``towns`` > 1 copies the park town by town (100 towns ≈ 10 million records): each copy
    has its own cooperatives, villages and zones, so every KPI is exactly ``towns`` times
    the park's. Rows go in through DuckDB's bulk path (the frames are scanned as Arrow and
    replicated by a cross join), stored in month order, which the period queries read.
    Returns the number of records per sector.
    """
    park = build(seed)
    town_frame = _towns_frame(towns)

    def fill(cur) -> dict[str, int]:
        cur.register("tf", town_frame)
        for s in contract.SECTORS.values():
            cur.execute(f"DELETE FROM {s.table}")
            cur.execute(f"DELETE FROM {s.table}_history")
        for t in ("units", "units_history", "upload_names", "cooperatives", "villages", "zones", "targets",
                  "uploads", "towns"):
            cur.execute(f"DELETE FROM {t}")
        cur.execute("INSERT INTO towns (name) SELECT town FROM tf")
        coops = park.cooperatives  # noqa: F841 - read by DuckDB's replacement scan
        cur.execute("""INSERT INTO cooperatives (name, village, town)
                       SELECT t.prefix || c.name, t.prefix || c.village, t.town FROM coops c, tf t""")
        units = park.units  # noqa: F841
        cur.execute("""INSERT INTO villages SELECT DISTINCT t.prefix || v FROM (
                         SELECT village AS v FROM coops UNION SELECT village FROM units WHERE village IS NOT NULL
                       ) x, tf t""")
        cur.execute("INSERT INTO zones SELECT DISTINCT t.prefix || zone FROM units, tf t WHERE zone IS NOT NULL")
        counts = {}
        for key, rec in park.records.items():
            s = contract.sector(key)
            n = len(rec) * towns
            cur.execute("""INSERT INTO uploads (upload_id, sha256, filename, sector, uploaded_by,
                               n_rows, n_new, n_replaced, months, status)
                           VALUES (nextval('upload_seq'), 'demo', ?, ?, 'demo', ?, ?, 0,
                                   '2021-01..2023-12', 'applied')""",
                        [f"示例数据-{s.zh}.csv", key, n, n])
            upload_id = cur.execute("SELECT currval('upload_seq')").fetchone()[0]
            cols = contract.record_columns(s)
            frame = rec[cols]  # noqa: F841
            sel = ", ".join("t.prefix || f.cooperative" if c == "cooperative" else f"f.{c}" for c in cols)
            cur.execute(f"INSERT INTO {s.table} ({', '.join(cols)}, upload_id) "
                        f"SELECT {sel}, ? FROM frame f, tf t ORDER BY f.month, t.town, f.cooperative, f.unit",
                        [upload_id])
            unit_rows = park.units[park.units["sector"] == key]  # noqa: F841
            cur.execute("""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone,
                                              land_mu, created_by_upload)
                           SELECT u.sector, t.prefix || u.cooperative, u.unit, u.gh_type, t.prefix || u.village,
                                  t.prefix || u.zone, CAST(u.land_mu AS DOUBLE), ? FROM unit_rows u, tf t""",
                        [upload_id])
            counts[key] = n
        target_rows = park.targets  # noqa: F841
        # The demo's targets are the park's; with more towns the totals scale with them.
        cur.execute("""INSERT INTO targets SELECT year, sector, metric,
                         CASE WHEN metric = 'profit_per_mu' THEN value ELSE value * ? END FROM target_rows""",
                    [towns])
        set_meta(cur, "demo", "1")
        set_meta(cur, "demo_seed", str(seed))
        set_meta(cur, "demo_towns", str(towns))
        # Each town's 正常保有量 of breeding sows (预警), about the demo's usual holding of ~1,000 头.
        cur.execute("UPDATE towns SET sows_normal = 1000 WHERE sows_normal IS NULL").fetchall()
        store.records_changed(cur)  # every record changed: the rollups are rebuilt at commit
        cur.unregister("tf")
        return counts

    return store.run_write(fill)
