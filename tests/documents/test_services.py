"""Plans, nodes, documents and versions through their services: rules, names, retention, refusals."""

from __future__ import annotations

import io
from datetime import date

import pytest

from socle.core.models import AuditEvent
from socle.documents import selectors
from socle.documents.models import DocumentStatus
from socle.documents.services import (
    DocumentRefused,
    document_add_version,
    document_close,
    document_create,
    document_update_metadata,
    node_create,
)
from tests.support.pdf_samples import catalog, pdf_file, stream


def test_a_commune_files_under_the_reference_nodes_its_own_and_its_overrides(
        territory, compiegne_plan, editor):
    nodes = {node.code: node for node in selectors.file_plan_nodes_for(
        actor=editor, organisation=territory["compiegne"])}
    assert "FIN-01" in nodes, "reference nodes apply to the commune without copying"
    assert nodes["PAT-02"].plan == compiegne_plan and nodes["PAT-02"].retention_period == 15
    assert "CPG-JUM" in nodes
    assert "RH-01" not in nodes, "a node restricted to archivists is not offered to an editor"


def test_another_commune_sees_the_reference_node_not_compiegnes_override(
        territory, compiegne_plan, other_editor):
    nodes = {node.code: node for node in selectors.file_plan_nodes_for(
        actor=other_editor, organisation=territory["venette"])}
    assert nodes["PAT-02"].retention_period == 10
    assert "CPG-JUM" not in nodes


def test_a_commune_node_cannot_reuse_a_reference_code_without_overriding_it(compiegne_plan):
    with pytest.raises(DocumentRefused) as refused:
        node_create(actor=None, plan=compiegne_plan, code="FIN-01", title="Doublon")
    assert refused.value.code == "invalid_node"


def test_a_naming_rule_with_an_unknown_field_is_refused(reference):
    with pytest.raises(DocumentRefused, match="Champ inconnu"):
        node_create(actor=None, plan=reference, code="X-1", title="X", naming_rule="{title.__class__}")


def test_a_document_gets_the_name_of_its_node_rule_and_its_retention(
        territory, compiegne_plan, editor):
    document = document_create(
        actor=editor, organisation=territory["compiegne"], node_code="FIN-03",
        stream=io.BytesIO(b"Deliberation du conseil"), file_name="scan 12.txt",
        title="Budget primitif 2025", doc_type="deliberation", metadata={"numero": "2025-014"},
        document_date=date(2025, 3, 27))
    version = document.current_version
    assert version is not None
    assert version.name == "20250327_deliberation_2025-014_Budget-primitif-2025.txt"
    assert version.original_name == "scan 12.txt"
    assert document.retention_start == date(2025, 3, 27)
    assert document.retention_end == date(2035, 3, 27)
    assert document.final_action == "keep" and document.status == DocumentStatus.DRAFT
    assert AuditEvent.objects.filter(action="documents.document_create", target_id=str(document.pk)).exists()


def test_retention_from_closing_starts_when_the_file_is_closed(territory, compiegne_plan, editor,
                                                                file_document):
    document = file_document(editor, territory["compiegne"], node="MP-01", doc_type="piece_marche",
                             metadata={"numero_marche": "2024-MP-007"})
    assert document.retention_end is None
    document_close(actor=editor, document=document, closed_on=date(2027, 6, 30))
    assert document.retention_end == date(2037, 6, 30) and document.final_action == "sort"


def test_names_with_parent_directories_and_control_characters_are_cleaned(
        territory, reference, editor, file_document):
    document = file_document(editor, territory["compiegne"], name="../../etc/pa\x00ss\x1bwd.txt",
                             title="Note")
    version = document.current_version
    assert version is not None
    assert version.original_name == "passwd.txt"
    assert "/" not in version.name and ".." not in version.name and "\x1b" not in version.name


