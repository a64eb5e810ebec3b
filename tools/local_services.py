"""Private PostgreSQL and Redis servers for tests and for the scaled-out stack on one machine.

Usage::

    with PostgresServer() as pg, RedisServer() as redis:
        pg.create_database("hub")
        engine = create_async_engine(pg.url("hub"))          # postgresql+asyncpg://…
        rasa_tracker = pg.url("rasa", driver="psycopg2")     # what Rasa's SQL store speaks
        client = redis_from_url(redis.url())

Each server is Debian's own binary (``postgresql``, ``redis-server``; ``tools/bootstrap.sh``
installs them), started on a free loopback port with its data in a temporary folder that
is removed at stop; nothing depends on a system service being up. Both ask for a random
password (PostgreSQL by scram-sha-256, Redis by ``requirepass``), kept in 0600 files and in
the URLs, never on a command line. The data is throw-away, so PostgreSQL skips fsync.

PostgreSQL refuses to run as root: when we are root, the cluster belongs to the
``postgres`` account the Debian package creates, and its commands run as that account.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tools.stack import LOOPBACK, StackError, free_port

__all__ = ["PostgresServer", "RedisServer", "ServiceMissing"]

_START_SECONDS = 30.0


class ServiceMissing(StackError):
    """The Debian package a server needs is not installed."""


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ServiceMissing("PostgreSQL is not installed: run `make setup-browser` (Debian's postgresql)")
    return Path(found[-1]).parent


class _Server:
    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class PostgresServer(_Server):
    """A throw-away PostgreSQL cluster on a free loopback port."""

    user = "gem"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.password = secrets.token_hex(16)
        self.root: Path | None = None
        self._run_as: list[str] = []
        self._started = False

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "postgresql.log"

    def url(self, database: str = "postgres", *, driver: str = "asyncpg") -> str:
        """A SQLAlchemy URL for ``database``: ``asyncpg`` for the hub, ``psycopg2`` for Rasa."""
        return f"postgresql+{driver}://{self.user}:{self.password}@{LOOPBACK}:{self.port}/{database}"

    def _pg(self, tool: str, *args: str) -> None:
        command = [*self._run_as, str(_postgres_bin() / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StackError(f"PostgreSQL's {tool} failed: {(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> None:
        self.port = self.port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="gem-postgres-"))
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        if os.geteuid() == 0:
            self._run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._pg(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            self.user,
            "--pwfile",
            str(password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        settings = {
            "listen_addresses": f"'{LOOPBACK}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "200",
            # Throw-away data: no waiting for the disk.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as file:
            file.write("\n# tools/local_services.py\n" + conf)
        self._pg("pg_ctl", "--pgdata", str(self.data_dir), "--log", str(self.log_path), "--wait", "start")
        self._started = True
        self._wait_accepting()

    def _wait_accepting(self) -> None:
        import psycopg2

        deadline = time.monotonic() + _START_SECONDS
        while True:
            try:
                psycopg2.connect(
                    self.url(driver="psycopg2").replace("postgresql+psycopg2", "postgresql")
                ).close()
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"PostgreSQL did not accept connections: {exc} (log: {self.log_path})"
                    ) from exc
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        """Create database ``name`` (an identifier we choose, never user input); its asyncpg URL."""
        import psycopg2

        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a plain database name: {name!r}")
        connection = psycopg2.connect(
            self.url(driver="psycopg2").replace("postgresql+psycopg2", "postgresql")
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)

    def stop(self) -> None:
        if self.root is None:
            return
        if self._started:
            with contextlib.suppress(StackError):
                self._pg("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "immediate", "--wait", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


class RedisServer(_Server):
    """A throw-away Redis on a free loopback port, without persistence."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.password = secrets.token_hex(16)
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@{LOOPBACK}:{self.port}/{db}"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root / "redis.log"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise ServiceMissing("Redis is not installed: run `make setup-browser` (Debian's redis-server)")
        self.port = self.port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="gem-redis-"))
        conf = self.root / "redis.conf"
        conf.write_text(
            f"bind {LOOPBACK}\nport {self.port}\nrequirepass {self.password}\n"
            f'dir "{self.root}"\nsave ""\nappendonly no\ndaemonize no\n'
            f'logfile "{self.log_path}"\n',
            encoding="utf-8",
        )
        conf.chmod(0o600)
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [binary, str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import redis

        deadline = time.monotonic() + _START_SECONDS
        client = redis.Redis.from_url(self.url())
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError as exc:
                    assert self.process is not None
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise StackError(f"Redis did not start: {exc} (log: {self.log_path})") from exc
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
