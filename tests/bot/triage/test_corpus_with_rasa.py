"""Every mail of the test corpus's dev split through the real Rasa model: the language,
topic and decision (answer, ticket or filed) the corpus expects."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.triage.answers import ANSWERABLE
from bot.triage.parse import parse_mail
from bot.triage.service import Triage
from bot.triage.store import TriageStore

pytestmark = [pytest.mark.asyncio]

CORPUS = Path(__file__).absolute().parents[2] / "data" / "mail"
ENTRIES = yaml.safe_load((CORPUS / "corpus.yml").read_text(encoding="utf-8"))["mails"]
# The held-out split is scored by tools/evaluate_mail.py (make evaluate), never tuned on here.
PEOPLE = [entry for entry in ENTRIES if not entry["expect"]["malformed"] and entry["split"] == "dev"]


async def test_the_model_reads_every_corpus_mail_as_the_corpus_says(
    settings: Settings, rasa_stack: Any
) -> None:
    engine = create_engine(settings)
    await upgrade_to_head(engine)
    wrong = []
    try:
        async with aiohttp.ClientSession() as http:
            rasa = RasaClient(http, _with(settings, rasa_stack))
            triage = Triage(TriageStore(session_factory(engine)), rasa, settings)
            for entry in PEOPLE:
                expect = entry["expect"]
                parsed = parse_mail(
                    (CORPUS / entry["file"]).read_bytes(), max_bytes=settings.triage_max_bytes
                )
                analysis = await triage.analyse(parsed)
                got = {"automatic": analysis.automatic, "decision": analysis.decision.action}
                if expect["language"]:
                    got["language"] = analysis.language
                if expect["topic"] and not expect["automatic"]:
                    got["topic"] = analysis.intent
                wanted = {key: expect[key] for key in got}
                if got != wanted:
                    wrong.append(
                        f"{entry['file']}: got {got}, corpus says {wanted} ({analysis.confidence:.2f})"
                    )
                if analysis.decision.action == "auto_reply":
                    assert analysis.intent in ANSWERABLE and analysis.answer is not None, entry["file"]
    finally:
        await engine.dispose()
    assert not wrong, "\n".join(wrong)


def _with(settings: Settings, stack: Any) -> Settings:
    return dataclasses.replace(
        settings, rasa_url=stack.rasa_url, rasa_token=stack.token, rasa_timeout_seconds=60.0
    )
