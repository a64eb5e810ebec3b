"""`tools/conversations.py` without Rasa: reading the scripts and judging turns.

`data/tracker_events.json` holds two real trackers from a run (trimmed to the fields the
runner reads): a French reset with a mistyped address, and an English walk through the
four steps that ends with support.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.conversations import (
    HANDOFF_RESPONSES,
    Outcome,
    ScriptError,
    Turn,
    judge_slots,
    judge_turn,
    load_conversations,
    parse_conversations,
    summarize,
    turn_events,
    turn_responses,
)

TRACKERS = json.loads((Path(__file__).parent / "data" / "tracker_events.json").read_text(encoding="utf-8"))
KNOWN = frozenset(
    {
        "utter_invalid_email",
        "utter_invalid_user_code",
        "utter_ask_password_reset_form_email",
        "utter_troubleshooting_exhausted",
        "utter_step_restart",
        *HANDOFF_RESPONSES,
    }
)

SCRIPT = """
conversations:
  - name: en-steps
    language: en
    covers: [already_tried]
    turns:
      - user: "cleared my cache already"
        expect: [utter_step_restart]
      - user: "no"
        expect: [utter_troubleshooting_exhausted, "@handoff"]
        forbid: [utter_invalid_email]
      - user: "oui"
        expect: ["utter_invalid_email|utter_invalid_user_code"]
        others: true
        mail: {kind: password_reset, to: Bob.Smith@example.net}
    slots:
      steps_tried: {contains: "clear_data:failed"}
"""


def turn(expect: list[str], **options: object) -> Turn:
    [conversation] = parse_conversations(
        json.dumps(
            {
                "conversations": [
                    {"name": "t", "language": "fr", "turns": [{"user": "x", "expect": expect, **options}]}
                ]
            }
        ),
        "test",
        KNOWN,
    )
    return conversation.turns[0]


def test_a_script_reads_into_turns_groups_and_alternatives() -> None:
    [conversation] = parse_conversations(SCRIPT, "inline.yml", KNOWN)
    assert conversation.name == "en-steps" and conversation.language == "en"
    assert conversation.covers == ("already_tried",)
    first, second, third = conversation.turns
    assert first.expect == (frozenset({"utter_step_restart"}),) and not first.others
    assert second.expect[1] == frozenset(HANDOFF_RESPONSES)
    assert second.forbid == frozenset({"utter_invalid_email"})
    assert third.expect == (frozenset({"utter_invalid_email", "utter_invalid_user_code"}),) and third.others
    assert third.mail is not None and third.mail.to == "bob.smith@example.net"
    assert conversation.slots == {"steps_tried": {"contains": "clear_data:failed"}}


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (SCRIPT.replace("utter_step_restart", "utter_step_restrat"), "unknown response utter_step_restrat"),
        (SCRIPT.replace("language: en", "language: de"), "language must be"),
        (SCRIPT.replace("forbid:", "forbidden:"), "unknown key(s) forbidden"),
        (SCRIPT.replace("kind: password_reset", "kind: newsletter"), "mail needs kind"),
    ],
)
def test_a_malformed_script_is_refused_with_where(script: str, message: str) -> None:
    with pytest.raises(ScriptError, match="inline.yml: en-steps") as error:
        parse_conversations(script, "inline.yml", KNOWN)
    assert message in str(error.value)


def test_the_scripts_in_tests_conversations_load() -> None:
    conversations = load_conversations()
    assert len(conversations) >= 40
    for language in ("fr", "en"):
        covered = {item for c in conversations if c.language == language for item in c.covers}
        assert {
            "all_in_one",
            "form_typo",
            "already_tried",
            "person_with_topic",
            "question_mid_flow",
            "near_miss_out_of_scope",
            "frustration",
            "happy_path",
        } <= covered


def test_a_turn_is_the_user_event_and_what_followed() -> None:
    events = TRACKERS["fr_email_typo"]
    assert turn_events(events, 0)[0]["text"] == "mon mot de passe marche pu, je l'ai oublié"
    assert turn_responses(turn_events(events, 0)) == ["utter_offer_password_reset"]
    assert turn_responses(turn_events(events, 3)) == [
        "utter_invalid_email",
        "utter_ask_password_reset_form_email",
    ]
    assert turn_events(events, 9) == []


def test_exactly_means_nothing_else_and_others_allows_the_re_ask() -> None:
    typo = turn_events(TRACKERS["fr_email_typo"], 3)
    assert judge_turn(turn(["utter_invalid_email"]), typo) == (
        "expected exactly [utter_invalid_email], got [utter_invalid_email, utter_ask_password_reset_form_email]"
    )
    assert judge_turn(turn(["utter_invalid_email"], others=True), typo) is None
    assert judge_turn(turn(["utter_invalid_email", "utter_ask_password_reset_form_email"]), typo) is None


def test_forbidden_responses_and_order_are_judged() -> None:
    typo = turn_events(TRACKERS["fr_email_typo"], 3)
    assert "forbidden utter_invalid_email came" in str(
        judge_turn(
            turn(["utter_ask_password_reset_form_email"], others=True, forbid=["utter_invalid_email"]), typo
        )
    )
    wrong_order = turn(["utter_ask_password_reset_form_email", "utter_invalid_email"], others=True)
    assert "in order (others allowed)" in str(judge_turn(wrong_order, typo))


def test_the_last_step_then_support_and_the_actions_run() -> None:
    last = turn_events(TRACKERS["en_steps_to_support"], 5)
    assert judge_turn(turn(["utter_troubleshooting_exhausted", "@handoff"]), last) is None
    assert (
        judge_turn(
            turn(["utter_troubleshooting_exhausted", "@handoff"], actions=["action_troubleshoot"]), last
        )
        is None
    )
    assert "expected action(s) action_escalate to run" in str(
        judge_turn(turn(["utter_troubleshooting_exhausted", "@handoff"], actions=["action_escalate"]), last)
    )
    assert "got [utter_step_restart]" in str(
        judge_turn(turn(["@handoff"]), turn_events(TRACKERS["en_steps_to_support"], 4))
    )


def test_slot_expectations() -> None:
    slots = {
        "steps_tried": ["main_site:failed", "clear_data:failed"],
        "reset_email_sent": False,
        "pending": None,
    }
    assert judge_slots({"steps_tried": {"contains": "clear_data:failed"}, "pending": None}, slots) is None
    assert judge_slots({"reset_email_sent": True}, slots) == "slot reset_email_sent: expected True, got False"
    assert "expected a list containing 'restart:failed'" in str(
        judge_slots({"steps_tried": {"contains": "restart:failed"}}, slots)
    )


def test_the_share_is_per_language_and_lists_failures() -> None:
    outcomes = [
        Outcome("a", "fr", ("frustration",), True, 2),
        Outcome("b", "fr", ("frustration",), False, 1, 'turn 1 ("x"): expected exactly [a], got [b]'),
        Outcome("c", "en", ("frustration",), True, 1),
    ]
    result = summarize(outcomes)
    assert result["languages"]["fr"] == {"conversations": 2, "passed": 1, "share": 0.5}
    assert result["languages"]["en"]["share"] == 1.0
    assert result["by_item"]["frustration"]["fr"]["passed"] == 1
    assert [f["name"] for f in result["failures"]] == ["b"]
