"""The hub's packages import each other in one direction only (no cycles), so each can be
read, tested and replaced from the bottom up (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def package_imports() -> dict[str, set[str]]:
    """For each package of ``bot``, the other packages of ``bot`` its modules import."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in BOT.rglob("*.py"):
        parts = path.relative_to(BOT).parts
        if len(parts) < 2:
            continue  # a top-level module, not a package
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                pieces = name.split(".")
                if (
                    pieces[0] == "bot"
                    and len(pieces) > 1
                    and (BOT / pieces[1]).is_dir()
                    and pieces[1] != parts[0]
                ):
                    edges[parts[0]].add(pieces[1])
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def test_the_hub_packages_have_no_import_cycle() -> None:
    edges = package_imports()
    assert edges["chat"] and edges["console"]  # the walk found the imports at all
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges) or [])


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
