"""本年累计 against the stored months (issue 17 point 2): a file's year-to-date column must equal
the stored months of the unit's year plus the file's month; a mismatch refuses the file whole
naming the unit, the measure and both figures, and writes nothing; months missing from the store
make it a warning naming them."""

from __future__ import annotations

import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM
from analytics.ingest import crosscheck
from tests.test_ingest import TODAY
from tests.test_ingest_layouts import csv_bytes, xlsx_bytes

COOP = "青禾生猪养殖专业合作社"
H = ["月份", "合作社", "养殖户", "存栏(头)", "出栏(头)", "销售收入(元)", "成本(元)"]
# Per farm and month 2026-01..08: 出栏 and 销售收入 of the hand-built park.
SOLD = {"赵一农": [20, 25, 30, 35, 40, 25, 30, 25], "钱二牧": [10, 11, 12, 13, 14, 10, 10, 9]}
REVENUE = {"赵一农": 60_000.0, "钱二牧": 25_000.0}  # each month
# Hand-computed: 赵一农 1—8月 sold 230, +30 in September = 260; revenue 8 × 60,000 + 64,000 = 544,000.
# 钱二牧 1—8月 sold 89, +12 = 101; revenue 8 × 25,000 + 27,000 = 227,000.
SEP = [["2026-09", COOP, "赵一农", 180, 30, 64000, 58000], ["2026-09", COOP, "钱二牧", 95, 12, 27000, 25500]]
CUM_H = H[:5] + ["本年累计出栏(头)"] + H[5:6] + ["本年累计销售收入(万元)"] + H[6:]


def park(store, months=range(1, 9), farms=("赵一农", "钱二牧")) -> None:
    rows = [H] + [[f"2026-{m:02d}", COOP, farm, 100, SOLD[farm][m - 1], REVENUE[farm], 50000]
                  for m in months for farm in farms]
    res = ingest.commit(store, ingest.parse(csv_bytes(rows), "park.csv", today=TODAY), SYSTEM)
    assert res.n_rows == len(months) * len(farms)


def sep_file(cum_sold=(260, 101), cum_revenue=(54.4, 22.7), fmt="csv") -> bytes:
    rows = [CUM_H] + [r[:5] + [cs] + r[5:6] + [cr] + r[6:] for r, cs, cr in zip(SEP, cum_sold, cum_revenue,
                                                                              strict=True)]
    return csv_bytes(rows) if fmt == "csv" else xlsx_bytes({"9月": rows})


def counts(store) -> tuple[int, int, int]:
    cur = store.cursor()
    return (cur.execute("SELECT count(*) FROM hog_records").fetchall()[0][0],
            cur.execute("SELECT count(*) FROM uploads").fetchall()[0][0],
            cur.execute("SELECT count(*) FROM hog_records_history").fetchall()[0][0])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cumulative_that_matches_is_accepted(store, fmt):
    park(store)
    p = ingest.parse(sep_file(fmt=fmt), f"sep.{fmt}", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    got = p.cumulative.set_index(["row", "measure"])["value"].to_dict()
    assert got == {(2, "sold_head"): 260, (2, "revenue"): 544_000.0, (3, "sold_head"): 101,
                   (3, "revenue"): 227_000.0}  # 万元 converted
    pv = ingest.preview(store.cursor(), p)
    assert not pv.warnings["reason"].str.contains("累计").any(), pv.warnings.to_dict("records")
    ingest.commit(store, p, SYSTEM)
    assert counts(store)[0] == 18


def test_a_cumulative_within_rounding_is_accepted(store):
    park(store)
    # 54.45 万元 against 544,000 元: 500 元 off, within 0.5 % (2,720 元).
    p = ingest.parse(sep_file(cum_revenue=(54.45, 22.7)), "sep.csv", today=TODAY)
    ingest.preview(store.cursor(), p)
    assert crosscheck.tolerance(544_500, 544_000) == pytest.approx(2722.5)


def test_a_cumulative_that_differs_refuses_the_file_naming_both_figures(store):
    park(store)
    before = counts(store)
    p = ingest.parse(sep_file(cum_sold=(290, 101)), "sep.csv", today=TODAY)
    assert p.ok  # the file alone is fine: the store shows the mismatch
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), p)
    assert "1 处本年累计数与已存各月加本月之和不符" in str(e.value)
    err = e.value.errors
    assert err[["row", "column", "value"]].values.tolist() == [[2, "本年累计出栏(头)", "290 头"]]
    reason = err.loc[0, "reason"]
    assert "户“赵一农”（青禾生猪养殖专业合作社）的出栏" in reason
    assert "文件的累计数（本年累计出栏(头)）为 290 头" in reason
    assert "1—9月已存各月加本月之和 260 头，相差 30 头" in reason
    with pytest.raises(ingest.Rejected):
        ingest.commit(store, p, SYSTEM)
    assert counts(store) == before  # nothing written: no records, no upload row, no history
    assert store.cursor().execute("SELECT count(*) FROM hog_records WHERE month = '2026-09-01'").fetchall()[0][0] == 0


def test_the_refusal_in_english(store):
    park(store)
    p = ingest.parse(sep_file(cum_revenue=(54.4, 30.0)), "sep.csv", lang="en", today=TODAY)
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), p)
    reason = e.value.errors.loc[0, "reason"]
    assert "revenue of farm “钱二牧”" in reason and "is 300,000.00 元" in reason and "227,000.00 元" in reason


