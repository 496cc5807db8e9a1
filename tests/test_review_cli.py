"""python -m analytics ingest --as / review list|accept|return / kpis --include-pending (issue 18)."""

from __future__ import annotations

import json

import pandas as pd

from analytics.access import accounts
from analytics.access.permissions import SYSTEM
from analytics.store.db import Store
from tests.test_ingest_cli import run
from tests.test_review import COOP, SAMPLE


def kpis(capsys, db, *extra) -> dict:
    code, out, err = run(capsys, "kpis", "--from", "2024-01", "--to", "2024-01", "--json", "--db", db, *extra)
    assert code == 0, err
    return json.loads(out)


def test_manager_file_waits_for_review_accept_changes_the_kpi_json(capsys, demo_store, tmp_path):
    accounts.create_user(demo_store, SYSTEM, "wang", "long-enough-password-1", "manager", COOP)
    db = demo_store.path
    demo_store.close()
    before = kpis(capsys, db)
    assert before["duck"]["units"] == 0 and "includes_pending" not in before

    code, out, err = run(capsys, "ingest", SAMPLE, "--as", "wang", "--db", db)
    assert code == 0, err
    assert "已提交（报送编号 1）：54 行，月份 2024-01" in out
    assert kpis(capsys, db) == before  # not counted before review
    f = pd.read_csv(SAMPLE, encoding="utf-8-sig")
    with_p = kpis(capsys, db, "--include-pending")
    assert with_p["includes_pending"] is True
    assert (with_p["duck"]["units"], with_p["duck"]["stock"]) == (54, int(f["存栏(羽)"].sum()))

    code, out, err = run(capsys, "review", "list", "--month", "2024-01", "--json", "--db", db)
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["submission_id"], r["state"], r["submitted_by"], r["cooperatives"], r["n_rows"]) for r in rows] == \
        [(1, "pending", "wang", COOP, 54)]
    code, out, err = run(capsys, "review", "list", "--db", db)
    assert "1\t待审核\t种鸭\t" + COOP in out

    code, out, err = run(capsys, "review", "accept", "1", "--db", db)
    assert code == 0, err
    assert "已通过报送 1" in out
    after = kpis(capsys, db)
    assert after["duck"] == {k: v for k, v in with_p["duck"].items()}
    assert after["duck"]["revenue"] == round(float(f["销售收入(元)"].sum()), 2)
    # Accepting again is refused, exit 1, nothing changes.
    code, out, err = run(capsys, "review", "accept", "1", "--db", db)
    assert code == 1 and "只有待审核的报送可以通过或退回" in err
    with Store(db) as s:
        assert s.cursor().execute("SELECT actor, action, target FROM audit_log WHERE action LIKE 'review%'"
                                  ).fetchall() == [("system", "review_accept", "1")]


def test_return_needs_reason_and_other_cooperative_is_refused(capsys, demo_store):
    accounts.create_user(demo_store, SYSTEM, "wang", "long-enough-password-1", "manager", COOP)
    db = demo_store.path
    demo_store.close()
    other = SAMPLE.read_text(encoding="utf-8-sig").replace(COOP, "金羽种鸭专业合作社")
    path = db.parent / "other.csv"
    path.write_text(other, encoding="utf-8")
    code, out, err = run(capsys, "ingest", path, "--as", "wang", "--db", db)
    assert code == 1 and "只能上报" in err and "本次未写入任何数据" in err
    code, out, err = run(capsys, "ingest", SAMPLE, "--as", "nobody", "--db", db)
    assert code == 2 and "没有可用的账号“nobody”" in err
    run(capsys, "ingest", SAMPLE, "--as", "wang", "--db", db)
    code, out, err = run(capsys, "review", "return", "1", "--db", db)
    assert code == 2  # --reason is required (argparse)
    code, out, err = run(capsys, "review", "return", "1", "--reason", "收入偏低", "--db", db)
    assert code == 0 and "已退回报送 1，原因：收入偏低" in out
    code, out, err = run(capsys, "review", "list", "--json", "--db", db)
    assert [(r["state"], r["reason"]) for r in json.loads(out)] == [("returned", "收入偏低")]
    assert kpis(capsys, db)["duck"]["units"] == 0
    code, out, err = run(capsys, "review", "list", "--month", "2024-13", "--db", db)
    assert code == 2


def test_admin_ingest_is_accepted_at_once_as_before(capsys, demo_store):
    db = demo_store.path
    demo_store.close()
    code, out, err = run(capsys, "ingest", SAMPLE, "--db", db)
    assert code == 0 and "已导入" in out
    assert kpis(capsys, db)["duck"]["units"] == 54
