"""The file plan pages: versions, drafting, node editing, publishing, migration; roles and tenancy."""

from __future__ import annotations

import html

from socle.core.models import AuditEvent
from socle.documents.models import Document, FilePlan, PlanStatus
from socle.documents.plan_versions import node_delete, plan_draft_new_version, plan_publish
from socle.documents.services import plan_adopt
from tests.support.clients import signed_in


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_plans_page_lists_own_and_reference_plans_not_another_communes(
        territory, reference, compiegne_plan, editor, django_assert_max_num_queries):
    venette = plan_adopt(actor=None, organisation=territory["venette"], reference=reference)
    client = signed_in(editor)
    with django_assert_max_num_queries(12):
        page = client.get("/documents/plans/")
    body = text(page)
    assert page.status_code == 200
    assert f"/documents/plans/{reference.pk}/" in body and f"/documents/plans/{compiegne_plan.pk}/" in body
    assert f"/documents/plans/{venette.pk}/" not in body
    assert signed_in(editor).get(f"/documents/plans/{venette.pk}/").status_code == 404


def test_a_plan_manager_drafts_edits_and_publishes_a_version(territory, reference, arc_archivist):
    client = signed_in(arc_archivist)
    page = text(client.get(f"/documents/plans/{reference.pk}/"))
    assert "Nouvelle version" in page
    response = client.post(f"/documents/plans/{reference.pk}/nouvelle-version")
    draft = FilePlan.objects.get(code=reference.code, status=PlanStatus.DRAFT)
    assert response.status_code == 302 and response["Location"] == f"/documents/plans/{draft.pk}/"
    page = text(client.get(f"/documents/plans/{draft.pk}/"))
    assert "Publier" in page and "Ajouter un nœud" in page

    node = draft.nodes.get(code="FIN-02")
    form = client.get(f"/documents/plans/{draft.pk}/noeuds/{node.pk}/")
    assert form.status_code == 200 and 'name="retention_period"' in text(form)
    saved = client.post(f"/documents/plans/{draft.pk}/noeuds/{node.pk}/", {
        "title": "Pièces comptables", "retention_period": "6", "retention_unit": "year",
        "retention_start_event": "closing", "final_action": "destroy", "access_rule": "internal",
        "naming_rule": "{date:%Y%m%d}_{title}", "description": ""})
    assert saved.status_code == 302
    node.refresh_from_db()
    assert (node.title, node.retention_period) == ("Pièces comptables", 6)

    refused = client.post(f"/documents/plans/{draft.pk}/noeuds/{node.pk}/", {
        "title": "X", "retention_unit": "year", "retention_start_event": "closing",
        "final_action": "destroy", "access_rule": "partout"})
    assert refused.status_code == 400 and "Règle d'accès inconnue" in text(refused)

    added = client.post(f"/documents/plans/{draft.pk}/noeuds/ajouter", {
        "code": "FIN-04", "title": "Subventions", "parent": f"n{draft.nodes.get(code='FIN').pk}",
        "retention_period": "5", "retention_unit": "year", "retention_start_event": "closing",
        "final_action": "sort", "access_rule": "internal"})
    assert added.status_code == 302
    assert draft.nodes.get(code="FIN-04").parent.code == "FIN"
    client.post(f"/documents/plans/{draft.pk}/noeuds/{draft.nodes.get(code='MP-02').pk}/supprimer")
    assert not draft.nodes.filter(code="MP-02").exists()

    published = client.post(f"/documents/plans/{draft.pk}/publier", follow=True)
    assert "Version 2 publiée" in text(published)
    reference.refresh_from_db()
    draft.refresh_from_db()
    assert (reference.status, draft.status) == (PlanStatus.RETIRED, PlanStatus.ACTIVE)
    assert AuditEvent.objects.filter(action="documents.plan_publish", actor=arc_archivist).exists()


def test_a_version_in_force_is_not_edited_through_the_pages(reference, arc_archivist):
    node = reference.nodes.get(code="FIN-02")
    client = signed_in(arc_archivist)
    assert client.get(f"/documents/plans/{reference.pk}/noeuds/{node.pk}/").status_code == 409
    assert client.get(f"/documents/plans/{reference.pk}/noeuds/ajouter").status_code == 409
    response = client.post(f"/documents/plans/{reference.pk}/noeuds/{node.pk}/supprimer", follow=True)
    assert "ne se modifie plus" in text(response)
    assert reference.nodes.filter(code="FIN-02").exists()


