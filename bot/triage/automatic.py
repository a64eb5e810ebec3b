"""Mail we must never answer automatically: auto-replies, lists, bounces, ourselves.

Usage::

    reason = automatic_reason(mail, own_addresses=settings.own_addresses,
                              envelope_from=envelope.mail_from)   # None when unknown
    if reason is not None:
        file_without_answer(mail, reason)     # still filed; no automatic answer
    AUTOMATIC_REASONS[reason]["fr"]           # "Réponse automatique (Auto-Submitted)"

The checks follow RFC 3834 (section 2 and 5) and what Zammad (``auto_response_check``)
and FreeScout (``isAutoResponder``) look at, in the order of :data:`AUTOMATIC_REASONS`;
the first that matches is the reason. French senders are recognised like English ones
(``ne-pas-repondre@``, ``nepasrepondre@``, "Ne pas répondre" as a name), and so is mail
whose own text says it is automatic ("Ceci est un message automatique, merci de ne pas y
répondre", "This mailbox is not monitored"); only the sender's own text counts, so a
person who forwards such a notice with a question above it is still a person. Answering any of these risks a mail loop or a
reply to a robot; a person can still answer from the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.triage.parsed import ParsedMail
from bot.triage.quotes import own_text

__all__ = ["AUTOMATIC_REASONS", "automatic_reason", "says_automatic"]

AUTOMATIC_REASONS: dict[str, dict[str, str]] = {
    "auto_submitted": {
        "fr": "Réponse automatique (Auto-Submitted)",
        "en": "Automatic mail (Auto-Submitted)",
    },
    "precedence": {
        "fr": "Envoi de masse ou réponse automatique (Precedence)",
        "en": "Bulk mail or automatic reply (Precedence)",
    },
    "list": {
        "fr": "Liste de diffusion ou infolettre (List-*)",
        "en": "Mailing list or newsletter (List-*)",
    },
    "x_loop": {
        "fr": "Boucle de courriels possible (X-Loop)",
        "en": "Possible mail loop (X-Loop)",
    },
    "auto_response_suppress": {
        "fr": "L'expéditeur refuse les réponses automatiques (X-Auto-Response-Suppress)",
        "en": "Sender asks for no automatic replies (X-Auto-Response-Suppress)",
    },
    "autoreply_header": {
        "fr": "Message d'absence ou réponse automatique (X-Autoreply)",
        "en": "Out-of-office or automatic reply (X-Autoreply)",
    },
    "empty_return_path": {
        "fr": "Courriel système sans adresse de retour (Return-Path vide)",
        "en": "System mail with no return address (empty Return-Path)",
    },
    "bounce": {
        "fr": "Avis de non-remise (courriel retourné)",
        "en": "Delivery failure notice (bounce)",
    },
    "system_sender": {
        "fr": "Expéditeur automatique (ne-pas-répondre, no-reply, mailer-daemon, postmaster)",
        "en": "Automated sender (no-reply, ne-pas-répondre, mailer-daemon, postmaster)",
    },
    "own_address": {
        "fr": "Envoyé par notre propre adresse",
        "en": "Sent from our own address",
    },
    "bad_sender": {
        "fr": "Adresse d'expéditeur ambiguë ou invalide (From ou Reply-To) : pas de réponse automatique",
        "en": "Ambiguous or invalid sender address (From or Reply-To): no automatic answer",
    },
    "no_sender": {
        "fr": "Aucune adresse d'expéditeur utilisable",
        "en": "No usable sender address",
    },
    "automatic_text": {
        "fr": "Le texte dit que c'est un envoi automatique (« merci de ne pas y répondre »)",
        "en": 'The text says it is automatic mail ("please do not reply")',
    },
}

_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})
_SUPPRESS = frozenset({"all", "autoreply", "oof"})
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autoresponder")
_REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
# Local parts no person writes from; "+tag" or "-suffix" after them still counts
# ("no-reply+billing", "bounces-123"). "notification(s)" is GitHub's and many SaaS'.
_SYSTEM_LOCAL = re.compile(
    r"^(?:mailer-?daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|bounces?|notifications?"
    r"|ne[-_.]?pas[-_.]?r[ée]pondre|ne[-_.]?r[ée]pondez[-_.]?pas|pas[-_.]?de[-_.]?r[ée]ponse|aucune[-_.]?r[ée]ponse)"
    r"(?:[+\-_.].*)?$",
    re.IGNORECASE,
)
# A display name that says the same ("Ne pas répondre <info@...>", "No Reply").
_SYSTEM_NAME = re.compile(
    r"^\W*(?:ne\s+pas\s+r[ée]pondre|ne\s+r[ée]pondez\s+pas|no[\s\-_]?reply|do\s+not\s+reply)\b", re.IGNORECASE
)
# What automatic mail says of itself, in a sentence with no "je"/"I" in it (a person who
# quotes "do not reply" in their own sentence is still a person).
_SAYS_AUTOMATIC = re.compile(
    r"(?:merci\s+de|veuillez|pri[èe]re\s+de|svp|s['’]il\s+vous\s+pla[iî]t,?)\s+ne\s+pas\s+(?:y\s+)?r[ée]pondre"
    r"|ne\s+(?:pas\s+)?r[ée]pondez\s+pas\s+[àa]\s+ce(?:t)?\s+(?:courriel|message|mail|courrier|envoi)"
    r"|(?:bo[iî]te|adresse)\s+(?:aux\s+lettres\s+|de\s+courriel\s+)?(?:n['’]est\s+pas\s+surveill[ée]e|non\s+surveill[ée]e)"
    r"|(?:please\s+)?(?:do\s+not|don['’]t)\s+(?:reply|respond)\s+(?:to\s+)?(?:this|directly)"
    r"|(?:mailbox|inbox|(?:e-?mail\s+)?address)\s+is\s+(?:not|un)\s*monitored"
    r"|replies\s+to\s+this\s+(?:e-?mail|message)\s+will\s+not\s+be",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:je|j['’]|moi|mon|ma|mes|i|i['’]m|my|me)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def automatic_reason(
    mail: ParsedMail, *, own_addresses: Collection[str], envelope_from: str | None = None
) -> str | None:
    """Why ``mail`` must not get an automatic answer (a key of AUTOMATIC_REASONS), or None.

    ``envelope_from`` is the SMTP ``MAIL FROM`` when known: "" means ``MAIL FROM:<>``.
    """
    auto_submitted = mail.header("auto-submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() != "no":
        return "auto_submitted"
    precedence = mail.header("precedence")
    if precedence is not None and precedence.split(";")[0].strip().lower() in _PRECEDENCE:
        return "precedence"
    if any(name.startswith("list-") for name, _ in mail.headers):
        return "list"
    if mail.header("x-loop") is not None:
        return "x_loop"
    suppress = mail.header("x-auto-response-suppress") or ""
    if {word.strip().lower() for word in suppress.split(",")} & _SUPPRESS:
        return "auto_response_suppress"
    if any(mail.header(name) is not None for name in _AUTOREPLY_HEADERS):
        return "autoreply_header"
    if envelope_from == "" or any(
        name == "return-path" and value.replace(" ", "") in ("<>", "") for name, value in mail.headers
    ):
        return "empty_return_path"
    content_type = (mail.header("content-type") or "").split(";")[0].strip().lower()
    if content_type == "multipart/report" or any(
        part.content_type in _REPORT_PARTS for part in mail.attachments
    ):
        return "bounce"
    senders = [address for address in (mail.from_address, mail.reply_to) if address]
    if any(_SYSTEM_LOCAL.match(address.rpartition("@")[0]) for address in senders) or _SYSTEM_NAME.match(
        mail.from_name
    ):
        return "system_sender"
    own = {address.lower() for address in own_addresses}
    if any(address.lower() in own for address in senders):
        return "own_address"
    if mail.sender_problem:
        return "bad_sender"
    if not senders:
        return "no_sender"
    if says_automatic(own_text(mail.text)):
        return "automatic_text"
    return None


def says_automatic(text: str) -> bool:
    """Whether a text calls itself automatic mail ("merci de ne pas y répondre")."""
    return any(
        _SAYS_AUTOMATIC.search(sentence) and not _FIRST_PERSON.search(sentence)
        for sentence in _SENTENCE_END.split(text)
    )
