"""Every read of the portal's data, scoped to the actor."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from socle.core.access import Actor, can, get_or_404, granted_paths, organisations_for, scope
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.module_activation import module_enabled

from .access_links import access_token_read
from .effective import EffectiveProcedure, effective
from .models import (
    Adoption,
    Case,
    CaseChannel,
    CaseDocument,
    CaseEvent,
    CaseEventKind,
    DocumentKind,
    Payment,
    Procedure,
    ProcedureStatus,
)

VIEW_CASE = "portal.view_case"
PROCESS_CASE = "portal.process_case"
EDIT_PROCEDURE = "portal.edit_procedure"

# A page of cases as models, or as the dicts of .values() (the queue).
Row = TypeVar("Row")


def _published() -> QuerySet[Procedure]:
    return Procedure.objects.filter(status=ProcedureStatus.PUBLISHED,
                                    published_revision__isnull=False)


def procedures_offered(*, commune: Organisation | None) -> list[EffectiveProcedure]:
    """Return the procedures offered to residents of a commune (all communes' when None).

    Offered: the intercommunality's own procedures, the commune's own, and the
    templates the commune adopted and offers.
    """
    if commune is not None and not module_enabled("portal", commune):
        return []
    published = _published().select_related("organisation", "published_revision")
    offered: list[EffectiveProcedure] = [
        effective(p) for p in published.filter(is_template=False,
                                               organisation__kind=OrganisationKind.EPCI)
    ]
    if commune is not None:
        offered += [effective(p) for p in published.filter(is_template=False,
                                                           organisation=commune)]
        adoptions = Adoption.objects.filter(
            organisation=commune, offered=True, template__in=published.filter(is_template=True)
        ).select_related("template", "template__published_revision", "organisation")
        offered += [effective(a.template, a) for a in adoptions]
    return sorted(offered, key=lambda e: e.title.lower())


def procedure_offered_get(*, slug: str, commune: Organisation | None) -> EffectiveProcedure:
    """Return one procedure as offered in a commune, or 404 when it is not offered there."""
    if commune is not None and not module_enabled("portal", commune):
        raise Http404("Les démarches en ligne ne sont pas proposées dans cette commune.")
    procedure = _published().filter(slug=slug).select_related("organisation").first()
    if procedure is None:
        raise Http404("Démarche introuvable.")
    if procedure.is_template:
        if commune is None:
            return effective(procedure)
        adoption = Adoption.objects.filter(template=procedure, organisation=commune,
                                           offered=True).select_related("organisation").first()
        if adoption is None:
            raise Http404("Cette démarche n'est pas proposée dans cette commune.")
        return effective(procedure, adoption)
    if procedure.organisation.kind == OrganisationKind.COMMUNE and commune is not None \
            and procedure.organisation_id != commune.pk:
        raise Http404("Cette démarche n'est pas proposée dans cette commune.")
    return effective(procedure)


def _commune_of(organisation: Organisation) -> Organisation | None:
    # A commune's service files for its commune; the intercommunality for none.
    if organisation.kind == OrganisationKind.COMMUNE:
        return organisation
    parts = [p for p in organisation.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return Organisation.objects.filter(kind=OrganisationKind.COMMUNE, path__in=paths).first()


def procedure_offered_in(*, organisation: Organisation, slug: str) -> EffectiveProcedure | None:
    """Return a procedure as offered where an organisation's register received a letter, or None."""
    return next((o for o in procedures_offered(commune=_commune_of(organisation)) if o.slug == slug),
                None)


def procedures_fileable(*, actor: Actor, organisation: Organisation) -> list[EffectiveProcedure]:
    """Return the procedures an agent may file a letter of that organisation under.

    Those offered there whose cases land where the agent may process them; a procedure
    routed by an address of its form is kept: where it lands is known from the answers.
    """
    from .models import Routing

    if not granted_paths(actor, PROCESS_CASE):
        return []
    return [o for o in procedures_offered(commune=_commune_of(organisation))
            if o.procedure.routing == Routing.ADDRESS_FIELD
            or can(actor, PROCESS_CASE, o.organisation)]


def case_form_context(*, offered: EffectiveProcedure, data: dict[str, Any], errors: dict[str, str],
                      extra_rows: dict[str, int] | None = None) -> dict[str, Any]:
    """Return what the portal's form templates need to draw a procedure's published form."""
    from .form_render import form_context

    return form_context(offered.fields(offered.revision), data, errors, extra_rows)


def procedures_editable(*, actor: Actor) -> QuerySet[Procedure]:
    """Return the procedures an editor may change."""
    return scope(Procedure.objects.select_related("organisation", "published_revision"),
                 actor, EDIT_PROCEDURE).order_by("title")


def procedure_editable_get(*, actor: Actor, slug: str) -> Procedure:
    """Return one procedure the editor may change, or 404."""
    return get_or_404(procedures_editable(actor=actor), slug=slug)


def organisations_editable(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the intercommunality and communes whose procedures the editor may write."""
    return organisations_for(actor, EDIT_PROCEDURE).filter(
        kind__in=[OrganisationKind.EPCI, OrganisationKind.COMMUNE]).order_by("path")


def communes_editable(*, actor: Actor) -> QuerySet[Organisation]:
    """Return the communes for which the editor may adopt the intercommunality's templates."""
    # Slugs carry no accents: their order is the alphabetical one, on every database.
    return organisations_for(actor, EDIT_PROCEDURE).filter(
        kind=OrganisationKind.COMMUNE).order_by("slug")


def adoptions_editable(*, actor: Actor) -> QuerySet[Adoption]:
    """Return the adoptions of the communes the editor may write for."""
    return scope(Adoption.objects.select_related("template", "organisation"), actor,
                 EDIT_PROCEDURE)


def adoptable_templates(*, actor: Actor) -> QuerySet[Procedure]:
    """Return the intercommunality's templates, which any editor may adopt for a commune."""
    if not organisations_for(actor, EDIT_PROCEDURE).exists():
        return Procedure.objects.none()
    return _published().filter(is_template=True).order_by("title")


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    procedure: str = ""
    assigned: str = ""  # "me", "none", or an agent's email
    overdue: bool = False
    q: str = ""
    organisation: str = ""


def cases_for_agent(*, actor: Actor, filters: QueueFilters | None = None) -> QuerySet[Case]:
    """Return the cases of the organisations where the agent may see cases, filtered."""
    filters = filters or QueueFilters()
    # The organisations' ids, read first, let the database walk the (organisation,
    # submitted_at) index for a page; a join on their paths made it sort every case.
    organisations = organisations_for(actor, VIEW_CASE)
    if filters.organisation:
        organisations = organisations.filter(slug=filters.organisation)
    # Only those holding cases (an index probe each): with a commune's services, which
    # hold none, in the list, SQLite sorted all the commune's cases for every page.
    visible = list(organisations.filter(Exists(Case.objects.filter(organisation=OuterRef("pk"))))
                   .values_list("pk", flat=True))
    cases = Case.objects.filter(organisation_id__in=visible).exclude(status="draft")
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.procedure:
        cases = cases.filter(procedure__slug=filters.procedure)
    if filters.assigned == "me" and isinstance(actor, User):
        cases = cases.filter(assigned_to=actor)
    elif filters.assigned == "none":
        cases = cases.filter(assigned_to__isnull=True)
    elif filters.assigned:
        cases = cases.filter(assigned_to__email=filters.assigned)
    if filters.overdue:
        cases = cases.filter(decision_due_on__lt=timezone.localdate(), closed_at__isnull=True)
    query = filters.q.strip()
    if re.fullmatch(r"\d{4}-\d{6}", query):
        # A case number: the unique index answers at once, where the name search scans.
        cases = cases.filter(number=query)
    elif query:
        cases = cases.filter(Q(number__iexact=query) | Q(applicant_name__icontains=query)
                             | Q(email__iexact=query))
    return cases.select_related("procedure", "organisation", "assigned_to").order_by(
        "-submitted_at", "-pk")


def cases_page(*, cases: QuerySet[Case, Row], order: tuple[str, ...], size: int) -> list[Row]:
    """Return the first ``size`` cases in ``order``, in one query.

    On SQLite the page's ids are chosen in a subquery on the cases alone: with the
    joins of the page in the same SELECT, it started from the agent's organisations
    and sorted each of their cases (60 ms for Compiègne at 100,000 cases) instead of
    walking an index. PostgreSQL plans the joined query well: there the subquery
    would only add its compilation (0.7 ms).
    """
    if connection.vendor != "sqlite":
        return list(cases.order_by(*order)[:size])
    ids = cases.order_by(*order).values("pk")[:size]
    return list(cases.filter(pk__in=ids).order_by(*order))


def case_get_for(*, actor: Actor, number: str) -> Case:
    """Return a case to its citizen or to an agent who may see it; 404 for anyone else."""
    cases = Case.objects.select_related("procedure", "organisation", "revision", "citizen",
                                        "assigned_to", "group")
    if actor is not None and actor.is_authenticated:
        own = cases.filter(number=number, citizen=actor).first()
        if own is not None:
            return own
    return get_or_404(scope(cases, actor, VIEW_CASE).exclude(status="draft"), number=number)


def case_get_for_agent(*, actor: Actor, number: str) -> Case:
    """Return a filed case to an agent who may see it (never a draft); 404 for anyone else."""
    cases = Case.objects.select_related("procedure", "organisation", "revision", "citizen",
                                        "assigned_to", "group")
    return get_or_404(scope(cases, actor, VIEW_CASE).exclude(status="draft"), number=number)


# The letters a case filed online is owed, drawn by the worker (services/acknowledging.py).
ACKNOWLEDGEMENT_KINDS = (DocumentKind.REGISTRATION, DocumentKind.RECEIPT)


def case_acknowledgements_pending(*, case: Case) -> bool:
    """Tell whether an online filing still waits for its acknowledgements to be drawn."""
    return (case.submitted_at is not None and case.channel == CaseChannel.ONLINE
            and not CaseDocument.objects.filter(case=case, kind__in=ACKNOWLEDGEMENT_KINDS).exists())


def case_is_citizen(*, actor: Actor, case: Case) -> bool:
    """Tell whether the actor is the case's citizen."""
    return bool(actor is not None and actor.is_authenticated and case.citizen_id == actor.pk)


def case_may_process(*, actor: Actor, case: Case) -> bool:
    """Tell whether the actor may process the case (move it, comment, assign)."""
    return can(actor, PROCESS_CASE, case.organisation)


def cases_of_citizen(*, actor: User) -> QuerySet[Case]:
    """Return a citizen's own cases, drafts included."""
    return Case.objects.filter(citizen=actor).select_related("procedure", "organisation").order_by(
        "-created_at")


def case_rows_of_citizen(*, actor: User, limit: int = 200) -> list[dict[str, Any]]:
    """Return the columns "Mes demandes" shows of a citizen's own cases, newest first."""
    return [dict(row) for row in cases_of_citizen(actor=actor).values(
        "number", "status", "submitted_at", "created_at", "revision_id",
        "revision__published_at", "procedure__slug", "procedure__title",
        "procedure__is_template", "organisation__slug")[:limit]]


def case_events_visible(*, actor: Actor, case: Case) -> QuerySet[CaseEvent]:
    """Return the history of a case: everything for agents, the public part for the citizen."""
    events = case.events.select_related("actor")
    if case_is_citizen(actor=actor, case=case) and not can(actor, VIEW_CASE, case.organisation):
        events = events.filter(visible_to_citizen=True)
    return events


def case_documents_visible(*, actor: Actor, case: Case) -> QuerySet[CaseDocument]:
    """Return the files of a case the actor may download."""
    documents = case.documents.select_related("blob")
    if case_is_citizen(actor=actor, case=case) and not can(actor, VIEW_CASE, case.organisation):
        documents = documents.filter(visible_to_citizen=True)
    return documents


def case_document_get(*, actor: Actor, number: str, document_id: int) -> CaseDocument:
    """Return one file of a case the actor may download, or 404."""
    case = case_get_for(actor=actor, number=number)
    return get_or_404(case_documents_visible(actor=actor, case=case), pk=document_id)


def caseworkers_of(*, organisation: Organisation) -> QuerySet[User]:
    """Return the agents who may process the cases of an organisation (for assignment)."""
    from socle.core.models import Membership
    from socle.core.roles import roles_granting

    ancestors = [p for p in organisation.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(ancestors[: i + 1]) + "/" for i in range(len(ancestors))]
    user_ids = Membership.objects.filter(
        role__in=roles_granting(PROCESS_CASE), revoked_at__isnull=True,
        organisation__path__in=paths).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "email")


def case_is_overdue(*, case: Case, today: date | None = None) -> bool:
    """Tell whether a case passed its implicit-decision date without being closed."""
    today = today or timezone.localdate()
    return bool(case.decision_due_on and case.closed_at is None and case.decision_due_on < today)


def procedures_for_queue(*, actor: Actor) -> QuerySet[Procedure]:
    """Return the procedures whose cases can reach the agent's organisations (queue filter)."""
    from socle.core.access import granted_paths

    if not granted_paths(actor, VIEW_CASE):
        return Procedure.objects.none()
    # The intercommunality's procedures and templates route cases to the communes.
    return (Procedure.objects.filter(published_revision__isnull=False)
            .filter(Q(organisation__in=organisations_for(actor, VIEW_CASE))
                    | Q(organisation__kind=OrganisationKind.EPCI))
            .select_related("published_revision").defer("summary", "published_revision__fields")
            .order_by("title"))


def caseworkers_for_agent(*, actor: Actor) -> QuerySet[User]:
    """Return the agents who may be assigned cases the agent sees (queue filter)."""
    from functools import reduce
    from operator import or_

    from socle.core.access import granted_paths
    from socle.core.models import Membership
    from socle.core.roles import roles_granting

    paths = granted_paths(actor, VIEW_CASE)
    if not paths:
        return User.objects.none()
    ancestors = set()
    for granted in paths:
        parts = [p for p in granted.strip("/").split("/") if p]
        ancestors |= {"/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))}
    below = reduce(or_, (Q(organisation__path__startswith=p) for p in paths))
    user_ids = Membership.objects.filter(
        role__in=roles_granting(PROCESS_CASE), revoked_at__isnull=True).filter(
        below | Q(organisation__path__in=ancestors)).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("last_name", "email")


def revision_workflows(*, revision_ids: Any) -> dict[int, dict[str, Any]]:
    """Return the workflow definitions of revisions, by id (status labels of a list)."""
    from .models import ProcedureRevision

    ids = {int(pk) for pk in revision_ids}
    if not ids:
        return {}
    return dict(ProcedureRevision.objects.filter(pk__in=ids).order_by()
                .values_list("pk", "workflow"))


def procedure_for_export(*, procedure: Procedure) -> dict[str, Any]:
    """Return a procedure as the JSON shared between intercommunalities."""
    revision = procedure.published_revision or procedure.revisions.order_by("-number").first()
    return {
        "format": "socle-procedure/1",
        "slug": procedure.slug,
        "title": procedure.title,
        "summary": procedure.summary,
        "category": procedure.category,
        "requires_account": procedure.requires_account,
        "requires_franceconnect": procedure.requires_franceconnect,
        "fee_kind": procedure.fee_kind,
        "fee_amount": str(procedure.fee_amount),
        "implicit_decision_days": procedure.implicit_decision_days,
        "silence_means": procedure.silence_means,
        "routing": procedure.routing,
        "routing_field": procedure.routing_field,
        "service_name": procedure.service_name,
        "service_contact": procedure.service_contact,
        "group_slug": procedure.group_slug,
        "file_plan_node": procedure.file_plan_node,
        "is_template": procedure.is_template,
        "fields": revision.fields if revision else [],
        "workflow": revision.workflow if revision else {},
    }


def case_payments(*, case: Case) -> QuerySet[Payment]:
    """Return the payments of a case already obtained through case_get_for, newest first."""
    return case.payments.order_by("-created_at", "-pk")


def payment_of_citizen(*, actor: Actor, transaction_id: str) -> Payment | None:
    """Return one of the actor's own payments by its bank transaction, or None."""
    if actor is None or not actor.is_authenticated or not transaction_id:
        return None
    return (Payment.objects.select_related("case", "case__procedure")
            .filter(transaction_id=transaction_id[:120], case__citizen=actor).first())


def indicator_cases_filed(*, actor: Actor, start: date, end: date,
                          organisation: Organisation | None = None) -> int:
    """Count the cases filed over [start, end) that the actor may see."""
    from socle.core.indicators import indicator_queryset

    return indicator_queryset(Case.objects.all(), actor=actor, permission="portal.view_case",
                              date_field="submitted_at", start=start, end=end,
                              organisation=organisation).count()


def indicator_cases_closed(*, actor: Actor, start: date, end: date,
                           organisation: Organisation | None = None) -> int:
    """Count the cases closed (decided, refused or withdrawn) over [start, end) that the actor may see."""
    from socle.core.indicators import indicator_queryset

    return indicator_queryset(Case.objects.all(), actor=actor, permission="portal.view_case",
                              date_field="closed_at", start=start, end=end,
                              organisation=organisation).count()


# ------------------------------------------------------------------ the views' reads
# Each read a page or an endpoint makes, so that views hold no query of their own.


def _case_without_account(number: str) -> Case | None:
    # Only a case filed without an account opens by its link: a citizen's case never does.
    return (Case.objects.select_related("procedure", "organisation", "revision")
            .filter(number=number, citizen__isnull=True).first())


def case_from_access_token(*, token: str) -> Case:
    """Return the case filed without an account that a genuine signed link names, or 404."""
    number = access_token_read(token)
    case = _case_without_account(number) if number else None
    if case is None:
        raise Http404("Demande introuvable.")
    return case


def case_get_for_page(*, actor: Actor, number: str, granted: Collection[str] = ()) -> Case:
    """Return a case to its citizen, to an agent who may see it, or to a visitor whose
    session holds its link (``granted``, the numbers it opened); 404 for anyone else."""
    if number in granted:
        case = _case_without_account(number)
        if case is not None:
            return case
    if actor is None or not actor.is_authenticated:
        raise Http404("Demande introuvable.")
    return case_get_for(actor=actor, number=number)


def case_events_shown(*, actor: Actor, case: Case) -> QuerySet[CaseEvent]:
    """Return the history of a case the actor reached through a selector; a visitor holding
    its link sees the public part only."""
    if actor is None or not actor.is_authenticated:
        return case.events.filter(visible_to_citizen=True)
    return case_events_visible(actor=actor, case=case)


def case_documents_shown(*, actor: Actor, case: Case) -> QuerySet[CaseDocument]:
    """Return the files of a case the actor reached through a selector; a visitor holding
    its link sees the public ones only."""
    if actor is None or not actor.is_authenticated:
        return case.documents.filter(visible_to_citizen=True).select_related("blob")
    return case_documents_visible(actor=actor, case=case)


def case_document_shown_get(*, actor: Actor, case: Case, document_id: int) -> CaseDocument:
    """Return one file of a case the actor may download, or 404."""
    document = case_documents_shown(actor=actor, case=case).filter(pk=document_id).first() \
        if 0 < document_id < 2**63 else None
    if document is None:
        raise Http404("Document introuvable.")
    return document


def case_information_request(*, actor: Actor, case: Case) -> CaseEvent | None:
    """Return the last request for more information on a case the actor reached."""
    return case.events.filter(to_status="info_requested").order_by("-at").first()


def case_draft_of_citizen(*, actor: User, number: str) -> Case | None:
    """Return one of the citizen's own drafts by its number, or None."""
    return cases_of_citizen(actor=actor).filter(number=number, status="draft").first()


def case_of_citizen_by_key(*, actor: User, idempotency_key: str) -> Case | None:
    """Return the citizen's case filed with an idempotency key, or None."""
    return cases_of_citizen(actor=actor).filter(idempotency_key=idempotency_key).first()


def communes_offering(*, procedure: Procedure) -> list[Organisation]:
    """Return the communes that offer an adopted template, by name (public)."""
    return [a.organisation for a in procedure.adoptions.filter(offered=True)
            .select_related("organisation").order_by("organisation__name")]


def commune_names(*, slugs: Collection[str]) -> dict[str, str]:
    """Return the public organisations' names by slug, for answers that name a commune."""
    from socle.core.selectors import organisations_public

    return dict(organisations_public().filter(slug__in=slugs).values_list("slug", "name")) \
        if slugs else {}


def agent_sees_cases(*, actor: Actor) -> bool:
    """Tell whether the actor may see the cases of some organisation."""
    return organisations_for(actor, VIEW_CASE).exists()


def organisations_of_queue(*, actor: Actor) -> QuerySet[Organisation, Any]:
    """Return the organisations whose cases the agent sees, by name (queue filter)."""
    return organisations_for(actor, VIEW_CASE).order_by("name").values("slug", "name")


def procedure_for_queue_get(*, actor: Actor, slug: str) -> Procedure | None:
    """Return one of the procedures of the agent's queue by its slug, or None."""
    return procedures_for_queue(actor=actor).filter(slug=slug).first()


def cases_filed(*, cases: QuerySet[Case, Row]) -> QuerySet[Case, Row]:
    """Keep the filed cases of a selector's cases (a filed case always has a date)."""
    return cases.filter(submitted_at__isnull=False)


def cases_seek(*, cases: QuerySet[Case, Row], key: str, value: Any, pk: int,
               newer: bool = False) -> QuerySet[Case, Row]:
    """Keep a selector's cases past a page's last row on (key, pk): older, or newer."""
    # The bare bound on the key lets the index seek to the position, where the
    # alternative alone would make the database scan every newer case first.
    if newer:
        return cases.filter(Q(**{f"{key}__gt": value}) | Q(pk__gt=pk), **{f"{key}__gte": value})
    return cases.filter(Q(**{f"{key}__lt": value}) | Q(pk__lt=pk), **{f"{key}__lte": value})


def cases_count_capped(*, cases: QuerySet[Case, Row], cap: int) -> int:
    """Count a selector's cases up to ``cap + 1`` (enough to say "more than cap")."""
    return cases.order_by()[:cap + 1].count()


# A list row needs only these columns: the answers (a large JSON) stay in the database.
LIST_COLUMNS = ("number", "status", "created_at", "submitted_at", "decision_due_on",
                "closed_at", "applicant_name", "procedure__slug", "procedure__title",
                "organisation__slug")


def cases_listed_for_agent(*, actor: Actor, filters: QueueFilters) -> QuerySet[Case]:
    """Return the filed cases an agent sees, filtered, with the columns of the API's lists."""
    return cases_filed(cases=cases_for_agent(actor=actor, filters=filters)).only(
        *LIST_COLUMNS, "assigned_to__email")


def cases_listed_for_citizen(*, actor: User, status: str = "",
                             procedure: str = "") -> QuerySet[Case]:
    """Return a citizen's own cases, filtered, with their status history for the API's lists."""
    cases = cases_of_citizen(actor=actor).select_related("revision").only(
        *LIST_COLUMNS, "revision__workflow").prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.filter(kind=CaseEventKind.STATUS)))
    if status:
        cases = cases.filter(status=status)
    if procedure:
        cases = cases.filter(procedure__slug=procedure)
    return cases


