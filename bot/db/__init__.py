"""Storage for the hub: SQLAlchemy models, engine, and the conversation repository."""

from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.db.models import Base, Conversation, Message

__all__ = [
    "Base",
    "Conversation",
    "Message",
    "create_engine",
    "session_factory",
    "upgrade_to_head",
]
