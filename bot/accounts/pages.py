"""The account pages: login, password reset, and the two "forgot" forms. FR and EN.

==================  ===========================  =========================================
route name          path                         what
==================  ===========================  =========================================
login               GET/POST /login              check a user code (or email) + password
reset               GET/POST /reset?token=...    choose a new password with a reset link
forgot_password     GET/POST /forgot-password    ask for the reset email by form
forgot_user_code    GET/POST /forgot-user-code   ask for the user-code reminder by form
==================  ===========================  =========================================

The language is ``?lang=fr|en`` (the switch), else the account's (reset link), else the
browser's ``Accept-Language``. Every POST needs the CSRF token (:mod:`bot.csrf`). These
pages send ``Referrer-Policy: same-origin`` (a reset link's token must not leak to another
site, see :func:`_render`) and ``Cache-Control: no-store``, and load nothing from third
parties.
"""

from __future__ import annotations

import math
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from bot.accounts.identifiers import is_valid_user_code, user_code_key
from bot.accounts.page_text import TEXT
from bot.accounts.requests import Outcome
from bot.appkeys import ACCOUNT_REQUESTS, ACCOUNTS, LIMITS, MAIL_SINK, RESET_TOKENS, SETTINGS
from bot.client_address import client_address
from bot.csrf import csrf_ok, csrf_token, remember_csrf
from bot.limits.database import Rule
from bot.mail.addresses import is_valid_email
from bot.page_language import choose_language
from bot.passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, password_problem
from bot.request_input import read_form

__all__ = ["forgot_password", "forgot_user_code", "login", "reset"]


def _language(request: web.Request, chosen: object = None, fallback: str | None = None) -> str:
    return choose_language(request, chosen, request.query.get("lang"), fallback)


def _render(
    request: web.Request,
    template: str,
    lang: str,
    status: int = 200,
    switch: URL | None = None,
    **context: Any,
) -> web.Response:
    """A page in ``lang``, with the CSRF token, the language switch and strict headers."""
    token = csrf_token(request)
    other = TEXT[lang]["other_lang"]
    switch_url = (switch or request.rel_url.with_query(None)).update_query(lang=other)
    sink_url = str(request.app.router["dev_mail"].url_for()) if MAIL_SINK in request.app else None
    response = aiohttp_jinja2.render_template(
        f"accounts/{template}",
        request,
        {
            "t": TEXT[lang],
            "lang": lang,
            "csrf": token,
            "switch_url": str(switch_url),
            "dev_mail_url": sink_url,
            "min_chars": MIN_PASSWORD_CHARS,
            **context,
        },
        status=status,
    )
    remember_csrf(request, response, token)
    # "same-origin": a Referer (with /reset's token in it) goes to this hub only, never to
    # another site. Not "no-referrer": under it Chromium posts our own forms with
    # "Origin: null", which csrf_ok rightly refuses (every form said "La page a expiré").
    # Not "strict-origin": no need to tell other sites where the person came from. Our own
    # access log masks the token in a Referer too (bot.access_log). Same policy in the
    # <meta> of accounts/layout.html.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _expired_form(request: web.Request, lang: str) -> web.Response:
    return _render(request, "message.html", lang, status=403, title_key="csrf_title", text_key="csrf_text")


def _unreadable_form(request: web.Request) -> web.Response:
    lang = _language(request)
    return _render(
        request, "message.html", lang, status=400, title_key="bad_form_title", text_key="bad_form_text"
    )


async def login(request: web.Request) -> web.Response:
    """GET shows the form; POST checks the password (generic error, same time either way)."""
    if request.method != "POST":
        return _render(request, "login.html", _language(request))
    form = await read_form(request)
    if form is None:
        return _unreadable_form(request)
    lang = _language(request, form.get("lang"))
    if not csrf_ok(request, form):
        return _expired_form(request, lang)
    identifier = str(form.get("identifier", "")).strip()[:254]
    password = str(form.get("password", ""))
    settings = request.app[SETTINGS]
    window = settings.login_attempts_window_seconds
    wait = await request.app[LIMITS].hit(
        [
            Rule("login", user_code_key(identifier), settings.login_attempts_per_window, window),
            Rule("login_client", client_address(request), settings.login_attempts_per_window * 3, window),
        ]
    )
    if wait is not None:
        error = TEXT[lang]["login_limited"].format(minutes=math.ceil(wait / 60))
        return _render(request, "login.html", lang, status=429, error=error, identifier=identifier)
    account = await request.app[ACCOUNTS].authenticate(identifier, password)
    if account is None:
        return _render(request, "login.html", lang, error=TEXT[lang]["login_failed"], identifier=identifier)
    return _render(request, "login_ok.html", lang, name=account.display_name)


