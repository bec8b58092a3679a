"""The agents' back office: the queue of cases, a case's page with its processing forms, CSV export.

Pages are server-rendered and work without JavaScript. The queue pages by
keyset (the position of the last row, not an offset), so that every page costs
the same at 100,000 cases; its total is counted up to a cap for the same reason.
"""

from __future__ import annotations

import csv
import hashlib
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from socle.core.access import memberships_held
from socle.core.blobs import DEFAULT_ALLOWED_TYPES, BlobRefused, blob_put
from socle.core.client_address import client_ip
from socle.core.downloads import attachment_disposition
from socle.core.middleware import human_size, too_large_response
from socle.core.models import IdentityAssurance, User
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read, unread_refs
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError
from socle.core.upload_handlers import accepts_uploads

from . import payments, selectors, services
from .form_render import display_value
from .form_schema import DefinitionError, Field, definition_parse
from .models import Case, CaseChannel, CaseEventKind, FeeKind
from .workflow import DEFAULT_WORKFLOW, TransitionRefused, Workflow, workflow_of
from .workflow_cache import workflows_of_revisions

PAGE_SIZE = 50
# Counting every match of a broad filter at 100,000 cases costs more than the page itself.
COUNT_CAP = 1_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Only agents who may see cases somewhere; a citizen gets the 403 page.
agent_required = role_required(
    selectors.VIEW_CASE, title="Espace réservé aux agents",
    message="Seuls les agents chargés d'instruire les démarches accèdent aux dossiers. "
            "Adressez-vous à la DCSI si vous pensez devoir y accéder.")


# ---------------------------------------------------------------------------- the queue


def _filters(params: Mapping[str, str]) -> selectors.QueueFilters:
    def text(name: str, length: int) -> str:
        # PostgreSQL refuses NUL characters in text: a tampered link must not make it fail.
        return str(params.get(name, "")).replace("\x00", "").strip()[:length]

    return selectors.QueueFilters(
        organisation=text("organisation", 80), status=text("status", 40),
        procedure=text("procedure", 100), assigned=text("assigned", 254),
        overdue=params.get("overdue") in {"1", "on", "true"}, q=text("q", 100),
    )


def _filter_query(filters: selectors.QueueFilters) -> str:
    values = {
        "organisation": filters.organisation, "status": filters.status,
        "procedure": filters.procedure, "assigned": filters.assigned,
        "overdue": "1" if filters.overdue else "", "q": filters.q,
    }
    return urlencode({key: value for key, value in values.items() if value})


def _cursor(row: Any) -> str:
    submitted_at = row["submitted_at"]
    assert submitted_at is not None
    micros = (submitted_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row['pk']}"


def _parse_cursor(raw: str | None) -> tuple[datetime, int] | None:
    try:
        micros, pk = (raw or "").split(".")
        position = _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None
    # A tampered id past the database's integer range would make it fail, not just miss.
    return position if 0 < position[1] < 2**63 else None


@dataclass
class Page:
    cases: list[dict[str, Any]]
    previous: str = ""
    next: str = ""


def _keyset_page(cases: QuerySet[Any], after: str | None, before: str | None) -> Page:
    """Return one page of the queue (rows as dicts), newest first, from a link's position."""
    cases = selectors.cases_filed(cases=cases)
    older = _parse_cursor(after)
    newer = _parse_cursor(before) if older is None else None
    rows: list[Any]
    if newer is not None:
        at, pk = newer
        rows = selectors.cases_page(
            cases=selectors.cases_seek(cases=cases, key="submitted_at", value=at, pk=pk, newer=True),
            order=("submitted_at", "pk"), size=PAGE_SIZE + 1)
        has_newer = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        has_older = True
    else:
        if older is not None:
            at, pk = older
            cases = selectors.cases_seek(cases=cases, key="submitted_at", value=at, pk=pk)
        rows = selectors.cases_page(cases=cases, order=("-submitted_at", "-pk"), size=PAGE_SIZE + 1)
        has_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_newer = older is not None
    if not rows:
        return Page([])
    return Page(rows, previous=_cursor(rows[0]) if has_newer else "",
                next=_cursor(rows[-1]) if has_older else "")


