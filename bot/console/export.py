"""CSV downloads of a range's conversations and handoffs, for a support lead's spreadsheet.

``GET /console/export/conversations.csv`` and ``/console/export/handoffs.csv`` take the
dashboard's query (``from``, ``to``, ``language``, ``channel``; see
:func:`bot.console.dashboard.parse_view`) and need a signed-in agent.

What leaves the console is masked as docs/SECURITY.md asks: email addresses as ``m***@domain``
(``mask_email``), user codes as ``JT***``, no reset token, no resume code and no
conversation id (a conversation id lets whoever holds it back into the chat): rows are
tied together by ``conversation_ref``, a one-way digest. No transcript text either.
Cells that a spreadsheet would run as a formula start with a quote.

Rows are streamed in batches from a server-side cursor, so a year of traffic never sits
in memory at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from bot.appkeys import CLOCK, ENGINE
from bot.console.agents import SignedIn
from bot.console.auth import agent_page
from bot.console.dashboard import RangeError, parse_view
from bot.console.dashboard_queries import CHANNELS, View
from bot.console.language import failure
from bot.db.engine import session_factory
from bot.db.feedback_models import Satisfaction
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation
from bot.handoff.packet import mask_user_code
from bot.mail.addresses import mask_email

__all__ = [
    "CONVERSATION_COLUMNS",
    "HANDOFF_COLUMNS",
    "conversation_ref",
    "export_conversations",
    "export_handoffs",
]

CONVERSATION_COLUMNS = (
    "conversation_ref", "created_at", "updated_at", "language", "channel", "status",
    "steps_tried", "furthest_step", "solved_step", "handoffs", "satisfaction",
)  # fmt: skip
HANDOFF_COLUMNS = (
    "handoff_id", "conversation_ref", "created_at", "language", "channel", "reason", "priority",
    "status", "outcome", "agent_id", "claimed_at", "first_reply_at", "closed_at",
    "seconds_to_first_reply", "agent_online_at_open", "browser", "steps_tried",
    "reset_email_sent", "user_code", "email", "contact_email",
)  # fmt: skip
_BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def conversation_ref(conversation_id: str) -> str:
    """A stable reference to a conversation that cannot be turned back into its id."""
    return hashlib.sha256(f"gem-books-export:{conversation_id}".encode()).hexdigest()[:16]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _steps(steps: Any) -> str:
    return ";".join(str(step) for step in steps) if isinstance(steps, list) else ""


def _conversations_query(view: View) -> Select:
    start, end = view.bounds
    handoffs = (
        select(func.count())
        .where(Handoff.conversation_id == Conversation.id)
        .scalar_subquery()
        .label("handoffs")
    )
    answer = (
        select(Satisfaction.answer).where(Satisfaction.conversation_id == Conversation.id).scalar_subquery()
    )
    query = select(
        Conversation.id, Conversation.created_at, Conversation.updated_at, Conversation.language,
        Conversation.channel, Conversation.status, Conversation.steps_tried, Conversation.furthest_step,
        Conversation.solved_step, handoffs, answer.label("satisfaction"),
    ).where(
        Conversation.created_at >= start, Conversation.created_at < end, Conversation.person_wrote == 1
    )  # fmt: skip
    if view.language:
        query = query.where(Conversation.language == view.language)
    if view.channel:
        query = query.where(Conversation.channel == CHANNELS[view.channel])
    return query.order_by(Conversation.created_at)


def _conversation_row(row: Any) -> list[str]:
    (cid, created, updated, language, channel, status, steps, furthest, solved, handoffs, answer) = row
    values = (conversation_ref(cid), created, updated, language, channel, status, _steps(steps), furthest,
              solved, handoffs, answer)  # fmt: skip
    return [_cell(value) for value in values]


def _handoffs_query(view: View) -> Select:
    start, end = view.bounds
    query = (
        select(Handoff, Conversation.channel)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(Handoff.created_at >= start, Handoff.created_at < end)
    )
    if view.language:
        query = query.where(Handoff.language == view.language)
    if view.channel:
        query = query.where(Conversation.channel == CHANNELS[view.channel])
    return query.order_by(Handoff.created_at, Handoff.id)


def _handoff_row(row: Any) -> list[str]:
    handoff, channel = row
    packet = handoff.packet if isinstance(handoff.packet, dict) else {}
    wait = (
        round((handoff.first_reply_at - handoff.created_at).total_seconds())
        if handoff.first_reply_at is not None
        else None
    )
    email = str(packet.get("email") or "")
    values = (
        handoff.id, conversation_ref(handoff.conversation_id), handoff.created_at, handoff.language, channel,
        handoff.reason, handoff.priority, handoff.status, handoff.outcome, handoff.agent_id, handoff.claimed_at,
        handoff.first_reply_at, handoff.closed_at, wait, bool(handoff.agent_online_at_open),
        packet.get("browser") or "", _steps(packet.get("steps_tried")), bool(packet.get("reset_email_sent")),
        mask_user_code(str(packet.get("user_code") or "")), mask_email(email) if email else "",
        mask_email(handoff.contact_email) if handoff.contact_email else "",
    )  # fmt: skip
    return [_cell(value) for value in values]


async def _csv_lines(
    request: web.Request, query: Select, header: Sequence[str], to_row: Any
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    async with session_factory(request.app[ENGINE])() as session:
        result = await session.stream(query.execution_options(yield_per=_BATCH))
        async for rows in result.partitions(_BATCH):
            for row in rows:
                writer.writerow(to_row(row))
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue().encode("utf-8")


async def _download(
    request: web.Request, what: str, query_for: Any, header: Sequence[str], to_row: Any
) -> web.StreamResponse:
    today = request.app[CLOCK]().astimezone(dt.timezone.utc).date()
    try:
        view, _preset = parse_view(request.query, today)
    except RangeError as error:
        raise failure(request, web.HTTPBadRequest, error.key, **error.values) from None
    filename = f"gem-books-{what}_{view.start.isoformat()}_{view.end.isoformat()}.csv"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    # A byte-order mark, so that spreadsheet programs read the accents as UTF-8.
    await response.write("\ufeff".encode())
    async for chunk in _csv_lines(request, query_for(view), header, to_row):
        await response.write(chunk)
    await response.write_eof()
    return response


@agent_page
async def export_conversations(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/export/conversations.csv: the range's conversations, one per line."""
    return await _download(
        request, "conversations", _conversations_query, CONVERSATION_COLUMNS, _conversation_row
    )


@agent_page
async def export_handoffs(request: web.Request, who: SignedIn) -> web.StreamResponse:
    """GET /console/export/handoffs.csv: the range's handoffs, one per line, masked."""
    return await _download(request, "handoffs", _handoffs_query, HANDOFF_COLUMNS, _handoff_row)
