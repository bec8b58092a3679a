"""The demo's procedures, loaded from the JSON files beside the code."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from socle.core.errors import ServiceError
from socle.core.models import Organisation, OrganisationKind, User

from ..models import (
    Adoption,
    CaseworkerGroup,
    Procedure,
    Routing,
)
from ._base import _as_system_loader
from .adoptions import adoption_set
from .procedures import caseworker_group_create, procedure_import, procedure_publish

# ------------------------------------------------------------------ demo data

DEMO_PROCEDURES_DIR = Path(__file__).resolve().parent.parent / "data" / "procedures"


@dataclass
class DemoLoadReport:
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    adoptions: int = 0
    groups: int = 0


def _demo_group_targets(document: dict[str, Any], owner: Organisation) -> list[tuple[Organisation, str]]:
    # Where the cases of this procedure can land, so that each place has the team it names.
    slug = str(document.get("group_slug") or "")
    if document.get("adopted_by"):
        return [(Organisation.objects.get(slug=row["organisation"]),
                 str((row.get("overrides") or {}).get("group_slug") or slug))
                for row in document["adopted_by"]]
    if document.get("routing") == Routing.ADDRESS_FIELD and owner.kind == OrganisationKind.EPCI:
        return [(commune, slug) for commune in
                Organisation.objects.filter(kind=OrganisationKind.COMMUNE)]
    return [(owner, slug)]


def demo_procedures_load(*, actor: User | None = None,
                         directory: Path | None = None) -> DemoLoadReport:
    """Load, publish and adopt the demo procedures; what already exists is left untouched.

    Files are ``socle-procedure/1`` exports plus ``organisation`` (the owner's slug),
    ``group_name`` and, for templates, ``adopted_by``. Without an actor (the
    ``socle demo`` command), the editor's role check is skipped for this loader only
    and the journal records no actor.
    """
    report = DemoLoadReport()
    system = _as_system_loader() if actor is None else nullcontext()
    with system, transaction.atomic():
        for path in sorted((directory or DEMO_PROCEDURES_DIR).glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            owner = Organisation.objects.filter(slug=document.get("organisation")).first()
            if owner is None:
                raise ServiceError(f"{path.name} : organisation « {document.get('organisation')} » "
                                   "inconnue ; chargez d'abord le territoire.", code="invalid")
            procedure = Procedure.objects.filter(slug=document["slug"]).first()
            if procedure is None:
                procedure = procedure_import(actor=actor, organisation=owner, document=document)
                procedure_publish(actor=actor, procedure=procedure)
                procedure.refresh_from_db()
                report.created.append(procedure.slug)
            else:
                report.present.append(procedure.slug)
            for row in document.get("adopted_by") or []:
                commune = Organisation.objects.get(slug=row["organisation"])
                if not Adoption.objects.filter(template=procedure, organisation=commune).exists():
                    adoption_set(actor=actor, template=procedure, organisation=commune,
                                 offered=bool(row.get("offered", True)),
                                 overrides=row.get("overrides") or {})
                    report.adoptions += 1
            for organisation, group_slug in _demo_group_targets(document, owner):
                if group_slug and not CaseworkerGroup.objects.filter(
                        organisation=organisation, slug=group_slug).exists():
                    caseworker_group_create(actor=actor, organisation=organisation,
                                            slug=group_slug,
                                            name=str(document.get("group_name") or group_slug))
                    report.groups += 1
    return report
