"""A 上报说明 travels with the values (issue 17 point 4): given with a manager's file, shown to the
reviewer beside the flagged row, kept with the accepted upload under the row's keys; an admin's
direct upload keeps it too."""

from __future__ import annotations

import pandas as pd

from analytics import ingest
from analytics.access.permissions import SYSTEM
from analytics.ingest import review
from tests.test_ingest import TODAY
from tests.test_review import COOP, MANAGER, REVIEWER, sample

TEXT = "新引进高产种鸭，产蛋记录已核对"


def _flagged() -> tuple[bytes, str]:
    """The duck sample with its first row (spreadsheet row 2) laying 50 eggs a duck in the month
    (usual 1–31 枚/羽): one 核实 row. Returns the bytes and that row's unit."""
    f = sample()
    f.loc[0, "产蛋(枚)"] = int(f.loc[0, "存栏(羽)"]) * 50
    return f.to_csv(index=False).encode("utf-8"), str(f.loc[0, "棚号"])


def _parsed(data: bytes) -> ingest.Parsed:
    p = ingest.parse(data, "duck.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    assert p.verify["row"].unique().tolist() == [2], p.verify.to_dict("records")
    assert ingest.missing_explanations(p, {2: TEXT}).empty
    return p


def test_a_managers_explanation_reaches_the_reviewer_and_stays_with_the_values(demo_store):
    data, unit = _flagged()
    res = ingest.commit(demo_store, _parsed(data), MANAGER, explanations={2: TEXT})
    assert isinstance(res, review.SubmissionResult) and res.upload_id is None
    cur = demo_store.cursor()
    assert cur.execute("SELECT count(*) FROM upload_explanations").fetchone()[0] == 0  # not before review
    w = review.warnings_of(review.submission(cur, res.submission_id))
    flagged = w[w["row"] == 2]
    assert len(flagged) == 1 and flagged["note"].tolist() == [TEXT]
    assert "每羽月产蛋 50 枚/羽（参考 1–31 枚/羽）" in flagged["reason"].iloc[0]
    assert flagged["column"].tolist() == ["产蛋(枚)"]

    up = review.accept(demo_store, res.submission_id, REVIEWER)
    got = ingest.explanations(demo_store.cursor(), upload_id=up.upload_id)
    assert got[["sector", "month", "cooperative", "unit", "row_number", "explanation", "uploaded_by"]] \
        .values.tolist() == [["duck", pd.Timestamp("2024-01-01"), COOP, unit, 2, TEXT, "wang"]]
    assert "每羽月产蛋 50 枚/羽" in got["checks"].iloc[0]
    # The unit's history reads it too.
    hist = ingest.explanations(demo_store.cursor(), sector="duck", cooperative=COOP, unit=unit)
    assert hist["explanation"].tolist() == [TEXT]


def test_a_returned_submission_keeps_nothing(demo_store):
    data, _ = _flagged()
    res = ingest.commit(demo_store, _parsed(data), MANAGER, explanations={"*": TEXT})
    review.return_submission(demo_store, res.submission_id, REVIEWER, "产蛋数请再核对")
    assert ingest.explanations(demo_store.cursor()).empty


def test_an_admins_direct_upload_keeps_the_explanation(demo_store):
    data, unit = _flagged()
    res = ingest.commit(demo_store, _parsed(data), SYSTEM, explanations={2: TEXT})
    assert res.upload_id is not None
    got = ingest.explanations(demo_store.cursor(), upload_id=res.upload_id)
    assert got[["month", "cooperative", "unit", "row_number", "explanation", "uploaded_by"]].values.tolist() == [
        [pd.Timestamp("2024-01-01"), COOP, unit, 2, TEXT, "system"]]
