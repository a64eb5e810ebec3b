"""Start the whole assistant on this machine: Rasa, the action server and the hub.

    python -m tools.serve          (what `make run` does, after setup and training)

Each server waits for the one before it to be healthy; the URLs are printed once all
are up; Ctrl-C (or SIGTERM) stops all of them. Ports and the database come from the
environment (`GEM_HUB_PORT`, `GEM_RASA_PORT`, `GEM_ACTIONS_PORT`, `GEM_DATABASE_URL`…).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from pathlib import Path

import aiohttp

from bot.accounts.demo import describe_demo_accounts
from bot.console.demo import describe_demo_agent
from tools.stack import LOOPBACK, PROJECT_ROOT, RasaStack, StackError

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
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=10)
            except asyncio.TimeoutError:
                self.process.kill()
                await self.process.wait()


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a port number, not {value!r}") from None


async def serve() -> int:
    VAR.mkdir(exist_ok=True)
    logs = VAR / "log"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    hub_port = _port("GEM_HUB_PORT", 8000)
    internal_token = os.environ.get("GEM_INTERNAL_TOKEN") or secrets.token_urlsafe(32)
    hub_url = f"http://{LOOPBACK}:{hub_port}"
    internal_port = _port("GEM_INTERNAL_PORT", 8001)
    stack = RasaStack(
        PROJECT_ROOT,
        model=PROJECT_ROOT / "models" / "gem-books.tar.gz",
        rasa_port=_port("GEM_RASA_PORT", 5005),
        actions_port=_port("GEM_ACTIONS_PORT", 5055),
        token=os.environ.get("GEM_RASA_TOKEN") or secrets.token_urlsafe(24),
        log_dir=logs,
        tracker_db=VAR / "rasa-tracker.db",
        cors_origins=(hub_url,),
        # The action server calls the hub's internal listener (bot.internal_listener).
        env={"GEM_HUB_URL": f"http://{LOOPBACK}:{internal_port}", "GEM_INTERNAL_TOKEN": internal_token},
    )
    hub_env = {
        # One machine, trying the product: demo accounts and the mail sink (GEM_ENV=production
        # in the environment turns them off).
        "GEM_ENV": "development",
        **os.environ,
        "GEM_HUB_PORT": str(hub_port),
        "GEM_INTERNAL_PORT": str(internal_port),
        "GEM_RASA_TOKEN": stack.token,
        "GEM_INTERNAL_TOKEN": internal_token,
    }
    development = hub_env["GEM_ENV"] == "development"
    hub = Hub(hub_port, hub_env, logs / "hub.log")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    print("==> starting the Rasa server and the action server (loading the model takes a few seconds)")
    try:
        await stack.start()
        hub.env["GEM_RASA_URL"] = stack.rasa_url
        hub.env["GEM_ACTIONS_URL"] = stack.actions_url
        print("==> starting the hub")
        await hub.start()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        await hub.stop()
        await stack.stop()
        return 1
    ready = time.monotonic() - started
    # For commands run beside this stack (python -m bot triage): where Rasa is, with its token.
    STACK_ENV.write_text(f"GEM_RASA_URL={stack.rasa_url}\nGEM_RASA_TOKEN={stack.token}\n")
    STACK_ENV.chmod(0o600)
    triage_port = hub_env.get("GEM_TRIAGE_SMTP_PORT", "2525")
    triage = ""
    if hub_env.get("GEM_TRIAGE_MODE", "live") != "off" and triage_port != "0":
        triage = (
            f"  Email triage:      SMTP {LOOPBACK}:{triage_port} (answers land in Caught mail, tickets in the console)\n"
            f"    try: .venv/bin/python -m tools.sendmail tests/data/mail/login_qc_brancher.eml\n"
            f"         .venv/bin/python -m bot triage tests/data/mail   (what it would do, nothing sent)\n"
        )
    accounts = ""
    if development:
        demo = "\n".join(f"    {line}" for line in describe_demo_accounts())
        accounts = (
            f"  Caught mail:       {hub.url}/dev/mail   (development mail sink: every email lands here)\n"
            f"  Demo accounts (user code, email, language), for \"j'ai oublié mon mot de passe\":\n{demo}\n"
            f"  Agent console:     {hub.url}/console   demo agent: {describe_demo_agent()}\n"
        )
    print(
        f"\nGEM-BOOKS support assistant is up ({ready:.0f} s).\n"
        f"  Chat widget demo:  {hub.url}/demo\n"
        f"  Login page:        {hub.url}/login\n"
        f"{accounts}"
        f"{triage}"
        f"  Hub health:        {hub.url}/healthz\n"
        f"  Rasa REST channel: {stack.rasa_url}/webhooks/rest/webhook\n"
        f"    try: curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\\n"
        f'              -d \'{{"sender": "essai", "message": "je n\'"\'"\'arrive plus à me brancher"}}\'\n'
        f"  Action server:     {stack.actions_url}/health\n"
        f"  Logs:              {logs}/\n"
        f"Press Ctrl-C to stop.",
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
