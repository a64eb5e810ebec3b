"""Build `Tracker`s the way Rasa sends them to the action server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]

TrackerFactory = Callable[..., Tracker]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The project's real domain, as the action server receives it."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> TrackerFactory:
    def build(
        intent: str | None = None,
        text: str = "",
        slots: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        ranking: list[dict[str, Any]] | None = None,
        active_loop: str | None = None,
        sender_id: str = "conv-test",
        message_id: str | None = None,
    ) -> Tracker:
        latest: dict[str, Any] = {"text": text, "entities": []}
        if message_id:
            latest["message_id"] = message_id
        if intent:
            latest["intent"] = {"name": intent, "confidence": 0.99}
            latest["intent_ranking"] = ranking or [{"name": intent, "confidence": 0.99}]
        return Tracker(
            sender_id=sender_id,
            slots=dict(slots or {}),
            latest_message=latest,
            events=list(events or []),
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name="action_listen",
        )

    return build


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slot values an action's events set (last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """Names of the responses an action uttered, in order."""
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture(autouse=True)
def hub_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Actions that call the hub's handoff API see it down unless a test says otherwise."""
    from actions import handoff

    class Down:
        async def open(self, packet: dict[str, Any]) -> None:
            return None

    monkeypatch.setattr(handoff, "get_handoff_client", lambda: Down())
