"""Bad input is the sender's problem: a 4xx (or a ``bad_request`` frame), never a 500.

A broken multipart body on every form, a path id beyond a 64-bit integer, JSON nested
deep enough to exhaust Python's recursion limit: each gets a clear refusal, on a page in
the person's language, and no traceback in the log.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.settings import Settings
from tests.bot.accounts.conftest import INTERNAL_TOKEN, clock, quick_argon2, smtp
from tests.bot.conftest import ClientFactory, hello
from tests.bot.console.conftest import ANA, console_hub, console_settings, handed_over, login
from tools.stack import free_port

# Fixtures shared with the console tests.
__all__ = ["clock", "console_hub", "console_settings", "quick_argon2", "smtp"]

HUGE = "99999999999999999999999"  # > 2**63
BEYOND_INTEGER = str(2**31)  # PostgreSQL's integer columns stop at 2**31 - 1 (SQLite's at 2**63 - 1)
BROKEN_MULTIPART = [
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello'),
    ("multipart/form-data; boundary=xyz", b"not multipart at all"),
    ("multipart/form-data", b"--xyz\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xyz--\r\n"),
    (
        "multipart/form-data; boundary=xyz",
        b"--xyz\r\nContent-Type: text/plain; charset=nope\r\nContent-Disposition: form-data; name=a\r\n\r\n"
        b"x\r\n--xyz--\r\n",
    ),
    ("application/x-www-form-urlencoded; charset=nope", b"identifier=a&password=b"),
]
PUBLIC_FORMS = ["/login", "/forgot-password", "/forgot-user-code", "/reset", "/console/login"]


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("path", PUBLIC_FORMS)
@pytest.mark.parametrize(("content_type", "body"), BROKEN_MULTIPART)
async def test_a_broken_form_body_is_a_400_page(
    console_hub: TestClient,
    no_tracebacks: pytest.LogCaptureFixture,
    path: str,
    content_type: str,
    body: bytes,
) -> None:
    async with console_hub.post(path, data=body, headers={"Content-Type": content_type}) as response:
        assert response.status == 400, await response.text()
        assert response.content_type == "text/html"
        assert "formulaire" in (await response.text()).lower()
    assert_no_tracebacks(no_tracebacks)


@pytest.mark.parametrize("path", PUBLIC_FORMS)
async def test_the_400_page_speaks_the_persons_language(console_hub: TestClient, path: str) -> None:
    content_type, body = BROKEN_MULTIPART[0]
    headers = {"Content-Type": content_type, "Accept-Language": "en-CA,en;q=0.9"}
    async with console_hub.post(path, data=body, headers=headers) as response:
        assert response.status == 400
        assert "could not be read" in await response.text()


async def test_a_broken_form_on_a_console_action_is_a_400(
    console_hub: TestClient, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    handoff_id = await handed_over(console_hub)
    await login(console_hub, ANA)
    for content_type, body in BROKEN_MULTIPART:
        async with console_hub.post(
            f"/console/c/{handoff_id}/claim", data=body, headers={"Content-Type": content_type}
        ) as response:
            assert response.status == 400
            assert "pas pu être lu" in await response.text()
    assert_no_tracebacks(no_tracebacks)


@pytest.mark.database_backends("sqlite", "postgresql")
@pytest.mark.parametrize("huge", [HUGE, BEYOND_INTEGER])
async def test_ids_beyond_the_integer_columns_are_not_found(
    console_hub: TestClient, no_tracebacks: pytest.LogCaptureFixture, huge: str
) -> None:
    handoff_id = await handed_over(console_hub)
    token = await login(console_hub, ANA)
    async with console_hub.get(f"/console/c/{huge}") as response:
        assert response.status == 404
        assert "existe pas" in await response.text()
    async with console_hub.post(f"/console/c/{huge}/claim", data={"csrf": token}) as response:
        assert response.status == 404
    async with console_hub.post(
        f"/console/c/{handoff_id}/messages/{huge}/intent", data={"csrf": token, "intent": "greet"}
    ) as response:
        assert response.status == 404
    assert_no_tracebacks(no_tracebacks)


@pytest.mark.database_backends("sqlite", "postgresql")
async def test_dev_mail_ids_beyond_the_integer_columns_are_not_found(
    aiohttp_client: ClientFactory, settings: Settings, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    hub = await aiohttp_client(
        init_app(
            dataclasses.replace(
                settings,
                environment="development",
                internal_token=INTERNAL_TOKEN,
                mail_sink_port=port,
                smtp_port=port,
            )
        )
    )
    for path in (
        f"/dev/mail/{HUGE}",
        f"/dev/mail/{HUGE}/html",
        "/dev/mail/9223372036854775808",
        f"/dev/mail/{BEYOND_INTEGER}",
    ):
        async with hub.get(path) as response:
            assert response.status == 404, path
    assert_no_tracebacks(no_tracebacks)


async def test_deeply_nested_json_on_the_chat_is_a_bad_request(
    hub: TestClient, no_tracebacks: pytest.LogCaptureFixture
) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)
        for nested in ("[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000):
            await ws.send_str(nested)
            frame = await ws.receive_json(timeout=10)
            assert frame["type"] == "error" and frame["code"] == "bad_request", frame
        await ws.send_json({"type": "set_language", "language": "en"})  # still usable
        await ws.send_str("[" * 100_000)
        assert (await ws.receive_json(timeout=10))["code"] == "bad_request"
    assert_no_tracebacks(no_tracebacks)


async def engineio_socket(hub: TestClient) -> Any:
    """A raw engine.io v4 WebSocket, connected to socket.io's default namespace."""
    ws = await hub.ws_connect("/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str(timeout=10)
    assert opened.startswith("0{"), opened
    await ws.send_str("40")
    assert (await ws.receive_str(timeout=10)).startswith("40{")
    return ws


async def next_event(ws: Any) -> list[Any]:
    """The next socket.io event the server sends (engine.io pings answered on the way)."""
    while True:
        frame = await ws.receive_str(timeout=10)
        if frame == "2":
            await ws.send_str("3")
        elif frame.startswith("42"):
            return list(json.loads(frame[2:]))


@pytest.mark.parametrize(
    "frame",
    [
        '42["user_uttered",' + "[" * 100_000 + "]" * 100_000 + "]",
        '42["user_uttered",' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "]",
        "4" + "[" * 100_000,  # deep at the engine.io level
        '42["user_uttered", {"message": "unterminated',  # not JSON at all
        "4zzz",  # not a socket.io packet
    ],
    ids=["arrays", "objects", "engineio", "broken", "garbage"],
)
async def test_deeply_nested_or_broken_json_on_socketio_is_a_bad_request(
    hub: TestClient, no_tracebacks: pytest.LogCaptureFixture, frame: str
) -> None:
    ws = await engineio_socket(hub)
    await ws.send_str('42["session_request",{"session_id":null}]')
    [event, session_id] = await next_event(ws)
    assert event == "session_confirm"
    await ws.send_str(frame)
    [event, said] = await next_event(ws)
    assert event == "bot_uttered" and said["text"] == "Ce message n'a pas pu être lu. Réessayez."
    # The connection still works: the same conversation, confirmed again.
    await ws.send_str(f'42["session_request",{{"session_id":"{session_id}"}}]')
    assert await next_event(ws) == ["session_confirm", session_id]
    await ws.close()
    assert_no_tracebacks(no_tracebacks)
