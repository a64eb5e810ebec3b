"""The console's pages and form actions (routes in ``bot.console.routes``).

Access rule (``bot.handoff.store.may_see``): an agent sees the open handoffs nobody has
claimed and the ones they claimed; anything else is answered 404, as if it did not exist.
Changing a conversation (reply, note, resolve, hand back) needs having claimed it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.appkeys import AGENTS, CLOCK, CONSOLES, HANDOFFS, LIMITS, SETTINGS, TRIAGE
from bot.client_address import client_address
from bot.console.agents import SignedIn
from bot.console.auth import SESSION_COOKIE, agent_action, agent_page, set_session_cookie
from bot.console.dashboard import dashboard_page
from bot.console.language import console_text, failure, render
from bot.csrf import csrf_ok, csrf_token, remember_csrf
from bot.db.handoff_models import Handoff
from bot.domain import load_domain
from bot.handoff.packet import mask_user_code
from bot.handoff.service import is_email
from bot.handoff.store import may_see
from bot.limits.database import Rule
from bot.mail.addresses import mask_email, mask_emails_in
from bot.request_input import path_id, read_form
from bot.text_policy import check_text

__all__ = ["OUTCOMES", "QUEUE_PAGE_SIZE"]

OUTCOMES = ("solved", "not_solved", "answered_by_email", "duplicate", "other")
# An email answer (suggested replies teach four steps with links) may be this long.
EMAIL_REPLY_MAX_CHARS = 10_000
# Rows on a page of the queue.
QUEUE_PAGE_SIZE = 50


def _redirect(request: web.Request, name: str, **parts: str) -> web.HTTPFound:
    return web.HTTPFound(request.app.router[name].url_for(**parts))


# ------------------------------------------------------------------------- sign-in


async def login(request: web.Request) -> web.StreamResponse:
    """GET/POST /console/login."""
    token = csrf_token(request)
    error, email, status = "", "", 200
    if request.method == "POST":
        form = await read_form(request)
        if form is None:
            raise failure(request, web.HTTPBadRequest, "bad_form")
        if not csrf_ok(request, form):
            raise failure(request, web.HTTPForbidden, "csrf_invalid")
        email, password = str(form.get("email", "")).strip()[:254], str(form.get("password", ""))
        wait = await _login_attempt(request, email)
        if wait is not None:
            error, status = console_text(request)["login_limited"].format(minutes=math.ceil(wait / 60)), 429
            return _login_page(request, token, error, email, status)
        agent = await request.app[AGENTS].authenticate(email, password)
        if agent is not None:
            # A new session id at every sign-in: an id planted before login is worthless.
            replaced = request.cookies.get(SESSION_COOKIE)
            session_id, _csrf = await request.app[AGENTS].start_session(agent.id, replacing=replaced)
            if replaced:
                await request.app[CONSOLES].close_session(replaced)
            signed = web.HTTPFound(request.app.router["console_queue"].url_for())
            set_session_cookie(request, signed, session_id)
            raise signed
        error, status = console_text(request)["login_failed"], 401
    return _login_page(request, token, error, email, status)


async def _login_attempt(request: web.Request, email: str) -> float | None:
    """Count one sign-in attempt; the seconds to wait if this email or address tried too often.

    The limits are the account pages' (``Settings.login_attempts_*``: 10 per email, 30 per
    client address per 15 minutes), kept in the shared ``rate_limit_hits`` table so every
    hub process counts the same attempts. Every attempt counts, as on the account login:
    counting only failures would need a check-then-count that two requests could race.
    """
    settings = request.app[SETTINGS]
    per_email, window = settings.login_attempts_per_window, settings.login_attempts_window_seconds
    return await request.app[LIMITS].hit(
        [
            Rule("console_login", email.lower(), per_email, window),
            Rule("console_login_client", client_address(request), per_email * 3, window),
        ]
    )


def _login_page(request: web.Request, token: str, error: str, email: str, status: int) -> web.Response:
    response = render(
        request, "login.html", {"csrf": token, "error": error, "email": email, "agent": None}, status=status
    )
    remember_csrf(request, response, token)
    return response


@agent_action
async def logout(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/logout."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    await request.app[AGENTS].end_session(session_id)
    await request.app[CONSOLES].close_session(session_id)  # no longer "an agent is online"
    response = _redirect(request, "console_login")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


# ------------------------------------------------------------------------- pages


def _wait(now: dt.datetime, since: dt.datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d}"


@agent_page
async def queue(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console?page=N: open handoffs this agent may see, high priority and longest
    wait first, ``QUEUE_PAGE_SIZE`` a page (a flood of tickets never makes a page slow)."""
    handoffs = request.app[HANDOFFS]
    now = request.app[CLOCK]()
    page = _page_number(request.query.get("page"))
    found, total = await handoffs.queue_page(
        who.agent.id, offset=(page - 1) * QUEUE_PAGE_SIZE, limit=QUEUE_PAGE_SIZE
    )
    pages = max(1, math.ceil(total / QUEUE_PAGE_SIZE))
    if page > pages:  # past the end (the queue got shorter): the last page
        raise web.HTTPFound(request.rel_url.update_query(page=str(pages)))
    rows = [
        {
            "handoff": row.handoff,
            "mine": row.handoff.agent_id == who.agent.id,
            "topic": row.last_intent or "-",
            "wait": _wait(now, row.handoff.created_at),
            "user_code": mask_user_code(str(row.handoff.packet.get("user_code", ""))),
            "foreign_reply": is_email(row.handoff) and row.handoff.packet.get("detail") == "foreign_reply",
        }
        for row in found
    ]
    context = {
        "agent": who.agent,
        "csrf": who.csrf_token,
        "rows": rows,
        "page": page,
        "pages": pages,
        "total": total,
    }
    return render(request, "queue.html", context)


