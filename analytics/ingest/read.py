"""Bytes → sheets of cells: the one layer that knows file formats (pandas' io/excel is the model).

A :class:`Book` holds the sheets worth looking at, each either rows of Python cells (workbooks,
read by python-calamine) or UTF-8 text with its delimiter (CSV/TSV/TXT, read later by
pyarrow). Everything above this module sees only those two shapes.

Every stage is guarded: whatever the bytes, :func:`read` returns a Book or raises
:class:`IngestError` with a Chinese message saying what the file is and what to do. Limits
(settings ``PARK_UPLOAD_*``) are checked before the expensive work: the file's size first,
an XLSX's zip directory before anything is inflated, the extent of every sheet before its
cells are materialised, the width and length of a text file before it is split into cells.

One piece: every file format's reader and the limits they share (size, width, length) are one layer.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .common import IngestError, _m

HEAD_ROWS = 30  # the header must be within the first rows (title lines above it are fine)
TEXT_EXTS = (".csv", ".txt", ".tsv")
BOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GBK/GB18030",
                  "utf-16": "UTF-16（Unicode 文本）", "xlsx": "Excel (.xlsx)", "xls": "Excel 97-2003 (.xls)",
                  "ods": "OpenDocument (.ods)"}
_FATAL = (KeyboardInterrupt, SystemExit)


@dataclass
class Sheet:
    """One sheet of cells. Workbooks: ``rows`` (row 0 is the spreadsheet's row 1); text: ``text``."""

    name: str
    rows: list[list] | None = None
    text: bytes | None = None  # UTF-8, line endings \n or \r\n
    delimiter: str = ","
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # Formula cells with no saved result, (row, col) 0-based → A1 reference.
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    _head: list[list] | None = None

    def head(self) -> list[list]:
        """The first HEAD_ROWS rows as lists of cells, for finding the header."""
        if self._head is None:
            if self.rows is not None:
                self._head = [list(r) for r in self.rows[:HEAD_ROWS]]
            else:
                self._head = _text_head(self.text or b"", self.delimiter)
        return self._head


@dataclass
class Book:
    kind: str  # csv / xlsx / xls
    encoding: str  # a key of ENCODING_NAMES
    sheets: list[Sheet]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why), hidden sheets
    notes: list[str] = field(default_factory=list)


def _text_head(text: bytes, delimiter: str) -> list[list]:
    head = text[:65536].decode("utf-8", errors="replace")
    if len(text) > 65536:
        head = head[:head.rfind("\n") + 1] or head
    return [row for _, row in zip(range(HEAD_ROWS), csv.reader(io.StringIO(head, newline=""),
                                                               delimiter=delimiter), strict=False)]


# --- what is this file? ---------------------------------------------------------------------

def _what_is(data: bytes, lang: str) -> str | None:
    """A refusal naming what a non-spreadsheet file is, or None when it may be text."""
    start = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if start.startswith(b"\x00<\x00") or start.startswith(b"<\x00"):
        start = data[:8192].decode("utf-16", errors="ignore").encode("utf-8", errors="ignore").lower().lstrip()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or b"<table" in start[:2048]:
        return _m(lang, "这个文件其实是网页（HTML）格式，只是扩展名写成了表格文件，常见于从网上系统导出的“Excel”。"
                        "请用 Excel 或 WPS 打开它，“另存为” .xlsx 后再上传。",
                  "This file is a web page (HTML) named like a spreadsheet; open it in Excel or WPS and "
                  "save it as .xlsx.")
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:8192]:
        return _m(lang, "这是 Excel 2003 的 XML 表格格式，不能直接读取。"
                        "请用 Excel 或 WPS 打开，“另存为” .xlsx 后再上传。",
                  "This is an Excel 2003 XML spreadsheet; save it as .xlsx first.")
    if data.startswith(b"%PDF"):
        return _m(lang, "这是 PDF 文件，不是表格。请上传 Excel（.xlsx/.xls）或 CSV 文件。",
                  "This is a PDF, not a spreadsheet; upload the Excel or CSV file.")
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return _m(lang, "这是图片，不是表格。请上传 Excel（.xlsx/.xls）或 CSV 文件。",
                  "This is an image, not a spreadsheet; upload the Excel or CSV file.")
    if data.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return _m(lang, "这是压缩包，不是表格。请解压后上传其中的 Excel 或 CSV 文件。",
                  "This is an archive; unpack it and upload the spreadsheet inside.")
    return None


