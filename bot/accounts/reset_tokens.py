"""Password-reset tokens: issued for one account, stored hashed, single use, short-lived.

Usage::

    tokens = ResetTokens(sessions, lifetime=dt.timedelta(minutes=30), clock=clock)
    token = await tokens.issue(account.id)          # goes into the link, never stored
    account = await tokens.account_for(token)       # the reset page: is the link alive?
    account = await tokens.redeem(token, "nouveau mot de passe")   # sets it, kills the link

What docs/SECURITY.md asks: 256 random bits from ``secrets`` (more than the 128 required),
only the SHA-256 hash in the database (a leaked table opens no account), bound to one
account, spent on use, expired after the lifetime, and a new token kills the older ones.
A plain SHA-256 suffices (no Argon2) because the token itself has full entropy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.account_models import Account, ResetToken
from bot.passwords import hash_password

__all__ = ["ResetTokens", "token_hash"]

# token_urlsafe(32) is 43 characters; anything much longer is not ours.
_MAX_TOKEN_CHARS = 64


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ResetTokens:
    """Issues and redeems reset tokens."""

    def __init__(self, sessions: sessionmaker, lifetime: dt.timedelta, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self.lifetime = lifetime
        self._clock = clock

    async def issue(self, account_id: int) -> str:
        """A fresh token for ``account_id``; every older live token of the account dies."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await _spend_all(session, account_id, now)
            session.add(
                ResetToken(
                    account_id=account_id,
                    token_hash=token_hash(token),
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return token

    async def account_for(self, token: str) -> Account | None:
        """The account a live token belongs to; None if unknown, used, replaced or expired."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return None
        async with self._sessions() as session:
            live = await self._live(session, token, self._clock())
            return None if live is None else await session.get(Account, live.account_id)

    async def redeem(self, token: str, new_password: str) -> Account | None:
        """Set the account's password and spend the token, or None if the token is not live.

        The token is spent by a conditional UPDATE, so two submissions of the same form
        racing each other cannot both succeed.
        """
        if await self.account_for(token) is None:
            return None
        encoded = await hash_password(new_password)  # slow: outside the transaction
        now = self._clock()
        async with self._sessions() as session, session.begin():
            live = await self._live(session, token, now)
            if live is None:
                return None
            spent = await session.execute(
                update(ResetToken)
                .where(ResetToken.id == live.id, ResetToken.spent_at.is_(None))
                .values(spent_at=now)
            )
            if spent.rowcount != 1:
                return None
            await _spend_all(session, live.account_id, now)
            await session.execute(
                update(Account)
                .where(Account.id == live.account_id)
                .values(password_hash=encoded, password_changed_at=now)
            )
            return await session.get(Account, live.account_id, populate_existing=True)

    @staticmethod
    async def _live(session: AsyncSession, token: str, now: dt.datetime) -> ResetToken | None:
        return await session.scalar(
            select(ResetToken).where(
                ResetToken.token_hash == token_hash(token),
                ResetToken.spent_at.is_(None),
                ResetToken.expires_at > now,
            )
        )


async def _spend_all(session: AsyncSession, account_id: int, now: dt.datetime) -> None:
    await session.execute(
        update(ResetToken)
        .where(ResetToken.account_id == account_id, ResetToken.spent_at.is_(None))
        .values(spent_at=now)
    )
