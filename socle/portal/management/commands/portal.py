from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Portail des démarches : opérations d'exploitation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reconcile = sub.add_parser(
            "reconcile-payments",
            help="Régler les paiements restés en attente en interrogeant la banque.")
        reconcile.add_argument(
            "--older-than", type=int, default=None, metavar="MINUTES",
            help="Ne traiter que les paiements en attente depuis plus de MINUTES minutes "
                 "(par défaut : SOCLE_PAYMENT_PENDING_MINUTES).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "reconcile-payments":
            self._reconcile(options["older_than"])

    def _reconcile(self, older_than: int | None) -> None:
        from socle.portal.payments import payment_reconcile

        if older_than is not None and older_than < 0:
            raise CommandError("--older-than est un nombre de minutes positif.")
        counts = payment_reconcile(older_than_minutes=older_than)
        self.stdout.write(json.dumps(counts, ensure_ascii=False))
        self.stderr.write(
            f"Paiements en attente examinés : {counts['checked']} ; reçus : {counts['paid']} ; "
            f"non aboutis : {counts['failed']} ; toujours en attente : {counts['pending']} ; "
            f"erreurs : {counts['errors']}.")
        if counts["errors"]:
            raise CommandError("La banque n'a pas pu être interrogée pour certains paiements.")
