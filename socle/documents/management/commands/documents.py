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
        which = extract.add_mutually_exclusive_group(required=True)
        which.add_argument("--pending", action="store_true",
                           help="Les versions dont le texte n'a pas encore été extrait.")
        which.add_argument("--ocr-unavailable", action="store_true",
                           help="Les versions restées sans texte faute d'OCR, à relire une fois "
                                "tesseract installé.")
        extract.add_argument("--now", action="store_true",
                             help="Extraire tout de suite au lieu de mettre en file d'attente.")
        reindex = sub.add_parser(
            "reindex", help="Reconstruire l'index de recherche depuis les documents (par lots, "
                            "pendant le service) : corrige les entrées qui diffèrent et retire "
                            "celles des documents disparus.")
        reindex.add_argument("--org", action="append", default=[], metavar="SLUG",
                             help="Seulement les documents de cette organisation (répétable).")
        sub.add_parser("remind-overdue",
                       help="Relancer par courriel les étapes de circuit dont l'échéance est "
                            "dépassée (au plus une relance par étape et par jour).")
        publish = sub.add_parser(
            "plan-publish", help="Publier le brouillon d'un plan de classement : il entre en vigueur, "
                                 "la version précédente est remplacée. Code de sortie 1 si refusé.")
        publish.add_argument("--org", required=True, help="Identifiant (slug) de l'organisation.")
        publish.add_argument("--plan", required=True, metavar="CODE", help="Code du plan de classement.")
        migrate = sub.add_parser(
            "plan-migrate", help="Migrer les documents classés sous les versions remplacées d'un plan "
                                 "vers la version en vigueur, nœud par nœud de même code. Code de "
                                 "sortie 1 si un document ne peut pas être migré.")
        migrate.add_argument("--org", required=True, help="Identifiant (slug) de l'organisation.")
        migrate.add_argument("--plan", required=True, metavar="CODE", help="Code du plan de classement.")
        migrate.add_argument("--map", action="append", default=[], metavar="ANCIEN=NOUVEAU",
                             help="Reclasser les documents d'un ancien code sous un autre code "
                                  "(répétable).")
        migrate.add_argument("--dry-run", action="store_true",
                             help="Montrer ce qui serait fait, sans rien changer.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(Path(options["directory"]), options["org"], options["plan"])
        elif options["action"] == "extract":
            self._extract(options["now"], ocr=options["ocr_unavailable"])
        elif options["action"] == "reindex":
            self._reindex(options["org"])
        elif options["action"] == "remind-overdue":
            self._remind_overdue()
        elif options["action"] == "plan-publish":
            self._plan_publish(options["org"], options["plan"])
        elif options["action"] == "plan-migrate":
            self._plan_migrate(options["org"], options["plan"], options["map"], options["dry_run"])

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

    def _extract(self, now: bool, *, ocr: bool = False) -> None:
        from socle.documents.extraction import ocr_available
        from socle.documents.services import (
            version_text_extract,
            versions_awaiting_ocr,
            versions_pending_extraction,
        )
        from socle.documents.tasks import document_extract_task

        if ocr and not ocr_available():
            raise CommandError("Le moteur d'OCR (tesseract) n'est pas installé sur ce serveur : "
                               "installez les paquets tesseract-ocr et tesseract-ocr-fra, puis "
                               "relancez.")
        pending = versions_awaiting_ocr() if ocr else versions_pending_extraction()
        for version_id in pending:
            if now:
                version_text_extract(version_id=version_id)
            else:
                document_extract_task.enqueue(version_id=version_id)
        label = "Versions sans texte faute d'OCR" if ocr else "Versions en attente"
        self.stdout.write(f"{label} traitées : {len(pending)}.")

    def _remind_overdue(self) -> None:
        from socle.documents.circuits import circuit_remind_overdue

        reminders = circuit_remind_overdue()
        for reminder in reminders:
            step = reminder.step
            assert step.deadline is not None
            self.stdout.write(
                f"Relance : « {step.circuit.document.title} » ({step.circuit.organisation.slug}), "
                f"étape n° {step.order}, échéance {step.deadline:%d/%m/%Y} : "
                f"{len(reminder.recipients)} destinataire(s).")
        self.stdout.write(f"Étapes en retard relancées : {len(reminders)}.")

    def _plan(self, slug: str, code: str, status: str) -> Any:
        from socle.documents.models import FilePlan

        plan = FilePlan.objects.filter(organisation__slug=slug, code=code, status=status).first()
        if plan is None and not FilePlan.objects.filter(organisation__slug=slug, code=code).exists():
            raise CommandError(f"Plan inconnu : « {code} » de l'organisation « {slug} ».")
        return plan

    def _plan_publish(self, slug: str, code: str) -> None:
        from socle.documents.models import PlanStatus
        from socle.documents.plan_versions import plan_publish
        from socle.documents.services import DocumentRefused

        draft = self._plan(slug, code, PlanStatus.DRAFT)
        if draft is None:
            raise CommandError(f"Le plan « {code} » n'a pas de brouillon à publier.")
        try:
            report = plan_publish(actor=None, plan=draft)
        except DocumentRefused as refusal:
            raise CommandError(refusal.message) from refusal
        retired = f" ; version {report.retired.version} remplacée" if report.retired else ""
        self.stdout.write(f"Plan « {code} » : version {report.plan.version} en vigueur{retired}.")
        self.stdout.write(f"Plans qui l'étendent : {len(report.plans_moved)} ; nœuds rattachés à la "
                          f"nouvelle version : {len(report.moved)}.")
        for link in report.orphaned:
            self.stderr.write(f"À REVOIR  {link.describe()}")

    def _plan_migrate(self, slug: str, code: str, pairs: list[str], dry_run: bool) -> None:
        from socle.documents.models import FilePlan, PlanStatus
        from socle.documents.plan_versions import migration_preview, plan_migrate_documents

        target = self._plan(slug, code, PlanStatus.ACTIVE)
        if target is None:
            raise CommandError(f"Le plan « {code} » n'a pas de version en vigueur.")
        if any("=" not in pair for pair in pairs):
            raise CommandError("--map attend ANCIEN=NOUVEAU, par exemple --map FIN-09=FIN-10.")
        mapping = dict(pair.split("=", 1) for pair in pairs)
        retired = FilePlan.objects.filter(organisation__slug=slug, code=code,
                                          status=PlanStatus.RETIRED).order_by("version")
        moved = refused = 0
        for plan in retired:
            if dry_run:
                items = migration_preview(None, plan, target, mapping=mapping)
                ok = [item for item in items if not item.problem]
                ko = [item for item in items if item.problem]
            else:
                report = plan_migrate_documents(actor=None, plan_from=plan, plan_to=target,
                                                mapping=mapping)
                ok, ko = report.migrated, report.refused
            verb = "à migrer" if dry_run else "migré"
            for item in ok:
                assert item.target is not None
                self.stdout.write(f"{verb:9} n° {item.document.pk} « {item.document.title} » : "
                                  f"{item.source_code} (v{plan.version}) → {item.target.code} "
                                  f"({item.target.plan.code} v{item.target.plan.version})")
            for item in ko:
                self.stderr.write(f"NON MIGRÉ n° {item.document.pk} « {item.document.title} » : "
                                  f"{item.source_code} (v{plan.version}) : {item.problem}")
            moved, refused = moved + len(ok), refused + len(ko)
        label = "À migrer" if dry_run else "Migrés"
        simulation = " (simulation : rien n'a changé)" if dry_run else ""
        self.stdout.write(f"{label} : {moved} ; ne pouvant pas l'être : {refused}{simulation}.")
        if refused:
            raise CommandError(f"{refused} document(s) ne peuvent pas être migrés, voir ci-dessus.")

    def _reindex(self, slugs: list[str]) -> None:
        from socle.core.models import Organisation
        from socle.documents.search import reindex

        organisation_ids = None
        if slugs:
            found = dict(Organisation.objects.filter(slug__in=slugs).values_list("slug", "pk"))
            unknown = sorted(set(slugs) - set(found))
            if unknown:
                raise CommandError(f"Organisation inconnue : {', '.join(unknown)}")
            organisation_ids = list(found.values())

        def progress(count: int) -> None:
            if count % 100_000 < 5000:
                self.stdout.write(f"… {count} documents")

        result = reindex(organisation_ids=organisation_ids, progress=progress)
        self.stdout.write(f"Index de recherche reconstruit : {result.documents} document(s) lu(s), "
                          f"{result.rewritten} entrée(s) corrigée(s), {result.orphans_removed} "
                          "entrée(s) de documents disparus retirée(s).")
