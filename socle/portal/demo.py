"""The portal's demo data, run by ``socle demo`` (which calls each app's ``demo.demo_load``)."""

from __future__ import annotations

from .services import demo_procedures_load


def demo_load() -> list[str]:
    """Load the demo procedures and their adoptions; running it again changes nothing."""
    report = demo_procedures_load()
    return [
        f"Démarches de démonstration : {len(report.created)} créées, "
        f"{len(report.present)} déjà présentes, {report.adoptions} adoptions par les communes, "
        f"{report.groups} équipes d'instruction."
    ]
