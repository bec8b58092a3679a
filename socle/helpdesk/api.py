"""The helpdesk's API: open a ticket, list and read tickets, their comments, and the
inbound-mail hook that turns a raw RFC 822 message into a ticket or a follow-up.

A ticket of a commune the caller may not see is a 404, never a 403. A commune's agent
never receives the DCSI's internal notes. Errors keep the API's one shape
``{"code", "message"}``.
"""

from __future__ import annotations

import hmac
import os
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field as SchemaField
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from socle.core.access import granted_paths
from socle.core.api_schemas import ErrorOut, InvalidOut, Text
from socle.core.errors import ServiceError
from socle.core.pagination import NEXT_DESCRIPTION, PageIn, cursor_decode, cursor_encode
from socle.core.request_actor import request_actor

from . import selectors, services
from .intake import MAX_MESSAGE_BYTES, message_intake
from .models import Category, Channel, Followup, Ticket

router = Router(tags=["Assistance informatique"])

CATEGORY_HELP = "Catégorie ITIL : " + ", ".join(f"{c.value} ({c.label})" for c in Category) + "."


class TicketIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Text = SchemaField(max_length=200)
    description: Text = SchemaField(max_length=20000)
    category: Text = SchemaField(max_length=20, description=CATEGORY_HELP)
    kind: Literal["incident", "request"] = "incident"
    urgency: int = SchemaField(3, ge=1, le=5, description="1 (très basse) à 5 (très haute).")
    impact: int = SchemaField(3, ge=1, le=5, description="1 (très bas) à 5 (très haut).")
    organisation: Text = SchemaField(
        "", max_length=80, description="Commune du ticket (slug) ; facultatif si vous "
                                       "n'ouvrez de tickets que pour une commune.")


class TicketCreatedOut(Schema):
    id: int
    number: str
    status: str


class TicketOut(Schema):
    id: int
    number: str
    organisation: str
    kind: str
    category: str
    title: str
    description: str
    status: str
    urgency: int
    impact: int
    priority: int
    channel: str
    requester: str
    assignee: str | None
    group: str | None
    opened_at: datetime
    due_own_at: datetime | None
    due_resolve_at: datetime | None = SchemaField(
        description="Échéance de résolution ; null pendant l'attente du demandeur.")
    solved_at: datetime | None
    solution: str
    own_met: bool | None
    resolve_met: bool | None


class TicketPageOut(Schema):
    items: list[TicketOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class TicketFiltersIn(PageIn):
    status: Literal["", "open", "new", "assigned", "in_progress", "pending", "solved",
                    "closed"] = ""
    organisation: Text = SchemaField("", max_length=80)
    category: Text = SchemaField("", max_length=20)
    assigned: Literal["", "me", "none"] = ""
    mine: bool = SchemaField(False, description="Seulement les tickets que j'ai demandés ou "
                                                "que j'observe.")


class TicketCommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: Text = SchemaField(max_length=20000)
    internal: bool = SchemaField(False, description="Note interne à la DCSI (techniciens).")


class TicketCommentOut(Schema):
    id: int
    author: str
    text: str
    internal: bool
    channel: str
    at: datetime


class TicketCommentPageOut(Schema):
    items: list[TicketCommentOut]
    next: str | None = SchemaField(description=NEXT_DESCRIPTION)


class HelpdeskIntakeOut(Schema):
    outcome: str = SchemaField(description="ticket, followup, ou la raison du refus (bounce, "
                                           "auto_reply, loop, unknown_sender, unknown_ticket, "
                                           "invalid, too_large).")
    duplicate: bool
    ticket: str | None


def _not_found() -> Status:
    return Status(404, ErrorOut(code="not_found", message="Ressource introuvable."))


def _ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk, "number": ticket.number, "organisation": ticket.organisation.slug,
        "kind": ticket.kind, "category": ticket.category, "title": ticket.title,
        "description": ticket.description, "status": ticket.status, "urgency": ticket.urgency,
        "impact": ticket.impact, "priority": ticket.priority, "channel": ticket.channel,
        "requester": ticket.requester.display_name,
        "assignee": ticket.assignee.display_name if ticket.assignee else None,
        "group": ticket.assigned_group.name if ticket.assigned_group else None,
        "opened_at": ticket.opened_at, "due_own_at": ticket.due_own_at,
        "due_resolve_at": ticket.due_resolve_at, "solved_at": ticket.solved_at,
        "solution": ticket.solution, "own_met": ticket.own_met,
        "resolve_met": ticket.resolve_met,
    }


