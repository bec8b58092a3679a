"""The GED's API: success, wrong role, invisibility across communes, bad uploads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from socle.documents.services import version_text_extract

from .conftest import pdf_bytes


def _post(client, **fields):
    return client.post("/api/v1/documents", data=fields)


def _upload(content: bytes, name: str = "note.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_file_plans_list_the_nodes_the_caller_may_file_under(territory, compiegne_plan, editor,
                                                             api_client):
    response = api_client(editor).get("/api/v1/file-plans?organisation=compiegne&limit=100")
    assert response.status_code == 200
    assert response.json()["next"] is None
    codes = {node["code"]: node for node in response.json()["items"]}
    assert codes["PAT-02"]["retention_period"] == 15 and "CPG-JUM" in codes and "title" in codes["FIN"]


def test_file_plans_of_another_commune_are_not_found(territory, compiegne_plan, other_editor, api_client):
    response = api_client(other_editor).get("/api/v1/file-plans?organisation=compiegne")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_reader_may_file_under_no_node(territory, reference, reader, api_client):
    assert api_client(reader).get("/api/v1/file-plans?organisation=compiegne").json() == {
        "items": [], "next": None}


def test_a_document_is_filed_then_read_with_its_versions(territory, reference, editor, api_client):
    client = api_client(editor)
    response = _post(client, file=_upload(pdf_bytes("Acte d'engagement"), "acte.pdf"),
                     organisation="compiegne", node="MP-01", title="Acte d'engagement",
                     doc_type="piece_marche",
                     metadata=json.dumps({"numero_marche": "2025-MP-01", "titulaire": "SARL Dupont"}),
                     tags="marché,voirie", document_date="2025-02-01")
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    body = client.get(f"/api/v1/documents/{document_id}").json()
    assert body["metadata"]["titulaire"] == "SARL Dupont" and body["tags"] == ["marché", "voirie"]
    assert body["versions"][0]["name"] == "20250201_2025-MP-01_Acte-d-engagement.pdf"
    assert body["versions"][0]["mime_type"] == "application/pdf"
    assert body["versions"][0]["text_status"] == "pending"


def test_a_reader_may_not_file(territory, reference, reader, api_client):
    response = _post(api_client(reader), file=_upload(b"x"), organisation="compiegne", node="PAT-02")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_filing_for_another_commune_is_not_found(territory, reference, other_editor, api_client):
    response = _post(api_client(other_editor), file=_upload(b"x"), organisation="compiegne",
                     node="PAT-02")
    assert response.status_code == 404


@pytest.mark.parametrize(("content", "name", "code"), [
    (b"", "vide.txt", "empty_file"),
    (b"Pas un PDF", "faux.pdf", "type_mismatch"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 10, "programme.txt", "unsupported_type"),
])
def test_bad_uploads_are_refused_with_400(territory, reference, editor, api_client, content, name, code):
    response = _post(api_client(editor), file=_upload(content, name), organisation="compiegne",
                     node="PAT-02")
    assert response.status_code == 400 and response.json()["code"] == code


def test_an_unknown_node_and_bad_metadata_are_400(territory, reference, editor, api_client):
    client = api_client(editor)
    unknown = _post(client, file=_upload(b"x"), organisation="compiegne", node="NOPE")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_node"
    invalid = _post(client, file=_upload(b"x"), organisation="compiegne", node="MP-01", metadata="{}")
    assert invalid.status_code == 400 and invalid.json()["errors"][0]["field"] == "numero_marche"


def test_a_file_over_the_cap_is_413(territory, reference, editor, api_client, settings):
    settings.BLOB_MAX_SIZE = 1000
    response = _post(api_client(editor), file=_upload(b"a" * 5000), organisation="compiegne",
                     node="PAT-02")
    assert response.status_code == 413


def test_a_document_of_another_commune_is_not_found(territory, reference, editor, other_editor,
                                                    api_client, file_document):
    document = file_document(editor, territory["compiegne"])
    assert api_client(other_editor).get(f"/api/v1/documents/{document.pk}").status_code == 404
    assert api_client(editor).get(f"/api/v1/documents/{document.pk}").status_code == 200


def test_search_returns_ranked_hits_with_excerpts_and_never_the_full_text(
        territory, reference, editor, other_editor, api_client, file_document):
    document = file_document(editor, territory["compiegne"], "Les délibérations du conseil municipal.",
                             title="Registre")
    assert document.current_version_id is not None
    version_text_extract(version_id=document.current_version_id)
    hits = api_client(editor).get(
        "/api/v1/documents/search?q=deliberation&organisation=compiegne").json()["items"]
    assert [hit["id"] for hit in hits] == [document.pk]
    assert set(hits[0]) == {"id", "title", "organisation", "node", "score", "excerpt"}
    assert "<mark>délibérations</mark>" in hits[0]["excerpt"]
    assert api_client(other_editor).get("/api/v1/documents/search?q=deliberation").json() == {
        "items": [], "next": None}


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ["/api/v1/file-plans", "/api/v1/documents", "/api/v1/documents/search",
                 "/api/v1/documents/{document_id}"]:
        assert path in paths


def test_anonymous_callers_are_refused(api_client, territory):
    assert api_client(None).get("/api/v1/documents/search?q=x").status_code == 401
