"""The scaled-out topology on one machine: PostgreSQL, Redis, N Rasa servers, N action
servers and N hubs behind haproxy, every one a child process on loopback.

Usage::

    async with ScaledStack(work_dir=Path("var/log/scaled")) as stack:
        print(stack.public_url)                 # haproxy: the hubs, round robin
        stack.hubs[0].url, stack.hubs[1].url    # each hub's own port (tests)
        stack.kill_hub(0)                       # SIGKILL (fault drills)

``python -m tools.serve_scaled`` (``make run-scaled``) and the topology tests
(``tests/scaled/``) both start it through this class.

::

  browser ──> haproxy :public ──> hub-a, hub-b   (python -m bot; WebSocket, socket.io)
                                    │   │  GEM_DATABASE_URL: PostgreSQL "hub"
                                    │   │  GEM_REDIS_URL: Redis db 0
  hubs ─────> haproxy :rasa ────> rasa-a, rasa-b (tracker store: PostgreSQL "rasa",
                                                  lock store: Redis db 1)
  Rasa ─────> haproxy :actions ─> actions-a, actions-b
  actions ──> haproxy :internal > hub-a, hub-b internal listeners (loopback)

The action servers reach the hubs' internal API through haproxy too, not one hub each:
an action server tied to one hub would fail every reset and handoff while that hub is
down, though the other could do the work (the internal API keeps nothing in the process:
its idempotency keys and limits are in the database).

Secrets (the Rasa API token, the action token, the internal token, the feedback link
secret, the database and Redis passwords) are generated per run and handed to children
in their environment, never on a command line. The hubs share all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tools.haproxy import Haproxy, Pool
from tools.local_services import PostgresServer, RedisServer
from tools.serve import Hub
from tools.stack import LOOPBACK, PROJECT_ROOT, RasaStack, SharedStores, StackError, free_port

__all__ = ["ScaledStack"]

NAMES = "abcdefgh"
HUB_DATABASE = "hub"
RASA_DATABASE = "rasa"
# Redis databases: the hubs' (turn locks, live events) and Rasa's lock store.
HUB_REDIS_DB = 0
RASA_REDIS_DB = 1
# Rasa's conversation lock (Redis) expires after this many seconds. A Rasa server killed
# mid-turn leaves its ticket behind: the conversation's next turns wait until it expires.
# The hub gives up on a turn after GEM_RASA_TIMEOUT_SECONDS (20 s by default): a lock
# held longer than that protects nothing the hub still waits for.
RASA_LOCK_LIFETIME_SECONDS = 20
# A hub stays in the pool while it answers and its database works, even when Rasa does
# not: Rasa is shared, taking the hub out would not help, and the hub then tells people
# the assistant is away (in their language, message kept) where haproxy could only send
# its own 503 page. /healthz (answering haproxy on loopback) details each check.
HUB_CHECK = """rstring '"database": \\{"ok": true'"""


@dataclass
class ScaledStack:
    """Everything in the docstring above; :meth:`start` returns once haproxy sees every
    server healthy, :meth:`stop` stops them all and removes their data."""

    project_root: Path = PROJECT_ROOT
    model: Path | None = None
    rasa_servers: int = 2
    hub_count: int = 2
    public_port: int = 0
    # Logs (and haproxy's configuration); a temporary folder removed at stop by default.
    work_dir: Path | None = None
    # Extra GEM_* settings for every hub (the bench raises the flood limits).
    hub_environment: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 300.0

    postgres: PostgresServer = field(default_factory=PostgresServer, init=False)
    redis: RedisServer = field(default_factory=RedisServer, init=False)
    rasa: list[RasaStack] = field(default_factory=list, init=False)
    hubs: list[Hub] = field(default_factory=list, init=False)
    haproxy: Haproxy | None = field(default=None, init=False)
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), init=False, repr=False)
    internal_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), init=False, repr=False)
    link_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), init=False, repr=False)
    _own_work_dir: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.rasa_servers <= len(NAMES) or not 1 <= self.hub_count <= len(NAMES):
            raise ValueError(f"1 to {len(NAMES)} Rasa servers and hubs")

    # --- where things are ------------------------------------------------------------

    @property
    def public_url(self) -> str:
        return f"http://{LOOPBACK}:{self.public_port}"

    def _pool(self, name: str) -> Pool:
        assert self.haproxy is not None, "start() first"
        return self.haproxy.pool(name)

    @property
    def rasa_url(self) -> str:
        """Rasa through haproxy (what the hubs call)."""
        return self._pool("rasa").url

    @property
    def actions_url(self) -> str:
        return self._pool("actions").url

    @property
    def internal_url(self) -> str:
        """The hubs' internal API through haproxy (what the action servers call)."""
        return self._pool("internal").url

    @property
    def hub_database_url(self) -> str:
        return self.postgres.url(HUB_DATABASE)

    @property
    def log_dir(self) -> Path:
        assert self.work_dir is not None, "start() first"
        return self.work_dir

    # --- start and stop --------------------------------------------------------------

    async def __aenter__(self) -> ScaledStack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        started = time.monotonic()
        if self.work_dir is None:
            self.work_dir = Path(tempfile.mkdtemp(prefix="gem-scaled-"))
            self._own_work_dir = True
        self.work_dir.mkdir(parents=True, exist_ok=True)
        await self._start_service(self.postgres)
        await self._start_service(self.redis)
        await asyncio.to_thread(self.postgres.create_database, HUB_DATABASE)
        await asyncio.to_thread(self.postgres.create_database, RASA_DATABASE)

        self.public_port = self.public_port or free_port()
        hub_ports = [(free_port(), free_port()) for _ in range(self.hub_count)]
        rasa_ports = [(free_port(), free_port()) for _ in range(self.rasa_servers)]
        hub_names = [f"hub-{NAMES[i]}" for i in range(self.hub_count)]
        rasa_names = [NAMES[i] for i in range(self.rasa_servers)]
        self.haproxy = Haproxy(
            self.work_dir,
            [
                Pool("hubs", self.public_port, tuple(zip(hub_names, (p for p, _ in hub_ports), strict=True)),
                     check="/healthz", expect=HUB_CHECK, public=True),
                Pool("rasa", free_port(), tuple((f"rasa-{n}", p) for n, (p, _) in zip(rasa_names, rasa_ports, strict=True)),
                     check="/"),
                Pool("actions", free_port(),
                     tuple((f"actions-{n}", p) for n, (_, p) in zip(rasa_names, rasa_ports, strict=True)),
                     check="/health"),
                # Healthy when the hub's public /healthz is: the internal listener has no
                # open endpoint of its own.
                Pool("internal", free_port(), tuple(zip(hub_names, (i for _, i in hub_ports), strict=True)),
                     track="hubs"),
            ],
        )  # fmt: skip
        await self.haproxy.start()

        stores = SharedStores(
            postgres_port=self.postgres.port,
            postgres_db=RASA_DATABASE,
            postgres_user=self.postgres.user,
            postgres_password=self.postgres.password,
            redis_port=self.redis.port,
            redis_password=self.redis.password,
            redis_db=RASA_REDIS_DB,
        )
        action_token = secrets.token_urlsafe(24)
        for name, (rasa_port, actions_port) in zip(rasa_names, rasa_ports, strict=True):
            log_dir = self.work_dir / f"rasa-{name}"
            self.rasa.append(
                RasaStack(
                    self.project_root,
                    model=self.model,
                    rasa_port=rasa_port,
                    actions_port=actions_port,
                    token=self.rasa_token,
                    action_token=action_token,
                    log_dir=log_dir,
                    shared_stores=stores,
                    action_endpoint=self.actions_url,
                    startup_timeout=self.startup_timeout,
                    env={
                        "GEM_HUB_URL": self.internal_url,
                        "GEM_INTERNAL_TOKEN": self.internal_token,
                        "TICKET_LOCK_LIFETIME": str(RASA_LOCK_LIFETIME_SECONDS),
                    },
                )
            )
        for index, stack in enumerate(self.rasa):
            await stack.launch()
            if index == 0 and len(self.rasa) > 1:
                # Rasa creates its tables at start; two servers doing it at once on an
                # empty database race (PostgreSQL: duplicate pg_type). The second starts
                # once the first has made them, and both load their model side by side.
                await self._wait_for_tracker_tables(stack)

        for index, (port, internal_port) in enumerate(hub_ports):
            hub = Hub(port, self._hub_env(port, internal_port), self.work_dir / f"{hub_names[index]}.log")
            self.hubs.append(hub)
            # One at a time: the first runs the migrations and creates the demo data.
            await hub.start(timeout=self.startup_timeout)
        for stack in self.rasa:
            await stack.wait_ready()
        remaining = max(10.0, self.startup_timeout - (time.monotonic() - started))
        await self.haproxy.wait_all_up(timeout=remaining)

    def _hub_env(self, port: int, internal_port: int) -> dict[str, str]:
        """One hub's environment: the shared settings, and its own ports."""
        return {
            **os.environ,
            "GEM_ENV": "development",
            **self.hub_environment,
            "GEM_HUB_HOST": LOOPBACK,
            "GEM_HUB_PORT": str(port),
            "GEM_INTERNAL_HOST": LOOPBACK,
            "GEM_INTERNAL_PORT": str(internal_port),
            # Links in mail and the allowed origins: what people reach, haproxy.
            "GEM_PUBLIC_BASE_URL": self.public_url,
            # haproxy adds X-Forwarded-For; the hub then sees each person's address.
            "GEM_TRUSTED_PROXIES": f"{LOOPBACK}/32",
            "GEM_DATABASE_URL": self.hub_database_url,
            "GEM_REDIS_URL": self.redis.url(HUB_REDIS_DB),
            "GEM_RASA_URL": self.rasa_url,
            "GEM_RASA_TOKEN": self.rasa_token,
            "GEM_ACTIONS_URL": self.actions_url,
            "GEM_INTERNAL_TOKEN": self.internal_token,
            "GEM_LINK_SECRET": self.link_secret,
            # Each hub its own listeners; the mail they catch is in the shared database.
            "GEM_MAIL_SINK_PORT": str(free_port()),
            "GEM_TRIAGE_SMTP_PORT": str(free_port()),
        }

    async def _wait_for_tracker_tables(self, stack: RasaStack) -> None:
        import psycopg2

        dsn = self.postgres.url(RASA_DATABASE, driver="psycopg2").replace("postgresql+psycopg2", "postgresql")
        deadline = time.monotonic() + self.startup_timeout

        def tables_made() -> bool:
            connection = psycopg2.connect(dsn)
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT to_regclass('public.events') IS NOT NULL")
                    row = cursor.fetchone()
                    return bool(row and row[0])
            finally:
                connection.close()

        while not await asyncio.to_thread(tables_made):
            if "rasa" not in stack.pids():
                raise StackError(f"the Rasa server exited; see {stack.log_dir}")
            if time.monotonic() > deadline:
                raise StackError(f"Rasa did not create its tables; see {stack.log_dir}")
            await asyncio.sleep(0.5)

    async def _start_service(self, server: PostgresServer | RedisServer) -> None:
        # Their port is chosen free, then bound a moment later: on a busy machine another
        # process sometimes takes it in between. Once more on a new port, then give up.
        try:
            await asyncio.to_thread(server.start)
        except StackError:
            await asyncio.to_thread(server.stop)
            server.port = 0
            await asyncio.to_thread(server.start)

    async def stop(self) -> None:
        """Stop every server (side by side: each may take seconds to finish its work)."""
        await asyncio.gather(*(hub.stop() for hub in self.hubs))
        await asyncio.gather(*(stack.stop() for stack in self.rasa))
        if self.haproxy is not None:
            await self.haproxy.stop()
        await asyncio.to_thread(self.redis.stop)
        await asyncio.to_thread(self.postgres.stop)
        if self._own_work_dir and self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # --- fault drills ----------------------------------------------------------------

    def kill_hub(self, index: int) -> None:
        """SIGKILL one hub (and anything it started): no goodbye to its clients."""
        process = self.hubs[index].process
        assert process is not None and process.returncode is None, "that hub is not running"
        os.killpg(process.pid, signal.SIGKILL)

    async def restart_hub(self, index: int) -> None:
        """Start a hub again on its ports, once it is healthy and haproxy has seen it."""
        hub = self.hubs[index]
        if hub.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.process.pid, signal.SIGKILL)
            await hub.process.wait()
        await hub.start(timeout=self.startup_timeout)
        assert self.haproxy is not None
        await self.haproxy.wait_all_up(timeout=30, pools=("hubs", "internal"))

    def kill_rasa(self, index: int) -> None:
        """SIGKILL one Rasa server (its action server stays up)."""
        os.killpg(self.rasa[index].pids()["rasa"], signal.SIGKILL)
