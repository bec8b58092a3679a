"""What a module declares a role with; apart from ``roles`` so that the registry needs no reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    permissions: frozenset[str]


def role(name: str, label: str, *permissions: str) -> Role:
    """Declare a role: its name (prefixed by its module), French label and permissions."""
    return Role(name=name, label=label, permissions=frozenset(permissions))
