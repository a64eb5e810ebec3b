"""action_escalate opens the handoff at the hub and says who will answer, and where."""

from __future__ import annotations

from typing import Any

import pytest

from actions import handoff
from actions.handoff import ActionEscalate, HandoffOpened
from tests.actions.conftest import responses, slot_events


class FakeHub:
    def __init__(self, answer: HandoffOpened | None) -> None:
        self.answer = answer
        self.packets: list[dict[str, Any]] = []

    async def open(self, packet: dict[str, Any]) -> HandoffOpened | None:
        self.packets.append(packet)
        return self.answer


@pytest.mark.parametrize(
    ("answer", "response"),
    [
        (HandoffOpened(agent_online=True, contact_known=False), "utter_handoff_agent"),
        (HandoffOpened(agent_online=False, contact_known=True), "utter_handoff_email"),
        (HandoffOpened(agent_online=False, contact_known=False), "utter_handoff_email_ask"),
        (None, "utter_handoff"),
    ],
)
async def test_the_reply_depends_on_who_can_answer(
    monkeypatch, make_tracker, dispatcher, domain, answer, response
) -> None:
    hub = FakeHub(answer)
    monkeypatch.setattr(handoff, "get_handoff_client", lambda: hub)
    tracker = make_tracker(
        intent="request_human",
        sender_id="conv-0123456789abcdef",
        slots={
            "language": "en",
            "browser": "firefox",
            "steps_tried": ["main_site:failed"],
            "reset_email_sent": True,
            "user_code": "BSMITH",
            "email": "b***@example.net",
        },
    )
    events = await ActionEscalate().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [response]
    assert slot_events(events) == {"handoff_reason": "requested_by_person", "pending": None}
    assert hub.packets == [
        {
            "conversation_id": "conv-0123456789abcdef",
            "reason": "requested_by_person",
            "language": "en",
            "browser": "firefox",
            "steps_tried": ["main_site:failed"],
            "reset_email_sent": True,
            "user_code": "BSMITH",
            "email": "b***@example.net",
        }
    ]


def test_every_handoff_response_exists_in_both_languages(domain) -> None:
    for name in ("utter_handoff_agent", "utter_handoff_email", "utter_handoff_email_ask"):
        variants = domain["responses"][name]
        assert len(variants) == 2 and any(v.get("condition") for v in variants), name
