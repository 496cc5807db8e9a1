"""The cache wrapper: the one store of the process and the cached queries pages get numbers through.

Pages draw; they get numbers only through :func:`q`, which calls a function of
``analytics.figures`` and caches the answer under two versions: the store's figures version
(bumped by writes that may change anything) and the scoped version of what the call reads
(its sectors, months and towns; ``kpis.scope_version``). A commit or an undo shows
everywhere at once (no timer), and an upload of one cooperative's duck sheet for one month
leaves the hog page, the greenhouse page and other years warm.

``PARK_LAKE=DIR`` serves a Parquet lake read-only instead of the database (analytics/store/lake.py).
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import streamlit as st

from analytics import figures, settings
from analytics.figures import kpis
from analytics.store.db import Store
from analytics.store.files import default_db_path

# Where q() adds up the time spent computing (not cached): bench/pages.py sets it to a list.
QUERY_LOG: list | None = None
LAKE_PREFIX = "lake:"


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    if path.startswith(LAKE_PREFIX):
        from analytics.store import lake

        return lake.LakeStore(Path(path.removeprefix(LAKE_PREFIX)))
    return Store(Path(path))


def db_path() -> Path:
    return Path(os.environ.get("PARK_DB") or default_db_path())


def _source() -> str:
    lake_dir = settings.get("PARK_LAKE")
    return LAKE_PREFIX + str(Path(lake_dir).resolve()) if lake_dir else str(db_path())


def store() -> Store:
    """The process's one connection to the database (or to the lake, with PARK_LAKE)."""
    return _store(_source())


# The shared filters' state (ui.state keeps it); its "pending" is the 含待审核数据 switch (pending=1).
FILTER_STATE = "_f_state"


def include_pending() -> bool:
    """Whether this tab's figures include the submissions awaiting review (``pending=1``)."""
    state = st.session_state.get(FILTER_STATE)
    if state is None:  # a tab's first run: the address decides, before the filters are read from it
        return st.query_params.get("pending") == "1"
    return bool(state.get("pending"))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(source: str, version: tuple, fn_name: str, args: tuple, kwargs: tuple, pending: bool = False) -> Any:
    fn = getattr(figures, fn_name)
    cur = _store(source).cursor()
    if pending:  # the records overlaid with the submissions 待审核, in this cursor only
        from analytics.figures import pending as overlay

        cur = overlay.with_pending(cur)
    t = time.perf_counter()
    try:
        return fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()
        if QUERY_LOG is not None:
            QUERY_LOG.append((fn_name, time.perf_counter() - t))


@functools.cache
def _signature(fn_name: str) -> inspect.Signature:
    return inspect.signature(getattr(figures, fn_name))


def question(fn_name: str, *args: Any, **kwargs: Any) -> tuple[tuple, tuple]:
    """The cache key's (args, kwargs) of a call, one per question: arguments bound to the
    function's signature with its defaults filled in, all passed by position. So
    ``q("month_completeness", s, period)`` (the deck) and ``q(..., s, period, Filters())``
    (the overview) are one entry, not two computations of the same answer (issue 19.6)."""
    bound = _signature(fn_name).bind(None, *args, **kwargs)
    bound.apply_defaults()
    params = list(_signature(fn_name).parameters.values())[1:]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        return args, tuple(sorted(kwargs.items()))
    return tuple(bound.arguments[p.name] for p in params), ()


# Each store's versions as read under one generation (Store.generation): {key: value}. A page
# view asks ~20 questions, each needing two or three version queries; between writes their
# answers cannot change, so they are read once per write instead of once per question per view.
_VERSIONS: weakref.WeakKeyDictionary[Store, tuple[int, dict]] = weakref.WeakKeyDictionary()
_VERSIONS_LOCK = threading.Lock()
_VERSIONS_MAX = 4096


def _memo(s: Store, key: tuple, read: Any) -> Any:
    """``read(cursor)``, kept for ``s``'s current generation (read before the query: a write
    committed meanwhile bumps it, so nothing read before that write is kept under its number)."""
    gen = s.generation
    with _VERSIONS_LOCK:
        held = _VERSIONS.get(s)
        if held is None or held[0] < gen or len(held[1]) > _VERSIONS_MAX:
            held = _VERSIONS[s] = (gen, {})
        elif held[0] > gen:  # a write committed since this call began: read, keep nothing
            held = None
        if held is not None and key in held[1]:
            return held[1][key]
    cur = s.cursor()
    try:
        value = read(cur)
    finally:
        cur.close()
    if held is not None:
        held[1][key] = value
    return value


def q(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``analytics.figures.<fn_name>(cursor, *args, **kwargs)``, cached under the figures
    version and the scoped version of what the call reads; one cache entry per question
    (:func:`question`)."""
    args, kw = question(fn_name, *args, **kwargs)
    s = store()
    pending = include_pending() and isinstance(s, Store) and _memo(s, ("pending?",), _has_pending)
    try:
        hash(args)
    except TypeError:  # an argument that cannot key a dict: read the versions afresh
        cur = s.cursor()
        try:
            version = _versions(cur, s, fn_name, args, pending)
        finally:
            cur.close()
    else:
        version = _memo(s, (fn_name, args, pending), lambda cur: _versions(cur, s, fn_name, args, pending))
    return _cached(_source(), version, fn_name, args, kw, pending)


def _versions(cur: Any, s: Store, fn_name: str, args: tuple, pending: bool) -> tuple:
    version = (s.figures_version(), kpis.scope_version(cur, fn_name, args))
    if pending:  # a new, accepted or returned submission changes the overlay
        version += (figures.pending_version(cur),)
    return version


def _has_pending(cur: Any) -> bool:
    from analytics.figures import pending as overlay

    return overlay.has_pending(cur)
