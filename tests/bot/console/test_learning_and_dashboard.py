"""Intent corrections become Rasa NLU data (the dashboard: test_dashboard.py)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml
from aiohttp.test_utils import TestClient

from bot.appkeys import SETTINGS
from bot.console.cli import _corrections
from bot.domain import load_domain
from tests.bot.console.conftest import handed_over, login
from tests.bot.console.test_console_security import first_person_message_id


async def test_corrections_export_as_nlu_yaml_one_file_per_language(
    console_hub: TestClient, tmp_path: Path
) -> None:
    handoff_id = await handed_over(console_hub, "j'ai perdu mon mot de passe: <b>aide</b>")
    message_id = await first_person_message_id(console_hub, handoff_id)
    token = await login(console_hub)
    async with console_hub.post(
        f"/console/c/{handoff_id}/messages/{message_id}/intent",
        data={"csrf": token, "intent": "forgot_password"},
        allow_redirects=False,
    ) as response:
        assert response.status == 302
    async with console_hub.get(f"/console/c/{handoff_id}") as response:
        assert '→ <strong class="corrected">forgot_password</strong>' in await response.text()
    async with console_hub.post(
        f"/console/c/{handoff_id}/messages/{message_id}/intent",
        data={"csrf": token, "intent": "no_such_intent"},
    ) as response:
        assert response.status == 400

    await _corrections(console_hub.app[SETTINGS], argparse.Namespace(out=tmp_path))
    french = yaml.safe_load((tmp_path / "corrections_fr.yml").read_text(encoding="utf-8"))
    assert french["version"] == "3.1"
    assert french["nlu"] == [
        {"intent": "forgot_password", "examples": "- j'ai perdu mon mot de passe: <b>aide</b>\n"}
    ]
    english = yaml.safe_load((tmp_path / "corrections_en.yml").read_text(encoding="utf-8"))
    assert english["nlu"] == []


async def test_an_agent_corrects_to_any_intent_of_the_domain(console_hub: TestClient) -> None:
    handoff_id = await handed_over(console_hub, "c'est vraiment frustrant")
    message_id = await first_person_message_id(console_hub, handoff_id)
    token = await login(console_hub)
    async with console_hub.get(f"/console/c/{handoff_id}") as response:
        page = await response.text()
    intents = load_domain().intents
    offered = re.findall(
        r'<option value="([a-z_]+)"', page.split('name="intent"', 1)[1].split("</select>", 1)[0]
    )
    assert offered == list(intents)  # the domain's list, in its order: no copy to fall behind
    assert "frustration" in offered and "ask_user_code" in offered
    async with console_hub.post(
        f"/console/c/{handoff_id}/messages/{message_id}/intent",
        data={"csrf": token, "intent": "frustration"},
        allow_redirects=False,
    ) as response:
        assert response.status == 302
