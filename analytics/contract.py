"""The monthly upload contract (DESIGN.md §4) as data.

This module is the single list of columns: the templates, the validator, the help text on
the upload page and the database schema of the record tables are all generated from
``SECTORS``. Add a column here and every one of them follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. A kind decides parsing, bounds and which header units are accepted.
MONTH = "month"
TEXT = "text"
CHOICE = "choice"
COUNT = "count"  # whole numbers >= 0 (羽, 头, 枚, 人)
MONEY = "money"  # >= 0, canonical 元
WEIGHT = "weight"  # >= 0, canonical 公斤
AREA = "area"  # >= 0, canonical 亩

# Where a column lives in the store.
KEY = "key"  # part of the record identity (month, cooperative, unit)
MEASURE = "measure"  # a monthly value in the sector's record table
ATTR = "attr"  # an attribute of the unit (village, zone, land) kept in `units`

# Accepted units per kind (in headers, a units row or typed in cells), with the factor to the
# canonical unit. Statistical forms also write any of these with a 万 / 千 / 亿 prefix (万羽,
# 千枚, 万元, 万公斤): see :func:`unit_factor`.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    MONEY: {"元": 1.0, "万元": 10_000.0},
    WEIGHT: {"公斤": 1.0, "千克": 1.0, "kg": 1.0, "斤": 0.5, "市斤": 0.5, "吨": 1_000.0, "t": 1_000.0,
             "担": 50.0},  # 1 担 = 100 市斤 = 50 公斤
    AREA: {"亩": 1.0, "公顷": 15.0, "平方米": 1 / 666.67, "m2": 1 / 666.67, "㎡": 1 / 666.67,
           "平方公里": 1_500.0},
    COUNT: {"羽": 1.0, "只": 1.0, "头": 1.0, "枚": 1.0, "个": 1.0, "人": 1.0},
}
UNIT_PREFIXES: dict[str, float] = {"万": 10_000.0, "千": 1_000.0, "亿": 100_000_000.0, "百万": 1_000_000.0}

# Above these a value is not a mistyped figure but impossible (and would not fit the store's
# types): a row error at parse time, never a failed commit. Plausibility warnings come from
# Column.plausible_max, far below.
HARD_MAX: dict[str, float] = {
    "count": 1e9,  # no shed or farm holds a billion animals; BIGINT holds 9.2e18
    "money": 1e12,  # 1 万亿元 a month
    "weight": 1e10,  # 1,000 万吨
    "area": 1e7,  # 1,000 万亩, more than a province
}

SQL_TYPES = {
    MONTH: "DATE",
    TEXT: "VARCHAR",
    CHOICE: "VARCHAR",
    COUNT: "BIGINT",
    MONEY: "DOUBLE",
    WEIGHT: "DOUBLE",
    AREA: "DOUBLE",
}


@dataclass(frozen=True)
class Column:
    """One column of an upload sheet."""

    key: str  # name in the store and in DataFrames
    zh: str  # canonical Chinese header, without unit
    en: str  # English alias accepted as a header
    kind: str
    role: str = MEASURE
    unit: str | None = None  # canonical unit shown in the header, e.g. 羽, 元
    required: bool = False
    choices: tuple[str, ...] = ()
    # Values far above this are implausible: used for warnings, never for rejection.
    plausible_max: float | None = None
    help_zh: str = ""
    help_en: str = ""

    @property
    def header(self) -> str:
        """The header as the template writes it: 存栏(羽)."""
        return f"{self.zh}({self.unit})" if self.unit else self.zh

    @property
    def header_en(self) -> str:
        return self.en

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Sector:
    key: str  # duck / hog / greenhouse
    zh: str
    en: str
    unit_zh: str  # what one unit is called: 棚, 户
    unit_en: str
    table: str  # record table in the store
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def keys(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == KEY)

    @property
    def measures(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == MEASURE)

    @property
    def attrs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role == ATTR)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def _keys(unit_zh: str, unit_en: str, unit_help_zh: str, unit_help_en: str) -> tuple[Column, ...]:
    return (
        Column("month", "月份", "month", MONTH, KEY, required=True,
               help_zh="报表月份，如 2023-06、2023/6、2023年6月、202306",
               help_en="Reporting month, e.g. 2023-06, 2023/6, 202306"),
        Column("cooperative", "合作社", "cooperative", TEXT, KEY, required=True,
               help_zh="合作社全称，与登记名称一致", help_en="Cooperative's registered name"),
        Column("unit", unit_zh, unit_en, TEXT, KEY, required=True,
               help_zh=unit_help_zh, help_en=unit_help_en),
    )


_OPTIONAL_ATTRS = (
    Column("village", "村", "village", TEXT, ATTR, help_zh="所在村（可选）", help_en="Village (optional)"),
    Column("zone", "小区", "zone", TEXT, ATTR, help_zh="所属养殖小区/片区（可选）",
           help_en="Breeding zone (optional)"),
    Column("land_mu", "占地", "land_mu", AREA, ATTR, unit="亩", plausible_max=200,
           help_zh="棚舍或猪场占地面积（可选，用于亩均对比）",
           help_en="Land the shed or farm occupies (optional, for per-mu comparison)"),
)

_MONEY = (
    Column("revenue", "销售收入", "revenue", MONEY, unit="元", plausible_max=5_000_000,
           help_zh="当月销售收入", help_en="Sales revenue in the month"),
    Column("cost", "成本", "cost", MONEY, unit="元", plausible_max=5_000_000,
           help_zh="当月总成本（饲料、人工、防疫等）", help_en="Total cost in the month"),
    Column("workers", "用工", "workers", COUNT, unit="人", plausible_max=100,
           help_zh="当月雇用人数（带动就业）", help_en="People employed in the month (jobs)"),
)

DUCK = Sector(
    "duck", "种鸭", "Breeder ducks", "棚", "shed", "duck_records",
    _keys("棚号", "shed", "鸭棚编号，如 D-001", "Shed number, e.g. D-001")
    + (
        Column("stock", "存栏", "stock", COUNT, unit="羽", plausible_max=20_000,
               help_zh="月末存栏只数", help_en="Birds on hand at month end"),
        Column("eggs", "产蛋", "eggs", COUNT, unit="枚", plausible_max=600_000,
               help_zh="当月产蛋枚数", help_en="Eggs laid in the month"),
        Column("culled", "死淘", "culled", COUNT, unit="羽", plausible_max=5_000,
               help_zh="当月死亡和淘汰只数", help_en="Birds dead or culled in the month"),
        Column("feed_kg", "饲料", "feed_kg", WEIGHT, unit="公斤", plausible_max=200_000,
               help_zh="当月饲料用量", help_en="Feed used in the month"),
    )
    + _MONEY + _OPTIONAL_ATTRS,
)

HOG = Sector(
    "hog", "生猪", "Hogs", "户", "farm", "hog_records",
    _keys("养殖户", "farm", "养殖户姓名或猪场编号", "Farmer's name or farm number")
    + (
        Column("stock", "存栏", "stock", COUNT, unit="头", plausible_max=5_000,
               help_zh="月末存栏头数", help_en="Hogs on hand at month end"),
        Column("sows", "能繁母猪", "sows", COUNT, unit="头", plausible_max=1_000,
               help_zh="月末能繁母猪头数", help_en="Breeding sows at month end"),
        Column("sold_head", "出栏", "sold_head", COUNT, unit="头", plausible_max=2_000,
               help_zh="当月出栏头数", help_en="Hogs marketed in the month"),
        Column("sold_kg", "出栏重", "sold_kg", WEIGHT, unit="公斤", plausible_max=300_000,
               help_zh="当月出栏总重", help_en="Live weight marketed in the month"),
        Column("deaths", "死亡", "deaths", COUNT, unit="头", plausible_max=500,
               help_zh="当月死亡头数", help_en="Deaths in the month"),
        Column("feed_kg", "饲料", "feed_kg", WEIGHT, unit="公斤", plausible_max=500_000,
               help_zh="当月饲料用量", help_en="Feed used in the month"),
    )
    + _MONEY + _OPTIONAL_ATTRS,
)

GH_TYPES = ("温室", "塑料大棚")
GH_TYPE_ALIASES = {"温室": "温室", "greenhouse": "温室", "日光温室": "温室",
                   "塑料大棚": "塑料大棚", "tunnel": "塑料大棚", "大棚": "塑料大棚", "拱棚": "塑料大棚"}

GREENHOUSE = Sector(
    "greenhouse", "大棚", "Greenhouses", "棚", "plot", "greenhouse_records",
    _keys("棚号", "plot", "大棚编号，如 G-0001", "Plot number, e.g. G-0001")
    + (
        Column("gh_type", "棚型", "type", CHOICE, choices=GH_TYPES,
               help_zh="温室 或 塑料大棚", help_en="温室 (greenhouse) or 塑料大棚 (tunnel)"),
        Column("crop", "作物", "crop", TEXT, help_zh="种植作物，如 无籽西瓜、山药、药材、辣椒",
               help_en="Crop grown, e.g. 无籽西瓜 (seedless watermelon)"),
        Column("area_mu", "面积", "area_mu", AREA, unit="亩", plausible_max=50,
               help_zh="种植面积（每月重复填写，不累加）",
               help_en="Planted area (repeated each month, never summed)"),
        Column("yield_kg", "产量", "yield_kg", WEIGHT, unit="公斤", plausible_max=100_000,
               help_zh="当月采收产量", help_en="Harvest in the month"),
    )
    + _MONEY + _OPTIONAL_ATTRS,
)

SECTORS: dict[str, Sector] = {s.key: s for s in (DUCK, HOG, GREENHOUSE)}
SECTOR_KEYS: tuple[str, ...] = tuple(SECTORS)

# Measures whose year-to-date figure (本年累计) is the sum of the months — the flows DESIGN.md §5
# sums over a period. Stock, sows, jobs and area are levels: a 累计 of them is no sum of months,
# so a file's 累计 column is checked against the stored months only for these.
SUMMED_OVER_MONTHS: frozenset[str] = frozenset(
    {"eggs", "culled", "feed_kg", "sold_head", "sold_kg", "deaths", "yield_kg", "revenue", "cost"})


def sector(key: str) -> Sector:
    """Look a sector up by key, with a Chinese error for an unknown one."""
    try:
        return SECTORS[key]
    except KeyError:
        raise ValueError(f"未知板块“{key}”，应为 duck / hog / greenhouse 之一") from None


def record_table_ddl(s: Sector) -> str:
    """CREATE TABLE for a sector's monthly records, derived from the spec."""
    cols = [f"{c.key} {c.sql_type}" + (" NOT NULL" if c.role == KEY else "")
            for c in s.columns if c.role in (KEY, MEASURE)]
    cols.append("upload_id BIGINT")
    return f"CREATE TABLE IF NOT EXISTS {s.table} (\n  " + ",\n  ".join(cols) + "\n)"


