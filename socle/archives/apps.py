from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "socle.archives"
    label = "archives"
    verbose_name = "Archivage électronique (SAE)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the archives' system checks)
