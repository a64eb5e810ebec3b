"""Mail we must never answer automatically: auto-replies, lists, bounces, ourselves.

Usage::

    reason = automatic_reason(mail, own_addresses=settings.own_addresses,
                              envelope_from=envelope.mail_from)   # None when unknown
    if reason is not None:
        file_without_answer(mail, reason)     # still filed; no automatic answer
    AUTOMATIC_REASONS[reason]["fr"]           # "Réponse automatique (Auto-Submitted)"

The checks follow RFC 3834 (section 2 and 5) and what Zammad (``auto_response_check``)
and FreeScout (``isAutoResponder``) look at, in the order of :data:`AUTOMATIC_REASONS`;
the first that matches is the reason. Answering any of these risks a mail loop or a
reply to a robot; a person can still answer from the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.triage.parsed import ParsedMail

__all__ = ["AUTOMATIC_REASONS", "automatic_reason"]

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
        "fr": "Expéditeur automatique (no-reply, mailer-daemon, postmaster)",
        "en": "Automated sender (no-reply, mailer-daemon, postmaster)",
    },
    "own_address": {
        "fr": "Envoyé par notre propre adresse",
        "en": "Sent from our own address",
    },
    "no_sender": {
        "fr": "Aucune adresse d'expéditeur utilisable",
        "en": "No usable sender address",
    },
}

_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply", "auto-reply"})
_SUPPRESS = frozenset({"all", "autoreply", "oof"})
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autoresponder")
_REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
# Local parts no person writes from; "+tag" or "-suffix" after them still counts
# ("no-reply+billing", "bounces-123"). "notification(s)" is GitHub's and many SaaS'.
_SYSTEM_LOCAL = re.compile(
    r"^(?:mailer-?daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|notifications?)"
    r"(?:[+\-_.].*)?$",
    re.IGNORECASE,
)


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
    if any(_SYSTEM_LOCAL.match(address.rpartition("@")[0]) for address in senders):
        return "system_sender"
    own = {address.lower() for address in own_addresses}
    if any(address.lower() in own for address in senders):
        return "own_address"
    if not senders:
        return "no_sender"
    return None
