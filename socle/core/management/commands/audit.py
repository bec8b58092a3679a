from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.journal import audit_verify


class Command(BaseCommand):
    help = "Journal d'audit : vérifier la chaîne d'empreintes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Vérifier que le journal est intact.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        summary = {"ok": report.ok, "checked": report.checked, "last_seq": report.last_seq,
                   "last_hash": report.last_hash}
        if report.first_break is not None:
            summary["first_break"] = {"seq": report.first_break.seq,
                                      "event_id": report.first_break.event_id,
                                      "reason": report.first_break.reason}
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            raise CommandError(
                f"Journal rompu à l'événement n° {report.first_break.seq} : "
                f"{report.first_break.reason}."
            )
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        self.stderr.write(f"Journal intact : {report.checked} événements vérifiés.")
