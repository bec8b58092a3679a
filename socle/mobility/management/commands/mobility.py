from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.errors import ServiceError
from socle.core.selectors import organisation_get_public


class Command(BaseCommand):
    help = "Mobilité : contrôler, importer et publier des horaires GTFS, en calculer les statistiques."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="topic", required=True)
        gtfs = sub.add_parser("gtfs", help="Horaires au format GTFS.")
        actions = gtfs.add_subparsers(dest="action", required=True)
        validate = actions.add_parser("validate", help="Contrôler un flux (code 1 s'il a des erreurs).")
        validate.add_argument("feed")
        validate.add_argument("--json", action="store_true")
        stats = actions.add_parser("stats", help="Statistiques par voyage, en CSV sur la sortie standard.")
        stats.add_argument("feed")
        imported = actions.add_parser("import", help="Importer un flux pour une organisation.")
        imported.add_argument("feed")
        imported.add_argument("--org", required=True)
        imported.add_argument("--publish", action="store_true", help="Publier s'il est sans erreur.")
        simulator = sub.add_parser(
            "lock-simulator", help="Simulateur de passerelle de cadenas connectés (démonstration, tests).")
        simulator.add_argument("--port", type=int, default=8790)
        simulator.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["topic"] == "lock-simulator":
            from socle.mobility.lock_simulator import simulator_server

            server = simulator_server(options["host"], options["port"])
            self.stdout.write(f"Simulateur de cadenas sur http://{options['host']}:{server.server_port}/ "
                              "(Ctrl+C pour arrêter).")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                server.server_close()
            return
        path = Path(options["feed"])
        if not path.is_file():
            self.stderr.write(f"Fichier introuvable : {path}")
            sys.exit(2)
        getattr(self, f"_{options['action']}")(path, options)

    def _validate(self, path: Path, options: dict[str, Any]) -> None:
        from socle.mobility.services import gtfs_check

        with path.open("rb") as handle:
            report = gtfs_check(source=handle).report
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        else:
            for notice in report["notices"]:
                self.stdout.write(f"{notice['severity']:8} {notice['code']} ({notice['count']}) : "
                                  f"{notice['message']}")
            self.stdout.write(f"{report['error_count']} erreur(s), {report['warning_count']} "
                              f"avertissement(s), {report['info_count']} information(s).")
        if report.get("unreadable"):
            sys.exit(2)
        if not report["valid"]:
            sys.exit(1)

    def _stats(self, path: Path, options: dict[str, Any]) -> None:
        from socle.mobility.gtfs_feed import FeedRefused, feed_read
        from socle.mobility.gtfs_stats import trip_stats

        try:
            feed = feed_read(path)
        except FeedRefused as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(trip_stats(feed).write_csv())

    def _import(self, path: Path, options: dict[str, Any]) -> None:
        from socle.mobility.services import gtfs_import, gtfs_publish

        organisation = organisation_get_public(slug=options["org"])
        if organisation is None:
            raise CommandError(f"Organisation inconnue : « {options['org']} ».")
        try:
            with path.open("rb") as handle:
                version = gtfs_import(actor=None, organisation=organisation, source=handle,
                                      filename=path.name)
            if options["publish"]:
                gtfs_publish(actor=None, version=version)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        state = "publiée" if version.published_at else "non publiée"
        self.stdout.write(f"Horaires n° {version.number} importés ({version.report['error_count']} "
                          f"erreur(s)), {state}.")
        if not version.valid:
            sys.exit(1)
