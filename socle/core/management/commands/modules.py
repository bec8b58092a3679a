from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from socle.core.modules import describe, modules
from socle.core.public_index import public_index, public_index_markdown


class Command(BaseCommand):
    help = "Lister les modules installés et ce que chacun déclare (rôles, pages, API, tâches…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Sortie JSON, pour les scripts.")
        parser.add_argument("--index", action="store_true",
                            help="L'index des services et sélecteurs publics de chaque module "
                                 "(Markdown, ou JSON avec --json).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["index"]:
            if options["json"]:
                entries = [asdict(entry) for entry in public_index()]
                self.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2))
            else:
                self.stdout.write(public_index_markdown(), ending="")
            return
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
