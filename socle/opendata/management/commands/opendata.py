from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from socle.core.errors import ServiceError

# Larger than an upload: a file on the operator's own disk (200 MB).
COMMAND_MAX_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Données ouvertes : contrôler un fichier contre un schéma officiel (SCDL), générer les fichiers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser(
            "validate", help="Contrôler un fichier CSV (code 1 s'il a des erreurs, 2 s'il est illisible)."
        )
        validate.add_argument("file")
        validate.add_argument(
            "--schema", required=True, help="Par exemple scdl/subventions ou scdl/subventions@2.1.1."
        )
        validate.add_argument("--json", action="store_true", help="Le rapport en JSON.")
        sub.add_parser("generate", help="Régénérer, valider et publier les fichiers générés.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            from socle.opendata.jobs import generate

            self.stdout.write(generate())
            return
        self._validate(options)

    def _validate(self, options: dict[str, Any]) -> None:
        from socle.opendata.schemas import schema_load
        from socle.opendata.services import territory_insee
        from socle.opendata.validation import bytes_validate

        path = Path(options["file"])
        try:
            schema = schema_load(options["schema"])
        except ServiceError as exc:
            self.stderr.write(exc.message)
            sys.exit(2)
        if not path.is_file():
            self.stderr.write(f"Fichier introuvable : {path}")
            sys.exit(2)
        if path.stat().st_size > COMMAND_MAX_BYTES:
            self.stderr.write(
                f"Le fichier fait plus de {COMMAND_MAX_BYTES // (1024 * 1024)} Mo : "
                "il n'est pas contrôlé. Découpez-le."
            )
            sys.exit(2)
        report = bytes_validate(path.read_bytes(), schema, insee_codes=territory_insee() or None)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for error in report.errors:
                self.stdout.write(f"{error.code:20} {error.message}")
            verdict = "valide" if report.valid else "invalide"
            self.stdout.write(
                f"{report.row_count} ligne(s), {report.error_count} erreur(s) : fichier {verdict} "
                f"({schema.ref})."
            )
        if not report.readable:
            sys.exit(2)
        if not report.valid:
            sys.exit(1)
