"""The monthly reporting cycle (issue 18): submissions, review, statuses, the pending overlay, the migration."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import ingest
from analytics.access import accounts
from analytics.access.permissions import SYSTEM, Actor, PermissionDenied
from analytics.figures import kpis, pending, reporting
from analytics.ingest import review
from analytics.scope import Period
from analytics.store import schema
from analytics.store.db import Store
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "samples" / "duck_2024-01.csv"
COOP = "兴旺种鸭专业合作社"
MANAGER = Actor("wang", "manager", COOP)
REVIEWER = Actor("zhao", "reviewer")
JAN = Period(date(2024, 1, 1), date(2024, 1, 1))


def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, encoding="utf-8-sig")


def corrected() -> bytes:
    """The sample with every revenue raised by 100 元."""
    f = sample()
    f["销售收入(元)"] = f["销售收入(元)"] + 100
    return f.to_csv(index=False).encode("utf-8")


def duck(cur) -> dict:
    return kpis.park_kpis(cur, JAN)["duck"]


def state(store) -> dict:
    cur = store.cursor()
    return {"records": cur.execute("SELECT count(*) FROM duck_records").fetchone()[0],
            "uploads": cur.execute("SELECT count(*) FROM uploads").fetchone()[0],
            "subs": cur.execute("SELECT submission_id, state, reason FROM submissions ORDER BY 1").fetchall(),
            "pending": cur.execute("SELECT count(*) FROM pending_duck").fetchone()[0],
            "audit": cur.execute("SELECT action, target FROM audit_log ORDER BY audit_id").fetchall(),
            "jan": duck(cur)}


def test_manager_upload_waits_for_review_then_counts_once_accepted(demo_store):
    before = state(demo_store)
    assert before["jan"]["units"] == 0
    res = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    assert isinstance(res, review.SubmissionResult) and res.upload_id is None
    assert "已提交（报送编号 1）：54 行，月份 2024-01" in res.message() and "审核通过后才计入" in res.message()
    after = state(demo_store)
    # Nothing counts yet: records, uploads and figures as before; the rows wait apart.
    assert (after["records"], after["uploads"], after["jan"]) == (before["records"], before["uploads"], before["jan"])
    assert after["subs"] == [(1, "pending", None)] and after["pending"] == 54
    kept = demo_store.cursor().execute("SELECT stored_path FROM submissions").fetchone()[0]
    assert Path(kept).read_bytes() == SAMPLE.read_bytes()
    assert ingest.sweep_uploads(demo_store) == 0 and Path(kept).exists()  # the reviewer's copy stays
    # pending=1 shows it, as accepting would.
    f = sample()
    overlay = duck(pending.with_pending(demo_store.cursor()))
    assert overlay["units"] == 54 and overlay["stock"] == int(f["存栏(羽)"].sum())
    assert overlay["revenue"] == round(float(f["销售收入(元)"].sum()), 2)

    up = review.accept(demo_store, 1, REVIEWER)
    done = state(demo_store)
    assert done["jan"] == overlay  # the accepted figures are what pending=1 showed
    assert done["subs"] == [(1, "accepted", None)] and done["uploads"] == before["uploads"] + 1
    assert done["audit"][-1] == ("review_accept", "1")
    row = demo_store.cursor().execute("SELECT uploaded_by, n_rows, stored_path FROM uploads WHERE upload_id = ?",
                                      [up.upload_id]).fetchone()
    assert row == ("wang", 54, kept)  # the submitter's upload, the same kept file
    # Undo still works on an accepted submission.
    ingest.undo(demo_store, up.upload_id, SYSTEM)
    assert duck(demo_store.cursor())["units"] == 0


def test_return_needs_a_reason_and_the_values_never_count(demo_store):
    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    before = state(demo_store)
    with pytest.raises(review.ReviewError, match="退回必须写明原因"):
        review.return_submission(demo_store, 1, REVIEWER, "  ")
    assert state(demo_store) == before
    review.return_submission(demo_store, 1, REVIEWER, "收入偏低，请核对 D-001")
    after = state(demo_store)
    assert after["subs"] == [(1, "returned", "收入偏低，请核对 D-001")]
    assert after["audit"][-1] == ("review_return", "1") and after["jan"]["units"] == 0
    with pytest.raises(review.ReviewError, match="状态是“已退回”"):
        review.accept(demo_store, 1, REVIEWER)
    assert duck(pending.with_pending(demo_store.cursor()))["units"] == 0  # returned rows are not pending
    # The corrected file replaces the returned one and counts once accepted.
    res = ingest.ingest(demo_store, corrected(), "duck_fixed.csv", MANAGER)
    assert res.superseded == [1] and "替换了之前未通过的报送 1" in res.message()
    assert [s[:2] for s in state(demo_store)["subs"]] == [(1, "superseded"), (2, "pending")]
    review.accept(demo_store, 2, SYSTEM)
    assert duck(demo_store.cursor())["revenue"] == round(float(sample()["销售收入(元)"].sum()) + 54 * 100, 2)


def test_a_correction_counts_only_once_accepted(demo_store):
    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", SYSTEM)  # the office's own: at once
    accepted = duck(demo_store.cursor())
    assert accepted["units"] == 54
    assert state(demo_store)["subs"] == [(1, "accepted", None)]  # logged as accepted at once
    res = ingest.ingest(demo_store, corrected(), "duck_fixed.csv", MANAGER)
    assert duck(demo_store.cursor()) == accepted  # the accepted figures stand
    cmp = review.comparison(demo_store.cursor(), res.submission_id)
    rev = cmp[cmp["measure"] == "revenue"]
    assert len(rev) == 54 and rev["changed"].all() and ((rev["value"] - rev["stored"]).round(2) == 100).all()
    assert rev["last_month"].notna().all()  # 2023-12 of the demo
    st = cmp[cmp["measure"] == "stock"]
    assert not st["changed"].any()
    row = reporting.month_status(demo_store.cursor(), "2024-01", today=date(2024, 3, 1))
    row = row[row["cooperative"] == COOP].iloc[0]
    assert (row["status"], row["correction"], row["units"]) == ("accepted", True, 54)
    assert reporting.counts_line(reporting.month_status(demo_store.cursor(), "2024-01")).endswith(" · 更正待审核 1")
    review.accept(demo_store, res.submission_id, REVIEWER)
    assert duck(demo_store.cursor())["revenue"] == round(accepted["revenue"] + 5400, 2)


def test_manager_cannot_review_and_viewer_cannot_either(demo_store):
    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    before = state(demo_store)
    for who in (MANAGER, Actor("li", "viewer"), None):
        with pytest.raises(PermissionDenied, match="只有农业办的管理员或审核员可以通过或退回报送"):
            review.accept(demo_store, 1, who)
        with pytest.raises(PermissionDenied, match="无权审核"):
            review.return_submission(demo_store, 1, who, "不对")
    assert state(demo_store) == before


def records(store) -> list:
    return store.cursor().execute("SELECT * FROM duck_records ORDER BY ALL").fetchall()


def test_accepted_figures_are_undone_by_the_office_only(demo_store):
    """Issue 18: a manager's 撤销 removed figures the office had accepted, with no review."""
    sid = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER).submission_id
    uid = review.accept(demo_store, sid, REVIEWER).upload_id
    before, rows = state(demo_store), records(demo_store)
    assert before["subs"] == [(sid, "accepted", None)] and before["jan"]["units"] == 54
    refusal = (f"用户 wang 不能撤销编号 {uid}（duck.csv）：已通过的数据只能由农业办撤销；"
               "如需更正请重新上报，审核通过后替换。")
    with pytest.raises(PermissionDenied, match=refusal + "未撤销任何数据。"):
        ingest.undo(demo_store, uid, MANAGER)
    with pytest.raises(PermissionDenied, match="accepted figures can only be undone by the agriculture office"):
        ingest.undo(demo_store, uid, MANAGER, lang="en")
    for office_read_only in (REVIEWER, Actor("li", "viewer")):  # reviewers accept and return; they undo nothing
        with pytest.raises(PermissionDenied, match="只读账号"):
            ingest.undo(demo_store, uid, office_read_only)
    assert state(demo_store) == before and records(demo_store) == rows
    assert demo_store.cursor().execute("SELECT status, undone_by FROM uploads WHERE upload_id = ?",
                                       [uid]).fetchone() == ("applied", None)
    # The administrator may: the figures go, the submission is 已撤回.
    r = ingest.undo(demo_store, uid, Actor("boss", "admin"))
    assert (r["removed"], r["restored"]) == (54, 0)
    after = state(demo_store)
    assert after["subs"] == [(sid, "superseded", None)] and after["jan"]["units"] == 0
    assert after["records"] == before["records"] - 54


