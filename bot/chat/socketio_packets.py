"""socket.io packets that never raise while decoding: what cannot be read becomes an event.

python-socketio decodes each packet with ``json.loads`` and lets any error escape to
python-engineio, which logs a traceback per frame and gives the client no answer: a frame
nested ten thousand levels deep (``RecursionError``), broken JSON, or a packet type that
is not a digit. The WebSocket channel answers these with ``bad_request`` (``bot.chat.ws``);
so does socket.io with these two pieces, given to ``socketio.AsyncServer``::

    sio = socketio.AsyncServer(serializer=GuardedPacket, json=guarded_json, ...)
    @sio.on(UNREADABLE)
    async def unreadable(sid): ...        # tell the person "that message could not be read"

- :data:`guarded_json` (the ``json=`` module, used by engine.io and socket.io): ``loads``
  turns ``RecursionError`` into ``ValueError``, which engine.io already treats as "not
  JSON" (the message stays a string);
- :class:`GuardedPacket`: a socket.io packet that cannot be decoded becomes the event
  :data:`UNREADABLE` (no data, no acknowledgement) in the namespace it named, if any.
"""

from __future__ import annotations

import types
from typing import Any

from engineio import json as engineio_json
from socketio import packet

__all__ = ["UNREADABLE", "GuardedPacket", "guarded_json"]

# The event an unreadable packet becomes. A client that sends it by name gets the same
# answer as one that sent garbage.
UNREADABLE = "gem_unreadable_frame"


def _loads(*args: Any, **kwargs: Any) -> Any:
    try:
        return engineio_json.loads(*args, **kwargs)
    except RecursionError as exc:  # "[[[[..." nested past Python's recursion limit
        raise ValueError("JSON nested too deeply") from exc


guarded_json = types.SimpleNamespace(loads=_loads, dumps=engineio_json.dumps)


class GuardedPacket(packet.Packet):
    """A socket.io packet; undecodable input gives the :data:`UNREADABLE` event."""

    json = guarded_json

    def decode(self, encoded_packet: Any) -> int:
        try:
            return int(super().decode(encoded_packet) or 0)
        except (ValueError, TypeError, IndexError):  # json.JSONDecodeError is a ValueError
            self.packet_type = packet.EVENT
            namespace = getattr(self, "namespace", None)
            self.namespace = namespace if isinstance(namespace, str) else None
            self.id = None
            self.data = [UNREADABLE]
            return 0
