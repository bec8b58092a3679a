from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "socle.mail"
    label = "mail"
    verbose_name = "Courrier"
