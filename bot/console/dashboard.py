"""The dashboard's numbers: volume, deflection, handoffs by reason and language,
which troubleshooting step solved the problem, and the time to the first agent reply."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from bot.handoff.store import HandoffStore

__all__ = ["dashboard_numbers"]


async def dashboard_numbers(store: HandoffStore) -> dict[str, Any]:
    facts = await store.conversation_facts()
    handoffs = await store.all_handoffs()
    handed = {h.conversation_id for h in handoffs}
    talked = [f for f in facts if f["person_wrote"]]
    deflected = [f for f in talked if f["id"] not in handed]
    # Steps: from every conversation's steps (tracker) and every handoff packet.
    shown: Counter[str] = Counter()
    solved: Counter[str] = Counter()
    steps_by_conversation = {f["id"]: f["steps_tried"] for f in facts}
    for handoff in handoffs:
        if not steps_by_conversation.get(handoff.conversation_id):
            steps_by_conversation[handoff.conversation_id] = list(handoff.packet.get("steps_tried") or [])
    for steps in steps_by_conversation.values():
        for entry in steps:
            name, _, outcome = str(entry).partition(":")
            shown[name] += 1
            if outcome == "solved":
                solved[name] += 1
    waits = [
        (h.first_reply_at - h.created_at).total_seconds() for h in handoffs if h.first_reply_at is not None
    ]
    return {
        "conversations": len(talked),
        "deflected": len(deflected),
        "deflection": (len(deflected) / len(talked)) if talked else None,
        "handoffs": len(handoffs),
        "by_reason": sorted(Counter(h.reason for h in handoffs).items(), key=lambda kv: -kv[1]),
        "by_language": sorted(Counter(h.language for h in handoffs).items(), key=lambda kv: -kv[1]),
        "steps": [
            {"step": name, "tried": shown[name], "solved": solved[name], "rate": solved[name] / shown[name]}
            for name in sorted(shown, key=lambda n: -shown[n])
        ],
        "median_first_reply_seconds": statistics.median(waits) if waits else None,
        "open": sum(1 for h in handoffs if h.status == "open"),
    }
