"""`python -m tools.bench --dashboard`: it fills a database, asks the real hub for each
range and reports the figures (no timing is asserted: machines are noisy)."""

from __future__ import annotations

from pathlib import Path

from tools import bench_dashboard
from tools.dashboard_data import Volume


async def test_the_dashboard_bench_reports_every_range(tmp_path: Path, capsys: object) -> None:
    report = await bench_dashboard.measure(
        Volume(conversations=600, handoffs=60, days=30), runs=1, work_dir=tmp_path
    )
    assert report["rows"]["conversations"] == 600 and report["rows"]["handoffs"] == 60
    assert list(report["ranges"]) == ["today", "7d", "30d", "90d"]
    ninety = report["ranges"]["90d"]
    assert ninety["handoffs"] == 60
    assert 0 < ninety["conversations"] <= 600
    assert ninety["page_ms"] > 0 and ninety["sql_ms"] > 0
    bench_dashboard.print_table(report)
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "90d" in out and "target: 300 ms" in out
