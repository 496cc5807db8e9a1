"""The field cases (tests/data/field_cases/, copied from the team's shared folder with their
README): spreadsheets shaped as offices really make them, each through the command line into
an empty store, then the KPI JSON against the figures in expected.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.__main__ import main
from analytics.store.db import Store
from tests.conftest import ROOT

CASES_DIR = Path(__file__).resolve().parent / "data" / "field_cases"
CASES = json.loads((CASES_DIR / "expected.json").read_text(encoding="utf-8"))["cases"]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def near(a, b) -> bool:
    return isinstance(a, (int, float)) and abs(a - b) <= max(0.5, 1e-6 * abs(b))


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_field_case_gives_its_figures(case, capsys, tmp_path):
    db = tmp_path / "case.duckdb"
    assert run(capsys, "init-db", "--db", db)[0] == 0
    code, out, err = run(capsys, "ingest", CASES_DIR / case["file"], "--db", db)
    if code == 1 and case.get("or_refuse"):  # refused whole, naming the cause, nothing written
        assert any(w in err for w in case["or_refuse"]), err
        with Store(db, read_only=True) as s:
            assert s.cursor().execute("SELECT count(*) FROM uploads").fetchall() == [(0,)]
            assert s.cursor().execute("SELECT count(*) FROM hog_records").fetchall() == [(0,)]
        return
    assert code == 0, err
    code, out, err = run(capsys, "kpis", "--db", db, "--year", case["year"], "--json")
    assert code == 0, err
    got = json.loads(out)
    for sector, expected in case["expect"].items():
        for metric, value in expected.items():
            assert near(got[sector][metric], value), (sector, metric, got[sector][metric], value)


def test_formulas_without_saved_values_are_refused_naming_the_cells(capsys, tmp_path):
    code, _, err = run(capsys, "ingest", CASES_DIR / "06_formulas-no-cached-values.xlsx", "--db", tmp_path / "x.duckdb")
    assert code == 1
    assert "6 个公式单元格没有保存计算结果" in err and "Excel 或 WPS 打开" in err
    assert "第 2 行 “存栏(头)” 值“H2”" in err and "第 3 行 “成本(元)” 值“N3”" in err


def test_the_module_entry_point_reads_an_xls(tmp_path):
    """The same through `python -m analytics`, as check.py and an office's IT person run it."""
    db = tmp_path / "x.duckdb"
    r = subprocess.run([sys.executable, "-m", "analytics", "ingest", str(CASES_DIR / "01_wps-excel97-2003.xls"),
                        "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "工作表“生猪月报”：读取 2 行，月份 2026-09" in r.stdout
    k = subprocess.run([sys.executable, "-m", "analytics", "kpis", "--db", str(db), "--year", "2026", "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    hog = json.loads(k.stdout)["hog"]
    assert (hog["stock"], hog["sows"], hog["revenue"], hog["cost"]) == (275, 27, 91000.0, 83500.0)
