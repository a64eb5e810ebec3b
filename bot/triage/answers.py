"""What the triage writes: automatic answers to known problems, and drafts for agents.

Usage::

    text = answer_text("login_problem", "fr", links, name="Julie")   # None: no standalone answer
    draft = draft_text("still_not_working", "en", links, name="")     # always a draft
    html = text_to_html(text)                                         # the HTML part of a mail

The answers teach knowledge-base article #1103 (logging in, browsers, browsing data,
forgotten password and user code) as one mail each; the article's steps are the chat's own
texts (``domain.yml``, read through :mod:`bot.domain`), the greeting and closing the mail's. Drafts are plain text an agent edits in
the console before sending; the HTML part of any mail is made from the text, escaped.
"""

from __future__ import annotations

import dataclasses
import html
import re

from bot.domain import step_instruction

__all__ = [
    "ANSWERABLE",
    "QUOTE_MARKS",
    "REPLY_SUBJECTS",
    "Links",
    "answer_text",
    "draft_text",
    "feedback_lines",
    "feedback_text",
    "greeting_name",
    "text_to_html",
]


@dataclasses.dataclass(frozen=True)
class Links:
    password_reset_url: str
    user_code_url: str
    support_email: str


APP = "https://app.gem-books.com"

# The steps of article #1103 are the chat's (domain.yml): each mail lists the same
# instructions, numbered, without the chat's "Did that work?".
_STEP_SITE = "utter_step_main_site"
_STEP_BROWSER = "utter_step_browsers"
_STEP_CLEAR = "utter_step_clear_data_other"
_STEP_RESTART = "utter_step_restart"

_HELLO = {"fr": "Bonjour{name},", "en": "Hello{name},"}
_STILL = {
    "fr": "Si ça ne fonctionne toujours pas, répondez simplement à ce courriel : une personne de "
    "notre équipe de soutien prendra le relais.",
    "en": "If it still does not work, just reply to this email: a person from our support team "
    "will take over.",
}
_SIGNED = {
    "fr": "L'assistant GEM-BOOKS\n(réponse automatique, d'après l'article #1103 de notre base de connaissances)",
    "en": "The GEM-BOOKS assistant\n(automatic answer, from article #1103 of our knowledge base)",
}
_AGENT_SIGNED = {"fr": "L'équipe de soutien GEM-BOOKS", "en": "The GEM-BOOKS support team"}
# The subject of our mails when the person's had none (the service's replies use it too).
REPLY_SUBJECTS = {"fr": "Votre demande au soutien GEM-BOOKS", "en": "Your request to GEM-BOOKS support"}
# What a quote of our mail contains, to know a reply to us when its thread is unknown:
# each line of the automatic answer's signature, and the agents' signature.
QUOTE_MARKS = {
    "auto": tuple(line.strip("()") for signed in _SIGNED.values() for line in signed.split("\n")),
    "agent": tuple(_AGENT_SIGNED.values()),
}


def _numbered(steps: list[str]) -> str:
    return "\n\n".join(f"{n}. {step}" for n, step in enumerate(steps, start=1))


