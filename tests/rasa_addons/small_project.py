"""A small real Rasa project for the training tests (``tests/rasa_addons``, ``tests/tools``):
French and English examples, two stories, DIET and TED with a few epochs, and a
memoization policy that writes which process trained it (or one that fails). The policies
are imported by the training, from the project's config, so in both processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates

PID_FILE = "trained_by_pid.txt"

DOMAIN = """version: "3.1"
intents: [greet, forgot_password, goodbye]
responses:
  utter_greet: [{text: "Bonjour! / Hello!"}]
  utter_reset: [{text: "Je vous envoie un lien. / I am sending you a link."}]
  utter_goodbye: [{text: "Au revoir! / Goodbye!"}]
"""

NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - bonjour
    - allo
    - hello
    - hi there
    - salut
- intent: forgot_password
  examples: |
    - j'ai oublié mon mot de passe
    - chu pu capable de me brancher
    - I forgot my password
    - I can't log in
    - mot de passe perdu
    - mon code usager est MTREMBLAY
- intent: goodbye
  examples: |
    - au revoir
    - bye
    - merci bonne journée
    - see you
    - à la prochaine
- regex: user_code
  examples: |
    - \\b[A-Z]{6,}\\b
"""

STORIES = """version: "3.1"
stories:
- story: reset
  steps:
  - intent: greet
  - action: utter_greet
  - intent: forgot_password
  - action: utter_reset
  - intent: goodbye
  - action: utter_goodbye
- story: straight to the point
  steps:
  - intent: forgot_password
  - action: utter_reset
"""

CONFIG = """recipe: default.v1
language: fr
assistant_id: parallel-training-test
pipeline:
  - name: WhitespaceTokenizer
  # Puts a dictionary on each token's data (which patterns it matches).
  - name: RegexFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 3
  - name: DIETClassifier
    epochs: 3
    random_seed: 7
    number_of_transformer_layers: 1
    transformer_size: 32
    entity_recognition: false
policies:
  - name: tests.rasa_addons.small_project.{policy}
  - name: TEDPolicy
    epochs: 3
    random_seed: 7
    max_history: 3
"""


def write_project(root: Path, policy: str = "PidRecordingPolicy", stories: str = STORIES) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (root / "data" / "nlu.yml").write_text(NLU, encoding="utf-8")
    (root / "data" / "stories.yml").write_text(stories, encoding="utf-8")
    (root / "config.yml").write_text(CONFIG.format(policy=policy), encoding="utf-8")
    return root


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class PidRecordingPolicy(MemoizationPolicy):
    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        resource = super().train(training_trackers, domain, **kwargs)
        with self._model_storage.write_to(self._resource) as directory:
            # The process, and its niceness (the CPU priority it trains at).
            (directory / PID_FILE).write_text(f"{os.getpid()} {os.nice(0)}")
        return resource


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BrokenPolicy(MemoizationPolicy):
    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        raise ValueError("the stories are upside down")
