"""The queue page under a flood of tickets: pages of 50 with previous/next in the agent's
language, and the same few SQL queries per page however many rows it shows (issue 14,
finding 8: the page loaded one transcript per row)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import event

from bot.appkeys import ENGINE, HANDOFFS, STORE
from bot.console.pages import QUEUE_PAGE_SIZE
from bot.handoff.packet import Packet
from tests.bot.console.conftest import BEN, console_hub, login

__all__ = ["console_hub"]

pytestmark = pytest.mark.asyncio


async def queue_tickets(client: TestClient, count: int, *, start: int = 0) -> None:
    """``count`` open handoffs, each in a conversation where the person wrote twice."""
    store, handoffs = client.app[STORE], client.app[HANDOFFS]
    for number in range(start, start + count):
        conversation = await store.create("fr", "widget")
        for text, intent in (("bonjour", "greet"), (f"problème {number}", "login_problem")):
            message = await store.add_message(conversation.id, "person", text)
            await store.record_understanding(message.id, intent, 0.9, "fr")
        await handoffs.store.open(Packet(conversation.id, "requested_by_person", "fr"), agent_online=False)


@contextmanager
def counting_queries(client: TestClient) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The outbox and triage workers poll the same engine meanwhile: not the page's.
        if not any(table in statement for table in ("FROM outbox", "FROM inbound_mail", "UPDATE outbox")):
            statements.append(statement)

    engine = client.app[ENGINE].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def queue_page(client: TestClient, query: str = "") -> tuple[str, list[str]]:
    with counting_queries(client) as statements:
        async with client.get(f"/console{query}") as response:
            assert response.status == 200
            html = await response.text()
    return html, list(statements)


def handoff_links(html: str) -> list[str]:
    return re.findall(r'href="/console/c/(\d+)"', html)


async def test_a_page_makes_the_same_few_queries_whether_it_shows_3_rows_or_50(
    console_hub: TestClient,
) -> None:
    await login(console_hub)
    await queue_tickets(console_hub, 3)
    small, few = await queue_page(console_hub)
    assert len(handoff_links(small)) == 3
    await queue_tickets(console_hub, 297, start=3)
    full, many = await queue_page(console_hub)
    assert len(handoff_links(full)) == QUEUE_PAGE_SIZE == 50
    last, on_last = await queue_page(console_hub, "?page=6")
    assert len(handoff_links(last)) == 50
    assert len(many) == len(few) == len(on_last) <= 6, many
    # The topic (the person's latest intent) still shows, from the same query as the row.
    assert "login_problem" in full and "greet" not in full


async def test_previous_and_next_pages_in_french_and_english(console_hub: TestClient) -> None:
    await login(console_hub)
    await queue_tickets(console_hub, 120)
    first, _ = await queue_page(console_hub)
    assert "Page 1 sur 3 (120 conversations)" in first and "Page suivante" in first
    assert "Page précédente" not in first
    second, _ = await queue_page(console_hub, "?page=2&lang=en")
    assert "Page 2 of 3 (120 conversations)" in second
    assert 'rel="prev" href="/console?page=1"' in second and 'rel="next" href="/console?page=3"' in second
    third, _ = await queue_page(console_hub, "?page=3")
    assert len(handoff_links(third)) == 20 and "Next page" not in third and "Previous page" in third
    # No row twice, none left out, across the pages.
    seen = handoff_links(first) + handoff_links(second) + handoff_links(third)
    assert len(seen) == len(set(seen)) == 120


@pytest.mark.parametrize("page", ["0", "-1", "abc", "²", "99999999999999999999", "1e3"])
async def test_junk_page_numbers_show_the_first_page(console_hub: TestClient, page: str) -> None:
    await login(console_hub)
    await queue_tickets(console_hub, 2)
    html, _ = await queue_page(console_hub, f"?page={page}")
    assert len(handoff_links(html)) == 2


async def test_past_the_last_page_goes_to_the_last_page(console_hub: TestClient) -> None:
    await login(console_hub)
    await queue_tickets(console_hub, 60)
    async with console_hub.get("/console?page=9", allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"].endswith("page=2")


async def test_a_page_counts_only_what_the_agent_may_see(console_hub: TestClient) -> None:
    await queue_tickets(console_hub, 70)
    handoffs = console_hub.app[HANDOFFS]
    rows, total = await handoffs.store.queue_page(1, offset=0, limit=50)
    for row in rows[:10]:  # Ben takes ten: Ana no longer sees them
        assert await handoffs.store.claim(row.handoff.id, 2)
    await login(console_hub)
    html, _ = await queue_page(console_hub)
    assert "(60 conversations)" in html
    await login(console_hub, BEN)
    html, _ = await queue_page(console_hub)
    assert "(70 conversations)" in html
