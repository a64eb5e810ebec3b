"""Every service of the hub, built in one place, in dependency order.

Usage (``bot.app`` does this at start-up)::

    services = build_services(settings, engine, http, clock, link_secret=secret)
    await services.start_workers()      # live bus, mail sink, outbox worker, triage, IMAP poller
    ...
    await services.stop_workers()

Each service receives what it needs through its constructor; nothing is patched onto an
object after it is built, and a missing collaborator fails here, at start
(:class:`bot.required.MissingDependency`), not later as a message silently sent the
wrong way. The order below is the dependency graph:

    cluster (turn locks, live bus, presence: memory or Redis)
    -> conversations, Rasa, limits, outbox, accounts
    -> triage store -> mail replies (agents' answers to mailbox tickets)
    -> agents, live channels -> handoffs -> chat relay, triage
    -> composers -> outbox worker; triage SMTP listener, IMAP poller
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts.directory import AccountDirectory
from bot.accounts.emails import AccountEmails
from bot.accounts.gateway import AccountGateway, BuiltinAccountGateway
from bot.accounts.platform import PlatformAccountGateway
from bot.accounts.requests import AccountRequests
from bot.accounts.reset_tokens import ResetTokens
from bot.chat.relay import ChatRelay
from bot.chat.resume_attempts import ResumeAttempts
from bot.clock import Clock
from bot.cluster import Cluster, build_cluster
from bot.console.agents import AgentDirectory
from bot.console.review_store import ReviewStore
from bot.console.sockets import ConsoleSockets
from bot.db.conversations import ConversationStore
from bot.db.engine import session_factory
from bot.db.transactions import Transactions
from bot.domain import load_domain
from bot.handoff.live import LiveChannels
from bot.handoff.mail import HandoffMail
from bot.handoff.service import Handoffs
from bot.handoff.store import HandoffStore
from bot.limits.database import SharedRateLimits
from bot.mail.outbox import Outbox
from bot.mail.sink import MailSink
from bot.mail.worker import OutboxWorker, SmtpSender
from bot.rasa_client import RasaClient
from bot.satisfaction.chat import ChatSatisfaction
from bot.satisfaction.links import FeedbackLinks
from bot.satisfaction.mail import MailFeedback
from bot.satisfaction.store import SatisfactionStore
from bot.settings import Settings
from bot.triage.imap import ImapPoller, imap_lease
from bot.triage.replies import MailReplies
from bot.triage.service import Triage
from bot.triage.smtp import TriageListener
from bot.triage.store import TriageStore

__all__ = ["Services", "build_services", "feedback_link_secret"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Services:
    """The hub's services and workers, as :func:`build_services` wired them."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    http: aiohttp.ClientSession
    # What hub processes share (bot/cluster): in memory, or Redis with GEM_REDIS_URL.
    cluster: Cluster
    # The chat's transactions (a turn, a new conversation, its rate limit, "did this help?"),
    # off the event loop in one hop on SQLite (bot.db.transactions).
    transactions: Transactions
    store: ConversationStore
    rasa: RasaClient
    limits: SharedRateLimits
    resume_attempts: ResumeAttempts
    outbox: Outbox
    accounts: AccountDirectory
    reset_tokens: ResetTokens
    account_requests: AccountRequests
    agents: AgentDirectory
    consoles: ConsoleSockets
    live: LiveChannels
    satisfaction: ChatSatisfaction
    handoffs: Handoffs
    feedback: MailFeedback
    reviews: ReviewStore
    relay: ChatRelay
    triage: Triage
    outbox_worker: OutboxWorker
    # Only in development: the SMTP server that catches outbound mail.
    mail_sink: MailSink | None
    # Only when triage runs and has a port / a mailbox.
    triage_listener: TriageListener | None
    imap_poller: ImapPoller | None

    async def start_workers(self) -> None:
        """Start the background work, in the order it is needed; stop what started if one fails."""
        started = []
        try:
            # First: the live bus subscribes before any worker or request sends a frame.
            await self.cluster.start()
            started.append(self.cluster.stop)
            if self.mail_sink is not None:
                await self.mail_sink.start()
                started.append(self.mail_sink.stop)
            self.outbox_worker.start()
            started.append(self.outbox_worker.stop)
            if self.settings.triage_mode != "off":
                self.triage.start()
                started.append(self.triage.stop)
                if self.triage_listener is not None:
                    await self.triage_listener.start()
                    started.append(self.triage_listener.stop)
                if self.imap_poller is not None:
                    self.imap_poller.start()
                    started.append(self.imap_poller.stop)
        except BaseException:
            for stop in reversed(started):
                await stop()
            raise

    async def stop_workers(self) -> None:
        """Stop them in the reverse order: intake first, the outbox and its sink last."""
        if self.imap_poller is not None:
            await self.imap_poller.stop()
        if self.triage_listener is not None:
            await self.triage_listener.stop()
        await self.triage.stop()
        await self.outbox_worker.stop()
        if self.mail_sink is not None:
            await self.mail_sink.stop()
        await self.cluster.stop()


