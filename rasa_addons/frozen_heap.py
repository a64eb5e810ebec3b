"""Rasa's loaded model kept out of Python's full garbage collections.

Usage (``rasa_addons.hub_channel`` does it; the channel is the project's code that every
Rasa server of this project loads at start)::

    blueprint = Blueprint(...)
    freeze_after_start(blueprint)     # once the server is up, its model loaded

Why: a Rasa server that has loaded its model holds about a million Python objects
(TensorFlow, spaCy, Rasa's graph), and they live as long as the process. Each full
collection of Python's cyclic garbage collector walked all of them: 290-410 ms during
which Rasa's one event loop answered nobody, about every two minutes under load, whichever
conversation was waiting (``docs/SPEED.md``). Once the model is loaded, one collection
clears what loading left behind, and :func:`gc.freeze` moves every survivor to a
generation the collector no longer visits; later collections walk only what the turns
create.

The price: objects frozen here that later become garbage inside a reference cycle are not
freed. Only a model replaced while the server runs (``PUT /model`` on Rasa's API) would do
that; this project changes models by restarting Rasa.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from sanic import Blueprint

__all__ = ["freeze_after_start", "freeze_survivors"]

log = logging.getLogger(__name__)


def freeze_survivors() -> int:
    """Collect once, then freeze every object left; how many are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def _after_server_start(app: Any, _loop: Any = None) -> None:
    # Rasa loads its model in a "before_server_start" listener: here it is loaded, or
    # failed to load (then there is nothing worth freezing yet).
    if getattr(app.ctx, "agent", None) is None:
        log.warning("no model loaded at start: Rasa's objects are not frozen")
        return
    log.info("%d objects kept out of full garbage collections (the loaded model)", freeze_survivors())


def freeze_after_start(blueprint: Blueprint) -> None:
    """Freeze the server's objects once it has started (see the module docstring)."""
    blueprint.listener("after_server_start")(_after_server_start)
