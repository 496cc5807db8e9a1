"""The page toolkit: session state and URL filters (state), the cache wrapper (cache), page
scaffolding (scaffold), chart display (display), login (auth), downloads (export). Imports analytics, never pages.
"""

from __future__ import annotations


def _leave_legacy_multipage_mode() -> None:
    """Make a deep link such as /duck run through app.py.

    Streamlit treats the sibling pages/ folder as a v1 multipage app until app.py has called
    st.navigation once in the process; a first request for /duck would run pages/duck.py
    alone, without the page config, login and menu. Every page imports this package first,
    so switch to navigation mode here and have the run start again through app.py.

    The rerun is requested, not raised: ``st.rerun()`` here raised its RerunException in the
    middle of the import, so the import failed and was undone while other first sessions
    (their own script threads) waited for it — they then held the undone module and failed
    with ``ImportError: cannot import name 'auth' from 'ui'`` (or any other name). Requested,
    it is acted on at the page's first element, after every import has finished: what
    ``st.rerun()`` does before it forces its yield point (tests/test_browser_cold_start.py).
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import RerunData, get_script_run_ctx

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        ctx = get_script_run_ctx()
        if ctx is not None and ctx.script_requests is not None:
            ctx.script_requests.request_rerun(RerunData(
                query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
                context_info=ctx.context_info))


# Every page imports from this package first, so this runs before any page draws.
_leave_legacy_multipage_mode()