def test_an_empty_file_is_refused(territory, reference, editor):
    with pytest.raises(DocumentRefused) as refused:
        document_create(actor=editor, organisation=territory["compiegne"], node_code="PAT-02",
                        stream=io.BytesIO(b""), file_name="vide.txt")
    assert refused.value.code == "empty_file"


def test_content_that_does_not_match_its_extension_is_refused(territory, reference, editor):
    with pytest.raises(DocumentRefused) as refused:
        document_create(actor=editor, organisation=territory["compiegne"], node_code="PAT-02",
                        stream=io.BytesIO(b"Ceci n'est pas un PDF."), file_name="facture.pdf")
    assert refused.value.code == "type_mismatch"


def test_a_pdf_carrying_an_executable_in_an_object_stream_is_refused(territory, reference, editor):
    pdf = pdf_file({**catalog(b"/Names << /EmbeddedFiles << /Names [(a) 4 0 R] >> >>"),
                    4: b"<< /Type /Filespec /F (a) /EF << /F 5 0 R >> >>",
                    5: stream(b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00")}, packed={1, 4})
    with pytest.raises(DocumentRefused) as refused:
        document_create(actor=editor, organisation=territory["compiegne"], node_code="PAT-02",
                        stream=io.BytesIO(pdf), file_name="facture.pdf")
    assert refused.value.code == "active_content"
    assert "fichier joint" in refused.value.message


def test_metadata_are_checked_against_the_document_type(territory, reference, editor):
    with pytest.raises(DocumentRefused) as refused:
        document_create(actor=editor, organisation=territory["compiegne"], node_code="MP-01",
                        stream=io.BytesIO(b"x"), file_name="a.txt", doc_type="piece_marche",
                        metadata={"procedure": "gré à gré"})
    assert refused.value.errors.keys() == {"numero_marche", "procedure"}


def test_a_reader_cannot_file_a_document(territory, reference, reader, file_document):
    with pytest.raises(DocumentRefused) as refused:
        file_document(reader, territory["compiegne"])
    assert refused.value.code == "forbidden"


def test_an_editor_cannot_file_for_another_commune(territory, reference, other_editor, file_document):
    with pytest.raises(DocumentRefused) as refused:
        file_document(other_editor, territory["compiegne"])
    assert refused.value.code == "forbidden"


def test_versions_are_numbered_and_the_last_is_current(territory, reference, editor, file_document):
    document = file_document(editor, territory["compiegne"])
    version = document_add_version(actor=editor, document=document, stream=io.BytesIO(b"v2"),
                                   file_name="note-v2.txt", comment="Corrections")
    document.refresh_from_db()
    assert version.number == 2 and document.current_version_id == version.pk


def test_a_locked_document_takes_no_new_version_nor_metadata(territory, reference, editor, file_document):
    document = file_document(editor, territory["compiegne"])
    document.status, document.locked = DocumentStatus.IN_CIRCUIT, True
    document.save()
    with pytest.raises(DocumentRefused, match="verrouillé"):
        document_add_version(actor=editor, document=document, stream=io.BytesIO(b"v2"), file_name="a.txt")
    with pytest.raises(DocumentRefused, match="verrouillé"):
        document_update_metadata(actor=editor, document=document, title="Autre")


def test_a_documents_of_one_commune_is_invisible_to_another(territory, reference, editor, other_editor,
                                                            file_document):
    document = file_document(editor, territory["compiegne"])
    assert selectors.document_get_for(actor=editor, document_id=document.pk) == document
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.document_get_for(actor=other_editor, document_id=document.pk)


def test_restricted_nodes_hide_their_documents_from_plain_readers(territory, reference, reader, make_user):
    archivist = make_user(roles=[(territory["arc"], "documents.archivist")])
    document = document_create(actor=archivist, organisation=territory["compiegne"], node_code="RH-02",
                               stream=io.BytesIO(b"Bulletin"), file_name="paie.txt")
    assert selectors.documents_for(actor=archivist).filter(pk=document.pk).exists()
    assert not selectors.documents_for(actor=reader).filter(pk=document.pk).exists()