def history_table_ddl(s: Sector) -> str:
    """History of replaced record values; `replaced_by` is the upload that replaced them."""
    cols = [f"{c.key} {c.sql_type}" for c in s.columns if c.role in (KEY, MEASURE)]
    cols += ["upload_id BIGINT", "replaced_by BIGINT NOT NULL"]
    return f"CREATE TABLE IF NOT EXISTS {s.table}_history (\n  " + ",\n  ".join(cols) + "\n)"


def record_columns(s: Sector) -> list[str]:
    """Column names of a sector's record table, in table order (without upload_id)."""
    return [c.key for c in s.columns if c.role in (KEY, MEASURE)]


# --- reading what people actually send (used by analytics/ingest/) -----------------------

# More header names people write for a column, by column key (besides `zh` and `en`).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "month": ("年月", "月", "日期", "报表月份", "统计月份", "报告期", "统计时间", "date"),
    "cooperative": ("合作社名称", "合作社名", "专业合作社", "单位名称", "coop", "cooperative name"),
    "unit": ("编号", "棚舍编号", "大棚编号", "鸭棚", "鸭棚号", "棚舍号", "养殖户名称", "养殖户姓名", "户名", "户主",
             "户主姓名", "unit"),
    "stock": ("存栏量", "存栏数", "月末存栏", "期末存栏", "存栏数量"),
    "eggs": ("产蛋量", "产蛋数"),
    "culled": ("死淘数", "死亡淘汰"),
    "sows": ("母猪", "能繁母猪存栏"),
    "sold_head": ("出栏数", "出栏量", "sold"),
    "sold_kg": ("出栏重量", "出栏总重"),
    "deaths": ("死亡数",),
    "feed_kg": ("饲料用量", "饲料消耗", "feed"),
    "revenue": ("收入", "销售额", "销售收入额"),
    "cost": ("总成本", "成本合计"),
    "workers": ("用工人数", "用工数", "就业人数", "jobs"),
    "gh_type": ("类型", "大棚类型", "gh_type"),
    "crop": ("作物名称", "品种"),
    "area_mu": ("种植面积", "area"),
    "yield_kg": ("产量合计", "采收量", "yield"),
    "village": ("所在村", "村庄"),
    "zone": ("养殖小区", "片区"),
    "land_mu": ("占地面积", "land"),
}

