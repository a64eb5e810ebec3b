"""The CSV exports: the range's rows, masked as docs/SECURITY.md asks, named after the range."""

from __future__ import annotations

import csv
import datetime as dt
import io

from aiohttp.test_utils import TestClient

from bot.appkeys import CLOCK, HANDOFFS, STORE
from bot.console.export import CONVERSATION_COLUMNS, HANDOFF_COLUMNS, conversation_ref
from tests.bot.console.conftest import conversation_with, login, open_handoff


async def _csv(client: TestClient, path: str) -> tuple[str, list[dict[str, str]], str]:
    async with client.get(path) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/csv")
        body = (await response.read()).decode("utf-8-sig")
        disposition = response.headers["Content-Disposition"]
    return disposition, list(csv.DictReader(io.StringIO(body))), body


async def test_the_exports_hold_the_ranges_rows_masked(console_hub: TestClient) -> None:
    store = console_hub.app[STORE]
    today = console_hub.app[CLOCK]().date()
    chat = await conversation_with(
        console_hub, ("person", "je n'arrive plus à me brancher", "login_problem", 0.9)
    )
    await store.record_steps(chat, ["main_site:failed", "browsers:solved"])
    handed = await conversation_with(
        console_hub, ("person", '=HYPERLINK("http://evil") julie.tremblay@example.com', "request_human", 0.9)
    )
    status, body = await open_handoff(
        console_hub,
        handed,
        email="julie.tremblay@example.com",
        user_code="JTREMBLAY01",
        browser="firefox",
        steps_tried=["main_site:failed"],
    )
    assert status == 200, body
    await console_hub.app[HANDOFFS].store.set_contact(int(body["handoff_id"]), "marc.gagnon@videotron.ca")
    await store.create("en", "widget")  # nothing written: not exported
    await login(console_hub)

    day = today.isoformat()
    disposition, rows, raw = await _csv(console_hub, f"/console/export/conversations.csv?from={day}&to={day}")
    assert disposition == f'attachment; filename="gem-books-conversations_{day}_{day}.csv"'
    assert list(rows[0]) == list(CONVERSATION_COLUMNS)
    by_ref = {row["conversation_ref"]: row for row in rows}
    assert set(by_ref) == {conversation_ref(chat), conversation_ref(handed)}
    assert by_ref[conversation_ref(chat)]["steps_tried"] == "main_site:failed;browsers:solved"
    assert by_ref[conversation_ref(chat)]["solved_step"] == "2"
    assert by_ref[conversation_ref(handed)]["handoffs"] == "1"
    assert chat not in raw and handed not in raw  # ids let people back into a chat

    disposition, rows, raw = await _csv(console_hub, f"/console/export/handoffs.csv?from={day}&language=fr")
    assert disposition == f'attachment; filename="gem-books-handoffs_{day}_{day}.csv"'
    assert list(rows[0]) == list(HANDOFF_COLUMNS)
    (row,) = rows
    assert row["conversation_ref"] == conversation_ref(handed)
    assert row["user_code"] == "JT***"
    assert row["email"] == "j***@example.com"
    assert row["contact_email"] == "m***@videotron.ca"
    assert row["browser"] == "firefox" and row["reason"] == "requested_by_person"
    for secret in ("JTREMBLAY01", "julie.tremblay", "marc.gagnon", handed):
        assert secret not in raw

    # Another range, another language: nothing but the header.
    earlier = (today - dt.timedelta(days=40)).isoformat()
    _, rows, raw = await _csv(console_hub, f"/console/export/handoffs.csv?from={earlier}&to={earlier}")
    assert rows == [] and raw.startswith("handoff_id,")
    _, rows, _ = await _csv(console_hub, "/console/export/conversations.csv?range=30d&language=en")
    assert rows == []


async def test_a_bad_export_range_is_a_400_page(console_hub: TestClient) -> None:
    await login(console_hub)
    async with console_hub.get("/console/export/handoffs.csv?from=2026-02-30&lang=en") as response:
        assert response.status == 400
        assert "is not a valid date" in await response.text()
