"""Real Chromium: hostile names (Markdown, HTML, formulas, SQL quotes, NUL) are shown as text on
every page — no link or element from the data reaches the DOM — and downloads are neutralised."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from analytics import text
from analytics.access import accounts, permissions
from analytics.store.db import Store
from tests import hostile
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import screenshot, sidebar_log_in, start_app, wait_for_app

pytestmark = pytest.mark.browser

ADMIN_PW = "browser-admin-pass"
PW = "browser-test-pass"
EVIL_USER = f"[wang]({hostile.EVIL})**evilbold**"
MANAGER_COOP = hostile.COOPS["markdown"]
PUBLIC_PAGES = [("overview", "园区总览"), ("duck", "种鸭"), ("hog", "生猪"), ("greenhouse", "大棚"),
                ("per_mu", "亩均对比")]

# What the DOM must not hold: anything the data could have made into a link or an element.
FIND_INJECTIONS = """() => {
  const evil = 'evil.example', out = [];
  for (const a of document.querySelectorAll('a')) {
    const href = (a.getAttribute('href') || '') + (a.getAttribute('xlink:href') || '')
               + (a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '');
    if (href.includes(evil)) out.push('link ' + href);
  }
  for (const e of document.querySelectorAll('img[src="x"], [onerror], #evilb')) out.push('element ' + e.outerHTML);
  for (const e of document.querySelectorAll('body *')) {
    if (e.children.length === 0 && ['evilbold', 'evilred', 'evilmath', '粗'].includes(e.textContent.trim()))
      out.push('rendered ' + e.tagName + ' ' + e.textContent);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, demo_db_file):
    path = hostile.build(tmp_path_factory.mktemp("hostile") / "hostile.duckdb", demo_db_file)
    with Store(path) as s:
        accounts.create_user(s, permissions.SYSTEM, EVIL_USER, PW, "manager", MANAGER_COOP)
    proc, url = start_app(path, {"PARK_ADMIN_PASSWORD": ADMIN_PW})
    yield url, path
    proc.terminate()
    proc.wait(timeout=60)


def check(page, name: str) -> str:
    """No exception box, no injected link or element; returns the page's visible text."""
    wait_for_app(page)
    assert not page.locator('[data-testid="stException"]').count(), \
        page.locator('[data-testid="stException"]').all_inner_texts()
    found = page.evaluate(FIND_INJECTIONS)
    screenshot(page, f"hostile-{name}")
    assert not found, (name, found)
    return page.inner_text("body").replace(text.WORD_JOINER, "")  # md() hides it after http, www, before @


def svg_texts(page) -> list[str]:
    return page.locator('[data-testid="stPlotlyChart"] svg text').all_text_contents()


def open_page(page, url: str, key: str, heading: str) -> None:
    page.goto(f"{url}/{key}" if key != "overview" else url)
    wait_for_app(page)
    page.get_by_role("heading", name=heading).first.wait_for()


def log_in(page, username: str, password: str) -> None:
    sidebar_log_in(page, username, password)


def nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_for_app(page)


@pytest.mark.parametrize("key, heading", PUBLIC_PAGES)
def test_dashboard_pages_show_hostile_names_as_text(hostile_app, page, key, heading):
    url, _ = hostile_app
    open_page(page, url, key, heading)
    if key != "overview":
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=CEILING)
    check(page, key)


@pytest.mark.parametrize("by", ["作物", "合作社", "村"])
def test_chart_labels_show_the_names_as_typed(hostile_app, page, by):
    url, _ = hostile_app
    open_page(page, url, "per_mu", "亩均对比")
    page.locator('[data-testid="stButtonGroup"]').get_by_text(by, exact=True).click()
    wait_for_app(page)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=CEILING)
    check(page, f"per_mu-{by}")
    ticks = svg_texts(page)
    expected = {"作物": hostile.CROPS[0], "合作社": hostile.COOPS["html_link"], "村": hostile.VILLAGES[1]}[by]
    assert expected in ticks, ticks  # drawn literally: the tags are text, not markup


def test_filter_caption_shows_the_chosen_name_literally(hostile_app, page):
    url, _ = hostile_app
    open_page(page, url, "greenhouse", "大棚")
    sb = page.locator('[data-testid="stSidebar"]')
    for typed in ("点我", "evilbold"):  # one choice per run: a run in between may take the focus
        box = sb.get_by_role("combobox", name="合作社")
        box.click()
        box.fill(typed)
        page.get_by_role("option").filter(has_text=typed).first.wait_for(timeout=CEILING)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        wait_for_app(page)
    shown = check(page, "filter-caption")
    assert f"合作社：{hostile.COOPS['markdown']}、{hostile.COOPS['styles']}" in shown


