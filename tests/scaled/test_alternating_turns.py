"""Several conversations at once, each turn on the other hub and (through haproxy) on
whichever Rasa server is next: each conversation keeps its order, its slots and its
whole transcript, as if one process had served it.

Each turn opens a new WebSocket on the hub's own port (bypassing haproxy), alternately
hub A and hub B; the hubs call Rasa through haproxy, round robin over two Rasa servers
that share the tracker store (PostgreSQL) and the conversation lock (Redis).
"""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path
from typing import Any

import aiohttp

from tests.scaled.chat import Person, transcript_of
from tests.scaled.conftest import Topology

CONVERSATIONS = 4
TURNS = 50
# Questions the assistant answers without handing over (as the bench's long conversation),
# cycled: a handoff would send the rest of the conversation to agents.
SCRIPTS = {
    "fr": [
        "bonjour",
        "c'est quoi un code usager?",
        "merci",
        "j'ai oublié mon mot de passe",
        "non",
        "j'ai oublié mon code d'utilisateur",
        "non",
        "merci beaucoup",
    ],
    "en": [
        "hello",
        "what is a user code?",
        "thanks",
        "I forgot my password",
        "no",
        "I forgot my user code",
        "no",
        "thank you very much",
    ],
}


def script(language: str) -> list[str]:
    lines = SCRIPTS[language]
    return [lines[number % len(lines)] for number in range(TURNS)]


async def converse(topology: Topology, http: aiohttp.ClientSession, language: str) -> Person:
    person = Person(http, topology.origin, language)
    for number, text in enumerate(script(language)):
        hub = topology.hub_urls[number % 2]
        turn = await person.turn(hub, text)
        # The hub this turn reached has every earlier message, in order.
        said_before = transcript_of(turn.welcome["transcript"], "person")
        assert said_before == script(language)[:number], f"turn {number + 1} on {hub}"
    return person


async def rasa_tracker(
    topology: Topology, http: aiohttp.ClientSession, conversation_id: str
) -> dict[str, Any]:
    url = f"{topology.stack.rasa_url}/conversations/{conversation_id}/tracker"
    async with http.get(url, params={"token": topology.stack.rasa_token}) as response:
        assert response.status == 200, await response.text()
        tracker: dict[str, Any] = await response.json()
        return tracker


def test_conversations_alternating_between_hubs_and_rasa_servers_keep_order_slots_and_transcript(
    topology: Topology,
) -> None:
    languages = ["fr", "en"] * (CONVERSATIONS // 2)
    turns_before = collections.Counter(
        server
        for server, _, path in topology.haproxy.requests("rasa")
        if path.startswith("/webhooks/hub/turn")
    )

    async def run() -> tuple[list[Person], list[list[dict[str, Any]]], list[dict[str, Any]]]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            people = await asyncio.gather(*(converse(topology, http, lang) for lang in languages))
            transcripts = [await p.transcript(topology.hub_urls[i % 2]) for i, p in enumerate(people)]
            trackers = [await rasa_tracker(topology, http, str(p.conversation_id)) for p in people]
            return list(people), transcripts, trackers

    people, transcripts, trackers = asyncio.run(run())

    for person, transcript, tracker in zip(people, transcripts, trackers, strict=True):
        expected = script(person.language)
        # Every turn answered, none refused.
        assert [t.errors for t in person.turns] == [[]] * TURNS
        assert all(t.replies for t in person.turns), [t.text for t in person.turns if not t.replies]
        # The hubs' transcript: each message, then exactly the replies it got, in order.
        shown = [(e["author"], e["text"]) for e in transcript if e["author"] in ("person", "assistant")]
        lived = [
            pair
            for t in person.turns
            for pair in [("person", t.text)] + [("assistant", r) for r in t.replies]
        ]
        assert shown == lived
        # Rasa's tracker (PostgreSQL, written by both servers): the same messages in the
        # same order, and the slots of this conversation.
        said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert said == expected
        assert tracker["slots"]["language"] == person.language
        assert tracker["sender_id"] == person.conversation_id

    # Same script, same decisions: the assistant's actions are identical in conversations
    # of the same language (a turn run on a stale or mixed-up tracker would differ).
    def actions(tracker: dict[str, Any]) -> list[str]:
        return [e["name"] for e in tracker["events"] if e["event"] == "action"]

    def slots(tracker: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in tracker["slots"].items() if k != "session_started_metadata"}

    for language in ("fr", "en"):
        same = [t for p, t in zip(people, trackers, strict=True) if p.language == language]
        assert all(actions(t) == actions(same[0]) for t in same)
        assert all(slots(t) == slots(same[0]) for t in same)

    # Both Rasa servers took turns.
    turns_after = collections.Counter(
        server
        for server, _, path in topology.haproxy.requests("rasa")
        if path.startswith("/webhooks/hub/turn")
    )
    served = turns_after - turns_before
    assert sum(served.values()) == CONVERSATIONS * TURNS
    assert all(served[name] >= CONVERSATIONS * TURNS // 5 for name in ("rasa-a", "rasa-b")), served


def test_no_secret_is_on_a_command_line_or_in_rasas_endpoints_file(topology: Topology) -> None:
    stack = topology.stack
    secrets = {
        "Rasa token": stack.rasa_token,
        "internal token": stack.internal_token,
        "link secret": stack.link_secret,
        "action token": stack.rasa[0].action_token,
        "PostgreSQL password": stack.postgres.password,
        "Redis password": stack.redis.password,
    }
    pids = [hub.process.pid for hub in stack.hubs if hub.process is not None]
    pids += [pid for rasa in stack.rasa for pid in rasa.pids().values()]
    assert stack.haproxy is not None and stack.haproxy.process is not None and stack.redis.process is not None
    pids += [stack.haproxy.process.pid, stack.redis.process.pid]
    endpoints = []
    for pid in pids:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        for name, value in secrets.items():
            assert not any(value in word for word in words), f"{name} on the command line of {words[:4]}"
        if "--endpoints" in words:
            endpoints.append(Path(words[words.index("--endpoints") + 1]).read_text(encoding="utf-8"))
    assert len(endpoints) == len(stack.rasa)
    for text in endpoints:
        assert "${GEM_TRACKER_STORE_PASSWORD}" in text and "${GEM_LOCK_STORE_PASSWORD}" in text
        assert "type: redis" in text and "dialect: postgresql" in text
        for name, value in secrets.items():
            assert value not in text, f"{name} in Rasa's endpoints file"
