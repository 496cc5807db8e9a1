"""报送进度 and the reporting cycle on the pages (AppTest): statuses, 催报, review, a manager's view, pending=1."""

from __future__ import annotations

from datetime import date as date_

import pytest

from analytics import ingest
from analytics.access import accounts
from analytics.access.permissions import SYSTEM, Actor
from analytics.store.db import Store
from tests.test_auth_ui import COOP, app, app_env  # noqa: F401 - app_env is a fixture
from tests.test_review import SAMPLE, corrected
from ui import cache
from ui.auth import User

ADMIN = User("admin", "admin")
MANAGER = User("wang", "manager", COOP)


@pytest.fixture
def submitted(app_env):  # noqa: F811 - the fixture, imported above
    """The demo park with wang's 2024-01 duck file awaiting review."""
    with Store(app_env) as s:
        sid = ingest.ingest(s, SAMPLE.read_bytes(), "duck_2024-01.csv", Actor("wang", "manager", COOP)).submission_id
        accounts.create_user(s, SYSTEM, "zhao", "long-enough-password-1", "reviewer")
    return sid


def texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
                    + [w.value for w in at.warning] + [i.value for i in at.info] + [e.value for e in at.error])


def test_progress_shows_the_submission_pending_and_the_office_returns_then_accepts(submitted):
    at = app("pages/reporting.py", ADMIN)
    at.selectbox(key="rp_month").set_value("2024-01").run()
    assert not at.exception, at.exception
    head = at.markdown[0].value if at.markdown[0].value.startswith("###") else texts(at)
    assert "待审核 1" in head and "已通过 0" in head
    table = at.dataframe[0].value
    row = table[table["合作社"] == COOP].iloc[0]
    assert row["状态"].startswith("待审核") and row["提交人"] == "wang" and row["单元数"] == "54"
    # 催报: the other cooperatives of the demo are 未报 for 2024-01, with the text to paste.
    assert at.code and "尚未上报月报" in at.code[0].value and "截止2月5日" in at.code[0].value
    # Returning needs a reason: nothing happens without one.
    at.button(key="rp_return").click().run()
    assert "退回必须写明原因" in texts(at)
    assert cache.store().cursor().execute("SELECT state FROM submissions WHERE submission_id = ?",
                                          [submitted]).fetchone() == ("pending",)
    at.text_area(key="rp_reason").input("D-001 收入偏低，请核对").run()
    at.button(key="rp_return").click().run()
    assert not at.exception, at.exception
    assert f"已退回报送 {submitted}" in texts(at)
    assert cache.store().cursor().execute("SELECT state, reason, reviewed_by FROM submissions WHERE submission_id = ?",
                                          [submitted]).fetchone() == ("returned", "D-001 收入偏低，请核对", "admin")
    # The manager sees the reason on the upload page.
    up = app("pages/upload.py", MANAGER)
    assert "已被退回" in texts(up) and r"D\-001 收入偏低，请核对" in texts(up)  # Markdown-escaped
    # A corrected file, then the office accepts it.
    s = cache.store()
    sid2 = ingest.ingest(s, corrected(), "duck_fixed.csv", Actor("wang", "manager", COOP)).submission_id
    at = app("pages/reporting.py", User("zhao", "reviewer"))
    at.selectbox(key="rp_month").set_value("2024-01").run()
    assert at.selectbox(key="rp_pick").value == sid2
    cmp = at.dataframe[-1].value
    assert {"报送值", "已通过值", "上月", "去年同月"} <= set(cmp.columns)
    at.button(key="rp_accept").click().run()
    assert not at.exception, at.exception
    assert f"已通过报送 {sid2}" in texts(at)
    assert "已通过 1" in texts(at)
    assert s.cursor().execute("SELECT count(*) FROM duck_records WHERE month = '2024-01-01'").fetchone() == (54,)


def test_viewer_sees_progress_but_cannot_review_manager_cannot_open(submitted):
    at = app("pages/reporting.py", User("li", "viewer"))
    assert not at.exception
    assert not [b for b in at.button if b.key in ("rp_accept", "rp_return")]
    from ui import auth

    assert not auth.may_open(MANAGER, "reporting")  # the office's page; the manager's status is on 上传月报
    assert all(auth.may_open(User("x", r), "reporting") for r in ("admin", "reviewer", "viewer"))


def test_english(submitted):
    at = app("pages/reporting.py", ADMIN, lang="en")
    at.selectbox(key="rp_month").set_value("2024-01").run()
    assert not at.exception
    assert "Awaiting review 1" in texts(at) and "has not been submitted yet" in at.code[0].value


