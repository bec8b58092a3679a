"""Navigation entries that apps declare, so the core lists modules without importing them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """An entry of the main navigation, or a module card on the agent home page.

    Apps declare theirs as ``navigation`` on their AppConfig: audience is "all",
    "citizen" or "agent"; an agent entry with a permission shows only to agents
    holding it on some organisation.
    """

    label: str
    url_name: str
    audience: str = "all"
    permission: str = ""
    description: str = ""
