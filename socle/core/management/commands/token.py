from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.models import ApiToken, User
from socle.core.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Gérer les jetons d'API : créer (le jeton s'affiche une seule fois), lister, révoquer."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Créer un jeton et l'afficher.")
        create.add_argument("email")
        create.add_argument("--name", default="")
        create.add_argument("--expires", default="",
                            help="Expiration : une durée (90d, 12h) ou une date (2027-06-30). "
                                 "Par défaut : aucune.")
        create.add_argument("--scope", default="write",
                            help="Portée : read ou write, et si besoin les modules "
                                 "(read:portal,documents). Par défaut : write, tous les modules.")
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
            try:
                _, clear = token_create(actor=None, user=user, name=options["name"],
                                        expires_at=_expiry(options["expires"]),
                                        scope=options["scope"])
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(clear)
        else:
            now = timezone.now()
            for token in user.api_tokens.order_by("created_at"):
                state = ("révoqué" if token.revoked_at else
                         "expiré" if token.expires_at and token.expires_at <= now else "actif")
                expiry = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "sans expiration"
                self.stdout.write(f"{token.prefix}\t{token.name}\t{token.created_at:%Y-%m-%d}\t"
                                  f"{token.scope_label()}\t{expiry}\t{state}")


def _expiry(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    if match := re.fullmatch(r"(\d+)([dh])", text):
        amount = int(match[1])
        return timezone.now() + (timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount))
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Expiration « {text} » illisible : écrivez 90d, 12h ou 2027-06-30.") from exc
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
