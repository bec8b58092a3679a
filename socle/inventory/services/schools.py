"""Writes on the schools' procurement requests (request → inspector's opinion → order) and
the teachers' training needs."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import User

from ..models import AssetKind, ProcurementRequest, RequestStatus, Site, SiteKind, TrainingNeed
from .common import MANAGE, OPINE, REQUEST, choice, require, text


def _count(value: Any, label: str, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError(f"{label} est un nombre entier.", code="invalid",
                           errors={field: "Nombre entier attendu."}) from None
    if not 1 <= number <= 1000:
        raise ServiceError(f"{label} va de 1 à 1 000.", code="invalid",
                           errors={field: "De 1 à 1 000."})
    return number


def _school(site: Site) -> Site:
    if site.kind != SiteKind.SCHOOL:
        raise ServiceError("Ce site n'est pas une école.", code="not_a_school",
                           errors={"site": "Choisissez une école."})
    return site


def request_submit(*, actor: User | None, site: Site, kind: str, quantity: Any,
                   reason: str) -> ProcurementRequest:
    """Ask for equipment for a school; the request waits for the inspector's opinion."""
    actor = require(actor, REQUEST, site.organisation)
    _school(site)
    kind = choice(kind, "Type de matériel", AssetKind.choices, "kind")
    quantity = _count(quantity, "La quantité", "quantity")
    reason = text(reason, "Le besoin pédagogique", 5000, required=True, field="reason")
    with transaction.atomic():
        request = ProcurementRequest.objects.create(
            organisation=site.organisation, site=site, kind=kind, quantity=quantity,
            reason=reason, submitted_by=actor)
        audit_record(actor=actor, action="inventory.request_submit",
                     organisation=site.organisation, target=request,
                     data={"site": site.name, "kind": kind, "quantity": quantity})
    return request


def request_opinion(*, actor: User | None, request: ProcurementRequest, favourable: bool,
                    comment: str) -> ProcurementRequest:
    """Record the Education inspector's opinion (favourable or not, with its reasons)."""
    actor = require(actor, OPINE, request.organisation)
    comment = text(comment, "Le commentaire de l'inspection", 5000, required=not favourable,
                   field="comment")
    with transaction.atomic():
        request = ProcurementRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.SUBMITTED:
            raise Conflict("L'avis sur cette demande est déjà donné.", code="already_given")
        request.status = RequestStatus.FAVOURABLE if favourable else RequestStatus.UNFAVOURABLE
        request.opinion_by, request.opinion_at = actor, timezone.now()
        request.opinion_comment = comment
        request.save(update_fields=["status", "opinion_by", "opinion_at", "opinion_comment"])
        audit_record(actor=actor, action="inventory.request_opinion",
                     organisation=request.organisation, target=request,
                     data={"favourable": favourable})
    return request


def request_order(*, actor: User | None, request: ProcurementRequest,
                  order_reference: str) -> ProcurementRequest:
    """Order the equipment of a request the inspector was favourable to."""
    require(actor, MANAGE, request.organisation)
    order_reference = text(order_reference, "Le numéro du bon de commande", 120, required=True,
                           field="order_reference")
    with transaction.atomic():
        request = ProcurementRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != RequestStatus.FAVOURABLE:
            raise Conflict("Seule une demande ayant reçu un avis favorable se commande.",
                           code="opinion_required")
        request.status, request.ordered_at = RequestStatus.ORDERED, timezone.now()
        request.order_reference = order_reference
        request.save(update_fields=["status", "ordered_at", "order_reference"])
        audit_record(actor=actor, action="inventory.request_order",
                     organisation=request.organisation, target=request,
                     data={"order": order_reference})
    return request


def training_need_record(*, actor: User | None, site: Site, topic: str,
                         teachers: Any) -> TrainingNeed:
    """Record that teachers of a school need training (on its interactive whiteboards...)."""
    require(actor, REQUEST, site.organisation)
    _school(site)
    topic = text(topic, "Le thème de la formation", 200, required=True, field="topic")
    teachers = _count(teachers, "Le nombre d'enseignants", "teachers")
    with transaction.atomic():
        need = TrainingNeed.objects.create(organisation=site.organisation, site=site,
                                           topic=topic, teachers=teachers)
        audit_record(actor=actor, action="inventory.training_need",
                     organisation=site.organisation, target=need,
                     data={"site": site.name, "teachers": teachers})
    return need
