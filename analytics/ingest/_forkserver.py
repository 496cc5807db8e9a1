"""Imported only in the forkserver of :mod:`.isolate`, before any child is forked from it.

A child of a forkserver re-imports the parent's ``__main__`` by path (multiprocessing's
"prepare"): for the dashboard that is Streamlit's launcher, for a test or a script something
else again. Our children run :func:`analytics.ingest.isolate._child` and need none of it, so
here, in the forkserver alone, that step is switched off; then the modules a parse needs are
imported once, for every child to share.
"""

import multiprocessing.spawn as _spawn

_spawn._fixup_main_from_path = lambda path: None  # noqa: SLF001
_spawn._fixup_main_from_name = lambda name: None  # noqa: SLF001

from . import validate  # noqa: E402,F401 - preloaded: pandas, pyarrow, python-calamine's callers
