"""`python -m tools.bench`: its measuring helpers, and that the command runs against the real
stack and writes its report (no timing is asserted: machines are noisy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.bench import component_seconds, curve_title, memory, percentile

ROOT = Path(__file__).resolve().parents[2]


def test_percentiles_interpolate_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile([7.0], 99) == 7.0


def test_the_plots_title_names_the_label_only_when_there_is_one() -> None:
    three = {"pause_s": 0.5, "runs": [{}, {}, {}], "label": ""}
    assert curve_title(three) == "One conversation at a time, median of 3, a message every ~0.5 s"
    assert curve_title({**three, "label": "after"}).endswith("every ~0.5 s (after)")
    assert curve_title({"pause_s": 1.0}) == "One conversation, a message every ~1 s"


def test_training_time_per_component_comes_from_rasas_log() -> None:
    log = "\n".join(
        [
            "2026-11-26 07:57:43 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.",
            "Epochs: 100%|██████████| 50/50",
            "2026-11-26 07:59:03 INFO     rasa.engine.training.hooks  - Finished training component 'DIETClassifier'.",
            "2026-11-26 07:59:03 INFO     rasa.engine.training.hooks  - Starting to train component 'TEDPolicy'.",
            "2026-11-26 08:00:03 INFO     rasa.engine.training.hooks  - Finished training component 'TEDPolicy'.",
        ]
    )
    assert component_seconds(log) == [
        {"component": "DIETClassifier", "seconds": 80.0},
        {"component": "TEDPolicy", "seconds": 60.0},
    ]


def test_memory_reads_the_resident_set_of_a_process() -> None:
    mine = memory(os.getpid())
    assert mine["rss_mib"] and mine["rss_mib"] > 1
    assert mine["rss_tree_mib"] >= mine["rss_mib"]


@pytest.mark.skipif(not (ROOT / "models" / "gem-books.tar.gz").exists(), reason="no trained model")
def test_the_command_runs_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.bench",
            "--turns",
            "3",
            "--paced-runs",
            "2",
            "--pace",
            "0.05",
            "--think-time",
            "0.1",
            "--concurrency",
            "1",
            "--saturate-concurrency",
            "1",
            "--conversations",
            "1",
            "--curve",
            str(tmp_path / "curve"),
            "--no-train",
            "--mails",
            "20",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert "p95 ms" in completed.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {(row["mode"], row["path"]) for row in report["load"]} == {
        (mode, path) for mode in ("think", "saturate") for path in ("direct", "hub")
    }
    assert "hub ÷ direct p95, with think time: 1 at once" in completed.stdout
    assert "hub ÷ direct throughput, no pauses: 1 at once" in completed.stdout
    curve = json.loads((tmp_path / "curve.json").read_text(encoding="utf-8"))
    assert len(curve["direct_ms"]) == len(curve["hub_ms"]) == 3 and curve["errors"] == 0
    assert [len(run["hub_ms"]) for run in curve["runs"]] == [3, 3] and report["paced"]["runs"] == 2
    assert "One conversation at a time (2 × 3 turns)" in completed.stdout
    assert (tmp_path / "curve.png").read_bytes().startswith(b"\x89PNG")
    assert all(row["cpu_ms_per_message"]["rasa"] > 0 for row in report["load"] if row["mode"] == "saturate")
    assert all(row["messages"] == 5 and row["errors"] == 0 for row in report["load"])
    assert set(report["memory_after_load"]) == {"rasa", "actions", "hub"}
    assert report["training"] == {"skipped": True}
    assert report["email_triage"]["mails"] == 20 and report["email_triage"]["mails_per_second"] > 0
    assert "mails/s" in completed.stdout
