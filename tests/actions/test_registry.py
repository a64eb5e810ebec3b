"""The action server can load the actions package and knows every action the domain lists."""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor


def test_every_domain_action_is_registered(domain):
    executor = ActionExecutor()
    executor.register_package("actions")
    missing = [name for name in domain["actions"] if name not in executor.actions]
    assert missing == []
