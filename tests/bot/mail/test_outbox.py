"""The outbox and its worker: each mail once, even with two workers or a flaky server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, session_factory
from bot.mail.messages import build_message
from bot.mail.outbox import Outbox
from bot.mail.worker import OutboxWorker, SmtpSender
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock, fast_mail
from tests.bot.smtp_server import SmtpRecorder
from tools.stack import free_port

pytestmark = pytest.mark.asyncio


async def note(params: Mapping[str, Any]) -> EmailMessage | None:
    """A composer: one short message per row, none when asked to skip."""
    if params.get("skip"):
        return None
    return build_message(
        sender="GEM-BOOKS <soutien@gem-books.com>",
        to=f"person{params['n']}@example.com",
        subject=f"note {params['n']}",
        text="bonjour",
        html="<p>bonjour</p>",
        now=dt.datetime.now(dt.timezone.utc),
    )


def worker_for(
    engine: AsyncEngine, settings: Settings, clock: MovableClock | None = None
) -> tuple[Outbox, OutboxWorker]:
    clock = clock or MovableClock()
    outbox = Outbox(session_factory(engine), clock)
    return outbox, OutboxWorker(outbox, {"note": note}, SmtpSender(settings), settings, clock)


async def drain(worker: OutboxWorker) -> int:
    sent = 0
    while await worker.process_one():
        sent += 1
    return sent


async def test_the_same_key_is_queued_once(engine: AsyncEngine) -> None:
    outbox = Outbox(session_factory(engine))
    assert await outbox.enqueue("k", "note", {"n": 1}) is True
    assert await outbox.enqueue("k", "note", {"n": 1}) is False
    assert await outbox.counts() == {"pending": 1}


async def test_long_keys_are_queued_once_too(engine: AsyncEngine) -> None:
    # Keys as the triage and the handoffs build them: longer than the 64-character column,
    # which PostgreSQL (unlike SQLite) enforces.
    outbox = Outbox(session_factory(engine))
    triage_key = "triage:" + "7070a620cf297fa778171a98d3624dd22bd011ad67b39e9fefe25289158d3761"
    contact_key = "handoff:12:contact:" + "marie-eve.tremblay-gagnon@" + "exemple." * 10 + "ca"
    for key in (triage_key, contact_key):
        assert await outbox.enqueue(key, "note", {"n": 1}) is True
        assert await outbox.enqueue(key, "note", {"n": 1}) is False
    assert await outbox.enqueue(triage_key[:-1] + "0", "note", {"n": 2}) is True
    assert await outbox.counts() == {"pending": 3}


async def test_two_workers_send_every_mail_exactly_once(
    settings: Settings, engine: AsyncEngine, smtp: SmtpRecorder
) -> None:
    configured = fast_mail(settings, smtp.port)
    second_engine = create_engine(configured)  # another process's connection pool
    try:
        outbox, first = worker_for(engine, configured)
        _, second = worker_for(second_engine, configured)
        for n in range(12):
            await outbox.enqueue(f"k{n}", "note", {"n": n})
        await asyncio.gather(drain(first), drain(second))
    finally:
        await second_engine.dispose()
    assert sorted(str(m["Subject"]) for m in smtp.messages) == sorted(f"note {n}" for n in range(12))
    assert await outbox.counts() == {"sent": 12}


async def test_nothing_to_send_is_skipped_and_the_parameters_are_forgotten(
    settings: Settings, engine: AsyncEngine, smtp: SmtpRecorder
) -> None:
    from sqlalchemy import select

    from bot.db.mail_models import OutboxMail

    outbox, worker = worker_for(engine, fast_mail(settings, smtp.port))
    await outbox.enqueue("a", "note", {"n": 1, "skip": True})
    await outbox.enqueue("b", "note", {"n": 2})
    await drain(worker)
    assert await outbox.counts() == {"sent": 1, "skipped": 1}
    async with session_factory(engine)() as session:
        rows = (await session.scalars(select(OutboxMail).order_by(OutboxMail.id))).all()
    assert [row.params for row in rows] == [{}, {}]
    assert rows[1].recipient_hint == "p***@example.com"
    assert rows[1].message_id == smtp.messages[0]["Message-ID"]


async def test_a_server_that_is_down_delays_the_mail_and_loses_nothing(
    settings: Settings, engine: AsyncEngine
) -> None:
    port = free_port()  # nothing listens there yet
    outbox, worker = worker_for(engine, fast_mail(settings, port))
    await outbox.enqueue("k", "note", {"n": 1})
    worker.start()
    try:
        await asyncio.sleep(1.0)  # a few failed attempts
        assert await outbox.counts() == {"pending": 1}
        async with SmtpRecorder(port) as smtp:
            [mail] = await smtp.wait_for(1)
            await asyncio.sleep(1.0)  # time enough for a wrong second delivery
            assert len(smtp.messages) == 1
    finally:
        await worker.stop()
    assert str(mail["Subject"]) == "note 1"
    assert await outbox.counts() == {"sent": 1}


async def test_a_server_that_hangs_times_out_and_the_mail_is_retried(
    settings: Settings, engine: AsyncEngine
) -> None:
    port = free_port()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(60)  # accepts the connection, never says hello

    hanging = await asyncio.start_server(silent, "127.0.0.1", port)
    outbox, worker = worker_for(engine, fast_mail(settings, port, smtp_timeout_seconds=0.3))
    await outbox.enqueue("k", "note", {"n": 1})
    worker.start()
    try:
        await asyncio.sleep(1.0)
        assert await outbox.counts() == {"pending": 1}
        hanging.close()
        await hanging.wait_closed()
        async with SmtpRecorder(port) as smtp:
            await smtp.wait_for(1)
            await asyncio.sleep(0.8)
            assert len(smtp.messages) == 1
    finally:
        await worker.stop()


async def test_a_worker_that_died_mid_send_loses_its_claim_after_the_lease(
    settings: Settings, engine: AsyncEngine, smtp: SmtpRecorder, clock: MovableClock
) -> None:
    outbox, worker = worker_for(engine, fast_mail(settings, smtp.port), clock)
    await outbox.enqueue("k", "note", {"n": 1})
    assert await outbox.claim(dt.timedelta(minutes=5)) is not None  # this worker then "dies"
    assert await worker.process_one() is False  # held: nobody else may send it
    clock.advance(minutes=6)
    assert await worker.process_one() is True
    assert len(smtp.messages) == 1


async def test_stopping_waits_for_the_mail_being_sent(
    settings: Settings, engine: AsyncEngine, smtp: SmtpRecorder
) -> None:
    outbox, worker = worker_for(
        engine, dataclasses.replace(fast_mail(settings, smtp.port), outbox_poll_seconds=5)
    )
    worker.start()
    await outbox.enqueue("k", "note", {"n": 1})  # wakes the worker at once, not after 5 s
    await smtp.wait_for(1, timeout=3)
    await worker.stop()
    assert await outbox.counts() == {"sent": 1}
