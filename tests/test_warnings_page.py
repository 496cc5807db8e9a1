"""The 预警 page through AppTest: the list with filters, a state change that persists and is audited,
the normal holding, who may open it; and the overview's open count and the 生猪 page's light."""

from __future__ import annotations

import re

import pytest

from analytics.figures import warnings
from tests.conftest import ROOT
from ui import cache
from ui.auth import User

HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # Chinese characters and punctuation


def _page(path: str, user: User | None, lang: str = "zh"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    at.session_state["lang"] = lang
    if user:
        at.session_state["auth_user"] = user
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def at(app_db):
    return _page("pages/warnings.py", User("office", "viewer"))


def _events():
    return warnings.warning_events(cache.store().cursor(), active_only=False)


def test_lists_the_open_warnings_of_the_demo(at):
    events = _events()
    table = at.dataframe[0].value
    assert len(table) == len(events) > 0  # every event of the demo is new and active
    assert set(table["状态"]) == {"新"}
    assert "能繁母猪保有量" in set(table["规则"])
    sows = events[events["rule_id"] == "sows_zone"]
    assert "2023-12" not in set(sows["month"])  # 20 of 58 farms have not reported December: not judged
    red = sows[sows["level"] == "red"].iloc[0]
    row = table[table["编号"] == red["event_id"]].iloc[0]
    assert (row["合作社"], row["级别"], row["数值"]) == ("济阳镇合计", "红色", f"{red['figure'] * 100:.1f}%")
    assert "乡镇" not in table.columns  # one town: no column repeating it
    assert any(f"未处理预警 {len(events):,} 条**（全部月份，新和已查看）；下表按所选条件 {len(table):,} 条" in m.value
               for m in at.markdown)
    rules = at.table[0].value.set_index("规则")["判断对象"]
    assert set(rules["能繁母猪保有量"]) == {"乡镇合计，只判断全乡镇养殖户都已上报的月份"}
    assert rules["连续亏损"] == "每个鸭棚、养殖户的当月"


def test_filters_narrow_the_list(at):
    at.multiselect(key="warn_rules").set_value(["loss_streak"]).run()
    table = at.dataframe[0].value
    assert set(table["规则"]) == {"连续亏损"}
    assert len(table) == int((_events()["rule_id"] == "loss_streak").sum())
    at.selectbox(key="warn_month").set_value("2023-12").run()
    assert set(at.dataframe[0].value["月份"]) <= {"2023-12"}


def test_state_change_persists_and_is_audited(at):
    first, second = (int(i) for i in _events()["event_id"][:2])
    at.multiselect(key="warn_pick").set_value([first, second])
    at.radio(key="warn_new_state").set_value("已处理")
    at.button[0].click().run()  # no note: refused, nothing written
    assert "标为“已处理”时请写明处理情况。" in [e.value for e in at.error]
    assert set(_events()["state"]) == {"新"}
    at.text_area(key="warn_note").input("已到场核实，属正常淘汰")
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception, at.exception
    assert "已将 2 条预警标为“已处理”。" in [s.value for s in at.success]
    ev = _events().set_index("event_id")
    assert list(ev.loc[[first, second], "state"]) == ["已处理", "已处理"]
    assert set(ev.loc[[first, second], "note"]) == {"已到场核实，属正常淘汰"}
    assert set(ev.loc[[first, second], "state_by"]) == {"office"}
    # The default filter shows new and seen ones: the handled two are gone from the list.
    assert first not in set(at.dataframe[0].value["编号"])
    log = cache.store().cursor().execute("SELECT actor, action, detail FROM audit_log "
                                         "WHERE action = 'set_warning_state'").fetchall()
    assert log == [("office", "set_warning_state", "已处理：已到场核实，属正常淘汰")]


def test_the_normal_holding_is_set_on_the_page(at):
    assert len(_events().query("rule_id == 'sows_zone' and month == '2022-07' and active")) == 1  # 937 / 1,000
    at.number_input(key="warn_normal_济阳镇").set_value(980).run()
    at.button(key="warn_normal_save_济阳镇").click().run()
    assert not at.exception, at.exception
    assert warnings.sows_normal(cache.store().cursor()) == {"济阳镇": 980.0}
    light = warnings.sows_light(cache.store().cursor(), "2023-12")[0]
    # December is incomplete: judged on November, 967 / 980 = 98.7 %, green.
    assert (light["judged"], light["zone"]) == ("2023-11", "green")
    assert light["share"] == pytest.approx(967 / 980)
    # Judged again under the new holding: July 2022's 937 / 980 = 95.6 % is green now.
    assert not len(_events().query("rule_id == 'sows_zone' and month == '2022-07' and active"))


def test_managers_and_visitors_may_not_open_it(app_db):
    at = _page("pages/warnings.py", User("wang", "manager", "金羽种鸭专业合作社"))
    assert any("无权打开此页面" in e.value for e in at.error) and not at.dataframe
    at = _page("pages/warnings.py", None)
    assert any("需要登录" in w.value for w in at.warning) and not at.dataframe


def test_in_english(app_db):
    at = _page("pages/warnings.py", User("office", "viewer"), "en")
    assert [t.value for t in at.title] == ["Warnings"]
    assert list(at.dataframe[0].value.columns) == ["No.", "Month", "Rule", "Cooperative", "Unit", "Figure",
                                                   "Limit", "Level", "State", "By", "Note"]
    assert "济阳镇 total" in set(at.dataframe[0].value["Cooperative"])
    assert [n.label for n in at.number_input] == ["Town 济阳镇: normal holding (head)"]
    assert any("open warnings** (all months, new and seen)" in m.value for m in at.markdown)
    assert "Breeding sows vs normal holding" in set(at.dataframe[0].value["Rule"])
    # the rule table in English: a list with commas, the sources in English, no Chinese left
    rules = at.table[0].value
    assert list(rules["Sectors"]) == ["hogs", "hogs", "ducks, hogs", "ducks, hogs", "ducks, hogs"]
    assert rules["Source"].iloc[1] == ("Implementation plan for regulating hog production capacity (2024 revision), "
                                       "Ministry of Agriculture and Rural Affairs, 29 Feb 2024")
    assert not [v for v in rules.astype(str).to_numpy().ravel() if HAN.search(v)]
    assert not [c.value for c in [*at.caption, *at.markdown] if HAN.search(c.value)]
    assert at.toggle(key="warn_gone").label == "Cleared too"


def test_the_overview_shows_the_open_count_to_the_office(app_db):
    at = _page("pages/overview.py", User("office", "viewer"))
    n = warnings.open_count(cache.store().cursor())
    assert n["open"] > 0
    assert any(f"预警：全部月份共 {n['open']:,} 条未处理（其中 {n['new']:,} 条新）" in w.value for w in at.warning)
    at = _page("pages/overview.py", None)  # a visitor sees no count
    assert not any("预警" in w.value for w in at.warning)


def test_the_hog_page_shows_the_sows_light(app_db):
    at = _page("pages/hog.py", None)
    # The demo's 2023: 20 of 58 farms have not reported December (the 38 that did hold 634 of the
    # normal 1,000 sows, which would read red); the light judges November, 967 head = 96.7 %: green.
    light = [m for m in at.markdown if "能繁母猪" in m.value]
    assert len(light) == 1
    assert light[0].value.startswith(":green[●] **能繁母猪 绿色区域**（济阳镇）："
                                     "按 2023年11月（最近一个全部上报的月份）判断；12月 20 户未报，不作判断。")
    assert "967 头，为正常保有量 1,000 头的 **96.7%**；58 户上报。" in light[0].value
    assert "2021年规则" in light[0].help and "12月未报：众兴养猪专业合作社：" in light[0].help
    assert "等 20 户" in light[0].help
    assert not any(dot in m.value for m in at.markdown for dot in "🔴🟡🟢")  # no emoji: boxes without the font
    at = _page("pages/hog.py", None, "en")
    light = [m for m in at.markdown if "Breeding sows" in m.value]
    assert light[0].value.startswith(":green[●] **Breeding sows: green zone** (济阳镇): judged on 2023-11 (the latest "
                                     "month all farms reported); 20 farms have not reported 2023-12")
    assert light[0].help.startswith("Per Implementation plan for regulating hog production capacity (interim), "
                                    "Ministry of Agriculture and Rural Affairs, Sept 2021 (2021 rule)")


def test_the_state_pills_show_handled_ones_with_their_whole_note(at):
    """Issue 19: the 状态 filter was a multiselect too narrow for its chips; the note was cut."""
    first = int(_events()["event_id"].iloc[0])
    note = "已电话核实：饲料更换导致短期死淘增加，已恢复正常，下月再看"
    at.multiselect(key="warn_pick").set_value([first])
    at.radio(key="warn_new_state").set_value("已处理")
    at.text_area(key="warn_note").input(note)
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception, at.exception
    pills = at.button_group(key="warn_states")
    assert pills.value == ["新", "已查看"] and first not in set(at.dataframe[0].value["编号"])
    pills.set_value(["已处理"]).run()
    table = at.dataframe[0].value
    assert list(table["编号"]) == [first] and list(table["说明"]) == [note]
    assert list(table.columns)[-1] == "说明"  # last and wide: whole on a 1366-pixel screen
    import json

    assert json.loads(at.dataframe[0].proto.columns)["说明"]["width"] == "medium"
    # and whole under the table, whatever its length
    assert any(f"编号 {first} 已处理（office）：{note}" in c.value for c in at.caption)
    pills.set_value([]).run()  # none picked: every state
    assert len(at.dataframe[0].value) == len(_events().query("active"))


def test_a_mortality_figure_just_over_its_limit_reads_over_it(at):
    """A 死淘率 of 1.04 % against the 1 % floor read "1.0%" twice; each row's figure now reads past its limit."""
    table = at.dataframe[0].value
    rows = table[table["规则"] == "死淘率异常"]
    assert len(rows)
    for fig, lim in zip(rows["数值"], rows["界限"], strict=True):
        assert fig != lim and float(fig.rstrip("%")) > float(lim.rstrip("%"))
        assert len(fig.split(".")[1]) == len(lim.split(".")[1])  # the same decimals


def test_the_month_box_reads_all_in_english_on_the_run_that_switches(app_db):
    """The all-months choice was None, which the switch does not write back to the browser: the box
    went on showing "全部" in English until the next run."""
    from analytics.access import accounts, permissions
    from analytics.store.db import Store
    from tests.test_upload_page import ADMIN, app

    with Store(app_db) as s:  # app.py checks the session's account
        accounts.create_user(s, permissions.SYSTEM, ADMIN.username, "pass-for-tests", "admin")
    at = app("pages/warnings.py", ADMIN)
    box = at.selectbox(key="warn_month")
    assert box.value == "all" and box.proto.options[box.proto.default] == "全部"
    at.sidebar.toggle(key="_lang_toggle").set_value(True).run()
    assert not at.exception, at.exception
    box = at.selectbox(key="warn_month").proto
    # the value sent back to the browser, in this very run: the browser shows this label
    assert box.set_value and box.raw_value == "All" and box.options[0] == "All"
    assert len(at.dataframe[0].value) == len(_events())  # and it still means every month
    at.selectbox(key="warn_month").set_value("2023-12").run()
    at.sidebar.toggle(key="_lang_toggle").set_value(False).run()
    assert at.selectbox(key="warn_month").value == "2023-12"
    assert set(at.dataframe[0].value["月份"]) == {"2023-12"}
    at.selectbox(key="warn_month").set_value("all").run()
    at.sidebar.toggle(key="_lang_toggle").set_value(True).run()
    assert at.selectbox(key="warn_month").proto.raw_value == "All"


def test_the_events_grid_fits_1366_px_in_english(app_db):
    """In English the rule names run twice as wide: every column gets a width, the note what is
    left, and the rows wrap, so the note column is on a 1366-pixel screen (906 px of main column)."""
    import json

    from ui.warnings import EVENTS_ROOM_EN

    at = _page("pages/warnings.py", User("office", "viewer"), "en")
    grid = at.dataframe[0].proto
    config = json.loads(grid.columns)
    widths = {c: config[c]["width"] for c in at.dataframe[0].value.columns}
    assert all(isinstance(w, int) for w in widths.values()), widths
    assert sum(widths.values()) == EVENTS_ROOM_EN and EVENTS_ROOM_EN + 37 + 2 <= 906
    assert widths["Note"] >= 100 and list(widths)[-1] == "Note"
    assert grid.row_height > 64  # Streamlit wraps a cell only in rows taller than 4rem
    # the rule table is a plain table: it wraps, whatever the length of a threshold or a source
    assert "Thresholds" in at.table[0].value.columns and not at.dataframe[1:]
