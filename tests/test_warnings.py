"""预警: the rule table, each rule on a hand-made park with the answer computed by hand, the
events kept on write (upload, undo), the office's states, the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics import cli
from analytics.access.permissions import SYSTEM, Actor, PermissionDenied
from analytics.figures import warnings
from analytics.ingest import apply as ingest
from analytics.store import alerts
from analytics.store.db import Store

TOWN = "济阳镇"
OFFICE = Actor("office", "viewer")


def _ym(m: int, y: int = 2023) -> str:
    return f"{y}-{m:02d}-01"


@pytest.fixture
def park(store):
    """A park whose warnings are known:

    - H1 (Z社): 能繁母猪 100 → 88 in 2023-05 → 2023-06 and again in 2024-05 → 2024-06; the town's
      normal holding is 100 头, so 88 % is red in 2023-06 (2021 rule: < 90 %) and yellow in
      2024-06 (2024 rule: 85–92 %).
    - D1 (X社): 存栏 1000 → 790 in February, down 21 % (> 20 %): a stock-drop event in 2023-02.
      D2: 1000 → 800, down exactly 20 %: none.
    - D3: 死淘 10, 12, 8, 10, 10, 11 of 1,000 birds in January–June (median of those six rates 1.0 %),
      25 in July: 2.5 % > 2 × 1.0 % = 2.0 %: a spike in 2023-07. D4: the same history, 20 in July
      (2.0 %, not above): none.
    - H2: profit −50, −20, −30 in January–March (three losses running: event in 2023-03, figure
      −100 元), +100 in April. H3: −, +, −, −: never three running, none. Both have no report of May
      2023 (so May is not judged for the sows) and report June 2023 and May–June 2024 with a profit.
    """
    with store.write() as cur:
        cur.execute("INSERT INTO cooperatives (name) VALUES ('X社'), ('Z社')")  # join the only town
        cur.execute("""INSERT INTO units (sector, cooperative, unit) VALUES
            ('duck', 'X社', 'D1'), ('duck', 'X社', 'D2'), ('duck', 'X社', 'D3'), ('duck', 'X社', 'D4'),
            ('hog', 'Z社', 'H1'), ('hog', 'Z社', 'H2'), ('hog', 'Z社', 'H3')""")
        duck = [(_ym(1), "D1", 1000, None), (_ym(2), "D1", 790, None),
                (_ym(1), "D2", 1000, None), (_ym(2), "D2", 800, None)]
        for unit, july in (("D3", 25), ("D4", 20)):
            duck += [(_ym(m), unit, 1000, c) for m, c in zip(range(1, 8), (10, 12, 8, 10, 10, 11, july), strict=True)]
        for month, unit, stock, culled in duck:
            cur.execute("INSERT INTO duck_records (month, cooperative, unit, stock, culled, revenue, cost) "
                        "VALUES (?, 'X社', ?, ?, ?, 100, 50)", [month, unit, stock, culled])
        hog = [(_ym(m, y), "H1", s, 500, 400) for y in (2023, 2024) for m, s in ((5, 100), (6, 88))]
        hog += [(_ym(m), "H2", None, r, c) for m, r, c in ((1, 100, 150), (2, 100, 120), (3, 100, 130), (4, 200, 100))]
        hog += [(_ym(m), "H3", None, r, c) for m, r, c in ((1, 10, 20), (2, 30, 20), (3, 10, 20), (4, 10, 20))]
        # Both skip May 2023 and come back in June, and report May and June 2024: a farm silent is
        # expected for 12 months, so these months are judged only with them in.
        hog += [(_ym(m, y), unit, None, 200, 100) for unit in ("H2", "H3")
                for m, y in ((6, 2023), (5, 2024), (6, 2024))]
        for month, unit, sows, rev, cost in hog:
            cur.execute("INSERT INTO hog_records (month, cooperative, unit, stock, sows, revenue, cost) "
                        "VALUES (?, 'Z社', ?, 300, ?, ?, ?)", [month, unit, sows, rev, cost])
    alerts.set_sows_normal(store, OFFICE, TOWN, 100)
    return store


def _events(store: Store, **kw) -> list[tuple]:
    df = warnings.warning_events(store.cursor(), **kw)
    return sorted((r.rule_id, r.unit if isinstance(r.unit, str) else None, r.month, r.level,
                   round(r.figure, 4), round(r.threshold, 4)) for r in df.itertuples())


def test_the_rule_table_declares_versions_and_sources():
    for r in warnings.RULES:
        assert r.source and r.since and r.zh and r.en and r.sectors
    assert warnings.rule_for("sows_zone", "2024-01").since == date(2021, 9, 1)
    assert warnings.rule_for("sows_zone", "2024-02").since == date(2024, 2, 29)  # judged at the month's end
    assert warnings.rule_for("sows_zone", "2021-08") is None


@pytest.mark.parametrize(("share", "month", "zone"), [
    (0.88, "2024-06", "yellow"), (0.88, "2023-06", "red"), (0.92, "2024-06", "green"),
    (0.92, "2023-06", "yellow"), (0.95, "2023-06", "green"), (1.05, "2024-06", "green"),
    (1.06, "2024-06", "yellow"), (1.10, "2023-06", "yellow"), (1.11, "2024-06", "red"),
    (0.85, "2024-06", "yellow"), (0.849, "2024-06", "red"), (0.90, "2023-06", "yellow"),
])
def test_sows_zones_follow_the_rule_in_force(share, month, zone):
    assert warnings.sows_zone(share, month)[0] == zone


@pytest.mark.parametrize(("rule", "figure", "threshold", "expected"), [
    ("mortality_spike", 0.0104, 0.01, ("1.04%", "1.00%")),     # just over the 1 % floor: not "1.0%" twice
    ("mortality_spike", 0.01001, 0.01, ("1.001%", "1.000%")),
    ("mortality_spike", 0.014, 0.01, ("1.4%", "1.0%")),        # one decimal when that shows it
    ("mortality_spike", 0.0114, 0.01135, ("1.140%", "1.135%")),  # a threshold of 2 × a median
    ("stock_drop", 0.2003, 0.20, ("20.03%", "20.00%")),
    ("sows_zone", 0.9199, 0.92, ("91.99%", "92.00%")),         # just under the green's lower bound
    ("sows_zone", 0.88, 0.92, ("88.0%", "92.0%")),
    ("loss_streak", -2116.4, 0.0, ("-2,116 元", "0 元")),
    ("mortality_spike", None, 0.01, ("—", "1.0%")),
])
def test_a_figure_reads_past_its_threshold(rule, figure, threshold, expected):
    assert warnings.figure_texts(rule, figure, threshold) == expected


def test_each_rule_finds_exactly_the_hand_computed_events(park):
    assert _events(park) == sorted([
        ("sows_zone", None, "2023-06", "red", 0.88, 0.95),
        ("sows_zone", None, "2024-06", "yellow", 0.88, 0.92),
        ("stock_drop", "D1", "2023-02", "yellow", 0.21, 0.2),
        ("mortality_spike", "D3", "2023-07", "yellow", 0.025, 0.02),
        ("loss_streak", "H2", "2023-03", "yellow", -100.0, 0.0),
    ])
    df = warnings.warning_events(park.cursor(), rules=("sows_zone",))
    assert set(df["town"]) == {TOWN} and set(df["state"]) == {"新"}
    assert warnings.open_count(park.cursor()) == {"open": 5, "new": 5, "latest_month": "2024-06"}


def test_the_sows_light_states_share_zone_and_rule(park):
    light = warnings.sows_light(park.cursor(), "2024-06")
    assert len(light) == 1
    assert light[0]["share"] == pytest.approx(0.88) and light[0]["zone"] == "yellow"
    assert light[0]["rule_since"] == "2024-02-29" and "2024年修订" in light[0]["source"]
    assert warnings.sows_light(park.cursor(), "2023-06")[0]["zone"] == "red"
    assert warnings.sows_light(park.cursor(), "2024-05")[0]["zone"] == "green"
    # H2 and H3 reported April 2023, not May: May is not judged, and no earlier complete month has sows.
    may = warnings.sows_light(park.cursor(), "2023-05")[0]
    assert (may["judged"], may["missing"], may["zone"]) == (None, 2, None)
    assert warnings.sows_light(park.cursor(), "2023-01")[0]["share"] is None  # no farm reported sows


def test_changing_the_normal_holding_judges_again_and_is_audited(park):
    # 88 / 92 = 95.7 %: green under both rules; but May's 100 / 92 = 108.7 % is now yellow (105–110 %),
    # in 2024 only: May 2023 is not judged (H2 and H3, which reported April, did not report it).
    alerts.set_sows_normal(park, OFFICE, TOWN, 92)
    assert [e for e in _events(park) if e[0] == "sows_zone"] == [("sows_zone", None, "2024-05", "yellow", 1.087, 1.05)]
    detail = park.cursor().execute("SELECT actor, target, detail FROM audit_log WHERE action = 'set_sows_normal' "
                                   "ORDER BY audit_id DESC LIMIT 1").fetchone()
    assert detail == ("office", TOWN, "92 头")


def test_bad_normal_holding_is_refused_and_nothing_written(park):
    with pytest.raises(ValueError, match="正常保有量必须是正数"):
        alerts.set_sows_normal(park, OFFICE, TOWN, -5)
    with pytest.raises(ValueError, match="没有登记乡镇“某镇”"):
        alerts.set_sows_normal(park, OFFICE, "某镇", 50)
    with pytest.raises(PermissionDenied, match="只有农业办"):
        alerts.set_sows_normal(park, Actor("m", "manager", "Z社"), TOWN, 50)
    assert warnings.sows_normal(park.cursor()) == {TOWN: 100.0}


def test_state_changes_persist_with_note_and_audit(park, tmp_path):
    ids = list(warnings.warning_events(park.cursor())["event_id"])
    with pytest.raises(ValueError, match="请写明处理情况"):
        alerts.set_warning_state(park, OFFICE, ids[:1], "已处理")
    assert set(warnings.warning_events(park.cursor())["state"]) == {"新"}  # nothing written
    assert alerts.set_warning_state(park, OFFICE, ids[:2], "已查看") == 2
    alerts.set_warning_state(park, OFFICE, ids[:1], "已处理", "已电话核实：出栏后补栏")
    path = park.path
    park.close()
    with Store(path) as again:
        df = warnings.warning_events(again.cursor()).set_index("event_id")
        assert df.loc[ids[0], "state"] == "已处理" and df.loc[ids[0], "note"] == "已电话核实：出栏后补栏"
        assert df.loc[ids[0], "state_by"] == "office" and df.loc[ids[1], "state"] == "已查看"
        assert warnings.open_count(again.cursor())["open"] == len(ids) - 1
        rows = again.cursor().execute("SELECT detail FROM audit_log WHERE action = 'set_warning_state' "
                                      "ORDER BY audit_id").fetchall()
        assert [r[0] for r in rows] == ["已查看", "已处理：已电话核实：出栏后补栏"]
        with pytest.raises(PermissionDenied):
            alerts.set_warning_state(again, Actor("m", "manager", "Z社"), ids[:1], "已查看")


def test_an_upload_and_its_undo_keep_the_events_true(park):
    # D2 corrected to 700 in February: down 30 %, a new event; the undo takes it back.
    r = ingest.ingest(park, "月份,合作社,棚号,存栏(羽)\n2023-02,X社,D2,700\n".encode(), "d2.csv", SYSTEM,
                      today=date(2024, 7, 1))
    assert ("stock_drop", "D2", "2023-02", "yellow", 0.3, 0.2) in _events(park)
    ev = warnings.warning_events(park.cursor(), rules=("stock_drop",))
    d2 = int(ev[ev["unit"] == "D2"]["event_id"].iloc[0])
    alerts.set_warning_state(park, OFFICE, [d2], "已查看")
    ingest.undo(park, r.upload_id, SYSTEM)
    assert ("stock_drop", "D2", "2023-02", "yellow", 0.3, 0.2) not in _events(park)
    gone = warnings.warning_events(park.cursor(), active_only=False).set_index("event_id").loc[d2]
    assert not gone["active"] and gone["state"] == "已查看"  # kept, no longer open
    assert len(_events(park)) == 5


def test_cli_lists_the_events_as_json(park, capsys):
    path = park.path
    park.close()
    assert cli.main(["warnings", "--db", str(path), "--month", "2024-06", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(e["rule_id"], e["level"], e["figure"]) for e in out["events"]] == [("sows_zone", "yellow", 0.88)]
    assert cli.main(["warnings", "--db", str(path)]) == 0
    text = capsys.readouterr().out
    assert "能繁母猪保有量" in text and "88.0%" in text and "连续亏损" in text


def test_the_problems_view_lists_the_open_warnings_and_late_cooperatives(park):
    from analytics.meeting import narrative, slides
    from analytics.scope import Period

    ids = warnings.warning_events(park.cursor(), rules=("loss_streak",))["event_id"]
    alerts.set_warning_state(park, OFFICE, list(ids), "已处理", "已帮扶")  # handled: not a problem any more
    call = narrative.kpi_caller(park.cursor())
    lines = slides.problems(call, Period.months("2023-01", "2024-06"))
    assert lines[0] == "预警：2023年1月—2024年6月未处理 4 条（能繁母猪保有量 2、存栏环比下降 1、死淘率异常 1）"
    # Red first, then the newest month first.
    assert lines[1] == "· 2023-06 能繁母猪保有量：济阳镇 88.0%（红色，界限 95.0%）"
    assert lines[2] == "· 2024-06 能繁母猪保有量：济阳镇 88.0%（黄色，界限 92.0%）"
    assert "· 2023-07 死淘率异常：X社 D3 2.5%（黄色，界限 2.0%）" in lines
    assert "· 2023-02 存栏环比下降：X社 D1 21.0%（黄色，界限 20.0%）" in lines
    assert not any("连续亏损：" in x for x in lines)
    # X社 last reported in 2023-07; by 2024-06 it is one of the late cooperatives (12 months back: 2023-06).
    assert lines[-1] == "未按时上报 2024-06：X社（种鸭，最近 2023-07）"
    only_2024 = slides.problems(call, Period.year(2024), "en")
    assert only_2024[:2] == ("Warnings: 1 open for 2024 (Breeding sows vs normal holding 1)",
                             "· 2024-06 Breeding sows vs normal holding: Jiyang 88.0% (yellow, threshold 92.0%)")
    assert only_2024[-1] == "Not reported for 2024-06: 1 cooperative (names on the overview page)"
    deck = slides.build(call, Period.months("2023-01", "2024-06"))
    view = next(s for s in deck.slides if s.key == "problems")
    assert view.title == "存在问题" and view.body == lines


@pytest.fixture
def late_park(store):
    """济阳镇 with a normal holding of 1,000 能繁母猪 and five hog farms of Z社, 2023:

    - November: all five report 200, 200, 200, 200, 167 sows = 967, i.e. 96.7 %: green (2021 rule,
      95–105 %).
    - December, as first uploaded: F1–F3 report 200, 234, 200 = 634; F4 and F5 have not reported.
      634 / 1,000 = 63.4 % would be red, a warning made only of the two missing reports.
    """
    with store.write() as cur:
        cur.execute("INSERT INTO cooperatives (name) VALUES ('Z社')")
        cur.execute("INSERT INTO units (sector, cooperative, unit) VALUES "
                    + ", ".join(f"('hog', 'Z社', 'F{i}')" for i in range(1, 6)))
        rows = [(_ym(11), f"F{i}", s) for i, s in enumerate((200, 200, 200, 200, 167), 1)]
        rows += [(_ym(12), f"F{i}", s) for i, s in enumerate((200, 234, 200), 1)]
        for month, unit, sows in rows:
            cur.execute("INSERT INTO hog_records (month, cooperative, unit, stock, sows, revenue, cost) "
                        "VALUES (?, 'Z社', ?, 1000, ?, 500, 400)", [month, unit, sows])
    alerts.set_sows_normal(store, OFFICE, TOWN, 1000)
    return store


def _hog_csv(*rows: tuple[str, int]) -> bytes:
    lines = ["月份,合作社,养殖户,存栏(头),能繁母猪(头),销售收入(元),成本(元)"]
    lines += [f"2023-12,Z社,{unit},1000,{sows},500,400" for unit, sows in rows]
    return ("\n".join(lines) + "\n").encode()


def test_an_incomplete_month_raises_no_sows_warning_and_the_light_says_why(late_park):
    assert _events(late_park) == []  # not December's 63.4 %: two farms have not reported it
    light = warnings.sows_light(late_park.cursor(), "2023-12")
    assert len(light) == 1
    x = light[0]
    assert (x["month"], x["judged"], x["missing"]) == ("2023-12", "2023-11", 2)
    assert x["missing_units"] == [("Z社", "F4"), ("Z社", "F5")]
    assert (x["sows"], x["farms"], x["zone"]) == (967, 5, "green") and x["share"] == pytest.approx(0.967)
    assert x["rule_since"] == "2021-09-01"
    november = warnings.sows_light(late_park.cursor(), "2023-11")[0]
    assert (november["judged"], november["missing"], november["zone"]) == ("2023-11", 0, "green")


def test_the_upload_that_completes_the_month_judges_it(late_park):
    ingest.ingest(late_park, _hog_csv(("F4", 100)), "f4.csv", SYSTEM, today=date(2024, 1, 5))
    assert _events(late_park) == []  # F5 still missing: 734 of 1,000 is not judged either
    assert warnings.sows_light(late_park.cursor(), "2023-12")[0]["missing_units"] == [("Z社", "F5")]
    r = ingest.ingest(late_park, _hog_csv(("F5", 100)), "f5.csv", SYSTEM, today=date(2024, 1, 6))
    # 200 + 234 + 200 + 100 + 100 = 834 of 1,000 = 83.4 %: red under the 2021 rule (< 90 %).
    assert _events(late_park) == [("sows_zone", None, "2023-12", "red", 0.834, 0.95)]
    x = warnings.sows_light(late_park.cursor(), "2023-12")[0]
    assert (x["judged"], x["missing"], x["sows"], x["zone"]) == ("2023-12", 0, 834, "red")
    ingest.undo(late_park, r.upload_id, SYSTEM)  # December incomplete again: the event goes
    assert _events(late_park) == []
    assert warnings.sows_light(late_park.cursor(), "2023-12")[0]["judged"] == "2023-11"


def test_only_the_town_total_waits_for_complete_months():
    assert {r.id: r.scope for r in warnings.RULES} == {
        "sows_zone": "town", "stock_drop": "unit", "mortality_spike": "unit", "loss_streak": "unit"}
