"""Handoffs end to end: open one, route the person's messages, reply, give the conversation back.

Usage::

    handoffs = Handoffs(store, conversations, live, outbox, settings, mail_replies=replies.agent_replied)
    opened = await handoffs.open(packet)            # from the action server (internal API)
    said = await handoffs.person_wrote(conversation, msg)  # the relay, while a handoff is open
    await handoffs.agent_reply(handoff, agent_id, "Bonjour, ...")
    await handoffs.hand_back(handoff)               # the assistant resumes, in the person's language
    await handoffs.claim(handoff, agent_id)         # the console pages: these methods, never .store/.live
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from bot.db.conversations import ConversationStore, transcript_line
from bot.db.handoff_models import Handoff, HandoffNote, IntentCorrection
from bot.db.models import Conversation, Message
from bot.handoff.live import Audience, LiveChannels
from bot.handoff.packet import Packet
from bot.handoff.store import HandoffStore, QueueRow, audience
from bot.handoff.waiting import WaitingState, person_messages_waiting, waiting_reply
from bot.mail.addresses import find_email
from bot.mail.outbox import Outbox
from bot.required import required
from bot.settings import Settings

__all__ = ["HANDOFF_MAIL", "Handoffs", "MailReply", "Opened", "UnknownConversation", "is_email"]

HANDOFF_MAIL = "handoff"

# Sends an agent's answer to a ticket from the mailbox by mail.
MailReply = Callable[[Handoff, Message], Awaitable[None]]

# What the widget shows when the conversation changes hands (the person's language).
TEXTS = {
    "open_online": {
        "fr": "Le soutien GEM-BOOKS a maintenant votre conversation. Un agent est en ligne et vous répondra ici.",
        "en": "GEM-BOOKS support now has your conversation. An agent is online and will answer here.",
    },
    "open_offline": {
        "fr": "Le soutien GEM-BOOKS a maintenant votre conversation. Aucun agent n'est en ligne : "
        "le soutien vous répondra par courriel.",
        "en": "GEM-BOOKS support now has your conversation. No agent is online right now: "
        "support will answer by email.",
    },
    "back": {
        "fr": "Je suis de retour! L'agent m'a redonné la conversation. Comment puis-je vous aider?",
        "en": "I'm back! The agent handed the conversation back to me. How can I help?",
    },
    "resolved": {
        "fr": "Le soutien a terminé cette conversation. Écrivez-nous de nouveau au besoin.",
        "en": "Support has closed this conversation. Write again if you need anything.",
    },
}


def is_email(handoff: Handoff) -> bool:
    """A ticket from the support mailbox (answered by mail, nobody to hand back to)."""
    return isinstance(handoff.packet, dict) and handoff.packet.get("channel") == "email"


class UnknownConversation(Exception):
    """The action server named a conversation this hub does not have."""


@dataclasses.dataclass(frozen=True)
class Opened:
    handoff: Handoff
    created: bool
    agent_online: bool


def support_frame(state: str, agent_online: bool, language: str) -> dict[str, Any]:
    """The widget's ``support`` frame (PROTOCOL.md)."""
    key = "resolved" if state == "closed" else ("open_online" if agent_online else "open_offline")
    return {
        "type": "support",
        "state": state,
        "agent_online": agent_online,
        "message": TEXTS[key][language if language in ("fr", "en") else "fr"],
    }


