"""missing_by_town: month_completeness's ``missing`` (reported the month before, not this month)
per town, written once and read by the 能繁母猪 light and events: the towns add up to the park."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.figures.completeness import missing_by_town, month_completeness, silent_units
from analytics.scope import Filters, Period
from analytics.store.db import Store
from tests.test_sows_light_towns import county as county  # noqa: F401 — the fixture, shared

YEARS = Period(date(2021, 1, 1), date(2023, 12, 1))


def _mi(m: str) -> int:
    return int(m[:4]) * 12 + int(m[5:]) - 1


@pytest.fixture(scope="module")
def towns(county) -> list[str]:
    """The county's towns, the late one (one more hog farm silent in 2023-12) first."""
    path, late = county
    with Store(path) as s:
        names = [r[0] for r in s.cursor().execute("SELECT DISTINCT town FROM cooperatives ORDER BY 1").fetchall()]
    return [late, *(t for t in names if t != late)]


@pytest.mark.parametrize("sector", ["duck", "hog", "greenhouse"])
def test_the_towns_add_up_to_the_parks_missing(county, towns, sector):
    path, _ = county
    with Store(path) as s:
        cur = s.cursor()
        park = month_completeness(cur, sector, YEARS)
        by_town = missing_by_town(cur, sector, _mi("2021-01"), _mi("2023-12"))
        assert set(by_town) <= set(towns)
        summed = [sum(t.get(_mi(m), 0) for t in by_town.values()) for m in park["month"]]
        assert summed == park["missing"].tolist()
        if sector == "hog":  # the demo's late farms: the sum is not 0 = 0
            assert park["missing"].iloc[-1] > 0
        # Each town's figure is month_completeness's with that town filtered.
        for town in towns:
            own = month_completeness(cur, sector, YEARS, Filters(towns=(town,)))
            assert [by_town.get(town, {}).get(_mi(m), 0) for m in own["month"]] == own["missing"].tolist()


def test_the_late_farm_counts_in_its_own_town_and_towns_narrow_the_answer(county, towns):
    path, _ = county
    with Store(path) as s:
        cur = s.cursor()
        dec = _mi("2023-12")
        got = missing_by_town(cur, "hog", dec, dec)
        # The towns are copies of the demo park: the first has exactly one more farm silent.
        assert got[towns[0]][dec] == got[towns[1]][dec] + 1 == got[towns[2]][dec] + 1
        assert got[towns[0]][dec] == len(silent_units(cur, "hog", "2023-12", Filters(towns=(towns[0],))))
        assert missing_by_town(cur, "hog", dec, dec, (towns[1],)) == {towns[1]: got[towns[1]]}
        assert missing_by_town(cur, "hog", dec, dec, ("没有这个镇",)) == {}


def test_the_silent_units_by_town_are_the_parks_with_their_towns(county, towns):
    path, late = county
    with Store(path) as s:
        cur = s.cursor()
        park = silent_units(cur, "hog", "2023-12")
        by_town = silent_units(cur, "hog", "2023-12", by_town=True)
        assert by_town[["cooperative", "unit"]].values.tolist() == park[["cooperative", "unit"]].values.tolist()
        counts = by_town["town"].value_counts().to_dict()
        assert counts[late] == counts[towns[1]] + 1 and set(counts) == set(towns)
        assert by_town.loc[by_town["town"] == late, ["cooperative", "unit"]].values.tolist() == \
            silent_units(cur, "hog", "2023-12", Filters(towns=(late,)))[["cooperative", "unit"]].values.tolist()
