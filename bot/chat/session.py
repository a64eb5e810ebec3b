"""A person's chat connection, whatever the wire protocol: opening and talking.

The WebSocket protocol (``bot.chat.ws``) and Rasa's socket.io protocol
(``bot.chat.socketio_channel``) are thin adapters around this class, so both channels follow
the same rules: server-issued ids, resume codes, size and flood limits, transcripts, and
live frames from support (an agent's reply, a hand-back) for the open conversation.

Usage::

    session = ChatSession(settings, store, relay, resume_attempts, live, deliver,
                          satisfaction, limits=shared_limits, client_key="1.2.3.4", channel="widget")
    problems = await session.open(conversation_id=None, resume_code=None,
                                  language="fr", user_agent="Mozilla/5.0 ...")
    if session.conversation is None: ...         # too many new conversations: problems say so
    request = await session.prepare("mot de passe oublié", payload=None)
    if isinstance(request, Problem): ...         # tell the person, nothing stored
    else: said = await session.run(request)      # said.replies, said.problem, said.satisfaction
    reply = await session.answer_satisfaction({"answer": "yes", "comment": ""})
    session.close()                              # the connection ended

``deliver`` receives the WebSocket protocol's frames (``message`` from an agent,
``support``) at any time, outside any turn; each adapter writes them in its protocol.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.chat.errors import ErrorCode
from bot.chat.relay import ChatRelay, UnknownButton
from bot.chat.resume_attempts import ResumeAttempts
from bot.db.conversations import Button, ConversationStore
from bot.db.models import Conversation, Message
from bot.handoff.live import LiveChannels, Send
from bot.handoff.service import support_frame
from bot.limits.database import Rule, SharedRateLimits
from bot.limits.memory import SlidingWindow
from bot.satisfaction.chat import ChatSatisfaction
from bot.settings import Settings
from bot.text_policy import check_text

__all__ = ["LANGUAGES", "ChatSession", "Problem", "Said", "SayRequest"]

LANGUAGES = ("fr", "en")
_USER_AGENT_CHARS = 512


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something to tell the person instead of (or after) an answer."""

    code: ErrorCode
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class SayRequest:
    """A validated message, ready to relay."""

    text: str
    button: Button | None


@dataclasses.dataclass
class Said:
    """What came of a message: stored replies and possibly a problem."""

    replies: list[Message]
    problem: Problem | None = None
    # "Did this help?" (a ``satisfaction`` frame), when this turn ended a flow solved.
    satisfaction: dict[str, Any] | None = None
    # The language the assistant detected in the person's message, when it could tell.
    language: str | None = None


