"""Corrections (only the columns a file carries), look-alike names and aliases, limits, a failed
commit's first cause, and raw files swept after a killed upload."""

from __future__ import annotations

import io
import os
import zipfile

import duckdb
import numpy as np
import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM, Actor
from analytics.store.db import Store
from tests.test_ingest import DUCK_HEADER, GOOD_ROW, TODAY, dump, dump_data
from tests.test_ingest_cli import run
from tests.test_ingest_layouts import HOG_H, HOG_ROWS, csv_bytes, xlsx_bytes

COOP = "兴旺种鸭专业合作社"


def stored(store: Store, unit: str = "D-001", month: str = "2023-12-01") -> dict:
    df = store.cursor().execute("SELECT * FROM duck_records WHERE cooperative = ? AND unit = ? AND month = ?",
                                [COOP, unit, month]).df()
    return df.iloc[0].to_dict()


# --- corrections ---------------------------------------------------------------------------------

def test_a_correction_sheet_changes_only_its_columns_and_undo_is_exact(demo_store):
    before_all = dump_data(demo_store)
    before = stored(demo_store)
    data = f"月份,合作社,棚号,成本(元)\n2023-12,{COOP},D-001,12345\n".encode()
    p = ingest.parse(data, "成本更正.csv", "duck", today=TODAY)  # 棚号 alone: duck or greenhouse
    assert p.carried == {"cost": True}
    pv = ingest.preview(demo_store.cursor(), p)
    assert (pv.n_new, pv.n_replaced) == (0, 1)
    assert pv.diff[["unit", "column", "old", "new"]].values.tolist() == [["D-001", "成本(元)", before["cost"], 12345.0]]
    res = ingest.commit(demo_store, p, SYSTEM)
    after = stored(demo_store)
    assert after["cost"] == 12345.0 and after["upload_id"] == res.upload_id
    assert {k: v for k, v in after.items() if k not in ("cost", "upload_id")} == \
        {k: v for k, v in before.items() if k not in ("cost", "upload_id")}
    hist = demo_store.cursor().execute("SELECT * EXCLUDE (replaced_by) FROM duck_records_history").df()
    assert hist.iloc[0].to_dict() == before  # history keeps the whole old row
    ingest.undo(demo_store, res.upload_id, SYSTEM)
    assert dump_data(demo_store) == before_all


def test_an_empty_cell_in_a_carried_column_still_means_not_reported(demo_store):
    before = stored(demo_store)
    ingest.ingest(demo_store, f"月份,合作社,棚号,成本(元),销售收入(元)\n2023-12,{COOP},D-001,100,\n".encode(), "a.csv",
                  SYSTEM, sector="duck", today=TODAY)
    after = stored(demo_store)
    assert after["cost"] == 100 and np.isnan(after["revenue"]) and after["stock"] == before["stock"]


def test_the_upload_log_names_the_cooperatives_of_a_wholly_replaced_and_of_an_undone_upload(store):
    first = ingest.ingest(store, f"月份,合作社,棚号,存栏(羽),成本(元)\n2023-12,{COOP},D-001,100,5\n".encode(), "a.csv",
                          SYSTEM, sector="duck", today=TODAY)
    second = ingest.ingest(store, f"月份,合作社,棚号,成本(元)\n2023-12,{COOP},D-001,7\n".encode(), "b.csv",
                           SYSTEM, sector="duck", today=TODAY)  # replaces every row of the first
    other = ingest.ingest(store, "月份,合作社,棚号,存栏(羽)\n2023-12,金羽种鸭合作社,J-1,3\n".encode(), "c.csv",
                          SYSTEM, sector="duck", today=TODAY)
    ingest.undo(store, other.upload_id, SYSTEM)
    log = ingest.uploads_log(store.cursor()).set_index("upload_id")["cooperatives"].to_dict()
    assert log == {first.upload_id: COOP, second.upload_id: COOP, other.upload_id: "金羽种鸭合作社"}

