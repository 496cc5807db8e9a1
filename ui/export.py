"""Download buttons for meeting material: chart PNGs, a ZIP of a page's charts, the PPTX deck.

Nothing is rendered on a page run (that is the hot path): the PNG and ZIP buttons hand
Streamlit a callable that runs only when the button is clicked, and the deck is built only
after its own button is pressed, with a progress bar.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from analytics import export, kpis
from analytics.text import md
from ui.common import PAGE_FIGS, is_demo, lang, store, t

_DECK = "_deck_bytes"


def page_figures() -> dict[str, Any]:
    """Take the figures this run's show_chart calls registered (and reset the registry).

    Called at the end of a page, so the next page starts with an empty registry and its
    ZIP never carries another page's charts.
    """
    return st.session_state.pop(PAGE_FIGS, {}) or {}


def page_downloads(page: str, figs: dict[str, Any] | None = None) -> None:
    """Per-chart PNG buttons and "下载本页全部图表 (ZIP)" for the charts of this page.

    Call it last on a page. ``page`` names the ZIP (e.g. "总览"). PNGs are rendered only
    when a button is clicked (~0.2 s per chart; the first export of a process starts
    Chromium, ~3 s).
    """
    figs = page_figures() if figs is None else figs
    if not figs:
        return
    with st.expander(t("下载图表（PNG，含中文）", "Download charts (PNG)"), icon=":material/download:"):
        problem = export.png_problem()
        if problem:
            st.warning(md(problem), icon=":material/warning:")
            return
        st.download_button(t("下载本页全部图表 (ZIP)", "Download all charts of this page (ZIP)"),
                           data=partial(export.figs_to_zip, dict(figs)),
                           file_name=f"{export.safe_filename(page)}_{t('图表', 'charts')}.zip",
                           mime="application/zip", on_click="ignore", type="primary",
                           icon=":material/folder_zip:", key=f"_zip_{page}")
        cols = st.columns(3)
        for i, (name, fig) in enumerate(figs.items()):
            with cols[i % 3]:
                st.download_button(f"{name}.png", data=partial(export.fig_to_png, fig),
                                   file_name=f"{export.safe_filename(name)}.png", mime="image/png",
                                   on_click="ignore", icon=":material/image:", key=f"_png_{page}_{i}")


def deck_download(period: kpis.Period) -> None:
    """"生成汇报 PPT" with a progress bar, then the download button for the deck."""
    s = store()
    key = (period, s.data_version())
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

            cur = s.cursor()
            try:
                data = export.build_deck(cur, period, demo=is_demo(), progress=progress)
            except (export.ExportUnavailable, export.ExportError) as e:
                status.update(label=t("生成失败", "Failed"), state="error")
                st.error(md(e))
                return
            finally:
                cur.close()
            status.update(label=t("汇报 PPT 已生成", "Deck ready"), state="complete", expanded=False)
        cached = (key, data)
        st.session_state[_DECK] = cached
    if cached and cached[0] == key:
        st.download_button(t("下载汇报 PPT", "Download the deck (PPTX)"), data=cached[1],
                           file_name=f"{export.TOWNSHIP}园区汇报_{period.label_from}_{period.label_to}.pptx",
                           mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                           on_click="ignore", type="primary", icon=":material/download:", key="_deck_dl")
        if lang() == "en":
            st.caption("The deck is written in Chinese, for the township's meetings.")
