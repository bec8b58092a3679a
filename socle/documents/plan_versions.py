"""Versions of a file plan, and the archivist's migration of documents between them.

A plan version in force is never edited: its managers draft version N+1 (a copy of its
nodes, tree and rules), edit the draft's nodes, then publish it, which retires version N
in the same transaction. Documents filed under version N keep its nodes, and the rules
they were filed under (``Document.retention_rule``), until an archivist migrates them
to a node in force: their retention is then computed again from the new node's rule.

Publishing also moves what other plans link to in the retired version: a plan that
``extends`` it, and a node that ``overrides`` one of its nodes or hangs under one
(``parent``), go to the node of the same code in the new version. A link whose code is
gone stays on the retired node, so the commune's override still applies
(``nodes_effective`` gives it), and is reported: in the publication's report and
journal events, and on the plan pages (``plan_stale_links``).

A migration refuses a document in a validation circuit (its signers validate it as
filed) but not one under legal hold: the hold blocks destruction, not classification.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from socle.core.access import Actor, can, granted_paths
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .metadata import MetadataInvalid, metadata_clean
from .models import Document, DocumentStatus, FilePlan, FilePlanNode, PlanStatus
from .retention import rule_of
from .selectors import documents_for, file_plan_nodes_for, nodes_effective
from .services import (
    MANAGE_PLANS,
    NODE_FIELDS,
    DocumentRefused,
    _require,
    _retention_set,
    node_rules_check,
)

MIGRATE = "documents.migrate_documents"
LIVE = (PlanStatus.ACTIVE, PlanStatus.DRAFT)


# ---------------------------------------------------------------- drafting


def _plan_locked(plan: FilePlan) -> FilePlan:
    return (FilePlan.objects.select_for_update(of=("self",)).select_related("organisation", "extends")
            .get(pk=plan.pk))


def _draft_only(plan: FilePlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        state = "a été remplacée" if plan.status == PlanStatus.RETIRED else "est en vigueur"
        raise DocumentRefused(
            f"La version {plan.version} de ce plan {state} : elle ne se modifie plus. Préparez une "
            "nouvelle version (brouillon), puis publiez-la.", code="plan_immutable")


def plan_draft_new_version(*, actor: User | None, plan: FilePlan) -> FilePlan:
    """Copy the version in force of a plan, its nodes, tree and rules, into a new draft version."""
    _require(actor, MANAGE_PLANS, plan.organisation)
    with transaction.atomic():
        source = _plan_locked(plan)
        if source.status != PlanStatus.ACTIVE:
            raise DocumentRefused("Une nouvelle version se prépare à partir de la version en vigueur "
                                  "du plan.", code="not_active")
        versions = list(FilePlan.objects.select_for_update().filter(
            organisation=source.organisation, code=source.code))
        draft = next((v for v in versions if v.status == PlanStatus.DRAFT), None)
        if draft is not None:
            raise DocumentRefused(f"La version {draft.version} de ce plan est déjà en préparation : "
                                  "modifiez ce brouillon ou publiez-le.", code="draft_exists")
        number = max(v.version for v in versions) + 1
        new = FilePlan.objects.create(organisation=source.organisation, code=source.code,
                                      title=source.title, version=number, status=PlanStatus.DRAFT,
                                      extends=source.extends)
        nodes = list(source.nodes.order_by("pk"))
        copies: dict[int, FilePlanNode] = {}
        for node in nodes:
            copies[node.pk] = FilePlanNode.objects.create(
                plan=new, code=node.code, overrides_id=node.overrides_id,
                **{name: getattr(node, name) for name in NODE_FIELDS})
        for node in nodes:
            if node.parent_id is not None:
                copy = copies[node.pk]
                # A parent in the same plan becomes its copy; one in the extended plan stays.
                parent = copies.get(node.parent_id)
                copy.parent_id = parent.pk if parent is not None else node.parent_id
                copy.save(update_fields=["parent"])
        audit_record(actor=actor, action="documents.plan_draft", organisation=new.organisation,
                     target=new, data={"code": new.code, "version": number,
                                       "from_version": source.version, "nodes": len(nodes)})
    return new


def _node_locked(node: FilePlanNode) -> tuple[FilePlan, FilePlanNode]:
    plan = _plan_locked(node.plan)
    _draft_only(plan)
    return plan, FilePlanNode.objects.select_for_update().get(pk=node.pk)


def node_update(*, actor: User | None, node: FilePlanNode, **changes: Any) -> FilePlanNode:
    """Change the title or rules of a node of a draft plan (its code is its identity: kept)."""
    _require(actor, MANAGE_PLANS, node.plan.organisation)
    unknown = set(changes) - NODE_FIELDS
    if unknown:
        raise DocumentRefused(f"Règles inconnues : {', '.join(sorted(unknown))}.", code="invalid_node")
    if "title" in changes:
        changes["title"] = " ".join(str(changes["title"]).split())[:200]
        if not changes["title"]:
            raise DocumentRefused("Un nœud a un intitulé.", code="invalid_node")
    with transaction.atomic():
        plan, current = _node_locked(node)
        node_rules_check({name: getattr(current, name) for name in NODE_FIELDS} | changes)
        before = {name: getattr(current, name) for name in changes}
        for name, value in changes.items():
            setattr(current, name, value)
        current.save()
        changed = {name: [before[name], value] for name, value in changes.items()
                   if before[name] != value}
        audit_record(actor=actor, action="documents.node_update", organisation=plan.organisation,
                     target=current, data={"plan": plan.code, "version": plan.version,
                                           "code": current.code, "changes": changed})
    return current


def node_delete(*, actor: User | None, node: FilePlanNode) -> None:
    """Remove a node of a draft plan that no document, sub-node or override uses."""
    _require(actor, MANAGE_PLANS, node.plan.organisation)
    with transaction.atomic():
        plan, current = _node_locked(node)
        if Document.objects.filter(node=current).exists():
            raise DocumentRefused("Des documents sont classés sous ce nœud : il ne peut pas être "
                                  "supprimé.", code="node_in_use")
        if FilePlanNode.objects.filter(parent=current).exists():
            raise DocumentRefused("Ce nœud a des sous-nœuds : supprimez-les ou déplacez-les d'abord.",
                                  code="node_in_use")
        if FilePlanNode.objects.filter(overrides=current).exists():
            raise DocumentRefused("Un autre plan remplace ce nœud : il ne peut pas être supprimé.",
                                  code="node_in_use")
        data = {"plan": plan.code, "version": plan.version, "code": current.code,
                "title": current.title}
        audit_record(actor=actor, action="documents.node_delete", organisation=plan.organisation,
                     target=current, data=data)
        current.delete()


# ---------------------------------------------------------------- publishing


@dataclass
class PlanLink:
    """A node of a live plan that points at a node of another plan (``overrides`` or ``parent``)."""

    node: FilePlanNode
    kind: str
    code: str

    def describe(self) -> str:
        plan = self.node.plan
        what = "remplace" if self.kind == "overrides" else "est rangé sous"
        return (f"{plan.organisation.name}, plan « {plan.code} » v{plan.version} : le nœud "
                f"{self.node.code} {what} le nœud {self.code} du plan de référence, absent de sa "
                "version en vigueur.")

    def as_data(self) -> dict[str, Any]:
        plan = self.node.plan
        return {"organisation": plan.organisation.slug, "plan": plan.code, "version": plan.version,
                "node": self.node.code, "link": self.kind, "code": self.code}


@dataclass
class PublishReport:
    """What a publication did: the version retired, the links moved, the links left behind."""

    plan: FilePlan
    retired: FilePlan | None
    plans_moved: list[FilePlan] = field(default_factory=list)
    moved: list[PlanLink] = field(default_factory=list)
    orphaned: list[PlanLink] = field(default_factory=list)


def _links_move(old: FilePlan, new: FilePlan, report: PublishReport) -> None:
    """Point the live plans' links to the retired version at the same codes in the new one."""
    report.plans_moved = list(FilePlan.objects.select_for_update(of=("self",))
                              .select_related("organisation")
                              .filter(extends=old, status__in=LIVE).order_by("pk"))
    FilePlan.objects.filter(pk__in=[p.pk for p in report.plans_moved]).update(extends=new)
    by_code = {node.code: node for node in new.nodes.all()}
    for kind in ("overrides", "parent"):
        linked = (FilePlanNode.objects.select_for_update(of=("self",))
                  .filter(**{f"{kind}__plan": old}, plan__status__in=LIVE).exclude(plan=new)
                  .select_related(kind, "plan__organisation").order_by("pk"))
        for node in linked:
            code = getattr(node, kind).code
            replacement = by_code.get(code)
            if replacement is None:
                report.orphaned.append(PlanLink(node, kind, code))
                continue
            setattr(node, f"{kind}_id", replacement.pk)
            node.save(update_fields=[kind])
            report.moved.append(PlanLink(node, kind, code))


