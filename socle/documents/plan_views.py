"""The file plan pages: plans and their versions, drafting, editing and publishing a version,
and the archivist's migration of the documents still under a retired version.

Server-rendered forms; every write goes through plan_versions.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.access import can, get_or_404, granted_paths
from socle.core.request_actor import request_actor

from . import plan_versions, selectors
from .models import FilePlan, FilePlanNode, FinalAction, PlanStatus, RetentionStart, RetentionUnit
from .services import MANAGE_PLANS, DocumentRefused, node_create
from .views import agent_required

PAGE_SIZE = 50
# The migration page lists this many documents of each kind; the counts are complete.
MIGRATION_ROWS = 200


@require_GET
@agent_required
def plan_index(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    plans = selectors.plans_for(actor=actor).order_by("organisation__path", "code", "-version")
    return render(request, "documents/plans.html", {
        "page": Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))})


@require_GET
@agent_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    nodes = plan.nodes.select_related("parent", "overrides__plan").order_by("code")
    can_migrate = bool(granted_paths(actor, plan_versions.MIGRATE))
    left = 0
    if plan.status == PlanStatus.RETIRED and can_migrate:
        left = selectors.documents_for(actor=actor, permission=plan_versions.MIGRATE).filter(
            node__plan=plan).count()
    return render(request, "documents/plan_detail.html", {
        "plan": plan, "nodes": nodes,
        "versions": selectors.plans_for(actor=actor).filter(
            organisation=plan.organisation, code=plan.code).order_by("-version"),
        "in_force": plan_versions.plan_in_force(plan), "draft": plan_versions.plan_draft_of(plan),
        "stale": plan_versions.plan_stale_links([plan]) if plan.status != PlanStatus.RETIRED else [],
        "can_manage": can(actor, MANAGE_PLANS, plan.organisation),
        "can_migrate": can_migrate, "documents_left": left})


def _back(plan: FilePlan) -> HttpResponseBase:
    return redirect("documents:plan_detail", plan_id=plan.pk)


@require_POST
@agent_required
def plan_new_version(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    try:
        draft = plan_versions.plan_draft_new_version(actor=actor, plan=plan)
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
        return _back(plan)
    messages.success(request, f"Version {draft.version} créée en brouillon : modifiez ses nœuds, "
                              "puis publiez-la.")
    return _back(draft)


@require_POST
@agent_required
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    try:
        report = plan_versions.plan_publish(actor=actor, plan=plan)
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
        return _back(plan)
    retired = f" ; la version {report.retired.version} est remplacée" if report.retired else ""
    messages.success(request, f"Version {report.plan.version} publiée : elle est en vigueur{retired}.")
    if report.moved or report.plans_moved:
        messages.success(request, f"Plans qui l'étendent : {len(report.plans_moved)} ; nœuds de ces "
                                  f"plans rattachés à la nouvelle version : {len(report.moved)}.")
    for link in report.orphaned:
        messages.error(request, "À revoir : " + link.describe())
    return _back(plan)


class NodeForm(forms.Form):
    title = forms.CharField(label="Intitulé", max_length=200)
    description = forms.CharField(label="Description", required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    retention_period = forms.IntegerField(
        label="Durée d'utilité administrative", required=False, min_value=0, max_value=500,
        help_text="Un nombre d'années ou de mois ; vide : aucune durée, rien n'est calculé.")
    retention_unit = forms.ChoiceField(label="Unité de la durée", choices=RetentionUnit.choices)
    retention_start_event = forms.ChoiceField(label="Point de départ de la durée",
                                              choices=RetentionStart.choices)
    final_action = forms.ChoiceField(label="Sort final", choices=FinalAction.choices)
    access_rule = forms.CharField(label="Règle d'accès", max_length=80,
                                  help_text="public, internal ou restricted:<rôle>.")
    naming_rule = forms.CharField(label="Règle de nommage", max_length=200, required=False,
                                  help_text="Par exemple {date:%Y%m%d}_{type}_{title}.")


class NodeAddForm(NodeForm):
    code = forms.CharField(label="Code du nœud", max_length=40, required=False,
                           help_text="Par exemple FIN-04. Inutile pour un nœud qui en remplace un.")
    parent = forms.ChoiceField(label="Nœud parent", required=False)
    overrides = forms.ChoiceField(label="Nœud du plan de référence remplacé", required=False)

    field_order = ["code", "title", "parent", "overrides"]

    def __init__(self, *args: Any, plan: FilePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        own = list(plan.nodes.order_by("code"))
        reference = list(plan.extends.nodes.order_by("code")) if plan.extends else []
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ChoiceField)
        parent.choices = [
            ("", "Aucun : à la racine du plan"),
            *[(f"n{node.pk}", f"{node.code} — {node.title}") for node in own + reference]]
        if reference:
            overrides = self.fields["overrides"]
            assert isinstance(overrides, forms.ChoiceField)
            overrides.choices = [
                ("", "Aucun : nouveau nœud"),
                *[(f"n{node.pk}", f"{node.code} — {node.title}") for node in reference]]
        else:
            del self.fields["overrides"]
        self.by_key = {f"n{node.pk}": node for node in own + reference}
        # Left blank, a rule is the replaced node's (an override) or the default.
        for name in ("retention_unit", "retention_start_event", "final_action"):
            choice = self.fields[name]
            assert isinstance(choice, forms.ChoiceField)
            model_choices = choice.choices  # a model field's choices, normalised by Django to a list
            assert isinstance(model_choices, list)
            choice.required = False
            choice.choices = [("", "Comme le nœud remplacé, ou par défaut"), *model_choices]
        self.fields["access_rule"].required = False
        self.fields["access_rule"].help_text = ("public, internal ou restricted:<rôle> ; vide : comme "
                                                "le nœud remplacé, ou internal.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("code") and not data.get("overrides"):
            self.add_error("code", "Indiquez le code du nouveau nœud.")
        return data


RULES = ["title", "description", "retention_period", "retention_unit", "retention_start_event",
         "final_action", "access_rule", "naming_rule"]


def _editable(request: HttpRequest, plan: FilePlan) -> HttpResponse | None:
    """Return the error page when the plan may not be edited here, else None."""
    actor = request_actor(request)
    if not can(actor, MANAGE_PLANS, plan.organisation):
        return render(request, "core/error.html", {
            "title": "Modification impossible",
            "message": "Votre rôle ne permet pas de modifier le plan de classement de cette organisation.",
        }, status=403)
    if plan.status != PlanStatus.DRAFT:
        return render(request, "core/error.html", {
            "title": "Version non modifiable",
            "message": "Seul un brouillon se modifie. Préparez une nouvelle version du plan, puis "
                       "publiez-la.",
        }, status=409)
    return None


@require_http_methods(["GET", "POST"])
@agent_required
def node_edit(request: HttpRequest, plan_id: int, node_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    node = get_or_404(plan.nodes.all(), pk=node_id)
    refused = _editable(request, plan)
    if refused is not None:
        return refused
    form = NodeForm(request.POST or None, initial={name: getattr(node, name) for name in RULES})
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            plan_versions.node_update(actor=actor, node=node,
                                      **{name: form.cleaned_data[name] for name in RULES})
        except DocumentRefused as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Nœud {node.code} enregistré.")
            return _back(plan)
    return render(request, "documents/plan_node.html", {
        "plan": plan, "node": node, "form": form, "refusal": refusal},
        status=400 if refusal or form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def node_add(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    refused = _editable(request, plan)
    if refused is not None:
        return refused
    form = NodeAddForm(request.POST or None, plan=plan)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        overrides: FilePlanNode | None = form.by_key.get(data.get("overrides") or "")
        rules = {name: data[name] for name in RULES
                 if name != "title" and data[name] not in ("", None)}
        try:
            node = node_create(actor=actor, plan=plan,
                               code=data["code"].strip(), title=data["title"],
                               parent=form.by_key.get(data["parent"]), overrides=overrides, **rules)
        except DocumentRefused as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Nœud {node.code} ajouté.")
            return _back(plan)
    return render(request, "documents/plan_node.html", {
        "plan": plan, "node": None, "form": form, "refusal": refusal},
        status=400 if refusal or form.errors else 200)


@require_POST
@agent_required
def node_remove(request: HttpRequest, plan_id: int, node_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    node = get_or_404(plan.nodes.all(), pk=node_id)
    try:
        plan_versions.node_delete(actor=actor, node=node)
    except DocumentRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Nœud {node.code} supprimé du brouillon.")
    return _back(plan)


def _mapping(data: Any, plan_to: FilePlan) -> dict[str, str]:
    """Read the archivist's "old code → new code" choices (fields map-<old code>)."""
    codes = set(plan_to.nodes.values_list("code", flat=True))
    return {key[4:][:40]: value for key, value in data.items()
            if key.startswith("map-") and value in codes}


