"""Two hubs poll one support mailbox (a real Dovecot) into one PostgreSQL database: every
mail is recorded once and taken for triage once.

Both pollers may fetch the same mail before either marks it; what keeps it single is the
database: intake's unique Message-ID key files it once (the other hub's intake finds the
record and answers "duplicate"), and the triage worker's claim (bot.jobs) gives each
recorded mail to one worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.db.engine import create_engine, session_factory
from bot.db.triage_models import InboundMail
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.triage.imap import ImapPoller
from bot.triage.service import Triage
from bot.triage.store import TriageStore
from tests.bot.triage.dovecot import Dovecot
from tests.bot.triage.test_imap import TRIAGED, imap_settings, mail

pytestmark = [pytest.mark.asyncio, pytest.mark.database_backends("postgresql")]

MAILS = 40


async def test_two_hubs_polling_one_mailbox_file_and_claim_each_mail_once(
    settings: Settings, dovecot: Dovecot
) -> None:
    dovecot.create_mailbox("SupportTwoHubs")
    for n in range(MAILS):
        dovecot.append(mail(n), "SupportTwoHubs")
    imap = imap_settings(dovecot, "SupportTwoHubs", imap_interval_seconds=0.05)
    configured = dataclasses.replace(settings, imap_interval_seconds=0.05)
    engines = [create_engine(configured) for _ in range(2)]
    outcomes: Counter[str] = Counter()
    async with aiohttp.ClientSession() as http:
        hubs = [Triage(TriageStore(session_factory(e)), RasaClient(http, configured), configured) for e in engines]

        def intake_of(triage: Triage) -> Callable[[bytes], Awaitable[bool]]:
            async def intake(raw: bytes) -> bool:  # Triage.intake_from_imap, counted
                received = await triage.receive(raw, source="imap")
                outcomes[received.status] += 1
                return True

            return intake

        pollers = [ImapPoller(imap, intake_of(triage), batch_size=5) for triage in hubs]
        try:
            for poller in pollers:
                poller.start()
            deadline = asyncio.get_running_loop().time() + 30
            while any(flags != TRIAGED for flags in dovecot.flags("SupportTwoHubs").values()):
                assert asyncio.get_running_loop().time() < deadline, dovecot.flags("SupportTwoHubs")
                await asyncio.sleep(0.1)
        finally:
            for poller in pollers:
                await poller.stop()
        try:
            async with session_factory(engines[0])() as session:
                rows = await session.scalar(select(func.count()).select_from(InboundMail))
            assert rows == MAILS
            assert outcomes["new"] == MAILS and outcomes["quarantined"] == 0, outcomes
            print(f"\nintake outcomes over both hubs: {dict(outcomes)}")

            # Both hubs' triage workers claim at once: each mail goes to one of them.
            async def claim_all(store: TriageStore) -> list[int]:
                taken = []
                while (job := await store.claim(dt.timedelta(minutes=5))) is not None:
                    taken.append(job.id)
                return taken

            claimed = await asyncio.gather(*(claim_all(triage.store) for triage in hubs))
            every = [mail_id for taken in claimed for mail_id in taken]
            assert sorted(every) == sorted(set(every)) and len(every) == MAILS
        finally:
            for engine in engines:
                await engine.dispose()