def _page_number(raw: str | None) -> int:
    """``?page=`` as a page number from 1; anything else (absent, junk, huge) is page 1."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        return 1
    return max(1, int(raw))


async def _visible(request: web.Request, who: SignedIn) -> Handoff:
    handoff_id = path_id(request, "id")
    if handoff_id is None:
        raise failure(request, web.HTTPNotFound, "not_found")
    handoff = await request.app[HANDOFFS].get(handoff_id)
    if handoff is None or not may_see(handoff, who.agent.id):
        raise failure(request, web.HTTPNotFound, "not_found")
    return handoff


def _mine(handoff: Handoff, who: SignedIn) -> bool:
    return handoff.agent_id == who.agent.id


@agent_page
async def conversation(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/c/{id}: transcript with intents, the packet, reply, notes, resolve, hand back."""
    handoff = await _visible(request, who)
    handoffs = request.app[HANDOFFS]
    mine = _mine(handoff, who)
    packet = dict(handoff.packet)
    contact = handoff.contact_email or ""
    if not mine:
        # Full identifiers only for the agent the conversation is assigned to.
        packet["user_code"] = mask_user_code(str(packet.get("user_code", "")))
        if packet.get("email") and "***" not in packet["email"]:
            packet["email"] = mask_email(packet["email"])
        contact = mask_email(contact) if contact else ""
    transcript = await handoffs.conversations.transcript(handoff.conversation_id)
    corrections = {c.message_id: c for c in await handoffs.corrections(handoff)}
    lines = [
        {
            "message": m,
            # Masked for everyone, the assigned agent included: the address to reply to is
            # the contact above, and a transcript is no place to copy addresses from.
            "text": mask_emails_in(m.text),
            "correction": corrections.get(m.id),
        }
        for m in transcript
    ]
    context = {
        "agent": who.agent,
        "csrf": who.csrf_token,
        "handoff": handoff,
        "mine": mine,
        "packet": packet,
        "contact": contact,
        "lines": lines,
        "notes": await handoffs.notes(handoff) if mine else [],
        # An agent correcting an intent chooses among the domain's (bot.domain).
        "intents": load_domain().intents,
        "outcomes": OUTCOMES,
        "max_chars": _reply_limit(request, handoff),
        "is_email": is_email(handoff),
        "foreign_reply": is_email(handoff) and packet.get("detail") == "foreign_reply",
    }
    return render(request, "conversation.html", context)


