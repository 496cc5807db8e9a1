"""The rollups kept on write give the figures the definitions give, for any period, and an
upload refreshes exactly what it touched (rollups and the scoped cache versions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import contract, ingest
from analytics.access import permissions
from analytics.figures import completeness, kpis, lists, rollups
from analytics.scope import Filters, Period
from analytics.store import registry
from tests.test_ingest import TODAY

PERIODS = [Period.year(2022), Period.months("2022-03", "2022-08"), Period.months("2021-07", "2023-02"),
           Period.months("2021-01", "2023-12"), Period.months("2023-12", "2023-12")]


def reference(cur, sector: str, period: Period, villages: tuple[str, ...] = ()) -> dict:
    """The 口径 of DESIGN.md §5 straight from the records, in pandas: an independent oracle."""
    s = contract.sector(sector)
    r = cur.execute(f"SELECT r.*, u.village, u.land_mu FROM {s.table} r JOIN units u ON u.sector = ? "
                    "AND u.cooperative = r.cooperative AND u.unit = r.unit WHERE r.month BETWEEN ? AND ?",
                    [sector, period.start, period.end]).df()
    if villages:
        r = r[r["village"].isin(villages)]
    r = r.sort_values("month")
    g = r.groupby(["cooperative", "unit"])
    out = {"units": g.ngroups, "revenue": r["revenue"].sum(), "cost": r["cost"].sum(),
           "jobs": g["workers"].max().sum()}
    if "stock" in r:
        out["stock"] = r.dropna(subset=["stock"]).groupby(["cooperative", "unit"])["stock"].last().sum()
    if sector == "greenhouse":
        out["area_mu"] = g["area_mu"].max().sum()
        by_crop = r.dropna(subset=["crop"]).groupby(["crop", "cooperative", "unit"])["area_mu"].max()
        out["by_crop_area"] = by_crop.groupby("crop").sum().round(2).to_dict()
    return out


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.label_from}..{p.label_to}")
@pytest.mark.parametrize("sector", contract.SECTOR_KEYS)
def test_rollups_give_the_definitions_figures(demo_store, sector, period):
    cur = demo_store.cursor()
    for villages in ((), ("李庄村", "陈楼村")):
        ref = reference(cur, sector, period, villages)
        k = kpis.sector_kpis(cur, sector, period, Filters(villages=villages))
        assert k["units"] == ref["units"]
        assert k["revenue"] == pytest.approx(ref["revenue"], abs=0.01)
        assert k["cost"] == pytest.approx(ref["cost"], abs=0.01)
        assert k["jobs"] == ref["jobs"]
        if "stock" in ref:
            assert k["stock"] == ref["stock"]
        if sector == "greenhouse":
            assert k["area_mu"] == pytest.approx(ref["area_mu"], abs=0.01)
            assert {c: v["area_mu"] for c, v in k["by_crop"].items()} == pytest.approx(ref["by_crop_area"], abs=0.01)


def test_a_page_of_units_is_the_ranked_list(demo_store):
    cur = demo_store.cursor()
    every = kpis.unit_totals(cur, "hog", Period.year(2023))
    assert every["profit"].is_monotonic_decreasing and len(every) == kpis.sector_kpis(
        cur, "hog", Period.year(2023))["units"]
    page = kpis.unit_totals(cur, "hog", Period.year(2023), limit=10, offset=20)
    assert page["unit"].tolist() == every["unit"].iloc[20:30].tolist()
    worst = kpis.unit_totals(cur, "greenhouse", Period.year(2023), sort_by="profit_per_mu", descending=False,
                             limit=3, with_value=True)
    assert worst["profit_per_mu"].is_monotonic_increasing and worst["profit_per_mu"].notna().all()


def test_histogram_counts_every_plot_with_land(demo_store):
    cur = demo_store.cursor()
    bins = kpis.unit_histogram(cur, "greenhouse", "profit_per_mu", Period.year(2022), bins=20)
    plots = kpis.unit_totals(cur, "greenhouse", Period.year(2022), sort_by="profit_per_mu", with_value=True)
    assert bins["units"].sum() == len(plots) and len(bins) <= 20
    assert bins["x0"].iloc[0] == pytest.approx(plots["profit_per_mu"].min())
    assert bins["x1"].iloc[-1] == pytest.approx(plots["profit_per_mu"].max())


def duck_file(rows: list[tuple[str, str, str, int]]) -> bytes:
    head = "月份,合作社,棚号,存栏(羽),产蛋(枚),死淘(羽),饲料(公斤),销售收入(元),成本(元),用工(人)\n"
    return (head + "".join(f"{m},{c},{u},{s},50000,10,20000,80000,60000,2\n" for m, c, u, s in rows)).encode()


def test_an_upload_refreshes_its_units_and_only_its_scope(demo_store):
    cur = demo_store.cursor()
    coop = "兴旺种鸭专业合作社"
    assert cur.execute("SELECT cooperative FROM units WHERE unit = 'D-001'").fetchall() == [(coop,)]
    scopes = {name: kpis.scope_version(cur, fn, args) for name, fn, args in (
        ("duck_2023", "sector_kpis", ("duck", Period.year(2023), Filters())),
        ("duck_2023_12", "sector_kpis", ("duck", Period.months("2023-12", "2023-12"), Filters())),
        ("hog_2023", "sector_kpis", ("hog", Period.year(2023), Filters())),
        ("all_2022", "park_kpis", (Period.year(2022), Filters())),
        ("months", "available_months", ()))}
    figures = demo_store.figures_version()
    before = kpis.sector_kpis(cur, "duck", Period.year(2023))
    d001 = kpis.unit_totals(cur, "duck", Period.year(2023)).set_index("unit").loc["D-001"]
    # D-001 re-reported for 2023-12 with 5,000 birds (a correction), and a new shed.
    res = ingest.ingest(demo_store, duck_file([("2023-12", coop, "D-001", 5000), ("2023-12", coop, "D-NEW", 1000)]),
                        "fix.csv", permissions.SYSTEM, today=TODAY)
    cur = demo_store.cursor()
    after = kpis.sector_kpis(cur, "duck", Period.year(2023))
    assert after["units"] == before["units"] + 1
    assert after["stock"] == before["stock"] - d001["stock"] + 5000 + 1000
    assert after["revenue"] == pytest.approx(before["revenue"] + 2 * 80000 - d001_dec(cur, coop, "revenue"), abs=0.01)
    # Scoped: ducks of 2023 and the month list moved; hogs and 2022 did not; nothing global.
    assert demo_store.figures_version() == figures
    moved = {name: kpis.scope_version(cur, fn, args) != scopes[name] for name, fn, args in (
        ("duck_2023", "sector_kpis", ("duck", Period.year(2023), Filters())),
        ("duck_2023_12", "sector_kpis", ("duck", Period.months("2023-12", "2023-12"), Filters())),
        ("hog_2023", "sector_kpis", ("hog", Period.year(2023), Filters())),
        ("all_2022", "park_kpis", (Period.year(2022), Filters())),
        ("months", "available_months", ()))}
    assert moved == {"duck_2023": True, "duck_2023_12": True, "hog_2023": False, "all_2022": False, "months": True}
    # Undo puts the figures back exactly, and the rollups agree with a full rebuild.
    ingest.undo(demo_store, res.upload_id, permissions.SYSTEM)
    assert kpis.sector_kpis(demo_store.cursor(), "duck", Period.year(2023)) == before
    assert_rollups_match_a_rebuild(demo_store)


def d001_dec(cur, coop: str, col: str) -> float:
    """What D-001 had in the history table for 2023-12 (the value the upload replaced)."""
    return float(cur.execute(f"SELECT {col} FROM duck_records_history WHERE unit = 'D-001' AND cooperative = ? "
                             "AND month = '2023-12-01'", [coop]).fetchall()[0][0])


def assert_rollups_match_a_rebuild(store) -> None:
    cur = store.cursor()
    tables = ([r.table for r in rollups.rollups()] + [rollups.GAPS_TABLE]
              + [g.table for g in rollups.groupings()])
    kept = {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in tables}
    with store.write() as w:  # an undeclared write rebuilds everything
        w.execute("SELECT 1")
    cur = store.cursor()
    for name, df in kept.items():
        rebuilt = cur.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
        pd.testing.assert_frame_equal(df.reset_index(drop=True), rebuilt.reset_index(drop=True),
                                      check_exact=False, rtol=1e-12)


def test_unit_attributes_changed_by_an_upload_make_every_cache_cold(demo_store):
    figures = demo_store.figures_version()
    coop = "兴旺种鸭专业合作社"
    shed = demo_store.cursor().execute("SELECT min(unit) FROM units WHERE cooperative = ? AND unit <> 'D-001'",
                                       [coop]).fetchall()[0][0]
    text = duck_file([("2023-12", coop, shed, 3000)]).decode().replace("用工(人)\n", "用工(人),占地(亩)\n", 1)
    text = text.replace(",2\n", ",2,9.5\n")
    ingest.ingest(demo_store, text.encode(), "land.csv", permissions.SYSTEM, today=TODAY)
    # The shed's land changed for every period (2021's per-mu figures too): not a scoped write.
    assert demo_store.figures_version() > figures
    assert_rollups_match_a_rebuild(demo_store)


def test_month_list_and_reporting_status_come_from_coop_months(demo_store):
    cur = demo_store.cursor()
    months = lists.available_months(cur)
    scanned = sorted({m for s in contract.SECTORS.values() for (m,) in cur.execute(
        f"SELECT DISTINCT strftime(month, '%Y-%m') FROM {s.table}").fetchall()})
    assert months == scanned
    missing = completeness.missing_reports(cur, "2023-12")
    assert sorted(missing["cooperative"]) == ["众兴养猪专业合作社", "本草药材种植专业合作社"]
    units_nov = cur.execute("""SELECT count(*) FROM hog_records WHERE cooperative = '众兴养猪专业合作社'
                               AND month = '2023-11-01'""").fetchall()[0][0]
    assert missing.set_index("cooperative").loc["众兴养猪专业合作社", "units"] == units_nov
    assert np.array_equal(missing["last_month"].unique(), ["2023-11"])


@pytest.mark.parametrize("filters", [Filters(), Filters(cooperatives=("众兴养猪专业合作社", "兴旺种鸭专业合作社")),
                                     Filters(towns=("济阳镇",))], ids=["all", "coops", "town"])
@pytest.mark.parametrize("sector", contract.SECTOR_KEYS)
def test_monthly_sums_kept_per_cooperative_equal_the_records(demo_store, sector, filters):
    cur = demo_store.cursor()
    period = Period.months("2021-11", "2023-02")
    kept = kpis.monthly(cur, sector, period, filters)
    scanned = kpis.monthly(cur, sector, period, filters, source="records")
    pd.testing.assert_frame_equal(kept, scanned, check_dtype=False, check_exact=False, rtol=1e-12)
    assert len(kept) == (16 if len(scanned) else 0)


def test_monthly_total_reads_coop_months_once_and_matches_each_sector(demo_store):
    cur = demo_store.cursor()
    period = Period.year(2022)
    total = kpis.monthly_total(cur, period)
    assert list(total.columns) == ["month", "revenue", "cost", "profit", "sector"]
    assert total["sector"].unique().tolist() == list(contract.SECTOR_KEYS)
    for s in contract.SECTOR_KEYS:
        one = kpis.monthly(cur, s, period, source="records")
        mine = total[total["sector"] == s].reset_index(drop=True)
        assert mine["month"].tolist() == one["month"].tolist()
        assert mine["profit"].to_numpy() == pytest.approx(one["profit"].to_numpy())
    filtered = kpis.monthly_total(cur, period, Filters(villages=("李庄村",)))
    assert set(filtered["sector"]) <= set(contract.SECTOR_KEYS) and len(filtered)


def test_a_new_cooperative_in_an_upload_joins_the_only_town_in_the_rollups(demo_store):
    ingest.ingest(demo_store, duck_file([("2023-12", "新禽合作社", "N-1", 900)]), "new.csv", permissions.SYSTEM,
                  today=TODAY)
    cur = demo_store.cursor()
    k = kpis.park_kpis(cur, Period.year(2023))
    assert list(k["by_town"]) == ["济阳镇"]
    assert k["by_town"]["济阳镇"]["units"] == sum(k[s]["units"] for s in contract.SECTOR_KEYS)
    assert_rollups_match_a_rebuild(demo_store)


def test_registry_corrections_show_at_once_without_rebuilding_the_rollups(demo_store):
    cur = demo_store.cursor()
    coop = "兴旺种鸭专业合作社"
    before = kpis.park_kpis(cur, Period.year(2023))
    old = cur.execute("SELECT land_mu FROM units WHERE cooperative = ? AND unit = 'D-001'", [coop]).fetchall()[0][0]
    figures = demo_store.figures_version()
    registry.update_unit(demo_store, permissions.SYSTEM, "duck", coop, "D-001", land_mu=old + 10)
    after = kpis.park_kpis(demo_store.cursor(), Period.year(2023))
    assert after["total"]["land_mu"] == pytest.approx(before["total"]["land_mu"] + 10, abs=0.01)
    assert demo_store.figures_version() > figures  # every cached page shows it
    assert_rollups_match_a_rebuild(demo_store)


def test_completeness_kept_on_write_equals_the_scan_over_unit_months(demo_store):
    """month_completeness reads coop_months and unit_month_gaps (kept on write); after an upload
    of one month for one shed, and after its undo, it gives the rows of the anti-join over the
    unit-months (the unit-attribute path), and the kept gaps equal a rebuild."""
    from analytics.figures import completeness

    coop = "兴旺种鸭专业合作社"
    res = ingest.ingest(demo_store, duck_file([("2024-01", coop, "D-001", 5000)]), "jan.csv",
                        permissions.SYSTEM, today=TODAY)
    cur = demo_store.cursor()
    period = Period.months("2023-06", "2024-01")
    villages = tuple(v for (v,) in cur.execute("SELECT DISTINCT village FROM units WHERE sector = 'duck' "
                                               "AND village IS NOT NULL").fetchall())
    kept = completeness.month_completeness(cur, "duck", period)
    scanned = pd.DataFrame(completeness._completeness_by_units(cur, "duck", period, Filters(villages=villages)))
    assert kept["month"].iloc[-1] == "2024-01"
    last = kept.iloc[-1]
    total = cur.execute("SELECT count(*) FROM units WHERE sector = 'duck'").fetchall()[0][0]
    # Hand count: one shed reported in 2024-01; every other shed of December is missing.
    assert (last["reported"], last["missing"]) == (1, last["expected"] - 1)
    assert last["expected"] <= total
    assert list(kept["reported"]) == list(scanned[1]) and list(kept["missing"]) == list(scanned[3])
    assert list(kept["missing_stock"]) == [int(round(x)) for x in scanned[5]]
    assert_rollups_match_a_rebuild(demo_store)
    ingest.undo(demo_store, res.upload_id, permissions.SYSTEM)
    assert completeness.month_completeness(demo_store.cursor(), "duck", period)["month"].iloc[-1] == "2023-12"
    assert_rollups_match_a_rebuild(demo_store)
