"""亩均对比 compares a whole year (issue 19): a month, a 1—N月 累计 or a year in progress set against
the yearly yardsticks (亩均效益 5,000 元/亩, the reference yields) read as a wall of zeros."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analytics.figures import per_mu
from analytics.meeting import charts
from analytics.scope import Period
from analytics.store.db import Store
from tests.conftest import ROOT
from tests.test_pages import fig_arrays


def year_months(*years: int) -> list[str]:
    return [f"{y}-{m:02d}" for y in years for m in range(1, 13)]


@pytest.mark.parametrize(("period", "months", "expected"), [
    (Period.months("2023-12", "2023-12"), year_months(2022, 2023), Period.year(2023)),   # a month of a whole year
    (Period.months("2023-06", "2023-06"), year_months(2022, 2023), Period.year(2023)),
    (Period.year(2023), year_months(2022, 2023), Period.year(2023)),                      # the year itself
    (Period.months("2024-01", "2024-01"), [*year_months(2022, 2023), "2024-01"], Period.year(2023)),  # in progress
    (Period.year(2024), [*year_months(2023), "2024-01", "2024-02"], Period.year(2023)),
    (Period.months("2022-01", "2022-03"), year_months(2022, 2023), Period.year(2022)),   # not a later year
    (Period.months("2021-06", "2021-06"), ["2021-06"], None),    # no whole year
    (Period.year(2023), year_months(2023)[1:], None),                   # January missing
])
def test_yearly_basis(period, months, expected):
    assert per_mu.yearly_basis(period, months) == expected


def test_years_basis_spans_whole_years_only():
    assert per_mu.whole_years([*year_months(2021, 2022, 2023), "2024-01"]) == [2021, 2022, 2023]
    assert per_mu.years_basis([*year_months(2021, 2022, 2023), "2024-01"]) == Period.months("2021-01", "2023-12")
    assert per_mu.years_basis(["2024-01"]) is None


def open_month(month: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.query_params["month"] = month
    at.run()
    at.switch_page("pages/per_mu.py").run()
    assert not at.exception, at.exception
    return at


def test_a_month_is_compared_on_its_whole_year_and_the_page_says_so(app_db):
    """/per_mu?month=2023-12: the figures of the whole of 2023 (not December's 2,199 against
    5,000), the yardsticks drawn, and a line naming the period chosen and the one compared."""
    at = open_month("2023-12")
    note = " ".join(i.value for i in at.info)
    assert "所选期间为2023年12月，本页按2023年全年对比" in note and "全年标准" in note
    with Store(app_db) as s:
        year = per_mu.per_mu_by(s.cursor(), "crop", Period.year(2023)).set_index("group")
        month = per_mu.per_mu_by(s.cursor(), "crop", Period.months("2023-12", "2023-12")).set_index("group")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    crops = spec["data"][1]["x"]
    for crop, v in zip(crops, fig_arrays(at.get("plotly_chart")[0].proto.spec)[1]):
        assert v == pytest.approx(year.loc[crop, "profit_per_mu"])
    assert any(month.loc[c, "profit_per_mu"] != pytest.approx(year.loc[c, "profit_per_mu"]) for c in crops)
    # the yield chart: no crop at 0 kg/mu (a December with no harvest); the bands drawn
    yields = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert min(fig_arrays(at.get("plotly_chart")[1].proto.spec)[0]) > 0
    assert yields["layout"]["shapes"]
    # the bottom-10 list is not a list of zeros
    bottom = at.dataframe[1].value
    assert (bottom["亩均效益(元/亩)"] != 0).any()
    # the captions name the year compared
    assert all("期间：2023年" in c.value and "2023年12月" not in c.value for c in at.caption if "期间：" in c.value)


def test_the_histogram_keeps_its_yardstick_label_inside_the_plot(app_db):
    at = open_month("2023-12")
    hist = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "亩均效益分布" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    (label,) = [a for a in hist["layout"]["annotations"] if "5,000" in a["text"]]
    # under the plot's top edge (y = 1 of the plot, anchored by its top): above it, it was cut
    assert label["y"] == 1 and label["yanchor"] == "top" and label["yref"] == "paper"
    assert [s["x0"] for s in hist["layout"]["shapes"]] == [charts.POLICY_PROFIT_PER_MU]


def test_a_month_of_a_year_in_progress_uses_the_last_whole_year(app_db):
    """2024-01 loaded (a year in progress): the page compares 2023 and says so; 按年份 leaves 2024 out."""
    from analytics import ingest
    from analytics.access.permissions import SYSTEM
    from tests.test_review import SAMPLE

    with Store(app_db) as s:
        ingest.ingest(s, SAMPLE.read_bytes(), "duck_2024-01.csv", SYSTEM)
        assert "2024-01" in [m for (m,) in s.cursor().execute(
            "SELECT DISTINCT strftime(month, '%Y-%m') FROM duck_records").fetchall()]
    at = open_month("2024-01", "en")
    note = " ".join(i.value for i in at.info)
    assert "The period chosen is 2024-01; this page compares the whole of 2023." in note
    at.get("button_group")[0].set_value("year").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [str(x) for x in spec["data"][0]["x"]] == ["2021", "2022", "2023"]


def test_without_a_whole_year_the_yardsticks_are_not_drawn(app_db):
    """A park with only part of a year: its figures, no 5,000 line, no bands, and a warning why."""
    with Store(app_db) as s:
        for table in ("duck_records", "hog_records", "greenhouse_records", "coop_months"):
            s.cursor().execute(f"DELETE FROM {table} WHERE month < DATE '2023-03-01'")
    import streamlit as st

    st.cache_data.clear()
    at = open_month("2023-12")
    assert any("还没有一整年" in w.value and "不画" in w.value for w in at.warning)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 4
    for spec in specs:
        assert not spec["layout"].get("shapes") and not any(
            "5,000" in a.get("text", "") for a in spec["layout"].get("annotations", []))
