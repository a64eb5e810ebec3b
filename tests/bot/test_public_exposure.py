"""What the hub shows the outside world: no development mode on a public address, no
version banner, /healthz details only for operators (findings 10 and 11 of issue 14)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.__main__ import main
from bot.app import init_app
from bot.settings import Settings
from tests.bot.conftest import hello
from tests.bot.fake_rasa import FakeRasa


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.0.2.2", "support.gem-books.com"])
def test_development_mode_refuses_a_non_loopback_bind(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Settings(environment="development", host=host)
    Settings(environment="production", host=host or "0.0.0.0")  # production may bind anything


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_development_mode_on_loopback_is_fine(host: str) -> None:
    assert Settings(environment="development", host=host).is_development


def test_python_m_bot_will_not_start_development_on_all_interfaces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEM_ENV", "development")
    monkeypatch.setenv("GEM_HUB_HOST", "0.0.0.0")

    def would_serve(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the hub would have started on 0.0.0.0 in development mode")

    monkeypatch.setattr(web, "run_app", would_serve)  # so that a regression fails, not hangs
    assert main(["serve"]) == 2
    assert "GEM_HUB_HOST='0.0.0.0'" in capsys.readouterr().err


async def test_no_server_banner_on_any_kind_of_response(hub: TestClient) -> None:
    for path in ("/demo", "/healthz", "/login", "/static/widget.js", "/no-such-page", "/console"):
        async with hub.get(path, allow_redirects=False) as response:
            assert "Server" not in response.headers, (path, response.headers.get("Server"))
    async with hub.post("/internal/handoffs", json={}) as response:
        assert "Server" not in response.headers
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)
        # The 101 response's headers: aiohttp's client keeps them on the response.
        assert "Server" not in ws._response.headers


async def test_healthz_details_only_from_loopback_without_a_proxy(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    async with client.get("/healthz") as response:  # an operator on this machine
        assert (await response.json())["checks"]["rasa"]["model"] == "models/fake.tar.gz"
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        # A request relayed by a proxy on this machine comes from the internet.
        async with client.get("/healthz", headers={header: "203.0.113.9"}) as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}


async def test_healthz_details_with_the_health_token(
    aiohttp_client: Callable[..., Awaitable[TestClient]], settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    _, url = fake_rasa
    client = await aiohttp_client(
        init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url, health_token="h-token"))
    )
    relayed = {"X-Forwarded-For": "203.0.113.9"}
    for token, sees in (("h-token", True), ("wrong", False), ("", False)):
        async with client.get(
            "/healthz", headers={**relayed, "Authorization": f"Bearer {token}"}
        ) as response:
            assert ("checks" in await response.json()) is sees, token


async def test_healthz_from_another_machine_gets_the_status_only(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    _, url = fake_rasa
    app: web.Application = init_app(
        dataclasses.replace(settings, host="0.0.0.0", rasa_url=url, action_server_url=url)
    )
    async with (
        TestServer(app, host="0.0.0.0") as server,
        aiohttp.ClientSession() as http,
        http.get(f"http://{address}:{server.port}/healthz") as response,
    ):
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        assert "Server" not in response.headers
