"""Start the scaled-out assistant on this machine: PostgreSQL, Redis, two Rasa servers, two
action servers and two hubs behind haproxy (``tools.scaled_stack``).

    python -m tools.serve_scaled       (what `make run-scaled` does, after setup and training)

The same demo and the same widget as ``make run``, reached through haproxy on loopback
(``GEM_HUB_PORT``, else a free port); every server is a child process on a free loopback
port, PostgreSQL's and Redis's data live in temporary folders. Ctrl-C (or SIGTERM) stops
everything and removes that data; the logs stay in ``var/log/scaled/``. ``GEM_RASA_SERVERS``
and ``GEM_HUBS`` change how many of each (default 2). Other ``GEM_*`` settings of the hub
(bot/settings.py) are passed to both hubs, except those the topology decides (ports,
database, Redis, Rasa, tokens).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time

from bot.banner import StackUrls, banner
from bot.settings import Settings
from tools.scaled_stack import ScaledStack
from tools.stack import PROJECT_ROOT, StackError

__all__ = ["describe", "main", "serve"]

LOGS = PROJECT_ROOT / "var" / "log" / "scaled"


def _count(name: str) -> int:
    value = os.environ.get(name, "2")
    if not value.isdigit() or not 1 <= int(value) <= 8:
        raise SystemExit(f"{name} must be a number from 1 to 8, not {value!r}")
    return int(value)


def _public_port() -> int:
    value = os.environ.get("GEM_HUB_PORT", "")
    if not value:
        return 0
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"GEM_HUB_PORT must be a port number, not {value!r}")
    return int(value)


def describe(stack: ScaledStack) -> str:
    """What is running where: the public URLs (the hub's banner) and each server."""
    assert stack.haproxy is not None
    first = stack.hubs[0].env
    settings = Settings.from_env(
        {**first, "GEM_HUB_PORT": str(stack.public_port), "GEM_PUBLIC_BASE_URL": stack.public_url}
    )
    urls = StackUrls(stack.rasa_url, stack.actions_url, str(stack.log_dir))
    lines = [
        banner(settings, stack=urls),
        "",
        "  Servers (all on loopback; haproxy balances each pool round robin):",
    ]
    for pool in stack.haproxy.pools:
        servers = ", ".join(f"{name} :{port}" for name, port in pool.servers)
        lines.append(f"    {pool.name:<9} {pool.url}  ->  {servers}")
    lines += [
        f"    PostgreSQL 127.0.0.1:{stack.postgres.port} (databases hub, rasa),"
        f" Redis 127.0.0.1:{stack.redis.port}; data removed at stop",
        f"  haproxy: configuration {stack.haproxy.config_path},"
        f" statistics: echo 'show stat' | socat - {stack.haproxy.stats_socket}",
    ]
    return "\n".join(lines)


async def serve() -> int:
    try:
        rasa_servers, hubs, public_port = _count("GEM_RASA_SERVERS"), _count("GEM_HUBS"), _public_port()
        Settings.from_env()  # a bad GEM_* value stops here, naming the variable
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Each run's logs only: the previous run's are replaced.
    shutil.rmtree(LOGS, ignore_errors=True)
    stack = ScaledStack(
        PROJECT_ROOT,
        model=PROJECT_ROOT / "models" / "gem-books.tar.gz",
        rasa_servers=rasa_servers,
        hub_count=hubs,
        public_port=public_port,
        work_dir=LOGS,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"==> starting PostgreSQL, Redis, haproxy, {rasa_servers} Rasa and action servers and {hubs} hubs"
        " (loading the models takes a minute or two on two cores)",
        flush=True,
    )
    started = time.monotonic()
    starting = asyncio.create_task(stack.start())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        print("\n==> stopping before the start finished")
        starting.cancel()  # ScaledStack.start stops what it started
        await asyncio.gather(starting, return_exceptions=True)
        return 1
    stopping.cancel()
    try:
        starting.result()
    except StackError as error:
        print(f"error: {error}\n(logs in {LOGS})", file=sys.stderr)
        return 1
    print(
        f"\nGEM-BOOKS support assistant, scaled out, is up ({time.monotonic() - started:.0f} s).\n"
        f"{describe(stack)}\nPress Ctrl-C to stop.",
        flush=True,
    )
    await stop.wait()
    print("\n==> stopping")
    await stack.stop()
    return 0


def main() -> int:
    return asyncio.run(serve())


if __name__ == "__main__":
    raise SystemExit(main())