@require_http_methods(["GET", "POST"])
@agent_required
def plan_migration(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    actor = request_actor(request)
    plan = selectors.plan_get_for(actor=actor, plan_id=plan_id)
    if not granted_paths(actor, plan_versions.MIGRATE):
        return render(request, "core/error.html", {
            "title": "Espace réservé aux archivistes",
            "message": "Seul un archiviste peut migrer des documents vers une autre version du plan.",
        }, status=403)
    plan_to = plan_versions.plan_in_force(plan)
    if plan.status != PlanStatus.RETIRED or plan_to is None:
        return render(request, "core/error.html", {
            "title": "Aucune migration à faire",
            "message": "Seuls les documents d'une version remplacée se migrent vers la version en vigueur.",
        }, status=409)
    mapping = _mapping(request.POST if request.method == "POST" else request.GET, plan_to)
    if request.method == "POST":
        try:
            report = plan_versions.plan_migrate_documents(
                actor=actor, plan_from=plan, plan_to=plan_to, mapping=mapping)
        except DocumentRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"{len(report.migrated)} document(s) migré(s) vers la version "
                                      f"{plan_to.version}.")
            if report.refused:
                messages.error(request, f"{len(report.refused)} document(s) non migré(s) : voir la "
                                        "liste ci-dessous.")
        return redirect("documents:plan_migration", plan_id=plan.pk)
    items = plan_versions.migration_preview(actor, plan, plan_to, mapping=mapping)
    movable = [item for item in items if not item.problem]
    blocked = [item for item in items if item.problem]
    unmapped = sorted({item.source_code for item in blocked if item.code == "unmapped"}
                      | set(mapping))
    return render(request, "documents/plan_migration.html", {
        "plan": plan, "plan_to": plan_to, "movable": movable[:MIGRATION_ROWS],
        "blocked": blocked[:MIGRATION_ROWS], "movable_count": len(movable),
        "blocked_count": len(blocked), "rows": MIGRATION_ROWS, "mapping": mapping,
        "unmapped": [(code, mapping.get(code, "")) for code in unmapped],
        "targets": plan_to.nodes.order_by("code")})


