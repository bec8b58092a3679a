"""Who in an organisation is told that a case needs them, and the notices they get."""

from __future__ import annotations

from django.db.models import QuerySet

from socle.core.models import Membership, User
from socle.core.modules import object_ref
from socle.core.notices import notice_send
from socle.core.roles import roles_granting

from .models import Case

PROCESS_CASE = "portal.process_case"


def _holders_at(path: str) -> QuerySet[User]:
    user_ids = Membership.objects.filter(role__in=roles_granting(PROCESS_CASE), revoked_at__isnull=True,
                                         organisation__path=path).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True)


def case_recipients(case: Case) -> list[User]:
    """The agent the case is assigned to; else its team; else the caseworkers of its
    organisation, or of the nearest organisation above it that has some (an agent of the
    whole agglomeration is told only of what no commune's agent is there to take)."""
    if case.assigned_to_id is not None and case.assigned_to is not None:
        return [case.assigned_to]
    if case.group_id is not None and case.group is not None:
        team = list(case.group.members.filter(is_active=True))
        if team:
            return team
    parts = [p for p in case.organisation.path.strip("/").split("/") if p]
    for depth in range(len(parts), 0, -1):
        holders = list(_holders_at("/" + "/".join(parts[:depth]) + "/"))
        if holders:
            return holders
    return []


def _url(case: Case) -> str:
    return f"/agent/dossiers/{case.number}/"


def notify_case_new(case: Case, *, actor: User | None) -> None:
    """Tell the caseworkers that a case arrived in their queue (in the filing's transaction)."""
    notice_send(kind="portal.case_new", recipients=case_recipients(case), actor=actor,
                title=f"Nouveau dossier n° {case.number} : {case.procedure.title}",
                url=_url(case), ref=object_ref("portal.case", case.pk),
                organisation=case.organisation,
                body=f"Demandeur : {case.applicant_name or case.email}.")


def notify_citizen_message(case: Case, *, actor: User | None) -> None:
    """Tell the caseworkers that the citizen wrote on the case."""
    notice_send(kind="portal.case_message", recipients=case_recipients(case), actor=actor,
                title=f"Message de l'usager sur le dossier n° {case.number}",
                url=_url(case), ref=object_ref("portal.case", case.pk),
                organisation=case.organisation)


def notify_case_assigned(case: Case, *, agent: User, actor: User | None) -> None:
    """Tell an agent that a case was given to them (not when they took it themselves)."""
    notice_send(kind="portal.case_assigned", recipients=[agent], actor=actor,
                title=f"Dossier n° {case.number} attribué : {case.procedure.title}",
                url=_url(case), ref=object_ref("portal.case", case.pk),
                organisation=case.organisation)