def test_a_contributor_may_read_a_plan_but_not_draft_edit_or_publish(reference, editor,
                                                                     arc_archivist):
    client = signed_in(editor)
    page = client.get(f"/documents/plans/{reference.pk}/")
    assert page.status_code == 200 and "Nouvelle version" not in text(page)
    refused = client.post(f"/documents/plans/{reference.pk}/nouvelle-version", follow=True)
    assert "droit" in text(refused)
    assert not FilePlan.objects.filter(status=PlanStatus.DRAFT).exists()
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    node = draft.nodes.get(code="FIN-02")
    assert client.get(f"/documents/plans/{draft.pk}/noeuds/{node.pk}/").status_code == 403
    client.post(f"/documents/plans/{draft.pk}/publier")
    assert FilePlan.objects.get(pk=draft.pk).status == PlanStatus.DRAFT


def test_a_commune_archivist_drafts_its_plan_with_an_override(territory, reference, compiegne_plan,
                                                              archivist, venette_archivist):
    client = signed_in(archivist)
    client.post(f"/documents/plans/{compiegne_plan.pk}/nouvelle-version")
    draft = FilePlan.objects.get(code=compiegne_plan.code, status=PlanStatus.DRAFT)
    response = client.post(f"/documents/plans/{draft.pk}/noeuds/ajouter", {
        "overrides": f"n{reference.nodes.get(code='FIN-02').pk}", "title": "Mandats (Compiègne)",
        "retention_period": "12", "retention_unit": "year", "retention_start_event": "closing",
        "final_action": "destroy", "access_rule": "internal"})
    assert response.status_code == 302
    assert draft.nodes.get(code="FIN-02").overrides.plan_id == reference.pk
    client.post(f"/documents/plans/{draft.pk}/noeuds/ajouter", {
        "overrides": f"n{reference.nodes.get(code='FIN-01').pk}", "title": "Budget (Compiègne)"})
    budget = draft.nodes.get(code="FIN-01")
    assert (budget.retention_period, budget.retention_start_event, budget.final_action) == (
        10, "document_date", "keep"), "blank rules are the replaced node's"
    other = signed_in(venette_archivist)
    assert other.get(f"/documents/plans/{draft.pk}/").status_code == 404
    assert other.post(f"/documents/plans/{draft.pk}/publier").status_code == 404
    assert other.post(f"/documents/plans/{compiegne_plan.pk}/nouvelle-version").status_code == 404


def test_the_plan_page_flags_an_override_whose_reference_code_is_gone(
        territory, reference, compiegne_plan, archivist, arc_archivist):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    node_delete(actor=arc_archivist, node=draft.nodes.get(code="PAT-02"))
    plan_publish(actor=arc_archivist, plan=draft)
    page = text(signed_in(archivist).get(f"/documents/plans/{compiegne_plan.pk}/"))
    assert "Nœuds à revoir" in page and "PAT-02" in page


def test_the_archivist_migrates_the_documents_of_a_retired_version(
        territory, reference, editor, archivist, file_document, arc_archivist):
    mandate = file_document(editor, territory["compiegne"], node="FIN-02", title="Mandat 2020")
    offer = file_document(editor, territory["compiegne"], node="MP-02", title="Offre Gamma")
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    node_delete(actor=arc_archivist, node=draft.nodes.get(code="MP-02"))
    plan_publish(actor=arc_archivist, plan=draft)
    client = signed_in(archivist)
    retired = text(client.get(f"/documents/plans/{reference.pk}/"))
    assert "Migrer vers la version 2" in retired
    page = client.get(f"/documents/plans/{reference.pk}/migration")
    body = text(page)
    assert page.status_code == 200 and "Mandat 2020" in body and "Offre Gamma" in body
    assert "Le code MP-02 n'existe pas dans la version 2" in body
    done = client.post(f"/documents/plans/{reference.pk}/migration", follow=True)
    assert "1 document(s) migré(s) vers la version 2" in text(done)
    assert Document.objects.get(pk=mandate.pk).node.plan_id == draft.pk
    assert Document.objects.get(pk=offer.pk).node.plan_id == reference.pk
    mapped = text(client.get(f"/documents/plans/{reference.pk}/migration?map-MP-02=FIN-02"))
    assert 'name="map-MP-02" value="FIN-02"' in mapped
    client.post(f"/documents/plans/{reference.pk}/migration", {"map-MP-02": "FIN-02"})
    assert Document.objects.get(pk=offer.pk).node.code == "FIN-02"


