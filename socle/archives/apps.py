from django.apps import AppConfig

from socle.core.navigation import NavItem


class ArchivesConfig(AppConfig):
    name = "socle.archives"
    label = "archives"
    verbose_name = "Archivage électronique (SAE)"
    navigation = [
        NavItem("Archives", "archives:packages", audience="agent", permission="archives.view",
                description="Verser, rechercher et communiquer les archives électroniques."),
    ]