# A published revision is frozen (decision 0008): its status labels never change, so they
# are read and parsed once per process. The key carries the publication time, so that a
# database restored or rebuilt with the same ids cannot serve another revision's labels.
_LABELS_CACHE_SIZE = 2048
_labels_cache: OrderedDict[tuple[int, datetime], dict[str, str]] = OrderedDict()


def _labels_of(definition: Any) -> dict[str, str]:
    statuses = (definition if isinstance(definition, dict) and definition
                else DEFAULT_WORKFLOW).get("statuses")
    if not isinstance(statuses, list):
        return {}
    return {str(raw["key"]): str(raw.get("label") or raw["key"])
            for raw in statuses if isinstance(raw, dict) and raw.get("key")}


def _status_labels(revisions: Mapping[int, datetime | None]) -> dict[int, dict[str, str]]:
    """Return each revision's status labels (all the queue shows of a workflow), by id."""
    labels: dict[int, dict[str, str]] = {}
    missing = set()
    for pk, published_at in revisions.items():
        if published_at is not None and (pk, published_at) in _labels_cache:
            _labels_cache.move_to_end((pk, published_at))
            labels[pk] = _labels_cache[(pk, published_at)]
        else:
            missing.add(pk)
    for pk, definition in selectors.revision_workflows(revision_ids=missing).items():
        labels[pk] = _labels_of(definition)
        published_at = revisions[pk]
        if published_at is not None:
            _labels_cache[(pk, published_at)] = labels[pk]
            if len(_labels_cache) > _LABELS_CACHE_SIZE:
                _labels_cache.popitem(last=False)
    return labels


