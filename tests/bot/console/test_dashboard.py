"""The dashboard's figures are right: SQL aggregates against a plain Python count of the
same generated rows, for several ranges and filters; bad ranges get a clear 400."""

from __future__ import annotations

import datetime as dt
import html
import statistics
from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.appkeys import CLOCK, ENGINE, STORE
from bot.console.dashboard_queries import CHANNELS, Figures, View, dashboard_figures
from bot.db.engine import session_factory
from bot.db.feedback_models import Satisfaction
from bot.db.handoff_models import Handoff
from bot.db.models import Conversation, Message
from bot.db.triage_models import InboundMail
from bot.funnel import STEP_NAMES, funnel_position
from tests.bot.console.conftest import conversation_with, handed_over, login
from tools.dashboard_data import Volume, generate

SMALL = Volume(conversations=1500, handoffs=150, days=45)


async def _rows(engine: AsyncEngine, *columns: Any) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(select(*columns))).all())


async def expected(engine: AsyncEngine, view: View) -> dict[str, Any]:
    """The figures computed the obvious way: every row loaded, counted in Python."""
    start, end = view.bounds
    channel = CHANNELS.get(view.channel or "")
    wrote = {
        cid
        for cid, author in await _rows(engine, Message.conversation_id, Message.author)
        if author == "person"
    }
    handoffs = await _rows(
        engine,
        Handoff.conversation_id,
        Handoff.created_at,
        Handoff.first_reply_at,
        Handoff.reason,
        Handoff.language,
    )
    handed = {row[0] for row in handoffs}
    channels: dict[str, str] = {}
    kept = []
    for cid, created, language, conv_channel, steps, furthest, solved in await _rows(
        engine, Conversation.id, Conversation.created_at, Conversation.language, Conversation.channel,
        Conversation.steps_tried, Conversation.furthest_step, Conversation.solved_step,
    ):  # fmt: skip
        channels[cid] = conv_channel
        # The funnel columns agree with steps_tried (a step on screen may go further).
        from_steps = funnel_position(steps or [])
        assert from_steps[1] == solved and (from_steps[0] or 0) <= (furthest or 0), cid
        if not (start <= created < end and cid in wrote):
            continue
        if (view.language and language != view.language) or (channel and conv_channel != channel):
            continue
        kept.append({"day": created.date(), "handed": cid in handed, "steps": (furthest, solved)})
    daily = Counter(row["day"] for row in kept)
    deflected = Counter(row["day"] for row in kept if not row["handed"])
    funnel = []
    for number in range(1, len(STEP_NAMES) + 1):
        at = [r for r in kept if r["steps"][0] is not None and r["steps"][0] >= number]
        here = [r for r in at if r["steps"][0] == number]
        solved = [r for r in here if r["steps"][1] == number]
        support = [r for r in here if r["steps"][1] != number and r["handed"]]
        funnel.append((len(at), len(solved), len(support), len(here) - len(solved) - len(support)))
    in_range = [
        h for h in handoffs
        if start <= h[1] < end and (not view.language or h[4] == view.language)
        and (not channel or channels[h[0]] == channel)
    ]  # fmt: skip
    waits = [(h[2] - h[1]).total_seconds() for h in in_range if h[2] is not None]
    mail = Counter(
        decision
        for received, language, decision in await _rows(
            engine, InboundMail.received_at, InboundMail.language, InboundMail.decision
        )
        if start <= received < end and (not view.language or language == view.language)
        and view.channel in (None, "mail") and decision
    )  # fmt: skip
    satisfaction: dict[str, Counter[Any]] = {d: Counter() for d in ("topic", "language", "step", "channel")}
    yes: dict[str, Counter[Any]] = {d: Counter() for d in satisfaction}
    for row in await _rows(engine, Satisfaction.__table__):
        answer = row._mapping
        if not start <= answer["created_at"] < end:
            continue
        if (view.language and answer["language"] != view.language) or (
            view.channel and answer["channel"] != view.channel
        ):
            continue
        for dimension in satisfaction:
            satisfaction[dimension][answer[dimension]] += 1
            yes[dimension][answer[dimension]] += answer["answer"] == "yes"
    return {
        "daily": [(day, daily[day], deflected[day]) for day in view.days],
        "reasons": Counter(h[3] for h in in_range),
        "median": statistics.median(waits) if waits else None,
        "mail": dict(mail),
        "funnel": funnel,
        "satisfaction": {
            d: {value: (n, yes[d][value]) for value, n in counts.items()}
            for d, counts in satisfaction.items()
        },
    }


