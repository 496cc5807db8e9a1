"""亩均对比's tables show long crop and cooperative names whole (a crop such as
设施蔬菜（番茄、黄瓜） was cut at the width the grid guessed): the name columns get a width from
their longest name, in the column config the page sends (ui.scaffold.name_widths; the upload log's
file names and months too)."""

from __future__ import annotations

import json

import pytest

from analytics.figures import rollups
from analytics.store.db import Store
from tests.test_upload_page import ADMIN, app, app_env  # noqa: F401 (app_env: the accounts)

LONG = "设施蔬菜（番茄、黄瓜）"
# 11 full-width characters at the grid's 14-px font, and 8 px of cell padding on either side.
LONG_PX = 11 * 14 + 2 * 8


def _config(element) -> dict:
    return json.loads(element.proto.columns)


@pytest.fixture
def long_crop(app_db):
    with Store(app_db) as s:
        cur = s.cursor()
        cur.execute("UPDATE greenhouse_records SET crop = ? WHERE crop <> '无籽西瓜'", [LONG]).fetchall()
        rollups.rebuild_rollups(cur, 999)
    return app_db


@pytest.mark.parametrize(("lang", "crop", "coop"), [("zh", "作物", "合作社"), ("en", "Crop", "Cooperative")])
def test_the_name_columns_are_wide_enough_for_the_longest_name(long_crop, lang, crop, coop):
    at = app("pages/per_mu.py", ADMIN, lang)
    top, bottom, grouped = at.dataframe[:3]
    shown = [*top.value[crop], *bottom.value[crop]]
    assert LONG in shown  # the long name is in the ranked tables, not only in the grouped one
    assert LONG in list(grouped.value[crop])
    for table in (top, bottom):
        config = _config(table)
        assert config[crop]["width"] >= LONG_PX
        longest = max(len(str(v)) for v in table.value[coop])
        # the cooperative stays pinned (scrolling sideways keeps it in view) and whole too
        assert config[coop]["pinned"] is True and config[coop]["width"] >= longest * 14 + 16
    assert _config(grouped)[crop]["width"] >= LONG_PX


def test_a_short_name_keeps_a_narrow_column(app_db):
    """The demo's crops (无籽西瓜 at most): no wider than the name needs, so the table
    still shows the ranking figure beside the names at a glance."""
    at = app("pages/per_mu.py", ADMIN)
    config = _config(at.dataframe[0])
    assert config["作物"]["width"] <= 4 * 14 + 40


def test_the_upload_log_shows_file_names_and_months_whole(app_db):
    """/uploads cut its file names ("05_total-row-spaced-in-farm-") and months ("2023-") at 1366 px:
    both columns are as wide as their longest value."""
    at = app("pages/uploads.py", ADMIN)
    assert not at.exception, at.exception
    grid = at.dataframe[0]
    config = _config(grid)
    shown = grid.value
    for column in ("文件", "月份"):
        longest = max(len(str(v)) for v in [column, *shown[column]])
        assert config[column]["width"] >= min(360, longest * 8 + 28), column
    assert config["文件"]["pinned"] is True
