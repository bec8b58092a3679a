"""The zip that answers an access request from what the platform holds on the person.

It is read through the owners' selectors *as the person*: the account and profile from
the core, the person's cases with their history, messages and files from the portal's
citizen selectors. It therefore holds exactly what the person could see of themselves
on the platform, never more, and never what another person's rights would show. The
mail register has no selector that answers for a correspondent: its letters are not in
the zip yet (the hook it needs is described in the decision 0023).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

import socle.portal.selectors as portal_selectors
from socle.core.blobs import BlobRefused, blob_open, blob_put, spool_dir
from socle.core.downloads import download_filename
from socle.core.journal import audit_record
from socle.core.models import CitizenProfile, Membership, User
from socle.core.roles import role_label

from .models import ExportStatus, SubjectRequest

# A person's zip may hold every file of every case: larger than one upload may be.
EXPORT_MAX_SIZE = 4 * 1024**3

README = """Données détenues sur vous par la plateforme numérique de l'Agglomération de la
Région de Compiègne et de la Basse Automne, en réponse à votre demande d'accès
(article 15 du RGPD).

- compte.json : votre compte, votre profil d'usager et les rôles d'agent que vous détenez ;
- dossiers/<numéro>/dossier.json : chaque dossier déposé, vos réponses et son historique ;
- dossiers/<numéro>/messages.json : les messages échangés avec les services ;
- dossiers/<numéro>/pieces/ : les pièces et documents du dossier.

Les fichiers JSON sont lisibles par tout éditeur de texte et réutilisables (article 20).
"""


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def _account(subject: User) -> dict[str, Any]:
    profile = CitizenProfile.objects.filter(user=subject).select_related("home_commune").first()
    roles = Membership.objects.filter(user=subject, revoked_at__isnull=True).select_related(
        "organisation")
    return {
        "adresse_electronique": subject.email, "prenom": subject.first_name,
        "nom": subject.last_name, "compte_cree_le": subject.date_joined,
        "derniere_connexion": subject.last_login,
        "second_facteur_active": bool(subject.totp_confirmed_at),
        "profil_usager": None if profile is None else {
            "adresse": profile.address, "code_postal": profile.postal_code, "ville": profile.city,
            "commune_de_residence": profile.home_commune.name if profile.home_commune else None,
            "niveau_d_identification": profile.get_identity_assurance_display(),
            "relie_a_franceconnect": bool(profile.franceconnect_sub),
            "date_de_naissance": profile.birthdate,
        },
        "roles": [{"organisation": m.organisation.name, "role": role_label(m.role)}
                  for m in roles],
    }


def _cases(subject: User) -> Iterator[tuple[str, bytes | IO[bytes]]]:
    for case in portal_selectors.cases_of_citizen(actor=subject).iterator(chunk_size=200):
        folder = f"dossiers/{case.number}"
        events = list(portal_selectors.case_events_visible(actor=subject, case=case))
        yield f"{folder}/dossier.json", _json({
            "numero": case.number, "demarche": case.procedure.title,
            "organisation": case.organisation.name, "statut": case.status,
            "cree_le": case.created_at, "depose_le": case.submitted_at,
            "clos_le": case.closed_at, "adresse_electronique": case.email,
            "nom_du_demandeur": case.applicant_name, "reponses": case.data,
            "historique": [{"le": e.at, "type": e.get_kind_display(), "de": e.from_status,
                            "vers": e.to_status} for e in events if e.kind == "status"],
        })
        yield f"{folder}/messages.json", _json([
            {"le": e.at, "de_vous": e.from_citizen, "texte": e.text}
            for e in events if e.kind == "message"])
        for document in portal_selectors.case_documents_visible(actor=subject, case=case):
            name = download_filename(document.name, document.blob.mime_type)
            yield f"{folder}/pieces/{document.pk}-{name}", blob_open(document.blob)


def export_entries(*, subject: User) -> Iterator[tuple[str, bytes | IO[bytes]]]:
    """Yield the zip's entries (path, content) for one person, as that person may see them."""
    yield "LISEZ-MOI.txt", README.encode()
    yield "compte.json", _json(_account(subject))
    yield from _cases(subject)


def export_zip(*, subject: User, handle: IO[bytes]) -> int:
    """Write the person's zip into an open file; return how many entries it holds."""
    count = 0
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in export_entries(subject=subject):
            if isinstance(content, bytes):
                archive.writestr(path, content)
            else:
                with content, archive.open(path, "w") as target:
                    while chunk := content.read(1 << 16):
                        target.write(chunk)
            count += 1
    return count


def export_build(*, request_id: int) -> str:
    """Build the zip of a request's person and keep it for the request's handler."""
    request = SubjectRequest.objects.select_related("subject", "organisation", "handler").get(
        pk=request_id)
    if request.export_status != ExportStatus.PENDING or request.subject is None:
        return "Rien à préparer."
    try:
        with tempfile.TemporaryFile(dir=spool_dir()) as spool:
            entries = export_zip(subject=request.subject, handle=spool)
            spool.seek(0)
            stored = blob_put(stream=spool, allowed_types=None, max_size=EXPORT_MAX_SIZE)
    except (BlobRefused, OSError) as exc:
        # A file of a case missing from the store, a full disk: the handler sees why and
        # may ask again, instead of an export left "in preparation" for ever.
        SubjectRequest.objects.filter(pk=request.pk).update(
            export_status=ExportStatus.FAILED, export_error=str(exc)[:300])
        return f"Export en échec : {exc}"
    with transaction.atomic():
        request.export_blob = stored.blob
        request.export_status = ExportStatus.READY
        request.save(update_fields=["export_blob", "export_status"])
        audit_record(actor=None, action="privacy.export_ready", organisation=request.organisation,
                     target=request, data={"entries": entries, "size": stored.blob.size,
                                           "sha256": stored.blob.sha256,
                                           "at": timezone.now().isoformat()})
    return f"Export prêt : {entries} fichiers."
