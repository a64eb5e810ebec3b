"""The errors a chat client can receive, with the text shown to the person (FR and EN).

Usage::

    frame = error_frame("too_long", "fr", settings)
    # {"type": "error", "code": "too_long", "message": "Votre message est trop long ..."}

``code`` is for programs (the widget may react to it); ``message`` is for people and is
always in the person's language.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.settings import Settings

__all__ = ["ErrorCode", "error_frame", "error_text"]

ErrorCode = Literal["too_long", "rate_limited", "bad_request", "assistant_unavailable", "resume_not_found"]

# Keys are (code, reason); reason refines the text without multiplying codes.
_TEXTS: dict[tuple[str, str], dict[str, str]] = {
    ("too_long", ""): {
        "fr": "Votre message est trop long (au plus {max_chars} caractères). Pouvez-vous le raccourcir ?",
        "en": "Your message is too long ({max_chars} characters at most). Could you shorten it?",
    },
    ("rate_limited", ""): {
        "fr": "Vous envoyez des messages trop rapidement. Attendez quelques secondes, puis réessayez.",
        "en": "You are sending messages too quickly. Wait a few seconds, then try again.",
    },
    ("rate_limited", "resume"): {
        "fr": "Trop d'essais de code de reprise. Réessayez dans quelques minutes.",
        "en": "Too many resume code attempts. Try again in a few minutes.",
    },
    ("rate_limited", "new_conversation"): {
        "fr": "Trop de nouvelles conversations ont été ouvertes depuis votre connexion. Réessayez "
        "plus tard ou écrivez-nous à {support_email}.",
        "en": "Too many new conversations were opened from your connection. Try again later "
        "or write to us at {support_email}.",
    },
    ("bad_request", ""): {
        "fr": "Ce message n'a pas pu être lu. Réessayez.",
        "en": "That message could not be read. Please try again.",
    },
    ("bad_request", "empty"): {
        "fr": "Le message est vide.",
        "en": "The message is empty.",
    },
    ("bad_request", "invalid_characters"): {
        "fr": "Votre message contient des caractères de contrôle ou invisibles que nous "
        "ne pouvons pas accepter. Retirez-les, puis réessayez.",
        "en": "Your message contains control or invisible characters that we cannot "
        "accept. Remove them, then try again.",
    },
    ("bad_request", "no_hello"): {
        "fr": "La conversation n'est pas encore ouverte. Rechargez la page.",
        "en": "The conversation is not open yet. Reload the page.",
    },
    ("bad_request", "unknown_button"): {
        "fr": "Ce bouton n'est plus disponible. Écrivez votre question, s'il vous plaît.",
        "en": "That button is no longer available. Please type your question.",
    },
    ("bad_request", "not_asked"): {
        "fr": "Aucune question de satisfaction n'a été posée dans cette conversation.",
        "en": "No satisfaction question was asked in this conversation.",
    },
    ("bad_request", "already_answered"): {
        "fr": "Vous avez déjà répondu à cette question. Merci!",
        "en": "You have already answered this question. Thank you!",
    },
    ("bad_request", "bad_answer"): {
        "fr": "Cette réponse n'a pas pu être lue. Choisissez « Oui » ou « Non ».",
        "en": 'That answer could not be read. Choose "Yes" or "No".',
    },
    ("bad_request", "comment_too_long"): {
        "fr": "Votre commentaire est trop long (au plus 1\u00a0000 caractères).",
        "en": "Your comment is too long (1,000 characters at most).",
    },
    ("assistant_unavailable", ""): {
        "fr": "L'assistant est momentanément indisponible. Votre message est bien "
        "enregistré. Pour une réponse rapide, écrivez-nous à {support_email}.",
        "en": "The assistant is temporarily unavailable. Your message has been saved. "
        "For a quick answer, write to us at {support_email}.",
    },
    ("assistant_unavailable", "internal"): {
        "fr": "Un problème technique nous empêche de traiter ce message. "
        "Réessayez dans un instant ou écrivez-nous à {support_email}.",
        "en": "A technical problem prevents us from handling that message. "
        "Try again in a moment or write to us at {support_email}.",
    },
    ("resume_not_found", ""): {
        "fr": "Ce code de reprise est inconnu ou a expiré. Une nouvelle conversation a été ouverte.",
        "en": "That resume code is unknown or has expired. A new conversation was started.",
    },
}


def error_text(code: ErrorCode, language: str, settings: Settings, reason: str = "") -> str:
    """The person-facing text for ``code`` in ``language`` (French if not 'en')."""
    texts = _TEXTS.get((code, reason)) or _TEXTS[(code, "")]
    template = texts["en" if language == "en" else "fr"]
    return template.format(
        max_chars=f"{settings.max_message_chars:,}".replace(",", "\u00a0" if language != "en" else ","),
        support_email=settings.support_email,
    )


def error_frame(code: ErrorCode, language: str, settings: Settings, reason: str = "") -> dict[str, Any]:
    """A server → client ``error`` frame of the WebSocket protocol."""
    return {"type": "error", "code": code, "message": error_text(code, language, settings, reason)}