def test_a_manager_may_not_undo_the_offices_own_upload_either(demo_store):
    uid = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", SYSTEM).upload_id  # accepted at once
    before, rows = state(demo_store), records(demo_store)
    assert not ingest.may_undo(MANAGER, [COOP]) and ingest.may_undo(Actor("boss", "admin"), [COOP])
    with pytest.raises(PermissionDenied, match="已通过的数据只能由农业办撤销"):
        ingest.undo(demo_store, uid, MANAGER)
    assert state(demo_store) == before and records(demo_store) == rows


def test_a_manager_withdraws_only_his_own_submission_still_awaiting_review(demo_store):
    sid = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER).submission_id
    before = state(demo_store)
    jinyu = Actor("qian", "manager", "金羽种鸭专业合作社")
    for other, message in ((jinyu, f"只能撤销“金羽种鸭专业合作社”的上传.*{COOP}"), (REVIEWER, "只读账号"),
                           (Actor("li", "viewer"), "只读账号")):
        with pytest.raises(PermissionDenied, match=message):
            review.withdraw(demo_store, sid, other)
    assert state(demo_store) == before
    after = review.withdraw(demo_store, sid, MANAGER)
    assert (after["state"], after["reviewed_by"]) == ("superseded", None)
    now = state(demo_store)
    assert now["subs"] == [(sid, "superseded", None)] and now["audit"][-1] == ("withdraw_submission", str(sid))
    assert now["jan"]["units"] == 0 and duck(pending.with_pending(demo_store.cursor()))["units"] == 0
    with pytest.raises(review.ReviewError, match="状态是“已撤回”，只有待审核的报送可以撤回"):
        review.withdraw(demo_store, sid, MANAGER)
    # Withdrawn, the same file may be submitted again; accepted, it is the office's to undo.
    again = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER).submission_id
    review.accept(demo_store, again, REVIEWER)
    before = state(demo_store)
    with pytest.raises(review.ReviewError, match=f"报送 {again} 已通过，不能撤回：已通过的数据只能由农业办撤销"):
        review.withdraw(demo_store, again, MANAGER)
    with pytest.raises(review.ReviewError, match="accepted figures can only be undone by the agriculture office"):
        review.withdraw(demo_store, again, MANAGER, lang="en")
    assert state(demo_store) == before


