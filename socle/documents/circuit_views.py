"""The pages of validation circuits: send a document, my visas to give, decide, delegations.

Server-rendered without JavaScript: the circuit form shows a fixed number of step rows
and an "ajouter une étape" button that posts the form back with one more row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from socle.core.access import get_or_404
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read
from socle.core.request_actor import request_actor
from socle.core.roles import all_roles

from . import circuits, selectors
from .detail_views import agent_required
from .models import StepKind

MIN_ROWS = 3
MAX_ROWS = circuits.MAX_STEPS
# One answer for an unknown address and for an account that may not take the step, so that
# the form never tells whether an account exists.
UNKNOWN_ASSIGNEE = "Choisissez un agent de la liste : il doit pouvoir consulter ce document."
UNKNOWN_DELEGATE = "Aucun agent de vos organisations n'a cette adresse électronique."


class StepForm(forms.Form):
    kind = forms.ChoiceField(label="Type d'étape", choices=StepKind.choices, required=False,
                             initial=StepKind.VISA)
    assignee = forms.ChoiceField(label="Agent", required=False)
    role = forms.ChoiceField(label="Ou rôle", required=False)
    order = forms.IntegerField(label="Ordre", min_value=1, max_value=MAX_ROWS, required=False,
                               help_text="Les étapes de même ordre se font en parallèle.")
    deadline = forms.DateField(label="Échéance (AAAA-MM-JJ)", required=False)

    def __init__(self, *args: Any, people: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = self.fields["assignee"]
        assert isinstance(agents, forms.ChoiceField)
        # By name, never by email; the address only tells namesakes apart.
        names = [person.display_name for person in people or []]
        agents.choices = [("", "— choisir un agent —"), *[
            (str(person.pk), person.display_name if names.count(person.display_name) == 1
             else f"{person.display_name} ({person.email})") for person in people or []]]
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *[(name, role.label) for name, role in all_roles().items()]]

    def is_blank(self) -> bool:
        return not (self.data.get(self.add_prefix("assignee")) or self.data.get(self.add_prefix("role")))


def _rows(request: HttpRequest) -> int:
    try:
        return max(MIN_ROWS, min(MAX_ROWS, int(request.POST.get("rows", MIN_ROWS))))
    except ValueError:
        return MIN_ROWS


@agent_required
def circuit_send(request: HttpRequest, document_id: int) -> HttpResponse:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id,
                                          permission=selectors.EDIT)
    refusal = ""
    people = selectors.circuit_assignee_candidates(actor=actor, document=document)
    if request.method == "POST":
        rows = _rows(request) + (1 if "add" in request.POST else 0)
        rows = min(rows, MAX_ROWS)
        step_forms = [StepForm(request.POST, prefix=f"step-{i}", people=people) for i in range(rows)]
        if "add" not in request.POST:
            specs, refusal = _specs(people, step_forms)
            if specs is not None:
                try:
                    circuits.circuit_start(actor=actor, document=document,
                                           steps=specs)
                except circuits.CircuitRefused as exc:
                    refusal = exc.message
                else:
                    messages.success(request, "Le document est parti en circuit de validation.")
                    return redirect("documents:detail", document_id=document.pk)
    else:
        rows = MIN_ROWS
        step_forms = [StepForm(prefix=f"step-{i}", initial={"order": i + 1}, people=people)
                      for i in range(rows)]
    failed = bool(refusal) or any(form.is_bound and form.errors for form in step_forms)
    return render(request, "documents/circuit_send.html", {
        "document": document, "step_forms": step_forms, "rows": rows, "refusal": refusal},
        status=400 if failed else 200)


def _specs(people: list[Any],
           step_forms: list[StepForm]) -> tuple[list[circuits.StepSpec] | None, str]:
    specs: list[circuits.StepSpec] = []
    valid = True
    for index, form in enumerate(step_forms, start=1):
        if form.is_blank():
            continue
        if not form.is_valid():
            valid = False
            continue
        data = form.cleaned_data
        if data["assignee"] and data["role"]:
            form.add_error("role", "Indiquez un agent ou un rôle, pas les deux.")
            valid = False
            continue
        assignee = None
        if data["assignee"]:
            assignee = next((p for p in people if str(p.pk) == data["assignee"]), None)
            if assignee is None:
                form.add_error("assignee", UNKNOWN_ASSIGNEE)
                valid = False
                continue
        specs.append(circuits.StepSpec(kind=data["kind"] or StepKind.VISA, assignee=assignee,
                                       role=data["role"], order=data["order"] or index,
                                       deadline=data["deadline"]))
    if not valid:
        return None, ""
    if not specs:
        return None, "Indiquez au moins une étape : un agent ou un rôle."
    return specs, ""


@require_POST
@agent_required
def circuit_cancel(request: HttpRequest, circuit_id: int) -> HttpResponse:
    actor = request_actor(request)
    circuit = get_or_404(circuits.circuits_for(actor), pk=circuit_id)
    try:
        circuits.circuit_cancel(actor=actor, circuit=circuit)
    except circuits.CircuitRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Le circuit est annulé ; le document est de nouveau modifiable.")
    return redirect("documents:detail", document_id=circuit.document_id)


# A delegate may hold no GED role of their own: these pages only need a signed-in person,
# and show only the steps that person may decide.
@login_required
def visas(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    today = timezone.localdate()
    awaiting = circuits.steps_awaiting(actor, today)
    overdue = list(circuits.steps_overdue(actor, today)[:100])
    return render(request, "documents/visas.html", {
        "awaiting": awaiting, "overdue": overdue, "today": today,
        "delegators": circuits.delegators_of(actor, today)})


@login_required
def step_decide(request: HttpRequest, step_id: int) -> HttpResponse:
    actor = request_actor(request)
    step = circuits.step_get_for(actor, step_id)
    notices_mark_read(actor=actor, ref=object_ref("documents.step", step.pk))
    refusal = ""
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    if request.method == "POST":
        try:
            circuits.step_decide(actor=actor, step=step, decision=decision,
                                 comment=comment)
        except circuits.CircuitRefused as exc:
            refusal = exc.message
        else:
            messages.success(request, "Votre décision est enregistrée.")
            return redirect("documents:visas")
    _, absent = circuits.authority_for(actor, step)
    circuit = step.circuit
    return render(request, "documents/step_decide.html", {
        "step": step, "circuit": circuit, "document": circuit.document, "absent": absent,
        "steps": circuit.steps.select_related("assignee", "role_organisation", "decided_by"),
        "refusal": refusal, "decision": decision, "comment": comment,
        "today": timezone.localdate()}, status=400 if refusal else 200)


class DelegationForm(forms.Form):
    delegate = forms.EmailField(label="Adresse électronique de la personne qui vous remplace")
    starts_on = forms.DateField(label="Début de l'absence (AAAA-MM-JJ)")
    ends_on = forms.DateField(label="Fin de l'absence (AAAA-MM-JJ)")


@agent_required
def delegations(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = DelegationForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        delegate = selectors.delegate_find(actor=user, email=data["delegate"])
        if delegate is None:
            form.add_error("delegate", UNKNOWN_DELEGATE)
        else:
            try:
                circuits.delegation_set(actor=user, delegate=delegate, starts_on=data["starts_on"],
                                        ends_on=data["ends_on"])
            except circuits.CircuitRefused as exc:
                refusal = exc.message
            else:
                messages.success(request, "La délégation est enregistrée.")
                return redirect("documents:delegations")
    today: date = timezone.localdate()
    return render(request, "documents/delegations.html", {
        "form": form, "refusal": refusal, "given": circuits.delegations_of(user),
        "received": circuits.delegators_of(user, today), "today": today},
        status=400 if refusal or form.errors else 200)


@require_POST
@agent_required
def delegation_revoke(request: HttpRequest, delegation_id: int) -> HttpResponse:
    user = request_actor(request)
    delegation = get_or_404(circuits.delegations_of(user), pk=delegation_id)
    circuits.delegation_revoke(actor=user, delegation=delegation)
    messages.success(request, "La délégation est révoquée.")
    return redirect("documents:delegations")


urlpatterns = [
    path("documents/<int:document_id>/circuit", circuit_send, name="circuit_send"),
    path("documents/circuits/<int:circuit_id>/annuler", circuit_cancel, name="circuit_cancel"),
    path("documents/visas/", visas, name="visas"),
    path("documents/visas/<int:step_id>", step_decide, name="step_decide"),
    path("documents/delegations/", delegations, name="delegations"),
    path("documents/delegations/<int:delegation_id>/revoquer", delegation_revoke,
         name="delegation_revoke"),
]
