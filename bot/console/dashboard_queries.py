"""The dashboard's figures for a date range, each one SQL aggregate (nothing per row in Python).

Usage::

    view = View(dt.date(2026, 11, 1), dt.date(2026, 11, 30), language="fr", channel=None)
    figures = await dashboard_figures(sessions, view)
    figures.conversations, figures.deflection, figures.funnel, ...

Days are UTC calendar days. Every query is plain SQL that SQLite and PostgreSQL both
run: GROUP BY and COUNT over an indexed ``created_at`` range; the day of a timestamp and
the seconds between two are the two expressions each database spells its own way, below.
Python only adds up the handful of grouped rows that come back (days, reasons, steps).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Float, String, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from bot.db.feedback_models import Satisfaction
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation
from bot.db.triage_models import InboundMail
from bot.funnel import STEP_NAMES

__all__ = [
    "CHANNELS",
    "LANGUAGES",
    "Figures",
    "FunnelStep",
    "View",
    "dashboard_figures",
    "seconds_between",
    "utc_day",
]

LANGUAGES = ("fr", "en")
# The filter's channel names, and what conversations.channel stores for each.
CHANNELS = {"widget": "widget", "socketio": "socketio", "mail": "email"}
SATISFACTION_DIMENSIONS = ("topic", "language", "step", "channel")


# ------------------------------------------------------------------ portable expressions


class utc_day(FunctionElement):  # noqa: N801 - reads as a SQL function
    """The UTC calendar day of a stored timestamp, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(CAST({compiler.process(element.clauses, **kw)} AS DATE) AS VARCHAR(10))"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (bot.db.models.UTCDateTime).
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class seconds_between(FunctionElement):  # noqa: N801
    """``later - earlier`` in seconds (a float)."""

    type = Float()
    inherit_cache = True


