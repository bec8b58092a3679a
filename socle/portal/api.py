"""The portal's API: procedures (public), filing a case, following and processing cases.

Errors keep the API's one shape, ``{"code", "message"}`` (socle/api.py turns the
services' refusals into it): a form refused field by field is a 400 with
``errors`` listing ``{"field", "message"}``; a workflow or role refusal and a
changed revision are a 409; a case the caller may not see is a 404.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field as SchemaField
from ninja import Header, Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core import selectors as core_selectors
from socle.core.access import can
from socle.core.api_schemas import Answers, ErrorOut, InvalidOut, Text
from socle.core.client_address import client_ip
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode, page_of_list
from socle.core.request_actor import request_actor

from . import payments, selectors, services
from .effective import EffectiveProcedure
from .form_schema import DEFAULT_FILE_MAX_SIZE, DEFAULT_FILE_TYPES, FIELD_TYPES
from .form_schema import Field as FormField
from .models import Case, CaseEvent, CaseEventKind, Payment, PaymentStatus
from .workflow import workflow_of

router = Router(tags=["Démarches en ligne"])

IDEMPOTENCY_KEY_MAX = 100


# ------------------------------------------------------------------ schemas


_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _key(value: str) -> str:
    """Return a slug or a case number from a URL; anything else names nothing (404)."""
    if not _KEY.fullmatch(value):
        raise Http404("Introuvable.")
    return value


class ProcedureOut(Schema):
    slug: str
    title: str
    summary: str
    category: str
    organisation: str = SchemaField(
        description="L'organisation qui propose la démarche : la commune qui a adopté un modèle.")
    organisation_name: str
    template: str | None = SchemaField(
        None, description="Pour un modèle adopté, l'organisation qui en est l'autrice.")
    revision: int | None
    fee_kind: str
    fee_amount: str = SchemaField(description="Montant en euros, décimal exact (« 12.50 »).")
    requires_account: bool
    requires_franceconnect: bool


class ChoiceOut(Schema):
    value: str
    label: str


class SubFieldOut(Schema):
    name: str
    label: str
    type: str = SchemaField(description=", ".join(sorted(FIELD_TYPES)))
    type_label: str
    required: bool
    help: str | None = None
    choices: list[ChoiceOut] | None = None
    show_if: dict[str, Any] | None = SchemaField(
        None, description="Condition d'affichage : le champ n'est demandé (et « required » ne "
                          "vaut) que si le champ « field » vaut « equals » (ou l'une des valeurs "
                          "de « in ») ; sinon sa valeur est ignorée.")
    max_length: int | None = None
    pattern: str | None = None
    placeholder: str | None = None
    min: str | None = SchemaField(None, description="Borne basse : nombre, ou date AAAA-MM-JJ.")
    max: str | None = SchemaField(None, description="Borne haute : nombre, ou date AAAA-MM-JJ.")
    integer: bool | None = None
    types: list[str] | None = SchemaField(None, description="Types de fichier acceptés (MIME).")
    max_size: int | None = SchemaField(None, description="Taille maximale d'un fichier, en octets.")
    value_format: str = SchemaField(description="Ce que la valeur doit être, en français.")
    value_schema: dict[str, Any] = SchemaField(
        description="Schéma JSON (2020-12) de la valeur attendue dans « data » pour ce champ.")


class FieldOut(SubFieldOut):
    min_rows: int | None = None
    max_rows: int | None = None
    fields: list[SubFieldOut] | None = SchemaField(
        None, description="Les champs d'une ligne d'un groupe répétable (valeur : liste d'objets).")


class ProcedureDetailOut(ProcedureOut):
    implicit_decision_days: int
    silence_means: str
    service_name: str
    service_contact: str
    fields: list[FieldOut]


class CaseSubmitIn(Schema):
    # Unknown keys are refused rather than ignored: a tampered request is an error.
    model_config = ConfigDict(extra="forbid")

    data: Answers = SchemaField(
        description="Les réponses, par nom de champ : la forme de chaque valeur est dans "
                    "« value_format » et « value_schema » du champ (GET /api/v1/procedures/{slug}).")
    revision: int | None = SchemaField(
        None, description="Version du formulaire lue par le client : 409 revision_changed si "
                          "une autre version a été publiée depuis.")
    commune: Text | None = SchemaField(
        None, description="Commune où déposer la demande, par défaut la commune de résidence.")


class CaseCreatedOut(Schema):
    number: str
    status: str
    organisation: str
    submitted_at: datetime | None


class EventOut(Schema):
    at: datetime
    kind: str
    from_status: str
    to_status: str
    text: str
    from_citizen: bool


class CaseDocumentOut(Schema):
    id: int
    name: str
    kind: str
    field: str
    mime_type: str
    size: int


class CaseOut(Schema):
    number: str
    status: str
    status_label: str
    procedure: str
    procedure_title: str
    organisation: str
    organisation_name: str
    revision: int
    data: dict[str, Any]
    transitions: list[str] = SchemaField(
        description="Les statuts vers lesquels l'appelant peut faire passer le dossier.")
    applicant_name: str
    identity_assurance: str
    submitted_at: datetime | None
    decision_due_on: date | None
    overdue: bool
    amount_due: str
    payment_due: str = SchemaField(
        description="Ce que l'usager peut payer maintenant (POST /cases/{number}/payments) : "
                    "« 0.00 » quand le dossier n'attend pas de paiement.")
    assigned_to: str | None
    history: list[EventOut]
    documents: list[CaseDocumentOut]


class CaseItemOut(Schema):
    number: str
    status: str
    procedure: str
    procedure_title: str
    organisation: str
    applicant_name: str
    created_at: datetime
    submitted_at: datetime | None
    decision_due_on: date | None
    overdue: bool
    assigned_to: str | None


class CasePageOut(Schema):
    items: list[CaseItemOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class ProcedurePageOut(Schema):
    items: list[ProcedureOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class CaseFilters(PageIn):
    status: Text = SchemaField("", max_length=40)
    procedure: Text = SchemaField("", max_length=100,
                                  description="Identifiant (slug) de la démarche.")
    assigned: Text = SchemaField("", max_length=254,
                                 description="« me », « none » ou l'adresse d'un agent.")
    overdue: bool = SchemaField(False, description="Seulement les dossiers hors délai.")
    q: Text = SchemaField("", max_length=200,
                          description="Numéro exact, nom ou adresse de l'usager.")
    organisation: Text = SchemaField("", max_length=100)


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: Text = SchemaField(description="Le statut visé, parmi « transitions » du dossier.")
    comment: Text = SchemaField("", max_length=5000,
                               description="Motivation ; obligatoire pour un refus.")


class CaseCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    data: Answers


class TransitionOut(Schema):
    number: str
    status: str
    transitions: list[str]


# -------------------------------------------------------------- procedures


def _commune(slug: str | None) -> Organisation | None:
    if not slug:
        return None
    organisation = core_selectors.organisation_get_public(slug=_key(slug))
    if organisation is None or organisation.kind != OrganisationKind.COMMUNE:
        raise Http404("Commune inconnue.")
    return organisation


def _procedure_out(offered: EffectiveProcedure, schema: type[ProcedureOut] = ProcedureOut,
                   **extra: Any) -> Any:
    procedure = offered.procedure
    return schema(
        slug=offered.slug,
        title=offered.title,
        summary=offered.summary,
        category=procedure.category,
        organisation=offered.organisation.slug,
        organisation_name=offered.organisation.name,
        template=procedure.organisation.slug if offered.adoption is not None else None,
        revision=offered.revision.number if offered.revision else None,
        fee_kind=offered.fee_kind,
        fee_amount=str(offered.fee_amount),
        requires_account=procedure.requires_account,
        requires_franceconnect=procedure.requires_franceconnect,
        **extra,
    )


# The value of a file field, said once: the portal's file reference may change shape
# (an upload handle instead of a digest); clients read it from here.
FILE_VALUE_FORMAT = ("un fichier déposé d'abord par POST /api/v1/blobs, désigné par l'objet de "
                     "référence que ce dépôt décrit, avec « name » (nom affiché, facultatif) ; "
                     "ou une liste de tels objets")
FILE_VALUE_SCHEMA: dict[str, Any] = {
    "type": "object", "minProperties": 1,
    "properties": {"name": {"type": "string", "maxLength": 200}},
    "description": "Référence d'un fichier déposé par POST /api/v1/blobs.",
}
ADDRESS_VALUE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["street", "postal_code", "city"],
    "properties": {
        "street": {"type": "string", "minLength": 1, "maxLength": 300,
                   "description": "Numéro et voie."},
        "postal_code": {"type": "string", "pattern": "^[0-9]{5}$"},
        "city": {"type": "string", "minLength": 1, "maxLength": 150},
    },
}


# The fields whose value format does not depend on their options.
_FIXED_FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "email": ("adresse électronique (nom@domaine.fr)", {"type": "string", "format": "email"}),
    "phone": ("numéro de téléphone français, 10 chiffres, espaces, points ou +33 admis "
              "(03 44 40 00 00)", {"type": "string", "examples": ["03 44 40 00 00"]}),
    "date": ("date AAAA-MM-JJ (ou JJ/MM/AAAA), entre « min » et « max » s'ils sont donnés",
             {"type": "string", "examples": ["2026-03-02"]}),
    "yesno": ("booléen (true : oui, false : non)", {"type": "boolean"}),
    "address": ("adresse postale : objet {street, postal_code (5 chiffres), city}",
                ADDRESS_VALUE_SCHEMA),
    "commune": ("identifiant (slug) d'une commune du territoire, voir GET /api/v1/organisations",
                {"type": "string", "pattern": "^[a-z0-9-]+$"}),
    "siret": ("numéro SIRET : 14 chiffres, clé de Luhn vérifiée",
              {"type": "string", "pattern": "^[0-9 ]{14,20}$"}),
}


def _number_format(options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    text = "nombre entier" if options.get("integer") else "nombre décimal (« 12.5 » ou « 12,5 »)"
    bounds = [f"au moins {options['min']}" if "min" in options else "",
              f"au plus {options['max']}" if "max" in options else ""]
    return ", ".join([text, *[b for b in bounds if b]]), {"type": ["number", "string"]}


def _group_format(f: FormField, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    rows: dict[str, Any] = {"type": "array", "maxItems": int(options.get("max_rows", 50)),
                            "items": {"type": "object", "properties": {
                                sub.name: _value_format(sub, _options(sub))[1]
                                for sub in f.fields}}}
    if options.get("min_rows"):
        rows["minItems"] = int(options["min_rows"])
    return "liste d'objets, un par ligne, avec les champs de « fields »", rows


def _value_format(f: FormField, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return what a field's value must be: in French, and as a JSON Schema."""
    kind = f.type
    values = [c.value for c in f.choices]
    if kind in _FIXED_FORMATS:
        return _FIXED_FORMATS[kind]
    if kind in {"text", "textarea"}:
        schema: dict[str, Any] = {"type": "string", "maxLength": options["max_length"]}
        if options.get("pattern"):
            schema["pattern"] = f"^(?:{options['pattern']})$"
        return f"texte, {options['max_length']} caractères au plus", schema
    if kind == "number":
        return _number_format(options)
    if kind == "choice":
        return "l'une des valeurs de « choices »", {"type": "string", "enum": values}
    if kind == "multichoice":
        return ("liste de valeurs de « choices »",
                {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True})
    if kind == "file":
        return (f"{FILE_VALUE_FORMAT} ; types {', '.join(options['types'])}, "
                f"{options['max_size']} octets au plus par fichier",
                {"oneOf": [FILE_VALUE_SCHEMA, {"type": "array", "items": FILE_VALUE_SCHEMA}]})
    if kind == "group":
        return _group_format(f, options)
    return "valeur", {}