def test_manager_cannot_submit_for_another_cooperative(demo_store):
    before = state(demo_store)
    other = SAMPLE.read_text(encoding="utf-8-sig").replace(COOP, "金羽种鸭专业合作社").encode()
    with pytest.raises(PermissionDenied, match=f"只能上报“{COOP}”的数据.*金羽种鸭专业合作社.*本次未写入任何数据"):
        ingest.ingest(demo_store, other, "duck.csv", MANAGER)
    assert state(demo_store) == before
    with pytest.raises(PermissionDenied, match="只读账号"):
        ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", REVIEWER)  # reviewers do not upload
    assert state(demo_store) == before


def test_same_file_twice_is_not_submitted_twice(demo_store):
    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    before = state(demo_store)
    with pytest.raises(ingest.AlreadyApplied, match="正在等待审核，不会重复提交"):
        ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    assert state(demo_store) == before


def test_park_review_0_applies_a_managers_upload_at_once(demo_store, monkeypatch):
    monkeypatch.setenv("PARK_REVIEW", "0")
    res = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    assert isinstance(res, ingest.UploadResult) and res.n_new == 54
    assert duck(demo_store.cursor())["units"] == 54
    assert state(demo_store)["subs"] == [(1, "accepted", None)]
    # No review, no office decision to protect: the manager undoes their own upload as before.
    assert ingest.may_undo(MANAGER, [COOP])
    assert ingest.undo(demo_store, res.upload_id, MANAGER)["removed"] == 54
    assert duck(demo_store.cursor())["units"] == 0 and state(demo_store)["subs"] == []


