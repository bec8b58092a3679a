from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from socle.core import modules
from socle.core.models import Organisation, User
from socle.core.module_activation import module_enable_everywhere
from socle.core.services import citizen_profile_set, membership_grant, user_create
from socle.core.territory import territory_load

DEMO_TERRITORY = Path(__file__).resolve().parents[2] / "data" / "territory" / "arc.json"
DEMO_PASSWORD = "socle-demo-2026"



def demo_load(stdout: Any = None) -> list[tuple[str, str]]:
    """Load the demo territory, every module's demo accounts, and switch every module on."""
    territory_load(actor=None, path=DEMO_TERRITORY)
    created = []
    with transaction.atomic():
        for account in modules.demo_accounts():
            user = User.objects.filter(email=account.email).first()
            if user is None:
                user = user_create(actor=None, email=account.email, password=DEMO_PASSWORD,
                                   first_name=account.first_name, last_name=account.last_name,
                                   check_password=False)
                if account.commune:
                    citizen_profile_set(actor=None, user=user,
                                        home_commune=Organisation.objects.get(slug=account.commune))
            # Several modules may declare one account (the Compiègne agent instructs cases
            # and opens tickets): each module's grants are given, once (idempotent).
            for slug, role in account.grants:
                membership_grant(actor=None, user=user,
                                 organisation=Organisation.objects.get(slug=slug), role=role)
            kind = (", ".join(f"{role} sur {slug}" for slug, role in account.grants)
                    or f"usager de {account.commune}")
            created.append((account.email, kind))
        module_enable_everywhere(actor=None)
    return created


def apps_demo_load() -> list[str]:
    """Run each module's declared demo loader, each after the modules it requires.

    A loader is idempotent, runs without an actor and returns the lines to print.
    """
    lines: list[str] = []
    for _module, loader in modules.demo_loaders():
        lines += list(loader() or [])
    return lines


def _demo_settings() -> dict[str, str]:
    """Apply the modules' demo settings here; return them as environment for child processes."""
    environment = {}
    for module in modules.modules():
        for name, value in module.demo_settings.items():
            setattr(settings, name, value)
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            environment[f"SOCLE_{name}"] = text
    return environment


class Command(BaseCommand):
    help = "Préparer la démonstration (base, territoire de l'ARC, comptes) et servir la plateforme."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data-dir", help="Dossier des données (base SQLite, fichiers).")
        parser.add_argument("--no-serve", action="store_true",
                            help="Préparer les données sans lancer le serveur.")

    def handle(self, *args: Any, **options: Any) -> None:
        demo_environment = _demo_settings()
        # Links in the demo's mails lead to the port it serves (unless set explicitly).
        if not os.environ.get("SOCLE_BASE_URL"):
            settings.BASE_URL = f"http://{options['host']}:{options['port']}"
            demo_environment["SOCLE_BASE_URL"] = settings.BASE_URL
        call_command("migrate", interactive=False, verbosity=0)
        accounts = demo_load()
        loaded = apps_demo_load()
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Données : {settings.DATA_DIR}")
        for line in loaded:
            self.stdout.write(line)
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for email, kind in accounts:
            self.stdout.write(f"  {email:40} {kind}")
        self.stdout.write("Les agents activent leur second facteur (TOTP) à la première connexion.")
        if options["no_serve"]:
            return
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"socle est servi sur {url} (Ctrl+C pour arrêter)."))
        env = {**os.environ, **demo_environment, "SOCLE_DATA_DIR": str(settings.DATA_DIR)}
        # Background tasks and the modules' simulators run beside the web server: no extra
        # command needed.
        # The arguments come from the modules' own declarations, never from a request.
        helpers = [subprocess.Popen([sys.executable, "-m", "socle.cli", *argv], env=env)  # noqa: S603
                   for module in modules.modules() for argv in module.demo_processes]
        helpers.append(subprocess.Popen([sys.executable, "-m", "socle.cli", "worker"], env=env))
        try:
            call_command("runserver", f"{options['host']}:{options['port']}",
                         use_reloader=False, use_threading=True)
        finally:
            for helper in helpers:
                helper.terminate()
                helper.wait(timeout=10)
