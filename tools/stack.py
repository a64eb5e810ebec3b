"""Start the Rasa server and the action server as child processes, and wait until both answer.

Used by the launcher (`tools/serve.py`) and by tests that need the real assistant::

    async with RasaStack(PROJECT_ROOT) as stack:
        async with aiohttp.ClientSession() as http:
            await http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={...})

Both servers listen on loopback only; the Rasa HTTP API needs `stack.token`. No secret is
ever on a child's command line (visible to every local user in `ps`): Rasa gets its token
through `tools.rasa_server`, from the environment.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import aiohttp

__all__ = ["PROJECT_ROOT", "RasaStack", "SharedStores", "StackError", "free_port", "latest_model"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


class StackError(RuntimeError):
    """A server of the stack did not start; the message says which and where its log is."""


# Ports handed out by free_port in this process: never the same one twice.
_HANDED_OUT: set[int] = set()
_LOWEST_PORT = 10_000


def _lowest_ephemeral_port() -> int:
    """Where the kernel's ports for outgoing connections start (Linux; its default elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port that is free on loopback right now, and stays so until someone binds it.

    Chosen below the kernel's range for outgoing connections: a port from that range (what
    binding port 0 gives) can be taken by any connection a starting process opens before
    the server meant for it binds, and the server then fails with "address in use".
    """
    below = _lowest_ephemeral_port()
    for _attempt in range(200 if below > _LOWEST_PORT else 0):
        port = random.randrange(_LOWEST_PORT, below)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as sock:  # nothing free below the range: let the kernel choose
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


async def stop_process(process: asyncio.subprocess.Process, grace_seconds: float = 10.0) -> None:
    """TERM, then KILL if the process has not exited after ``grace_seconds``."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=grace_seconds)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()


def latest_model(models_dir: Path) -> Path:
    """The newest trained model archive in `models_dir`."""
    archives = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not archives:
        raise StackError(f"no trained model in {models_dir}: run `make train` first")
    return archives[-1]


@dataclass(frozen=True)
class SharedStores:
    """Rasa's tracker store on PostgreSQL and its lock store on Redis, shared by several
    Rasa servers (``tools.scaled_stack``): any of them can take any turn of a conversation,
    one at a time (Redis holds the conversation's lock while a server runs its turn).

    The passwords go to Rasa's environment (:meth:`environment`); the endpoints file names
    them as ``${VAR}``, which Rasa expands itself, so they are in no file and on no command line.
    """

    postgres_port: int
    postgres_db: str
    postgres_user: str
    postgres_password: str = field(repr=False)
    redis_port: int
    redis_password: str = field(repr=False)
    redis_db: int = 1
    host: str = LOOPBACK

    def endpoints(self) -> list[str]:
        # Rasa passes `url` on as the host of both stores (its own key for it).
        return [
            "tracker_store:",
            "  type: rasa_addons.tracker_store.CachingSQLTrackerStore",
            "  dialect: postgresql",
            f"  url: {self.host}",
            f"  port: {self.postgres_port}",
            f"  db: {self.postgres_db}",
            f"  username: {self.postgres_user}",
            "  password: ${GEM_TRACKER_STORE_PASSWORD}",
            "lock_store:",
            "  type: redis",
            f"  url: {self.host}",
            f"  port: {self.redis_port}",
            f"  db: {self.redis_db}",
            "  password: ${GEM_LOCK_STORE_PASSWORD}",
        ]

    def environment(self) -> dict[str, str]:
        return {
            "GEM_TRACKER_STORE_PASSWORD": self.postgres_password,
            "GEM_LOCK_STORE_PASSWORD": self.redis_password,
        }


@dataclass
class _Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    log_file: IO[bytes]


