"""The GED's pages for agents: list and search, deposit, a document with its versions, download.

Server-rendered, no JavaScript. Lists never load the extracted text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from socle.core.access import granted_paths
from socle.core.blobs import blob_open
from socle.core.client_address import client_ip
from socle.core.consultations import consultation_record
from socle.core.downloads import file_download
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read
from socle.core.request_actor import request_actor
from socle.core.upload_handlers import accepts_uploads

from . import search, selectors
from .detail_views import agent_required, detail_render
from .naming import ascii_fold
from .services import DocumentRefused, document_create

PAGE_SIZE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label="Mots recherchés", required=False, max_length=200)
    organisation = forms.ChoiceField(label="Organisation", required=False)
    node = forms.CharField(label="Code du nœud du plan", required=False, max_length=40)
    doc_type = forms.CharField(label="Type de document", required=False, max_length=60)
    date_from = forms.DateField(label="Déposé depuis le (AAAA-MM-JJ)", required=False)
    date_to = forms.DateField(label="Déposé jusqu'au (AAAA-MM-JJ)", required=False)
    meta = forms.CharField(label="Métadonnée (clé=valeur)", required=False, max_length=200)

    def __init__(self, *args: Any, organisations: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Toutes"), *[(o.slug, o.name) for o in organisations]]


@require_GET
@agent_required
def document_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = selectors.organisations_visible(actor=actor)
    form = SearchForm(request.GET or None, organisations=organisations)
    results: list[selectors.SearchResult] = []
    documents: list[Any] = []
    searched = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        meta = dict([data["meta"].split("=", 1)]) if "=" in data["meta"] else {}
        filters = selectors.SearchFilters(
            q=data["q"].replace("\x00", ""), organisation=data["organisation"], node=data["node"],
            doc_type=data["doc_type"], date_from=data["date_from"], date_to=data["date_to"], metadata=meta)
        if filters.q.strip():
            searched = True
            results = selectors.documents_search(actor=actor, filters=filters, limit=PAGE_SIZE)
            for result in results:
                result.excerpt = mark_safe(result.excerpt)  # noqa: S308 - escaped by search.py
        else:
            documents = list(selectors.documents_filtered(actor=actor, filters=filters)[:PAGE_SIZE])
    elif not form.is_bound:
        documents = list(selectors.documents_for(actor=actor)[:PAGE_SIZE])
    can_file = bool(granted_paths(actor, selectors.EDIT))
    shared_ids = selectors.shared_with_actor(
        actor=actor, documents=[*documents, *(result.document for result in results)])
    return render(request, "documents/list.html", {
        "form": form, "results": results, "documents": documents, "searched": searched,
        "can_file": can_file, "shared_ids": shared_ids, "rank_window": search.RANK_WINDOW})


class UploadForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    node = forms.ChoiceField(label="Classement dans le plan", error_messages={
        "required": "Choisissez où classer le document dans le plan.",
        "invalid_choice": "Choisissez un nœud du plan de classement de cette organisation."})
    title = forms.CharField(label="Titre", required=False, max_length=300,
                            help_text="Par défaut, le nom du fichier.")
    doc_type = forms.CharField(label="Type de document (code)", required=False, max_length=60)
    document_date = forms.DateField(label="Date du document (AAAA-MM-JJ)", required=False)
    tags = forms.CharField(label="Mots-clés, séparés par des virgules", required=False, max_length=500)
    file = forms.FileField(label="Fichier")

    def __init__(self, *args: Any, organisations: Any = (), nodes: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(o.slug, o.name) for o in organisations]
        node = self.fields["node"]
        assert isinstance(node, forms.ChoiceField)
        node.choices = [(n.code, f"{n.code} — {n.title}") for n in nodes]


@dataclass(frozen=True)
class TreeRow:
    node: Any
    depth: int
    match: bool


def plan_tree(nodes: list[Any], query: str = "") -> list[TreeRow]:
    """The plan's nodes in tree order with their depth; with a query, the nodes whose code or
    title contains it (accents and case ignored) and the branches leading to them."""
    by_pk = {n.pk: n for n in nodes}
    children: dict[int | None, list[Any]] = {}
    for n in nodes:
        parent = n.parent_id if n.parent_id in by_pk else None
        children.setdefault(parent, []).append(n)
    wanted = ascii_fold(query.strip().lower())
    keep: set[int] = set()
    if wanted:
        for n in nodes:
            if wanted in ascii_fold(f"{n.code} {n.title}".lower()):
                cursor: Any = n
                while cursor is not None and cursor.pk not in keep:
                    keep.add(cursor.pk)
                    cursor = by_pk.get(cursor.parent_id)
    rows: list[TreeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for n in sorted(children.get(parent, []), key=lambda n: n.code):
            if not wanted or n.pk in keep:
                rows.append(TreeRow(n, min(depth, 6), bool(wanted) and wanted in ascii_fold(
                    f"{n.code} {n.title}".lower())))
                walk(n.pk, depth + 1)

    walk(None, 0)
    return rows


@agent_required
@accepts_uploads
def document_upload(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = list(selectors.organisations_visible(actor=actor).filter(
        pk__in=selectors.organisations_for(actor, selectors.EDIT)))
    if not organisations:
        return render(request, "core/error.html", {
            "title": "Dépôt impossible",
            "message": "Votre rôle permet de consulter les documents, pas d'en déposer.",
        }, status=403)
    wanted = (request.POST or request.GET).get("organisation", "")
    chosen = next((o for o in organisations if o.slug == wanted), organisations[0])
    nodes = selectors.file_plan_nodes_for(actor=actor, organisation=chosen)
    form = UploadForm(request.POST or None, request.FILES or None, organisations=organisations,
                      nodes=nodes, initial={"organisation": chosen.slug})
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = next(o for o in organisations if o.slug == data["organisation"])
        upload = data["file"]
        try:
            document = document_create(
                actor=actor, organisation=organisation, node_code=data["node"],
                stream=upload, file_name=upload.name or "", title=data["title"],
                doc_type=data["doc_type"], tags=data["tags"].split(","),
                document_date=data["document_date"])
        except DocumentRefused as exc:
            refusal = exc.message + "".join(f" {k} : {v}" for k, v in exc.errors.items())
        else:
            return redirect("documents:detail", document_id=document.pk)
    query = request.GET.get("noeud", "")[:100]
    tree = plan_tree(nodes, query)
    return render(request, "documents/upload.html", {
        "form": form, "refusal": refusal, "tree": tree, "chosen": chosen, "query": query,
        "organisations": organisations, "selected_node": form["node"].value() or ""},
        status=400 if refusal or form.errors else 200)


@require_GET
@agent_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    notices_mark_read(actor=actor, ref=object_ref("documents.document", document.pk))
    return detail_render(request, document)


@require_GET
@agent_required
def version_download(request: HttpRequest, document_id: int, number: int) -> FileResponse:
    actor = request_actor(request)
    document = selectors.document_get_for(actor=actor, document_id=document_id)
    version = selectors.version_get(document=document, number=number)
    consultation_record(actor=actor, action="documents.version_consult",
                        organisation=document.organisation, target=version,
                        data={"document": document.pk, "version": version.number},
                        ip_address=client_ip(request))
    # Always a download, never rendered: an HTML document must not run in our origin.
    response = file_download(blob_open(version.blob), name=version.name,
                             mime_type=version.blob.mime_type,
                             content_type="application/octet-stream")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


urlpatterns = [
    path("documents/", document_list, name="list"),
    path("documents/deposer", document_upload, name="upload"),
    path("documents/<int:document_id>/", document_detail, name="detail"),
    path("documents/<int:document_id>/versions/<int:number>/telecharger", version_download,
         name="download"),
]