class ChatSession:
    """State and rules of one chat connection."""

    def __init__(
        self,
        settings: Settings,
        store: ConversationStore,
        relay: ChatRelay,
        resume_attempts: ResumeAttempts,
        live: LiveChannels,
        deliver: Send,
        satisfaction: ChatSatisfaction,
        *,
        limits: SharedRateLimits,
        client_key: str,
        channel: str,
    ) -> None:
        self.settings = settings
        self._satisfaction = satisfaction
        self._store = store
        self._relay = relay
        self._resume_attempts = resume_attempts
        self._live = live
        self._deliver = deliver
        self._limits = limits
        # The conversation whose live frames ``deliver`` receives.
        self._listening_to: str | None = None
        self._client_key = client_key
        self.channel = channel
        self.conversation: Conversation | None = None
        # Set when ``open`` created the conversation and nothing has happened in it since:
        # its transcript is empty and nothing was asked in it, so the welcome reads nothing.
        self._new_and_empty = False
        self.language = settings.default_language
        self.user_agent = ""
        # The language Rasa last detected for this person; it beats the widget's
        # language for error texts until the person picks a language explicitly.
        self._detected_language: str | None = None
        self._flood = SlidingWindow(settings.rate_limit_messages, settings.rate_limit_window_seconds)
        self._flood_reported = False

    @property
    def person_language(self) -> str:
        """The language to address the person in."""
        return self._detected_language or self.language

    def allow_frame(self) -> bool:
        """Count one incoming frame against the flood limit."""
        if self._flood.allow():
            self._flood_reported = False
            return True
        return False

    def should_report_flood(self) -> bool:
        """True once per burst, so a flood does not get a flood of errors back."""
        if self._flood_reported:
            return False
        self._flood_reported = True
        return True

    def set_language(self, language: object) -> bool:
        if language not in LANGUAGES:
            return False
        self.language = str(language)
        self._detected_language = None
        return True

    async def open(
        self,
        *,
        conversation_id: object,
        resume_code: object,
        language: object,
        user_agent: object,
    ) -> list[Problem]:
        """Attach to the conversation a resume code opens, else the named one, else a new one.

        Ids the server did not issue are never honoured: the person gets a new
        conversation, never someone else's. Opening again on the same connection switches
        conversation only if the id or code is valid.
        """
        self.set_language(language)
        if isinstance(user_agent, str):
            self.user_agent = user_agent[:_USER_AGENT_CHARS]
        problems: list[Problem] = []
        conversation = None
        # A typed code says where the person wants to be; if it fails they stay in the
        # conversation they had (the id), so a typo never loses a conversation.
        if isinstance(resume_code, str) and resume_code.strip():
            conversation, problem = await self._resume(resume_code)
            if problem is not None:
                problems.append(problem)
        if conversation is None:
            conversation = await self._store.get(conversation_id)
        created = False
        if conversation is None and self.conversation is None:
            if not await self._may_start_conversation():
                # Nothing opened: the person is told, and may come back later.
                return [*problems, Problem("rate_limited", "new_conversation")]
            conversation = await self._store.create(self.language, self.channel)
            created = True
        if conversation is not None:
            self.conversation = conversation
            self._new_and_empty = created
            if conversation.language != self.language:
                await self._store.set_language(conversation.id, self.language)
                conversation.language = self.language
            self._listen(conversation.id)
        return problems

    async def _may_start_conversation(self) -> bool:
        """Count a new conversation for this client address; False once over the limit.

        In the shared database limits, so every hub process counts the same: one address
        opening thousands of conversations would fill the database and Rasa's trackers.
        """
        rule = Rule(
            "new_conversations",
            self._client_key,
            self.settings.max_new_conversations_per_client,
            self.settings.new_conversations_window_seconds,
        )
        return await self._limits.hit([rule]) is None

    def close(self) -> None:
        """The connection ended: no more live frames for it."""
        self._listen(None)

    def _listen(self, conversation_id: str | None) -> None:
        if self._listening_to == conversation_id:
            return
        if self._listening_to is not None:
            self._live.detach_widget(self._listening_to, self._live_frame)
        if conversation_id is not None:
            self._live.attach_widget(conversation_id, self._live_frame)
        self._listening_to = conversation_id

    async def _live_frame(self, frame: dict[str, Any]) -> None:
        """A frame from support for the open conversation: note who has it, pass it on.

        The relay sends a message to people or to Rasa by ``conversation.status``, so a
        handoff opened or closed anywhere (another hub, the console) counts from the next
        message without a database read on every turn; each turn checks it again.
        """
        self._new_and_empty = False  # support wrote in it (from the console, another hub)
        if frame.get("type") == "support" and self.conversation is not None:
            if frame.get("state") == "open":
                self.conversation.status = "agent"
            elif frame.get("state") == "closed":
                self.conversation.status = "bot"
        await self._deliver(frame)

    async def support_notice(self) -> dict[str, Any] | None:
        """The ``support`` frame to show on (re)opening a conversation people have, else None."""
        if self.conversation is None or self.conversation.status != "agent":
            return None
        online = await self._live.agents_online() > 0
        return support_frame("open", online, self.person_language)

    async def _resume(self, raw_code: str) -> tuple[Conversation | None, Problem | None]:
        if await self._resume_attempts.exhausted(self._client_key):
            return None, Problem("rate_limited", "resume")
        conversation = await self._store.find_by_resume_code(raw_code)
        if conversation is None:
            await self._resume_attempts.record(self._client_key)
            return None, Problem("resume_not_found")
        return conversation, None

    async def transcript(self) -> list[Message]:
        assert self.conversation is not None
        if self._new_and_empty:
            return []
        return await self._store.transcript(self.conversation.id)

    async def change_language(self, language: object) -> Problem | None:
        """The person picked a language in the widget."""
        if not self.set_language(language):
            return Problem("bad_request")
        if self.conversation is not None:
            await self._store.set_language(self.conversation.id, self.language)
            self.conversation.language = self.language
            await self._relay.choose_language(self.conversation.id, self.language)
        return None

    async def has_person_messages(self) -> bool:
        """Whether the person has written in this conversation yet."""
        assert self.conversation is not None
        return any(message.author == "person" for message in await self.transcript())

    async def set_opening_language(self, language: object) -> None:
        """The client's language before the person's first message, as ``open`` takes it.

        Unlike :meth:`change_language`, nothing goes to Rasa now: the language travels with
        the first message, and the assistant's session starts in it.
        """
        if self.set_language(language) and self.conversation is not None:
            await self._store.set_language(self.conversation.id, self.language)
            self.conversation.language = self.language

    def prepare_intent(self, text: str, payload: str) -> SayRequest | Problem:
        """A channel's allowed intent payload (``text`` as sent, e.g. "/get_started")."""
        if self.conversation is None:
            return Problem("bad_request", "no_hello")
        return SayRequest(text=text, button={"title": text, "payload": payload})

    async def prepare(self, text: object, payload: object = None) -> SayRequest | Problem:
        """Check a message before anything is stored."""
        if self.conversation is None:
            return Problem("bad_request", "no_hello")
        if payload is not None:
            if not isinstance(payload, str) or len(payload) > self.settings.max_message_chars:
                return Problem("bad_request")
            try:
                button = await self._relay.resolve_button(self.conversation.id, payload)
            except UnknownButton:
                return Problem("bad_request", "unknown_button")
            return SayRequest(text=button["title"], button=button)
        if not isinstance(text, str):
            return Problem("bad_request")
        problem = check_text(text, self.settings.max_message_chars)
        if problem == "too_long":
            return Problem("too_long")
        if problem is not None:
            return Problem("bad_request", problem)
        return SayRequest(text=text, button=None)

    async def run(self, request: SayRequest) -> Said:
        """Relay a prepared message and store the replies."""
        assert self.conversation is not None
        self._new_and_empty = False
        turn = await self._relay.person_says(
            self.conversation,
            request.text,
            language=self.language,
            user_agent=self.user_agent,
            button=request.button,
        )
        if turn.language is not None:
            self._detected_language = turn.language
        problem = Problem(turn.error) if turn.error else None
        asked = await self._satisfaction.after_turn(
            self.conversation.id, self.person_language, solved=turn.solved
        )
        return Said(replies=turn.replies, problem=problem, satisfaction=asked, language=turn.language)

    async def satisfaction_notice(self) -> dict[str, Any] | None:
        """The unanswered "Did this help?" to show again on (re)opening the conversation."""
        if self.conversation is None or self._new_and_empty:
            return None
        return await self._satisfaction.on_open(self.conversation.id)

    async def answer_satisfaction(self, frame: dict[str, Any]) -> dict[str, Any] | Problem:
        """The person's answer to "Did this help?": the thanks frame, or why it is refused."""
        if self.conversation is None:
            return Problem("bad_request", "no_hello")
        reply = await self._satisfaction.answer(self.conversation.id, self.channel, frame)
        if reply.frame is None:
            return Problem("bad_request", reply.refused)
        return reply.frame
