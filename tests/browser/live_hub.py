"""The real hub and the real assistant (Rasa + action server), run beside a browser test.

Usage::

    with LiveHub(tmp_dir) as hub:
        page.goto(f"{hub.url}/demo")

Playwright's sync API owns the test thread, so the hub and `tools.stack.RasaStack` run
on their own asyncio loop in a background thread, and stop when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

from aiohttp import web
from typing_extensions import Self

from bot.app import init_app
from bot.appkeys import AGENTS
from bot.settings import Settings
from tests.bot.smtp_server import SmtpRecorder
from tools.stack import PROJECT_ROOT, RasaStack, free_port

__all__ = ["Hub", "HubThread", "LiveHub", "RunningHub"]

# Rasa loads its model in a minute or so on a laptop; a cold CI machine can take longer.
STARTUP_TIMEOUT_SECONDS = 300.0


class Hub(Protocol):
    """A hub the browser can reach."""

    url: str


@dataclass
class RunningHub:
    """A hub someone already started (see GEM_BROWSER_TEST_HUB in conftest.py)."""

    url: str


class HubThread:
    """A hub on a free loopback port, served from its own asyncio loop in a background
    thread (Playwright's sync API owns the test thread); stopped when the block ends.

    Subclasses say which settings it runs with (:meth:`settings`), what runs beside it
    (:meth:`beside`: Rasa, an SMTP server) and what it holds before the first request
    (:meth:`prepare`: agents, generated traffic).
    """

    name = "the hub"
    startup_timeout = 120.0

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.url = ""
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(self.startup_timeout + 30) or self._error is not None:
            raise RuntimeError(
                f"{self.name} did not start ({self._error}); logs in {self.work_dir}"
            ) from self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)

    def beside(self) -> contextlib.AbstractAsyncContextManager[object]:
        """What runs beside the hub for as long as it does (nothing by default)."""
        return contextlib.AsyncExitStack()

    def settings(self) -> Settings:
        raise NotImplementedError

    async def prepare(self, app: web.Application) -> None:
        """Called once the app is set up, before it takes requests."""

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread by __enter__
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.beside():
            settings = self.settings()
            runner = web.AppRunner(init_app(settings))
            await runner.setup()
            try:
                await self.prepare(runner.app)
                await web.TCPSite(runner, settings.host, settings.port).start()
                self.url, self.port = settings.public_base_url, settings.port
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()


class LiveHub(HubThread):
    """The hub on a free loopback port, with Rasa and the action server behind it."""

    name = "the hub and Rasa"
    startup_timeout = STARTUP_TIMEOUT_SECONDS
    # A support agent who can sign in to the console (the handoff tests).
    AGENT = ("agent@example.com", "Agent Test", "agent-password-1")

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir)
        # Where mail reaches the hub's triage listener, and what the hub sent (a real SMTP server).
        self.triage_port = 0
        self.outbound: SmtpRecorder | None = None
        self._stack: RasaStack | None = None
        self._port = self._internal_port = 0
        self._internal_token = ""

    @contextlib.asynccontextmanager
    async def beside(self) -> AsyncIterator[None]:
        self._port, self._internal_port = free_port(), free_port()
        # Shared by the hub and the action server (the internal API: resets, handoffs).
        self._internal_token = secrets.token_urlsafe(24)
        self._stack = RasaStack(
            PROJECT_ROOT,
            log_dir=self.work_dir,
            tracker_db=self.work_dir / "tracker.db",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            env={
                "GEM_HUB_URL": f"http://127.0.0.1:{self._internal_port}",
                "GEM_INTERNAL_TOKEN": self._internal_token,
            },
        )
        async with self._stack, SmtpRecorder() as outbound:
            self.outbound = outbound
            self.triage_port = free_port()
            yield

    def settings(self) -> Settings:
        assert self._stack is not None and self.outbound is not None
        return Settings(
            host="127.0.0.1",
            port=self._port,
            internal_port=self._internal_port,
            database_url=f"sqlite+aiosqlite:///{self.work_dir / 'hub.db'}",
            rasa_url=self._stack.rasa_url,
            rasa_token=self._stack.token,
            action_server_url=self._stack.actions_url,
            internal_token=self._internal_token,
            smtp_port=self.outbound.port,
            outbox_poll_seconds=0.2,
            triage_smtp_port=self.triage_port,
            triage_poll_seconds=0.2,
        )

    async def prepare(self, app: web.Application) -> None:
        await app[AGENTS].create(*self.AGENT)
