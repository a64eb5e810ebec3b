"""Resume-code guesses are counted in the database: every hub process (and a restarted
one) sees the same count (finding 3 of issue 14)."""

from __future__ import annotations

import dataclasses

from bot.app import init_app
from bot.db.resume_codes import ALPHABET
from bot.settings import Settings
from tests.bot.conftest import ClientFactory, hello
from tools.stack import free_port


async def guess(hub: object, attempt: int) -> str:
    async with hub.ws_connect("/ws") as ws:  # type: ignore[attr-defined]
        await hello(ws, resume_code=f"2222-22{ALPHABET[attempt]}{ALPHABET[attempt]}")
        return str((await ws.receive_json(timeout=5))["code"])


async def test_two_hub_processes_count_the_same_guesses(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    # Two applications on one database file: what two hub processes behind a proxy are.
    shared = dataclasses.replace(settings, resume_attempts_per_window=4)
    first = await aiohttp_client(init_app(shared))
    second = await aiohttp_client(init_app(dataclasses.replace(shared, internal_port=free_port())))
    codes = [await guess(first if attempt % 2 else second, attempt) for attempt in range(5)]
    assert codes == ["resume_not_found"] * 4 + ["rate_limited"]
    assert await guess(first, 5) == "rate_limited"
    # A hub started later (a restart) still knows.
    third = await aiohttp_client(init_app(dataclasses.replace(shared, internal_port=free_port())))
    assert await guess(third, 6) == "rate_limited"
