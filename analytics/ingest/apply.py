"""Applying a checked file: preview against the store, commit, undo, the upload log.

Nothing is written by :func:`preview`. :func:`commit` writes in one transaction under the
store's single writer, or nothing at all: records (only the columns the file carries — a
correction sheet with 成本 alone keeps every other stored value), replaced values to the
``<table>_history`` tables, new cooperatives and units, name aliases the admin chose, the
upload's log row, and the raw bytes under ``<db folder>/uploads/<sha256><ext>``, moved into
place inside the transaction's lifetime. :func:`undo` puts back exactly what an upload changed.
A file left by a killed upload is swept by the next commit (:func:`sweep_uploads`).

One piece: preview, commit, undo and the log share one rule of what an upload changed and how it
is taken back; parted, the undo would drift from the commit.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd

from .. import contract
from ..access.permissions import Actor, check_write
from ..contract import MONEY, Sector
from ..store.db import Store
from . import crosscheck, identity, remember, submissions
from .common import ISSUE_COLUMNS, AlreadyApplied, CommitFailed, Rejected, SimilarNames, UndoRefused, _m, empty_issues
from .identity import NameChoices, _unregister
from .validate import KEYS, Parsed, month_labels

Cursor = duckdb.DuckDBPyConnection
T = TypeVar("T")
UPLOAD_DIR = "uploads"
STAGING = ".staging"
_KEPT_NAME = re.compile(r"^[0-9a-f]{64}\.(csv|txt|tsv|xlsx|xlsm|xls|ods)$")


@dataclass
class Preview:
    """What a commit would do: counts, new cooperatives/units, replaced values, warnings, names."""

    parsed: Parsed
    n_rows: int
    n_new: int
    n_replaced: int
    new_cooperatives: list[str]
    new_units: pd.DataFrame  # cooperative, unit
    rows: pd.DataFrame  # the parsed rows (registered names) with _status (new/replace), _new_unit, _row
    diff: pd.DataFrame  # month, cooperative, unit, column, old, new: changed cells only
    warnings: pd.DataFrame
    duplicate_of: dict | None  # the applied upload with the same bytes, if any
    similar: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, cooperative, name, match
    aliased: pd.DataFrame = field(default_factory=pd.DataFrame)  # names mapped to registered ones
    cooperatives: list[str] = field(default_factory=list)  # after mapping: what permissions check


@dataclass
class UploadResult:
    upload_id: int
    sector: str
    n_rows: int
    n_new: int
    n_replaced: int
    new_cooperatives: list[str]
    n_new_units: int
    months: str
    stored_path: str

    def message(self, lang: str = "zh") -> str:
        extra = ""
        if self.new_cooperatives or self.n_new_units:
            extra = _m(lang, f"新登记合作社 {len(self.new_cooperatives)} 个、新单元 {self.n_new_units} 个；",
                       f"{len(self.new_cooperatives)} new cooperative(s), {self.n_new_units} new unit(s); ")
        return _m(lang, f"已导入（编号 {self.upload_id}）：{self.n_rows:,} 行，新增 {self.n_new:,} 条，"
                        f"替换 {self.n_replaced:,} 条；{extra}月份 {months_text(self.months)}。",
                  f"Imported (upload {self.upload_id}): {self.n_rows:,} rows, {self.n_new:,} new, "
                  f"{self.n_replaced:,} replaced; {extra}months {months_text(self.months, 'en')}.")


# --- preview: compare with the database ------------------------------------------------

def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[KEYS]


def _measure_cols(s: Sector) -> list[str]:
    return [c.key for c in s.measures]


def _unit_attrs(frame: pd.DataFrame, s: Sector) -> pd.DataFrame:
    """Per unit in the file: its latest non-empty attributes (village, zone, land, type)."""
    cols = [c for c in ("gh_type", "village", "zone", "land_mu") if c in frame]
    f = frame.sort_values("month", kind="stable")
    a = f.groupby(["cooperative", "unit"], sort=False)[cols].last().reset_index()
    for c in ("gh_type", "village", "zone", "land_mu"):
        if c not in a:
            a[c] = None
    a["land_mu"] = a["land_mu"].astype(float)
    a.insert(0, "sector", s.key)
    return a[["sector", "cooperative", "unit", "gh_type", "village", "zone", "land_mu"]]


def find_applied(cur: Cursor, sha256: str) -> dict | None:
    row = cur.execute("""SELECT upload_id, filename, uploaded_by, strftime(uploaded_at, '%Y-%m-%d %H:%M')
                         FROM uploads WHERE sha256 = ? AND status = 'applied'
                         ORDER BY upload_id LIMIT 1""", [sha256]).fetchall()
    row = row[0] if row else None
    if not row:
        return None
    return {"upload_id": row[0], "filename": row[1], "uploaded_by": row[2], "uploaded_at": row[3]}


def already_message(lang: str, d: dict) -> str:
    return _m(lang, f"同一个文件已于 {d['uploaded_at']} 由 {d['uploaded_by']} 上传过（编号 {d['upload_id']}，"
                    f"{d['filename']}），不会重复导入。如需修改，请改动数据后重新上传。",
              f"The same file was already uploaded on {d['uploaded_at']} by {d['uploaded_by']} "
              f"(upload {d['upload_id']}, {d['filename']}); it is not applied twice.")


def _month_range(frame: pd.DataFrame) -> list:
    """The file's first and last month, a range predicate that lets DuckDB skip row groups."""
    return [frame["month"].min().date(), frame["month"].max().date()]


