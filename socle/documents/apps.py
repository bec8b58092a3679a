from django.apps import AppConfig

from socle.core.navigation import NavItem


class DocumentsConfig(AppConfig):
    name = "socle.documents"
    label = "documents"
    verbose_name = "Gestion électronique des documents (GED)"
    navigation = [
        NavItem("Documents", "documents:list", audience="agent", permission="documents.view",
                description="Classer, retrouver et consulter les documents de vos organisations."),
        NavItem("Mes visas à donner", "documents:visas", audience="agent",
                permission="documents.view",
                description="Les visas et signatures des circuits de validation qui vous attendent."),
        NavItem("Plans de classement", "documents:plans", audience="agent",
                permission="documents.view",
                description="Les plans et leurs versions : préparer, publier, migrer les documents."),
        NavItem("Sort final des documents", "documents:sort_final_index", audience="agent",
                permission="documents.edit",
                description="Documents à verser aux archives ou à détruire, gels juridiques."),
    ]
