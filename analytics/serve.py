"""Start the dashboard: the one ``streamlit run`` command shared by ``make run``, the systemd
unit (deploy/park-dashboard.service) and the tests.

    python -m analytics.serve [--host 127.0.0.1] [--port 8501] [--db data/park.duckdb]

Safe by default (issue 20): it listens on ``PARK_HOST`` (127.0.0.1, this machine alone) unless
told ``--host 0.0.0.0``; then viewing needs a login unless ``PARK_PUBLIC_VIEW=1``, and the
console says so in one line. Streamlit's server (uvicorn) takes the client's address from
``X-Forwarded-For`` when the connection comes from an address in ``FORWARDED_ALLOW_IPS``,
127.0.0.1 unless told: this sets it to ``PARK_TRUSTED_PROXY`` (none by default), so only the
office's own reverse proxy can name a client and the lockout counts the real address.
Nothing here imports streamlit: it only builds the command and replaces this process with it.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import sys
from pathlib import Path

from . import settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8501


def command(host: str | None = None, port: int = DEFAULT_PORT, db: str | None = None, *,
            python: str = sys.executable) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start the dashboard; run them from :data:`ROOT`.

    ``host``: the listening address (default ``PARK_HOST``); ``db``: the store's path
    (default ``PARK_DB`` or data/park.duckdb, as app.py reads it). The upload limit
    (``PARK_UPLOAD_MAX_MB``) is passed to Streamlit so its own check agrees with the app's.
    """
    host = host or settings.host()
    upload_mb = max(1, math.ceil(settings.upload_limits()["max_bytes"] / (1024 * 1024)))
    argv = [python, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.address", host, "--server.port", str(port),
            "--server.maxUploadSize", str(upload_mb),
            # notice() has said where to open it; Streamlit's own block would add its guesses
            # (and, on the LAN, look up an external address on the internet and say in English
            # that it could not).
            "--logger.hideWelcomeMessage", "true"]
    env = dict(os.environ)
    env["PARK_HOST"] = host
    if db:
        env["PARK_DB"] = db
    # '' trusts no address at all (uvicorn's default would trust 127.0.0.1 and ::1).
    env["FORWARDED_ALLOW_IPS"] = ",".join(settings.trusted_proxies())
    return argv, env


def _lan_address() -> str | None:
    """This machine's address on the office network, for the line to give colleagues."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: picks the outgoing interface, sends nothing
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if settings.is_loopback(address) else address


def notice(host: str, port: int) -> list[str]:
    """What the console says before Streamlit starts: the address to open and who may view."""
    if settings.is_loopback(host):
        return [f"看板地址 / Open: http://127.0.0.1:{port}",
                "只有本机能打开。让局域网的同事也能打开：make run HOST=0.0.0.0"
                " / This machine only; for the LAN: make run HOST=0.0.0.0"]
    lan = _lan_address() if host in ("0.0.0.0", "::") else host  # noqa: S104 — comparing, not binding
    lines = [f"看板地址 / Open: http://{lan or '<本机IP>'}:{port}"]
    if settings.public_view(host):
        lines.append("向局域网开放，未登录也能查看看板（PARK_PUBLIC_VIEW=1）"
                     " / Open to the LAN: anyone can view without logging in")
    else:
        lines.append("向局域网开放，查看看板需要登录（未登录查看：设 PARK_PUBLIC_VIEW=1）"
                     " / Open to the LAN: viewing needs a login (PARK_PUBLIC_VIEW=1 to open it)")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analytics.serve", description="启动看板（make run 用它）")
    p.add_argument("--host", default=None, help="监听地址；默认 PARK_HOST（127.0.0.1，只有本机）")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--db", default=None, help="数据库路径；默认 PARK_DB 或 data/park.duckdb")
    args = p.parse_args(argv)
    cmd, env = command(args.host or None, args.port, args.db)
    print("\n".join(notice(env["PARK_HOST"], args.port)), flush=True)
    os.chdir(ROOT)
    os.execve(cmd[0], cmd, env)  # noqa: S606 — our own interpreter with fixed arguments
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
