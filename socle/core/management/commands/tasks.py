from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.task_queue import task_counts, task_replay, tasks_failed


class Command(BaseCommand):
    help = ("Les tâches de fond en échec ou en attente d'une nouvelle tentative (`socle tasks`), "
            "et leur relance (`socle tasks replay ID`).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Sortie JSON.")
        sub = parser.add_subparsers(dest="action")
        replay = sub.add_parser("replay", help="Relancer une tâche en échec.")
        replay.add_argument("task_id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") == "replay":
            try:
                task_replay(actor=None, task_id=options["task_id"])
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write("Tâche relancée : un processus de travail l'exécutera.")
            return
        failed = tasks_failed(actor=None)
        if options["json"]:
            self.stdout.write(json.dumps({"counts": task_counts(actor=None),
                                          "failed": [task.as_dict() for task in failed]},
                                         ensure_ascii=False, indent=2))
            return
        counts = task_counts(actor=None)
        self.stdout.write(f"En attente : {counts['READY']}, en cours : {counts['RUNNING']}, "
                          f"en échec : {counts['FAILED']}, terminées : {counts['SUCCESSFUL']}.")
        for task in failed:
            state = ("en échec" if task.retry_at is None and task.status == "FAILED" else
                     f"nouvelle tentative le {timezone.localtime(task.retry_at):%d/%m/%Y à %H:%M:%S}"
                     if task.retry_at else "en attente")
            self.stdout.write(f"{task.id}  {task.name}  {task.attempts} tentative(s), {state}\n"
                              f"  {task.error}")