def read(data: bytes, filename: str, lang: str, limits: dict[str, int]) -> Book:
    """Read any upload into a Book, or raise IngestError naming what is wrong with it.

    ``limits`` is :func:`analytics.settings.upload_limits`. Formats: .xlsx/.xlsm and .xls
    (python-calamine), delimited text in UTF-8, GBK/GB18030 or UTF-16 (.csv/.tsv/.txt, and a
    text file named .xls, as some systems export).
    """
    if len(data) > limits["max_bytes"]:
        raise IngestError(_m(lang, f"文件有 {len(data) / 1048576:,.1f} MB，"
                                   f"超过上限 {limits['max_bytes'] / 1048576:,.0f} MB。"
                                   "请按月份或合作社拆成几个文件上传。",
                             f"The file is {len(data) / 1048576:,.1f} MB, over the "
                             f"{limits['max_bytes'] / 1048576:,.0f} MB limit; split it."))
    ext = Path(filename).suffix.lower()
    try:
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return _read_zip(data, lang, limits)
        if data[:8] == OLE_MAGIC:
            return _read_ole(data, lang, limits)
        what = _what_is(data, lang)
        if what:
            raise IngestError(what)
        if ext in (".xlsx", ".xlsm"):
            raise IngestError(_m(lang, "无法打开这个 Excel 文件，它可能已损坏或不是 .xlsx 格式。",
                                 "Cannot open this Excel file; it may be damaged or not .xlsx."))
        if ext == ".xls" and b"\x00" in data[:4096] and data[:2] not in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise IngestError(_m(lang, "无法打开这个 .xls 文件，它可能已损坏。"
                                       "请用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                                 "Cannot open this .xls file; it may be damaged. Save it as .xlsx."))
        return _read_text(data, lang, limits)
    except IngestError:
        raise
    except _FATAL:
        raise
    except BaseException as e:  # noqa: BLE001 - any reader failure (a Rust panic too) is a refusal
        raise IngestError(_m(lang, f"无法读取这个文件，它可能已损坏（{type(e).__name__}）。"
                                   "请用 Excel 或 WPS 打开并重新保存后再上传。",
                             f"Cannot read this file; it may be damaged ({type(e).__name__}). "
                             "Open and save it again in Excel or WPS.")) from None


# --- delimited text ---------------------------------------------------------------------------

_UNKNOWN_ENCODING = ("无法识别文件编码（既不是 UTF-8 也不是 GBK）。"
                     "请在 Excel 中另存为“CSV UTF-8”或直接上传 .xlsx 文件。",
                     "Unknown text encoding (neither UTF-8 nor GBK). Save as “CSV UTF-8” or upload the .xlsx file.")
_MIXED = ("文件编码混杂：开头是 UTF-8，后面不是。请重新导出为“CSV UTF-8”或 .xlsx。",
          "Mixed text encodings in the file; export it again as “CSV UTF-8” or .xlsx.")


def _decode(data: bytes, lang: str) -> tuple[str, bytes]:
    """(encoding, UTF-8 bytes). Never latin-1: it would "succeed" and turn names into mojibake."""
    en = lang == "en"
    if data.startswith(codecs.BOM_UTF8):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(_m(lang, "文件开头标明是 UTF-8 编码，但内容不是合法的 UTF-8。请重新导出。",
                                 "The file says UTF-8 but is not valid UTF-8; export it again.")) from None
        return "utf-8-sig", data[3:]
    utf16 = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else _utf16_guess(data)
    if utf16:
        try:
            return "utf-16", data.decode(utf16).lstrip("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(_UNKNOWN_ENCODING[en]) from None
    try:
        data.decode("utf-8")
        return "utf-8", data
    except UnicodeDecodeError as e:
        if any(b >= 0x80 for b in data[:e.start]):
            raise IngestError(_MIXED[en]) from None  # Chinese already read as UTF-8, then not
    # Excel on a Chinese Windows PC saves "CSV" as GBK; GB18030 is its superset.
    try:
        return "gb18030", data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise IngestError(_UNKNOWN_ENCODING[en]) from None


def _utf16_guess(data: bytes) -> str | None:
    """UTF-16 without a BOM (some exports): NUL bytes, and the head decodes to printable text."""
    if b"\x00" not in data[:4096] or len(data) < 4:
        return None
    for codec in ("utf-16-le", "utf-16-be"):
        sample = data[:4000 - 4000 % 2].decode(codec, errors="replace")
        ok = sum(ch.isprintable() or ch in "\t\r\n" for ch in sample)
        if "\ufffd" not in sample[:-1] and ok >= 0.98 * len(sample) and any(d in sample for d in ",\t\n"):
            return codec
    return None


def _delimiter(text: bytes) -> str:
    """The delimiter, by the standard library's Sniffer on the head, checked for consistency."""
    sample = text[:65536].decode("utf-8", errors="replace")
    lines = [ln for ln in sample.splitlines()[:HEAD_ROWS] if ln.strip()]

    def score(d: str) -> int:  # lines agreeing with the most common field count (≥ 2 fields)
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        counts = [c for c in counts if c > 1]
        return max((counts.count(c) for c in set(counts)), default=0)

    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;|").delimiter
    except csv.Error:
        sniffed = None
    best = max(",\t;|", key=score)
    return sniffed if sniffed and score(sniffed) >= score(best) else best


def _read_text(data: bytes, lang: str, limits: dict[str, int]) -> Book:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError(_m(lang, "文件是空的。", "The file is empty."))
    if data[:4096].count(0) > 8 and not (data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or _utf16_guess(data)):
        raise IngestError(_m(lang, "这不是表格或文本文件（含有二进制内容）。请上传 Excel（.xlsx/.xls）或 CSV 文件。",
                             "This is not a spreadsheet or text file; upload the Excel or CSV file."))
    encoding, text = _decode(data, lang)
    if b"\r" in text and text.count(b"\r") != text.count(b"\r\n"):
        text = re.sub(rb"\r(?!\n)", b"\n", text)  # old Mac line ends: a lone CR ends a line
    delim = _delimiter(text)
    _check_text_shape(text, delim, lang, limits)
    return Book("csv", encoding, [Sheet("", text=text, delimiter=delim)])


def _check_text_shape(text: bytes, delim: str, lang: str, limits: dict[str, int]) -> None:
    """Rows and columns within the limits, counted on the bytes before any cell is made."""
    arr = np.frombuffer(text, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    n_lines = len(newlines) + (0 if text.endswith(b"\n") else 1)
    if n_lines > limits["max_rows"] + HEAD_ROWS:
        raise IngestError(_m(lang, f"文件有 {n_lines:,} 行，超过上限 {limits['max_rows']:,} 行。请拆成几个文件上传。",
                             f"The file has {n_lines:,} rows, over the limit of {limits['max_rows']:,}; split it."))
    delims = np.flatnonzero(arr == ord(delim))
    if not len(delims):
        return
    bounds = np.concatenate([[-1], newlines, [len(arr)]])
    per_line = np.diff(np.searchsorted(delims, bounds))
    suspects = np.flatnonzero(per_line >= limits["max_columns"])
    for i in suspects[:50]:  # exact count only where the cheap one is over: quotes, trailing empties
        line = text[bounds[i] + 1:bounds[i + 1]]
        line = re.sub(rb'"[^"]*"', b"x", line).rstrip(b" \r\n" + delim.encode())
        n = line.count(delim.encode()) + 1
        if n > limits["max_columns"]:
            raise IngestError(_m(lang, f"第 {i + 1} 行有 {n:,} 列，超过上限 {limits['max_columns']:,} 列。"
                                       "这不像月报表；请检查文件是否正确。",
                                 f"Row {i + 1} has {n:,} columns, over the limit of {limits['max_columns']:,}."))


# --- workbooks --------------------------------------------------------------------------------

_DAMAGED = ("无法打开这个 Excel 文件，它可能已损坏或不是 .xlsx 格式。",
            "Cannot open this Excel file; it may be damaged or not .xlsx.")


def _read_zip(data: bytes, lang: str, limits: dict[str, int]) -> Book:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except Exception:  # noqa: BLE001 - any damage to the directory
        raise IngestError(_DAMAGED[lang == "en"]) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype")[:100]:
            _check_zip(infos, lang, limits)
            return _read_calamine_book(data, "ods", lang, limits, {})
        if any(n.startswith("word/") for n in names):
            raise IngestError(_m(lang, "这是 Word 文档，不是表格。请上传 Excel（.xlsx/.xls）或 CSV 文件。",
                                 "This is a Word document, not a spreadsheet."))
        raise IngestError(_DAMAGED[lang == "en"])
    _check_zip(infos, lang, limits)
    sheets, skipped = [], []
    paths = _sheet_paths(z)
    wb = _calamine(data)
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            if _skip_hidden(meta, skipped, lang):
                continue
            path = paths[i] if i < len(paths) else None
            formulas: dict[tuple[int, int], str] = {}
            if path and path in names:
                formulas = _scan_sheet_xml(z, path, meta.name, lang, limits)
            sheets.append(_calamine_sheet(wb, meta.name, lang, limits, formulas))
    finally:
        wb.close()
    return Book("xlsx", "xlsx", sheets, skipped)


def _check_zip(infos: list[zipfile.ZipInfo], lang: str, limits: dict[str, int]) -> None:
    """Refuse a zip bomb from the directory alone, before inflating a byte."""
    total = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or total > limits["max_unzipped_bytes"]:
        raise IngestError(_m(lang, f"这个 Excel 文件解压后有 {total / 1048576:,.0f} MB，超过上限 "
                                   f"{limits['max_unzipped_bytes'] / 1048576:,.0f} MB（可能是“压缩炸弹”），未读取。",
                             f"This Excel file unpacks to {total / 1048576:,.0f} MB, over the limit "
                             f"({limits['max_unzipped_bytes'] / 1048576:,.0f} MB); not read."))
    for i in infos:
        if i.file_size > 1_048_576 and i.file_size > limits["max_zip_ratio"] * max(i.compress_size, 1):
            raise IngestError(_m(lang, f"这个 Excel 文件里的“{i.filename}”压缩比为 "
                                       f"{i.file_size / max(i.compress_size, 1):,.0f} 倍，超过上限 "
                                       f"{limits['max_zip_ratio']} 倍（可能是“压缩炸弹”），未读取。",
                                 f"“{i.filename}” in this Excel file is compressed "
                                 f"{i.file_size / max(i.compress_size, 1):,.0f}×, over the limit of "
                                 f"{limits['max_zip_ratio']}× (a zip bomb?); not read."))


def _attrs(tag: bytes) -> dict[str, str]:
    out = {}
    for k, v in re.findall(rb'([\w:]+)="([^"]*)"', tag):
        key = k.decode().split(":")[-1] + (":id" if k.startswith(b"r:") else "")
        out[key] = html.unescape(v.decode("utf-8", "replace"))
    return out


def _sheet_paths(z: zipfile.ZipFile) -> list[str]:
    """Sheet XML paths in workbook order (the order python-calamine lists the sheets in)."""
    wb = z.read("xl/workbook.xml")
    try:
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return []
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        a = _attrs(tag)
        t = a.get("Target", "")
        t = t.lstrip("/") if t.startswith("/") else "xl/" + t
        targets[a.get("Id")] = re.sub(r"[^/]+/\.\./", "", t)
    out = []
    for tag in re.findall(rb"<(?:\w+:)?sheet\b[^>]*>", wb):
        a = _attrs(tag)
        out.append(targets.get(a.get("id:id") or a.get("id") or "", ""))
    return out


_CELL_RE = re.compile(rb"<(?:\w{1,10}:)?c\b([^>]*?)(/>|>(.*?)</(?:\w{1,10}:)?c>)", re.S)
_REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d{1,7})"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _scan_sheet_xml(z: zipfile.ZipFile, path: str, sheet: str, lang: str, limits: dict[str, int]
                    ) -> dict[tuple[int, int], str]:
    """Stream a sheet's XML once, before python-calamine materialises it: refuse a sheet whose
    extent is over the limits (a few cells far apart would make a dense grid of billions),
    and list the formula cells that have no saved result."""
    max_col = max_row = -1
    formulas: dict[tuple[int, int], str] = {}
    # Only refs that could be over the limits are matched (two- or three-letter columns, rows with
    # as many digits as the limit): a normal sheet has none, and the scan runs at inflate speed.
    wide = re.compile(rb'r="([A-Z]{2,3})\d')  # a literal start: the regex engine skips ahead fast
    tall = re.compile(rb'r="[A-Z]{0,3}(\d{%d,})"' % len(str(limits["max_rows"] + HEAD_ROWS)))
    with z.open(path) as fh:
        tail = b""
        while True:
            chunk = fh.read(1 << 22)
            buf = tail + chunk
            cut = buf.rfind(b"</row>") + 6 if chunk else len(buf)
            if cut < 6:
                cut = len(buf) if len(buf) > (64 << 20) else 0  # one enormous row: look anyway
            part, tail = buf[:cut], buf[cut:]
            for m in wide.finditer(part):
                if _holds_value(part, m.start()):
                    max_col = max(max_col, _col_index(m.group(1)))
            for m in tall.finditer(part):
                if _holds_value(part, m.start()):
                    max_row = max(max_row, int(m.group(1)) - 1)
            if b"<f" in part or b":f" in part:
                _formula_cells(part, formulas)
            if not chunk:
                break
    if max_col + 1 > limits["max_columns"]:
        raise IngestError(_m(lang, f"工作表“{sheet}”用到了第 {max_col + 1:,} 列，"
                                   f"超过上限 {limits['max_columns']:,} 列。"
                                   "请删掉右边多余的内容后再上传。",
                             f"Sheet “{sheet}” reaches column {max_col + 1:,}, over the limit of "
                             f"{limits['max_columns']:,}."))
    if max_row + 1 > limits["max_rows"] + HEAD_ROWS:
        raise IngestError(_m(lang, f"工作表“{sheet}”用到了第 {max_row + 1:,} 行，超过上限 {limits['max_rows']:,} 行。"
                                   "请删掉下面多余的内容后再上传。",
                             f"Sheet “{sheet}” reaches row {max_row + 1:,}, over the limit of {limits['max_rows']:,}."))
    return formulas


def _holds_value(xml: bytes, ref_at: int) -> bool:
    """Whether the element whose r="…" starts at ``ref_at`` is a cell holding a value (or a
    formula): a row element, or a cell that only carries formatting (a border at I1048576), does
    not make the sheet that long."""
    start = xml.rfind(b"<", 0, ref_at)
    tag = xml[start + 1:ref_at].split(None, 1)[0] if start >= 0 else b""
    if tag.split(b":")[-1] != b"c":
        return False
    close = xml.find(b">", ref_at)
    if close < 0 or xml[close - 1:close] == b"/":
        return False
    end = xml.find(b"c>", close)
    body = xml[close:end if end >= 0 else close + 4096]
    return bool(re.search(rb"<(?:\w{1,10}:)?(?:v|is|f)\b[^>]*>\s*[^<\s]|<(?:\w{1,10}:)?(?:is|f)\b", body))


def _formula_cells(xml: bytes, out: dict[tuple[int, int], str]) -> None:
    """Formula cells with no saved value: ``<f>`` and an empty or missing ``<v>``, unless the cell is
    typed as a string (Excel's saved result of ``=IF(…,"",…)`` is an empty string, a real value)."""
    for m in _CELL_RE.finditer(xml):
        body = m.group(3) or b""
        if b"<f" not in body and b":f" not in body:
            continue
        v = re.search(rb"<(?:\w{1,10}:)?v>([^<]*)</", body)
        if v and v.group(1).strip():
            continue
        if re.search(rb'\bt="(?:str|inlineStr|s)"', m.group(1)) and v is not None:
            continue
        ref = _REF_RE.search(m.group(1))
        if ref:
            out[(int(ref.group(2)) - 1, _col_index(ref.group(1)))] = (ref.group(1) + ref.group(2)).decode()


def _calamine(data: bytes):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def _skip_hidden(meta, skipped: list[tuple[str, str]], lang: str) -> bool:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    if meta.visible != SheetVisibleEnum.Visible:
        skipped.append((meta.name, _m(lang, "隐藏的工作表", "hidden sheet")))
        return True
    if meta.typ not in (SheetTypeEnum.WorkSheet,):
        skipped.append((meta.name, _m(lang, "不是数据表（图表等）", "not a worksheet")))
        return True
    return False


def _calamine_sheet(wb, name: str, lang: str, limits: dict[str, int],
                    formulas: dict[tuple[int, int], str]) -> Sheet:
    ws = wb.get_sheet_by_name(name)
    end = ws.end or (0, 0)
    if end[1] + 1 > limits["max_columns"]:
        raise IngestError(_m(lang, f"工作表“{name}”用到了第 {end[1] + 1:,} 列，超过上限 {limits['max_columns']:,} 列。"
                                   "请删掉右边多余的内容后再上传。",
                             f"Sheet “{name}” reaches column {end[1] + 1:,}, over the limit of "
                             f"{limits['max_columns']:,}."))
    if end[0] + 1 > limits["max_rows"] + HEAD_ROWS:
        raise IngestError(_m(lang, f"工作表“{name}”有 {end[0] + 1:,} 行，超过上限 {limits['max_rows']:,} 行。",
                             f"Sheet “{name}” has {end[0] + 1:,} rows, over the limit of {limits['max_rows']:,}."))
    rows = ws.to_python(skip_empty_area=False)
    merged = list(ws.merged_cell_ranges or [])
    return Sheet(name, rows=rows, merged=merged, formulas=formulas)


def _read_ole(data: bytes, lang: str, limits: dict[str, int]) -> Book:
    """An OLE compound file: Excel 97-2003 (.xls, as WPS and old Excel save), or not."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(s) for s in ole.listdir()}
    except Exception:  # noqa: BLE001
        raise IngestError(_m(lang, "无法打开这个 .xls 文件，它可能已损坏。"
                                   "请用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                             "Cannot open this .xls file; it may be damaged. Save it as .xlsx.")) from None
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise IngestError(_m(lang, "这个 Excel 文件设置了打开密码，无法读取。请去掉密码后另存再上传。",
                             "This Excel file is password-protected; remove the password and save it again."))
    if "WordDocument" in streams:
        raise IngestError(_m(lang, "这是 Word 文档（.doc），不是表格。请上传 Excel 或 CSV 文件。",
                             "This is a Word document, not a spreadsheet."))
    stream = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
    if stream is None:
        raise IngestError(_m(lang, "无法打开这个 .xls 文件：里面找不到工作簿数据，它可能已损坏或不是 Excel 文件。"
                                   "请用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                             "Cannot open this .xls file: no workbook inside; it may be damaged."))
    biff = ole.openstream(stream).read()
    try:
        formulas_by_sheet, extents, patched = _biff_scan(biff)
    except XlsDamaged as e:

        raise IngestError(_m(lang, f"这个 .xls 文件已损坏：第 {e.sheet + 1} 张工作表的范围记录写着 {e.rows:,} 行、"
                                   f"{e.cols:,} 列，超出 .xls 格式能有的 65,536 行、256 列。"
                                   "请用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                             f"This .xls file is damaged: sheet {e.sheet + 1} claims {e.rows:,} rows and "
                             f"{e.cols:,} columns, more than an .xls can hold. Save it as .xlsx.")) from None
    for i, (rows, cols) in extents.items():
        if rows > limits["max_rows"] + HEAD_ROWS or cols > limits["max_columns"]:
            raise IngestError(_m(lang, f"第 {i + 1} 张工作表用到了 {rows:,} 行、{cols:,} 列，超过上限"
                                       f"（{limits['max_rows']:,} 行、{limits['max_columns']:,} 列）。"
                                       "请删掉多余的内容后再上传。",
                                 f"Sheet {i + 1} uses {rows:,} rows and {cols:,} columns, over the limits."))
    if patched != biff:
        # The sheet extents the file claims (DIMENSIONS) replaced by the cells it really holds:
        # the reader sizes its grid from them (2³² claimed rows abort it; a border at row 65,536
        # makes a grid of 16 million cells for two rows of data).
        ole.write_mode = True
        ole.write_stream(stream, patched)
        ole.fp.seek(0)
        data = ole.fp.read()
    ole.close()
    return _read_calamine_book(data, "xls", lang, limits, formulas_by_sheet)


def _read_calamine_book(data: bytes, kind: str, lang: str, limits: dict[str, int],
                        formulas_by_sheet: dict[int, dict[tuple[int, int], str]]) -> Book:
    wb = _calamine(data)
    sheets, skipped = [], []
    try:
        for i, meta in enumerate(wb.sheets_metadata):
            if _skip_hidden(meta, skipped, lang):
                continue
            sheets.append(_calamine_sheet(wb, meta.name, lang, limits, formulas_by_sheet.get(i, {})))
    finally:
        wb.close()
    return Book(kind, kind, sheets, skipped)


# PARK_UPLOAD_XLS_CHECK=0 switches the DIMENSIONS check off: the tests of the child process use it
# to let a file that crashes the reader reach it (in the child, where it can do no harm).
XLS_CHECK = os.environ.get("PARK_UPLOAD_XLS_CHECK", "1") != "0"


class XlsDamaged(Exception):
    """A sheet's DIMENSIONS record claims more than an .xls can hold (65,536 rows, 256 columns)."""

    def __init__(self, sheet: int, rows: int, cols: int):
        super().__init__(sheet, rows, cols)
        self.sheet, self.rows, self.cols = sheet, rows, cols


# BIFF8 records holding a cell's value: NUMBER, RK, LABELSST, LABEL, FORMULA, BOOLERR, RSTRING
# (row u16, col u16 first), MULRK (row, first col, …, last col u16 at the end). BLANK and
# MULBLANK carry only formatting.
_VALUE_RECORDS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0006, 0x0205, 0x00D6}


def _biff_scan(biff: bytes) -> tuple[dict[int, dict[tuple[int, int], str]], dict[int, tuple[int, int]], bytes]:
    """One pass over the Workbook stream: per sheet (workbook order) the formula cells without a
    saved result (:func:`_biff_formulas`), the extent its value cells really use (rows, columns),
    and the stream with every DIMENSIONS record (0x0200) set to that extent."""
    import struct

    formulas = _biff_formulas(biff)
    extents: dict[int, tuple[int, int]] = {}
    dims: dict[int, int] = {}
    out = bytearray(biff)
    sheet, pos, n = -1, 0, len(biff)
    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", biff, pos)
        rec = biff[pos + 4:pos + 4 + length]
        at = pos + 4
        pos += 4 + length
        if rtype == 0x0809 and len(rec) >= 4:
            if struct.unpack_from("<H", rec, 2)[0] == 0x0010:
                sheet += 1
                extents[sheet] = (0, 0)
        elif sheet < 0:
            continue
        elif rtype == 0x0200 and len(rec) >= 14:
            dims[sheet] = at
            claimed_rows, = struct.unpack_from("<I", rec, 4)
            claimed_cols, = struct.unpack_from("<H", rec, 10)
            if XLS_CHECK and (claimed_rows > 65_536 or claimed_cols > 256):  # beyond BIFF8: damaged
                raise XlsDamaged(sheet, claimed_rows, claimed_cols)
        elif rtype in _VALUE_RECORDS and len(rec) >= 4:
            row, col = struct.unpack_from("<HH", rec, 0)
            r, c = extents[sheet]
            extents[sheet] = (max(r, row + 1), max(c, col + 1))
        elif rtype == 0x00BD and len(rec) >= 6:
            row, = struct.unpack_from("<H", rec, 0)
            last, = struct.unpack_from("<H", rec, len(rec) - 2)
            r, c = extents[sheet]
            extents[sheet] = (max(r, row + 1), max(c, last + 1))
    if not XLS_CHECK:
        return formulas, {}, biff
    for i, at in dims.items():
        rows, cols = extents.get(i, (0, 0))
        struct.pack_into("<IIHH", out, at, 0, rows, 0, cols)
    return formulas, extents, bytes(out)


def _biff_formulas(biff: bytes) -> dict[int, dict[tuple[int, int], str]]:
    """Per sheet (workbook order), the FORMULA records whose cached result is an empty string —
    what a program writing .xls without computing (xlwt and the like) leaves. BIFF8 records are
    (type u16, length u16, data); a FORMULA (0x0006) holds row, col, xf and an 8-byte result
    whose last two bytes 0xFFFF mark a non-number, first byte 3 an empty string, 0 a string that
    follows in a STRING record (0x0207)."""
    import struct

    out: dict[int, dict[tuple[int, int], str]] = {}
    sheet, pos, n = -1, 0, len(biff)
    pending: tuple[int, int] | None = None
    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", biff, pos)
        rec = biff[pos + 4:pos + 4 + length]
        pos += 4 + length
        if rtype == 0x0809 and len(rec) >= 4 and struct.unpack_from("<H", rec, 2)[0] == 0x0010:
            sheet += 1  # BOF of a worksheet substream
        elif rtype == 0x0006 and len(rec) >= 14 and sheet >= 0:
            row, col = struct.unpack_from("<HH", rec, 0)
            res = rec[6:14]
            pending = None
            if res[6:8] == b"\xff\xff" and res[0] == 3:
                out.setdefault(sheet, {})[(row, col)] = _a1(row, col)
            elif res[6:8] == b"\xff\xff" and res[0] == 0:
                pending = (row, col)
        elif rtype == 0x0207 and pending is not None:
            if len(rec) < 3 or struct.unpack_from("<H", rec, 0)[0] == 0:
                out.setdefault(sheet, {})[pending] = _a1(*pending)
            pending = None
    return out


def _a1(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row + 1}"


# --- the body as columns ------------------------------------------------------------------------

# Numbers pyarrow would read wrong or not at all: 3.200 (3.2, or 3,200 in a European export) and
# 2,5 (a decimal comma). Such a file keeps every cell as written, for the column to decide.
_DOT3 = re.compile(rb"\.\d{3}(?![\d.])")  # a literal start: scanned at memchr speed
_DOT_GROUPED = re.compile(rb"(?:^|[;\t|,\"'\n])\s*[+-]?[1-9]\d{0,2}(?:\.\d{3})+\s*(?:[;\t|,\"\r\n]|$)")
_DECIMAL_COMMA = re.compile(rb"\d,\d")


def _locale_hazard(text: bytes) -> bool:
    """Whether a cell reads like 3.200 (1–3 digits, then groups of three after dots)."""
    for n, m in enumerate(_DOT3.finditer(text)):
        if n > 10_000:
            return True  # many three-decimal figures: keep them as written, the columns decide
        a = max(text.rfind(b"\n", max(0, m.start() - 64), m.start()), m.start() - 64, 0)
        if _DOT_GROUPED.search(text, a, min(len(text), m.end() + 64)):
            return True
    return False


def body_frame(sheet: Sheet, start: int, ncols: int, text_cols: set[int], lang: str
               ) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """Rows from ``start`` (0-based) as columns c0..c{ncols-1}, their spreadsheet row numbers,
    and the cells right of the header holding something (problems). Text is read by pyarrow
    (fast, typed); rows of another width or quoted line breaks fall back to the csv module."""
    names = [f"c{i}" for i in range(ncols)]
    if sheet.rows is not None:
        return _rows_frame(sheet.rows[start:], names, start + 1)
    bad: list = []
    text = sheet.text or b""
    if _locale_hazard(text) or (sheet.delimiter != "," and _DECIMAL_COMMA.search(text)):
        text_cols = set(range(ncols))  # 3.200 or 2,5: kept as written, the column decides what '.' means
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(sheet.text or b""),
            read_options=pacsv.ReadOptions(skip_rows=start, column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sheet.delimiter, ignore_empty_lines=False,
                                             invalid_row_handler=lambda r: bad.append(r) or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={names[i]: pa.string() for i in text_cols if i < ncols},
                null_values=[""], true_values=["\x01"], false_values=["\x02"],
                strings_can_be_null=True, timestamp_parsers=[]))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        bad.append(None)
    if not bad:
        for i, f in enumerate(tbl.schema):  # pyarrow guesses dates, times, booleans: keep them as written
            if not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_string(f.type)
                    or pa.types.is_null(f.type)):
                tbl = tbl.set_column(i, f.name, tbl.column(i).cast(pa.string()))
        df = tbl.to_pandas()
        return df, start + 1 + np.arange(len(df)), []
    csv.field_size_limit(max(1 << 17, 16 * 1024 * 1024))
    reader = csv.reader(io.StringIO((sheet.text or b"").decode("utf-8"), newline=""), delimiter=sheet.delimiter)
    rows = [r for i, r in enumerate(reader) if i >= start]
    return _rows_frame(rows, names, start + 1)


