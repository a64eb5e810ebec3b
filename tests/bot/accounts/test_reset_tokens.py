"""Reset tokens: long, stored hashed, single use, short-lived, replaced by newer ones."""

from __future__ import annotations

import datetime as dt

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts.directory import AccountDirectory
from bot.accounts.reset_tokens import ResetTokens, token_hash
from bot.db.account_models import Account, ResetToken
from bot.db.engine import session_factory
from bot.passwords import verify_password
from tests.bot.accounts.conftest import MovableClock

pytestmark = pytest.mark.asyncio


@pytest.fixture
def sessions(engine: AsyncEngine) -> object:
    return session_factory(engine)  # the shared engine fixture: SQLite and PostgreSQL


@pytest_asyncio.fixture
async def account(sessions: object) -> Account:
    return await AccountDirectory(sessions).create(
        "JT01", "julie@example.com", "Julie", "fr", "ancien mot de passe"
    )  # type: ignore[arg-type]


def tokens_for(sessions: object, clock: MovableClock) -> ResetTokens:
    return ResetTokens(sessions, dt.timedelta(minutes=30), clock)  # type: ignore[arg-type]


async def test_a_token_has_256_bits_and_only_its_hash_is_stored(
    sessions: object, account: Account, clock: MovableClock
) -> None:
    token = await tokens_for(sessions, clock).issue(account.id)
    assert len(token) == 43  # token_urlsafe(32)
    async with sessions() as session:  # type: ignore[operator]
        stored = (await session.scalars(select(ResetToken))).all()
    assert [row.token_hash for row in stored] == [token_hash(token)]
    assert token not in repr([vars(row) for row in stored])


async def test_a_token_works_once(sessions: object, account: Account, clock: MovableClock) -> None:
    tokens = tokens_for(sessions, clock)
    token = await tokens.issue(account.id)
    assert (await tokens.account_for(token)).id == account.id  # type: ignore[union-attr]
    changed = await tokens.redeem(token, "nouveau mot de passe")
    assert changed is not None and await verify_password(changed.password_hash, "nouveau mot de passe")
    assert await tokens.account_for(token) is None
    assert await tokens.redeem(token, "encore un autre mot") is None


async def test_a_token_expires_after_its_lifetime(
    sessions: object, account: Account, clock: MovableClock
) -> None:
    tokens = tokens_for(sessions, clock)
    token = await tokens.issue(account.id)
    clock.advance(minutes=29, seconds=59)
    assert await tokens.account_for(token) is not None
    clock.advance(seconds=1)
    assert await tokens.account_for(token) is None
    assert await tokens.redeem(token, "nouveau mot de passe") is None


async def test_a_new_token_kills_the_old_one(sessions: object, account: Account, clock: MovableClock) -> None:
    tokens = tokens_for(sessions, clock)
    old = await tokens.issue(account.id)
    new = await tokens.issue(account.id)
    assert await tokens.account_for(old) is None
    assert await tokens.account_for(new) is not None


async def test_a_token_is_bound_to_its_account(
    sessions: object, account: Account, clock: MovableClock
) -> None:
    other = await AccountDirectory(sessions).create("BOB01", "bob@example.com", "Bob", "en")  # type: ignore[arg-type]
    tokens = tokens_for(sessions, clock)
    token = await tokens.issue(other.id)
    changed = await tokens.redeem(token, "le mot de passe de bob")
    assert changed is not None and changed.id == other.id
    directory = AccountDirectory(sessions)  # type: ignore[arg-type]
    assert await directory.authenticate("JT01", "ancien mot de passe") is not None
