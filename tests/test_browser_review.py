"""Real Chromium, the reporting cycle: a manager uploads → the overview does not change, 报送进度 shows
待审核, pending=1 shows it and says so → the office returns it with a reason → the manager sees the
reason and uploads a corrected file → the office accepts → the overview and the paragraph change."""

from __future__ import annotations

import shutil

import pytest

from analytics import fmt, ingest, scope
from analytics.access import accounts
from analytics.access.permissions import SYSTEM, Actor
from analytics.figures import kpis
from analytics.ingest import review
from analytics.meeting import narrative, slides
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot, start_app, wait_for_app  # noqa: F401
from tests.test_browser_auth import log_in
from tests.test_browser_upload import metric
from tests.test_upload_page import COOP, DUCK_HEADER

pytestmark = pytest.mark.browser
ADMIN_PW = "browser-admin-pass"
PW = "browser-manager-pass"
YEAR = scope.Period.year(2023)


def _file(path, plus: float) -> bytes:
    """December 2023 of the cooperative's sheds again, revenue + ``plus`` 元 each."""
    with Store(path) as s:
        df = s.cursor().execute("""SELECT * FROM duck_records WHERE cooperative = ? AND month = DATE '2023-12-01'
                                   ORDER BY unit LIMIT 20""", [COOP]).df()
    lines = [DUCK_HEADER] + [
        f"2023-12,{COOP},{r.unit},{r.stock},{r.eggs},{r.culled},{r.feed_kg},{r.revenue + plus:.2f},{r.cost},"
        f"{r.workers}" for r in df.itertuples()]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _paragraph(cur) -> str:
    deck = slides.build(narrative.kpi_caller(cur), YEAR, lang="zh", demo=True)
    return next(s for s in deck.slides if s.key == "paragraph").body[0]


@pytest.fixture
def cycle_app(tmp_path, demo_db_file):
    path = tmp_path / "cycle.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        accounts.create_user(s, SYSTEM, "wang", PW, "manager", COOP)
    wrong, right = _file(path, 10_000), _file(path, 20_000)
    twin = tmp_path / "twin" / "twin.duckdb"  # the expected figures, from the library offline
    twin.parent.mkdir()
    shutil.copy(demo_db_file, twin)
    with Store(twin) as s:
        cur = s.cursor()
        expect = {"before": fmt.money(kpis.park_kpis(cur, YEAR)["total"]["profit"], "zh"),
                  "before_text": _paragraph(cur)}
        sid = ingest.ingest(s, wrong, "12月.csv", Actor("wang", "manager", COOP)).submission_id
        from analytics.figures import pending

        expect["pending"] = fmt.money(kpis.park_kpis(pending.with_pending(s.cursor()), YEAR)["total"]["profit"], "zh")
        review.return_submission(s, sid, SYSTEM, "x")
        sid = ingest.ingest(s, right, "12月更正.csv", Actor("wang", "manager", COOP)).submission_id
        review.accept(s, sid, SYSTEM)
        cur = s.cursor()
        expect["after"] = fmt.money(kpis.park_kpis(cur, YEAR)["total"]["profit"], "zh")
        expect["after_text"] = _paragraph(cur)
    assert len({expect["before"], expect["pending"], expect["after"]}) == 3
    proc, url = start_app(path, {"PARK_ADMIN_PASSWORD": ADMIN_PW})
    yield url, wrong, right, expect
    proc.terminate()
    proc.wait(timeout=60)


def _upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("heading", name="预览").wait_for(timeout=CEILING)
    wait_for_app(page)
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("已提交（报送编号").wait_for(timeout=CEILING)
    wait_for_app(page)


def _main_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]')


def test_the_whole_reporting_cycle(cycle_app, browser):
    url, wrong, right, expect = cycle_app
    mgr = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    office = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    try:
        # The manager submits: the overview's figures do not change.
        mgr.goto(url)
        wait_for_app(mgr)
        log_in(mgr, "wang", PW)
        mgr.goto(url + "/upload")
        wait_for_app(mgr)
        mgr.get_by_role("heading", name="上传月报").wait_for(timeout=CEILING)
        _upload(mgr, "12月.csv", wrong)
        screenshot(mgr, "review-submitted")
        mgr.goto(url + "/?year=2023")
        wait_for_app(mgr)
        mgr.get_by_role("heading", name="园区总览").wait_for()
        assert metric(mgr, "利润") == expect["before"]
        # pending=1 shows the submission and says so.
        mgr.goto(url + "/?year=2023&pending=1")
        wait_for_app(mgr)
        mgr.get_by_text("含待审核数据：以下数字包含尚未审核通过的报送").wait_for(timeout=CEILING)
        assert metric(mgr, "利润") == expect["pending"]
        screenshot(mgr, "review-pending-overview")

        # The office: 报送进度 shows 待审核; it returns the file with a reason.
        office.goto(url)
        wait_for_app(office)
        log_in(office, "admin", ADMIN_PW)
        office.goto(url + "/reporting?month=2023-12")
        wait_for_app(office)
        office.get_by_role("heading", name="报送进度").wait_for(timeout=CEILING)
        wait_for_app(office)
        # December was accepted already: the month stays 已通过 and the correction awaits review.
        assert "更正待审核 1" in _main_text(office)
        # The review's header draws the file name in bold, no Markdown asterisks (issue 18).
        office.locator('[data-testid="stMain"] strong', has_text="12月.csv").first.wait_for(timeout=CEILING)
        assert "**" not in _main_text(office) and "12月.csv：" in _main_text(office)
        office.get_by_label("退回原因（退回时必填）").fill("12月收入偏高，请核对")
        office.get_by_role("button", name="退回").click()
        office.get_by_text("已退回报送").wait_for(timeout=CEILING)
        wait_for_app(office)
        assert "更正待审核" not in _main_text(office)
        screenshot(office, "review-returned")

        # The manager sees the reason and uploads the corrected file.
        mgr.goto(url + "/upload")
        wait_for_app(mgr)
        mgr.get_by_text("已被退回").wait_for(timeout=CEILING)
        assert "12月收入偏高，请核对" in _main_text(mgr)
        _upload(mgr, "12月更正.csv", right)

        # The office accepts: the figures change to the corrected file's.
        office.goto(url + "/reporting?month=2023-12")
        wait_for_app(office)
        office.get_by_role("heading", name="报送进度").wait_for(timeout=CEILING)
        wait_for_app(office)
        assert "更正待审核 1" in _main_text(office)
        office.get_by_role("button", name="通过").click()
        office.get_by_text("已通过报送").wait_for(timeout=CEILING)
        wait_for_app(office)
        screenshot(office, "review-accepted")
        office.goto(url + "/?year=2023")
        wait_for_app(office)
        office.get_by_role("heading", name="园区总览").wait_for()
        assert metric(office, "利润") == expect["after"]
        # Accepted figures are the office's to undo: the manager's log says so and offers no 撤销 (issue 18).
        mgr.goto(url + "/uploads")
        wait_for_app(mgr)
        mgr.get_by_text("已通过的数据只能由农业办撤销；如需更正请重新上报，审核通过后替换。").wait_for(timeout=CEILING)
        assert mgr.get_by_role("button", name="撤销").count() == 0
        office.goto(url + "/present?year=2023")
        wait_for_app(office)
        office.locator('[data-testid="stCode"]').first.wait_for(timeout=90_000)
        shown = office.locator('[data-testid="stCode"]').first.inner_text()
        assert expect["after_text"] != expect["before_text"]
        assert shown.strip() == expect["after_text"].strip()
    finally:
        mgr.context.close()
        office.context.close()
