"""Full-text search in French, on the database in use (run the suite on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import zoneinfo
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from socle.core.models import AuditEvent
from socle.documents import search
from socle.documents.models import Document, DocumentVersion
from socle.documents.selectors import SearchFilters, documents_search
from socle.documents.services import (
    document_add_version,
    document_create,
    document_update_metadata,
    version_text_extract,
)


def _filed(actor, organisation, text, *, title="Document", node="PAT-02", **values) -> Document:
    document = document_create(actor=actor, organisation=organisation, node_code=node,
                               stream=io.BytesIO(text.encode()), file_name="texte.txt", title=title,
                               **values)
    assert document.current_version_id is not None
    version_text_extract(version_id=document.current_version_id)
    document.refresh_from_db()
    return document


def _ids(actor, q, **filters) -> list[int]:
    return [hit.document.pk for hit in documents_search(actor=actor, filters=SearchFilters(q=q, **filters))]


@pytest.fixture
def corpus(territory, reference, editor):
    compiegne = territory["compiegne"]
    return {
        "deliberations": _filed(editor, compiegne, "Registre des délibérations du conseil municipal.",
                                title="Registre 2025"),
        "archiver": _filed(editor, compiegne, "Il faut archiver les dossiers de voirie.",
                           title="Note voirie"),
        "piscine": _filed(editor, compiegne, "Horaires d'ouverture de la piscine.", title="Piscine"),
    }


def test_a_plural_finds_the_singular(corpus, editor):
    assert _ids(editor, "délibération") == [corpus["deliberations"].pk]


def test_accents_are_ignored(corpus, editor):
    assert _ids(editor, "deliberations") == [corpus["deliberations"].pk]


def test_a_verb_finds_its_other_forms(corpus, editor):
    assert _ids(editor, "archivés") == [corpus["archiver"].pk]


def test_every_word_must_match(corpus, editor):
    assert _ids(editor, "piscine voirie") == []


def test_another_communes_documents_never_appear(territory, corpus, other_editor):
    _filed(other_editor, territory["venette"], "Délibération de Venette.", title="Venette")
    hits = _ids(other_editor, "délibération")
    assert corpus["deliberations"].pk not in hits and len(hits) == 1


def test_a_match_in_the_title_ranks_above_a_match_in_the_text(territory, corpus, editor):
    for index in range(6):  # a corpus where the word is rare, as in real life
        _filed(editor, territory["compiegne"], f"Compte rendu de chantier n° {index}.", title="Chantier")
    in_text = _filed(editor, territory["compiegne"], "Note sur la subvention au club de football.",
                     title="Note sport")
    in_title = _filed(editor, territory["compiegne"], "Note sur le club de football amateur.",
                      title="Subvention sport")
    assert _ids(editor, "subventions") == [in_title.pk, in_text.pk]


def test_an_excerpt_is_a_highlighted_window_not_the_full_text(territory, corpus, editor):
    long_text = "Préambule. " * 500 + "La délibération est adoptée. " + "Annexe. " * 500
    document = _filed(editor, territory["compiegne"], long_text, title="Procès-verbal")
    hit = next(h for h in documents_search(actor=editor, filters=SearchFilters(q="délibération"))
               if h.document.pk == document.pk)
    assert "<mark>délibération</mark>" in hit.excerpt and len(hit.excerpt) < 600
    assert hit.score > 0


def test_excerpts_escape_the_document_text(territory, reference, editor):
    _filed(editor, territory["compiegne"], "Subvention accordée : <script>alert(1)</script>",
           title="Subvention")
    excerpt = documents_search(actor=editor, filters=SearchFilters(q="subvention"))[0].excerpt
    # PostgreSQL's headline may leave the tag out, SQLite's excerpt escapes it: never raw.
    assert "<script>" not in excerpt and "<mark>Subvention</mark>" in excerpt


def test_filters_apply_to_search(territory, reference, editor):
    compiegne = territory["compiegne"]
    wanted = _filed(editor, compiegne, "Marché de travaux de la mairie.", node="MP-01",
                    doc_type="piece_marche", metadata={"numero_marche": "2025-01"})
    _filed(editor, compiegne, "Marché de travaux de l'école.", node="MP-01", doc_type="piece_marche",
           metadata={"numero_marche": "2025-02"})
    _filed(editor, compiegne, "Marché hebdomadaire du centre-ville.")
    assert set(_ids(editor, "marché", node="MP-01")) == {wanted.pk, wanted.pk + 1}
    assert _ids(editor, "marché", metadata={"numero_marche": "2025-01"}) == [wanted.pk]
    assert _ids(editor, "marché", organisation="venette") == []


def test_a_document_is_searchable_by_title_in_the_transaction_that_files_it(territory, reference,
                                                                            editor):
    document = document_create(actor=editor, organisation=territory["compiegne"], node_code="PAT-02",
                               stream=io.BytesIO(b"contenu"), file_name="a.txt",
                               title="Ravalement de façade")
    assert _ids(editor, "ravalement") == [document.pk]
    assert not document.text_indexed


def test_metadata_changes_are_reindexed(territory, corpus, editor):
    document_update_metadata(actor=editor, document=corpus["piscine"], title="Piscine Mercières",
                             tags=["équipement sportif"])
    assert _ids(editor, "sportifs") == [corpus["piscine"].pk]


def test_a_new_version_replaces_the_old_text_in_the_index(territory, corpus, editor):
    document = corpus["piscine"]
    version = document_add_version(actor=editor, document=document, stream=io.BytesIO(
        b"Tarifs des cantines scolaires."), file_name="v2.txt")
    assert _ids(editor, "horaires") == [], "the old version's text leaves the index at once"
    version_text_extract(version_id=version.pk)
    assert _ids(editor, "cantine") == [document.pk]


def test_the_index_holds_every_document(corpus):
    assert search.indexed_ids(d.pk for d in corpus.values()) == {d.pk for d in corpus.values()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgres_uses_the_gin_index_of_the_french_unaccented_vector(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'documents_search'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT documents_unaccent('Délibération')")
        assert cursor.fetchone()[0] == "Deliberation"
    assert "gin" in definitions


worker_test = pytest.mark.django_db(transaction=True)


@worker_test
def test_the_worker_extracts_and_indexes_the_text_after_commit(territory, reference, editor):
    document = document_create(actor=editor, organisation=territory["compiegne"], node_code="PAT-02",
                               stream=io.BytesIO("Convention de déneigement des trottoirs.".encode()),
                               file_name="convention.txt", title="Convention")
    assert _ids(editor, "déneigement") == []
    call_command("worker", batch=True)
    version = DocumentVersion.objects.get(pk=document.current_version_id)
    assert version.text_status == "done"
    assert _ids(editor, "deneigement") == [document.pk]
    assert Document.objects.get(pk=document.pk).text_indexed


# ---------------------------------------------------------------- bounded ranking


def _fillers(editor, organisation, count=6):
    # A corpus where the searched word is rare, as in real life (bm25 needs it).
    for index in range(count):
        _filed(editor, organisation, f"Compte rendu de chantier n° {index}.", title="Chantier")


def test_the_newest_matches_are_ranked_together_before_the_older_ones(territory, reference, editor,
                                                                      monkeypatch):
    compiegne = territory["compiegne"]
    _fillers(editor, compiegne)
    oldest_in_title = _filed(editor, compiegne, "Note sur le club de football.", title="Subvention")
    older_in_text = _filed(editor, compiegne, "Une subvention au club.", title="Note A")
    newer_in_text = _filed(editor, compiegne, "Une subvention au comité.", title="Note B")
    newest_in_title = _filed(editor, compiegne, "Note sur le comité des fêtes.", title="Subvention")
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    assert _ids(editor, "subvention") == [newest_in_title.pk, newer_in_text.pk,
                                          oldest_in_title.pk, older_in_text.pk]


def test_pages_follow_one_another_without_gap_or_repeat(territory, reference, editor, monkeypatch):
    compiegne = territory["compiegne"]
    _fillers(editor, compiegne)
    for index in range(7):
        _filed(editor, compiegne, "Une subvention. " * (index % 3 + 1), title=f"Note {index}")
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    whole = [hit.document.pk for hit in documents_search(actor=editor, filters=SearchFilters(q="subvention"),
                                                         limit=20)]
    pages = [hit.document.pk for offset in range(0, 7, 2)
             for hit in documents_search(actor=editor, filters=SearchFilters(q="subvention"), limit=2,
                                         offset=offset)]
    assert len(whole) == 7 and pages == whole
    assert _ids(editor, "subvention") == whole, "the same search gives the same order"


def test_no_result_lies_deeper_than_the_search_depth(territory, reference, editor, monkeypatch):
    for index in range(3):
        _filed(editor, territory["compiegne"], "Une subvention.", title=f"Note {index}")
    monkeypatch.setattr(search, "SEARCH_DEPTH", 2)
    assert len(documents_search(actor=editor, filters=SearchFilters(q="subvention"), limit=5)) == 2
    assert documents_search(actor=editor, filters=SearchFilters(q="subvention"), offset=2) == []


def test_a_commune_finds_its_own_older_match_behind_many_newer_ones_elsewhere(
        territory, reference, editor, other_editor, monkeypatch):
    own = _filed(editor, territory["compiegne"], "Une subvention.", title="Compiègne")
    elsewhere = [_filed(other_editor, territory["venette"], "Une subvention.", title=f"Venette {i}")
                 for i in range(6)]
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    monkeypatch.setattr(search, "MIN_CANDIDATES", 1)
    assert _ids(editor, "subvention") == [own.pk]
    assert set(_ids(other_editor, "subvention")) == {d.pk for d in elsewhere}


@pytest.mark.parametrize("chunks", [4, 0], ids=["its-documents-looked-up", "database-join"])
def test_a_narrow_filter_still_finds_older_matches(territory, reference, editor, monkeypatch, chunks):
    compiegne = territory["compiegne"]
    wanted = _filed(editor, compiegne, "Marché de voirie.", node="MP-01", doc_type="piece_marche",
                    metadata={"numero_marche": "2024-07"})
    for index in range(8):
        _filed(editor, compiegne, "Marché hebdomadaire.", title=f"Marché {index}")
    # The newest match alone is read first, and the filter rejects it.
    monkeypatch.setattr(search, "RANK_WINDOW", 1)
    monkeypatch.setattr(search, "MIN_CANDIDATES", 1)
    monkeypatch.setattr(search, "QUERYSET_CHUNK", 2)
    monkeypatch.setattr(search, "QUERYSET_CHUNKS", chunks)
    hits = documents_search(actor=editor, filters=SearchFilters(q="marché", node="MP-01"), limit=1)
    assert [hit.document.pk for hit in hits] == [wanted.pk]


def test_dates_filter_by_local_day(territory, reference, editor):
    compiegne = territory["compiegne"]
    late = _filed(editor, compiegne, "Une subvention.", title="Tard le soir")
    early = _filed(editor, compiegne, "Une subvention.", title="Tôt le matin")
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    Document.objects.filter(pk=late.pk).update(created_at=datetime(2025, 3, 10, 23, 30, tzinfo=paris))
    Document.objects.filter(pk=early.pk).update(created_at=datetime(2025, 3, 11, 0, 30, tzinfo=paris))
    assert _ids(editor, "subvention", date_to=date(2025, 3, 10)) == [late.pk]
    assert _ids(editor, "subvention", date_from=date(2025, 3, 11)) == [early.pk]
    assert set(_ids(editor, "subvention", date_from=date(2025, 3, 10), date_to=date(2025, 3, 11))) \
        == {late.pk, early.pk}
    assert _ids(editor, "subvention", date_from=date(2025, 3, 12)) == []


@pytest.mark.parametrize(("first", "most"), [(5000, 30_000), (2, 2), (2, 8)],
                         ids=["walk", "gin-index", "walk-on"])
def test_older_matches_are_found_past_the_newest_entries(territory, reference, editor, monkeypatch,
                                                         first, most):
    compiegne = territory["compiegne"]
    older = _filed(editor, compiegne, "Le jumelage avec Huy.", title="Jumelage")
    for index in range(2):
        _filed(editor, compiegne, f"Compte rendu n° {index}.", title="Chantier")
    newer = _filed(editor, compiegne, "Le comité de jumelage.", title="Comité")
    _filed(editor, compiegne, "Compte rendu n° 3.", title="Chantier")
    # PostgreSQL reads the newest entries in order, then walks on or asks the GIN index.
    monkeypatch.setattr(search, "WALK_FIRST", first)
    monkeypatch.setattr(search, "WALK", most)
    monkeypatch.setattr(search, "MIN_CANDIDATES", 1)
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    hits = documents_search(actor=editor, filters=SearchFilters(q="jumelages"), limit=2)
    assert {hit.document.pk for hit in hits} == {older.pk, newer.pk}


def test_a_search_runs_a_bounded_number_of_queries(territory, reference, editor,
                                                   django_assert_max_num_queries):
    for index in range(25):
        _filed(editor, territory["compiegne"], "Une subvention.", title=f"Note {index}")
    # PostgreSQL's include a savepoint and the planner setting around the walk (4).
    with django_assert_max_num_queries(12):
        assert len(documents_search(actor=editor, filters=SearchFilters(q="subvention"), limit=20)) == 20


# ---------------------------------------------------------------- rebuilding the index


def _entry(document_id):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT organisation_id, vector::text FROM documents_search "
                           "WHERE document_id = %s", [document_id])
        else:
            cursor.execute("SELECT title, body FROM documents_fts WHERE rowid = %s", [document_id])
        return cursor.fetchone()


def _reindex(*args) -> str:
    out = io.StringIO()
    call_command("documents", "reindex", *args, stdout=out)
    return out.getvalue()


def test_reindex_writes_what_the_services_write(territory, reference, editor):
    compiegne = territory["compiegne"]
    typed = _filed(editor, compiegne, "Acte d'engagement du marché de voirie.", node="MP-01",
                   doc_type="piece_marche", tags=["voirie", "travaux neufs"],
                   metadata={"procedure": "MAPA", "numero_marche": "2025-12",
                             "titulaire": "Routes de l'Oise"})
    untouched = _filed(editor, compiegne, "Horaires de la piscine.", title="Piscine")
    expected = {typed.pk: _entry(typed.pk), untouched.pk: _entry(untouched.pk)}
    search.document_unindex(typed.pk)
    assert _entry(typed.pk) is None
    output = _reindex()
    assert {pk: _entry(pk) for pk in expected} == expected
    assert "2 document(s) lu(s), 1 entrée(s) corrigée(s)" in output
    assert "0 entrée(s) corrigée(s)" in _reindex(), "a second run finds nothing to correct"
    assert AuditEvent.objects.filter(action="documents.reindex").count() == 2


def test_reindex_removes_the_entries_of_vanished_documents(corpus):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("INSERT INTO documents_search (document_id, organisation_id, vector) "
                           "VALUES (987654, 1, to_tsvector('french', 'orpheline'))")
        else:
            cursor.execute("INSERT INTO documents_fts (rowid, title, body) "
                           "VALUES (987654, 'orphelin', '')")
    assert "1 entrée(s) de documents disparus retirée(s)" in _reindex()
    assert search.indexed_ids([987654]) == set()
    assert search.indexed_ids(d.pk for d in corpus.values()) == {d.pk for d in corpus.values()}


def test_reindex_follows_a_document_moved_to_another_organisation(territory, corpus, editor,
                                                                   other_editor):
    document = corpus["piscine"]
    # A correction made in the database, outside the services: the index lags behind.
    Document.objects.filter(pk=document.pk).update(organisation=territory["venette"])
    assert _ids(editor, "piscine") == [], "the lagging entry never shows the old commune"
    _reindex("--org", "venette")
    assert _ids(other_editor, "piscine") == [document.pk]
    assert _ids(editor, "piscine") == []


def test_reindex_of_one_organisation_reads_only_its_documents(territory, corpus, other_editor):
    _filed(other_editor, territory["venette"], "Délibération de Venette.", title="Venette")
    assert "Index de recherche reconstruit : 1 document(s) lu(s)" in _reindex("--org", "venette")


def test_reindex_refuses_an_unknown_organisation(db):
    with pytest.raises(CommandError, match="Organisation inconnue : nulle-part"):
        _reindex("--org", "nulle-part")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgres_entries_carry_their_organisation_for_the_tenant_filter(territory, corpus):
    document = corpus["piscine"]
    assert _entry(document.pk)[0] == territory["compiegne"].pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                       "'documents_search_organisation'")
        assert "(organisation_id, document_id)" in cursor.fetchone()[0]
