"""The triage's decision rules, one by one (pure function, no I/O)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.settings import Settings
from bot.triage.decide import DECISION_REASONS, Facts, decide

SETTINGS = Settings(triage_threshold_fr=0.8, triage_threshold_en=0.9)
KNOWN = Facts(
    automatic=None,
    thread_kind=None,
    ticket_open=False,
    text="Je n'arrive plus à me brancher",
    intent="login_problem",
    confidence=0.95,
    language="fr",
)


def facts(**changes: object) -> Facts:
    return dataclasses.replace(KNOWN, **changes)


def test_a_known_problem_above_the_threshold_is_answered() -> None:
    assert tuple(dataclasses.astuple(decide(KNOWN, SETTINGS))) == ("auto_reply", "known_problem")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"automatic": "list"}, ("filed", "list")),
        ({"automatic": "auto_submitted", "thread_kind": "auto_reply"}, ("filed", "auto_submitted")),
        ({"thread_kind": "auto_reply"}, ("ticket", "reply_to_auto_answer")),
        ({"thread_kind": "agent_reply"}, ("ticket", "follow_up")),
        ({"ticket_open": True, "thread_kind": "inbound"}, ("ticket", "follow_up")),
        ({"text": "  "}, ("ticket", "empty")),
        ({"intent": "out_of_scope"}, ("ticket", "not_answerable")),
        ({"intent": "still_not_working"}, ("ticket", "not_answerable")),
        ({"intent": "request_human"}, ("ticket", "not_answerable")),
        ({"intent": None, "confidence": 0.0}, ("ticket", "not_answerable")),
        ({"confidence": 0.79}, ("ticket", "low_confidence")),
    ],
)
def test_everything_else_is_a_ticket_or_filed(changes: dict[str, object], expected: tuple[str, str]) -> None:
    assert tuple(dataclasses.astuple(decide(facts(**changes), SETTINGS))) == expected


def test_the_threshold_is_per_language() -> None:
    assert decide(facts(language="en", confidence=0.85), SETTINGS).reason == "low_confidence"
    assert decide(facts(language="fr", confidence=0.85), SETTINGS).reason == "known_problem"


def test_shadow_mode_never_answers() -> None:
    shadow = dataclasses.replace(SETTINGS, triage_mode="shadow")
    assert tuple(dataclasses.astuple(decide(KNOWN, shadow))) == ("ticket", "shadow")


def test_every_reason_has_both_labels() -> None:
    for labels in DECISION_REASONS.values():
        assert set(labels) == {"fr", "en"} and all(labels.values())