def _options(f: FormField) -> dict[str, Any]:
    options = dict(f.options)
    if f.type in {"text", "textarea"}:
        options.setdefault("max_length", 10000 if f.type == "textarea" else 500)
    if f.type == "file":
        options.setdefault("types", list(DEFAULT_FILE_TYPES))
        options.setdefault("max_size", DEFAULT_FILE_MAX_SIZE)
    return options


def _field_out(f: FormField, schema: type[SubFieldOut] = SubFieldOut) -> Any:
    options = _options(f)
    value_format, value_schema = _value_format(f, options)
    for bound in ("min", "max"):
        if bound in options:
            options[bound] = str(options[bound])
    extra: dict[str, Any] = {}
    if f.type == "group":
        extra["fields"] = [_field_out(sub) for sub in f.fields]
    return schema(
        name=f.name, label=f.label, type=f.type, type_label=FIELD_TYPES[f.type],
        required=f.required, help=f.help or None,
        choices=[ChoiceOut(value=c.value, label=c.label) for c in f.choices] or None,
        show_if=dict(f.show_if) if f.show_if else None, value_format=value_format,
        value_schema=value_schema, **options, **extra,
    )


@router.get("/procedures", response={200: ProcedurePageOut, 400: ErrorOut, 404: ErrorOut},
            auth=None, summary="Lister les démarches proposées dans une commune")
