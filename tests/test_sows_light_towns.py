"""The 能繁母猪 light reads every town in a few queries (a county of a hundred towns took 9 s
town by town at 10M records); each town's answer is still the one the per-town 口径 gives:
month_completeness's missing farms, silent_units's names, the latest complete month judged."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.figures import rollups
from analytics.figures import warnings as w
from analytics.figures.completeness import month_completeness, silent_units
from analytics.scope import Filters, Period
from analytics.store import demo
from analytics.store.db import Store


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """The demo as three towns; one more hog farm of one town has not reported 2023-12."""
    path = tmp_path_factory.mktemp("county") / "county.duckdb"
    with Store(path) as s:
        demo.load(s, towns=3)
        cur = s.cursor()
        town = sorted(w.sows_normal(cur))[0]
        cur.execute("""
            DELETE FROM hog_records WHERE month = DATE '2023-12-01' AND (cooperative, unit) IN (
                SELECT r.cooperative, r.unit FROM hog_records r JOIN cooperatives c ON c.name = r.cooperative
                WHERE c.town = ? AND r.month = DATE '2023-12-01' ORDER BY 1, 2 LIMIT 1)""", [town]).fetchall()
        rollups.rebuild_rollups(cur, 999)
    return path, town


def test_each_town_as_its_own_query_would_judge_it(county):
    path, late_town = county
    with Store(path) as s:
        cur = s.cursor()
        lights = {x["town"]: x for x in w.sows_light(cur, "2023-12")}
        assert len(lights) == 3
        for town, light in lights.items():
            silent = silent_units(cur, "hog", "2023-12", Filters(towns=(town,)))
            assert light["missing"] == len(silent)
            assert light["missing_units"] == list(zip(silent["cooperative"], silent["unit"], strict=True))
            done = month_completeness(cur, "hog", Period(date(2020, 1, 1), date(2023, 12, 1)), Filters(towns=(town,)))
            complete = [m for m, ok in zip(done["month"], done["complete"], strict=True) if ok]
            assert light["judged"] == ("2023-12" if not len(silent) else max(m for m in complete if m < "2023-12"))
        # The towns are copies of the demo park (its 20 farms late in 2023-12): one more here.
        others = [x["missing"] for t, x in lights.items() if t != late_town]
        assert others[0] == others[1] > 0 and lights[late_town]["missing"] == others[0] + 1
        assert {x["judged"] for x in lights.values()} == {"2023-11"}
        # One town asked: the same answer as in the county's list.
        assert w.sows_light(cur, "2023-12", (late_town,)) == [lights[late_town]]


def test_a_town_incomplete_for_more_than_a_year_is_judged_further_back(tmp_path):
    """The light looks at the last 13 months first; a town with no complete month in them is
    judged on the latest complete month before, as the whole history would judge it."""
    with Store(tmp_path / "gap.duckdb") as s:
        demo.load(s, towns=1)
        cur = s.cursor()
        farms = cur.execute("""SELECT DISTINCT cooperative, unit FROM hog_records WHERE month = DATE '2022-10-01'
                               ORDER BY 1, 2 LIMIT 14""").fetchall()
        # One farm skips each month from 2022-11 to 2023-12: fourteen incomplete months in a row.
        for i, (coop, unit) in enumerate(farms):
            month = date(2022 + (10 + i) // 12, (10 + i) % 12 + 1, 1)
            cur.execute("DELETE FROM hog_records WHERE cooperative = ? AND unit = ? AND month = ?",
                        [coop, unit, month]).fetchall()
        rollups.rebuild_rollups(cur, 999)
        (light,) = w.sows_light(cur, "2023-12")
        done = month_completeness(cur, "hog", Period(date(2020, 1, 1), date(2023, 12, 1)))
        complete = [m for m, ok in zip(done["month"], done["complete"], strict=True) if ok]
        assert light["missing"] > 0
        assert light["judged"] == max(m for m in complete if m < "2023-12")
        assert light["judged"] < "2022-12"  # outside the 13 months looked at first
