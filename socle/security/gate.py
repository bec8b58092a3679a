"""The charter's gate (core's ``Gate``): an agent accepts the version in force before any page.

The stamp is the primary key of the version in force, cached for a minute at most and
never past the moment the next version comes into force; publishing a version drops it
(``stamp_forget``), so the gate is asked again in every session as soon as a new version
is in force (within a minute in the other web processes, whose cache is their own).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from socle.core.access import roles_held
from socle.core.models import User

from .models import CharterAcceptance, CharterVersion

CACHE_KEY = "socle-security-charter-stamp"
CACHE_SECONDS = 60
PAGE_PREFIX = "/agent/securite/charte/"


def stamp_forget() -> None:
    """Drop the cached stamp: a version was put in force."""
    cache.delete(CACHE_KEY)


def charter_stamp() -> str:
    """Return the primary key of the version in force ("" when there is none)."""
    now = timezone.now()
    cached = cache.get(CACHE_KEY)
    if cached is not None and now < cached[1]:
        return str(cached[0])
    current, following = "", None
    # A charter has a handful of versions: one query reads them all.
    for pk, start in CharterVersion.objects.order_by("in_force_from", "pk").values_list(
            "pk", "in_force_from"):
        if start <= now:
            current = str(pk)
        elif following is None:
            following = start
    until = now + timedelta(seconds=CACHE_SECONDS)
    if following is not None:
        until = min(until, following)
    cache.set(CACHE_KEY, (current, until), CACHE_SECONDS)
    return current


def charter_gate(*, actor: User) -> str | None:
    """Send an agent who has not accepted the version in force to the charter's page."""
    if not roles_held(actor):
        return None  # citizens are not bound by the agents' charter
    current = CharterVersion.objects.filter(in_force_from__lte=timezone.now()).first()
    if current is None or CharterAcceptance.objects.filter(version=current, user=actor).exists():
        return None
    return reverse("security:charter")
