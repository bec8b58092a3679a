"""System checks of the archives, run by `socle check --deploy`: SEDA schemas, antivirus."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .seda import NAMESPACES, schema_path

# The versions an incoming transfer may use: each needs its official schema in production.
SEDA_VERSIONS = sorted(NAMESPACES.values())
VARIABLES = {"2.1": "SOCLE_SEDA_SCHEMA_DIR_2_1", "2.2": "SOCLE_SEDA_SCHEMA_DIR_2_2",
             "2.3": "SOCLE_SEDA_SCHEMA_DIR_2_3"}


@register("socle", deploy=True)
def seda_schemas_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a deployment where a SEDA version would be ingested without its schema."""
    errors: list[CheckMessage] = []
    for version in SEDA_VERSIONS:
        if schema_path(version) is not None:
            continue
        folder = settings.ARCHIVES_SEDA_SCHEMA_DIRS.get(version, "")
        problem = (f"le dossier « {folder} » ne contient pas seda-{version}-main.xsd" if folder
                   else "aucun dossier configuré")
        errors.append(Error(
            f"Schéma SEDA {version} absent ({problem}) : les versements SEDA {version} seraient "
            "acceptés sans validation par le schéma.",
            hint=(f"Déposez les schémas XSD officiels du SEDA dans un dossier contenant "
                  f"seda-2.1, seda-2.2 et seda-2.3 et indiquez-le dans SOCLE_SEDA_SCHEMAS, ou "
                  f"indiquez le dossier de cette version dans "
                  f"{VARIABLES.get(version, 'SOCLE_SEDA_SCHEMAS')} (voir docs/operations.md)."),
            id="socle.archives.E001"))
    return errors


@register("socle", deploy=True)
def antivirus_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn of a deployment whose ingest would let transfers in without a virus scan."""
    if settings.ARCHIVES_ANTIVIRUS:
        return []
    return [Warning(
        "Aucun antivirus configuré pour les versements d'archives : l'étape « Analyse "
        "antivirus » de chaque versement est en avertissement (non effectuée).",
        hint=("Installez clamd (paquet Debian clamav-daemon) et indiquez son socket dans "
              "SOCLE_ARCHIVES_ANTIVIRUS, par exemple clamd:///run/clamav/clamd.ctl "
              "(voir docs/operations.md, « Antivirus des versements »)."),
        id="socle.archives.W001")]