def case_payment_get(*, case: Case, payment_id: int) -> Payment:
    """Return one payment of a case already obtained through a selector, or 404."""
    payment = case_payments(case=case).filter(pk=payment_id).first() if 0 < payment_id < 2**63 \
        else None
    if payment is None:
        raise Http404("Paiement introuvable.")
    return payment


def procedures_editable_listed(*, actor: Actor) -> QuerySet[Procedure]:
    """Return the procedures the editor may edit, each with its latest revision number."""
    return procedures_editable(actor=actor).annotate(latest=Max("revisions__number"))


def commune_editable_get(*, actor: Actor, slug: str) -> Organisation:
    """Return a commune the editor may write for, or 404."""
    return get_or_404(communes_editable(actor=actor), slug=slug)


def template_adoptable_get(*, actor: Actor, slug: str) -> Procedure:
    """Return a template the editor may adopt for a commune, or 404."""
    return get_or_404(adoptable_templates(actor=actor).select_related("published_revision"), slug=slug)


def adoption_editable_get(*, actor: Actor, template: Procedure,
                          organisation: Organisation) -> Adoption | None:
    """Return a commune's adoption of a template, if the editor may write for it."""
    return adoptions_editable(actor=actor).filter(template=template, organisation=organisation).first()


def adoptions_of_templates(*, actor: Actor, templates: Collection[Procedure]) -> QuerySet[Adoption]:
    """Return the adoptions of these templates the editor may write for."""
    return adoptions_editable(actor=actor).filter(template__in=templates)