def test_pending_switch_adds_the_submission_and_says_so(submitted):
    base = app("pages/overview.py", ADMIN)
    assert "含待审核数据" not in texts(base)
    at = AppTestWithQuery("pages/duck.py", {"pending": "1", "from": "2024-01", "to": "2024-01"})
    assert "含待审核数据：以下数字包含尚未审核通过的报送" in texts(at)
    assert at.toggle(key="f_pending").value is True
    assert dict(at.query_params) == {"from": "2024-01", "to": "2024-01", "pending": "1"}
    # The submission's 54 sheds of 2024-01, as accepting it would count them.
    assert next(m.value for m in at.metric if m.label == "单元数") == "54 棚"
    # Switched off: the accepted figures (2024-01 has none, so the month is not offered).
    at.toggle(key="f_pending").set_value(False).run()
    assert "含待审核数据：" not in texts(at) and "pending" not in dict(at.query_params)


def AppTestWithQuery(page: str, params: dict):  # noqa: N802 - reads like the AppTest it builds
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.session_state["auth_user"] = ADMIN
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_review_screen_reads_as_text_with_separators_and_dashes(app_env):  # noqa: F811 - the fixture
    """Issue 18: the header showed its Markdown asterisks, empty cells "None", values without separators."""
    from tests.test_ingest import DUCK_HEADER
    from tests.test_tables_fit import NOT_A_VALUE, shown

    data = (f"{DUCK_HEADER}\n2024-01,{COOP},D-001,3900,60000,18,24000,85000,70000,2\n"
            f"2024-01,{COOP},D-NEW,120,1500,0,800,2000.5,1000,1\n").encode()
    with Store(app_env) as s:
        sid = ingest.ingest(s, data, "13_month-yue-fen.csv", Actor("wang", "manager", COOP)).submission_id
        last = s.cursor().execute("SELECT stock FROM duck_records WHERE cooperative = ? AND unit = 'D-001' "
                                  "AND month = DATE '2023-12-01'", [COOP]).fetchone()[0]
    at = app("pages/reporting.py", ADMIN)
    at.selectbox(key="rp_month").set_value("2024-01").run()
    assert not at.exception and at.selectbox(key="rp_pick").value == sid
    # The file name is bold Markdown (not escaped asterisks); the stored text is escaped, so it reads as typed.
    head = next(m.value for m in at.markdown if "13" in m.value and "month" in m.value)
    assert head.startswith(r"**13\_month\-yue\-fen\.csv**：" + COOP + "，种鸭，月份 2024\\-01，2 行，wang 提交于 ")
    assert r"\*" not in head
    cmp = next(d for d in at.dataframe if "报送值" in d.value.columns)
    cells = shown(cmp)
    assert not NOT_A_VALUE & set(cells.to_numpy().ravel())
    stock = cells[cells["指标"] == "存栏(羽)"].set_index("单元")
    assert stock.loc["D-001", ["报送值", "已通过值", "上月"]].tolist() == ["3,900", "—", f"{last:,.0f}"]
    assert stock.loc["D-NEW", ["报送值", "已通过值", "上月", "去年同月"]].tolist() == ["120", "—", "—", "—"]
    eggs = cells[cells["指标"] == "产蛋(枚)"].set_index("单元")
    assert eggs.loc["D-001", "报送值"] == "60,000"
    revenue = cells[cells["指标"] == "销售收入(元)"].set_index("单元")
    assert revenue.loc["D-NEW", "报送值"] == "2,000.5"


def test_the_page_opens_on_the_month_the_office_is_collecting(app_env):  # noqa: F811 - the fixture
    """The demo stops at 2023-12: the page opens there, with its counts, not on the calendar's
    empty month; the calendar's month is still in the list."""
    from datetime import date

    from analytics.figures import reporting

    at = app("pages/reporting.py", ADMIN)
    assert at.selectbox(key="rp_month").value == "2023-12"
    due = reporting.reporting_month(date.today())
    assert f"{int(due[:4])}年{int(due[5:])}月" in at.selectbox(key="rp_month").options
    with Store(app_env) as s:
        c = reporting.counts(reporting.month_status(s.cursor(), "2023-12"))
    head = next(m.value for m in at.markdown if m.value.startswith("###"))
    assert c["accepted"] == 10
    assert head == f"### 已通过 10 · 待审核 0 · 已退回 0 · 未报 {c['missing']}（逾期 {c['overdue']}）"
    # a link's month wins
    at = AppTest_with_month("2023-06")
    assert at.selectbox(key="rp_month").value == "2023-06"


