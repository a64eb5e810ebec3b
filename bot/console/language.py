"""The console's language: which one a page answers in, the FR|EN switch, and the
localized pages and error pages.

The language is ``?lang=fr|en`` (the switch; remembered in the ``gem_console_lang``
cookie), else that cookie, else the browser's ``Accept-Language``, else French
(:func:`bot.page_language.choose_language`, as on the account pages). Words come from
:mod:`bot.console.page_text`; templates stay autoescaped.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from bot.appkeys import SETTINGS
from bot.console.page_text import LABELS, TEXT
from bot.page_language import LANGUAGES, choose_language

__all__ = ["LANG_COOKIE", "console_language", "console_text", "failure", "render"]

LANG_COOKIE = "gem_console_lang"
_COOKIE_PATH = "/console"
_ONE_YEAR = 365 * 24 * 3600


def console_language(request: web.Request) -> str:
    return choose_language(request, request.query.get("lang"), request.cookies.get(LANG_COOKIE))


def console_text(request: web.Request) -> dict[str, str]:
    return TEXT[console_language(request)]


def _remember(request: web.Request, response: web.StreamResponse, lang: str) -> None:
    """Keep the switch's choice for the next pages (and the redirects after a form)."""
    if request.query.get("lang") in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            path=_COOKIE_PATH,
            max_age=_ONE_YEAR,
            httponly=True,
            samesite="Lax",
            secure=request.app[SETTINGS].public_base_url.startswith("https://"),
        )


def _context(request: web.Request, lang: str, switch: URL | None, context: dict[str, Any]) -> dict[str, Any]:
    other = TEXT[lang]["other_lang"]
    # The page as it is (a dashboard keeps its range and filters), in the other language.
    switch_url = (switch or request.rel_url).update_query(lang=other)
    return {"t": TEXT[lang], "labels": LABELS[lang], "lang": lang, "switch_url": str(switch_url), **context}


def render(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> web.Response:
    """``console/<template>`` in the request's language, with the FR|EN switch."""
    lang = console_language(request)
    response = aiohttp_jinja2.render_template(
        f"console/{template}", request, _context(request, lang, None, context), status=status
    )
    _remember(request, response, lang)
    response.headers["Cache-Control"] = "no-store"
    return response


def failure(
    request: web.Request, error: type[web.HTTPException], key: str, **values: Any
) -> web.HTTPException:
    """An HTTP error whose body is the console's error page saying ``TEXT[lang][key]``.

    The switch leads to the queue: the failed request itself may be a POST.
    """
    lang = console_language(request)
    switch = URL(str(request.app.router["console_queue"].url_for()))
    page = aiohttp_jinja2.render_string(
        "console/error.html",
        request,
        _context(request, lang, switch, {"agent": None, "message": TEXT[lang][key].format(**values)}),
    )
    return error(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})
