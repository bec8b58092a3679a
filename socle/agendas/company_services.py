"""The writes of company accounts: the park's companies, their members and the rooms they book.

Re-exported by ``services``. An agent who manages the host organisation creates a company and
its first manager; the company's manager adds and removes members; every member books the
company's rooms in its name and sees all its bookings.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from ._checks import _require
from .models import Agenda, Company, CompanyMember

MANAGE = selectors.MANAGE


def company_create(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    siren: str = "",
    agendas: Sequence[Agenda] = (),
    manager: User | None = None,
) -> Company:
    """Open a company account on the organisation's rooms, with its first manager if given."""
    _require(actor, MANAGE, organisation, "Vous ne gérez pas les agendas de cette organisation.")
    name, siren = name.strip(), "".join(siren.split())
    if not name:
        raise ServiceError("Donnez le nom de l'entreprise.", errors={"name": "Nom manquant."})
    if siren and not (siren.isdigit() and len(siren) == 9):
        raise ServiceError("Le SIREN a neuf chiffres.", errors={"siren": "SIREN invalide."})
    if any(agenda.organisation_id != organisation.pk for agenda in agendas):
        raise ServiceError(
            "Ces salles ne sont pas celles de l'organisation.", errors={"agendas": "Agenda étranger."}
        )
    with transaction.atomic():
        company = Company.objects.create(organisation=organisation, name=name[:200], siren=siren)
        company.agendas.set(agendas)
        if manager is not None:
            CompanyMember.objects.create(company=company, user=manager, manager=True)
        audit_record(
            actor=actor,
            action="agendas.company_create",
            organisation=organisation,
            target=company,
            data={"name": company.name, "agendas": [a.pk for a in agendas]},
        )
    return company


def company_member_add(*, actor: User, company: Company, email: str, manager: bool = False) -> CompanyMember:
    """Add a person (who has an account) to the company, by their email address."""
    if not selectors.company_may_manage(actor=actor, company=company):
        raise Forbidden("Seul le gestionnaire du compte de l'entreprise ajoute des membres.")
    person = User.objects.filter(email__iexact=email.strip()[:254], is_active=True).first()
    if person is None:
        raise ServiceError(
            "Aucun compte n'a cette adresse : la personne crée d'abord son compte.",
            code="unknown_person",
            errors={"email": "Compte introuvable."},
        )
    with transaction.atomic():
        if CompanyMember.objects.filter(company=company, user=person).exists():
            raise Conflict("Cette personne est déjà membre de l'entreprise.", code="already_member")
        member = CompanyMember.objects.create(company=company, user=person, manager=manager)
        audit_record(
            actor=actor,
            action="agendas.company_member_add",
            organisation=company.organisation,
            target=company,
            data={"member": person.pk, "manager": manager},
        )
    return member


def company_member_remove(*, actor: User, company: Company, member_id: int) -> None:
    """Take a member off the company; the last manager stays (someone must manage it)."""
    if not selectors.company_may_manage(actor=actor, company=company):
        raise Forbidden("Seul le gestionnaire du compte de l'entreprise retire des membres.")
    with transaction.atomic():
        member = CompanyMember.objects.select_for_update().filter(company=company, pk=member_id).first()
        if member is None:
            raise ServiceError("Ce membre est introuvable.", code="unknown_member")
        others = CompanyMember.objects.filter(company=company, manager=True).exclude(pk=member.pk)
        if member.manager and not others.exists():
            raise Conflict(
                "C'est le dernier gestionnaire du compte : nommez-en un autre d'abord.", code="last_manager"
            )
        member.delete()
        audit_record(
            actor=actor,
            action="agendas.company_member_remove",
            organisation=company.organisation,
            target=company,
            data={"member": member.user_id},
        )
