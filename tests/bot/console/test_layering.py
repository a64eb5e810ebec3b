"""The console pages call the handoff service, never its store or live channels.

``bot.handoff.service.Handoffs`` keeps what happens together together (claiming a handoff
also tells every console the queue changed, a reply also reaches the widget, ...). A page
that reaches past it into ``.store`` or ``.live`` can skip half of that unnoticed, so this
reads the console's source and names any line that does. (Tests may still use the store.)
"""

from __future__ import annotations

import re
from pathlib import Path

import bot.console

CONSOLE = Path(bot.console.__file__).parent
# The handoff service as the pages get it: ``request.app[HANDOFFS]``, or a name bound to it.
_BOUND = re.compile(r"(\w+)\s*=\s*request\.app\[HANDOFFS\]")


def reaches_past_the_service(source: str) -> list[str]:
    """The lines of a module that use the handoff service's ``store`` or ``live``."""
    names = {"handoffs", *_BOUND.findall(source)}
    service = r"(?:\[HANDOFFS\]|\b(?:" + "|".join(sorted(map(re.escape, names))) + r"))"
    pattern = re.compile(service + r"\s*\.\s*(?:store|live)\b")
    return [line.strip() for line in source.splitlines() if pattern.search(line)]


def test_the_check_sees_a_page_that_reaches_into_the_store_or_the_live_channels() -> None:
    assert reaches_past_the_service("x = await request.app[HANDOFFS].store.get(1)")
    assert reaches_past_the_service('await request.app[HANDOFFS].live.to_consoles({"type": "queue"})')
    assert reaches_past_the_service("service = request.app[HANDOFFS]\nawait service.store.notes(1)")
    assert not reaches_past_the_service("await request.app[HANDOFFS].claim(handoff, 1)")
    assert not reaches_past_the_service("rows = await triage.store.recent()")  # another service's store


def test_console_pages_call_only_the_handoff_service() -> None:
    modules = sorted(CONSOLE.glob("*.py"))
    assert len(modules) > 5  # the console's modules were found
    offending = {
        path.name: lines
        for path in modules
        if (lines := reaches_past_the_service(path.read_text(encoding="utf-8")))
    }
    assert offending == {}, "call a method of bot.handoff.service.Handoffs instead"
