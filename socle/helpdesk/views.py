"""The helpdesk's pages: "Mes tickets" and opening a ticket for the communes' agents, the
technicians' queue, a ticket's page with its follow-ups and actions, the SLA report and
the knowledge base.

Server-rendered, French, usable without JavaScript. A ticket of a commune the agent may
not see is a 404, whatever the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.blobs import blob_open
from socle.core.downloads import file_download
from socle.core.errors import ServiceError
from socle.core.models import User
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor

from . import selectors, services
from .forms import (
    AnswerForm,
    ArticleForm,
    AssignForm,
    CommentForm,
    LevelsForm,
    ObserverForm,
    PendingForm,
    SlaForm,
    SolveForm,
    TaskForm,
    TicketOpenForm,
)
from .models import OPEN_STATUSES, Category, Priority, Status, Ticket

PAGE_SIZE = 50
DETAIL_PATH = "/assistance/tickets/{pk}/"


@dataclass(frozen=True)
class Row:
    """One line of a ticket list, made once in Python rather than in the template (the queue
    is the page technicians reload all day: a template lookup per cell costs)."""

    number: str
    url: str
    title: str
    organisation: str
    category: str
    priority: str
    status: str
    requester: str
    assignee: str
    opened: str
    due: str
    late: bool


def _rows(tickets: list[Ticket], now: datetime) -> list[Row]:
    rows = []
    for t in tickets:
        assignee = (t.assignee.display_name if t.assignee else
                    t.assigned_group.name if t.assigned_group else "")
        pending = t.status == Status.PENDING
        due = t.due_resolve_at
        rows.append(Row(
            number=t.number, url=DETAIL_PATH.format(pk=t.pk), title=t.title,
            organisation=t.organisation.name, category=t.get_category_display(),
            priority=t.get_priority_display(), status=t.get_status_display(),
            requester=t.requester.display_name, assignee=assignee,
            opened=timezone.localtime(t.opened_at).strftime("%d/%m/%Y %H:%M"),
            due="En pause" if pending else (timezone.localtime(due).strftime("%d/%m/%Y %H:%M")
                                            if due else "—"),
            late=bool(due and due < now and t.status in OPEN_STATUSES)))
    return rows

agent_required = role_required(
    selectors.VIEW, title="Espace réservé à l'assistance informatique",
    message="Seuls les agents des communes membres et les techniciens de la DCSI accèdent "
            "à l'assistance.")
technician_required = role_required(
    selectors.HANDLE, title="Espace réservé aux techniciens",
    message="Seuls les techniciens de la DCSI accèdent à la file des tickets.")
report_required = role_required(
    selectors.REPORT, title="Espace réservé aux techniciens",
    message="Seuls les techniciens de la DCSI consultent le rapport des engagements de service.")


def _text(params: Any, name: str, length: int) -> str:
    return str(params.get(name, "")).replace("\x00", "").strip()[:length]


def _people(users: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.display_name} ({u.email})") for u in users[:500]]


def _page(request: HttpRequest, tickets: Any) -> tuple[list[Ticket], str]:
    before = _text(request.GET, "before", 19)
    if before.isdigit() and 0 < int(before) < 2**63:
        tickets = tickets.filter(pk__lt=int(before))
    rows = list(tickets[: PAGE_SIZE + 1])
    next_url = ""
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = request.GET.copy()
        params["before"] = str(rows[-1].pk)
        next_url = f"?{params.urlencode()}"
    return rows, next_url


# ---------------------------------------------------------------------- agents' pages


@require_GET
@agent_required
def mine(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    everyone = request.GET.get("commune") == "1"
    status = _text(request.GET, "status", 20)
    filters = selectors.TicketFilters(
        status=status if status in [*Status.values, "open"] else "", mine=not everyone,
        q=_text(request.GET, "q", 100))
    rows, next_url = _page(request, selectors.ticket_rows_for(actor=user,
                                                               filters=filters))
    return render(request, "helpdesk/mine.html", {
        "rows": _rows(rows, timezone.now()), "tickets": rows, "next_url": next_url,
        "filters": filters, "everyone": everyone,
        "statuses": Status.choices,
        "may_open": selectors.organisations_opening(actor=user).exists(),
        "is_technician": selectors.is_technician(actor=user),
    })


def _open_form(request: HttpRequest, user: User) -> TicketOpenForm:
    organisations = list(selectors.organisations_opening(actor=user))
    technician = selectors.is_technician(actor=user)
    requesters = None
    observers: list[tuple[str, str]] = []
    if technician:
        requesters = [(str(u.pk), f"{u.display_name} ({u.email}) — {org.name}")
                      for org in organisations if org.kind == "commune"
                      for u in selectors.agents_of(actor=user, organisation=org)[:200]]
    elif len(organisations) == 1:
        observers = [(pk, label) for pk, label in _people(selectors.agents_of(
            actor=user, organisation=organisations[0])) if pk != str(user.pk)]
    return TicketOpenForm(request.POST or None,
                          organisations=[(o.slug, o.name) for o in organisations],
                          requesters=requesters, observers=observers)


@require_http_methods(["GET", "POST"])
@agent_required
def create(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    if not selectors.organisations_opening(actor=user).exists():
        raise Http404("Introuvable.")
    form = _open_form(request, user)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _open(user, form.cleaned_data)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Ticket {ticket.number} ouvert. La DCSI le prend en charge.")
            return redirect("helpdesk:detail", ticket.pk)
    return render(request, "helpdesk/create.html", {"form": form, "refusal": refusal},
                  status=400 if request.method == "POST" else 200)


def _open(user: User, data: dict[str, Any]) -> Ticket:
    organisation = selectors.organisation_opening_get(actor=user, slug=data["organisation"])
    people = selectors.agents_of(actor=user, organisation=organisation)
    requester = None
    if data.get("requester"):
        requester = people.filter(pk=data["requester"]).first()
        if requester is None:
            raise ServiceError("Le demandeur doit être un agent de la commune du ticket.",
                               code="invalid_requester")
    observers = list(people.filter(pk__in=data.get("observers") or []))
    return services.ticket_open(
        actor=user, organisation=organisation, title=data["title"],
        description=data["description"], category=data["category"], kind=data["kind"],
        urgency=int(data["urgency"]), impact=int(data["impact"]), requester=requester,
        channel="phone" if requester else "web", observers=observers)


# ------------------------------------------------------------------- technicians' queue


@require_GET
@technician_required
def queue(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    status = _text(request.GET, "status", 20) or "open"
    category = _text(request.GET, "category", 20)
    priority = _text(request.GET, "priority", 1)
    assigned = _text(request.GET, "assigned", 4)
    filters = selectors.TicketFilters(
        status=status if status in [*Status.values, "open", "all"] and status != "all" else "",
        organisation=_text(request.GET, "organisation", 80),
        category=category if category in Category.values else "",
        priority=int(priority) if priority.isdigit() and 1 <= int(priority) <= 6 else None,
        assigned=assigned if assigned in {"me", "none"} else "",
        late=request.GET.get("late") in {"1", "on"}, q=_text(request.GET, "q", 100))
    rows, next_url = _page(request, selectors.ticket_rows_for(actor=user,
                                                               filters=filters))
    return render(request, "helpdesk/queue.html", {
        "rows": _rows(rows, timezone.now()), "tickets": rows, "next_url": next_url,
        "filters": filters, "status": status,
        "statuses": Status.choices, "categories": Category.choices,
        "priorities": Priority.choices, "now": timezone.now(),
        "organisations": selectors.organisations_opening(actor=user),
    })


# ------------------------------------------------------------------------ a ticket


def _detail_context(user: User, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    handle = selectors.may_handle(actor=user, ticket=ticket)
    context: dict[str, Any] = {
        "ticket": ticket, "may_handle": handle,
        "may_read_internal": selectors.may_read_internal(actor=user, ticket=ticket),
        "followups": selectors.followups_for(actor=user, ticket=ticket),
        "tasks": selectors.tasks_for(actor=user, ticket=ticket),
        "observers": selectors.observers_of(actor=user, ticket=ticket),
        "attachments": selectors.attachments_for(actor=user, ticket=ticket),
        "is_requester": ticket.requester_id == user.pk,
        "is_open": ticket.status in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS,
                                     Status.PENDING),
        "remaining": services.remaining_minutes(ticket),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "observer_form": ObserverForm(people=[
            p for p in _people(selectors.agents_of(actor=user, organisation=ticket.organisation))
            if int(p[0]) != ticket.requester_id]),
        "refusal": forms.get("refusal", ""),
    }
    if handle:
        context.update({
            "assign_form": AssignForm(
                initial={"assignee": ticket.assignee_id or "", "group": ticket.assigned_group_id
                         or ""},
                technicians=_people(selectors.technicians_for(actor=user)),
                groups=[(str(g.pk), g.name) for g in selectors.groups_for(actor=user)]),
            "pending_form": forms.get("pending_form") or PendingForm(),
            "task_form": forms.get("task_form") or TaskForm(),
            "solve_form": forms.get("solve_form") or SolveForm(articles=_article_choices(user)),
            "sla_form": SlaForm(initial={"sla": ticket.sla_id or ""}, slas=[
                (str(s.pk), str(s)) for s in selectors.slas_for(actor=user)]),
            "time_spent": sum(task.minutes for task in context["tasks"]),
            "levels_form": forms.get("levels_form") or LevelsForm(
                initial={"urgency": ticket.urgency, "impact": ticket.impact}),
        })
    return context


def _article_choices(user: User) -> list[tuple[str, str]]:
    return [(str(a.pk), a.title) for a in selectors.articles_for(actor=user).filter(
        visibility="public")[:300]]


@require_GET
@agent_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    ticket = selectors.ticket_get_for(actor=user, pk=pk)
    notices_mark_read(actor=user, ref=object_ref("helpdesk.ticket", ticket.pk))
    return render(request, "helpdesk/detail.html", _detail_context(user, ticket))


@require_GET
@agent_required
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    found = selectors.attachment_get(actor=request_actor(request), ticket_pk=pk,
                                     pk=attachment_pk)
    return file_download(blob_open(found.blob), name=found.name, mime_type=found.blob.mime_type)


def _act(request: HttpRequest, pk: int, form_name: str, form: Any, action: Any,
         done: str) -> HttpResponse:
    """Run one action of the ticket page: the form valid, the service called, back to the page."""
    user = request_actor(request)
    ticket = selectors.ticket_get_for(actor=user, pk=pk)
    refusal = ""
    if form is None or form.is_valid():
        try:
            action(user, ticket, form.cleaned_data if form is not None else {})
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, done)
            return redirect("helpdesk:detail", ticket.pk)
    else:
        refusal = "Le formulaire contient des erreurs : corrigez-les ci-dessous."
    ticket = selectors.ticket_get_for(actor=user, pk=pk)
    return render(request, "helpdesk/detail.html",
                  _detail_context(user, ticket, refusal=refusal, **{form_name: form}), status=400)


@require_POST
@agent_required
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "comment_form", CommentForm(request.POST),
                lambda user, ticket, data: services.followup_add(
                    actor=user, ticket=ticket, text=data["text"], internal=data["internal"]),
                "Message ajouté.")


@require_POST
@agent_required
def observe(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    ticket = selectors.ticket_get_for(actor=user, pk=pk)
    people = selectors.agents_of(actor=user, organisation=ticket.organisation)
    form = ObserverForm(request.POST, people=_people(people))

    def add(user: User, ticket: Ticket, data: dict[str, Any]) -> None:
        services.observer_add(actor=user, ticket=ticket, user=people.get(pk=data["user"]))

    return _act(request, pk, "observer_form", form, add, "Observateur ajouté.")


@require_POST
@technician_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    form = AssignForm(request.POST, technicians=_people(selectors.technicians_for(actor=user)),
                      groups=[(str(g.pk), g.name) for g in selectors.groups_for(actor=user)])

    def give(user: User, ticket: Ticket, data: dict[str, Any]) -> None:
        assignee = (selectors.technicians_for(actor=user).filter(pk=data["assignee"]).first()
                    if data["assignee"] else None)
        group = (selectors.groups_for(actor=user).filter(pk=data["group"]).first()
                 if data["group"] else None)
        services.ticket_assign(actor=user, ticket=ticket, assignee=assignee, group=group)

    return _act(request, pk, "assign_form", form, give, "Ticket attribué.")


@require_POST
@technician_required
def take(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "take_form", None,
                lambda user, ticket, data: services.ticket_start(actor=user, ticket=ticket),
                "Ticket pris en charge.")


@require_POST
@technician_required
def pending(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "pending_form", PendingForm(request.POST),
                lambda user, ticket, data: services.ticket_pending(
                    actor=user, ticket=ticket, question=data["question"]),
                "Question envoyée : le ticket attend le demandeur.")


@require_POST
@technician_required
def task(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "task_form", TaskForm(request.POST),
                lambda user, ticket, data: services.task_add(
                    actor=user, ticket=ticket, text=data["text"], minutes=data["minutes"]),
                "Tâche enregistrée.")


@require_POST
@technician_required
def solve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)

    def give(user: User, ticket: Ticket, data: dict[str, Any]) -> None:
        article = (selectors.articles_for(actor=user).filter(pk=data["article"]).first()
                   if data["article"] else None)
        services.ticket_solve(actor=user, ticket=ticket, solution=data["solution"],
                              article=article)

    return _act(request, pk, "solve_form", SolveForm(request.POST,
                                                     articles=_article_choices(user)),
                give, "Solution proposée au demandeur.")


@require_POST
@technician_required
def change_sla(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    slas = selectors.slas_for(actor=user)

    def put(user: User, ticket: Ticket, data: dict[str, Any]) -> None:
        services.ticket_sla_change(actor=user, ticket=ticket,
                                   sla=slas.filter(pk=data["sla"]).first() if data["sla"] else None)

    return _act(request, pk, "sla_form", SlaForm(request.POST, slas=[
        (str(s.pk), str(s)) for s in slas]), put, "Engagement de service changé.")


@require_POST
@technician_required
def levels(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "levels_form", LevelsForm(request.POST),
                lambda user, ticket, data: services.ticket_levels_set(
                    actor=user, ticket=ticket, urgency=data["urgency"], impact=data["impact"]),
                "Urgence et impact corrigés : la priorité suit la matrice.")


@require_POST
@agent_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "answer_form", AnswerForm(request.POST),
                lambda user, ticket, data: services.ticket_answer_solution(
                    actor=user, ticket=ticket, accept=data["decision"] == "accept",
                    satisfaction=data["satisfaction"], comment=data["comment"]),
                "Merci pour votre réponse.")


# --------------------------------------------------------------------- SLA report


def _month(value: str) -> datetime:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in value.split("-", 1))
        first = today.replace(year=year, month=month, day=1)
    except ValueError:
        first = today.replace(day=1)
    return timezone.make_aware(datetime.combine(first, time.min))


@require_GET
@report_required
def sla_report(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    start = _month(_text(request.GET, "month", 7))
    end = timezone.make_aware(datetime.combine(
        (start + timedelta(days=32)).date().replace(day=1), time.min))
    rows, total, missed = selectors.sla_report(actor=user, start=start, end=end)
    previous = (start - timedelta(days=1)).strftime("%Y-%m")
    return render(request, "helpdesk/sla_report.html", {
        "rows": rows, "total": total, "missed": missed, "start": start,
        "month": start.strftime("%Y-%m"), "previous": previous,
        "following": end.strftime("%Y-%m"),
    })


# ------------------------------------------------------------------ knowledge base


@require_GET
@agent_required
def articles(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    q = _text(request.GET, "q", 100)
    category = _text(request.GET, "category", 20)
    return render(request, "helpdesk/articles.html", {
        "articles": selectors.articles_for(actor=user, q=q, category=category
                                           if category in Category.values else "")[:200],
        "q": q, "category": category, "categories": Category.choices,
        "may_write": selectors.is_technician(actor=user),
    })


@require_GET
@agent_required
def article(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    return render(request, "helpdesk/article.html", {
        "article": selectors.article_get_for(actor=user, pk=pk),
        "may_write": selectors.is_technician(actor=user)})


@require_http_methods(["GET", "POST"])
@technician_required
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request_actor(request)
    existing = selectors.article_get_for(actor=user, pk=pk) if pk else None
    initial = ({"title": existing.title, "body": existing.body, "category": existing.category,
                "visibility": existing.visibility, "training_need": existing.training_need}
               if existing else None)
    form = ArticleForm(request.POST or None, initial=initial)
    refusal = ""
    organisation = existing.organisation if existing else selectors.organisations_opening(
        actor=user).filter(kind="epci").first()
    if organisation is None:
        raise Http404("Introuvable.")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.article_save(
                actor=user, organisation=organisation, title=data["title"], body=data["body"],
                category=data["category"], visibility=data["visibility"],
                training_need=data["training_need"], article=existing)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "Article enregistré.")
            return redirect("helpdesk:article", saved.pk)
    return render(request, "helpdesk/article_edit.html",
                  {"form": form, "refusal": refusal, "article": existing},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("assistance/", mine, name="mine"),
    path("assistance/nouveau", create, name="create"),
    path("assistance/file", queue, name="queue"),
    path("assistance/engagements", sla_report, name="sla_report"),
    path("assistance/tickets/<int:pk>/", detail, name="detail"),
    path("assistance/tickets/<int:pk>/message", comment, name="comment"),
    path("assistance/tickets/<int:pk>/pieces/<int:attachment_pk>", attachment, name="attachment"),
    path("assistance/tickets/<int:pk>/observateur", observe, name="observe"),
    path("assistance/tickets/<int:pk>/attribuer", assign, name="assign"),
    path("assistance/tickets/<int:pk>/prendre", take, name="take"),
    path("assistance/tickets/<int:pk>/attente", pending, name="pending"),
    path("assistance/tickets/<int:pk>/tache", task, name="task"),
    path("assistance/tickets/<int:pk>/resoudre", solve, name="solve"),
    path("assistance/tickets/<int:pk>/engagement", change_sla, name="sla"),
    path("assistance/tickets/<int:pk>/priorite", levels, name="levels"),
    path("assistance/tickets/<int:pk>/reponse", answer, name="answer"),
    path("assistance/articles/", articles, name="articles"),
    path("assistance/articles/nouveau", article_edit, name="article_new"),
    path("assistance/articles/<int:pk>/", article, name="article"),
    path("assistance/articles/<int:pk>/modifier", article_edit, name="article_edit"),
]
