"""Every table cell as the screen shows it (issue 9, points 4 and 5): no ``None``, counts and money
with thousands separators, money in 万元 in ranked tables, one language per screen. The browser
draws table cells on a canvas, so the cells are read here from what the page sends (the styled
display values); tests/test_browser_daily.py walks the rest of each screen in real Chromium."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from analytics import fmt
from analytics.figures import tables
from analytics.store.db import Store
from tests.test_upload_page import ADMIN, app, app_env  # noqa: F401 (app_env: the accounts)

PAGES = ["pages/overview.py", "pages/duck.py", "pages/hog.py", "pages/greenhouse.py", "pages/per_mu.py",
         "pages/uploads.py", "pages/admin.py"]
NOT_A_VALUE = {"None", "nan", "NaN", "NaT", "null", "<NA>"}
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
LATIN_OK = {"boss", "admin", "system", "csv", "xlsx", "CSV", "Excel"}


def shown(element) -> pd.DataFrame:
    """A st.dataframe's cells as text, as drawn: the Styler's display values where styled."""
    styler = element.proto.arrow_data.styler
    if styler.display_values:
        cells = pa.ipc.open_stream(styler.display_values).read_all().to_pandas()
    else:
        cells = element.value
    # Streamlit draws a missing value as "None".
    return cells.astype(object).map(lambda v: "None" if v is None or v is pd.NA or v != v else str(v))


def proper_names(db_path) -> list[str]:
    with Store(db_path) as s:
        rows = s.cursor().execute("""SELECT name FROM cooperatives UNION SELECT unit FROM units
                                     UNION SELECT village FROM units UNION SELECT zone FROM units
                                     UNION SELECT name FROM towns UNION SELECT filename FROM uploads
                                     UNION SELECT uploaded_by FROM uploads UNION SELECT username FROM users
                                     UNION SELECT DISTINCT crop FROM greenhouse_records""").fetchall()
    return sorted({r[0] for r in rows if r[0]}, key=len, reverse=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_table_cell_reads_right(app_db, page, lang):
    at = app(page, ADMIN, lang)
    # Read-only tables (an editor's empty cells are fields to fill in, and its hidden columns are not drawn).
    frames = [(e.value, shown(e)) for e in at.dataframe if not e.proto.editing_mode]
    assert frames, f"{page} shows no table"
    names = proper_names(app_db)
    for raw, cells in frames:
        if {"英文表头", "English header"} & set(raw.columns):
            continue  # the upload contract's help: Chinese headers and English aliases on purpose
        headers = " ".join(map(str, raw.columns))
        assert not NOT_A_VALUE & set(cells.to_numpy().ravel()), (page, headers)
        for col in raw.columns:
            if pd.api.types.is_numeric_dtype(raw[col]) and col not in ("编号", "No."):
                big = raw[col].abs() >= 1_000
                bare = cells[col][big.to_numpy()].str.fullmatch(r"-?\d{4,}(\.\d+)?")
                assert not bare.any(), (page, col, "no thousands separator")
        text = " ".join(cells.to_numpy().ravel()) + " " + headers
        for n in names:
            if lang == "en" and n in fmt.CROP_NAMES_EN:
                text = text.replace(f"{n} ({fmt.CROP_NAMES_EN[n]})", " ")
                continue
            text = text.replace(n, " ")
        if lang == "en":
            assert not CJK.findall(text), (page, headers, sorted(set(CJK.findall(text))))
        else:
            assert not [w for w in LATIN_WORD.findall(text) if w not in LATIN_OK], (page, headers)


@pytest.mark.parametrize("page, sector", [("pages/duck.py", "duck"), ("pages/hog.py", "hog"),
                                          ("pages/greenhouse.py", "greenhouse")])
def test_ranked_tables_name_first_then_the_ranking_column_in_wan_yuan(app_db, page, sector):
    at = app(page, ADMIN)
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["合作社", tables.column_label(sector, "unit"), "利润(万元)"]
    assert {"销售收入(万元)", "成本(万元)"} <= set(table.columns) and not any("(元)" in c for c in table.columns)
    cells = shown(at.dataframe[0])
    assert cells["利润(万元)"].str.fullmatch(r"-?[\d,]+\.\d").all()  # 16.5, as the cards write 万元


def test_per_mu_top_and_bottom_lead_with_the_figure_they_rank_by(app_db):
    at = app("pages/per_mu.py", ADMIN)
    top, bottom = at.dataframe[0].value, at.dataframe[1].value
    for t in (top, bottom):
        assert list(t.columns[:3]) == ["合作社", "棚号", "亩均效益(元/亩)"] and len(t.columns) <= 6
    assert top["亩均效益(元/亩)"].min() >= bottom["亩均效益(元/亩)"].max()


def test_upload_log_leads_with_what_and_its_status(app_db):
    at = app("pages/uploads.py", ADMIN)
    log = at.dataframe[0].value
    assert list(log.columns[:3]) == ["编号", "文件", "状态"]
    assert set(log["状态"]) <= {"已导入", "已撤销"}
    assert not log["月份"].str.contains(r"\.\.").any()  # 2021-01 至 2023-12, not 2021-01..2023-12


def test_styled_tables_write_a_dash_for_nothing_and_separate_thousands():
    df = pd.DataFrame({"合作社": ["甲", None], "利润(万元)": [1234.56, None], "存栏(羽)": [12345, 7],
                       "编号": [1234, 5]})
    out = tables.styled(df, plain=("编号",)).to_html()
    assert "1,234.6" in out and "12,345" in out and ">—<" in out and "None" not in out and ">1234<" in out


def test_a_text_column_with_nothing_in_it_carries_the_dash_to_the_browser():
    """All-None text reaches Arrow as the null type, which Streamlit draws as "None" whatever
    the Styler says: the dash goes into the data the browser gets."""
    df = pd.DataFrame({"棚号": ["G-0101", "G-0102"], "村": [None, None], "利润(万元)": [0.53, None]})
    shown = tables.styled(df)
    assert list(shown.data["村"]) == ["—", "—"] and list(shown.data["棚号"]) == ["G-0101", "G-0102"]
    assert df["村"].isna().all()  # the caller's frame (and so the downloads) keep their blanks
