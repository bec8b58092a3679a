from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "socle.archives"
    label = "archives"
    verbose_name = "Archivage électronique (SAE)"
