"""One cache key per question (issue 19.6): the same call written two ways is one entry."""

from analytics.scope import Filters, Period
from ui.cache import question


def test_defaults_written_or_left_out_give_one_key():
    p = Period.year(2023)
    deck = question("month_completeness", "duck", p)
    overview = question("month_completeness", "duck", p, Filters())
    by_name = question("month_completeness", "duck", period=p, filters=Filters())
    assert deck == overview == by_name == (("duck", p, Filters()), ())
    assert question("month_completeness", "hog", p) != deck


def test_the_default_template_is_plotly_white_and_not_passed_per_figure():
    import plotly.graph_objects as go
    import plotly.io as pio

    from analytics.meeting import charts, theme

    assert pio.templates.default == "plotly_white"
    fig = theme.chart_layout(go.Figure(), "x")
    assert fig.layout.template.layout.plot_bgcolor == "white"
    assert charts.FONT == theme.CHART_FONT


def test_versions_are_read_once_between_writes(app_db, monkeypatch):
    """A page view's ~20 questions each need their versions; between two writes they cannot
    change, so they are read once (Store.generation), and again after any write."""
    from analytics.figures import kpis
    from ui import cache

    calls = []
    real = kpis.scope_version
    monkeypatch.setattr(kpis, "scope_version", lambda cur, fn, args: calls.append(fn) or real(cur, fn, args))
    s = cache.store()
    args = ("duck", Period.year(2023), Filters())

    def versions():
        return cache._memo(s, ("sector_kpis", args, False),
                           lambda cur: cache._versions(cur, s, "sector_kpis", args, False))

    first = versions()
    assert versions() == first and calls == ["sector_kpis"]
    s.run_write(lambda cur: cur.execute("UPDATE meta SET value = value WHERE key = 'figures_version'"),
                figures=False)  # any write, even one that changes nothing
    assert versions() == first and calls == ["sector_kpis"] * 2
    s.run_write(lambda cur: None)  # a write that may change figures: the figures version moves
    assert versions()[0] == first[0] + 1 and len(calls) == 3
