from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "socle.privacy"
    label = "privacy"
    verbose_name = "Registre RGPD"
