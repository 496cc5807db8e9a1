"""Cross-checks of a file against the store: a 本年累计 column against the stored months.

A monthly form often carries, beside 本月出栏, the year-to-date 本年累计出栏. It is not imported,
but it says what the months must add up to: the stored months of the unit's year plus the
file's own months (the file's rows replace the stored ones they meet). When every month of the
span is known and the sums disagree beyond rounding, one of the figures is wrong and the file is
refused whole naming both; when months are missing (a first upload of the year in March is
normal) it is a preview warning naming them — unless the known months alone already exceed the
累计, which no missing month can mend (every summed measure is ≥ 0).

Used by :func:`.apply.preview` and inside :func:`.apply.commit`'s transaction (so a month
stored between preview and confirm is counted).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .. import contract
from ..contract import MONEY
from .common import ISSUE_COLUMNS, _m, empty_issues
from .identity import _unregister
from .validate import Parsed

Cursor = duckdb.DuckDBPyConnection


def tolerance(figure: float, total: float) -> float:
    """How far a 累计 may be from the sum of its months and still agree: rounding of the form's
    figures, 1 (元 / 头 / 公斤) or 0.5 % of the larger, whichever is more."""
    return max(1.0, 0.005 * max(abs(figure), abs(total)))


def _shown(v: float, col: contract.Column) -> str:
    text = f"{v:,.2f}" if col.kind == MONEY else f"{v:,.3f}".rstrip("0").rstrip(".")
    return f"{text} {col.unit}" if col.unit else text


def _months_text(months: list[pd.Timestamp]) -> str:
    return "、".join(m.strftime("%Y-%m") for m in months)


def cumulative_issues(cur: Cursor, p: Parsed, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(errors, warnings) of the file's 本年累计 figures (p.cumulative) against the months.

    ``frame``: the file's rows with registered names (identity.resolve), in p's row order.
    Errors refuse the file (sheet, row, the 累计 column, its figure, a reason naming the unit, the
    measure, both figures); warnings name the months missing from the store. Reads only the
    file's units in the years its 累计 figures cover."""
    c = p.cumulative
    if not len(c) or not len(frame) or p.sector is None:
        return empty_issues(), empty_issues()
    s = contract.SECTORS[p.sector]
    lang = p.lang
    sheets = p.sheet_of_row if len(p.sheet_of_row) else np.full(len(p.rows), "", dtype=object)
    at = pd.DataFrame({"sheet": sheets.astype(object), "row": np.asarray(p.rows, dtype=np.int64),
                       "_i": np.arange(len(p.rows))})
    c = c.assign(row=c["row"].astype(np.int64), sheet=c["sheet"].astype(object)).merge(at, on=["sheet", "row"])
    if not len(c):
        return empty_issues(), empty_issues()
    idx = c["_i"].to_numpy()
    month = pd.to_datetime(frame["month"].to_numpy()[idx])
    c = c.assign(month=month, cooperative=frame["cooperative"].to_numpy()[idx], unit=frame["unit"].to_numpy()[idx])
    c["last"] = np.where(c["last"] > 0, c["last"], month.month)
    c["first"] = np.where(c["first"] > 0, c["first"], 1)
    # A span reaching past the row's month (1—12月 in a September row) cannot be checked yet.
    c = c[(c["first"] <= c["last"]) & (c["last"] <= month.month)].reset_index(drop=True)
    if not len(c):
        return empty_issues(), empty_issues()
    c["fid"] = np.arange(len(c))
    measures = sorted(set(c["measure"]))

    # The months each figure adds up, one row per (figure, month).
    n = (c["last"] - c["first"] + 1).to_numpy()
    span = c.loc[c.index.repeat(n)].reset_index(drop=True)
    offset = np.concatenate([np.arange(k) for k in n])
    span["month"] = pd.to_datetime(pd.DataFrame({"year": span["month"].dt.year,
                                                 "month": span["first"].to_numpy() + offset, "day": 1}))

    # Known values: the stored records of the file's units in those years, then the file's own
    # rows over them (a carried column's empty cell empties the stored value: not reported).
    keys = c[["cooperative", "unit"]].drop_duplicates()
    lo = pd.Timestamp(year=int(span["month"].dt.year.min()), month=1, day=1).date()
    hi = span["month"].max().date()
    cur.register("_cum_keys", keys)
    try:
        stored = cur.execute(f"""SELECT r.month, r.cooperative, r.unit, {', '.join(f'r.{m}' for m in measures)}
                                 FROM {s.table} r SEMI JOIN _cum_keys k
                                   ON r.cooperative = k.cooperative AND r.unit = k.unit
                                 WHERE r.month BETWEEN ? AND ?""", [lo, hi]).df()
    finally:
        _unregister(cur, "_cum_keys")
    stored["month"] = pd.to_datetime(stored["month"]).astype("datetime64[ns]")
    known = stored.melt(id_vars=["month", "cooperative", "unit"], value_vars=measures, var_name="measure")
    own = []
    for m in measures:
        carried = p.carried.get(m, False)
        if carried is False:
            continue
        rows = frame if carried is True else frame[np.asarray(carried, dtype=bool)]
        own.append(pd.DataFrame({"month": pd.to_datetime(rows["month"]).astype("datetime64[ns]"),
                                 "cooperative": rows["cooperative"], "unit": rows["unit"], "measure": m,
                                 "value": pd.to_numeric(rows[m], errors="coerce")}))
    known = pd.concat([known.assign(_own=False), *(o.assign(_own=True) for o in own)], ignore_index=True)
    known = known.sort_values("_own", kind="stable").drop_duplicates(
        ["month", "cooperative", "unit", "measure"], keep="last")
    known = known[known["value"].notna()]
    span["month"] = span["month"].astype("datetime64[ns]")
    got = span.merge(known[["month", "cooperative", "unit", "measure", "value"]].rename(columns={"value": "_v"}),
                     on=["month", "cooperative", "unit", "measure"], how="left")
    total = got.groupby("fid")["_v"].sum(min_count=0)
    missing = got[got["_v"].isna()].groupby("fid")["month"].apply(list)

    errors, warnings = [], []
    unit_word = s.unit_zh if lang == "zh" else s.unit_en
    for r in c.itertuples(index=False):
        col = s.column(r.measure)
        figure, sum_ = float(r.value), float(total.get(r.fid, 0.0))
        gap = missing.get(r.fid, [])
        months = (_m(lang, f"{r.first}—{r.last}月", f"months {r.first}–{r.last}") if r.first != r.last
                  else _m(lang, f"{r.last}月", f"month {r.last}"))
        who = _m(lang, f"{unit_word}“{r.unit}”（{r.cooperative}）的{col.zh}",
                 f"{col.en} of {unit_word} “{r.unit}” ({r.cooperative})")
        base = {"sheet": r.sheet, "row": int(r.row), "column": r.column, "value": _shown(figure, col)}
        if sum_ - figure > tolerance(figure, sum_) or (not gap and abs(sum_ - figure) > tolerance(figure, sum_)):
            known_part = _m(lang, "已存各月加本月之和" if not gap else "已知各月之和（已超过累计数）",
                            "the stored months plus this month add up to" if not gap
                            else "the known months alone add up to")
            errors.append({**base, "reason": _m(
                lang, f"{who}：文件的累计数（{r.column}）为 {_shown(figure, col)}，但{months}{known_part} "
                      f"{_shown(sum_, col)}，相差 {_shown(abs(figure - sum_), col)}；累计数与逐月数不符，"
                      "请核对本月数、累计数或之前各月已报的数",
                f"{who}: the file's cumulative ({r.column}) is {_shown(figure, col)}, but {months}: {known_part} "
                f"{_shown(sum_, col)} (off by {_shown(abs(figure - sum_), col)}); the cumulative and the months "
                "disagree")})
        elif gap:
            warnings.append({**base, "reason": _m(
                lang, f"{who}：文件的累计数 {_shown(figure, col)} 无法与逐月数核对——库中缺少 "
                      f"{_months_text(gap)} 的数（已有月份加本月之和 {_shown(sum_, col)}）",
                f"{who}: the file's cumulative {_shown(figure, col)} cannot be checked against the months: "
                f"{_months_text(gap)} missing from the store (the known months add up to {_shown(sum_, col)})")})
    e = pd.DataFrame(errors, columns=ISSUE_COLUMNS) if errors else empty_issues()
    w = pd.DataFrame(warnings, columns=ISSUE_COLUMNS) if warnings else empty_issues()
    return e, w


def refusal_message(p: Parsed, errors: pd.DataFrame) -> str:
    """The one line over a 累计 refusal's table."""
    return _m(p.lang, f"文件“{p.filename}”未导入：{len(errors)} 处本年累计数与已存各月加本月之和不符，见下表。",
              f"“{p.filename}” was not imported: {len(errors)} cumulative figure(s) disagree with the stored "
              "months plus this month; see the table.")