def test_sheets_carrying_different_columns_change_their_own(demo_store):
    u1, u2 = [r[0] for r in demo_store.cursor().execute(
        "SELECT unit FROM units WHERE cooperative = ? AND sector = 'duck' ORDER BY unit LIMIT 2", [COOP]).fetchall()]
    b1, b2 = stored(demo_store, u1), stored(demo_store, u2)
    data = xlsx_bytes({"成本": [["月份", "合作社", "棚号", "成本(元)"], ["2023-12", COOP, u1, 1]],
                       "收入": [["月份", "合作社", "棚号", "销售收入(元)"], ["2023-12", COOP, u2, 2]]})
    p = ingest.parse(data, "two.xlsx", "duck", today=TODAY)
    pv = ingest.preview(demo_store.cursor(), p)
    assert sorted(pv.diff["column"]) == ["成本(元)", "销售收入(元)"]
    ingest.commit(demo_store, p, SYSTEM)
    a1, a2 = stored(demo_store, u1), stored(demo_store, u2)
    assert (a1["cost"], a1["revenue"], a2["cost"], a2["revenue"]) == (1, b1["revenue"], b2["cost"], 2)


# --- look-alike names ------------------------------------------------------------------------------

def test_a_look_alike_cooperative_is_flagged_mapped_and_remembered(demo_store):
    alike = "兴旺种鸭合作社"
    assert ingest.coop_key(alike) == ingest.coop_key(COOP) == "兴旺种鸭"
    data = f"{DUCK_HEADER}\n{GOOD_ROW.replace(COOP, alike)}\n".encode()
    p = ingest.parse(data, "a.csv", today=TODAY)
    pv = ingest.preview(demo_store.cursor(), p)
    assert pv.similar[["kind", "name", "match"]].values.tolist() == [["cooperative", alike, COOP]]
    before = dump(demo_store)
    with pytest.raises(ingest.SimilarNames, match=f"“{alike}”像是已登记的“{COOP}”"):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before
    names = ingest.NameChoices(cooperatives={alike: COOP}, accept_new=True)
    pv = ingest.preview(demo_store.cursor(), p, names)
    assert pv.similar.empty and pv.new_cooperatives == [] and pv.cooperatives == [COOP]
    res = ingest.commit(demo_store, p, SYSTEM, names=names)
    cur = demo_store.cursor()
    assert cur.execute("SELECT count(*) FROM duck_records WHERE upload_id = ? AND cooperative = ?",
                       [res.upload_id, COOP]).fetchall() == [(1,)]
    assert cur.execute("SELECT alias, name FROM name_aliases").fetchall() == [(alike, COOP)]
    # Next month's file maps by itself.
    nxt = ingest.parse(data.replace(b"2024-01", b"2024-02"), "b.csv", today=TODAY)
    pv = ingest.preview(cur, nxt)
    assert pv.similar.empty and pv.aliased[["name", "registered", "source"]].values.tolist() == [
        [alike, COOP, "alias"]]
    second = ingest.commit(demo_store, nxt, SYSTEM)
    ingest.undo(demo_store, second.upload_id, SYSTEM)
    ingest.undo(demo_store, res.upload_id, SYSTEM)  # the alias goes with the upload that made it
    assert cur.execute("SELECT count(*) FROM name_aliases").fetchall() == [(0,)]


def test_a_look_alike_unit_within_its_cooperative(demo_store):
    p = ingest.parse(f"{DUCK_HEADER}\n{GOOD_ROW.replace('D-001', 'D001')}\n".encode(), "a.csv", today=TODAY)
    pv = ingest.preview(demo_store.cursor(), p)
    assert pv.similar[["kind", "cooperative", "name", "match"]].values.tolist() == [["unit", COOP, "D001", "D-001"]]
    res = ingest.commit(demo_store, p, SYSTEM, names=ingest.NameChoices(accept_new=True))
    assert res.n_new_units == 1  # confirmed as new


