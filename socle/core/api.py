"""The core's API: the territory (public), the caller's own identity, file deposits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from . import selectors
from .api_schemas import ErrorOut, InvalidOut
from .blobs import BlobRefused, blob_upload
from .middleware import too_large_response
from .pagination import NEXT_DESCRIPTION, PageIn, page_of_list
from .request_actor import request_actor
from .upload_handlers import UploadRefused, upload_refused_response
from .uploads import upload_handle_create

router = Router(tags=["Territoire et identité"])


class OrganisationOut(Schema):
    slug: str
    name: str
    kind: str
    parent: str | None
    insee_code: str | None
    siret: str | None
    postal_codes: list[str]
    population: int | None
    population_year: int | None


class MembershipOut(Schema):
    organisation: str
    role: str


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    is_agent: bool
    home_commune: str | None
    identity_assurance: str | None
    memberships: list[MembershipOut]


class OrganisationPageOut(Schema):
    items: list[OrganisationOut]
    next: str | None = Field(description=NEXT_DESCRIPTION)


@router.get("/organisations", response={200: OrganisationPageOut, 400: InvalidOut}, auth=None,
            summary="Lister les organisations du territoire")
def organisations(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """The intercommunality, its communes and its services (public), in pages."""
    # Plain rows, validated once by the response schema: building model instances
    # and then OrganisationOut objects that ninja validates again cost half the
    # request (see bench/README.md).
    rows = selectors.organisations_public().values(
        "slug", "name", "kind", "parent__slug", "insee_code", "siret", "postal_codes",
        "population", "population_year",
    )
    return page_of_list([
        {
            "slug": row["slug"],
            "name": row["name"],
            "kind": row["kind"],
            "parent": row["parent__slug"],
            "insee_code": row["insee_code"] or None,
            "siret": row["siret"] or None,
            "postal_codes": list(row["postal_codes"]),
            "population": row["population"],
            "population_year": row["population_year"],
        }
        for row in rows
    ], page)


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Décrire le compte appelant")
def me(request: HttpRequest) -> MeOut:
    """The caller's account, home commune and roles."""
    user = request_actor(request)
    profile = getattr(user, "citizen", None)
    memberships = [
        MembershipOut(organisation=m.organisation.slug, role=m.role)
        for m in selectors.memberships_of(actor=user)
    ]
    return MeOut(
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        is_agent=bool(memberships),
        home_commune=profile.home_commune.slug if profile and profile.home_commune else None,
        identity_assurance=profile.identity_assurance if profile else None,
        memberships=memberships,
    )


class BlobOut(Schema):
    upload: str = Field(description="Poignée du dépôt : à donner comme {\"upload\": ...} dans la "
                                    "réponse d'un champ fichier. Elle n'est valable que pour vous, "
                                    "une fois, jusqu'à expires_at.")
    expires_at: datetime
    name: str
    size: int
    mime_type: str


_BLOB_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {
            "type": "string", "format": "binary",
            "description": "Le fichier : PDF, image, document bureautique, archive ZIP ou texte.",
        }},
    }}},
}


@router.post("/blobs", tags=["Fichiers"], summary="Déposer un fichier",
             response={201: BlobOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut, 411: ErrorOut,
                       413: ErrorOut},
             openapi_extra={"requestBody": _BLOB_BODY})
def blob_create(request: HttpRequest) -> Any:
    """Store one file (multipart field `file`) in the content-addressed store.

    Open to agents and to citizens (who then reference the file in a case's answers).

    The answer gives an `upload` handle, the size and the type detected from the
    content. Attach the file by that handle (`{"upload": "upl_..."}`): it is valid for
    you only, once, for 24 hours. Nothing here names a file by its digest, nor tells
    whether someone already stored the same content. A file over the size cap is
    refused with 413, an empty one or one of a refused type with 400. A file is read
    through the object that references it (a case, a document ...), which decides who
    may see it.
    """
    # Checked before reading the body: a refused upload is never written.
    user = request_actor(request)
    if not (hasattr(user, "citizen") or selectors.memberships_of(actor=user).exists()):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Le dépôt de fichiers est réservé aux usagers et aux agents."))
    try:
        files = request.FILES.getlist("file")
    except UploadRefused as refusal:
        return upload_refused_response(request, refusal)
    if len(files) != 1:
        return Status(400, ErrorOut(code="missing_file" if not files else "too_many_files",
                                    message="Envoyez un fichier, et un seul, dans le champ « file »."))
    try:
        stored = blob_upload(actor=user, stream=files[0])
    except BlobRefused as refusal:
        if refusal.code == "payload_too_large":
            return too_large_response(request, settings.BLOB_MAX_SIZE)
        return Status(400, ErrorOut(code=refusal.code, message=refusal.message))
    blob = stored.blob
    name = files[0].name or "fichier"
    handle, expires_at = upload_handle_create(actor=user, blob=blob, name=name)
    return Status(201, BlobOut(upload=handle, expires_at=expires_at, name=name, size=blob.size,
                               mime_type=blob.mime_type))
