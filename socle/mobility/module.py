"""What the mobility module declares to the platform."""

from socle.core.modules import DemoAccount, Job, Module
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="mobility",
    label="Mobilité",
    description="Horaires du réseau (GTFS) validés et publiés, arrêts et affichage des prochains départs.",
    roles=(
        role("mobility.agent", "Agent du service transport", "core.view_organisation",
             "mobility.view", "mobility.manage_feeds", "mobility.manage_realtime"),
    ),
    navigation=(
        NavItem("Se déplacer", "mobility:network"),
        NavItem("Horaires du réseau (GTFS)", "mobility:feeds", audience="agent",
                permission="mobility.view",
                description="Importer, contrôler et publier les horaires du réseau de transport."),
        NavItem("Information en temps réel", "mobility:realtime", audience="agent",
                permission="mobility.view",
                description="Retards, suppressions et perturbations affichés aux arrêts "
                            "et publiés en GTFS-RT."),
    ),
    urls="socle.mobility.urls",
    api="socle.mobility.api:router",
    demo="socle.mobility.demo:demo_load",
    demo_accounts=(
        DemoAccount("transport@demo.socle.fr", "Karim", "Benali", grants=(("arc", "mobility.agent"),)),
    ),
    journal_actions={
        "mobility.feed_import": "Horaires GTFS importés et contrôlés",
        "mobility.feed_publish": "Horaires GTFS publiés",
        "mobility.trip_realtime": "Retard ou suppression d'un voyage signalé",
        "mobility.disruption_create": "Perturbation annoncée aux voyageurs",
        "mobility.disruption_end": "Perturbation terminée",
    },
    jobs=(
        Job("mobility.realtime_poll", "socle.mobility.jobs:realtime_poll", "every 1m",
            "Lire le flux temps réel (GTFS-RT) de l'exploitant"),
        Job("mobility.realtime_simulate", "socle.mobility.jobs:realtime_simulate", "every 1m",
            "Simuler les retards de l'exploitant (démonstration)"),
    ),
)