class Handoffs:
    def __init__(
        self,
        store: HandoffStore,
        conversations: ConversationStore,
        live: LiveChannels,
        outbox: Outbox,
        settings: Settings,
        *,
        mail_replies: MailReply,
        on_resolved: Callable[[Handoff, str | None, str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.conversations = conversations
        self.live = live
        self._outbox = outbox
        self._settings = settings
        # An agent's answer to a ticket from the mailbox goes out by mail, in its thread
        # (bot.triage.replies.MailReplies.agent_replied).
        self._mail_replies = required("mail_replies", mail_replies)
        # Told (handoff, outcome, person's language) after an agent resolves a handoff:
        # "Did this help?" (bot.satisfaction.chat).
        self._on_resolved = on_resolved

    # ------------------------------------------------------------- what the console pages ask
    # The pages (bot.console) call these, never ``store`` or ``live`` themselves.

    async def queue_page(self, agent_id: int, *, offset: int, limit: int) -> tuple[list[QueueRow], int]:
        """One page of the open handoffs this agent may see, and how many there are in all."""
        return await self.store.queue_page(agent_id, offset=offset, limit=limit)

    async def get(self, handoff_id: int) -> Handoff | None:
        """The handoff with this number, or None."""
        return await self.store.get(handoff_id)

    async def lines_after(self, handoff: Handoff, message_id: int) -> list[dict[str, Any]]:
        """The handoff's transcript lines newer than ``message_id``, as live frames, oldest
        first: what a console page opened (or reconnected) a moment too late has missed."""
        transcript = await self.conversations.transcript(handoff.conversation_id)
        return [self._message_frame(handoff, m) for m in transcript if m.id > message_id]

    async def corrections(self, handoff: Handoff) -> list[IntentCorrection]:
        """The intent corrections agents made in the handoff's conversation."""
        return await self.store.corrections(handoff.conversation_id)

    async def notes(self, handoff: Handoff) -> list[tuple[HandoffNote, str]]:
        """The handoff's internal notes, each with its author's name."""
        return await self.store.notes(handoff.id)

    async def claim(self, handoff: Handoff, agent_id: int) -> bool:
        """Assign the handoff to this agent if nobody has it; the consoles reload their queue."""
        if not await self.store.claim(handoff.id, agent_id):
            return False
        await self._tell_consoles({"type": "queue"}, handoff)
        return True

    async def add_note(self, handoff: Handoff, agent_id: int, text: str) -> None:
        """An internal note on the handoff (never shown to the person)."""
        await self.store.add_note(handoff.id, agent_id, text)

    async def message(self, message_id: int) -> Message | None:
        """A stored message of any conversation, or None."""
        return await self.store.message(message_id)

    async def correct(self, message: Message, agent_id: int, intent: str, language: str) -> None:
        """Record the intent this message really had (exported as NLU data)."""
        await self.store.correct(message, agent_id, intent, language)

    # ------------------------------------------------------------- a handoff's life

    async def open(self, packet: Packet, *, notify_by_mail: bool = True) -> Opened:
        """Open the conversation's handoff (once, however often the action is retried).

        ``notify_by_mail=False`` for tickets from the support mailbox: the mail is already
        there, a notification would only write to it again.
        """
        if await self.conversations.get(packet.conversation_id) is None:
            raise UnknownConversation(packet.conversation_id)
        online = await self.live.agents_online() > 0
        handoff, created = await self.store.open(packet, agent_online=online)
        if created:
            await self.live.to_widget(
                handoff.conversation_id, support_frame("open", online, handoff.language)
            )
            await self._tell_consoles({"type": "queue"}, handoff)
            if notify_by_mail and not online and handoff.contact_email:
                await self._queue_mail(handoff)
        return Opened(handoff, created, bool(handoff.agent_online_at_open))

    async def announce(self, handoff: Handoff) -> None:
        """Tell the consoles a handoff opened elsewhere (the email triage writes its own)."""
        await self._tell_consoles({"type": "queue"}, handoff)

    async def _queue_mail(self, handoff: Handoff) -> None:
        # The outbox key makes this exactly once per handoff, whoever calls it how often.
        await self._outbox.enqueue(f"handoff:{handoff.id}", HANDOFF_MAIL, {"handoff_id": handoff.id})
        await self.store.mark_mail_queued(handoff.id)

    async def person_wrote(self, conversation: Conversation, message: Message) -> list[Message]:
        """A person's message while people have the conversation: to the consoles, not Rasa.

        Returns what the person is told back (stored system messages): nothing while an
        agent has the conversation or is online; while the handoff waits for one, a short
        reply (``bot.handoff.waiting``), and an address in the message goes to the handoff.
        """
        handoff = await self.store.open_for(conversation.id)
        if handoff is None:
            return []
        await self._tell_consoles(self._message_frame(handoff, message), handoff)
        if handoff.agent_id is not None or await self.live.agents_online() > 0 or is_email(handoff):
            return []
        given = find_email(message.text)
        contact = handoff.contact_email
        if given is not None and given != contact:
            contact = given
            if await self.store.set_contact(handoff.id, given) and handoff.mail_queued:
                # Support was already mailed (with another address): tell them where to answer now.
                await self._outbox.enqueue(
                    f"handoff:{handoff.id}:contact:{given}",
                    HANDOFF_MAIL,
                    {"handoff_id": handoff.id, "update": "contact"},
                )
        if contact is not None and not handoff.mail_queued:
            # Once per handoff, as soon as an address is known while nobody is there to answer
            # (also when an agent was online at the handoff and has left since).
            await self._queue_mail(handoff)
        transcript = await self.conversations.transcript(conversation.id, limit=50)
        state = WaitingState(
            contact=contact,
            written=person_messages_waiting(transcript),
            typed_at=given is None and "@" in message.text,
            given=given is not None,
        )
        language = self._language_in(transcript, handoff.language)
        text = waiting_reply(language, state)
        reply = await self.conversations.add_message(conversation.id, "system", text)
        await self._tell_consoles(self._message_frame(handoff, reply), handoff)
        return [reply]

    async def agent_reply(self, handoff: Handoff, text: str) -> Message:
        message = await self.conversations.add_message(handoff.conversation_id, "agent", text)
        await self.store.mark_replied(handoff.id)
        if is_email(handoff):
            await self._mail_replies(handoff, message)
        else:
            await self.live.to_widget(
                handoff.conversation_id, {"type": "message", **transcript_line(message)}
            )
        await self._tell_consoles(self._message_frame(handoff, message), handoff)
        return message

    async def hand_back(self, handoff: Handoff) -> bool:
        """The assistant takes the conversation again and says so in the person's language."""
        if not await self.store.close(handoff.id, "handed_back", None):
            return False
        language = await self.person_language(handoff.conversation_id, handoff.language)
        back = await self.conversations.add_message(
            handoff.conversation_id, "assistant", TEXTS["back"][language]
        )
        await self.live.to_widget(
            handoff.conversation_id,
            {"type": "support", "state": "closed", "agent_online": False, "message": ""},
        )
        await self.live.to_widget(handoff.conversation_id, {"type": "message", **transcript_line(back)})
        await self._tell_consoles({"type": "queue"}, handoff)
        return True

    async def resolve(self, handoff: Handoff, outcome: str) -> bool:
        if not await self.store.close(handoff.id, "resolved", outcome):
            return False
        language = await self.person_language(handoff.conversation_id, handoff.language)
        await self.live.to_widget(handoff.conversation_id, support_frame("closed", False, language))
        if self._on_resolved is not None:
            await self._on_resolved(handoff, outcome, language)
        await self._tell_consoles({"type": "queue"}, handoff)
        return True

    async def person_language(self, conversation_id: str, fallback: str) -> str:
        """The language the person last wrote in (as the assistant detected it)."""
        return self._language_in(await self.conversations.transcript(conversation_id, limit=50), fallback)

    def _language_in(self, transcript: list[Message], fallback: str) -> str:
        for message in reversed(transcript):
            if message.author == "person" and message.language in ("fr", "en"):
                return str(message.language)
        return fallback if fallback in ("fr", "en") else self._settings.default_language

    @staticmethod
    def _message_frame(handoff: Handoff, message: Message) -> dict[str, Any]:
        return {
            "type": "message",
            # The handoff's number, never the conversation id: that one is the person's key.
            "handoff_id": handoff.id,
            "id": message.id,
            **transcript_line(message),
        }

    async def _tell_consoles(self, frame: dict[str, Any], handoff: Handoff) -> None:
        # Queue changes go to everyone (they only say "reload"); message text only to
        # those who may see the conversation.
        if frame["type"] == "queue":
            await self.live.to_consoles(frame, Audience.everyone())
        else:
            await self.live.to_consoles(frame, audience(handoff))
