"""An access request answered from the platform's own data: a zip of the person's account,
cases, messages and files, built by a background task, delivered only to its handler."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from socle.core.blobs import blob_put
from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.core.task_queue import task_run_next
from socle.portal import selectors as portal_selectors
from socle.portal.services import (
    case_comment,
    case_document_add,
    case_message,
    case_submit,
    procedure_create,
    procedure_publish,
)
from socle.privacy import services
from tests.support.clients import signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIELDS = [{"name": "nom", "label": "Nom", "type": "text", "required": True, "max_length": 80}]


@pytest.fixture
def citizen_with_a_case(territory, make_user, margny):
    citizen = make_user("camille@exemple.fr", commune=margny)
    other = make_user("dominique@exemple.fr", commune=margny)
    editor = make_user(roles=[(territory["arc"], "portal.editor")])
    caseworker = make_user(roles=[(margny, "portal.caseworker")])
    procedure = procedure_create(actor=editor, organisation=margny, slug="carte", title="Carte",
                                 fields=FIELDS)
    procedure_publish(actor=editor, procedure=procedure)
    offered = portal_selectors.procedure_offered_get(slug="carte", commune=margny)
    case = case_submit(actor=citizen, data={"nom": "Martin"}, offered=offered)
    case_submit(actor=other, data={"nom": "Autre-Personne"}, offered=offered)
    while task_run_next(worker_id="test"):  # the worker's part: the acknowledgements
        pass
    case_message(actor=citizen, case=case, text="Bonjour, où en est ma demande ?")
    case_message(actor=caseworker, case=case, text="Elle est en cours d'instruction.")
    case_comment(actor=caseworker, case=case, text="Note interne à ne pas exporter")
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    case_document_add(actor=caseworker, case=case, blob=blob, name="courrier.pdf")
    return citizen, case


def _ready_request(referent, new_request, citizen, capture):
    request = new_request(requester_email=citizen.email)
    services.request_assign(actor=referent, request=request, handler=referent)
    services.request_link_subject(actor=referent, request=request, subject=citizen)
    with capture(execute=True):
        services.export_request(actor=referent, request=request)
    assert task_run_next(worker_id="test")
    request.refresh_from_db()
    return request


def test_the_handler_downloads_a_zip_of_the_persons_account_cases_and_messages(
        referent, new_request, citizen_with_a_case, django_capture_on_commit_callbacks):
    citizen, case = citizen_with_a_case
    request = _ready_request(referent, new_request, citizen, django_capture_on_commit_callbacks)
    assert request.export_status == "ready"
    response = signed_in(referent).get(reverse("privacy:request_export", args=[request.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    folder = f"dossiers/{case.number}"
    assert {"LISEZ-MOI.txt", "compte.json", f"{folder}/dossier.json",
            f"{folder}/messages.json"} <= names
    account = json.loads(archive.read("compte.json"))
    assert account["adresse_electronique"] == "camille@exemple.fr"
    assert account["profil_usager"]["commune_de_residence"] == "Margny-lès-Compiègne"
    assert json.loads(archive.read(f"{folder}/dossier.json"))["reponses"] == {"nom": "Martin"}
    messages = [m["texte"] for m in json.loads(archive.read(f"{folder}/messages.json"))]
    assert messages == ["Bonjour, où en est ma demande ?", "Elle est en cours d'instruction."]
    pieces = [n for n in names if n.startswith(f"{folder}/pieces/")]
    # The acknowledgements the platform issued are the person's too.
    assert any(n.endswith("-courrier.pdf") and archive.read(n) == PDF for n in pieces)
    assert any("accuse-reception" in n for n in pieces)
    everything = b"".join(archive.read(n) for n in names).decode(errors="replace")
    assert "Autre-Personne" not in everything and "Note interne" not in everything
    assert AuditEvent.objects.filter(action="privacy.export_ready").count() == 1
    assert AuditEvent.objects.filter(action="privacy.export_download", actor=referent).count() == 1


def test_nobody_but_the_handler_gets_the_zip(referent, dpo, other_referent, new_request,
                                             citizen_with_a_case,
                                             django_capture_on_commit_callbacks):
    citizen, _ = citizen_with_a_case
    request = _ready_request(referent, new_request, citizen, django_capture_on_commit_callbacks)
    url = reverse("privacy:request_export", args=[request.pk])
    for someone in (dpo, other_referent, citizen):
        assert signed_in(someone).get(url).status_code in (403, 404)
    assert signed_in(dpo).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="privacy.export_download").exists()


def test_an_export_needs_the_handler_and_the_persons_account(referent, dpo, new_request,
                                                             citizen_with_a_case):
    citizen, _ = citizen_with_a_case
    request = new_request()
    with pytest.raises(Conflict):
        services.export_request(actor=referent, request=request)  # no account linked
    services.request_link_subject(actor=referent, request=request, subject=citizen)
    with pytest.raises(Forbidden):
        services.export_request(actor=referent, request=request)  # nobody handles it
    services.request_assign(actor=referent, request=request, handler=dpo)
    with pytest.raises(Forbidden):
        services.export_request(actor=referent, request=request)  # the DPO handles it
    erasure = new_request(kind="erasure")
    services.request_assign(actor=referent, request=erasure, handler=referent)
    services.request_link_subject(actor=referent, request=erasure, subject=citizen)
    with pytest.raises(Conflict):
        services.export_request(actor=referent, request=erasure)


def test_the_export_is_requested_from_the_request_page(referent, new_request, citizen_with_a_case,
                                                       django_capture_on_commit_callbacks):
    citizen, _ = citizen_with_a_case
    request = new_request(requester_email=citizen.email)
    client = signed_in(referent)
    base = "privacy:request_action"
    assert client.post(reverse(base, args=[request.pk, "prendre"])).status_code == 302
    assert client.post(reverse(base, args=[request.pk, "compte"]),
                       {"email": "inconnu@exemple.fr"}).status_code == 400
    assert client.post(reverse(base, args=[request.pk, "compte"]),
                       {"email": citizen.email}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse(base, args=[request.pk, "export"])).status_code == 302
    assert "Export en préparation" in client.get(reverse("privacy:request", args=[request.pk])
                                                 ).content.decode()
    assert task_run_next(worker_id="test")
    text = client.get(reverse("privacy:request", args=[request.pk])).content.decode()
    assert "Télécharger l'export" in text


def test_a_handler_cannot_link_someone_elses_account_to_a_request(referent, new_request,
                                                                  make_user):
    somebody = make_user("voisin@exemple.fr")
    request = new_request(requester_email="camille@exemple.fr")
    with pytest.raises(ServiceError) as refused:
        services.request_link_subject(actor=referent, request=request, subject=somebody)
    assert refused.value.code == "account_mismatch"
    request.refresh_from_db()
    assert request.subject is None


def test_a_file_missing_from_the_store_fails_the_export_visibly_and_it_can_be_asked_again(
        referent, new_request, citizen_with_a_case, django_capture_on_commit_callbacks):
    from socle.core.blobs import blob_key, storage
    from socle.portal.models import CaseDocument

    citizen, _ = citizen_with_a_case
    lost = CaseDocument.objects.filter(name="courrier.pdf").get().blob
    storage.delete(blob_key(lost.sha256))
    request = _ready_request(referent, new_request, citizen, django_capture_on_commit_callbacks)
    assert request.export_status == "failed" and request.export_error
    text = signed_in(referent).get(reverse("privacy:request", args=[request.pk])).content.decode()
    assert "L'export a échoué" in text
    storage.save(blob_key(lost.sha256), io.BytesIO(PDF))
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(actor=referent, request=request)
    assert task_run_next(worker_id="test")
    request.refresh_from_db()
    assert request.export_status == "ready"