def plan_publish(*, actor: User | None, plan: FilePlan) -> PublishReport:
    """Put a draft plan version in force and retire the previous one, moving the links to it."""
    _require(actor, MANAGE_PLANS, plan.organisation)
    with transaction.atomic():
        draft = _plan_locked(plan)
        if draft.status != PlanStatus.DRAFT:
            raise DocumentRefused("Seul un brouillon peut être publié.", code="not_draft")
        previous = (FilePlan.objects.select_for_update()
                    .filter(organisation=draft.organisation, code=draft.code,
                            status=PlanStatus.ACTIVE).first())
        report = PublishReport(plan=draft, retired=previous)
        if previous is not None:
            # Retire first: one version in force at a time, even within the transaction.
            previous.status = PlanStatus.RETIRED
            previous.save(update_fields=["status"])
        draft.status = plan.status = PlanStatus.ACTIVE
        draft.save(update_fields=["status"])
        if previous is not None:
            _links_move(previous, draft, report)
        known = {(link.node.pk, link.kind) for link in report.orphaned}
        report.orphaned += [link for link in plan_stale_links([draft])
                            if (link.node.pk, link.kind) not in known]
        audit_record(actor=actor, action="documents.plan_publish", organisation=draft.organisation,
                     target=draft, data={
                         "code": draft.code, "version": draft.version,
                         "retired_version": previous.version if previous else None,
                         "plans_moved": [f"{p.organisation.slug}/{p.code}" for p in report.plans_moved],
                         "links_moved": [link.as_data() for link in report.moved],
                         "links_orphaned": [link.as_data() for link in report.orphaned]})
        _journal_per_organisation(actor, draft, report)
    return report


