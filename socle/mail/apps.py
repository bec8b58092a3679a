from django.apps import AppConfig

from socle.core.navigation import NavItem


class MailConfig(AppConfig):
    name = "socle.mail"
    label = "mail"
    verbose_name = "Courrier"
    navigation = [
        NavItem("Courrier", "mail:register", audience="agent", permission="mail.view",
                description="Enregistrer, attribuer et suivre le courrier arrivé et départ."),
    ]
