"""A collaborator a service cannot work without: refused at construction, not found missing later.

Usage::

    self._to_agents = required("to_agents", to_agents)
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["MissingDependency", "required"]

T = TypeVar("T")


class MissingDependency(TypeError):
    """A service was built without something it needs (a wiring mistake, found at start)."""


def required(name: str, value: T | None) -> T:
    """``value``, or :class:`MissingDependency` naming ``name`` when it is None."""
    if value is None:
        raise MissingDependency(f"{name} is required")
    return value
