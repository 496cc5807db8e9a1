"""Parsers that cannot take the server down (issue 17): every file is parsed in a child process
with memory and time limits; a crash, an abort or an allocation storm in a native reader is a
Chinese refusal, and the process that asked carries on."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import xlwt

from analytics import ingest
from analytics.store.db import Store
from tests.conftest import ROOT
from tests.test_ingest import TODAY, dump

HOG = [["月份", "合作社", "养殖户", "存栏(头)", "销售收入(元)"],
       ["2026-09", "青禾生猪养殖专业合作社", "赵一农", 180, 64000]]
ABORTED = "文件无法读取（读取程序异常退出）"


def crashing_xls() -> bytes:
    """An .xls written by xlwt whose DIMENSIONS record claims 0xFFFFFFFF rows and 0xFFFF columns:
    python-calamine sizes its grid from it and aborts the process (Rust OOM, SIGABRT)."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("生猪月报")
    for i, r in enumerate(HOG):
        for j, v in enumerate(r):
            ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    data = bytearray(buf.getvalue())
    at = bytes(data).find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes: rows u32 ×2, cols u16 ×2, reserved
    assert at > 0
    struct.pack_into("<IIHH", data, at + 4, 0, 0xFFFFFFFF, 0, 0xFFFF)
    return bytes(data)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})})


def test_the_crashing_xls_through_the_cli_is_refused_and_writes_nothing(tmp_path):
    f = tmp_path / "生猪.xls"
    f.write_bytes(crashing_xls())
    db = tmp_path / "x.duckdb"
    assert cli("init-db", "--db", str(db)).returncode == 0
    with Store(db) as s:
        before = dump(s)
    # The sheet extent is checked before any grid is built: refused as damaged.
    r = cli("ingest", str(f), "--db", str(db))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "这个 .xls 文件已损坏：第 1 张工作表的范围记录写着 4,294,967,295 行" in r.stderr
    # With that check off, the file reaches python-calamine, which aborts — in the child only.
    r = cli("ingest", str(f), "--db", str(db), env={"PARK_UPLOAD_XLS_CHECK": "0"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert ABORTED in r.stderr and "Traceback" not in r.stderr
    with Store(db) as s:
        assert dump(s) == before
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    # The same command line, the same process kind, goes on to read a good file.
    good = tmp_path / "好.csv"
    good.write_text("\n".join(",".join(map(str, r)) for r in HOG) + "\n", encoding="utf-8")
    r = cli("ingest", str(good), "--db", str(db), env={"PARK_UPLOAD_XLS_CHECK": "0"})
    assert r.returncode == 0, r.stderr
    k = json.loads(cli("kpis", "--db", str(db), "--year", "2026", "--json").stdout)
    assert k["hog"]["stock"] == 180


def test_a_reader_out_of_time_is_killed_and_refused(monkeypatch):
    monkeypatch.setenv("PARK_UPLOAD_PARSE_SECONDS", "0.001")
    p = ingest.parse(("\n".join(",".join(map(str, r)) for r in HOG * 2000) + "\n").encode(), "慢.csv", today=TODAY)
    assert not p.ok
    assert "文件读取超时（超过 0 秒），未导入" in p.errors.iloc[0]["reason"]
    monkeypatch.delenv("PARK_UPLOAD_PARSE_SECONDS")
    assert ingest.parse(("\n".join(",".join(map(str, r)) for r in HOG) + "\n").encode(), "好.csv", today=TODAY).ok


def test_a_reader_out_of_memory_is_refused(monkeypatch):
    """A 4 MB address-space allowance: the child cannot even build the frame."""
    monkeypatch.setenv("PARK_UPLOAD_PARSE_MB", "4")
    rows = HOG[:1] + [["2026-09", "青禾合作社", f"户{i}", i, i * 10] for i in range(200_000)]
    p = ingest.parse(("\n".join(",".join(map(str, r)) for r in rows) + "\n").encode(), "大.csv", today=TODAY)
    assert not p.ok
    reason = p.errors.iloc[0]["reason"]
    assert ABORTED in reason or "超出了内存上限" in reason, reason


def test_the_child_gives_the_same_result_as_the_calling_process():
    data = (ROOT / "tests" / "data" / "field_cases" / "16_benyue-leiji-one-row.xlsx").read_bytes()
    a = ingest.parse(data, "16.xlsx", today=TODAY, isolate=True)
    b = ingest.parse(data, "16.xlsx", today=TODAY, isolate=False)
    assert a.ok and b.ok and a.data == b.data == data
    assert a.frame.equals(b.frame) and a.layout_notes() == b.layout_notes()
    assert a.columns.equals(b.columns)


def test_the_xls_check_switch_is_only_read_from_the_environment():
    from analytics.ingest import read

    assert read.XLS_CHECK is (os.environ.get("PARK_UPLOAD_XLS_CHECK", "1") != "0")
    assert Path(read.__file__).name == "read.py"
