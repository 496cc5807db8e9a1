"""First start: `make run` prints the first admin's password once, framed, after the install
output and before the dashboard starts, with how to reset it; export's system packages are
installed as root or named once, and the dashboard starts either way."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from argon2 import PasswordHasher

from analytics.__main__ import main
from analytics.access import accounts, lockout, passwords
from analytics.store.db import Store
from tests.conftest import ROOT

RESET = ".venv/bin/python -m analytics users set-password admin"


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_first_start_frames_a_random_password_once(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PARK_ADMIN_PASSWORD", raising=False)
    db = tmp_path / "new.duckdb"
    assert main(["first-start", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    rule = "#" * 72
    framed = out.split(rule)
    assert len(framed) == 3, out  # one block between two rules
    block = framed[1]
    password = re.search(r"初始密码：(\S+)", block).group(1)
    assert len(password) >= 12 and RESET in block and "先停止看板" in block
    with Store(db) as s:
        assert lockout.authenticate(s, "admin", password).role == "admin"
    # Second start: the password is not shown again; how to reset it is.
    assert main(["first-start", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert password not in out and rule not in out
    assert "管理员账号已存在" in out and RESET in out


def test_first_start_with_the_password_setting_does_not_print_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "office-admin-pw")
    assert main(["first-start", "--db", str(tmp_path / "new.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "PARK_ADMIN_PASSWORD" in out and "office-admin-pw" not in out and RESET in out


def test_first_start_refuses_a_short_password_setting(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", "123")
    db = tmp_path / "new.duckdb"
    assert main(["first-start", "--db", str(db)]) == 1
    assert "PARK_ADMIN_PASSWORD 不可用" in capsys.readouterr().err
    with Store(db) as s:
        assert accounts.list_users(s.cursor()) == []


def test_make_run_order_install_then_deps_then_banner_then_dashboard():
    steps = subprocess.run(["make", "-n", "-B", "run", "PORT=8599", "DB=/tmp/x.duckdb"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(steps) if text in line)

    assert (at("pip install") < at("scripts/system-deps.sh --run") < at("-m analytics first-start --db")
            < at("-m analytics.serve"))  # the dashboard's command (tests/test_serve.py runs it)
    assert '--db "/tmp/x.duckdb" --port 8599' in steps[at("-m analytics.serve")]


def _deps(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """scripts/system-deps.sh as a non-root user on a machine without the CJK fonts."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake / "fc-list").write_text("#!/bin/sh\necho 'DejaVu Sans'\n")
    (fake / "apt-get").write_text("#!/bin/sh\necho apt-get must not run >&2; exit 9\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "scripts/system-deps.sh", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def test_system_deps_for_run_names_what_to_install_and_lets_the_dashboard_start(tmp_path):
    r = _deps(tmp_path, "--run")
    assert r.returncode == 0, r.stderr
    assert "PNG/PPTX 导出需要系统软件包 fonts-noto-cjk" in r.stderr
    assert "apt-get install -y fonts-noto-cjk" in r.stderr and "看板照常启动" in r.stderr
    assert "must not run" not in r.stderr
    # For the tests (make test) the same gap is an error.
    r = _deps(tmp_path)
    assert r.returncode == 1 and "缺少系统软件包：fonts-noto-cjk" in r.stderr
