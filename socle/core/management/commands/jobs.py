from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.models import JobRunStatus
from socle.core.scheduler import job_run_now, jobs_state


class Command(BaseCommand):
    help = ("Les tâches planifiées des modules : dernière exécution, résultat, prochaine "
            "échéance (`socle jobs`), ou en exécuter une tout de suite (`socle jobs run NOM`).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")
        sub = parser.add_subparsers(dest="action")
        run = sub.add_parser("run", help="Exécuter une tâche maintenant.")
        run.add_argument("name", help="Nom de la tâche, par exemple mail.escalate.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") == "run":
            try:
                run = job_run_now(actor=None, name=options["name"])
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"{run.job} : {run.get_status_display()} — {run.summary}")
            if run.status == JobRunStatus.FAILED:
                raise CommandError(f"La tâche {run.job} a échoué.")
            return
        states = jobs_state(actor=None)
        if options["json"]:
            self.stdout.write(json.dumps([state.as_dict() for state in states],
                                         ensure_ascii=False, indent=2))
            return
        for state in states:
            last = state.last
            if last is None:
                outcome = "jamais exécutée"
            else:
                when = timezone.localtime(last.finished_at or last.started_at)
                outcome = f"{last.get_status_display().lower()} le {when:%d/%m/%Y à %H:%M}"
                if last.summary:
                    outcome += f" : {last.summary}"
            self.stdout.write(
                f"{state.job.name} — {state.job.label}\n"
                f"  horaire : {state.schedule_label} ({state.job.schedule})\n"
                f"  dernière exécution : {outcome}\n"
                f"  prochaine : {timezone.localtime(state.next_slot):%d/%m/%Y à %H:%M}")
