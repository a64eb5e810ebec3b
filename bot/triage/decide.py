"""The triage decision for one mail: answer at once, open a ticket, or only file it.

Usage::

    decision = decide(facts, settings)
    decision.action    # "auto_reply" | "ticket" | "filed"
    decision.reason    # why, for the record and the console ("low_confidence", "list", ...)

Pure: everything it needs is in :class:`Facts`, so every rule has a plain unit test.
The rate limits on automatic answers are applied after, by the service (they need the
database): a refused answer becomes a ticket with reason "rate_limited".
"""

from __future__ import annotations

import dataclasses

from bot.settings import Settings
from bot.triage.answers import ANSWERABLE

__all__ = ["DECISION_LABELS", "DECISION_REASONS", "QUARANTINE_REASONS", "Decision", "Facts", "decide"]


@dataclasses.dataclass(frozen=True)
class Facts:
    automatic: str | None  # bot.triage.automatic.automatic_reason(); None = a person wrote
    # How the mail joins an existing thread: the kind of the Message-ID it answers
    # ("auto_reply" = it answers our automatic answer), None = a new thread.
    thread_kind: str | None
    ticket_open: bool  # the thread already has an open ticket
    text: str  # what was classified
    intent: str | None
    confidence: float
    language: str  # "fr" | "en"
    # What the content says when the headers do not (bot.triage.reading): a reply that
    # quotes one of our automatic answers ("auto_answer") or us ("us"), another reply or
    # forward ("other"), or None.
    replying: str | None = None
    resolved: bool = False  # a reply that thanks or says it works now
    mixed: bool = False  # an answerable request beside one that needs a person
    # It answers a thread whose addresses do not include its sender (bot.triage.service).
    foreign_reply: bool = False


@dataclasses.dataclass(frozen=True)
class Decision:
    action: str
    reason: str


# Labels for the console and the command line.
DECISION_REASONS = {
    "known_problem": {"fr": "Problème connu, réponse automatique", "en": "Known problem, automatic answer"},
    "shadow": {"fr": "Mode observation : brouillon seulement", "en": "Shadow mode: draft only"},
    "low_confidence": {"fr": "Sujet incertain", "en": "Unsure of the topic"},
    "not_answerable": {"fr": "Demande à traiter par une personne", "en": "Needs a person"},
    "reply_to_auto_answer": {
        "fr": "Réponse à notre réponse automatique",
        "en": "Reply to our automatic answer",
    },
    "follow_up": {"fr": "Suite d'une conversation", "en": "Follow-up in a thread"},
    "resolved": {
        "fr": "Remerciement ou problème réglé : classé sans réponse",
        "en": "Thanks or solved: filed, not answered",
    },
    "mixed_request": {
        "fr": "Plusieurs demandes, dont une pour une personne",
        "en": "Several requests, one for a person",
    },
    "empty": {"fr": "Courriel sans texte", "en": "Mail without text"},
    "rate_limited": {
        "fr": "Déjà répondu récemment à cet expéditeur",
        "en": "Sender already answered recently",
    },
    "no_address": {"fr": "Aucune adresse de réponse", "en": "No address to answer"},
    "foreign_reply": {
        "fr": "Détournement possible : réponse à la conversation d'une autre adresse",
        "en": "Possible hijack: a reply to another address's conversation",
    },
}


# What each decision is called, and why a mail was set aside (quarantined).
DECISION_LABELS = {
    "auto_reply": {"fr": "Réponse automatique", "en": "Answered automatically"},
    "ticket": {"fr": "Ticket", "en": "Ticket"},
    "filed": {"fr": "Classé sans réponse", "en": "Filed, not answered"},
    "quarantined": {"fr": "Mis de côté", "en": "Set aside"},
    "waiting": {"fr": "En attente de tri", "en": "Waiting for triage"},
}
QUARANTINE_REASONS = {
    "too_large": {"fr": "Trop gros", "en": "Too large"},
    "not_a_mail": {"fr": "Pas un courriel", "en": "Not a mail"},
    "unreadable": {"fr": "Illisible", "en": "Unreadable"},
    "triage_failed": {"fr": "Le tri a échoué plusieurs fois", "en": "Triage failed repeatedly"},
}


def decide(facts: Facts, settings: Settings) -> Decision:
    if facts.automatic is not None:
        # Never answered (RFC 3834), still filed for the record.
        return Decision("filed", facts.automatic)
    if facts.foreign_reply:
        # Never answered automatically, never in the other person's ticket: people look.
        return Decision("ticket", "foreign_reply")
    replying = facts.thread_kind is not None or facts.replying is not None
    if facts.resolved and replying and not facts.ticket_open:
        # "Merci, c'était bien le favori": the matter is closed; answering it would be noise.
        return Decision("filed", "resolved")
    if facts.thread_kind == "auto_reply" or (facts.thread_kind is None and facts.replying == "auto_answer"):
        # It quotes our automatic answer (by its headers or its text): never a second one.
        return Decision("ticket", "reply_to_auto_answer")
    if facts.ticket_open or facts.thread_kind is not None:
        return Decision("ticket", "follow_up")
    if not facts.text.strip():
        return Decision("ticket", "empty")
    if facts.mixed:
        return Decision("ticket", "mixed_request")
    if facts.intent not in ANSWERABLE:
        return Decision("ticket", "not_answerable")
    threshold = settings.triage_threshold_en if facts.language == "en" else settings.triage_threshold_fr
    if facts.confidence < threshold:
        return Decision("ticket", "low_confidence")
    if settings.triage_mode == "shadow":
        return Decision("ticket", "shadow")
    return Decision("auto_reply", "known_problem")
