"""Plan versions: drafting, immutability, publishing, commune overrides across versions, documents
keeping their rules, the archivist's migration (one document, in bulk, from the command line)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from socle.core.models import AuditEvent
from socle.documents import selectors
from socle.documents.circuits import StepSpec, circuit_start
from socle.documents.disposal import legal_hold_set
from socle.documents.models import Document, FilePlan, PlanStatus
from socle.documents.plan_versions import (
    document_migrate,
    migration_preview,
    node_delete,
    node_update,
    plan_draft_new_version,
    plan_migrate_documents,
    plan_publish,
    plan_stale_links,
)
from socle.documents.services import DocumentRefused, document_close, node_create, plan_adopt


def effective(organisation):
    return {node.code: node for node in selectors.nodes_effective(organisation=organisation)}


def new_reference(reference, actor=None, **changes):
    """Draft version 2 of the reference plan, apply {code: {rule: value}}, publish it."""
    draft = plan_draft_new_version(actor=actor, plan=reference)
    for code, rules in changes.items():
        node_update(actor=actor, node=draft.nodes.get(code=code), **rules)
    report = plan_publish(actor=actor, plan=draft)
    reference.refresh_from_db()
    return draft, report


# ---------------------------------------------------------------- drafting and immutability


def test_a_new_version_is_a_draft_copy_of_the_nodes_tree_and_rules(territory, reference,
                                                                   arc_archivist):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    assert (draft.version, draft.status, draft.code) == (2, PlanStatus.DRAFT, reference.code)
    old = {node.code: node for node in reference.nodes.all()}
    new = {node.code: node for node in draft.nodes.select_related("parent")}
    assert set(new) == set(old)
    assert new["FIN-01"].parent == new["FIN"], "the tree is copied, not linked to the old version"
    assert new["FIN-03"].document_types == old["FIN-03"].document_types
    assert (new["RH-01"].retention_period, new["RH-01"].access_rule) == (50, "restricted:documents.archivist")
    assert effective(territory["venette"])["FIN-01"].plan_id == reference.pk, "a draft applies to nothing"
    event = AuditEvent.objects.get(action="documents.plan_draft")
    assert event.data["from_version"] == 1 and event.data["version"] == 2


def test_a_second_draft_and_a_draft_of_a_draft_are_refused(reference, arc_archivist):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    with pytest.raises(DocumentRefused) as twice:
        plan_draft_new_version(actor=arc_archivist, plan=reference)
    assert twice.value.code == "draft_exists"
    with pytest.raises(DocumentRefused) as from_draft:
        plan_draft_new_version(actor=arc_archivist, plan=draft)
    assert from_draft.value.code == "not_active"


def test_only_the_plans_managers_may_draft_and_publish(territory, reference, editor, archivist,
                                                       arc_archivist):
    for actor in (editor, archivist):  # a contributor; a commune's archivist on the ARC's plan
        with pytest.raises(DocumentRefused) as refused:
            plan_draft_new_version(actor=actor, plan=reference)
        assert refused.value.code == "forbidden"
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    with pytest.raises(DocumentRefused, match="droit"):
        plan_publish(actor=archivist, plan=draft)
    assert FilePlan.objects.get(pk=draft.pk).status == PlanStatus.DRAFT


def test_versions_in_force_and_retired_are_immutable(reference, arc_archivist):
    node = reference.nodes.get(code="FIN-02")
    with pytest.raises(DocumentRefused) as active:
        node_update(actor=arc_archivist, node=node, retention_period=3)
    assert active.value.code == "plan_immutable" and "en vigueur" in active.value.message
    for attempt in (lambda: node_delete(actor=arc_archivist, node=reference.nodes.get(code="MP-02")),
                    lambda: node_create(actor=arc_archivist, plan=reference, code="FIN-09", title="X")):
        with pytest.raises(DocumentRefused, match="ne se modifie plus"):
            attempt()
    new_reference(reference, arc_archivist)
    with pytest.raises(DocumentRefused) as retired:
        node_update(actor=arc_archivist, node=node, title="Renommé")
    assert "remplacée" in retired.value.message
    node.refresh_from_db()
    assert node.retention_period == 10 and node.title.startswith("Mandats")


def test_a_drafts_nodes_are_edited_added_and_removed(reference, arc_archivist):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    updated = node_update(actor=arc_archivist, node=draft.nodes.get(code="FIN-02"), retention_period=12,
                          final_action="keep", title="Pièces comptables")
    assert (updated.retention_period, updated.final_action) == (12, "keep")
    assert updated.title == "Pièces comptables"
    change = AuditEvent.objects.get(action="documents.node_update")
    assert change.data["changes"]["retention_period"] == [10, 12]
    added = node_create(actor=arc_archivist, plan=draft, code="FIN-04", title="Subventions",
                        parent=draft.nodes.get(code="FIN"), retention_period=6)
    assert added.plan == draft
    node_delete(actor=arc_archivist, node=draft.nodes.get(code="MP-02"))
    assert not draft.nodes.filter(code="MP-02").exists()
    assert reference.nodes.filter(code="MP-02").exists(), "the version in force is untouched"
    with pytest.raises(DocumentRefused) as parent:
        node_delete(actor=arc_archivist, node=draft.nodes.get(code="FIN"))
    assert parent.value.code == "node_in_use"
    with pytest.raises(DocumentRefused) as duplicate:
        node_create(actor=arc_archivist, plan=draft, code="FIN-01", title="Doublon")
    assert duplicate.value.code == "invalid_node"
    with pytest.raises(DocumentRefused) as invalid:
        node_update(actor=arc_archivist, node=added, final_action="bruler")
    assert invalid.value.code == "invalid_node"


def test_the_database_holds_one_version_in_force_per_plan(territory, reference):
    with pytest.raises(IntegrityError), transaction.atomic():
        FilePlan.objects.create(organisation=territory["arc"], code=reference.code, title="Bis",
                                version=2, status=PlanStatus.ACTIVE)


# ---------------------------------------------------------------- publishing


def test_publishing_puts_the_draft_in_force_and_retires_the_previous(territory, reference,
                                                                    arc_archivist):
    draft, report = new_reference(reference, arc_archivist, **{"FIN-02": {"retention_period": 5}})
    draft.refresh_from_db()
    assert (reference.status, draft.status) == (PlanStatus.RETIRED, PlanStatus.ACTIVE)
    assert report.retired == reference
    node = effective(territory["venette"])["FIN-02"]
    assert node.plan_id == draft.pk and node.retention_period == 5
    event = AuditEvent.objects.get(action="documents.plan_publish")
    assert event.data["version"] == 2 and event.data["retired_version"] == 1
    with pytest.raises(DocumentRefused) as again:
        plan_publish(actor=arc_archivist, plan=draft)
    assert again.value.code == "not_draft"


def test_a_commune_override_follows_the_new_reference_version(territory, reference, compiegne_plan,
                                                              arc_archivist):
    jumelages = compiegne_plan.nodes.get(code="CPG-JUM")
    under_adm = node_create(actor=None, plan=compiegne_plan, code="CPG-ADM", title="Vie associative",
                            parent=reference.nodes.get(code="ADM"))
    draft, report = new_reference(reference, arc_archivist, **{"PAT-02": {"retention_period": 12}})
    compiegne_plan.refresh_from_db()
    assert compiegne_plan.extends_id == draft.pk and report.plans_moved == [compiegne_plan]
    override = compiegne_plan.nodes.get(code="PAT-02")
    assert override.overrides_id == draft.nodes.get(code="PAT-02").pk
    under_adm.refresh_from_db()
    assert under_adm.parent_id == draft.nodes.get(code="ADM").pk
    nodes = effective(territory["compiegne"])
    assert nodes["PAT-02"].pk == override.pk and nodes["PAT-02"].retention_period == 15
    assert nodes["FIN-01"].plan_id == draft.pk and nodes["CPG-JUM"].pk == jumelages.pk
    assert effective(territory["venette"])["PAT-02"].retention_period == 12
    assert not report.orphaned and not plan_stale_links([compiegne_plan])
    moved = AuditEvent.objects.get(action="documents.plan_links_move")
    assert moved.organisation_slug == "compiegne" and len(moved.data["links_moved"]) == 2


def test_an_override_whose_code_vanished_still_applies_and_is_reported(territory, reference,
                                                                      compiegne_plan, arc_archivist):
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    node_delete(actor=arc_archivist, node=draft.nodes.get(code="PAT-02"))
    report = plan_publish(actor=arc_archivist, plan=draft)
    override = compiegne_plan.nodes.get(code="PAT-02")
    assert [(link.node, link.kind, link.code) for link in report.orphaned] == [
        (override, "overrides", "PAT-02")]
    assert override.overrides.plan_id == reference.pk, "the link stays on the retired node"
    assert effective(territory["compiegne"])["PAT-02"].pk == override.pk
    assert "PAT-02" not in effective(territory["venette"])
    assert [link.code for link in plan_stale_links([compiegne_plan])] == ["PAT-02"]
    published = AuditEvent.objects.get(action="documents.plan_publish")
    assert published.data["links_orphaned"][0]["organisation"] == "compiegne"
    told = AuditEvent.objects.get(action="documents.plan_links_move")
    assert told.organisation_slug == "compiegne" and told.data["links_orphaned"]


def test_a_commune_plan_gets_its_own_versions(territory, reference, compiegne_plan, archivist):
    draft = plan_draft_new_version(actor=archivist, plan=compiegne_plan)
    assert draft.extends_id == reference.pk
    node_update(actor=archivist, node=draft.nodes.get(code="PAT-02"), retention_period=20)
    plan_publish(actor=archivist, plan=draft)
    node = effective(territory["compiegne"])["PAT-02"]
    assert node.plan_id == draft.pk and node.retention_period == 20
    assert node.overrides_id == reference.nodes.get(code="PAT-02").pk


# ---------------------------------------------------------------- documents across versions


def test_documents_keep_the_nodes_and_rules_of_a_retired_version(territory, reference, editor,
                                                                 file_document, arc_archivist):
    kept = file_document(editor, territory["compiegne"], node="FIN-02", title="Mandat 2020")
    old_node = kept.node
    draft, _ = new_reference(reference, arc_archivist,
                             **{"FIN-02": {"retention_period": 5, "final_action": "keep"}})
    kept.refresh_from_db()
    assert kept.node_id == old_node.pk and kept.node.plan.status == PlanStatus.RETIRED
    assert kept.retention_rule["period"] == 10 and kept.retention_rule["plan_version"] == 1
    document_close(actor=editor, document=kept, closed_on=date(2020, 12, 31))
    assert kept.retention_end == date(2030, 12, 31) and kept.final_action == "destroy"
    new = file_document(editor, territory["compiegne"], node="FIN-02", title="Mandat 2026")
    assert new.node.plan_id == draft.pk and new.retention_rule["period"] == 5
    assert new.final_action == "keep"


def test_an_archivist_migrates_a_document_and_its_retention_is_recomputed(
        territory, reference, editor, archivist, file_document, arc_archivist):
    document = file_document(editor, territory["compiegne"], node="FIN-02", title="Mandat 2019")
    document_close(actor=editor, document=document, closed_on=date(2019, 12, 31))
    assert document.retention_end == date(2029, 12, 31)
    draft, _ = new_reference(reference, arc_archivist,
                             **{"FIN-02": {"retention_period": 5, "final_action": "sort"}})
    target = draft.nodes.get(code="FIN-02")
    document_migrate(actor=archivist, document=document, node=target)
    document.refresh_from_db()
    assert document.node_id == target.pk
    assert document.retention_rule["plan_version"] == 2 and document.retention_rule["period"] == 5
    assert document.retention_end == date(2024, 12, 31) and document.final_action == "sort"
    event = AuditEvent.objects.get(action="documents.document_migrate")
    assert event.organisation_slug == "compiegne" and event.target_id == str(document.pk)
    assert (event.data["from"]["node"], event.data["from"]["version"]) == ("FIN-02", 1)
    assert event.data["from"]["rule"]["period"] == 10 and event.data["from"]["retention_end"] == "2029-12-31"
    assert (event.data["to"]["node"], event.data["to"]["version"]) == ("FIN-02", 2)
    assert event.data["to"]["rule"]["period"] == 5 and event.data["to"]["retention_end"] == "2024-12-31"


def test_only_an_archivist_of_the_documents_organisation_may_migrate(
        territory, reference, editor, make_user, file_document, arc_archivist):
    document = file_document(editor, territory["compiegne"], node="FIN-02")
    draft, _ = new_reference(reference, arc_archivist)
    target = draft.nodes.get(code="FIN-02")
    venette = make_user("archives.venette@exemple.fr",
                        roles=[(territory["venette"], "documents.archivist")])
    for actor in (editor, venette):
        with pytest.raises(DocumentRefused) as refused:
            document_migrate(actor=actor, document=document, node=target)
        assert refused.value.code == "forbidden"
        with pytest.raises(DocumentRefused):
            plan_migrate_documents(actor=actor, plan_from=reference, plan_to=draft,
                                   organisation=territory["compiegne"])
    document.refresh_from_db()
    assert document.node.plan_id == reference.pk


def test_a_circuit_blocks_migration_a_legal_hold_does_not(territory, reference, editor, archivist,
                                                          chief, file_document, arc_archivist):
    in_circuit = file_document(editor, territory["compiegne"], node="FIN-02", title="En circuit")
    held = file_document(editor, territory["compiegne"], node="FIN-02", title="Gelé")
    circuit_start(actor=editor, document=in_circuit, steps=[StepSpec(assignee=chief)])
    legal_hold_set(actor=archivist, document=held, reason="Contentieux")
    draft, _ = new_reference(reference, arc_archivist)
    with pytest.raises(DocumentRefused) as locked:
        document_migrate(actor=archivist, document=in_circuit, node=draft.nodes.get(code="FIN-02"))
    assert locked.value.code == "locked"
    report = plan_migrate_documents(actor=archivist, plan_from=reference, plan_to=draft)
    assert [item.document.pk for item in report.migrated] == [held.pk]
    assert [(item.document.pk, item.code) for item in report.refused] == [(in_circuit.pk, "locked")]
    held.refresh_from_db()
    assert held.legal_hold and held.node.plan_id == draft.pk
    assert AuditEvent.objects.get(action="documents.document_migrate").data["legal_hold"] is True


def test_bulk_migration_maps_by_code_reports_the_unmappable_and_honours_overrides(
        territory, reference, editor, other_editor, archivist, file_document, arc_archivist):
    # Filed under the ARC's PAT-02 before Compiègne overrode it.
    before_override = file_document(editor, territory["compiegne"], node="PAT-02", title="Toiture")
    commune = plan_adopt(actor=None, organisation=territory["compiegne"], reference=reference)
    override = node_create(actor=None, plan=commune, code="PAT-02", title="Bâtiments (Compiègne)",
                           overrides=reference.nodes.get(code="PAT-02"), retention_period=15)
    gone = file_document(editor, territory["compiegne"], node="MP-02", title="Offre non retenue")
    deliberation = file_document(editor, territory["compiegne"], node="FIN-03", title="Délibération",
                                 doc_type="deliberation", metadata={"numero": "2025-1"},
                                 document_date=date(2025, 1, 2))
    elsewhere = file_document(other_editor, territory["venette"], node="PAT-02", title="Venette")
    draft = plan_draft_new_version(actor=arc_archivist, plan=reference)
    node_delete(actor=arc_archivist, node=draft.nodes.get(code="MP-02"))
    node_create(actor=arc_archivist, plan=draft, code="MP-03", title="Offres non retenues",
                parent=draft.nodes.get(code="MP"), retention_period=3, final_action="destroy",
                retention_start_event="document_date")
    plan_publish(actor=arc_archivist, plan=draft)

    preview = {item.document.pk: item for item in migration_preview(archivist, reference, draft)}
    assert elsewhere.pk not in preview, "only the documents the archivist may migrate"
    assert preview[before_override.pk].target.pk == override.pk, "the commune's override wins"
    assert preview[gone.pk].target is None and preview[gone.pk].code == "unmapped"
    assert Document.objects.get(pk=gone.pk).node.plan_id == reference.pk, "a preview changes nothing"

    report = plan_migrate_documents(actor=archivist, plan_from=reference, plan_to=draft)
    assert {item.document.pk for item in report.migrated} == {before_override.pk, deliberation.pk}
    assert [item.document.pk for item in report.refused] == [gone.pk]
    before_override.refresh_from_db()
    assert before_override.node_id == override.pk and before_override.retention_rule["period"] == 15

    mapped = plan_migrate_documents(actor=archivist, plan_from=reference, plan_to=draft,
                                    mapping={"MP-02": "MP-03"})
    gone.refresh_from_db()
    assert [item.document.pk for item in mapped.migrated] == [gone.pk]
    assert gone.node.code == "MP-03" and gone.retention_rule["period"] == 3
    assert gone.final_action == "destroy" and gone.retention_end is not None
    assert Document.objects.get(pk=elsewhere.pk).node.plan_id == reference.pk
    summary = AuditEvent.objects.filter(action="documents.plan_migrate").order_by("seq").last()
    assert summary.data["mapping"] == {"MP-02": "MP-03"} and summary.data["migrated"] == 1


def test_a_type_the_new_node_does_not_declare_cannot_be_migrated(territory, reference, editor,
                                                                 archivist, file_document,
                                                                 arc_archivist):
    deliberation = file_document(editor, territory["compiegne"], node="FIN-03", title="Délibération",
                                 doc_type="deliberation", metadata={"numero": "2025-1"},
                                 document_date=date(2025, 1, 2))
    draft, _ = new_reference(reference, arc_archivist)
    report = plan_migrate_documents(actor=archivist, plan_from=reference, plan_to=draft,
                                    mapping={"FIN-03": "FIN-02"})
    assert [(item.document.pk, item.code) for item in report.refused] == [
        (deliberation.pk, "invalid_metadata")]


# ---------------------------------------------------------------- the command line


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("documents", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_publishes_a_draft_and_reports_vanished_overrides(territory, reference,
                                                                      compiegne_plan):
    with pytest.raises(CommandError, match="pas de brouillon"):
        run("plan-publish", "--org", "arc", "--plan", reference.code)
    with pytest.raises(CommandError, match="Plan inconnu"):
        run("plan-publish", "--org", "arc", "--plan", "inconnu")
    draft = plan_draft_new_version(actor=None, plan=reference)
    node_delete(actor=None, node=draft.nodes.get(code="PAT-02"))
    out, err = run("plan-publish", "--org", "arc", "--plan", reference.code)
    assert "version 2 en vigueur ; version 1 remplacée" in out
    assert "À REVOIR" in err and "PAT-02" in err and "Compiègne" in err
    assert FilePlan.objects.get(pk=draft.pk).status == PlanStatus.ACTIVE


def test_the_command_migrates_with_a_dry_run_first_and_fails_on_the_unmappable(
        territory, reference, editor, file_document):
    mandate = file_document(editor, territory["compiegne"], node="FIN-02", title="Mandat")
    offer = file_document(editor, territory["compiegne"], node="MP-02", title="Offre")
    draft = plan_draft_new_version(actor=None, plan=reference)
    node_delete(actor=None, node=draft.nodes.get(code="MP-02"))
    plan_publish(actor=None, plan=draft)
    with pytest.raises(CommandError, match="1 document"):
        run("plan-migrate", "--org", "arc", "--plan", reference.code, "--dry-run")
    assert Document.objects.get(pk=mandate.pk).node.plan_id == reference.pk
    with pytest.raises(CommandError):
        run("plan-migrate", "--org", "arc", "--plan", reference.code)
    assert Document.objects.get(pk=mandate.pk).node.plan_id == draft.pk
    out, _ = run("plan-migrate", "--org", "arc", "--plan", reference.code, "--map", "MP-02=FIN-02")
    assert f"n° {offer.pk}" in out and "MP-02 (v1) → FIN-02" in out and "Migrés : 1" in out
    assert Document.objects.get(pk=offer.pk).node.code == "FIN-02"
    with pytest.raises(CommandError, match="ANCIEN=NOUVEAU"):
        run("plan-migrate", "--org", "arc", "--plan", reference.code, "--map", "MP-02")
