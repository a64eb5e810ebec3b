"""The real Rasa stack keeps its API token off every command line (``ps`` shows them to
every local user), and the API still demands it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp


def command_lines() -> list[str]:
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:  # the process ended meanwhile
            continue
    return lines


async def test_the_rasa_token_is_in_no_command_line(rasa_stack: Any) -> None:
    lines = command_lines()
    assert any("tools.rasa_server" in line and "--enable-api" in line for line in lines), "Rasa not found"
    assert [line for line in lines if rasa_stack.token in line] == []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{rasa_stack.rasa_url}/status") as response:
            assert response.status == 401
        async with http.get(f"{rasa_stack.rasa_url}/status", params={"token": rasa_stack.token}) as response:
            assert response.status == 200
