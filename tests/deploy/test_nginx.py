"""The reverse-proxy configuration in ``deploy/nginx/gem-books.conf``, run by Debian's nginx
in front of the real hub: what a person on the internet can and cannot reach."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.app import init_app
from bot.settings import Settings
from tests.bot.conftest import closed_port_url, hello
from tests.bot.fake_rasa import TOKEN
from tests.deploy.nginx import NGINX, PrivateNginx
from tools.stack import free_port

pytestmark = pytest.mark.skipif(
    not os.access(NGINX, os.X_OK), reason="needs Debian's nginx (tools/bootstrap.sh --browser installs it)"
)


@dataclasses.dataclass
class Deployment:
    nginx: PrivateNginx
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.nginx.https_url()


@pytest_asyncio.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    """The hub on loopback with its production settings, nginx in front on https."""
    hub_port = free_port()
    with PrivateNginx(hub_port, ["127.0.0.1"]) as nginx:
        settings = Settings(
            port=hub_port,
            public_base_url=nginx.https_url(),
            trusted_proxies=("127.0.0.1",),
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
            rasa_url=closed_port_url(),
            rasa_token=TOKEN,
            action_server_url=closed_port_url(),
            triage_smtp_port=0,
            internal_token="internal-token-for-the-test",
        )
        async with (
            TestServer(init_app(settings), port=hub_port),
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http,
        ):
            yield Deployment(nginx, http)


async def test_pages_come_through_without_version_banners(deployment: Deployment) -> None:
    async with deployment.http.get(f"{deployment.url}/demo") as response:
        assert response.status == 200
        assert response.headers["Server"] == "nginx"  # no version, no "aiohttp"
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        assert response.headers["X-Frame-Options"] == "DENY"  # the hub's own headers pass


async def test_plain_http_redirects_to_https(deployment: Deployment) -> None:
    async with deployment.http.get(f"{deployment.nginx.http_url()}/demo", allow_redirects=False) as response:
        assert response.status == 301
        assert response.headers["Location"].startswith("https://")


async def test_healthz_through_the_proxy_shows_no_details(deployment: Deployment) -> None:
    # nginx connects from loopback, yet the person behind it is not an operator.
    async with deployment.http.get(f"{deployment.url}/healthz") as response:
        assert response.status == 503  # Rasa is down in this test
        assert await response.json() == {"status": "unavailable"}


async def test_internal_and_development_paths_are_not_reachable(deployment: Deployment) -> None:
    headers = {"Authorization": "Bearer internal-token-for-the-test"}
    for path in ("/internal/handoffs", "/internal/accounts/password-reset", "/dev/mail"):
        async with deployment.http.post(f"{deployment.url}{path}", json={}, headers=headers) as response:
            assert response.status == 404, path
            assert "nginx" in await response.text()  # refused by the proxy, not the hub


async def test_the_chat_websocket_works_through_the_proxy(deployment: Deployment) -> None:
    async with deployment.http.ws_connect(f"{deployment.url}/ws", origin=deployment.url) as ws:
        welcome = await hello(ws)
        assert len(welcome["conversation_id"]) >= 22


async def test_a_big_body_is_refused_by_the_proxy(deployment: Deployment) -> None:
    async with deployment.http.post(f"{deployment.url}/login", data=b"x" * (2 * 1024 * 1024)) as response:
        assert response.status == 413
