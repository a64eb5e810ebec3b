"""The real Rasa stack keeps its secrets off every command line (``ps`` shows them to
every local user), the Rasa API still demands its token, and the action server runs
actions only for Rasa (its shared secret)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import aiohttp
from rasa.cli.arguments.run import add_server_arguments

from tools.rasa_server import rasa_argv


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
    assert [line for line in lines if rasa_stack.token in line or rasa_stack.action_token in line] == []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{rasa_stack.rasa_url}/status") as response:
            assert response.status == 401
        async with http.get(f"{rasa_stack.rasa_url}/status", params={"token": rasa_stack.token}) as response:
            assert response.status == 200


async def test_the_action_server_runs_actions_only_for_rasa(rasa_stack: Any) -> None:
    call = {"next_action": "action_send_password_reset", "sender_id": "x", "tracker": {}, "domain": {}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": rasa_stack.action_token}):
            async with http.post(f"{rasa_stack.actions_url}/webhook", json=call, headers=headers) as response:
                assert response.status == 401, headers
        async with http.get(f"{rasa_stack.actions_url}/health") as response:
            assert response.status == 200  # the hub's /healthz checks it


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_token() -> None:
    # secrets.token_urlsafe() starts with "-" once in 64 runs: Rasa then refused to start.
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    parsed = parser.parse_args(rasa_argv(["--enable-api"], "-Xy_z1")[1:])
    assert parsed.auth_token == "-Xy_z1"