def test_a_manager_writing_a_look_alike_of_their_cooperative(demo_store):
    alike = "兴旺(种鸭)合作社"  # as the file reads once full-width brackets are folded
    p = ingest.parse(f"{DUCK_HEADER}\n{GOOD_ROW.replace(COOP, alike)}\n".encode(), "a.csv", today=TODAY)
    wang = Actor("wang", "manager", COOP)
    res = ingest.commit(demo_store, p, wang, names=ingest.NameChoices(cooperatives={alike: COOP}))
    assert res.n_rows == 1


def test_cli_refuses_look_alikes_unless_told(capsys, demo_store, tmp_path):
    path = demo_store.path
    demo_store.close()
    f = tmp_path / "a.csv"
    f.write_text(f"{DUCK_HEADER}\n{GOOD_ROW.replace(COOP, '兴旺种鸭合作社')}\n", encoding="utf-8")
    code, _, err = run(capsys, "ingest", f, "--db", path)
    assert code == 1 and f"“兴旺种鸭合作社”像是已登记的“{COOP}”" in err and "--new-names" in err
    code, out, err = run(capsys, "ingest", f, "--db", path, "--map", f"兴旺种鸭合作社={COOP}")
    assert code == 0, err
    with Store(path) as s:
        assert s.cursor().execute("SELECT alias, name FROM name_aliases").fetchall() == [("兴旺种鸭合作社", COOP)]


def test_cli_new_names_registers_the_look_alike(capsys, demo_store, tmp_path):
    path = demo_store.path
    demo_store.close()
    f = tmp_path / "a.csv"
    f.write_text(f"{DUCK_HEADER}\n{GOOD_ROW.replace(COOP, '兴旺种鸭合作社')}\n", encoding="utf-8")
    code, out, err = run(capsys, "ingest", f, "--db", path, "--new-names")
    assert code == 0 and "新登记合作社 1 个" in out, err


# --- limits and hostile values -----------------------------------------------------------------------

def test_limits_are_settings_shared_by_page_and_cli(monkeypatch, capsys, tmp_path):
    data = csv_bytes([HOG_H, *HOG_ROWS])
    monkeypatch.setenv("PARK_UPLOAD_MAX_MB", "0.0001")
    assert "超过上限" in ingest.parse(data, "f.csv", today=TODAY).errors.loc[0, "reason"]
    f = tmp_path / "f.csv"
    f.write_bytes(data)
    code, _, err = run(capsys, "ingest", f, "--db", tmp_path / "x.duckdb")
    assert code == 1 and "超过上限" in err and "PARK_UPLOAD_MAX_MB" in err
    monkeypatch.delenv("PARK_UPLOAD_MAX_MB")
    monkeypatch.setenv("PARK_UPLOAD_MAX_ROWS", "1")
    assert "超过上限 1 行" in ingest.parse(data, "f.csv", today=TODAY).errors.loc[0, "reason"]


def test_too_many_columns_refused_before_reading_cells():
    wide = (",".join(["月份", "合作社", "养殖户"] + [f"x{i}" for i in range(300)]) + "\n").encode()
    p = ingest.parse(wide + csv_bytes([HOG_ROWS[0]]), "f.csv", today=TODAY)
    assert "有 303 列，超过上限 200 列" in p.errors.loc[0, "reason"]
    # Trailing empty columns (Excel's used range) are not columns.
    assert ingest.parse(csv_bytes([HOG_H + [""] * 500, HOG_ROWS[0] + [""] * 500]), "f.csv", today=TODAY).ok


@pytest.mark.parametrize("cell,column,reason", [
    ("青禾\x00合作社", "合作社", "控制字符"),
    ("户\x07一", "养殖户", "控制字符"),
    ("社" * 1001, "合作社", "文字太长"),
])
def test_bad_text_is_refused_naming_the_cell(cell, column, reason, store):
    row = list(HOG_ROWS[0])
    row[HOG_H.index(column)] = cell
    p = ingest.parse(csv_bytes([HOG_H, row]), "f.csv", today=TODAY)
    assert p.errors[["row", "column"]].values.tolist() == [[2, column]]
    assert reason in p.errors.loc[0, "reason"]


