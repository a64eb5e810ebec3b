"""The triage's decision rules, one by one (pure function, no I/O)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.settings import Settings
from bot.triage.decide import DECISION_REASONS, Decision, Facts, decide

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
        # Replies known by their content only (issue 16, item 4).
        ({"replying": "auto_answer"}, ("ticket", "reply_to_auto_answer")),
        ({"replying": "auto_answer", "resolved": True}, ("filed", "resolved")),
        ({"replying": "us", "resolved": True}, ("filed", "resolved")),
        ({"replying": "other", "resolved": True}, ("filed", "resolved")),
        ({"thread_kind": "auto_reply", "resolved": True}, ("filed", "resolved")),
        # Thanks in a thread a person already handles go to that person.
        ({"thread_kind": "inbound", "ticket_open": True, "resolved": True}, ("ticket", "follow_up")),
        # A long mail with an answerable request and one for a person (item 3).
        ({"mixed": True}, ("ticket", "mixed_request")),
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


def test_thanks_without_any_sign_of_a_reply_are_read_like_any_mail() -> None:
    # Only a reply can close something; a new mail that says "merci" is read for its request.
    assert decide(facts(resolved=True), SETTINGS).action == "auto_reply"


def test_a_reply_to_someone_else_with_a_known_problem_is_answered() -> None:
    # "TR:" of a client's mail, or a new question under an agent's old answer.
    assert tuple(dataclasses.astuple(decide(facts(replying="other"), SETTINGS))) == (
        "auto_reply",
        "known_problem",
    )
    assert tuple(dataclasses.astuple(decide(facts(replying="us"), SETTINGS))) == (
        "auto_reply",
        "known_problem",
    )


def test_a_reply_to_someone_elses_thread_is_a_flagged_ticket_never_an_answer() -> None:
    assert decide(facts(foreign_reply=True), SETTINGS) == Decision("ticket", "foreign_reply")
    assert decide(facts(foreign_reply=True, resolved=True, replying="us"), SETTINGS).reason == "foreign_reply"
    # Automatic mail is still only filed.
    assert decide(facts(foreign_reply=True, automatic="list"), SETTINGS) == Decision("filed", "list")
