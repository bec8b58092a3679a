"""Retention lists, legal holds and destruction: rules, roles, certificate, shared files, tenancy."""

from __future__ import annotations

import io
from datetime import date

import pytest

from socle.core.blobs import blob_key, storage, storage_reset
from socle.core.models import AuditEvent, Blob
from socle.documents import disposal, search, selectors
from socle.documents.models import Document, DocumentVersion
from socle.documents.retention import retention_compute
from socle.documents.services import DocumentRefused, document_add_version, document_close
from tests.support.clients import signed_in

OLD = date(2015, 3, 1)
TODAY = date(2026, 1, 1)


@pytest.fixture
def blob_dir(settings, tmp_path):
    settings.BLOB_DIR = tmp_path / "blobs"
    storage_reset()
    yield settings.BLOB_DIR
    storage_reset()


@pytest.fixture
def second_archivist(territory, make_user):
    return make_user("archives2.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "documents.archivist")])


def due_destroy(file_document, editor, territory, text="Offre non retenue.", **values):
    """A document of MP-02 (5 years from its date, then destroy) dated 2015: due."""
    return file_document(editor, territory["compiegne"], text, node="MP-02", document_date=OLD,
                         **values)


@pytest.mark.parametrize(("rule", "dates", "expected"), [
    ({"period": 5, "unit": "year", "start_event": "document_date"},
     {"document_date": date(2016, 2, 29)}, (date(2016, 2, 29), date(2021, 2, 28))),
    ({"period": 18, "unit": "month", "start_event": "document_date"},
     {"document_date": date(2020, 8, 31)}, (date(2020, 8, 31), date(2022, 2, 28))),
    ({"period": 10, "unit": "year", "start_event": "closing"},
     {"closed_on": date(2019, 12, 31)}, (date(2019, 12, 31), date(2029, 12, 31))),
    ({"period": 10, "unit": "year", "start_event": "closing"}, {}, (None, None)),
    ({"period": 2, "unit": "month", "start_event": "creation"}, {}, (date(2024, 1, 15), date(2024, 3, 15))),
])
def test_the_end_of_retention_follows_the_rule(rule, dates, expected):
    values = {"document_date": None, "closed_on": None, **dates}
    assert retention_compute(rule, created_on=date(2024, 1, 15), **values) == expected


def test_due_lists_split_transfer_destroy_and_held(territory, reference, editor, archivist,
                                                   file_document):
    destroy = due_destroy(file_document, editor, territory, title="Offre A")
    keep = file_document(editor, territory["compiegne"], "Budget", node="FIN-01", document_date=OLD,
                         doc_type="budget", metadata={"exercice": 2015}, title="Budget 2015")
    sort = file_document(editor, territory["compiegne"], "Travaux", node="PAT-02", title="Travaux")
    document_close(actor=editor, document=sort, closed_on=OLD)
    held = due_destroy(file_document, editor, territory, title="Offre contestée")
    disposal.legal_hold_set(actor=archivist, document=held, reason="Contentieux en cours")
    not_due = file_document(editor, territory["compiegne"], "Récente", node="MP-02",
                            document_date=date(2025, 6, 1), title="Offre récente")
    due = selectors.retention_due(actor=archivist, organisation=territory["compiegne"], on=TODAY)
    assert [d.pk for d in due.to_destroy] == [destroy.pk]
    assert {d.pk for d in due.to_transfer} == {keep.pk, sort.pk}
    assert [d.pk for d in due.held] == [held.pk]
    assert not_due.pk not in {d.pk for d in due.to_destroy + due.to_transfer + due.held}


def test_due_lists_are_per_organisation_and_invisible_elsewhere(territory, reference, editor,
                                                                other_editor, file_document):
    due_destroy(file_document, editor, territory)
    assert selectors.retention_due(actor=other_editor, organisation=territory["compiegne"],
                                   on=TODAY).to_destroy == []
    assert selectors.retention_due(actor=editor, organisation=territory["venette"], on=TODAY).to_destroy == []


def test_a_legal_hold_is_an_archivists_and_journaled_with_its_reason(territory, reference, editor,
                                                                    archivist, file_document):
    document = due_destroy(file_document, editor, territory)
    with pytest.raises(DocumentRefused) as refused:
        disposal.legal_hold_set(actor=editor, document=document, reason="Contentieux")
    assert refused.value.code == "forbidden"
    disposal.legal_hold_set(actor=archivist, document=document, reason="Contentieux n° 12")
    event = AuditEvent.objects.filter(action="documents.legal_hold_set").get()
    assert event.data["reason"] == "Contentieux n° 12"
    assert Document.objects.get(pk=document.pk).legal_hold


def test_a_held_document_cannot_be_requested_for_destruction(territory, reference, editor,
                                                             archivist, file_document):
    document = due_destroy(file_document, editor, territory)
    disposal.legal_hold_set(actor=archivist, document=document, reason="Enquête")
    with pytest.raises(DocumentRefused, match="gel juridique"):
        disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                     document_ids=[document.pk])


