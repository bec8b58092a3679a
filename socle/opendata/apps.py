from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "socle.opendata"
    label = "opendata"
    verbose_name = "Données ouvertes"