def build_services(
    settings: Settings, engine: AsyncEngine, http: aiohttp.ClientSession, clock: Clock, *, link_secret: str
) -> Services:
    """Build every service, each given its collaborators; starts nothing.

    ``link_secret`` signs the feedback links of automatic mail answers
    (:func:`feedback_link_secret` finds it).
    """
    # The mail answers' steps and the console's intents come from domain.yml: read it now,
    # so that a missing or broken file stops the start instead of a mail or a page later.
    load_domain()
    sessions = session_factory(engine)
    cluster = build_cluster(settings)
    transactions = Transactions.for_engine(engine, settings)
    store = ConversationStore(sessions, settings, transactions)
    rasa = RasaClient(http, settings)
    limits = SharedRateLimits(sessions, clock, transactions)
    resume_attempts = ResumeAttempts(
        limits, settings.resume_attempts_per_window, settings.resume_attempts_window_seconds
    )
    outbox = Outbox(sessions, clock)

    accounts = AccountDirectory(sessions, clock)
    reset_tokens = ResetTokens(sessions, dt.timedelta(minutes=settings.reset_token_minutes), clock)
    gateway: AccountGateway
    if settings.account_gateway == "http":
        gateway = PlatformAccountGateway(http, settings)
    else:
        gateway = BuiltinAccountGateway(outbox)
    account_requests = AccountRequests(limits, gateway, settings, clock)
    if not settings.internal_token:
        log.warning("GEM_INTERNAL_TOKEN is not set: the assistant cannot send account emails")

    triage_store = TriageStore(sessions, clock)
    agents = AgentDirectory(sessions, clock, idle=dt.timedelta(minutes=settings.agent_idle_minutes))
    # "An agent is online" counts only consoles whose sign-in session is alive.
    live = LiveChannels(cluster.bus, cluster.presence, live_sessions=agents.live_session_keys)
    # "Did this help?": asked after solved flows (chat turns) and after an agent resolves.
    satisfaction = ChatSatisfaction(
        SatisfactionStore(sessions, clock, transactions), live, settings, due=cluster.satisfaction_due
    )
    handoff_store = HandoffStore(sessions, clock)
    handoffs = Handoffs(
        handoff_store,
        store,
        live,
        outbox,
        settings,
        mail_replies=MailReplies(triage_store, outbox, settings).agent_replied,
        on_resolved=satisfaction.handoff_resolved,
    )
    # The two links at the end of automatic mail answers; "still need help" reopens a ticket.
    feedback = MailFeedback(sessions, FeedbackLinks(link_secret, settings, clock), handoffs, settings, clock)
    # While a handoff is open the relay gives the person's messages to people, not Rasa.
    relay = ChatRelay(store, rasa, to_agents=handoffs.person_wrote, locks=cluster.locks)
    triage = Triage(
        triage_store,
        rasa,
        settings,
        handoffs=handoffs,
        outbox=outbox,
        limits=limits,
        clock=clock,
        feedback=feedback.footer,
    )

    composers = {
        **AccountEmails(accounts, reset_tokens, settings, clock).composers(),
        **HandoffMail(handoff_store, store, settings, clock, turns=cluster.locks).composers(),
        **triage.composers(),
    }
    outbox_worker = OutboxWorker(outbox, composers, SmtpSender(settings), settings, clock)
    mail_sink = MailSink(sessions, settings.mail_sink_port, clock) if settings.is_development else None
    triage_on = settings.triage_mode != "off"
    listener = TriageListener(triage, settings) if triage_on and settings.triage_smtp_port else None
    poller = (
        ImapPoller(settings, triage.intake_from_imap, lease=imap_lease(sessions, settings, clock))
        if triage_on and settings.imap_host
        else None
    )

    return Services(
        settings=settings,
        clock=clock,
        engine=engine,
        http=http,
        cluster=cluster,
        transactions=transactions,
        store=store,
        rasa=rasa,
        limits=limits,
        resume_attempts=resume_attempts,
        outbox=outbox,
        accounts=accounts,
        reset_tokens=reset_tokens,
        account_requests=account_requests,
        agents=agents,
        consoles=ConsoleSockets(cluster.bus),
        live=live,
        satisfaction=satisfaction,
        handoffs=handoffs,
        feedback=feedback,
        reviews=ReviewStore(sessions, threshold=settings.review_confidence_threshold),
        relay=relay,
        triage=triage,
        outbox_worker=outbox_worker,
        mail_sink=mail_sink,
        triage_listener=listener,
        imap_poller=poller,
    )


async def feedback_link_secret(settings: Settings, engine: AsyncEngine, clock: Clock) -> str:
    """The configured ``GEM_LINK_SECRET``, else one the hub keeps in its database: links
    in mail must outlive restarts and work on every hub."""
    if settings.link_secret:
        return settings.link_secret
    return await SatisfactionStore(session_factory(engine), clock).hub_secret("feedback_links")
