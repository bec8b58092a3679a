from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from socle.core.errors import ServiceError
from socle.core.module_activation import module_disable, module_enable
from socle.core.modules import ModuleError, module_get
from socle.core.selectors import organisation_get_public


class Command(BaseCommand):
    help = "Activer ou désactiver un module pour une organisation (désactiver masque, sans rien effacer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["enable", "disable"])
        parser.add_argument("module", help="Nom du module, par exemple « mail ».")
        parser.add_argument("--org", required=True, help="Organisation (slug), par exemple « verberie ».")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            module_get(options["module"])
        except ModuleError as exc:
            raise CommandError(str(exc)) from None
        organisation = organisation_get_public(slug=options["org"])
        if organisation is None:
            raise CommandError(f"Organisation inconnue : « {options['org']} ».")
        service = module_enable if options["action"] == "enable" else module_disable
        try:
            service(actor=None, module=options["module"], organisation=organisation)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        state = "activé" if options["action"] == "enable" else "désactivé"
        self.stdout.write(f"Module « {options['module']} » {state} pour {organisation.name}.")
