"""What a person waiting for support is told after each message, and the address they give.

A handoff *waits* while nobody has claimed it and no agent has the console open. Each
message the person writes then gets one short system reply, in their language: the
message was kept for support; an email address in it is attached to the handoff and
confirmed masked ("m***@exemple.ca") with what happens next. The question for an address
(when support has none) or the reminder of where support will answer comes with the first
message after the handoff and every third one after that (``ASK_EVERY``), and at once
when the person seems to have mistyped an address (an "@" but no valid one); never on
every line, since people write in bursts.

Usage::

    text = waiting_reply("fr", WaitingState(contact=None, written=1, typed_at=False))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.db.models import Message
from bot.mail.addresses import mask_email

__all__ = ["ASK_EVERY", "TEXTS", "WaitingState", "person_messages_waiting", "waiting_reply"]

# Ask again for an address on the 1st, 4th, 7th ... message written while waiting.
ASK_EVERY = 3

TEXTS = {
    "kept": {
        "fr": "Votre message est gardé pour l'équipe de soutien GEM-BOOKS. Aucun agent n'est en ligne "
        "pour l'instant : un agent le lira avec le reste de la conversation.",
        "en": "Your message is kept for the GEM-BOOKS support team. No agent is online right now: "
        "an agent will read it with the rest of the conversation.",
    },
    "answer_at": {
        "fr": "Le soutien vous répondra par courriel à {masked}.",
        "en": "Support will answer you by email at {masked}.",
    },
    "ask": {
        "fr": "Le soutien n'a pas encore votre adresse courriel : écrivez-la ici pour qu'on puisse vous répondre.",
        "en": "Support does not have your email address yet: type it here so they can answer you.",
    },
    "mistyped": {
        "fr": "Cette adresse courriel semble incomplète. Pouvez-vous la vérifier? (par exemple : nom@exemple.ca)",
        "en": "That email address looks incomplete. Could you check it? (for example: name@example.com)",
    },
    "noted": {
        "fr": "Merci! C'est noté : le soutien GEM-BOOKS vous écrira à {masked}, avec cette conversation "
        "en main. Si un agent se connecte avant, il vous répondra aussi ici. Vous pouvez ajouter des "
        "détails ici en attendant.",
        "en": "Thank you! Noted: GEM-BOOKS support will write to you at {masked}, with this conversation "
        "at hand. If an agent comes online first, they will also answer here. You can add details here "
        "in the meantime.",
    },
}


@dataclasses.dataclass(frozen=True)
class WaitingState:
    """What the reply depends on."""

    contact: str | None  # the handoff's address, after this message's was attached
    written: int  # the person's messages since the handoff opened, this one included
    typed_at: bool  # the message has an "@" but no valid address
    given: bool = False  # this message gave the address


def person_messages_waiting(transcript: Sequence[Message]) -> int:
    """The person's messages since the assistant last spoke (its handoff text, for a chat)."""
    count = 0
    for message in reversed(transcript):
        if message.author == "assistant":
            break
        if message.author == "person":
            count += 1
    return count


def waiting_reply(language: str, state: WaitingState) -> str:
    """The system reply to one message written while the handoff waits."""
    lang = "en" if language == "en" else "fr"
    if state.given and state.contact:
        return TEXTS["noted"][lang].format(masked=mask_email(state.contact))
    parts = [TEXTS["kept"][lang]]
    if state.typed_at and not state.contact:
        parts.append(TEXTS["mistyped"][lang])
    elif state.written % ASK_EVERY == 1:
        # The reminder of where support will answer, or the question, not on every line.
        if state.contact:
            parts.append(TEXTS["answer_at"][lang].format(masked=mask_email(state.contact)))
        else:
            parts.append(TEXTS["ask"][lang])
    return " ".join(parts)
