"""The hub's pages: the demo page, static files, and the headers that protect them."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.app import STATIC_DIR

pytestmark = pytest.mark.asyncio


async def test_root_redirects_to_the_demo_page(hub: TestClient) -> None:
    response = await hub.get("/", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/demo"


async def test_the_demo_page_embeds_the_widget_under_a_strict_policy(hub: TestClient) -> None:
    response = await hub.get("/demo")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "widget.js" in await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "ws://127.0.0.1:" in policy  # the page may open its chat WebSocket
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.skipif(not (STATIC_DIR / "widget.js").exists(), reason="widget not written yet")
async def test_the_widget_script_is_served_as_javascript(hub: TestClient) -> None:
    response = await hub.get(str(hub.app.router["static"].url_for(filename="widget.js")))
    assert response.status == 200
    assert "javascript" in response.content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_weird_host_header_is_not_echoed_into_the_policy(hub: TestClient) -> None:
    response = await hub.get("/demo", headers={"Host": "evil; script-src *"})
    assert "evil" not in response.headers["Content-Security-Policy"]