def test_a_hostile_period_in_the_presentation_link(hostile_app, page):
    url, _ = hostile_app
    page.goto(f"{url}/present?from=[x](http://{hostile.EVIL}/p)&to=<b id=evilb>2023-12</b>")
    wait_for_app(page)
    page.get_by_text("链接里的期间有误").wait_for(timeout=CEILING)
    shown = check(page, "present-link")
    assert f"[x](http://{hostile.EVIL}/p)" in shown


def test_downloads_are_neutralised(hostile_app, page):
    url, _ = hostile_app
    open_page(page, url, "duck", "种鸭")
    check(page, "duck-downloads")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV").click()
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 Excel").click()
    ws = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active  # formulas kept as such
    def is_number(v: str) -> bool:  # a negative number in a CSV is a number, not a formula
        try:
            float(v)
        except ValueError:
            return False
        return True

    for cells in (rows[1:], [[c.value for c in r] for r in ws.iter_rows(min_row=2)]):
        texts = [v for r in cells for v in r if isinstance(v, str) and not is_number(v)]
        assert not [v for v in texts if v.startswith(text.FORMULA_LEAD)], texts
        assert "'" + hostile.COOPS["formula"] in texts and "'+D4" in texts and "'@D6" in texts
        assert "空␀字符社" in texts and not [v for v in texts if "\x00" in v]
    assert not [c.coordinate for r in ws.iter_rows() for c in r if c.data_type == "f"]


def test_admin_pages_show_hostile_names_as_text(hostile_app, page):
    url, _ = hostile_app
    page.goto(url)
    wait_for_app(page)
    log_in(page, "admin", ADMIN_PW)
    # A file naming a new hostile cooperative: the preview's notice shows it as typed.
    nav(page, "上传月报")
    new = "<a href='http://evil.example/n'>新</a>"
    data = hostile.csv_bytes("duck").replace(hostile.COOPS["html_tags"].encode(), new.encode())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": hostile.FILENAME.replace("月报", "新月报"), "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("heading", name="预览").wait_for(timeout=CEILING)
    shown = check(page, "upload-preview")
    assert f"将新登记合作社：{new}" in shown
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入（编号").wait_for(timeout=CEILING)
    check(page, "upload-done")
    # The log offers the hostile file name in its undo list; undoing says it back as text.
    nav(page, "上报记录")
    main = page.locator('[data-testid="stMain"]')
    check(page, "uploads")
    main.get_by_text("我确认要撤销这次上传").click()
    wait_for_app(page)
    main.get_by_role("button", name="撤销").click()
    page.get_by_text("已撤销编号").wait_for(timeout=CEILING)
    shown = check(page, "undo-done")
    assert hostile.FILENAME.replace("月报", "新月报") in shown
    # 管理: users, the unit registry of a hostile cooperative, backups, the audit log.
    nav(page, "管理")
    check(page, "admin")
    page.get_by_role("tab", name="单元登记").click()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="合作社").last.click()
    page.get_by_role("option", name=hostile.COOPS["html_link"]).click()
    wait_for_app(page)
    check(page, "admin-units")
    page.get_by_role("tab", name="操作记录").click()
    check(page, "admin-audit")


def test_a_manager_with_a_hostile_name_sees_it_as_text(hostile_app, page):
    url, _ = hostile_app
    page.goto(url)
    wait_for_app(page)
    log_in(page, EVIL_USER, PW)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace(text.WORD_JOINER, "")
    assert EVIL_USER in sidebar and MANAGER_COOP in sidebar
    check(page, "manager-sidebar")
    nav(page, "上传月报")
    shown = check(page, "manager-upload")
    assert f"您只能上报“{MANAGER_COOP}”的数据。" in shown
    # Another cooperative's rows: the refusal names them, as text.
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "其他社.csv", "mimeType": "text/csv", "buffer": hostile.csv_bytes("duck")}])
    page.get_by_text("文件中含有其他合作社").last.wait_for(timeout=CEILING)  # the caption says 只能上报 already
    shown = check(page, "manager-refused")
    assert hostile.COOPS["html_link"] in shown
