"""The coverage line names the month it counts (a new user saw "2026年12月 4/4 户已报" for a
2026 that had data up to September)."""

from __future__ import annotations

from datetime import date

from analytics.figures.compare import coverage_text
from analytics.scope import Period

COV = {"reported": 4, "expected": 4, "sectors_missing": []}


def test_a_year_in_progress_names_its_last_month_with_data_not_december():
    year, shown = Period(date(2026, 1, 1), date(2026, 12, 1)), Period(date(2026, 1, 1), date(2026, 9, 1))
    zh = coverage_text(year, COV, "zh", compared=shown)
    assert zh.startswith("2026年9月 4/4 个单元已报；同比按两期都上报的单元计算")
    assert "12月" not in zh
    en = coverage_text(year, COV, "en", compared=shown)
    assert en.startswith("2026-09: 4/4 units reported")
    assert "2026-12" not in en


def test_a_month_names_itself():
    month = Period(date(2023, 12, 1), date(2023, 12, 1))
    cov = {"reported": 48, "expected": 50, "sectors_missing": ["hog"]}
    assert coverage_text(month, cov, "zh", compared=month) == \
        "本月（2023年12月） 48/50 个单元已报，生猪未报；同比、环比按两期都上报的单元计算"


def test_a_sector_line_counts_its_own_units_with_their_word():
    month = Period(date(2023, 12, 1), date(2023, 12, 1))
    hog = coverage_text(month, {"reported": 38, "expected": 58, "sectors_missing": []}, "zh", compared=month,
                        sector="hog")
    assert hog.startswith("本月（2023年12月） 38/58 户已报；")
    shed = coverage_text(month, {"reported": 12, "expected": 14, "sectors_missing": []}, "zh", compared=month,
                         sector="duck")
    assert shed.startswith("本月（2023年12月） 12/14 棚已报；")
