from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Exécuter les tâches de fond (django-tasks, file en base de données)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true",
                            help="Traiter les tâches en attente puis s'arrêter.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("db_worker", interval=options["interval"], batch=options["batch"],
                     queue_name="*", startup_delay=False)
