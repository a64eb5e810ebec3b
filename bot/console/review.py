"""The console's "what to teach next" page: confirm or correct what the assistant guessed.

======================  ==========================================  ========================
route name              path                                        what
======================  ==========================================  ========================
console_review          GET /console/review?state=&intent=&page=    the messages to review,
                                                                    grouped by guessed intent
console_review_verdict  POST /console/review/{message}              an intent (or "not an
                                                                    example") for one message
======================  ==========================================  ========================

The intents offered are the console's list (:func:`bot.domain.load_domain`, from
domain.yml). A verdict is an intent correction, as on a conversation page, so the existing
export (``python -m bot corrections export``) turns it into NLU data. The page counts the
reviewed examples that the training files in ``data/nlu/`` do not have yet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.appkeys import CLOCK, HANDOFFS, REVIEWS, SETTINGS
from bot.console.agents import SignedIn
from bot.console.auth import agent_action, agent_page
from bot.console.language import failure, render
from bot.console.nlu_examples import normalize, training_examples
from bot.console.review_store import REVIEW_STATES
from bot.domain import load_domain
from bot.mail.addresses import mask_emails_in
from bot.request_input import path_id

__all__ = ["NOT_AN_EXAMPLE", "PAGE_SIZE", "review", "review_verdict", "untrained"]

PAGE_SIZE = 50
# The form's value for "this message teaches nothing" (never an intent name).
NOT_AN_EXAMPLE = "-"
_NO_INTENT = "none"  # the filter for messages the assistant had no guess for
_INTENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def untrained(examples: list[tuple[str, str, str]], nlu_dir: Path) -> dict[str, int]:
    """How many reviewed examples the training files lack, or have under another intent."""
    known = training_examples(nlu_dir)
    seen: set[tuple[str, str]] = set()
    missing = conflicting = 0
    for text, intent, _language in examples:
        key = (normalize(text), intent)
        if not key[0] or key in seen:
            continue
        seen.add(key)
        intents = known.get(key[0])
        if intents is None:
            missing += 1
        elif intent not in intents:
            conflicting += 1
    return {"reviewed": len(seen), "missing": missing, "conflicting": conflicting}


def _filters(source: Mapping[str, Any]) -> tuple[str, str | None, int]:
    """(state, guessed intent or None, page) from a query or a form; junk gets defaults."""
    state = str(source.get("state", "todo"))
    state = state if state in REVIEW_STATES else "todo"
    raw_intent = str(source.get("intent", ""))
    intent = raw_intent if _INTENT_NAME.fullmatch(raw_intent) else None
    try:
        page = max(1, min(int(str(source.get("page", "1"))), 10_000))
    except ValueError:
        page = 1
    return state, intent, page


@agent_page
async def review(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/review: one page of messages to review, and the counts."""
    state, intent, page = _filters(request.query)
    reviews = request.app[REVIEWS]
    guessed = None if intent is None else ("" if intent == _NO_INTENT else intent)
    total = await reviews.count(state, guessed)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages)
    rows = await reviews.page(state, intent=guessed, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    groups: list[dict[str, Any]] = []
    for row in rows:
        name = row.message.intent or ""
        if not groups or groups[-1]["intent"] != name:
            groups.append({"intent": name, "rows": []})
        groups[-1]["rows"].append({"row": row, "text": mask_emails_in(row.message.text)})
    settings = request.app[SETTINGS]
    context = {
        "agent": who.agent,
        "csrf": who.csrf_token,
        "state": state,
        "intent": intent or "",
        "page": page,
        "pages": pages,
        "total": total,
        "summary": await reviews.groups(state),
        "counts": {name: await reviews.count(name, None) for name in REVIEW_STATES},
        "groups": groups,
        "intents": load_domain().intents,
        "not_an_example": NOT_AN_EXAMPLE,
        "no_intent": _NO_INTENT,
        "threshold": round(settings.review_confidence_threshold * 100),
        "untrained": untrained(await reviews.reviewed_examples(), Path(settings.nlu_data_dir)),
    }
    return render(request, "review.html", context)


@agent_action
async def review_verdict(request: web.Request, who: SignedIn, form: Mapping[str, Any]) -> web.StreamResponse:
    """POST /console/review/{message}: confirm the guess, pick the right intent, or set aside."""
    message_id = path_id(request, "message")
    reviews = request.app[REVIEWS]
    message = await reviews.candidate(message_id) if message_id is not None else None
    if message is None:
        raise failure(request, web.HTTPNotFound, "review_not_found")
    choice = str(form.get("verdict", ""))
    if choice == NOT_AN_EXAMPLE:
        await reviews.dismiss(message.id, who.agent.id, request.app[CLOCK]())
    elif choice in load_domain().intents:
        language = (
            message.language if message.language in ("fr", "en") else request.app[SETTINGS].default_language
        )
        await request.app[HANDOFFS].correct(message, who.agent.id, choice, language)
        await reviews.undismiss(message.id)
    else:
        raise failure(request, web.HTTPBadRequest, "bad_intent")
    state, intent, page = _filters(form)
    query = {"state": state, "page": str(page), **({"intent": intent} if intent else {})}
    raise web.HTTPFound(request.app.router["console_review"].url_for().with_query(query))
