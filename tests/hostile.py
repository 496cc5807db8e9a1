"""A park whose names are hostile (issue 11): Markdown, HTML, formulas, SQL quotes, NUL.

The names reach the store the way a cooperative's would: as monthly CSV files through
``ingest.ingest`` (the upload page's path). A NUL cannot come in that way once uploads refuse
control characters, but an older store can hold one: it is then put in by a parameterised
rename, as such a store would have it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from analytics import ingest
from analytics.access import permissions
from analytics.store.db import Store

EVIL = "evil.example"  # every link a hostile name carries points here
COOPS = {
    "markdown": f"[点我](http://{EVIL}/md)社",
    "html_link": f'<a href="http://{EVIL}/a">链接</a>社',
    "html_tags": "<img src=x onerror=alert(1)><b id=evilb>粗</b>社",
    "formula": f'=HYPERLINK("http://{EVIL}/f","点")',
    "sql": "O'Brien'); DROP TABLE users;--",
    "styles": "**evilbold** :red[evilred] $evilmath$ www.evil.example 社",
}
NUL_COOP = "空\x00字符社"
_RENAMED = "待改名合作社"  # uploaded like the others, then given the NUL name
UNITS = ["D'1", "<b>D2</b>", f"[D3](http://{EVIL}/u)", "+D4", "-D5", "@D6"]
VILLAGES = [f"[甲村](http://{EVIL}/v)", f"<a href='http://{EVIL}/v2'>乙村</a>", "=丙村"]
ZONES = [f"<a href='http://{EVIL}/z'>一区</a>", "**二区**"]
CROPS = [f'<a href="http://{EVIL}/c">西瓜</a>', "[山药](http://evil.example/y)"]
# A browser sends a file name without folders (the store keeps only the last part after "/").
FILENAME = f"[月报]({EVIL})<img src=x onerror=alert(2)>.csv"
MONTHS = ["2023-11", "2023-12"]


def _rows(sector: str) -> pd.DataFrame:
    rows = []
    for i, coop in enumerate([*COOPS.values(), _RENAMED]):
        for month in MONTHS:
            unit = UNITS[i % len(UNITS)]
            row = {"月份": month, "合作社": coop, "村": VILLAGES[i % len(VILLAGES)], "小区": ZONES[i % len(ZONES)],
                   "销售收入(元)": 90_000 + 1_000 * i, "成本(元)": 60_000, "用工(人)": 3}
            if sector == "duck":
                row |= {"棚号": unit, "存栏(羽)": 4_000 + i, "产蛋(枚)": 90_000, "占地(亩)": 2.5}
            elif sector == "hog":
                row |= {"养殖户": unit, "存栏(头)": 300 + i, "出栏(头)": 40, "占地(亩)": 3}
            else:
                row |= {"棚号": unit, "棚型": "温室", "作物": CROPS[i % len(CROPS)], "面积(亩)": 2,
                        "产量(公斤)": 8_000}
            rows.append(row)
    return pd.DataFrame(rows)


def csv_bytes(sector: str) -> bytes:
    return _rows(sector).to_csv(index=False).encode("utf-8")


def build(path: Path, demo_db_file: Path) -> Path:
    """The demo park plus every hostile name in every sector; returns ``path``."""
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        for sector in ("duck", "hog", "greenhouse"):
            name = FILENAME if sector == "duck" else f"{sector}.csv"
            r = ingest.ingest(s, csv_bytes(sector), name, permissions.SYSTEM, sector=sector)
            assert r.n_rows == (len(COOPS) + 1) * len(MONTHS), r
        # An older store may hold a NUL in a name: the rename a repair script would do.
        victim = _RENAMED
        with s.write() as cur:
            for table in ("duck_records", "hog_records", "greenhouse_records"):
                cur.execute(f"UPDATE {table} SET cooperative = ? WHERE cooperative = ?",  # noqa: S608
                            [NUL_COOP, victim])
            cur.execute("UPDATE units SET cooperative = ? WHERE cooperative = ?", [NUL_COOP, victim])
            cur.execute("UPDATE cooperatives SET name = ? WHERE name = ?", [NUL_COOP, victim])
    return path
