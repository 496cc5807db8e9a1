"""The submissions tables (DESIGN.md §9) as the upload's own path writes them: the states, whether a
user's upload waits for review, and the log of the office's direct uploads as accepted submissions.

Apart from :mod:`.review` (submit, accept, return), which builds on :mod:`.apply`: this module is
what :mod:`.apply` itself calls, so the two never import each other.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .. import contract, settings
from ..access.permissions import Actor, PermissionDenied, check_write, may_write
from ..contract import Sector
from .common import _m
from .validate import Parsed

Cursor = duckdb.DuckDBPyConnection

# The states, as stored and as shown: (Chinese, English).
PENDING, RETURNED, ACCEPTED, SUPERSEDED = "pending", "returned", "accepted", "superseded"
STATES = {PENDING: ("待审核", "Awaiting review"), RETURNED: ("已退回", "Returned"),
          ACCEPTED: ("已通过", "Accepted"), SUPERSEDED: ("已撤回", "Superseded")}
OPEN = (PENDING, RETURNED)


def has_cycle(cur: Cursor) -> bool:
    """Whether the store has the submissions tables (schema 10 on)."""
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = 'submissions' AND table_schema = 'main'").fetchall()[0][0])


def needs_review(actor: Actor | None) -> bool:
    """Whether this actor's upload waits for review: a cooperative manager's, while PARK_REVIEW is on."""
    return settings.review() and actor is not None and actor.role == "manager"


def check_undo(actor: Actor | None, cooperatives: list[str], upload_id: int, filename: str,
               lang: str = "zh") -> None:
    """Refuse unless ``actor`` may undo this applied upload (raises PermissionDenied, message in ``lang``).

    Besides :func:`check_write` (own cooperative only; read-only roles never): while review is on,
    every applied upload holds figures the office accepted (a submission it reviewed, or its own
    upload), and they stand until the office decides (README, *The monthly reporting cycle*) — so
    a cooperative manager may not undo one; the administrator may. A correction is a new
    submission. With ``PARK_REVIEW=0`` a manager undoes their own cooperative's uploads as before.
    """
    check_write(actor, cooperatives, action="undo")
    if needs_review(actor):
        raise PermissionDenied(_m(
            lang, f"用户 {actor.username} 不能撤销编号 {upload_id}（{filename}）：已通过的数据只能由农业办撤销；"
                  "如需更正请重新上报，审核通过后替换。未撤销任何数据。",
            f"User {actor.username} cannot undo upload {upload_id} ({filename}): accepted figures can only be "
            "undone by the agriculture office. To correct them, upload again; the new figures replace them "
            "once accepted. Nothing was undone."))


def may_undo(actor: Actor | None, cooperatives: list[str]) -> bool:
    """Whether :func:`check_undo` would let ``actor`` undo an applied upload of these cooperatives."""
    return may_write(actor, cooperatives) and not needs_review(actor)


def _months_of(frame: pd.DataFrame) -> pd.DataFrame:
    """(cooperative, month, n_units) of a frame of rows."""
    g = frame.groupby(["cooperative", "month"])["unit"].nunique().rename("n_units").reset_index()
    g["month"] = pd.to_datetime(g["month"]).dt.date
    return g


def _warnings_json(w: pd.DataFrame) -> str | None:
    if not len(w):
        return None
    cols = [c for c in ("sheet", "row", "column", "value", "reason", "note") if c in w]
    return w[cols].astype(object).where(w[cols].notna(), None).map(
        lambda v: v.item() if isinstance(v, np.generic) else v).to_json(orient="records", force_ascii=False)


def _insert(cur: Cursor, sid: int, s: Sector, frame: pd.DataFrame, *, sha256: str, filename: str,
            stored_path: str, months: str, submitted_by: str, state: str, warnings: str | None = None,
            reviewed_by: str | None = None, upload_id: int | None = None, explanations: str | None = None) -> None:
    coops = "、".join(sorted(frame["cooperative"].unique()))
    cur.execute("""INSERT INTO submissions (submission_id, sha256, filename, stored_path, sector, cooperatives,
                                            months, n_rows, submitted_by, state, reviewed_by, reviewed_at,
                                            upload_id, warnings, explanations)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN current_timestamp END, ?, ?, ?)""",
                [sid, sha256, filename, stored_path, s.key, coops, months, len(frame), submitted_by, state,
                 reviewed_by, reviewed_by is not None, upload_id, warnings, explanations])
    m = _months_of(frame).assign(submission_id=sid, sector=s.key)  # noqa: F841 - read by DuckDB
    cur.register("_sub_months", m)
    try:
        cur.execute("""INSERT INTO submission_months (submission_id, sector, cooperative, month, n_units)
                       SELECT submission_id, sector, cooperative, month, n_units FROM _sub_months""")
    finally:
        cur.unregister("_sub_months")


def log_direct(cur: Cursor, upload_id: int, sector: str, frame: pd.DataFrame, username: str, p: Parsed,
               stored_path: str, months: str) -> None:
    """Inside an upload's write: the office's own upload as a submission accepted at once."""
    if not has_cycle(cur):
        return
    sid = cur.execute("SELECT nextval('submission_seq')").fetchall()[0][0]
    _insert(cur, sid, contract.sector(sector), frame, sha256=p.sha256, filename=p.filename,
            stored_path=stored_path, months=months, submitted_by=username, state=ACCEPTED, reviewed_by=username,
            upload_id=upload_id, warnings=_warnings_json(p.warnings))


def on_undo(cur: Cursor, upload_id: int) -> None:
    """Inside an undo's write: the office's direct upload leaves no log row (the undo is exact);
    an accepted submission it applied becomes 已撤回 (its figures no longer count)."""
    if not has_cycle(cur):
        return
    direct = [r[0] for r in cur.execute(f"""
        SELECT s.submission_id FROM submissions s WHERE s.upload_id = ? AND s.state = 'accepted'
          AND NOT EXISTS ({' UNION ALL '.join(f'SELECT 1 FROM pending_{k} p WHERE p.submission_id = s.submission_id'
                                             for k in contract.SECTOR_KEYS)})""", [upload_id]).fetchall()]
    if direct:
        cur.execute("DELETE FROM submission_months WHERE submission_id IN (SELECT unnest(?::BIGINT[]))", [direct])
        cur.execute("DELETE FROM submissions WHERE submission_id IN (SELECT unnest(?::BIGINT[]))", [direct])
    cur.execute("""UPDATE submissions SET state = 'superseded' WHERE upload_id = ? AND state = 'accepted'""",
                [upload_id])
