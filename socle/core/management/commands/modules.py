from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from socle.core.modules import describe, modules


class Command(BaseCommand):
    help = "Lister les modules installés et ce que chacun déclare (rôles, pages, API, tâches…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Sortie JSON, pour les scripts.")

    def handle(self, *args: Any, **options: Any) -> None:
        described = [describe(module) for module in modules()]
        if options["json"]:
            self.stdout.write(json.dumps(described, ensure_ascii=False, indent=2))
            return
        for item in described:
            state = "" if item["switchable"] else " (toujours actif)"
            self.stdout.write(f"{item['name']} — {item['label']}{state}")
            for key, title in [("roles", "rôles"), ("jobs", "tâches planifiées"),
                               ("indicators", "indicateurs"), ("panels", "panneaux")]:
                if item[key]:
                    names = ", ".join(entry.get("name") or entry.get("label") for entry in item[key])
                    self.stdout.write(f"  {title} : {names}")
            self.stdout.write(f"  actions du journal : {len(item['journal_actions'])} ; "
                              f"pages : {item['urls'] or 'aucune'} ; API : {item['api'] or 'aucune'}")
