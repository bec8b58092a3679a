"""What a procedure is in a given commune: the template's values, with the adoption's overrides.

A change to a template reaches every commune that did not override that part,
because nothing is copied: the effective procedure is computed on read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from socle.core.models import Organisation

from .form_schema import Field, definition_parse
from .models import Adoption, Procedure, ProcedureRevision

OVERRIDABLE = {
    "title", "summary", "fee_kind", "fee_amount", "implicit_decision_days", "silence_means",
    "service_name", "service_contact", "group_slug", "extra_fields",
}


@dataclass(frozen=True)
class EffectiveProcedure:
    procedure: Procedure
    organisation: Organisation  # the organisation offering it (the adopting commune for a template)
    adoption: Adoption | None
    title: str
    summary: str
    fee_kind: str
    fee_amount: Decimal
    implicit_decision_days: int
    silence_means: str
    service_name: str
    service_contact: str
    group_slug: str
    extra_fields: list[dict[str, Any]]

    @property
    def slug(self) -> str:
        return self.procedure.slug

    @property
    def revision(self) -> ProcedureRevision | None:
        return self.procedure.published_revision

    def fields(self, revision: ProcedureRevision | None = None) -> list[Field]:
        """Return the form: the revision's fields, then the commune's extra fields."""
        revision = revision or self.revision
        base = list(revision.fields) if revision else []
        return definition_parse(base + list(self.extra_fields))


def effective(procedure: Procedure, adoption: Adoption | None = None) -> EffectiveProcedure:
    """Return a procedure as offered by its owner, or by a commune that adopted it."""
    overrides = adoption.overrides if adoption else {}

    def value(key: str) -> Any:
        return overrides[key] if key in overrides else getattr(procedure, key, None)

    return EffectiveProcedure(
        procedure=procedure,
        organisation=adoption.organisation if adoption else procedure.organisation,
        adoption=adoption,
        title=str(value("title")),
        summary=str(value("summary")),
        fee_kind=str(value("fee_kind")),
        fee_amount=Decimal(str(value("fee_amount"))),
        implicit_decision_days=int(value("implicit_decision_days")),
        silence_means=str(value("silence_means")),
        service_name=str(value("service_name") or ""),
        service_contact=str(value("service_contact") or ""),
        group_slug=str(value("group_slug") or ""),
        extra_fields=list(overrides.get("extra_fields", [])),
    )
