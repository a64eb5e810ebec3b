"""Resume codes: a person whose browser storage was wiped gets their conversation back."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from bot.app import init_app
from bot.appkeys import STORE
from bot.db.models import Conversation
from bot.db.resume_codes import ALPHABET, normalize_code
from bot.settings import Settings
from tests.bot.conftest import hello, say

pytestmark = pytest.mark.asyncio


async def test_resume_code_reattaches_and_returns_the_transcript(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        first = await hello(ws)
        await say(ws, "j'ai oublié mon mot de passe")
        await say(ws, "j'ai vidé les témoins")
    # Cookies and storage cleared: no conversation id any more, only the code on paper.
    typed = first["resume_code"].lower().replace("-", " ")
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, conversation_id=None, resume_code=typed)
        assert welcome["conversation_id"] == first["conversation_id"]
        assert welcome["resume_code"] == first["resume_code"]
        assert [(m["author"], m["text"]) for m in welcome["transcript"]] == [
            ("person", "j'ai oublié mon mot de passe"),
            ("person", "j'ai vidé les témoins"),
        ]
        # The transcript continues on the server.
        await say(ws, "ça marche, merci")
    async with hub.ws_connect("/ws") as ws:
        again = await hello(ws, conversation_id=first["conversation_id"])
    assert [m["text"] for m in again["transcript"]][-1] == "ça marche, merci"


async def test_an_unknown_code_opens_a_new_conversation_and_says_so(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, resume_code="ZZZZ-ZZZZ", language="en")
        error = await ws.receive_json(timeout=5)
    assert welcome["transcript"] == []
    assert error["code"] == "resume_not_found"
    assert "unknown or has expired" in error["message"]


async def test_a_failed_code_keeps_the_current_conversation(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        mine = await hello(ws)
        await say(ws, "bonjour")
        # A typo in the resume box, from the same open widget.
        again = await hello(ws, conversation_id=mine["conversation_id"], resume_code="2345-6789")
        error = await ws.receive_json(timeout=5)
    assert error["code"] == "resume_not_found"
    assert again["conversation_id"] == mine["conversation_id"]
    assert [m["text"] for m in again["transcript"]] == ["bonjour"]


async def test_guessing_codes_is_rate_limited(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        target = await hello(ws)
    codes = []
    for attempt in range(11):
        async with hub.ws_connect("/ws") as ws:
            await hello(ws, resume_code=f"2222-22{ALPHABET[attempt]}{ALPHABET[attempt]}")
            codes.append((await ws.receive_json(timeout=5))["code"])
    assert codes == ["resume_not_found"] * 10 + ["rate_limited"]
    # Even the right code is refused while the address is blocked.
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, resume_code=target["resume_code"])
        assert (await ws.receive_json(timeout=5))["code"] == "rate_limited"
    assert welcome["conversation_id"] != target["conversation_id"]


async def test_an_expired_code_no_longer_opens_the_conversation(aiohttp_client, settings: Settings) -> None:
    client = await aiohttp_client(init_app(dataclasses.replace(settings, resume_code_ttl_days=3)))
    async with client.ws_connect("/ws") as ws:
        old = await hello(ws)
    store = client.server.app[STORE]
    four_days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=4)
    async with store._sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.id == old["conversation_id"])
            .values(updated_at=four_days_ago)
        )
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, resume_code=old["resume_code"])
        assert (await ws.receive_json(timeout=5))["code"] == "resume_not_found"
    assert welcome["conversation_id"] != old["conversation_id"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("k7qm-4hxt", "K7QM4HXT"), (" K7QM 4HXT ", "K7QM4HXT"), ("k7qm4hxt", "K7QM4HXT")],
)
async def test_codes_are_read_the_way_people_type_them(typed: str, stored: str) -> None:
    assert normalize_code(typed) == stored


@pytest.mark.parametrize("typed", ["", "K7QM", "K7QM-4HX0", "K7QM-4HXI", "' OR 1=1", "x" * 40])
async def test_things_that_cannot_be_codes_are_refused(typed: str) -> None:
    assert normalize_code(typed) is None
