"""The answers that come from the links at the end of automatic mail answers.

Usage::

    feedback = MailFeedback(sessions, links, handoffs, settings, clock)
    lines = feedback.footer(mail_id, "fr")          # the links, for the end of the mail
    state = await feedback.state(mail_id)           # MailState or None (no such answered mail)
    done = await feedback.record(mail_id, "no", "toujours bloquée")  # "recorded" | "already_answered"

"I still need help" records a "no" and reopens the thread as a ticket for agents (a handoff
with reason "email", detail "still_need_help", high priority), in the same transaction as
the answer: either both happen or neither.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.feedback_models import Satisfaction
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation, Message
from bot.db.triage_models import InboundMail
from bot.handoff.packet import Packet
from bot.handoff.service import Handoffs
from bot.handoff.store import new_handoff
from bot.satisfaction.links import FeedbackLinks
from bot.satisfaction.store import MAX_COMMENT_CHARS
from bot.settings import Settings
from bot.triage.answers import Links, draft_text, feedback_lines

__all__ = ["STILL_NEED_HELP", "MailFeedback", "MailState"]

# The ticket's detail code (its label is in the console's page text).
STILL_NEED_HELP = "still_need_help"

_TRANSCRIPT = {
    "fr": "La personne a indiqué, par le lien de notre réponse automatique, qu'elle a encore besoin d'aide.",
    "en": "The person said, with the link in our automatic answer, that they still need help.",
}


@dataclasses.dataclass(frozen=True)
class MailState:
    language: str
    answered: bool


class MailFeedback:
    def __init__(
        self,
        sessions: sessionmaker,
        links: FeedbackLinks,
        handoffs: Handoffs,
        settings: Settings,
        clock: Clock = system_clock,
    ) -> None:
        self._sessions = sessions
        self.links = links
        self._handoffs = handoffs
        self._settings = settings
        self._clock = clock

    def footer(self, mail_id: int, language: str) -> list[tuple[str, str]]:
        """(label, url) of the two links, for the text and HTML parts of an answer."""
        urls = {answer: self.links.url(mail_id, answer, language) for answer in ("yes", "no")}
        return feedback_lines(language, urls["yes"], urls["no"])

    async def state(self, mail_id: int) -> MailState | None:
        """The answered mail's language and whether it has its answer; None if unknown."""
        async with self._sessions() as session:
            mail = await session.get(InboundMail, mail_id)
            if mail is None or mail.decision != "auto_reply":
                return None
            answered = await session.scalar(
                select(Satisfaction.id).where(Satisfaction.inbound_mail_id == mail_id)
            )
        return MailState(self._language(mail), answered is not None)

    def _language(self, mail: InboundMail) -> str:
        return mail.language if mail.language in ("fr", "en") else self._settings.default_language

    async def record(
        self, mail_id: int, answer: str, comment: str | None
    ) -> Literal["recorded", "already_answered", "unknown"]:
        now = self._clock()
        comment = comment[:MAX_COMMENT_CHARS] if comment else None
        handoff: Handoff | None = None
        created = False
        try:
            async with self._sessions() as session, session.begin():
                mail = await session.get(InboundMail, mail_id)
                if mail is None or mail.decision != "auto_reply":
                    return "unknown"
                language = self._language(mail)
                session.add(
                    Satisfaction(
                        inbound_mail_id=mail_id,
                        channel="mail",
                        language=language,
                        topic=mail.intent,
                        step=None,
                        resolved_by="assistant",
                        answer=answer,
                        comment=comment,
                        created_at=now,
                    )
                )
                # Flushed now: a second answer stops here, before any ticket is opened.
                await session.flush()
                if answer == "no" and mail.conversation_id is not None:
                    handoff, created = await self._reopen(session, mail, language, comment)
        except IntegrityError:
            return "already_answered"
        if handoff is not None and created:
            await self._handoffs.announce(handoff)
        return "recorded"

    async def _reopen(
        self, session: AsyncSession, mail: InboundMail, language: str, comment: str | None
    ) -> tuple[Handoff | None, bool]:
        """The thread's open ticket, or a new one; the transcript says why."""
        now = self._clock()
        conversation = await session.get(Conversation, mail.conversation_id)
        if conversation is None:
            return None, False
        session.add(
            Message(conversation_id=conversation.id, ts=now, author="system", text=_TRANSCRIPT[language])
        )
        if comment:
            session.add(
                Message(
                    conversation_id=conversation.id, ts=now, author="person", text=comment, language=language
                )
            )
        conversation.updated_at = now
        existing = await session.scalar(select(Handoff).where(Handoff.open_key == conversation.id))
        if existing is not None:
            return existing, False
        links = Links(
            self._settings.password_reset_url, self._settings.user_code_url, self._settings.support_email
        )
        packet = Packet(
            conversation_id=conversation.id,
            reason="email",
            language=language,
            email=mail.answer_address,
            channel="email",
            detail=STILL_NEED_HELP,
            topic=mail.intent or "",
            confidence=round(mail.confidence, 3) if mail.confidence is not None else None,
            subject=mail.subject[:200],
            suggested_reply=draft_text("still_not_working", language, links),
        )
        handoff = new_handoff(packet, now, agent_online=False)
        session.add(handoff)
        conversation.status = "agent"
        await session.flush()
        return handoff, True