def test_a_hold_set_after_the_request_blocks_approval(territory, reference, editor, archivist,
                                                      file_document):
    document = due_destroy(file_document, editor, territory)
    request = disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                           document_ids=[document.pk])
    disposal.legal_hold_set(actor=archivist, document=document, reason="Enquête")
    with pytest.raises(DocumentRefused, match="gel juridique"):
        disposal.destruction_approve(actor=archivist, request=request)
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_document_not_due_or_to_keep_cannot_be_requested(territory, reference, editor,
                                                           file_document):
    recent = file_document(editor, territory["compiegne"], "x", node="MP-02",
                           document_date=date.today(), title="Récente")
    keep = file_document(editor, territory["compiegne"], "Budget", node="FIN-01", document_date=OLD,
                         doc_type="budget", metadata={"exercice": 2015})
    for document in (recent, keep):
        with pytest.raises(DocumentRefused) as refused:
            disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                         document_ids=[document.pk])
        assert refused.value.code == "not_destroyable"


def test_approval_and_execution_need_an_archivist(territory, reference, editor, archivist,
                                                  file_document):
    document = due_destroy(file_document, editor, territory)
    request = disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                           document_ids=[document.pk])
    with pytest.raises(DocumentRefused) as refused:
        disposal.destruction_approve(actor=editor, request=request)
    assert refused.value.code == "forbidden"
    with pytest.raises(DocumentRefused) as refused:
        disposal.destruction_execute(actor=archivist, request=request)
    assert refused.value.code == "invalid_status", "a pending request is not executed"
    assert Document.objects.filter(pk=document.pk).exists()


def test_an_archivist_of_another_commune_cannot_approve(territory, reference, editor, make_user,
                                                        file_document):
    venette = make_user("archives.venette@exemple.fr", roles=[(territory["venette"], "documents.archivist")])
    document = due_destroy(file_document, editor, territory)
    request = disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                           document_ids=[document.pk])
    with pytest.raises(DocumentRefused):
        disposal.destruction_approve(actor=venette, request=request)


def test_execution_destroys_and_leaves_a_certificate(territory, reference, editor, archivist,
                                                     file_document, blob_dir,
                                                     django_capture_on_commit_callbacks):
    document = due_destroy(file_document, editor, territory, "Offre de la société Alpha.",
                           title="Offre Alpha")
    document_add_version(actor=editor, document=document, stream=io.BytesIO(b"Offre corrigee."),
                         file_name="offre-v2.txt")
    digests = list(DocumentVersion.objects.filter(document=document).values_list("blob_id", flat=True))
    request = disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                           document_ids=[document.pk], comment="Lot 2015")
    disposal.destruction_approve(actor=archivist, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = disposal.destruction_execute(actor=archivist, request=request)
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not DocumentVersion.objects.filter(blob_id__in=digests).exists()
    assert not Blob.objects.filter(pk__in=digests).exists()
    assert not any(storage.exists(blob_key(sha)) for sha in digests)
    data = AuditEvent.objects.get(seq=certificate.seq).data
    assert data["organisation"] == "compiegne"
    assert data["approved_by"] == archivist.email and data["requested_by"] == editor.email
    assert data["request"] == request.pk
    [entry] = data["documents"]
    assert entry["id"] == document.pk and entry["title"] == "Offre Alpha" and entry["node"] == "MP-02"
    assert entry["retention_rule"]["final_action"] == "destroy"
    assert [v["sha256"] for v in entry["versions"]] == digests
    assert search.indexed_ids([document.pk]) == set()


def test_a_file_shared_with_another_document_is_kept(territory, reference, editor, archivist,
                                                     file_document, blob_dir,
                                                     django_capture_on_commit_callbacks):
    same = "Le même contenu, déposé deux fois."
    doomed = due_destroy(file_document, editor, territory, same)
    survivor = file_document(editor, territory["compiegne"], same, node="FIN-02", title="Copie")
    sha = doomed.current_version.blob_id
    assert survivor.current_version.blob_id == sha
    request = disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                           document_ids=[doomed.pk])
    disposal.destruction_approve(actor=archivist, request=request)
    with django_capture_on_commit_callbacks(execute=True):
        disposal.destruction_execute(actor=archivist, request=request)
    assert Blob.objects.filter(pk=sha).exists() and storage.exists(blob_key(sha))
    assert Document.objects.filter(pk=survivor.pk).exists()


def test_transfer_metadata_carries_the_rules_and_digests(territory, reference, editor, file_document):
    document = file_document(editor, territory["compiegne"], "Budget", node="FIN-01",
                             document_date=OLD, doc_type="budget", metadata={"exercice": 2015},
                             title="Budget 2015")
    meta = selectors.transfer_metadata(document=document)
    assert meta["originating_agency"]["slug"] == "compiegne"
    assert meta["originating_agency"]["siret"] == territory["compiegne"].siret
    assert meta["node"]["code"] == "FIN-01"
    assert meta["appraisal_rule"]["duration"] == "P10Y"
    assert meta["appraisal_rule"]["start_date"] == "2015-03-01"
    assert meta["appraisal_rule"]["final_action"] == "Keep"
    assert meta["access_rule"]["rule"] == "internal"
    [version] = meta["versions"]
    assert version["sha256"] == document.current_version.blob_id
    assert version["mime_type"] == "text/plain" and version["size"] == len(b"Budget")


