from django.apps import AppConfig


class MobilityConfig(AppConfig):
    name = "socle.mobility"
    label = "mobility"
    verbose_name = "Mobilité"