def _comment_out(followup: Followup) -> dict[str, Any]:
    return {"id": followup.pk, "internal": followup.internal, "text": followup.text,
            "author": followup.author.display_name if followup.author else "Courriel",
            "channel": followup.channel, "at": followup.at}


@router.post("/tickets", response={201: TicketCreatedOut, 400: InvalidOut, 401: ErrorOut,
                                   403: ErrorOut, 404: ErrorOut},
             summary="Ouvrir un ticket")
def ticket_create(request: HttpRequest, payload: TicketIn) -> Any:
    """Open an incident or a request for your commune (`organisation` when you may open
    tickets for several). 201 with its `id`, `number` (`2026-00042`) and `status`;
    400 `invalid_category` for an unknown category; 403 without a helpdesk role; 404 for
    a commune you may not open tickets for."""
    user = request_actor(request)
    if not granted_paths(user, selectors.OPEN):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Votre rôle ne permet pas d'ouvrir un ticket."))
    if payload.organisation:
        organisation = selectors.organisation_opening_get(actor=user, slug=payload.organisation)
    else:
        choices = list(selectors.organisations_opening(actor=user)[:2])
        if len(choices) != 1:
            raise ServiceError("Précisez la commune du ticket (« organisation »).",
                               code="organisation_required",
                               errors={"organisation": "Ce champ est obligatoire."})
        organisation = choices[0]
    ticket = services.ticket_open(actor=user, organisation=organisation, title=payload.title,
                                  description=payload.description, category=payload.category,
                                  kind=payload.kind, urgency=payload.urgency,
                                  impact=payload.impact, channel=Channel.API)
    return Status(201, TicketCreatedOut(id=ticket.pk, number=ticket.number, status=ticket.status))


@router.get("/tickets", response={200: TicketPageOut, 400: InvalidOut, 401: ErrorOut,
                                  403: ErrorOut},
            summary="Lister les tickets")
def ticket_list(request: HttpRequest, filters: Query[TicketFiltersIn]) -> Any:
    """The tickets you may see (your commune's; every commune for the DCSI), newest first.
    Pages of `limit`: pass `next` as `cursor`, with the same filters, until it is null."""
    user = request_actor(request)
    if not granted_paths(user, selectors.VIEW):
        return Status(403, ErrorOut(code="forbidden",
                                    message="Votre rôle ne permet pas de consulter les tickets."))
    tickets = selectors.tickets_for(actor=user, filters=selectors.TicketFilters(
        status=filters.status, organisation=filters.organisation, category=filters.category,
        assigned=filters.assigned, mine=filters.mine))
    if filters.cursor:
        [before] = cursor_decode(filters.cursor, int)
        tickets = tickets.filter(pk__lt=before)
    rows = list(tickets[: filters.limit + 1])
    next_cursor = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        next_cursor = cursor_encode(rows[-1].pk)
    return {"items": [_ticket_out(t) for t in rows], "next": next_cursor}


@router.get("/tickets/{ticket_id}", response={200: TicketOut, 400: InvalidOut, 401: ErrorOut,
                                              404: ErrorOut},
            summary="Consulter un ticket")
