"""The satisfaction records: questions asked in chats, answers, and the hub's own secrets.

Usage::

    store = SatisfactionStore(sessions, clock, transactions)   # transactions: optional
    question = await store.ask_after_turn(conversation_id, "fr")   # None: nothing to ask
    outcome = await store.answer_chat(conversation_id, "widget", "yes", "merci")
    secret = await store.hub_secret("feedback_links")

Each public method is one unit of work. A conversation is asked at most once (the
question's primary key is the conversation), and answered at most once (``satisfaction``
is unique per conversation and per mail): a second answer is refused, never stored.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Select

from bot.clock import Clock, system_clock
from bot.db.feedback_models import HubSecret, Satisfaction, SatisfactionQuestion
from bot.db.models import Conversation, Message
from bot.db.transactions import Transactions, in_session
from bot.funnel import solved_step

__all__ = ["CHAT_CHANNELS", "TOPIC_INTENTS", "Answered", "SatisfactionStore"]

CHAT_CHANNELS = ("widget", "socketio")
# Intents that name what a conversation is about (not "yes", "thanks" or "Chrome").
TOPIC_INTENTS = (
    "login_problem",
    "forgot_password",
    "forgot_user_code",
    "reset_email_missing",
    "clear_browser_data",
    "browser_recommendation",
    "bookmark_help",
    "still_not_working",
    "request_human",
    "out_of_scope",
)
MAX_COMMENT_CHARS = 1000

Answered = Literal["recorded", "not_asked", "already_answered"]


def _topic(conversation_id: str) -> Select:
    """What the person last asked about, from the intents of their messages (a query).

    "I want a person" says who should help, not with what: it is the topic only when
    the person never said what the problem was.
    """
    return (
        select(Message.intent)
        .where(
            Message.conversation_id == conversation_id,
            Message.author == "person",
            Message.intent.in_(TOPIC_INTENTS),
        )
        .order_by(Message.intent == "request_human", Message.id.desc())
        .limit(1)
    )


def _asked_now(
    conversation: Conversation,
    language: str,
    now: dt.datetime,
    *,
    topic: str | None,
    step: str | None,
    resolved_by: str,
) -> SatisfactionQuestion:
    """The question, asked at ``now`` in ``conversation``."""
    return SatisfactionQuestion(
        conversation_id=conversation.id,
        channel=conversation.channel,
        language=language,
        topic=topic,
        step=step,
        resolved_by=resolved_by,
        created_at=now,
        asked_at=now,
    )


class SatisfactionStore:
    def __init__(
        self, sessions: sessionmaker, clock: Clock = system_clock, transactions: Transactions | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions

    async def flow_completed(self, conversation_id: str, topic: str, language: str) -> None:
        """A reset or user-code mail went out for this chat: ask at the end of the turn."""
        async with self._sessions() as session, session.begin():
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.channel not in CHAT_CHANNELS:
                return
            if await session.get(SatisfactionQuestion, conversation_id) is not None:
                return
            session.add(
                SatisfactionQuestion(
                    conversation_id=conversation_id,
                    channel=conversation.channel,
                    language=language,
                    topic=topic,
                    resolved_by="assistant",
                    created_at=self._clock(),
                )
            )

    async def ask_after_turn(self, conversation_id: str, language: str) -> SatisfactionQuestion | None:
        """The question to ask now that a turn ended, if a flow ended solved; else None.

        A flow ended solved when the turn left a question due (a mail went out) or when the
        troubleshooting steps now say one was solved. Asked once per conversation. On the
        chat turn's path, so it runs as one of the hub's ``transactions`` when it has them.
        """
        now = self._clock()

        def ask(session: Session) -> SatisfactionQuestion | None:
            question = session.get(SatisfactionQuestion, conversation_id)
            if question is not None:
                if question.asked_at is not None:
                    return None
                question.asked_at, question.language = now, language
                return question
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.channel not in CHAT_CHANNELS:
                return None
            step = solved_step(conversation.steps_tried)
            if step is None or conversation.status != "bot":
                return None
            topic = session.scalar(_topic(conversation_id)) or "login_problem"
            question = _asked_now(
                conversation, language, now, topic=topic, step=step, resolved_by="assistant"
            )
            session.add(question)
            return question

        try:
            return await in_session(self._sessions, self._transactions, ask)
        except IntegrityError:
            return None  # another tab's turn asked at the same moment

    async def ask_after_handoff(self, conversation_id: str, language: str) -> SatisfactionQuestion | None:
        """The question after an agent resolved this chat's handoff; None if already asked."""
        now = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                if await session.get(SatisfactionQuestion, conversation_id) is not None:
                    return None
                conversation = await session.get(Conversation, conversation_id)
                if conversation is None or conversation.channel not in CHAT_CHANNELS:
                    return None
                topic = await session.scalar(_topic(conversation_id))
                question = _asked_now(
                    conversation, language, now, topic=topic, step=None, resolved_by="agent"
                )
                session.add(question)
                return question
        except IntegrityError:
            return None

    async def unanswered(self, conversation_id: str) -> SatisfactionQuestion | None:
        """The question asked in this chat, if the person has not answered it yet."""
        async with self._sessions() as session:
            question = await session.get(SatisfactionQuestion, conversation_id)
            if question is None or question.asked_at is None:
                return None
            answered = await session.scalar(
                select(Satisfaction.id).where(Satisfaction.conversation_id == conversation_id)
            )
            return None if answered is not None else question

    async def question_language(self, conversation_id: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(SatisfactionQuestion.language).where(
                    SatisfactionQuestion.conversation_id == conversation_id
                )
            )

    async def answer_chat(
        self, conversation_id: str, channel: str, answer: str, comment: str | None
    ) -> Answered:
        """Store a person's answer in a chat, if they were asked and have not answered."""
        try:
            async with self._sessions() as session, session.begin():
                question = await session.get(SatisfactionQuestion, conversation_id)
                if question is None or question.asked_at is None:
                    return "not_asked"
                if await session.scalar(
                    select(Satisfaction.id).where(Satisfaction.conversation_id == conversation_id)
                ):
                    return "already_answered"
                session.add(
                    Satisfaction(
                        conversation_id=conversation_id,
                        channel=channel if channel in CHAT_CHANNELS else question.channel,
                        language=question.language,
                        topic=question.topic,
                        step=question.step,
                        resolved_by=question.resolved_by,
                        answer=answer,
                        comment=comment[:MAX_COMMENT_CHARS] if comment else None,
                        created_at=self._clock(),
                    )
                )
        except IntegrityError:  # two tabs answered at once: the first one counts
            return "already_answered"
        return "recorded"

    async def hub_secret(self, name: str) -> str:
        """A random secret kept in the database under ``name`` (made on first use)."""
        async with self._sessions() as session:
            found = await session.get(HubSecret, name)
        if found is not None:
            return str(found.value)
        try:
            async with self._sessions() as session, session.begin():
                session.add(HubSecret(name=name, value=secrets.token_urlsafe(48), created_at=self._clock()))
        except IntegrityError:
            pass  # another hub made it first: use theirs
        async with self._sessions() as session:
            found = await session.get(HubSecret, name)
        assert found is not None
        return str(found.value)
