"""Which language (``fr`` or ``en``) an HTML page answers in: shared by the account pages
and the agent console, so that both pick it the same way.

The first of ``preferred`` that is ``"fr"`` or ``"en"`` wins (the page passes, in order,
what it knows: a form field, ``?lang=``, a cookie, an account's language...); else the
browser's ``Accept-Language``; else ``Settings.default_language`` (French).
"""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import SETTINGS

__all__ = ["LANGUAGES", "choose_language"]

LANGUAGES = ("fr", "en")


def choose_language(request: web.Request, *preferred: object) -> str:
    for candidate in preferred:
        if candidate in LANGUAGES:
            return str(candidate)
    for part in request.headers.get("Accept-Language", "").split(","):
        primary = part.split(";")[0].strip().lower()[:2]
        if primary in LANGUAGES:
            return primary
    return request.app[SETTINGS].default_language
