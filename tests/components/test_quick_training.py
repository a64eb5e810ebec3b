"""QuickDIETClassifier and QuickTEDPolicy train exactly the weights Rasa's DIET and TED train.

QuickDIET's training step leaves out the Viterbi decoding Rasa runs for the progress bar's
entity F1 and is traced without AutoGraph, and both models are fed through a tf.data
pipeline without autotuning (components/quick_load.py). Each is trained here beside Rasa's
own, with the same seed, on the same small data (featurised messages with entities;
conversations with slots), and every trainable variable must be equal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")

EXAMPLES = [
    ("I forgot my password", "password", []),
    ("j'ai oublié mon mot de passe", "password", []),
    ("my user code is JTREMBLAY2", "inform", [("JTREMBLAY2", "user_code")]),
    ("mon code usager c'est MLAVOIE", "inform", [("MLAVOIE", "user_code")]),
    ("my email is jt@example.com", "inform", [("jt@example.com", "email")]),
    ("mon courriel est marie@exemple.qc.ca", "inform", [("marie@exemple.qc.ca", "email")]),
    ("I use firefox", "inform", [("firefox", "browser")]),
    ("chu sur chrome", "inform", [("chrome", "browser")]),
    ("talk to a human please", "request_human", []),
    ("je veux parler à un agent", "request_human", []),
]


def _training_data(tmp_path: Path) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = []
    for text, intent, entities in EXAMPLES:
        spans = []
        for value, entity in entities:
            start = text.index(value)
            spans.append({"start": start, "end": start + len(value), "value": value, "entity": entity})
        messages.append(Message(data={"text": text, "intent": intent, "entities": spans}))
    data = TrainingData(messages)
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    context = ExecutionContext(GraphSchema({}), "quick-training")
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    for name, config in (("words", {}), ("chars", {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4})):
        featurizer = CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **config}, storage, Resource(name), context
        )
        featurizer.train(data)
        featurizer.process_training_data(data)
    return data, storage, context


def _trained_weights(
    classifier: Any, data: Any, storage: Any, context: Any, name: str, **options: Any
) -> list[np.ndarray]:
    from rasa.engine.storage.resource import Resource

    config = {
        **classifier.get_default_config(),
        "epochs": 3,
        "batch_size": [4, 8],
        "number_of_transformer_layers": 1,
        "transformer_size": 32,
        "random_seed": 1103,
        "constrain_similarities": True,
        "entity_recognition": True,
        **options,
    }
    model = classifier.create(config, storage, Resource(name), context)
    model.train(data)
    return [variable.numpy() for variable in model.model.trainable_variables]


def _assert_same_weights(quick: list[np.ndarray], rasa: list[np.ndarray]) -> None:
    """Every trainable variable equal to the bit, in the same order and shape."""
    assert len(quick) == len(rasa) > 10
    for ours, theirs in zip(quick, rasa, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_quick_diet_trains_rasa_s_weights(tmp_path: Path) -> None:
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    from components.quick_load import QuickDIETClassifier

    data, storage, context = _training_data(tmp_path)
    rasa = _trained_weights(DIETClassifier, data, storage, context, "rasa")
    quick = _trained_weights(QuickDIETClassifier, data, storage, context, "quick")
    _assert_same_weights(quick, rasa)


DOMAIN = """
version: "3.1"
intents: [password, inform, request_human, affirm, deny]
entities: [user_code, email]
slots:
  user_code:
    type: text
    mappings: [{type: from_entity, entity: user_code}]
  email:
    type: text
    mappings: [{type: from_entity, entity: email}]
responses:
  utter_ask_user_code: [{text: "Your user code?"}]
  utter_reset_sent: [{text: "The reset link is on its way."}]
  utter_did_it_work: [{text: "Did it work?"}]
  utter_glad: [{text: "Glad it works."}]
  utter_handoff: [{text: "An agent takes over."}]
"""

STORIES = """
version: "3.1"
stories:
- story: reset, it works
  steps:
  - intent: password
  - action: utter_ask_user_code
  - intent: inform
    entities: [{user_code: JTREMBLAY2}]
  - slot_was_set: [{user_code: JTREMBLAY2}]
  - action: utter_reset_sent
  - action: utter_did_it_work
  - intent: affirm
  - action: utter_glad
- story: reset, it does not work
  steps:
  - intent: password
  - action: utter_ask_user_code
  - intent: inform
    entities: [{email: jt@example.com}]
  - slot_was_set: [{email: jt@example.com}]
  - action: utter_reset_sent
  - action: utter_did_it_work
  - intent: deny
  - action: utter_handoff
- story: a person at once
  steps:
  - intent: request_human
  - action: utter_handoff
"""


def _ted_weights(policy_class: Any, tmp_path: Path, name: str) -> list[np.ndarray]:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    domain = Domain.from_yaml(DOMAIN)
    steps = YAMLStoryReader(domain).read_from_string(STORIES)
    trackers = TrainingDataGenerator(StoryGraph(steps), domain, augmentation_factor=0).generate()
    (tmp_path / name).mkdir()
    storage = LocalModelStorage(tmp_path / name)
    config = {
        **policy_class.get_default_config(),
        "epochs": 3,
        "max_history": 5,
        "random_seed": 1103,
        "constrain_similarities": True,
    }
    policy = policy_class.create(config, storage, Resource(name), ExecutionContext(GraphSchema({}), name))
    policy.train(trackers, domain)
    return [variable.numpy() for variable in policy.model.trainable_variables]


def test_quick_ted_trains_rasa_s_weights(tmp_path: Path) -> None:
    from rasa.core.policies.ted_policy import TEDPolicy

    from components.quick_load import QuickTEDPolicy

    rasa = _ted_weights(TEDPolicy, tmp_path, "rasa")
    quick = _ted_weights(QuickTEDPolicy, tmp_path, "quick")
    _assert_same_weights(quick, rasa)


def _batches() -> Any:
    from keras.utils import Sequence

    class Batches(Sequence):  # type: ignore[misc]
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return np.full((2, 4), index, dtype=np.float32), np.zeros((2, 1), dtype=np.float32)

    return Batches()


def _autotuned(batches: Any) -> bool:
    from keras.engine import data_adapter

    dataset = data_adapter.KerasSequenceAdapter(batches).get_dataset()
    return dataset.options().autotune.enabled is not False


def test_the_input_pipeline_is_untuned_while_our_models_train_and_only_then() -> None:
    from components.quick_load import untuned_input_pipeline

    batches = _batches()
    assert _autotuned(batches)
    with untuned_input_pipeline():
        assert not _autotuned(batches)
    assert _autotuned(batches)
    with pytest.raises(RuntimeError), untuned_input_pipeline():
        raise RuntimeError("a training that fails")
    assert _autotuned(batches)


def test_quick_models_fit_inside_the_untuned_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorflow as tf

    from components import quick_load

    seen: list[bool] = []

    class Record(tf.keras.callbacks.Callback):  # type: ignore[misc]
        def on_train_begin(self, logs: Any = None) -> None:
            seen.append(_autotuned(_batches()))

    data, storage, context = _training_data(tmp_path)
    original = quick_load._QuickDIET.fit

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Record()]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(quick_load._QuickDIET, "fit", fit)
    _trained_weights(quick_load.QuickDIETClassifier, data, storage, context, "quick", epochs=1)
    assert seen == [False]
