"""The procedure editor: agents with the editor role write procedures, without code.

Pages work without JavaScript: each change to a form (add, edit, delete, move a
field) is one small POST that saves the draft revision through the services,
which check the role and journal the change. A published revision is frozen:
the first change after publishing opens the next draft, and filed cases keep
the revision they were filed under. The same field pages edit the extra fields
a commune adds to an intercommunal template it adopted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.downloads import attachment_disposition
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError
from socle.core.upload_handlers import accepts_uploads

from . import selectors, services
from .editor_fields import Target, address_fields, field_locate, field_rows
from .editor_forms import (
    ADD_PREFIX,
    RESERVED_SLUGS,
    AdoptionForm,
    CreateForm,
    FieldForm,
    ImportForm,
    SettingsForm,
)
from .editor_transfer import ViewFunc, export_read, import_size_cap
from .effective import effective
from .models import Adoption, Procedure, SilenceMeans
from .step_views import procedure_in_steps

# Only agents holding the editor role somewhere.
editor_required = role_required(
    selectors.EDIT_PROCEDURE, title="Espace réservé aux rédacteurs",
    message="Seuls les agents qui ont le rôle de rédacteur des démarches créent et modifient "
            "les démarches. Adressez-vous à la DCSI si vous pensez devoir y accéder.")


def _editable_commune(actor: User, slug: str) -> Organisation:
    return selectors.commune_editable_get(actor=actor, slug=slug)


def _target(request: HttpRequest, slug: str, commune: str | None) -> Target:
    actor = request_actor(request)
    if commune is None:
        return Target(selectors.procedure_editable_get(actor=actor, slug=slug))
    template = selectors.template_adoptable_get(actor=actor, slug=slug)
    organisation = _editable_commune(actor, commune)
    adoption = selectors.adoption_editable_get(actor=actor, template=template,
                                               organisation=organisation)
    if adoption is None:
        # Extra fields belong to an adoption: the commune saves its adoption first.
        raise Http404("Adoption introuvable.")
    return Target(template, organisation, adoption)


# ------------------------------------------------------------------------- pages


@never_cache
@editor_required
@require_GET
def editor_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    procedures = selectors.procedures_editable_listed(actor=actor)
    templates = list(selectors.adoptable_templates(actor=actor))
    communes = list(selectors.communes_editable(actor=actor))
    adoptions = {(a.template_id, a.organisation_id): a for a in
                 selectors.adoptions_of_templates(actor=actor, templates=templates)}
    rows = []
    for template in templates:
        states = []
        for commune in communes:
            adoption = adoptions.get((template.pk, commune.pk))
            if adoption is None:
                state = "Non adoptée"
            elif not adoption.offered:
                state = "Adoptée, non proposée"
            else:
                state = "Proposée"
            adapted = sorted(adoption.overrides) if adoption else []
            states.append({"commune": commune, "state": state, "adapted": len(adapted),
                           "url": reverse("portal:editor_adopt",
                                          kwargs={"slug": template.slug, "commune": commune.slug})})
        rows.append({"template": template, "states": states})
    return render(request, "portal/editor/list.html", {
        "procedures": procedures, "templates": rows, "has_communes": bool(communes),
    })


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = selectors.organisations_editable(actor=actor)
    form = CreateForm(request.POST or None, organisations=organisations,
                      initial={"implicit_decision_days": 60, "requires_account": True,
                               "silence_means": SilenceMeans.ACCEPTANCE})
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            procedure = services.procedure_create(
                actor=actor, organisation=form.cleaned_data["organisation"],
                slug=form.cleaned_data["slug"], **form.values())
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "La démarche est créée. Ajoutez maintenant les champs de "
                                      "son formulaire, puis publiez-la.")
            return redirect("portal:editor_procedure", slug=procedure.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/editor/create.html", {"form": form, "refusal": refusal},
                  status=status)


def _procedure_page(request: HttpRequest, target: Target, *, settings_form: SettingsForm | None = None,
                    add_form: FieldForm | None = None, refusal: str = "",
                    status: int = 200) -> HttpResponse:
    procedure = target.procedure
    draft = services.procedure_draft(procedure)
    fields = list(draft.fields)
    if settings_form is None:
        initial = {key: getattr(procedure, key) for key in services.PROCEDURE_SETTINGS}
        settings_form = SettingsForm(initial=initial, address_fields=address_fields(fields))
    return render(request, "portal/editor/procedure.html", {
        "procedure": procedure, "draft": draft, "rows": field_rows(target, fields),
        "settings_form": settings_form, "is_epci": procedure.organisation.kind == OrganisationKind.EPCI,
        "add_form": add_form or FieldForm(before=fields, initial={"type": "text"}, prefix=ADD_PREFIX),
        "add_url": target.url("editor_field_add"), "refusal": refusal,
        "failed": settings_form if settings_form.errors else add_form,
    }, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_procedure(request: HttpRequest, slug: str) -> HttpResponse:
    target = _target(request, slug, None)
    if request.method == "GET":
        return _procedure_page(request, target)
    fields = list(services.procedure_draft(target.procedure).fields)
    form = SettingsForm(request.POST, address_fields=address_fields(fields))
    if form.is_valid():
        try:
            services.procedure_update(actor=request_actor(request), procedure=target.procedure,
                                      **form.values())
        except ServiceError as exc:
            return _procedure_page(request, target, settings_form=form, refusal=exc.message,
                                   status=400)
        messages.success(request, "Les réglages sont enregistrés.")
        return redirect(target.page_url)
    return _procedure_page(request, target, settings_form=form, status=400)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_trial(request: HttpRequest, slug: str) -> HttpResponse:
    """Try the revision being edited as a citizen would; the end files nothing (no case, no
    number, no acknowledgement, mail or payment). Files given expire unused with their handle."""
    procedure = selectors.procedure_editable_get(actor=request_actor(request), slug=slug)
    return procedure_in_steps(request, offered=effective(procedure), commune=None,
                              trial=services.procedure_draft(procedure))


@editor_required
@require_POST
def editor_publish(request: HttpRequest, slug: str) -> HttpResponse:
    target = _target(request, slug, None)
    try:
        revision = services.procedure_publish(actor=request_actor(request), procedure=target.procedure)
    except ServiceError as exc:
        return _procedure_page(request, target, refusal=exc.message, status=400)
    messages.success(request, f"La version {revision.number} est publiée : les nouvelles "
                              "demandes utilisent ce formulaire, les dossiers déjà déposés "
                              "gardent le leur.")
    return redirect(target.page_url)


@editor_required
@require_GET
def editor_export(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = selectors.procedure_editable_get(actor=request_actor(request), slug=slug)
    response = JsonResponse(selectors.procedure_for_export(procedure=procedure),
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = attachment_disposition(procedure.slug, "application/json")
    return response


@never_cache
@editor_required
@import_size_cap
@accepts_uploads
@require_http_methods(["GET", "POST"])
def editor_import(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = ImportForm(request.POST or None, request.FILES or None,
                      organisations=selectors.organisations_editable(actor=actor))
    refusal = ""
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data.get("slug") or None
        try:
            if slug in RESERVED_SLUGS:
                raise ServiceError("Cet identifiant est réservé : choisissez-en un autre.",
                                   code="invalid")
            document = export_read(form.cleaned_data["document"])
            if isinstance(document, dict) and str(document.get("slug")) in RESERVED_SLUGS \
                    and not slug:
                raise ServiceError("L'identifiant du fichier est réservé : indiquez-en un "
                                   "nouveau.", code="invalid")
            procedure = services.procedure_import(
                actor=actor, organisation=form.cleaned_data["organisation"], document=document,
                slug=slug)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "La démarche est importée en brouillon. Vérifiez-la, "
                                      "puis publiez-la.")
            return redirect("portal:editor_procedure", slug=procedure.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/editor/import.html", {"form": form, "refusal": refusal},
                  status=status)


def _adoption_page(request: HttpRequest, template: Procedure, commune: Organisation,
                   adoption: Adoption | None, *, form: AdoptionForm | None = None,
                   add_form: FieldForm | None = None, refusal: str = "",
                   status: int = 200) -> HttpResponse:
    form = form or AdoptionForm(template=template, initial=AdoptionForm.initial_from(adoption))
    target = Target(template, commune, adoption)
    extra = target.fields if adoption else []
    before = target.preceding + extra
    return render(request, "portal/editor/adoption.html", {
        "template": template, "commune": commune, "adoption": adoption, "form": form,
        "rows": field_rows(target, extra) if adoption else [],
        "add_form": add_form or FieldForm(before=before, initial={"type": "text"}, prefix=ADD_PREFIX),
        "add_url": target.url("editor_field_add") if adoption else "",
        "template_fields": target.preceding, "refusal": refusal,
        "failed": form if form.errors else add_form,
    }, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_adopt(request: HttpRequest, slug: str, commune: str) -> HttpResponse:
    actor = request_actor(request)
    template = selectors.template_adoptable_get(actor=actor, slug=slug)
    organisation = _editable_commune(actor, commune)
    adoption = selectors.adoption_editable_get(actor=actor, template=template,
                                               organisation=organisation)
    if request.method == "GET":
        return _adoption_page(request, template, organisation, adoption)
    form = AdoptionForm(request.POST, template=template)
    if not form.is_valid():
        return _adoption_page(request, template, organisation, adoption, form=form, status=400)
    try:
        services.adoption_set(actor=actor, template=template, organisation=organisation,
                              offered=form.cleaned_data["offered"],
                              overrides=form.overrides(adoption.overrides if adoption else {}))
    except ServiceError as exc:
        return _adoption_page(request, template, organisation, adoption, form=form,
                              refusal=exc.message, status=400)
    messages.success(request, f"L'adoption par {organisation.name} est enregistrée.")
    return redirect("portal:editor_adopt", slug=template.slug, commune=organisation.slug)


def _container_page(request: HttpRequest, target: Target, parent: str | None, *,
                    add_form: FieldForm | None = None, refusal: str = "") -> HttpResponse:
    """Re-display, with a refusal, the page where the list of fields was changed."""
    if parent:
        return _field_page(request, target, parent, add_form=add_form, refusal=refusal,
                           status=400)
    if target.commune is not None:
        return _adoption_page(request, target.procedure, target.commune, target.adoption,
                              add_form=add_form, refusal=refusal, status=400)
    return _procedure_page(request, target, add_form=add_form, refusal=refusal, status=400)


def _saved(request: HttpRequest, target: Target, parent: str | None, message: str,
           changed: str = "") -> HttpResponse:
    """Back to the list of fields, at the field just changed (``changed``: its name), or at
    the list itself: the editor finds their place on a long form, even without JavaScript."""
    messages.success(request, message)
    url = target.url("editor_field", parent) if parent else target.page_url
    place = f"?{urlencode({'champ': changed})}#champ-{changed}" if changed else "#formulaire"
    return redirect(url + place)


@editor_required
@require_POST
def editor_field_add(request: HttpRequest, slug: str, commune: str | None = None,
                     path: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    if path is None:
        siblings, before = fields, target.preceding + fields
    else:
        holder, index = field_locate(fields, path)
        if holder[index].get("type") != "group" or "." in path:
            raise Http404("Groupe introuvable.")
        siblings = holder[index].setdefault("fields", [])
        before = list(siblings)
    form = FieldForm(request.POST, before=before, prefix=ADD_PREFIX)
    if form.is_valid():
        try:
            definition = form.definition()
        except forms.ValidationError:
            pass
        else:
            if definition["type"] == "group" and path is not None:
                form.add_error("type", "Un groupe ne peut pas contenir de groupe.")
            else:
                siblings.append(definition)
                try:
                    target.save(request_actor(request), fields)
                except ServiceError as exc:
                    return _container_page(request, target, path, add_form=form,
                                           refusal=exc.message)
                if definition["type"] == "group":
                    messages.success(request, "Le groupe est créé avec un premier sous-champ "
                                              "« Élément » : modifiez-le et ajoutez les autres.")
                    return redirect(target.url("editor_field", definition["name"]))
                return _saved(request, target, path,
                              f"Le champ « {definition['label']} » est ajouté.",
                              changed=str(definition["name"]))
    return _container_page(request, target, path, add_form=form)


def _field_page(request: HttpRequest, target: Target, field_path: str, *,
                form: FieldForm | None = None, add_form: FieldForm | None = None,
                refusal: str = "", status: int = 200) -> HttpResponse:
    fields = target.fields
    siblings, index = field_locate(fields, field_path)
    definition = siblings[index]
    parent = field_path.rpartition(".")[0]
    before = (target.preceding if not parent else []) + siblings[:index]
    form = form or FieldForm(before=before, initial=FieldForm.initial_from(definition))
    subfields = definition.get("fields") if definition.get("type") == "group" else None
    context: dict[str, Any] = {
        "target": target, "definition": definition, "path": field_path, "form": form,
        "action_url": target.url("editor_field", field_path),
        "back_url": target.url("editor_field", parent) if parent else target.page_url,
        "back_label": ("Revenir au groupe" if parent else
                       "Revenir à l'adoption" if target.commune else "Revenir à la démarche"),
        "refusal": refusal, "is_group": subfields is not None and not parent,
        "failed": form if form.errors else add_form,
    }
    if context["is_group"]:
        context.update(
            rows=field_rows(target, list(subfields or []), parent=f"{field_path}."),
            add_form=add_form or FieldForm(before=list(subfields or []), initial={"type": "text"},
                                         prefix=ADD_PREFIX),
            add_url=target.url("editor_subfield_add", field_path))
    return render(request, "portal/editor/field.html", context, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_field(request: HttpRequest, slug: str, path: str,
                 commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    if request.method == "GET":
        return _field_page(request, target, path)
    fields = target.fields
    siblings, index = field_locate(fields, path)
    parent = path.rpartition(".")[0]
    before = (target.preceding if not parent else []) + siblings[:index]
    form = FieldForm(request.POST, before=before)
    if form.is_valid():
        try:
            definition = form.definition(existing=siblings[index])
        except forms.ValidationError:
            pass
        else:
            if definition["type"] == "group" and parent:
                form.add_error("type", "Un groupe ne peut pas contenir de groupe.")
            else:
                siblings[index] = definition
                try:
                    target.save(request_actor(request), fields)
                except ServiceError as exc:
                    return _field_page(request, target, path, form=form, refusal=exc.message,
                                       status=400)
                return _saved(request, target, parent or None,
                              f"Le champ « {definition['label']} » est enregistré.",
                              changed=str(definition["name"]))
    return _field_page(request, target, path, form=form, status=400)


@editor_required
@require_POST
def editor_field_delete(request: HttpRequest, slug: str, path: str,
                        commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    siblings, index = field_locate(fields, path)
    parent = path.rpartition(".")[0] or None
    removed = siblings.pop(index)
    try:
        target.save(request_actor(request), fields)
    except ServiceError as exc:
        return _container_page(request, target, parent, refusal=exc.message)
    return _saved(request, target, parent, f"Le champ « {removed.get('label')} » est supprimé.")


@editor_required
@require_POST
def editor_field_move(request: HttpRequest, slug: str, path: str,
                      commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    siblings, index = field_locate(fields, path)
    parent = path.rpartition(".")[0] or None
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if request.POST.get("direction") not in {"up", "down"} or not 0 <= other < len(siblings):
        return _container_page(request, target, parent,
                               refusal="Ce champ ne peut pas être déplacé dans ce sens.")
    siblings[index], siblings[other] = siblings[other], siblings[index]
    try:
        target.save(request_actor(request), fields)
    except ServiceError as exc:
        return _container_page(request, target, parent, refusal=exc.message)
    return _saved(request, target, parent, f"Le champ « {siblings[other].get('label')} » est "
                                           "déplacé.", changed=str(siblings[other].get("name")))


_FIELD_ROUTES: list[tuple[str, ViewFunc, str]] = [
    ("ajouter-un-champ/", editor_field_add, "editor_field_add"),
    ("champs/<str:path>/ajouter-un-sous-champ/", editor_field_add, "editor_subfield_add"),
    ("champs/<str:path>/supprimer/", editor_field_delete, "editor_field_delete"),
    ("champs/<str:path>/deplacer/", editor_field_move, "editor_field_move"),
    ("champs/<str:path>/", editor_field, "editor_field"),
]

urlpatterns = [
    path("agent/demarches/", editor_list, name="editor_list"),
    path("agent/demarches/nouvelle/", editor_create, name="editor_create"),
    path("agent/demarches/importer/", editor_import, name="editor_import"),
    path("agent/demarches/<slug:slug>/", editor_procedure, name="editor_procedure"),
    path("agent/demarches/<slug:slug>/publier/", editor_publish, name="editor_publish"),
    path("agent/demarches/<slug:slug>/essai/", editor_trial, name="editor_trial"),
    path("agent/demarches/<slug:slug>/export.json", editor_export, name="editor_export"),
    path("agent/demarches/<slug:slug>/adopter/<slug:commune>/", editor_adopt, name="editor_adopt"),
    *[path(f"agent/demarches/<slug:slug>/{route}", view, name=name)
      for route, view, name in _FIELD_ROUTES],
    *[path(f"agent/demarches/<slug:slug>/adopter/<slug:commune>/{route}", view,
           name=name.replace("editor_", "editor_adoption_", 1))
      for route, view, name in _FIELD_ROUTES],
]

