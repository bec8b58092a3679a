from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "GED : import en masse, extraction du texte en attente."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import", help="Importer les fichiers d'un dossier (récursivement) sous un nœud du plan. "
                           "Reprend où il s'était arrêté. Code de sortie 1 si un fichier est refusé.")
        load.add_argument("directory")
        load.add_argument("--org", required=True, help="Identifiant (slug) de l'organisation.")
        load.add_argument("--plan", required=True, metavar="CODE",
                          help="Code du nœud du plan de classement où classer les fichiers.")
        extract = sub.add_parser("extract", help="Relancer l'extraction du texte des versions en attente.")
        extract.add_argument("--pending", action="store_true", required=True)
        extract.add_argument("--now", action="store_true",
                             help="Extraire tout de suite au lieu de mettre en file d'attente.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(Path(options["directory"]), options["org"], options["plan"])
        elif options["action"] == "extract":
            self._extract(options["now"])

    def _import(self, directory: Path, slug: str, node_code: str) -> None:
        from socle.core.models import Organisation
        from socle.documents.bulk_import import directory_import

        if not directory.is_dir():
            raise CommandError(f"Dossier introuvable : {directory}")
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"Organisation inconnue : {slug}")

        labels = {"imported": "importé", "skipped": "ignoré", "rejected": "REFUSÉ"}

        def on_file(path: str, outcome: str, detail: str) -> None:
            stream = self.stderr if outcome == "rejected" else self.stdout
            stream.write(f"{labels[outcome]:8} {path} : {detail}")

        report = directory_import(actor=None, directory=directory, organisation=organisation,
                                  node_code=node_code, on_file=on_file)
        self.stdout.write(f"Importés : {len(report.imported)} ; déjà présents : {len(report.skipped)} ; "
                          f"refusés : {len(report.rejected)}.")
        if report.rejected:
            # Non-zero, so a script notices; the rest of the directory is imported anyway.
            raise CommandError(f"{len(report.rejected)} fichier(s) refusé(s), voir ci-dessus.")

    def _extract(self, now: bool) -> None:
        from socle.documents.services import version_text_extract, versions_pending_extraction
        from socle.documents.tasks import document_extract_task

        pending = versions_pending_extraction()
        for version_id in pending:
            if now:
                version_text_extract(version_id=version_id)
            else:
                document_extract_task.enqueue(version_id=version_id)
        self.stdout.write(f"Versions en attente traitées : {len(pending)}.")
