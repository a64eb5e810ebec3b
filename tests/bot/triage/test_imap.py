"""The IMAP poller against a real Dovecot: each new mail reaches intake whole, once it is
recorded it is marked and never comes again, and a server that fails does not stop the loop."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable

import pytest

from bot.settings import Settings
from bot.triage.imap import ImapError, ImapPoller
from tests.bot.triage.dovecot import Dovecot

TRIAGED = {"$GemTriaged", "\\Seen"}
_boxes = itertools.count(1)


def mail(n: int, body: bytes = b"") -> bytes:
    """A small support mail, CRLF line ends (IMAP hands back exactly those)."""
    return (
        f"From: Reader {n} <reader{n}@example.org>\r\n"
        f"To: soutien@gem-books.com\r\n"
        f"Subject: Question {n}\r\n"
        f"Message-ID: <question-{n}@example.org>\r\n"
        f"\r\n"
        f"Bonjour, je n'arrive pas a me connecter ({n}).\r\n"
    ).encode() + body


class Intake:
    """Records what it is handed; ``answer`` decides per mail (True, False or raise)."""

    def __init__(self, answer: Callable[[bytes], bool] = lambda raw: True) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self.arrived = asyncio.Event()

    async def __call__(self, raw: bytes) -> bool:
        self.received.append(raw)
        self.arrived.set()
        return self.answer(raw)

    async def wait_for(self, count: int, timeout: float = 8.0) -> None:
        async def enough() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> str:
    """A fresh mailbox of the test user, so that tests sharing the server do not meet."""
    name = f"Support{next(_boxes)}"
    dovecot.create_mailbox(name)
    return name


def imap_settings(dovecot: Dovecot, mailbox: str = "INBOX", **changes: object) -> Settings:
    values: dict[str, object] = {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "imap_username": dovecot.user,
        "imap_password": dovecot.password,
        "imap_mailbox": mailbox,
        "imap_interval_seconds": 0.1,
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def assert_password_never_logged(caplog: pytest.LogCaptureFixture, password: str) -> None:
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for form in (password, password.replace('"', '\\"'), password.replace("\\", "\\\\")):
            assert form not in text, f"password in log record {record.name}: {text!r}"


async def test_hands_each_new_mail_over_once_then_marks_it(
    dovecot: Dovecot, mailbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = [mail(1), mail(2), mail(3)]
    for raw in sent:
        dovecot.append(raw, mailbox)
    intake = Intake()
    poller = ImapPoller(imap_settings(dovecot, mailbox), intake, batch_size=2)
    try:
        assert await poller.poll_once() == 3
        assert intake.received == sent
        assert dovecot.flags(mailbox) == {1: TRIAGED, 2: TRIAGED, 3: TRIAGED}

        assert await poller.poll_once() == 0

        dovecot.append(mail(4), mailbox)
        assert await poller.poll_once() == 1
        assert intake.received[3:] == [mail(4)]
        assert dovecot.flags(mailbox)[4] == TRIAGED
    finally:
        await poller.stop()
    assert_password_never_logged(caplog, dovecot.password)


async def test_mail_intake_did_not_take_comes_again(dovecot: Dovecot, mailbox: str) -> None:
    for n in (1, 2, 3):
        dovecot.append(mail(n), mailbox)

    def refuse_two_crash_on_three(raw: bytes) -> bool:
        if b"Question 3" in raw:
            raise RuntimeError("database is locked")
        return b"Question 2" not in raw

    poller = ImapPoller(imap_settings(dovecot, mailbox), Intake(refuse_two_crash_on_three))
    try:
        assert await poller.poll_once() == 3
    finally:
        await poller.stop()
    assert dovecot.flags(mailbox) == {1: TRIAGED, 2: set(), 3: set()}

    intake = Intake()
    poller = ImapPoller(imap_settings(dovecot, mailbox), intake)
    try:
        assert await poller.poll_once() == 2
    finally:
        await poller.stop()
    assert intake.received == [mail(2), mail(3)]
    assert dovecot.flags(mailbox) == {1: TRIAGED, 2: TRIAGED, 3: TRIAGED}


async def test_a_mail_that_cannot_be_fetched_does_not_stop_the_others(dovecot: Dovecot, mailbox: str) -> None:
    for n in (1, 2, 3):
        dovecot.append(mail(n), mailbox)

    def delete_the_second_meanwhile(raw: bytes) -> bool:
        if b"Question 1" in raw:  # UID 2 is gone between the SEARCH and its FETCH
            dovecot.expunge(2, mailbox)
        return True

    intake = Intake(delete_the_second_meanwhile)
    poller = ImapPoller(imap_settings(dovecot, mailbox), intake)
    try:
        assert await poller.poll_once() == 2
    finally:
        await poller.stop()
    assert intake.received == [mail(1), mail(3)]
    assert dovecot.flags(mailbox) == {1: TRIAGED, 3: TRIAGED}


async def test_a_5_mb_mail_is_fetched_whole(dovecot: Dovecot, mailbox: str) -> None:
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n"
    big = mail(1, body=line * (5 * 1024 * 1024 // len(line) + 1))
    assert len(big) > 5 * 1024 * 1024
    dovecot.append(big, mailbox)
    intake = Intake()
    poller = ImapPoller(imap_settings(dovecot, mailbox), intake)
    try:
        assert await poller.poll_once() == 1
    finally:
        await poller.stop()
    assert intake.received[0] == big


async def test_a_mailbox_without_custom_keywords_falls_back_to_seen(
    dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    user = dovecot.no_keywords_user
    dovecot.append(mail(1), user=user)
    dovecot.append(mail(2), user=user)
    intake = Intake()
    poller = ImapPoller(imap_settings(dovecot, imap_username=user), intake)
    try:
        assert await poller.poll_once() == 2
        assert await poller.poll_once() == 0
    finally:
        await poller.stop()
    assert intake.received == [mail(1), mail(2)]
    assert dovecot.flags(user=user) == {1: {"\\Seen"}, 2: {"\\Seen"}}
    warnings = [r.getMessage() for r in caplog.records if "does not keep custom keywords" in r.getMessage()]
    assert len(warnings) == 1, warnings


async def test_wrong_password_is_a_clear_error_that_never_shows_the_password(
    dovecot: Dovecot, mailbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = 'not "the\\ one'
    poller = ImapPoller(imap_settings(dovecot, mailbox, imap_password=wrong), Intake())
    with pytest.raises(ImapError, match="login refused") as refused:
        await poller.poll_once()
    assert wrong not in str(refused.value)

    poller.start()
    try:
        # Refused again and again, logged each time, and the loop goes on.
        for _ in range(50):
            await asyncio.sleep(0.1)
            if sum("login refused" in r.getMessage() for r in caplog.records) >= 2:
                break
        assert sum("login refused" in r.getMessage() for r in caplog.records) >= 2
        assert poller.running
    finally:
        await poller.stop()
    assert_password_never_logged(caplog, wrong)


async def test_the_loop_recovers_when_the_server_comes_back(
    dovecot: Dovecot, mailbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot.append(mail(1), mailbox)
    intake = Intake()
    poller = ImapPoller(imap_settings(dovecot, mailbox), intake, timeout=3.0)
    poller.start()
    try:
        await intake.wait_for(1)
        await asyncio.to_thread(dovecot.stop)
        for _ in range(50):
            await asyncio.sleep(0.1)
            if any(r.levelno == logging.WARNING and "IMAP" in r.getMessage() for r in caplog.records):
                break
        else:
            pytest.fail("the poller logged nothing while the server was down")
        dovecot.start()  # from this thread: Dovecot lives as long as its starting thread
        await asyncio.to_thread(dovecot.append, mail(2), mailbox)
        await intake.wait_for(2)
    finally:
        await poller.stop()
        if not dovecot.running:
            dovecot.start()
    assert intake.received == [mail(1), mail(2)]


async def test_stop_ends_the_loop_whatever_it_is_doing(dovecot: Dovecot, mailbox: str) -> None:
    dovecot.append(mail(1), mailbox)
    settings = imap_settings(dovecot, mailbox, imap_interval_seconds=0.001)
    for _ in range(40):  # stop lands in the connect, the login, a command or the sleep
        poller = ImapPoller(settings, Intake(lambda raw: False))
        poller.start()
        await asyncio.sleep(random.uniform(0, 0.03))
        await asyncio.wait_for(poller.stop(), 5)
        assert not poller.running


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_and_starttls(dovecot: Dovecot, mailbox: str, security: str) -> None:
    dovecot.append(mail(1), mailbox)
    port = dovecot.tls_port if security == "tls" else dovecot.port
    intake = Intake()
    poller = ImapPoller(
        imap_settings(dovecot, mailbox, imap_security=security, imap_port=port),
        intake,
        ssl_context=dovecot.client_ssl_context(),
    )
    try:
        assert await poller.poll_once() == 1
    finally:
        await poller.stop()
    assert intake.received == [mail(1)]


async def test_an_untrusted_certificate_is_refused(dovecot: Dovecot, mailbox: str) -> None:
    poller = ImapPoller(
        imap_settings(dovecot, mailbox, imap_security="tls", imap_port=dovecot.tls_port), Intake()
    )
    with pytest.raises(ImapError, match="CERTIFICATE_VERIFY_FAILED"):
        await poller.poll_once()
    await poller.stop()


async def test_a_server_that_never_answers_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts the connection, never greets
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(imap_host="127.0.0.1", imap_port=port, imap_security="none", imap_username="x")
    poller = ImapPoller(settings, Intake(), timeout=0.3)
    try:
        with pytest.raises(ImapError, match="no answer within 0.3 s"):
            await poller.poll_once()
    finally:
        await poller.stop()
        server.close()
        await server.wait_closed()
