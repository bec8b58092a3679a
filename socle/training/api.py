"""The training service's API: the catalogue, the sessions and the registrations (ask for a
place, the manager's decision, cancellation).

A registration the caller may not see is a 404, never a 403: a Margny manager gets a
404 for a Compiègne agent's registration. Lists use the project's one pagination
(``{"items", "next"}``, decision 0012); errors keep the one shape ``{"code", "message"}``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor

from . import selectors, services
from .models import Course, CourseKind, Registration, Session

router = Router(tags=["Formation"])

KIND_HELP = "Type : " + ", ".join(f"{k.value} ({k.label})" for k in CourseKind) + "."
ID_MAX = 2**63


class TrainingCourseOut(Schema):
    id: int
    code: str
    title: str
    kind: str = SchemaField(description=KIND_HELP)
    audience: str = SchemaField(description="agents, elected (élus) ou all.")
    duration_hours: Decimal
    objectives: str
    description: str
    awareness: bool = SchemaField(description="Sensibilisation à la cybersécurité.")
    active: bool


class TrainingCoursePageOut(Schema):
    items: list[TrainingCourseOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class TrainingCourseFiltersIn(PageIn):
    kind: Literal["", "workshop", "cnfpt", "elected"] = ""


class TrainingSessionOut(Schema):
    id: int
    course: int
    course_title: str
    start: datetime
    end: datetime
    place: str
    remote: bool
    trainer: str | None
    capacity: int
    seats_taken: int
    cancelled: bool


class TrainingSessionPageOut(Schema):
    items: list[TrainingSessionOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class TrainingSessionFiltersIn(PageIn):
    course: int | None = SchemaField(None, ge=1, lt=ID_MAX)
    upcoming: bool = SchemaField(False, description="Seulement les sessions à venir.")


class TrainingRegistrationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    session: int = SchemaField(ge=1, lt=ID_MAX)
    motivation: Text = SchemaField("", max_length=2000)


class TrainingDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: Text = SchemaField("", max_length=2000,
                               description="Motif, obligatoire pour un refus.")


class TrainingRegistrationOut(Schema):
    id: int
    session: int
    course_title: str
    agent: str
    organisation: str
    status: str = SchemaField(description="pending (avis du responsable attendu), confirmed, "
                                          "waiting (liste d'attente), refused, cancelled.")
    origin: str
    decision_reason: str
    decided_at: datetime | None
    attended: bool | None
    created_at: datetime


class TrainingRegistrationPageOut(Schema):
    items: list[TrainingRegistrationOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class TrainingRegistrationFiltersIn(PageIn):
    status: Literal["", "pending", "confirmed", "waiting", "refused", "cancelled"] = ""
    mine: bool = SchemaField(False, description="Seulement mes propres inscriptions.")
    to_decide: bool = SchemaField(False, description="Seulement les demandes qui attendent "
                                                     "mon avis.")


def _forbidden() -> Status:
    return Status(403, ErrorOut(code="forbidden",
                                message="Les formations sont réservées aux agents des communes."))


def _paged(rows: QuerySet[Any], page: PageIn, out: Any) -> dict[str, Any]:
    """Seek by primary key, newest first: a page costs the same whatever the volume."""
    rows = rows.order_by("-pk")
    if page.cursor:
        [before] = cursor_decode(page.cursor, int)
        rows = rows.filter(pk__lt=before)
    found = list(rows[: page.limit + 1])
    next_cursor = None
    if len(found) > page.limit:
        found = found[: page.limit]
        next_cursor = cursor_encode(found[-1].pk)
    return {"items": [out(row) for row in found], "next": next_cursor}


def _course_out(course: Course) -> dict[str, Any]:
    return {"id": course.pk, "code": course.code, "title": course.title, "kind": course.kind,
            "audience": course.audience, "duration_hours": course.duration_hours,
            "objectives": course.objectives, "description": course.description,
            "awareness": course.awareness, "active": course.active}


def _session_out(session: Session) -> dict[str, Any]:
    return {"id": session.pk, "course": session.course_id, "course_title": session.course.title,
            "start": session.start, "end": session.end, "place": session.place,
            "remote": session.remote,
            "trainer": session.trainer.display_name if session.trainer else None,
            "capacity": session.capacity, "seats_taken": getattr(session, "seats_taken", 0),
            "cancelled": session.cancelled_at is not None}


def _registration_out(registration: Registration) -> dict[str, Any]:
    return {"id": registration.pk, "session": registration.session_id,
            "course_title": registration.session.course.title,
            "agent": registration.agent.display_name,
            "organisation": registration.organisation.slug, "status": registration.status,
            "origin": registration.origin, "decision_reason": registration.decision_reason,
            "decided_at": registration.decided_at, "attended": registration.attended,
            "created_at": registration.created_at}


@router.get("/training/courses", response={200: TrainingCoursePageOut, 400: InvalidOut,
                                           401: ErrorOut, 403: ErrorOut},
            summary="Lister le catalogue des formations")
def course_list(request: HttpRequest, filters: Query[TrainingCourseFiltersIn]) -> Any:
    """The catalogue's courses, newest first; 403 for someone who is no agent."""
    user = request_actor(request)
    if not selectors.is_agent(actor=user):
        return _forbidden()
    return _paged(selectors.courses_for(actor=user, kind=filters.kind), filters, _course_out)


