"""One turn of a conversation with the assistant, shared by every chat channel.

Usage::

    relay = ChatRelay(store, rasa, to_agents=handoffs.person_wrote, locks=cluster.locks)
    turn = await relay.person_says(conversation, "mot de passe oublié",
                                   language="fr", user_agent="Mozilla/5.0 ...")
    for reply in turn.replies: ...          # stored assistant messages, in order
    if turn.error: ...                      # e.g. "assistant_unavailable"

One call to Rasa and one database transaction per turn, whatever the conversation's
length. Rasa is called through the project's hub channel (``rasa_addons.hub_channel``),
which answers with the replies and what Rasa understood (intent, confidence, language,
steps tried, a handoff it opened); then the person's message, that understanding and the
replies are stored together (``ConversationStore.record_turn``), before the replies are
sent, so the transcript never lacks what the person saw.

Whether people have the conversation (status "agent": the message goes to them, not to
Rasa) is what the caller's ``Conversation`` says: the chat session keeps it current from
the live ``support`` frames, and every turn's transaction reads it again. If people took
the conversation while Rasa was answering, or before without this hub hearing of it, the
assistant's replies are dropped and the message goes to people. A message that does not
reach Rasa (people have the conversation, Rasa cannot be reached, another turn holds the
conversation) is stored on its own. The turn lock is held until the transaction is done,
so what reads a transcript "between turns" (the handoff mail) waits for it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.chat.errors import ErrorCode
from bot.cluster.locks import LocalTurnLocks, TurnBusy, TurnLocks
from bot.db.conversations import Button, ConversationStore, PersonMessage
from bot.db.models import Conversation, Message, utcnow
from bot.funnel import solved_step
from bot.rasa_client import AssistantUnavailable, RasaClient
from bot.required import required

__all__ = ["ChatRelay", "ToAgents", "Turn", "UnknownButton"]

log = logging.getLogger(__name__)

# Longest user agent passed on to Rasa; enough to tell browsers apart.
_USER_AGENT_CHARS = 512
# Answers kept for a retry after a failed transaction (a database outage: a few at most).
_UNSAVED_KEPT = 1000


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


@dataclasses.dataclass(frozen=True)
class _Answered:
    """What Rasa answered to a person's message, ready to store."""

    person: PersonMessage
    lines: list[tuple[str, str, list[Button] | None]]
    steps_tried: tuple[str, ...]
    shown_step: int | None
    handoff_reason: str | None


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
        # Rasa's answers whose transaction failed, by conversation, for the person's retry.
        self._unsaved: dict[str, _Answered] = {}

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
        if conversation.status == "agent":
            # People had the conversation when this hub last heard: check, it may have
            # been handed back on another hub (a read, off the assistant's path).
            current = await self._store.get(conversation.id)
            if current is not None:
                conversation.status = current.status
        if conversation.status == "agent" or not for_rasa:
            return await self._without_assistant(conversation, shown, payload)
        unsaved = self._unsaved.pop(conversation.id, None)
        if unsaved is not None:
            if (unsaved.person.text, unsaved.person.payload) == (shown, payload):
                # The person sends again what Rasa answered last time, when that answer
                # could not be stored: store it now, and do not make Rasa take it twice.
                return await self._record(conversation, unsaved)
            # Something else: Rasa has the earlier message, so the transcript keeps it
            # too; its replies were never shown and are not stored.
            await self._record(conversation, dataclasses.replace(unsaved, lines=[]))
        received_at = utcnow()
        metadata = {"language": language, "user_agent": user_agent[:_USER_AGENT_CHARS]}
        try:
            # One call: the replies and what Rasa understood come back together
            # (rasa_addons.hub_channel); no tracker is read on the turn path.
            answer = await self._rasa.turn(conversation.id, for_rasa, metadata)
        except AssistantUnavailable as exc:
            log.warning("conversation %.8s…: %s", conversation.id, exc)
            turn = await self._without_assistant(conversation, shown, payload)
            if conversation.status != "agent":
                turn.error = "assistant_unavailable"
            return turn
        error: ErrorCode | None = None
        if not answer.replies and not (await self._rasa.action_server_health())["ok"]:
            # Rasa swallows action-server failures and answers with nothing.
            log.warning("conversation %.8s…: action server down", conversation.id)
            error = "assistant_unavailable"
        understood = answer.understood
        answered = _Answered(
            person=PersonMessage(
                shown,
                payload,
                received_at,
                intent=understood.intent,
                confidence=understood.confidence,
                language=understood.language,
            ),
            lines=[
                ("assistant", reply.text, reply.buttons)
                for reply in answer.replies
                if reply.text or reply.buttons
            ],
            steps_tried=tuple(understood.steps_tried),
            shown_step=understood.troubleshooting_step,
            handoff_reason=answer.handoff_reason,
        )
        turn = await self._record(conversation, answered)
        turn.error = error
        return turn

    async def _record(self, conversation: Conversation, answered: _Answered) -> Turn:
        """The turn's one transaction: the message, what Rasa understood, steps, replies."""
        handed_over = answered.handoff_reason is not None
        try:
            recorded = await self._store.record_turn(
                conversation.id,
                answered.person,
                answered.lines,
                steps_tried=answered.steps_tried,
                shown_step=answered.shown_step,
                handed_over=handed_over,
            )
        except SQLAlchemyError:
            # The database stayed busy past its timeout (the person is told to try again):
            # keep Rasa's answer for the retry, so that Rasa does not take the message twice.
            self._keep_unsaved(conversation.id, answered)
            raise
        if recorded.status is not None:
            conversation.status = recorded.status
        turn = Turn(
            person_message=recorded.person,
            replies=recorded.replies,
            language=answered.person.language,
            handoff_reason=answered.handoff_reason,
            solved=solved_step(answered.steps_tried) is not None,
        )
        if recorded.status == "agent" and not handed_over:
            # People took the conversation while Rasa answered, or before without this hub
            # hearing of it: the message is theirs and the assistant's replies were dropped.
            log.info("conversation %.8s…: people have it; the assistant's answer is dropped", conversation.id)
            turn.solved = False
            turn.replies = await self._to_agents(conversation, recorded.person)
        return turn

    def _keep_unsaved(self, conversation_id: str, answered: _Answered) -> None:
        self._unsaved[conversation_id] = answered
        while len(self._unsaved) > _UNSAVED_KEPT:
            del self._unsaved[next(iter(self._unsaved))]  # the oldest

    async def _without_assistant(self, conversation: Conversation, shown: str, payload: str | None) -> Turn:
        """Store a message Rasa does not get; it goes to people if they have the conversation."""
        person, current = await self._store.add_person_message(conversation.id, shown, payload=payload)
        turn = Turn(person_message=person)
        if current is not None:
            conversation.status = current.status
            if current.status == "agent":
                # A handoff is open: people answer now, not the assistant.
                turn.replies = await self._to_agents(current, person)
        return turn
