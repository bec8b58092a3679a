from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "socle.security"
    label = "security"
    verbose_name = "Sensibilisation à la cybersécurité"
