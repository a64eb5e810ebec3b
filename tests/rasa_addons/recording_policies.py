"""Policies for ``test_parallel_training``: Rasa's memoization, telling which process
trained it, and one that fails. Imported by the training (from the test's config), so in
both processes."""

from __future__ import annotations

import os
from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates

PID_FILE = "trained_by_pid.txt"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class PidRecordingPolicy(MemoizationPolicy):
    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        resource = super().train(training_trackers, domain, **kwargs)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PID_FILE).write_text(str(os.getpid()))
        return resource


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class BrokenPolicy(MemoizationPolicy):
    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        raise ValueError("the stories are upside down")
