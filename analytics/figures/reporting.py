"""Reporting status (报送进度, DESIGN.md §9): per month, who has reported, who awaits review, who is late.

口径, for a month M:
- **deadline**: the Nth day of the month after M (``PARK_REPORT_DEADLINE_DAY``, default 5), unless
  the office moved M's deadline (table ``report_deadlines``).
- **who is expected**: each cooperative with an accepted record of a sector in the 12 months up to M
  (M included), or a submission of that sector in them — per sector it reports.
- **status** of (cooperative, sector) for M: 已通过 ``accepted`` when M's records of it exist;
  else the state of its open submission covering M, 待审核 ``pending`` or 已退回 ``returned``; else
  未报 ``missing``. A correction awaiting review of an accepted month keeps 已通过 (the accepted
  figures stand until the correction is accepted) and is flagged ``correction``.
- **逾期 overdue**: the deadline has passed (today later than it) without an accepted report;
  **late**: accepted, but after the deadline (known for uploads from schema 10 on).

Reads a cursor (records' ``coop_months``, ``submissions``, ``submission_months``, ``users``);
writes nothing (the deadline override is written by :mod:`analytics.ingest.review`).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from .. import settings
from ..scope import Cursor, parse_month

STATUS = {"accepted": ("已通过", "Accepted"), "pending": ("待审核", "Awaiting review"),
          "returned": ("已退回", "Returned"), "missing": ("未报", "Not reported")}
OVERDUE = ("逾期", "overdue")
COLUMNS = ["cooperative", "sector", "status", "overdue", "late", "correction", "deadline", "submission_id",
           "submitted_by", "submitted_at", "accepted_at", "units", "warnings", "reason"]


def _next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _has_cycle(cur: Cursor) -> bool:
    return bool(cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions' "
                            "AND table_schema = 'main'").fetchall()[0][0])


def default_deadline(month: date) -> date:
    """The Nth day (PARK_REPORT_DEADLINE_DAY) of the month after ``month``."""
    return _next_month(month).replace(day=settings.report_deadline_day())


def reporting_month(today: date) -> str:
    """The calendar's reporting month, 'YYYY-MM': the month before ``today``'s (its reports fall
    due on the Nth of this one, :func:`default_deadline`)."""
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1).strftime("%Y-%m")


def collecting_month(reported: set[str] | list[str], today: date) -> str:
    """The month the office is collecting, 'YYYY-MM', from the months with any report (accepted
    records or submissions, 'YYYY-MM').

    The calendar's :func:`reporting_month` while the store keeps to the calendar: it, or the
    month before it, has reports (on the 2nd of December nobody may have sent November yet, and
    November's 未报 list is what the office needs). A store behind the calendar (the demo, an
    office entering a past year) is collecting its latest month with reports: the calendar's
    month would be an empty table. With no report at all, the calendar's month.
    """
    due = reporting_month(today)
    before = reporting_month(parse_month(due))
    if not reported or due in reported or before in reported:
        return due
    return max(reported)


def deadline(cur: Cursor, month: date | str) -> date:
    """The month's deadline: the office's override, else :func:`default_deadline`."""
    m = parse_month(month) if isinstance(month, str) else month.replace(day=1)
    if _has_cycle(cur):
        row = cur.execute("SELECT deadline FROM report_deadlines WHERE month = ?", [m]).fetchall()
        if row:
            return row[0][0]
    return default_deadline(m)


def _count_warnings(w: object) -> int:
    if not isinstance(w, str) or not w:
        return 0
    try:
        return len(json.loads(w))
    except ValueError:
        return 0


def month_status(cur: Cursor, month: date | str, today: date | None = None) -> pd.DataFrame:
    """One row per expected (cooperative, sector) for ``month`` (see the module's 口径), sorted by
    status (未报 first), then cooperative: the columns of :data:`COLUMNS`. ``units`` counts the
    units reported (accepted records, else the submission's); ``warnings`` the submission's
    warnings; ``reason`` a return's reason; times are timestamps (None before schema 10)."""
    m = parse_month(month) if isinstance(month, str) else month.replace(day=1)
    today = today or date.today()
    due = deadline(cur, m)
    start = date(m.year - 1, m.month, 1)
    cycle = _has_cycle(cur)
    subs_expected = ("UNION SELECT sm.sector, sm.cooperative FROM submission_months sm JOIN submissions s "
                     "USING (submission_id) WHERE s.state <> 'superseded' AND sm.month BETWEEN $start AND $m"
                     if cycle else "")
    expected = cur.execute(f"""
        SELECT DISTINCT sector, cooperative FROM coop_months
        WHERE n_records > 0 AND month BETWEEN $start AND $m {subs_expected}""",
                           {"start": start, "m": m}).df()
    accepted = cur.execute("SELECT sector, cooperative, n_records FROM coop_months "
                           "WHERE month = ? AND n_records > 0", [m]).df()
    out = expected.merge(accepted, on=["sector", "cooperative"], how="left")
    out["status"] = out["n_records"].notna().map({True: "accepted", False: "missing"})
    out["units"] = out["n_records"]
    for c in ("submission_id", "submitted_by", "submitted_at", "accepted_at", "warnings", "reason"):
        out[c] = None
    out["correction"] = False
    if cycle and len(out):
        subs = cur.execute("""
            SELECT sm.sector, sm.cooperative, s.submission_id, s.state, s.submitted_by, s.submitted_at,
                   s.reviewed_at, sm.n_units, s.warnings, s.reason
            FROM submission_months sm JOIN submissions s USING (submission_id)
            WHERE sm.month = ? AND s.state <> 'superseded'
            ORDER BY s.submission_id DESC""", [m]).df()
        for i, r in out.iterrows():
            mine = subs[(subs["sector"] == r["sector"]) & (subs["cooperative"] == r["cooperative"])]
            open_ = mine[mine["state"].isin(["pending", "returned"])]
            done = mine[mine["state"] == "accepted"]
            if r["status"] == "accepted":
                if len(done):
                    d = done.iloc[0]
                    out.loc[i, ["submission_id", "submitted_by", "submitted_at", "accepted_at", "warnings"]] = \
                        [d["submission_id"], d["submitted_by"], d["submitted_at"], d["reviewed_at"],
                         _count_warnings(d["warnings"])]
                out.loc[i, "correction"] = bool((open_["state"] == "pending").any())
            elif len(open_):
                o = open_.iloc[0]
                out.loc[i, ["status", "submission_id", "submitted_by", "submitted_at", "units", "warnings",
                            "reason"]] = [o["state"], o["submission_id"], o["submitted_by"], o["submitted_at"],
                                          o["n_units"], _count_warnings(o["warnings"]), o["reason"]]
    out["deadline"] = due
    out["overdue"] = (out["status"] != "accepted") & (today > due)
    acc = pd.to_datetime(out["accepted_at"])
    out["late"] = (out["status"] == "accepted") & acc.notna() & (acc >= pd.Timestamp(due) + pd.Timedelta(days=1))
    order = {"missing": 0, "returned": 1, "pending": 2, "accepted": 3}
    out = out.assign(_o=out["status"].map(order)).sort_values(["_o", "cooperative", "sector"], kind="stable")
    out["units"] = out["units"].astype("Int64")
    return out[COLUMNS].reset_index(drop=True)


def counts(status: pd.DataFrame) -> dict[str, int]:
    """{accepted, pending, returned, missing, overdue, correction}: rows per status, the overdue
    ones, and accepted ones with a correction awaiting review."""
    out = {k: int((status["status"] == k).sum()) for k in STATUS}
    out["overdue"] = int(status["overdue"].sum())
    out["correction"] = int(status["correction"].sum())
    return out


def counts_line(status: pd.DataFrame, lang: str = "zh") -> str:
    """“已通过 31 · 待审核 4 · 已退回 1 · 未报 6（逾期 2）” (rows are cooperative × sector); with
    corrections of accepted months awaiting review, “ · 更正待审核 N” after it."""
    c = counts(status)
    i = 0 if lang == "zh" else 1
    parts = [f"{STATUS[k][i]} {c[k]}" for k in STATUS]
    over = f"（{OVERDUE[0]} {c['overdue']}）" if lang == "zh" else f" ({c['overdue']} {OVERDUE[1]})"
    more = ""
    if c["correction"]:
        more = (f" · 更正待审核 {c['correction']}" if lang == "zh"
                else f" · {c['correction']} correction(s) awaiting review")
    return " · ".join(parts) + over + more


def managers(cur: Cursor, cooperatives: list[str]) -> dict[str, list[str]]:
    """Active manager accounts per cooperative: {cooperative: ["display name (username)", …]}."""
    if not cooperatives:
        return {}
    rows = cur.execute("""SELECT cooperative, username, display_name FROM users
                          WHERE role = 'manager' AND NOT disabled
                            AND cooperative IN (SELECT unnest(?::VARCHAR[]))
                          ORDER BY cooperative, username""", [list(cooperatives)]).fetchall()
    out: dict[str, list[str]] = {}
    for coop, user, name in rows:
        out.setdefault(coop, []).append(f"{name}（{user}）" if name and name != user else user)
    return out


def chase(cur: Cursor, status: pd.DataFrame) -> pd.DataFrame:
    """催报: the cooperatives not accepted yet (未报 or 已退回; overdue first), one row each:
    cooperative, sectors (Chinese names joined), sector_keys (tuple of contract keys), status, overdue,
    deadline, managers (joined)."""
    from .. import fmt

    todo = status[status["status"].isin(["missing", "returned"])]
    if todo.empty:
        return pd.DataFrame(columns=["cooperative", "sectors", "sector_keys", "status", "overdue", "deadline",
                                     "managers"])
    who = managers(cur, sorted(todo["cooperative"].unique()))
    g = todo.groupby("cooperative", sort=True).agg(
        sectors=("sector", lambda s: "、".join(fmt.sector_name(x) for x in s)),
        sector_keys=("sector", tuple),
        status=("status", lambda s: "returned" if (s == "returned").any() else "missing"),
        overdue=("overdue", "any"), deadline=("deadline", "first")).reset_index()
    g["managers"] = g["cooperative"].map(lambda c: "、".join(who.get(c, [])))
    return g.sort_values(["overdue", "cooperative"], ascending=[False, True], kind="stable").reset_index(drop=True)


def chase_text(chased: pd.DataFrame, month: date | str, lang: str = "zh") -> str:
    """A text to paste into the office's WeChat group: one line per cooperative, with the deadline.
    Nothing is sent from the server."""
    from .. import fmt

    m = parse_month(month) if isinstance(month, str) else month
    if chased.empty:
        return ""
    lines = []
    for r in chased.itertuples(index=False):
        d = r.deadline
        who = f"（{r.managers}）" if r.managers else ""
        if lang == "zh":
            what = "月报已退回，请按退回原因修改后重新上传" if r.status == "returned" else "尚未上报月报"
            when = "已逾期，请尽快上报" if r.overdue else f"请于{d.month}月{d.day}日前上报"
            lines.append(f"{r.cooperative}{who}：{m.year}年{m.month}月{r.sectors}{what}，截止{d.month}月{d.day}日，{when}。")
        else:
            what = ("was returned; please correct and upload again" if r.status == "returned"
                    else "has not been submitted yet")
            when = "overdue, please report now" if r.overdue else f"due by {d:%Y-%m-%d}"
            sectors = " and ".join(fmt.sector_name(x, "en").lower() for x in r.sector_keys)
            lines.append(f"{r.cooperative}{who}: the {m:%Y-%m} {sectors} report {what}; "
                         f"deadline {d:%Y-%m-%d}, {when}.")
    return "\n".join(lines)


def awaiting(cur: Cursor, month: str) -> dict[tuple[str, str], str]:
    """{(sector, cooperative): 'pending' | 'returned'} for the month's open submissions: the 未上报
    lists say 待审核 (awaiting review) for these instead of calling them missing."""
    if not _has_cycle(cur):
        return {}
    rows = cur.execute("""SELECT sm.sector, sm.cooperative, arg_max(s.state, s.submission_id)
                          FROM submission_months sm JOIN submissions s USING (submission_id)
                          WHERE sm.month = ? AND s.state IN ('pending', 'returned')
                          GROUP BY sm.sector, sm.cooperative""", [parse_month(month)]).fetchall()
    return {(a, b): c for a, b, c in rows}
