"""Every read of the GED's data, scoped to the actor.

A document is visible to holders of ``documents.view`` on its organisation (or
above it), and, under a node whose access rule is ``restricted:<role>``, only to
holders of that role there. A document another organisation shared with one where
the actor holds ``documents.view`` is visible too, read-only, while the share lasts
(``DocumentShare``; never under a restricted node). Anything else does not exist for
the actor (404).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from socle.core.access import (
    Actor,
    can,
    get_or_404,
    granted_paths,
    memberships_held,
    organisations_for,
    scope,
)
from socle.core.models import AuditEvent, Membership, Organisation, User

from . import search as search_engine
from .models import (
    DestructionRequest,
    Document,
    DocumentShare,
    DocumentVersion,
    FilePlan,
    FilePlanNode,
    FinalAction,
    PlanStatus,
)
from .retention import retention_due_kind

VIEW = "documents.view"
EDIT = "documents.edit"
_META_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _restricted_condition(actor: Actor, prefix: str = "node__") -> Q:
    """Allow unrestricted nodes, and restricted ones where the actor holds the named role."""
    condition = ~Q(**{f"{prefix}access_rule__startswith": "restricted:"})
    if not isinstance(actor, User):
        return condition
    grants = memberships_held(actor)  # read once per request by core.access
    org_field = "organisation__path__startswith" if prefix else "plan__organisation__path__startswith"
    extra = [Q(**{f"{prefix}access_rule": f"restricted:{role}", org_field: path})
             for role, path in grants]
    return reduce(or_, [condition, *extra])


def _shared_condition(actor: Actor, today: date | None = None) -> Q:
    """Allow the documents shared, and still shared today, with an organisation the actor reads.

    One subquery, so a list costs the same query count with or without shares and a
    document shared twice with the actor's organisations is still one row. A restricted
    node is never opened by a share, even one made before the node became restricted.
    """
    today = today or timezone.localdate()
    shared = DocumentShare.objects.filter(
        organisation__in=organisations_for(actor, VIEW), revoked_at__isnull=True,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today)).values("document_id")
    return Q(pk__in=shared) & ~Q(node__access_rule__startswith="restricted:")


def documents_for(*, actor: Actor, permission: str = VIEW) -> QuerySet[Document]:
    """Return the documents the actor may see (or edit, with permission=documents.edit).

    Seeing includes the documents another organisation shared with one the actor reads;
    any other permission (editing, circuits, disposal) covers only the actor's own.
    """
    documents = scope(Document.objects.all(), actor, permission).filter(_restricted_condition(actor))
    if permission == VIEW and granted_paths(actor, VIEW):
        documents = documents | Document.objects.filter(_shared_condition(actor))
    return documents.select_related("organisation", "node", "current_version")


def document_ids_visible(*, actor: Actor, ids: Collection[int]) -> set[int]:
    """Return which of these document ids the actor may see (for other modules' references
    to ``documents.document``, decision 0017)."""
    wanted = {pk for pk in ids if 0 < pk < 2**63}
    if not wanted:
        return set()
    return set(documents_for(actor=actor).filter(pk__in=wanted).values_list("pk", flat=True))


def documents_for_archives(*, actor: Actor, ids: Collection[int], permission: str) -> QuerySet[Document]:
    """Return those of these documents the archives may handle for the actor: the ones of the
    organisations where the actor holds the archives' ``permission`` (decision 0017).

    Restricted nodes included: a transfer carries its documents whole, and the archivist
    already reads them in the manifest the transfer was prepared with.
    """
    wanted = {pk for pk in ids if 0 < pk < 2**63}
    return scope(Document.objects.filter(pk__in=wanted), actor, permission).select_related(
        "organisation", "node", "current_version")


def shared_with_actor(*, actor: Actor, documents: Iterable[Document]) -> set[int]:
    """Return which of these visible documents the actor sees only through a share (no query)."""
    return {document.pk for document in documents
            if not can(actor, VIEW, document.organisation)}


def document_get_for(*, actor: Actor, document_id: Any, permission: str = VIEW) -> Document:
    """Return one document the actor may see, or 404."""
    return get_or_404(documents_for(actor=actor, permission=permission), pk=document_id)


def circuit_assignee_candidates(*, actor: Actor, document: Document) -> list[User]:
    """The agents a step may go to, by name: those who may read the document."""
    if not can(actor, EDIT, document.organisation):
        return []
    from socle.core.roles import roles_granting

    holders = Membership.objects.filter(
        role__in=roles_granting(VIEW), revoked_at__isnull=True,
        organisation__path__in=_ancestor_paths(document.organisation.path)).values("user_id")
    return list(User.objects.filter(pk__in=holders, is_active=True)
                .order_by("last_name", "first_name", "email"))


def delegate_find(*, actor: Actor, email: str) -> User | None:
    """Return the active agent with that email working in one of the actor's organisations."""
    if not isinstance(actor, User):
        return None
    paths = list(Membership.objects.filter(user=actor, revoked_at__isnull=True)
                 .values_list("organisation__path", flat=True))
    if not paths:
        return None
    below = reduce(or_, (Q(organisation__path__startswith=path) for path in paths))
    colleagues = Membership.objects.filter(below, revoked_at__isnull=True).values("user_id")
    return User.objects.filter(email__iexact=email, is_active=True, pk__in=colleagues).first()


