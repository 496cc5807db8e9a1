"""Upload templates and the help table, generated from ``contract.SECTORS`` (no second list)."""

from __future__ import annotations

import codecs
import csv
import io

import pandas as pd

from .. import contract
from ..contract import AREA, CHOICE, COUNT, MONEY, MONTH, TEXT, WEIGHT

_KIND = {MONTH: ("月份", "month"), TEXT: ("文字", "text"), CHOICE: ("选项", "choice"),
         COUNT: ("整数 ≥ 0", "whole number ≥ 0"), MONEY: ("金额 ≥ 0", "amount ≥ 0"),
         WEIGHT: ("重量 ≥ 0", "weight ≥ 0"), AREA: ("面积 ≥ 0", "area ≥ 0")}


def headers(sector: str) -> list[str]:
    """The template's header row: canonical Chinese names with their units."""
    return [c.header for c in contract.sector(sector).columns]


def template_csv(sector: str) -> bytes:
    """Header-only CSV in UTF-8 with BOM, so Excel on a Chinese PC opens it correctly."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(headers(sector))
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


def note(sector: str) -> str:
    s = contract.sector(sector)
    req = "、".join(c.zh for c in s.required)
    return (f"{s.zh}月报模板：一行是一个{s.unit_zh}一个月的数据。必填：{req}。"
            "月份写 2023-06 或 2023年6月；空格表示未上报（不是 0）；金额可写在“(万元)”列。"
            "本行说明可保留，上传时会自动跳过。")


def template_xlsx(sector: str) -> bytes:
    """XLSX with a note line above the header, header comments with each column's help."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    s = contract.sector(sector)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{s.zh}月报"
    ws.append([note(sector)])
    ws["A1"].font = Font(italic=True, color="666666")
    ws["A1"].alignment = Alignment(wrap_text=False)
    ws.append(headers(sector))
    for i, c in enumerate(s.columns, start=1):
        cell = ws.cell(row=2, column=i)
        cell.font = Font(bold=True)
        if c.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.comment = Comment(c.help_zh + ("（必填）" if c.required else ""), "园区生产看板")
        ws.column_dimensions[cell.column_letter].width = max(10, len(c.header) * 2 + 2)
        if c.kind in (MONTH, TEXT, CHOICE):
            # Text format so 2023-06 stays as typed instead of becoming a date.
            for r in range(3, 503):
                ws.cell(row=r, column=i).number_format = "@"
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.properties.creator = "园区生产看板"
    wb.save(buf)
    return buf.getvalue()


def help_table(sector: str, lang: str = "zh") -> pd.DataFrame:
    """One row per column: header, English name, required, kind and accepted units, help."""
    s = contract.sector(sector)
    zh = lang == "zh"
    rows = []
    for c in s.columns:
        units = "、".join(contract.UNIT_FACTORS[c.kind]) if c.kind in (MONEY, WEIGHT, AREA) else ""
        kind = _KIND[c.kind][0 if zh else 1]
        if c.choices:
            kind += "：" + " / ".join(c.choices) if zh else ": " + " / ".join(c.choices)
        rows.append({
            ("表头" if zh else "Header"): c.header,
            ("英文表头" if zh else "English header"): c.en,
            ("必填" if zh else "Required"): ("是" if zh else "yes") if c.required else "",
            ("类型" if zh else "Type"): kind,
            ("可用单位" if zh else "Units accepted"): units,
            ("说明" if zh else "Help"): c.help_zh if zh else c.help_en,
        })
    return pd.DataFrame(rows)
