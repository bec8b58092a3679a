from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from socle.core.models import Membership, Organisation, OrganisationKind, User
from socle.core.roles import UnknownRole, role_get
from socle.core.services import (
    ServiceError,
    citizen_profile_set,
    membership_grant,
    membership_revoke,
    user_create,
)
from socle.core.signin import totp_reset


def _parse_grant(value: str) -> tuple[Organisation, str]:
    slug, sep, role = value.partition(":")
    if not sep or not slug or not role:
        raise CommandError(
            f"« {value} » : attendu ORGANISATION:RÔLE, par exemple compiegne:portal.caseworker."
        )
    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"Organisation inconnue : « {slug} ».")
    try:
        role_get(role)
    except UnknownRole as exc:
        raise CommandError(str(exc)) from exc
    return org, role


class Command(BaseCommand):
    help = "Gérer les comptes : créer un usager ou un agent, donner ou retirer un rôle."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Créer un compte.")
        add.add_argument("email")
        add.add_argument("--password", required=True)
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument("--citizen", action="store_true", help="Créer un profil d'usager.")
        add.add_argument("--commune", help="Commune de résidence de l'usager (identifiant).")
        add.add_argument("--address", default="")
        add.add_argument("--agent", action="append", default=[], metavar="ORG_SLUG:ROLE",
                         help="Rôle d'agent sur une organisation (répétable).")
        grant = sub.add_parser("grant", help="Donner un rôle à un compte existant.")
        grant.add_argument("email")
        grant.add_argument("grant", metavar="ORG_SLUG:ROLE")
        revoke = sub.add_parser("revoke", help="Retirer un rôle.")
        revoke.add_argument("email")
        revoke.add_argument("grant", metavar="ORG_SLUG:ROLE")
        reset = sub.add_parser("reset-totp", help="Réinitialiser le second facteur d'un agent.")
        reset.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
            return
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(f"Aucun compte pour « {options['email']} ».")
        if action == "grant":
            org, role = _parse_grant(options["grant"])
            membership_grant(actor=None, user=user, organisation=org, role=role)
            self.stdout.write(f"Rôle {role} donné à {user.email} sur {org.slug}.")
        elif action == "revoke":
            org, role = _parse_grant(options["grant"])
            membership = Membership.objects.filter(
                user=user, organisation=org, role=role, revoked_at__isnull=True).first()
            if membership is None:
                raise CommandError("Ce compte n'a pas ce rôle.")
            membership_revoke(actor=None, membership=membership)
            self.stdout.write(f"Rôle {role} retiré à {user.email} sur {org.slug}.")
        elif action == "reset-totp":
            totp_reset(actor=None, user=user)
            self.stdout.write(f"Second facteur de {user.email} réinitialisé.")

    def _add(self, options: dict[str, Any]) -> None:
        grants = [_parse_grant(value) for value in options["agent"]]
        commune = None
        if options["commune"]:
            commune = Organisation.objects.filter(
                slug=options["commune"], kind=OrganisationKind.COMMUNE).first()
            if commune is None:
                raise CommandError(f"Commune inconnue : « {options['commune']} ».")
        if commune and not options["citizen"]:
            raise CommandError("--commune va avec --citizen.")
        try:
            with transaction.atomic():
                user = user_create(actor=None, email=options["email"], password=options["password"],
                                   first_name=options["first_name"], last_name=options["last_name"])
                if options["citizen"]:
                    citizen_profile_set(actor=None, user=user, home_commune=commune,
                                        address=options["address"])
                for org, role in grants:
                    membership_grant(actor=None, user=user, organisation=org, role=role)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        kinds = []
        if options["citizen"]:
            kinds.append("usager" + (f" de {commune.name}" if commune else ""))
        kinds += [f"{role} sur {org.slug}" for org, role in grants]
        self.stdout.write(f"Compte créé : {user.email}" + (f" ({', '.join(kinds)})" if kinds else ""))
