"""A conversation page's socket first brings the lines written since the page was made.

Between the page's rendering and its socket (or while the socket reconnects), a person's
message reached neither: the console page asks for the lines after its last one.
"""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.appkeys import STORE
from tests.bot.console.conftest import ANA, BEN, conversation_with, login, open_handoff

CONTACT = "julie.tremblay@example.com"


def last_line_id(html: str) -> int:
    return max(int(found) for found in re.findall(r'<li class="line[^"]*" data-id="([0-9]+)"', html))


async def test_a_page_late_to_connect_gets_the_lines_written_since_it_was_made(
    console_hub: TestClient,
) -> None:
    conversation_id = await conversation_with(
        console_hub,
        ("person", "je n'arrive plus à me brancher", "login_problem", 0.97),
        ("person", "un agent svp", "request_human", 0.95),
    )
    status, body = await open_handoff(console_hub, conversation_id)
    assert status == 200, body
    handoff_id = body["handoff_id"]
    await login(console_hub, ANA)
    async with console_hub.get(f"/console/c/{handoff_id}") as response:
        assert response.status == 200
        shown = last_line_id(await response.text())

    # The person writes after the page was made, before its socket is open.
    store = console_hub.app[STORE]
    first = await store.add_message(conversation_id, "person", f"Mon écran reste blanc, écrivez à {CONTACT}")
    second = await store.add_message(conversation_id, "person", "toujours là?")

    console = await console_hub.ws_connect(f"/console/ws?handoff={handoff_id}&after={shown}")
    caught_up = [await console.receive_json(timeout=5) for _ in range(2)]
    assert [(f["type"], f["handoff_id"], f["id"], f["author"]) for f in caught_up] == [
        ("message", handoff_id, first.id, "person"),
        ("message", handoff_id, second.id, "person"),
    ]
    assert caught_up[0]["text"] == "Mon écran reste blanc, écrivez à j***@example.com"  # masked as live
    assert "conversation_id" not in caught_up[0]
    await console.close()

    # From the start (a page with no lines yet, or junk in ?after=): the whole transcript.
    for after in ("0", "", "-3", "99999999999"):
        console = await console_hub.ws_connect(f"/console/ws?handoff={handoff_id}&after={after}")
        frames = [await console.receive_json(timeout=5) for _ in range(4)]
        assert [f["text"] for f in frames][-1] == "toujours là?"
        await console.close()


async def test_no_lines_of_a_conversation_the_agent_may_not_see(console_hub: TestClient) -> None:
    conversation_id = await conversation_with(console_hub, ("person", "un agent svp", "request_human", 0.95))
    status, body = await open_handoff(console_hub, conversation_id)
    assert status == 200, body
    handoff_id = body["handoff_id"]
    token = await login(console_hub, ANA)
    async with console_hub.post(f"/console/c/{handoff_id}/claim", data={"csrf": token}) as response:
        assert response.status == 200  # after the redirect: Ana's conversation now

    await login(console_hub, BEN)
    for query in (f"handoff={handoff_id}&after=0", "handoff=424242&after=0", "handoff=abc"):
        console = await console_hub.ws_connect(f"/console/ws?{query}")
        # The next frame Ben gets is the queue changing, never a line of Ana's conversation.
        other = await conversation_with(console_hub, ("person", "allo?", "request_human", 0.9))
        assert (await open_handoff(console_hub, other))[0] == 200
        assert (await console.receive_json(timeout=5)) == {"type": "queue"}
        await console.close()
