"""docs/ARCHITECTURE.md describes what is built: every path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["docs/ARCHITECTURE.md", "docs/SECURITY.md", "docs/SCALING.md", "docs/SPEED.md", "README.md"]
# `bot/chat/`, `actions/handoff.py`, `tests/bot/chat/test_ws.py`: a path in backquotes.
PATH = re.compile(r"`((?:bot|actions|components|rasa_addons|tools|tests|deploy|data|docs)/[\w./-]*)`")


@pytest.mark.parametrize("page", PAGES)
def test_every_path_a_page_names_exists(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    named = set(PATH.findall(text))
    assert named, "no path found: the pattern no longer matches the page"
    missing = sorted(p for p in named if not any(ROOT.glob(p.rstrip("/"))))
    assert not missing, f"{page} names paths that do not exist: {missing}"


def test_comments_point_to_the_repositorys_own_pages() -> None:
    """No comment sends a reader to a page outside the repository."""
    stray = []
    for folder in ("bot", "actions", "components", "rasa_addons", "tools", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"(?<!docs/)\b(ARCHITECTURE|SECURITY)\.md", line):
                    stray.append(f"{path.relative_to(ROOT)}:{number}")
    assert not stray, stray
