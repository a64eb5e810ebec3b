"""The chat core: one conversation's turns, whatever channel they come from.

The WebSocket widget (``ws``) and socket.io (``socketio_channel``) hand each message to a
``ChatSession`` (``session``), which relays it to Rasa or to agents (``relay``). The
transcript itself is stored by :mod:`bot.db.conversations`, which the handoff, the triage
and the console read too.
"""