def _journal_per_organisation(actor: User | None, published: FilePlan, report: PublishReport) -> None:
    """Tell each other organisation whose plan changed, in its own journal."""
    touched: dict[int, dict[str, Any]] = {}
    for plan in report.plans_moved:
        touched.setdefault(plan.pk, {"plan": plan, "moved": [], "orphaned": []})
    for kind, links in (("moved", report.moved), ("orphaned", report.orphaned)):
        for link in links:
            entry = touched.setdefault(link.node.plan_id, {"plan": link.node.plan, "moved": [],
                                                           "orphaned": []})
            entry[kind].append(link.as_data())
    for entry in touched.values():
        plan = entry["plan"]
        if plan.pk == published.pk:
            continue
        audit_record(actor=actor, action="documents.plan_links_move", organisation=plan.organisation,
                     target=plan, data={"reference": published.code,
                                        "reference_organisation": published.organisation.slug,
                                        "reference_version": published.version,
                                        "links_moved": entry["moved"],
                                        "links_orphaned": entry["orphaned"]})


def plan_stale_links(plans: Iterable[FilePlan]) -> list[PlanLink]:
    """Return the links of these plans' nodes to nodes of a retired version (code gone at publication)."""
    nodes = (FilePlanNode.objects.filter(plan__in=list(plans))
             .filter(Q(overrides__plan__status=PlanStatus.RETIRED)
                     | Q(parent__plan__status=PlanStatus.RETIRED))
             .exclude(plan__status=PlanStatus.RETIRED)
             .select_related("plan__organisation", "overrides__plan", "parent__plan").order_by("code"))
    links = []
    for node in nodes:
        for kind in ("overrides", "parent"):
            target = getattr(node, kind)
            if target is not None and target.plan.status == PlanStatus.RETIRED:
                links.append(PlanLink(node, kind, target.code))
    return links


def plan_in_force(plan: FilePlan) -> FilePlan | None:
    """Return the version in force of the plan of which this is a version (maybe itself)."""
    return FilePlan.objects.filter(organisation_id=plan.organisation_id, code=plan.code,
                                   status=PlanStatus.ACTIVE).first()


def plan_draft_of(plan: FilePlan) -> FilePlan | None:
    """Return the draft version of the plan of which this is a version, if one is in preparation."""
    return FilePlan.objects.filter(organisation_id=plan.organisation_id, code=plan.code,
                                   status=PlanStatus.DRAFT).first()