async def reset(request: web.Request) -> web.Response:
    """GET shows the new-password form for a live link; POST sets the password."""
    tokens = request.app[RESET_TOKENS]
    form = await read_form(request) if request.method == "POST" else None
    if request.method == "POST" and form is None:
        return _unreadable_form(request)
    token = str((form or request.query).get("token", ""))
    account = await tokens.account_for(token)
    lang = _language(request, form.get("lang") if form else None, account.language if account else None)
    switch = request.rel_url.with_query({"token": token}) if token else None
    if form is not None and not csrf_ok(request, form):
        return _expired_form(request, lang)
    if account is None:
        minutes = int(tokens.lifetime.total_seconds() // 60)
        return _render(request, "reset_invalid.html", lang, status=410, minutes=minutes)
    page = {"token": token, "user_code": account.user_code}
    if form is None:
        return _render(request, "reset.html", lang, switch=switch, **page)
    password, confirmation = str(form.get("password", "")), str(form.get("confirmation", ""))
    problem = password_problem(password, confirmation)
    if problem is not None:
        error = TEXT[lang][problem].format(min=MIN_PASSWORD_CHARS, max=MAX_PASSWORD_CHARS)
        return _render(request, "reset.html", lang, status=422, switch=switch, error=error, **page)
    if await tokens.redeem(token, password) is None:  # spent meanwhile (double submit)
        minutes = int(tokens.lifetime.total_seconds() // 60)
        return _render(request, "reset_invalid.html", lang, status=410, minutes=minutes)
    return _render(request, "reset_done.html", lang)


async def forgot_password(request: web.Request) -> web.Response:
    """The login page's "Mot de passe oublié?": user code + email, then the reset email."""
    return await _forgot(request, "password")


async def forgot_user_code(request: web.Request) -> web.Response:
    """The login page's "Code d'utilisateur oublié?": email, then the reminder."""
    return await _forgot(request, "user_code")


async def _forgot(request: web.Request, what: str) -> web.Response:
    template = f"forgot_{what}.html"
    if request.method != "POST":
        return _render(request, template, _language(request))
    form = await read_form(request)
    if form is None:
        return _unreadable_form(request)
    lang = _language(request, form.get("lang"))
    if not csrf_ok(request, form):
        return _expired_form(request, lang)
    user_code = str(form.get("user_code", "")).strip()
    email = str(form.get("email", "")).strip()
    fields: dict[str, Any] = {"user_code": user_code, "email": email}
    if not is_valid_email(email) or (what == "password" and not is_valid_user_code(user_code)):
        return _render(request, template, lang, status=422, error=TEXT[lang]["forgot_invalid"], **fields)
    requests = request.app[ACCOUNT_REQUESTS]
    origin = ("client", client_address(request))
    outcome: Outcome
    if what == "password":
        outcome = await requests.password_reset(user_code, email, lang, origin=origin)
    else:
        outcome = await requests.user_code_reminder(email, lang, origin=origin)
    if outcome.status == "accepted":
        return _render(request, template, lang, notice=TEXT[lang]["forgot_sent"])
    if outcome.status == "rate_limited":
        minutes = math.ceil((outcome.retry_after_seconds or 60) / 60)
        error = TEXT[lang]["forgot_limited"].format(minutes=minutes)
        return _render(request, template, lang, status=429, error=error, **fields)
    error = TEXT[lang]["forgot_unavailable"].format(support=request.app[SETTINGS].support_email)
    return _render(request, template, lang, status=503, error=error, **fields)
