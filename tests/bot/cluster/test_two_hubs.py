"""Any hub serves any turn of any conversation, and live updates cross hubs.

Two real hubs (one SQLite file, one real Redis, one fake Rasa): a person on one and an
agent on the other see each other live; logging out on one hub closes the consoles on the
other; "an agent is online" counts every hub's consoles; one conversation's turns through
both hubs never overlap in Rasa and are stored in order.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from bot.appkeys import LIVE, SATISFACTION, STORE
from bot.console.auth import SESSION_COOKIE
from bot.console.sockets import SIGNED_OUT
from tests.bot.cluster.conftest import TwoHubs, frame_of_type, until_online
from tests.bot.conftest import hello, of_type, say
from tests.bot.console.conftest import BEN, login, open_handoff

pytestmark = pytest.mark.asyncio


def session_cookie(hub: TestClient) -> dict[str, str]:
    """The agent's session cookie of ``hub``'s client, to open a console on another hub."""
    [value] = [cookie.value for cookie in hub.session.cookie_jar if cookie.key == SESSION_COOKIE]
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


async def post(hub: TestClient, path: str, **form: str) -> None:
    async with hub.post(path, data=form, allow_redirects=False) as response:
        assert response.status in (302, 303), await response.text()


async def test_an_agent_on_hub_a_answers_a_person_on_hub_b_live(hubs: TwoHubs) -> None:
    ana_csrf = await login(hubs.a)
    await login(hubs.b, BEN)
    async with (
        hubs.a.ws_connect("/console/ws") as ana,
        hubs.b.ws_connect("/console/ws") as ben,
        hubs.b.ws_connect("/ws") as person,
    ):
        welcome = await hello(person)
        await say(person, "je veux parler à un agent")
        # The action server opens the handoff on hub B, where the turn ran.
        status, body = await open_handoff(hubs.b, welcome["conversation_id"])
        assert status == 200 and body["agent_online"] is True, body  # Ana's console is on hub A
        assert (await ana.receive_json(timeout=5)) == {"type": "queue"}
        assert (await ben.receive_json(timeout=5)) == {"type": "queue"}
        support = await frame_of_type(person, "support")
        assert support["state"] == "open" and support["agent_online"] is True

        # Unclaimed: every console sees the person's message, whichever hub it is on.
        assert of_type(await say(person, "toujours bloquée"), "message") == []
        for console in (ana, ben):
            line = await frame_of_type(console, "message")
            assert (line["text"], line["handoff_id"]) == ("toujours bloquée", body["handoff_id"])

        handoff = f"/console/c/{body['handoff_id']}"
        await post(hubs.a, f"{handoff}/claim", csrf=ana_csrf)
        await post(hubs.a, f"{handoff}/reply", csrf=ana_csrf, text="Bonjour, je regarde votre compte.")
        answer = await frame_of_type(person, "message")
        assert (answer["author"], answer["text"]) == ("agent", "Bonjour, je regarde votre compte.")

        # Claimed by Ana: her console on hub A sees the next message, Ben's on hub B does not.
        await say(person, "merci!")
        seen = [(await frame_of_type(ana, "message"))["text"] for _ in range(2)]
        assert seen == ["Bonjour, je regarde votre compte.", "merci!"]
        with pytest.raises(asyncio.TimeoutError):
            await frame_of_type(ben, "message", timeout=0.5)


async def test_logout_on_hub_a_closes_the_consoles_on_hub_b_and_agents_online_counts_every_hub(
    hubs: TwoHubs,
) -> None:
    ana_csrf = await login(hubs.a)
    assert [await hub.app[LIVE].agents_online() for hub in hubs] == [0, 0]
    async with (
        hubs.a.ws_connect("/console/ws") as ana_on_a,
        # Before Ben signs in on hub B's client: its cookie jar would win over this header.
        hubs.b.ws_connect("/console/ws", headers=session_cookie(hubs.a)) as ana_on_b,
    ):
        await login(hubs.b, BEN)
        ben_on_b = await hubs.b.ws_connect("/console/ws")
        # Ana on both hubs, Ben on hub B: two agents, seen alike from either hub.
        for hub in hubs:
            await until_online(hub, 2)

        started = time.monotonic()
        await post(hubs.a, "/console/logout", csrf=ana_csrf)
        for console in (ana_on_a, ana_on_b):
            message = await console.receive(timeout=5)
            assert message.type == WSMsgType.CLOSE and message.data == SIGNED_OUT, message
        # Closed by the logout on the other hub at once, not by the 30 s session re-check.
        assert time.monotonic() - started < 5

        assert [await hub.app[LIVE].agents_online() for hub in hubs] == [1, 1]
        assert not ben_on_b.closed
        await ben_on_b.close()


async def test_one_conversations_turns_through_both_hubs_never_overlap_and_stay_in_order(
    hubs: TwoHubs,
) -> None:
    hubs.rasa.turn_seconds = 0.3
    async with hubs.a.ws_connect("/ws") as tab_a, hubs.b.ws_connect("/ws") as tab_b:
        welcome = await hello(tab_a)
        conversation_id = welcome["conversation_id"]
        assert (await hello(tab_b, conversation_id=conversation_id))["conversation_id"] == conversation_id
        for round_ in range(3):
            turns = await asyncio.gather(say(tab_a, f"premier {round_}"), say(tab_b, f"second {round_}"))
            for frames in turns:
                assert len(of_type(frames, "message")) == 2 and not of_type(frames, "error"), frames
    assert hubs.rasa.most_turns_at_once == 1
    assert len(hubs.rasa.webhook_calls) == 6

    # Each person's message is followed by its own two replies, never by the other turn's.
    transcript = await hubs.a.app[STORE].transcript(conversation_id)
    assert len(transcript) == 18
    for start in range(0, 18, 3):
        person, echo, question = transcript[start : start + 3]
        assert person.author == "person" and [echo.author, question.author] == ["assistant", "assistant"]
        assert echo.text == f"Vous avez écrit : {person.text}"


async def test_a_mail_accepted_by_hub_b_asks_did_this_help_after_the_turn_on_hub_a(hubs: TwoHubs) -> None:
    async with hubs.a.ws_connect("/ws") as person:
        welcome = await hello(person)
        # The action server's call for the reset mail lands on the other hub's internal API.
        await hubs.b.app[SATISFACTION].flow_completed(welcome["conversation_id"], "forgot_password", "fr")
        frames = await say(person, "merci")
        [asked] = of_type(frames, "satisfaction")
        assert asked["state"] == "asked" and asked["question"] == "Est-ce que ça vous a aidé ?"
        # Asked once: the mark was taken.
        assert of_type(await say(person, "encore merci"), "satisfaction") == []
