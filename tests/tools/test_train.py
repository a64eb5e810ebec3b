"""`python -m tools.train`, run as `make train` runs it, on a small real project: the model is
trained with Rasa's data check beside it, and a project that fails the check is not
trained (exit code 1, no new model, an earlier one kept), as with `rasa train --fail-on-validation-warnings`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rasa_addons.small_project import write_project

ROOT = Path(__file__).resolve().parents[2]

# Two stories that start alike and then disagree: Rasa's story check warns, and fails with
# `--fail-on-validation-warnings`.
CONFLICTING_STORIES = """version: "3.1"
stories:
- story: reset
  steps:
  - intent: forgot_password
  - action: utter_reset
- story: goodbye instead
  steps:
  - intent: forgot_password
  - action: utter_goodbye
"""


def train(project: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_CACHE_DIRECTORY": str(project / ".rasa-cache"),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.train", "--fixed-model-name", "model", "--out", "models", *options],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.filterwarnings("ignore")
def test_trains_the_model_and_checks_the_data(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    done = train(project)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert (project / "models" / "model.tar.gz").is_file()
    assert "Started validating domain and training data" in output
    assert "Story structure validation" in output
    # The policies were trained by the second process, which logged it.
    assert "Starting to train component 'TEDPolicy'" in output


def test_a_project_that_fails_the_check_is_not_trained(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", stories=CONFLICTING_STORIES)
    # A model from an earlier training, as `make train` leaves one: a refusal keeps it.
    earlier = project / "models" / "model.tar.gz"
    earlier.parent.mkdir()
    earlier.write_bytes(b"an earlier model")
    os.utime(earlier, (0, 0))
    done = train(project, "--fail-on-validation-warnings")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "conflict" in output.lower()
    assert "The domain or training data is not valid (above): no model trained." in output
    assert "Traceback" not in output
    assert earlier.read_bytes() == b"an earlier model"
    assert [path.name for path in (project / "models").iterdir()] == ["model.tar.gz"]
