"""Tables as people download them: display columns in the UI language, CSV that Excel opens.

Downloads carry names typed by cooperatives, so every text cell goes through
:func:`analytics.text.cell` (no formula can come out of a name) and Excel cells holding text
are written as text, never as formulas.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from .. import contract, fmt, text
from .compare import TURNS, is_good

# Per-unit columns shown in ranked tables, per sector, in display order.
UNIT_TABLE_COLUMNS = {
    "duck": ["cooperative", "unit", "village", "zone", "stock", "eggs", "culled", "revenue", "cost",
             "profit", "jobs", "land_mu", "profit_per_mu"],
    "hog": ["cooperative", "unit", "village", "zone", "stock", "sows", "sold_head", "deaths", "revenue",
            "cost", "profit", "jobs", "land_mu", "profit_per_mu"],
    "greenhouse": ["cooperative", "unit", "village", "gh_type", "crop", "area_mu", "yield_kg", "revenue",
                   "cost", "profit", "jobs", "yield_kg_per_mu", "output_value_per_mu", "profit_per_mu"],
}


NAME_COLUMNS = ("town", "cooperative", "unit")  # what a row is: always the first columns
MONEY_COLUMNS = ("revenue", "cost", "profit")
TEXT_COLUMNS = ("town", "cooperative", "unit", "village", "zone", "gh_type", "crop")
# English headers (the contract's English names are upload aliases such as "sold_head").
ENGLISH_HEADERS = {
    "town": "Town", "cooperative": "Cooperative", "unit": "Unit", "village": "Village", "zone": "Zone",
    "gh_type": "Type", "crop": "Crop", "stock": "Stock", "eggs": "Eggs", "culled": "Culled", "sows": "Sows",
    "sold_head": "Marketed (head)", "deaths": "Deaths", "area_mu": "Area (mu)", "yield_kg": "Yield (kg)",
    "land_mu": "Land (mu)", "jobs": "Jobs", "yield_kg_per_mu": "Yield/mu (kg)",
    "output_value_per_mu": "Output/mu (yuan)", "profit_per_mu": "Profit/mu (yuan)",
}


def column_label(sector: str, key: str, lang: str = "zh", *, wan: bool = False) -> str:
    """Header for a column: the contract's header when it is an upload column, else the KPI
    name; money in 万元 with ``wan`` (as the cards write it)."""
    if key in MONEY_COLUMNS:
        zh, en = fmt.METRIC_NAMES[key]
        if wan:
            return f"{zh}(万元)" if lang == "zh" else f"{en} (10k yuan)"
        return f"{zh}(元)" if lang == "zh" else f"{en} (yuan)"
    if lang != "zh":
        return ENGLISH_HEADERS.get(key, fmt.metric_name(key, "en"))
    if key == "town":
        return "乡镇"
    try:
        return contract.sector(sector).column(key).header
    except KeyError:
        name = fmt.metric_name(key, lang)
        if key == "jobs":
            return f"{name}(人)"
        if key.endswith("_per_mu"):
            return f"{name}({'公斤/亩' if key.startswith('yield') else '元/亩'})"
        return name


def column_names(sector: str, lang: str = "zh") -> list[str]:
    """The headers of the name columns (town, cooperative, unit) in ``lang``."""
    return [column_label(sector, k, lang) for k in NAME_COLUMNS]


def unit_table(df: pd.DataFrame, sector: str, lang: str = "zh", sort_by: str = "profit", *,
               wan: bool = False, columns: tuple[str, ...] | None = None, town: bool = False,
               ascending: bool = False) -> pd.DataFrame:
    """Ranked per-unit table (from kpis.unit_totals) with display headers.

    The names come first and the column it is ranked by right after them, so a 1366-pixel
    screen shows both without scrolling sideways. ``wan``: money in 万元 (the screen; downloads
    keep 元). ``columns`` picks fewer columns (keys, in UNIT_TABLE_COLUMNS order). Crops and
    plot types get their English names in English (``fmt.crop_name``). ``town`` puts the
    town (乡镇) first, for a store of several towns. ``ascending``: the lowest first (a 后 10 名
    table, whose row 1 is the last).
    """
    cols = [c for c in (columns or UNIT_TABLE_COLUMNS[sector]) if c in df.columns]
    if town and "town" in df.columns and "town" not in cols:
        cols.insert(0, "town")
    if sort_by in cols:
        cols.remove(sort_by)
        cols.insert(sum(c in cols for c in NAME_COLUMNS), sort_by)
    out = df.sort_values(sort_by, ascending=ascending)[cols].reset_index(drop=True)
    out.index = out.index + 1
    if wan:
        for c in MONEY_COLUMNS:
            if c in out.columns:
                out[c] = out[c] / 10_000
    for c in ("gh_type", "crop"):
        if c in out.columns and lang != "zh":
            out[c] = out[c].map(lambda v: fmt.crop_name(v, lang) if isinstance(v, str) else v)
    return out.rename(columns={c: column_label(sector, c, lang, wan=wan) for c in cols})


def number_formats(df: pd.DataFrame) -> dict[str, str]:
    """Display formats for a table's numeric columns, with thousands separators: areas to
    0.01 亩, money in 万元 to 0.1, everything else whole."""
    def is_area(col: object) -> bool:
        return str(col).endswith(("(亩)", "(mu)")) or str(col) in ("area_mu", "land_mu")

    def is_wan(col: object) -> bool:
        return str(col).endswith(("(万元)", "(10k yuan)"))

    return {c: "{:,.2f}" if is_area(c) else "{:,.1f}" if is_wan(c) else "{:,.0f}"
            for c in df.select_dtypes("number").columns}


def styled(df: pd.DataFrame, plain: tuple[str, ...] = ()) -> Any:
    """``df`` as the screen shows it: thousands separators (not in the ``plain`` columns, such
    as numbers that name something), a dash where nothing was reported (never ``None``)."""
    formats = {c: ("{:.0f}" if c in plain else f) for c, f in number_formats(df).items()}
    # Text columns get the dash in the data itself: a column with nothing in it reaches the
    # browser as Arrow's null type, which Streamlit draws as "None" whatever the Styler says.
    text = df.select_dtypes(include=["object", "string"]).columns
    if len(text):
        df = df.copy()
        for c in text:
            df[c] = df[c].astype(object).where(df[c].notna(), "—")
    # A dict of formats reaches only its columns: the dash for the other columns comes first.
    return df.style.format(na_rep="—").format(formats, na_rep="—")


GOOD_COLOUR, BAD_COLOUR = "#1a7f37", "#c62828"  # the cards' green and red


def good_bad(styler: Any, columns: dict[str, str]) -> Any:
    """Colour the change columns of a styled table by good or bad news, not by sign:
    ``columns`` maps a column (cells like '+12.3%', '—') to its measure (compare.UP_IS_GOOD)."""
    turns = {zh: ok for zh, _, ok in TURNS.values()} | {en: ok for _, en, ok in TURNS.values()}

    def colour(cell: object, measure: str) -> str:
        if str(cell) in turns:  # 扭亏为盈, 由盈转亏, 减亏, 增亏: good or bad news in words
            return f"color: {GOOD_COLOUR if turns[str(cell)] else BAD_COLOUR}"
        try:
            change = float(str(cell).rstrip("%")) / 100
        except ValueError:
            return ""
        good = is_good(measure, change)
        return "" if good is None else f"color: {GOOD_COLOUR if good else BAD_COLOUR}"

    for col, measure in columns.items():
        if col in styler.data.columns:
            styler = styler.map(colour, subset=[col], measure=measure)
    return styler


def neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for download: every text cell (and header) through :func:`text.cell`; numbers unchanged."""
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(text.cell, na_action="ignore")
    out.columns = [text.cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM: Excel on a Chinese Windows PC opens it without garbling. Cells neutralised;
    decimals to 2 places (money to the 分), so no float noise such as 130525.90000000014."""
    out = neutralised(df)
    floats = out.select_dtypes(include="float").columns
    out[floats] = out[floats].round(2)
    return out.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """One sheet, cells neutralised; every text cell is stored as a string, never as a formula."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        neutralised(df).to_excel(writer, index=False, sheet_name=sheet[:31])
        for row in writer.sheets[sheet[:31]].iter_rows():
            for c in row:
                if c.data_type == "f":  # openpyxl reads any text starting "=" as a formula
                    c.data_type = "s"
    return buf.getvalue()
