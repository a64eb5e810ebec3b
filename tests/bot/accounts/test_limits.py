"""Rate limits in the database: shared between processes, sliding, honest Retry-After."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, session_factory
from bot.db.transactions import Transactions
from bot.limits.database import Rule, SharedRateLimits
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock

pytestmark = pytest.mark.asyncio

HOUR = 3600.0

LimitsOn = Callable[[AsyncEngine], SharedRateLimits]


@pytest_asyncio.fixture(params=["async session", "hub transactions"])
async def limits_on(
    request: pytest.FixtureRequest, settings: Settings, clock: MovableClock
) -> AsyncIterator[LimitsOn]:
    """Limits on an engine, as command-line tools build them (async sessions) or as the hub
    does (its ``Transactions``: a thread of its own on a SQLite file)."""
    opened: list[Transactions] = []

    def on(engine: AsyncEngine) -> SharedRateLimits:
        transactions = None
        if request.param == "hub transactions":
            transactions = Transactions.for_engine(engine, settings)
            opened.append(transactions)
        return SharedRateLimits(session_factory(engine), clock, transactions)

    yield on
    for transactions in opened:
        await transactions.close()


async def test_two_processes_share_one_budget(
    settings: Settings, engine: AsyncEngine, limits_on: LimitsOn
) -> None:
    # Two engines on one file: as two hub processes would be.
    other_engine = create_engine(settings)
    try:
        first = limits_on(engine)
        second = limits_on(other_engine)
        rule = [Rule("email", "marie@example.com", limit=3, window=HOUR)]
        answers = [await limits.hit(rule) for limits in (first, second, first, second)]
    finally:
        await other_engine.dispose()
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 3590 < answers[3] <= HOUR


async def test_hubs_racing_for_the_last_slots_get_exactly_the_limit(
    settings: Settings, engine: AsyncEngine, limits_on: LimitsOn
) -> None:
    # Twenty requests at the same moment through four hubs' pools: three get through.
    engines = [engine] + [create_engine(settings) for _ in range(3)]
    try:
        hubs = [limits_on(e) for e in engines]
        rules = [Rule("email", "marie@example.com", limit=3, window=HOUR), Rule("origin", "c1", 50, HOUR)]
        answers = await asyncio.gather(*(hubs[n % 4].hit(rules) for n in range(20)))
    finally:
        for other in engines[1:]:
            await other.dispose()
    assert answers.count(None) == 3, answers


async def test_the_window_slides_and_refusals_do_not_count(
    engine: AsyncEngine, clock: MovableClock, limits_on: LimitsOn
) -> None:
    limits = limits_on(engine)
    rule = [Rule("conversation", "c1", limit=2, window=HOUR)]
    assert await limits.hit(rule) is None
    clock.advance(minutes=20)
    assert await limits.hit(rule) is None
    clock.advance(minutes=20)
    wait = await limits.hit(rule)
    assert wait is not None and abs(wait - 20 * 60) < 2  # the first hit leaves in 20 minutes
    for _ in range(5):
        await limits.hit(rule)  # refused again and again: must not push the wait further
    clock.advance(minutes=20, seconds=1)
    assert await limits.hit(rule) is None


async def test_one_exhausted_rule_refuses_without_counting_the_others(
    engine: AsyncEngine, limits_on: LimitsOn
) -> None:
    limits = limits_on(engine)
    account = Rule("account", "jt01", limit=1, window=HOUR)
    email = Rule("email", "julie@example.com", limit=2, window=HOUR)
    assert await limits.hit([account, email]) is None
    assert await limits.hit([account, email]) is not None
    # The email rule saw only one counted hit, so it still has room for one.
    assert await limits.hit([Rule("account", "other", 1, HOUR), email]) is None


async def test_keys_are_hashed(engine: AsyncEngine, clock: MovableClock) -> None:
    from sqlalchemy import text

    limits = SharedRateLimits(session_factory(engine), clock)
    await limits.hit([Rule("email", "marie@example.com", limit=3, window=HOUR)])
    async with engine.connect() as connection:
        keys = (await connection.execute(text("SELECT key FROM rate_limit_hits"))).scalars().all()
    assert len(keys) == 1 and "marie" not in keys[0] and len(keys[0]) == 64
