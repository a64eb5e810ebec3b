"""tools/bench_scaled.py's report: the table and the line on what the cores allow, from
given figures (the measurement itself starts three topologies: `make bench ARGS=--scaled`)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.bench_scaled import honest_line, print_table


def level(topology: str, concurrency: int, rate: float, p95: float) -> dict[str, Any]:
    return {"topology": topology, "concurrency": concurrency, "messages": 500, "messages_per_second": rate,
            "p50_ms": p95 / 2, "p95_ms": p95, "errors": 0}  # fmt: skip


def result(topology: str, rates: dict[int, float]) -> dict[str, Any]:
    return {
        "topology": topology,
        "start_to_ready_s": 60.0,
        "levels": [level(topology, c, r, 1000 * c / r) for c, r in rates.items()],
    }


def test_the_line_says_what_a_second_rasa_server_did_at_the_highest_level() -> None:
    results = [
        result("single", {10: 20.0, 50: 22.0}),
        result("scaled, 1 Rasa", {10: 16.0, 50: 17.6}),
        result("scaled, 2 Rasa", {10: 17.0, 50: 19.36}),
    ]
    line = honest_line(results, cpus=2)
    assert "On 2 cores, at 50 conversations at once" in line
    assert "+10% (17.6 -> 19.4 msg/s)" in line
    assert "changes it by -20% against the single stack (22.0 msg/s)" in line


def test_errors_are_said_and_many_make_the_figures_not_comparable() -> None:
    results = [result("scaled, 1 Rasa", {50: 20.0}), result("scaled, 2 Rasa", {50: 30.0})]
    results[1]["levels"][0]["errors"] = 2
    assert "+50%" in honest_line(results, cpus=2) and "2 errors at that level" in honest_line(results, cpus=2)
    results[1]["levels"][0]["errors"] = 70
    assert "70 errors: the figures above are not comparable" in honest_line(results, cpus=2)


def test_no_line_without_both_scaled_runs(capsys: pytest.CaptureFixture[str]) -> None:
    results = [result("single", {10: 20.0})]
    assert honest_line(results, cpus=2) == ""
    print_table({"topologies": results, "honest": ""})
    out = capsys.readouterr().out
    assert "single" in out and "20.0" in out and "start to ready: single 60 s" in out
