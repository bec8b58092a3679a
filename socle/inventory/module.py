"""What the inventory declares to the platform."""

from socle.core.modules import (
    DemoAccount,
    Indicator,
    Job,
    Module,
    Panel,
    ProcessingActivity,
)
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="inventory",
    label="Inventaire et licences",
    description="Parc informatique des communes (sites, matériels, cycle de vie), logiciels et "
                "licences, équipement des écoles, prêts aux télétravailleurs, bornes wifi.",
    roles=(
        role("inventory.viewer", "Lecteur de l'inventaire de sa commune", "core.view_organisation",
             "inventory.view", "inventory.request", "inventory.view_schools"),
        role("inventory.manager", "Gestionnaire du parc (DCSI)", "core.view_organisation",
             "inventory.view", "inventory.request", "inventory.view_schools", "inventory.manage"),
        role("inventory.inspector", "Inspecteur de l'Éducation nationale",
             "core.view_organisation", "inventory.view_schools", "inventory.opine"),
    ),
    navigation=(
        NavItem("Inventaire du parc", "inventory:assets", audience="agent",
                permission="inventory.view",
                description="Matériels, logiciels et licences des communes, par site."),
        NavItem("Équipement des écoles", "inventory:requests", audience="agent",
                permission="inventory.view_schools",
                description="Demandes d'équipement des écoles et avis de l'inspection."),
        NavItem("Bornes wifi", "inventory:hotspots_public",
                description="La carte des bornes wifi publiques du territoire."),
    ),
    urls="socle.inventory.urls",
    api="socle.inventory.api:router",
    demo="socle.inventory.demo:demo_load",
    demo_accounts=(
        DemoAccount("parc@demo.socle.fr", "Sophie", "Marchand",
                    grants=(("arc", "inventory.manager"),)),
        DemoAccount("parc.margny@demo.socle.fr", "Lucas", "Girard",
                    grants=(("margny-les-compiegne", "inventory.viewer"),)),
        DemoAccount("inspection@demo.socle.fr", "Anne", "Roussel",
                    grants=(("arc", "inventory.inspector"),)),
        DemoAccount("teletravail@demo.socle.fr", "Inès", "Garnier",
                    grants=(("compiegne", "inventory.viewer"),)),
    ),
    jobs=(
        Job("inventory.licences_expiring", "socle.inventory.jobs:licences_expiring",
            "daily 06:30", "Avertir la DCSI des licences qui arrivent à échéance"),
    ),
    journal_actions={
        "inventory.site_save": "Site enregistré",
        "inventory.asset_create": "Matériel ajouté à l'inventaire",
        "inventory.asset_update": "Matériel modifié",
        "inventory.asset_status": "Cycle de vie d'un matériel",
        "inventory.asset_ticket": "Ticket d'assistance relié à un matériel",
        "inventory.import": "Inventaire importé",
        "inventory.software_save": "Logiciel du catalogue enregistré",
        "inventory.licence_save": "Licence enregistrée",
        "inventory.licence_assign": "Poste de licence attribué",
        "inventory.licence_release": "Poste de licence libéré",
        "inventory.licence_alert": "Échéance de licence signalée",
        "inventory.request_submit": "Demande d'équipement d'une école",
        "inventory.request_opinion": "Avis de l'inspection sur une demande d'équipement",
        "inventory.request_order": "Demande d'équipement commandée",
        "inventory.training_need": "Besoin de formation des enseignants",
        "inventory.loan_start": "Matériel prêté à un télétravailleur",
        "inventory.loan_return": "Matériel prêté rendu",
        "inventory.hotspot_save": "Borne wifi enregistrée",
    },
    indicators=(
        Indicator("inventory.ageing_assets", "Matériels en service de plus de cinq ans",
                  "matériels", "socle.inventory.indicators:ageing_assets", "inventory.view"),
        Indicator("inventory.licences_expiring", "Licences arrivant à échéance", "licences",
                  "socle.inventory.indicators:licences_expiring", "inventory.view"),
    ),
    panels=(
        Panel("helpdesk.ticket", "Matériels concernés", "socle.inventory.panels:assets_on_ticket"),
    ),
    notices={"inventory.licence_expiring": "Licence arrivant à échéance"},
    object_kinds=("inventory.asset", "inventory.licence"),
    processing_activities=(
        ProcessingActivity(
            name="Inventaire du parc informatique et prêts de matériel",
            purpose="Gérer le matériel et les licences des communes membres, savoir à qui un "
                    "matériel est affecté ou prêté (télétravail) et recueillir les besoins de "
                    "formation des enseignants.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e) ; service commun "
                        "(CGCT, art. L5211-4-2)",
            data_subjects="Agents des communes et de l'agglomération, enseignants (en nombre, "
                          "sans identité), inspecteurs de l'Éducation nationale",
            data_categories="Nom de la personne à qui un matériel ou une licence est affecté, "
                            "identité et dates des prêts, avis de l'inspection",
            retention="Durée de vie du matériel, puis un an après sa réforme ; convention de "
                      "prêt : trois ans après le retour",
        ),
    ),
)