def ticket_detail(request: HttpRequest, ticket_id: int) -> Any:
    """One ticket; 404 when it belongs to a commune you may not see."""
    if not 0 < ticket_id < 2**63:
        return _not_found()
    user = request_actor(request)
    return _ticket_out(selectors.ticket_get_for(actor=user, pk=ticket_id))


@router.get("/tickets/{ticket_id}/comments",
            response={200: TicketCommentPageOut, 400: InvalidOut, 401: ErrorOut, 404: ErrorOut},
            summary="Lister les suivis d'un ticket")
def ticket_comments(request: HttpRequest, ticket_id: int, page: Query[PageIn]) -> Any:
    """The follow-ups of a ticket, oldest first; internal notes only for the DCSI."""
    if not 0 < ticket_id < 2**63:
        return _not_found()
    user = request_actor(request)
    ticket = selectors.ticket_get_for(actor=user, pk=ticket_id)
    followups = selectors.followups_for(actor=user, ticket=ticket).order_by("pk")
    if page.cursor:
        [after] = cursor_decode(page.cursor, int)
        followups = followups.filter(pk__gt=after)
    rows = list(followups[: page.limit + 1])
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = cursor_encode(rows[-1].pk)
    return {"items": [_comment_out(f) for f in rows], "next": next_cursor}


@router.post("/tickets/{ticket_id}/comments",
             response={201: TicketCommentOut, 400: InvalidOut, 401: ErrorOut, 403: ErrorOut,
                       404: ErrorOut, 409: ErrorOut},
             summary="Ajouter un suivi à un ticket")
def ticket_comment_add(request: HttpRequest, ticket_id: int, payload: TicketCommentIn) -> Any:
    """Write on a ticket. `internal` notes are the DCSI's (403 for anyone else); 409 on a
    closed ticket; 404 for a ticket you may not see."""
    if not 0 < ticket_id < 2**63:
        return _not_found()
    user = request_actor(request)
    ticket = selectors.ticket_get_for(actor=user, pk=ticket_id)
    followup = services.followup_add(actor=user, ticket=ticket, text=payload.text,
                                     internal=payload.internal, channel=Channel.API)
    return Status(201, _comment_out(followup))


def _intake_secret() -> str:
    return os.environ.get("SOCLE_HELPDESK_INTAKE_SECRET", "")


@router.post("/helpdesk/inbound", auth=None,
             response={202: HelpdeskIntakeOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut,
                       503: ErrorOut},
             summary="Déposer un courriel reçu par l'assistance (crochet du serveur de messagerie)",
             openapi_extra={"requestBody": {"content": {"message/rfc822": {
                 "schema": {"type": "string", "format": "binary"}}}, "required": True}})
def inbound_mail(request: HttpRequest) -> Any:
    """The mail server's hook: the raw RFC 822 message as the body, the shared secret in
    `X-Socle-Intake-Secret`. 202 with what became of it (a ticket, a follow-up, or the
    reason it was refused: bounces, automatic replies and loops are never answered);
    403 for a wrong secret; 413 over 10 MB; 503 when no secret is configured."""
    secret = _intake_secret()
    if not secret:
        return Status(503, ErrorOut(code="unavailable",
                                    message="La réception des courriels n'est pas configurée."))
    given = request.headers.get("X-Socle-Intake-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return Status(403, ErrorOut(code="forbidden", message="Secret de dépôt invalide."))
    declared = request.headers.get("Content-Length", "0")
    if not declared.isdigit() or int(declared) > MAX_MESSAGE_BYTES:
        return Status(413, ErrorOut(code="payload_too_large",
                                    message="Message de plus de 10 Mo refusé."))
    raw = request.read(MAX_MESSAGE_BYTES + 1)
    if not raw.strip():
        return Status(400, ErrorOut(code="invalid", message="Le message est vide."))
    result = message_intake(raw)
    return Status(202, HelpdeskIntakeOut(outcome=result.outcome, duplicate=result.duplicate,
                                         ticket=result.ticket.number if result.ticket else None))
