"""Drill-down: a click on a town, village, cooperative or unit — a bar of a chart or a row of a
table — narrows the shared filters to it (the same page, filtered; the address carries it), and a
breadcrumb (全镇 › 东村 › 丰华生猪养殖专业合作社 › 吴长林) steps back up.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from analytics import scope
from analytics.text import md
from ui.state import DRILL_LEVELS, drill, t

_PENDING = "_drill_pending"  # widget values a drill sets for the next run (e.g. the per-mu grouping)


def key_for(name: str, filters: scope.Filters, *more: object) -> str:
    """A widget key that changes with the filters: after a drill the chart or table is new, with
    no selection left over that would drill again."""
    h = hashlib.sha1(repr((filters, more)).encode()).hexdigest()[:10]  # noqa: S324 — a key, not a secret
    return f"drill_{name}_{h}"


def apply_pending() -> None:
    """Before a page's widgets: the values a drill asked for (a widget's value cannot change after it is drawn)."""
    for k, v in st.session_state.pop(_PENDING, {}).items():
        st.session_state[k] = v


def go(level: str, value: str | None, **widgets: Any) -> None:
    """Narrow to ``value`` at ``level`` (None: step back above it), set ``widgets`` on the next run, rerun."""
    drill(level, value)
    if widgets:
        st.session_state[_PENDING] = widgets
    st.rerun()


def _selection(event: Any) -> Any:
    try:
        return event.selection
    except AttributeError:
        return (event or {}).get("selection", {}) if isinstance(event, dict) else {}


def picked_point(event: Any) -> str | None:
    """The name a click on a bar picked (the bar's customdata, else its x), or None."""
    points = _selection(event).get("points", []) or []
    if not points:
        return None
    value = points[0].get("customdata", points[0].get("x"))
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value is not None else None


def picked_row(event: Any) -> int | None:
    """The position of the table row a click selected, or None."""
    rows = _selection(event).get("rows", []) or []
    return int(rows[0]) if rows else None


def go_unit(cooperative: str, unit: str) -> None:
    """Narrow to one unit of a cooperative (a row of a unit table) and rerun."""
    drill("coop", cooperative)
    go("unit", unit)


def breadcrumb(filters: scope.Filters, several_towns: bool) -> None:
    """全镇 › 东村 › 合作社 › 单元 for the levels set; a click on a part keeps it and clears the ones
    below it; the first part clears them all. Drawn only once something is narrowed."""
    levels = {"town": filters.towns, "village": filters.villages, "coop": filters.cooperatives,
              "unit": filters.units}
    if not any(levels.values()):
        return
    parts: list[tuple[str | None, str, str | None]] = [
        (DRILL_LEVELS[0], t("全部乡镇", "All towns") if several_towns else t("全镇", "Whole town"), None)]
    for level in DRILL_LEVELS:
        values = levels[level]
        if values:
            parts.append((level, t("、", ", ").join(values), values[0] if len(values) == 1 else None))
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    for i, (level, label, value) in enumerate(parts):
        last = i == len(parts) - 1
        with row:
            # A button's label is Markdown: names are escaped (a cooperative named **x** stays text)
            if st.button(md(label), key=f"crumb_{i}", type="tertiary", disabled=last, width="content",
                         help=None if last else t("回到这一级", "Back to this level")):
                if i == 0:
                    go("town", None)
                nxt = DRILL_LEVELS[DRILL_LEVELS.index(level) + 1:] if level else ()
                go(nxt[0], None) if nxt else go(level, value)
            if not last:
                st.markdown("›", width="content")
