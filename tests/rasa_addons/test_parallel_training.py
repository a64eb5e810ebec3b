"""``rasa_addons.parallel_training``: the policies train in a second process, the model is
the one Rasa's own runner trains, and the training cache still spares the next training.

A small real project (DIET, TED, a memoization policy that writes which process trained it)
is trained twice with ``rasa.model_training.train``: once as Rasa trains it, once as
``python -m tools.train`` does (our runner, and ``rasa_addons.token_fingerprints``), each
with its own empty cache.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.rasa_addons.small_project import PID_FILE, write_project

pytestmark = pytest.mark.filterwarnings("ignore")


def train(
    project: Path, cache: Path, out: Path, parallel: bool, dry_run: bool = False, force: bool = True
) -> Any:
    import rasa.model_training
    from rasa.nlu.tokenizers.tokenizer import Token

    from rasa_addons import token_fingerprints
    from rasa_addons.parallel_training import ParallelTrainingRunner

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_CACHE_DIRECTORY", str(cache))
        if parallel:
            patch.setattr(rasa.model_training, "DaskGraphRunner", ParallelTrainingRunner)
            patch.setattr(Token, "fingerprint", token_fingerprints._fingerprint)
        return rasa.model_training.train(
            domain=str(project / "domain.yml"),
            config=str(project / "config.yml"),
            training_files=[str(project / "data")],
            output=str(out),
            force_training=force,
            dry_run=dry_run,
            fixed_model_name="model",
        )


def unpack(model: str, into: Path) -> Path:
    with tarfile.open(model) as archive:
        archive.extractall(into)
    return into / "components"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("parallel-training")
    project = write_project(root / "project")
    found: dict[str, Any] = {"project": project, "root": root}
    for name, parallel in (("rasa", False), ("parallel", True)):
        result = train(project, root / f"cache-{name}", root / f"models-{name}", parallel)
        assert result.code == 0, f"{name} training failed"
        found[name] = unpack(result.model, root / f"unpacked-{name}")
    yield found


def test_the_policies_are_trained_in_a_second_process_of_lower_priority(models: dict[str, Any]) -> None:
    from rasa_addons.parallel_training import HELPER_NICENESS

    by_rasa = (
        models["rasa"] / "train_tests.rasa_addons.small_project.PidRecordingPolicy0" / PID_FILE
    ).read_text()
    by_ours = (
        models["parallel"] / "train_tests.rasa_addons.small_project.PidRecordingPolicy0" / PID_FILE
    ).read_text()
    assert by_rasa == f"{os.getpid()} {os.nice(0)}"
    pid, niceness = map(int, by_ours.split())
    assert pid != os.getpid()
    # The NLU pipeline (what the training waits for) comes first for the CPU.
    assert niceness == min(os.nice(0) + HELPER_NICENESS, 19) > os.nice(0)


def checkpoint(directory: Path) -> dict[str, np.ndarray]:
    import tensorflow as tf

    (index,) = directory.glob("*.tf_model.index")
    reader = tf.train.load_checkpoint(str(index)[: -len(".index")])
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def test_the_model_is_the_one_rasa_trains(models: dict[str, Any]) -> None:
    rasa, ours = models["rasa"], models["parallel"]
    files = sorted(p.relative_to(rasa) for p in rasa.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    for name in ("train_DIETClassifier3", "train_TEDPolicy1"):
        weights, same = checkpoint(rasa / name), checkpoint(ours / name)
        assert weights.keys() == same.keys()
        assert len(weights) > 10
        different = [v for v in weights if not np.array_equal(weights[v], same[v])]
        assert different == [], f"{name}: weights differ"
    # Everything else the components wrote (vocabularies, memorised turns, domain…) too; JSON
    # as data: Rasa writes some dictionaries in set order, which differs between processes.
    for path in files:
        if path.suffix == ".json":
            assert json.loads((rasa / path).read_text()) == json.loads((ours / path).read_text()), path
        elif path.suffix != ".txt":
            assert (rasa / path).read_bytes() == (ours / path).read_bytes(), path


def test_the_cache_holds_the_fingerprints_rasa_computes(models: dict[str, Any]) -> None:
    import re
    import sqlite3

    def content_fingerprints(cache: Path) -> list[str]:
        # What the nodes put out that is not a trained component (the NLU data after each
        # step: tokens with their regex matches, features; the domain, the trackers…) is
        # fingerprinted from its content, an MD5; Rasa gives the rest random ids.
        with sqlite3.connect(cache / "cache.db") as db:
            rows = db.execute("SELECT output_fingerprint_key FROM cache_entry WHERE result_type IS NULL")
            keys = [row[0] for row in rows]
        return sorted(key for key in keys if re.fullmatch("[0-9a-f]{32}", key))

    by_rasa = content_fingerprints(models["root"] / "cache-rasa")
    assert len(by_rasa) >= 6
    assert content_fingerprints(models["root"] / "cache-parallel") == by_rasa


def test_the_cache_spares_the_policies_when_only_nlu_data_changes(models: dict[str, Any]) -> None:
    project, root = models["project"], models["root"]
    nlu = project / "data" / "nlu.yml"
    original = nlu.read_text(encoding="utf-8")
    try:
        nlu.write_text(original + "    - bye bye\n", encoding="utf-8")
        result = train(
            project, root / "cache-parallel", root / "dry", parallel=True, dry_run=True, force=False
        )
    finally:
        nlu.write_text(original, encoding="utf-8")
    hits = {
        name: status.is_hit for name, status in result.dry_run_results.items() if hasattr(status, "is_hit")
    }
    assert hits["train_TEDPolicy1"] and hits["train_tests.rasa_addons.small_project.PidRecordingPolicy0"]
    assert not hits["train_DIETClassifier3"]


def test_a_failure_in_the_second_process_is_reported(tmp_path: Path) -> None:
    from rasa.engine.exceptions import GraphRunError

    project = write_project(tmp_path / "project", policy="BrokenPolicy")
    with pytest.raises(GraphRunError, match="second process failed") as failure:
        train(project, tmp_path / "cache", tmp_path / "models", parallel=True)
    assert "the stories are upside down" in str(failure.value)
    assert not list((tmp_path / "models").glob("*.tar.gz"))