def AppTest_with_month(month: str):  # noqa: N802 - reads as what it opens
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.session_state["auth_user"] = ADMIN
    at.query_params["month"] = month
    at.switch_page("pages/reporting.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("reported", "today", "expected"), [
    ({"2026-10", "2026-11"}, date_(2026, 12, 6), "2026-11"),  # on the calendar
    ({"2026-09", "2026-10"}, date_(2026, 12, 2), "2026-11"),  # November not sent yet: still November's 未报
    ({"2023-11", "2023-12"}, date_(2026, 12, 6), "2023-12"),  # behind the calendar (the demo)
    ({"2025-11", "2025-12"}, date_(2026, 1, 10), "2025-12"),  # January collects December
    (set(), date_(2026, 1, 10), "2025-12"),                   # nothing yet: the calendar's month
    ({"2024-01", "2023-12"}, date_(2026, 12, 6), "2024-01"),  # a submission of a later month counts
])
def test_collecting_month(reported, today, expected):
    from analytics.figures import reporting

    assert reporting.collecting_month(reported, today) == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_progress_and_chase_tables_read_as_the_office_writes(app_env, lang):  # noqa: F811 - the fixture
    """Issue 19: the 催报 table showed a raw "sector_keys" column ("hog" chips), the progress table
    "None" under 单元数 for a cooperative that has not reported."""
    from tests.test_tables_fit import NOT_A_VALUE, shown

    at = app("pages/reporting.py", ADMIN, lang=lang)
    assert not at.exception, at.exception
    progress, chase = at.dataframe[0], at.dataframe[1]
    zh = lang == "zh"
    assert list(progress.value.columns) == (
        ["合作社", "板块", "状态", "提交时间", "提交人", "单元数", "提醒", "退回原因", "报送编号"] if zh else
        ["Cooperative", "Sector", "Status", "Submitted", "By", "Units", "Warnings", "Reason returned", "Submission"])
    assert list(chase.value.columns) == (["合作社", "板块", "状态", "逾期", "截止日期", "管理员"] if zh else
                                         ["Cooperative", "Sectors", "Status", "Overdue", "Deadline", "Managers"])
    cells = shown(progress)
    assert not NOT_A_VALUE & set(cells.to_numpy().ravel())
    units = cells.set_index(cells.columns[2])[cells.columns[5]]
    missing = units[units.index.str.startswith("未报" if zh else "Not reported")]
    assert len(missing) and set(missing) == {"—"}  # nothing reported: a dash, never "None" or 0
    assert units[units.index.str.startswith("已通过" if zh else "Accepted")].str.fullmatch(r"[\d,]+").all()
    chased = shown(chase)
    assert not NOT_A_VALUE & set(chased.to_numpy().ravel())
    assert set(chased[chased.columns[1]]) <= ({"种鸭", "生猪", "大棚", "种鸭、生猪"} if zh else
                                               {"Breeder ducks", "Hogs", "Greenhouses", "Breeder ducks, Hogs"})
    assert not {"hog", "duck", "greenhouse"} & set(chased.to_numpy().ravel())
    assert "sector_keys" not in " ".join(map(str, chase.value.columns))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_deadline_reads_in_plain_words_with_the_set_day(submitted, app_env, monkeypatch, lang):  # noqa: F811
    """The caption named the setting (PARK_REPORT_DEADLINE_DAY) and said "第 N 天" to office staff:
    it says the day the setting holds, in words; the setting's name is in the README only."""
    from analytics.ingest import review

    monkeypatch.setenv("PARK_REPORT_DEADLINE_DAY", "10")
    at = app("pages/reporting.py", ADMIN, lang=lang)
    at.selectbox(key="rp_month").set_value("2024-01").run()
    assert not at.exception, at.exception
    usual = ("截止日期：2024年2月10日（每月 10 日前报上月数据；本月可单独调整）" if lang == "zh" else
             "Deadline: 2024-02-10 (each month's figures are due by day 10 of the following month; "
             "this month may be moved)")
    assert any(c.value.startswith(usual) for c in at.caption), [c.value for c in at.caption]
    shown = texts(at) + " ".join(e.label for e in at.expander)
    assert "PARK_" not in shown and "第 N 天" not in shown and "day N" not in shown
    with Store(app_env) as s:  # one month moved: the caption says so, and still gives the usual day
        review.set_deadline(s, "2024-01", date_(2024, 2, 14), SYSTEM)
    at = app("pages/reporting.py", ADMIN, lang=lang)
    at.selectbox(key="rp_month").set_value("2024-01").run()
    moved = ("截止日期：2024年2月14日（每月 10 日前报上月数据；本月已单独调整）" if lang == "zh" else
             "Deadline: 2024-02-14 (each month's figures are due by day 10 of the following month; "
             "moved for this month)")
    assert any(c.value.startswith(moved) for c in at.caption), [c.value for c in at.caption]
