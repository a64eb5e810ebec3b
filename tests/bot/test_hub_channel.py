"""The hub's channel into Rasa (``rasa_addons.hub_channel``), on the real Rasa server and model.

One call per chat turn: the replies and what the hub stores (intent, confidence, language,
steps tried, a handoff), as Rasa's own tracker has them after the turn; refused without
the Rasa API token.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.asyncio

METADATA = {"language": "fr", "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"}


async def turn(stack: Any, sender: str, text: str, **request: Any) -> tuple[int, Any]:
    request.setdefault("headers", {"Authorization": f"Bearer {stack.token}"})
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{stack.rasa_url}/webhooks/hub/turn",
            json={"sender": sender, "message": text, "metadata": METADATA},
            **request,
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def tracker(stack: Any, sender: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{stack.rasa_url}/conversations/{sender}/tracker",
            params={"token": stack.token, "include_events": "NONE"},
        ) as response,
    ):
        assert response.status == 200
        return await response.json()


async def test_a_turn_answers_with_the_replies_and_what_the_tracker_says(rasa_stack: Any) -> None:
    sender = f"channel-{uuid.uuid4().hex}"
    status, body = await turn(rasa_stack, sender, "je n'arrive plus à me brancher")
    assert status == 200, body
    assert body["replies"] and all(reply["recipient_id"] == sender for reply in body["replies"])
    assert any(reply.get("buttons") for reply in body["replies"]), body["replies"]
    assert "CONNEXION" in " ".join(reply.get("text", "") for reply in body["replies"])
    assert (body["intent"], body["language"], body["handoff_reason"]) == ("login_problem", "fr", None)
    status, body = await turn(rasa_stack, sender, "non")  # step 1 did not help
    assert status == 200, body
    # Exactly what Rasa's tracker holds after the turn (the hub used to GET it).
    state = await tracker(rasa_stack, sender)
    latest = state["latest_message"]["intent"]
    assert body["intent"] == latest["name"] == "deny"
    assert body["confidence"] == pytest.approx(latest["confidence"])
    assert body["language"] == state["slots"]["language"] == "fr"
    assert body["steps_tried"] == state["slots"]["steps_tried"]
    assert any(step.startswith("main_site") for step in body["steps_tried"]), body["steps_tried"]


async def test_a_request_for_a_person_reports_the_handoff(rasa_stack: Any) -> None:
    sender = f"channel-{uuid.uuid4().hex}"
    status, body = await turn(rasa_stack, sender, "I want to talk to a human agent please")
    assert status == 200, body
    assert (body["intent"], body["language"]) == ("request_human", "en")
    assert body["handoff_reason"] == "requested_by_person"
    assert body["replies"]


async def test_an_offer_of_support_is_not_a_handoff(rasa_stack: Any) -> None:
    sender = f"channel-{uuid.uuid4().hex}"
    status, body = await turn(rasa_stack, sender, "quel temps fera-t-il demain à Montréal?")
    assert status == 200, body
    assert body["intent"] in {"out_of_scope", "nlu_fallback"}, body
    assert body["handoff_reason"] is None


async def test_the_channel_refuses_calls_without_the_rasa_token(rasa_stack: Any) -> None:
    sender = f"channel-{uuid.uuid4().hex}"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": rasa_stack.token}):
        status, body = await turn(rasa_stack, sender, "bonjour", headers=headers)
        assert (status, body) == (401, {"error": "unauthorized"}), headers
    # Nothing was processed for the refused calls.
    assert (await tracker(rasa_stack, sender))["latest_message"].get("text") is None
    # The token as Rasa's HTTP API takes it works too.
    status, body = await turn(rasa_stack, sender, "bonjour", headers={}, params={"token": rasa_stack.token})
    assert status == 200 and body["replies"], body


async def test_a_malformed_turn_is_a_400(rasa_stack: Any) -> None:
    headers = {"Authorization": f"Bearer {rasa_stack.token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        for data in (b"not json", b"[]", b'{"sender": "", "message": "x"}', b'{"sender": "a", "message": 3}'):
            async with http.post(
                f"{rasa_stack.rasa_url}/webhooks/hub/turn", data=data, headers=headers
            ) as response:
                assert response.status == 400, data
                assert await response.json() == {"error": "bad_request"}


async def test_rasa_keeps_its_loaded_model_out_of_full_collections(rasa_stack: Any) -> None:
    # rasa_addons.frozen_heap, set up by this channel: once, after the model was loaded.
    log = (rasa_stack.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    frozen = re.findall(r"(\d+) objects kept out of full garbage collections", log)
    assert len(frozen) == 1, log[-2000:]
    assert int(frozen[0]) > 100_000  # TensorFlow, spaCy and Rasa's graph: about a million
