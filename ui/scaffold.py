"""Page scaffolding: the header, the demo badge, the period and filters every page starts with,
tabs that remember their choice, the uploader's words, metrics and pinned table columns.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import streamlit as st

from analytics import fmt, scope
from analytics.figures import tables
from analytics.figures.compare import TURNS, delta_color, turn_text
from analytics.meeting import slides
from ui import drill
from ui.cache import q, store
from ui.state import filters_banner, lang, sidebar_filters, t


def is_demo() -> bool:
    return store().is_demo()


def several_towns() -> bool:
    """A county store (more than one town): unit tables then say which town a unit is in."""
    return len(slides.real_towns(q("towns"))) > 1


def demo_badge() -> None:
    if is_demo():
        st.warning(t("示例数据：本页数字由演示程序生成，并非真实统计。",
                     "Demo data: these figures are generated, not real statistics."),
                   icon=":material/science:")


def show_outcome(key: str) -> None:
    """Show, once, the (ok, message) a button's callback left under ``key`` in session state: a
    success or an error box. The message is built with md() where it was made (text-safe)."""
    if done := st.session_state.pop(key, None):
        ok, message = done
        if ok:
            st.success(message, icon=":material/check_circle:")  # text-safe: md() where it was made
        else:
            st.error(message, icon=":material/block:")  # text-safe: md() where it was made


def page_header(title_zh: str, title_en: str) -> None:
    st.title(t(title_zh, title_en))  # text-safe: titles checked at every page_header/page_start call
    demo_badge()


def no_data() -> None:
    st.info(t("数据库里还没有数据。请在“上传”页上传月报，或运行 python -m analytics demo 生成示例数据。",
              "No data yet. Upload a monthly sheet, or run python -m analytics demo for demo data."))


def page_start(title_zh: str, title_en: str) -> tuple[scope.Period, scope.Filters]:
    """Title, the period and filters in words, demo notice and the sidebar filters; stops the
    page with a hint when there is no data."""
    st.title(t(title_zh, title_en))  # text-safe: titles checked at every page_start call
    drill.apply_pending()
    chosen = sidebar_filters()
    if chosen is None:
        demo_badge()
        no_data()
        st.stop()
    filters_banner(*chosen)
    drill.breadcrumb(chosen[1], several_towns())
    demo_badge()
    return chosen


def tabs(key: str, labels: dict[str, str]) -> dict[str, Any]:
    """``st.tabs`` that keep the open tab when the language switches: {tab key: container}.

    A tab's state is its label, which the other language does not have; the open tab is
    remembered by its key (``labels``: key → label in the current language) and given back
    in the new language's label. Tabs rerun the page when switched, so the state is known.
    """
    ss, keep = st.session_state, f"_{key}_open"
    shown = list(labels.values())
    if ss.get(key) in shown:
        ss[keep] = next(k for k, v in labels.items() if v == ss[key])
    elif ss.get(keep) in labels:
        ss[key] = labels[ss[keep]]
    return dict(zip(labels, st.tabs(shown, key=key, on_change="rerun"), strict=True))


def uploader_texts(key: str, max_mb: int) -> None:
    """The file uploader's own texts ("Upload", "50MB per file • CSV, …") in the UI's language.

    Streamlit offers no option for them: its texts are hidden and ours drawn in their place
    by CSS, scoped to the uploader with this ``key``.
    """
    button = t("选择文件", "Choose a file")
    note = t(f"拖放文件到这里，或点击“选择文件”；单个文件不超过 {max_mb:d} MB；CSV、TXT 或 Excel",
             f"Drag a file here or choose one; up to {max_mb:d} MB; CSV, TXT or Excel")
    box = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    st.html(f"""<style>
{box} button [data-testid='stMarkdownContainer'] {{display: none}}
{box} button span[data-has-shortcut]::after {{content: "{button}"}}
{box} [data-testid='stFileUploaderDropzoneInstructions'] > * {{display: none}}
{box} [data-testid='stFileUploaderDropzoneInstructions']::after {{content: "{note}"; font-size: .875rem;
  color: rgba(49, 51, 63, .6)}}
</style>""")  # text-safe: fixed texts and a number, in CSS strings


def pinned_names(table: Any) -> dict:
    """column_config that keeps a ranked table's name columns in view when it scrolls sideways
    (the ranking column follows them: tables.unit_table)."""
    names = {tables.column_label(s, k, lang()) for s in ("duck", "hog", "greenhouse") for k in tables.NAME_COLUMNS}
    return {c: st.column_config.Column(pinned=True) for c in table.columns if c in names}


def change_text(c: dict | None, measure: str) -> str:
    """A comparison's change of ``measure`` as a table shows it: the percentage, the words where a
    loss stands in its way (扭亏为盈, 由盈转亏, 减亏, 增亏: compare.TURNS), else "—"."""
    if not c:
        return "—"
    if c["change"].get(measure) is not None:
        return fmt.pct(c["change"][measure])
    return turn_text(c.get("turn", {}).get(measure), lang()) or "—"


def metric(label: str, value: str, delta: float | None = None, help: str | None = None, *,
           measure: str | None = None, basis: str = "yoy", turned: str | None = None) -> None:
    """A card: its value and its change, coloured by whether up is good for ``measure``
    (figures.compare.UP_IS_GOOD: cost up is red), described as 同比 or 环比 (``basis``). Without
    a percentage because a loss is on either side, ``turned`` (a compare.TURNS key) says it in
    words, green or red by whether it is good news, with no arrow."""
    if delta is None and turned is not None:
        st.metric(label, value, delta=turn_text(turned, lang()), help=help,
                  delta_color="normal" if TURNS[turned][2] else "inverse", delta_arrow="off",
                  delta_description=t("同比", "YoY") if basis == "yoy" else t("环比", "MoM"))
        return
    # A change that rounds to 0.0% is no news: grey, no arrow (an up arrow in green said "better").
    flat = delta is not None and round(delta * 100, 1) == 0
    st.metric(label, value, delta="0.0%" if flat else fmt.pct(delta) if delta is not None else None, help=help,
              delta_color="off" if flat else delta_color(measure) if measure else "normal",
              delta_arrow="off" if flat else "auto",
              delta_description=(t("同比", "YoY") if basis == "yoy" else t("环比", "MoM"))
              if delta is not None else None)


def name_widths(table: Any, columns: list[str]) -> dict[str, int]:
    """{column: pixels} for the name columns among ``columns``: wide enough for the longest name
    shown whole (a crop such as 设施蔬菜（番茄、黄瓜） was cut to 设施蔬菜（番… at the width the grid
    guessed). A Chinese character or full-width mark takes 14 px of the grid's 14-px font, other
    characters at most 8; 28 px for the cell's padding and the header's menu. At most 360 px."""
    def pixels(text: object) -> int:
        return sum(14 if unicodedata.east_asian_width(ch) in "WF" else 8 for ch in str(text)) + 28
    return {c: min(360, max(pixels(v) for v in [c, *table[c].dropna()])) for c in columns if c in table.columns}