def _bodies(language: str, links: Links) -> dict[str, list[str]]:
    """The paragraphs of each standalone answer, in ``language``."""
    site, browser, clear, restart = (
        step_instruction(step, language) for step in (_STEP_SITE, _STEP_BROWSER, _STEP_CLEAR, _STEP_RESTART)
    )
    if language == "fr":
        return {
            "login_problem": [
                "Voici les étapes qui règlent la plupart des problèmes de connexion à GEM-BOOKS. "
                "Essayez-les dans l'ordre :",
                _numbered([site, browser, clear, restart]),
                f"Mot de passe oublié? Choisissez-en un nouveau ici : {links.password_reset_url}",
            ],
            "forgot_password": [
                "Pour choisir un nouveau mot de passe :",
                _numbered(
                    [
                        f"Ouvrez la page « Mot de passe oublié? » : {links.password_reset_url} "
                        "(c'est aussi le lien en bas à gauche de la fenêtre de connexion).",
                        "Entrez votre code d'utilisateur et votre adresse courriel.",
                        "Vous recevrez un courriel avec un lien pour choisir un nouveau mot de passe. "
                        "Pensez à regarder dans vos courriels indésirables.",
                    ]
                ),
                f"Vous n'avez plus votre code d'utilisateur? Demandez-le ici : {links.user_code_url}",
            ],
            "forgot_user_code": [
                "Pour retrouver votre code d'utilisateur (code usager) :",
                _numbered(
                    [
                        f"Ouvrez la page « Code d'utilisateur oublié? » : {links.user_code_url} "
                        "(lien en bas à gauche de l'écran « Mot de passe oublié? »).",
                        "Entrez l'adresse courriel de votre compte.",
                        "Vous recevrez votre code d'utilisateur par courriel. Pensez à regarder dans "
                        "vos courriels indésirables.",
                    ]
                ),
            ],
            "browser_recommendation": [
                "GEM-BOOKS fonctionne le mieux avec Google Chrome ou Mozilla Firefox, à jour. "
                "Nous suggérons d'installer les deux : si l'un ne fonctionne pas, vous pourrez "
                "vous rabattre sur l'autre.",
                "Si la connexion bloque dans votre navigateur, vider ses données de navigation "
                "règle souvent le problème :",
                _numbered([clear, restart]),
            ],
            "clear_browser_data": [
                "GEM-BOOKS dépend de la santé de votre navigateur. Pour vider ses données de navigation :",
                _numbered([clear, restart]),
            ],
            "bookmark_help": [
                "Un vieux favori mène souvent à une page de connexion périmée. Pour le refaire :",
                _numbered(
                    [
                        site,
                        f"Votre nouveau favori doit pointer sur {APP}.",
                    ]
                ),
            ],
        }
    return {
        "login_problem": [
            "Here are the steps that fix most GEM-BOOKS login problems. Try them in order:",
            _numbered([site, browser, clear, restart]),
            f"Forgot your password? Choose a new one here: {links.password_reset_url}",
        ],
        "forgot_password": [
            "To choose a new password:",
            _numbered(
                [
                    f'Open the "Forgot password?" page: {links.password_reset_url} '
                    "(it is also the link at the bottom left of the login window).",
                    "Enter your user code and your email address.",
                    "You will receive an email with a link to choose a new password. "
                    "Check your spam folder too.",
                ]
            ),
            f"Lost your user code? Ask for it here: {links.user_code_url}",
        ],
        "forgot_user_code": [
            "To get your user code back:",
            _numbered(
                [
                    f'Open the "Forgot user code?" page: {links.user_code_url} '
                    '(link at the bottom left of the "Forgot password?" screen).',
                    "Enter your account's email address.",
                    "You will receive your user code by email. Check your spam folder too.",
                ]
            ),
        ],
        "browser_recommendation": [
            "GEM-BOOKS works best in an up-to-date Google Chrome or Mozilla Firefox. We suggest "
            "installing both: if one does not work, you can fall back on the other.",
            "If logging in gets stuck in your browser, clearing its browsing data often fixes it:",
            _numbered([clear, restart]),
        ],
        "clear_browser_data": [
            "GEM-BOOKS depends on the health of your browser. To clear its browsing data:",
            _numbered([clear, restart]),
        ],
        "bookmark_help": [
            "An old bookmark often leads to an outdated login page. To make a new one:",
            _numbered([site, f"Your new bookmark should point to {APP}."]),
        ],
    }


# Intents whose answer stands alone: answered by mail at once (above the threshold); the
# keys of _bodies (tests/bot/triage/test_answers.py checks they agree).
ANSWERABLE = frozenset(
    {
        "login_problem",
        "forgot_password",
        "forgot_user_code",
        "browser_recommendation",
        "clear_browser_data",
        "bookmark_help",
    }
)

