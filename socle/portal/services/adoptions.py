"""A commune's adoption of an intercommunal template."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, OrganisationKind, User

from ..effective import OVERRIDABLE
from ..form_schema import DefinitionError, definition_parse
from ..models import (
    Adoption,
    Procedure,
)
from ._base import _require_editor


def adoption_set(*, actor: User | None, template: Procedure, organisation: Organisation,
                 offered: bool = True, overrides: dict[str, Any] | None = None) -> Adoption:
    """Adopt an intercommunal template for a commune, overriding only what the commune changes."""
    if not template.is_template:
        raise ServiceError("Seul un modèle de l'intercommunalité peut être adopté.", code="invalid")
    if organisation.kind != OrganisationKind.COMMUNE:
        raise ServiceError("Seule une commune adopte un modèle.", code="invalid")
    _require_editor(actor, organisation)
    overrides = dict(overrides or {})
    unknown = set(overrides) - OVERRIDABLE
    if unknown:
        raise ServiceError(f"Ces éléments ne peuvent pas être adaptés : {', '.join(sorted(unknown))}.",
                           code="invalid")
    if "extra_fields" in overrides:
        base = template.published_revision.fields if template.published_revision else []
        try:
            definition_parse(list(base) + list(overrides["extra_fields"]))
        except (DefinitionError, TypeError) as exc:
            raise ServiceError(str(exc), code="invalid_form") from exc
    if "fee_amount" in overrides:
        try:
            amount = Decimal(str(overrides["fee_amount"]))
        except InvalidOperation:
            raise ServiceError("Le montant doit être un nombre.", code="invalid") from None
        if amount < 0:
            raise ServiceError("Le montant ne peut pas être négatif.", code="invalid")
        overrides["fee_amount"] = str(amount.quantize(Decimal("0.01")))
    with transaction.atomic():
        adoption, _ = Adoption.objects.update_or_create(
            template=template, organisation=organisation,
            defaults={"offered": offered, "overrides": overrides})
        audit_record(actor=actor, action="procedure.adopt", organisation=organisation,
                     target=adoption, data={"template": template.slug, "offered": offered,
                                            "overrides": sorted(overrides)})
    return adoption
