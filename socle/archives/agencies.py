"""The names SEDA messages give agencies: an organisation answers to its slug, its SIRET, and
the identifiers an archivist declares for it (``AgencyIdentifier``: « FRAD01 », « DGFIP »)."""

from __future__ import annotations

import re

from socle.core.models import Organisation

from .models import AgencyIdentifier

IDENTIFIER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")


def organisation_for_agency(identifier: str) -> Organisation | None:
    """Return the organisation answering to an agency identifier: its slug, its SIRET, or an
    identifier declared for it."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return (Organisation.objects.filter(slug__iexact=identifier).first()
            or Organisation.objects.filter(siret=identifier).exclude(siret="").first()
            or Organisation.objects.filter(
                agency_identifiers__identifier=identifier.upper()).first())


def agency_names(organisation: Organisation) -> list[str]:
    """Every name the organisation answers to as an agency, for an error message."""
    names = [organisation.slug, *([organisation.siret] if organisation.siret else [])]
    return names + list(AgencyIdentifier.objects.filter(organisation=organisation)
                        .values_list("identifier", flat=True))


def unknown_agency_hint(kind: str) -> str:
    """What to do when a message names an agency no organisation answers to."""
    element = "ArchivalAgency" if kind == "archival" else "TransferringAgency"
    return (f"Aucune organisation ne répond à cet identifiant (ni identifiant d'adresse, ni "
            f"SIRET, ni identifiant de service déclaré). Déclarez-le pour la bonne organisation "
            f"(page « Identifiants des services » des archives) ou corrigez <{element}><Identifier> dans "
            f"le bordereau.")

