"""Sharing a document with another commune: read-only access there, revocation, expiry, roles,
search, pages, API and journal."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from socle.core.access import granted_paths
from socle.core.models import AuditEvent
from socle.documents.circuits import CircuitRefused, StepSpec, circuit_start
from socle.documents.disposal import destruction_request
from socle.documents.models import DocumentShare
from socle.documents.selectors import (
    EDIT,
    SearchFilters,
    document_get_for,
    documents_for,
    documents_search,
)
from socle.documents.services import (
    DocumentRefused,
    document_add_version,
    document_update_metadata,
    version_text_extract,
)
from socle.documents.sharing import ShareRefused, document_share, document_unshare
from tests.support.clients import signed_in


@pytest.fixture
def venette_reader(territory, make_user):
    return make_user("lecteur.venette@exemple.fr", roles=[(territory["venette"], "documents.reader")])


@pytest.fixture
def margny_reader(territory, make_user):
    return make_user("lecteur.margny@exemple.fr",
                     roles=[(territory["margny-les-compiegne"], "documents.reader")])


@pytest.fixture
def shared(territory, editor, document):
    """The Compiègne document, shared with Venette."""
    document_share(actor=editor, document=document, organisation=territory["venette"],
                   reason="Projet commun de voirie")
    return document


def _visible_ids(actor) -> list[int]:
    return list(documents_for(actor=actor).values_list("pk", flat=True))


# ---------------------------------------------------------------- reading, not editing


def test_a_share_lets_the_other_communes_reader_see_the_document(shared, venette_reader):
    assert _visible_ids(venette_reader) == [shared.pk]
    assert document_get_for(actor=venette_reader, document_id=shared.pk).pk == shared.pk
    client = signed_in(venette_reader)
    page = client.get(f"/documents/{shared.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Partagé par Compiègne" in html and "Télécharger" in html
    # The owner's internal workflow and the sharing controls are not shown there.
    assert "Circuit de validation" not in html and "Partager" not in html
    download = client.get(f"/documents/{shared.pk}/versions/1/telecharger")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"Texte du document."


def test_the_recipient_may_never_edit_version_circuit_or_destroy(shared, territory, other_editor,
                                                                  chief):
    assert document_get_for(actor=other_editor, document_id=shared.pk).pk == shared.pk
    assert not documents_for(actor=other_editor, permission=EDIT).filter(pk=shared.pk).exists()
    with pytest.raises(DocumentRefused) as refused:
        document_update_metadata(actor=other_editor, document=shared, title="Détourné")
    assert refused.value.code == "forbidden"
    with pytest.raises(DocumentRefused) as refused:
        document_add_version(actor=other_editor, document=shared, stream=io.BytesIO(b"v2"),
                             file_name="v2.txt")
    assert refused.value.code == "forbidden"
    with pytest.raises(CircuitRefused) as circuit_refused:
        circuit_start(actor=other_editor, document=shared, steps=[StepSpec(assignee=chief)])
    assert circuit_refused.value.code == "forbidden"
    with pytest.raises(DocumentRefused) as refused:
        destruction_request(actor=other_editor, organisation=territory["venette"],
                            document_ids=[shared.pk])
    assert refused.value.code == "unknown_document"
    with pytest.raises(ShareRefused) as share_refused:
        document_share(actor=other_editor, document=shared, organisation=territory["margny-les-compiegne"])
    assert share_refused.value.code == "forbidden"
    client = signed_in(other_editor)
    assert client.get(f"/documents/{shared.pk}/circuit").status_code == 404
    assert client.post(f"/documents/{shared.pk}/partages",
                       {"share-organisation": "margny-les-compiegne"}).status_code == 403
    shared.refresh_from_db()
    assert shared.title == "Délibération budget" and shared.versions.count() == 1


def test_a_third_commune_still_gets_404(shared, margny_reader, api_client):
    assert _visible_ids(margny_reader) == []
    client = signed_in(margny_reader)
    assert client.get(f"/documents/{shared.pk}/").status_code == 404
    assert client.get(f"/documents/{shared.pk}/versions/1/telecharger").status_code == 404
    assert api_client(margny_reader).get(f"/api/v1/documents/{shared.pk}").status_code == 404


def test_revoking_a_share_makes_the_document_404_again(shared, editor, venette_reader):
    share = DocumentShare.objects.get(document=shared)
    document_unshare(actor=editor, share=share)
    assert _visible_ids(venette_reader) == []
    assert signed_in(venette_reader).get(f"/documents/{shared.pk}/").status_code == 404
    with pytest.raises(ShareRefused) as refused:
        document_unshare(actor=editor, share=share)
    assert refused.value.code == "already_revoked"


def test_a_share_lasts_until_its_expiry_day_included(territory, editor, document, venette_reader):
    today = timezone.localdate()
    share = document_share(actor=editor, document=document, organisation=territory["venette"],
                           expires_on=today)
    assert _visible_ids(venette_reader) == [document.pk]
    # The next day, the share has expired.
    DocumentShare.objects.filter(pk=share.pk).update(expires_on=today - timedelta(days=1))
    assert _visible_ids(venette_reader) == []
    assert signed_in(venette_reader).get(f"/documents/{document.pk}/").status_code == 404


def test_a_past_expiry_is_refused(territory, editor, document):
    with pytest.raises(ShareRefused) as refused:
        document_share(actor=editor, document=document, organisation=territory["venette"],
                       expires_on=timezone.localdate() - timedelta(days=1))
    assert refused.value.code == "invalid_expiry"
    assert not DocumentShare.objects.exists()


def test_sharing_again_replaces_the_share(shared, territory, editor, venette_reader):
    later = timezone.localdate() + timedelta(days=30)
    document_share(actor=editor, document=shared, organisation=territory["venette"], expires_on=later)
    current = DocumentShare.objects.get(document=shared, revoked_at__isnull=True)
    assert current.expires_on == later
    assert DocumentShare.objects.filter(document=shared).count() == 2
    assert _visible_ids(venette_reader) == [shared.pk]


def test_a_reader_of_the_owner_may_not_share(territory, reader, document):
    with pytest.raises(ShareRefused) as refused:
        document_share(actor=reader, document=document, organisation=territory["venette"])
    assert refused.value.code == "forbidden"


def test_no_share_with_the_owner_or_an_organisation_above_it(territory, editor, document):
    for organisation in (territory["compiegne"], territory["arc"]):
        with pytest.raises(ShareRefused) as refused:
            document_share(actor=editor, document=document, organisation=organisation)
        assert refused.value.code == "invalid_organisation"


def test_a_document_under_a_restricted_node_cannot_be_shared(territory, make_user, file_document,
                                                             venette_reader):
    archivist = make_user("archives.compiegne@exemple.fr",
                          roles=[(territory["compiegne"], "documents.archivist")])
    personal = file_document(archivist, territory["compiegne"], node="RH-01", title="Dossier agent")
    with pytest.raises(ShareRefused) as refused:
        document_share(actor=archivist, document=personal, organisation=territory["venette"])
    assert refused.value.code == "restricted" and "restreint" in refused.value.message
    # Even a share written before the node became restricted opens nothing.
    DocumentShare.objects.create(document=personal, organisation=territory["venette"])
    assert _visible_ids(venette_reader) == []


def test_shares_are_journaled(shared, editor):
    share = DocumentShare.objects.get(document=shared)
    event = AuditEvent.objects.get(action="documents.share")
    assert event.actor_id == editor.pk and event.organisation_slug == "compiegne"
    assert event.target_id == str(shared.pk)
    assert event.data["with"] == "venette" and event.data["reason"] == "Projet commun de voirie"
    document_unshare(actor=editor, share=share)
    event = AuditEvent.objects.get(action="documents.unshare")
    assert event.data == {"share": share.pk, "with": "venette"}


# ---------------------------------------------------------------- lists and search


def test_a_document_shared_twice_with_the_actor_is_listed_once(territory, editor, document,
                                                              make_user):
    both = make_user("lecteur.deux@exemple.fr", roles=[
        (territory["venette"], "documents.reader"),
        (territory["margny-les-compiegne"], "documents.reader")])
    for slug in ("venette", "margny-les-compiegne"):
        document_share(actor=editor, document=document, organisation=territory[slug])
    assert _visible_ids(both) == [document.pk]


def test_search_finds_shared_documents_for_the_recipient_only(territory, editor, other_editor,
                                                              file_document, venette_reader,
                                                              margny_reader):
    lighting = file_document(editor, territory["compiegne"], "Éclairage public de la rue Jeanne d'Arc.",
                             title="Éclairage")
    own = file_document(other_editor, territory["venette"], "Éclairage du stade.", title="Stade")
    for document in (lighting, own):
        assert document.current_version_id is not None
        version_text_extract(version_id=document.current_version_id)
    document_share(actor=editor, document=lighting, organisation=territory["venette"])

    def found(actor) -> set[int]:
        return {hit.document.pk
                for hit in documents_search(actor=actor, filters=SearchFilters(q="éclairage"))}

    assert found(venette_reader) == {lighting.pk, own.pk}
    assert found(margny_reader) == set()
    assert found(editor) == {lighting.pk}
    page = signed_in(venette_reader).get("/documents/?q=eclairage").content.decode()
    assert "Résultats (2)" in page and page.count("Partagé par Compiègne") == 1


def test_the_list_marks_shared_documents_in_a_constant_number_of_queries(
        territory, editor, file_document, venette_reader, django_assert_max_num_queries):
    client = signed_in(venette_reader)
    # Warms the session and the site's name, cached for a minute from now, not from an
    # earlier test (it would expire mid-test and cost one query).
    cache.clear()
    client.get("/documents/")

    def shared_documents(count: int) -> None:
        for index in range(count):
            document = file_document(editor, territory["compiegne"], title=f"Note {index}")
            document_share(actor=editor, document=document, organisation=territory["venette"])

    shared_documents(1)
    with django_assert_max_num_queries(7):
        page = client.get("/documents/").content.decode()
    assert page.count("Partagé par Compiègne") == 1
    shared_documents(9)
    with django_assert_max_num_queries(7):
        page = client.get("/documents/").content.decode()
    assert page.count("Partagé par Compiègne") == 10
    granted_paths(venette_reader, "documents.view")
    # The documents, and the actor's grants that restricted nodes are checked against.
    with django_assert_max_num_queries(2):
        assert len(list(documents_for(actor=venette_reader))) == 10


# ---------------------------------------------------------------- pages


def test_the_document_page_shares_and_removes_a_share(territory, editor, document, venette_reader):
    client = signed_in(editor)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Partage avec d'autres communes" in page and 'value="venette"' in page
    assert 'value="compiegne"' not in page
    expiry = timezone.localdate() + timedelta(days=10)
    response = client.post(f"/documents/{document.pk}/partages", {
        "share-organisation": "venette", "share-expires_on": expiry.isoformat(),
        "share-reason": "Dossier commun"})
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.pk}/"
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Le document est partagé avec Venette." in page and "Dossier commun" in page
    assert expiry.strftime("%d/%m/%Y") in page
    assert signed_in(venette_reader).get(f"/documents/{document.pk}/").status_code == 200
    response = client.post(f"/documents/{document.pk}/partages/venette/retirer")
    assert response.status_code == 302
    assert signed_in(venette_reader).get(f"/documents/{document.pk}/").status_code == 404


def test_the_share_form_reports_a_past_date_in_french(territory, editor, document):
    response = signed_in(editor).post(f"/documents/{document.pk}/partages", {
        "share-organisation": "venette",
        "share-expires_on": (timezone.localdate() - timedelta(days=2)).isoformat()})
    assert response.status_code == 400 and "déjà passée" in response.content.decode()
    assert not DocumentShare.objects.exists()


def test_a_reader_of_the_owner_sees_no_share_form_and_is_refused(territory, reader, document):
    client = signed_in(reader)
    assert "Partage avec d'autres communes" not in client.get(f"/documents/{document.pk}/").content.decode()
    response = client.post(f"/documents/{document.pk}/partages", {"share-organisation": "venette"})
    assert response.status_code == 403 and not DocumentShare.objects.exists()


def test_another_commune_cannot_share_nor_remove_through_the_pages(shared, margny_reader, make_user,
                                                                   territory):
    margny_editor = make_user("ged.margny@exemple.fr",
                              roles=[(territory["margny-les-compiegne"], "documents.editor")])
    client = signed_in(margny_editor)
    assert client.post(f"/documents/{shared.pk}/partages",
                       {"share-organisation": "margny-les-compiegne"}).status_code == 404
    assert client.post(f"/documents/{shared.pk}/partages/venette/retirer").status_code == 404
    assert DocumentShare.objects.get(document=shared).revoked_at is None


# ---------------------------------------------------------------- API


def test_the_api_shares_then_the_recipient_reads_then_it_is_removed(territory, editor, document,
                                                                     venette_reader, api_client):
    client = api_client(editor)
    response = client.post(f"/api/v1/documents/{document.pk}/shares", data={
        "organisation": "venette", "expires_on": "2999-12-31", "reason": "Voirie"},
        content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation"] == "venette" and body["expires_on"] == "2999-12-31"
    assert body["granted_by"] == editor.email and body["document"] == document.pk
    reading = api_client(venette_reader).get(f"/api/v1/documents/{document.pk}")
    assert reading.status_code == 200 and reading.json()["organisation"] == "compiegne"
    hits = api_client(venette_reader).get("/api/v1/documents/search?q=budget").json()["items"]
    assert [hit["id"] for hit in hits] == [document.pk]
    assert client.delete(f"/api/v1/documents/{document.pk}/shares/venette").status_code == 204
    assert api_client(venette_reader).get(f"/api/v1/documents/{document.pk}").status_code == 404
    again = client.delete(f"/api/v1/documents/{document.pk}/shares/venette")
    assert again.status_code == 404 and again.json()["code"] == "not_found"


def test_the_api_refuses_a_reader_and_hides_the_document_from_another_commune(
        shared, reader, margny_reader, venette_reader, api_client):
    payload = {"organisation": "margny-les-compiegne"}
    for actor in (reader, venette_reader):
        response = api_client(actor).post(f"/api/v1/documents/{shared.pk}/shares", data=payload,
                                          content_type="application/json")
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        removal = api_client(actor).delete(f"/api/v1/documents/{shared.pk}/shares/venette")
        assert removal.status_code == 403
    response = api_client(margny_reader).post(f"/api/v1/documents/{shared.pk}/shares", data=payload,
                                              content_type="application/json")
    assert response.status_code == 404
    assert api_client(margny_reader).delete(
        f"/api/v1/documents/{shared.pk}/shares/venette").status_code == 404
    assert DocumentShare.objects.filter(revoked_at__isnull=True).count() == 1


def test_the_api_reports_bad_targets_in_french(territory, editor, document, api_client):
    client = api_client(editor)
    url = f"/api/v1/documents/{document.pk}/shares"
    unknown = client.post(url, data={"organisation": "atlantis"}, content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_organisation"
    own = client.post(url, data={"organisation": "compiegne"}, content_type="application/json")
    assert own.status_code == 400 and own.json()["code"] == "invalid_organisation"
    past = client.post(url, data={"organisation": "venette", "expires_on": "2000-01-01"},
                       content_type="application/json")
    assert past.status_code == 400 and past.json()["code"] == "invalid_expiry"
    assert not DocumentShare.objects.exists()


def test_the_share_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/documents/{document_id}/shares"]
    assert "delete" in paths["/api/v1/documents/{document_id}/shares/{organisation}"]
