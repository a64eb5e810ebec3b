"""Storage for the hub: SQLAlchemy models, engine, and the conversation repository.

Importing this package registers every table on ``Base.metadata`` (Alembic compares
the migrations against it).
"""

from bot.db.account_models import Account, RateLimitHit, ResetToken
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.db.feedback_models import HubSecret, ReviewDismissal, Satisfaction, SatisfactionQuestion
from bot.db.handoff_models import Agent, AgentSession, Handoff, HandoffNote, IntentCorrection
from bot.db.lease_models import LeaseRow
from bot.db.mail_models import CaughtMail, OutboxMail
from bot.db.models import Base, Conversation, Message
from bot.db.triage_models import InboundMail, MailThreadId

__all__ = [
    "Account",
    "Agent",
    "AgentSession",
    "Base",
    "CaughtMail",
    "Conversation",
    "Handoff",
    "HandoffNote",
    "HubSecret",
    "InboundMail",
    "IntentCorrection",
    "LeaseRow",
    "MailThreadId",
    "Message",
    "OutboxMail",
    "RateLimitHit",
    "ResetToken",
    "ReviewDismissal",
    "Satisfaction",
    "SatisfactionQuestion",
    "create_engine",
    "session_factory",
    "upgrade_to_head",
]
