from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.models import Organisation


def _organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"Organisation inconnue : « {slug} ».")
    return organisation


class Command(BaseCommand):
    help = "Archivage électronique : verser, vérifier l'intégrité, exporter."
    # Django runs every system check before a command by default: here that is an AST scan of
    # the whole source (socle.E001) and the import of every URL and API, seconds of start-up
    # for a nightly audit. `socle check` (at each deployment and in `make lint`) runs them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Verser un paquet SEDA (zip ou tar).")
        ingest.add_argument("package", type=Path)
        ingest.add_argument("--org", required=True, help="Service d'archives (slug).")
        verify = sub.add_parser("verify", help="Recalculer les empreintes des copies stockées.")
        verify.add_argument("--org", default="")
        verify.add_argument("--offer", default="")
        verify.add_argument("--sample", type=float, default=None)
        verify.add_argument("--no-repair", action="store_true",
                            help="Signaler sans réparer les copies en défaut.")
        export = sub.add_parser("export", help="Exporter toutes les archives d'une organisation "
                                "(dossier vide ; code de sortie non nul si un objet est perdu).")
        export.add_argument("directory", type=Path)
        export.add_argument("--org", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "ingest":
            self._ingest(options)
        elif action == "verify":
            self._verify(options)
        else:
            self._export(options)

    def _ingest(self, options: dict[str, Any]) -> None:
        from socle.archives.ingest import transfer_ingest

        package: Path = options["package"]
        if not package.is_file():
            raise CommandError(f"Fichier introuvable : {package}")
        transfer = transfer_ingest(actor=None, organisation=_organisation(options["org"]),
                                   package=package)
        steps = list(transfer.steps.all())
        for step in steps:
            self.stderr.write(f"{step.outcome}  {step.label}"
                              + (f" — {step.reason}" if step.reason else ""))
        if transfer.status != "accepted":
            failed = next((step for step in steps if not step.ok), None)
            raise CommandError(
                f"Transfert refusé (réponse {transfer.reply_identifier}) : "
                f"{failed.reason if failed else 'motif inconnu'}")
        self.stdout.write(transfer.package.identifier)

    def _verify(self, options: dict[str, Any]) -> None:
        from socle.archives.fixity import FixityError, archives_verify

        sample = options["sample"]
        if sample is not None and not 0 < sample <= 1:
            raise CommandError("--sample attend une fraction entre 0 (exclu) et 1.")
        try:
            report = archives_verify(
                actor=None, organisation=_organisation(options["org"]) if options["org"] else None,
                offer_name=options["offer"] or None, sample=sample,
                repair=not options["no_repair"])
        except FixityError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        for loss in report.losses:
            self.stderr.write(f"PERTE  {loss['package']} : « {loss['object']} » — aucune copie "
                              f"saine sur aucune offre (depuis le {loss['since'][:10]})")
        for item in report.interrupted:
            self.stderr.write(f"KO  versement interrompu {item['package'] or item['spool']} : "
                              f"journalisé, {item['copies_removed']} copie(s) supprimée(s)")
        for stray in report.strays or []:
            self.stderr.write(f"ORPHELIN  {stray['location']} : {stray['reason']}")
        if not report.ok:
            parts = [f"{len(report.failures)} copie(s) ou empreinte(s) en défaut "
                     f"({report.repaired} réparée(s))"]
            if report.losses:
                parts.append(f"{len(report.losses)} perte(s) : aucune copie saine")
            if report.interrupted:
                parts.append(f"{len(report.interrupted)} versement(s) interrompu(s)")
            if report.strays:
                parts.append(f"{len(report.strays)} objet(s) orphelin(s) sur les offres")
            raise CommandError(" ; ".join(parts) + ".")

    def _export(self, options: dict[str, Any]) -> None:
        from socle.archives.export import ExportError, archives_export

        try:
            report = archives_export(actor=None, organisation=_organisation(options["org"]),
                                     directory=options["directory"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(report, ensure_ascii=False))
        if report["losses"]:
            # Everything else is written: the exit code says the export is not complete.
            raise CommandError(f"Export incomplet : {len(report['losses'])} objet(s) perdu(s) "
                               "(aucune copie intègre), listé(s) dans export.json (losses).")
