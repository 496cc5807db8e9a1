"""The monthly reporting cycle (DESIGN.md §9): a manager's file is a submission until the office
accepts it.

- :func:`submit` — a cooperative manager's checked file (the whole upload pipeline, confined to
  their cooperative) is stored as a submission 待审核 with its rows in ``pending_<sector>``,
  apart from the records: nothing counts yet. A new submission of the same cooperative × sector
  × month supersedes an open one (待审核 or 已退回 → 已撤回).
- :func:`accept` — 通过: the pending rows go through the upload's own apply path
  (:func:`.apply.apply_rows`: history, registry, rollups, undo) and the submission becomes 已通过,
  with its audit row, in ONE transaction.
- :func:`return_submission` — 退回 with a required reason, one transaction; the values never count.
- :func:`commit` / :func:`ingest` — the upload's entry: a manager's file (while ``PARK_REVIEW``
  is on) is submitted, anyone else's applied at once (:func:`.apply.commit`, which logs the
  office's own upload as an accepted submission, :mod:`.submissions`).

Review is off with ``PARK_REVIEW=0``: every upload is applied at once, as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd

from .. import contract
from ..access import audit
from ..access.permissions import Actor, check_review, check_write
from ..store.db import Store
from . import apply, identity, remember
from .common import AlreadyApplied, IngestError, Rejected, SimilarNames, _m, empty_issues
from .identity import NameChoices
from .submissions import (
    ACCEPTED,
    PENDING,
    RETURNED,
    STATES,
    _insert,
    _months_of,
    _warnings_json,
    has_cycle,
    needs_review,
)
from .validate import Parsed, month_labels

Cursor = duckdb.DuckDBPyConnection

class ReviewError(IngestError):
    """A review action that cannot be done (no such submission, not awaiting review, no reason)."""


@dataclass
class SubmissionResult:
    """A file stored as a submission awaiting review; ``upload_id`` stays None until accepted."""

    submission_id: int
    sector: str
    n_rows: int
    months: str
    cooperatives: list[str]
    superseded: list[int] = field(default_factory=list)
    upload_id: int | None = None

    def message(self, lang: str = "zh") -> str:
        again = _m(lang, f"；替换了之前未通过的报送 {'、'.join(map(str, self.superseded))}",
                   f"; it replaces earlier submission(s) {', '.join(map(str, self.superseded))}") \
            if self.superseded else ""
        zh, en = apply.months_text(self.months), apply.months_text(self.months, "en")
        return _m(lang, f"已提交（报送编号 {self.submission_id}）：{self.n_rows:,} 行，月份 {zh}{again}。"
                        "农业办审核通过后才计入看板的数字。",
                  f"Submitted (submission {self.submission_id}): {self.n_rows:,} rows, months {en}{again}. "
                  "The figures count once the office has accepted it.")


def _carried_rows(p: Parsed, n: int) -> np.ndarray:
    """Per row, the measures its sheet carries, comma-joined (what a correction replaces)."""
    out = np.full(n, "", dtype=object)
    for key, mask in p.carried.items():
        sel = np.ones(n, dtype=bool) if mask is True else np.asarray(mask, dtype=bool)
        if mask is False:
            continue
        out[sel] = [f"{v},{key}" if v else key for v in out[sel]]
    return out


def _carried_of(rows: pd.DataFrame) -> dict:
    """The inverse of :func:`_carried_rows`: Parsed.carried from the stored per-row lists."""
    lists = rows["carried"].fillna("").map(lambda v: set(v.split(",")) - {""})
    keys = set().union(*lists) if len(lists) else set()
    out: dict = {}
    for k in keys:
        mask = lists.map(lambda x, k=k: k in x).to_numpy(dtype=bool)
        out[k] = True if mask.all() else mask
    return out


def _open_duplicate(cur: Cursor, sha256: str) -> tuple | None:
    rows = cur.execute("""SELECT submission_id, submitted_by, strftime(submitted_at, '%Y-%m-%d %H:%M')
                          FROM submissions WHERE sha256 = ? AND state = 'pending'""", [sha256]).fetchall()
    return rows[0] if rows else None


def submit(store: Store, p: Parsed, actor: Actor, *, names: NameChoices | None = None,
           explanations: dict | None = None) -> SubmissionResult:
    """Store a checked file as a submission awaiting review, in one transaction, or nothing.

    ``explanations``: the uploader's 上报说明 for the rows flagged to check (p.verify); kept with
    the submission, shown to the reviewer beside those rows' warnings, and kept with the values
    (``upload_explanations``) once accepted.

    The same checks as :func:`.apply.commit` (errors, look-alike names, the manager's
    cooperative); raises the same errors, and AlreadyApplied for a file already applied or
    already awaiting review.
    """
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    s = contract.SECTORS[p.sector]

    def write(cur: Cursor, kept: apply.KeptFile) -> SubmissionResult:
        final = kept.final
        apply.sweep_uploads(store, cur)
        dup = apply.find_applied(cur, p.sha256)
        if dup:
            raise AlreadyApplied(apply.already_message(p.lang, dup))
        again = _open_duplicate(cur, p.sha256)
        if again:
            raise AlreadyApplied(_m(p.lang, f"同一个文件已于 {again[2]} 由 {again[1]} 提交（报送编号 {again[0]}），"
                                            "正在等待审核，不会重复提交。",
                                    f"The same file was submitted on {again[2]} by {again[1]} "
                                    f"(submission {again[0]}) and awaits review."))
        res = identity.resolve(cur, s.key, p.frame, names)
        if len(res.similar) and not (names and names.accept_new):
            raise SimilarNames(identity.similar_message(res.similar, p.lang), res.similar)
        frame = res.frame
        dups = apply._mapped_duplicates(p, frame) if len(res.aliased) else empty_issues()
        if len(dups):
            raise Rejected(_m(p.lang, f"文件“{p.filename}”未提交：名称对应后有 {len(dups)} 行重复。",
                              f"“{p.filename}” was not submitted: {len(dups)} rows repeat once names are mapped."),
                           dups)
        check_write(actor, sorted(frame["cooperative"].unique()))
        pv = apply.preview(cur, p, names)
        sid = cur.execute("SELECT nextval('submission_seq')").fetchall()[0][0]
        keys = _months_of(frame)  # noqa: F841 - read by DuckDB
        cur.register("_sub_keys", keys)
        try:
            superseded = [r[0] for r in cur.execute("""
                UPDATE submissions SET state = 'superseded', reviewed_at = current_timestamp
                WHERE state IN ('pending', 'returned') AND sector = ? AND submission_id IN (
                    SELECT m.submission_id FROM submission_months m JOIN _sub_keys k
                      ON m.cooperative = k.cooperative AND m.month = k.month)
                RETURNING submission_id""", [s.key]).fetchall()]
        finally:
            identity._unregister(cur, "_sub_keys")
        expl = apply.explanation_rows(s, p, frame, explanations)
        _insert(cur, sid, s, frame, sha256=p.sha256, filename=p.filename, stored_path=str(final),
                months=apply._months_label(month_labels(frame["month"])), submitted_by=actor.username,
                state=PENDING, warnings=_warnings_json(_with_explanations(pv.warnings, p.verify, expl)),
                explanations=expl.to_json(orient="records", force_ascii=False, date_format="iso")
                if len(expl) else None)
        cols = contract.record_columns(s) + [c.key for c in s.attrs]
        rows = frame.reindex(columns=cols).assign(submission_id=sid, carried=_carried_rows(p, len(frame)))
        cur.register("_sub_rows", rows)
        try:
            col_list = ", ".join(cols)
            cur.execute(f"""INSERT INTO pending_{s.key} ({col_list}, submission_id, carried)
                            SELECT {', '.join(f'CAST({c} AS {s.column(c).sql_type})' for c in cols)},
                                   submission_id, carried FROM _sub_rows""")
        finally:
            identity._unregister(cur, "_sub_rows")
        remember.keep(cur, p, actor.username)
        kept.place()
        return SubmissionResult(int(sid), s.key, len(frame), apply._months_label(month_labels(frame["month"])),
                                sorted(frame["cooperative"].unique()), sorted(superseded))

    return apply.write_with_file(store, p, write, figures=False, done=("提交", "submitted"))


def submission(cur: Cursor, sid: int) -> dict | None:
    """One submission as a dict (the submissions table's columns), or None."""
    df = cur.execute("SELECT * FROM submissions WHERE submission_id = ?", [sid]).df()
    return None if df.empty else df.iloc[0].to_dict()


def pending_rows(cur: Cursor, sid: int, sector: str) -> pd.DataFrame:
    """A submission's rows: the record columns, the attributes and ``carried``; month as datetime64."""
    s = contract.sector(sector)
    df = cur.execute(f"SELECT * EXCLUDE (submission_id) FROM pending_{s.key} WHERE submission_id = ? "
                     "ORDER BY month, cooperative, unit", [sid]).df()
    df["month"] = pd.to_datetime(df["month"]).astype("datetime64[ns]")
    return df


def _reviewable(cur: Cursor, sid: int, lang: str) -> dict:
    sub = submission(cur, sid)
    if sub is None:
        raise ReviewError(_m(lang, f"没有编号为 {sid} 的报送。", f"No submission {sid}."))
    if sub["state"] != PENDING:
        zh, en = STATES[sub["state"]]
        raise ReviewError(_m(lang, f"报送 {sid} 的状态是“{zh}”，只有待审核的报送可以通过或退回。",
                             f"Submission {sid} is {en.lower()}; only one awaiting review can be "
                             "accepted or returned."))
    return sub


def _mark(cur: Cursor, sid: int, state: str, actor: Actor, reason: str | None = None,
          upload_id: int | None = None) -> None:
    """The second half of a review: the state change (same transaction as the first)."""
    cur.execute("""UPDATE submissions SET state = ?, reviewed_by = ?, reviewed_at = current_timestamp,
                          reason = ?, upload_id = ? WHERE submission_id = ?""",
                [state, actor.username, reason, upload_id, sid])


def _with_explanations(warnings: pd.DataFrame, verify: pd.DataFrame, expl: pd.DataFrame) -> pd.DataFrame:
    """The warnings a reviewer reads: the preview's, then the rows flagged to check with their
    上报说明 in ``note``."""
    if not len(verify):
        return warnings
    notes = {(sh, int(r)): e for sh, r, e in zip(expl["sheet"], expl["row_number"], expl["explanation"], strict=True)}
    v = verify.assign(note=[notes.get((sh, int(r))) for sh, r in zip(verify["sheet"], verify["row"], strict=True)])
    return pd.concat([warnings, v], ignore_index=True) if len(warnings) else v


def _explanations_of(sub: dict) -> pd.DataFrame:
    """The 上报说明 rows kept with a submission (:func:`.apply.explanation_rows`' shape)."""
    raw = sub.get("explanations")
    if not raw or (isinstance(raw, float) and pd.isna(raw)):
        return pd.DataFrame()
    df = pd.DataFrame(json.loads(raw))
    df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def accept(store: Store, sid: int, actor: Actor, *, lang: str = "zh") -> apply.UploadResult:
    """通过: apply the submission's rows as an upload (by its submitter) and mark it accepted,
    with its audit row, in one transaction. Raises PermissionDenied (not a reviewer),
    ReviewError (no such submission, not awaiting review) or AlreadyApplied."""
    check_review(actor)

    def write(cur: Cursor) -> apply.UploadResult:
        sub = _reviewable(cur, sid, lang)
        s = contract.sector(sub["sector"])
        dup = apply.find_applied(cur, sub["sha256"])
        if dup:
            raise AlreadyApplied(apply.already_message(lang, dup))
        rows = pending_rows(cur, sid, s.key)
        frame = rows.drop(columns=["carried"])
        result = apply.apply_rows(store, cur, s, SimpleNamespace(carried=_carried_of(rows)), frame,
                                  uploaded_by=sub["submitted_by"], sha256=sub["sha256"],
                                  filename=sub["filename"], stored_path=sub["stored_path"])
        apply.write_explanations(cur, _explanations_of(sub), result.upload_id)
        _mark(cur, sid, ACCEPTED, actor, upload_id=result.upload_id)
        audit.record(cur, actor, "review_accept", str(sid),
                     f"{sub['filename']}，{sub['cooperatives']}，{sub['months']}，上传编号 {result.upload_id}")
        return result

    return store.run_write(write)


def return_submission(store: Store, sid: int, actor: Actor, reason: str, *, lang: str = "zh") -> dict:
    """退回 with a reason (required): the submission becomes 已退回, its values never count; one
    transaction with its audit row. Returns the submission as it is now."""
    check_review(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(_m(lang, "退回必须写明原因，合作社才知道要改什么。",
                             "A return needs a reason, so the cooperative knows what to correct."))
    if len(reason) > 1000:
        raise ReviewError(_m(lang, "退回原因最多 1000 字。", "The reason may have at most 1,000 characters."))

    def write(cur: Cursor) -> dict:
        sub = _reviewable(cur, sid, lang)
        _mark(cur, sid, RETURNED, actor, reason=reason)
        audit.record(cur, actor, "review_return", str(sid), f"{sub['filename']}，{sub['cooperatives']}：{reason}")
        return submission(cur, sid)

    return store.run_write(write, figures=False)


def withdraw(store: Store, sid: int, actor: Actor, *, lang: str = "zh") -> dict:
    """撤回: the submitter's cooperative takes back a submission still 待审核 (nothing of it was
    applied, so there is nothing to undo); it becomes 已撤回 with its audit row, one transaction.

    A manager withdraws only their own cooperative's; the administrator any; read-only roles none
    (PermissionDenied). Anything but 待审核 is refused (ReviewError): an accepted one's figures are
    the office's to undo (:func:`.submissions.check_undo`). Returns the submission as it is now.
    """

    def write(cur: Cursor) -> dict:
        sub = submission(cur, sid)
        if sub is None:
            raise ReviewError(_m(lang, f"没有编号为 {sid} 的报送。", f"No submission {sid}."))
        check_write(actor, str(sub["cooperatives"]).split("、"), action="undo")
        if sub["state"] == ACCEPTED:
            raise ReviewError(_m(lang, f"报送 {sid} 已通过，不能撤回：已通过的数据只能由农业办撤销；"
                                       "如需更正请重新上报，审核通过后替换。",
                                 f"Submission {sid} is accepted and cannot be withdrawn: accepted figures can only "
                                 "be undone by the agriculture office. To correct them, upload again; the new "
                                 "figures replace them once accepted."))
        if sub["state"] != PENDING:
            zh, en = STATES[sub["state"]]
            raise ReviewError(_m(lang, f"报送 {sid} 的状态是“{zh}”，只有待审核的报送可以撤回。",
                                 f"Submission {sid} is {en.lower()}; only one awaiting review can be withdrawn."))
        # Not a review: who withdrew it is in the audit log, the 审核人 column stays empty.
        cur.execute("UPDATE submissions SET state = 'superseded', reviewed_at = current_timestamp "
                    "WHERE submission_id = ?", [sid])
        audit.record(cur, actor, "withdraw_submission", str(sid), f"{sub['filename']}，{sub['cooperatives']}")
        return submission(cur, sid)

    return store.run_write(write, figures=False)


def submissions_list(cur: Cursor, month: str | None = None, *, states: tuple[str, ...] | None = None,
                     submitted_by: str | None = None, cooperative: str | None = None) -> pd.DataFrame:
    """Submissions, newest first: submission_id, sector, cooperatives, months, n_rows, filename,
    submitted_by, submitted_at, state, reviewed_by, reviewed_at, reason, upload_id. ``month``
    (YYYY-MM) keeps those covering it; ``states`` the states listed."""
    if not has_cycle(cur):
        return pd.DataFrame(columns=["submission_id", "sector", "cooperatives", "months", "n_rows", "filename",
                                     "submitted_by", "submitted_at", "state", "reviewed_by", "reviewed_at",
                                     "reason", "upload_id"])
    where, params = [], []
    if month:
        where.append("submission_id IN (SELECT submission_id FROM submission_months WHERE month = CAST(? AS DATE))")
        params.append(f"{month}-01")
    if states:
        where.append(f"state IN ({', '.join('?' * len(states))})")
        params += list(states)
    if submitted_by:
        where.append("submitted_by = ?")
        params.append(submitted_by)
    if cooperative:
        where.append("submission_id IN (SELECT submission_id FROM submission_months WHERE cooperative = ?)")
        params.append(cooperative)
    sql = ("SELECT submission_id, sector, cooperatives, months, n_rows, filename, submitted_by, submitted_at, "
           "state, reviewed_by, reviewed_at, reason, upload_id FROM submissions"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY submission_id DESC")
    return cur.execute(sql, params).df()


def warnings_of(sub: dict) -> pd.DataFrame:
    """The warnings stored with a submission (row, column, value, reason, and 上报说明 where given)."""
    w = sub.get("warnings")
    if not w or (isinstance(w, float) and pd.isna(w)):
        return pd.DataFrame(columns=["row", "column", "value", "reason"])
    return pd.DataFrame(json.loads(w))


def comparison(cur: Cursor, sid: int) -> pd.DataFrame:
    """A submission's values beside the same unit's accepted values: stored now for the same
    month (what a re-submission changes), last month, and the same month a year earlier.

    One row per (month, cooperative, unit, measure the row carries): value, stored, last_month,
    last_year (NaN where none), ``changed`` (stored exists and differs). Units as the contract's.
    """
    sub = submission(cur, sid)
    if sub is None:
        raise ReviewError(f"没有编号为 {sid} 的报送。")
    s = contract.sector(sub["sector"])
    rows = pending_rows(cur, sid, s.key)
    measures = [c.key for c in s.measures if c.sql_type in ("BIGINT", "DOUBLE")]
    long = []
    for c in measures:
        has = rows["carried"].fillna("").map(lambda v, c=c: c in v.split(","))
        part = rows.loc[has, ["month", "cooperative", "unit", c]].rename(columns={c: "value"})
        long.append(part.assign(measure=c))
    if not long:
        return pd.DataFrame()
    df = pd.concat(long, ignore_index=True)
    cur.register("_cmp", rows[["month", "cooperative", "unit"]].drop_duplicates())
    try:
        stored = cur.execute(f"""
            SELECT r.*, k.month AS k_month, CASE WHEN r.month = k.month THEN 'stored'
                 WHEN r.month = k.month - INTERVAL 1 MONTH THEN 'last_month' ELSE 'last_year' END AS which
            FROM _cmp k JOIN {s.table} r ON r.cooperative = k.cooperative AND r.unit = k.unit
             AND r.month IN (k.month, k.month - INTERVAL 1 MONTH, k.month - INTERVAL 12 MONTH)""").df()
    finally:
        identity._unregister(cur, "_cmp")
    for which in ("stored", "last_month", "last_year"):
        part = stored[stored["which"] == which]
        if len(part):
            lp = part.melt(id_vars=["k_month", "cooperative", "unit"], value_vars=measures,
                           var_name="measure", value_name=which).rename(columns={"k_month": "month"})
            lp["month"] = pd.to_datetime(lp["month"]).astype("datetime64[ns]")
            df = df.merge(lp, on=["month", "cooperative", "unit", "measure"], how="left")
        else:
            df[which] = np.nan
    v, st_ = pd.to_numeric(df["value"], errors="coerce"), pd.to_numeric(df["stored"], errors="coerce")
    df["changed"] = st_.notna() & ~((v == st_) | (v.isna() & st_.isna()))
    df["month"] = df["month"].dt.strftime("%Y-%m")
    return df[["month", "cooperative", "unit", "measure", "value", "stored", "last_month", "last_year", "changed"]]


def set_deadline(store: Store, month: str, deadline: date | None, actor: Actor) -> None:
    """The office moves one month's deadline (``None``: back to the setting's day); audited."""
    from ..scope import parse_month

    check_review(actor)
    m = parse_month(month)

    def write(cur: Cursor) -> None:
        if deadline is None:
            cur.execute("DELETE FROM report_deadlines WHERE month = ?", [m])
        else:
            cur.execute("""INSERT INTO report_deadlines (month, deadline, set_by) VALUES (?, ?, ?)
                           ON CONFLICT (month) DO UPDATE SET deadline = excluded.deadline,
                             set_by = excluded.set_by, set_at = now()""", [m, deadline, actor.username])
        audit.record(cur, actor, "set_deadline", month, str(deadline) if deadline else "默认")

    store.run_write(write, figures=False)


def would_replace(cur: Cursor, actor: Actor | None, sector: str, rows: pd.DataFrame) -> list[tuple[int, str]]:
    """The submissions that :func:`commit` of these rows would replace: ``[(submission_id,
    state)]`` of the sector's pending or returned submissions holding any (cooperative, month) of
    ``rows`` (registered names, as :class:`.apply.Preview` rows), when the actor's file goes to
    review; [] otherwise. The preview says so before the manager confirms (:func:`submit`
    supersedes them in its transaction)."""
    if not needs_review(actor) or not len(rows):
        return []
    keys = _months_of(rows)  # noqa: F841 - read by DuckDB
    cur.register("_wr_keys", keys)
    try:
        return [(int(i), st) for i, st in cur.execute("""
            SELECT DISTINCT s.submission_id, s.state FROM submissions s
            JOIN submission_months m ON m.submission_id = s.submission_id
            JOIN _wr_keys k ON m.cooperative = k.cooperative AND m.month = k.month
            WHERE s.state IN ('pending', 'returned') AND s.sector = ?
            ORDER BY 1""", [sector]).fetchall()]
    finally:
        identity._unregister(cur, "_wr_keys")


def commit(store: Store, p: Parsed, actor: Actor | None, *, names: NameChoices | None = None,
           explanations: dict | None = None) -> apply.UploadResult | SubmissionResult:
    """The upload's commit as pages and the CLI call it (``ingest.commit``): a cooperative
    manager's file waits for review (:func:`submit`), anyone else's is applied at once
    (:func:`.apply.commit`). Same errors as those; checks the actor's cooperatives first."""
    if not p.ok:
        raise Rejected(p.summary(), p.errors)
    check_write(actor, p.cooperatives if not names or not names.cooperatives else
                sorted({names.cooperatives.get(c, c) for c in p.cooperatives}))
    if needs_review(actor):
        return submit(store, p, actor, names=names, explanations=explanations)
    return apply.commit(store, p, actor, names=names, explanations=explanations)


def ingest(store: Store, data: bytes, filename: str, actor: Actor | None, *, sector: str | None = None,
           lang: str = "zh", today=None, names: NameChoices | None = None) -> apply.UploadResult | SubmissionResult:
    """Parse (in a child process, :mod:`.isolate`) and commit one file (:func:`commit`): the path of
    the upload page and of the CLI."""
    from .isolate import parse

    return commit(store, parse(data, filename, sector, lang=lang, today=today), actor, names=names)