# --- one transaction: a SIGKILL between the two halves leaves no half state -------------------

def _accept_killed(db: str) -> None:
    def die(*a, **k):  # the records are applied; the state change would come now
        os.kill(os.getpid(), signal.SIGKILL)

    review._mark = die
    with Store(db) as s:
        review.accept(s, 1, SYSTEM)


def _return_killed(db: str) -> None:
    from analytics.access import audit

    real = review._mark

    def die(*a, **k):
        real(*a, **k)
        os.kill(os.getpid(), signal.SIGKILL)  # state changed, the audit row not yet written

    review._mark = die
    audit.record = die
    with Store(db) as s:
        review.return_submission(s, 1, SYSTEM, "请核对")


@pytest.mark.parametrize("target", [_accept_killed, _return_killed], ids=["accept", "return"])
def test_sigkill_between_the_halves_leaves_no_half_state(demo_store, target):
    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    before = state(demo_store)
    path = str(demo_store.path)
    demo_store.close()
    p = mp.get_context("spawn").Process(target=target, args=(path,))
    p.start()
    p.join(180)
    assert p.exitcode == -signal.SIGKILL
    with Store(path) as s:  # opening replays the WAL, as after a crash
        assert state(s) == before
        assert s.cursor().execute("SELECT count(*) FROM duck_records WHERE month = '2024-01-01'").fetchone() == (0,)


# --- statuses: a fixture park ------------------------------------------------------------------

HEAD = "月份,合作社,棚号,存栏(羽),销售收入(元),成本(元)\n"
PARK = {"东升种鸭合作社": "ontime", "南湖种鸭合作社": "late", "西岭种鸭合作社": "returned",
        "北山种鸭合作社": "never", "中和种鸭合作社": "pending"}


def _file(coop: str, month: str, units: int = 2) -> bytes:
    return (HEAD + "".join(f"{month},{coop},D-{i},{1000 + i},5000,4000\n" for i in range(units))).encode()


@pytest.fixture
def park(store):
    """Five cooperatives reported 2024-01 (the office's uploads); for 2024-02 (deadline 3-05):
    东升 accepted on 3-03, 南湖 accepted on 3-08 (late), 西岭 returned, 北山 nothing, 中和 awaiting review."""
    for i, coop in enumerate(PARK):
        ingest.ingest(store, _file(coop, "2024-01"), f"jan{i}.csv", SYSTEM)
        accounts.create_user(store, SYSTEM, f"m{i}", "long-enough-password-1", "manager", coop)
    ids = {}
    for i, (coop, kind) in enumerate(PARK.items()):
        if kind != "never":
            ids[kind] = ingest.ingest(store, _file(coop, "2024-02", 3), f"feb{i}.csv",
                                      Actor(f"m{i}", "manager", coop)).submission_id
    review.accept(store, ids["ontime"], SYSTEM)
    review.accept(store, ids["late"], SYSTEM)
    review.return_submission(store, ids["returned"], SYSTEM, "存栏与上月对不上")
    with store.write(figures=False) as cur:  # when the office acted, as the calendar had it
        cur.execute("UPDATE submissions SET reviewed_at = ? WHERE submission_id = ?",
                    [datetime(2024, 3, 3, 10), ids["ontime"]])
        cur.execute("UPDATE submissions SET reviewed_at = ? WHERE submission_id = ?",
                    [datetime(2024, 3, 8, 9), ids["late"]])
    return store