def test_the_migration_page_is_an_archivists_and_a_communes_own(
        territory, reference, compiegne_plan, editor, archivist, venette_archivist, file_document):
    file_document(editor, territory["compiegne"], node="CPG-JUM", title="Jumelage")
    draft = plan_draft_new_version(actor=archivist, plan=compiegne_plan)
    plan_publish(actor=archivist, plan=draft)
    assert signed_in(editor).get(f"/documents/plans/{compiegne_plan.pk}/migration").status_code == 403
    assert signed_in(editor).post(f"/documents/plans/{compiegne_plan.pk}/migration").status_code == 403
    other = signed_in(venette_archivist)
    assert other.get(f"/documents/plans/{compiegne_plan.pk}/migration").status_code == 404
    assert other.post(f"/documents/plans/{compiegne_plan.pk}/migration").status_code == 404
    assert Document.objects.get(title="Jumelage").node.plan_id == compiegne_plan.pk
    assert signed_in(archivist).get(f"/documents/plans/{compiegne_plan.pk}/migration").status_code == 200
    # Only a retired version has documents to migrate.
    assert signed_in(archivist).get(f"/documents/plans/{draft.pk}/migration").status_code == 409


def test_the_file_plans_api_gives_each_nodes_version(territory, reference, editor, arc_archivist,
                                                     api_client):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    plan_publish(actor=arc_archivist, plan=draft)
    nodes = api_client(editor).get("/api/v1/file-plans?organisation=compiegne&limit=100").json()[
        "items"]
    assert {node["version"] for node in nodes} == {2}
    assert {"code", "title", "plan", "parent", "retention_period"} <= set(nodes[0])


# ------------------------------------------------------------ reclassifying one document


def test_an_archivist_reclassifies_one_document_from_its_page(
        territory, compiegne_plan, editor, archivist, file_document):
    document = file_document(editor, territory["compiegne"], node="PAT-02")
    page = text(signed_in(archivist).get(f"/documents/{document.pk}/"))
    assert f'href="/documents/{document.pk}/reclasser"' in page
    client = signed_in(archivist)
    form = text(client.get(f"/documents/{document.pk}/reclasser"))
    assert "Classé aujourd'hui sous <strong>PAT-02" in form
    target = next(node for node in selectors_nodes(archivist, territory["compiegne"])
                  if node.code == "PAT-01")
    response = client.post(f"/documents/{document.pk}/reclasser", {"node": target.pk})
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.node_id == target.pk
    assert document.retention_rule["period"] == target.retention_period
    event = AuditEvent.objects.filter(action="documents.document_migrate").get()
    assert event.data["from"]["node"] == "PAT-02" and event.data["to"]["node"] == "PAT-01"


def test_an_editor_may_not_reclassify_and_sees_no_link(territory, compiegne_plan, editor,
                                                       file_document):
    document = file_document(editor, territory["compiegne"], node="PAT-02")
    client = signed_in(editor)
    assert "/reclasser" not in text(client.get(f"/documents/{document.pk}/"))
    response = client.get(f"/documents/{document.pk}/reclasser")
    assert response.status_code == 403 and "archiviste" in text(response)


def test_another_communes_archivist_gets_404(territory, compiegne_plan, editor, venette_archivist,
                                             file_document):
    document = file_document(editor, territory["compiegne"], node="PAT-02")
    assert signed_in(venette_archivist).get(f"/documents/{document.pk}/reclasser").status_code == 404
    assert signed_in(venette_archivist).post(f"/documents/{document.pk}/reclasser",
                                             {"node": document.node_id}).status_code == 404


def test_a_document_in_a_circuit_is_not_reclassified(territory, compiegne_plan, editor, archivist,
                                                     chief, file_document):
    from socle.documents.circuits import StepSpec, circuit_start

    document = file_document(editor, territory["compiegne"], node="PAT-02")
    circuit_start(actor=editor, document=document, steps=[StepSpec(assignee=chief)])
    target = next(node for node in selectors_nodes(archivist, territory["compiegne"])
                  if node.code == "PAT-01")
    response = signed_in(archivist).post(f"/documents/{document.pk}/reclasser", {"node": target.pk})
    assert response.status_code == 400
    assert "circuit de validation en cours" in text(response)
    document.refresh_from_db()
    assert document.node.code == "PAT-02"


def selectors_nodes(actor, organisation):
    from socle.documents.selectors import file_plan_nodes_for

    return file_plan_nodes_for(actor=actor, organisation=organisation)