# ---------------------------------------------------------------- migrating documents


@dataclass
class MigrationItem:
    """A document and where a migration puts it, or why it cannot."""

    document: Document
    target: FilePlanNode | None
    problem: str = ""
    code: str = ""
    # The code the document was under (its node changes when it moves).
    source_code: str = ""


@dataclass
class MigrationReport:
    plan_from: FilePlan
    plan_to: FilePlan
    migrated: list[MigrationItem] = field(default_factory=list)
    refused: list[MigrationItem] = field(default_factory=list)


def _documents_movable(actor: Actor) -> QuerySet[Document]:
    if actor is None:
        return Document.objects.select_related("organisation", "node")
    return documents_for(actor=actor, permission=MIGRATE)


def _allowed_nodes(actor: Actor, organisation: Organisation) -> list[FilePlanNode]:
    """Return the nodes in force the actor may put the organisation's documents under."""
    if actor is None:
        return nodes_effective(organisation=organisation)
    return file_plan_nodes_for(actor=actor, organisation=organisation)


class _AllowedByOrganisation(dict[int, list[FilePlanNode]]):
    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor

    def of(self, organisation: Organisation) -> list[FilePlanNode]:
        if organisation.pk not in self:
            self[organisation.pk] = _allowed_nodes(self.actor, organisation)
        return self[organisation.pk]


def _problem(document: Document, target: FilePlanNode, allowed: list[FilePlanNode]) -> tuple[str, str]:
    """Return (French reason, code) why the document may not move to the target, or ("", "")."""
    if document.status == DocumentStatus.IN_CIRCUIT:
        return ("Le document est dans un circuit de validation en cours : il sera migré une fois "
                "le circuit terminé."), "locked"
    if target.pk == document.node_id:
        return "Le document est déjà classé sous ce nœud.", "same_node"
    if target.pk not in {node.pk for node in allowed}:
        return (f"Le nœud {target.code} n'est pas en vigueur pour {document.organisation.name}, ou "
                "vous ne pouvez pas y classer."), "unknown_node"
    try:
        metadata_clean(target.document_types, document.doc_type, document.metadata)
    except MetadataInvalid as exc:
        return f"Le type ou les métadonnées du document ne conviennent pas au nœud {target.code} : " \
               f"{exc.message}", "invalid_metadata"
    return "", ""


def _move(actor: User | None, document: Document, target: FilePlanNode,
          allowed: list[FilePlanNode], batch: dict[str, Any] | None = None) -> tuple[str, str]:
    """Move one document under the target node; return a refusal (reason, code) or ("", "")."""
    locked = (Document.objects.select_for_update(of=("self",))
              .select_related("node__plan", "organisation").get(pk=document.pk))
    problem = _problem(locked, target, allowed)
    if problem[0]:
        return problem
    source = locked.node
    before = {"rule": locked.retention_rule, "retention_start": locked.retention_start,
              "retention_end": locked.retention_end, "final_action": locked.final_action}
    locked.node = target
    locked.retention_rule = rule_of(target)
    _retention_set(locked)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["node", "retention_rule", "retention_start", "retention_end",
                               "final_action", "updated_at"])

    def day(value: Any) -> str | None:
        return value.isoformat() if value else None

    audit_record(actor=actor, action="documents.document_migrate", organisation=locked.organisation,
                 target=locked, data={
                     "from": {"plan": source.plan.code, "version": source.plan.version,
                              "node": source.code, "rule": before["rule"],
                              "retention_end": day(before["retention_end"]),
                              "final_action": before["final_action"]},
                     "to": {"plan": target.plan.code, "version": target.plan.version,
                            "node": target.code, "rule": locked.retention_rule,
                            "retention_end": day(locked.retention_end),
                            "final_action": locked.final_action},
                     "legal_hold": locked.legal_hold, **({"batch": batch} if batch else {})})
    document.node, document.retention_rule = locked.node, locked.retention_rule
    document.retention_start, document.retention_end = locked.retention_start, locked.retention_end
    document.final_action, document.updated_at = locked.final_action, locked.updated_at
    return "", ""


def document_migrate(*, actor: User | None, document: Document, node: FilePlanNode) -> Document:
    """Move a document under another node in force and compute its retention from that node's rule."""
    _require(actor, MIGRATE, document.organisation)
    allowed = _allowed_nodes(actor, document.organisation)
    with transaction.atomic():
        reason, code = _move(actor, document, node, allowed)
        if reason:
            raise DocumentRefused(reason, code=code)
    return document