_DRAFTS = {
    "fr": {
        "still_not_working": "Désolé que les étapes proposées n'aient pas réglé le problème. Pour vous "
        "aider, pouvez-vous nous dire quel navigateur vous utilisez et, s'il y en a un, le message "
        "d'erreur exact affiché à l'écran?",
        "reset_email_missing": "Le courriel de réinitialisation peut prendre quelques minutes. Regardez "
        "dans vos courriels indésirables; il doit aussi s'agir de l'adresse inscrite à votre compte. "
        "S'il n'est toujours pas arrivé, dites-nous votre code d'utilisateur et nous vérifierons.",
        "other": "Merci d'avoir écrit au soutien GEM-BOOKS. Nous avons bien reçu votre message et "
        "nous vous répondons ici dès que possible.",
    },
    "en": {
        "still_not_working": "Sorry the steps did not solve it. To help you, could you tell us which "
        "browser you use and, if there is one, the exact error message on the screen?",
        "reset_email_missing": "The reset email can take a few minutes. Check your spam folder; it "
        "must also be the address on your account. If it still has not arrived, tell us your user "
        "code and we will check.",
        "other": "Thank you for writing to GEM-BOOKS support. We received your message and will "
        "answer here as soon as we can.",
    },
}


def greeting_name(display_name: str) -> str:
    """The first name to greet, from a From display name; "" when it does not look like one."""
    words = display_name.replace('"', " ").split()
    first = words[0].strip(",;") if words else ""
    if "@" in display_name or not first or len(first) > 30 or not first[0].isalpha():
        return ""
    if not all(char.isalpha() or char in "-'’" for char in first):
        return ""
    return first


def _hello(language: str, name: str) -> str:
    return _HELLO[language].format(name=f" {name}" if name else "")


def answer_text(topic: str | None, language: str, links: Links, *, name: str = "") -> str | None:
    """The automatic answer to ``topic`` in ``language``; None when it has no standalone answer."""
    language = language if language in ("fr", "en") else "fr"
    body = _bodies(language, links).get(topic or "")
    if body is None:
        return None
    return "\n\n".join([_hello(language, name), *body, _STILL[language], _SIGNED[language]])


_FEEDBACK = {
    "fr": (
        "Est-ce que cette réponse a réglé votre problème?",
        "Oui, c'est réglé",
        "Non, j'ai encore besoin d'aide",
    ),
    "en": ("Did this answer solve your problem?", "Yes, this solved it", "No, I still need help"),
}


def feedback_lines(language: str, solved_url: str, help_url: str) -> list[tuple[str, str]]:
    """The end of every automatic answer: the question, then (label, signed link) twice.

    The first pair's url is empty: it is the question itself.
    """
    question, solved, still = _FEEDBACK[language if language in ("fr", "en") else "fr"]
    return [(question, ""), (solved, solved_url), (still, help_url)]


def feedback_text(language: str, lines: list[tuple[str, str]]) -> str:
    """The links as the text part shows them ("- Oui, c'est réglé : https://...")."""
    question, *choices = lines
    separator = ": " if language == "en" else " : "
    return "\n".join([question[0], *(f"- {label}{separator}{url}" for label, url in choices)])


def draft_text(topic: str | None, language: str, links: Links, *, name: str = "") -> str:
    """A reply for an agent to edit: the standalone answer if there is one, else a start."""
    language = language if language in ("fr", "en") else "fr"
    body = _bodies(language, links).get(topic or "")
    if body is None:
        body = [_DRAFTS[language].get(topic or "", _DRAFTS[language]["other"])]
    return "\n\n".join([_hello(language, name), *body, _AGENT_SIGNED[language]])


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str) -> str:
    """Paragraphs of escaped text, http(s) links made clickable; nothing else gets through."""
    paragraphs = []
    for block in re.split(r"\n{2,}", text.strip()):
        pieces, last = [], 0
        for match in _URL.finditer(block):
            pieces.append(html.escape(block[last : match.start()]))
            url = html.escape(match.group(0))
            pieces.append(f'<a href="{url}">{url}</a>')
            last = match.end()
        pieces.append(html.escape(block[last:]))
        paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br>\n") + "</p>")
    return "\n".join(paragraphs)
