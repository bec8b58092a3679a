"""What the inventory's pages share: the role guards, reading query values, paging."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from socle.core.page_guards import role_required

from . import selectors

PAGE_SIZE = 50

viewer_required = role_required(
    selectors.VIEW, title="Espace réservé à l'inventaire",
    message="Seuls les agents chargés du parc informatique de leur commune et la DCSI "
            "consultent l'inventaire.")
manager_required = role_required(
    selectors.MANAGE, title="Espace réservé à la DCSI",
    message="Seuls les gestionnaires du parc de la DCSI modifient l'inventaire.")
schools_required = role_required(
    selectors.VIEW_SCHOOLS, title="Espace réservé à l'équipement des écoles",
    message="Seuls les communes, la DCSI et l'inspection de l'Éducation nationale suivent "
            "l'équipement des écoles.")


def param(params: Any, name: str, length: int) -> str:
    """Return a query or form value as short clean text."""
    return str(params.get(name, "")).replace("\x00", "").strip()[:length]


def int_param(params: Any, name: str) -> int | None:
    """Return a positive database key from a query value, or None."""
    value = param(params, name, 19)
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None


def page_of(request: HttpRequest, rows: Any) -> tuple[list[Any], str]:
    """Return one page of rows ordered by key, and the link to the next page (or "")."""
    after = int_param(request.GET, "apres")
    if after:
        rows = rows.filter(pk__gt=after)
    shown = list(rows[: PAGE_SIZE + 1])
    next_url = ""
    if len(shown) > PAGE_SIZE:
        shown = shown[:PAGE_SIZE]
        params = request.GET.copy()
        params["apres"] = str(shown[-1].pk)
        next_url = f"?{params.urlencode()}"
    return shown, next_url


def organisation_choices(organisations: Any) -> list[tuple[str, str]]:
    """Return organisations as form choices (slug, name)."""
    return [(o.slug, o.name) for o in organisations]


def site_choices(sites: Any) -> list[tuple[str, str]]:
    """Return sites as form choices (key, « commune — site »)."""
    return [(str(s.pk), f"{s.organisation.name} — {s.name}") for s in sites[:1000]]
