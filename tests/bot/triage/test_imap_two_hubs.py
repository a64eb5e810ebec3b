"""Two hubs poll one support mailbox (a real Dovecot) into one PostgreSQL database: every
mail is recorded once and taken for triage once.

One hub at a time polls (the "imap-poller" lease, bot.jobs.Lease), the other takes over
when it stops. Under that, the database keeps each mail single even when two polls
overlap: intake's unique Message-ID key files it once (the other hub's intake finds the
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
from bot.triage.imap import ImapPoller, imap_lease
from bot.triage.service import Triage
from bot.triage.store import TriageStore
from tests.bot.triage.dovecot import Dovecot
from tests.bot.triage.test_imap import TRIAGED, imap_settings, mail

pytestmark = [pytest.mark.asyncio, pytest.mark.database_backends("postgresql")]

MAILS = 40


async def wait_all_triaged(dovecot: Dovecot, mailbox: str, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        flags = dovecot.flags(mailbox)
        if len(flags) == count and all(f == TRIAGED for f in flags.values()):
            return
        assert asyncio.get_running_loop().time() < deadline, flags
        await asyncio.sleep(0.1)


async def test_two_hubs_polling_one_mailbox_file_and_claim_each_mail_once(
    settings: Settings, dovecot: Dovecot
) -> None:
    mailbox = "SupportTwoHubs"
    dovecot.create_mailbox(mailbox)
    for n in range(MAILS):
        dovecot.append(mail(n), mailbox)
    imap = imap_settings(dovecot, mailbox, imap_interval_seconds=0.05)
    configured = dataclasses.replace(settings, imap_interval_seconds=0.05)
    engines = [create_engine(configured) for _ in range(2)]
    outcomes: list[Counter[str]] = [Counter(), Counter()]
    async with aiohttp.ClientSession() as http:
        hubs = [
            Triage(TriageStore(session_factory(e)), RasaClient(http, configured), configured) for e in engines
        ]

        def intake_of(hub: int) -> Callable[[bytes], Awaitable[bool]]:
            async def intake(raw: bytes) -> bool:  # Triage.intake_from_imap, counted
                received = await hubs[hub].receive(raw, source="imap")
                outcomes[hub][received.status] += 1
                return True

            return intake

        # Each hub's poller as bot.services builds it: with the mailbox's lease.
        pollers = [
            ImapPoller(imap, intake_of(hub), batch_size=5, lease=imap_lease(session_factory(e), configured))
            for hub, e in enumerate(engines)
        ]
        try:
            for poller in pollers:
                poller.start()
            await wait_all_triaged(dovecot, mailbox, MAILS)
            # One hub polled, the other waited: nothing fetched twice.
            assert sorted(sum(o.values()) for o in outcomes) == [0, MAILS], outcomes
            holder = 0 if outcomes[0] else 1
            # The polling hub stops (a deploy): the other takes the mailbox over at once.
            await pollers[holder].stop()
            for n in range(MAILS, MAILS + 5):
                dovecot.append(mail(n), mailbox)
            await wait_all_triaged(dovecot, mailbox, MAILS + 5)
            assert outcomes[1 - holder] == Counter(new=5), outcomes
        finally:
            for poller in pollers:
                await poller.stop()
        try:
            async with session_factory(engines[0])() as session:
                rows = await session.scalar(select(func.count()).select_from(InboundMail))
            assert rows == MAILS + 5

            # Both hubs' triage workers claim at once: each mail goes to one of them.
            async def claim_all(store: TriageStore) -> list[int]:
                taken = []
                while (job := await store.claim(dt.timedelta(minutes=5))) is not None:
                    taken.append(job.id)
                return taken

            claimed = await asyncio.gather(*(claim_all(triage.store) for triage in hubs))
            every = [mail_id for taken in claimed for mail_id in taken]
            assert sorted(every) == sorted(set(every)) and len(every) == MAILS + 5
        finally:
            for engine in engines:
                await engine.dispose()


async def test_without_the_lease_two_pollers_overlap_and_intake_still_files_each_mail_once(
    settings: Settings, dovecot: Dovecot
) -> None:
    # The guarantee under the lease: two polls that overlap (a lease outlived by a slow
    # poll, or a poller started without one) still file every mail once.
    mailbox = "SupportNoLease"
    dovecot.create_mailbox(mailbox)
    for n in range(MAILS):
        dovecot.append(mail(n), mailbox)
    imap = imap_settings(dovecot, mailbox, imap_interval_seconds=0.05)
    engines = [create_engine(settings) for _ in range(2)]
    outcomes: Counter[str] = Counter()
    try:
        async with aiohttp.ClientSession() as http:
            hubs = [
                Triage(TriageStore(session_factory(e)), RasaClient(http, settings), settings) for e in engines
            ]

            def intake_of(triage: Triage) -> Callable[[bytes], Awaitable[bool]]:
                async def intake(raw: bytes) -> bool:
                    outcomes[(await triage.receive(raw, source="imap")).status] += 1
                    return True

                return intake

            pollers = [ImapPoller(imap, intake_of(triage), batch_size=5) for triage in hubs]
            try:
                for poller in pollers:
                    poller.start()
                await wait_all_triaged(dovecot, mailbox, MAILS)
            finally:
                for poller in pollers:
                    await poller.stop()
        assert outcomes["new"] == MAILS and outcomes["quarantined"] == 0, outcomes
        print(f"\nwithout the lease: {dict(outcomes)}")
    finally:
        for engine in engines:
            await engine.dispose()
