"""The dashboard's SVG: named for screen readers, escaped, and honest about empty days."""

from __future__ import annotations

from bot.console.charts import FunnelBar, bar_chart, daily_chart, funnel_chart, nice_ceiling


def test_charts_are_named_images_and_escape_their_text() -> None:
    svg = str(bar_chart("r", title="Raisons <b>", desc="desc & co", items=[("<script>alert(1)</script>", 3)]))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart"')
    assert 'role="img" aria-labelledby="r-title r-desc"' in svg
    assert '<title id="r-title">Raisons &lt;b&gt;</title>' in svg and "desc &amp; co" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg  # the console's CSP allows no inline style


def test_the_deflection_line_breaks_on_days_without_conversations() -> None:
    svg = str(
        daily_chart(
            "d",
            title="t",
            desc="d",
            days=["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"],
            counts=[10, 4, 0, 8, 6],
            rates=[0.9, 0.5, None, 1.0, 0.5],
            legend=("Conversations", "Deflection"),
        )
    )
    assert svg.count("<polyline") == 2  # days 1-2, then 4-5
    assert svg.count('class="dot deflection"') == 4
    assert svg.count('class="bar volume"') == 6  # five days and the legend's swatch


def test_the_funnel_splits_each_step_and_the_axis_is_round() -> None:
    svg = str(
        funnel_chart(
            "f",
            title="t",
            desc="d",
            steps=[FunnelBar("1", 10, 2, 0, 3), FunnelBar("2", 5, 1, 4, 0)],
            legend=("solved", "support", "left", "went on"),
        )
    )
    assert svg.count('class="bar solved"') == 3 and svg.count('class="bar went-on"') == 2
    assert [nice_ceiling(v) for v in (0, 1, 7, 12, 180, 2400)] == [1, 1, 10, 20, 200, 2500]