@agent_page
async def dashboard(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/dashboard: figures for a range (bot.console.dashboard), no conversation content."""
    return await dashboard_page(request, who)


@agent_page
async def mail_log(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/mail: the latest mails and what the triage did (senders masked)."""
    triage = request.app[TRIAGE]
    rows = [
        {
            "mail": mail,
            "decision": mail.decision or "waiting",
            "from": mask_email(mail.from_address) if mail.from_address else "-",
        }
        for mail in await triage.store.recent()
    ]
    counts = await triage.store.counts()
    context = {"agent": who.agent, "csrf": who.csrf_token, "rows": rows, "counts": counts}
    return render(request, "mail.html", context)


# ------------------------------------------------------------------------- actions


def _back_to(request: web.Request, handoff: Handoff) -> web.HTTPFound:
    return _redirect(request, "console_conversation", id=str(handoff.id))


def _reply_limit(request: web.Request, handoff: Handoff) -> int:
    """A chat line is short; an email answer (the suggested ones included) may be longer."""
    return EMAIL_REPLY_MAX_CHARS if is_email(handoff) else request.app[SETTINGS].max_message_chars


def _text(request: web.Request, form: Mapping[str, Any], max_chars: int) -> str:
    text = str(form.get("text", "")).replace("\r\n", "\n").strip()
    if check_text(text, max_chars) is not None:
        raise failure(request, web.HTTPBadRequest, "bad_text")
    return text


async def _claimed(request: web.Request, who: SignedIn) -> Handoff:
    handoff = await _visible(request, who)
    if not _mine(handoff, who) or handoff.status != "open":
        raise failure(request, web.HTTPConflict, "claim_first")
    return handoff


@agent_action
async def claim(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/claim: assign to me."""
    handoff = await _visible(request, who)
    if handoff.agent_id is None:
        await request.app[HANDOFFS].claim(handoff, who.agent.id)  # the consoles' queues reload
    raise _back_to(request, handoff)


@agent_action
async def reply(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/reply: a message to the person's widget."""
    handoff = await _claimed(request, who)
    await request.app[HANDOFFS].agent_reply(handoff, _text(request, form, _reply_limit(request, handoff)))
    raise _back_to(request, handoff)


@agent_action
async def note(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/note: an internal note (never shown to the person)."""
    handoff = await _claimed(request, who)
    await request.app[HANDOFFS].add_note(handoff, who.agent.id, _text(request, form, 4000))
    raise _back_to(request, handoff)


@agent_action
async def resolve(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/resolve: close with an outcome."""
    handoff = await _claimed(request, who)
    outcome = str(form.get("outcome", ""))
    if outcome not in OUTCOMES:
        raise failure(request, web.HTTPBadRequest, "bad_outcome")
    await request.app[HANDOFFS].resolve(handoff, outcome)
    raise _back_to(request, handoff)


@agent_action
async def hand_back(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/hand-back: the assistant answers again."""
    handoff = await _claimed(request, who)
    if is_email(handoff):
        raise failure(request, web.HTTPConflict, "email_no_hand_back")
    await request.app[HANDOFFS].hand_back(handoff)
    raise _back_to(request, handoff)


@agent_action
async def correct(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/c/{id}/messages/{message}/intent: the intent this message really had."""
    handoff = await _visible(request, who)
    handoffs = request.app[HANDOFFS]
    message_id = path_id(request, "message")
    message = await handoffs.message(message_id) if message_id is not None else None
    if message is None or message.conversation_id != handoff.conversation_id or message.author != "person":
        raise failure(request, web.HTTPNotFound, "not_found")
    intent = str(form.get("intent", ""))
    if intent not in load_domain().intents:
        raise failure(request, web.HTTPBadRequest, "bad_intent")
    language = message.language or handoff.language
    await handoffs.correct(message, who.agent.id, intent, language if language in ("fr", "en") else "fr")
    raise _back_to(request, handoff)