# Unit names that mean a unit of UNIT_FACTORS (English headers, variants).
UNIT_ALIASES: dict[str, str] = {
    "yuan": "元", "rmb": "元", "cny": "元", "10k yuan": "万元", "wan yuan": "万元",
    "千克": "千克", "公斤/kg": "公斤", "jin": "斤", "ton": "吨", "tonne": "吨", "tons": "吨",
    "mu": "亩", "sqm": "平方米", "m^2": "平方米", "平米": "平方米",
    "birds": "羽", "head": "头", "eggs": "枚", "people": "人", "persons": "人",
    "hm2": "公顷", "ha": "公顷", "km2": "平方公里", "平方千米": "平方公里", "名": "人", "口": "头",
}


def unit_factor(kind: str, unit: str) -> float | None:
    """Factor from ``unit`` (already NFKC-normalised, no spaces, lower case) to the canonical
    unit of ``kind``: 万元 → 10,000, 万羽 → 10,000, 千枚 → 1,000, 公顷 → 15; None when the
    unit is not one this kind takes (头 for money, 袋 for weight)."""
    table = {k.lower(): v for k, v in UNIT_FACTORS.get(kind, {}).items()}
    aliases = {"".join(k.lower().split()): v for k, v in UNIT_ALIASES.items()}
    unit = aliases.get(unit, unit)
    if unit in table:
        return table[unit]
    for prefix, times in UNIT_PREFIXES.items():
        if unit.startswith(prefix) and unit != prefix:
            rest = aliases.get(unit[len(prefix):], unit[len(prefix):])
            if rest in table:
                return times * table[rest]
    return None

