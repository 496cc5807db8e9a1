"""The period in the address is written by one function (ui.state.period_params) and read back
to the same period, by the sidebar (_from_url) and by the 汇报 page (period_from_params)."""

from __future__ import annotations

import pytest

from analytics.scope import Period
from ui import state

MONTHS = [f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
CASES = [
    ("month", Period.months("2023-05", "2023-05"), {"month": "2023-05"}),
    ("ytd", Period.months("2023-01", "2023-03"), {"ytd": "2023-03"}),
    ("year", Period.year(2022), {"year": "2022"}),
    ("range", Period.months("2022-11", "2023-02"), {"from": "2022-11", "to": "2023-02"}),
    ("range", Period.months("2023-01", "2023-03"), {"from": "2023-01", "to": "2023-03"}),  # a 区间 stays one
]


@pytest.fixture
def data_months(monkeypatch):
    """The cached queries _from_url asks, for a store of 2022–2023 with no towns, villages or zones."""
    answers = {"landing_month": "2023-12", "towns": [], "villages": [], "zones": [], "cooperatives": []}
    monkeypatch.setattr(state, "q", lambda name, *a: answers[name])


@pytest.mark.parametrize(("mode", "period", "params"), CASES)
def test_what_is_written_is_read_back_to_the_same_period(data_months, mode, period, params):
    assert state.period_params(period, mode) == params
    got, bad = state._from_url({k: [v] for k, v in params.items()}, [2022, 2023], MONTHS)
    assert bad == []
    assert (got["mode"], state.chosen_period(got)) == (mode, period)
    assert state.period_from_params(params) == period
    # The sidebar writes its own state through the same function.
    assert state._to_url(got) == {k: [v] for k, v in params.items()}


@pytest.mark.parametrize(("period", "params"), [
    (Period.months("2023-05", "2023-05"), {"month": "2023-05"}),
    (Period.year(2022), {"year": "2022"}),
    (Period.months("2023-01", "2023-03"), {"from": "2023-01", "to": "2023-03"}),
])
def test_without_a_mode_a_month_a_year_or_a_range_and_back(data_months, period, params):
    assert state.period_params(period) == params
    got, _ = state._from_url({k: [v] for k, v in params.items()}, [2022, 2023], MONTHS)
    assert state.chosen_period(got) == period == state.period_from_params(params)


def test_no_period_keys_name_no_period_and_bad_ones_are_said_in_chinese():
    assert state.period_from_params({"view": "duck", "lang": "en"}) is None
    with pytest.raises(ValueError, match="年份“20x2”"):
        state.period_from_params({"year": "20x2"})
    with pytest.raises(ValueError, match="晚于"):
        state.period_from_params({"from": "2023-06", "to": "2023-01"})
