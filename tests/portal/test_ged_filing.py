"""A case's attachments and decisions are filed in the GED under the node its procedure names."""

from __future__ import annotations

import io

import pytest
from django_tasks_db.models import DBTaskResult

from socle.core.blobs import blob_put
from socle.core.models import AuditEvent
from socle.core.uploads import upload_handle_create
from socle.documents.models import Document
from socle.documents.services import node_create, plan_create
from socle.portal import selectors
from socle.portal.ged_filing import case_documents_file_task
from socle.portal.models import CaseDocument, DocumentKind
from socle.portal.services import case_acknowledge, case_submit, case_transition

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIELDS = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True},
    {"name": "justificatif", "label": "Justificatif", "type": "file"},
]


@pytest.fixture
def plan(territory):
    plan = plan_create(actor=None, organisation=territory["arc"], code="arc-reference",
                       title="Plan de référence")
    node_create(actor=None, plan=plan, code="ADM-DEM", title="Démarches en ligne",
                retention_period=5, retention_start_event="document_date", final_action="sort")
    return plan


def run_filing_tasks() -> int:
    """Run the filing tasks the worker would run; return how many were queued."""
    queued = DBTaskResult.objects.filter(task_path__endswith="case_documents_file_task")
    for row in queued:
        case_documents_file_task.call(**row.args_kwargs["kwargs"])
    return queued.count()


def submit(procedure, citizen, territory, capture):
    blob = blob_put(stream=io.BytesIO(PDF)).blob
    handle, _ = upload_handle_create(actor=citizen, blob=blob, name="domicile.pdf")
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    with capture(execute=True):
        case = case_submit(actor=citizen, offered=offered, data={
            "nom": "Martin", "justificatif": [{"upload": handle, "name": "domicile.pdf"}]})
        case_acknowledge(case_id=case.pk)  # the worker draws the acknowledgements
    return case


def test_attachments_and_decisions_are_filed_under_the_procedures_node(
        territory, plan, publish, citizen, caseworker, django_capture_on_commit_callbacks):
    procedure = publish(territory["compiegne"], "demande-ged", fields=FIELDS,
                        file_plan_node="ADM-DEM")
    case = submit(procedure, citizen, territory, django_capture_on_commit_callbacks)
    assert run_filing_tasks() == 1
    attachment = CaseDocument.objects.get(case=case, kind=DocumentKind.ATTACHMENT)
    document = Document.objects.get(pk=attachment.documents_document_id)
    assert document.organisation == territory["compiegne"] and document.node.code == "ADM-DEM"
    assert document.metadata == {"numero_dossier": case.number}
    assert case.number in document.tags and case.number in document.title
    assert document.current_version.blob_id == attachment.blob_id
    assert CaseDocument.objects.get(case=case, kind=DocumentKind.RECEIPT).documents_document_id is None, \
        "acknowledgements are not filed"

    with django_capture_on_commit_callbacks(execute=True):
        case_transition(actor=caseworker, case=case, to="in_instruction")
        case_transition(actor=caseworker, case=case, to="accepted")
    run_filing_tasks()
    decision = CaseDocument.objects.get(case=case, kind=DocumentKind.DECISION)
    assert Document.objects.get(pk=decision.documents_document_id).node.code == "ADM-DEM"
    assert Document.objects.filter(organisation=territory["compiegne"]).count() == 2, \
        "a file filed once is not filed again by the next run"


def test_nothing_is_filed_when_the_procedure_names_no_node(
        territory, plan, publish, citizen, django_capture_on_commit_callbacks):
    procedure = publish(territory["compiegne"], "demande-sans-ged", fields=FIELDS)
    case = submit(procedure, citizen, territory, django_capture_on_commit_callbacks)
    assert run_filing_tasks() == 0
    assert not Document.objects.exists()
    assert CaseDocument.objects.get(case=case, kind=DocumentKind.ATTACHMENT).documents_document_id is None


def test_a_ged_refusal_does_not_break_the_submission(
        territory, plan, publish, citizen, django_capture_on_commit_callbacks):
    procedure = publish(territory["compiegne"], "demande-noeud-inconnu", fields=FIELDS,
                        file_plan_node="NOPE-99")
    case = submit(procedure, citizen, territory, django_capture_on_commit_callbacks)
    assert case.status == "submitted"
    run_filing_tasks()
    assert not Document.objects.exists()
    assert CaseDocument.objects.get(case=case, kind=DocumentKind.ATTACHMENT).documents_document_id is None
    refusal = AuditEvent.objects.get(action="case.ged_filing_refused")
    assert refusal.data["code"] == "unknown_node" and refusal.data["number"] == case.number


def test_the_node_travels_with_the_procedures_export(territory, publish):
    procedure = publish(territory["compiegne"], "demande-export", file_plan_node="ADM-DEM")
    assert selectors.procedure_for_export(procedure=procedure)["file_plan_node"] == "ADM-DEM"
