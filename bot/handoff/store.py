"""The handoff repository: open, find, claim, close handoffs; notes and intent corrections.

Usage::

    store = HandoffStore(sessions, clock)
    handoff, created = await store.open(packet, agent_online=False)   # idempotent
    queue = await store.queue()                                        # open, by priority and wait
    rows, total = await store.queue_page(agent.id, offset=0, limit=50) # one console page
    await store.claim(handoff.id, agent.id)

Each public method is one unit of work. Returned objects are detached snapshots.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.handoff_models import Agent, Handoff, HandoffNote, IntentCorrection
from bot.db.models import Conversation, Message
from bot.funnel import funnel_columns
from bot.handoff.live import Audience
from bot.handoff.packet import Packet

__all__ = ["HandoffStore", "QueueRow", "audience", "may_see", "new_handoff"]


@dataclasses.dataclass(frozen=True)
class QueueRow:
    """A line of the console's queue: the handoff and its topic (latest person intent)."""

    handoff: Handoff
    last_intent: str | None


def new_handoff(packet: Packet, now: dt.datetime, *, agent_online: bool) -> Handoff:
    """An open handoff for the packet's conversation (not yet added to any session)."""
    return Handoff(
        conversation_id=packet.conversation_id,
        open_key=packet.conversation_id,
        status="open",
        reason=packet.reason,
        priority=packet.priority,
        language=packet.language,
        packet=packet.as_json(),
        contact_email=packet.contact_email,
        agent_online_at_open=int(agent_online),
        created_at=now,
        mail_queued=0,
    )


def may_see(handoff: Handoff, agent_id: int) -> bool:
    """The console's access rule: an open handoff nobody claimed yet (the shared queue),
    or any handoff claimed by this agent. Other agents' conversations stay theirs."""
    return audience(handoff).includes(agent_id)


def audience(handoff: Handoff) -> Audience:
    """:func:`may_see` as data, for live frames that cross hub processes."""
    if handoff.agent_id is None:
        return Audience.everyone() if handoff.status == "open" else Audience.only()
    return Audience.only(int(handoff.agent_id))