def procedure_list(request: HttpRequest, page: Query[PageIn], commune: str = "") -> Any:
    """The procedures offered to residents of a commune: the intercommunality's, the
    commune's own, and the intercommunal templates the commune adopted (then
    `organisation` is the commune and `template` the template's author). Without
    `commune`, the intercommunality's procedures only. Public; 404 for an unknown commune.
    """
    offered = selectors.procedures_offered(commune=_commune(commune))
    return page_of_list([_procedure_out(item) for item in offered], page)


@router.get("/procedures/{slug}", response={200: ProcedureDetailOut, 400: InvalidOut, 404: ErrorOut},
            auth=None,
            exclude_none=True, summary="Décrire le formulaire d'une démarche")
def procedure_detail(request: HttpRequest, slug: str, commune: str = "") -> Any:
    """The form of the published revision, field by field, to build a request: name,
    label, type, whether it is required, choices, help, display condition (`show_if`),
    limits, accepted file types and sizes, and the sub-fields of repeatable groups.
    With `commune`, the form as that commune offers it (with its extra fields). Public.
    """
    offered = selectors.procedure_offered_get(slug=_key(slug), commune=_commune(commune))
    return _procedure_out(
        offered, ProcedureDetailOut,
        implicit_decision_days=offered.implicit_decision_days,
        silence_means=offered.silence_means,
        service_name=offered.service_name or offered.organisation.name,
        service_contact=offered.service_contact,
        fields=[_field_out(f, FieldOut) for f in offered.fields()],
    )