@dataclass
class RasaStack:
    """The Rasa server (REST channel + HTTP API) and the action server, on free loopback ports."""

    project_root: Path = PROJECT_ROOT
    model: Path | None = None
    rasa_port: int = 0
    actions_port: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Rasa -> action server (tools.action_server refuses calls without it).
    action_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    log_dir: Path | None = None
    tracker_db: Path | None = None
    cors_origins: tuple[str, ...] = ()
    # Several Rasa servers behind a load balancer: the stores they share (instead of
    # tracker_db), and where Rasa calls actions (the balancer, instead of its own server).
    shared_stores: SharedStores | None = None
    action_endpoint: str = ""
    startup_timeout: float = 180.0
    env: dict[str, str] = field(default_factory=dict)
    _children: list[_Child] = field(default_factory=list, init=False)
    _tmp: Path | None = field(default=None, init=False)

    @property
    def rasa_url(self) -> str:
        return f"http://{LOOPBACK}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}"

    async def __aenter__(self) -> RasaStack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _write_endpoints(self, directory: Path) -> Path:
        # A per-run endpoints file: the action server's port is only known now, and the
        # tracker store must not be shared by accident between a test run and a live one.
        # The secret stays in Rasa's environment: Rasa expands ${GEM_ACTION_TOKEN} itself
        # (in unquoted YAML values only).
        lines = [
            "action_endpoint:",
            f'  url: "{self.action_endpoint or self.actions_url}/webhook"',
            "  headers:",
            "    Authorization: Bearer ${GEM_ACTION_TOKEN}",
        ]
        if self.shared_stores is not None:
            lines += self.shared_stores.endpoints()
        elif self.tracker_db is not None:
            self.tracker_db.parent.mkdir(parents=True, exist_ok=True)
            # Rasa's SQL store, with the trackers it saved kept in memory for the next
            # turn (rasa_addons/tracker_store.py): a turn no longer rebuilds the whole
            # conversation from the database.
            lines += [
                "tracker_store:",
                "  type: rasa_addons.tracker_store.CachingSQLTrackerStore",
                "  dialect: sqlite",
                f'  db: "{self.tracker_db}"',
            ]
        path = directory / "endpoints.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    async def _spawn(self, name: str, args: list[str], extra_env: dict[str, str]) -> None:
        assert self.log_dir is not None
        log_path = self.log_dir / f"{name}.log"
        log_file = open(log_path, "ab")  # noqa: SIM115 - stays open for the child's whole life
        env = {**os.environ, **self.env, **extra_env}
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=str(self.project_root),
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self._children.append(_Child(name, process, log_path, log_file))

    async def start(self) -> None:
        """Start both servers and return once both answer their health checks."""
        await self.launch()
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise

    async def launch(self) -> None:
        """Start both servers without waiting for them (then :meth:`wait_ready`)."""
        model = self.model or latest_model(self.project_root / "models")
        self.rasa_port = self.rasa_port or free_port()
        self.actions_port = self.actions_port or free_port()
        self._tmp = Path(tempfile.mkdtemp(prefix="gem-stack-"))
        if self.log_dir is None:
            self.log_dir = self._tmp
        self.log_dir.mkdir(parents=True, exist_ok=True)
        endpoints = self._write_endpoints(self._tmp)
        quiet = self._quiet_env()
        await self._spawn_actions()
        rasa_args = [
            sys.executable,
            "-m",
            "tools.rasa_server",
            "run",
            "--model",
            str(model),
            "--interface",
            LOOPBACK,
            "--port",
            str(self.rasa_port),
            "--enable-api",
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(self.project_root / "credentials.yml"),
        ]
        if self.cors_origins:
            rasa_args += ["--cors", *self.cors_origins]
        stores = self.shared_stores.environment() if self.shared_stores else {}
        await self._spawn("rasa", rasa_args, {**quiet, **stores, "GEM_RASA_TOKEN": self.token})

    async def wait_ready(self) -> None:
        """Return once both servers answer (after :meth:`launch`); StackError if one died."""
        await self._wait_ready()

    def pids(self) -> dict[str, int]:
        """The process id of each running server: {"rasa": ..., "actions": ...}."""
        return {c.name: c.process.pid for c in self._children if c.process.returncode is None}

    def _quiet_env(self) -> dict[str, str]:
        return {
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore",
            "GEM_ACTION_TOKEN": self.action_token,
        }

    async def _spawn_actions(self) -> None:
        await self._spawn(
            "actions",
            [sys.executable, "-m", "tools.action_server", "--interface", LOOPBACK,
             "--port", str(self.actions_port)],
            self._quiet_env(),
        )  # fmt: skip

    async def stop_actions(self) -> None:
        """Stop the action server only (a fault drill: Rasa stays up)."""
        for child in [c for c in self._children if c.name == "actions"]:
            if child.process.returncode is None:
                child.process.terminate()
                await child.process.wait()
            child.log_file.close()
            self._children.remove(child)

    async def start_actions(self) -> None:
        """Start the action server again on its port, once it answers its health check."""
        await self._spawn_actions()
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        checks = {
            "actions": f"{self.actions_url}/health",
            "rasa": f"{self.rasa_url}/status?token={self.token}",
        }
        pending = dict(checks)
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while pending:
                for child in self._children:
                    if child.process.returncode is not None:
                        raise StackError(
                            f"{child.name} server exited with code {child.process.returncode};"
                            f" see {child.log_path}"
                        )
                if time.monotonic() > deadline:
                    raise StackError(f"timed out waiting for {', '.join(pending)}")
                for name, url in list(pending.items()):
                    try:
                        async with http.get(url) as response:
                            if response.status == 200:
                                body = await response.json(content_type=None)
                                # /status answers before the model is loaded.
                                if name != "rasa" or body.get("model_file"):
                                    del pending[name]
                    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                        pass
                if pending:
                    await asyncio.sleep(0.3)

    async def stop(self) -> None:
        """Stop both servers (TERM, then KILL after a grace period) and remove temporary files."""
        await asyncio.gather(*(stop_process(child.process) for child in self._children))
        for child in self._children:
            child.log_file.close()
        self._children.clear()
        if self._tmp is not None and self.log_dir != self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
