"""The page toolkit: session state and URL filters (state), the cache wrapper (cache), page
scaffolding (scaffold), chart display (display), login (auth), downloads (export). Imports analytics, never pages.
"""

from __future__ import annotations

import streamlit as st


def _leave_legacy_multipage_mode() -> None:
    """Make a deep link such as /duck run through app.py.

    Streamlit treats the sibling pages/ folder as a v1 multipage app until app.py has called
    st.navigation once in the process; a first request for /duck would run pages/duck.py
    alone, without the page config, login and menu. Every page imports this module first,
    so switch to navigation mode here and start the run again through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# Every page imports from this package first, so this runs before any page draws.
_leave_legacy_multipage_mode()
