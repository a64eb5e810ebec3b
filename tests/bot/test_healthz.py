"""/healthz reports the database, the Rasa server and the action server separately."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.bot.fake_rasa import FakeRasa

pytestmark = pytest.mark.asyncio


async def test_everything_up_is_200(hub_with_fake_rasa: tuple[TestClient, FakeRasa]) -> None:
    client, _ = hub_with_fake_rasa
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["rasa"]["ok"] is True
    assert body["checks"]["rasa"]["model"] == "models/fake.tar.gz"
    assert body["checks"]["action_server"] == {"ok": True}


async def test_rasa_and_actions_down_is_503_with_each_reported(hub: TestClient) -> None:
    response = await hub.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["rasa"] == {"ok": False, "error": "unreachable"}
    assert body["checks"]["action_server"] == {"ok": False, "error": "unreachable"}


async def test_only_the_action_server_down(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    fake.actions_up = False
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503
    assert body["checks"]["rasa"]["ok"] is True
    assert body["checks"]["action_server"]["ok"] is False


async def test_a_wrong_rasa_token_is_reported(aiohttp_client, settings, fake_rasa) -> None:
    import dataclasses

    from bot.app import init_app

    _fake, url = fake_rasa
    app = init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url, rasa_token="nope"))
    client = await aiohttp_client(app)
    body = await (await client.get("/healthz")).json()
    assert body["checks"]["rasa"]["ok"] is False
    assert "401" in body["checks"]["rasa"]["error"]
