"""The scaled-out topology (``tools.scaled_stack``, what ``make run-scaled`` starts), once
for this package: PostgreSQL, Redis, two Rasa servers, two action servers and two hubs
behind haproxy, all real processes on loopback.

Starting it costs a minute or two on two cores (two Rasa servers load their model), so
the modules share it and run in name order; the ones that kill a server put it back
(a hub) or come last (``test_rasa_failover.py`` leaves one Rasa server down).

The stack lives on its own asyncio loop in a background thread: tests drive the hubs from
their own loop (``asyncio.run``) or from Playwright, and ask the stack for a restart with
:meth:`Topology.call`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tools.haproxy import Haproxy
from tools.scaled_stack import ScaledStack
from tools.stack import PROJECT_ROOT, StackError

T = TypeVar("T")
MODEL = PROJECT_ROOT / "models" / "gem-books.tar.gz"
# Two Rasa servers loading side by side on a busy two-core machine.
STARTUP_TIMEOUT_SECONDS = 420.0


@dataclass
class Topology:
    """The running stack, and a way to run its own coroutines on its loop."""

    stack: ScaledStack
    loop: asyncio.AbstractEventLoop

    @property
    def haproxy(self) -> Haproxy:
        assert self.stack.haproxy is not None
        return self.stack.haproxy

    @property
    def hub_urls(self) -> list[str]:
        """Each hub's own port, bypassing haproxy."""
        return [hub.url for hub in self.stack.hubs]

    @property
    def origin(self) -> str:
        """The Origin a browser on the public page sends (the hubs allow it)."""
        return self.stack.public_url

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = STARTUP_TIMEOUT_SECONDS) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


@pytest.fixture(scope="package")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    if not MODEL.exists():
        pytest.skip("no trained model in models/ (run `make train`)")
    work_dir: Path = tmp_path_factory.mktemp("scaled")
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        state["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        try:
            stack = ScaledStack(
                PROJECT_ROOT, model=MODEL, work_dir=work_dir, startup_timeout=STARTUP_TIMEOUT_SECONDS
            )
            async with stack:
                state["topology"] = Topology(stack, loop)
                ready.set()
                await stop.wait()
        except (StackError, OSError) as exc:  # reported to the test thread below
            state["error"] = exc
        finally:
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="scaled-topology", daemon=True)
    thread.start()
    ready.wait(timeout=STARTUP_TIMEOUT_SECONDS + 60)
    if "topology" not in state:
        pytest.fail(f"the scaled topology did not start: {state.get('error')!r}; logs in {work_dir}")
    try:
        yield state["topology"]
    finally:
        state["stop"]()
        thread.join(timeout=120)
