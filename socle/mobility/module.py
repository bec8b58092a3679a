"""What the mobility module declares to the platform."""

from socle.core.modules import DemoAccount, Indicator, Job, Module, ProcessingActivity
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="mobility",
    label="Mobilité",
    description="Horaires du réseau (GTFS) validés et publiés, arrêts et affichage des prochains départs.",
    roles=(
        role("mobility.agent", "Agent du service transport", "core.view_organisation",
             "mobility.view", "mobility.manage_feeds", "mobility.manage_realtime",
             "mobility.manage_bikes", "mobility.manage_ondemand"),
    ),
    navigation=(
        NavItem("Se déplacer", "mobility:network",
                description="Lignes, arrêts et horaires des bus du territoire."),
        NavItem("Alertes du réseau", "mobility:alerts",
                description="Recevoir par courriel les perturbations de vos lignes et arrêts."),
        NavItem("Transport à la demande AlloTIC", "mobility:allotic",
                description="Réserver un trajet AlloTIC, l'annuler, payer une pénalité."),
        NavItem("Vélos VéloTIC", "mobility:velotic",
                description="Stations de vélos en libre-service et vélos disponibles."),
        NavItem("Horaires du réseau (GTFS)", "mobility:feeds", audience="agent",
                permission="mobility.view",
                description="Importer, contrôler et publier les horaires du réseau de transport."),
        NavItem("Flotte VéloTIC", "mobility:velotic_fleet", audience="agent", permission="mobility.view",
                description="Vélos, incidents signalés et locations."),
        NavItem("AlloTIC (transport à la demande)", "mobility:allotic_service", audience="agent",
                permission="mobility.view",
                description="Courses, réservations, absences et pénalités du transport à la demande."),
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
    demo_settings={"MOBILITY_LOCK_URL": "http://127.0.0.1:8790", "MOBILITY_REALTIME_SIMULATION": True},
    demo_processes=(("mobility", "lock-simulator", "--port", "8790"),),
    journal_actions={
        "mobility.feed_import": "Horaires GTFS importés et contrôlés",
        "mobility.feed_publish": "Horaires GTFS publiés",
        "mobility.trip_realtime": "Retard ou suppression d'un voyage signalé",
        "mobility.disruption_create": "Perturbation annoncée aux voyageurs",
        "mobility.disruption_end": "Perturbation terminée",
        "mobility.station_create": "Station VéloTIC créée",
        "mobility.bike_create": "Vélo mis en service",
        "mobility.subscription_create": "Abonnement VéloTIC ouvert",
        "mobility.subscription_suspend": "Abonnement VéloTIC suspendu",
        "mobility.rental_start": "Location de vélo commencée (cadenas déverrouillé)",
        "mobility.rental_failed": "Location de vélo non ouverte (cadenas injoignable)",
        "mobility.rental_end": "Location de vélo terminée",
        "mobility.bike_incident": "Incident signalé sur un vélo",
        "mobility.incident_resolve": "Incident sur un vélo résolu",
        "mobility.ondemand_zone": "Zone AlloTIC créée ou modifiée",
        "mobility.ondemand_run": "Course AlloTIC ouverte",
        "mobility.booking_create": "Trajet AlloTIC réservé",
        "mobility.booking_cancel": "Réservation AlloTIC annulée",
        "mobility.booking_no_show": "Absence à un trajet AlloTIC constatée (pénalité due)",
        "mobility.penalty_handoff": "Pénalité AlloTIC confiée à la démarche de paiement du portail",
        "mobility.alert_subscribe": "Abonnement aux alertes demandé (en attente de confirmation)",
        "mobility.alert_confirm": "Abonnement aux alertes confirmé",
        "mobility.alert_unsubscribe": "Désabonnement des alertes",
    },
    jobs=(
        Job("mobility.realtime_poll", "socle.mobility.jobs:realtime_poll", "every 1m",
            "Lire le flux temps réel (GTFS-RT) de l'exploitant"),
        Job("mobility.rentals_reconcile", "socle.mobility.jobs:rentals_reconcile", "every 1m",
            "Rapprocher les locations de vélos de l'état des cadenas"),
        Job("mobility.realtime_simulate", "socle.mobility.jobs:realtime_simulate", "every 1m",
            "Simuler les retards de l'exploitant (démonstration)"),
        Job("mobility.alerts_dispatch", "socle.mobility.jobs:alerts_dispatch", "every 5m",
            "Envoyer les alertes en attente aux abonnés, supprimer les abonnements non confirmés"),
    ),
    indicators=(
        Indicator("mobility.bike_rentals", "Locations de vélos VéloTIC", "locations",
                  "socle.mobility.indicators:bike_rentals", "mobility.view"),
        Indicator("mobility.ondemand_seats", "Places réservées sur AlloTIC", "places",
                  "socle.mobility.indicators:ondemand_seats", "mobility.view"),
        Indicator("mobility.ondemand_no_shows", "Absences aux trajets AlloTIC", "absences",
                  "socle.mobility.indicators:ondemand_no_shows", "mobility.view"),
        Indicator("mobility.alert_subscriptions", "Abonnements aux alertes confirmés", "abonnements",
                  "socle.mobility.indicators:alert_subscriptions", "mobility.view"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Transport à la demande AlloTIC",
            purpose="Réserver les trajets à la demande, constater les absences et recouvrer les pénalités.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e) ; organisation de la mobilité "
                        "(code des transports, art. L1231-1)",
            data_subjects="Voyageurs du transport à la demande",
            data_categories="Identité du compte, trajets réservés (arrêts, créneaux), absences, pénalités",
            retention="Trois ans après le trajet",
        ),
        ProcessingActivity(
            name="Alertes aux voyageurs du réseau de transport",
            purpose="Prévenir par courriel les voyageurs abonnés des perturbations des lignes et "
                    "arrêts qu'ils ont choisis.",
            legal_basis="Consentement (RGPD, art. 6-1-a), recueilli par double confirmation",
            data_subjects="Voyageurs abonnés aux alertes",
            data_categories="Adresse électronique, profil déclaré (tout public, élève, actif), "
                            "lignes et arrêts choisis",
            retention="Jusqu'au désabonnement (l'adresse est alors effacée) ; trois jours pour "
                      "une demande non confirmée",
        ),
    ),
)
