"""Figures built once per question and its numbers, not once per view (issue 20, month-end rush).

Twenty readers of one page must cost the server one build of each chart: ``ui.display.chart``
keeps the built figure, its screen copy and that copy's dict in the process. A commit that
changes a chart's numbers builds it anew; nothing a page does changes a shared figure.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from argon2 import PasswordHasher

from analytics import scope
from analytics.access import accounts, passwords, permissions
from analytics.figures import kpis
from analytics.store.db import Store
from tests.test_pages import fig_arrays, open_page
from tests.test_upload_page import ADMIN, app, correction
from ui import display

GREENHOUSE = {"monthly_bar": 1, "money_trend": 1, "crop_yield_vs_reference": 1, "per_mu_grouped": 1}


@pytest.fixture(autouse=True)
def fresh(monkeypatch, app_db):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "admin-pass-for-tests")
    with Store(app_db) as s:
        accounts.create_user(s, permissions.SYSTEM, "boss", "pass-for-tests", "admin")
    display.BUILDS.clear()
    return app_db


def builds(*names: str) -> dict[str, int]:
    """How often each chart was built (a session opens on the overview first, its charts counted too)."""
    return {n: display.BUILDS[n] for n in names}


OVERVIEW = ("sector_profit_trend", "sector_split", "progress_bars")


def specs(at) -> list[str]:
    return [c.proto.spec for c in at.get("plotly_chart")]


def revenue_bars(at, title: str) -> list[float]:
    """The revenue bars (万元) of the chart whose title starts with ``title``."""
    spec = next(s for s in specs(at) if json.loads(s)["layout"]["title"]["text"].startswith(title))
    return fig_arrays(spec)[0]


def test_two_views_of_a_page_build_its_charts_once(app_db):
    first = open_page("pages/greenhouse.py")
    assert builds(*GREENHOUSE) == GREENHOUSE
    second = open_page("pages/greenhouse.py")  # another session, same year, same numbers
    assert builds(*GREENHOUSE) == GREENHOUSE and builds(*OVERVIEW) == dict.fromkeys(OVERVIEW, 1)
    assert specs(second) == specs(first) and len(specs(first)) == 4
    # what the shared chart shows is the year's numbers: revenue per month in 万元
    with Store(app_db) as s:
        monthly = kpis.monthly(s.cursor(), "greenhouse", scope.Period.year(2023))
    assert revenue_bars(second, "大棚月度收入") == pytest.approx((monthly["revenue"] / 10_000).tolist())
    # English is another question: built once more, then shared too
    open_page("pages/greenhouse.py", lang="en")
    open_page("pages/greenhouse.py", lang="en")
    assert builds(*GREENHOUSE) == {name: 2 for name in GREENHOUSE}


def test_a_commit_that_changes_the_numbers_builds_anew(app_db):
    data, added = correction(app_db)  # duck revenue of December 2023 +10,000 元 on 20 sheds
    before = revenue_bars(open_page("pages/duck.py"), "种鸭月度收入")
    for page in ("pages/duck.py", "pages/hog.py", "pages/hog.py"):
        open_page(page)
    assert builds("stock_trend", "money_trend") == {"stock_trend": 2, "money_trend": 2}  # one duck, one hog
    at = app("pages/upload.py", ADMIN)
    at.file_uploader[0].upload("12月更正.csv", data, "text/csv").run()
    at.button(key="up_confirm").click().run()
    assert "已导入" in at.success[0].value
    after = revenue_bars(open_page("pages/duck.py"), "种鸭月度收入")
    for page in ("pages/duck.py", "pages/hog.py"):
        open_page(page)
    # the duck charts again, once (their monthly numbers changed); the hog charts are still warm
    assert builds("stock_trend", "money_trend") == {"stock_trend": 3, "money_trend": 3}
    assert after[:-1] == pytest.approx(before[:-1])
    assert after[-1] == pytest.approx(before[-1] + added / 10_000)


def test_no_page_changes_a_shared_figure(app_db):
    pages = ["pages/overview.py", "pages/duck.py", "pages/hog.py", "pages/greenhouse.py", "pages/per_mu.py"]
    for page in pages * 2:
        open_page(page)
    built = list(display.BUILT)
    assert len(built) >= 14
    for chart in built:
        assert display.digest(chart.fig, chart.screen) == chart.digest
        # the screen copy's dict is made once and is what a fresh copy of the figure gives
        assert chart.screen.to_dict() is chart.screen.to_dict()
        assert (pio.to_json(chart.screen.to_dict(), validate=False)
                == pio.to_json(go.Figure(chart.screen), validate=False))


PRESENT = {"sector_profit_trend": 1, "money_trend": 2, "per_mu_grouped": 1, "progress_bars": 1, "cross_sector": 1}


def test_the_present_views_build_their_charts_once(app_db):
    from tests.test_present_page import open_present, views

    first = open_present({"year": "2022", "view": "duck"})
    assert builds(*PRESENT) == PRESENT  # the deck's charts: ducks and hogs each a money trend
    second = open_present({"year": "2022", "view": "duck"})  # another session, same numbers
    third = open_present({"year": "2022", "view": "hog"})  # another view of the same deck
    assert builds(*PRESENT) == PRESENT
    assert views(second) == views(first) and views(third) != views(first)
    assert all("data:image/png;base64," in v for v in (*views(first), *views(third)))
    # the shared figures are the deck's: the duck view's chart is the duck money trend of 2022
    deck_fig = next(c.fig for c in display.BUILT if c.fig.layout.title.text.startswith("种鸭月度收入"))
    with Store(app_db) as s:
        monthly = kpis.monthly(s.cursor(), "duck", scope.Period.year(2022))
    assert list(deck_fig.data[0].y) == pytest.approx((monthly["revenue"] / 10_000).tolist())
    assert display.shared(deck_fig) is not None
    # English is another question: built once more, then shared too
    open_present({"year": "2022", "view": "duck"}, lang="en")
    open_present({"year": "2022", "view": "hog"}, lang="en")
    assert builds(*PRESENT) == {name: 2 * n for name, n in PRESENT.items()}
    for chart in display.BUILT:  # and no view changed a shared figure
        assert display.digest(chart.fig, chart.screen) == chart.digest
