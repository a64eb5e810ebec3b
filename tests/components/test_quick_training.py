"""QuickDIETClassifier trains exactly the weights Rasa's DIETClassifier trains.

Its training step leaves out the Viterbi decoding Rasa runs for the progress bar's entity
F1 (components/quick_load.py). Both are trained here, with the same seed, on the same
small featurised data with entities, and every trainable variable must be equal.
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


def test_quick_diet_trains_rasa_s_weights(tmp_path: Path) -> None:
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    from components.quick_load import QuickDIETClassifier

    data, storage, context = _training_data(tmp_path)
    rasa = _trained_weights(DIETClassifier, data, storage, context, "rasa")
    quick = _trained_weights(QuickDIETClassifier, data, storage, context, "quick")
    assert len(quick) == len(rasa) > 10
    for ours, theirs in zip(quick, rasa, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
