from django.apps import AppConfig

from socle.core.navigation import NavItem


class PortalConfig(AppConfig):
    name = "socle.portal"
    label = "portal"
    verbose_name = "Démarches en ligne (GRU)"
    navigation = [
        NavItem("Démarches en ligne", "portal:catalogue"),
        NavItem("Mes demandes", "portal:my_cases", audience="citizen"),
        NavItem("Dossiers à instruire", "portal:queue", audience="agent",
                permission="portal.view_case",
                description="Traiter les demandes des usagers de vos communes."),
        NavItem("Rédiger les démarches", "portal:editor_list", audience="agent",
                permission="portal.edit_procedure",
                description="Créer, publier et adapter les formulaires en ligne."),
    ]
