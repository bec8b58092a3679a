"""The register's pages: the list, registration, a mail's page with its actions, statistics.

Server-rendered, French, usable without JavaScript. A mail of an organisation the
agent may not see is a 404, whatever the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import socle.portal.selectors as portal_selectors
import socle.portal.services as portal_services
from socle.core.blobs import blob_open
from socle.core.client_address import client_ip
from socle.core.consultations import consultation_record
from socle.core.downloads import attachment_disposition, file_download
from socle.core.models import User
from socle.core.modules import object_ref
from socle.core.notices import notices_mark_read
from socle.core.page_guards import role_required
from socle.core.request_actor import request_actor
from socle.core.services import ServiceError
from socle.core.upload_handlers import accepts_uploads

from . import selectors, services
from .acknowledgement import acknowledgement_pdf
from .forms import AssignForm, CloseForm, FromCaseForm, InstructionForm, MailRegisterForm, ReplyForm
from .models import Direction, MailStatus

PAGE_SIZE = 50


# Agents who may read mail somewhere.
clerk_required = role_required(
    selectors.VIEW, title="Espace réservé au courrier",
    message="Seuls les agents chargés du courrier accèdent au registre.")
# Any agent: a letter's page is also open to the agent it was given or copied to (the
# selector decides which letters; any other is a 404).
agent_required = role_required(
    selectors.AGENT, title="Espace réservé aux agents",
    message="Seuls les agents accèdent au courrier qui leur est attribué.")


def _text(params: Any, name: str, length: int) -> str:
    return str(params.get(name, "")).replace("\x00", "").strip()[:length]


# ----------------------------------------------------------------------------- the register


@require_GET
@clerk_required
def register(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    status = _text(request.GET, "status", 20)
    filters = selectors.MailFilters(
        status=status if status in MailStatus.values else "",
        direction=_text(request.GET, "direction", 3),
        organisation=_text(request.GET, "organisation", 80),
        assigned="me" if request.GET.get("assigned") == "me" else "",
        overdue=request.GET.get("overdue") in {"1", "on"}, q=_text(request.GET, "q", 100))
    mails = selectors.mails_for(actor=user, filters=filters)
    before = _text(request.GET, "before", 19)
    if before.isdigit() and 0 < int(before) < 2**63:
        mails = mails.filter(pk__lt=int(before))
    rows = list(mails[: PAGE_SIZE + 1])
    next_url = ""
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = request.GET.copy()
        params["before"] = str(rows[-1].pk)
        next_url = f"?{params.urlencode()}"
    today = timezone.localdate()
    organisations = selectors.organisations_registering(actor=user)
    return render(request, "mail/register.html", {
        "rows": [(mail, selectors.mail_is_overdue(mail=mail, today=today)) for mail in rows],
        "filters": filters, "statuses": MailStatus.choices, "directions": Direction.choices,
        "organisations": organisations, "next_url": next_url,
        "may_register": organisations.exists(),
        "from_case_form": FromCaseForm(organisations=[(o.slug, o.name) for o in organisations]),
    })


def _register_form(request: HttpRequest, user: User) -> MailRegisterForm:
    organisations = list(selectors.organisations_registering(actor=user))
    contacts: list[Any] = []
    # A type is shared with the services below its organisation: listed once, under the
    # organisation that defines it, not once for each service that may use it.
    owners: dict[str, list[tuple[str, str]]] = {}
    seen: set[int] = set()
    for organisation in organisations:
        prefix = f"{organisation.name} — " if len(organisations) > 1 else ""
        for t in selectors.mail_types_for(organisation=organisation).select_related("organisation"):
            if t.pk not in seen:
                seen.add(t.pk)
                owners.setdefault(t.organisation.name, []).append(
                    (str(t.pk), f"{t.name} ({t.processing_days} jours)"))
        contacts += [(str(c.pk), f"{prefix}{c.name}")
                     for c in selectors.contacts_for(actor=user, organisation=organisation)[:500]]
    types: list[Any] = (list(next(iter(owners.values()))) if len(owners) == 1
                        else [(f"Types de {name}", choices) for name, choices in owners.items()])
    return MailRegisterForm(request.POST or None, organisations=[(o.slug, o.name)
                                                                  for o in organisations],
                            types=types, contacts=contacts)


def _pieces(request: HttpRequest, field: str = "pieces") -> list[services.PieceUpload]:
    return [services.PieceUpload(name=str(f.name), stream=f) for f in request.FILES.getlist(field)]


@accepts_uploads
@clerk_required
def create(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    if not selectors.organisations_registering(actor=user).exists():
        raise Http404("Introuvable.")
    form = _register_form(request, user)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mail = _register(user, data, _pieces(request))
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, f"Courrier enregistré sous le numéro {mail.chrono}.")
            return redirect("mail:detail", mail.pk)
    return render(request, "mail/create.html", {"form": form, "refusal": refusal},
                  status=400 if request.method == "POST" else 200)


def _register(user: User, data: dict[str, Any], pieces: list[services.PieceUpload]) -> Any:
    organisation = selectors.organisation_registering_get(actor=user, slug=data["organisation"])
    mail_type = None
    if data["mail_type"]:
        mail_type = selectors.mail_types_for(organisation=organisation).filter(pk=data["mail_type"]).first()
        if mail_type is None:
            raise ServiceError("Ce type de courrier n'est pas proposé à cette organisation.",
                               code="unknown_type")
    with transaction.atomic():
        if data["contact"]:
            contact = (selectors.contacts_for(actor=user, organisation=organisation)
                       .filter(pk=data["contact"]).first())
            if contact is None:
                raise ServiceError("Ce correspondant n'est pas dans l'annuaire de cette "
                                   "organisation.", code="unknown_contact")
        else:
            contact = services.contact_create(
                actor=user, organisation=organisation, kind=data["contact_kind"] or "person",
                name=data["contact_name"], siret=data["contact_siret"],
                address=data["contact_address"], email=data["contact_email"],
                phone=data["contact_phone"])
        return services.mail_register(
            actor=user, organisation=organisation, direction=data["direction"],
            channel=data["channel"], contact=contact, subject=data["subject"],
            mail_type=mail_type, priority=data["priority"], received_on=data["received_on"],
            pieces=pieces)


# ------------------------------------------------------------------------- one mail's page


def _assign_form(mail: Any, data: Any = None) -> AssignForm:
    agents = [(str(u.pk), u.display_name) for u in selectors.agents_for(organisation=mail.organisation)]
    return AssignForm(data, services=[(str(o.pk), o.name) for o in
                                      services.mail_service_choices(mail.organisation)],
                      agents=agents, initial={
                          "service": mail.service_id, "assignee": mail.assignee_id,
                          "copies": [str(pk) for pk in mail.copies.values_list("pk", flat=True)]})


def _may_file_case(may_edit: bool, mail: Any) -> bool:
    return (may_edit and mail.direction == Direction.INCOMING and mail.status != MailStatus.CLOSED
            and mail.portal_case_id is None)


def _not_fileable(user: Any, mail: Any) -> str:
    if mail.portal_case_id is None:
        return "Seul un courrier arrivé et non clos peut devenir un dossier du portail."
    number = selectors.mail_case_number(actor=user, mail=mail)
    return (f"Le courrier n° {mail.chrono} est déjà lié au dossier {number}." if number else
            f"Le courrier n° {mail.chrono} est déjà lié à un dossier du portail.")


def _detail(request: HttpRequest, mail: Any, status: int = 200, **forms: Any) -> HttpResponse:
    user = request_actor(request)
    may_edit = selectors.mail_may_edit(actor=user, mail=mail)
    case_procedures = (portal_selectors.procedures_fileable(actor=user, organisation=mail.organisation)
                       if _may_file_case(may_edit, mail) else [])
    pieces = list(selectors.mail_pieces(mail=mail))
    return render(request, "mail/detail.html", {
        "mail": mail, "overdue": selectors.mail_is_overdue(mail=mail), "may_edit": may_edit,
        "case_number": selectors.mail_case_number(actor=user, mail=mail),
        "instructions": selectors.mail_instructions(mail=mail), "pieces": pieces,
        "filed_documents": selectors.mail_piece_documents(actor=user, pieces=pieces),
        "replies": selectors.mail_replies(mail=mail),
        "copies": mail.copies.all(),
        "assign_form": forms.get("assign_form") or (_assign_form(mail) if may_edit else None),
        "instruction_form": forms.get("instruction_form") or InstructionForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(
            initial={"letter": services.reply_template(mail)}),
        "close_form": CloseForm(), "refusal": forms.get("refusal", ""),
        "is_open": mail.status != MailStatus.CLOSED, "case_procedures": case_procedures,
    }, status=status)


@require_GET
@agent_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    mail = selectors.mail_get_for(actor=actor, pk=pk)
    notices_mark_read(actor=actor, ref=object_ref("mail.letter", mail.pk))
    return _detail(request, mail)


@require_POST
@clerk_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=pk)
    form = _assign_form(mail, request.POST)
    if not form.is_valid():
        return _detail(request, mail, 400, assign_form=form)
    agents = {str(u.pk): u for u in selectors.agents_for(organisation=mail.organisation)}
    service = next(o for o in services.mail_service_choices(mail.organisation)
                   if str(o.pk) == form.cleaned_data["service"])
    try:
        services.mail_assign(actor=user, mail=mail, service=service,
                             assignee=agents.get(form.cleaned_data["assignee"]),
                             copies=[agents[pk] for pk in form.cleaned_data["copies"]])
    except ServiceError as exc:
        return _detail(request, mail, 400, assign_form=form, refusal=exc.message)
    messages.success(request, "Attribution enregistrée.")
    return redirect("mail:detail", mail.pk)


@require_POST
@agent_required
def instruct(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=pk)
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return _detail(request, mail, 400, instruction_form=form)
    try:
        services.mail_instruct(actor=user, mail=mail, text=form.cleaned_data["text"],
                               kind=form.cleaned_data["kind"])
    except ServiceError as exc:
        return _detail(request, mail, 400, instruction_form=form, refusal=exc.message)
    messages.success(request, "Inscription ajoutée au fil du courrier.")
    return redirect("mail:detail", mail.pk)


@accepts_uploads
@require_POST
@clerk_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, mail, 400, reply_form=form)
    try:
        answer = services.mail_reply(actor=user, mail=mail, subject=form.cleaned_data["subject"],
                                     channel=form.cleaned_data["channel"],
                                     pieces=_pieces(request),
                                     letter_text=form.cleaned_data["letter"])
    except ServiceError as exc:
        return _detail(request, mail, 400, reply_form=form, refusal=exc.message)
    messages.success(request, f"Réponse enregistrée au départ sous le numéro {answer.chrono}.")
    return redirect("mail:detail", answer.pk)


@require_POST
@clerk_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=pk)
    form = CloseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.mail_close(actor=user, mail=mail, comment=comment)
    except ServiceError as exc:
        return _detail(request, mail, 400, refusal=exc.message)
    messages.success(request, "Courrier clos.")
    return redirect("mail:detail", mail.pk)


@require_GET
@agent_required
def acknowledgement(request: HttpRequest, pk: int) -> HttpResponse:
    mail = selectors.mail_get_for(actor=request_actor(request), pk=pk)
    if mail.direction != Direction.INCOMING:
        raise Http404("Introuvable.")
    response = HttpResponse(acknowledgement_pdf(mail), content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(f"accuse-{mail.chrono}",
                                                             "application/pdf")
    return response


@require_GET
@agent_required
def piece(request: HttpRequest, pk: int, piece_pk: int) -> FileResponse:
    actor = request_actor(request)
    found = selectors.mail_piece_get(actor=actor, mail_pk=pk, piece_pk=piece_pk)
    consultation_record(actor=actor, action="mail.piece_consult",
                        organisation=found.mail.organisation, target=found,
                        data={"mail": found.mail.chrono}, ip_address=client_ip(request))
    return file_download(blob_open(found.blob), name=found.name, mime_type=found.blob.mime_type)


@accepts_uploads
@require_http_methods(["GET", "POST"])
@clerk_required
def case_create(request: HttpRequest, pk: int) -> HttpResponse:
    """File a portal case from a letter: choose the procedure, then fill in its form."""
    user = request_actor(request)
    mail = selectors.mail_get_for(actor=user, pk=pk)
    may_edit = selectors.mail_may_edit(actor=user, mail=mail)
    if not may_edit:
        return render(request, "core/error.html", {
            "title": "Action réservée aux agents du courrier",
            "message": "Votre rôle ne permet pas de traiter le courrier de cette organisation.",
        }, status=403)
    if not _may_file_case(may_edit, mail):
        return render(request, "core/error.html", {
            "title": "Aucun dossier à créer",
            "message": _not_fileable(user, mail),
        }, status=400)
    procedures = portal_selectors.procedures_fileable(actor=user, organisation=mail.organisation)
    if not procedures:
        return render(request, "core/error.html", {
            "title": "Aucune démarche à choisir",
            "message": "Il faut le rôle d'instructeur des démarches là où le dossier sera traité, "
                       "et une démarche proposée par l'organisation du courrier.",
        }, status=403)
    params = request.POST if request.method == "POST" else request.GET
    slug = _text(params, "demarche", 100)
    offered = next((o for o in procedures if o.slug == slug), None)
    context: dict[str, Any] = {"mail": mail, "case_procedures": procedures, "offered": offered}
    if offered is None:
        context["choice_error"] = "Choisissez une démarche de la liste." if slug else ""
        return render(request, "mail/case_create.html", context, status=400 if slug else 200)
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    extra_rows: dict[str, int] = {}
    status = 200
    if request.method == "POST":
        parsed = portal_services.case_answers_parse(offered, request.POST, request.FILES,
                                                     actor=user)
        data, errors = parsed.data, dict(parsed.errors)
        if parsed.add_row:
            extra_rows[parsed.add_row] = 1
        elif not errors:
            try:
                case = services.case_from_mail(actor=user, mail=mail, procedure_slug=offered.slug,
                                               data=data)
            except portal_services.CaseInvalid as exc:
                errors = exc.errors
            except ServiceError as exc:
                errors = {"": exc.message}
                status = 403 if exc.code == "forbidden" else 400
            else:
                messages.success(request, f"Dossier du portail n° {case.number} créé depuis le "
                                          f"courrier {mail.chrono}.")
                return redirect("mail:detail", mail.pk)
        if errors and status == 200:
            status = 400
    context.update(portal_selectors.case_form_context(offered=offered, data=data, errors=errors,
                                                      extra_rows=extra_rows))
    return render(request, "mail/case_create.html", context, status=status)


@require_POST
@clerk_required
def from_case(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    organisations = selectors.organisations_registering(actor=user)
    form = FromCaseForm(request.POST, organisations=[(o.slug, o.name) for o in organisations])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("mail:register")
    organisation = selectors.organisation_registering_get(actor=user, slug=form.cleaned_data["organisation"])
    try:
        case = portal_selectors.case_get_for(actor=user, number=form.cleaned_data["number"])
    except Http404:
        messages.error(request, "Aucun dossier du portail de ce numéro ne vous est accessible.")
        return redirect("mail:register")
    try:
        mail = services.mail_from_case(actor=user, organisation=organisation, case=case)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("mail:register")
    messages.success(request, f"Dossier {case.number} enregistré sous le numéro {mail.chrono}.")
    return redirect("mail:detail", mail.pk)


# ------------------------------------------------------------------------------ statistics


@require_GET
@clerk_required
def stats(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    organisations = list(selectors.organisations_for_stats(actor=user))
    slug = _text(request.GET, "organisation", 80)
    organisation = next((o for o in organisations if o.slug == slug), None) or (
        organisations[0] if organisations else None)
    year_text = _text(request.GET, "year", 4)
    year = int(year_text) if year_text.isdigit() and 1900 < int(year_text) < 3000 \
        else timezone.localdate().year
    figures = selectors.mail_stats(actor=user, organisation=organisation, year=year) if organisation else []
    months = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
              "oct.", "nov.", "déc."]
    return render(request, "mail/stats.html", {
        "organisations": organisations, "organisation": organisation, "year": year,
        "figures": figures, "months": months,
        "query": urlencode({"organisation": organisation.slug if organisation else "",
                            "year": year}),
    })


urlpatterns = [
    path("courrier/", register, name="register"),
    path("courrier/enregistrer", create, name="create"),
    path("courrier/depuis-un-dossier", from_case, name="from_case"),
    path("courrier/statistiques", stats, name="stats"),
    path("courrier/<int:pk>/", detail, name="detail"),
    path("courrier/<int:pk>/attribution", assign, name="assign"),
    path("courrier/<int:pk>/instructions", instruct, name="instruct"),
    path("courrier/<int:pk>/reponse", reply, name="reply"),
    path("courrier/<int:pk>/cloture", close, name="close"),
    path("courrier/<int:pk>/dossier", case_create, name="case_create"),
    path("courrier/<int:pk>/accuse-de-reception.pdf", acknowledgement, name="acknowledgement"),
    path("courrier/<int:pk>/pieces/<int:piece_pk>", piece, name="piece"),
]