def _mapped_duplicates(p: Parsed, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that became the same key once names were mapped (青禾生猪合作社 → its registered name)."""
    d = frame.duplicated(KEYS, keep="first").to_numpy()
    if not d.any():
        return empty_issues()
    return pd.DataFrame({"sheet": p.sheet_of_row[d] if len(p.sheet_of_row) else "", "row": p.rows[d],
                         "column": p.headers.get("unit", ""), "value": frame["unit"].to_numpy()[d],
                         "reason": _m(p.lang, "名称对应到已登记名称后，与文件中另一行重复（同一月份、合作社、单元）",
                                      "duplicates another row once names are mapped")}, columns=ISSUE_COLUMNS)


def _with_sheet(p: Parsed, frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    out = []
    for f in frames:
        if "sheet" not in f:
            f = f.assign(sheet=f.pop("_sheet") if "_sheet" in f else "")
        out.append(f[ISSUE_COLUMNS])
    return out


def preview(cur: Cursor, p: Parsed, names: NameChoices | None = None) -> Preview:
    """What committing ``p`` would change: new and replaced rows, diffs of the columns the file
    carries, new units, look-alike names, warnings. Reads only what the file touches (its
    units, its months), so a 40-row file costs the same against a township or a province."""
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    s = contract.SECTORS[p.sector]
    lang = p.lang
    res = identity.resolve(cur, s.key, p.frame, names)
    frame = res.frame
    measures = _measure_cols(s)
    carried = [c for c in measures if c in p.carried]
    cur.register("_pv_keys", _key_frame(frame))
    try:
        lo, hi = _month_range(frame)
        old = cur.execute(f"""SELECT r.* EXCLUDE (upload_id) FROM {s.table} r
                              JOIN _pv_keys i ON r.month = CAST(i.month AS DATE)
                               AND r.cooperative = i.cooperative AND r.unit = i.unit
                              WHERE r.month BETWEEN ? AND ?""", [lo, hi]).df()
        units = cur.execute("""SELECT u.cooperative, u.unit, u.gh_type, u.village, u.zone, u.land_mu FROM units u
                               SEMI JOIN (SELECT DISTINCT cooperative, unit FROM _pv_keys) i
                                 ON u.cooperative = i.cooperative AND u.unit = i.unit
                               WHERE u.sector = ?""", [s.key]).df()
        coops = {r[0] for r in cur.execute("""SELECT name FROM cooperatives
                                              WHERE name IN (SELECT DISTINCT cooperative FROM _pv_keys)""").fetchall()}
        # The last stored months before the file, for the stock balance and usual levels.
        hist = pd.DataFrame()
        if "stock" in measures:
            out_col = "culled" if s.key == "duck" else "deaths"
            sold = ", sold_head" if s.key == "hog" else ""
            hist = cur.execute(f"""
                SELECT r.month, r.cooperative, r.unit, r.stock, r.{out_col}{sold}
                FROM {s.table} r SEMI JOIN (SELECT DISTINCT cooperative, unit FROM _pv_keys) i
                  ON r.cooperative = i.cooperative AND r.unit = i.unit
                WHERE r.month BETWEEN CAST(? AS DATE) - INTERVAL 12 MONTH AND ?""", [lo, hi]).df()
        gh_hist = pd.DataFrame()
        if s.key == "greenhouse":
            gh_hist = cur.execute("""
                SELECT r.month, r.cooperative, r.unit, r.crop, r.area_mu, r.yield_kg
                FROM greenhouse_records r SEMI JOIN (SELECT DISTINCT cooperative, unit FROM _pv_keys) i
                  ON r.cooperative = i.cooperative AND r.unit = i.unit
                WHERE r.month BETWEEN ? AND ?""",
                [pd.Timestamp(year=lo.year, month=1, day=1).date(), pd.Timestamp(year=hi.year, month=12, day=1).date()]
            ).df()
        # Last month's records of the file's units, for measures reported then and empty now.
        last = cur.execute(f"""SELECT r.month, r.cooperative, r.unit, {', '.join(f'r.{c}' for c in carried) or 'NULL'}
                               FROM {s.table} r JOIN _pv_keys i ON r.cooperative = i.cooperative
                                AND r.unit = i.unit AND r.month = CAST(CAST(i.month AS DATE) - INTERVAL 1 MONTH AS DATE)
                            """).df() if carried else pd.DataFrame()
        duplicate_of = find_applied(cur, p.sha256)
    finally:
        _unregister(cur, "_pv_keys")
    cum_errors, cum_warnings = crosscheck.cumulative_issues(cur, p, frame)
    if len(cum_errors):
        raise Rejected(crosscheck.refusal_message(p, cum_errors), cum_errors)

    new = frame.copy()
    new["_row"] = p.rows
    if len(old):
        old["month"] = pd.to_datetime(old["month"]).astype("datetime64[ns]")
        keyed = new.merge(old.assign(_exists=True), on=KEYS, how="left", suffixes=("", "_old"))
    else:
        keyed = new.assign(_exists=False, **{f"{c}_old": np.nan for c in measures})
    exists = keyed["_exists"].fillna(False).astype(bool).to_numpy()
    ukeys = set(zip(units["cooperative"], units["unit"], strict=True))
    pairs = pd.MultiIndex.from_frame(new[["cooperative", "unit"]])
    new_unit = ~pairs.isin(list(ukeys)) if ukeys else np.ones(len(new), dtype=bool)
    rows = new.assign(_status=np.where(exists, "replace", "new"), _new_unit=new_unit,
                      _new_coop=~new["cooperative"].isin(coops))

    # Diff of replaced values, one line per changed cell, of the columns the file carries.
    diffs = []
    for c in carried:
        a, b = keyed[f"{c}_old"], keyed[c]
        an = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bn = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        changed = exists & ~((np.isnan(an) & np.isnan(bn)) | (an == bn))
        mask = p.carried[c]
        if mask is not True:
            changed &= np.asarray(mask, dtype=bool)
        if changed.any():
            diffs.append(pd.DataFrame({"month": keyed["month"][changed].dt.strftime("%Y-%m"),
                                       "cooperative": keyed["cooperative"][changed], "unit": keyed["unit"][changed],
                                       "column": s.column(c).header, "old": a[changed].astype(object),
                                       "new": b[changed].astype(object)}))
    attrs = _unit_attrs(frame, s).merge(units, on=["cooperative", "unit"], suffixes=("", "_old"))
    for c in ("gh_type", "village", "zone", "land_mu"):
        a, b = attrs[f"{c}_old"].astype(object), attrs[c].astype(object)
        same = np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool) if len(a) else np.zeros(0, bool)
        changed = b.notna().to_numpy() & ~(same & a.notna().to_numpy())
        if changed.any():
            col = s.column(c) if c in {x.key for x in s.columns} else None
            diffs.append(pd.DataFrame({"month": "", "cooperative": attrs["cooperative"][changed],
                                       "unit": attrs["unit"][changed],
                                       "column": col.header if col else c,
                                       "old": a[changed].astype(object), "new": b[changed].astype(object)}))
    diff = pd.concat(diffs, ignore_index=True) if diffs else \
        pd.DataFrame(columns=["month", "cooperative", "unit", "column", "old", "new"])

    view = Parsed(p.filename, p.data, p.sha256, lang, p.sector, headers=p.headers, frame=frame, rows=p.rows,
                  sheet_of_row=p.sheet_of_row)
    warnings = [p.warnings] if len(p.warnings) else []
    dups = _mapped_duplicates(p, frame) if len(res.aliased) else empty_issues()
    if len(dups):
        warnings.append(dups.assign(reason=dups["reason"] + _m(lang, "（确认时会被拒绝）", " (refused on confirm)")))
    if "stock" in measures:
        warnings += _with_sheet(p, _stock_warnings(view, s, hist, lang))
    if s.key == "greenhouse":
        warnings += _with_sheet(p, _yield_warnings(view, gh_hist, lang))
    warnings += _with_sheet(p, _unreported_warnings(view, s, last, p.carried, lang))
    if len(cum_warnings):
        warnings.append(cum_warnings)
    w = pd.concat(warnings, ignore_index=True) if warnings else empty_issues()
    nu = rows.loc[rows["_new_unit"], ["cooperative", "unit"]].drop_duplicates().reset_index(drop=True)
    return Preview(p, len(new), int((~exists).sum()), int(exists.sum()),
                   sorted(set(new["cooperative"]) - coops), nu, rows, diff, w, duplicate_of,
                   res.similar, res.aliased, sorted(new["cooperative"].unique()))


def _stock_warnings(p: Parsed, s: Sector, hist: pd.DataFrame, lang: str) -> list[pd.DataFrame]:
    """Stock far above the unit's usual level; last month's stock − losses − sales far from now."""
    out_col = "culled" if s.key == "duck" else "deaths"
    f = p.frame.assign(_row=p.rows, _sheet=p.sheet_of_row if len(p.sheet_of_row) else "")
    cols = ["month", "cooperative", "unit", "stock", out_col] + (["sold_head"] if s.key == "hog" else [])
    if len(hist):
        hist = hist.assign(month=pd.to_datetime(hist["month"]).astype("datetime64[ns]"))
        k = pd.MultiIndex.from_frame(hist[["month", "cooperative", "unit"]])
        hist = hist[~k.isin(pd.MultiIndex.from_frame(f[["month", "cooperative", "unit"]]))]
    allrec = pd.concat([hist[cols] if len(hist) else None, f[cols]], ignore_index=True)
    prev = allrec.assign(month=allrec["month"] + pd.DateOffset(months=1))
    prev = prev.rename(columns={"stock": "_prev_stock"})[["month", "cooperative", "unit", "_prev_stock"]]
    g = f.merge(prev, on=["month", "cooperative", "unit"], how="left")
    outflow = g[out_col].fillna(0) + (g["sold_head"].fillna(0) if s.key == "hog" else 0)
    expected = g["_prev_stock"] - outflow
    res = []
    header = p.headers.get("stock", s.column("stock").header)
    loss = (g["stock"] < expected - np.maximum(0.05 * g["_prev_stock"], 10)).to_numpy()
    if loss.any():
        msg = _m(lang, "存栏比上月少了 {d:,.0f}，多于死淘/出栏（上月 {p:,.0f}，应约 {e:,.0f}），请核对",
                 "stock fell by {d:,.0f}, more than losses and sales (last month {p:,.0f}, expected ~{e:,.0f})")
        sel = np.flatnonzero(loss)
        res.append(pd.DataFrame({"_sheet": g["_sheet"].to_numpy()[sel], "row": g["_row"].to_numpy()[sel],
                                 "column": header,
                                 "value": g["stock"].to_numpy()[sel],
                                 "reason": [msg.format(d=pv - st, p=pv, e=e) for pv, st, e in zip(
                                     g["_prev_stock"].to_numpy()[sel], g["stock"].to_numpy()[sel],
                                     expected.to_numpy()[sel], strict=True)]}))
    # The unit's usual level: median stock over the stored year before the file.
    if len(hist):
        usual = hist.groupby(["cooperative", "unit"])["stock"].median().rename("_usual").reset_index()
        g2 = f.merge(usual, on=["cooperative", "unit"], how="left")
        high = ((g2["stock"] > 2 * g2["_usual"]) & (g2["stock"] > 50)).to_numpy()
        if high.any():
            sel = np.flatnonzero(high)
            msg = _m(lang, "存栏远高于该单元往常水平（约 {u:,.0f}），请核对", "stock far above this unit's usual "
                                                                 "level (~{u:,.0f})")
            res.append(pd.DataFrame({"_sheet": g2["_sheet"].to_numpy()[sel], "row": g2["_row"].to_numpy()[sel],
                                     "column": header,
                                     "value": g2["stock"].to_numpy()[sel],
                                     "reason": [msg.format(u=u) for u in g2["_usual"].to_numpy()[sel]]}))
    return res


def _unreported_warnings(p: Parsed, s: Sector, last: pd.DataFrame, cells: dict,
                         lang: str) -> list[pd.DataFrame]:
    """Measures a unit reported last month (a stored record, or the file's own row of that month)
    and leaves empty now: "本月未报 销售收入；上月 49,099.76 元", so the uploader confirms the
    figure is really not reported rather than lost. Only the columns the file carries: a column
    missing altogether is named by the column accounting."""
    carried = [c for c in _measure_cols(s) if c in cells]  # cells: Parsed.carried
    if not carried:
        return []
    f = p.frame.assign(_row=p.rows, _sheet=p.sheet_of_row if len(p.sheet_of_row) else "")
    before = f[KEYS + carried]
    if len(last):
        last = last.assign(month=pd.to_datetime(last["month"]).astype("datetime64[ns]"))[KEYS + carried]
        # The file's own row of last month wins over the stored one it replaces.
        before = pd.concat([last, before], ignore_index=True).drop_duplicates(KEYS, keep="last")
    before = before.assign(month=before["month"] + pd.DateOffset(months=1))
    g = f.merge(before, on=KEYS, how="left", suffixes=("", "_last"))
    res = []
    for c in carried:
        now = pd.to_numeric(g[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        then = pd.to_numeric(g[f"{c}_last"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        mask = np.isnan(now) & ~np.isnan(then)
        if cells[c] is not True:  # a row from a sheet without the column keeps its value: not emptied
            mask &= np.asarray(cells[c], dtype=bool)
        if not mask.any():
            continue
        col = s.column(c)
        sel = np.flatnonzero(mask)
        shown = [f"{v:,.2f}" if col.kind == MONEY else f"{v:,.3f}".rstrip("0").rstrip(".") for v in then[sel]]
        res.append(pd.DataFrame({
            "_sheet": g["_sheet"].to_numpy()[sel], "row": g["_row"].to_numpy()[sel],
            "column": p.headers.get(c, col.header), "value": "",
            "reason": [_m(lang, f"本月未报 {col.zh}；上月 {v} {col.unit or ''}".rstrip() + "，请确认确实未报",
                          f"{col.en} not reported this month; last month {v} {col.unit or ''}".rstrip()
                          + ": confirm it is really not reported") for v in shown]}))
    return res


def yield_reference(crop: str | None) -> tuple[float, float] | None:
    """DESIGN §6 reference range (kg per mu per cycle) for a crop name, or None."""
    for k, v in contract.YIELD_PER_MU_REFERENCE.items():
        if crop and k in crop:
            return v
    return None


def _yield_warnings(p: Parsed, hist: pd.DataFrame, lang: str) -> list[pd.DataFrame]:
    """Year-to-date yield per mu of a plot far outside its crop's reference range."""
    f = p.frame.assign(_row=p.rows)
    cols = ["month", "cooperative", "unit", "crop", "area_mu", "yield_kg"]
    if len(hist):
        hist = hist.assign(month=pd.to_datetime(hist["month"]).astype("datetime64[ns]"))
        k = pd.MultiIndex.from_frame(hist[["month", "cooperative", "unit"]])
        hist = hist[~k.isin(pd.MultiIndex.from_frame(f[["month", "cooperative", "unit"]]))]
    a = pd.concat([hist[cols] if len(hist) else None, f[cols]], ignore_index=True)
    a = a[a["crop"].notna()]
    if not len(a):
        return []
    a["year"] = a["month"].dt.year
    g = a.groupby(["cooperative", "unit", "crop", "year"]).agg(
        area=("area_mu", "max"), y=("yield_kg", "sum"), last=("month", "max")).reset_index()
    crops = pd.Series(g["crop"].unique())
    ref = {c: yield_reference(c) or (np.nan, np.nan) for c in crops}  # distinct crops only
    g["lo"] = g["crop"].map({c: r[0] for c, r in ref.items()})
    g["hi"] = g["crop"].map({c: r[1] for c, r in ref.items()})
    g["per_mu"] = g["y"] / g["area"].where(g["area"] > 0)
    # Half the low end only once the year is complete; 1.5× the high end any time.
    bad = (g["per_mu"] > 1.5 * g["hi"]) | ((g["last"].dt.month == 12) & (g["per_mu"] < 0.5 * g["lo"]))
    g = g[bad.fillna(False)]
    if not len(g):
        return []
    f["year"] = f["month"].dt.year
    last_rows = f.sort_values("month").groupby(["cooperative", "unit", "crop", "year"])["_row"].last()
    g = g.join(last_rows, on=["cooperative", "unit", "crop", "year"]).dropna(subset=["_row"])
    msg = _m(lang, "{crop}{year}年亩产 {v:,.0f} 公斤，超出参考范围 {lo:,.0f}–{hi:,.0f} 公斤/亩，请核对产量和面积",
             "{crop} {year} yield {v:,.0f} kg/mu is outside the reference {lo:,.0f}–{hi:,.0f} kg/mu")
    header = p.headers.get("yield_kg", "产量(公斤)")
    return [pd.DataFrame({"row": g["_row"].astype(int).to_numpy(), "column": header,
                          "value": g["y"].round(1).to_numpy(),
                          "reason": [msg.format(crop=c, year=y, v=v, lo=lo, hi=hi) for c, y, v, lo, hi in zip(
                              g["crop"], g["year"], g["per_mu"], g["lo"], g["hi"], strict=True)]})]


# --- commit and undo ------------------------------------------------------------------------

def upload_dir(store: Store) -> Path:
    return store.path.parent / UPLOAD_DIR


def _stage_bytes(store: Store, p: Parsed) -> Path:
    """The raw bytes written beside the store before the transaction; moved into place inside it."""
    folder = upload_dir(store) / STAGING
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{p.sha256}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    with open(path, "wb") as fh:
        fh.write(p.data)
        fh.flush()
        os.fsync(fh.fileno())
    return path


class KeptFile:
    """The raw bytes of an upload or a submission: staged beside the store before the write,
    moved into place (:meth:`place`) last inside it, so a kill before leaves only a staged file
    and a kill after an unreferenced one (both swept by the next commit)."""

    def __init__(self, store: Store, p: Parsed):
        self.staged = _stage_bytes(store, p)
        self.final = upload_dir(store) / f"{p.sha256}{p.ext}"
        self.created = False

    def place(self) -> None:
        if not self.final.exists():
            os.replace(self.staged, self.final)
            self.created = True


def write_with_file(store: Store, p: Parsed, write: Callable[[Cursor, KeptFile], T], *, figures: bool = True,
                    done: tuple[str, str] = ("导入", "imported")) -> T:
    """Run ``write(cursor, kept)`` as one write of the store, keeping the file's bytes: the path of
    a direct upload (:func:`commit`) and of a submission (:func:`.review.submit`) alike. Whatever
    fails, nothing of it stays — the kept copy is removed if it was placed, the staged one always;
    a database error becomes CommitFailed naming its first line ("写入数据库失败，本次未导入任何数据。
    原因：…"; ``done`` words what did not happen: 导入 / 提交)."""
    kept = KeptFile(store, p)
    try:
        return store.run_write(lambda cur: write(cur, kept), figures=figures)
    except duckdb.Error as e:
        if kept.created:
            kept.final.unlink(missing_ok=True)
        first = str(e).split("\n")[0]
        raise CommitFailed(_m(p.lang, f"写入数据库失败，本次未{done[0]}任何数据。原因：{first}",
                              f"The database refused the write; nothing was {done[1]}. Cause: {first}")) from e
    except BaseException:
        if kept.created:  # nothing of this upload may stay behind
            kept.final.unlink(missing_ok=True)
        raise
    finally:
        kept.staged.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_uploads(store: Store, cur: Cursor | None = None) -> int:
    """Remove kept files no upload refers to, and staged files of processes that are gone —
    what an upload killed between moving its file into place and its COMMIT leaves. Runs at
    the start of every commit, under the writer lock. Returns how many files were removed."""
    folder = upload_dir(store)
    if not folder.is_dir():
        return 0
    cur = cur or store.cursor()
    referenced = {Path(r[0]).name for r in cur.execute(
        "SELECT stored_path FROM uploads WHERE stored_path IS NOT NULL").fetchall()}
    # A submission's raw file is kept for the reviewer (stores from schema 10 on).
    if cur.execute("SELECT count(*) FROM information_schema.tables "
                   "WHERE table_name = 'submissions'").fetchall()[0][0]:
        referenced |= {Path(r[0]).name for r in cur.execute(
            "SELECT stored_path FROM submissions WHERE stored_path IS NOT NULL").fetchall()}
    removed = 0
    for f in folder.iterdir():
        if f.is_file() and _KEPT_NAME.match(f.name) and f.name not in referenced:
            f.unlink(missing_ok=True)
            removed += 1
    staging = folder / STAGING
    if staging.is_dir():
        for f in staging.iterdir():
            parts = f.name.split(".")
            pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else -1
            if pid != os.getpid() and not _pid_alive(pid):
                f.unlink(missing_ok=True)
                removed += 1
    return removed


def _months_label(months: list[str]) -> str:
    """The months as stored with an upload: 'a,b,c' (three at most) or 'first..last'."""
    if len(months) <= 3:
        return ",".join(months)
    return f"{months[0]}..{months[-1]}"


def months_text(label: str, lang: str = "zh") -> str:
    """A stored months label as a sentence writes it: '2026-06、2026-07' / '2026-01 至 2026-09'."""
    return label.replace(",", "、" if lang == "zh" else ", ").replace("..", " 至 " if lang == "zh" else " to ")


def _incoming(s: Sector, p: Parsed, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows to write, and per measure the SQL giving its new value: the file's value where
    the file carries the column (an empty cell there means "not reported"), else the stored one."""
    cols = contract.record_columns(s)
    inc = frame[cols].copy()
    value = {}
    for c in s.columns:
        if c.role != contract.MEASURE:
            continue
        carried = p.carried.get(c.key, False)
        if carried is True:
            value[c.key] = f"CAST(i.{c.key} AS {c.sql_type})"
        elif carried is False:
            value[c.key] = f"o.{c.key}"
        else:
            inc[f"_has_{c.key}"] = np.asarray(carried, dtype=bool)
            value[c.key] = f"CASE WHEN i._has_{c.key} THEN CAST(i.{c.key} AS {c.sql_type}) ELSE o.{c.key} END"
    return inc, value


def _write_records(cur: Cursor, s: Sector, p: Parsed, frame: pd.DataFrame, uid: int) -> tuple[int, int]:
    """Move the rows the file replaces to history, then write the file's rows: only the columns
    it carries change, every other stored value is kept (and history holds the whole old row)."""
    cols = contract.record_columns(s)
    incoming, value = _incoming(s, p, frame)
    lo, hi = _month_range(frame)
    cur.register("_incoming", incoming)
    try:
        on = "r.month = CAST(i.month AS DATE) AND r.cooperative = i.cooperative AND r.unit = i.unit"
        cur.execute(f"""CREATE OR REPLACE TEMP TABLE _old AS
                        SELECT r.* FROM {s.table} r SEMI JOIN _incoming i ON {on}
                        WHERE r.month BETWEEN ? AND ?""", [lo, hi])
        n_replaced = cur.execute("SELECT count(*) FROM _old").fetchall()[0][0]
        if n_replaced:
            cur.execute(f"""INSERT INTO {s.table}_history ({', '.join(cols)}, upload_id, replaced_by)
                            SELECT {', '.join(cols)}, upload_id, ? FROM _old""", [uid])
            cur.execute(f"DELETE FROM {s.table} r USING _old i WHERE r.month = i.month "
                        "AND r.cooperative = i.cooperative AND r.unit = i.unit AND r.month BETWEEN ? AND ?", [lo, hi])
        sel = [f"CAST(i.{c} AS {s.column(c).sql_type})" if c in KEYS else value[c] for c in cols]
        cur.execute(f"""INSERT INTO {s.table} ({', '.join(cols)}, upload_id)
                        SELECT {', '.join(sel)}, ? FROM _incoming i
                        LEFT JOIN _old o ON o.month = CAST(i.month AS DATE) AND o.cooperative = i.cooperative
                         AND o.unit = i.unit""", [uid])
        cur.execute("DROP TABLE IF EXISTS _old")
    finally:
        _unregister(cur, "_incoming")
    return len(frame) - n_replaced, n_replaced


def _write_registry(cur: Cursor, s: Sector, frame: pd.DataFrame, uid: int) -> tuple[list[str], int]:
    """New cooperatives, units and names; changed unit attributes go to units_history first."""
    attrs = _unit_attrs(frame, s)  # noqa: F841 - read by DuckDB
    cur.register("_attrs", attrs)
    try:
        on = "u.sector = a.sector AND u.cooperative = a.cooperative AND u.unit = a.unit"
        changed = " OR ".join(f"(a.{c} IS NOT NULL AND a.{c} IS DISTINCT FROM u.{c})"
                              for c in ("gh_type", "village", "zone", "land_mu"))
        cur.execute(f"""INSERT INTO units_history SELECT u.sector, u.cooperative, u.unit, u.gh_type,
                               u.village, u.zone, u.land_mu, ?
                        FROM units u JOIN _attrs a ON {on} WHERE {changed}""", [uid])
        cur.execute(f"""UPDATE units u SET gh_type = coalesce(a.gh_type, u.gh_type),
                               village = coalesce(a.village, u.village), zone = coalesce(a.zone, u.zone),
                               land_mu = coalesce(a.land_mu, u.land_mu)
                        FROM _attrs a WHERE {on} AND ({changed})""")
        n_units = cur.execute(f"""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone,
                                                     land_mu, created_by_upload)
                                  SELECT a.*, ? FROM _attrs a
                                  WHERE NOT EXISTS (SELECT 1 FROM units u WHERE {on})""",
                              [uid]).fetchall()[0][0]
        new_coops = [r[0] for r in cur.execute("""
            SELECT DISTINCT cooperative FROM _attrs
            WHERE cooperative NOT IN (SELECT name FROM cooperatives) ORDER BY 1""").fetchall()]
        cur.execute("""INSERT INTO cooperatives (name, village, created_by_upload)
                       SELECT cooperative, arg_max(village, village IS NOT NULL), ? FROM _attrs
                       WHERE cooperative NOT IN (SELECT name FROM cooperatives) GROUP BY cooperative""", [uid])
        for kind, table in (("village", "villages"), ("zone", "zones")):
            cur.execute(f"""INSERT INTO upload_names SELECT DISTINCT ?, '{kind}', {kind} FROM _attrs
                            WHERE {kind} IS NOT NULL AND {kind} NOT IN (SELECT name FROM {table})""",
                        [uid])
            cur.execute(f"""INSERT INTO {table} SELECT name FROM upload_names
                            WHERE upload_id = ? AND kind = '{kind}'""", [uid])
    finally:
        _unregister(cur, "_attrs")
    return new_coops, int(n_units)


def _write_aliases(cur: Cursor, aliases: pd.DataFrame, uid: int) -> None:
    """Keep the names the admin mapped, so next month's file maps by itself."""
    if not len(aliases):
        return
    cur.register("_aliases", aliases)
    try:
        cur.execute("""INSERT INTO name_aliases (kind, sector, cooperative, alias, name, created_by_upload)
                       SELECT kind, sector, cooperative, alias, name, ? FROM _aliases
                       ON CONFLICT DO NOTHING""", [uid])
    finally:
        _unregister(cur, "_aliases")


def apply_rows(store: Store, cur: Cursor, s: Sector, p: Parsed, frame: pd.DataFrame, *, uploaded_by: str,
               sha256: str, filename: str, stored_path: str,
               new_aliases: pd.DataFrame | None = None) -> UploadResult:
    """Inside a write: apply checked rows (registered names) as one upload — records, history,
    registry, aliases, rollups declared, the upload's log row. The path of a direct upload and of
    an accepted submission alike (``p`` gives only ``carried``: the columns the rows replace)."""
    months = _months_label(month_labels(frame["month"]))
    uid = cur.execute("SELECT nextval('upload_seq')").fetchall()[0][0]
    n_new, n_replaced = _write_records(cur, s, p, frame, uid)
    new_coops, n_units = _write_registry(cur, s, frame, uid)
    if new_aliases is not None:
        _write_aliases(cur, new_aliases, uid)
    # Declared once records and registry are written: the commit then refreshes only these
    # units' rollups and these (sector, cooperative, month) cache versions.
    store.records_changed(cur, s.key, uid)
    coops = "、".join(sorted(frame["cooperative"].unique()))
    cur.execute("""INSERT INTO uploads (upload_id, sha256, filename, sector, uploaded_by, n_rows, n_new,
                                        n_replaced, months, status, stored_path, cooperatives)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'applied', ?, ?)""",
                [uid, sha256, filename, s.key, uploaded_by, len(frame), n_new, n_replaced,
                 months, stored_path, coops])
    return UploadResult(uid, s.key, len(frame), n_new, n_replaced, new_coops, n_units, months, stored_path)


def missing_explanations(p: Parsed, explanations: dict | None) -> pd.DataFrame:
    """The 核实 rows of ``p`` (p.verify) that have no 上报说明 in ``explanations`` (keys: the row
    number as the spreadsheet shows it, or (sheet, row); "*" answers every row)."""
    if not len(p.verify):
        return p.verify
    have = explanations or {}
    ok = [bool(str(have.get("*") or have.get((sh, int(r))) or have.get(int(r)) or "").strip())
          for sh, r in zip(p.verify["sheet"], p.verify["row"], strict=True)]
    return p.verify[~np.array(ok, dtype=bool)]


def explanation_rows(s: Sector, p: Parsed, frame: pd.DataFrame, explanations: dict | None) -> pd.DataFrame:
    """The flagged rows' checks and their 上报说明, with the record keys the rows are written under
    (sector, month, cooperative, unit, sheet, row_number, checks, explanation); empty when nothing
    was flagged. A submission keeps this frame until it is accepted (:mod:`.review`)."""
    cols = ["sector", "month", "cooperative", "unit", "sheet", "row_number", "checks", "explanation"]
    if not len(p.verify):
        return pd.DataFrame(columns=cols)
    have = explanations or {}
    sheets = p.sheet_of_row if len(p.sheet_of_row) else np.full(len(p.rows), "", dtype=object)
    at = {(sh, int(r)): i for i, (sh, r) in enumerate(zip(sheets, p.rows, strict=True))}
    out = []
    for (sh, r), g in p.verify.groupby(["sheet", "row"], sort=False):
        i = at.get((sh, int(r)))
        if i is None:
            continue
        text = str(have.get((sh, int(r))) or have.get(int(r)) or have.get("*") or "").strip()
        out.append({"sector": s.key, "month": frame["month"].iloc[i].date(),
                    "cooperative": frame["cooperative"].iloc[i], "unit": frame["unit"].iloc[i],
                    "sheet": sh, "row_number": int(r), "checks": "；".join(g["reason"]), "explanation": text})
    return pd.DataFrame(out, columns=cols)


def write_explanations(cur: Cursor, rows: pd.DataFrame, uid: int) -> None:
    """Keep :func:`explanation_rows` with the upload ``uid`` that wrote their values."""
    if not len(rows):
        return
    cur.register("_expl", rows.assign(upload_id=uid))
    try:
        cur.execute("""INSERT INTO upload_explanations (upload_id, sector, month, cooperative, unit, sheet,
                                                        row_number, checks, explanation)
                       SELECT upload_id, sector, month, cooperative, unit, sheet, row_number, checks, explanation
                       FROM _expl""")
    finally:
        _unregister(cur, "_expl")


def explanations(cur: Cursor, *, upload_id: int | None = None, sector: str | None = None,
                 cooperative: str | None = None, unit: str | None = None) -> pd.DataFrame:
    """The 上报说明 kept with values, newest first: of one upload, or of one unit's records (its
    history). Columns: upload_id, sector, month, cooperative, unit, row_number, checks,
    explanation, uploaded_by, status."""
    where, args = [], []
    for col, v in (("e.upload_id", upload_id), ("e.sector", sector), ("e.cooperative", cooperative),
                   ("e.unit", unit)):
        if v is not None:
            where.append(f"{col} = ?")
            args.append(v)
    return cur.execute(f"""SELECT e.upload_id, e.sector, e.month, e.cooperative, e.unit, e.row_number, e.checks,
                                  e.explanation, u.uploaded_by, u.status
                           FROM upload_explanations e JOIN uploads u USING (upload_id)
                           {'WHERE ' + ' AND '.join(where) if where else ''}
                           ORDER BY e.upload_id DESC, e.row_number""", args).df()


def commit(store: Store, p: Parsed, actor: Actor | None, *, names: NameChoices | None = None,
           explanations: dict | None = None) -> UploadResult:
    """Write a checked file in one transaction under the single writer, or nothing at all.

    Applies whoever the actor is: pages and the CLI call :func:`.review.commit`, which sends a
    cooperative manager's file to review instead (DESIGN.md §9).

    ``names`` carries the admin's decisions on look-alike names (see :class:`NameChoices`);
    ``explanations`` the 上报说明 for the rows in ``p.verify`` (see :func:`missing_explanations`),
    stored in ``upload_explanations`` with the rows' keys (the page and the CLI insist on them).
    Raises Rejected (file has errors), SimilarNames (a new name looks like a registered one and
    was neither mapped nor confirmed new), PermissionDenied (actor may not write these
    cooperatives), AlreadyApplied (the same bytes are already applied) or CommitFailed (the
    database refused the write; its first cause named).
    """
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    check_write(actor, p.cooperatives if not names or not names.cooperatives else
                sorted({names.cooperatives.get(c, c) for c in p.cooperatives}))
    s = contract.SECTORS[p.sector]

    def write(cur: Cursor, kept: KeptFile) -> UploadResult:
        final = kept.final
        sweep_uploads(store, cur)
        dup = find_applied(cur, p.sha256)
        if dup:
            raise AlreadyApplied(already_message(p.lang, dup))
        res = identity.resolve(cur, s.key, p.frame, names)
        if len(res.similar) and not (names and names.accept_new):
            raise SimilarNames(identity.similar_message(res.similar, p.lang), res.similar)
        frame = res.frame
        dups = _mapped_duplicates(p, frame) if len(res.aliased) else empty_issues()
        if len(dups):
            raise Rejected(_m(p.lang, f"文件“{p.filename}”未导入：名称对应后有 {len(dups)} 行重复。",
                              f"“{p.filename}” was not imported: {len(dups)} rows repeat once names are mapped."),
                           dups)
        check_write(actor, sorted(frame["cooperative"].unique()))
        cum_errors, _ = crosscheck.cumulative_issues(cur, p, frame)
        if len(cum_errors):
            raise Rejected(crosscheck.refusal_message(p, cum_errors), cum_errors)
        result = apply_rows(store, cur, s, p, frame, uploaded_by=actor.username, sha256=p.sha256,
                            filename=p.filename, stored_path=str(final), new_aliases=res.new_aliases)
        write_explanations(cur, explanation_rows(s, p, frame, explanations), result.upload_id)
        remember.keep(cur, p, actor.username, result.upload_id)
        # The office's own upload is logged as a submission accepted at once (DESIGN.md §9).
        submissions.log_direct(cur, result.upload_id, s.key, frame, actor.username, p, str(final), result.months)
        kept.place()  # last, inside the transaction's lifetime
        return result

    return write_with_file(store, p, write)


def ingest(store: Store, data: bytes, filename: str, actor: Actor | None, *, sector: str | None = None,
           lang: str = "zh", today=None, names: NameChoices | None = None) -> UploadResult:
    """Parse and commit one file: the path of the upload page and of the CLI."""
    from .isolate import parse

    return commit(store, parse(data, filename, sector, lang=lang, today=today), actor, names=names)


def upload_info(cur: Cursor, upload_id: int) -> dict | None:
    row = cur.execute("""SELECT upload_id, sha256, filename, sector, uploaded_by,
                                strftime(uploaded_at, '%Y-%m-%d %H:%M'), status FROM uploads
                         WHERE upload_id = ?""", [upload_id]).fetchall()
    row = row[0] if row else None
    if not row:
        return None
    return dict(zip(["upload_id", "sha256", "filename", "sector", "uploaded_by", "uploaded_at", "status"],
                    row, strict=True))


def upload_cooperatives(cur: Cursor, upload_id: int, sector: str) -> list[str]:
    """Cooperatives whose rows an upload wrote (or replaced)."""
    t = contract.sector(sector).table
    return [r[0] for r in cur.execute(f"""
        SELECT DISTINCT cooperative FROM (
            SELECT cooperative FROM {t} WHERE upload_id = $1
            UNION ALL SELECT cooperative FROM {t}_history WHERE upload_id = $1 OR replaced_by = $1)
        ORDER BY 1""", [upload_id]).fetchall()]


def _undo_conflicts(cur: Cursor, uid: int, s: Sector, lang: str) -> list[str]:
    """Later uploads that built on this one; undoing it would break them."""
    later = {r[0] for r in cur.execute(f"SELECT DISTINCT replaced_by FROM {s.table}_history "
                                       "WHERE upload_id = ?", [uid]).fetchall()}
    later |= {r[0] for r in cur.execute(f"""
        SELECT DISTINCT r.upload_id FROM {s.table} r JOIN units u
          ON u.sector = ? AND u.cooperative = r.cooperative AND u.unit = r.unit
        WHERE u.created_by_upload = ? AND r.upload_id <> ?""", [s.key, uid, uid]).fetchall()}
    later |= {r[0] for r in cur.execute("""
        SELECT DISTINCT h.replaced_by FROM units_history h
        WHERE h.replaced_by > ? AND EXISTS (
            SELECT 1 FROM units u WHERE u.created_by_upload = ? AND u.sector = h.sector
              AND u.cooperative = h.cooperative AND u.unit = h.unit
            UNION ALL SELECT 1 FROM units_history g WHERE g.replaced_by = ? AND g.sector = h.sector
              AND g.cooperative = h.cooperative AND g.unit = h.unit)""", [uid, uid, uid]).fetchall()}
    later |= {r[0] for r in cur.execute("""
        SELECT DISTINCT coalesce(u.created_by_upload, -1) FROM units u
        JOIN cooperatives c ON c.name = u.cooperative
        WHERE c.created_by_upload = ? AND u.created_by_upload IS DISTINCT FROM ?""", [uid, uid]).fetchall()}
    out = []
    for v in sorted(later):
        info = upload_info(cur, v) if v != -1 else None
        if info:
            out.append(_m(lang, f"编号 {v}（{info['filename']}，{info['uploaded_by']}，{info['uploaded_at']}）",
                          f"upload {v} ({info['filename']}, {info['uploaded_by']}, {info['uploaded_at']})"))
        else:
            out.append(_m(lang, "管理员登记的单元", "units registered by an administrator"))
    return out


def undo(store: Store, upload_id: int, actor: Actor | None, *, lang: str = "zh") -> dict:
    """Put back exactly the values before an upload; refuse if a later upload built on it."""

    def write(cur: Cursor) -> dict:
        info = upload_info(cur, upload_id)
        if info is None:
            raise UndoRefused(_m(lang, f"没有编号为 {upload_id} 的上传记录。", f"No upload {upload_id}."))
        if info["status"] != "applied":
            raise UndoRefused(_m(lang, f"编号 {upload_id} 已经撤销过了。", f"Upload {upload_id} is already undone."))
        if info["sha256"] == "demo":
            raise UndoRefused(_m(lang, "示例数据不能在这里撤销；请用 python -m analytics demo 重建数据库。",
                                 "Demo data cannot be undone here."))
        s = contract.sector(info["sector"])
        submissions.check_undo(actor, upload_cooperatives(cur, upload_id, s.key), upload_id,
                               info["filename"], lang)
        blockers = _undo_conflicts(cur, upload_id, s, lang)
        if blockers:
            raise UndoRefused(_m(lang, f"不能撤销编号 {upload_id}：之后的上传 {'；'.join(blockers)} "
                                       "又修改了同样的记录。请先撤销后来的上传。",
                                 f"Cannot undo upload {upload_id}: later {'; '.join(blockers)} changed the same "
                                 "records. Undo those first."))
        cols = ", ".join(contract.record_columns(s))
        # Declared before anything is removed, while the upload's keys can still be read.
        store.records_changed(cur, s.key, upload_id)
        n = cur.execute(f"DELETE FROM {s.table} WHERE upload_id = ?", [upload_id]).fetchall()[0][0]
        restored = cur.execute(f"""INSERT INTO {s.table} ({cols}, upload_id)
                                   SELECT {cols}, upload_id FROM {s.table}_history WHERE replaced_by = ?""",
                               [upload_id]).fetchall()[0][0]
        cur.execute(f"DELETE FROM {s.table}_history WHERE replaced_by = ?", [upload_id])
        cur.execute("""UPDATE units u SET gh_type = h.gh_type, village = h.village, zone = h.zone,
                              land_mu = h.land_mu
                       FROM units_history h WHERE h.replaced_by = ? AND u.sector = h.sector
                         AND u.cooperative = h.cooperative AND u.unit = h.unit""", [upload_id])
        cur.execute("DELETE FROM units_history WHERE replaced_by = ?", [upload_id])
        cur.execute("DELETE FROM units WHERE created_by_upload = ?", [upload_id])
        cur.execute("DELETE FROM name_aliases WHERE created_by_upload = ?", [upload_id])
        cur.execute("DELETE FROM upload_explanations WHERE upload_id = ?", [upload_id])
        cur.execute("DELETE FROM cooperatives WHERE created_by_upload = ?", [upload_id])
        for kind, table, refs in (("village", "villages", "SELECT village FROM units UNION SELECT village "
                                   "FROM cooperatives"), ("zone", "zones", "SELECT zone FROM units")):
            cur.execute(f"""DELETE FROM {table} WHERE name IN (
                              SELECT name FROM upload_names WHERE upload_id = ? AND kind = '{kind}')
                            AND name NOT IN (SELECT x FROM ({refs}) t(x) WHERE x IS NOT NULL)""", [upload_id])
        cur.execute("DELETE FROM upload_names WHERE upload_id = ?", [upload_id])
        submissions.on_undo(cur, upload_id)
        cur.execute("""UPDATE uploads SET status = 'undone', undone_by = ?, undone_at = current_timestamp
                       WHERE upload_id = ?""", [actor.username, upload_id])
        return {"upload_id": upload_id, "removed": int(n), "restored": int(restored),
                "filename": info["filename"]}

    return store.run_write(write)


def uploads_log(cur: Cursor) -> pd.DataFrame:
    """Every upload, newest first, with the cooperatives it wrote ('、'-joined; '' if unknown).

    Uploads keep their cooperatives since schema 8; the demo's uploads and older ones are
    derived from the rows they wrote or replaced."""
    parts = []
    for s in contract.SECTORS.values():
        parts.append(f"SELECT upload_id, cooperative FROM {s.table} WHERE upload_id IS NOT NULL "
                     f"UNION SELECT upload_id, cooperative FROM {s.table}_history "
                     f"UNION SELECT replaced_by, cooperative FROM {s.table}_history")
    df = cur.execute(f"""
        WITH c AS (SELECT upload_id, string_agg(DISTINCT cooperative, '、' ORDER BY cooperative) AS coops
                   FROM ({' UNION '.join(parts)}) GROUP BY upload_id)
        SELECT u.upload_id, u.filename, u.sector, coalesce(u.cooperatives, c.coops, '') AS cooperatives,
               u.uploaded_by, u.uploaded_at,
               u.n_rows, u.n_new, u.n_replaced, u.months, u.status, u.undone_by, u.undone_at,
               u.sha256
        FROM uploads u LEFT JOIN c USING (upload_id)
        ORDER BY u.upload_id DESC""").df()
    return df