# Reference yield per mu (kg) per crop cycle, DESIGN.md §6; used for warnings only.
# A crop matches when its name contains the key.
YIELD_PER_MU_REFERENCE: dict[str, tuple[float, float]] = {
    "西瓜": (3_000, 5_000),
    "山药": (2_000, 3_000),
    "辣椒": (1_500, 2_500),
    "药材": (300, 400),
}


# --- plausibility: per-unit rates, in two tiers (DESIGN.md §4, §6) ---------------------------------
#
# One table. A row's rate (numerator / denominator, both > 0 and reported) outside [low, high] is
# *implausible*: a 核实性 warning the uploader answers with a 上报说明, kept with the values. A rate
# 100× or more beyond the range (≥ 100 × high, or ≤ low / 100) is *impossible*: the row is refused
# naming the figure. The office may edit the ranges; each says where it comes from.

IMPOSSIBLE_FACTOR = 100.0


@dataclass(frozen=True)
class Rate:
    key: str
    sector: str
    zh: str  # what the warning calls it: 亩产
    en: str
    numerator: str  # column keys
    denominator: str | None  # None: the numerator itself, per unit (stock per shed)
    unit_zh: str  # 公斤/亩
    low: float
    high: float
    crop: str | None = None  # greenhouse rates by crop (the crop name contains it)


