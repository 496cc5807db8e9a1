"""Safe defaults on the network (issue 20): `make run` listens on this machine alone unless told,
says the address to open, and beyond loopback viewing needs a login unless turned on."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from analytics import serve, settings

from .conftest import ROOT, _free_port, wait_for_health


def _listening(port: int) -> set[str]:
    """Local addresses of sockets in LISTEN state on ``port`` (Linux /proc/net/tcp, tcp6)."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_addr, hex_port = local.split(":")
            if int(hex_port, 16) != port or state != "0A":  # 0A: LISTEN
                continue
            raw = bytes.fromhex(hex_addr)
            # /proc prints each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            import ipaddress
            found.add(str(ipaddress.ip_address(words)) if width == 8 else str(ipaddress.IPv6Address(words)))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists() or shutil.which("make") is None,
                    reason="needs Linux /proc/net/tcp and make")
def test_make_run_without_host_listens_on_loopback_only(tmp_path, demo_db_file, monkeypatch):
    """The real `make run` (with a private copy of the demo store and a free port): the only
    listening socket on its port is 127.0.0.1's, and the console names the address to open."""
    db = tmp_path / "park.duckdb"
    shutil.copy(demo_db_file, db)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PARK_HOST", "HOST", "PARK_PUBLIC_VIEW", "MAKEFLAGS")}
    env.update({"PARK_BACKUP_KEEP_DAYS": "0", "PARK_ADMIN_PASSWORD": "make-run-test-pw"})
    proc = subprocess.Popen(["make", "-s", "run", f"DB={db}", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_health(proc, f"http://127.0.0.1:{port}")
        assert _listening(port) == {"127.0.0.1"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert f"看板地址 / Open: http://127.0.0.1:{port}" in out
    # One address, ours: not Streamlit's English block after it (on the LAN it also looked up
    # an external address on the internet and said it could not).
    assert "You can now view" not in out and "Network URL" not in out
    assert "让局域网的同事也能打开：make run HOST=0.0.0.0" in out


def test_the_command_binds_loopback_and_trusts_no_proxy_by_default(monkeypatch):
    for name in ("PARK_HOST", "PARK_TRUSTED_PROXY", "PARK_UPLOAD_MAX_MB"):
        monkeypatch.delenv(name, raising=False)
    cmd, env = serve.command(port=8600, db="/srv/park/park.duckdb")
    assert cmd[:5] == [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "50"  # = PARK_UPLOAD_MAX_MB
    # notice() names the address; Streamlit's block ("Did not auto detect external IP ...") is off.
    assert cmd[cmd.index("--logger.hideWelcomeMessage") + 1] == "true"
    assert env["PARK_DB"] == "/srv/park/park.duckdb" and env["PARK_HOST"] == "127.0.0.1"
    # uvicorn's own default would trust X-Forwarded-For from 127.0.0.1: '' trusts nobody.
    assert env["FORWARDED_ALLOW_IPS"] == ""
    monkeypatch.setenv("PARK_TRUSTED_PROXY", " 127.0.0.1, ::1 ")
    monkeypatch.setenv("PARK_UPLOAD_MAX_MB", "20")
    cmd, env = serve.command("0.0.0.0")  # noqa: S104
    assert env["FORWARDED_ALLOW_IPS"] == "127.0.0.1,::1"
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"  # noqa: S104
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "20"


def test_the_console_says_who_may_view(monkeypatch):
    monkeypatch.delenv("PARK_PUBLIC_VIEW", raising=False)
    assert serve.notice("127.0.0.1", 8501)[0] == "看板地址 / Open: http://127.0.0.1:8501"
    lan = serve.notice("0.0.0.0", 8501)  # noqa: S104
    assert len(lan) == 2 and lan[0].startswith("看板地址 / Open: http://") and lan[0].endswith(":8501")
    assert lan[1].startswith("向局域网开放，查看看板需要登录（未登录查看：设 PARK_PUBLIC_VIEW=1）")
    assert not settings.public_view("0.0.0.0")  # noqa: S104
    monkeypatch.setenv("PARK_PUBLIC_VIEW", "1")
    assert serve.notice("0.0.0.0", 8501)[1].startswith("向局域网开放，未登录也能查看看板")  # noqa: S104
