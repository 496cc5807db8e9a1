"""Untrusted files are parsed in a child process with limits the parent sets (DESIGN.md §4).

A native reader (python-calamine's Rust, pyarrow's C++) that aborts, panics or allocates without
end takes down the process it runs in. So :func:`parse_isolated` runs :func:`validate.parse_here`
in a child forked from a *forkserver* (a clean single-threaded process that has already imported
pandas, pyarrow and this package: a fork costs milliseconds, not the second an import takes, and
never copies the threads of a Streamlit server). The child limits its own address space
(``RLIMIT_AS``) before it touches the bytes; the parent kills it when the time limit passes.
A child that dies, by a signal or out of memory, becomes a refusal in Chinese, and the server
that asked carries on.

Settings (environment): ``PARK_UPLOAD_PARSE_MB`` — address space the child may add to what it
starts with (default 2,048 MB); ``PARK_UPLOAD_PARSE_SECONDS`` — wall time (default 120 s);
``PARK_UPLOAD_ISOLATE=0`` parses in the calling process (debugging only).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import resource
import signal
import threading
from datetime import date

from .. import settings
from . import validate
from .common import _m
from .layout import ColumnChoices

_LOCK = threading.Lock()
_CTX: mp.context.BaseContext | None = None


def parse_memory_mb() -> int:
    return int(os.environ.get("PARK_UPLOAD_PARSE_MB", "2048"))


def parse_seconds() -> float:
    return float(os.environ.get("PARK_UPLOAD_PARSE_SECONDS", "120"))


def enabled() -> bool:
    return os.environ.get("PARK_UPLOAD_ISOLATE", "1") != "0"


def _context() -> mp.context.BaseContext:
    global _CTX
    with _LOCK:
        if _CTX is None:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(["analytics.ingest._forkserver"])
            _CTX = ctx
        return _CTX


def _vm_size() -> int:
    """This process's address space in bytes (VmSize), 0 when /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(conn, args: tuple, kwargs: dict, extra_bytes: int) -> None:
    """In the child: limit the address space, parse, send the result back pickled (without the
    file's bytes, which the parent still holds)."""
    os.environ["RUST_BACKTRACE"] = "0"  # an abort says one line in the log, not a page
    limit = _vm_size() + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind
    p = validate.parse_here(*args, **kwargs)
    p.data = b""
    conn.send_bytes(pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL))
    conn.close()


class ChildFailed(Exception):
    """The child process died or ran out of time; the message is the user's refusal."""


def run(data: bytes, filename: str, sector: str | None, *, lang: str, today: date, limits: dict[str, int],
        columns=None):
    """:func:`validate.parse_here` in a child process; raises ChildFailed with a Chinese (or English)
    message when the child dies (a crash, an abort, out of memory) or exceeds the time limit."""
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, daemon=True,
                       args=(send, (data, filename, sector),
                             {"lang": lang, "today": today, "limits": limits, "columns": columns},
                             parse_memory_mb() * 1024 * 1024))
    proc.start()
    send.close()
    seconds = parse_seconds()
    payload = None
    timed_out = False
    try:
        if recv.poll(seconds):
            try:
                payload = recv.recv_bytes()
            except (EOFError, OSError):  # the child died: its exit code says how
                payload = None
        else:
            timed_out = proc.is_alive()
    finally:
        if timed_out:
            proc.kill()
        recv.close()
        proc.join(5 if payload is not None else 1)
        if proc.is_alive():
            proc.kill()
            proc.join()
    if payload is not None:
        return pickle.loads(payload)  # noqa: S301 - our own child's result, over our own pipe
    if timed_out or proc.exitcode == -signal.SIGKILL:
        raise ChildFailed(_m(lang, f"文件读取超时（超过 {seconds:,.0f} 秒），未导入。请检查文件是否过大或已损坏，"
                                   "用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                             f"Reading the file took longer than {seconds:,.0f} s; not imported. Save it as .xlsx "
                             "and try again."))
    raise ChildFailed(_m(lang, "文件无法读取（读取程序异常退出），未导入。文件可能已损坏或过大；"
                               "请用 Excel 或 WPS 打开并另存为 .xlsx 后再上传。",
                         "The file cannot be read (the reader stopped abnormally); not imported. It may be damaged "
                         "or too large; save it as .xlsx in Excel or WPS and try again."))


def parse(data: bytes, filename: str, sector: str | None = None, *, lang: str = "zh",
          today: date | None = None, limits: dict[str, int] | None = None,
          columns: ColumnChoices | None = None, isolate: bool | None = None) -> validate.Parsed:
    """Read and check a file against the contract, in a child process with memory and time
    limits (:mod:`.isolate`); never touches the database, never raises.

    ``sector`` None means detect it from the headers; ``limits`` defaults to the settings
    (:func:`analytics.settings.upload_limits`); ``columns`` carries the uploader's decisions on
    columns not understood. The result's ``errors`` lists every problem (sheet, row, column,
    value, reason); when it is empty ``frame`` holds the rows in canonical columns and units
    (money 元, weight 公斤, area 亩), ``rows`` their spreadsheet row numbers. A reader that
    crashes, aborts or runs out of memory or time in the child is a refusal
    ("文件无法读取（读取程序异常退出）").
    """
    today = today or date.today()
    limits = limits or settings.upload_limits()
    if not (enabled() if isolate is None else isolate):
        return validate.parse_here(data, filename, sector, lang=lang, today=today, limits=limits, columns=columns)
    try:
        p = run(data, filename, sector, lang=lang, today=today, limits=limits, columns=columns)
    except ChildFailed as e:
        name = validate.clean_filename(filename)
        return validate.refusal(name, data, lang, str(e))
    p.data = data
    return p