@pytest.mark.parametrize("value", ["10000000000000000000", "1e19", "9" * 30, "1e400", "inf", "-inf"])
def test_numbers_beyond_the_store_are_row_errors_not_commit_failures(value, store):
    row = list(HOG_ROWS[0])
    row[3] = value
    p = ingest.parse(csv_bytes([HOG_H, row]), "f.csv", today=TODAY)
    assert p.errors[["row", "column"]].values.tolist() == [[2, "存栏(头)"]]
    assert p.errors.loc[0, "reason"] in ("不是数字", "不能为负数",
                                         "数值大得不可能（上限 1,000,000,000头），请核对单位和数字")


def test_a_zip_bomb_is_refused_from_the_directory():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * 20_000_000 + b"</worksheet>")
    p = ingest.parse(buf.getvalue(), "bomb.xlsx", today=TODAY)
    assert "压缩炸弹" in p.errors.loc[0, "reason"]


def test_a_sheet_reaching_far_cells_is_refused_before_it_is_materialised():
    buf = io.BytesIO()
    src_bytes = io.BytesIO(xlsx_bytes({"s": [HOG_H, *HOG_ROWS]}))
    with zipfile.ZipFile(src_bytes) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                body = body.replace(b"</sheetData>", b'<row r="1000000"><c r="XFD1000000" t="n"><v>1</v></c></row>'
                                                     b"</sheetData>")
            dst.writestr(info, body)
    p = ingest.parse(buf.getvalue(), "far.xlsx", today=TODAY)
    assert "用到了第 16,384 列，超过上限 200 列" in p.errors.loc[0, "reason"]


# --- a failed commit --------------------------------------------------------------------------------

def test_a_failed_commit_reports_its_first_cause_once(demo_store, monkeypatch):
    before = dump(demo_store)
    calls = []

    def broken(cur, *args):
        calls.append(1)
        cur.execute("SELECT CAST('x' AS INTEGER)")

    monkeypatch.setattr(ingest.apply, "_write_registry", broken)
    with pytest.raises(ingest.CommitFailed) as e:
        ingest.ingest(demo_store, f"{DUCK_HEADER}\n{GOOD_ROW}\n".encode(), "a.csv", SYSTEM, today=TODAY)
    assert "Conversion" in str(e.value) and "aborted" not in str(e.value) and "未导入任何数据" in str(e.value)
    assert calls == [1]  # not retried: retrying cannot help
    assert dump(demo_store) == before
    assert [f for f in ingest.upload_dir(demo_store).rglob("*") if f.is_file()] == []


def test_run_write_still_retries_real_conflicts(store):
    attempts = []

    def conflict(cur):
        attempts.append(1)
        if len(attempts) < 3:
            raise duckdb.TransactionException("TransactionContext Error: Catalog write-write conflict on create")
        return "done"

    assert store.run_write(conflict) == "done" and len(attempts) == 3


# --- raw files -------------------------------------------------------------------------------------

def test_orphan_raw_files_are_swept_by_the_next_commit(store):
    kept = ingest.ingest(store, csv_bytes([HOG_H, *HOG_ROWS]), "a.csv", SYSTEM, today=TODAY)
    folder = ingest.upload_dir(store)
    orphan = folder / f"{'ab' * 32}.xlsx"
    orphan.write_bytes(b"left by a killed upload")
    staged = folder / ".staging" / f"{'cd' * 32}.999999999.1234abcd.tmp"
    staged.write_bytes(b"staged by a process that is gone")
    other = folder / "notes.txt"
    other.write_text("not ours")
    ingest.ingest(store, csv_bytes([HOG_H, ["2026-08", *HOG_ROWS[0][1:]]]), "b.csv", SYSTEM, today=TODAY)
    files = sorted(f.name for f in folder.iterdir() if f.is_file())
    assert not orphan.exists() and not staged.exists() and other.exists()
    assert os.path.basename(kept.stored_path) in files and len(files) == 3