class HandoffStore:
    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def open(self, packet: Packet, *, agent_online: bool) -> tuple[Handoff, bool]:
        """The conversation's open handoff, created if there is none; True if created now.

        The conversation then belongs to people (status 'agent').
        """
        existing = await self.open_for(packet.conversation_id)
        if existing is not None:
            return existing, False
        now = self._clock()
        handoff = new_handoff(packet, now, agent_online=agent_online)
        try:
            async with self._sessions() as session, session.begin():
                session.add(handoff)
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == packet.conversation_id)
                    .values(status="agent", updated_at=now)
                )
                if packet.steps_tried:
                    # The steps as they stood at the handoff, for conversations whose turn
                    # did not store them (the dashboard's funnel counts them).
                    await session.execute(
                        update(Conversation)
                        .where(Conversation.id == packet.conversation_id, Conversation.steps_tried.is_(None))
                        .values(steps_tried=list(packet.steps_tried), **funnel_columns(packet.steps_tried))
                    )
        except IntegrityError:
            # A concurrent retry of the same escalation won the race (unique open_key).
            raced = await self.open_for(packet.conversation_id)
            if raced is None:
                raise
            return raced, False
        return handoff, True

    async def open_for(self, conversation_id: str) -> Handoff | None:
        async with self._sessions() as session:
            return (
                await session.execute(select(Handoff).where(Handoff.open_key == conversation_id))
            ).scalar_one_or_none()

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self._sessions() as session:
            return await session.get(Handoff, handoff_id)

    async def latest_for(self, conversation_id: str) -> Handoff | None:
        async with self._sessions() as session:
            return (
                await session.execute(
                    select(Handoff)
                    .where(Handoff.conversation_id == conversation_id)
                    .order_by(Handoff.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()

    async def queue(self) -> list[Handoff]:
        """Open handoffs: high priority first, then the longest waiting."""
        high_first = case((Handoff.priority == "high", 0), else_=1)
        async with self._sessions() as session:
            rows = await session.execute(
                select(Handoff).where(Handoff.status == "open").order_by(high_first, Handoff.created_at)
            )
            return list(rows.scalars())

    async def queue_page(self, agent_id: int, *, offset: int, limit: int) -> tuple[list[QueueRow], int]:
        """One page of the console's queue for ``agent_id`` (what :func:`may_see` lets them
        see, in :meth:`queue`'s order) and how many rows the queue has in all.

        Two queries whatever the page's length: each row's topic (the intent of the
        person's latest message) comes in the same query as the row.
        """
        high_first = case((Handoff.priority == "high", 0), else_=1)
        visible = (Handoff.status == "open", or_(Handoff.agent_id.is_(None), Handoff.agent_id == agent_id))
        last_intent = (
            select(Message.intent)
            .where(
                Message.conversation_id == Handoff.conversation_id,
                Message.author == "person",
                Message.intent.is_not(None),
            )
            .order_by(Message.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Handoff).where(*visible))
            rows = await session.execute(
                select(Handoff, last_intent)
                .where(*visible)
                .order_by(high_first, Handoff.created_at, Handoff.id)
                .offset(offset)
                .limit(limit)
            )
            return [QueueRow(handoff, intent) for handoff, intent in rows.all()], int(total or 0)

    async def claim(self, handoff_id: int, agent_id: int) -> bool:
        """Assign an unclaimed open handoff to the agent; False if someone was faster."""
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "open", Handoff.agent_id.is_(None))
                .values(agent_id=agent_id, claimed_at=self._clock())
            )
            return bool(done.rowcount == 1)

    async def mark_replied(self, handoff_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.first_reply_at.is_(None))
                .values(first_reply_at=self._clock())
            )

    async def mark_mail_queued(self, handoff_id: int) -> bool:
        """True the first time only: whoever flips the flag queues the one mail."""
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.mail_queued == 0)
                .values(mail_queued=1)
            )
            return bool(done.rowcount == 1)

    async def set_contact(self, handoff_id: int, email: str) -> bool:
        """The address support answers to (the latest the person gave); True if it changed."""
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(Handoff)
                .where(
                    Handoff.id == handoff_id,
                    or_(Handoff.contact_email.is_(None), Handoff.contact_email != email),
                )
                .values(contact_email=email)
            )
            return bool(done.rowcount == 1)

    async def close(self, handoff_id: int, status: str, outcome: str | None) -> bool:
        """Resolve or hand back; the conversation returns to the assistant."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None or handoff.status != "open":
                return False
            handoff.status, handoff.outcome, handoff.closed_at, handoff.open_key = status, outcome, now, None
            await session.execute(
                update(Conversation)
                .where(Conversation.id == handoff.conversation_id)
                .values(status="bot", updated_at=now)
            )
            return True

    async def add_note(self, handoff_id: int, agent_id: int, text: str) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                HandoffNote(handoff_id=handoff_id, agent_id=agent_id, text=text, created_at=self._clock())
            )

    async def notes(self, handoff_id: int) -> list[tuple[HandoffNote, str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(HandoffNote, Agent.name)
                .outerjoin(Agent, Agent.id == HandoffNote.agent_id)
                .where(HandoffNote.handoff_id == handoff_id)
                .order_by(HandoffNote.id)
            )
            return [(note, name or "?") for note, name in rows.all()]

    async def message(self, message_id: int) -> Message | None:
        async with self._sessions() as session:
            return await session.get(Message, message_id)

    async def correct(self, message: Message, agent_id: int, correct_intent: str, language: str) -> None:
        """Record (or replace) an agent's verdict on what a person's message meant."""
        async with self._sessions() as session, session.begin():
            existing = (
                await session.execute(
                    select(IntentCorrection).where(IntentCorrection.message_id == message.id)
                )
            ).scalar_one_or_none()
            if existing is None:
                existing = IntentCorrection(message_id=message.id)
                session.add(existing)
            existing.agent_id = agent_id
            existing.text = message.text
            existing.language = language
            existing.predicted_intent = message.intent
            existing.correct_intent = correct_intent
            existing.created_at = self._clock()

    async def corrections(self, conversation_id: str | None = None) -> list[IntentCorrection]:
        async with self._sessions() as session:
            query = select(IntentCorrection).order_by(IntentCorrection.id)
            if conversation_id is not None:
                query = query.join(Message, Message.id == IntentCorrection.message_id).where(
                    Message.conversation_id == conversation_id
                )
            return list((await session.execute(query)).scalars())

    async def agent_names(self) -> dict[int, str]:
        async with self._sessions() as session:
            return {
                agent_id: name
                for agent_id, name in (await session.execute(select(Agent.id, Agent.name))).all()
            }
