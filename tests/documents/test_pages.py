"""The GED's pages: list and search, deposit, document page and download; roles and tenancy."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from socle.core.models import Consultation
from socle.documents.models import Document, FilePlanNode
from socle.documents.naming import ascii_fold
from socle.documents.services import document_create, version_text_extract
from tests.documents.conftest import pdf_bytes
from tests.support.clients import signed_in
from tests.support.downloads import served_name


def test_the_list_shows_the_communes_documents_only(territory, reference, editor, other_editor,
                                                    file_document):
    mine = file_document(editor, territory["compiegne"], title="Note de Compiègne")
    file_document(other_editor, territory["venette"], title="Note de Venette")
    page = signed_in(editor).get("/documents/").content.decode()
    assert mine.title in page and "Note de Venette" not in page


def test_the_search_page_highlights_matches(territory, reference, editor, file_document):
    document = file_document(editor, territory["compiegne"], "Rapport sur l'éclairage public.",
                             title="Rapport")
    assert document.current_version_id is not None
    version_text_extract(version_id=document.current_version_id)
    page = signed_in(editor).get("/documents/?q=eclairage").content.decode()
    assert "<mark>éclairage</mark>" in page and "Résultats (1)" in page
    # People are told how results are ranked (decision 0010).
    assert "parmi les 500 plus récents qui contiennent ces mots" in page


def test_a_person_without_a_ged_role_gets_a_french_403(territory, make_user):
    citizen = make_user(commune=territory["compiegne"])
    response = signed_in(citizen).get("/documents/")
    assert response.status_code == 403 and "réservé" in response.content.decode()


def test_the_upload_page_files_a_document(territory, reference, editor):
    client = signed_in(editor)
    assert "PAT-02" in client.get("/documents/deposer").content.decode()
    response = client.post("/documents/deposer", data={
        "organisation": "compiegne", "node": "PAT-02", "title": "Devis toiture",
        "file": SimpleUploadedFile("devis.txt", b"Devis de reprise de toiture")})
    document = Document.objects.get(title="Devis toiture")
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.pk}/"


def test_the_upload_page_shows_a_refusal_in_french(territory, reference, editor):
    response = signed_in(editor).post("/documents/deposer", data={
        "organisation": "compiegne", "node": "PAT-02",
        "file": SimpleUploadedFile("faux.pdf", b"Pas un PDF")})
    assert response.status_code == 400 and "ne correspond pas" in response.content.decode()


def test_filing_picks_a_node_in_the_plan_tree_found_by_a_word_without_accents(
        territory, reference, editor):
    client = signed_in(editor)
    page = client.get("/documents/deposer").content.decode()
    assert 'type="radio" name="node"' in page and 'value="PAT-02"' in page
    node = FilePlanNode.objects.filter(code="PAT-02").first()
    assert node is not None
    word = ascii_fold(node.title.split()[-1]).upper()
    found = client.get("/documents/deposer", {"noeud": word}).content.decode()
    assert 'value="PAT-02"' in found
    assert found.count('type="radio" name="node"') < page.count('type="radio" name="node"')
    # A code that is not in the organisation's plan is refused in French, nothing filed.
    response = client.post("/documents/deposer", data={
        "organisation": "compiegne", "node": "pat-02", "title": "Devis",
        "file": SimpleUploadedFile("devis.txt", b"Devis")})
    assert response.status_code == 400
    assert "Choisissez un nœud du plan de classement" in response.content.decode()
    assert not Document.objects.filter(title="Devis").exists()


def test_a_reader_cannot_open_the_upload_page(territory, reference, reader):
    assert signed_in(reader).get("/documents/deposer").status_code == 403


def test_the_document_page_lists_versions_and_downloads_as_attachment(territory, reference, editor,
                                                                      file_document):
    document = file_document(editor, territory["compiegne"], "Contenu", title="Note")
    client = signed_in(editor)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Télécharger" in page and "Versions" in page
    download = client.get(f"/documents/{document.pk}/versions/1/telecharger")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"Contenu"
    assert served_name(download).endswith(".txt")
    assert download["Content-Type"] == "application/octet-stream"


def test_a_version_downloads_under_the_extension_of_its_content(territory, reference, editor):
    document = document_create(actor=editor, organisation=territory["compiegne"],
                               node_code="PAT-02", stream=io.BytesIO(pdf_bytes("Arrêté")),
                               file_name="arrete.exe", title="Arrêté de voirie")
    download = signed_in(editor).get(f"/documents/{document.pk}/versions/1/telecharger")
    assert served_name(download).endswith(".pdf") and ".exe" not in served_name(download)


def test_a_document_of_another_commune_is_404(territory, reference, editor, other_editor, file_document):
    document = file_document(editor, territory["compiegne"])
    client = signed_in(other_editor)
    assert client.get(f"/documents/{document.pk}/").status_code == 404
    assert client.get(f"/documents/{document.pk}/versions/1/telecharger").status_code == 404
    assert not Consultation.objects.exists()


def test_downloading_a_version_is_recorded_as_a_consultation(territory, reference, editor,
                                                             reader, file_document):
    document = file_document(editor, territory["compiegne"], "Contenu", title="Note")
    assert signed_in(reader).get(f"/documents/{document.pk}/versions/1/telecharger"
                                 ).status_code == 200
    [row] = Consultation.objects.exclude(action="token.use")
    version = document.versions.get(number=1)
    assert (row.action, row.actor, row.organisation_slug, row.target_type, row.target_id) == (
        "documents.version_consult", reader, "compiegne", "documents.documentversion",
        str(version.pk))
    assert row.data == {"document": document.pk, "version": 1}
