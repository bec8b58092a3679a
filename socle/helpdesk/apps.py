from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "socle.helpdesk"
    label = "helpdesk"
    verbose_name = "Assistance informatique"
