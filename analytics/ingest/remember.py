"""Column choices remembered per cooperative and layout (table ``column_choices``, migration 13).

An uploader who said what a column is that the reader did not understand (出栏合计(头) → 出栏, or
“ignore 其他收入”) should not have to say it again next month for the same form: :func:`keep`
stores the choices an upload used when it is committed (or submitted for review), keyed by
sector, cooperative (as the file names it) and the layout's fingerprint; :func:`recall` finds
them for the next file of that cooperative and layout. The page and the command line apply them
as the starting choice and say so ("沿用上次的列选择：…"), so it is never silent, and the
uploader can change them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from .common import _m, norm
from .identity import _unregister
from .layout import USER_IGNORED, USER_MAPPED, ColumnChoices
from .validate import Parsed

Cursor = duckdb.DuckDBPyConnection
IGNORED = ""  # the stored choice of a column ignored


def used(p: Parsed) -> pd.DataFrame:
    """The column choices ``p`` was read with, per sheet layout: layout, header, choice
    (a contract column key, or '' when ignored)."""
    cols = p.columns
    if not len(cols) or not p.layouts:
        return pd.DataFrame(columns=["layout", "header", "choice"])
    mine = cols[cols["status"].isin([USER_MAPPED, USER_IGNORED])]
    out = pd.DataFrame({"layout": mine["sheet"].map(p.layouts), "header": mine["column"],
                        "choice": [IGNORED if s == USER_IGNORED else (k or IGNORED)
                                   for s, k in zip(mine["status"], mine["key"], strict=True)]})
    return out.dropna(subset=["layout"]).drop_duplicates(["layout", "header"], keep="last").reset_index(drop=True)


def keep(cur: Cursor, p: Parsed, chosen_by: str, upload_id: int | None = None) -> int:
    """Inside a write: store the choices ``p`` used for each cooperative its rows name, replacing
    earlier ones for the same header. Returns how many (cooperative, header) choices were kept."""
    rows = used(p)
    coops = p.named_cooperatives or p.cooperatives
    if not len(rows) or not coops or p.sector is None:
        return 0
    frame = rows.merge(pd.DataFrame({"cooperative": coops}), how="cross").assign(
        sector=p.sector, chosen_by=chosen_by, upload_id=upload_id)
    cur.register("_col_choices", frame)
    try:
        cur.execute("""INSERT OR REPLACE INTO column_choices (sector, cooperative, layout, header, choice, chosen_by,
                                                              chosen_at, upload_id)
                       SELECT sector, cooperative, layout, header, choice, chosen_by, current_timestamp,
                              CAST(upload_id AS BIGINT) FROM _col_choices""")
    finally:
        _unregister(cur, "_col_choices")
    return len(frame)


def recall(cur: Cursor, p: Parsed, explicit: ColumnChoices | None = None) -> dict[str, str]:
    """The kept choices for ``p``'s cooperatives and layouts, for the headers the file has and
    ``explicit`` (the choices given now) does not decide: header as written → contract column
    key, or '' (ignore). The newest wins where the file's cooperatives chose differently."""
    if p.sector is None or not p.layouts or not p.named_cooperatives or not len(p.columns):
        return {}
    if not cur.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'column_choices'").fetchall()[0][0]:
        return {}  # a store from before migration 13, opened read-only
    ph = ", ".join("?" * len(p.named_cooperatives))
    pl = ", ".join("?" * len(set(p.layouts.values())))
    rows = cur.execute(f"""SELECT layout, header, choice FROM column_choices
                           WHERE sector = ? AND cooperative IN ({ph}) AND layout IN ({pl})
                           ORDER BY chosen_at""",
                       [p.sector, *p.named_cooperatives, *sorted(set(p.layouts.values()))]).fetchall()
    headers = {(p.layouts.get(sh), norm(h)): h for sh, h in zip(p.columns["sheet"], p.columns["column"], strict=True)}
    out: dict[str, str] = {}
    for layout, header, choice in rows:
        written = headers.get((layout, norm(header)))
        if written is not None:
            out[written] = choice
    if explicit is not None:
        decided = set(explicit.columns) | explicit.ignore
        out = {h: c for h, c in out.items() if norm(h) not in decided}
    order = list(dict.fromkeys(headers.values()))  # as the file's columns run
    return {h: out[h] for h in order if h in out}


def merged(recalled: dict[str, str], explicit: ColumnChoices | None) -> ColumnChoices:
    """The recalled choices under the ones given now (a header given now wins)."""
    given = explicit or ColumnChoices()
    mapped = {h: c for h, c in recalled.items() if c != IGNORED}
    ignore = {h for h, c in recalled.items() if c == IGNORED}
    decided = set(given.columns) | given.ignore
    mapped = {h: c for h, c in mapped.items() if norm(h) not in decided}
    ignore = {h for h in ignore if norm(h) not in decided}
    return ColumnChoices({**mapped, **given.columns}, ignore | given.ignore)


def describe(recalled: dict[str, str], sector_columns: dict[str, str], lang: str, *, cli: bool = False) -> str:
    """"沿用上次的列选择：“出栏合计(头)” → 出栏；“其他收入” → 忽略" — what the preview and the CLI say
    (``sector_columns``: column key → its name as shown)."""
    parts = []
    for header, choice in recalled.items():
        target = _m(lang, "忽略", "ignored") if choice == IGNORED else sector_columns.get(choice, choice)
        parts.append(f"“{header}” → {target}")
    how = ("（要改：--column \"表头=列\" 或 --ignore-column \"表头\"）", " (to change: --column or --ignore-column)") \
        if cli else ("（可在下面的“列核对”里修改）", " (change them under “Check the columns” below)")
    return _m(lang, "沿用上次的列选择：" + "；".join(parts) + how[0],
              "Column choices from last time: " + "; ".join(parts) + how[1])
