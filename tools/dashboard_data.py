"""Realistic generated traffic for the dashboard: conversations, handoffs, mail, satisfaction.

Usage::

    engine = create_engine(settings)
    await upgrade_to_head(engine)
    counts = await generate(engine, Volume(conversations=100_000, handoffs=10_000), today=dt.date.today())

Both languages (about 70 % French) and every channel (widget, socket.io, email); people
who wrote nothing; the troubleshooting sequence solved at each step, given up, or handed
over after step 4; handoffs for every reason with agents' reply times; mail answered
automatically, made tickets, filed or set aside; "Did this help?" answers. Rows go in with
bulk INSERTs, the way the hub's stores would have left them (``steps_tried`` and the
funnel columns agree: ``bot.funnel``). Deterministic for a given ``seed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
from collections import Counter
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.feedback_models import Satisfaction
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation, Message
from bot.db.triage_models import InboundMail
from bot.funnel import STEP_NAMES, funnel_columns

__all__ = ["Volume", "generate"]

_TOPICS = ("login_problem", "forgot_password", "forgot_user_code", "reset_email_missing", "out_of_scope")
_OTHER_REASONS = ("requested_by_person", "out_of_scope", "not_understood", "accepted_offer")
_NAMES = ("julie.tremblay", "marc.gagnon", "bob.smith", "lucie.bergeron", "amy.chen", "paul.roy")
_DOMAINS = ("exemple.ca", "example.com", "videotron.ca", "gmail.com")
_CHUNK = 5000


@dataclasses.dataclass(frozen=True)
class Volume:
    conversations: int = 100_000
    handoffs: int = 10_000
    days: int = 90


def _when(rng: random.Random, today: dt.date, days: int) -> dt.datetime:
    """A moment in the last ``days`` days (today included), busier on weekdays and by day."""
    while True:
        day = today - dt.timedelta(days=rng.randrange(days))
        if day.weekday() < 5 or rng.random() < 0.45:
            break
    seconds = int(min(max(rng.gauss(14.5, 3.5), 0), 23.99) * 3600)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)


def _steps(rng: random.Random) -> tuple[list[str], str, int | None]:
    """A troubleshooting run: its steps_tried, how it ended (solved, left, exhausted) and
    the step left on screen (Rasa's troubleshooting_step slot) when the person left."""
    tried: list[str] = []
    start = rng.choice((1, 1, 1, 1, 2, 3))
    for number in range(start, len(STEP_NAMES) + 1):
        name = STEP_NAMES[number - 1]
        roll = rng.random()
        if roll < 0.38:
            return [*tried, f"{name}:solved"], "solved", None
        if roll < 0.52:
            # Shown, never answered.
            return tried, "left", number
        tried.append(f"{name}:failed")
    return tried, "exhausted", None


def _email(rng: random.Random) -> str:
    return f"{rng.choice(_NAMES)}{rng.randrange(100)}@{rng.choice(_DOMAINS)}"


async def generate(engine: AsyncEngine, volume: Volume, *, today: dt.date, seed: int = 17) -> Counter[str]:
    """Insert ``volume`` of traffic ending on ``today``; returns how many rows of each kind."""
    rng = random.Random(seed)
    async with engine.connect() as connection:
        first_mail_id = int(await connection.scalar(select(func.max(InboundMail.id))) or 0) + 1
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    satisfaction: list[dict[str, Any]] = []
    needs_handoff: list[tuple[int, str]] = []  # (conversation index, reason)
    may_hand_over: list[int] = []
    ended_solved: list[int] = []
    for n in range(volume.conversations):
        created = _when(rng, today, volume.days)
        language = "fr" if rng.random() < 0.7 else "en"
        channel = rng.choices(("widget", "socketio", "email"), weights=(70, 15, 15))[0]
        cid = hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:32]
        row: dict[str, Any] = {
            "id": cid,
            "resume_code": f"G{seed % 100:02d}{n:09d}",
            "language": language,
            "channel": channel,
            "status": "bot",
            "steps_tried": None,
            "furthest_step": None,
            "solved_step": None,
            "person_wrote": 0,
            "created_at": created,
            "updated_at": created + dt.timedelta(minutes=rng.randrange(1, 20)),
        }
        conversations.append(row)
        if channel != "email" and rng.random() < 0.08:
            continue  # opened the chat, wrote nothing
        topic = rng.choices(_TOPICS, weights=(45, 25, 12, 10, 8))[0]
        row["person_wrote"] = 1
        messages.append(
            {"conversation_id": cid, "ts": created, "author": "person", "text": "…", "intent": topic,
             "confidence": round(rng.uniform(0.3, 1.0), 3), "language": language}
        )  # fmt: skip
        messages.append(
            {"conversation_id": cid, "ts": created, "author": "assistant", "text": "…", "intent": None,
             "confidence": None, "language": None}
        )  # fmt: skip
        if channel == "email":
            decision = rng.choices(("auto_reply", "ticket", "filed", "quarantined"), weights=(55, 35, 7, 3))[
                0
            ]
            mails.append(
                {"id": first_mail_id + len(mails), "message_key": hashlib.sha256(f"mail:{seed}:{n}".encode()).hexdigest(),
                 "message_id": f"<{n}.{seed}@{rng.choice(_DOMAINS)}>", "source": "smtp", "status": "done",
                 "received_at": created, "processed_at": created, "attempts": 1, "next_attempt_at": created,
                 "size": 2000, "from_address": _email(rng), "answer_address": "", "subject": "…",
                 "in_reply_to": [], "references": [], "attachments": [], "text": "…", "language": language,
                 "intent": topic, "confidence": 0.8, "decision": decision, "reason": "known_problem",
                 "conversation_id": cid if decision in ("auto_reply", "ticket") else None}
            )  # fmt: skip
            if decision == "ticket":
                needs_handoff.append((n, "email"))
            elif decision == "auto_reply" and rng.random() < 0.25:
                satisfaction.append(
                    {"conversation_id": None, "inbound_mail_id": mails[-1]["id"], "channel": "mail", "language": language,
                     "topic": topic, "step": None, "resolved_by": "assistant",
                     "answer": "yes" if rng.random() < 0.7 else "no", "comment": None,
                     "created_at": created + dt.timedelta(hours=2)}
                )  # fmt: skip
            continue
        if topic == "login_problem" and rng.random() < 0.85:
            tried, end, shown = _steps(rng)
            row["steps_tried"] = tried or None
            row.update(funnel_columns(tried, shown))
            if end == "exhausted":
                needs_handoff.append((n, "troubleshooting_exhausted"))
                continue
            if end == "solved":
                ended_solved.append(n)
                continue
        may_hand_over.append(n)
    rng.shuffle(may_hand_over)
    extra = max(0, volume.handoffs - len(needs_handoff))
    needs_handoff += [(n, rng.choice(_OTHER_REASONS)) for n in may_hand_over[:extra]]
    now = dt.datetime.combine(today, dt.time(23, 59), tzinfo=dt.timezone.utc)
    for n, reason in needs_handoff[: volume.handoffs]:
        conversation = conversations[n]
        created = conversation["created_at"] + dt.timedelta(minutes=rng.randrange(1, 10))
        waited = dt.timedelta(seconds=int(rng.lognormvariate(5.5, 1.0)))
        answered = rng.random() < 0.85 and created + waited < now
        closed = answered and rng.random() < 0.9
        conversation["status"] = "bot" if closed else "agent"
        contact = _email(rng) if rng.random() < 0.5 else None
        handoffs.append(
            {"conversation_id": conversation["id"], "open_key": None if closed else conversation["id"],
             "status": "resolved" if closed else "open", "reason": reason,
             "priority": "high" if reason == "troubleshooting_exhausted" else "normal",
             "language": conversation["language"],
             "packet": {"browser": rng.choice(("chrome", "firefox", "edge", "safari")),
                        "steps_tried": conversation["steps_tried"] or [], "reset_email_sent": False,
                        "user_code": f"USER{rng.randrange(10_000):04d}X",
                        "email": _email(rng) if rng.random() < 0.3 else ""},
             "contact_email": contact, "agent_online_at_open": int(rng.random() < 0.6), "agent_id": None,
             "created_at": created, "claimed_at": created + waited / 2 if answered else None,
             "first_reply_at": created + waited if answered else None,
             "closed_at": created + waited * 3 if closed else None,
             "outcome": rng.choice(("solved", "solved", "not_solved", "answered_by_email")) if closed else None,
             "mail_queued": 0}
        )  # fmt: skip
        if closed and rng.random() < 0.3:
            ended_solved.append(n)
    for n in ended_solved:
        if rng.random() >= 0.35:
            continue
        conversation = conversations[n]
        solved = conversation["solved_step"]
        satisfaction.append(
            {"conversation_id": conversation["id"], "inbound_mail_id": None,
             "channel": "mail" if conversation["channel"] == "email" else conversation["channel"],
             "language": conversation["language"],
             "topic": "login_problem" if conversation["steps_tried"] else rng.choice(_TOPICS[1:]),
             "step": STEP_NAMES[solved - 1] if solved else None,
             "resolved_by": "assistant" if solved else "agent",
             "answer": "yes" if rng.random() < 0.78 else "no",
             "comment": None, "created_at": conversation["updated_at"]}
        )  # fmt: skip
    async with engine.begin() as connection:
        for table, rows in (
            (Conversation.__table__, conversations),
            (Message.__table__, messages),
            (InboundMail.__table__, mails),
            (Handoff.__table__, handoffs),
            (Satisfaction.__table__, satisfaction),
        ):
            for start in range(0, len(rows), _CHUNK):
                await connection.execute(insert(table), rows[start : start + _CHUNK])
    return Counter(
        conversations=len(conversations),
        messages=len(messages),
        inbound_mail=len(mails),
        handoffs=len(handoffs),
        satisfaction=len(satisfaction),
    )
