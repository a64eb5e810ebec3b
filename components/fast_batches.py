"""Rasa's conversion of sparse features into batches, without its quadratic loop.

Every training step of DIET and TED, and every prediction, turns the batch's sparse
features (one scipy matrix per message, or per turn of a dialogue for TED) into the
indices, values and shape of one TensorFlow sparse tensor
(``RasaDataGenerator._scipy_matrix_to_values``). Rasa builds the indices one matrix at a
time, and for dialogues recomputes each dialogue's offset by summing the lengths of all
the dialogues before it, for every turn: TED spent 15 of its 26 seconds of training there
(py-spy, two cores), DIET's batches a good part of a core beside TensorFlow.

The versions here concatenate once. Their output is Rasa's to the bit (same arrays, same
order, same types; ``tests/components/test_fast_batches.py`` compares them on random
batches, fake empty turns and non-COO matrices included), so training and predictions do
not change. :func:`install` puts them on ``RasaDataGenerator`` (Rasa calls them through
the class, so a subclass cannot); ``components.quick_load`` installs them when it is
imported, that is whenever a model of this project is trained or loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray

__all__ = ["install", "sparse_batch", "sparse_dialogue_batch"]

_RASA_3D = RasaDataGenerator._scipy_matrix_to_values
_RASA_4D = RasaDataGenerator._4d_scipy_matrix_to_values


def _as_coo(matrices: Sequence[Any]) -> list[scipy.sparse.coo_matrix]:
    return [m if isinstance(m, scipy.sparse.coo_matrix) else m.tocoo() for m in matrices]


def _values(matrices: list[scipy.sparse.coo_matrix], max_seq_len: int, features: int) -> list[np.ndarray]:
    """Indices (matrix, row, column), values and shape of the matrices stacked in order."""
    lengths = np.fromiter((m.nnz for m in matrices), dtype=np.int64, count=len(matrices))
    indices = np.empty((int(lengths.sum()), 3), dtype=np.int64)
    indices[:, 0] = np.repeat(np.arange(len(matrices), dtype=np.int64), lengths)
    indices[:, 1] = np.concatenate([m.row for m in matrices])
    indices[:, 2] = np.concatenate([m.col for m in matrices])
    data = np.concatenate([m.data for m in matrices]).astype(np.float32)
    return [indices, data, np.array((len(matrices), max_seq_len, features), dtype=np.int64)]


def sparse_batch(array_of_sparse: FeatureArray) -> list[np.ndarray]:
    """``RasaDataGenerator._scipy_matrix_to_values``, one concatenation per array."""
    if array_of_sparse.number_of_dimensions == 4:
        return sparse_dialogue_batch(array_of_sparse)
    matrices = _as_coo(array_of_sparse)
    return _values(matrices, max(m.shape[0] for m in matrices), matrices[0].shape[-1])


def sparse_dialogue_batch(feature_array: FeatureArray) -> list[np.ndarray]:
    """``RasaDataGenerator._4d_scipy_matrix_to_values``: the turns of all dialogues, in order.

    A turn's place among all turns of the batch is the dialogue's offset plus the turn's
    index, which Rasa computes with a sum over the dialogues before it.
    """
    features = feature_array[0][0].shape[-1]
    # A "fake" turn (no features: nothing happened there) has no rows; Rasa drops them.
    turns = _as_coo([m for dialogue in feature_array for m in dialogue if m.shape[0] > 0])
    if not turns:
        return [
            np.empty((0, 3), dtype=np.int64),
            np.array([], dtype=np.float32),
            np.array([0, 0, features], dtype=np.int64),
        ]
    return _values(turns, max(m.shape[0] for m in turns), features)


def install() -> None:
    """Use :func:`sparse_batch` for Rasa's batches in this process (idempotent)."""
    RasaDataGenerator._scipy_matrix_to_values = staticmethod(sparse_batch)  # type: ignore[method-assign]
    RasaDataGenerator._4d_scipy_matrix_to_values = staticmethod(sparse_dialogue_batch)  # type: ignore[method-assign]


def rasa_originals() -> tuple[Any, Any]:
    """Rasa's own two functions, for comparison."""
    return _RASA_3D, _RASA_4D
