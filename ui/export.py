"""Meeting material on the pages: stamped chart PNGs and ZIPs, the 汇报 views' chart images, the deck.

Nothing is rendered on a page run that does not show it (that is the hot path): the PNG and
ZIP buttons hand Streamlit a callable that runs only when the button is clicked, and the deck
is built only after its own button is pressed, with a progress bar. Chart images are cached
by their figure (the figure dict is the key), so the 汇报 views and the deck share them: a
deck built after the views were shown renders no chart again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Any

import plotly.io as pio
import streamlit as st

from analytics import scope
from analytics.meeting import export, slides, theme
from analytics.text import md
from ui import display
from ui.cache import include_pending, q, store
from ui.display import PAGE_FIGS
from ui.scaffold import is_demo
from ui.state import lang, t

_DECK = "_deck_bytes"


# --- chart images, cached by figure --------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=128)
def _png(fig_json: str, width: int, height: int, scale: float) -> bytes:
    return export.fig_to_png(json.loads(fig_json), width=width, height=height, scale=scale)


def render_png(fig_dict: dict, width: int, height: int, scale: float) -> bytes:
    """:data:`analytics.meeting.export.Render` with a cache: the same figure is rendered once per process."""
    return _png(pio.to_json(fig_dict, validate=False), width, height, scale)


@st.cache_data(show_spinner=False, max_entries=128)
def _shared_png(digest: str, width: int, height: int, style_key: str, _deck: slides.Deck,
                _slide: slides.Slide) -> bytes:
    # Keyed by the shared chart's digest (its content), box and style: a view of the same numbers
    # neither copies nor serialises the figure again (slide_figure and the JSON key of render_png).
    return render_png(export.slide_figure(_deck, _slide, theme.style(style_key)), width, height, export.DECK_SCALE)


def slide_png(deck: slides.Deck, slide: slides.Slide, style: theme.Style) -> tuple[bytes | None, str]:
    """A view's chart as PNG at 2× its box (the deck's very image in the light style), or the
    Chinese reason it cannot be drawn on this machine."""
    problem = export.png_problem()
    if problem:
        return None, problem
    box = slide.chart_box
    try:
        built = display.shared(deck.charts[slide.chart]) if slide.chart else None
        if built is not None:
            return _shared_png(built.digest, box.w, box.h, style.key, deck, slide), ""
        return render_png(export.slide_figure(deck, slide, style), box.w, box.h, export.DECK_SCALE), ""
    except (export.ExportUnavailable, export.ExportError) as e:
        return None, str(e)


@st.cache_data(show_spinner=False, max_entries=128)
def _phone_svg(digest: str, style_key: str, _deck: slides.Deck, _slide: slides.Slide) -> bytes:
    box = theme.PHONE_CHART
    return export.fig_to_svg(export.phone_figure(_deck, _slide, theme.style(style_key)), width=box.w, height=box.h)


def phone_svg(deck: slides.Deck, slide: slides.Slide, style: theme.Style) -> bytes | None:
    """A view's chart as its card shows it on a phone (SVG at the card's width), once per shared
    chart and style; None where no image can be drawn (the PNG's reason is shown instead)."""
    built = display.shared(deck.charts[slide.chart]) if slide.chart else None
    if built is None or export.png_problem():
        return None
    try:
        return _phone_svg(built.digest, style.key, deck, slide)
    except (export.ExportUnavailable, export.ExportError):
        return None


# --- stamped PNG downloads ----------------------------------------------------------------------

def page_figures() -> dict[str, Any]:
    """Take the figures this run's show_chart calls registered (and reset the registry).

    Called at the end of a page, so the next page starts with an empty registry and its
    ZIP never carries another page's charts.
    """
    return st.session_state.pop(PAGE_FIGS, {}) or {}


def scope_words(filters: scope.Filters | None) -> str:
    """The filters in plain words for a stamp ("合作社：甲、乙；村：前营村"); '' for the whole park."""
    if filters is None:
        return ""
    parts = []
    for zh, en, name in (("乡镇", "town", "towns"), ("合作社", "cooperative", "cooperatives"),
                         ("村", "village", "villages"), ("小区", "zone", "zones")):
        values = getattr(filters, name, ())
        if values:
            parts.append(f"{zh}：{'、'.join(values)}" if lang() == "zh" else f"{en}: {', '.join(values)}")
    if include_pending():  # the stamp says these are not the accepted figures
        parts.append(t("含待审核数据", "incl. pending submissions"))
    return t("；", "; ").join(parts)


def stamp_for(period: scope.Period, filters: scope.Filters | None = None) -> export.Stamp:
    """The stamp of this page's exports: period, filters, 数据截至, source, demo."""
    return export.Stamp(period, q("data_as_of"), is_demo(), lang(), scope_words(filters),
                        slides.place_name(q("towns"), lang()))


def page_downloads(page: str, period: scope.Period, filters: scope.Filters | None = None,
                   figs: dict[str, Any] | None = None, periods: dict[str, scope.Period] | None = None,
                   notes: dict[str, str] | None = None) -> None:
    """Per-chart PNG buttons and "下载本页全部图表 (ZIP)" for the charts of this page.

    Call it last on a page. ``page`` names the ZIP (e.g. "总览"); each PNG carries the stamp
    band (period, filters, 数据截至, source) and is named ``<主题>_<期间>_<数据截至>.png``.
    ``periods`` names charts drawn over another period than the page's (their stamp says so);
    ``notes`` gives a chart the incomplete-month note of its slide (``slides.month_note``).
    PNGs are rendered only when a button is clicked (~0.2 s per chart; the first export of a
    process starts Chromium, ~3 s).
    """
    figs = page_figures() if figs is None else figs
    if not figs:
        return
    with st.expander(t("下载图表（PNG，含期间与数据截至）", "Download charts (PNG, stamped)"),
                     icon=":material/download:"):
        problem = export.png_problem()
        if problem:
            st.warning(md(problem), icon=":material/warning:")
            return
        stamp = stamp_for(period, filters)
        own = {name: stamp_for(p, filters) for name, p in (periods or {}).items() if name in figs}
        for name, note in (notes or {}).items():
            if note and name in figs:
                own[name] = replace(own.get(name, stamp), note=note)
        st.download_button(t("下载本页全部图表 (ZIP)", "Download all charts of this page (ZIP)"),
                           data=partial(export.figs_to_zip, dict(figs), stamp, stamps=own),
                           file_name=stamp.file_name(page, "zip"),
                           mime="application/zip", on_click="ignore", type="primary",
                           icon=":material/folder_zip:", key=f"_zip_{page}")
        cols = st.columns(3)
        for i, (name, fig) in enumerate(figs.items()):
            with cols[i % 3]:
                mine = own.get(name, stamp)
                st.download_button(f"{name}.png", data=partial(export.chart_png, fig, mine),
                                   file_name=mine.file_name(name), mime="image/png",
                                   on_click="ignore", icon=":material/image:", key=f"_png_{page}_{i}")


# --- the deck -------------------------------------------------------------------------------------

def deck_download(period: scope.Period, *, exact: bool = False) -> None:
    """"生成汇报 PPT" with a progress bar, then the download button for the deck.

    The deck is written in the page's language, with the page's 精确/概数 choice, from the
    pages' cached figures (``q``) and chart images (:func:`render_png`).
    """
    s = store()
    L = lang()
    key = (period, s.data_version(), L, exact, include_pending())
    cached = st.session_state.get(_DECK)
    if st.button(t("生成汇报 PPT", "Build the PPTX deck"), icon=":material/slideshow:",
                 key="_deck_build"):
        problem = export.png_problem()
        if problem:
            st.error(md(problem))
            return
        with st.status(t("正在生成汇报 PPT…", "Building the deck…"), expanded=True) as status:
            bar = st.progress(0.0)

            def progress(fraction: float, message: str) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0), text=message)

            try:
                data = export.build_deck(q, period, demo=is_demo(), lang=L, exact=exact, progress=progress,
                                         render=render_png, pending=include_pending(), make=display.figure)
            except (export.ExportUnavailable, export.ExportError) as e:
                status.update(label=t("生成失败", "Failed"), state="error")
                st.error(md(e))
                return
            status.update(label=t("汇报 PPT 已生成", "Deck ready"), state="complete", expanded=False)
        cached = (key, data)
        st.session_state[_DECK] = cached
    if cached and cached[0] == key:
        name = t(f"{slides.place_name(q('towns'))}园区汇报_{slides.file_period(period)}.pptx",
                 f"park-report_{period.label_from}_{period.label_to}.pptx")
        st.download_button(t("下载汇报 PPT", "Download the deck (PPTX)"), data=cached[1],
                           file_name=export.safe_filename(name),
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           on_click="ignore", type="primary", icon=":material/download:", key="_deck_dl")
