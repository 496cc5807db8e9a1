"""python -m analytics: the JSON contract, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.__main__ import main
from analytics.store import schema
from analytics.store.db import Store

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kpis_json_is_the_design_contract(capsys, demo_db_file):
    code, out, _ = run_cli(capsys, "kpis", "--db", str(demo_db_file), "--year", "2022", "--json")
    assert code == 0
    k = json.loads(out)
    assert list(k) == ["period", "duck", "hog", "greenhouse", "total", "by_town"]
    assert k["period"] == {"from": "2022-01", "to": "2022-12"}
    assert list(k["total"]) == ["revenue", "cost", "profit", "jobs", "land_mu"]
    # A township database is one town, and the town's figures are the totals.
    assert list(k["by_town"]) == ["济阳镇"]
    assert k["by_town"]["济阳镇"] == {"units": sum(k[s]["units"] for s in ("duck", "hog", "greenhouse")),
                                     **{key: k["total"][key] for key in ("revenue", "cost", "profit", "jobs",
                                                                         "land_mu")}}
    assert list(k["greenhouse"]["by_crop"]["山药"]) == ["area_mu", "yield_kg", "revenue", "cost",
                                                        "yield_kg_per_mu"]
    assert 600_000 <= k["duck"]["stock"] < 700_000


def test_kpis_month_range_and_table(capsys, demo_db_file):
    code, out, _ = run_cli(capsys, "kpis", "--db", str(demo_db_file), "--from", "2023-01", "--to", "2023-06")
    assert code == 0
    assert "期间 2023-01 至 2023-06" in out and "种鸭" in out and "亩均效益" in out


@pytest.mark.parametrize("argv, message", [
    (["--year", "2022", "--from", "2022-01", "--to", "2022-03"], "二选一"),
    (["--from", "2023-13", "--to", "2023-06"], "月份“2023-13”格式不对"),
    (["--from", "2023-06", "--to", "2023-01"], "晚于"),
    ([], "请给出期间"),
])
def test_bad_period_exits_2_with_chinese_message(capsys, demo_db_file, argv, message):
    code, _, err = run_cli(capsys, "kpis", "--db", str(demo_db_file), *argv)
    assert code == 2
    assert message in err


def test_missing_database_exits_1_and_creates_nothing(capsys, tmp_path):
    path = tmp_path / "nope.duckdb"
    code, _, err = run_cli(capsys, "kpis", "--db", str(path), "--year", "2022")
    assert code == 1
    assert "不存在" in err and "init-db" in err
    assert not path.exists()


def test_demo_refuses_to_overwrite_uploaded_data(capsys, tmp_path):
    path = tmp_path / "p.duckdb"
    with Store(path) as s, s.write() as cur:
        cur.execute("INSERT INTO uploads (upload_id, sha256, filename) VALUES (99, 'abc', 'x.csv')")
    code, _, err = run_cli(capsys, "demo", "--db", str(path))
    assert code == 1 and "--force" in err
    with Store(path) as s:
        assert s.cursor().execute("SELECT count(*) FROM duck_records").fetchone()[0] == 0


def test_init_db_then_demo(capsys, tmp_path):
    path = tmp_path / "new.duckdb"
    assert run_cli(capsys, "init-db", "--db", str(path))[0] == 0
    code, out, _ = run_cli(capsys, "demo", "--db", str(path))
    assert code == 0 and "示例数据已写入" in out


def test_locked_database_gets_a_clear_message(tmp_path, demo_db_file):
    """While another process (the dashboard) holds the file, the CLI says so and exits 1."""
    import shutil

    path = tmp_path / "held.duckdb"
    shutil.copy(demo_db_file, path)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ok',flush=True);"
                               " time.sleep(60)", str(path)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ok"
        r = subprocess.run([sys.executable, "-m", "analytics", "kpis", "--db", str(path), "--year", "2022"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 1
        assert "正被另一个程序" in r.stderr and "看板" in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_migrations_upgrade_an_old_file_without_losing_data(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])  # a file from schema version 1
    with Store(path) as s, s.write() as cur:
        cur.execute("INSERT INTO units (sector, cooperative, unit) VALUES ('duck', 'A社', 'D1')")
        cur.execute("INSERT INTO duck_records (month, cooperative, unit, stock) VALUES ('2023-01-01','A社','D1',7)")
    monkeypatch.undo()
    with Store(path) as s:
        cur = s.cursor()
        versions = [v for (v,) in cur.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
        assert versions == [v for v, _ in schema.MIGRATIONS]
        assert cur.execute("SELECT stock FROM v_duck").fetchone()[0] == 7


def test_write_rolls_back_on_error_and_keeps_data_version(store):
    before = store.data_version()
    with pytest.raises(RuntimeError), store.write() as cur:
        cur.execute("INSERT INTO villages VALUES ('甲村')")
        raise RuntimeError("boom")
    assert store.cursor().execute("SELECT count(*) FROM villages").fetchone()[0] == 0
    assert store.data_version() == before
    with store.write() as cur:
        cur.execute("INSERT INTO villages VALUES ('甲村')")
    assert store.data_version() == before + 1


def test_cli_runs_as_a_module(demo_db_file):
    r = subprocess.run([sys.executable, "-m", "analytics", "kpis", "--db", str(demo_db_file), "--year", "2022",
                        "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["hog"]["units"] == 55


def test_backup_is_a_complete_copy(capsys, demo_store, tmp_path):
    (demo_store.path.parent / "uploads").mkdir()
    (demo_store.path.parent / "uploads" / "abc.csv").write_bytes(b"x")
    demo_store.close()
    code, out, _ = run_cli(capsys, "backup", "--db", str(demo_store.path), "--out", str(tmp_path / "bk"))
    assert code == 0 and "已备份到" in out
    (folder,) = (tmp_path / "bk").iterdir()
    assert (folder / "uploads" / "abc.csv").read_bytes() == b"x"
    with Store(folder / demo_store.path.name) as copy, Store(demo_store.path) as orig:
        for table in ("duck_records", "hog_records", "greenhouse_records", "units", "targets"):
            q = f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table}"
            assert copy.cursor().execute(q).fetchall() == orig.cursor().execute(q).fetchall()


def test_account_writes_keep_page_caches(store):
    """Logins and account changes do not touch figures, so they leave the data version alone."""
    from analytics.access import accounts, lockout, permissions
    from analytics.store import registry

    before = store.data_version()
    accounts.create_user(store, permissions.SYSTEM, "li", "password-123", "viewer")
    with pytest.raises(lockout.LoginFailed):
        lockout.authenticate(store, "li", "wrong-password", sleep=lambda s: None)
    assert store.data_version() == before
    registry.set_target(store, permissions.SYSTEM, 2023, "duck", "stock", 700_000)
    assert store.data_version() == before + 1
