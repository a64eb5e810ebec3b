"""Where a conversation got to in the troubleshooting sequence, from its ``steps_tried``.

The assistant records each step's end in ``steps_tried`` ("main_site:failed",
"browsers:solved"; ``actions/troubleshooting.py``). The dashboard's funnel needs two
numbers per conversation that SQL can group on without reading JSON (which every
database spells differently): the furthest step shown and the step that solved it.
They are written beside ``steps_tried`` wherever it is written::

    funnel_position(["main_site:failed", "browsers:solved"])  # -> (2, 2)
    funnel_position(["main_site:failed"])                     # -> (2, None): step 2 shown
    funnel_position([], shown=1)                              # -> (1, None): on step 1
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["STEP_NAMES", "STEP_NUMBER", "funnel_columns", "funnel_position", "solved_step"]

# The article's steps in order, numbered from 1 (tests/bot/test_funnel.py keeps them equal
# to actions.troubleshooting.STEPS: the hub does not import the action server's code).
STEP_NAMES: tuple[str, ...] = ("main_site", "browsers", "clear_data", "restart")
STEP_NUMBER = {name: number for number, name in enumerate(STEP_NAMES, start=1)}


def solved_step(steps_tried: Iterable[Any] | None) -> str | None:
    """The step that solved the problem ("browsers" for "browsers:solved"), the last one if
    several did; None if none did. The chat asks "Did this help?" after such a turn."""
    for entry in reversed(list(steps_tried or [])):
        name, _, outcome = str(entry).partition(":")
        if outcome == "solved":
            return name[:32]
    return None


def funnel_position(steps_tried: Iterable[Any], shown: int | None = None) -> tuple[int | None, int | None]:
    """(furthest step shown, step that solved it); ``None`` for what did not happen.

    A failed step shows the next one in the same turn (the last one hands over to
    support), so a failed step ``n`` means step ``n + 1`` was reached. ``shown``: the
    step on screen now (Rasa's ``troubleshooting_step`` slot), which may not have an
    entry yet.
    """
    furthest, solved = shown or 0, None
    for entry in steps_tried:
        name, _, outcome = str(entry).partition(":")
        number = STEP_NUMBER.get(name)
        if number is None:
            continue
        if outcome == "solved":
            solved = number
            furthest = max(furthest, number)
        else:
            furthest = max(furthest, min(number + 1, len(STEP_NAMES)))
    return (furthest or None), solved


def funnel_columns(steps_tried: Iterable[Any], shown: int | None = None) -> dict[str, int | None]:
    """The ``conversations`` columns to write beside ``steps_tried``."""
    furthest, solved = funnel_position(steps_tried, shown)
    return {"furthest_step": furthest, "solved_step": solved}
