"""Shared fixtures: a fresh store, the demo store, clean Streamlit caches, a live app."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager

from analytics import serve
from analytics.store import demo
from analytics.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "artifacts"
# Ceilings, not waits: every wait below returns as soon as its state is reached. They are
# generous so that a shared 2-core machine under heavy load slows the suite, not fails it.
START_CEILING = 180.0
APP_CEILING_MS = 180_000


@pytest.fixture
def store(tmp_path: Path):
    """A fresh, empty store."""
    s = Store(tmp_path / "park.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """The demo park, built once per session; copy it before writing to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as s:
        demo.load(s)
    return path


@pytest.fixture
def demo_store(demo_db_file: Path, tmp_path: Path):
    """A private, writable copy of the demo park."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    s = Store(path)
    yield s
    s.close()


class NavigationPagesManager(PagesManager):
    """AppTest forgets between runs that app.py uses st.navigation and, seeing a pages/
    folder, runs the page file alone from the second run on (no app.py: no login sidebar,
    no menu). A real `streamlit run` remembers; this makes AppTest do the same."""

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


@pytest.fixture
def app_db(monkeypatch, tmp_path: Path, demo_db_file: Path):
    """Point the Streamlit app at a private copy of the demo park, with empty caches.

    Returns the database path; open it with Store only after the AppTest is done, or
    through ui.cache.store() (same process, same connection).
    """
    import streamlit as st
    from streamlit.testing.v1 import app_test

    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)
    monkeypatch.setenv("PARK_DB", str(path))
    monkeypatch.setenv("PARK_PUBLIC_VIEW", "1")
    monkeypatch.setenv("PARK_BACKUP_KEEP_DAYS", "0")  # no daily-backup thread per test app
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db_path: Path, env_extra: dict[str, str] | None = None, *, port: int | None = None):
    """Start the dashboard as `make run` does (analytics.serve's command) on 127.0.0.1 and a free
    port; returns (process, base_url) once its health check answers."""
    port = port or _free_port()
    cmd, env = serve.command("127.0.0.1", port, str(db_path))
    env.update({"PARK_PUBLIC_VIEW": "1", "PARK_BACKUP_KEEP_DAYS": "0", **(env_extra or {})})
    if "PARK_TRUSTED_PROXY" in (env_extra or {}):
        env["FORWARDED_ALLOW_IPS"] = env_extra["PARK_TRUSTED_PROXY"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for_health(proc, url)
    return proc, url


def wait_for_health(proc: subprocess.Popen, url: str, ceiling: float = START_CEILING) -> None:
    """Wait until the server answers its health check (or has exited: then fail with its output)."""
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not start:\n" + proc.stdout.read().decode(errors="replace"))


def pytest_collection_modifyitems(config, items):
    """A real-Chromium test that fails runs once more (pytest-rerunfailures): on a shared 2-core
    machine a browser can be starved past a ceiling, while a fault fails both runs. The summary
    counts the reruns ("1 rerun"), and each is a race to find, as the waits above were found."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("flaky"):
            item.add_marker(pytest.mark.flaky(reruns=1))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("浏览器测试需要 /usr/bin/chromium：请运行 make system-deps")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield _Ceilinged(b)
        b.close()


class _Ceilinged:
    """The browser, whose every new context waits up to :data:`APP_CEILING_MS` for an element,
    a navigation or a click (Playwright's own default is 30 s, too short on a loaded machine)."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **kwargs):
        ctx = self._browser.new_context(**kwargs)
        ctx.set_default_timeout(APP_CEILING_MS)
        ctx.set_default_navigation_timeout(APP_CEILING_MS)
        return ctx


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, demo_db_file: Path):
    """A running dashboard on a private copy of the demo park (shared by read-only tests)."""
    path = tmp_path_factory.mktemp("live") / "live.duckdb"
    shutil.copy(demo_db_file, path)
    proc, url = start_app(path)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_for_app(page, timeout: float = APP_CEILING_MS) -> None:
    """Wait until the script run finished (Streamlit's own e2e idiom): the app is idle."""
    page.wait_for_selector(IDLE, timeout=timeout)


def settle(page) -> None:
    """The app idle, then two animation frames: the browser has laid out what the run drew
    (after a click, a key or a viewport change)."""
    wait_for_app(page)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


# Plotly draws a chart after the run, and Streamlit only those scrolled into view.
_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
  .filter(c => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
  .every(c => c.querySelector('.main-svg'))"""


def charts_drawn(page) -> None:
    """Idle, and every chart in view drawn by Plotly."""
    wait_for_app(page)
    page.wait_for_function(_CHARTS_DRAWN, timeout=APP_CEILING_MS)
    settle(page)


def wait_until(page, condition, ceiling: float = START_CEILING) -> bool:
    """Poll ``condition()`` (e.g. the browser's cookie jar, which has no event to wait on) until
    it holds or the ceiling passes; the page's event loop runs between polls. Returns the result."""
    deadline = time.monotonic() + ceiling
    while not (ok := condition()) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return bool(ok)


def pick(page, box, option: str, tries: int = 6) -> None:
    """Open the select box ``box`` and click its option ``option``. A run still redrawing the box
    (the one started by the previous choice) closes its list under the pointer: open it again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(tries):
        settle(page)
        box.click()
        item = page.get_by_role("option", name=option, exact=True)
        try:
            item.wait_for(timeout=20_000)
            item.click(timeout=20_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


LOGIN_EXPANDER = '[data-testid="stSidebar"] [data-testid="stExpander"] details'


def open_login_form(page):
    """The sidebar's login form, opened; returns the sidebar. The expander is open on pages that
    need a login and closed on the others: its ``open`` attribute says which. (The field's own
    visibility is false for a moment while a run redraws it, and clicking the summary then
    closes a form that was open.)"""
    sb = page.locator('[data-testid="stSidebar"]')
    details = page.locator(LOGIN_EXPANDER)
    details.wait_for(timeout=APP_CEILING_MS)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    sb.get_by_label("用户名").wait_for(state="visible", timeout=APP_CEILING_MS)
    return sb


def sidebar_log_in(page, username: str, password: str, *, wait: bool = True) -> None:
    """Log in through the sidebar and wait until the browser holds the session cookie, so that
    the next typed address or new tab is logged in too. ``wait=False``: back as soon as the
    sidebar shows the login (退出登录), before the run ends or the cookie is written, as a person
    who clicks on at once (test_browser_office)."""
    sb = open_login_form(page)
    sb.get_by_label("用户名").fill(username)
    sb.get_by_label("密码").fill(password)
    sb.locator('[data-testid="stFormSubmitButton"] button').click()
    sb.get_by_role("button", name="退出登录").wait_for(timeout=APP_CEILING_MS)
    if not wait:
        return
    wait_for_app(page)
    # The page writes the cookie once logged in; the browser has it within a moment.
    wait_until(page, lambda: any(c["name"] == "park_session" for c in page.context.cookies()))
    wait_for_app(page)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
