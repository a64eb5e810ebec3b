"""``GET/POST /feedback?token=...``: where a mail answer's two links land. FR and EN.

A GET only shows what the link will do and a confirm button: mail scanners fetch links
to check them, and must not answer for the person. The POST (CSRF-checked like every form
of the hub, :mod:`bot.csrf`) records the answer; "I still need help" reopens the thread
as a ticket. A forged token gets 400, an expired one 410, a spent one 409, each with a
page that says so in the person's language; nothing here answers 500.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.appkeys import FEEDBACK
from bot.csrf import csrf_ok, csrf_token, remember_csrf
from bot.page_language import choose_language
from bot.request_input import read_form
from bot.satisfaction.links import Checked
from bot.satisfaction.store import MAX_COMMENT_CHARS
from bot.text_policy import check_text

__all__ = ["TEXT", "feedback"]

_TOKEN_KEY = "feedback_token"

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "other_lang": "en",
        "other_lang_name": "English",
        "confirm_yes_title": "Votre problème est réglé?",
        "confirm_yes_text": "Confirmez que notre réponse automatique a réglé votre problème. "
        "Cela nous aide à améliorer nos réponses.",
        "confirm_yes_button": "Oui, c'est réglé",
        "confirm_no_title": "Vous avez encore besoin d'aide?",
        "confirm_no_text": "Confirmez, et une personne de notre équipe de soutien reprendra votre "
        "demande et vous répondra par courriel.",
        "confirm_no_button": "Demander l'aide du soutien",
        "comment_label": "Un commentaire? (facultatif, 1000 caractères au plus)",
        "comment_no_label": "Qu'est-ce qui ne fonctionne toujours pas? (facultatif, 1000 caractères au plus)",
        "done_yes_title": "Merci!",
        "done_yes_text": "Votre réponse est enregistrée. Bonne journée!",
        "done_no_title": "Votre demande est transmise au soutien",
        "done_no_text": "Merci. Une personne de notre équipe de soutien vous répondra par courriel.",
        "forged_title": "Lien non valide",
        "forged_text": "Ce lien n'est pas valide. Copiez-le en entier depuis notre courriel, ou "
        "répondez simplement à ce courriel pour nous écrire.",
        "expired_title": "Lien expiré",
        "expired_text": "Ce lien a expiré. Si vous avez encore besoin d'aide, répondez simplement à "
        "notre courriel : une personne du soutien prendra le relais.",
        "used_title": "Réponse déjà enregistrée",
        "used_text": "Votre réponse à ce courriel est déjà enregistrée; ce lien ne sert qu'une fois. "
        "Si vous avez encore besoin d'aide, répondez simplement à notre courriel.",
        "csrf_title": "Page expirée",
        "csrf_text": "Cette page a expiré. Rouvrez le lien de notre courriel, puis réessayez.",
        "bad_comment": "Le commentaire est trop long ou contient des caractères que nous ne pouvons pas accepter.",
    },
    "en": {
        "other_lang": "fr",
        "other_lang_name": "Français",
        "confirm_yes_title": "Is your problem solved?",
        "confirm_yes_text": "Confirm that our automatic answer solved your problem. It helps us "
        "improve our answers.",
        "confirm_yes_button": "Yes, this solved it",
        "confirm_no_title": "Do you still need help?",
        "confirm_no_text": "Confirm, and a person from our support team will take over your request "
        "and answer you by email.",
        "confirm_no_button": "Ask support for help",
        "comment_label": "A comment? (optional, 1000 characters at most)",
        "comment_no_label": "What is still not working? (optional, 1000 characters at most)",
        "done_yes_title": "Thank you!",
        "done_yes_text": "Your answer is recorded. Have a good day!",
        "done_no_title": "Your request went to support",
        "done_no_text": "Thank you. A person from our support team will answer you by email.",
        "forged_title": "Invalid link",
        "forged_text": "This link is not valid. Copy it whole from our email, or simply reply to "
        "that email to write to us.",
        "expired_title": "Expired link",
        "expired_text": "This link has expired. If you still need help, simply reply to our email: "
        "a person from support will take over.",
        "used_title": "Answer already recorded",
        "used_text": "Your answer to this email is already recorded; this link works once. If you "
        "still need help, simply reply to our email.",
        "csrf_title": "Page expired",
        "csrf_text": "This page has expired. Open the link from our email again, then try again.",
        "bad_comment": "The comment is too long or contains characters we cannot accept.",
    },
}


def _render(request: web.Request, lang: str, status: int = 200, **context: Any) -> web.Response:
    token = csrf_token(request)
    # The same link in the other language (after a POST too: it then says "already recorded").
    link = (
        request.app.router["feedback"]
        .url_for()
        .with_query({"token": str(request.get(_TOKEN_KEY) or ""), "lang": TEXT[lang]["other_lang"]})
    )
    switch_url = link
    response = aiohttp_jinja2.render_template(
        "feedback/page.html",
        request,
        {"t": TEXT[lang], "lang": lang, "csrf": token, "switch_url": str(switch_url), **context},
        status=status,
    )
    remember_csrf(request, response, token)
    # The token is in the URL: it must not leave in a Referer to another site, nor stay in
    # a cache. Not "no-referrer": the browser would then send "Origin: null" with the form.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(request: web.Request, lang: str, key: str, status: int) -> web.Response:
    return _render(request, lang, status, title=TEXT[lang][f"{key}_title"], text=TEXT[lang][f"{key}_text"])


async def feedback(request: web.Request) -> web.StreamResponse:
    """GET: what the link does, and a confirm button. POST: record it."""
    form = await read_form(request) if request.method == "POST" else None
    if request.method == "POST" and form is None:
        raise web.HTTPBadRequest(text="unreadable form")
    raw_token: object = request.query.get("token")
    chosen: object = None
    if form is not None:
        raw_token, chosen = form.get("token"), form.get("lang")
    request[_TOKEN_KEY] = raw_token if isinstance(raw_token, str) and len(raw_token) <= 200 else ""
    asked_lang = choose_language(request, chosen, request.query.get("lang"))
    service = request.app[FEEDBACK]
    checked = service.links.check(raw_token)
    if checked == "forged":
        return _message(request, asked_lang, "forged", 400)
    if checked == "expired":
        return _message(request, asked_lang, "expired", 410)
    assert isinstance(checked, Checked)
    state = await service.state(checked.mail_id)
    if state is None:
        return _message(request, asked_lang, "forged", 400)
    # The mail's language, unless the person used the switch.
    lang = choose_language(request, chosen, request.query.get("lang"), state.language)
    if state.answered:
        return _message(request, lang, "used", 409)
    if form is None:
        return _confirm(request, lang, checked, str(raw_token))
    if not csrf_ok(request, form):
        return _message(request, lang, "csrf", 403)
    comment = str(form.get("comment") or "").replace("\r\n", "\n").strip()
    if comment and check_text(comment, MAX_COMMENT_CHARS) is not None:
        return _confirm(request, lang, checked, str(raw_token), error=TEXT[lang]["bad_comment"], status=400)
    done = await service.record(checked.mail_id, checked.answer, comment or None)
    if done == "already_answered":
        return _message(request, lang, "used", 409)
    if done == "unknown":
        return _message(request, lang, "forged", 400)
    return _message(request, lang, f"done_{checked.answer}", 200)


def _confirm(
    request: web.Request, lang: str, checked: Checked, token: str, *, error: str = "", status: int = 200
) -> web.Response:
    t = TEXT[lang]
    return _render(
        request,
        lang,
        status,
        title=t[f"confirm_{checked.answer}_title"],
        text=t[f"confirm_{checked.answer}_text"],
        form={
            "token": token,
            "button": t[f"confirm_{checked.answer}_button"],
            "comment_label": t["comment_no_label" if checked.answer == "no" else "comment_label"],
            "max_chars": MAX_COMMENT_CHARS,
        },
        error=error,
    )