class ReclassifyForm(forms.Form):
    node = forms.ChoiceField(label="Classer sous le nœud",
                             help_text="Le document prendra la règle de conservation de ce nœud.")

    def __init__(self, *args: Any, nodes: list[FilePlanNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = {str(node.pk): node for node in nodes}
        node_field = self.fields["node"]
        assert isinstance(node_field, forms.ChoiceField)
        node_field.choices = [("", "—"), *[
            (str(node.pk), f"{node.code} — {node.title} (plan {node.plan.code}, version "
                           f"{node.plan.version})") for node in nodes]]


@require_http_methods(["GET", "POST"])
@agent_required
def document_reclassify(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """An archivist moves one document under another node in force (retention recomputed)."""
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    if not can(actor, plan_versions.MIGRATE, document.organisation):
        return render(request, "core/error.html", {
            "title": "Espace réservé aux archivistes",
            "message": "Seul un archiviste de l'organisation du document peut le reclasser.",
        }, status=403)
    nodes = [node for node in selectors.file_plan_nodes_for(actor=actor,
                                                            organisation=document.organisation)
             if node.pk != document.node_id]
    form = ReclassifyForm(request.POST or None, nodes=nodes)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        target = form.nodes[form.cleaned_data["node"]]
        try:
            plan_versions.document_migrate(actor=actor, document=document,
                                           node=target)
        except DocumentRefused as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Document reclassé sous {target.code} — {target.title}.")
            return redirect("documents:detail", document_id=document.pk)
    return render(request, "documents/reclassify.html", {
        "document": document, "form": form, "refusal": refusal},
        status=400 if refusal or form.errors else 200)


urlpatterns = [
    path("documents/plans/", plan_index, name="plans"),
    path("documents/plans/<int:plan_id>/", plan_detail, name="plan_detail"),
    path("documents/plans/<int:plan_id>/nouvelle-version", plan_new_version, name="plan_new_version"),
    path("documents/plans/<int:plan_id>/publier", plan_publish, name="plan_publish"),
    path("documents/plans/<int:plan_id>/noeuds/ajouter", node_add, name="plan_node_add"),
    path("documents/plans/<int:plan_id>/noeuds/<int:node_id>/", node_edit, name="plan_node_edit"),
    path("documents/plans/<int:plan_id>/noeuds/<int:node_id>/supprimer", node_remove,
         name="plan_node_remove"),
    path("documents/plans/<int:plan_id>/migration", plan_migration, name="plan_migration"),
    path("documents/<int:document_id>/reclasser", document_reclassify, name="reclassify"),
]
