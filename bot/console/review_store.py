"""What to teach the assistant next: the people's messages it was unsure of, in SQL.

Usage::

    reviews = ReviewStore(sessions, threshold=0.6)
    groups = await reviews.groups("todo")                   # [(guessed intent, count), ...]
    rows = await reviews.page("todo", intent=None, offset=0, limit=50)
    row = await reviews.candidate(message_id)               # None: not on the review page
    examples = await reviews.reviewed_examples()            # [(text, intent, language), ...]

A message is a candidate when a person typed it in a chat (not a button, not a mail) and
the assistant fell back (``nlu_fallback``), was below the confidence threshold, or the
conversation had an agent's intent correction or a "no" to "Did this help?". It is
reviewed once it has an intent verdict (``intent_corrections``: the existing export turns
those into NLU data) or was set aside as no example (``review_dismissals``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import Select

from bot.db.feedback_models import ReviewDismissal, Satisfaction
from bot.db.handoff_models import IntentCorrection
from bot.db.models import Conversation, Message

__all__ = ["REVIEW_STATES", "ReviewRow", "ReviewStore"]

REVIEW_STATES = ("todo", "done")
CHAT_CHANNELS = ("widget", "socketio")
FALLBACK = "nlu_fallback"


@dataclasses.dataclass(frozen=True)
class ReviewRow:
    message: Message
    reasons: tuple[str, ...]  # fallback | low_confidence | corrected | unsatisfied
    verdict: str | None  # the intent an agent chose, if any
    dismissed: bool


def _guessed(query: Select, intent: str | None) -> Select:
    """Only the messages with this guessed intent ("": no guess); None: all."""
    if intent is None:
        return query
    return query.where(Message.intent.is_(None) if intent == "" else Message.intent == intent)


class ReviewStore:
    def __init__(self, sessions: sessionmaker, *, threshold: float) -> None:
        self._sessions = sessions
        self._threshold = threshold

    def _reasons(self) -> dict[str, Any]:
        corrected = select(Message.conversation_id).join(
            IntentCorrection, IntentCorrection.message_id == Message.id
        )
        unsatisfied = select(Satisfaction.conversation_id).where(
            Satisfaction.answer == "no", Satisfaction.conversation_id.isnot(None)
        )
        return {
            "fallback": Message.intent == FALLBACK,
            "low_confidence": and_(Message.confidence.isnot(None), Message.confidence < self._threshold),
            "corrected": Message.conversation_id.in_(corrected),
            "unsatisfied": Message.conversation_id.in_(unsatisfied),
        }

    def _query(self, state: str, *columns: Any) -> Select:
        reasons = self._reasons()
        reviewed = or_(IntentCorrection.id.isnot(None), ReviewDismissal.message_id.isnot(None))
        return (
            select(*columns)
            .select_from(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .outerjoin(IntentCorrection, IntentCorrection.message_id == Message.id)
            .outerjoin(ReviewDismissal, ReviewDismissal.message_id == Message.id)
            .where(
                Message.author == "person",
                Message.payload.is_(None),
                Conversation.channel.in_(CHAT_CHANNELS),
                or_(*reasons.values(), IntentCorrection.id.isnot(None)),
                reviewed if state == "done" else ~reviewed,
            )
        )

    async def groups(self, state: str) -> list[tuple[str | None, int]]:
        """(guessed intent, how many) for the state, the biggest group first."""
        query = self._query(state, Message.intent, func.count()).group_by(Message.intent)
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return sorted(((intent, count) for intent, count in rows), key=lambda row: (-row[1], row[0] or ""))

    async def page(self, state: str, *, intent: str | None, offset: int, limit: int) -> list[ReviewRow]:
        """One page of candidates, grouped by guessed intent, newest first in a group.

        ``intent``: only that guess ("" for messages without one); None: every guess.
        """
        reasons = self._reasons()
        query = self._query(
            state,
            Message,
            IntentCorrection.correct_intent,
            ReviewDismissal.message_id,
            *(condition.label(name) for name, condition in reasons.items()),
        )
        query = _guessed(query, intent)
        query = (
            query.order_by(Message.intent.is_(None), Message.intent, Message.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            ReviewRow(
                message=row[0],
                verdict=row[1],
                dismissed=row[2] is not None,
                reasons=tuple(name for name in reasons if getattr(row, name)),
            )
            for row in rows
        ]

    async def count(self, state: str, intent: str | None) -> int:
        query = _guessed(self._query(state, func.count()), intent)
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def candidate(self, message_id: int) -> Message | None:
        """The message, if it is one the review page shows (reviewed or not)."""
        async with self._sessions() as session:
            for state in REVIEW_STATES:
                found = await session.scalar(self._query(state, Message).where(Message.id == message_id))
                if found is not None:
                    return found
        return None

    async def dismiss(self, message_id: int, agent_id: int, now: dt.datetime) -> None:
        """Not a training example (noise, personal details...): off the list, out of the export."""
        async with self._sessions() as session, session.begin():
            correction = await session.scalar(
                select(IntentCorrection).where(IntentCorrection.message_id == message_id)
            )
            if correction is not None:
                await session.delete(correction)
        try:
            async with self._sessions() as session, session.begin():
                session.add(ReviewDismissal(message_id=message_id, agent_id=agent_id, created_at=now))
        except IntegrityError:
            pass  # already set aside

    async def undismiss(self, message_id: int) -> None:
        """An intent was chosen after all."""
        async with self._sessions() as session, session.begin():
            dismissal = await session.get(ReviewDismissal, message_id)
            if dismissal is not None:
                await session.delete(dismissal)

    async def reviewed_examples(self) -> list[tuple[str, str, str]]:
        """(text, intent, language) of every intent verdict: the export's examples."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(IntentCorrection.text, IntentCorrection.correct_intent, IntentCorrection.language)
            )
            return [(text, intent, language) for text, intent, language in rows.all()]
