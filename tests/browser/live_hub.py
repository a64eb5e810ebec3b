"""The real hub and the real assistant (Rasa + action server), run beside a browser test.

Usage::

    with LiveHub(tmp_dir) as hub:
        page.goto(f"{hub.url}/demo")

Playwright's sync API owns the test thread, so the hub and `tools.stack.RasaStack` run
on their own asyncio loop in a background thread, and stop when the block ends.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
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

__all__ = ["Hub", "LiveHub", "RunningHub"]

# Rasa loads its model in a minute or so on a laptop; a cold CI machine can take longer.
STARTUP_TIMEOUT_SECONDS = 300.0


class Hub(Protocol):
    """A hub the browser can reach."""

    url: str


@dataclass
class RunningHub:
    """A hub someone already started (see GEM_BROWSER_TEST_HUB in conftest.py)."""

    url: str


class LiveHub:
    """The hub on a free loopback port, with Rasa and the action server behind it."""

    # A support agent who can sign in to the console (the handoff tests).
    AGENT = ("agent@example.com", "Agent Test", "agent-password-1")

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.url = ""
        # Where mail reaches the hub's triage listener, and what the hub sent (a real SMTP server).
        self.triage_port = 0
        self.outbound: SmtpRecorder | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT_SECONDS + 30):
            raise RuntimeError(f"the hub and Rasa did not start; logs in {self.work_dir}")
        if self._error is not None:
            raise RuntimeError(
                f"the hub or Rasa did not start ({self._error}); logs in {self.work_dir}"
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
        port = free_port()
        internal_port = free_port()
        # Shared by the hub and the action server (the internal API: resets, handoffs).
        internal_token = secrets.token_urlsafe(24)
        stack = RasaStack(
            PROJECT_ROOT,
            log_dir=self.work_dir,
            tracker_db=self.work_dir / "tracker.db",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
            env={"GEM_HUB_URL": f"http://127.0.0.1:{internal_port}", "GEM_INTERNAL_TOKEN": internal_token},
        )
        async with stack, SmtpRecorder() as outbound:
            self.outbound = outbound
            self.triage_port = free_port()
            settings = Settings(
                host="127.0.0.1",
                port=port,
                internal_port=internal_port,
                database_url=f"sqlite+aiosqlite:///{self.work_dir / 'hub.db'}",
                rasa_url=stack.rasa_url,
                rasa_token=stack.token,
                action_server_url=stack.actions_url,
                internal_token=internal_token,
                smtp_port=outbound.port,
                outbox_poll_seconds=0.2,
                triage_smtp_port=self.triage_port,
                triage_poll_seconds=0.2,
            )
            runner = web.AppRunner(init_app(settings))
            await runner.setup()
            try:
                await runner.app[AGENTS].create(*self.AGENT)
                await web.TCPSite(runner, settings.host, settings.port).start()
                self.url = settings.public_base_url
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()
