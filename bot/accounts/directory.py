"""The built-in account directory: create, list, look up and authenticate accounts.

Usage::

    directory = AccountDirectory(sessions, clock)
    account = await directory.create("JTremblay", "julie@exemple.ca", "Julie", "fr", "motdepasse1")
    await directory.authenticate("jtremblay", "motdepasse1")   # -> Account
    await directory.match("JTREMBLAY", "Julie@Exemple.ca")      # -> Account (case-insensitive)

Each public method is one unit of work. Returned accounts are detached snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.accounts.identifiers import is_valid_user_code, user_code_key
from bot.clock import Clock, system_clock
from bot.db.account_models import Account
from bot.mail.addresses import is_valid_email, normalize_email
from bot.passwords import MIN_PASSWORD_CHARS, hash_password, password_problem, verify_password

__all__ = ["AccountDirectory", "AccountError"]


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why, for a person."""


class AccountDirectory:
    """Accounts in the hub's database."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(
        self,
        user_code: str,
        email: str,
        display_name: str,
        language: str,
        password: str | None = None,
    ) -> Account:
        """A new account; raises :class:`AccountError` on bad input or a taken user code."""
        user_code, email, display_name = user_code.strip(), normalize_email(email), display_name.strip()
        if not is_valid_user_code(user_code):
            raise AccountError(
                f"invalid user code {user_code!r}: 3 to 30 letters, digits, dots, underscores or dashes"
            )
        if not is_valid_email(email):
            raise AccountError(f"invalid email address {email!r}")
        if not display_name or len(display_name) > 120:
            raise AccountError("the name must be 1 to 120 characters")
        if language not in ("fr", "en"):
            raise AccountError(f"invalid language {language!r}: fr or en")
        password_hash = None
        if password is not None:
            if password_problem(password, password) is not None:
                raise AccountError(f"the password must be at least {MIN_PASSWORD_CHARS} characters")
            password_hash = await hash_password(password)
        now = self._clock()
        account = Account(
            user_code=user_code,
            user_code_key=user_code_key(user_code),
            email=email,
            display_name=display_name,
            language=language,
            password_hash=password_hash,
            created_at=now,
            password_changed_at=now if password_hash else None,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(account)
        except IntegrityError:
            raise AccountError(f"the user code {user_code!r} is already taken") from None
        return account

    async def all(self) -> Sequence[Account]:
        """Every account, oldest first."""
        async with self._sessions() as session:
            return (await session.scalars(select(Account).order_by(Account.id))).all()

    async def count(self) -> int:
        return len(await self.all())

    async def match(self, user_code: str, email: str) -> Account | None:
        """The account with this user code *and* this address, if there is one."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Account).where(
                    Account.user_code_key == user_code_key(user_code),
                    Account.email == normalize_email(email),
                )
            )

    async def with_email(self, email: str) -> Sequence[Account]:
        """Every account that uses this address (a reminder lists all their user codes)."""
        async with self._sessions() as session:
            query = select(Account).where(Account.email == normalize_email(email)).order_by(Account.id)
            return (await session.scalars(query)).all()

    async def authenticate(self, identifier: str, password: str) -> Account | None:
        """The account that ``identifier`` (user code or email) and ``password`` open, or None.

        Takes one password verification's time whether or not the identifier exists.
        """
        identifier = identifier.strip()
        if "@" in identifier:
            candidates = list(await self.with_email(identifier))
        else:
            async with self._sessions() as session:
                found = await session.scalar(
                    select(Account).where(Account.user_code_key == user_code_key(identifier))
                )
            candidates = [found] if found else []
        if not candidates:
            await verify_password(None, password)
            return None
        for account in candidates:
            if await verify_password(account.password_hash, password):
                return account
        return None
