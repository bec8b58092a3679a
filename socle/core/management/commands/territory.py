from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.services import ServiceError
from socle.core.territory import territory_load


class Command(BaseCommand):
    help = "Charger un territoire (intercommunalité, communes, services) depuis un fichier JSON ou CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Créer ou mettre à jour les organisations d'un fichier.")
        load.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            report = territory_load(actor=None, path=path)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Territoire chargé : {len(report.created)} créée(s), {len(report.updated)} mise(s) "
            f"à jour, {len(report.unchanged)} inchangée(s)."
        )
