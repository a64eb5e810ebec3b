"""Mail in a triaged thread: the parameters of a reply, and agents' answers to mailbox tickets.

Usage::

    replies = MailReplies(store, outbox, settings)
    handoffs = Handoffs(..., mail_replies=replies.agent_replied)  # an agent answers a ticket
    params = reply_params(row, "fr", text, reply_id, automatic=True)  # the triage's own answers

Its own module so that the handoff service (which sends agents' answers) and the triage
(which opens tickets through the handoff service) are built one after the other, each
given what it needs, instead of patched onto each other after construction.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid
from typing import Any

from bot.db.handoff_models import Handoff
from bot.db.models import Message
from bot.db.triage_models import InboundMail
from bot.mail.messages import sender_domain
from bot.mail.outbox import Outbox
from bot.settings import Settings
from bot.triage.answers import REPLY_SUBJECTS
from bot.triage.store import TriageStore

__all__ = ["TRIAGE_REPLY", "MailReplies", "reply_params", "reply_subject"]

log = logging.getLogger(__name__)

TRIAGE_REPLY = "triage_reply"


def reply_subject(subject: str, language: str) -> str:
    """ "Re: <subject>" on one line (a received subject can never add a header)."""
    clean = " ".join("".join(c if c.isprintable() else " " for c in subject).split())[:200]
    if not clean:
        return REPLY_SUBJECTS[language]
    return clean if clean.lower().startswith("re:") else f"Re: {clean}"


def reply_params(
    row: InboundMail, language: str, text: str, reply_id: str, *, automatic: bool
) -> dict[str, Any]:
    """The outbox parameters of a reply to ``row``, in its thread."""
    references = [*row.references, row.message_id][-20:]
    return {
        "to": row.answer_address,
        "subject": reply_subject(row.subject, language),
        "in_reply_to": row.message_id,
        "references": references,
        "message_id": reply_id,
        "text": text,
        "language": language,
        "automatic": automatic,
        # The answered mail: the feedback links of an automatic answer are signed when the
        # mail is composed (bot.satisfaction.mail), so no token sits in the outbox.
        "mail_id": row.id if automatic else None,
    }


class MailReplies:
    """An agent's answer to a ticket from the mailbox goes back by mail, in the same thread."""

    def __init__(self, store: TriageStore, outbox: Outbox, settings: Settings) -> None:
        self._store = store
        self._outbox = outbox
        self._settings = settings

    async def agent_replied(self, handoff: Handoff, message: Message) -> None:
        latest = await self._store.latest_inbound(handoff.conversation_id)
        requester = await self._store.requester(handoff.conversation_id)
        if latest is None or requester is None:
            log.warning("handoff %d: no mail to answer in its conversation", handoff.id)
            return
        reply_id = make_msgid(domain=sender_domain(self._settings.mail_from))
        await self._store.add_thread_ids(handoff.conversation_id, [(reply_id, "agent_reply")])
        language = handoff.language if handoff.language in ("fr", "en") else self._settings.default_language
        params = reply_params(latest, language, message.text, reply_id, automatic=False)
        # Threaded under the latest mail, but always to the person who opened the thread:
        # whoever wrote last is never trusted with the answer.
        params["to"] = requester.answer_address
        await self._outbox.enqueue(f"agent-reply:{message.id}", TRIAGE_REPLY, params)