def _two(element: seconds_between, compiler: Any, **kw: Any) -> tuple[str, str]:
    earlier, later = list(element.clauses)
    return compiler.process(earlier, **kw), compiler.process(later, **kw)


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = _two(element, compiler, **kw)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = _two(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


# ------------------------------------------------------------------ what is asked, what comes back


@dataclasses.dataclass(frozen=True)
class View:
    """A range of UTC days (both included) and the optional language and channel filters."""

    start: dt.date
    end: dt.date
    language: str | None = None  # "fr" | "en" | None (all)
    channel: str | None = None  # a key of CHANNELS | None (all)

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of the first day, start of the day after the last) in UTC."""
        start = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.timezone.utc)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        return start, end

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclasses.dataclass(frozen=True)
class FunnelStep:
    """Step ``number``: how many saw it, were solved by it, went to support or left after it."""

    number: int
    name: str
    reached: int
    solved: int
    support: int
    left: int


@dataclasses.dataclass(frozen=True)
class Figures:
    view: View
    # One (day, conversations, deflected) per day of the range, zeros included.
    daily: list[tuple[dt.date, int, int]]
    handoffs: int
    handoffs_by_reason: list[tuple[str, int]]
    median_first_reply_seconds: float | None
    replied_handoffs: int
    open_handoffs: int
    mail_by_decision: dict[str, int]
    funnel: list[FunnelStep]
    # {dimension: [(value, answers, yes), ...]} for SATISFACTION_DIMENSIONS.
    satisfaction: dict[str, list[tuple[str | None, int, int]]]

    @property
    def conversations(self) -> int:
        return sum(count for _day, count, _deflected in self.daily)

    @property
    def deflected(self) -> int:
        return sum(deflected for _day, _count, deflected in self.daily)

    @property
    def deflection(self) -> float | None:
        return self.deflected / self.conversations if self.conversations else None

    @property
    def satisfaction_answers(self) -> int:
        return sum(answers for _value, answers, _yes in self.satisfaction["channel"])

    @property
    def satisfaction_yes(self) -> int:
        return sum(yes for _value, _answers, yes in self.satisfaction["channel"])


# ------------------------------------------------------------------ the queries


def _conversation_filter(view: View) -> ColumnElement:
    start, end = view.bounds
    conditions = [
        Conversation.created_at >= start,
        Conversation.created_at < end,
        Conversation.person_wrote == 1,
    ]
    if view.language:
        conditions.append(Conversation.language == view.language)
    if view.channel:
        conditions.append(Conversation.channel == CHANNELS[view.channel])
    return and_(*conditions)


def _handoff_filter(view: View) -> ColumnElement:
    start, end = view.bounds
    conditions = [Handoff.created_at >= start, Handoff.created_at < end]
    if view.language:
        conditions.append(Handoff.language == view.language)
    if view.channel:
        on_channel = exists().where(
            Conversation.id == Handoff.conversation_id, Conversation.channel == CHANNELS[view.channel]
        )
        conditions.append(on_channel)
    return and_(*conditions)


async def _conversation_groups(session: AsyncSession, view: View) -> list[tuple[str, Any, Any, int, int]]:
    """Conversations counted by (day, furthest step, solved step, handed over).

    Two GROUP BYs, a few hundred rows back at most (days x steps): all the range's
    conversations (read from one index), and those handed to people, reached from the
    handoffs (far fewer) rather than by a look-up per conversation.
    """
    day = utc_day(Conversation.created_at).label("day")
    keys = (day, Conversation.furthest_step, Conversation.solved_step)
    everyone = await session.execute(
        select(*keys, func.count()).where(_conversation_filter(view)).group_by(*keys)
    )
    start, _end = view.bounds
    # A handoff comes after its conversation starts: earlier ones cannot belong to the range.
    handed_ids = select(Handoff.conversation_id).where(Handoff.created_at >= start).distinct().subquery()
    handed = await session.execute(
        select(*keys, func.count())
        .select_from(handed_ids)
        .join(Conversation, Conversation.id == handed_ids.c.conversation_id)
        .where(_conversation_filter(view))
        .group_by(*keys)
    )
    handed_counts = {(str(d), f, s): int(n) for d, f, s, n in handed.all()}
    groups = []
    for d, furthest, solved, n in everyone.all():
        h = handed_counts.get((str(d), furthest, solved), 0)
        groups.append((str(d), furthest, solved, 1, h))
        groups.append((str(d), furthest, solved, 0, int(n) - h))
    return groups


def _daily(view: View, groups: list[tuple[str, Any, Any, int, int]]) -> list[tuple[dt.date, int, int]]:
    by_day: dict[str, list[int]] = {}
    for day, _furthest, _solved, handed, n in groups:
        counts = by_day.setdefault(day, [0, 0])
        counts[0] += n
        counts[1] += 0 if handed else n
    return [(d, *by_day.get(d.isoformat(), (0, 0))) for d in view.days]  # type: ignore[misc]


async def _handoffs_by_reason(session: AsyncSession, view: View) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Handoff.reason, func.count()).where(_handoff_filter(view)).group_by(Handoff.reason)
    )
    return sorted(((str(r), int(n)) for r, n in rows.all()), key=lambda kv: (-kv[1], kv[0]))


async def _median_first_reply(session: AsyncSession, view: View) -> tuple[float | None, int]:
    """The median wait of handoffs an agent answered: one COUNT, then the middle row(s)."""
    answered = and_(_handoff_filter(view), Handoff.first_reply_at.is_not(None))
    count = int(await session.scalar(select(func.count()).select_from(Handoff).where(answered)) or 0)
    if not count:
        return None, 0
    wait = seconds_between(Handoff.created_at, Handoff.first_reply_at)
    middle = (
        await session.execute(
            select(wait).where(answered).order_by(wait).offset((count - 1) // 2).limit(2 - count % 2)
        )
    ).scalars()
    values = [float(v) for v in middle]
    return sum(values) / len(values), count


async def _open_handoffs(session: AsyncSession, view: View) -> int:
    """Open now, whatever the range (the queue's size), in the language and channel chosen."""
    conditions: list[ColumnElement] = [Handoff.status == "open"]
    if view.language:
        conditions.append(Handoff.language == view.language)
    if view.channel:
        conditions.append(
            exists().where(
                Conversation.id == Handoff.conversation_id, Conversation.channel == CHANNELS[view.channel]
            )
        )
    return int(await session.scalar(select(func.count()).select_from(Handoff).where(*conditions)) or 0)


async def _mail(session: AsyncSession, view: View) -> dict[str, int]:
    if view.channel not in (None, "mail"):
        return {}
    start, end = view.bounds
    conditions = [
        InboundMail.received_at >= start,
        InboundMail.received_at < end,
        InboundMail.decision.is_not(None),
    ]
    if view.language:
        conditions.append(InboundMail.language == view.language)
    rows = await session.execute(
        select(InboundMail.decision, func.count()).where(*conditions).group_by(InboundMail.decision)
    )
    return {str(decision): int(n) for decision, n in rows.all()}


def _funnel(groups: list[tuple[str, Any, Any, int, int]]) -> list[FunnelStep]:
    steps = []
    for number, name in enumerate(STEP_NAMES, start=1):
        reached = solved = support = left = 0
        for _day, furthest, solved_at, handed, n in groups:
            if furthest is None or furthest < number:
                continue
            reached += n
            if furthest != number:
                continue
            if solved_at == number:
                solved += n
            elif handed:
                support += n
            else:
                left += n
        steps.append(FunnelStep(number, name, reached, solved, support, left))
    return steps


async def _satisfaction(session: AsyncSession, view: View) -> dict[str, list[tuple[str | None, int, int]]]:
    """Answers and yeses by topic, language, step and channel: one GROUP BY over the four
    (a few hundred combinations at most), added up per dimension."""
    start, end = view.bounds
    conditions = [Satisfaction.created_at >= start, Satisfaction.created_at < end]
    if view.language:
        conditions.append(Satisfaction.language == view.language)
    if view.channel:
        conditions.append(Satisfaction.channel == view.channel)
    columns = [getattr(Satisfaction, dimension) for dimension in SATISFACTION_DIMENSIONS]
    yes = func.sum(case((Satisfaction.answer == "yes", 1), else_=0))
    rows = (
        await session.execute(select(*columns, func.count(), yes).where(*conditions).group_by(*columns))
    ).all()
    result = {}
    for index, dimension in enumerate(SATISFACTION_DIMENSIONS):
        totals: dict[str | None, list[int]] = {}
        for row in rows:
            counts = totals.setdefault(row[index], [0, 0])
            counts[0] += int(row[-2])
            counts[1] += int(row[-1] or 0)
        result[dimension] = sorted(
            ((value, answers, yeses) for value, (answers, yeses) in totals.items()),
            key=lambda item: (-item[1], str(item[0])),
        )
    return result


async def dashboard_figures(sessions: sessionmaker, view: View) -> Figures:
    """Every figure of the dashboard for ``view``, in one read-only session."""
    async with sessions() as session:
        groups = await _conversation_groups(session, view)
        by_reason = await _handoffs_by_reason(session, view)
        median, replied = await _median_first_reply(session, view)
        return Figures(
            view=view,
            daily=_daily(view, groups),
            handoffs=sum(n for _r, n in by_reason),
            handoffs_by_reason=by_reason,
            median_first_reply_seconds=median,
            replied_handoffs=replied,
            open_handoffs=await _open_handoffs(session, view),
            mail_by_decision=await _mail(session, view),
            funnel=_funnel(groups),
            satisfaction=await _satisfaction(session, view),
        )
