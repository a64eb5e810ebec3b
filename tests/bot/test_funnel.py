"""The funnel's columns: where a conversation got to in the troubleshooting steps."""

from __future__ import annotations

import pytest

from actions.troubleshooting import STEPS
from bot.funnel import STEP_NAMES, funnel_position


def test_the_hub_numbers_the_steps_as_the_action_server_does() -> None:
    assert tuple(name for name, _response in STEPS) == STEP_NAMES


@pytest.mark.parametrize(
    ("steps", "position"),
    [
        ([], (None, None)),
        (["main_site:solved"], (1, 1)),
        (["main_site:failed"], (2, None)),  # step 2 shown in the same turn
        (["main_site:failed", "browsers:failed", "clear_data:solved"], (3, 3)),
        (["clear_data:failed"], (4, None)),  # "I already cleared the cache": on to step 4
        (["main_site:failed", "browsers:failed", "clear_data:failed", "restart:failed"], (4, None)),
        (["cache:solved", "unknown", 3], (None, None)),
    ],
)
def test_funnel_position(steps: list[object], position: tuple[int | None, int | None]) -> None:
    assert funnel_position(steps) == position


def test_the_step_on_screen_counts_as_reached() -> None:
    assert funnel_position([], shown=1) == (1, None)
    assert funnel_position(["main_site:failed"], shown=2) == (2, None)
    assert funnel_position(["main_site:failed", "browsers:solved"], shown=None) == (2, 2)
