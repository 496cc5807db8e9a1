"""Hostile files (issue 11): byte-mutated CSV, GBK CSV, XLSX and XLS from a fixed seed.

Every case must end in an applied upload or a refusal with a Chinese message — never an
unhandled exception — and a refusal must leave the store exactly as it was (no partial write).
"""

from __future__ import annotations

import io
import random
import re
import time
import zipfile
from datetime import date

import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM, PermissionDenied
from analytics.store.db import Store
from tests.ods import ods_bytes
from tests.test_ingest import dump
from tests.test_ingest_layouts import HOG_H, xls_bytes, xlsx_bytes

SEED = 20261129
CASES_PER_FORMAT = 130  # × 4 formats = 520
TODAY = date(2026, 11, 28)
CJK = re.compile(r"[\u4e00-\u9fff]")

DUCK = ["月份", "合作社", "棚号", "存栏(羽)", "产蛋(枚)", "死淘(羽)", "饲料(公斤)", "销售收入(元)", "成本(元)",
        "用工(人)"]
DUCK_ROWS = [[f"2026-0{m}", "兴旺种鸭专业合作社", f"D-{u:03d}", 3900 - u, 60000, 18, 24000, "85,000", 70000,
              2] for m in (7, 8) for u in range(1, 4)]
DUCK_ROWS += [["合 计", "", "", 23000, "", "", "", "", "", ""], ["填表人：李会计"]]
HOG_ROWS = [["2026-09", "青禾生猪养殖专业合作社", name, 180, 18, 30, 64000, "—", 2] for name in ("赵一农", "钱二牧")]


def _csv(rows: list[list], enc: str) -> bytes:
    return "\n".join(",".join(f'"{v}"' if "," in str(v) else str(v) for v in r) for r in rows).encode(enc) + b"\n"


