"""`make run` starts the hub while Rasa loads (tools.serve.start_together).

A real hub (``python -m bot``, a temporary SQLite database) is pointed at a real HTTP peer
standing in for Rasa and the action server, which says "not ready" until the test lets
it; the stack's readiness is that peer's answer, as ``RasaStack.wait_ready`` polls it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tools.serve import Hub, start_together
from tools.stack import StackError, free_port

TOKEN = "test-rasa-token"


class LoadingRasa:
    """Rasa's `/`, `/status` and the action server's `/health`: 503 until `ready` is set."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/", self._answer)
        self.app.router.add_get("/status", self._answer)
        self.app.router.add_get("/health", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        if not self.ready.is_set():
            return web.json_response({"status": "loading"}, status=503)
        return web.json_response({"model_file": "gem-books.tar.gz", "version": "3.6.21", "status": "ok"})


class PolledStack:
    """What start_together needs of a launched RasaStack: `wait_ready` and its timeout."""

    startup_timeout = 30.0

    def __init__(self, url: str, fail: bool = False) -> None:
        self.url = url
        self.fail = fail

    async def wait_ready(self) -> None:
        if self.fail:
            await asyncio.sleep(0.5)
            raise StackError("rasa server exited with code 1")
        async with aiohttp.ClientSession() as http:
            while True:
                async with http.get(f"{self.url}/status") as response:
                    if response.status == 200:
                        return
                await asyncio.sleep(0.1)


def _hub(tmp_path: Path, peer_url: str) -> Hub:
    port = free_port()
    env = {
        **os.environ,
        "GEM_HUB_PORT": str(port),
        "GEM_INTERNAL_PORT": str(free_port()),
        "GEM_RASA_URL": peer_url,
        "GEM_RASA_TOKEN": TOKEN,
        "GEM_ACTIONS_URL": peer_url,
        "GEM_INTERNAL_TOKEN": "test-internal-token",
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        "GEM_TRIAGE_SMTP_PORT": str(free_port()),
    }
    return Hub(port, env, tmp_path / "hub.log")


async def _healthz(http: aiohttp.ClientSession, hub: Hub) -> int | None:
    try:
        async with http.get(f"{hub.url}/healthz") as response:
            return response.status
    except aiohttp.ClientError:
        return None


async def test_the_hub_starts_while_rasa_loads_and_both_are_ready_together(
    aiohttp_server, tmp_path: Path
) -> None:
    rasa = LoadingRasa()
    peer = await aiohttp_server(rasa.app)
    peer_url = str(peer.make_url("")).rstrip("/")
    hub = _hub(tmp_path, peer_url)
    starting = asyncio.create_task(start_together(PolledStack(peer_url), hub))
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            # The hub is up and says it cannot work yet, while Rasa is still loading.
            for _ in range(300):
                if await _healthz(http, hub) == 503:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the hub did not start while Rasa was loading")
            assert not starting.done()
            rasa.ready.set()
            await asyncio.wait_for(starting, timeout=30)
            assert await _healthz(http, hub) == 200
    finally:
        starting.cancel()
        await hub.stop()


async def test_a_stack_that_fails_to_start_fails_the_start_without_waiting_for_the_hub(
    aiohttp_server, tmp_path: Path
) -> None:
    rasa = LoadingRasa()  # never ready: the hub alone could wait for a minute
    peer = await aiohttp_server(rasa.app)
    peer_url = str(peer.make_url("")).rstrip("/")
    hub = _hub(tmp_path, peer_url)
    try:
        with pytest.raises(StackError, match="exited"):
            await asyncio.wait_for(start_together(PolledStack(peer_url, fail=True), hub), timeout=15)
    finally:
        await hub.stop()
    assert hub.process is not None and hub.process.returncode is not None