def versions_of(*, document: Document) -> QuerySet[DocumentVersion]:
    """Return the versions of a document already obtained through a selector, newest first."""
    return document.versions.select_related("created_by").order_by("-number")


def version_get(*, document: Document, number: Any) -> DocumentVersion:
    """Return one version of a document already obtained through a selector, or 404."""
    return get_or_404(document.versions.select_related("blob"), number=number)


def organisation_for(*, actor: Actor, slug: str, permission: str = VIEW) -> Organisation:
    """Return an organisation on which the actor holds the permission, or 404."""
    return get_or_404(organisations_for(actor, permission), slug=str(slug)[:80])


def organisations_visible(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the organisations whose documents the actor may see."""
    return organisations_for(actor, VIEW)


# ---------------------------------------------------------------- plans


def plans_applicable(*, organisation: Organisation) -> list[FilePlan]:
    """Return the active plans that apply to an organisation: its own and its ancestors'."""
    ancestors = [path for path in _ancestor_paths(organisation.path)]
    return list(FilePlan.objects.filter(status=PlanStatus.ACTIVE, organisation__path__in=ancestors)
                .select_related("organisation").order_by("organisation__path", "code"))


def _ancestor_paths(path: str) -> list[str]:
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def nodes_effective(*, organisation: Organisation) -> list[FilePlanNode]:
    """Return the nodes that apply to an organisation, each replaced by its override if any.

    The ARC's reference plan reaches every commune below it; a commune's own plan adds
    its nodes, and a node of it that ``overrides`` a reference node takes its place.
    Nearer plans win, so a commune's override beats the ARC's node.
    """
    plans = plans_applicable(organisation=organisation)
    nodes = list(FilePlanNode.objects.filter(plan__in=plans).select_related("plan", "overrides")
                 .order_by("code"))
    depth = {plan.pk: plan.organisation.path.count("/") for plan in plans}
    replaced = {node.overrides_id for node in nodes if node.overrides_id}
    by_code: dict[str, FilePlanNode] = {}
    for node in sorted(nodes, key=lambda n: depth[n.plan_id]):
        if node.pk in replaced:
            continue
        by_code[node.code] = node
    return sorted(by_code.values(), key=lambda n: n.code)


def file_plan_nodes_for(*, actor: Actor, organisation: Organisation) -> list[FilePlanNode]:
    """Return the nodes the actor may file under for that organisation (empty without edit right)."""
    if not can(actor, EDIT, organisation):
        return []
    visible = _restricted_nodes_allowed(actor, organisation)
    return [node for node in nodes_effective(organisation=organisation) if visible(node)]


def _restricted_nodes_allowed(actor: Actor, organisation: Organisation) -> Any:
    def allowed(node: FilePlanNode) -> bool:
        if not node.access_rule.startswith("restricted:"):
            return True
        role = node.access_rule.split(":", 1)[1]
        return Membership.objects.filter(
            user_id=getattr(actor, "pk", 0) or 0, role=role, revoked_at__isnull=True,
            organisation__path__in=_ancestor_paths(organisation.path)).exists()

    return allowed


def node_for_filing(*, actor: Actor, organisation: Organisation, code: str) -> FilePlanNode | None:
    """Return the node of that code the actor may file under for the organisation, if any."""
    return next((node for node in file_plan_nodes_for(actor=actor, organisation=organisation)
                 if node.code == code), None)


def plans_for(*, actor: Actor) -> QuerySet[FilePlan]:
    """Return the plans the actor may read, all versions: those of the organisations whose
    documents they may see, and those of their ancestors (the reference plans that apply)."""
    paths = granted_paths(actor, VIEW)
    if not paths:
        return FilePlan.objects.none()
    ancestors = {ancestor for path in paths for ancestor in _ancestor_paths(path)}
    below = reduce(or_, [Q(organisation__path__startswith=path) for path in paths])
    return FilePlan.objects.filter(below | Q(organisation__path__in=ancestors)).select_related(
        "organisation", "extends")


def plan_get_for(*, actor: Actor, plan_id: Any) -> FilePlan:
    """Return one plan version the actor may read, or 404."""
    return get_or_404(plans_for(actor=actor), pk=plan_id)


# ---------------------------------------------------------------- search


@dataclass
class SearchFilters:
    q: str = ""
    organisation: str = ""
    node: str = ""
    doc_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    metadata: dict[str, str] | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def documents_filtered(*, actor: Actor, filters: SearchFilters) -> QuerySet[Document]:
    """Return the visible documents matching the filters (not the words), newest first."""
    documents = documents_for(actor=actor)
    if filters.organisation:
        documents = documents.filter(organisation__slug=filters.organisation)
    if filters.node:
        documents = documents.filter(node__code=filters.node)
    if filters.doc_type:
        documents = documents.filter(doc_type=filters.doc_type)
    # Bounds on the timestamp itself (local days), not on its date: the index serves them.
    if filters.date_from:
        documents = documents.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        documents = documents.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    for key, value in (filters.metadata or {}).items():
        if _META_KEY.match(key):
            documents = documents.filter(**{f"metadata__{key}": value})
    return documents


@dataclass
class SearchResult:
    document: Document
    score: float
    excerpt: str


def _searched_organisations(actor: Actor, filters: SearchFilters) -> list[int]:
    """Return the organisations whose documents the actor may find: their own and the owners
    of the documents shared with them (a superset: the search applies the exact scope)."""
    own = organisations_for(actor, VIEW)
    sharing = DocumentShare.objects.filter(organisation__in=own, revoked_at__isnull=True)
    organisations = Organisation.objects.filter(
        Q(pk__in=own) | Q(pk__in=sharing.values("document__organisation_id")),
        # A service holding no document would only cost the search a look.
        Exists(Document.objects.filter(organisation=OuterRef("pk"))))
    if filters.organisation:
        organisations = organisations.filter(slug=filters.organisation)
    return list(organisations.values_list("pk", flat=True))


def documents_search(*, actor: Actor, filters: SearchFilters, limit: int = 20,
                     offset: int = 0) -> list[SearchResult]:
    """Return the visible documents matching the words and filters, best first, with excerpts."""
    # The candidates are documents_filtered's, shares included: narrowing them to the
    # actor's own organisations would drop the documents shared with them.
    hits = search_engine.search(documents_filtered(actor=actor, filters=filters), filters.q, limit=limit,
                                offset=offset, organisations=_searched_organisations(actor, filters))
    found = documents_for(actor=actor).in_bulk([hit.document_id for hit in hits])
    return [SearchResult(found[hit.document_id], hit.score, hit.excerpt)
            for hit in hits if hit.document_id in found]


# ---------------------------------------------------------------- retention


@dataclass
class RetentionDue:
    """The documents of one organisation whose administrative retention has ended."""

    to_transfer: list[Document]
    to_destroy: list[Document]
    held: list[Document]


# What each document due is for (``retention_due_kind``), in ``retention_due`` and its page.
RETENTION_DUE_KINDS = ("transfer", "destroy", "held")
FINAL_ACTIONS_DUE = (FinalAction.DESTROY, FinalAction.KEEP, FinalAction.SORT)


def retention_due(*, actor: Actor, organisation: Organisation, on: date) -> RetentionDue:
    """Return the organisation's documents due on ``on``: for the archives (keep or sort), for
    destruction, and those a legal hold keeps out of both lists.

    Only the organisation's own documents: a commune's archivist answers for its own.
    """
    due = (documents_for(actor=actor).filter(organisation=organisation, retention_end__lte=on)
           .select_related("node", "current_version").order_by("retention_end", "pk"))
    lists: dict[str, list[Document]] = {kind: [] for kind in RETENTION_DUE_KINDS}
    for document in due:
        if document.legal_hold or document.final_action in FINAL_ACTIONS_DUE:
            lists[retention_due_kind(legal_hold=document.legal_hold,
                                     final_action=document.final_action)].append(document)
    return RetentionDue(lists["transfer"], lists["destroy"], lists["held"])


def retention_due_page(*, actor: Actor, organisation: Organisation, on: date, kind: str = "",
                       after: tuple[date, int] | None = None, limit: int = 25) -> list[Document]:
    """Return up to ``limit`` of the organisation's documents due on ``on``, by end of retention
    then id, after the ``(retention_end, id)`` of the previous page; ``kind`` narrows them to
    one of ``RETENTION_DUE_KINDS``. A page costs the same at the millionth document."""
    due = (documents_for(actor=actor).filter(organisation=organisation, retention_end__lte=on)
           .filter(Q(legal_hold=True) | Q(final_action__in=FINAL_ACTIONS_DUE))
           .select_related("node").order_by("retention_end", "pk"))
    if kind == "held":
        due = due.filter(legal_hold=True)
    elif kind == "destroy":
        due = due.filter(legal_hold=False, final_action=FinalAction.DESTROY)
    elif kind == "transfer":
        due = due.filter(legal_hold=False, final_action__in=(FinalAction.KEEP, FinalAction.SORT))
    if after is not None:
        end, pk = after
        due = due.filter(Q(retention_end__gt=end) | Q(retention_end=end, pk__gt=pk))
    return list(due[:limit])


def destruction_requests_for(*, actor: Actor, organisation: Organisation) -> QuerySet[DestructionRequest]:
    """Return the destruction requests of an organisation the actor may see, newest first."""
    requests = scope(DestructionRequest.objects.all(), actor, VIEW)
    return requests.filter(organisation=organisation).select_related("requested_by", "decided_by")


def destruction_request_get_for(*, actor: Actor, request_id: Any) -> DestructionRequest:
    """Return one destruction request the actor may see, or 404."""
    return get_or_404(scope(DestructionRequest.objects.select_related("organisation"), actor, VIEW),
                      pk=request_id)


def destruction_certificate(*, request: DestructionRequest) -> AuditEvent | None:
    """Return the certificate (journal event) of an executed request obtained through a selector."""
    if request.certificate_seq is None:
        return None
    return AuditEvent.objects.filter(seq=request.certificate_seq,
                                     action="documents.destruction_certificate").first()


# SEDA 2.1 knows only Keep and Destroy: "sort" (tri) is decided at the archives, so the
# documents are transferred as kept and sorted there.
_SEDA_FINAL_ACTION = {"keep": "Keep", "sort": "Keep", "destroy": "Destroy"}


def _seda_duration(period: int | None, unit: str) -> str:
    if period is None:
        return ""
    return f"P{period}Y" if unit == "year" else f"P{period}M"


def transfer_metadata(*, document: Document) -> dict[str, Any]:
    """Return what the archives need to transfer a document already obtained through a selector.

    Names follow SEDA 2.1 where it has one (AppraisalRule, AccessRule, FinalAction).
    """
    organisation = document.organisation
    node = document.node
    rule = document.retention_rule or {}
    agency = {"slug": organisation.slug, "name": organisation.name, "siret": organisation.siret}
    return {
        "id": document.pk,
        "title": document.title,
        "doc_type": document.doc_type,
        "metadata": document.metadata,
        "tags": document.tags,
        "document_date": document.document_date.isoformat() if document.document_date else None,
        "created_at": document.created_at.isoformat(),
        "closed_on": document.closed_on.isoformat() if document.closed_on else None,
        # The organisation produced the document and transfers it itself.
        "originating_agency": agency,
        "transferring_agency": agency,
        "node": {"code": node.code, "title": node.title, "plan": node.plan.code,
                 "plan_version": node.plan.version},
        "appraisal_rule": {
            "rule": f"{rule.get('plan', node.plan.code)}:{rule.get('node', node.code)}",
            "duration": _seda_duration(rule.get("period"), str(rule.get("unit") or "year")),
            "start_event": rule.get("start_event", ""),
            "start_date": document.retention_start.isoformat() if document.retention_start else None,
            "end_date": document.retention_end.isoformat() if document.retention_end else None,
            "final_action": _SEDA_FINAL_ACTION.get(document.final_action, ""),
            "final_action_local": document.final_action,
        },
        "access_rule": {"rule": node.access_rule,
                        "start_date": document.document_date.isoformat()
                        if document.document_date else document.created_at.date().isoformat()},
        "versions": [{
            "number": version.number, "file_name": version.name,
            "original_name": version.original_name, "sha256": version.blob_id,
            "size": version.size, "mime_type": version.mime_type,
            "created_at": version.created_at.isoformat(),
        } for version in document.versions.order_by("number")],
    }


def indicator_documents_filed(*, actor: Actor, start: date, end: date,
                              organisation: Organisation | None = None) -> int:
    """Count the documents filed over [start, end) in the organisations the actor may read."""
    from socle.core.indicators import indicator_queryset

    return indicator_queryset(Document.objects.all(), actor=actor, permission=VIEW,
                              date_field="created_at", start=start, end=end,
                              organisation=organisation).count()