def test_statuses_before_and_after_the_deadline(park):
    cur = park.cursor()
    assert reporting.deadline(cur, "2024-02") == date(2024, 3, 5)
    st = reporting.month_status(cur, "2024-02", today=date(2024, 3, 4))
    got = {r.cooperative: (r.status, r.overdue, r.late, r.units) for r in st.itertuples()}
    assert got == {"东升种鸭合作社": ("accepted", False, False, 3), "南湖种鸭合作社": ("accepted", False, True, 3),
                   "西岭种鸭合作社": ("returned", False, False, 3), "北山种鸭合作社": ("missing", False, False, pd.NA),
                   "中和种鸭合作社": ("pending", False, False, 3)}
    assert list(st["cooperative"])[:3] == ["北山种鸭合作社", "西岭种鸭合作社", "中和种鸭合作社"]  # 未报 first
    assert st.set_index("cooperative").loc["西岭种鸭合作社", "reason"] == "存栏与上月对不上"
    assert reporting.counts_line(st) == "已通过 2 · 待审核 1 · 已退回 1 · 未报 1（逾期 0）"
    late = reporting.month_status(cur, "2024-02", today=date(2024, 3, 6))
    assert reporting.counts_line(late) == "已通过 2 · 待审核 1 · 已退回 1 · 未报 1（逾期 3）"
    assert reporting.counts_line(late, "en") == \
        "Accepted 2 · Awaiting review 1 · Returned 1 · Not reported 1 (3 overdue)"
    # January: all five accepted (the office's uploads), none overdue.
    assert reporting.counts(reporting.month_status(cur, "2024-01", today=date(2024, 3, 6))) == \
        {"accepted": 5, "pending": 0, "returned": 0, "missing": 0, "overdue": 0, "correction": 0}


def test_the_office_moves_a_deadline_and_the_setting_sets_the_day(park, monkeypatch):
    cur = park.cursor()
    review.set_deadline(park, "2024-02", date(2024, 3, 10), REVIEWER)
    st = reporting.month_status(cur, "2024-02", today=date(2024, 3, 9))
    assert reporting.counts(st)["overdue"] == 0 and not st["late"].any()  # 3-08 is on time now
    assert cur.execute("SELECT action, target FROM audit_log ORDER BY audit_id DESC LIMIT 1").fetchone() == \
        ("set_deadline", "2024-02")
    with pytest.raises(PermissionDenied):
        review.set_deadline(park, "2024-02", None, MANAGER)
    review.set_deadline(park, "2024-02", None, SYSTEM)
    monkeypatch.setenv("PARK_REPORT_DEADLINE_DAY", "10")
    assert reporting.deadline(cur, "2024-12") == date(2025, 1, 10)