RATES: tuple[Rate, ...] = (
    # Harvest of one month per 亩 can be at most a whole cycle's: DESIGN.md §6 (trade and extension
    # publications): seedless watermelon 3,000–5,000 kg/亩, yam 2,000–3,000, chili 1,500–2,500 fresh,
    # herbs 300–400 dry. Low end 1 kg/亩: a month's first picking may be small, but not nothing.
    Rate("yield_per_mu", "greenhouse", "当月亩产", "yield per mu in the month", "yield_kg", "area_mu", "公斤/亩",
         1, 5_000, crop="西瓜"),
    Rate("yield_per_mu", "greenhouse", "当月亩产", "yield per mu in the month", "yield_kg", "area_mu", "公斤/亩",
         1, 3_000, crop="山药"),
    Rate("yield_per_mu", "greenhouse", "当月亩产", "yield per mu in the month", "yield_kg", "area_mu", "公斤/亩",
         1, 2_500, crop="辣椒"),
    Rate("yield_per_mu", "greenhouse", "当月亩产", "yield per mu in the month", "yield_kg", "area_mu", "公斤/亩",
         1, 400, crop="药材"),
    # Farm-gate prices, 元/公斤: vegetables and melons 0.5–30, dried herbs up to 200 (assumed defaults
    # from provincial market price bulletins; the office edits them).
    Rate("price_per_kg", "greenhouse", "销售单价", "price per kg", "revenue", "yield_kg", "元/公斤", 0.5, 200),
    # Live hogs 10–40 元/公斤 over the last cycles (national live-hog price bulletins, 2018–2025), a
    # marketed hog 80–160 kg: 800–6,400 元 per head sold.
    Rate("revenue_per_head", "hog", "出栏每头收入", "revenue per head sold", "revenue", "sold_head", "元/头",
         800, 6_400),
    Rate("price_per_kg", "hog", "出栏单价", "price per kg live weight", "revenue", "sold_kg", "元/公斤", 10, 40),
    Rate("weight_per_head", "hog", "出栏均重", "weight per head sold", "sold_kg", "sold_head", "公斤/头", 60, 200),
    # Breeder ducks lay 210–220 eggs a year (DESIGN.md §6), at most one a day: per duck on hand and
    # month, 1–31 while laying (a month of molt reports no eggs, and is not checked).
    Rate("eggs_per_duck", "duck", "每羽月产蛋", "eggs per duck per month", "eggs", "stock", "枚/羽", 1, 31),
    # Feed a month: a breeder duck 150–250 g a day (4.5–7.5 kg), a hog 1.5–3.5 kg a day (45–105 kg);
    # ranges widened for young stock (feeding standards NY/T 2122 and NY/T 65, assumed defaults).
    Rate("feed_per_head", "duck", "每羽月饲料", "feed per duck per month", "feed_kg", "stock", "公斤/羽", 1, 12),
    Rate("feed_per_head", "hog", "每头月饲料", "feed per hog per month", "feed_kg", "stock", "公斤/头", 5, 150),
    # The park itself (seed/000, the 2022 work report): 60余万羽 in 160余棚 (~3,750 a shed), 10,000 hogs on
    # 55 farms (~180 a farm); ranges around them for small and large units.
    Rate("stock_per_unit", "duck", "每棚存栏", "stock per shed", "stock", None, "羽/棚", 50, 20_000),
    Rate("stock_per_unit", "hog", "每户存栏", "stock per farm", "stock", None, "头/户", 1, 5_000),
    # Jobs: 200多人 for 160余棚 of ducks, 300余人 for ~2,520 greenhouses (same report); a hog farm 1–30.
    Rate("jobs_per_unit", "duck", "每棚用工", "workers per shed", "workers", None, "人/棚", 0.1, 10),
    Rate("jobs_per_unit", "hog", "每户用工", "workers per farm", "workers", None, "人/户", 0.1, 30),
    Rate("jobs_per_unit", "greenhouse", "每棚用工", "workers per plot", "workers", None, "人/棚", 0.1, 10),
)


def rates(sector_key: str) -> tuple[Rate, ...]:
    """The sector's rows of :data:`RATES`."""
    return tuple(r for r in RATES if r.sector == sector_key)
