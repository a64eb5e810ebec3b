"""components.fast_batches builds exactly the sparse batches Rasa's own code builds."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray

from components import fast_batches

RASA_3D, RASA_4D = fast_batches.rasa_originals()
FEATURES = 700


def matrix(rng: np.random.Generator, rows: int, fmt: str) -> scipy.sparse.spmatrix:
    return scipy.sparse.random(rows, FEATURES, density=0.02, format=fmt, random_state=rng, dtype=np.float64)


def same(ours: list[np.ndarray], rasa: list[np.ndarray]) -> None:
    assert len(ours) == len(rasa) == 3
    for mine, theirs in zip(ours, rasa, strict=True):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("fmt", ["coo", "csr"])
@pytest.mark.parametrize("size", [1, 7, 64])
def test_messages_batch_as_rasa_batches_them(fmt: str, size: int) -> None:
    rng = np.random.default_rng(size)
    batch = FeatureArray(
        np.array([matrix(rng, int(rng.integers(1, 12)), fmt) for _ in range(size)] + [None], dtype=object)[
            :-1
        ],
        number_of_dimensions=3,
    )
    same(fast_batches.sparse_batch(batch), RASA_3D(batch))


def test_a_batch_with_no_values_at_all() -> None:
    batch = FeatureArray(
        np.array(
            [scipy.sparse.coo_matrix((3, FEATURES)), scipy.sparse.coo_matrix((1, FEATURES))], dtype=object
        ),
        number_of_dimensions=3,
    )
    same(fast_batches.sparse_batch(batch), RASA_3D(batch))


def dialogues(rng: np.random.Generator, size: int, fmt: str, fake: float) -> FeatureArray:
    """TED's 4-D features: per dialogue, one matrix per turn; a fake turn has no rows."""
    batch = []
    for _ in range(size):
        turns = []
        for _ in range(int(rng.integers(1, 6))):
            rows = 0 if rng.random() < fake else int(rng.integers(1, 4))
            turns.append(matrix(rng, rows, fmt))
        batch.append(np.array([*turns, None], dtype=object)[:-1])
    return FeatureArray(np.array([*batch, None], dtype=object)[:-1], number_of_dimensions=4)


@pytest.mark.parametrize("fmt", ["coo", "csr"])
@pytest.mark.parametrize(("size", "fake"), [(1, 0.0), (9, 0.3), (64, 0.5)])
def test_dialogues_batch_as_rasa_batches_them(fmt: str, size: int, fake: float) -> None:
    batch = dialogues(np.random.default_rng(size), size, fmt, fake)
    same(fast_batches.sparse_dialogue_batch(batch), RASA_4D(batch))
    # Rasa's 3-D entry point hands 4-D arrays to the 4-D one; so does ours.
    same(fast_batches.sparse_batch(batch), RASA_4D(batch))


def test_dialogues_of_fake_turns_only() -> None:
    batch = dialogues(np.random.default_rng(0), 4, "coo", fake=1.0)
    same(fast_batches.sparse_dialogue_batch(batch), RASA_4D(batch))


def test_the_project_s_models_use_them() -> None:
    import components.quick_load  # noqa: F401  (installs them, as loading a model of ours does)

    assert RasaDataGenerator._scipy_matrix_to_values is fast_batches.sparse_batch
    assert RasaDataGenerator._4d_scipy_matrix_to_values is fast_batches.sparse_dialogue_batch