def test_chase_list_and_text(park):
    cur = park.cursor()
    st = reporting.month_status(cur, "2024-02", today=date(2024, 3, 6))
    ch = reporting.chase(cur, st)
    assert list(ch["cooperative"]) == ["北山种鸭合作社", "西岭种鸭合作社"]
    assert list(ch["managers"]) == ["m3", "m2"] and ch["overdue"].all()
    text = reporting.chase_text(ch, "2024-02")
    assert text.splitlines() == [
        "北山种鸭合作社（m3）：2024年2月种鸭尚未上报月报，截止3月5日，已逾期，请尽快上报。",
        "西岭种鸭合作社（m2）：2024年2月种鸭月报已退回，请按退回原因修改后重新上传，截止3月5日，已逾期，请尽快上报。"]
    assert reporting.chase_text(ch, "2024-02", "en").splitlines()[0] == (
        "北山种鸭合作社（m3）: the 2024-02 breeder ducks report has not been submitted yet; deadline 2024-03-05, "
        "overdue, please report now.")
    early = reporting.chase(cur, reporting.month_status(cur, "2024-02", today=date(2024, 3, 1)))
    assert "请于3月5日前上报" in reporting.chase_text(early, "2024-02")
    assert reporting.awaiting(cur, "2024-02") == {("duck", "西岭种鸭合作社"): "returned",
                                                  ("duck", "中和种鸭合作社"): "pending"}


def test_pending_overlay_adds_only_the_awaiting_submissions(park):
    feb = Period(date(2024, 2, 1), date(2024, 2, 1))
    accepted = kpis.park_kpis(park.cursor(), feb)["duck"]
    assert (accepted["units"], accepted["stock"]) == (6, 2 * (1000 + 1001 + 1002))  # 东升 and 南湖, 3 sheds each
    with_p = kpis.park_kpis(pending.with_pending(park.cursor()), feb)["duck"]
    assert (with_p["units"], with_p["stock"]) == (9, 3 * 3003)  # + 中和 (pending); 西岭 returned: not counted
    assert kpis.park_kpis(park.cursor(), feb)["duck"] == accepted  # another cursor: accepted only


# --- the migration ------------------------------------------------------------------------------

def test_migration_10_on_a_store_made_before_it(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] < 10])
    with Store(path) as s:
        ingest.ingest(s, SAMPLE.read_bytes(), "duck.csv", SYSTEM)
        assert not review.has_cycle(s.cursor())
    monkeypatch.undo()
    with Store(path) as s:  # opened by this version: migrated
        cur = s.cursor()
        assert 10 in {v for (v,) in cur.execute("SELECT version FROM schema_migrations").fetchall()}
        assert cur.execute("SELECT count(*) FROM submissions").fetchone() == (0,)  # nothing to convert
        assert duck(cur)["units"] == 54  # everything in it is accepted
        st = reporting.month_status(cur, "2024-01", today=date(2024, 2, 1))
        assert list(st["status"]) == ["accepted"] and st["submitted_at"].isna().all()
        for t in ("pending_duck", "pending_hog", "pending_greenhouse", "submission_months", "report_deadlines"):
            cur.execute(f"SELECT count(*) FROM {t}").fetchone()  # noqa: S608 - fixed names
    # A second open applies nothing again.
    with Store(path) as s:
        assert s.cursor().execute("SELECT count(*) FROM schema_migrations WHERE version = 10").fetchone() == (1,)


def test_duckdb_temp_views_shadow_only_their_cursor(demo_store):
    c = pending.with_pending(demo_store.cursor())
    assert c.execute("SELECT count(*) FROM duck_records").fetchone() == \
        demo_store.cursor().execute("SELECT count(*) FROM duck_records").fetchone()
    with pytest.raises(duckdb.Error):
        demo_store.cursor().execute("SELECT carried FROM duck_records")


def test_the_deck_with_pending_submissions_says_so_in_every_stamp(demo_store):
    from analytics.meeting import narrative, slides

    ingest.ingest(demo_store, corrected(), "duck.csv", MANAGER)
    y = Period.year(2024)
    plain = slides.build(narrative.kpi_caller(demo_store.cursor()), y, demo=True)
    deck = slides.build(narrative.kpi_caller(pending.with_pending(demo_store.cursor())), y, demo=True, pending=True)
    assert all(not plain.stamp(s)[0].endswith("含待审核数据") for s in plain.slides if s.is_content)
    assert all(deck.stamp(s)[0].endswith(" ｜ 含待审核数据") for s in deck.slides if s.is_content)
    assert deck.slides[2].figures != plain.slides[2].figures  # 总体情况 counts the pending file's 2024-01


