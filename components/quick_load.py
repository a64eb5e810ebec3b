"""DIET and TED as Rasa trains and runs them, restored in seconds, trained a little faster.

Rasa 3.6 rebuilds a saved DIET or TED model by training it on one example
(``RasaModel.load``): Keras traces the whole training step (forward pass, losses, DIET's
entity CRF, gradients, Adam) only to create the variables, which the saved weights then
overwrite. On two cores that was 25 s of DIET's load and 14 s of TED's, most of the Rasa
server's start.

Here the variables are created by one prediction run eagerly (nothing is traced, and no
optimizer is built), the saved weights are restored onto them, and the prediction graph
is traced once, as Rasa does. The files saved and every prediction are Rasa's own; only
the loading differs. The restoration is checked: every variable the model has
after tracing must have come from the saved weights, or loading fails, so a model with
random weights can never answer (``tests/components/test_quick_load.py`` also compares
its predictions with Rasa's own loading).

DIET's training step leaves out one thing that does not train anything: Rasa also decodes
the best entity tags of every training batch (Viterbi, through the CRF) only to show an
entity F1 on the progress bar. Here a training step computes the CRF's loss alone, as
Rasa does, and the bar shows no ``e_f1`` (validation, when configured, still scores it).
Tracing the step is about 10 s shorter and an epoch about 13 % (two cores), and the step is
traced without AutoGraph's rewriting (another 3-4 s a trace); the weights are Rasa's to the
bit (every trainable variable of a model trained both ways compared equal, and so did
every prediction on the held-out split).

Both models are trained on a tf.data pipeline without autotuning
(:func:`untuned_input_pipeline`): Keras makes a new iterator over Rasa's batches each
epoch, and destroying the last one waited for tf.data's autotuning thread, about 2 s
between two epochs one time in two and once in a while 50 s. The batches are the same.

One option is QuickDIETClassifier's own: ``long_messages_apart: 0.05`` batches the
longest 5 % of DIET's training messages apart from the others
(``components/length_batches.py``), so the others carry less padding; the weights then
differ from Rasa's. With 0, its default, the batches are Rasa's.

Used in config.yml as ``components.quick_load.QuickDIETClassifier`` and
``components.quick_load.QuickTEDPolicy``, with the same options as ``DIETClassifier``
and ``TEDPolicy``. Fine-tuning (``rasa train --finetune``) goes through Rasa's loading.
Rasa's training-data validator looks for DIET by its exact class, so ``rasa train`` warns
that no entity extractor is configured: it is wrong, QuickDIETClassifier extracts the
entities as DIETClassifier does (the test checks a user code).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import tensorflow as tf
from keras.engine import data_adapter
from rasa.core.policies.ted_policy import TED, TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from components import fast_batches
from components.length_batches import LengthBatches

# QuickDIETClassifier's own option: the share of DIET's longest training messages batched
# apart from the others (components/length_batches.py); 0 keeps Rasa's batches.
LONG_MESSAGES_APART = "long_messages_apart"

__all__ = ["QuickDIETClassifier", "QuickTEDPolicy", "quick_load", "untuned_input_pipeline"]

# Rasa's batches of sparse features, built without its quadratic loop (same arrays).
fast_batches.install()


def quick_load(
    model: RasaModel,
    model_file_name: str,
    predict_data_example: RasaModelData,
) -> RasaModel:
    """``model`` (built, never called) with the weights in ``model_file_name``, ready to predict."""
    # An eager prediction creates the variables that prediction needs, without tracing.
    model.run_eagerly = True
    model.run_inference(predict_data_example)
    status = model.load_weights(model_file_name)
    status.assert_existing_objects_matched()
    # Trace the prediction graph now, as Rasa's loading does, so the first message is fast;
    # label embeddings computed with the initial weights are computed again.
    model.run_eagerly = False
    model.prepared_for_prediction = False
    model._tf_predict_step = None
    model.run_inference(predict_data_example)
    # A variable first created while tracing was restored too (deferred restoration).
    status.assert_existing_objects_matched()
    # The optimizer's saved state is for training only.
    status.expect_partial()
    return model


# tf.data's autotuning, off: it has nothing to tune in the pipeline Keras builds over Rasa's
# batches (a Python generator, then a fixed prefetch of one batch).
_UNTUNED = tf.data.Options()
_UNTUNED.autotune.enabled = False


@contextlib.contextmanager
def untuned_input_pipeline() -> Iterator[None]:
    """While it lasts, Keras's tf.data pipeline over a ``Sequence`` runs without autotuning.

    Rasa's batches are a Keras ``Sequence``, so ``fit`` creates a new tf.data iterator each
    epoch and destroys the last one. With autotuning on, each iterator has a thread that
    models the pipeline, and the destruction waits for it while holding up the training:
    about 2 s between two of DIET's epochs one time in two, with one core idle (py-spy:
    ``~IteratorResource`` waiting in ``~LogicalThreadWrapper``), and once in a while far
    longer (a 50 s stall after DIET's last epoch). What the iterators yield, and in what
    order, does not change: the weights are the same to the bit.
    """
    original = data_adapter.KerasSequenceAdapter.get_dataset

    def get_dataset(adapter: data_adapter.KerasSequenceAdapter) -> tf.data.Dataset:
        return original(adapter).with_options(_UNTUNED)

    data_adapter.KerasSequenceAdapter.get_dataset = get_dataset  # type: ignore[method-assign]
    try:
        yield
    finally:
        data_adapter.KerasSequenceAdapter.get_dataset = original  # type: ignore[method-assign]


class _QuickModel(RasaModel):
    """DIET's and TED's model: loaded by :func:`quick_load`, trained without tf.data's autotuning."""

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            # Fine-tuning needs the optimizer, which only Rasa's way of loading builds.
            return super().load(
                model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs
            )
        return quick_load(cls(*args, **kwargs), model_file_name, predict_data_example)

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        with untuned_input_pipeline():
            return super().fit(*args, **kwargs)


# The entity F1 scores that a training step no longer computes (DIET's metric names).
_UNSCORED_IN_TRAINING = frozenset({"e_f1", "g_f1", "r_f1"})


class _QuickDIET(_QuickModel, DIET):
    # Traced as the Python it is, without AutoGraph rewriting every function it calls first:
    # DIET's training step has no Python condition or loop on a tensor's value for AutoGraph
    # to turn into graph control flow (if it had, tracing would fail, not differ). Each of
    # the step's two traces takes 4.7 s instead of 8.5 s (two cores), and the weights are
    # the same to the bit (tests/components/test_quick_training.py).
    @tf.autograph.experimental.do_not_convert
    def train_step(self, batch_in: Any) -> dict[str, Any]:
        return super().train_step(batch_in)

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        long_share = float(self.config.get(LONG_MESSAGES_APART) or 0.0)
        if long_share and isinstance(x, RasaBatchDataGenerator) and x.shuffle:
            x = LengthBatches.like(x, long_share)
        return super().fit(x, *args, **kwargs)

    def _calculate_entity_loss(
        self,
        inputs: tf.Tensor,
        tag_ids: tf.Tensor,
        mask: tf.Tensor,
        sequence_lengths: tf.Tensor,
        tag_name: str,
        entity_tags: tf.Tensor | None = None,
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        if not self._training:
            return super()._calculate_entity_loss(
                inputs, tag_ids, mask, sequence_lengths, tag_name, entity_tags
            )
        # A training step needs the CRF's loss only. Rasa also decodes the best tags
        # (Viterbi) and scores them, for the progress bar's entity F1; in its place goes a
        # zero, which _get_metric_results leaves off the bar.
        tag_ids = tf.cast(tag_ids[:, :, 0], tf.int32)
        if entity_tags is not None:
            inputs = tf.concat([inputs, self._tf_layers[f"embed.{tag_name}.tags"](entity_tags)], axis=-1)
        logits = self._tf_layers[f"embed.{tag_name}.logits"](inputs)
        crf = self._tf_layers[f"crf.{tag_name}"]
        # Creates the transition weights where the decoding would have (same seed, same order).
        crf._maybe_build(logits)
        loss = crf.loss(logits, tag_ids, sequence_lengths)
        return loss, tf.constant(0.0), logits

    def _get_metric_results(self, prefix: str | None = "") -> dict[str, float]:
        results = super()._get_metric_results(prefix)
        if prefix:  # validation ("val_"): scored as Rasa does
            return results
        return {name: value for name, value in results.items() if name not in _UNSCORED_IN_TRAINING}


class _QuickTED(_QuickModel, TED):
    pass


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class QuickDIETClassifier(DIETClassifier):
    """Rasa's ``DIETClassifier``, loaded by :func:`quick_load`; its long messages optionally batched apart."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DIETClassifier.get_default_config(), LONG_MESSAGES_APART: 0.0}

    @staticmethod
    def model_class() -> type[RasaModel]:
        return _QuickDIET


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class QuickTEDPolicy(TEDPolicy):
    """Rasa's ``TEDPolicy``, loaded by :func:`quick_load`."""

    @staticmethod
    def model_class() -> type[TED]:
        return _QuickTED