def _as_compared(figures: Figures) -> dict[str, Any]:
    return {
        "daily": figures.daily,
        "reasons": Counter(dict(figures.handoffs_by_reason)),
        "median": figures.median_first_reply_seconds,
        "mail": figures.mail_by_decision,
        "funnel": [(s.reached, s.solved, s.support, s.left) for s in figures.funnel],
        "satisfaction": {
            d: {value: (n, y) for value, n, y in rows} for d, rows in figures.satisfaction.items()
        },
    }


async def test_the_figures_match_a_plain_count_of_generated_traffic(console_hub: TestClient) -> None:
    engine = console_hub.app[ENGINE]
    today = console_hub.app[CLOCK]().date()
    counts = await generate(engine, SMALL, today=today)
    assert counts["conversations"] == 1500 and counts["handoffs"] == 150
    day = dt.timedelta(days=1)
    views = [
        View(today, today),
        View(today - 6 * day, today),
        View(today - 29 * day, today),
        View(today - 44 * day, today, language="fr"),
        View(today - 44 * day, today, language="en", channel="widget"),
        View(today - 44 * day, today, channel="mail"),
        View(today - 44 * day, today, channel="socketio"),
        View(today - 20 * day, today - 10 * day, language="fr", channel="mail"),
        View(today + day, today + 5 * day),  # nothing yet
        View(today - 400 * day, today - 300 * day),  # before any traffic
    ]
    sessions = session_factory(engine)
    some = 0
    for view in views:
        figures = await dashboard_figures(sessions, view)
        want = await expected(engine, view)
        got = _as_compared(figures)
        assert got["median"] == pytest.approx(want.pop("median"), abs=0.01), view
        got.pop("median")
        assert got == want, view
        some += figures.conversations
    assert some > 1000  # the views above did see traffic (not only empty ranges)
    empty = await dashboard_figures(sessions, views[-1])
    assert empty.conversations == 0 and empty.deflection is None and empty.median_first_reply_seconds is None
    assert [s.reached for s in empty.funnel] == [0, 0, 0, 0]


async def test_the_stores_keep_the_funnel_columns_and_the_page_shows_them(console_hub: TestClient) -> None:
    store = console_hub.app[STORE]
    solo = await conversation_with(
        console_hub, ("person", "je n'arrive plus à me brancher", "login_problem", 0.9)
    )
    await store.record_steps(solo, ["main_site:failed", "browsers:solved"])
    await conversation_with(console_hub, ("person", "merci", "thank", 0.9))
    await store.create("fr", "widget")  # opened, nothing written: not a conversation
    handoff_id = await handed_over(console_hub, steps_tried=["main_site:failed", "browsers:failed"])
    token = await login(console_hub)
    async with console_hub.post(f"/console/c/{handoff_id}/claim", data={"csrf": token}):
        pass
    async with console_hub.post(f"/console/c/{handoff_id}/reply", data={"csrf": token, "text": "Bonjour"}):
        pass
    async with console_hub.get("/console/dashboard?range=today") as response:
        assert response.status == 200
        page = await response.text()
    assert '<dd id="n-conversations">3</dd>' in page
    assert "67 % <small>(2)</small>" in page  # two of three solved without a person
    assert '<th scope="row">demandé par la personne</th><td>1</td>' in page
    # Funnel: two reached steps 1 and 2; one solved at 2; the handed-over one reached 3.
    assert '<th scope="row">1. Bouton CONNEXION</th><td>2</td><td>0</td><td>0</td><td>0</td>' in page
    assert '<th scope="row">2. Chrome ou Firefox</th><td>2</td><td>1</td><td>0</td><td>0</td>' in page
    assert '<th scope="row">3. Vider les données</th><td>1</td><td>0</td><td>1</td><td>0</td>' in page
    assert page.count('role="img"') == 3
    assert 'id="n-first-reply">-' not in page
    async with console_hub.get("/console/dashboard?range=today&lang=en&language=en") as response:
        english = await response.text()
    assert '<dd id="n-conversations">0</dd>' in english
    assert "Nothing in this period." in english


