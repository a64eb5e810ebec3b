"""Start the whole assistant on this machine: Rasa, the action server and the hub.

    python -m tools.serve          (what `make run` does, after setup and training)

Each server waits for the one before it to be healthy; the URLs are printed once all
are up; Ctrl-C (or SIGTERM) stops all of them. Ports and the database come from the
environment: the hub's through its `Settings` (`GEM_HUB_PORT`, `GEM_DATABASE_URL`…, see
bot/settings.py), Rasa's and the action server's ports from `GEM_RASA_PORT` and
`GEM_ACTIONS_PORT`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from bot.banner import StackUrls, banner
from bot.settings import Settings
from tools.stack import LOOPBACK, PROJECT_ROOT, RasaStack, StackError, stop_process

VAR = PROJECT_ROOT / "var"
STACK_ENV = VAR / "stack.env"  # GEM_RASA_URL and GEM_RASA_TOKEN of the running stack (0600)


class Hub:
    """The hub (`python -m bot`) as a child process."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self, timeout: float = 60.0) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=str(PROJECT_ROOT),
            env=self.env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while True:
                if self.process.returncode is not None:
                    raise StackError(
                        f"the hub exited with code {self.process.returncode}; see {self.log_path}"
                    )
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise StackError(f"the hub did not become healthy; see {self.log_path}")
                await asyncio.sleep(0.3)

    async def stop(self) -> None:
        if self.process is not None:
            await stop_process(self.process)


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a port number, not {value!r}") from None


def hub_settings(environ: Mapping[str, str], internal_token: str) -> tuple[Settings, dict[str, str]]:
    """The hub's settings (bot.settings: the one place each one and its default is declared)
    and the environment its process gets. One machine, trying the product: development
    (demo accounts and the mail sink) unless GEM_ENV says otherwise."""
    env = {"GEM_ENV": "development", **environ, "GEM_INTERNAL_TOKEN": internal_token}
    return Settings.from_env(env), env


async def start_together(stack: RasaStack, hub: Hub) -> None:
    """Wait for the launched ``stack`` and start ``hub`` meanwhile; StackError if either fails.

    The hub migrates its database and opens its ports while Rasa loads its model; its
    ``/healthz`` answers 200 once Rasa does, so both are ready at about the same moment.
    """
    rasa_ready = asyncio.ensure_future(stack.wait_ready())
    hub_ready = asyncio.ensure_future(hub.start(timeout=stack.startup_timeout + 30))
    try:
        await asyncio.gather(rasa_ready, hub_ready)
    finally:
        for task in (rasa_ready, hub_ready):
            task.cancel()


async def serve() -> int:
    VAR.mkdir(exist_ok=True)
    logs = VAR / "log"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    internal_token = os.environ.get("GEM_INTERNAL_TOKEN") or secrets.token_urlsafe(32)
    try:
        settings, hub_env = hub_settings(os.environ, internal_token)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    hub_url = f"http://{LOOPBACK}:{settings.port}"
    stack = RasaStack(
        PROJECT_ROOT,
        model=PROJECT_ROOT / "models" / "gem-books.tar.gz",
        # The stack's own ports (not the hub's settings): where tools.stack starts Rasa.
        rasa_port=_port("GEM_RASA_PORT", 5005),
        actions_port=_port("GEM_ACTIONS_PORT", 5055),
        token=os.environ.get("GEM_RASA_TOKEN") or secrets.token_urlsafe(24),
        log_dir=logs,
        tracker_db=VAR / "rasa-tracker.db",
        cors_origins=(hub_url,),
        # The action server calls the hub's internal listener (bot.internal_listener).
        env={
            "GEM_HUB_URL": f"http://{LOOPBACK}:{settings.internal_port}",
            "GEM_INTERNAL_TOKEN": internal_token,
        },
    )
    hub_env["GEM_RASA_TOKEN"] = stack.token
    hub = Hub(settings.port, hub_env, logs / "hub.log")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    print("==> starting the Rasa server, the action server and the hub (Rasa's model takes about 30 s)")
    try:
        await stack.launch()
        hub.env["GEM_RASA_URL"] = stack.rasa_url
        hub.env["GEM_ACTIONS_URL"] = stack.actions_url
        await start_together(stack, hub)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        await hub.stop()
        await stack.stop()
        return 1
    ready = time.monotonic() - started
    # For commands run beside this stack (python -m bot triage): where Rasa is, with its token.
    STACK_ENV.write_text(f"GEM_RASA_URL={stack.rasa_url}\nGEM_RASA_TOKEN={stack.token}\n")
    STACK_ENV.chmod(0o600)
    urls = StackUrls(stack.rasa_url, stack.actions_url, str(logs))
    print(
        f"\nGEM-BOOKS support assistant is up ({ready:.0f} s).\n{banner(settings, stack=urls)}\nPress Ctrl-C to stop.",
        flush=True,
    )
    await stop.wait()
    print("\n==> stopping")
    STACK_ENV.unlink(missing_ok=True)
    await hub.stop()
    await stack.stop()
    return 0


def main() -> int:
    return asyncio.run(serve())


if __name__ == "__main__":
    raise SystemExit(main())
