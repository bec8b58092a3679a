from django.apps import AppConfig

from socle.core.navigation import NavItem


class DocumentsConfig(AppConfig):
    name = "socle.documents"
    label = "documents"
    verbose_name = "Gestion électronique des documents (GED)"
    navigation = [
        NavItem("Documents", "documents:list", audience="agent", permission="documents.view",
                description="Classer, retrouver et consulter les documents de vos organisations."),
    ]
