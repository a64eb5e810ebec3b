"""Rasa's SQL tracker store, keeping in memory the trackers it saved, so that a turn does not
read and rebuild the whole conversation from the database.

Configured in the endpoints file (``tools.stack`` writes it; ``make run`` and the bench)::

    tracker_store:
      type: rasa_addons.tracker_store.CachingSQLTrackerStore
      dialect: sqlite
      db: var/rasa-tracker.db
      cached_conversations: 2000      # optional; least recently used are dropped

On PostgreSQL (several Rasa servers on one database)::

    tracker_store:
      type: rasa_addons.tracker_store.CachingSQLTrackerStore
      dialect: postgresql
      host: 127.0.0.1
      port: 5432
      db: rasa_tracker
      login_db: postgres              # optional: the first server creates ``db`` from there
      username: gem
      password: ${GEM_TRACKER_PASSWORD}
      pool_size: 5                    # per Rasa server (Rasa's own default is 50 + 100)
      max_overflow: 10

Why: ``SQLTrackerStore.retrieve`` loads every event of the conversation's session,
``json.loads`` each one and resolves its class by walking the tree of ``Event`` subclasses
(``rasa.shared.core.events.Event.resolve_by_type``), on every turn. Profiled over a
200-turn conversation (1,400 events) that was the largest part of Rasa's turn, and it
grew with every turn (``docs/SPEED.md``).

What is stored, and where, is unchanged: every event still goes to the database in the
same turn (``SQLTrackerStore.save``). The memory is only a shortcut for reading, and it is
checked on each read: a tracker is served from memory only if the newest event row of the
conversation in the database is still the one this process wrote last. Another Rasa
server writing to the same database (scaled out behind a lock store) makes the next read
here go to the database, as before.
"""

from __future__ import annotations

import collections
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

__all__ = ["CachingSQLTrackerStore"]


class CachingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with the latest session of recently saved trackers in memory."""

    engine: sa.engine.Engine  # set by SQLTrackerStore.__init__ (untyped there)

    def __init__(
        self,
        *args: Any,
        cached_conversations: int = 2000,
        pool_size: int = 5,
        max_overflow: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "postgresql":
            self._use_bounded_pool(int(pool_size), int(max_overflow))
        self._size = int(cached_conversations)
        # sender id -> (id of its newest event row when saved, the tracker as retrieve() builds it)
        self._cache: collections.OrderedDict[str, tuple[int, DialogueStateTracker]] = (
            collections.OrderedDict()
        )

    def _use_bounded_pool(self, pool_size: int, max_overflow: int) -> None:
        """Replace Rasa's PostgreSQL engine by one with a small pool that checks connections.

        Rasa's own keeps up to 50 + 100 connections per server (SQL_POOL_SIZE and
        SQL_MAX_OVERFLOW), several Rasa servers and hubs share one max_connections (100
        by default); with ``login_db`` it builds a default pool instead. Neither pings
        a pooled connection, so a database restart failed the next turns.
        """
        url = self.engine.url
        options = {**create_engine_kwargs(url), "pool_size": pool_size, "max_overflow": max_overflow}
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **options)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _newest_event_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            newest = session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id)
            return newest.scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session, from memory when the database has nothing newer."""
        cached = self._cache.get(sender_id)
        if cached is not None:
            newest_id, tracker = cached
            if self._newest_event_id(sender_id) == newest_id:
                self._cache.move_to_end(sender_id)
                # A copy: the caller changes it during the turn, and may not save it.
                return tracker.copy()
            del self._cache[sender_id]
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the new events (as SQLTrackerStore does), then remember the tracker."""
        self._cache.pop(tracker.sender_id, None)
        await super().save(tracker)
        latest = self._latest_session(tracker)
        if latest is None:
            return
        newest_id = self._newest_event_id(tracker.sender_id)
        if newest_id is None:
            return
        self._cache[tracker.sender_id] = (newest_id, latest)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)

    def _latest_session(self, tracker: DialogueStateTracker) -> DialogueStateTracker | None:
        """The tracker exactly as ``SQLTrackerStore.retrieve`` would rebuild it now.

        It reads the events from the newest ``session_started`` on (by timestamp); a
        tracker that just started a session also holds the events before it.
        """
        events = list(tracker.events)
        starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
        if not starts:
            return tracker
        kept = [event for event in events if event.timestamp >= max(starts)]
        if len(kept) == len(events):
            return tracker
        if self.domain is None:
            return None
        return DialogueStateTracker.from_events(tracker.sender_id, kept, self.domain.slots)
