from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Registre du courrier : opérations d'exploitation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("escalate", help="Signaler le courrier dont le délai de traitement est "
                                        "dépassé et prévenir l'agent et son responsable "
                                        "(une fois par courrier).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "escalate":
            from socle.mail.services import mail_escalate_overdue

            escalated = mail_escalate_overdue()
            chronos = [f"{m.organisation.slug} {m.chrono}" for m in escalated]
            self.stdout.write(json.dumps({"escalated": chronos}, ensure_ascii=False))
            self.stderr.write(f"Courriers en retard signalés : {len(escalated)}.")