def _target_for(node: FilePlanNode, plan_to_nodes: dict[str, FilePlanNode], mapping: dict[str, str],
                effective: list[FilePlanNode]) -> FilePlanNode | None:
    """Return the node of the new version for a node's code, or the organisation's override of it."""
    target = plan_to_nodes.get(mapping.get(node.code, node.code))
    if target is None:
        return None
    override = next((n for n in effective if n.overrides_id == target.pk), None)
    return override or target


def migration_preview(actor: Actor, plan_from: FilePlan, plan_to: FilePlan, *,
                      mapping: dict[str, str] | None = None,
                      organisation: Organisation | None = None) -> list[MigrationItem]:
    """Return, for each document the actor may migrate under plan_from, its node in plan_to.

    Codes map to the same code unless ``mapping`` (old code → new code) says otherwise; a
    commune's override of the new node wins, as it would when filing.
    """
    return _preview(actor, plan_from, plan_to, mapping or {}, organisation,
                    _AllowedByOrganisation(actor))


def _preview(actor: Actor, plan_from: FilePlan, plan_to: FilePlan, mapping: dict[str, str],
             organisation: Organisation | None, allowed_by_org: _AllowedByOrganisation,
             ) -> list[MigrationItem]:
    documents = _documents_movable(actor).filter(node__plan=plan_from)
    if organisation is not None:
        documents = documents.filter(organisation__path__startswith=organisation.path)
    documents = documents.select_related("organisation", "node").order_by(
        "organisation__path", "node__code", "pk")
    plan_to_nodes = {node.code: node for node in plan_to.nodes.select_related("plan")}
    items = []
    for document in documents:
        allowed = allowed_by_org.of(document.organisation)
        target = _target_for(document.node, plan_to_nodes, mapping, allowed)
        if target is None:
            code = mapping.get(document.node.code, document.node.code)
            items.append(MigrationItem(document, None, f"Le code {code} n'existe pas dans la version "
                                       f"{plan_to.version} : indiquez le nœud où le reclasser.",
                                       "unmapped", document.node.code))
            continue
        reason, code = _problem(document, target, allowed)
        items.append(MigrationItem(document, target, reason, code, document.node.code))
    return items


def plan_migrate_documents(*, actor: User | None, plan_from: FilePlan, plan_to: FilePlan,
                           mapping: dict[str, str] | None = None,
                           organisation: Organisation | None = None) -> MigrationReport:
    """Move the documents of a retired version to the version in force, node by code (or mapping).

    Only the documents the actor may migrate (and, given ``organisation``, only that
    organisation's and below); those that cannot move are reported, the others move.
    """
    if actor is not None and (not granted_paths(actor, MIGRATE) or (
            organisation is not None and not can(actor, MIGRATE, organisation))):
        raise DocumentRefused("Seul un archiviste peut migrer des documents vers une autre version "
                              "du plan.", code="forbidden")
    with transaction.atomic():
        # Read again under lock: a publication may have changed the versions meanwhile.
        plan_from, plan_to = _plan_locked(plan_from), _plan_locked(plan_to)
        if plan_from.status != PlanStatus.RETIRED or plan_to.status != PlanStatus.ACTIVE:
            raise DocumentRefused("Une migration va d'une version remplacée vers la version en "
                                  "vigueur.", code="invalid_plan")
        report = MigrationReport(plan_from=plan_from, plan_to=plan_to)
        batch = {"from_version": plan_from.version, "to_version": plan_to.version,
                 "plan": plan_to.code}
        allowed_by_org = _AllowedByOrganisation(actor)
        items = _preview(actor, plan_from, plan_to, mapping or {}, organisation, allowed_by_org)
        for item in items:
            if item.target is not None and not item.problem:
                # Checked again under the row lock: a circuit may have started meanwhile.
                item.problem, item.code = _move(actor, item.document, item.target,
                                                allowed_by_org.of(item.document.organisation), batch)
            (report.refused if item.problem else report.migrated).append(item)
        audit_record(actor=actor, action="documents.plan_migrate", organisation=plan_to.organisation,
                     target=plan_to, data={
                         **batch, "mapping": mapping or {}, "migrated": len(report.migrated),
                         "refused": [{"document": item.document.pk, "code": item.code}
                                     for item in report.refused]})
    return report
