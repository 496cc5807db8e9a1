"""Column choices remembered per cooperative and layout (issue 17 point 1, migration 13): a choice
an upload used is kept when it is committed and is the starting choice of the same cooperative's
next file of the same layout — said, never silent, and changeable."""

from __future__ import annotations

from analytics import cli, ingest
from analytics.access.permissions import SYSTEM
from analytics.ingest import remember
from analytics.store.db import Store
from tests.test_ingest import TODAY
from tests.test_ingest_layouts import csv_bytes

COOP = "众兴养猪专业合作社"
H = ["月份", "合作社", "养殖户", "存栏(头)", "出栏合计(头)", "其他收入(元)", "销售收入(元)"]


def month_file(month: str, coop: str = COOP, header: list[str] | None = None) -> bytes:
    rows = [header or H, [month, coop, "王一", 100, 5, 300, 10000], [month, coop, "王二", 80, 4, 0, 8000]]
    return csv_bytes(rows)


CHOICES = ingest.ColumnChoices({"出栏合计(头)": "出栏"}, {"其他收入(元)"})


def test_a_file_read_with_choices_keeps_them_when_committed(store):
    refused = ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY)
    assert not refused.ok and refused.named_cooperatives == [COOP]
    assert remember.recall(store.cursor(), refused) == {}  # nothing kept yet
    p = ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=CHOICES)
    assert p.ok, p.errors.to_dict("records")
    assert remember.used(p)[["header", "choice"]].values.tolist() == [["出栏合计(头)", "sold_head"],
                                                                      ["其他收入(元)", ""]]
    res = ingest.commit(store, p, SYSTEM)
    kept = store.cursor().execute("""SELECT sector, cooperative, layout, header, choice, chosen_by, upload_id
                                     FROM column_choices ORDER BY header""").fetchall()
    fp = p.layouts[""]
    assert kept == [("hog", COOP, fp, "其他收入(元)", "", "system", res.upload_id),
                    ("hog", COOP, fp, "出栏合计(头)", "sold_head", "system", res.upload_id)]


def test_the_next_month_of_the_same_cooperative_and_layout_starts_from_them(store):
    ingest.commit(store, ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=CHOICES), SYSTEM)
    sep = ingest.parse(month_file("2026-09"), "9月.csv", today=TODAY)
    assert not sep.ok  # read alone, the columns still need a choice
    recalled = remember.recall(store.cursor(), sep)
    assert recalled == {"出栏合计(头)": "sold_head", "其他收入(元)": ""}
    again = ingest.parse(month_file("2026-09"), "9月.csv", today=TODAY, columns=remember.merged(recalled, None))
    assert again.ok and again.frame["sold_head"].tolist() == [5, 4]
    assert remember.describe(recalled, {"sold_head": "出栏(头)"}, "zh") == (
        "沿用上次的列选择：“出栏合计(头)” → 出栏(头)；“其他收入(元)” → 忽略（可在下面的“列核对”里修改）")
    assert "Column choices from last time: “出栏合计(头)” → sold" in remember.describe(
        recalled, {"sold_head": "sold"}, "en")


def test_another_cooperative_or_another_layout_starts_afresh(store):
    ingest.commit(store, ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=CHOICES), SYSTEM)
    other = ingest.parse(month_file("2026-09", coop="青禾生猪养殖专业合作社"), "9月.csv", today=TODAY)
    assert remember.recall(store.cursor(), other) == {}
    moved = ingest.parse(month_file("2026-09", header=[*H[:4], H[5], H[4], H[6]]), "9月.csv", today=TODAY)
    assert remember.recall(store.cursor(), moved) == {}  # columns in another order: another layout


def test_a_choice_given_now_wins_and_replaces_the_kept_one(store):
    ingest.commit(store, ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=CHOICES), SYSTEM)
    now = ingest.ColumnChoices({}, {"出栏合计(头)"})
    sep = ingest.parse(month_file("2026-09"), "9月.csv", today=TODAY, columns=now)
    recalled = remember.recall(store.cursor(), sep, now)
    assert recalled == {"其他收入(元)": ""}
    p = ingest.parse(month_file("2026-09"), "9月.csv", today=TODAY, columns=remember.merged(recalled, now))
    assert p.ok and p.frame["sold_head"].isna().all()
    ingest.commit(store, p, SYSTEM)
    got = store.cursor().execute("SELECT choice FROM column_choices WHERE header = '出栏合计(头)'").fetchall()
    assert got == [("",)]


def test_a_refused_commit_keeps_nothing(store):
    ingest.commit(store, ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=CHOICES), SYSTEM)
    other = ingest.ColumnChoices({}, {"出栏合计(头)", "其他收入(元)"})
    p = ingest.parse(month_file("2026-08"), "8月.csv", today=TODAY, columns=other)
    try:
        ingest.commit(store, p, SYSTEM)  # the same bytes again: refused
        raise AssertionError("the same file was applied twice")
    except ingest.AlreadyApplied:
        pass
    assert store.cursor().execute("SELECT header, choice FROM column_choices ORDER BY header").fetchall() == [
        ("其他收入(元)", ""), ("出栏合计(头)", "sold_head")]


def test_the_command_line_applies_kept_choices_and_says_so(tmp_path, capsys):
    db = tmp_path / "park.duckdb"
    aug, sep = tmp_path / "8月.csv", tmp_path / "9月.csv"
    aug.write_bytes(month_file("2026-08"))
    sep.write_bytes(month_file("2026-09"))
    assert cli.main(["ingest", str(aug), "--db", str(db), "--column", "出栏合计(头)=出栏",
                     "--ignore-column", "其他收入(元)"]) == 0
    capsys.readouterr()
    assert cli.main(["ingest", str(sep), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "9月.csv：沿用上次的列选择：“出栏合计(头)” → 出栏(头)；“其他收入(元)” → 忽略" in out
    with Store(db) as s:
        assert s.cursor().execute("""SELECT sum(sold_head) FROM hog_records
                                     WHERE month = DATE '2026-09-01'""").fetchall() == [(9,)]
