"""deploy/: Caddy in front of a live dashboard on loopback (issue 20) — HTTPS, the security
headers, the upload limit, the cookie's flags, the lockout's address, a login through it; and
what deploy/install.sh and the systemd unit give the service user."""

from __future__ import annotations

import configparser
import http.client
import os
import shutil
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from analytics.access import accounts, permissions
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS, ROOT, START_CEILING, _free_port, open_login_form, start_app, wait_for_app

DEPLOY = ROOT / "deploy"
CADDY = shutil.which("caddy")
PW = "caddy-test-pass"
SPOOF = "203.0.113.9"  # TEST-NET-3: what a browser claims to be in its own X-Forwarded-For
# Caddy's own CA (tls internal) is made afresh in the test's folder; the client does not trust
# it, so certificates are not verified here — the test is about headers and flags, not the CA.
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


def _get(url: str, data: bytes | None = None, method: str = "GET"):
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, context=INSECURE, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture
def proxied(tmp_path, demo_db_file):
    """The dashboard on 127.0.0.1 trusting X-Forwarded-For from 127.0.0.1 only, behind
    deploy/Caddyfile on a random HTTPS port; yields (https_url, direct_url, db_path)."""
    if CADDY is None:
        pytest.skip("caddy is not installed (scripts/system-deps.sh installs Debian's caddy for make test)")
    db = tmp_path / "park.duckdb"
    shutil.copy(demo_db_file, db)
    with Store(db) as s:
        accounts.create_user(s, permissions.SYSTEM, "li", PW, "viewer")
        accounts.create_user(s, permissions.SYSTEM, "zhao", PW, "viewer")
    # One wrong password locks (li, that address): the lock message names the address counted.
    app, direct = start_app(db, {"PARK_TRUSTED_PROXY": "127.0.0.1", "PARK_LOGIN_LOCAL_ADMIN": "0",
                                 "PARK_UPLOAD_MAX_MB": "1", "PARK_LOGIN_MAX_FAILURES": "1"})
    https_port, http_port = _free_port(), _free_port()
    home = tmp_path / "caddy"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "PARK_SITE": "localhost", "PARK_TLS": "internal",
           "PARK_HTTPS_PORT": str(https_port), "PARK_HTTP_PORT": str(http_port),
           "PARK_UPSTREAM": direct.removeprefix("http://"), "PARK_UPLOAD_MAX_MB": "1"}
    caddy = subprocess.Popen([CADDY, "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
                             env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"https://localhost:{https_port}"
    try:
        deadline = time.monotonic() + START_CEILING
        while True:
            assert caddy.poll() is None, caddy.stdout.read().decode(errors="replace")
            try:
                if _get(url + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "caddy did not answer"
            time.sleep(0.3)
        yield url, direct, db
    finally:
        caddy.terminate()
        caddy.wait(timeout=30)
        app.terminate()
        app.wait(timeout=30)


def _wrong_password(browser, url: str) -> str:
    """One wrong password for li from a browser that names itself SPOOF in X-Forwarded-For;
    returns the sidebar's answer (the lock message names the address the server counted)."""
    ctx = browser.new_context(ignore_https_errors=True, locale="zh-CN",
                              extra_http_headers={"X-Forwarded-For": SPOOF})
    try:
        page = ctx.new_page()
        page.goto(url)
        wait_for_app(page)
        sb = open_login_form(page)
        sb.get_by_label("用户名").fill("li")
        sb.get_by_label("密码").fill("not-the-password")
        sb.locator('[data-testid="stFormSubmitButton"] button').click()
        answer = sb.locator('[data-testid="stAlert"]').filter(has_text="连续输错密码")
        answer.wait_for(timeout=APP_CEILING_MS)
        return answer.inner_text()
    finally:
        ctx.close()


@pytest.mark.browser
def test_caddy_in_front_of_the_dashboard(proxied, browser):
    url, direct, db = proxied
    status, headers, body = _get(url + "/")
    assert status == 200 and b"<html" in body.lower()
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Server" not in headers
    # Every path, not only the page: the headers are Caddy's, whatever the dashboard answers.
    _, headers, _ = _get(url + "/component/any/index.html")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    # A body over PARK_UPLOAD_MAX_MB (1 MiB here) is refused by Caddy, before the dashboard.
    # The declared length is enough: Caddy answers before a byte of the body is sent.
    conn = http.client.HTTPSConnection(url.removeprefix("https://"), context=INSECURE, timeout=60)
    try:
        conn.putrequest("PUT", "/_stcore/upload_file/x/y")
        conn.putheader("Content-Length", str(1024 * 1024 + 4096))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()

    # Control: straight to the dashboard from this machine (127.0.0.1 is the trusted proxy), the
    # browser's own header is believed — so the header does reach the server's websocket…
    assert f"账号 li 从地址 {SPOOF} 连续输错密码" in _wrong_password(browser, direct)
    # …and through Caddy it is replaced by the address Caddy saw (this machine): a new count
    # and lock for this machine, not the spoofed address's lock again.
    assert "账号 li 从本机连续输错密码" in _wrong_password(browser, url)

    # A login through Caddy, its cookie Secure and SameSite=Strict, kept across a reload.
    ctx = browser.new_context(ignore_https_errors=True, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(url)
        wait_for_app(page)
        sb = open_login_form(page)
        sb.get_by_label("用户名").fill("zhao")
        sb.get_by_label("密码").fill(PW)
        sb.locator('[data-testid="stFormSubmitButton"] button').click()
        sb.get_by_role("button", name="退出登录").wait_for(timeout=APP_CEILING_MS)
        wait_for_app(page)
        deadline = time.monotonic() + START_CEILING
        cookie = None
        while cookie is None and time.monotonic() < deadline:
            cookie = next((c for c in ctx.cookies() if c["name"] == "park_session"), None)
            if cookie is None:
                page.wait_for_timeout(200)  # polling the cookie jar, not waiting for time to pass
        assert cookie is not None, "no session cookie through the proxy"
        assert cookie["secure"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        # HttpOnly: the cookie is written by page script (README, "Deploying on an office
        # server", says why neither Streamlit nor the proxy can set it), so it is not asserted.
        page.reload()
        sb.get_by_role("button", name="退出登录").wait_for(timeout=APP_CEILING_MS)
        assert "zhao" in sb.locator("strong").all_inner_texts()
    finally:
        ctx.close()


def test_caddyfile_is_valid():
    if CADDY is None:
        pytest.skip("caddy is not installed (scripts/system-deps.sh installs Debian's caddy for make test)")
    out = subprocess.run([CADDY, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PARK_UPLOAD_MAX_MB": "20"})
    assert out.returncode == 0, out.stderr
    assert '"max_size":20971520' in out.stdout  # 20 MiB, as the dashboard counts PARK_UPLOAD_MAX_MB
    assert '"dial":"127.0.0.1:8501"' in out.stdout


def test_unit_runs_as_the_service_user_with_a_restart_policy():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string((DEPLOY / "park-dashboard.service").read_text(encoding="utf-8"))
    svc = unit["Service"]
    assert svc["User"] == "park" and svc["Group"] == "park"
    assert svc["Restart"] == "on-failure"
    assert svc["ReadWritePaths"] == "/srv/park" and svc["ProtectSystem"] == "strict"
    assert svc["ExecStart"].endswith("-m analytics.serve --port 8501")
    env = (DEPLOY / "park-dashboard.env").read_text(encoding="utf-8")
    assert "PARK_DB=/srv/park/park.duckdb" in env and "PARK_BACKUP_DIR=/srv/park/backups" in env


def test_install_gives_the_store_to_the_service_user(tmp_path):
    """deploy/install.sh into a scratch root (DESTDIR) with an existing user: the data folder,
    its uploads and backups 0750 and the store 0640, owned by that user; settings 0640."""
    if os.geteuid() != 0:
        pytest.skip("install.sh sets owners: needs root")
    user = "nobody"
    (tmp_path / "srv" / "park").mkdir(parents=True)
    (tmp_path / "srv" / "park" / "park.duckdb").write_bytes(b"x")
    out = subprocess.run(["bash", str(DEPLOY / "install.sh")], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "DESTDIR": str(tmp_path), "PARK_USER": user})
    assert out.returncode == 0, out.stderr
    import pwd

    uid = pwd.getpwnam(user).pw_uid
    for folder in ("srv/park", "srv/park/uploads", "srv/park/backups"):
        st = (tmp_path / folder).stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o750), folder
    st = (tmp_path / "srv/park/park.duckdb").stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (uid, 0o640)
    st = (tmp_path / "etc/park-dashboard.env").stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o640)
    assert (tmp_path / "etc/systemd/system/park-dashboard.service").exists()
    assert (tmp_path / "etc/caddy/Caddyfile").read_text() == (DEPLOY / "Caddyfile").read_text()
