"""A console counts as "an agent online" only while its sign-in session is alive.

After logout or idle expiry the console socket closes (code 4401, the page goes to the
login form), receives no more transcripts, and a new handoff says nobody is online: the
person is asked for an address and support gets the mail.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest_asyncio
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS
from bot.console.sockets import SIGNED_OUT
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import ANA, conversation_with, login, open_handoff
from tests.bot.smtp_server import SmtpRecorder


@pytest_asyncio.fixture
async def quick_check_hub(
    aiohttp_client: ClientFactory, console_settings: Settings, clock: MovableClock
) -> TestClient:
    """A hub whose open consoles re-check their session every 0.1 s."""
    settings = dataclasses.replace(console_settings, console_session_check_seconds=0.1)
    client = await aiohttp_client(init_app(settings, clock=clock))
    await client.app[AGENTS].create(*ANA)
    return client


async def closed_as_signed_out(console: object) -> None:
    message = await console.receive(timeout=5)  # type: ignore[attr-defined]
    assert message.type == WSMsgType.CLOSE and message.data == SIGNED_OUT, message


async def escalate(hub: TestClient, **fields: object) -> dict[str, object]:
    conversation_id = await conversation_with(hub, ("person", "un agent svp", "request_human", 0.9))
    status, body = await open_handoff(hub, conversation_id, **fields)  # type: ignore[arg-type]
    assert status == 200, body
    return body


async def test_logout_closes_the_console_and_nobody_is_online_any_more(
    console_hub: TestClient, smtp: SmtpRecorder
) -> None:
    token = await login(console_hub)
    console = await console_hub.ws_connect("/console/ws")
    assert (await escalate(console_hub))["agent_online"] is True
    assert (await console.receive_json(timeout=5)) == {"type": "queue"}

    async with console_hub.post("/console/logout", data={"csrf": token}, allow_redirects=False) as response:
        assert response.status == 302
    await closed_as_signed_out(console)

    body = await escalate(console_hub, email="julie.tremblay@example.com")
    assert body["agent_online"] is False  # so support gets the mail
    [mail] = await smtp.wait_for(1)
    assert "soutien@gem-books.com" in mail["To"]


async def test_an_idle_session_closes_its_console(quick_check_hub: TestClient, clock: MovableClock) -> None:
    await login(quick_check_hub)
    console = await quick_check_hub.ws_connect("/console/ws")
    clock.advance(minutes=29)
    await asyncio.sleep(0.5)  # several re-checks: they must not count as activity
    assert not console.closed
    clock.advance(minutes=2)
    await closed_as_signed_out(console)
    assert (await escalate(quick_check_hub))["agent_online"] is False


async def test_agent_online_is_computed_from_live_sessions_between_checks(
    console_hub: TestClient, clock: MovableClock
) -> None:
    # The default check interval (30 s) has not come round: the session's end is still seen.
    await login(console_hub)
    console = await console_hub.ws_connect("/console/ws")
    clock.advance(minutes=31)
    assert (await escalate(console_hub))["agent_online"] is False
    await closed_as_signed_out(console)  # instead of receiving the new handoff's frames


async def test_a_console_of_an_ended_session_cannot_connect(
    console_hub: TestClient, clock: MovableClock
) -> None:
    await login(console_hub)
    clock.advance(minutes=31)
    async with console_hub.get("/console/ws") as response:
        assert response.status == 401
