"""The hub's services are built in one place, each given its collaborators; none is missing."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.relay import ChatRelay
from bot.db.conversations import ConversationStore
from bot.db.engine import session_factory
from bot.handoff.live import LiveChannels
from bot.handoff.service import Handoffs
from bot.handoff.store import HandoffStore
from bot.mail.outbox import Outbox
from bot.rasa_client import RasaClient
from bot.required import MissingDependency
from bot.services import build_services
from bot.settings import Settings
from bot.triage.service import Triage
from bot.triage.store import TriageStore
from tests.bot.accounts.conftest import MovableClock

pytestmark = pytest.mark.asyncio


async def test_the_relay_cannot_be_built_without_the_way_to_agents(
    engine: AsyncEngine, settings: Settings
) -> None:
    # Without it, a person's message during a handoff would silently go to the assistant.
    store = ConversationStore(session_factory(engine), settings)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(MissingDependency, match="to_agents"):
            ChatRelay(store, RasaClient(http, settings), to_agents=None)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ChatRelay(store, RasaClient(http, settings))  # type: ignore[call-arg]


async def test_handoffs_cannot_be_built_without_a_way_to_answer_mail(
    engine: AsyncEngine, settings: Settings
) -> None:
    sessions = session_factory(engine)
    parts = (
        HandoffStore(sessions),
        ConversationStore(sessions, settings),
        LiveChannels(),
        Outbox(sessions),
        settings,
    )
    with pytest.raises(MissingDependency, match="mail_replies"):
        Handoffs(*parts, mail_replies=None)  # type: ignore[arg-type]


async def test_the_triage_worker_does_not_start_without_outbox_and_handoffs(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with aiohttp.ClientSession() as http:
        triage = Triage(TriageStore(session_factory(engine)), RasaClient(http, settings), settings)
        with pytest.raises(RuntimeError):
            triage.start()


async def test_build_services_wires_every_collaborator(engine: AsyncEngine, settings: Settings) -> None:
    async with aiohttp.ClientSession() as http:
        services = build_services(
            settings, engine, http, MovableClock(), link_secret="a-test-link-secret-of-32-chars!!"
        )
    assert services.relay._to_agents == services.handoffs.person_wrote
    assert services.store._transactions is services.transactions
    assert services.handoffs._mail_replies is not None
    assert services.triage._handoffs is services.handoffs and services.triage._outbox is services.outbox
    assert services.mail_sink is None  # production settings: no development sink
    assert services.imap_poller is None  # no GEM_IMAP_HOST
