"""Debian's haproxy in front of several hubs, Rasa servers and action servers, on loopback.

Usage::

    balancer = Haproxy(work_dir, [
        Pool("hubs", port, (("hub-a", 8100), ("hub-b", 8200)), check="/healthz", public=True),
        Pool("internal", port, (("hub-a", 8101), ("hub-b", 8201)), track="hubs"),
        Pool("rasa", port, (("rasa-a", 5105), ("rasa-b", 5205)), check="/"),
    ])
    await balancer.start()                      # the foreground haproxy, a child process
    await balancer.wait_all_up(timeout=60)      # every server passed its health check
    balancer.served()                           # {"rasa": {"rasa-a": 12, "rasa-b": 11}, ...}
    await balancer.stop()

One frontend and one backend per pool, round robin, no sticky sessions (the widget's
WebSocket needs none: any hub serves any turn). Two things need a word:

- A connection that fails to open (a server just died, before its health check noticed)
  is sent to another server (``retry-on conn-failure`` and ``option redispatch``): nothing
  reached the dead one, so trying elsewhere is safe. A request that did reach a server
  which then died is *not* replayed: a chat turn is not idempotent (Rasa may have stored
  part of it), so the hub tells the person instead.
- socket.io (``/socket.io/`` on a public pool) is the one exception to "no stickiness":
  Engine.IO's long-polling transport keeps its session in the process that opened it, so
  its requests carry a cookie naming that hub. The conversation itself is in the shared
  database: if that hub dies, the client reconnects to the other and goes on.

Health checks run every two seconds and wait up to 10 s for an answer: a dead server
(connection refused) is out after three quick checks, a busy one stays in. The statistics socket
(``show stat``) says how many requests each server answered, which the topology tests
read to check that both Rasa servers served turns.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tools.stack import LOOPBACK, StackError, stop_process

__all__ = ["Haproxy", "Pool"]

# option httplog: 'client [date] frontend backend/server timers status ... "METHOD PATH HTTP/1.1"'.
_REQUEST_LOG = re.compile(
    r'^\S+ \[[^\]]+\] (?P<frontend>\S+) (?P<backend>[^/\s]+)/(?P<server>\S+) .*?"(?P<method>[A-Z]+) (?P<path>\S+)',
    re.MULTILINE,
)

# Long enough for a chat left open all day; haproxy closes idle tunnels after it.
TUNNEL_TIMEOUT = "1h"
# A chat turn waits for Rasa (the hub gives up after GEM_RASA_TIMEOUT_SECONDS, 20 s).
SERVER_TIMEOUT = "60s"


@dataclass(frozen=True)
class Pool:
    """One frontend on loopback ``port`` balancing ``servers`` (name, port) round robin.

    ``check`` is the HTTP path of the health check and ``expect`` what makes it pass
    (haproxy's ``http-check expect`` syntax). ``track`` names another pool with the
    same server names whose checks this one follows instead of checking on its own (the
    hubs' internal listeners are healthy when their public /healthz is: one check per hub,
    not one per pool). ``public`` adds the browser-facing parts: X-Forwarded-For and the
    socket.io backend with its cookie.
    """

    name: str
    port: int
    servers: tuple[tuple[str, int], ...]
    check: str = "/"
    expect: str = "status 200"
    track: str = ""
    public: bool = False

    def __post_init__(self) -> None:
        if not self.servers:
            raise ValueError(f"pool {self.name!r} has no server")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _server_lines(self, *, track: str, cookie: bool) -> list[str]:
        lines = []
        for name, port in self.servers:
            line = f"    server {name} {LOOPBACK}:{port}"
            line += f" track {track}/{name}" if track else " check"
            if cookie:
                line += f" cookie {name}"
            lines.append(line)
        return lines

    def config(self) -> list[str]:
        # One log line per request, naming the server that answered (Haproxy.requests).
        lines = ["", f"frontend {self.name}", f"    bind {LOOPBACK}:{self.port}", "    option httplog"]
        if self.public:
            lines += [
                "    option forwardfor",
                # A WebSocket is logged when it opens, not when it closes hours later.
                "    option logasap",
                f"    use_backend {self.name}_socketio if {{ path_beg /socket.io/ }}",
            ]
        lines += [f"    default_backend {self.name}", "", f"backend {self.name}", "    balance roundrobin"]
        if not self.track:
            lines += [f"    option httpchk GET {self.check}", f"    http-check expect {self.expect}"]
        lines += self._server_lines(track=self.track, cookie=False)
        if self.public:
            lines += ["", f"backend {self.name}_socketio", "    balance roundrobin"]
            lines += ["    cookie GEM_HUB insert indirect nocache httponly attr SameSite=Lax"]
            lines += self._server_lines(track=self.track or self.name, cookie=True)
        return lines


@dataclass
class Haproxy:
    """haproxy in the foreground (``-db``) with a generated configuration in ``work_dir``."""

    work_dir: Path
    pools: Sequence[Pool]
    binary: str = field(default_factory=lambda: shutil.which("haproxy") or "/usr/sbin/haproxy")
    process: asyncio.subprocess.Process | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    @property
    def config_path(self) -> Path:
        return self.work_dir / "haproxy.cfg"

    @property
    def stats_socket(self) -> Path:
        return self.work_dir / "haproxy.sock"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "haproxy.log"

    def pool(self, name: str) -> Pool:
        return next(pool for pool in self.pools if pool.name == name)

    def config(self) -> str:
        lines = [
            "# Generated by tools/haproxy.py for one run; removed when it stops.",
            "global",
            "    log stdout format raw local0 info",
            f"    stats socket {self.stats_socket} mode 600 level admin",
            "    maxconn 4096",
            "",
            "defaults",
            "    mode http",
            "    log global",
            "    option dontlognull",
            "    timeout connect 2s",
            "    timeout client 60s",
            f"    timeout server {SERVER_TIMEOUT}",
            f"    timeout tunnel {TUNNEL_TIMEOUT}",
            "    timeout client-fin 10s",
            "    timeout http-keep-alive 10s",
            # Only connection failures are retried, on another server: see the docstring.
            "    retries 3",
            "    retry-on conn-failure",
            "    option redispatch 1",
            # A server that refuses connections fails its check at once (out in ~1 s);
            # one that is only slow -- Rasa answering 50 turns in a row, its health check
            # waiting behind them -- must not be taken out: that turned a busy pool into
            # "no server available" (the bench at 50 conversations at once).
            "    timeout check 10s",
            "    default-server inter 2s fastinter 500ms downinter 1s fall 3 rise 2",
        ]
        for pool in self.pools:
            lines += pool.config()
        return "\n".join(lines) + "\n"

    async def start(self) -> None:
        if not Path(self.binary).exists():
            raise StackError("haproxy is not installed: run `make setup-browser` (Debian's haproxy)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config(), encoding="utf-8")
        check = await asyncio.create_subprocess_exec(
            self.binary, "-c", "-f", str(self.config_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await check.communicate()
        if check.returncode != 0:
            raise StackError(
                f"haproxy refused its configuration {self.config_path}: {output.decode()[-2000:]}"
            )
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the child's whole life
        self.process = await asyncio.create_subprocess_exec(
            self.binary, "-db", "-f", str(self.config_path),
            stdout=self._log, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.stats_socket.exists():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise StackError(f"haproxy did not start; see {self.log_path}")
            await asyncio.sleep(0.05)

    def command(self, line: str) -> str:
        """One command on the statistics socket (``show stat``, ``disable server rasa/rasa-a``...)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def servers(self) -> list[dict[str, str]]:
        """``show stat`` as one row per server: pxname, svname, status, stot, hrsp_2xx, ..."""
        text = self.command("show stat").lstrip("# ")
        return [
            row
            for row in csv.DictReader(io.StringIO(text))
            if row.get("svname") not in ("FRONTEND", "BACKEND")
        ]

    def served(self, pool: str | None = None) -> dict[str, dict[str, int]]:
        """Requests each server answered so far, per backend: {"rasa": {"rasa-a": 12, ...}}."""
        found: dict[str, dict[str, int]] = {}
        for row in self.servers():
            if pool is None or row["pxname"] == pool:
                found.setdefault(row["pxname"], {})[row["svname"]] = int(row.get("stot") or 0)
        return found

    def requests(self, pool: str) -> list[tuple[str, str, str]]:
        """Every request a frontend passed on so far, from haproxy's log: (server, method, path)."""
        found = []
        for match in _REQUEST_LOG.finditer(self.log_path.read_text(encoding="utf-8", errors="replace")):
            if match["frontend"] == pool:
                found.append((match["server"], match["method"], match["path"]))
        return found

    def in_flight(self, pool: str, server: str) -> int:
        """Requests a server is answering right now (``scur``)."""
        for row in self.servers():
            if row["pxname"] == pool and row["svname"] == server:
                return int(row.get("scur") or 0)
        raise KeyError(f"{pool}/{server}")

    async def wait_all_up(self, timeout: float, pools: Sequence[str] = ()) -> None:
        """Return once every server (of ``pools``, default all) passed its health check;
        StackError naming the others."""
        deadline = time.monotonic() + timeout
        while True:
            down = [
                f"{r['pxname']}/{r['svname']} ({r['status']})"
                for r in self.servers()
                if r["status"] != "UP" and (not pools or r["pxname"].removesuffix("_socketio") in pools)
            ]
            if not down:
                return
            if self.process is None or self.process.returncode is not None:
                raise StackError(f"haproxy exited; see {self.log_path}")
            if time.monotonic() > deadline:
                raise StackError(f"servers still down behind haproxy: {', '.join(down)}")
            await asyncio.sleep(0.3)

    async def stop(self) -> None:
        if self.process is not None:
            await stop_process(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None