@pytest.mark.parametrize(
    ("query", "french", "english"),
    [
        (
            "from=2026-13-01&to=2026-12-01",
            "« 2026-13-01 » n'est pas une date valide",
            '"2026-13-01" is not a valid date',
        ),
        ("from=demain", "« demain » n'est pas une date valide", '"demain" is not a valid date'),
        (
            "from=2026-11-30&to=2026-11-01",
            "La date de début (2026-11-30) est après",
            "The start date (2026-11-30) is after",
        ),
        ("from=2020-01-01&to=2026-01-01", "au plus 366 jours", "at most 366 days"),
        ("to=2026-11-01", "Indiquez la date de début", "Give the period's start date"),
        ("range=365d", "Choix inconnu : « 365d »", 'Unknown choice: "365d"'),
        ("range=7d&language=de", "Choix inconnu : « de »", 'Unknown choice: "de"'),
        ("range=7d&channel=fax", "Choix inconnu : « fax »", 'Unknown choice: "fax"'),
        ("from=9999-12-31&to=9999-12-31", "n'est pas une date valide", "is not a valid date"),
        ("from=0001-01-01", "n'est pas une date valide", "is not a valid date"),
    ],
)
async def test_a_bad_range_is_a_clear_400_in_the_agents_language(
    console_hub: TestClient, query: str, french: str, english: str
) -> None:
    await login(console_hub)
    for lang, sentence in (("fr", french), ("en", english)):
        async with console_hub.get(f"/console/dashboard?{query}&lang={lang}") as response:
            page = await response.text()
            assert response.status == 400, page
        assert 'role="alert"' in page
        assert sentence in html.unescape(page)
        assert 'name="from"' in page  # the form is there to try again


async def test_the_dashboard_and_its_exports_need_a_signed_in_agent(console_hub: TestClient) -> None:
    for path in (
        "/console/dashboard",
        "/console/dashboard?range=30d",
        "/console/export/conversations.csv?range=7d",
        "/console/export/handoffs.csv?range=7d",
    ):
        async with console_hub.get(path, allow_redirects=False) as response:
            assert response.status == 302, path
            assert response.headers["Location"].startswith("/console/login")


async def test_the_language_switch_and_range_links_keep_the_filters(console_hub: TestClient) -> None:
    await login(console_hub)
    async with console_hub.get("/console/dashboard?range=30d&language=en&channel=mail") as response:
        page = html.unescape(await response.text())
    assert 'href="/console/dashboard?range=30d&language=en&channel=mail&lang=en"' in page  # FR | EN
    assert 'href="/console/dashboard?language=en&channel=mail&range=today"' in page
    assert '<option value="mail" selected>' in page


def test_the_queries_are_plain_postgresql_too() -> None:
    from sqlalchemy.dialects import postgresql

    from bot.console.dashboard_queries import seconds_between, utc_day

    day = dt.date(2026, 11, 30)
    statement = select(
        utc_day(Conversation.created_at), seconds_between(Handoff.created_at, Handoff.first_reply_at)
    )
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "to_char((conversations.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')" in sql
    assert "EXTRACT(EPOCH FROM (handoffs.first_reply_at - handoffs.created_at))" in sql
    assert "substr" not in sql and "julianday" not in sql
    assert View(day, day).bounds[1] - View(day, day).bounds[0] == dt.timedelta(days=1)
