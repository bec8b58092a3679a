from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "socle.opendata"
    label = "opendata"
    verbose_name = "Données ouvertes"

    def ready(self) -> None:
        # registers the system check of the udata connector's settings
        from . import udata  # noqa: F401