def _rows_frame(rows: list, names: list[str], first_row: int) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """Rows of any width as the named columns, plus the cells beyond them (reported as problems).
    Columns holding only numbers and blanks become float columns (the fast paths downstream)."""
    ncols = len(names)
    width = max((len(r) for r in rows), default=ncols)
    df = pd.DataFrame(rows, columns=range(width), dtype=object) if rows else \
        pd.DataFrame(columns=range(width), dtype=object)
    df = df.reindex(columns=range(max(width, ncols)))
    extra = df.iloc[:, ncols:]
    df = df.iloc[:, :ncols]
    df.columns = names
    for c in names:
        col = df[c]
        head = [x for x in col.iloc[:200].to_numpy() if x is not None and x != ""][:20]
        if any(isinstance(x, str) and not re.fullmatch(r"\s*[+-]?\d[\d.]*\s*", x) for x in head) or \
                any(not isinstance(x, (str, int, float)) for x in head):
            continue  # a text, date or mixed column: not worth parsing all of it
        num = pd.to_numeric(col, errors="coerce")
        n_num = int(num.notna().sum())
        if not n_num:
            continue
        n_blank = int((col.isna() | col.eq("")).sum())
        if n_num + n_blank != len(col):
            continue
        if ((num == 0) | (num == 1)).any() and any(type(x) is bool for x in col.to_numpy()):
            continue  # TRUE/FALSE cells are not numbers
        df[c] = num.astype(float)
    return df, first_row + np.arange(len(df)), _extra_cells(extra, first_row)


def _extra_cells(extra: pd.DataFrame, first_row: int) -> list[dict]:
    """Cells right of the header's last column that hold something."""
    if extra.shape[1] == 0:
        return []
    filled = extra.notna().to_numpy() & (extra.astype(str).apply(lambda s: s.str.strip()) != "").to_numpy()
    r, c = np.nonzero(filled)
    return [{"row": int(first_row + i), "column": f"#{extra.columns[j] + 1}", "value": str(extra.iat[i, j])}
            for i, j in zip(r, c, strict=True)]
