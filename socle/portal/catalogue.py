"""The catalogue as citizens browse it: procedures by category, found by words.

Works on the list ``selectors.procedures_offered`` returns (already filtered for the
commune), so that a search or a category never shows what the commune does not offer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import slugify

from socle.core.modules import PanelContent, PanelLink, PanelSection, object_ref_parse

from .effective import EffectiveProcedure

OTHER_CATEGORY = "Autres démarches"


@dataclass(frozen=True)
class Category:
    title: str
    slug: str
    items: tuple[EffectiveProcedure, ...]


def _fold(text: str) -> str:
    # "État civil" and "etat civil" are the same words for a search box.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def category_of(item: EffectiveProcedure) -> str:
    """Return the category a citizen reads for a procedure."""
    return item.procedure.category.strip() or OTHER_CATEGORY


def procedures_search(offered: list[EffectiveProcedure], query: str) -> list[EffectiveProcedure]:
    """Return the procedures whose title, summary or category hold every word of the query."""
    words = _fold(query).split()
    if not words:
        return offered
    found = []
    for item in offered:
        text = _fold(" ".join([item.title, item.summary, category_of(item)]))
        if all(word in text for word in words):
            found.append(item)
    return found


def categories(offered: list[EffectiveProcedure]) -> list[Category]:
    """Return the procedures grouped by category, in alphabetical order, « Autres » last."""
    groups: dict[str, list[EffectiveProcedure]] = {}
    for item in offered:
        groups.setdefault(category_of(item), []).append(item)
    titles = sorted((t for t in groups if t != OTHER_CATEGORY), key=_fold)
    if OTHER_CATEGORY in groups:
        titles.append(OTHER_CATEGORY)
    return [Category(title=t, slug=slugify(t), items=tuple(groups[t])) for t in titles]


def commune_procedures_panel(*, actor: object, ref: str) -> PanelContent | None:
    """Return the procedures offered to a commune's residents, by category, for its page."""
    from socle.core.selectors import commune_public_get

    from .selectors import procedures_offered

    pk = object_ref_parse(ref, "core.commune")
    commune = commune_public_get(pk=pk) if pk is not None else None
    if commune is None:
        return None
    offered = procedures_offered(commune=commune)
    url = reverse("portal:catalogue")
    if not offered:
        return PanelContent(title="Démarches en ligne",
                            lines=("Aucune démarche en ligne n'est proposée aux habitants de "
                                   f"{commune.name} pour le moment.",))
    sections = tuple(
        PanelSection(title=group.title, links=tuple(
            PanelLink(text=item.title,
                      url=reverse("portal:procedure", args=[item.slug]) + f"?commune={commune.slug}",
                      detail=f"proposée par {item.organisation.name}")
            for item in group.items))
        for group in categories(offered))
    return PanelContent(
        title="Démarches en ligne",
        lines=(f"{len(offered)} démarche{'s' if len(offered) > 1 else ''} proposée"
               f"{'s' if len(offered) > 1 else ''} aux habitants de {commune.name}.",),
        links=(PanelLink(text="Toutes les démarches pour cette commune",
                         url=f"{url}?commune={commune.slug}"),),
        sections=sections)
