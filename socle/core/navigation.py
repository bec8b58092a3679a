"""Navigation entries that apps declare, so the core lists modules without importing them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=1024)
def _reversed(url_name: str, urlconf: str, resolver: int, prefix: str) -> str:
    # Keyed by everything reverse() reads: the URL configuration and its resolver (a new
    # one after clear_url_caches) and the script prefix of the deployment.
    return reverse(url_name)


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

    @property
    def url(self) -> str:
        """The entry's address, resolved once per process (each page lists a dozen)."""
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        return _reversed(self.url_name, str(urlconf), id(get_resolver(urlconf)),
                         get_script_prefix())
