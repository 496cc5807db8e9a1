"""A light dashboard reader: Streamlit's own websocket protocol, no browser (bench/rush.py).

One :class:`Reader` is one browser tab's session, as the server sees it, at a fraction of a
browser's CPU: 20 of them fit beside the server on a 2-core machine, where 20 Chromium
contexts were themselves the queue (docs/reliability.md §9).

What it sends, as Streamlit's frontend does (streamlit 1.67, ``web/server/starlette/
starlette_websocket.py`` and ``runtime/app_session.py``):

- the websocket ``/_stcore/stream`` with subprotocol ``streamlit`` (no Origin header, no XSRF
  token: a public viewer has no login cookie to prove);
- on connecting, a ``BackMsg.rerun_script`` with the address's query string and page name
  (the landing page);
- for a menu click, a ``BackMsg.rerun_script`` with that page's ``page_script_hash`` (taken from
  the server's ``navigation`` message), the query string, no widget states (a fresh tab's
  defaults), and the hashes of the cacheable messages it already holds
  (``cached_message_hashes``: the server then sends a ``ref_hash`` instead of resending them,
  as it does for a browser).

What it waits for: every ``ForwardMsg`` up to the ``script_finished`` that says
``FINISHED_SUCCESSFULLY``; a run that ends early for another rerun is followed to the end of
the next. Seen on the way and returned in :class:`Run`: the headings drawn (``st.title`` /
``st.header`` bodies: proof that the page script ran, not a cached "finished") and the
Exception elements (an error shown on the page). ``page_not_found`` or a compile error raise
:class:`RunFailed`.

    async with Reader.connect("http://127.0.0.1:8501", "year=2023") as r:
        run = await r.open_page("duck")   # Run(seconds=0.21, headings=["种鸭", …], exceptions=[])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect


class RunFailed(RuntimeError):
    """The server could not run the page (page not found, compile error)."""


@dataclass
class Run:
    """One script run as the reader saw it: ``seconds`` from sending the request to the
    ``script_finished`` message (wall clock), the headings and exception messages drawn."""

    seconds: float
    headings: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    messages: int = 0


class Reader:
    """One session on a live dashboard; use :meth:`connect` (an async context manager)."""

    def __init__(self, ws: ClientConnection, url: str, query_string: str):
        self._ws = ws
        self._url = url
        self._query = query_string
        self._cached: set[str] = set()
        self.pages: dict[str, str] = {}  # url_pathname ("" for the default page) → page_script_hash
        self.landing: Run | None = None

    @classmethod
    def connect(cls, url: str, query_string: str = "", *, open_timeout: float = 600) -> _Connecting:
        """``url``: the dashboard's base address (http://host:port). The first page (the
        landing) has run when the context is entered; its :class:`Run` is ``landing``."""
        return _Connecting(url, query_string, open_timeout)

    async def open_page(self, url_path: str) -> Run:
        """Switch this session to the page at ``url_path`` (e.g. "duck"; "" the default page)
        as a menu click does, and wait until its script has finished."""
        if url_path not in self.pages:
            raise RunFailed(f"no page at /{url_path}; the menu has {sorted(self.pages)}")
        return await self._rerun(page_script_hash=self.pages[url_path])

    async def _rerun(self, *, page_script_hash: str = "", page_name: str = "") -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self._query
        state.page_script_hash = page_script_hash
        state.page_name = page_name
        state.cached_message_hashes.extend(sorted(self._cached))
        state.context_info.locale = "zh-CN"
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.url = f"{self._url}/{page_name}"
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        run = Run(0.0)
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self._ws.recv())
            run.messages += 1
            if fwd.hash and fwd.metadata.cacheable:
                self._cached.add(fwd.hash)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                self._element(fwd, run)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
                default = next((p for p in fwd.navigation.app_pages if p.is_default), None)
                if default is not None:
                    self.pages[""] = default.page_script_hash
            elif kind == "page_not_found":
                raise RunFailed(f"page not found: {fwd.page_not_found.page_name!r}")
            elif kind == "script_finished":
                status = fwd.script_finished
                if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                    run.seconds = time.perf_counter() - t0
                    return run
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RunFailed("the page did not compile")
                # FINISHED_EARLY_FOR_RERUN: the server goes on with the next run; wait for it.

    @staticmethod
    def _element(fwd: ForwardMsg, run: Run) -> None:
        delta = fwd.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "heading":
            run.headings.append(el.heading.body)
        elif kind == "exception":
            run.exceptions.append(f"{el.exception.type}: {el.exception.message}")


class _Connecting:
    def __init__(self, url: str, query_string: str, open_timeout: float):
        self._url, self._query, self._timeout = url.rstrip("/"), query_string, open_timeout
        self._cm = None

    async def __aenter__(self) -> Reader:
        ws_url = "ws" + self._url.removeprefix("http") + "/_stcore/stream"
        # No keepalive pings (a browser sends none, and a busy server's late pong must not end
        # the session); no size limit (a page's figures can pass websockets' 1 MiB default).
        self._cm = connect(ws_url, subprotocols=["streamlit"], ping_interval=None, max_size=None,
                           open_timeout=self._timeout)
        ws = await self._cm.__aenter__()
        reader = Reader(ws, self._url, self._query)
        reader.landing = await reader._rerun()
        return reader

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._cm.__aexit__(exc_type, exc, tb)