@router.get("/training/courses/{course_id}", response={200: TrainingCourseOut, 401: ErrorOut,
                                                       404: ErrorOut},
            summary="Consulter une formation du catalogue")
def course_detail(request: HttpRequest, course_id: int) -> Any:
    """One course; 404 when it is unknown or withdrawn."""
    user = request_actor(request)
    return _course_out(selectors.course_get_for(actor=user, pk=course_id))


@router.get("/training/sessions", response={200: TrainingSessionPageOut, 400: InvalidOut,
                                            401: ErrorOut, 403: ErrorOut},
            summary="Lister les sessions de formation")
def session_list(request: HttpRequest, filters: Query[TrainingSessionFiltersIn]) -> Any:
    """The sessions offered, newest first, of one `course` or `upcoming` if asked."""
    user = request_actor(request)
    if not selectors.is_agent(actor=user):
        return _forbidden()
    course = (selectors.course_get_for(actor=user, pk=filters.course)
              if filters.course else None)
    return _paged(selectors.sessions_for(actor=user, course=course, upcoming=filters.upcoming),
                  filters, _session_out)


@router.get("/training/sessions/{session_id}", response={200: TrainingSessionOut,
                                                         401: ErrorOut, 404: ErrorOut},
            summary="Consulter une session de formation")
def session_detail(request: HttpRequest, session_id: int) -> Any:
    """One session with its places taken; 404 when it is unknown."""
    user = request_actor(request)
    return _session_out(selectors.session_get_for(actor=user, pk=session_id))


@router.get("/training/registrations", response={200: TrainingRegistrationPageOut,
                                                 400: InvalidOut, 401: ErrorOut, 403: ErrorOut},
            summary="Lister les inscriptions aux formations")
def registration_list(request: HttpRequest, filters: Query[TrainingRegistrationFiltersIn]) -> Any:
    """The registrations you may see: yours, your agents' (managers), your sessions'
    (trainers), every commune's (the DCSI); newest first."""
    user = request_actor(request)
    if not selectors.is_agent(actor=user):
        return _forbidden()
    if filters.to_decide:
        rows = selectors.registrations_to_decide(actor=user)
    elif filters.mine:
        rows = selectors.registrations_of(actor=user)
    else:
        rows = selectors.registrations_visible(actor=user)
    if filters.status:
        rows = rows.filter(status=filters.status)
    rows = rows.select_related("session__course", "agent", "organisation")
    return _paged(rows, filters, _registration_out)


@router.post("/training/registrations", response={201: TrainingRegistrationOut,
                                                  400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                                                  404: ErrorOut, 409: ErrorOut},
             summary="Demander une inscription à une session")
def registration_create(request: HttpRequest, payload: TrainingRegistrationIn) -> Any:
    """Ask for a place in a session: 201 `pending` until your manager decides; 400 `past`
    for a session begun; 409 `already_registered` or `session_cancelled`; 404 for an
    unknown session."""
    user = request_actor(request)
    if not selectors.is_agent(actor=user):
        return _forbidden()
    session = selectors.session_get_for(actor=user, pk=payload.session)
    registration = services.registration_create(actor=user, session=session,
                                                motivation=payload.motivation)
    return Status(201, _registration_out(registration))


@router.get("/training/registrations/{registration_id}",
            response={200: TrainingRegistrationOut, 401: ErrorOut, 404: ErrorOut},
            summary="Consulter une inscription")
def registration_detail(request: HttpRequest, registration_id: int) -> Any:
    """One registration; 404 when it is another commune's."""
    user = request_actor(request)
    return _registration_out(selectors.registration_get_for(actor=user, pk=registration_id))


@router.post("/training/registrations/{registration_id}/decision",
             response={200: TrainingRegistrationOut, 400: InvalidOut, 401: ErrorOut,
                       403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Donner l'avis du responsable sur une inscription")
def registration_decide(request: HttpRequest, registration_id: int,
                        payload: TrainingDecisionIn) -> Any:
    """Approve (`confirmed`, or `waiting` when the session is full) or refuse with a
    `reason`; 403 if you are not the agent's manager (or for your own request); 409
    `already_decided`; 404 for another commune's registration."""
    user = request_actor(request)
    registration = selectors.registration_get_for(actor=user, pk=registration_id)
    decided = services.registration_decide(actor=user, registration=registration,
                                           approve=payload.approve, reason=payload.reason)
    return _registration_out(decided)


@router.post("/training/registrations/{registration_id}/cancel",
             response={200: TrainingRegistrationOut, 400: InvalidOut, 401: ErrorOut,
                       403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
             summary="Annuler une inscription")
def registration_cancel(request: HttpRequest, registration_id: int) -> Any:
    """Cancel your registration (or, as a manager, your agent's); the freed place goes to
    the first on the waiting list. 409 `not_active`; 400 `past` once the session began."""
    user = request_actor(request)
    registration = selectors.registration_get_for(actor=user, pk=registration_id)
    return _registration_out(services.registration_cancel(actor=user, registration=registration))
