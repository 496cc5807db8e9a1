"""An administrator's unit correction survives the undo of an earlier upload."""

from __future__ import annotations

from analytics import ingest
from analytics.access import permissions
from analytics.store import registry


def land(store, unit: str) -> float | None:
    return store.cursor().execute("SELECT land_mu FROM units WHERE sector = 'duck' AND unit = ?",
                                  [unit]).fetchone()[0]


def test_undo_keeps_the_admins_correction(demo_store):
    before = land(demo_store, "D-001")
    csv = ("月份,合作社,棚号,存栏(羽),占地(亩)\n2024-01,兴旺种鸭专业合作社,D-001,4000,9.5\n").encode()
    result = ingest.ingest(demo_store, csv, "d.csv", permissions.SYSTEM)
    assert land(demo_store, "D-001") == 9.5
    registry.update_unit(demo_store, permissions.SYSTEM, "duck", "兴旺种鸭专业合作社", "D-001", land_mu=3.3)
    ingest.undo(demo_store, result.upload_id, permissions.SYSTEM)
    assert land(demo_store, "D-001") == 3.3
    assert before != 3.3


def test_undo_without_correction_restores_the_old_land(demo_store):
    before = land(demo_store, "D-002")
    csv = ("月份,合作社,棚号,存栏(羽),占地(亩)\n2024-01,兴旺种鸭专业合作社,D-002,4000,9.5\n").encode()
    coop = demo_store.cursor().execute("SELECT cooperative FROM units WHERE unit = 'D-002'").fetchone()[0]
    result = ingest.ingest(demo_store, csv.replace("兴旺种鸭专业合作社".encode(), coop.encode()), "d.csv",
                           permissions.SYSTEM)
    assert land(demo_store, "D-002") == 9.5
    ingest.undo(demo_store, result.upload_id, permissions.SYSTEM)
    assert land(demo_store, "D-002") == before


def test_unit_edits_lists_only_changed_fields():
    import pandas as pd

    before = pd.DataFrame({"sector": ["duck", "hog"], "cooperative": ["A社", "A社"], "unit": ["D1", "H1"],
                           "gh_type": [None, None], "village": ["甲村", None], "zone": [None, "一区"],
                           "land_mu": [2.0, float("nan")]})
    after = before.assign(village=["甲村 ", ""], land_mu=[2.5, None])  # spaces and blanks are no change
    assert registry.unit_edits(before, after) == [
        {"sector": "duck", "cooperative": "A社", "unit": "D1", "land_mu": 2.5}]
