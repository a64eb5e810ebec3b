"""The console's security promises (docs/SECURITY.md, Agent console), one test each."""

from __future__ import annotations

import html

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import AGENTS, HANDOFFS, STORE
from bot.console.auth import SESSION_COOKIE
from tests.bot.accounts.conftest import MovableClock
from tests.bot.console.conftest import ANA, BEN, HOSTILE, csrf_in, handed_over, login

PAGES = ("/console", "/console/dashboard", "/console/c/{id}")
ACTIONS = (
    ("/console/c/{id}/claim", {}),
    ("/console/c/{id}/reply", {"text": "Bonjour"}),
    ("/console/c/{id}/note", {"text": "note"}),
    ("/console/c/{id}/resolve", {"outcome": "solved"}),
    ("/console/c/{id}/hand-back", {}),
    ("/console/c/{id}/messages/{message}/intent", {"intent": "forgot_password"}),
    ("/console/logout", {}),
)


async def first_person_message_id(client: TestClient, handoff_id: int) -> int:
    handoff = await client.app[HANDOFFS].store.get(handoff_id)
    assert handoff is not None
    transcript = await client.app[STORE].transcript(handoff.conversation_id)
    return next(m.id for m in transcript if m.author == "person")


async def test_without_a_session_pages_redirect_to_login_and_actions_are_refused(
    console_hub: TestClient,
) -> None:
    handoff_id = await handed_over(console_hub)
    message_id = await first_person_message_id(console_hub, handoff_id)
    for page in PAGES:
        async with console_hub.get(page.format(id=handoff_id), allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/console/login", page
    for path, form in ACTIONS:
        url = path.format(id=handoff_id, message=message_id)
        async with console_hub.post(url, data={**form, "csrf": "x" * 40}, allow_redirects=False) as response:
            assert response.status == 401, url
    async with console_hub.get("/console/ws") as response:
        assert response.status == 401
    handoff = await console_hub.app[HANDOFFS].store.get(handoff_id)
    assert handoff is not None and handoff.agent_id is None and handoff.status == "open"


async def test_every_post_needs_the_sessions_csrf_token(console_hub: TestClient) -> None:
    handoff_id = await handed_over(console_hub)
    message_id = await first_person_message_id(console_hub, handoff_id)
    good = await login(console_hub)
    # Claimed first (with the token), so that every later action would otherwise succeed.
    async with console_hub.post(
        f"/console/c/{handoff_id}/claim", data={"csrf": good}, allow_redirects=False
    ) as r:
        assert r.status == 302
    for path, form in ACTIONS:
        url = path.format(id=handoff_id, message=message_id)
        for token in (None, "", "forged-" + good[7:]):
            data = dict(form) if token is None else {**form, "csrf": token}
            async with console_hub.post(url, data=data, allow_redirects=False) as response:
                assert response.status == 403, (url, token)
        # The right token from another origin is refused too.
        async with console_hub.post(
            url,
            data={**form, "csrf": good},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as response:
            assert response.status == 403, url
    handoff = await console_hub.app[HANDOFFS].store.get(handoff_id)
    assert handoff is not None and handoff.status == "open" and handoff.first_reply_at is None
    assert await console_hub.app[HANDOFFS].store.notes(handoff_id) == []
    assert await console_hub.app[HANDOFFS].store.corrections() == []
    async with console_hub.get("/console") as response:
        assert response.status == 200  # still signed in: logout was refused too


async def test_login_needs_its_csrf_token(console_hub: TestClient) -> None:
    async with console_hub.post(
        "/console/login", data={"email": ANA[0], "password": ANA[2]}, allow_redirects=False
    ) as response:
        assert response.status == 403
    assert SESSION_COOKIE not in {c.key for c in console_hub.session.cookie_jar}


async def test_nothing_changes_on_get(console_hub: TestClient) -> None:
    handoff_id = await handed_over(console_hub)
    message_id = await first_person_message_id(console_hub, handoff_id)
    await login(console_hub)
    before = await console_hub.app[HANDOFFS].store.get(handoff_id)
    for path, _form in ACTIONS:
        async with console_hub.get(
            path.format(id=handoff_id, message=message_id), allow_redirects=False
        ) as r:
            assert r.status == 405, path
    for page in PAGES:
        async with console_hub.get(page.format(id=handoff_id)) as response:
            assert response.status == 200
    after = await console_hub.app[HANDOFFS].store.get(handoff_id)
    assert after is not None and before is not None
    assert (after.agent_id, after.status, after.claimed_at, after.first_reply_at) == (
        before.agent_id, before.status, before.claimed_at, before.first_reply_at,
    )  # fmt: skip


async def test_a_new_session_id_at_login_and_the_old_one_is_worthless(console_hub: TestClient) -> None:
    await login(console_hub)
    first = console_hub.session.cookie_jar.filter_cookies(console_hub.make_url("/console"))[
        SESSION_COOKIE
    ].value
    cookie = next(c for c in console_hub.session.cookie_jar if c.key == SESSION_COOKIE)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/console"
    await login(console_hub, BEN)
    second = console_hub.session.cookie_jar.filter_cookies(console_hub.make_url("/console"))[
        SESSION_COOKIE
    ].value
    assert second != first
    assert await console_hub.app[AGENTS].session(first) is None
    assert (await console_hub.app[AGENTS].session(second)) is not None


async def test_wrong_password_signs_nobody_in(console_hub: TestClient) -> None:
    async with console_hub.get("/console/login") as response:
        token = csrf_in(await response.text())
    async with console_hub.post(
        "/console/login", data={"csrf": token, "email": ANA[0], "password": "not-the-password"}
    ) as response:
        assert response.status == 401
        assert "incorrect" in await response.text()
    async with console_hub.get("/console", allow_redirects=False) as response:
        assert response.status == 302


async def test_an_idle_session_ends(console_hub: TestClient, clock: MovableClock) -> None:
    await login(console_hub)
    clock.advance(minutes=29)
    async with console_hub.get("/console", allow_redirects=False) as response:
        assert response.status == 200  # activity resets the idle timer
    clock.advance(minutes=31)
    async with console_hub.get("/console", allow_redirects=False) as response:
        assert response.status == 302


async def test_logout_ends_the_session(console_hub: TestClient) -> None:
    token = await login(console_hub)
    async with console_hub.post("/console/logout", data={"csrf": token}, allow_redirects=False) as response:
        assert response.status == 302
    async with console_hub.get("/console", allow_redirects=False) as response:
        assert response.status == 302


async def test_an_agent_sees_only_the_queue_and_what_they_claimed(console_hub: TestClient) -> None:
    mine = await handed_over(console_hub, "premier")
    other = await handed_over(console_hub, "deuxième")
    ana = await login(console_hub, ANA)
    async with console_hub.post(f"/console/c/{mine}/claim", data={"csrf": ana}, allow_redirects=False) as r:
        assert r.status == 302
    # Ben: the unclaimed one is in his queue; Ana's is not, and is "not found" everywhere.
    ben = await login(console_hub, BEN)
    async with console_hub.get("/console") as response:
        page = await response.text()
    assert f"/console/c/{other}" in page and f"/console/c/{mine}" not in page
    async with console_hub.get(f"/console/c/{mine}") as response:
        assert response.status == 404
    message_id = await first_person_message_id(console_hub, mine)
    for path, form in ACTIONS[:-1]:
        url = path.format(id=mine, message=message_id)
        async with console_hub.post(url, data={**form, "csrf": ben}, allow_redirects=False) as response:
            assert response.status == 404, url
    handoff = await console_hub.app[HANDOFFS].store.get(mine)
    assert handoff is not None and handoff.status == "open" and handoff.first_reply_at is None
    # Unclaimed: Ben may look but not answer before claiming.
    async with console_hub.post(f"/console/c/{other}/reply", data={"csrf": ben, "text": "x"}) as response:
        assert response.status == 409
    # Identifiers: masked for Ben (not assigned), full for Ana (assigned).
    async with console_hub.get(f"/console/c/{other}") as response:
        text = await response.text()
    assert "JT***" in text and "JTREMBLAY01" not in text
    await login(console_hub, ANA)
    async with console_hub.get(f"/console/c/{mine}") as response:
        assert "JTREMBLAY01" in await response.text()


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_hostile_text_shows_as_text_on_every_page(console_hub: TestClient, hostile: str) -> None:
    handoff_id = await handed_over(console_hub, hostile, browser=hostile[:100])
    token = await login(console_hub)
    async with console_hub.post(
        f"/console/c/{handoff_id}/claim", data={"csrf": token}, allow_redirects=False
    ):
        pass
    async with console_hub.post(f"/console/c/{handoff_id}/note", data={"csrf": token, "text": hostile}):
        pass
    async with console_hub.post(f"/console/c/{handoff_id}/reply", data={"csrf": token, "text": hostile}):
        pass
    for page in ("/console", "/console/dashboard", f"/console/c/{handoff_id}", "/console/login"):
        async with console_hub.get(page) as response:
            body = await response.text()
            assert response.status == 200, page
            assert "<script>alert" not in body and "<img src=x" not in body, page
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "object-src 'none'" in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with console_hub.get(f"/console/c/{handoff_id}") as response:
        body = await response.text()
    assert body.count(html.escape(hostile)) >= 4  # message, reply, note, browser in the packet
