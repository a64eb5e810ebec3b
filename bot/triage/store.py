"""The triage's records: received mail, its quarantine, and the Message-IDs of each thread.

Usage::

    store = TriageStore(sessions, clock)
    row, created = await store.receive(parsed, raw, source="smtp", envelope_from="a@b.ca")
    row = await store.claim(lease)              # the worker: next mail due, or None
    await store.finish(row.id, decision="ticket", reason="low_confidence", ...)
    found = await store.thread_of(["<id@x>", ...])   # (conversation_id, kind) or None

Each public method is one unit of work; returned rows are detached snapshots.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, sessionmaker

from bot.clock import Clock, system_clock
from bot.db.conversations import new_conversation_id
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation, Message
from bot.db.resume_codes import new_code
from bot.db.triage_models import InboundMail, MailThreadId
from bot.handoff.packet import Packet
from bot.handoff.store import new_handoff
from bot.jobs import LeasedJobs
from bot.mail.outbox import queued_mail
from bot.triage.parsed import ParsedMail

__all__ = ["QUARANTINE_KEEP_BYTES", "Applied", "Outcome", "TriageStore", "message_key"]

# A quarantined mail keeps this much of its raw bytes for a person to look at.
QUARANTINE_KEEP_BYTES = 256 * 1024


@dataclasses.dataclass
class Outcome:
    """Everything one triaged mail changes, written in one transaction by :meth:`TriageStore.apply`."""

    mail_id: int
    decision: str  # auto_reply | ticket
    reason: str
    record: dict[str, Any]  # text, language, intent, confidence of the mail
    conversation_id: str | None  # the thread's conversation; None = a new one
    language: str
    person_text: str
    thread_ids: list[tuple[str, str]]  # (Message-ID, kind) to remember in the thread
    assistant_text: str | None = None  # the automatic answer, for the transcript
    reply_message_id: str | None = None
    mail: tuple[str, str, dict[str, Any]] | None = None  # outbox (key, kind, params)
    ticket: Packet | None = None  # opened unless the conversation has an open handoff


@dataclasses.dataclass(frozen=True)
class Applied:
    conversation: Conversation
    person_message: Message
    handoff: Handoff | None
    handoff_created: bool


def message_key(message_id: str) -> str:
    """The stored key of a Message-ID: its SHA-256 (ids are long and case matters little)."""
    return hashlib.sha256(message_id.strip().encode("utf-8", "replace")).hexdigest()


class TriageStore:
    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = LeasedJobs(sessions, InboundMail, waiting="received", clock=clock)

    async def receive(
        self, parsed: ParsedMail, raw: bytes, *, source: str, envelope_from: str | None
    ) -> tuple[InboundMail, bool]:
        """Record a received mail (to be triaged); the existing record if it came before."""
        now = self._clock()
        row = InboundMail(
            message_key=message_key(parsed.message_id),
            message_id=parsed.message_id[:998],
            source=source,
            status="received",
            received_at=now,
            attempts=0,
            next_attempt_at=now,
            raw=raw,
            size=len(raw),
            envelope_from=None if envelope_from is None else envelope_from[:320],
            from_address=parsed.from_address[:320],
            answer_address=parsed.answer_address[:320],
            subject=parsed.subject[:998],
            in_reply_to=list(parsed.in_reply_to),
            references=list(parsed.references),
            attachments=[
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in parsed.attachments[:50]
            ],
            text="",
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            existing = await self.by_key(row.message_key)
            if existing is None:
                raise
            return existing, False
        return row, True

    async def quarantine(
        self, raw: bytes, *, source: str, envelope_from: str | None, reason: str
    ) -> InboundMail:
        """Set aside bytes that cannot be triaged (the same bytes twice: one record)."""
        now = self._clock()
        key = message_key(f"<{hashlib.sha256(raw).hexdigest()}@quarantine.invalid>")
        row = InboundMail(
            message_key=key,
            message_id="",
            source=source,
            status="quarantined",
            received_at=now,
            processed_at=now,
            attempts=0,
            next_attempt_at=now,
            raw=raw[:QUARANTINE_KEEP_BYTES],
            size=len(raw),
            envelope_from=None if envelope_from is None else envelope_from[:320],
            decision="quarantined",
            reason=reason[:64],
            in_reply_to=[],
            references=[],
            attachments=[],
            text="",
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            existing = await self.by_key(key)
            if existing is not None:
                return existing
            raise
        return row

    async def by_key(self, key: str) -> InboundMail | None:
        async with self._sessions() as session:
            return await session.scalar(select(InboundMail).where(InboundMail.message_key == key))

    async def get(self, mail_id: int) -> InboundMail | None:
        async with self._sessions() as session:
            return await session.get(InboundMail, mail_id)

    async def claim(self, lease: dt.timedelta) -> InboundMail | None:
        """The next received mail due, held by the caller until ``lease`` ends (:mod:`bot.jobs`)."""
        return await self._jobs.claim(lease)

    async def retry_later(self, mail: InboundMail, error: str, delay: dt.timedelta) -> bool:
        """Give a claimed mail back, to be triaged again after ``delay``."""
        return await self._jobs.retry(mail, delay, error)

    async def finish(self, mail_id: int, *, status: str = "done", **values: Any) -> None:
        """Record what was understood and decided; the raw bytes go unless quarantined."""
        if status != "quarantined":
            values["raw"] = None
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(InboundMail)
                .where(InboundMail.id == mail_id)
                .values(status=status, processed_at=self._clock(), last_error=None, **values)
            )

    async def apply(self, outcome: Outcome) -> Applied:
        """Write a triaged mail's outcome at once: its conversation and transcript lines,
        thread ids, the answer in the outbox or the ticket, and the mail's record.

        One transaction, so a crash leaves the mail either untouched (to be triaged again)
        or fully handled, never half: no second transcript line, answer or ticket.
        """
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if outcome.conversation_id is None:
                conversation = Conversation(
                    id=new_conversation_id(),
                    resume_code=new_code(),
                    language=outcome.language,
                    channel="email",
                    status="bot",
                    created_at=now,
                    updated_at=now,
                    person_wrote=1,
                )
                session.add(conversation)
            else:
                conversation = await session.get(Conversation, outcome.conversation_id)
                if conversation is None:
                    raise LookupError(f"conversation of mail {outcome.mail_id} is gone")
                conversation.updated_at = now
                conversation.person_wrote = 1
            person = Message(
                conversation_id=conversation.id,
                ts=now,
                author="person",
                text=outcome.person_text,
                intent=outcome.record.get("intent"),
                confidence=outcome.record.get("confidence"),
                language=outcome.language,
            )
            session.add(person)
            if outcome.assistant_text is not None:
                session.add(
                    Message(
                        conversation_id=conversation.id,
                        ts=now,
                        author="assistant",
                        text=outcome.assistant_text,
                    )
                )
            await _add_thread_ids(session, conversation.id, outcome.thread_ids, now)
            if outcome.mail is not None:
                key, kind, params = outcome.mail
                session.add(queued_mail(key, kind, params, now))
            handoff, created = None, False
            if outcome.ticket is not None:
                handoff = await session.scalar(select(Handoff).where(Handoff.open_key == conversation.id))
                if handoff is None:
                    packet = dataclasses.replace(outcome.ticket, conversation_id=conversation.id)
                    handoff, created = new_handoff(packet, now, agent_online=False), True
                    session.add(handoff)
                    conversation.status = "agent"
            await session.flush()
            await session.execute(
                update(InboundMail)
                .where(InboundMail.id == outcome.mail_id)
                .values(
                    status="done",
                    processed_at=now,
                    last_error=None,
                    raw=None,
                    decision=outcome.decision,
                    reason=outcome.reason,
                    conversation_id=conversation.id,
                    handoff_id=handoff.id if handoff is not None else None,
                    reply_message_id=outcome.reply_message_id,
                    **outcome.record,
                )
            )
        return Applied(conversation, person, handoff, created)

    async def thread_of(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        """(conversation id, kind) of the newest of ``message_ids`` we know, None if none."""
        keys = [message_key(mid) for mid in message_ids if mid]
        if not keys:
            return None
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(MailThreadId.message_key, MailThreadId.conversation_id, MailThreadId.kind).where(
                        MailThreadId.message_key.in_(keys)
                    )
                )
            ).all()
        found = {key: (conversation, kind) for key, conversation, kind in rows}
        # In-Reply-To first, then References from the newest: the closest known ancestor.
        for key in keys:
            if key in found:
                return found[key]
        return None

    async def add_thread_ids(self, conversation_id: str, ids: Iterable[tuple[str, str]]) -> None:
        """Remember Message-IDs (with their kind) as part of a conversation; known ones stay."""
        async with self._sessions() as session, session.begin():
            await _add_thread_ids(session, conversation_id, ids, self._clock())

    async def participants(self, conversation_id: str) -> set[str]:
        """The addresses a mail thread has: every From and answer address of its mail."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(InboundMail.from_address, InboundMail.answer_address).where(
                    InboundMail.conversation_id == conversation_id
                )
            )
            return {address for pair in rows.all() for address in pair if address}

    async def requester(self, conversation_id: str) -> InboundMail | None:
        """The first mail of the thread that can be answered: its sender is who we answer."""
        async with self._sessions() as session:
            return await session.scalar(
                select(InboundMail)
                .options(defer(InboundMail.raw))
                .where(InboundMail.conversation_id == conversation_id, InboundMail.answer_address != "")
                .order_by(InboundMail.id)
                .limit(1)
            )

    async def open_ticket_of(self, address: str) -> str | None:
        """The conversation of the newest open mail ticket ``address`` wrote in, if any."""
        async with self._sessions() as session:
            return await session.scalar(
                select(Handoff.conversation_id)
                .join(InboundMail, InboundMail.conversation_id == Handoff.conversation_id)
                .where(
                    Handoff.open_key.is_not(None),
                    Handoff.reason == "email",
                    or_(InboundMail.from_address == address, InboundMail.answer_address == address),
                )
                .order_by(Handoff.id.desc())
                .limit(1)
            )

    async def latest_inbound(self, conversation_id: str) -> InboundMail | None:
        """The newest mail a person sent in this conversation (what an agent answers)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(InboundMail)
                .where(InboundMail.conversation_id == conversation_id, InboundMail.answer_address != "")
                .order_by(InboundMail.id.desc())
                .limit(1)
            )

    async def recent(self, limit: int = 200) -> list[InboundMail]:
        """The latest mails, newest first, without their raw bytes (the console's mail log)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(InboundMail)
                .options(defer(InboundMail.raw))
                .order_by(InboundMail.id.desc())
                .limit(limit)
            )
            return list(rows.all())

    async def counts(self) -> dict[str, int]:
        """How many mails per decision (None = not yet triaged), for tests and the command line."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(InboundMail.decision, func.count()).group_by(InboundMail.decision)
            )
            return {str(decision): count for decision, count in rows.all()}


async def _add_thread_ids(
    session: AsyncSession, conversation_id: str, ids: Iterable[tuple[str, str]], now: dt.datetime
) -> None:
    """Add the (Message-ID, kind) pairs not yet known to the session, in the conversation."""
    keys = {message_key(mid): kind for mid, kind in ids}
    known = set(
        (
            await session.scalars(select(MailThreadId.message_key).where(MailThreadId.message_key.in_(keys)))
        ).all()
    )
    session.add_all(
        MailThreadId(message_key=key, conversation_id=conversation_id, kind=kind, created_at=now)
        for key, kind in keys.items()
        if key not in known
    )
