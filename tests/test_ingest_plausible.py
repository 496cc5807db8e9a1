"""Plausibility in two tiers (issue 17): one declared table of per-unit rates (contract.RATES);
impossible values block the row naming the figure, implausible ones need a 上报说明 kept with them."""

from __future__ import annotations

import pytest

from analytics import contract, ingest
from analytics.__main__ import main
from analytics.access.permissions import SYSTEM
from analytics.store.db import Store
from tests.test_ingest import TODAY, dump

HEAD = "月份,合作社,养殖户,存栏(头),能繁母猪(头),出栏(头),出栏重(公斤),销售收入(元),饲料(公斤)\n"


def hog(*rows: str) -> bytes:
    return (HEAD + "".join(f"2026-09,众兴养猪专业合作社,{r}\n" for r in rows)).encode()


def test_every_rate_has_a_range_and_a_sector_column():
    for r in contract.RATES:
        s = contract.sector(r.sector)
        keys = {c.key for c in s.columns}
        assert r.numerator in keys and (r.denominator is None or r.denominator in keys), r
        assert 0 < r.low < r.high, r


@pytest.mark.parametrize("row,column,says", [
    ("户1,100,120,10,1100,25000,6000", "能繁母猪(头)", "能繁母猪 120 头多于存栏 100 头，不可能"),
    ("户1,100,10,10,1100,9000000,6000", "销售收入(元)",
     "出栏每头收入 900,000 元/头（参考 800–6,400 元/头）超出可能范围 100 倍以上"),
    ("户1,100,10,10,2200000,25000,6000", "出栏重(公斤)", "出栏均重 220,000 公斤/头"),
])
def test_impossible_values_block_the_row_naming_the_figure(row, column, says, demo_store):
    before = dump(demo_store)
    p = ingest.parse(hog(row, "户2,100,10,10,1100,25000,6000"), "f.csv", today=TODAY)
    assert not p.ok
    hit = p.errors[p.errors["column"] == column]
    assert hit["row"].unique().tolist() == [2] and any(says in r for r in hit["reason"]), p.errors.to_dict("records")
    with pytest.raises(ingest.Rejected):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before


@pytest.mark.parametrize("row,says", [
    ("户1,100,10,10,1100,5000,6000", "出栏每头收入 500 元/头（参考 800–6,400 元/头）超出常见范围"),  # low
    ("户1,100,10,10,1100,90000,6000", "出栏每头收入 9,000 元/头"),  # high
    ("户1,100,10,10,1100,25000,30000", "每头月饲料 300 公斤/头（参考 5–150 公斤/头）"),
    ("户1,9000,10,10,1100,25000,600000", "每户存栏 9,000 头/户（参考 1–5,000 头/户）"),
])
def test_implausible_values_in_both_directions_need_an_explanation(row, says):
    p = ingest.parse(hog(row, "户2,100,10,10,1100,25000,6000"), "f.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    assert p.verify["row"].unique().tolist() == [2], p.verify.to_dict("records")
    assert any(says in r for r in p.verify["reason"]), p.verify.to_dict("records")
    assert ingest.missing_explanations(p, {})["row"].unique().tolist() == [2]
    assert ingest.missing_explanations(p, {2: "新建猪舍"}).empty and ingest.missing_explanations(p, {"*": "x"}).empty


def test_greenhouse_yield_per_mu_by_crop_and_duck_eggs_per_duck():
    gh = ("月份,合作社,棚号,棚型,作物,面积(亩),产量(公斤),销售收入(元)\n"
          "2026-09,绿野合作社,G-1,温室,药材,2,1000,50000\n2026-09,绿野合作社,G-2,温室,无籽西瓜,2,1000,3000\n")
    p = ingest.parse(gh.encode(), "g.csv", today=TODAY)
    assert p.verify[["row", "column"]].values.tolist() == [[2, "产量(公斤)"]]
    assert "当月亩产（药材） 500 公斤/亩（参考 1–400 公斤/亩）" in p.verify["reason"].iloc[0]
    duck = "月份,合作社,棚号,存栏(羽),产蛋(枚)\n2026-09,兴旺合作社,D-1,4000,200000\n"
    p = ingest.parse(duck.encode(), "d.csv", today=TODAY)
    assert "每羽月产蛋 50 枚/羽（参考 1–31 枚/羽）" in p.verify["reason"].iloc[0]


def test_the_cli_asks_for_explanations_and_keeps_them_with_the_values(tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_bytes(hog("户1,100,10,10,1100,5000,6000", "户2,100,10,10,1100,90000,6000"))
    db = tmp_path / "x.duckdb"
    assert main(["init-db", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(f), "--db", str(db), "--explain", "2=卖的是仔猪"]) == 1
    err = capsys.readouterr().err
    assert "第 3 行需要上报说明" in err and "第 2 行 “销售收入(元)” 值“5,000”" in err
    with Store(db) as s:
        assert s.cursor().execute("SELECT count(*) FROM hog_records").fetchall() == [(0,)]
    assert main(["ingest", str(f), "--db", str(db), "--explain", "2=卖的是仔猪", "--explain-all", "种猪出售"]) == 0
    with Store(db) as s:
        got = ingest.explanations(s.cursor(), sector="hog", cooperative="众兴养猪专业合作社")
        assert got.sort_values("row_number")[["unit", "explanation"]].values.tolist() == [
            ["户1", "卖的是仔猪"], ["户2", "种猪出售"]]
        uid = int(got["upload_id"].iloc[0])
        assert len(ingest.explanations(s.cursor(), upload_id=uid)) == 2
        ingest.undo(s, uid, SYSTEM)
        assert ingest.explanations(s.cursor(), upload_id=uid).empty
    assert main(["ingest", str(f), "--db", str(db), "--explain", "x"]) == 2


def _month(month: str, *rows: str) -> bytes:
    return (HEAD + "".join(f"{month},众兴养猪专业合作社,{r}\n" for r in rows)).encode()


def test_a_measure_reported_last_month_and_empty_now_is_listed(store):
    ingest.ingest(store, _month("2026-08", "户1,100,10,10,1100,49099.76,6000", "户2,100,10,10,1100,25000,6000"),
                  "aug.csv", SYSTEM, today=TODAY)
    # 户1 leaves revenue and feed empty in September; 户2 leaves nothing empty; 户3 is new.
    p = ingest.parse(_month("2026-09", "户1,100,10,10,1100,,", "户2,100,10,10,1100,25000,6000",
                            "户3,100,10,10,1100,,6000"), "sep.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    w = ingest.preview(store.cursor(), p).warnings
    got = w[w["reason"].str.startswith("本月未报")]
    assert got[["row", "column", "reason"]].values.tolist() == [
        [2, "饲料(公斤)", "本月未报 饲料；上月 6,000 公斤，请确认确实未报"],
        [2, "销售收入(元)", "本月未报 销售收入；上月 49,099.76 元，请确认确实未报"],
    ]
    # The file's own August row counts as last month's, before anything is stored.
    both = ingest.parse(_month("2026-10", "户9,100,10,10,1100,30000,6000") +
                        "2026-11,众兴养猪专业合作社,户9,100,10,10,1100,,6000\n".encode(), "b.csv", today=TODAY)
    w = ingest.preview(store.cursor(), both).warnings
    assert w.loc[w["reason"].str.startswith("本月未报"), "reason"].tolist() == [
        "本月未报 销售收入；上月 30,000.00 元，请确认确实未报"]
