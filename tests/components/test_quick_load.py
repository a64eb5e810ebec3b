"""The trained model loaded by components.quick_load predicts exactly what Rasa's own loading does.

Loads models/gem-books.tar.gz twice (quickly, then the way Rasa 3.6 does, by training one
step), parses the same messages and asks TED about the same conversations, and compares
every intent confidence, entity and action probability.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from tools.stack import PROJECT_ROOT

pytestmark = pytest.mark.filterwarnings("ignore")

MESSAGES = [
    "allo chu pu capable de me brancher",
    "j'ai oublié mon code usager",
    "I forgot my password, my user code is JTREMBLAY2 and my email is jt@example.com",
    "mon courriel c'est marie.l@exemple.qc.ca",
    "j'utilise firefox",
    "I'm on Google Chrome",
    "the reset email never came",
    "non ça marche pas",
    "yes it worked, thanks",
    "je veux parler à un agent",
    "what's the weather in Montreal",
    "déjà fait",
]

CONVERSATIONS = [
    ["allo chu pu capable de me brancher", "non", "firefox", "non", "je veux parler à quelqu'un"],
    ["I forgot my password", "JTREMBLAY2", "jt@example.com", "it worked"],
    ["j'ai oublié mon code d'utilisateur", "marie@exemple.com", "merci"],
]


def _ted_node(agent: Any) -> str:
    from components.quick_load import QuickTEDPolicy

    nodes = agent.processor.model_metadata.predict_schema.nodes
    return next(name for name, node in nodes.items() if node.uses is QuickTEDPolicy)


async def _predictions(agent: Any) -> dict[str, Any]:
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_TRACKER

    parses = [await agent.parse_message(text) for text in MESSAGES]
    target = _ted_node(agent)
    actions = []
    for number, script in enumerate(CONVERSATIONS):
        for text in script:
            tracker = await agent.processor.log_message(UserMessage(text, sender_id=f"quick-load-{number}"))
            result = agent.processor.graph_runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])
            actions.append(result[target].probabilities)
    return {"parses": parses, "actions": actions}


def _load_and_predict() -> dict[str, Any]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(PROJECT_ROOT / "models" / "gem-books.tar.gz"))
    return asyncio.run(_predictions(agent))


def _assert_same_parse(quick: dict[str, Any], rasa: dict[str, Any]) -> None:
    assert quick["intent"]["name"] == rasa["intent"]["name"], quick["text"]
    assert [r["name"] for r in quick["intent_ranking"]] == [r["name"] for r in rasa["intent_ranking"]]
    np.testing.assert_allclose(
        [r["confidence"] for r in quick["intent_ranking"]],
        [r["confidence"] for r in rasa["intent_ranking"]],
        atol=1e-6,
    )
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in quick["entities"]] == [
        (e["entity"], e["value"], e["start"], e["end"]) for e in rasa["entities"]
    ]


def test_quick_loading_predicts_what_rasa_loading_predicts(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.utils.tensorflow.models import RasaModel

    from components import quick_load

    loaded = []
    real_quick_load = quick_load.quick_load

    def spy(*args: Any) -> Any:
        loaded.append(type(args[0]).__name__)
        return real_quick_load(*args)

    monkeypatch.setattr(quick_load, "quick_load", spy)
    quick = _load_and_predict()
    assert sorted(loaded) == ["_QuickDIET", "_QuickTED"]

    # Rasa's own loading: build the variables by training one step, then restore.
    for model_class in (quick_load._QuickDIET, quick_load._QuickTED):
        monkeypatch.setattr(model_class, "load", RasaModel.__dict__["load"])
    loaded.clear()
    rasa = _load_and_predict()
    assert loaded == []

    for quick_parse, rasa_parse in zip(quick["parses"], rasa["parses"], strict=True):
        _assert_same_parse(quick_parse, rasa_parse)
    assert len(quick["actions"]) == sum(map(len, CONVERSATIONS))
    for quick_actions, rasa_actions in zip(quick["actions"], rasa["actions"], strict=True):
        np.testing.assert_allclose(quick_actions, rasa_actions, atol=1e-6)
    # The comparison is not vacuous: the model recognises what it was trained on.
    assert quick["parses"][1]["intent"]["name"] == "forgot_user_code"
    assert ("user_code", "JTREMBLAY2") in [(e["entity"], e["value"]) for e in quick["parses"][2]["entities"]]
    assert max(quick["actions"][0]) > 0.5
