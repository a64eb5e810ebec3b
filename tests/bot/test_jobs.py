"""The one leasing rule (bot.jobs) on both job tables, and the worker loop every queue uses."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.jobs import Lease, Worker, backoff
from bot.mail.outbox import Outbox
from bot.settings import Settings
from bot.triage.parse import parse_mail
from bot.triage.store import TriageStore
from tests.bot.accounts.conftest import MovableClock

pytestmark = pytest.mark.asyncio

LEASE = dt.timedelta(minutes=5)


def raw_mail(n: int) -> bytes:
    return (
        f"From: person{n}@exemple.ca\r\nTo: soutien@gem-books.com\r\nSubject: aide {n}\r\n"
        f"Message-ID: <m{n}@exemple.ca>\r\n\r\nJe n'arrive plus a me connecter.\r\n"
    ).encode()


async def receive(store: TriageStore, n: int) -> None:
    raw = raw_mail(n)
    await store.receive(parse_mail(raw, max_bytes=1_000_000), raw, source="smtp", envelope_from=None)


@pytest.mark.database_backends("sqlite", "postgresql")
async def test_several_workers_on_one_database_claim_each_job_once(settings: Settings) -> None:
    # Four engines: four pools of connections, as four hub processes would have.
    engines = [create_engine(settings) for _ in range(4)]
    await upgrade_to_head(engines[0])
    try:
        outboxes = [Outbox(session_factory(engine)) for engine in engines]
        stores = [TriageStore(session_factory(engine)) for engine in engines]
        for n in range(40):
            await outboxes[0].enqueue(f"k{n}", "note", {"n": n})
            await receive(stores[0], n)

        async def drain(claim: object) -> list[int]:
            taken = []
            while (job := await claim(LEASE)) is not None:  # type: ignore[operator]
                taken.append(job.id)
                await asyncio.sleep(0)
            return taken

        for claims in ([o.claim for o in outboxes], [s.claim for s in stores]):
            results = await asyncio.gather(*(drain(claim) for claim in claims * 2))
            taken = [job_id for result in results for job_id in result]
            assert len(taken) == 40 and len(set(taken)) == 40  # every job, each once
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_named_lease_has_one_holder_and_passes_on_when_it_ends_or_is_released(
    engine: AsyncEngine,
) -> None:
    clock = MovableClock()
    # Two hubs (two pools) want to poll the same mailbox, and ask at the same moment.
    other_engine = create_engine(Settings(database_url=str(engine.url.render_as_string(hide_password=False))))
    try:
        first, second = (
            Lease(session_factory(e), "imap-poller", dt.timedelta(minutes=10), clock=clock)
            for e in (engine, other_engine)
        )
        held = await asyncio.gather(first.hold(), second.hold())
        assert sorted(held) == [False, True]
        holder, waiter = (first, second) if held[0] else (second, first)
        clock.advance(minutes=9)
        assert await holder.hold() and not await waiter.hold()  # renewed: ten more minutes
        clock.advance(minutes=11)  # the holder died without a word
        assert await waiter.hold() and not await holder.hold()
        await waiter.release()  # a clean stop: the other takes over at once
        assert await holder.hold()
        assert not await Lease(session_factory(engine), "imap-poller", LEASE, clock=clock).hold()
        assert await Lease(session_factory(engine), "another-task", LEASE, clock=clock).hold()
    finally:
        await other_engine.dispose()


async def test_a_triage_worker_whose_lease_ran_out_cannot_give_back_a_mail_taken_over(
    engine: AsyncEngine,
) -> None:
    clock = MovableClock()
    store = TriageStore(session_factory(engine), clock)
    await receive(store, 1)
    first = await store.claim(LEASE)
    assert first is not None and await store.claim(LEASE) is None  # held: nobody else takes it
    clock.advance(minutes=6)
    second = await store.claim(LEASE)
    assert second is not None and second.id == first.id and second.attempts == 2
    # The first worker wakes up late: its retry changes nothing, the second one's holds.
    assert await store.retry_later(first, "late", dt.timedelta(seconds=30)) is False
    assert await store.retry_later(second, "Rasa down", dt.timedelta(seconds=30)) is True
    assert await store.claim(LEASE) is None  # not due yet
    clock.advance(seconds=31)
    assert (await store.claim(LEASE)) is not None


async def test_outbox_and_triage_follow_the_same_rule(engine: AsyncEngine) -> None:
    clock = MovableClock()
    outbox, store = Outbox(session_factory(engine), clock), TriageStore(session_factory(engine), clock)
    await outbox.enqueue("k", "note", {"n": 1})
    await receive(store, 1)
    for claim in (outbox.claim, store.claim):
        job = await claim(LEASE)
        assert job is not None and job.claim and job.claimed_until is not None and job.attempts == 1
        assert await claim(LEASE) is None
        clock.advance(minutes=6)
        assert (await claim(LEASE)).attempts == 2  # type: ignore[union-attr]
        clock.advance(minutes=-6)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 5, 60).total_seconds() for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]
    assert backoff(0, 5, 60).total_seconds() == 5


async def test_a_worker_runs_while_there_is_work_wakes_at_once_and_survives_errors() -> None:
    queue = [1, 2, 3]
    done: list[int] = []
    calls = 0

    async def step() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database went away")
        if not queue:
            return False
        done.append(queue.pop(0))
        return True

    worker = Worker("test-worker", step, idle_seconds=60, retry_delay=lambda _failures: 0.01)
    worker.start()
    try:
        for _ in range(100):
            if done == [1, 2, 3]:
                break
            await asyncio.sleep(0.01)
        assert done == [1, 2, 3]  # after the error, drained without waiting the idle minute
        queue.append(4)
        worker.wake()
        for _ in range(100):
            if done[-1] == 4:
                break
            await asyncio.sleep(0.01)
        assert done == [1, 2, 3, 4]
        assert worker.running
    finally:
        await asyncio.wait_for(worker.stop(), 5)
    assert not worker.running


async def test_stop_lets_the_step_under_way_finish_within_the_drain_time() -> None:
    finished = asyncio.Event()

    async def slow_step() -> bool:
        await asyncio.sleep(0.2)
        finished.set()
        return False

    worker = Worker("drain-worker", slow_step, idle_seconds=60, drain_seconds=5)
    worker.start()
    await asyncio.sleep(0.05)
    await worker.stop()
    assert finished.is_set()
