"""The real Rasa and action servers for hub tests: started once per test session.

Playwright-free hub tests each run on their own event loop, so the stack runs on a loop of
its own in a background thread. Its action server calls back a hub listening on
``CALLBACK_HUB_PORT`` with ``INTERNAL_TOKEN``: tests whose assistant must reach the hub
(password reset, handoff) serve their hub there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from tools.stack import RasaStack, StackError, free_port

__all__ = ["CALLBACK_HUB_PORT", "INTERNAL_TOKEN", "background_stack"]

CALLBACK_HUB_PORT = free_port()
INTERNAL_TOKEN = "internal-test-token-0123456789"


@contextmanager
def background_stack(log_dir: Path) -> Iterator[RasaStack]:
    """Run RasaStack in its own thread and loop for the duration of the block."""
    if not list((PROJECT_ROOT / "models").glob("*.tar.gz")):
        pytest.skip("no trained model in models/ (run `make train`)")
    ready = threading.Event()
    state: dict[str, Any] = {}
    env = {"GEM_HUB_URL": f"http://127.0.0.1:{CALLBACK_HUB_PORT}", "GEM_INTERNAL_TOKEN": INTERNAL_TOKEN}

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        state["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        try:
            async with RasaStack(PROJECT_ROOT, log_dir=log_dir, env=env) as stack:
                state["stack"] = stack
                ready.set()
                await stop.wait()
        except (StackError, OSError) as exc:  # reported to the test thread below
            state["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(timeout=400)
    if "stack" not in state:
        pytest.fail(f"Rasa stack did not start: {state.get('error')!r}; logs in {log_dir}")
    try:
        yield state["stack"]
    finally:
        state["stop"]()
        thread.join(timeout=60)