def _status_choices(procedures: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Return the statuses an agent can filter on: the default workflow's, then the procedures'."""
    choices = dict(_labels_of(DEFAULT_WORKFLOW))
    revisions = {p["published_revision_id"]: p["published_revision__published_at"]
                 for p in procedures}
    labels = _status_labels(revisions)
    for procedure in procedures:
        for key, label in labels.get(procedure["published_revision_id"], {}).items():
            choices.setdefault(key, label)
    choices.pop("draft", None)
    return list(choices.items())


def _workflows(revision_ids: Iterable[int]) -> dict[int, Workflow]:
    return {pk: workflow_of(definition)
            for pk, definition in selectors.revision_workflows(revision_ids=revision_ids).items()}


def _display_name(first_name: str | None, last_name: str | None, email: str | None) -> str:
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or (email or "")


@dataclass
class QueueRow:
    number: str
    url: str
    procedure: str
    applicant: str
    organisation: str
    status: str
    # Formatted here: the template's date filter costs more than the rest of a row.
    submitted: str
    due: str
    overdue: bool
    assigned: str
    unread: bool = False


def _queue_row(row: Mapping[str, Any], labels: Mapping[int, Mapping[str, str]], today: Any,
               link: str, unread: Collection[str] = ()) -> QueueRow:
    due_on = row["decision_due_on"]
    return QueueRow(
        number=row["number"], url=link.replace("0000-000000", row["number"]),
        procedure=row["procedure__title"], applicant=row["applicant_name"] or row["email"],
        organisation=row["organisation__name"],
        status=labels.get(row["revision_id"], {}).get(row["status"], row["status"]),
        submitted=_local(row["submitted_at"])[:10],
        due=due_on.strftime("%d/%m/%Y") if due_on else "—",
        overdue=bool(due_on and row["closed_at"] is None and due_on < today),
        assigned=_display_name(row["assigned_to__first_name"], row["assigned_to__last_name"],
                               row["assigned_to__email"]) or "Non attribué",
        unread=object_ref("portal.case", row["pk"]) in unread,
    )


@never_cache
@agent_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    filters = _filters(request.GET)
    cases = selectors.cases_for_agent(actor=user, filters=filters)
    page = _keyset_page(selectors.queue_rows(cases=cases), request.GET.get("apres"),
                        request.GET.get("avant"))
    # When one page holds every match there is nothing to count (a rare name would scan twice).
    paged = bool(page.previous or page.next)
    total = selectors.cases_count_capped(cases=cases, cap=COUNT_CAP) if paged else len(page.cases)
    labels = _status_labels({row["revision_id"]: row["revision__published_at"]
                             for row in page.cases})
    today = timezone.localdate()
    # One reverse() for the page: {% url %} on each row cost as much as the rest of the row.
    link = reverse("portal:agent_case", args=["0000-000000"])
    # One query for the page's unread markers (a new case, a citizen's message).
    unread = unread_refs(actor=user, refs=[object_ref("portal.case", row["pk"])
                                           for row in page.cases])
    rows = [_queue_row(row, labels, today, link, unread) for row in page.cases]
    query = _filter_query(filters)
    return render(request, "portal/backoffice/queue.html", {
        "rows": rows, "filters": filters, "filter_query": query,
        "total": total, "total_capped": total > COUNT_CAP, "count_cap": COUNT_CAP,
        "previous_url": f"?{query}&avant={page.previous}" if page.previous else "",
        "next_url": f"?{query}&apres={page.next}" if page.next else "",
        **_filter_choices(user),
        "filters_cache_seconds": settings.QUEUE_FILTERS_CACHE_SECONDS,
        "filters_fragment_key": _filters_fragment_key(user, filters),
        "filtered": bool(query),
    })


def _filter_choices(user: User) -> dict[str, Any]:
    """The queue's filter lists (organisations, procedures, statuses, agents) for this agent.

    They change when a procedure is published or an agent joins, not between two pages: each
    process keeps them ``QUEUE_FILTERS_CACHE_SECONDS`` per person and per set of roles (a role
    granted or revoked is a new key at once). Only the lists offered are cached: the cases
    shown, and what a filter lets through, are read on every page.
    """
    held = hashlib.sha256(repr((user.pk, memberships_held(user))).encode()).hexdigest()[:32]
    key = f"socle-queue-filters:{held}"
    choices = cache.get(key)
    if choices is None:
        procedures = selectors.procedures_of_queue(actor=user)
        choices = {
            "organisations": list(selectors.organisations_of_queue(actor=user)),
            "procedures": procedures,
            "statuses": _status_choices(procedures),
            "agents": [{"email": email, "name": _display_name(first, last, email)}
                       for email, first, last in selectors.caseworkers_of_queue(actor=user)],
        }
        cache.set(key, choices, settings.QUEUE_FILTERS_CACHE_SECONDS)
    return choices


def _filters_fragment_key(user: User, filters: selectors.QueueFilters) -> str:
    # The lists' markup, cached by the template for the same person, roles and choices made.
    held = repr((user.pk, memberships_held(user), filters.organisation, filters.status,
                 filters.procedure, filters.assigned))
    return hashlib.sha256(held.encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------- export

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """Return a value as a CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _french_decimal(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _assurance_label(case: Case) -> str:
    if case.channel == CaseChannel.PAPER_MAIL:
        return "déposé par courrier"
    if case.identity_assurance == IdentityAssurance.FRANCECONNECT:
        return "FranceConnect"
    return "adresse électronique" if case.citizen_id else "adresse électronique (sans compte)"


def _answer_text(f: Field, value: Any) -> str:
    if f.type == "group":
        rows = [row for row in value or [] if isinstance(row, Mapping)]
        return " | ".join(" ; ".join(f"{sub.label} : {display_value(sub, row.get(sub.name))}"
                                     for sub in f.fields if sub.name in row) for row in rows)
    return "" if value in (None, "", []) else display_value(f, value)


def _export_fields(user: Any, slug: str) -> list[Field]:
    if not slug:
        return []
    procedure = selectors.procedure_for_queue_get(actor=user, slug=slug)
    if procedure is None or procedure.published_revision is None:
        return []
    try:
        return definition_parse(procedure.published_revision.fields)
    except DefinitionError:
        return []


EXPORT_COLUMNS = ["Numéro", "Démarche", "Organisation", "Demandeur", "Adresse électronique",
                  "Identité", "Statut", "Déposé le", "Échéance", "En retard", "Attribué à",
                  "Montant dû (€)"]


def _export_rows(cases: QuerySet[Case], fields: list[Field]) -> Iterator[list[str]]:
    yield EXPORT_COLUMNS + [f.label for f in fields]
    workflows: dict[int, Workflow] = {}
    today = timezone.localdate()
    for case in cases.iterator(chunk_size=1000):
        if case.revision_id not in workflows:
            workflows.update(_workflows([case.revision_id]))
        workflow = workflows.get(case.revision_id) or workflow_of(None)
        row = [
            case.number, case.procedure.title, case.organisation.name, case.applicant_name,
            case.email, _assurance_label(case), workflow.status(case.status).label,
            _local(case.submitted_at),
            case.decision_due_on.strftime("%d/%m/%Y") if case.decision_due_on else "",
            "oui" if selectors.case_is_overdue(case=case, today=today) else "non",
            case.assigned_to.display_name if case.assigned_to else "",
            _french_decimal(case.amount_due),
        ]
        if fields:  # the answers are not even loaded otherwise
            data = case.data if isinstance(case.data, dict) else {}
            row += [_answer_text(f, data.get(f.name)) for f in fields]
        yield row


@agent_required
@require_GET
def queue_export(request: HttpRequest) -> StreamingHttpResponse:
    user = request_actor(request)
    filters = _filters(request.GET)
    fields = _export_fields(user, filters.procedure)
    cases = selectors.cases_for_export(actor=user, filters=filters, with_answers=bool(fields))
    services.case_list_export(actor=user, filters={
        key: value for key, value in filters.__dict__.items() if value})
    writer = csv.writer(_Echo(), delimiter=";")

    def lines() -> Iterator[str]:
        # The byte order mark makes Excel read the file as UTF-8.
        yield "\ufeff"
        for row in _export_rows(cases, fields):
            yield writer.writerow([csv_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = attachment_disposition(f"dossiers-{stamp}", "text/csv")
    return response


# ----------------------------------------------------------------------------- a case


@dataclass
class FileLink:
    name: str
    document_id: int | None


@dataclass
class Answer:
    """One answer of a case, as an agent reads it."""

    label: str
    type: str
    text: str = ""
    lines: list[str] = field(default_factory=list)
    files: list[FileLink] = field(default_factory=list)
    rows: list[list[Answer]] = field(default_factory=list)


def _answers(fields: Iterable[Field], data: Mapping[str, Any], documents: dict[tuple[str, str], int],
             communes: dict[str, str]) -> list[Answer]:
    result = []
    for f in fields:
        value = data.get(f.name)
        if f.name not in data and f.show_if:
            continue  # a conditional field the citizen was not asked
        answer = Answer(label=f.label, type=f.type)
        if value in (None, "", [], {}):
            answer.text = "Non renseigné"
        elif f.type == "group":
            answer.rows = [_answers(f.fields, row, documents, communes)
                           for row in value if isinstance(row, Mapping)]
        elif f.type == "file":
            answer.files = [FileLink(str(item.get("name") or "fichier"),
                                     documents.get((str(item.get("sha256")), f.name)))
                            for item in value if isinstance(item, Mapping)]
        elif f.type == "address" and isinstance(value, Mapping):
            answer.lines = [str(value.get("street", "")),
                            f"{value.get('postal_code', '')} {value.get('city', '')}".strip()]
            if value.get("commune") in communes:
                answer.lines.append(f"Commune : {communes[value['commune']]}")
        elif f.type == "commune":
            answer.text = communes.get(str(value), str(value))
        else:
            answer.text = display_value(f, value)
        result.append(answer)
    return result


def _commune_slugs(fields: Iterable[Field], data: Mapping[str, Any]) -> set[str]:
    slugs: set[str] = set()
    for f in fields:
        value = data.get(f.name)
        if f.type == "commune" and isinstance(value, str):
            slugs.add(value)
        elif f.type == "address" and isinstance(value, Mapping) and value.get("commune"):
            slugs.add(str(value["commune"]))
        elif f.type == "group" and isinstance(value, list):
            for row in value:
                if isinstance(row, Mapping):
                    slugs |= _commune_slugs(f.fields, row)
    return slugs


class TransitionForm(forms.Form):
    # The target is checked by the workflow, not by the form: a refused move is a 409.
    to = forms.CharField(max_length=40, label="Nouveau statut",
                         error_messages={"required": "Choisissez le nouveau statut."})
    comment = forms.CharField(
        required=False, max_length=5000, label="Commentaire ou motivation",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Envoyé à l'usager avec le changement de statut. Obligatoire pour un refus, "
                  "une demande d'informations ou un classement sans suite.")


class AssignForm(forms.Form):
    agent = forms.ChoiceField(required=False, label="Attribuer à")

    def __init__(self, *args: Any, agents: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agents = {str(agent.pk): agent for agent in agents}
        choice = self.fields["agent"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [("", "Personne (dossier non attribué)")] + [
            (pk, agent.email if agent.display_name == agent.email
             else f"{agent.display_name} ({agent.email})") for pk, agent in self.agents.items()]
        choice.error_messages["invalid_choice"] = (
            "Choisissez un agent qui instruit les dossiers de cette organisation.")


class CommentForm(forms.Form):
    text = forms.CharField(max_length=5000, label="Commentaire interne",
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Visible seulement des agents, jamais de l'usager.",
                           error_messages={"required": "Écrivez le commentaire."})


class MessageForm(forms.Form):
    text = forms.CharField(max_length=5000, label="Message à l'usager",
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="L'usager le lit sur le suivi de sa demande et en est "
                                     "prévenu par courriel.",
                           error_messages={"required": "Écrivez le message."})


class DocumentForm(forms.Form):
    file = forms.FileField(label="Document", error_messages={
        "required": "Choisissez le fichier à joindre.", "empty": "Le fichier est vide."},
        help_text=f"PDF, image ou document bureautique, {human_size(settings.BLOB_MAX_SIZE)} "
                  "au plus.")
    visible_to_citizen = forms.BooleanField(required=False, initial=True,
                                            label="Visible par l'usager")


class AmountForm(forms.Form):
    amount = forms.CharField(max_length=20, label="Montant à payer (en euros)",
                             help_text="Par exemple : 35 ou 35,50.",
                             error_messages={"required": "Indiquez le montant."})

    def clean_amount(self) -> Decimal:
        text = self.cleaned_data["amount"].strip().replace("\u202f", "").replace(" ", "")
        text = text.removesuffix("€").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError("Indiquez un montant en euros, par exemple 35 ou 35,50.") \
                from None
        if not amount.is_finite():
            raise forms.ValidationError("Indiquez un montant en euros, par exemple 35 ou 35,50.")
        return amount


FORM_IDS = {"transition": "transition_%s", "assign": "assign_%s", "comment": "comment_%s",
            "message": "message_%s", "document": "document_%s", "amount": "amount_%s"}


def _case_for_agent(request: HttpRequest, number: str) -> Case:
    actor = request_actor(request)
    # Not case_get_for, which also serves a case to its own citizen (who may happen to be
    # an agent elsewhere) and costs one more query on every agent's page.
    return selectors.case_get_for_agent(actor=actor, number=number)


def _blank_forms(case: Case, agents: list[User]) -> dict[str, forms.Form]:
    return {
        "transition": TransitionForm(auto_id=FORM_IDS["transition"]),
        "assign": AssignForm(agents=agents, auto_id=FORM_IDS["assign"],
                             initial={"agent": str(case.assigned_to_id or "")}),
        "comment": CommentForm(auto_id=FORM_IDS["comment"]),
        "message": MessageForm(auto_id=FORM_IDS["message"]),
        "document": DocumentForm(auto_id=FORM_IDS["document"]),
        "amount": AmountForm(auto_id=FORM_IDS["amount"],
                             initial={"amount": _french_decimal(case.amount_due)}),
    }


def _render_case(request: HttpRequest, case: Case, *, status: int = 200,
                 bound: tuple[str, forms.Form] | None = None, refusal: str = "") -> HttpResponse:
    user = request_actor(request)
    workflow = workflows_of_revisions({case.revision_id: case.revision.published_at})[
        case.revision_id]
    offered = services.offered_for_case(case)
    documents = list(selectors.case_documents_visible(actor=user, case=case))
    # Each event with the labels of the statuses it moved from and to.
    events = [(event, workflow.status(event.from_status).label, workflow.status(event.to_status).label)
              for event in selectors.case_events_visible(actor=user, case=case)]
    try:
        fields = offered.fields(case.revision)
    except DefinitionError:
        fields = []
    data = case.data if isinstance(case.data, dict) else {}
    slugs = _commune_slugs(fields, data)
    communes = selectors.commune_names(slugs=slugs)
    by_content = {(d.blob_id, d.field): d.pk for d in documents if d.field}
    may_process = selectors.case_may_process(actor=user, case=case)
    agents = list(selectors.caseworkers_of(organisation=case.organisation)) if may_process else []
    transitions = [workflow.transition(case.status, target)
                   for target in services.case_available_transitions(user, case)]
    page_forms = _blank_forms(case, agents)
    failed = None
    if bound is not None:
        page_forms[bound[0]] = failed = bound[1]
    return render(request, "portal/backoffice/case.html", {
        "case": case, "offered": offered, "status_label": workflow.status(case.status).label,
        "citizen_status": workflow.status(case.status),
        "assurance": _assurance_label(case),
        "franceconnect": case.identity_assurance == IdentityAssurance.FRANCECONNECT,
        "overdue": selectors.case_is_overdue(case=case),
        "answers": _answers(fields, data, by_content, communes),
        "documents": documents, "events": events,
        "payments": list(selectors.case_payments(case=case)),
        "may_process": may_process, "transitions": transitions,
        "agent_sets_amount": offered.fee_kind == FeeKind.AGENT,
        "forms": page_forms, "failed": failed, "refusal": refusal,
        "failed_name": bound[0] if bound is not None else "",
        "chosen_transition": failed["to"].value() if isinstance(failed, TransitionForm) else "",
        "comment_kind": CaseEventKind.COMMENT,
    }, status=status)


@never_cache
@agent_required
@require_GET
def agent_case(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    actor = request_actor(request)
    services.case_consultation_record(actor=actor, case=case, ip_address=client_ip(request))
    notices_mark_read(actor=actor, ref=object_ref("portal.case", case.pk))
    return _render_case(request, case)


def _refused(request: HttpRequest, case: Case, name: str, form: forms.Form,
             exc: ServiceError | TransitionRefused) -> HttpResponse:
    conflict = isinstance(exc, TransitionRefused | services.Conflict)
    return _render_case(request, case, status=409 if conflict else 400, bound=(name, form),
                        refusal=exc.message)


def _done(request: HttpRequest, case: Case, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect("portal:agent_case", number=case.number)


@agent_required
@require_POST
def agent_case_transition(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    form = TransitionForm(request.POST, auto_id=FORM_IDS["transition"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("transition", form))
    try:
        case = services.case_transition(actor=request_actor(request), case=case,
                                        to=form.cleaned_data["to"],
                                        comment=form.cleaned_data["comment"])
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "transition", form, exc)
    label = workflow_of(case.revision.workflow).status(case.status).label
    return _done(request, case, f"Le dossier est passé au statut « {label} ».")


@agent_required
@require_POST
def agent_case_assign(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    agents = list(selectors.caseworkers_of(organisation=case.organisation))
    form = AssignForm(request.POST, agents=agents, auto_id=FORM_IDS["assign"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("assign", form))
    agent = form.agents.get(form.cleaned_data["agent"] or "")
    try:
        services.case_assign(actor=request_actor(request), case=case, agent=agent)
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "assign", form, exc)
    notice = (f"Le dossier est attribué à {agent.display_name}." if agent
              else "Le dossier n'est plus attribué.")
    return _done(request, case, notice)


@agent_required
@require_POST
def agent_case_comment(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    form = CommentForm(request.POST, auto_id=FORM_IDS["comment"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("comment", form))
    try:
        services.case_comment(actor=request_actor(request), case=case,
                              text=form.cleaned_data["text"])
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "comment", form, exc)
    return _done(request, case, "Le commentaire interne est enregistré.")


@agent_required
@require_POST
def agent_case_message(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    form = MessageForm(request.POST, auto_id=FORM_IDS["message"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("message", form))
    try:
        services.case_message(actor=request_actor(request), case=case,
                              text=form.cleaned_data["text"])
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "message", form, exc)
    return _done(request, case, "Le message est envoyé à l'usager.")


@agent_required
@accepts_uploads
@require_POST
def agent_case_document(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    form = DocumentForm(request.POST, request.FILES, auto_id=FORM_IDS["document"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("document", form))
    # Refused before the file is stored: only an agent who may process the case attaches one.
    if not selectors.case_may_process(actor=request_actor(request), case=case):
        return _refused(request, case, "document", form, TransitionRefused(
            "Votre rôle ne permet pas de joindre un document à ce dossier."))
    upload = form.cleaned_data["file"]
    try:
        stored = blob_put(stream=upload, max_size=settings.BLOB_MAX_SIZE,
                          allowed_types=DEFAULT_ALLOWED_TYPES)
    except BlobRefused as refusal:
        if refusal.code == "payload_too_large":
            return too_large_response(request, settings.BLOB_MAX_SIZE)
        form.add_error("file", refusal.message)
        return _render_case(request, case, status=400, bound=("document", form))
    try:
        document = services.case_document_add(
            actor=request_actor(request), case=case, blob=stored.blob,
            name=upload.name or "document",
            visible_to_citizen=form.cleaned_data["visible_to_citizen"])
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "document", form, exc)
    return _done(request, case, f"Le document « {document.name} » est joint au dossier.")


@agent_required
@require_POST
def agent_case_amount(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for_agent(request, number)
    form = AmountForm(request.POST, auto_id=FORM_IDS["amount"])
    if not form.is_valid():
        return _render_case(request, case, status=400, bound=("amount", form))
    if services.offered_for_case(case).fee_kind != FeeKind.AGENT:
        return _refused(request, case, "amount", form, services.Conflict(
            "Le montant de cette démarche n'est pas fixé par l'agent."))
    try:
        services.case_set_amount(actor=request_actor(request), case=case,
                                 amount=form.cleaned_data["amount"])
    except (TransitionRefused, ServiceError) as exc:
        return _refused(request, case, "amount", form, exc)
    return _done(request, case, f"Le montant à payer est fixé à "
                                f"{payments.amount_label(case.amount_due)}.")


@agent_required
@require_POST
def agent_payment_refund(request: HttpRequest, number: str, payment_id: int) -> HttpResponse:
    case = _case_for_agent(request, number)
    payment = selectors.case_payment_get(case=case, payment_id=payment_id)
    try:
        payment = payments.payment_refund(actor=request_actor(request),
                                          payment=payment,
                                          reason=request.POST.get("reason", "").replace("\x00", ""))
    except (TransitionRefused, ServiceError) as exc:
        return _render_case(request, case, status=409, refusal=exc.message)
    return _done(request, case, f"Le remboursement de {payments.amount_label(payment.amount)} "
                                "est enregistré ; l'usager en est informé sur sa demande.")


urlpatterns = [
    path("agent/dossiers/", queue, name="queue"),
    path("agent/dossiers/export.csv", queue_export, name="queue_export"),
    path("agent/dossiers/<str:number>/", agent_case, name="agent_case"),
    path("agent/dossiers/<str:number>/transition/", agent_case_transition,
         name="agent_case_transition"),
    path("agent/dossiers/<str:number>/attribution/", agent_case_assign, name="agent_case_assign"),
    path("agent/dossiers/<str:number>/commentaire/", agent_case_comment,
         name="agent_case_comment"),
    path("agent/dossiers/<str:number>/message/", agent_case_message, name="agent_case_message"),
    path("agent/dossiers/<str:number>/document/", agent_case_document,
         name="agent_case_document"),
    path("agent/dossiers/<str:number>/montant/", agent_case_amount, name="agent_case_amount"),
    path("agent/dossiers/<str:number>/paiements/<int:payment_id>/remboursement/",
         agent_payment_refund, name="agent_payment_refund"),
]