def case_number_of(*, actor: Actor, pk: int) -> str | None:
    """Return the number of a filed case the actor may see, by its id (for other modules'
    panels on ``portal.case``), or None."""
    return case_numbers_of(actor=actor, pks=[pk]).get(pk)


def case_numbers_of(*, actor: Actor, pks: Collection[int]) -> dict[int, str]:
    """Return the numbers of those filed cases the actor may see, by id, in one query (for
    other modules' references to ``portal.case``, decision 0017)."""
    wanted = {pk for pk in pks if 0 < pk < 2**63}
    if not wanted:
        return {}
    return dict(scope(Case.objects.all(), actor, VIEW_CASE).exclude(status="draft")
                .filter(pk__in=wanted).values_list("pk", "number"))


# What a row of the queue shows, read as plain values: building cases, procedures,
# organisations and users for 50 rows cost more than the query itself.
QUEUE_VALUES = ("pk", "number", "status", "revision_id", "revision__published_at", "applicant_name",
                "email", "submitted_at", "decision_due_on", "closed_at", "procedure__title",
                "organisation__name", "assigned_to__first_name", "assigned_to__last_name",
                "assigned_to__email")


def queue_rows(*, cases: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """Return a selector's cases as the plain values a row of the queue shows."""
    return cases.values(*QUEUE_VALUES)


def procedures_of_queue(*, actor: Actor) -> list[dict[str, Any]]:
    """Return the procedures of the agent's queue filter, with their published revision."""
    rows = procedures_for_queue(actor=actor).values(
        "slug", "title", "published_revision_id", "published_revision__published_at")
    return [dict(row) for row in rows]


def caseworkers_of_queue(*, actor: Actor) -> list[tuple[str, str, str]]:
    """Return the email and names of the agents the queue can be filtered by."""
    return list(caseworkers_for_agent(actor=actor).values_list("email", "first_name", "last_name"))


def cases_for_export(*, actor: Actor, filters: QueueFilters, with_answers: bool) -> QuerySet[Case]:
    """Return the cases of the agent's queue for a spreadsheet; the answers only if asked."""
    cases = cases_for_agent(actor=actor, filters=filters)
    return cases if with_answers else cases.defer("data", "extra_fields")


def work_cases(*, actor: Actor, limit: int) -> list[Any]:
    """ "Mes tâches": the open cases assigned to the agent, then the unassigned ones of their
    teams and of the organisations where they hold the caseworker's role themselves."""
    from socle.core.models import Membership
    from socle.core.modules import WorkItem, object_ref
    from socle.core.notices import unread_refs
    from socle.core.roles import roles_granting

    if not isinstance(actor, User):
        return []
    own_orgs = Membership.objects.filter(user=actor, revoked_at__isnull=True,
                                         role__in=roles_granting(PROCESS_CASE)).values("organisation_id")
    open_cases = (scope(Case.objects.all(), actor, PROCESS_CASE)
                  .filter(closed_at__isnull=True).exclude(status="draft"))
    # Three lists each walked in its own index and merged here: one query with the three
    # conditions joined by OR read every open case of the commune (26 ms at 100,000 cases).
    # A case without a due date last, on SQLite as on PostgreSQL.
    order = (F("decision_due_on").asc(nulls_last=True), "submitted_at", "pk")
    columns = ("pk", "number", "decision_due_on", "submitted_at", "assigned_to_id",
               "applicant_name", "email", "procedure__title", "organisation__name")
    parts = (open_cases.filter(assigned_to=actor),
             open_cases.filter(assigned_to__isnull=True, group__members=actor),
             open_cases.filter(assigned_to__isnull=True, group__isnull=True,
                               organisation_id__in=own_orgs))
    merged: dict[int, dict[str, Any]] = {}
    for part in parts:
        for row in part.order_by(*order).values(*columns)[:limit]:
            merged.setdefault(row["pk"], row)
    rows = sorted(merged.values(), key=lambda row: (
        row["decision_due_on"] is None, row["decision_due_on"] or date.min,
        row["submitted_at"], row["pk"]))[:limit]
    unread = unread_refs(actor=actor, refs=[object_ref("portal.case", c["pk"]) for c in rows])
    today = timezone.localdate()
    items = []
    for case in rows:
        due = case["decision_due_on"]
        detail = f"{case['procedure__title']} · {case['organisation__name']} · " + (
            "attribué à vous" if case["assigned_to_id"] == actor.pk else "non attribué")
        if due:
            detail += (f" · décision due le {due:%d/%m/%Y}"
                       + (" (en retard)" if due < today else ""))
        items.append(WorkItem(
            title=f"Dossier n° {case['number']} : {case['applicant_name'] or case['email']}",
            url=f"/agent/dossiers/{case['number']}/", since=case["submitted_at"],
            detail=detail, unread=object_ref("portal.case", case["pk"]) in unread))
    return items
