from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "socle.portal"
    label = "portal"
    verbose_name = "Démarches en ligne (GRU)"
