from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from socle.core.models import Organisation, User
from socle.core.services import citizen_profile_set, membership_grant, user_create
from socle.core.territory import territory_load

DEMO_TERRITORY = Path(__file__).resolve().parents[2] / "data" / "territory" / "arc.json"
DEMO_PASSWORD = "socle-demo-2026"

# (email, first name, last name, home commune or None, [(organisation, role), ...])
DEMO_ACCOUNTS: list[tuple[str, str, str, str | None, list[tuple[str, str]]]] = [
    ("habitant.compiegne@demo.socle.fr", "Camille", "Martin", "compiegne", []),
    ("habitant.verberie@demo.socle.fr", "Louis", "Bernard", "verberie", []),
    ("agent.compiegne@demo.socle.fr", "Nadia", "Lefèvre", None,
     [("compiegne", "portal.caseworker"), ("compiegne", "documents.editor")]),
    ("agent.margny@demo.socle.fr", "Hugo", "Petit", None,
     [("margny-les-compiegne", "portal.caseworker")]),
    ("dcsi@demo.socle.fr", "Sophie", "Durand", None, [("arc", "core.admin")]),
    ("redaction@demo.socle.fr", "Élise", "Roux", None, [("arc", "portal.editor")]),
    ("archiviste@demo.socle.fr", "Paul", "Moreau", None,
     [("arc", "archives.archivist"), ("arc", "documents.archivist")]),
    ("courrier@demo.socle.fr", "Chantal", "Girard", None, [("compiegne", "mail.clerk")]),
]


def demo_load(stdout: Any = None) -> list[tuple[str, str]]:
    """Load the demo territory and accounts; running it again changes nothing."""
    territory_load(actor=None, path=DEMO_TERRITORY)
    created = []
    with transaction.atomic():
        for email, first, last, commune, grants in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = user_create(actor=None, email=email, password=DEMO_PASSWORD,
                                   first_name=first, last_name=last, check_password=False)
                if commune:
                    citizen_profile_set(actor=None, user=user,
                                        home_commune=Organisation.objects.get(slug=commune))
                for slug, role in grants:
                    membership_grant(actor=None, user=user,
                                     organisation=Organisation.objects.get(slug=slug), role=role)
            kind = ", ".join(f"{role} sur {slug}" for slug, role in grants) or f"usager de {commune}"
            created.append((email, kind))
    return created


def apps_demo_load() -> list[str]:
    """Run the demo loader of each installed socle app, in INSTALLED_APPS order.

    The core knows no domain app: an app with demo data ships a ``demo`` module
    (``socle/<app>/demo.py``) whose ``demo_load()`` is idempotent, runs without an
    actor and returns the lines to print. Found here through the app registry.
    """
    lines: list[str] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("socle."):
            continue
        module_name = f"{config.name}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        loader = getattr(importlib.import_module(module_name), "demo_load", None)
        if callable(loader):
            lines += list(loader() or [])
    return lines


class Command(BaseCommand):
    help = "Préparer la démonstration (base, territoire de l'ARC, comptes) et servir la plateforme."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--data-dir", help="Dossier des données (base SQLite, fichiers).")
        parser.add_argument("--no-serve", action="store_true",
                            help="Préparer les données sans lancer le serveur.")

    def handle(self, *args: Any, **options: Any) -> None:
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
        env = {**os.environ, "SOCLE_DATA_DIR": str(settings.DATA_DIR)}
        # Background tasks run beside the web server: no extra command needed.
        worker = subprocess.Popen(
            [sys.executable, "-m", "socle.cli", "worker"], env=env
        )
        try:
            call_command("runserver", f"{options['host']}:{options['port']}",
                         use_reloader=False, use_threading=True)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
