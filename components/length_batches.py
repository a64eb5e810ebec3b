"""DIET's longest training messages batched apart, so the other batches carry less padding.

Rasa pads every batch to its longest message, and every layer that works token by token
(the sparse and dense layers, the transformer, the entity CRF) runs over the padding too.
In this project's training data a message is 7.5 tokens on average and 95 % of them have
at most 15, but the 5 % that are whole mails or several requests in one reach 53: a random
batch of 64 holds one of 27 tokens, one of 256 one of 37, so most of a training step's
token work was padding.

:class:`LengthBatches` keeps Rasa's epoch (shuffled, then balanced between intents as
``batch_strategy: balanced`` does) and takes the longest ``long_share`` of its messages
out into batches of their own; the rest are batched in Rasa's order, and the whole
batches of both are shuffled together (a short last batch stays last, so every other batch
is whole). Every example is still seen once an epoch, and 95 % of them in batches of
Rasa's mix.

The model then no longer trains on exactly Rasa's batches, so this is an option of
``QuickDIETClassifier`` (``long_messages_apart``, the share; 0 keeps Rasa's batches and is
the default). It is off in ``config.yml``: a DIET epoch took 3.6 s instead of 4.9 on two
cores, but English lost a little held-out accuracy (``docs/SPEED.md``, "Training").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import SEQUENCE_LENGTH
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import Data, RasaModelData

__all__ = ["LengthBatches", "grouped_by_length"]


def grouped_by_length(lengths: np.ndarray, batch_size: int, long_share: float) -> np.ndarray:
    """The order of the examples: the longest ``long_share`` of them batched apart.

    Both groups keep the order they had (Rasa's shuffled and balanced epoch); whole batches
    of both are shuffled together, short ones go last. Uses NumPy's global random state,
    as Rasa's own shuffling does (seeded per training).
    """
    if len(lengths) == 0:
        return np.arange(0)
    limit = np.quantile(lengths, 1.0 - long_share)
    whole: list[np.ndarray] = []
    short: list[np.ndarray] = []
    for ids in (np.flatnonzero(lengths <= limit), np.flatnonzero(lengths > limit)):
        for first in range(0, len(ids), batch_size):
            batch = ids[first : first + batch_size]
            (whole if len(batch) == batch_size else short).append(batch)
    order = [whole[i] for i in np.random.permutation(len(whole))]
    return np.concatenate(order + short)


class LengthBatches(RasaBatchDataGenerator):
    """Rasa's batch generator for DIET's training, its batches regrouped by message length."""

    def __init__(self, *args: Any, long_share: float, **kwargs: Any) -> None:
        if not 0.0 < long_share < 1.0:
            raise ValueError(f"long_share must be between 0 and 1, not {long_share}")
        # Set before Rasa's constructor, which prepares the first epoch.
        self.long_share = long_share
        super().__init__(*args, **kwargs)

    @classmethod
    def like(cls, generator: RasaBatchDataGenerator, long_share: float) -> LengthBatches:
        """A generator with ``generator``'s data and settings, batching by length."""
        return cls(
            generator.model_data,
            batch_size=generator.batch_size,
            epochs=generator._epochs,
            batch_strategy=generator.batch_strategy,
            shuffle=generator.shuffle,
            drop_small_last_batch=generator.drop_small_last_batch,
            long_share=long_share,
        )

    def _shuffle_and_balance(self, batch_size: int) -> Data:
        data = super()._shuffle_and_balance(batch_size)
        lengths = data.get(TEXT, {}).get(SEQUENCE_LENGTH)
        if not self.shuffle or not lengths:
            return data
        order = grouped_by_length(np.asarray(lengths[0]).astype(int).reshape(-1), batch_size, self.long_share)
        return RasaModelData._data_for_ids(data, order)
