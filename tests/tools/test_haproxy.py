"""tools/haproxy.py: Debian's haproxy with the generated configuration, in front of two
small real HTTP servers (no Rasa, no hub: a few seconds)."""

from __future__ import annotations

import asyncio
import collections
import shutil
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tools.haproxy import Haproxy, Pool
from tools.stack import free_port

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                       reason="haproxy is not installed (make setup-browser)"),
]  # fmt: skip


async def serve(name: str, port: int) -> web.AppRunner:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"server": name, "path": request.path})

    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_round_robin_with_health_checks_and_a_dead_server_skipped(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    runners = [await serve(f"s{i}", port) for i, port in enumerate(ports)]
    balancer = Haproxy(
        tmp_path,
        [
            Pool("web", free_port(), (("one", ports[0]), ("two", ports[1])), check="/health", public=True),
            Pool("mirror", free_port(), (("one", ports[0]), ("two", ports[1])), track="web"),
        ],
    )
    await balancer.start()
    try:
        await balancer.wait_all_up(timeout=20)
        url = balancer.pool("web").url
        async with aiohttp.ClientSession() as http:
            answered = []
            for _ in range(6):
                async with http.get(f"{url}/turn") as response:
                    answered.append((await response.json())["server"])
            assert collections.Counter(answered) == {"s0": 3, "s1": 3}
            await asyncio.sleep(0.5)  # haproxy writes its log line after the answer
            assert collections.Counter(s for s, _, path in balancer.requests("web") if path == "/turn") == {
                "one": 3,
                "two": 3,
            }

            # One server gone: the next requests all land on the other, at once (a refused
            # connection is retried elsewhere), and the health check takes it out.
            await runners[1].cleanup()
            for _ in range(4):
                async with http.get(f"{url}/turn") as response:
                    assert response.status == 200
                    assert (await response.json())["server"] == "s0"
            await asyncio.sleep(3)
            status = {(r["pxname"], r["svname"]): r["status"] for r in balancer.servers()}
            assert status[("web", "two")].startswith("DOWN") and status[("mirror", "two")].startswith("DOWN")
            assert status[("web", "one")] == "UP"
        assert "timeout tunnel 1h" in balancer.config_path.read_text()
    finally:
        await balancer.stop()
        await runners[0].cleanup()
    assert balancer.process is not None and balancer.process.returncode is not None


async def test_a_configuration_haproxy_refuses_is_reported(tmp_path: Path) -> None:
    from tools.stack import StackError

    balancer = Haproxy(tmp_path, [Pool("web", free_port(), (("one", 1),), check="/", expect="nonsense here")])
    with pytest.raises(StackError, match="haproxy refused its configuration"):
        await balancer.start()
