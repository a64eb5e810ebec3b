"""The action server's one client for the hub's internal API, against the real hub."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from actions.hub_client import HubClient
from actions.settings import ActionSettings
from bot.app import init_app
from bot.settings import Settings
from tools.stack import free_port

TOKEN = "internal-test-token"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_one_client_reads_every_answer_of_the_internal_api(aiohttp_client: Any, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        rasa_url=nowhere,
        action_server_url=nowhere,
        internal_token=TOKEN,
        internal_port=free_port(),
        triage_smtp_port=0,
    )
    await aiohttp_client(init_app(settings))
    hub_url = f"http://127.0.0.1:{settings.internal_port}"
    packet = {"conversation_id": "N" * 32, "reason": "requested_by_person", "language": "fr"}

    wrong = await HubClient(ActionSettings(hub_url=hub_url, internal_token="wrong")).post(
        "/internal/handoffs", packet
    )
    assert (wrong.status, wrong.error, wrong.ok) == (401, "unauthorized", False)

    client = HubClient(ActionSettings(hub_url=hub_url, internal_token=TOKEN))
    unknown = await client.post("/internal/handoffs", packet)
    assert (unknown.status, unknown.error) == (404, "unknown_conversation")
    malformed = await client.post("/internal/accounts/password-reset", {"email": "x"}, idempotency_key="k1")
    assert (malformed.status, malformed.error) == (422, "invalid_field")

    down = await HubClient(ActionSettings(hub_url=nowhere, internal_token=TOKEN)).post(
        "/internal/handoffs", packet
    )
    assert (down.status, down.error, down.body) == (0, "unreachable", {})
