"""While a handoff is open the person talks to people: messages skip Rasa, replies arrive live."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS, HANDOFFS
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.console.conftest import ANA, login, open_handoff
from tests.bot.fake_rasa import FakeRasa


async def next_frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=10)
        if frame["type"] == kind:
            return dict(frame)


async def test_a_person_is_answered_by_an_agent_then_by_the_assistant_again(
    aiohttp_client: ClientFactory,
    console_settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    clock: MovableClock,
) -> None:
    fake, url = fake_rasa
    hub: TestClient = await aiohttp_client(
        init_app(dataclasses.replace(console_settings, rasa_url=url, action_server_url=url), clock=clock)
    )
    await hub.app[AGENTS].create(*ANA)
    token = await login(hub)
    console = await hub.ws_connect("/console/ws")  # the agent is online

    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        await say(ws, "je veux parler à un agent")
        assert len(fake.webhook_calls) == 1
        status, body = await open_handoff(hub, welcome["conversation_id"])  # what action_escalate does
        assert status == 200 and body["agent_online"] is True
        support = await next_frame(ws, "support")
        assert support["state"] == "open" and support["agent_online"] is True
        assert "Un agent est en ligne" in support["message"]
        assert (await console.receive_json(timeout=5)) == {"type": "queue"}

        # The person's next message goes to the console, not to Rasa.
        frames = await say(ws, "Mon <b>écran</b> reste blanc")
        assert of_type(frames, "message") == [] and len(fake.webhook_calls) == 1
        live = await console.receive_json(timeout=5)
        assert live["type"] == "message" and live["text"] == "Mon <b>écran</b> reste blanc"
        assert live["handoff_id"] == body["handoff_id"] and "conversation_id" not in live

        handoff_id = body["handoff_id"]
        async with hub.post(f"/console/c/{handoff_id}/claim", data={"csrf": token}):
            pass
        async with hub.post(
            f"/console/c/{handoff_id}/reply", data={"csrf": token, "text": "Bonjour, je regarde."}
        ):
            pass
        reply = await next_frame(ws, "message")
        assert (reply["author"], reply["text"]) == ("agent", "Bonjour, je regarde.")

        async with hub.post(f"/console/c/{handoff_id}/hand-back", data={"csrf": token}):
            pass
        closed = await next_frame(ws, "support")
        assert closed["state"] == "closed"
        back = await next_frame(ws, "message")
        assert back["author"] == "assistant" and back["text"].startswith("Je suis de retour")

        frames = await say(ws, "merci, autre question")
        assert len(fake.webhook_calls) == 2 and of_type(frames, "message")
    handoff = await hub.app[HANDOFFS].store.get(handoff_id)
    assert handoff is not None and handoff.status == "handed_back" and handoff.first_reply_at is not None
    await console.close()
