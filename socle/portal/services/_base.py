"""What the portal's services share: permissions, the invalid-answers error, events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from socle.core.access import can
from socle.core.errors import ServiceError
from socle.core.models import Blob, Organisation, OrganisationKind, User
from socle.core.uploads import upload_lookup

from ..effective import EffectiveProcedure
from ..form_schema import Context, ValidationResult, data_validate, file_fields
from ..models import (
    Case,
    CaseDocument,
    CaseEvent,
    DocumentKind,
    ProcedureRevision,
)

EDIT_PROCEDURE = "portal.edit_procedure"
PROCESS_CASE = "portal.process_case"


class CaseInvalid(ServiceError):
    """A case whose answers do not pass the form: one French message per field."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Certaines réponses ne sont pas valides.", errors=errors)


# Set only by ``demo_procedures_load`` when an operator's command runs it without an
# account: procedure services then accept ``actor=None`` and journal the system as actor.
_system_loader: ContextVar[bool] = ContextVar("portal_system_loader", default=False)


@contextmanager
def _as_system_loader() -> Iterator[None]:
    token = _system_loader.set(True)
    try:
        yield
    finally:
        _system_loader.reset(token)


def _require_editor(actor: User | None, organisation: Organisation) -> None:
    if actor is None and _system_loader.get():
        return
    if actor is None or not can(actor, EDIT_PROCEDURE, organisation):
        raise ServiceError("Vous n'avez pas le droit de modifier les démarches de cette organisation.",
                           code="forbidden")


def _digests_in(data: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        if isinstance(data.get("sha256"), str):
            found.add(data["sha256"])
        for value in data.values():
            found |= _digests_in(value)
    elif isinstance(data, list):
        for value in data:
            found |= _digests_in(value)
    return found


def validation_context(*, actor: User | None = None, held: Any = None) -> Context:
    """Return what form validation needs from the platform: communes, and the files the
    actor may attach: those they just deposited (an upload handle of theirs), and those
    the answers being edited already hold (``held``: a draft's or a case's data). A digest
    alone names nothing."""
    communes = {o.slug: o for o in Organisation.objects.filter(kind=OrganisationKind.COMMUNE)}

    def commune_for_postal(postal: str, city: str) -> str | None:
        from django.utils.text import slugify

        city_slug = slugify(city)
        for org in communes.values():
            if postal in (org.postal_codes or []) and org.slug == city_slug:
                return org.slug
        matching = [o for o in communes.values() if postal in (o.postal_codes or [])]
        return matching[0].slug if len(matching) == 1 else None

    held_digests = _digests_in(held)

    def file_lookup(item: Any) -> tuple[str, str, int] | None:
        if isinstance(item.get("upload"), str):
            upload = upload_lookup(actor=actor, handle=item["upload"])
            if upload is None:
                return None
            return upload.blob.sha256, upload.blob.mime_type, upload.blob.size
        if item.get("sha256") in held_digests:
            blob = Blob.objects.filter(sha256=item["sha256"]).first()
            return (blob.sha256, blob.mime_type, blob.size) if blob else None
        return None

    return Context(commune_exists=lambda slug: slug in communes, file_lookup=file_lookup,
                   commune_for_postal=commune_for_postal)


def case_validate(offered: EffectiveProcedure, data: Any, *, actor: User | None,
                  held: Any = None, partial: bool = False,
                  revision: ProcedureRevision | None = None) -> ValidationResult:
    """Validate answers against a procedure's form as offered in a commune; files must be
    the actor's own fresh deposits or already held by the answers edited (``held``)."""
    return data_validate(offered.fields(revision), data,
                         validation_context(actor=actor, held=held), partial=partial)


def _event(case: Case, *, actor: User | None, kind: str, text: str = "", visible: bool = False,
           from_status: str = "", to_status: str = "", from_citizen: bool = False) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor, kind=kind, text=text,
                                    visible_to_citizen=visible, from_status=from_status,
                                    to_status=to_status, from_citizen=from_citizen)


def _attach_files(case: Case, offered_fields: list[Any], data: dict[str, Any]) -> None:
    names = {f.name for f in file_fields(offered_fields)}

    def walk(values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key in names and isinstance(value, list):
                for item in value:
                    if not case.documents.filter(blob_id=item["sha256"], field=key).exists():
                        CaseDocument.objects.create(case=case, blob_id=item["sha256"],
                                                    kind=DocumentKind.ATTACHMENT,
                                                    name=item["name"], field=key)
            elif isinstance(value, list):
                for row in value:
                    if isinstance(row, dict):
                        walk(row)

    walk(data)
