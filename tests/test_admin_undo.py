"""An administrator's unit correction survives the undo of an earlier upload."""

from __future__ import annotations

from analytics import auth, ingest


def land(store, unit: str) -> float | None:
    return store.cursor().execute("SELECT land_mu FROM units WHERE sector = 'duck' AND unit = ?",
                                  [unit]).fetchone()[0]


def test_undo_keeps_the_admins_correction(demo_store):
    before = land(demo_store, "D-001")
    csv = ("月份,合作社,棚号,存栏(羽),占地(亩)\n2024-01,兴旺种鸭专业合作社,D-001,4000,9.5\n").encode()
    result = ingest.ingest(demo_store, csv, "d.csv", auth.SYSTEM)
    assert land(demo_store, "D-001") == 9.5
    auth.update_unit(demo_store, auth.SYSTEM, "duck", "兴旺种鸭专业合作社", "D-001", land_mu=3.3)
    ingest.undo(demo_store, result.upload_id, auth.SYSTEM)
    assert land(demo_store, "D-001") == 3.3
    assert before != 3.3


def test_undo_without_correction_restores_the_old_land(demo_store):
    before = land(demo_store, "D-002")
    csv = ("月份,合作社,棚号,存栏(羽),占地(亩)\n2024-01,兴旺种鸭专业合作社,D-002,4000,9.5\n").encode()
    coop = demo_store.cursor().execute("SELECT cooperative FROM units WHERE unit = 'D-002'").fetchone()[0]
    result = ingest.ingest(demo_store, csv.replace("兴旺种鸭专业合作社".encode(), coop.encode()), "d.csv",
                           auth.SYSTEM)
    assert land(demo_store, "D-002") == 9.5
    ingest.undo(demo_store, result.upload_id, auth.SYSTEM)
    assert land(demo_store, "D-002") == before
