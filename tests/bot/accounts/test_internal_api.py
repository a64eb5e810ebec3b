"""The internal API the assistant calls: token, one answer for every pair, limits, errors."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.exc import OperationalError

from bot.appkeys import LIMITS, OUTBOX
from bot.settings import Settings
from tests.bot.accounts.conftest import (
    BOB,
    INTERNAL_TOKEN,
    JULIE,
    MovableClock,
    post_internal,
    reset_body,
    start_hub,
)
from tests.bot.conftest import ClientFactory, internal_url
from tests.bot.smtp_server import SmtpRecorder

pytestmark = pytest.mark.asyncio


async def settled(hub: TestClient, timeout: float = 10.0) -> dict[str, int]:
    """The outbox's counts once nothing is pending any more."""
    deadline = time.monotonic() + timeout
    while True:
        counts = await hub.app[OUTBOX].counts()
        if not counts.get("pending") or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("token", [None, "wrong-token", INTERNAL_TOKEN + "x", ""])
async def test_without_the_right_token_nothing_happens(
    accounts_hub: TestClient, smtp: SmtpRecorder, token: str | None
) -> None:
    status, body, _ = await post_internal(
        accounts_hub, "password-reset", reset_body(JULIE.user_code, JULIE.email), token=token
    )
    assert (status, body["error"]) == (401, "unauthorized")
    assert await settled(accounts_hub) == {}


async def test_a_hub_without_a_token_refuses_everyone(
    aiohttp_client: ClientFactory, account_settings: Settings
) -> None:
    hub = await start_hub(aiohttp_client, dataclasses.replace(account_settings, internal_token=""))
    status, _, _ = await post_internal(
        hub, "password-reset", reset_body(JULIE.user_code, JULIE.email), token=""
    )
    assert status == 401


async def test_match_and_mismatch_get_the_same_answer_and_only_the_match_gets_mail(
    accounts_hub: TestClient, smtp: SmtpRecorder
) -> None:
    answers = []
    for user_code, email in [
        (JULIE.user_code.lower(), JULIE.email.upper()),  # the match, in other cases
        (JULIE.user_code, BOB.email),  # both exist, not together
        ("NOBODY42", "nobody@example.com"),  # neither exists
    ]:
        status, body, headers = await post_internal(
            accounts_hub, "password-reset", reset_body(user_code, email, conversation_id=f"c-{user_code}")
        )
        answers.append((status, body, headers.get("Content-Type")))
    assert answers == [(202, {"status": "accepted"}, "application/json; charset=utf-8")] * 3
    assert await settled(accounts_hub) == {"sent": 1, "skipped": 2}
    assert [str(m["To"]) for m in smtp.messages] == [JULIE.email]


