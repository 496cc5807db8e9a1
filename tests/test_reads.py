"""Small reads the pages make on every run, kept cheap at 10M records (issue 19.6): the as-of
badges' latest months, the months with data, and a period's open 预警. Answers by hand or
straight from the records."""

from __future__ import annotations

import pytest

from analytics.figures import lists, warnings
from tests.test_warnings import park as park  # noqa: F401 — the fixture, reused


def test_last_reports_are_each_units_latest_record(demo_store):
    cur = demo_store.cursor()
    pairs = cur.execute("""SELECT cooperative, unit FROM units WHERE sector = 'hog'
                           ORDER BY unit_id LIMIT 5""").fetchall()
    coops, units = [c for c, _ in pairs], [u for _, u in pairs]
    got = lists.last_reports(cur, "hog", coops, units)
    want = {(c, u): cur.execute("SELECT strftime(max(month), '%Y-%m') FROM hog_records "
                                "WHERE cooperative = ? AND unit = ?", [c, u]).fetchone()[0]
            for c, u in pairs}
    assert got == want and len(got) == 5
    # a pair that is not a unit of the sector is left out; the lists must pair up
    assert lists.last_reports(cur, "duck", coops[:1], units[:1]) == {}
    assert lists.last_reports(cur, "hog", [], []) == {}
    with pytest.raises(ValueError, match="个数不一致"):
        lists.last_reports(cur, "hog", coops, units[:2])


def test_months_with_data_are_formatted_once(demo_store):
    cur = demo_store.cursor()
    want = [r[0] for r in cur.execute("""SELECT DISTINCT strftime(month, '%Y-%m') AS m FROM (
        SELECT month FROM duck_records UNION ALL SELECT month FROM hog_records
        UNION ALL SELECT month FROM greenhouse_records) ORDER BY m""").fetchall()]
    assert lists.available_months(cur) == want and want[-1] == "2023-12"


def test_open_warnings_of_a_period(park):
    """The park of test_warnings: open events in 2023-02, 2023-06, 2023-07 and 2024-06 (and the
    loss streak); ``within`` keeps a period's months only."""
    cur = park.cursor()
    every = warnings.open_warnings(cur)
    got = warnings.open_warnings(cur, None, ("2024-01", "2024-12"))
    assert list(got["month"]) == ["2024-06"] and list(got["rule_id"]) == ["sows_zone"]
    assert len(warnings.open_warnings(cur, None, ("2023-06", "2023-07"))) == \
        len(every[every["month"].between("2023-06", "2023-07")]) >= 2
    assert warnings.open_warnings(cur, None, ("2030-01", "2030-12")).empty
