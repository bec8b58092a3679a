from django.apps import AppConfig


class AgendasConfig(AppConfig):
    name = "socle.agendas"
    label = "agendas"
    verbose_name = "Agendas et réservations"