def test_the_api_lists_due_documents_for_visible_organisations_only(territory, reference, editor,
                                                                    other_editor, api_client,
                                                                    file_document):
    document = due_destroy(file_document, editor, territory)
    body = api_client(editor).get("/api/v1/documents/retention?organisation=compiegne").json()
    assert [(row["id"], row["due"]) for row in body["items"]] == [(document.pk, "destroy")]
    response = api_client(other_editor).get("/api/v1/documents/retention?organisation=compiegne")
    assert response.status_code == 404 and response.json()["code"]


def test_the_sort_final_page_runs_request_approval_and_certificate(territory, reference, editor,
                                                                    archivist, file_document):
    document = due_destroy(file_document, editor, territory, title="Offre Bêta")
    page = signed_in(editor).get("/documents/sort-final/compiegne/")
    assert page.status_code == 200 and "Offre Bêta" in page.content.decode()
    signed_in(editor).post("/documents/sort-final/compiegne/destruction",
                           {"document": [document.pk], "comment": "Lot"})
    request = selectors.destruction_requests_for(actor=archivist, organisation=territory["compiegne"]).get()
    refused = signed_in(editor).post(f"/documents/destructions/{request.pk}/decision",
                                     {"action": "approve"}, follow=True)
    assert "Seul un archiviste" in refused.content.decode()
    signed_in(archivist).post(f"/documents/destructions/{request.pk}/decision", {"action": "approve"})
    done = signed_in(archivist).post(f"/documents/destructions/{request.pk}/decision",
                                     {"action": "execute"}, follow=True)
    assert "Certificat de destruction" in done.content.decode()
    assert "Offre Bêta" in done.content.decode()
    assert not Document.objects.filter(pk=document.pk).exists()


def test_the_sort_final_page_of_another_commune_is_a_404(territory, reference, other_editor):
    assert signed_in(other_editor).get("/documents/sort-final/compiegne/").status_code == 404


def test_the_sort_final_index_lists_only_visible_organisations(territory, editor):
    page = signed_in(editor).get("/documents/sort-final/").content.decode()
    assert "/documents/sort-final/compiegne/" in page
    assert "/documents/sort-final/venette/" not in page


def test_a_document_is_in_one_open_destruction_request_at_most(territory, reference, editor,
                                                               file_document):
    document = due_destroy(file_document, editor, territory)
    disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                 document_ids=[document.pk])
    with pytest.raises(DocumentRefused) as refused:
        disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                     document_ids=[document.pk])
    assert refused.value.code == "already_requested"


def test_a_restricted_document_does_not_leak_through_a_destruction_request(
        territory, reference, editor, file_document):
    """Naming a document one may not read gives neither its title nor a request."""
    from socle.documents.models import DestructionRequest

    document = due_destroy(file_document, editor, territory, title="Dossier disciplinaire X")
    document.node.access_rule = "restricted:documents.archivist"
    document.node.save(update_fields=["access_rule"])
    with pytest.raises(DocumentRefused) as refused:
        disposal.destruction_request(actor=editor, organisation=territory["compiegne"],
                                     document_ids=[document.pk])
    assert refused.value.code == "unknown_document"
    assert "disciplinaire" not in refused.value.message
    assert not DestructionRequest.objects.exists()


def test_the_retention_api_pages_the_due_documents_and_says_what_each_waits_for(
        territory, reference, editor, archivist, file_document, api_client):
    destroy = [due_destroy(file_document, editor, territory, title=f"Offre {n}") for n in range(3)]
    keep = file_document(editor, territory["compiegne"], "Budget", node="FIN-01", document_date=OLD,
                         doc_type="budget", metadata={"exercice": 2015}, title="Budget 2015")
    held = due_destroy(file_document, editor, territory, title="Offre contestée")
    disposal.legal_hold_set(actor=archivist, document=held, reason="Contentieux en cours")
    client = api_client(archivist)
    url = "/api/v1/documents/retention?organisation=compiegne&on=2026-01-01&limit=2"
    seen: dict[int, str] = {}
    cursor, pages = "", 0
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        assert len(body["items"]) <= 2 and body["organisation"] == "compiegne"
        seen.update({item["id"]: item["due"] for item in body["items"]})
        pages += 1
        if not (cursor := body["next"]):
            break
    assert pages == 3
    assert seen == {**{d.pk: "destroy" for d in destroy}, keep.pk: "transfer", held.pk: "held"}
    only_held = client.get(url + "&due=held").json()
    assert [item["id"] for item in only_held["items"]] == [held.pk] and only_held["next"] is None
    assert client.get(url + "&cursor=nimportequoi").json()["code"] == "invalid_cursor"
    assert client.get(url + "&due=tout").status_code == 400