# ------------------------------------------------------------------- cases


IdempotencyKey = Annotated[Text, Header(
    "", alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX,
    description="Clé choisie par le client (un UUID par exemple) : la rejouer renvoie le "
                "dossier déjà déposé.")]


def _forbidden(message: str) -> Status[ErrorOut]:
    return Status(403, ErrorOut(code="forbidden", message=message))


@router.post(
    "/procedures/{slug}/cases",
    response={200: CaseCreatedOut, 201: CaseCreatedOut, 400: InvalidOut, 401: ErrorOut,
              403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Déposer une demande",
)
def case_create(
    request: HttpRequest,
    slug: str,
    payload: CaseSubmitIn,
    idempotency_key: IdempotencyKey = "",
) -> Any:
    """File a case with the caller's citizen account (the demand is routed to the
    competent organisation: the home commune, unless `commune` says otherwise).

    201 with the case's number and status `submitted`. A 400 lists every refused
    answer in `errors` (`field`, `message` in French); an answer to a field the form
    does not have is refused too. With an `Idempotency-Key` header (at most 100
    characters), a retry with the same key returns the case already filed, with 200
    instead of 201, and files nothing; the key used for another procedure is a 409.
    """
    user = request_actor(request)
    profile = getattr(user, "citizen", None)
    if profile is None:
        return _forbidden("Le dépôt d'une demande demande un compte d'usager.")
    key = idempotency_key.strip()
    if key:
        previous = selectors.case_of_citizen_by_key(actor=user, idempotency_key=key)
        if previous is not None:
            if previous.procedure.slug != slug:
                raise services.Conflict("Cette clé d'idempotence a déjà servi pour une autre "
                                        "démarche.", code="idempotency_key_reused")
            return Status(200, _created_out(previous))
    if payload.commune:
        commune = core_selectors.organisation_get_public(slug=payload.commune[:100])
        if commune is None or commune.kind != OrganisationKind.COMMUNE:
            raise services.CaseInvalid({"commune": "Choisissez une commune de l'agglomération."})
    else:
        commune = profile.home_commune
    offered = selectors.procedure_offered_get(slug=_key(slug), commune=commune)
    case = services.case_submit(actor=user, offered=offered, data=payload.data,
                                idempotency_key=key, expected_revision=payload.revision)
    return Status(201, _created_out(case))


def _created_out(case: Case) -> CaseCreatedOut:
    return CaseCreatedOut(number=case.number, status=case.status,
                          organisation=case.organisation.slug, submitted_at=case.submitted_at)


def _sees_as_citizen(user: User, case: Case) -> bool:
    # An agent of the case's organisation who filed it sees it as an agent.
    return (selectors.case_is_citizen(actor=user, case=case)
            and not can(user, selectors.VIEW_CASE, case.organisation))


def _status_shown(case: Case, as_citizen: bool, events: list[CaseEvent]) -> tuple[str, str]:
    workflow = workflow_of(case.revision.workflow)
    if not as_citizen:
        return case.status, workflow.status(case.status).label
    history = [e.to_status for e in events if e.kind == CaseEventKind.STATUS and e.to_status]
    shown = workflow.citizen_status(case.status, history)
    return shown.key, shown.citizen_label


def _case_out(user: User, case: Case) -> CaseOut:
    as_citizen = _sees_as_citizen(user, case)
    events = list(selectors.case_events_visible(actor=user, case=case))
    status, label = _status_shown(case, as_citizen, events)
    documents = selectors.case_documents_visible(actor=user, case=case)
    return CaseOut(
        number=case.number,
        status=status,
        status_label=label,
        procedure=case.procedure.slug,
        procedure_title=case.procedure.title,
        organisation=case.organisation.slug,
        organisation_name=case.organisation.name,
        revision=case.revision.number,
        data=case.data,
        transitions=services.case_available_transitions(user, case),
        applicant_name=case.applicant_name,
        identity_assurance=case.identity_assurance,
        submitted_at=case.submitted_at,
        decision_due_on=case.decision_due_on,
        overdue=selectors.case_is_overdue(case=case),
        amount_due=str(case.amount_due),
        payment_due=f"{payments.case_payment_due(case):f}",
        assigned_to=(case.assigned_to.email if case.assigned_to and not as_citizen else None),
        history=[EventOut(at=e.at, kind=e.kind, from_status=e.from_status, to_status=e.to_status,
                          text=e.text, from_citizen=e.from_citizen) for e in events],
        documents=[CaseDocumentOut(id=d.pk, name=d.name, kind=d.kind, field=d.field,
                               mime_type=d.blob.mime_type, size=d.blob.size)
                   for d in documents],
    )


@router.get("/cases/{number}", response={200: CaseOut, 401: ErrorOut, 404: ErrorOut},
            summary="Consulter un dossier")
def case_detail(request: HttpRequest, number: str) -> Any:
    """A case for its citizen or for an agent who may see it; 404 for anyone else.

    `transitions` lists the statuses the caller may move it to now. The citizen sees
    the status as shown to citizens, the public part of the history and of the files;
    agents see everything, internal comments included.
    """
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    services.case_consultation_record(actor=user, case=case, via="api",
                                      ip_address=client_ip(request))
    return _case_out(user, case)


# Pagination is by key (the sort columns of the last row), not by offset: a page
# costs the same at the millionth case, and nothing counts the whole set.


def _page(request: HttpRequest, cases: QuerySet[Case], key: str, filters: CaseFilters,
          as_citizen: bool) -> dict[str, Any]:
    if filters.cursor:
        value, pk = cursor_decode(filters.cursor, datetime, int)
        cases = selectors.cases_seek(cases=cases, key=key, value=value, pk=pk)
    rows = selectors.cases_page(cases=cases, order=(f"-{key}", "-pk"), size=filters.limit + 1)
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = cursor_encode(getattr(rows[-1], key), rows[-1].pk) if more else None
    items = []
    for case in rows:
        status = case.status
        if as_citizen:
            status = _status_shown(case, True, list(case.events.all()))[0]
        # Plain dicts: the response schema validates them once, on the way out.
        items.append({
            "number": case.number, "status": status, "procedure": case.procedure.slug,
            "procedure_title": case.procedure.title, "organisation": case.organisation.slug,
            "applicant_name": case.applicant_name, "created_at": case.created_at,
            "submitted_at": case.submitted_at, "decision_due_on": case.decision_due_on,
            "overdue": selectors.case_is_overdue(case=case),
            "assigned_to": (case.assigned_to.email if not as_citizen and case.assigned_to
                            else None)})
    return {"items": items, "next": next_cursor}


@router.get("/cases", response={200: CasePageOut, 400: InvalidOut, 401: ErrorOut},
            summary="Lister les dossiers")
def case_list(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    """For an agent: the cases of the organisations where they may see cases, newest
    filed first, with the back office's filters. For a caller with no such role: their
    own cases, drafts included, newest first (only `status` and `procedure` filter them).

    Pages of `limit` cases (25 by default, 100 at most): pass `next` as `cursor`, with
    the same filters, until it is null. There is no total count, so that a page costs
    the same whatever the volume.
    """
    user = request_actor(request)
    if selectors.agent_sees_cases(actor=user):
        # Filed cases always have a date; the guard keeps the key order total.
        cases = selectors.cases_listed_for_agent(actor=user, filters=selectors.QueueFilters(
            status=filters.status, procedure=filters.procedure, assigned=filters.assigned,
            overdue=filters.overdue, q=filters.q, organisation=filters.organisation))
        return _page(request, cases, "submitted_at", filters, as_citizen=False)
    cases = selectors.cases_listed_for_citizen(actor=user, status=filters.status,
                                               procedure=filters.procedure)
    return _page(request, cases, "created_at", filters, as_citizen=True)


@router.post("/cases/{number}/transitions",
             response={200: TransitionOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut,
                       409: ErrorOut},
             summary="Changer le statut d'un dossier")
def case_transition(request: HttpRequest, number: str, payload: TransitionIn) -> Any:
    """Move a case to one of the statuses listed in its `transitions`, with an optional
    comment (a written motivation, required for a refusal or an information request).

    409 with a French message when the workflow or the caller's role forbids it;
    404 when the caller may not see the case.
    """
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    case = services.case_transition(actor=user, case=case, to=payload.to,
                                    comment=payload.comment)
    return _transition_out(user, case)


@router.post("/cases/{number}/complete",
             response={200: TransitionOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut,
                       409: ErrorOut},
             summary="Compléter un dossier à la demande du service")
def case_complete(request: HttpRequest, number: str, payload: CaseCompleteIn) -> Any:
    """The citizen sends the whole form again, completed, when the service asked for
    more information; the case goes back to instruction. 409 when the case does not
    wait for the caller's answers.
    """
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    case = services.case_resubmit(actor=user, case=case, data=payload.data)
    return _transition_out(user, case)


def _transition_out(user: User, case: Case) -> TransitionOut:
    as_citizen = _sees_as_citizen(user, case)
    events = list(selectors.case_events_visible(actor=user, case=case)) if as_citizen else []
    return TransitionOut(number=case.number, status=_status_shown(case, as_citizen, events)[0],
                         transitions=services.case_available_transitions(user, case))


# ---------------------------------------------------------------- payments


class PaymentOut(Schema):
    id: int
    status: str = SchemaField(description="pending (en cours), paid (reçu), failed (non abouti), "
                                          "refunded (remboursé).")
    status_label: str
    amount: str = SchemaField(description="Montant en euros, décimal exact (« 12.30 »).")
    excess: str = SchemaField(
        description="Part du montant reçue alors que le dossier était déjà réglé (un paiement "
                    "abandonné que la banque a finalement encaissé) : elle est remboursée par la "
                    "régie et ne compte pas comme payée. « 0.00 » le plus souvent.")
    backend: str = SchemaField(description="payfip_ws (PayFiP) ou dummy (banque simulée).")
    reference: str = SchemaField(description="Référence de la dette transmise à la banque "
                                             "(le numéro du dossier sans tiret).")
    created_at: datetime
    settled_at: datetime | None
    bank_url: str | None = SchemaField(
        description="Tant que le paiement est en cours, et pour l'usager seulement : l'adresse "
                    "où il paie, à ouvrir dans son navigateur ; null sinon.")


class PaymentPageOut(Schema):
    items: list[PaymentOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


def _payment_out(user: User, payment: Payment) -> PaymentOut:
    pending = payment.status == PaymentStatus.PENDING
    return PaymentOut(
        id=payment.pk, status=payment.status, status_label=PaymentStatus(payment.status).label,
        amount=f"{payment.amount:f}", excess=f"{payment.excess:f}", backend=payment.backend,
        reference=payment.reference,
        created_at=payment.created_at, settled_at=payment.settled_at,
        bank_url=(payment.bank_url or None) if pending and payment.case.citizen_id == user.pk
        else None)


@router.post("/cases/{number}/payments",
             response={200: PaymentOut, 201: PaymentOut, 400: InvalidOut, 401: ErrorOut,
                       403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 503: ErrorOut},
             summary="Payer un dossier en ligne")
def case_payment_start(request: HttpRequest, number: str) -> Any:
    """Start the payment of what the case still owes (`payment_due` of the case), as the
    case's page does: 201 with the payment and `bank_url`, the bank's page where the
    citizen pays (PayFiP in production). Only the bank's notification settles it: follow
    it with GET /cases/{number}/payments/{id} (`status` becomes `paid` or `failed`).

    At most one payment is in progress per case: while one is, the same payment is
    returned with 200. Refusals, with their `code`: 409 `nothing_due` when the case does
    not await a payment or nothing is left to pay (after a refund, for instance), 409
    `payment_in_progress` while the bank has not said what became of an earlier payment
    whose page is closed (try again later), 409 `amount_changed` when the amount due
    changed meanwhile; 403 `forbidden` for an agent who is not the case's citizen; 404
    for a case the caller does not see; 400 `payment_unavailable` when online payment is
    not available for the case; 503 `bank_unavailable` when the bank does not answer.
    """
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    payment, _, created = payments.payment_start(actor=user, case=case,
                                                 base_url=request.build_absolute_uri("/"))
    return Status(201 if created else 200, _payment_out(user, payment))


@router.get("/cases/{number}/payments",
            response={200: PaymentPageOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Lister les paiements d'un dossier")
def case_payment_list(request: HttpRequest, number: str, page: Query[PageIn]) -> Any:
    """The payments of a case, newest first, for its citizen and the agents who see it."""
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    rows = page_of_list(list(selectors.case_payments(case=case)), page)
    return {"items": [_payment_out(user, p) for p in rows["items"]], "next": rows["next"]}


@router.get("/cases/{number}/payments/{payment_id}",
            response={200: PaymentOut, 401: ErrorOut, 404: ErrorOut},
            summary="Suivre un paiement")
def case_payment_detail(request: HttpRequest, number: str, payment_id: int) -> Any:
    """One payment of a case and its status, as the bank last reported it."""
    user = request_actor(request)
    case = selectors.case_get_for(actor=user, number=_key(number))
    return _payment_out(user, selectors.case_payment_get(case=case, payment_id=payment_id))
