"""Rasa's loaded model kept out of full garbage collections (``rasa_addons.frozen_heap``):
the garbage of the load is collected first, everything left is frozen, and a real Rasa
server does it once its model is loaded (tests/bot/test_hub_channel.py's server)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from rasa_addons.frozen_heap import freeze_survivors


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen_afterwards() -> Iterator[None]:
    """This test process's own objects are frozen by the test: give them back after."""
    try:
        yield
    finally:
        gc.unfreeze()


def test_garbage_is_collected_and_the_rest_frozen(unfrozen_afterwards: None) -> None:
    gc.unfreeze()
    kept = _Node()
    cycle_a, cycle_b = _Node(), _Node()
    cycle_a.other, cycle_b.other = cycle_b, cycle_a  # garbage only the cyclic collector frees
    garbage = weakref.ref(cycle_a)
    del cycle_a, cycle_b

    frozen = freeze_survivors()

    assert garbage() is None, "the load's garbage must be collected before freezing"
    # (Not equal to gc.get_freeze_count() later: frozen objects still go when nothing refers to them.)
    assert frozen > 0
    assert gc.is_tracked(kept) and all(obj is not kept for obj in gc.get_objects())  # frozen: not visited
