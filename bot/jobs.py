"""Leased jobs and the loops that work through them: one leasing rule for every queue.

Usage::

    jobs = LeasedJobs(sessions, OutboxMail, waiting="pending", clock=clock)
    job = await jobs.claim(dt.timedelta(minutes=5))  # the oldest job due, or None
    await jobs.complete(job, status="sent")          # False: the lease was lost meanwhile
    await jobs.retry(job, backoff(job.attempts, 5, 300), "SMTPServerDisconnected")

    worker = Worker("outbox-worker", step, idle_seconds=2.0, wakeup=outbox.wakeup)
    worker.start()      # runs ``step`` while it finds work, then waits to be woken or polls
    worker.wake()
    await worker.stop()

    lease = Lease(sessions, "imap-poller", dt.timedelta(minutes=5))
    if await lease.hold():  # one hub at a time does the task; another takes over if it dies
        ...

The rule. A job row has ``status``, ``attempts``, ``next_attempt_at``, ``claim`` and
``claimed_until``. It is *due* when its status is the waiting one, ``next_attempt_at`` has
come, and no live lease holds it (``claimed_until`` empty or past). A claim is one UPDATE
whose WHERE repeats "due", so it is taken once however many workers try: SQLite runs one
writer at a time; on PostgreSQL the inner SELECT takes ``FOR UPDATE SKIP LOCKED``, so
concurrent workers pick different rows instead of queueing behind one. The claim stores a
fresh random token, ``claimed_until = now + lease`` and counts an attempt. Completing or
retrying only touches the row while it still carries the caller's token: a worker whose
lease ran out, and whose job another worker took over, changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.lease_models import LeaseRow

__all__ = ["Lease", "LeasedJobs", "Worker", "backoff"]

log = logging.getLogger(__name__)

Job = TypeVar("Job")


def backoff(attempts: int, initial_seconds: float, max_seconds: float) -> dt.timedelta:
    """The delay before attempt ``attempts + 1``: doubling from ``initial_seconds``, capped."""
    return dt.timedelta(seconds=min(max_seconds, initial_seconds * 2 ** min(max(0, attempts - 1), 30)))


class LeasedJobs(Generic[Job]):
    """Claims, completes and retries the rows of one job table (see the module's rule)."""

    def __init__(
        self, sessions: sessionmaker, table: type[Job], *, waiting: str, clock: Clock = system_clock
    ) -> None:
        self._sessions = sessions
        self._table: Any = table
        self._waiting = waiting
        self._clock = clock

    def _due(self, now: dt.datetime) -> tuple[Any, ...]:
        t = self._table
        return (
            t.status == self._waiting,
            t.next_attempt_at <= now,
            or_(t.claimed_until.is_(None), t.claimed_until < now),
        )

    async def claim(self, lease: dt.timedelta) -> Job | None:
        """The job due longest, now held by the caller until ``lease`` ends; None if none is due."""
        t, now, token = self._table, self._clock(), secrets.token_hex(8)
        due = self._due(now)
        oldest = (
            select(t.id)
            .where(*due)
            .order_by(t.next_attempt_at, t.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite leaves it out
            .scalar_subquery()
        )
        async with self._sessions() as session, session.begin():
            taken = await session.execute(
                update(t)
                .where(t.id == oldest, *due)
                .values(claim=token, claimed_until=now + lease, attempts=t.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                return None
            job: Job | None = await session.scalar(
                select(t).where(t.claim == token).execution_options(populate_existing=True)
            )
            return job

    async def complete(self, job: Job, **values: Any) -> bool:
        """Record the job's outcome (a final ``status`` among ``values``); False if the lease was lost."""
        return await self._release(job, **values)

    async def retry(self, job: Job, delay: dt.timedelta, error: str) -> bool:
        """Give the job back, due again after ``delay``; False if the lease was lost."""
        return await self._release(job, next_attempt_at=self._clock() + delay, last_error=error[:255])

    async def _release(self, job: Job, **values: Any) -> bool:
        t, held = self._table, job
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(t)
                .where(t.id == held.id, t.claim == held.claim)  # type: ignore[attr-defined]
                .values(claim=None, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            return bool(done.rowcount == 1)


class Lease:
    """A task one hub at a time does (polling the support mailbox), taken over when its holder dies.

    ``await lease.hold()`` before each round of the task: True while this process holds
    the lease (and renews it for ``duration``), False while another live hub does. One
    UPDATE (or the first INSERT) decides, so two hubs asking at once never both get True.
    The duration must outlast one round of the task, or two hubs may overlap.
    """

    def __init__(
        self, sessions: sessionmaker, name: str, duration: dt.timedelta, *, clock: Clock = system_clock
    ) -> None:
        self._sessions = sessions
        self.name = name
        self.holder = secrets.token_hex(8)
        self._duration = duration
        self._clock = clock

    async def hold(self) -> bool:
        now = self._clock()
        held_until = now + self._duration
        async with self._sessions() as session, session.begin():
            taken = await session.execute(
                update(LeaseRow)
                .where(
                    LeaseRow.name == self.name,
                    or_(LeaseRow.holder == self.holder, LeaseRow.held_until < now),
                )
                .values(holder=self.holder, held_until=held_until)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                return True
        try:
            async with self._sessions() as session, session.begin():
                session.add(LeaseRow(name=self.name, holder=self.holder, held_until=held_until))
        except IntegrityError:
            return False  # another hub holds it (or just created it)
        return True

    async def release(self) -> None:
        """Let another hub take over at once (a clean stop)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                .values(held_until=self._clock() - dt.timedelta(seconds=1))
                .execution_options(synchronize_session=False)
            )


Step = Callable[[], Awaitable[bool]]


class Worker:
    """One background task that runs ``step`` until it reports no work, then waits.

    ``step`` returns True when it did something (it runs again at once) and False when
    nothing was due; the worker then sleeps ``idle_seconds`` or until :meth:`wake` (or the
    ``wakeup`` event shared with the queue's writers). A step that raises is logged and the
    loop goes on after ``retry_delay(failures)`` seconds (default: ``idle_seconds``);
    exceptions in ``expected`` are logged as one warning line, others with their traceback.
    :meth:`stop` lets a running step finish within ``drain_seconds``, then cancels it.
    """

    def __init__(
        self,
        name: str,
        step: Step,
        *,
        idle_seconds: float,
        wakeup: asyncio.Event | None = None,
        retry_delay: Callable[[int], float] | None = None,
        expected: tuple[type[Exception], ...] = (),
        drain_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self._step = step
        self._idle = max(idle_seconds, 0.01)
        self.wakeup = wakeup if wakeup is not None else asyncio.Event()
        self._retry_delay = retry_delay or (lambda _failures: self._idle)
        self._expected = expected
        self._drain = drain_seconds
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self.wakeup.set()

    async def stop(self) -> None:
        """Let the step under way finish (up to ``drain_seconds``), then end the task."""
        self._stopping = True
        self.wakeup.set()
        task, self._task = self._task, None
        if task is None:
            return
        if self._drain > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), self._drain)
        # Python 3.10's asyncio.wait_for (which libraries wrap around their I/O) can swallow
        # a cancellation that lands as the awaited call completes (CPython bpo-42130): cancel
        # until the task is really done.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s had crashed", self.name, exc_info=task.exception())

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            # Cleared before looking, so work queued while we look still wakes us.
            self.wakeup.clear()
            try:
                worked = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or a server went away: keep the loop alive
                failures += 1
                delay = self._retry_delay(failures)
                if isinstance(exc, self._expected):
                    log.warning("%s: %s (next attempt in %.1f s)", self.name, exc, delay)
                else:
                    log.exception("%s: unexpected error (next attempt in %.1f s)", self.name, delay)
            else:
                if failures:
                    log.info("%s: working again after %d failed attempt(s)", self.name, failures)
                failures = 0
                if worked:
                    continue
                delay = self._idle
            if self._stopping:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), delay)
