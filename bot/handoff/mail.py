"""The mail to the support address when a handoff opens with no agent online.

Composed when the outbox sends it (``kind`` "handoff", params ``{"handoff_id": n}``), so it
carries the transcript as it stands then, read between two turns of the conversation: a
handoff the assistant opens is queued while its turn runs, and that turn stores the
person's message only once Rasa has answered (one transaction per turn, ``bot.chat.relay``).
``Auto-Submitted: auto-generated`` comes from :func:`bot.mail.messages.build_message`;
``Reply-To`` is the person's address when known.
With ``"update": "contact"`` in the params it is the follow-up sent when the person gives
another address after the first mail: same body, a subject and first line that say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from bot.clock import Clock, system_clock
from bot.cluster.locks import TurnLocks
from bot.db.conversations import ConversationStore
from bot.handoff.service import HANDOFF_MAIL
from bot.handoff.store import HandoffStore
from bot.mail.messages import build_message
from bot.mail.templates import mail_templates
from bot.mail.worker import Composer
from bot.settings import Settings

__all__ = ["HandoffMail"]


class HandoffMail:
    def __init__(
        self,
        store: HandoffStore,
        conversations: ConversationStore,
        settings: Settings,
        clock: Clock = system_clock,
        *,
        turns: TurnLocks,
    ) -> None:
        self._store = store
        # The chat relay's turn locks (the same object, or the same Redis keys).
        self._turns = turns
        self._conversations = conversations
        self._settings = settings
        self._clock = clock
        self._templates = mail_templates()

    def composers(self) -> dict[str, Composer]:
        return {HANDOFF_MAIL: self.compose}

    async def compose(self, params: Mapping[str, Any]) -> EmailMessage | None:
        handoff = await self._store.get(int(params.get("handoff_id", 0)))
        if handoff is None:
            return None
        # Waits for a turn in progress (TurnBusy after the bounded wait: the outbox retries).
        async with self._turns.hold(handoff.conversation_id):
            transcript = await self._conversations.transcript(handoff.conversation_id)
        update = params.get("update") == "contact"
        context = {
            "update": update,
            "handoff": handoff,
            "packet": handoff.packet,
            "transcript": transcript,
            "console_url": f"{self._settings.public_base_url}/console/c/{handoff.id}",
        }
        subject = (
            f"[GEM-BOOKS] Transfert #{handoff.id} ({handoff.priority}, {handoff.language}): {handoff.reason}"
        )
        if update:
            subject = f"[GEM-BOOKS] Transfert #{handoff.id} : nouvelle adresse pour répondre"
        message = build_message(
            sender=self._settings.mail_from,
            to=self._settings.support_email,
            subject=subject,
            text=self._templates.get_template("handoff.txt").render(context),
            html=self._templates.get_template("handoff.html").render(context),
            now=self._clock(),
        )
        if handoff.contact_email:
            local, _, domain = handoff.contact_email.partition("@")
            message["Reply-To"] = Address(addr_spec=f"{local}@{domain}")
        return message
