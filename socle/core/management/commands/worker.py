from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from socle.core.scheduler import jobs_tick, worker_identity
from socle.core.task_queue import task_run_next, tasks_recover


class Command(BaseCommand):
    help = ("Exécuter les tâches de fond (file en base de données, reprises et nouvelles "
            "tentatives) et les tâches planifiées déclarées par les modules.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Secondes d'attente quand il n'y a rien à faire.")
        parser.add_argument("--batch", action="store_true",
                            help="Traiter ce qui est dû et en attente, puis s'arrêter.")
        parser.add_argument("--no-schedule", action="store_true",
                            help="Ne pas exécuter les tâches planifiées (file seule).")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = worker_identity()
        schedule = settings.JOBS_SCHEDULER and not options["no_schedule"]
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            if not self.running:
                raise SystemExit(1)
            self.stderr.write("Arrêt demandé : fin de la tâche en cours, puis arrêt.")
            self.running = False

        if not options["batch"]:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while self.running:
            _close_old_connections()
            tasks_recover()
            if schedule:
                for run in jobs_tick(worker=worker):
                    self.stdout.write(f"{run.job} : {run.get_status_display()} — {run.summary}")
            while self.running and task_run_next(worker_id=worker):
                pass
            if options["batch"]:
                return
            time.sleep(options["interval"])


def _close_old_connections() -> None:
    """Drop broken or expired connections between turns, as Django does between requests
    (never one inside a transaction: a test's, or a caller's)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
