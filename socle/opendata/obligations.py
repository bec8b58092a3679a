"""The legal obligations of publication a commune has, and how fresh each must stay.

The open-data-by-default rule (article L. 312-1-1 of the Code des relations entre le public
et l'administration, from the loi pour une République numérique of 2016) binds local
authorities of 3,500 inhabitants or more; the subsidies (décret n° 2017-779) and public
procurement data (DECP) bind every authority whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

THRESHOLD = 3500
THRESHOLD_TEXT = (
    "commune de moins de 3 500 habitants : elle n'est pas tenue par l'ouverture des "
    "données par défaut (article L. 312-1-1 du CRPA)"
)


@dataclass(frozen=True)
class Obligation:
    key: str
    label: str
    schema: str  # the schema the published file must follow ("" when none is official)
    legal_text: str
    by_default_rule: bool  # True: only communes of 3,500 inhabitants or more are bound
    fresh_days: int  # a publication older than this is stale
    due_month_day: tuple[int, int] | None  # the yearly due date, None when continuous


OBLIGATIONS: tuple[Obligation, ...] = (
    Obligation(
        "deliberations",
        "Délibérations du conseil",
        "scdl/deliberations",
        "Art. L. 312-1-1 CRPA ; art. L. 2121-25 CGCT",
        True,
        92,
        None,
    ),
    Obligation(
        "actes",
        "Liste des actes publiés",
        "",
        "Art. L. 2131-1 CGCT (publication électronique des actes)",
        True,
        92,
        None,
    ),
    Obligation(
        "subventions",
        "Subventions de plus de 23 000 €",
        "scdl/subventions",
        "Décret n° 2017-779 du 5 mai 2017",
        False,
        400,
        (3, 31),
    ),
    Obligation(
        "equipements",
        "Équipements collectifs",
        "scdl/equipements",
        "Art. L. 312-1-1 CRPA (socle commun des données locales)",
        True,
        400,
        (6, 30),
    ),
    Obligation(
        "budget",
        "Budget primitif et compte administratif",
        "scdl/budget",
        "Art. L. 2313-1 CGCT",
        True,
        400,
        (5, 15),
    ),
    Obligation(
        "catalogue",
        "Catalogue des données",
        "scdl/catalogue",
        "Art. L. 322-6 CRPA (répertoire des informations publiques)",
        True,
        400,
        (12, 31),
    ),
    Obligation(
        "decp",
        "Données essentielles de la commande publique",
        "",
        "Art. R. 2196-1 du Code de la commande publique",
        False,
        92,
        None,
    ),
)
BY_KEY = {o.key: o for o in OBLIGATIONS}


class Status:
    PUBLISHED = "published"
    STALE = "stale"
    INVALID = "invalid"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"


STATUS_LABELS = {
    Status.PUBLISHED: "Publié et à jour",
    Status.STALE: "Publié, mais plus à jour",
    Status.INVALID: "Fichier invalide",
    Status.MISSING: "Non publié",
    Status.NOT_APPLICABLE: "Non applicable",
}


def obligation_applies(obligation: Obligation, population: int | None) -> bool:
    """Tell whether a commune of that population is bound (unknown population: bound)."""
    return not (obligation.by_default_rule and population is not None and population < THRESHOLD)


def due_date(obligation: Obligation, *, published: date | None, today: date) -> date:
    """Return the date by which the next publication is due."""
    if published is not None:
        return published + timedelta(days=obligation.fresh_days)
    if obligation.due_month_day is None:
        return today
    month, day = obligation.due_month_day
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)
