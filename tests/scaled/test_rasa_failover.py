"""One Rasa server killed (SIGKILL) while several conversations are sending: no person's
message is lost, a person whose turn failed is told so, and the conversation goes on
through the other Rasa server.

This module leaves one Rasa server down: it runs last in this package (name order).

Why some turns fail at all: a turn that reached the killed server is not replayed by
haproxy (it is not idempotent: Rasa may have stored part of it), so the hub tells the
person (``assistant_unavailable``, message kept). And the killed server leaves its ticket
in the conversation's lock (Redis): that conversation's next turns wait until it expires
(``RASA_LOCK_LIFETIME_SECONDS``), then go through.
"""

from __future__ import annotations

import asyncio
import collections
import time

import aiohttp

from tests.scaled.chat import Person, Turn, transcript_of
from tests.scaled.conftest import Topology
from tests.scaled.test_alternating_turns import SCRIPTS
from tools.scaled_stack import RASA_LOCK_LIFETIME_SECONDS

CONVERSATIONS = 6
# Turns each conversation sends before the kill, at least; it goes on after it until the
# killed server's locks have expired, plus a few turns that must all succeed.
TURNS_BEFORE = 3
TURNS_AFTER_RECOVERY = 3
RECOVERED_AFTER_SECONDS = RASA_LOCK_LIFETIME_SECONDS + 5


def test_a_rasa_server_killed_under_load_loses_no_message_and_the_people_are_told(topology: Topology) -> None:
    killed: dict[str, float] = {}
    stack = topology.stack
    turns_before = collections.Counter(
        server
        for server, _, path in topology.haproxy.requests("rasa")
        if path.startswith("/webhooks/hub/turn")
    )

    async def converse(http: aiohttp.ClientSession, language: str, started: asyncio.Event) -> Person:
        person = Person(http, topology.origin, language)
        lines = SCRIPTS[language]
        number = 0
        recovered_turns = 0
        while recovered_turns < TURNS_AFTER_RECOVERY:
            sent_at = time.monotonic()
            await person.turn(topology.hub_urls[number % 2], lines[number % len(lines)])
            number += 1
            if number == TURNS_BEFORE:
                started.set()
            if "at" in killed and sent_at > killed["at"] + RECOVERED_AFTER_SECONDS:
                recovered_turns += 1
        return person

    async def kill_when_busy(ready: list[asyncio.Event]) -> None:
        await asyncio.gather(*(event.wait() for event in ready))
        # Kill it while it is answering turns: those must fail visibly, not vanish.
        deadline = time.monotonic() + 30
        while topology.haproxy.in_flight("rasa", "rasa-b") == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        killed["in_flight"] = topology.haproxy.in_flight("rasa", "rasa-b")
        stack.kill_rasa(1)
        killed["at"] = time.monotonic()

    async def run() -> tuple[list[Person], list[list[dict[str, object]]]]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            ready = [asyncio.Event() for _ in range(CONVERSATIONS)]
            languages = ["fr", "en"] * (CONVERSATIONS // 2)
            people, _ = await asyncio.gather(
                asyncio.gather(
                    *(converse(http, lang, event) for lang, event in zip(languages, ready, strict=True))
                ),
                kill_when_busy(ready),
            )
            transcripts = [await person.transcript(topology.hub_urls[0]) for person in people]
            return list(people), transcripts

    people, transcripts = asyncio.run(run())
    assert killed["in_flight"] >= 1, "the Rasa server was killed while idle: nothing was tested"

    failed: list[Turn] = []
    for person, transcript in zip(people, transcripts, strict=True):
        # Every message the person sent is stored, in order, failed turns included.
        assert transcript_of(transcript, "person") == [turn.text for turn in person.turns]
        for turn in person.turns:
            if turn.errors:
                # Told, in their language, with the support address; no half answer.
                assert turn.errors == ["assistant_unavailable"], turn.frames
                assert not turn.replies
                failed.append(turn)
            else:
                assert turn.replies, turn.frames
        # The last turns (after the killed server's locks expired) all went through.
        assert all(not turn.errors for turn in person.turns[-TURNS_AFTER_RECOVERY:])
    assert failed, "no turn was in flight on the killed server"
    message = next(f for t in failed for f in t.frames if f["type"] == "error")["message"]
    assert "soutien@gem-books.com" in message

    # After the kill, haproxy sent the turns to the remaining server only.
    turns_after = collections.Counter(
        server
        for server, _, path in topology.haproxy.requests("rasa")
        if path.startswith("/webhooks/hub/turn")
    )
    served = turns_after - turns_before
    assert served["rasa-a"] > 0 and served["rasa-b"] > 0, served
    status = {row["svname"]: row["status"] for row in topology.haproxy.servers() if row["pxname"] == "rasa"}
    assert status["rasa-b"].startswith("DOWN") and status["rasa-a"] == "UP", status