def test_chart_notes_count_a_pending_cooperative_as_awaiting_review_not_missing(demo_store):
    from analytics.figures import completeness
    from analytics.meeting import charts

    cur = demo_store.cursor()
    coop, unit = cur.execute("""SELECT cooperative, unit FROM duck_records
                                WHERE month = DATE '2023-12-01' AND cooperative <> ? ORDER BY 1, 2 LIMIT 1""",
                             [COOP]).fetchone()
    one = sample().head(1).assign(**{"合作社": coop, "棚号": unit})
    ingest.ingest(demo_store, one.to_csv(index=False).encode("utf-8"), "one.csv", SYSTEM)  # the office's own
    row = completeness.month_completeness(demo_store.cursor(), "duck", JAN).iloc[-1].to_dict()
    assert row["month"] == "2024-01" and row["missing"] > 0 and row["awaiting_cooperatives"] == 0
    assert charts.incomplete_note("duck", row).startswith(f"2024-01 尚有 {row['missing']:,} 个鸭棚")
    assert "未上报<br>" in charts.incomplete_note("duck", row)

    ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)  # 待审核, not counted
    after = completeness.month_completeness(demo_store.cursor(), "duck", JAN).iloc[-1].to_dict()
    assert after["missing"] == row["missing"] and after["awaiting_cooperatives"] == 1
    assert "未计入，其中 1 个合作社待审核<br>" in charts.incomplete_note("duck", after)
    assert "1 cooperative awaiting review" in charts.incomplete_note("duck", after, "en")


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_failed_submission_reports_its_first_cause_and_leaves_nothing(demo_store, monkeypatch, where):
    """The submission's write goes through the upload's own failure handling (apply.write_with_file):
    the database's first cause, worded for a submission; no row, no kept file — whether the write
    failed before the raw file was moved into place or after."""
    from analytics.ingest import apply, remember
    from tests.test_ingest import dump

    before = dump(demo_store)
    p = ingest.parse(SAMPLE.read_bytes(), "duck.csv", today=date(2024, 2, 10))
    assert p.ok

    def fail(cur) -> None:
        cur.execute("SELECT CAST('x' AS INTEGER)")

    if where == "before":
        monkeypatch.setattr(remember, "keep", lambda cur, *a, **k: fail(cur))
    else:
        place = apply.KeptFile.place
        monkeypatch.setattr(apply.KeptFile, "place", lambda self: (place(self), fail(demo_store.cursor())))
    with pytest.raises(ingest.CommitFailed) as e:
        review.submit(demo_store, p, MANAGER)
    assert str(e.value).startswith("写入数据库失败，本次未提交任何数据。原因：Conversion Error")
    assert dump(demo_store) == before
    assert [f for f in ingest.upload_dir(demo_store).rglob("*") if f.is_file()] == []


def test_the_preview_names_the_submissions_a_new_file_replaces(demo_store):
    """A manager's second file of the same months replaces his first while it awaits review or
    was returned: would_replace names it before he confirms, exactly the ones submit supersedes."""
    first = ingest.ingest(demo_store, SAMPLE.read_bytes(), "duck.csv", MANAGER)
    p = ingest.parse(corrected(), "duck_fixed.csv")
    pv = ingest.preview(demo_store.cursor(), p)
    assert ingest.would_replace(demo_store.cursor(), MANAGER, p.sector, pv.rows) == [(first.submission_id, "pending")]
    assert ingest.would_replace(demo_store.cursor(), SYSTEM, p.sector, pv.rows) == []  # the office's file applies
    other = pv.rows.assign(month=pd.Timestamp("2024-02-01"))
    assert ingest.would_replace(demo_store.cursor(), MANAGER, p.sector, other) == []  # other months: nothing
    second = ingest.ingest(demo_store, corrected(), "duck_fixed.csv", MANAGER)
    assert second.superseded == [first.submission_id]
