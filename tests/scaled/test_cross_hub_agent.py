"""An agent whose console is connected to hub A sees, as it happens, a person chatting on
hub B, and answers; the person gets the answer on hub B.

The hubs pass live events to each other through Redis pub/sub (``GEM_REDIS_URL``,
bot/cluster/bus.py): without it each hub would only tell its own sockets.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from bot.console.demo import DEMO_AGENT_EMAIL, DEMO_AGENT_PASSWORD
from tests.bot.conftest import hello, of_type, say
from tests.scaled.conftest import Topology

# Long enough for a live frame on a busy machine.
LIVE_SECONDS = 15.0


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def sign_in(http: aiohttp.ClientSession, hub: str) -> None:
    async with http.get(f"{hub}/console/login") as response:
        token = csrf_in(await response.text())
    form = {"csrf": token, "email": DEMO_AGENT_EMAIL, "password": DEMO_AGENT_PASSWORD}
    async with http.post(f"{hub}/console/login", data=form, allow_redirects=False) as response:
        assert response.status == 302, await response.text()


async def next_frame(
    ws: aiohttp.ClientWebSocketResponse, kind: str, text: str | None = None
) -> dict[str, Any]:
    """The next frame of that type (and text), within LIVE_SECONDS."""

    async def find() -> dict[str, Any]:
        while True:
            frame: dict[str, Any] = await ws.receive_json()
            if frame.get("type") == kind and (text is None or frame.get("text") == text):
                return frame

    return await asyncio.wait_for(find(), LIVE_SECONDS)


# Person on hub A: the console and the person share a process (the control: it shows the
# test itself works). Person on hub B: the live frames must cross from one hub to the other.
@pytest.mark.parametrize("person_hub", [0, 1], ids=["same-hub", "other-hub"])
def test_an_agent_on_hub_a_sees_a_person_on_hub_b_live_and_answers(
    topology: Topology, person_hub: int
) -> None:
    hub_a, hub_b = topology.hub_urls[0], topology.hub_urls[person_hub]
    origin = topology.origin

    async def run() -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        timeout = aiohttp.ClientTimeout(total=60)
        async with (
            aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as agent,
            aiohttp.ClientSession(timeout=timeout) as person,
        ):
            await sign_in(agent, hub_a)
            async with (
                agent.ws_connect(f"{hub_a}/console/ws", origin=origin) as console,
                person.ws_connect(f"{hub_b}/ws", origin=origin) as chat,
            ):
                await hello(chat, language="fr")
                frames = await say(chat, "je veux parler à un agent")
                [support] = of_type(frames, "support")
                assert support["state"] == "open"
                if person_hub:
                    # The agent is online (on hub A): hub B must know it. (On the same
                    # hub it depends on which hub's internal API the action server
                    # reached, through haproxy: the same cross-hub question.)
                    assert support["agent_online"] is True, support

                # The person writes on hub B; hub A's console shows it at once.
                await say(chat, "allô? vous êtes là?")
                seen = await next_frame(console, "message", "allô? vous êtes là?")
                handoff_id = seen["handoff_id"]

                # The agent answers from hub A; the person, on hub B, gets it at once.
                async with agent.get(f"{hub_a}/console/c/{handoff_id}") as response:
                    token = csrf_in(await response.text())
                for action, form in (("claim", {}), ("reply", {"text": "Bonjour, ici Agent démo."})):
                    async with agent.post(
                        f"{hub_a}/console/c/{handoff_id}/{action}",
                        data={"csrf": token, **form},
                        allow_redirects=False,
                    ) as response:
                        assert response.status in (200, 302, 303), await response.text()
                answer = await next_frame(chat, "message", "Bonjour, ici Agent démo.")
                assert answer["author"] == "agent"

    asyncio.run(run())
