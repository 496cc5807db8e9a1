"""Numbers as the office writes them."""

import pytest

from analytics import fmt


@pytest.mark.parametrize("value, lang, expected", [
    (6_420_000, "zh", "642.0 万元"),
    (242_299_653, "zh", "24,230 万元"),
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