async def test_user_code_reminder_goes_to_the_address_only_when_it_has_an_account(
    accounts_hub: TestClient, smtp: SmtpRecorder
) -> None:
    known = {"email": BOB.email, "language": "en", "conversation_id": "c1"}
    unknown = {"email": "stranger@example.com", "language": "en", "conversation_id": "c2"}
    assert (await post_internal(accounts_hub, "user-code-reminder", known))[:2] == (
        202,
        {"status": "accepted"},
    )
    assert (await post_internal(accounts_hub, "user-code-reminder", unknown))[:2] == (
        202,
        {"status": "accepted"},
    )
    assert await settled(accounts_hub) == {"sent": 1, "skipped": 1}
    [mail] = smtp.messages
    assert str(mail["To"]) == BOB.email
    assert BOB.user_code in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_limits_answer_429_with_retry_after_for_matches_and_mismatches_alike(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await start_hub(
        aiohttp_client, dataclasses.replace(account_settings, account_mail_per_email=2), clock
    )
    for user_code, email in ((JULIE.user_code, JULIE.email), ("NOBODY42", "nobody@example.com")):
        answers = [
            await post_internal(hub, "password-reset", reset_body(user_code, email, conversation_id=f"c{i}"))
            for i in range(3)
        ]
        assert [status for status, _, _ in answers] == [202, 202, 429], email
        _, body, headers = answers[-1]
        assert body["error"] == "rate_limited"
        assert 3590 <= body["retry_after"] <= 3600
        assert headers["Retry-After"] == str(body["retry_after"])
    clock.advance(minutes=61)
    status, _, _ = await post_internal(
        hub, "password-reset", reset_body(JULIE.user_code, JULIE.email, conversation_id="later")
    )
    assert status == 202


async def test_per_conversation_and_per_account_limits(
    aiohttp_client: ClientFactory, account_settings: Settings
) -> None:
    hub = await start_hub(
        aiohttp_client,
        dataclasses.replace(account_settings, account_mail_per_conversation=2, account_mail_per_account=2),
    )
    same_conversation = [
        (
            await post_internal(
                hub, "password-reset", reset_body("CODE1", f"a{i}@example.com", conversation_id="one")
            )
        )[0]
        for i in range(3)
    ]
    assert same_conversation == [202, 202, 429]
    # The account limit counts the user code with the email: other addresses with the same
    # code send nothing and do not use it up (finding 3 of issue 14).
    same_code = [
        (
            await post_internal(
                hub, "password-reset", reset_body("CODE2", f"b{i}@example.com", conversation_id=f"c{i}")
            )
        )[0]
        for i in range(4)
    ]
    assert same_code == [202, 202, 202, 202]
    same_pair = [
        (
            await post_internal(
                hub, "password-reset", reset_body("CODE3", "d@example.com", conversation_id=f"d{i}")
            )
        )[0]
        for i in range(3)
    ]
    assert same_pair == [202, 202, 429]


async def test_a_retried_request_sends_one_mail(accounts_hub: TestClient, smtp: SmtpRecorder) -> None:
    body = reset_body(JULIE.user_code, JULIE.email)
    for _ in range(2):
        status, _, _ = await post_internal(
            accounts_hub, "password-reset", body, headers={"Idempotency-Key": "turn-42"}
        )
        assert status == 202
    assert await settled(accounts_hub) == {"sent": 1}
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("not json", 400, "bad_request"),
        ([1, 2], 400, "bad_request"),
        ({"email": "julie@example.com", "conversation_id": "c"}, 422, "invalid_field"),
        ({"user_code": "JT 01", "email": "julie@example.com", "conversation_id": "c"}, 422, "invalid_field"),
        ({"user_code": "JT01", "email": "not-an-address", "conversation_id": "c"}, 422, "invalid_field"),
        ({"user_code": "JT01", "email": "julie@example.com"}, 422, "invalid_field"),
    ],
)
async def test_malformed_requests_get_json_errors(
    accounts_hub: TestClient, body: object, status: int, code: str
) -> None:
    headers = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    url = internal_url(accounts_hub, "/internal/accounts/password-reset")
    async with accounts_hub.session.post(url, headers=headers, **kwargs) as response:
        assert response.status == status
        assert (await response.json())["error"] == code


async def test_a_broken_database_is_a_json_503_not_a_500(
    accounts_hub: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def database_gone(*args: object) -> None:
        raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(accounts_hub.app[LIMITS], "hit", database_gone)
    status, body, _ = await post_internal(
        accounts_hub, "password-reset", reset_body(JULIE.user_code, JULIE.email)
    )
    assert (status, body["error"]) == (503, "unavailable")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/internal/accounts/password-reset", 405),
        ("POST", "/internal/accounts/nothing-here", 404),
    ],
)
async def test_routing_errors_under_internal_are_json_too(
    accounts_hub: TestClient, method: str, path: str, status: int
) -> None:
    async with accounts_hub.session.request(method, internal_url(accounts_hub, path)) as response:
        assert response.status == status
        assert response.content_type == "application/json"
        assert "error" in await response.json()
