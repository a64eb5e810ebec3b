"""The HTTP account gateway against a local stand-in for the GEM-BOOKS platform."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.accounts.gateway import GatewayRateLimited, GatewayUnavailable, ReminderRequest, ResetRequest
from bot.accounts.platform import PlatformAccountGateway
from bot.settings import Settings
from tests.bot.accounts.conftest import JULIE, post_internal, reset_body, start_hub
from tests.bot.conftest import ClientFactory

pytestmark = pytest.mark.asyncio

RESET = ResetRequest(user_code="jtremblay01", email="julie@example.com", language="fr", dedupe_key="k1")


class Platform:
    """Answers each call with the next scripted reply, recording what it received."""

    def __init__(self) -> None:
        self.replies: list[int | str] = []
        self.calls: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(
            {
                "path": request.path,
                "json": await request.json(),
                "auth": request.headers.get("Authorization"),
                "key": request.headers.get("Idempotency-Key"),
            }
        )
        reply = self.replies.pop(0) if self.replies else 202
        if reply == "hang":
            await asyncio.sleep(30)
        if reply == 429:
            return web.json_response({}, status=429, headers={"Retry-After": "120"})
        return web.json_response({}, status=int(reply))


@pytest_asyncio.fixture
async def platform(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> tuple[Platform, str]:
    fake = Platform()
    app = web.Application()
    app.router.add_post("/api/accounts/{endpoint}", fake.handle)
    server = await aiohttp_server(app)
    return fake, str(server.make_url("/api/accounts"))


@pytest_asyncio.fixture
async def gateway(
    platform: tuple[Platform, str], settings: Settings
) -> AsyncIterator[PlatformAccountGateway]:
    _, url = platform
    configured = dataclasses.replace(
        settings,
        account_gateway="http",
        platform_url=url,
        platform_token="platform-secret",
        platform_timeout_seconds=1.5,
    )
    async with aiohttp.ClientSession() as http:
        yield PlatformAccountGateway(http, configured)


async def test_success_sends_the_request_with_credentials(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    await gateway.request_password_reset(RESET)
    await gateway.send_user_code_reminder(
        ReminderRequest(email="julie@example.com", language="en", dedupe_key="k2")
    )
    assert fake.calls == [
        {
            "path": "/api/accounts/password-reset",
            "json": {"user_code": "jtremblay01", "email": "julie@example.com", "language": "fr"},
            "auth": "Bearer platform-secret",
            "key": "k1",
        },
        {
            "path": "/api/accounts/user-code-reminder",
            "json": {"email": "julie@example.com", "language": "en"},
            "auth": "Bearer platform-secret",
            "key": "k2",
        },
    ]


async def test_a_500_is_retried_until_success(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    fake.replies = [500, 503, 202]
    await gateway.request_password_reset(RESET)
    assert len(fake.calls) == 3


async def test_500s_that_persist_make_it_unavailable(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    fake.replies = [500, 500, 500, 500]
    with pytest.raises(GatewayUnavailable):
        await gateway.request_password_reset(RESET)
    assert len(fake.calls) == 3  # the first try and two retries


@pytest.mark.parametrize("status", [404, 422])
async def test_no_such_account_is_not_an_error(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway, status: int
) -> None:
    # The person must hear the same thing whether or not the account exists.
    fake, _ = platform
    fake.replies = [status]
    await gateway.request_password_reset(RESET)
    assert len(fake.calls) == 1


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_other_4xx_are_not_retried_and_make_it_unavailable(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway, status: int
) -> None:
    fake, _ = platform
    fake.replies = [status]
    with pytest.raises(GatewayUnavailable):
        await gateway.request_password_reset(RESET)
    assert len(fake.calls) == 1


async def test_the_platforms_rate_limit_is_passed_on(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    fake.replies = [429]
    with pytest.raises(GatewayRateLimited) as limited:
        await gateway.request_password_reset(RESET)
    assert limited.value.retry_after_seconds == 120


async def test_a_hanging_platform_times_out_within_the_budget_and_is_retried(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    fake.replies = ["hang", 202]
    started = time.monotonic()
    await gateway.request_password_reset(RESET)
    assert len(fake.calls) == 2
    assert time.monotonic() - started < 1.5


async def test_a_platform_that_always_hangs_is_unavailable_before_the_assistant_gives_up(
    platform: tuple[Platform, str], gateway: PlatformAccountGateway
) -> None:
    fake, _ = platform
    fake.replies = ["hang"] * 5
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable):
        await gateway.request_password_reset(RESET)
    assert time.monotonic() - started < 2.0


async def test_the_hub_uses_the_platform_when_configured(
    aiohttp_client: ClientFactory,
    account_settings: Settings,
    platform: tuple[Platform, str],
) -> None:
    fake, url = platform
    hub: TestClient = await start_hub(
        aiohttp_client, dataclasses.replace(account_settings, account_gateway="http", platform_url=url)
    )
    status, body, _ = await post_internal(hub, "password-reset", reset_body(JULIE.user_code, JULIE.email))
    assert (status, body) == (202, {"status": "accepted"})
    assert fake.calls[0]["json"]["user_code"] == JULIE.user_code.lower()
    fake.replies = [500, 500, 500]
    status, body, _ = await post_internal(
        hub, "password-reset", reset_body(JULIE.user_code, JULIE.email, conversation_id="other")
    )
    assert (status, body["error"]) == (503, "unavailable")
