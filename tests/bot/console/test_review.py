"""The console's "what to teach next" page: what it lists, the verdicts, the export."""

from __future__ import annotations

import argparse
import html
import re
from pathlib import Path

import yaml
from aiohttp.test_utils import TestClient

from bot.appkeys import ENGINE, SETTINGS, STORE
from bot.console.cli import _corrections
from bot.db.engine import session_factory
from bot.db.feedback_models import Satisfaction
from tests.bot.console.conftest import conversation_with, login


async def page_of(client: TestClient, query: str = "") -> str:
    async with client.get(f"/console/review{query}") as response:
        assert response.status == 200
        return html.unescape(await response.text())


def row_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="review-(\d+)">', page)]


async def message_ids(client: TestClient, conversation_id: str) -> dict[str, int]:
    return {m.text: m.id for m in await client.app[STORE].transcript(conversation_id)}


async def test_the_review_lists_what_the_assistant_was_unsure_of_grouped_by_its_guess(
    console_hub: TestClient,
) -> None:
    async with console_hub.get("/console/review", allow_redirects=False) as response:
        assert response.status == 302  # agents only
    unsure = await conversation_with(
        console_hub,
        ("person", "bla bla compta", "nlu_fallback", 0.4),
        ("person", "mdp?", "forgot_password", 0.52),
        ("person", "j'ai oublié mon mot de passe", "forgot_password", 0.97),  # sure: not listed
        ("assistant", "Voulez-vous le courriel?", None, None),
    )
    unhappy = await conversation_with(
        console_hub, ("person", "ça bloque encore sur la page blanche", "login_problem", 0.93)
    )
    async with session_factory(console_hub.app[ENGINE])() as session, session.begin():
        session.add(
            Satisfaction(
                conversation_id=unhappy, channel="widget", language="fr", resolved_by="assistant", answer="no"
            )
        )
    # A clicked button and a mail are not typed chat messages: never listed.
    store = console_hub.app[STORE]
    clicked = await store.create("fr", "widget")
    button = await store.add_message(clicked.id, "person", "Non", payload="/deny")
    await store.record_understanding(button.id, "deny", 0.3, "fr")
    by_mail = await store.create("fr", "email")
    mailed = await store.add_message(by_mail.id, "person", "Objet : facture", payload=None)
    await store.record_understanding(mailed.id, "out_of_scope", 0.2, "fr")

    await login(console_hub)
    page = await page_of(console_hub)
    ids = await message_ids(console_hub, unsure)
    unhappy_id = (await message_ids(console_hub, unhappy))["ça bloque encore sur la page blanche"]
    assert sorted(row_ids(page)) == sorted([ids["bla bla compta"], ids["mdp?"], unhappy_id])
    # Grouped by guessed intent, each with why it is listed.
    assert page.index("Intention devinée : forgot_password") < page.index("Intention devinée : login_problem")
    assert "Intention devinée : nlu_fallback" in page
    for reason in ("pas compris", "confiance faible", "« non » à la satisfaction"):
        assert reason in page
    assert "À revoir (3)" in page and "Revus (0)" in page
    assert "0 exemple(s) revu(s) sur 0 ne sont pas encore dans le modèle" in page
    assert "Comparé aux fichiers d'entraînement de data/nlu/" in page

    only = await page_of(console_hub, "?intent=forgot_password")
    assert row_ids(only) == [ids["mdp?"]]
    english = await page_of(console_hub, "?lang=en")
    assert "What to teach the assistant" in english and "To review (3)" in english


async def test_verdicts_feed_the_export_and_the_count_of_what_the_model_lacks(
    console_hub: TestClient, tmp_path: Path
) -> None:
    conversation = await conversation_with(
        console_hub,
        ("person", "mdp?", "forgot_password", 0.52),
        ("person", "chu pu capable d'entrer", "nlu_fallback", 0.4),
        ("person", "j'ai oublié mon mot de passe", "forgot_password", 0.55),  # in data/nlu already
        ("person", "asdfgh", "greet", 0.31),
    )
    ids = await message_ids(console_hub, conversation)
    token = await login(console_hub)

    async def verdict(message: str, choice: str, **extra: str) -> int:
        async with console_hub.post(
            f"/console/review/{ids[message]}",
            data={"csrf": token, "verdict": choice, "state": "todo", "page": "1", **extra},
            allow_redirects=False,
        ) as response:
            if response.status == 302:
                assert response.headers["Location"].startswith("/console/review?state=todo")
            return response.status

    assert await verdict("mdp?", "forgot_password") == 302  # the guess confirmed
    assert await verdict("chu pu capable d'entrer", "login_problem") == 302  # the right one picked
    assert await verdict("j'ai oublié mon mot de passe", "forgot_password") == 302
    assert await verdict("asdfgh", "-") == 302  # not an example
    assert await verdict("asdfgh", "no_such_intent") == 400
    async with console_hub.post(
        f"/console/review/{ids['mdp?']}", data={"csrf": "wrong", "verdict": "greet"}
    ) as response:
        assert response.status == 403

    todo = await page_of(console_hub)
    assert row_ids(todo) == [] and "Rien à revoir pour l'instant." in todo
    done = await page_of(console_hub, "?state=done")
    assert sorted(row_ids(done)) == sorted(ids.values())
    assert '→ <strong class="corrected">login_problem</strong>' in done and "écarté" in done
    # Three examples reviewed; the training files already have one of them.
    assert (
        "2 exemple(s) revu(s) sur 3 ne sont pas encore dans le modèle; 0 y sont sous une autre intention."
        in done
    )

    await _corrections(console_hub.app[SETTINGS], argparse.Namespace(out=tmp_path))
    french = yaml.safe_load((tmp_path / "corrections_fr.yml").read_text(encoding="utf-8"))
    assert french["nlu"] == [
        {"intent": "forgot_password", "examples": "- mdp?\n"},
        {"intent": "login_problem", "examples": "- chu pu capable d'entrer\n"},
    ]


async def test_a_message_outside_the_review_cannot_be_judged_there(console_hub: TestClient) -> None:
    conversation = await conversation_with(
        console_hub, ("person", "j'ai oublié mon code", "forgot_user_code", 0.98)
    )
    [message_id] = (await message_ids(console_hub, conversation)).values()
    token = await login(console_hub)
    for path in (
        f"/console/review/{message_id}",
        "/console/review/99999999",
        "/console/review/99999999999999999999",
    ):
        async with console_hub.post(path, data={"csrf": token, "verdict": "greet"}) as response:
            assert response.status == 404, path


async def test_the_review_is_paginated(console_hub: TestClient) -> None:
    lines = [("person", f"message incertain {n}", "inform", 0.3) for n in range(55)]
    await conversation_with(console_hub, *lines)
    await login(console_hub)
    first = await page_of(console_hub)
    assert len(row_ids(first)) == 50 and "Page 1 sur 2" in first and 'rel="next"' in first
    second = await page_of(console_hub, "?page=2")
    assert len(row_ids(second)) == 5 and not set(row_ids(first)) & set(row_ids(second))
    assert len(row_ids(await page_of(console_hub, "?page=junk"))) == 50
    assert len(row_ids(await page_of(console_hub, "?page=99"))) == 5
