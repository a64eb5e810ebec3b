"""Agent accounts and their console sessions.

Usage::

    agents = AgentDirectory(sessions, clock, idle=dt.timedelta(minutes=30))
    await agents.create("ana@gem-books.com", "Ana", "a long password")
    agent = await agents.authenticate(email, password)      # None if wrong (same timing)
    session_id, csrf = await agents.start_session(agent.id) # a new id at every login
    found = await agents.session(session_id)                # None when unknown or idle too long
    await agents.expires_at(session_id)                     # when it ends unless used; no touch
    await agents.live_session_keys({session_key(session_id)})  # which are still signed in

Session ids are 256-bit secrets; the table keeps only their SHA-256, so a leaked database
does not sign anyone in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Collection

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.handoff_models import Agent, AgentSession
from bot.mail.addresses import is_valid_email
from bot.passwords import MIN_PASSWORD_CHARS, hash_password, verify_password

__all__ = ["AgentDirectory", "AgentError", "SignedIn", "session_key"]


class AgentError(Exception):
    """A reason an agent account cannot be created (shown to whoever ran the command)."""


@dataclasses.dataclass(frozen=True)
class SignedIn:
    agent: Agent
    csrf_token: str


def session_key(session_id: str) -> str:
    """What the table keeps of a session id (its SHA-256), and what names a session to
    other hub processes (live presence, sign-outs) without giving it away."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


_hash = session_key


class AgentDirectory:
    def __init__(
        self, sessions: sessionmaker, clock: Clock = system_clock, idle: dt.timedelta | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.idle = idle or dt.timedelta(minutes=30)

    async def create(self, email: str, name: str, password: str) -> Agent:
        email = email.strip().lower()
        if not is_valid_email(email):
            raise AgentError("not a valid email address")
        if not name.strip() or len(name) > 120:
            raise AgentError("a name of 1 to 120 characters is needed")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AgentError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
        agent = Agent(
            email=email,
            name=name.strip(),
            password_hash=await hash_password(password),
            created_at=self._clock(),
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(agent)
        except IntegrityError:
            raise AgentError(f"an agent with the address {email} exists already") from None
        return agent

    async def all(self) -> list[Agent]:
        async with self._sessions() as session:
            return list((await session.execute(select(Agent).order_by(Agent.id))).scalars())

    async def by_email(self, email: str) -> Agent | None:
        async with self._sessions() as session:
            return (
                await session.execute(select(Agent).where(Agent.email == email.strip().lower()))
            ).scalar_one_or_none()

    async def authenticate(self, email: str, password: str) -> Agent | None:
        agent = await self.by_email(email) if len(email) <= 254 else None
        # verify_password burns the same time when there is no hash to check.
        ok = await verify_password(agent.password_hash if agent else None, password)
        return agent if ok else None

    async def start_session(self, agent_id: int, replacing: str | None = None) -> tuple[str, str]:
        """A fresh session id and CSRF token; the session the browser had before is dropped."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if replacing:
                await session.execute(delete(AgentSession).where(AgentSession.id_hash == _hash(replacing)))
            session.add(
                AgentSession(
                    id_hash=_hash(session_id),
                    agent_id=agent_id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return session_id, csrf

    async def session(self, session_id: str) -> SignedIn | None:
        """The signed-in agent, if the session exists and was used within the idle timeout."""
        if not session_id or len(session_id) > 100:
            return None
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(AgentSession, Agent)
                    .join(Agent, Agent.id == AgentSession.agent_id)
                    .where(AgentSession.id_hash == _hash(session_id))
                )
            ).one_or_none()
            if row is None:
                return None
            found, agent = row
            if found.last_seen_at + self.idle < now:
                await session.execute(delete(AgentSession).where(AgentSession.id_hash == found.id_hash))
                return None
            await session.execute(
                update(AgentSession).where(AgentSession.id_hash == found.id_hash).values(last_seen_at=now)
            )
            return SignedIn(agent=agent, csrf_token=found.csrf_token)

    async def expires_at(self, session_id: str) -> dt.datetime | None:
        """When this session ends unless it is used again; None if it has ended already.

        Unlike :meth:`session` this does not count as activity: an open console socket
        re-checks with it, and an agent who only leaves the console open goes idle.
        """
        if not session_id or len(session_id) > 100:
            return None
        async with self._sessions() as session:
            last_seen = (
                await session.execute(
                    select(AgentSession.last_seen_at).where(AgentSession.id_hash == _hash(session_id))
                )
            ).scalar_one_or_none()
        if last_seen is None or last_seen + self.idle < self._clock():
            return None
        return last_seen + self.idle

    async def live_session_keys(self, keys: Collection[str]) -> set[str]:
        """Those of these :func:`session_key` values whose session is signed in now (no
        activity recorded)."""
        wanted = {key for key in keys if key}
        if not wanted:
            return set()
        since = self._clock() - self.idle
        async with self._sessions() as session:
            rows = await session.execute(
                select(AgentSession.id_hash).where(
                    AgentSession.id_hash.in_(wanted), AgentSession.last_seen_at >= since
                )
            )
            return set(rows.scalars())

    async def end_session(self, session_id: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(delete(AgentSession).where(AgentSession.id_hash == _hash(session_id)))
