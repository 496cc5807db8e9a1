"""Tables as people download them: display columns in the UI language, CSV that Excel opens.

Downloads carry names typed by cooperatives, so every text cell goes through
:func:`analytics.text.cell` (no formula can come out of a name) and Excel cells holding text
are written as text, never as formulas.
"""

from __future__ import annotations

import io

import pandas as pd

from . import contract, fmt, text

# Per-unit columns shown in ranked tables, per sector, in display order.
UNIT_TABLE_COLUMNS = {
    "duck": ["cooperative", "unit", "village", "zone", "stock", "eggs", "culled", "revenue", "cost",
             "profit", "jobs", "land_mu", "profit_per_mu"],
    "hog": ["cooperative", "unit", "village", "zone", "stock", "sows", "sold_head", "deaths", "revenue",
            "cost", "profit", "jobs", "land_mu", "profit_per_mu"],
    "greenhouse": ["cooperative", "unit", "village", "gh_type", "crop", "area_mu", "yield_kg", "revenue",
                   "cost", "profit", "jobs", "yield_kg_per_mu", "output_value_per_mu", "profit_per_mu"],
}


def column_label(sector: str, key: str, lang: str = "zh") -> str:
    """Header for a column: the contract's header when it is an upload column, else the KPI name."""
    try:
        col = contract.sector(sector).column(key)
        return col.header if lang == "zh" else col.en
    except KeyError:
        name = fmt.metric_name(key, lang)
        if key == "jobs":
            return f"{name}(人)" if lang == "zh" else name
        if key in ("profit",):
            return f"{name}(元)" if lang == "zh" else f"{name} (yuan)"
        if key.endswith("_per_mu"):
            unit = "公斤/亩" if key.startswith("yield") else "元/亩"
            return f"{name}({unit})" if lang == "zh" else name
        return name


def unit_table(df: pd.DataFrame, sector: str, lang: str = "zh", sort_by: str = "profit") -> pd.DataFrame:
    """Ranked per-unit table (from kpis.unit_totals) with display headers."""
    cols = [c for c in UNIT_TABLE_COLUMNS[sector] if c in df.columns]
    out = df.sort_values(sort_by, ascending=False)[cols].reset_index(drop=True)
    out.index = out.index + 1
    return out.rename(columns={c: column_label(sector, c, lang) for c in cols})


def number_formats(df: pd.DataFrame) -> dict[str, str]:
    """Display formats for a table's numeric columns: areas to 0.01 亩, everything else whole."""
    def is_area(col: object) -> bool:
        return str(col).endswith("(亩)") or str(col) in ("area_mu", "land_mu")

    return {c: "{:,.2f}" if is_area(c) else "{:,.0f}" for c in df.select_dtypes("number").columns}


def neutralised(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for download: every text cell (and header) through :func:`text.cell`; numbers unchanged."""
    out = df.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(text.cell, na_action="ignore")
    out.columns = [text.cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 with BOM: Excel on a Chinese Windows PC opens it without garbling. Cells neutralised."""
    return neutralised(df).to_csv(index=False).encode("utf-8-sig")


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
