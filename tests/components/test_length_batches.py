"""components.length_batches batches DIET's longest messages apart and loses nothing of Rasa's epoch."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rasa.utils.tensorflow.constants import BALANCED, SEQUENCE, SEQUENCE_LENGTH
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray, RasaModelData

from components.length_batches import LengthBatches, grouped_by_length

pytestmark = pytest.mark.filterwarnings("ignore")


def skewed_lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mostly short messages and a few long ones, like the training data (mean 7.5, max 53)."""
    return np.where(rng.random(n) < 0.05, rng.integers(20, 54, n), rng.integers(1, 12, n))


def padded_tokens(lengths: np.ndarray, order: np.ndarray, batch_size: int) -> int:
    batches = [lengths[order[i : i + batch_size]] for i in range(0, len(order), batch_size)]
    return sum(len(batch) * int(batch.max()) for batch in batches)


def groups(lengths: np.ndarray, long_share: float) -> tuple[list[int], list[int]]:
    limit = np.quantile(lengths, 1 - long_share)
    return [i for i, n in enumerate(lengths) if n <= limit], [i for i, n in enumerate(lengths) if n > limit]


@pytest.mark.parametrize(
    ("n", "batch_size", "long_share"), [(1000, 64, 0.05), (203, 16, 0.2), (5, 8, 0.3), (64, 64, 0.5)]
)
def test_every_example_once_long_ones_apart_in_rasa_s_order(
    n: int, batch_size: int, long_share: float
) -> None:
    lengths = skewed_lengths(np.random.default_rng(n), n)
    np.random.seed(1103)
    order = grouped_by_length(lengths, batch_size, long_share).tolist()
    assert sorted(order) == list(range(n))
    short, long = groups(lengths, long_share)
    assert long and len(long) <= long_share * n + 1
    whole = (len(short) // batch_size) + (len(long) // batch_size)
    batches = [order[i * batch_size : (i + 1) * batch_size] for i in range(whole)]
    for batch in batches:
        group = short if batch[0] in short else long
        # One group per batch, a stretch of that group in Rasa's order.
        start = group.index(batch[0])
        assert batch == group[start : start + batch_size] and start % batch_size == 0
    # The short last batches of both groups come after every whole one.
    assert sorted(order[whole * batch_size :]) == sorted(set(range(n)) - {i for b in batches for i in b})


def test_less_padding_than_rasa_s_batches() -> None:
    lengths = skewed_lengths(np.random.default_rng(7), 2900)
    np.random.seed(1103)
    ours = padded_tokens(lengths, grouped_by_length(lengths, 64, 0.05), 64)
    rasa = padded_tokens(lengths, np.arange(len(lengths)), 64)  # Rasa's epoch is already shuffled
    assert lengths.sum() <= ours < 0.75 * rasa, (ours, rasa)


def model_data(lengths: list[int], labels: list[int]) -> RasaModelData:
    """Each message's features hold its own index, so an epoch's examples can be read back."""
    sequences = np.empty(len(lengths), dtype=object)
    for index, length in enumerate(lengths):
        sequences[index] = np.full((length, 2), index, dtype=np.float32)
    data = RasaModelData(label_key="label", label_sub_key="ids")
    data.add_features("text", "sequence", [FeatureArray(sequences, 3)])
    data.add_features("label", "ids", [FeatureArray(np.array(labels, dtype=np.float64).reshape(-1, 1), 2)])
    data.add_lengths("text", SEQUENCE_LENGTH, "text", "sequence")
    return data


def epoch_examples(generator: RasaBatchDataGenerator) -> list[int]:
    return [int(message[0, 0]) for message in generator._data["text"]["sequence"][0]]


@pytest.mark.parametrize("strategy", [BALANCED, SEQUENCE])
def test_rasa_s_epoch_regrouped_epoch_after_epoch(strategy: str) -> None:
    rng = np.random.default_rng(3)
    lengths = skewed_lengths(rng, 150).tolist()
    labels = rng.choice([0, 0, 0, 1, 1, 2], 150).tolist()  # unbalanced, so balancing repeats some

    def seeded(epoch: int) -> None:
        np.random.seed(1103 + epoch)  # Rasa's shuffling and balancing draw alike in both

    seeded(0)
    rasa = RasaBatchDataGenerator(model_data(lengths, labels), [8, 32], 4, strategy)
    seeded(0)
    ours = LengthBatches(model_data(lengths, labels), [8, 32], 4, strategy, long_share=0.1)
    limit = np.quantile(lengths, 0.9)
    for epoch in range(4):
        if epoch:
            for generator in (rasa, ours):
                seeded(epoch)
                generator.on_epoch_end()
        assert ours._current_batch_size == rasa._current_batch_size
        assert len(ours) == len(rasa)
        examples = epoch_examples(ours)
        assert Counter(examples) == Counter(epoch_examples(rasa))
        assert examples != epoch_examples(rasa)
        size = ours._current_batch_size
        whole = [examples[i * size : (i + 1) * size] for i in range(len(examples) // size)]
        # Rasa's epoch (balanced, so with repeats) split in two: no whole batch mixes them.
        assert all(len({lengths[i] > limit for i in batch}) == 1 for batch in whole[:-1])


def test_without_shuffling_the_order_is_rasa_s() -> None:
    lengths, labels = [5, 1, 9, 2, 7, 3], [0, 1, 0, 1, 0, 1]
    rasa = RasaBatchDataGenerator(model_data(lengths, labels), batch_size=2, shuffle=False)
    ours = LengthBatches(model_data(lengths, labels), batch_size=2, shuffle=False, long_share=0.2)
    assert epoch_examples(ours) == epoch_examples(rasa) == list(range(6))


@pytest.mark.parametrize("share", [0.0, 1.0, -0.1])
def test_the_share_is_a_fraction(share: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        LengthBatches(model_data([1, 2], [0, 1]), batch_size=2, long_share=share)


def test_the_option_reaches_quick_diet_s_training_and_zero_keeps_rasa_s_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from components import quick_load
    from tests.components.test_quick_training import _trained_weights, _training_data

    made: list[LengthBatches] = []
    real_like = LengthBatches.like.__func__  # type: ignore[attr-defined]

    def like(cls: type[LengthBatches], generator: RasaBatchDataGenerator, long_share: float) -> LengthBatches:
        made.append(real_like(cls, generator, long_share))
        return made[-1]

    monkeypatch.setattr(LengthBatches, "like", classmethod(like))
    assert quick_load.QuickDIETClassifier.get_default_config()["long_messages_apart"] == 0
    data, storage, context = _training_data(tmp_path)
    _trained_weights(quick_load.QuickDIETClassifier, data, storage, context, "default")
    assert made == []
    _trained_weights(quick_load.QuickDIETClassifier, data, storage, context, "apart", long_messages_apart=0.3)
    assert len(made) == 1 and made[0].long_share == 0.3
    # Keras took its three epochs from it (it prepares the next one after each).
    assert made[0]._current_epoch == 3
