"""Real Chromium: the office opens the dashboard after only the ducks have reported January 2024
(issue 19): it lands on 2024年1月, no card shows a fall made by units that have not reported yet,
the 生猪 card says 未报, and a cost increase is drawn as bad news."""

from __future__ import annotations

import re
import shutil

import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM
from analytics.store.db import Store
from tests.conftest import screenshot, start_app, wait_for_app
from tests.test_ingest import TODAY

pytestmark = pytest.mark.browser
HEAD = "月份,合作社,棚号,存栏(羽),产蛋(枚),死淘(羽),饲料(公斤),销售收入(元),成本(元),用工(人)\n"


def january_ducks(path) -> bytes:
    """Every duck shed's December 2023 again as January 2024, revenue +10 %, cost +5 %."""
    with Store(path) as s:
        rows = s.cursor().execute("""SELECT cooperative, unit, stock, eggs, culled, feed_kg, revenue, cost, workers
                                     FROM duck_records WHERE month = '2023-12-01' ORDER BY ALL""").fetchall()
    lines = [f"2024-01,{c},{u},{st},{e},{d},{f},{round(r * 1.1, 2)},{round(k * 1.05, 2)},{w}\n"
             for c, u, st, e, d, f, r, k, w in rows]
    return (HEAD + "".join(lines)).encode()


@pytest.fixture
def january_app(tmp_path, demo_db_file):
    path = tmp_path / "jan.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        res = ingest.ingest(s, january_ducks(path), "2024-01-种鸭.csv", SYSTEM, today=TODAY)
        assert res.upload_id and s.cursor().execute(
            "SELECT count(*) FROM duck_records WHERE month = '2024-01-01'").fetchone()[0] > 100
    proc, url = start_app(path)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def card(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first


def test_landing_on_a_month_only_the_ducks_reported(january_app, page):
    page.goto(january_app)
    wait_for_app(page, 120_000)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    screenshot(page, "month-landing-ducks-only")
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "期间：2024年1月" in body
    assert re.search(r"本月（2024年1月） \d+/\d+ 个单元已报，生猪、大棚未报", body), body[:800]
    assert "month=2024-01" in page.url
    assert card(page, "生猪存栏").locator('[data-testid="stMetricValue"]').inner_text() == "未报"
    deltas = page.locator('[data-testid="stMetricDelta"]')
    values = [float(x.rstrip("%")) for x in deltas.all_inner_texts()]
    assert values and min(values) > -50, values
    # 环比 over the sheds in both months: revenue +10 %, cost +5 % (drawn red: up is bad).
    assert 10.0 in values and 5.0 in values, values
    cost = card(page, "成本").locator('[data-testid="stMetricDelta"]')
    assert cost.inner_text() == "+5.0%"
    colour = cost.evaluate("e => getComputedStyle(e).color")
    rev = card(page, "销售收入").locator('[data-testid="stMetricDelta"]').evaluate("e => getComputedStyle(e).color")
    r, g, _ = (int(x) for x in re.findall(r"\d+", colour)[:3])
    r2, g2, _ = (int(x) for x in re.findall(r"\d+", rev)[:3])
    assert r > g and g2 > r2, (colour, rev)
