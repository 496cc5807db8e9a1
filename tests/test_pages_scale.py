"""Every page through AppTest on a store of ten towns (~1 million records), and the town filter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import fmt
from analytics.access import permissions
from analytics.figures import compare, kpis
from analytics.scope import Filters, Period
from analytics.store import demo
from analytics.store.db import Store
from tests.conftest import ROOT, NavigationPagesManager

PAGES = ["pages/overview.py", "pages/duck.py", "pages/hog.py", "pages/greenhouse.py", "pages/per_mu.py",
         "pages/present.py", "pages/upload.py", "pages/uploads.py", "pages/admin.py"]


@pytest.fixture(scope="session")
def million_db(tmp_path_factory) -> Path:
    """Ten copies of the demo park (986,370 records), built once through the bulk path."""
    path = tmp_path_factory.mktemp("million") / "million.duckdb"
    with Store(path) as s:
        counts = demo.load(s, towns=10)
    assert sum(counts.values()) > 980_000
    return path


@pytest.fixture
def million_app(monkeypatch, tmp_path, million_db):
    import streamlit as st
    from streamlit.testing.v1 import app_test

    path = tmp_path / "m.duckdb"
    shutil.copy(million_db, path)
    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)
    monkeypatch.setenv("PARK_DB", str(path))
    monkeypatch.setenv("PARK_PUBLIC_VIEW", "1")
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "admin-password-1")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def open_as_admin(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["auth_user"] = permissions.Actor("admin", "admin")
    at.session_state["lang"] = "zh"
    at.query_params["year"] = "2023"  # the figures compared are the year 2023 (the landing is 本月)
    at.run()
    at.switch_page(page).run()
    return at


def test_every_page_renders_at_a_million_records(million_app):
    with Store(million_app, read_only=True) as s:
        k = kpis.park_kpis(s.cursor(), Period.year(2023))
        by_town = compare.comparisons(s.cursor(), Period.year(2023), Filters(), True)["total"]["yoy"]["by_town"]
    assert len(k["by_town"]) == 10
    for page in PAGES:
        at = open_as_admin(page)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        if page == "pages/overview.py":
            assert {m.label: m.value for m in at.metric}["利润"] == fmt.money(k["total"]["profit"])
            towns = next(d.value for d in at.dataframe if "乡镇" in d.value.columns)
            assert len(towns) == 10
            # each town's profit 同比 over its units in both years (figures.compare), as the cards
            assert dict(zip(towns["乡镇"], towns["利润同比"], strict=True)) == {
                town: fmt.pct(c["change"]["profit"]) for town, c in by_town.items()}
        if page == "pages/greenhouse.py":
            assert len(at.dataframe[0].value) == 50  # one page of 26,370 plots, not all of them
            assert at.dataframe[0].value.columns[0] == "乡镇"  # several towns: which one a plot is in
            assert f"共 {k['greenhouse']['units']:,} 个单元" in " ".join(c.value for c in at.caption)


def test_town_filter_appears_with_several_towns_and_narrows_the_figures(million_app):
    at = open_as_admin("pages/hog.py")
    town = demo.town_names(10)[3]
    at.sidebar.multiselect(key="f_town").set_value([town]).run()
    assert not at.exception, at.exception
    from ui import cache

    one = kpis.sector_kpis(cache.store().cursor(), "hog", Period.year(2023), Filters(towns=(town,)))
    assert {m.label: m.value for m in at.metric}["存栏"] == fmt.count(one["stock"], "头")
    assert f"乡镇：{town}" in " ".join(c.value for c in at.caption)
    units = at.dataframe[0].value
    assert units.columns[0] == "乡镇" and set(units["乡镇"]) == {town}
    # The cooperative list follows the chosen town.
    assert all(c.startswith(town.removesuffix("镇")) for c in at.sidebar.multiselect(key="f_coop").options)


def test_a_township_store_shows_no_town_filter(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "f_town" not in [w.key for w in at.sidebar.multiselect]
    assert not any("乡镇" in d.value.columns for d in at.dataframe)
    at.switch_page("pages/hog.py").run()
    assert not at.exception and at.dataframe[0].value.columns[0] != "乡镇"  # one town: no column for it
