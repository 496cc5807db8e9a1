"""Numbers as the office writes them."""

import pytest

from analytics import fmt


@pytest.mark.parametrize("value, lang, expected", [
    (6_420_000, "zh", "642.0 万元"),
    (82_299_653, "zh", "8,230 万元"),
    (236_490_000, "zh", "2.36 亿元"),  # not 23,649 万元 (issue 19.8)
    (-123_000_000, "zh", "-1.23 亿元"),
    (9_999, "zh", "9,999 元"),
    (-1_250_000, "zh", "-125.0 万元"),
    (242_299_653, "en", "¥242.30M"),
    (38_909, "en", "¥38.9k"),
    (None, "zh", "—"),
])
def test_money(value, lang, expected):
    assert fmt.money(value, lang) == expected


@pytest.mark.parametrize("value, lang, expected", [
    (621_363, "zh", "62.1 万羽"),
    (10_459, "zh", "10,459 羽"),
    (621_363, "en", "621k birds"),
    (10_459, "en", "10,459 birds"),
    (float("nan"), "zh", "—"),
])
def test_count(value, lang, expected):
    assert fmt.count(value, "羽", " birds", lang) == expected


def test_per_mu_and_pct():
    assert fmt.per_mu(5_420.4) == "5,420 元/亩"
    assert fmt.per_mu(2_803, "en", "公斤") == "2,803 kg/mu"
    assert fmt.pct(0.1934) == "+19.3%" and fmt.pct(-0.05) == "-5.0%" and fmt.pct(None) == "—"


def test_csv_download_carries_no_float_noise():
    import pandas as pd

    from analytics.figures import tables

    df = pd.DataFrame({"合作社": ["甲社"], "利润": [130525.90000000014], "亩均": [5420.123456]})
    text = tables.to_csv_bytes(df).decode("utf-8-sig")
    assert "130525.9," in text and "5420.12" in text and "0000000" not in text


def test_the_per_mu_histogram_says_what_it_counts():
    import pandas as pd

    from analytics.meeting import charts

    bins = pd.DataFrame({"x0": [0.0, 100.0], "x1": [100.0, 200.0], "units": [3, 5]})
    fig = charts.distribution_bins(bins, "t", "元/亩", y_title="大棚地块数（个）")
    assert fig.layout.yaxis.title.text == "大棚地块数（个）" and fig.layout.xaxis.title.text == "元/亩"


def test_number_as_reported_with_separators_never_none_or_zero():
    assert [fmt.number(v) for v in (3900, 60000.0, 1234.5, 2.125, 0, -1500.25)] == [
        "3,900", "60,000", "1,234.5", "2.12", "0", "-1,500.25"]
    assert fmt.number(None) == fmt.number(float("nan")) == "—"
    assert fmt.number(2.6, max_digits=0) == "3"
