from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.blobs import blob_verify_all


class Command(BaseCommand):
    help = "Fichiers : recalculer l'empreinte de chaque fichier stocké."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Vérifier chaque fichier stocké.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = blob_verify_all()
        self.stdout.write(json.dumps({
            "ok": report.ok, "checked": report.checked, "bytes": report.bytes,
            "problems": [{"sha256": p.sha256, "reason": p.reason} for p in report.problems],
        }, ensure_ascii=False))
        if not report.ok:
            named = "; ".join(f"{p.sha256} : {p.reason}" for p in report.problems[:20])
            more = " …" if len(report.problems) > 20 else ""
            raise CommandError(f"{len(report.problems)} fichier(s) en défaut : {named}{more}")
