"""One turn of a conversation with the assistant, shared by every chat channel.

Usage::

    relay = ChatRelay(store, rasa, to_agents=handoffs.person_wrote, locks=cluster.locks)
    turn = await relay.person_says(conversation, "mot de passe oublié",
                                   language="fr", user_agent="Mozilla/5.0 ...")
    for reply in turn.replies: ...          # stored assistant messages, in order
    if turn.error: ...                      # e.g. "assistant_unavailable"

The person's message is stored before Rasa is called, so it is kept whatever happens
next (and a handoff opened during the turn has it in its transcript). Rasa is called once,
through the project's hub channel (``rasa_addons.hub_channel``), which answers with the replies
and the NLU result (intent, confidence, language) and steps tried; those are stored in one
more transaction. Two transactions per turn, whatever the conversation's length.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from bot.chat.errors import ErrorCode
from bot.cluster.locks import LocalTurnLocks, TurnBusy, TurnLocks
from bot.db.conversations import Button, ConversationStore
from bot.db.models import Conversation, Message
from bot.funnel import solved_step
from bot.rasa_client import AssistantUnavailable, RasaClient
from bot.required import required

__all__ = ["ChatRelay", "ToAgents", "Turn", "UnknownButton"]

log = logging.getLogger(__name__)

# Longest user agent passed on to Rasa; enough to tell browsers apart.
_USER_AGENT_CHARS = 512


# The handoff service's Handoffs.person_wrote.
ToAgents = Callable[[Conversation, Message], Awaitable[list[Message]]]


class UnknownButton(Exception):
    """A clicked payload that this conversation was never offered."""


@dataclasses.dataclass
class Turn:
    """The outcome of one person's message."""

    person_message: Message
    replies: list[Message] = dataclasses.field(default_factory=list)
    # The language Rasa detected for the person's message, when it could tell.
    language: str | None = None
    # Why the assistant handed the conversation to support during this turn, if it did
    # (the handoff itself was opened through the internal API while Rasa ran).
    handoff_reason: str | None = None
    # The troubleshooting steps after this turn say one of them solved the problem.
    solved: bool = False
    error: ErrorCode | None = None


def _text_for_rasa(text: str) -> str:
    # Rasa reads text starting with "/" as an intent with slot values ("/inform{...}");
    # only buttons the assistant offered may do that, never typed text.
    return text.lstrip().lstrip("/").lstrip()


class ChatRelay:
    """Stores a person's message, asks Rasa, stores and returns the replies."""

    def __init__(
        self,
        store: ConversationStore,
        rasa: RasaClient,
        *,
        to_agents: ToAgents,
        locks: TurnLocks | None = None,
    ) -> None:
        self._store = store
        self._rasa = rasa
        # Where a person's message goes while people have the conversation (status
        # "agent") instead of Rasa; returns what the person is told back (stored system
        # messages, often none). Required: without it the assistant would answer instead.
        self._to_agents = required("to_agents", to_agents)
        # One turn at a time per conversation (two tabs on one conversation, maybe on two
        # hubs), so that replies are stored in the order the messages were sent.
        self._locks = locks or LocalTurnLocks()

    async def choose_language(self, conversation_id: str, language: str) -> None:
        """The person picked a language in the widget: the assistant answers in it from now on.

        Rasa's language slot otherwise changes only when a message is long enough to tell,
        so a click on "EN" followed by "ok" would still get French.
        """
        try:
            async with self._locks.hold(conversation_id):
                await self._rasa.set_slot(conversation_id, "language", language)
        except TurnBusy:
            # The next message carries the language in its metadata anyway.
            log.warning("conversation %.8s…: busy, language not set in Rasa now", conversation_id)

    async def resolve_button(self, conversation_id: str, payload: str) -> Button:
        """The offered button for ``payload``; raises :class:`UnknownButton` otherwise."""
        button = await self._store.offered_button(conversation_id, payload)
        if button is None:
            raise UnknownButton(payload)
        return button

    async def person_says(
        self,
        conversation: Conversation,
        text: str,
        *,
        language: str,
        user_agent: str,
        button: Button | None = None,
    ) -> Turn:
        """Run one turn. ``button``: the offered button the person clicked, if any."""
        try:
            async with self._locks.hold(conversation.id):
                return await self._turn(conversation, text, language, user_agent, button)
        except TurnBusy:
            # Another turn of this conversation held it past the bounded wait (a hub died
            # mid-turn, or Rasa hangs): keep the message, say so, never hang.
            log.warning("conversation %.8s…: another turn is still running", conversation.id)
            shown = button["title"] if button is not None else text
            payload = button["payload"] if button is not None else None
            person, _ = await self._store.add_person_message(conversation.id, shown, payload=payload)
            return Turn(person_message=person, error="assistant_unavailable")

    async def _turn(
        self, conversation: Conversation, text: str, language: str, user_agent: str, button: Button | None
    ) -> Turn:
        if button is not None:
            shown, for_rasa, payload = button["title"], button["payload"], button["payload"]
        else:
            shown, for_rasa, payload = text, _text_for_rasa(text), None
        person, current = await self._store.add_person_message(conversation.id, shown, payload=payload)
        turn = Turn(person_message=person)
        if current is not None and current.status == "agent":
            # A handoff is open: people answer now, not the assistant.
            turn.replies = await self._to_agents(current, person)
            return turn
        if not for_rasa:
            return turn
        metadata = {"language": language, "user_agent": user_agent[:_USER_AGENT_CHARS]}
        try:
            # One call: the replies and what Rasa understood come back together
            # (rasa_addons.hub_channel); no tracker is read on the turn path.
            answer = await self._rasa.turn(conversation.id, for_rasa, metadata)
        except AssistantUnavailable as exc:
            log.warning("conversation %.8s…: %s", conversation.id, exc)
            turn.error = "assistant_unavailable"
            return turn
        if not answer.replies and not (await self._rasa.action_server_health())["ok"]:
            # Rasa swallows action-server failures and answers with nothing.
            log.warning("conversation %.8s…: action server down", conversation.id)
            turn.error = "assistant_unavailable"
        understood = answer.understood
        lines = [
            ("assistant", reply.text, reply.buttons)
            for reply in answer.replies
            if reply.text or reply.buttons
        ]
        person.intent = understood.intent
        person.confidence = understood.confidence
        person.language = understood.language
        turn.language = understood.language
        turn.handoff_reason = answer.handoff_reason
        turn.solved = solved_step(understood.steps_tried) is not None
        # One transaction for the NLU result, the steps and the replies.
        turn.replies = await self._store.finish_turn(
            conversation.id,
            person.id,
            lines,
            understood=(understood.intent, understood.confidence, understood.language),
            steps_tried=understood.steps_tried,
            shown_step=understood.troubleshooting_step,
        )
        return turn
