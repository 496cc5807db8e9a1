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
