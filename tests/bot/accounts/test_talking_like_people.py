"""Issue 11 through the hub with the real assistant: everything given in one message, and a
mistyped address inside the form. The mail is really sent (or not) by a real SMTP server.
"""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.bot.accounts.conftest import BOB, JULIE, outbox_settled, texts
from tests.bot.conftest import hello, say
from tests.bot.smtp_server import SmtpRecorder, text_of

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("engineio_client_compat")]


async def test_fr_everything_in_one_message_needs_only_a_yes(
    smtp_hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with smtp_hub.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        offer = texts(
            await say(
                ws,
                "Bonjour, j'ai oublié mon mot de passe, mon code d'utilisateur est "
                f"{JULIE.user_code} et mon courriel {JULIE.email}",
            )
        )
        assert len(offer) == 1 and JULIE.user_code in offer[0] and "j***@example.com" in offer[0], offer
        assert JULIE.email not in offer[0]
        done = texts(await say(ws, "oui"))
    assert len(done) == 1 and "C'est fait" in done[0], done
    [mail] = await smtp.wait_for(1)
    assert str(mail["To"]) == JULIE.email
    assert "changer votre mot de passe" in text_of(mail)


async def test_en_user_code_reminder_with_the_address_in_the_same_message(
    smtp_hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with smtp_hub.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        done = texts(await say(ws, f"hi, I forgot my user code, my email is {BOB.email}"))
    assert len(done) == 1 and "Done." in done[0] and "b***@example.net" in done[0], done
    [mail] = await smtp.wait_for(1)
    assert str(mail["To"]) == BOB.email
    assert f"Your user code: {BOB.user_code}" in text_of(mail)


@pytest.mark.parametrize(
    ("language", "opening", "yes", "person", "typo", "invalid", "done"),
    [
        (
            "fr",
            "j'ai oublié mon mot de passe",
            "oui",
            JULIE,
            "julie.tremblay@example",
            "pas complète",
            "C'est fait",
        ),
        ("en", "I forgot my password", "yes", BOB, "bob.smith@example", "doesn't look complete", "Done."),
    ],
)
async def test_a_mistyped_address_is_asked_again_once_and_the_form_goes_on(
    smtp_hub: TestClient,
    smtp: SmtpRecorder,
    language: str,
    opening: str,
    yes: str,
    person: object,
    typo: str,
    invalid: str,
    done: str,
) -> None:
    user_code, email = person.user_code, person.email  # type: ignore[attr-defined]
    async with smtp_hub.ws_connect("/ws") as ws:
        await hello(ws, language=language)
        texts(await say(ws, opening))
        texts(await say(ws, yes))
        texts(await say(ws, user_code))
        retry = texts(await say(ws, typo))
        # What is wrong with the address, and the question again: not a bad user code,
        # no offer of support, no "I did not understand".
        assert len(retry) == 2 and invalid in retry[0], retry
        assert ("courriel" in retry[1] or "email" in retry[1]) and "?" in retry[1], retry
        answer = texts(await say(ws, email))
    assert len(answer) == 1 and done in answer[0], answer
    [mail] = await smtp.wait_for(1)
    assert str(mail["To"]) == email
    assert await outbox_settled(smtp_hub) == {"sent": 1}
