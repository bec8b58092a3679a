from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.models import ApiToken, User
from socle.core.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Gérer les jetons d'API : créer (le jeton s'affiche une seule fois), lister, révoquer."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Créer un jeton et l'afficher.")
        create.add_argument("email")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="Lister les jetons d'un compte.")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="Révoquer un jeton par son préfixe.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"Aucun jeton de préfixe « {options['prefix']} ».")
            token_revoke(actor=None, token=token)
            self.stdout.write(f"Jeton {token.prefix} révoqué.")
            return
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(f"Aucun compte pour « {options['email']} ».")
        if action == "create":
            _, clear = token_create(actor=None, user=user, name=options["name"])
            self.stdout.write(clear)
        else:
            for token in user.api_tokens.order_by("created_at"):
                state = "révoqué" if token.revoked_at else "actif"
                self.stdout.write(f"{token.prefix}\t{token.name}\t{token.created_at:%Y-%m-%d}\t{state}")