def test_missing_months_are_a_warning_naming_them(store):
    park(store, months=range(3, 9))  # January and February never uploaded
    p = ingest.parse(sep_file(), "sep.csv", today=TODAY)
    pv = ingest.preview(store.cursor(), p)
    w = pv.warnings[pv.warnings["reason"].str.contains("累计")]
    assert len(w) == 4
    first = w[(w["row"] == 2) & (w["column"] == "本年累计出栏(头)")]["reason"].iloc[0]
    # 赵一农 3—8月 185 + 30 = 215
    assert "库中缺少 2026-01、2026-02 的数（已有月份加本月之和 215 头）" in first
    res = ingest.commit(store, p, SYSTEM)
    assert res.n_rows == 2


def test_known_months_beyond_the_cumulative_refuse_even_with_months_missing(store):
    park(store, months=range(3, 9))
    p = ingest.parse(sep_file(cum_sold=(150, 101)), "sep.csv", today=TODAY)  # 215 known > 150
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), p)
    assert "已知各月之和（已超过累计数） 215 头" in e.value.errors.loc[0, "reason"]


def test_a_first_upload_of_the_year_is_a_warning_not_a_refusal(store):
    p = ingest.parse(sep_file(), "sep.csv", today=TODAY)  # an empty store: months 1–8 missing
    pv = ingest.preview(store.cursor(), p)
    assert pv.warnings["reason"].str.contains("2026-01、2026-02、2026-03").sum() == 4
    assert ingest.commit(store, p, SYSTEM).n_rows == 2


def test_the_files_own_months_count_and_replace_stored_ones(store):
    park(store)  # 1—8月 stored; the file brings August again (赵一农 sold 35, not 25) and September
    aug = [["2026-08", COOP, "赵一农", 100, 35, 60000, 50000], ["2026-08", COOP, "钱二牧", 100, 9, 25000, 50000]]
    rows = [CUM_H] + [r[:5] + [None] + r[5:6] + [None] + r[6:] for r in aug] + \
        [r[:5] + [cs] + r[5:6] + [cr] + r[6:] for r, cs, cr in zip(SEP, (270, 101), (54.4, 22.7), strict=True)]
    p = ingest.parse(csv_bytes(rows), "aug-sep.csv", today=TODAY)
    # 赵一农: 205 (1—7月 stored) + 35 (the file's August) + 30 = 270; the stored August's 25 would give 260.
    pv = ingest.preview(store.cursor(), p)
    assert not pv.warnings["reason"].str.contains("累计").any()
    rows[3][5] = 260
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), ingest.parse(csv_bytes(rows), "aug-sep.csv", today=TODAY))
    assert "之和 270 头" in e.value.errors.loc[0, "reason"]


def test_a_january_cumulative_is_the_month_itself(store):
    rows = [CUM_H, ["2026-01", COOP, "赵一农", 180, 30, 35, 64000, 6.4, 58000]]
    p = ingest.parse(csv_bytes(rows), "jan.csv", today=TODAY)
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), p)
    assert "1月已存各月加本月之和 30 头" in e.value.errors.loc[0, "reason"]
    assert counts(store) == (0, 0, 0)


def test_a_span_in_the_header_sets_the_months(store):
    park(store)
    rows = [H[:5] + ["1-9月累计出栏(头)"] + H[5:]] + [r[:5] + [cs] + r[5:] for r, cs in zip(SEP, (260, 101),
                                                                                       strict=True)]
    p = ingest.parse(csv_bytes(rows), "sep.csv", today=TODAY)
    assert p.cumulative["measure"].tolist() == ["sold_head", "sold_head"]
    ingest.preview(store.cursor(), p)
    rows[1][5] = 200
    with pytest.raises(ingest.Rejected):
        ingest.preview(store.cursor(), ingest.parse(csv_bytes(rows), "sep.csv", today=TODAY))


def test_the_command_line_refuses_and_writes_nothing(tmp_path, capsys):
    from analytics import cli
    from analytics.store.db import Store

    db = tmp_path / "park.duckdb"
    with Store(db) as s:
        park(s)
    f = tmp_path / "sep.csv"
    f.write_bytes(sep_file(cum_sold=(290, 101)))
    assert cli.main(["ingest", str(f), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "本年累计数与已存各月加本月之和不符" in err and "文件的累计数（本年累计出栏(头)）为 290 头" in err
    with Store(db) as s:
        assert counts(s)[1] == 1  # the park's upload only


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_two_row_header_pairs_this_month_with_its_cumulative(store, fmt):
    """出栏 / 销售收入(万元) merged over 本月 | 本年累计: the 累计 takes its group's unit."""
    park(store)
    rows = [["月份", "合作社", "养殖户", "存栏(头)", "出栏(头)", "", "销售收入(万元)", "", "成本(元)"],
            ["", "", "", "", "本月", "本年累计", "本月", "本年累计", ""],
            ["2026-09", COOP, "赵一农", 180, 30, 260, 6.4, 54.4, 58000],
            ["2026-09", COOP, "钱二牧", 95, 12, 101, 2.7, 22.7, 25500]]

    def data() -> bytes:
        return csv_bytes(rows) if fmt == "csv" else xlsx_bytes({"9月": rows}, {"9月": ["E1:F1", "G1:H1"]})

    p = ingest.parse(data(), f"sep.{fmt}", today=TODAY)
    assert p.cumulative[["row", "measure", "value"]].values.tolist() == [
        [3, "sold_head", 260], [4, "sold_head", 101], [3, "revenue", 544_000], [4, "revenue", 227_000]]
    assert not ingest.preview(store.cursor(), p).warnings["reason"].str.contains("累计").any()
    rows[3][7] = 25.0
    with pytest.raises(ingest.Rejected) as e:
        ingest.preview(store.cursor(), ingest.parse(data(), f"sep.{fmt}", today=TODAY))
    got = e.value.errors
    assert got[["row", "column", "value"]].values.tolist() == [[4, "销售收入(万元)/本年累计", "250,000.00 元"]]
    assert "之和 227,000.00 元，相差 23,000.00 元" in got.loc[0, "reason"]
