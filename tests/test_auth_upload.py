"""A cooperative manager writes only their own cooperative: in analytics and through the upload page."""

from __future__ import annotations

import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM, Actor, PermissionDenied
from analytics.ingest import review
from tests.conftest import ROOT
from tests.test_auth_ui import COOP, app, app_env  # noqa: F401 - app_env is a fixture
from ui import cache
from ui.auth import User

SAMPLE = ROOT / "data" / "samples" / "duck_2024-01.csv"
OTHER = "金羽种鸭专业合作社"
MANAGER = Actor("wang", "manager", COOP)


def own_file() -> bytes:
    return SAMPLE.read_bytes()


def mixed_file() -> bytes:
    """The sample with its last three rows moved to another cooperative."""
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    assert all(COOP in line for line in lines[1:])
    lines[-3:] = [line.replace(COOP, OTHER) for line in lines[-3:]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def other_file() -> bytes:
    return SAMPLE.read_text(encoding="utf-8-sig").replace(COOP, OTHER).encode("utf-8")


def snapshot(store) -> dict:
    """Everything an upload could touch."""
    cur = store.cursor()
    out = {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
           for t in ("uploads", "duck_records", "duck_records_history", "units", "cooperatives")}
    out["duck_2024"] = cur.execute("SELECT count(*) FROM duck_records WHERE year(month) = 2024").fetchone()[0]
    out["version"] = store.data_version()
    out["kept_files"] = sorted(p.name for p in ingest.upload_dir(store).glob("*")) \
        if ingest.upload_dir(store).exists() else []
    return out


# --- analytics --------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [mixed_file(), other_file()], ids=["mixed", "other"])
def test_manager_cannot_ingest_another_cooperatives_rows(demo_store, data):
    before = snapshot(demo_store)
    with pytest.raises(PermissionDenied, match=f"只能上报“{COOP}”的数据.*{OTHER}.*本次未写入任何数据"):
        ingest.ingest(demo_store, data, "duck.csv", MANAGER)
    assert snapshot(demo_store) == before


@pytest.mark.parametrize("actor, message", [(Actor("li", "viewer"), "只读账号"), (None, "请先登录")])
def test_viewer_and_anonymous_cannot_ingest(demo_store, actor, message):
    before = snapshot(demo_store)
    with pytest.raises(PermissionDenied, match=message):
        ingest.ingest(demo_store, own_file(), "duck.csv", actor)
    assert snapshot(demo_store) == before


def test_manager_ingests_own_file_and_the_user_is_recorded(demo_store):
    submitted = ingest.ingest(demo_store, own_file(), "duck.csv", MANAGER)
    assert snapshot(demo_store)["duck_2024"] == 0  # a submission: counts once the office accepts it
    result = review.accept(demo_store, submitted.submission_id, SYSTEM)
    row = demo_store.cursor().execute(
        "SELECT uploaded_by, status, n_rows FROM uploads WHERE upload_id = ?", [result.upload_id]).fetchone()
    assert row == ("wang", "applied", 54)
    assert snapshot(demo_store)["duck_2024"] == 54


def test_undo_only_for_own_cooperative_and_the_user_is_recorded(demo_store):
    theirs = ingest.ingest(demo_store, other_file(), "jinyu.csv", Actor("boss", "admin"))
    mine = review.accept(demo_store, ingest.ingest(demo_store, own_file(), "mine.csv", MANAGER).submission_id,
                         SYSTEM)
    with pytest.raises(PermissionDenied, match=f"只能撤销“{COOP}”的上传.*{OTHER}"):
        ingest.undo(demo_store, theirs.upload_id, MANAGER)
    with pytest.raises(PermissionDenied, match="只读账号"):
        ingest.undo(demo_store, mine.upload_id, Actor("li", "viewer"))
    cur = demo_store.cursor()
    assert cur.execute("SELECT status FROM uploads WHERE upload_id = ?", [theirs.upload_id]).fetchone() == (
        "applied",)
    with pytest.raises(PermissionDenied, match="已通过的数据只能由农业办撤销"):  # accepted: the office's to undo
        ingest.undo(demo_store, mine.upload_id, MANAGER)
    assert cur.execute("SELECT status FROM uploads WHERE upload_id = ?", [mine.upload_id]).fetchone() == ("applied",)
    ingest.undo(demo_store, mine.upload_id, Actor("boss", "admin"))
    ingest.undo(demo_store, theirs.upload_id, SYSTEM)
    rows = cur.execute("SELECT upload_id, uploaded_by, status, undone_by FROM uploads "
                       "WHERE upload_id IN (?, ?) ORDER BY 1", [theirs.upload_id, mine.upload_id]).fetchall()
    assert rows == [(theirs.upload_id, "boss", "undone", "system"), (mine.upload_id, "wang", "undone", "boss")]


# --- through the upload page ----------------------------------------------------------------

def upload(at, name: str, data: bytes):
    at.file_uploader[0].upload(name, data, "text/csv")
    at.run()
    assert not at.exception, at.exception
    return at


def test_upload_page_refuses_another_cooperatives_rows():
    at = app("pages/upload.py", user=User("wang", "manager", COOP))
    store = cache.store()
    before = snapshot(store)
    upload(at, "mixed.csv", mixed_file())
    errors = [e.value for e in at.error]
    assert any(f"只能上报“{COOP}”的数据" in e and OTHER in e for e in errors), errors
    assert not [b for b in at.button if b.key == "up_confirm"]
    assert snapshot(store) == before


def test_upload_page_applies_the_managers_own_file():
    at = upload(app("pages/upload.py", user=User("wang", "manager", COOP)), "duck_2024-01.csv", own_file())
    store = cache.store()
    confirm = next(b for b in at.button if b.key == "up_confirm")
    assert confirm.label == "提交审核"  # the file waits for review: the button does not say it imports
    confirm.click()
    at.run()
    assert not at.exception, at.exception
    assert any("已提交" in s.value and "54 行" in s.value for s in at.success), [s.value for s in at.success]
    assert snapshot(store)["duck_2024"] == 0  # awaiting review
    sid = store.cursor().execute("SELECT max(submission_id) FROM submissions").fetchone()[0]
    review.accept(store, sid, SYSTEM)
    row = store.cursor().execute("SELECT uploaded_by, filename FROM uploads "
                                 "ORDER BY upload_id DESC LIMIT 1").fetchone()
    assert row == ("wang", "duck_2024-01.csv")
    assert snapshot(store)["duck_2024"] == 54
