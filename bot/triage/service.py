"""Email triage end to end: receive a mail, understand it, answer it or open a ticket.

Usage::

    triage = Triage(store, rasa, settings, handoffs=..., outbox=..., limits=...)
    received = await triage.receive(raw, source="smtp", envelope_from="marie@exemple.ca")
    triage.start()                       # the worker: triages received mail in the background
    analysis = await triage.analyse(parse_mail(raw, max_bytes=...))   # read-only (the command)

Receiving only parses and records (quick, so the SMTP listener can say 250 at once and
nothing is lost if Rasa is down); the worker then classifies with the Rasa model's
``/model/parse``, decides (:mod:`bot.triage.decide`) and acts:

- ``auto_reply``: the answer goes through the outbox, with ``Auto-Submitted: auto-replied``,
  ``In-Reply-To`` and ``References``; the conversation keeps both sides.
- ``ticket``: a handoff (reason "email") in the agent console with topic, language and a
  suggested reply; an agent's answer goes back by mail in the same thread.
- ``filed``: automatic mail (RFC 3834 and friends) is recorded, never answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from bot.clock import Clock, system_clock
from bot.db.triage_models import InboundMail
from bot.handoff.packet import Packet
from bot.handoff.service import Handoffs
from bot.jobs import Worker, backoff
from bot.limits.database import Rule, SharedRateLimits
from bot.mail.messages import build_message, sender_domain
from bot.mail.outbox import Outbox
from bot.mail.templates import mail_templates
from bot.mail.worker import Composer
from bot.rasa_client import AssistantUnavailable, Parse
from bot.settings import Settings
from bot.triage.answers import (
    Links,
    answer_text,
    draft_text,
    feedback_text,
    greeting_name,
    text_to_html,
)
from bot.triage.automatic import automatic_reason
from bot.triage.decide import Decision, Facts, decide
from bot.triage.parse import parse_mail
from bot.triage.parsed import MalformedMail, ParsedMail
from bot.triage.quotes import classification_text, new_text
from bot.triage.reading import (
    Reading,
    ReplySigns,
    choose_reading,
    reply_signs,
    request_sentences,
    sentence_count,
)
from bot.triage.replies import TRIAGE_REPLY, reply_params, reply_subject
from bot.triage.store import Outcome, TriageStore

__all__ = [
    "FOREIGN_REPLY_WARNING",
    "TRIAGE_REPLY",
    "Analysis",
    "Received",
    "Triage",
    "reply_subject",
    "transcript_text",
]

log = logging.getLogger(__name__)

# A mail whose triage keeps failing (not Rasa being down: a bug) is quarantined after this.
_MAX_ATTEMPTS = 8
_LEASE = dt.timedelta(minutes=5)
_PARSED_KEPT = 1000
_TRANSCRIPT_CHARS = 5000
_DECIDING = {"fr": "Phrase qui a décidé du tri", "en": "Sentence the triage decided on"}
# In the transcript of a mail that answered a thread its sender is no part of.
FOREIGN_REPLY_WARNING = {
    "fr": "Attention : ce courriel répond à la conversation d'une autre adresse (détournement possible). "
    "Il a été classé à part ; ne communiquez rien de l'autre conversation à cet expéditeur.",
    "en": "Warning: this mail answers a conversation of another address (possible hijack). "
    "It was filed apart; share nothing of the other conversation with this sender.",
}
_FOOTER = {
    "fr": "Soutien GEM-BOOKS — répondez à ce courriel pour nous écrire.",
    "en": "GEM-BOOKS support — reply to this email to write to us.",
}


class TextParser(Protocol):
    """What the triage needs of Rasa: :meth:`bot.rasa_client.RasaClient.parse`."""

    async def parse(self, text: str) -> Parse: ...


@dataclasses.dataclass(frozen=True)
class Received:
    status: str  # "new" | "duplicate" | "quarantined"
    mail_id: int
    reason: str = ""  # the quarantine reason


@dataclasses.dataclass(frozen=True)
class Analysis:
    """Everything the triage concluded about one mail, before acting on it."""

    parsed: ParsedMail
    automatic: str | None
    text: str
    understood: Parse | None
    language: str
    thread: tuple[str, str] | None  # (conversation id, kind of the id it answers)
    decision: Decision
    answer: str | None  # the automatic answer (auto_reply)
    draft: str  # the suggested reply an agent edits (ticket)
    # What decided: the topic of the sentence that asked, or of the whole text.
    reading: Reading = Reading(None, 0.0)

    @property
    def intent(self) -> str | None:
        return self.reading.intent

    @property
    def confidence(self) -> float:
        return self.reading.confidence


def _replying(signs: ReplySigns | None) -> str | None:
    if signs is None:
        return None
    if signs.to_auto_answer:
        return "auto_answer"
    if signs.to_us:
        return "us"
    return "other" if signs.is_reply else None


def transcript_text(parsed: ParsedMail, language: str, *, deciding: str = "", foreign: bool = False) -> str:
    """What the console shows of a mail: subject, the new text (forwarded text included),
    attachments by name, and the sentence the triage decided on when it was not the whole.
    A reply from an address foreign to the thread it answers starts with a warning."""
    body = new_text(parsed).strip()[:_TRANSCRIPT_CHARS]
    lines = [
        f"[{FOREIGN_REPLY_WARNING[language]}]" if foreign else "",
        f"{'Objet' if language == 'fr' else 'Subject'} : {parsed.subject}" if parsed.subject else "",
        body,
    ]
    if parsed.attachments:
        label = "Pièces jointes" if language == "fr" else "Attachments"
        names = ", ".join(f"{a.filename or '?'} ({a.content_type})" for a in parsed.attachments[:10])
        lines.append(f"[{label} : {names}]")
    if deciding:
        lines.append(f"[{_DECIDING[language]} : « {deciding[:300]} »]")
    return "\n\n".join(line for line in lines if line)


class Triage:
    def __init__(
        self,
        store: TriageStore,
        rasa: TextParser,
        settings: Settings,
        *,
        handoffs: Handoffs | None = None,
        outbox: Outbox | None = None,
        limits: SharedRateLimits | None = None,
        clock: Clock = system_clock,
        feedback: Callable[[int, str], list[tuple[str, str]]] | None = None,
    ) -> None:
        self.store = store
        self._rasa = rasa
        self._settings = settings
        self._handoffs = handoffs
        self._outbox = outbox
        self._limits = limits
        self._clock = clock
        # The signed "this solved it" / "I still need help" links that end an automatic
        # answer, for (mail id, language) (bot.satisfaction.mail.MailFeedback.footer).
        self._feedback = feedback
        self._links = Links(settings.password_reset_url, settings.user_code_url, settings.support_email)
        self._templates = mail_templates()
        self.wakeup = asyncio.Event()
        self._worker = Worker(
            "triage-worker", self.process_one, idle_seconds=settings.triage_poll_seconds, wakeup=self.wakeup
        )
        self._parsed: dict[int, ParsedMail] = {}

    # -- intake ---------------------------------------------------------------------------

    async def receive(self, raw: bytes, *, source: str, envelope_from: str | None = None) -> Received:
        """Record one mail for triage; malformed mail is quarantined, never raised."""
        try:
            parsed = parse_mail(raw, max_bytes=self._settings.triage_max_bytes)
        except MalformedMail as exc:
            row = await self.store.quarantine(
                raw, source=source, envelope_from=envelope_from, reason=exc.reason
            )
            log.warning("mail quarantined (%s): %d bytes from %s", exc.reason, len(raw), source)
            return Received("quarantined", row.id, exc.reason)
        row, created = await self.store.receive(parsed, raw, source=source, envelope_from=envelope_from)
        if created:
            # The worker in this process need not parse it again (bounded: a backlog re-parses).
            if len(self._parsed) < _PARSED_KEPT:
                self._parsed[row.id] = parsed
            self.wakeup.set()
        return Received("new" if created else "duplicate", row.id)

    async def intake_from_imap(self, raw: bytes) -> bool:
        """The IMAP poller's intake: True once the mail is recorded (so it is marked handled)."""
        await self.receive(raw, source="imap")
        return True

    # -- understanding and deciding (read-only) --------------------------------------------

    async def analyse(self, parsed: ParsedMail, *, envelope_from: str | None = None) -> Analysis:
        """Classify and decide, without writing anything. Raises AssistantUnavailable."""
        automatic = automatic_reason(
            parsed, own_addresses=self._settings.own_addresses, envelope_from=envelope_from
        )
        text = classification_text(parsed)
        understood = await self._rasa.parse(text) if text and automatic is None else None
        language = self._language(parsed, understood)
        reading = await self._read(parsed, understood, language)
        signs = reply_signs(parsed, own_addresses=self._settings.own_addresses) if automatic is None else None
        thread, foreign = await self._thread(parsed, automatic)
        ticket_open = False
        if thread is not None and self._handoffs is not None:
            ticket_open = await self._handoffs.store.open_for(thread[0]) is not None
        facts = Facts(
            automatic=automatic,
            thread_kind=thread[1] if thread else None,
            ticket_open=ticket_open,
            foreign_reply=foreign,
            text=text,
            intent=reading.intent,
            confidence=reading.confidence,
            language=language,
            replying=_replying(signs),
            resolved=signs is not None and signs.resolved,
            mixed=reading.mixed,
        )
        decision = decide(facts, self._settings)
        name = greeting_name(parsed.from_name)
        answer = answer_text(facts.intent, language, self._links, name=name)
        draft_topic = "still_not_working" if decision.reason == "reply_to_auto_answer" else facts.intent
        draft = draft_text(draft_topic, language, self._links, name=name)
        return Analysis(
            parsed, automatic, text, understood, language, thread, decision, answer, draft, reading
        )

    async def _thread(self, parsed: ParsedMail, automatic: str | None) -> tuple[tuple[str, str] | None, bool]:
        """The conversation this mail joins, with how ("inbound", "auto_reply", "agent_reply"
        for a thread it answers, "sender" for its sender's open ticket), and whether it
        answered a thread its sender is no part of.

        Threading by ``In-Reply-To``/``References`` alone would let anyone who knows a
        Message-ID join someone's ticket (and have the agent's answer go to them): a reply
        joins only from an address the thread already has; otherwise it starts its own
        ticket, flagged ``foreign_reply``. A sender's mails that answer no thread of theirs
        join the sender's open ticket, so a flood of mail makes one ticket, not hundreds.
        """
        sender = parsed.from_address or parsed.answer_address
        thread = await self.store.thread_of([*parsed.in_reply_to, *reversed(parsed.references)])
        foreign = False
        if thread is not None and sender not in await self.store.participants(thread[0]):
            thread, foreign = None, True
        if thread is None and automatic is None and sender:
            conversation_id = await self.store.open_ticket_of(sender)
            if conversation_id is not None:
                thread = (conversation_id, "sender")
        return thread, foreign

    async def _read(self, parsed: ParsedMail, understood: Parse | None, language: str) -> Reading:
        """The whole text's topic, or the topic of the sentences that ask (bot.triage.reading)."""
        if understood is None:
            return Reading(None, 0.0)
        body = new_text(parsed)
        sentences = request_sentences(body) if sentence_count(body) > 1 else []
        parses = await asyncio.gather(*(self._rasa.parse(sentence) for sentence in sentences))
        threshold = (
            self._settings.triage_threshold_en if language == "en" else self._settings.triage_threshold_fr
        )
        return choose_reading(understood, list(zip(sentences, parses, strict=True)), threshold=threshold)

    def _language(self, parsed: ParsedMail, understood: Parse | None) -> str:
        if understood is not None and understood.language in ("fr", "en"):
            return understood.language
        declared = parsed.content_language.strip().lower()[:2]
        if declared in ("fr", "en"):
            return declared
        return self._settings.default_language

    # -- the worker --------------------------------------------------------------------------

    def start(self) -> None:
        """Triage received mail in the background (needs the outbox and the handoffs)."""
        self._require(self._outbox)
        self._require(self._handoffs)
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def process_one(self) -> bool:
        """Triage the next received mail; False when none is due."""
        row = await self.store.claim(_LEASE)
        if row is None:
            return False
        try:
            parsed = self._parsed.pop(row.id, None) or parse_mail(
                row.raw or b"", max_bytes=self._settings.triage_max_bytes
            )
            analysis = await self.analyse(parsed, envelope_from=row.envelope_from)
            await self._apply(row, analysis)
        except AssistantUnavailable as exc:
            delay = backoff(row.attempts, 10, 300)
            log.warning("triage of mail %d waits for Rasa (%s); again in %s", row.id, exc, delay)
            await self.store.retry_later(row, f"assistant unavailable: {exc}", delay)
        except Exception as exc:
            if row.attempts >= _MAX_ATTEMPTS:
                log.exception("mail %d quarantined after %d failed triage attempts", row.id, row.attempts)
                await self.store.finish(
                    row.id, status="quarantined", decision="quarantined", reason="triage_failed"
                )
            else:
                log.exception("triage of mail %d failed; will retry", row.id)
                await self.store.retry_later(row, type(exc).__name__, dt.timedelta(seconds=30))
        return True

    # -- acting --------------------------------------------------------------------------------

    async def _apply(self, row: InboundMail, analysis: Analysis) -> None:
        parsed, decision = analysis.parsed, analysis.decision
        record: dict[str, Any] = {
            "text": analysis.text,
            "language": analysis.language,
            "intent": analysis.intent,
            "confidence": analysis.confidence if analysis.understood else None,
            "deciding_text": analysis.reading.deciding[:_TRANSCRIPT_CHARS] or None,
        }
        if decision.action == "filed":
            await self.store.finish(row.id, decision="filed", reason=decision.reason, **record)
            return
        if decision.action == "auto_reply" and not parsed.answer_address:
            decision = Decision("ticket", "no_address")
        elif decision.action == "auto_reply" and not await self._may_answer(parsed.answer_address):
            decision = Decision("ticket", "rate_limited")
        outcome = Outcome(
            mail_id=row.id,
            decision=decision.action,
            reason=decision.reason,
            record=record,
            conversation_id=analysis.thread[0] if analysis.thread else None,
            language=analysis.language,
            person_text=transcript_text(
                parsed,
                analysis.language,
                deciding=analysis.reading.deciding,
                foreign=decision.reason == "foreign_reply",
            ),
            thread_ids=[(parsed.message_id, "inbound")],
        )
        if decision.action == "auto_reply" and analysis.answer is not None:
            reply_id = make_msgid(domain=sender_domain(self._settings.mail_from))
            outcome.thread_ids.append((reply_id, "auto_reply"))
            outcome.assistant_text = analysis.answer
            outcome.reply_message_id = reply_id
            params = self._reply_params(row, analysis.language, analysis.answer, reply_id, automatic=True)
            outcome.mail = (f"triage:{row.message_key}", TRIAGE_REPLY, params)
        else:
            outcome.decision = "ticket"
            outcome.ticket = Packet(
                conversation_id="",  # the outcome's conversation, set by the store
                reason="email",
                language=analysis.language,
                email=parsed.answer_address,
                channel="email",
                detail=outcome.reason,
                topic=analysis.intent or "",
                confidence=round(analysis.confidence, 3) if analysis.understood else None,
                subject=parsed.subject[:200],
                suggested_reply=analysis.draft,
            )
        applied = await self.store.apply(outcome)
        if outcome.mail is not None and self._outbox is not None:
            self._outbox.wakeup.set()
        if applied.handoff is not None and self._handoffs is not None:
            if applied.handoff_created:
                await self._handoffs.announce(applied.handoff)
            else:  # a new mail in a thread people already have: to their consoles
                await self._handoffs.person_wrote(applied.conversation, applied.person_message)

    async def _may_answer(self, address: str) -> bool:
        if not address:
            return False
        if self._limits is None:
            return True
        window = self._settings.triage_reply_window_seconds
        wait = await self._limits.hit(
            [
                Rule("triage_sender", address, self._settings.triage_replies_per_sender, window),
                Rule("triage_global", "*", self._settings.triage_replies_global, window),
            ]
        )
        return wait is None

    @staticmethod
    def _reply_params(
        row: InboundMail, language: str, text: str, reply_id: str, *, automatic: bool
    ) -> dict[str, Any]:
        return reply_params(row, language, text, reply_id, automatic=automatic)

    # -- composing (the outbox worker calls this when it sends) ------------------------------

    def composers(self) -> dict[str, Composer]:
        return {TRIAGE_REPLY: self.compose}

    async def compose(self, params: Mapping[str, Any]) -> EmailMessage | None:
        to = str(params.get("to") or "")
        if "@" not in to:
            return None
        language = str(params["language"]) if params.get("language") in ("fr", "en") else "fr"
        subject = reply_subject(str(params.get("subject") or ""), language)
        text = str(params.get("text") or "")
        feedback: list[tuple[str, str]] = []
        mail_id = params.get("mail_id")
        if params.get("automatic") and isinstance(mail_id, int) and self._feedback is not None:
            feedback = self._feedback(mail_id, str(language))
        html = self._templates.get_template("triage_reply.html").render(
            lang=language,
            subject=subject,
            footer=_FOOTER[language],
            body=text_to_html(text),
            feedback=feedback,
        )
        if feedback:
            text = f"{text}\n\n{feedback_text(str(language), feedback)}"
        local, _, domain = to.partition("@")
        message = build_message(
            sender=self._settings.mail_from,
            to=f"{local}@{domain}",
            subject=subject,
            text=text,
            html=html,
            now=self._clock(),
            # An agent's answer is written by a person (RFC 3834: "no").
            auto_submitted="auto-replied" if params.get("automatic") else "no",
        )
        del message["Message-ID"]
        message["Message-ID"] = str(params["message_id"])
        message["In-Reply-To"] = str(params["in_reply_to"])
        message["References"] = " ".join(str(ref) for ref in params.get("references") or [])
        if params.get("automatic"):
            # Microsoft's way of saying "do not answer this automatically" (no OOF loops).
            message["X-Auto-Response-Suppress"] = "All"
        return message

    @staticmethod
    def _require(component: Any) -> Any:
        if component is None:
            raise RuntimeError("the triage was built read-only (no database services)")
        return component