SEEDS = {
    "csv": _csv([["种鸭月报"], DUCK, *DUCK_ROWS], "utf-8-sig"),
    "gbk": _csv([HOG_H, *HOG_ROWS, ["单位负责人：孙主任"]], "gbk"),
    "xlsx": xlsx_bytes({"7月": [DUCK, *DUCK_ROWS[:3]], "8月": [DUCK, *DUCK_ROWS[3:6]]}),
    "xls": xls_bytes({"生猪": [HOG_H, *HOG_ROWS]}),
    # Issue 17: BIFF records mutated inside a valid OLE container (DIMENSIONS, cells, strings), and
    # .ods whose content.xml is mutated inside a valid zip: 100 cases each.
    "biff": xls_bytes({"说明": [["生猪月报"]], "生猪": [HOG_H, *HOG_ROWS]}),
    "ods": ods_bytes({"7月": [DUCK, *DUCK_ROWS[:3]], "8月": [DUCK, *DUCK_ROWS[3:6]]}),
}
CASES = {"biff": 100, "ods": 100}
EXT = {"csv": "csv", "gbk": "csv", "xlsx": "xlsx", "xls": "xls", "biff": "xls", "ods": "ods"}
EXTREMES = [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\xff\xff", b"\x00\x01", b"\xfe\xff\xff\x7f"]


def mutate_biff(data: bytes, rnd: random.Random) -> bytes:
    """Bytes of the Workbook stream changed in place (same length), often at a record's row or
    column fields set to an extreme: what a damaged or hostile .xls holds; the OLE container stays
    valid, so the BIFF reader itself is reached."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data))
    biff = bytearray(ole.openstream("Workbook").read())
    for _ in range(rnd.randint(1, 4)):
        if rnd.random() < 0.6:  # a record's first fields (row, col, DIMENSIONS' extents) set to an extreme
            pos = 0
            starts = []
            while pos + 4 <= len(biff):
                length = int.from_bytes(biff[pos + 2:pos + 4], "little")
                starts.append(pos + 4)
                pos += 4 + length
            at = rnd.choice(starts) + rnd.randrange(0, 8)
            val = rnd.choice(EXTREMES)
            biff[at:at + len(val)] = val
            del biff[len(ole.openstream("Workbook").read()):]
        else:
            i = rnd.randrange(len(biff))
            biff[i] ^= 1 << rnd.randrange(8)
    ole.write_mode = True
    ole.write_stream("Workbook", bytes(biff))
    ole.fp.seek(0)
    return ole.fp.read()
NASTY = [b"\x00", b"\r", b"\x1b", b",,,,,,,,", b'"', b"10000000000000000000", b"1e400", "合 计".encode(),
         "填表人：".encode(), b"\xff\xfe", b"<f>A1</f>", b'<c r="XFD1048576"><v>1</v></c>', b"\n\n\n", b"-",
         "—".encode()]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(6)
        if not b:
            break
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = rnd.choice(NASTY)
        elif op == 2:
            del b[i:i + rnd.randint(1, 64)]
        elif op == 3:
            del b[i:]
        elif op == 4:
            j = rnd.randrange(len(b))
            b[i:i] = b[j:j + rnd.randint(1, 200)]
        else:
            b[i] ^= 1 << rnd.randrange(8)
    return bytes(b)


def mutate_xlsx(data: bytes, rnd: random.Random) -> bytes:
    """Half the XLSX cases mutate the sheet XML inside a valid zip (the raw zip rarely survives)."""
    if rnd.random() < 0.4:
        return mutate(data, rnd)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    target = rnd.choice([n for n in src.namelist() if n.endswith(".xml") and "manifest" not in n])
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, mutate(body, rnd) if info.filename == target else body)
    return out.getvalue()


def _check_store(store: Store) -> None:
    """Every applied upload complete: its rows are in, and no row belongs to no upload."""
    cur = store.cursor()
    for table in ("duck_records", "hog_records"):
        bad = cur.execute(f"""SELECT count(*) FROM {table} r LEFT JOIN uploads u USING (upload_id)
                              WHERE u.upload_id IS NULL OR u.status <> 'applied'""").fetchall()[0][0]
        assert bad == 0
    for uid, n, sector in cur.execute("SELECT upload_id, n_rows, sector FROM uploads WHERE status = 'applied'"
                                      ).fetchall():
        # An upload's rows are in the records, or in history once a later upload replaced them.
        got = cur.execute(f"""SELECT (SELECT count(*) FROM {sector}_records WHERE upload_id = $1)
                                   + (SELECT count(*) FROM {sector}_records_history WHERE upload_id = $1)""",
                          [uid]).fetchall()[0][0]
        assert got == n


@pytest.mark.parametrize("fmt", list(SEEDS))
def test_mutated_files_are_read_or_refused_never_a_traceback(fmt, tmp_path):
    rnd = random.Random(f"{SEED}-{fmt}")
    stats = {"applied": 0, "refused": 0}
    slowest = 0.0
    n_cases = CASES.get(fmt, CASES_PER_FORMAT)
    with Store(tmp_path / "fuzz.duckdb") as store:
        for case in range(n_cases):
            data = (mutate_xlsx(SEEDS[fmt], rnd) if fmt in ("xlsx", "ods") else
                    mutate_biff(SEEDS[fmt], rnd) if fmt == "biff" else mutate(SEEDS[fmt], rnd))
            name = f"fuzz{case}.{EXT[fmt]}"
            t = time.perf_counter()
            p = ingest.parse(data, name, today=TODAY)  # never raises, never touches the store
            before = dump(store) if p.ok else None
            try:
                if not p.ok:
                    raise ingest.Rejected(p.summary(), p.errors)
                ingest.commit(store, p, SYSTEM, names=ingest.NameChoices(accept_new=True))
                stats["applied"] += 1
            except (ingest.IngestError, PermissionDenied) as e:
                stats["refused"] += 1
                assert CJK.search(str(e)), (case, str(e))
                if isinstance(e, ingest.Rejected):
                    assert all(CJK.search(r) for r in e.errors["reason"]), (case, e.errors)
                if before is not None:
                    assert dump(store) == before, case  # nothing half-written
            slowest = max(slowest, time.perf_counter() - t)
        _check_store(store)
    assert stats["applied"] + stats["refused"] == n_cases
    assert stats["applied"] > 0 and stats["refused"] > 0  # the mutator reaches both outcomes
    assert slowest < 30, slowest  # a generous bound: no case may hang
    print(f"fuzz {fmt}: {stats}, slowest case {slowest * 1000:.0f} ms")
