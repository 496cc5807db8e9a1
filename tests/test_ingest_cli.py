"""python -m analytics ingest / template / undo: same code path as the page, exit codes 0/1/2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analytics.__main__ import main
from analytics.store.db import Store
from tests.conftest import ROOT
from tests.test_ingest import DUCK_HEADER, GOOD_ROW, dump

SAMPLES = ROOT / "data" / "samples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse usage errors
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_samples_apply_in_order(capsys, demo_store):
    path = demo_store.path
    demo_store.close()
    files = [SAMPLES / n for n in ("duck_2024-01.csv", "hog_2024-01_gbk.csv", "greenhouse_2024-01.xlsx")]
    code, out, err = run(capsys, "ingest", *files, "--db", path)
    assert code == 0, err
    assert out.count("✓") == 3 and "新单元 2 个" in out
    with Store(path) as s:
        log = s.cursor().execute("SELECT filename, uploaded_by, n_rows, months FROM uploads "
                                 "WHERE sha256 <> 'demo' ORDER BY upload_id").fetchall()
    assert log == [("duck_2024-01.csv", "system", 54, "2024-01"), ("hog_2024-01_gbk.csv", "system", 24, "2024-01"),
                   ("greenhouse_2024-01.xlsx", "system", 29, "2024-01")]
    # The same files again: recognised, not applied twice.
    code, out, err = run(capsys, "ingest", files[0], "--db", path)
    assert code == 1 and "不会重复导入" in err


def test_bad_file_exits_1_lists_errors_and_writes_nothing(capsys, demo_store, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(f"{DUCK_HEADER}\n{GOOD_ROW}\n", encoding="utf-8")
    before = dump(demo_store)
    path = demo_store.path
    demo_store.close()
    code, out, err = run(capsys, "ingest", SAMPLES / "bad_duck.csv", good, "--db", path)
    assert code == 1
    assert "8 处问题" in err and "第 7 行 “存栏(羽)” 值“-5”：不能为负数" in err
    assert "✓" in out and "good.csv" in out  # the next file still applied
    with Store(path) as s:
        after = dump(s)
    assert after["duck_records"] != before["duck_records"]
    assert [r[2] for r in after["uploads"] if r[1] != "demo"] == ["good.csv"]


def test_dry_run_writes_nothing(capsys, demo_store):
    before = dump(demo_store)
    path = demo_store.path
    demo_store.close()
    code, out, err = run(capsys, "ingest", SAMPLES / "duck_2024-01.csv", "--dry-run", "--db", path)
    assert code == 0 and "试运行，未写入" in out and "新增 54" in out
    with Store(path) as s:
        assert dump(s) == before


def test_sector_option_and_usage_errors(capsys, tmp_path):
    db = tmp_path / "x.duckdb"
    f = tmp_path / "a.csv"
    f.write_text("月份,合作社,棚号,用工(人)\n2024-01,社,X-1,2\n", encoding="utf-8")
    code, _, err = run(capsys, "ingest", f, "--db", db)
    assert code == 1 and "无法从表头判断板块" in err
    code, out, _ = run(capsys, "ingest", f, "--db", db, "--sector", "greenhouse")
    assert code == 0 and "✓" in out
    assert run(capsys, "ingest", f, "--db", db, "--sector", "fish")[0] == 2
    code, _, err = run(capsys, "ingest", tmp_path / "missing.csv", "--db", db)
    assert code == 2 and "找不到文件" in err
    assert run(capsys, "ingest", "--db", db)[0] == 2


def test_template_and_undo(capsys, tmp_path):
    db = tmp_path / "x.duckdb"
    for ext in ("csv", "xlsx"):
        code, out, _ = run(capsys, "template", "--sector", "hog", "--out", tmp_path / f"t.{ext}")
        assert code == 0 and (tmp_path / f"t.{ext}").stat().st_size > 100
    assert run(capsys, "template", "--sector", "hog", "--out", tmp_path / "t.txt")[0] == 2
    f = tmp_path / "a.csv"
    f.write_text(f"{DUCK_HEADER}\n{GOOD_ROW}\n", encoding="utf-8")
    assert run(capsys, "ingest", f, "--db", db)[0] == 0
    code, out, _ = run(capsys, "undo", "1", "--db", db)
    assert code == 0 and "已撤销编号 1" in out
    code, _, err = run(capsys, "undo", "1", "--db", db)
    assert code == 1 and "已经撤销" in err


def test_clear_message_when_the_dashboard_holds_the_database(demo_store):
    # demo_store is open read-write in this process, as the running dashboard would hold it.
    r = subprocess.run([sys.executable, "-m", "analytics", "ingest", str(SAMPLES / "duck_2024-01.csv"),
                        "--db", str(demo_store.path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "正被另一个程序（通常是正在运行的看板）占用" in r.stderr


@pytest.mark.parametrize("args", [["ingest", "--dry-run"], ["template", "--sector", "duck"]])
def test_missing_arguments_are_usage_errors(capsys, args):
    assert run(capsys, *args)[0] == 2
