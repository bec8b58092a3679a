"""What the SAE declares to the platform."""

from socle.core.modules import DemoAccount, Indicator, Job, Module, ProcessingActivity
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="archives",
    label="Archivage électronique (SAE)",
    description="Versements SEDA, conservation sur deux offres, contrôles d'intégrité, communication.",
    requires=("documents",),
    roles=(
        role("archives.archivist", "Archiviste (SAE)", "core.view_organisation", "archives.view",
             "archives.ingest", "archives.eliminate", "archives.audit"),
    ),
    navigation=(
        NavItem("Archives", "archives:packages", audience="agent", permission="archives.view",
                description="Verser, rechercher et communiquer les archives électroniques."),
    ),
    urls="socle.archives.urls",
    api="socle.archives.api:router",
    demo="socle.archives.demo:demo_load",
    demo_accounts=(
        DemoAccount("archiviste@demo.socle.fr", "Paul", "Moreau",
                    grants=(("arc", "archives.archivist"), ("arc", "documents.archivist"))),
    ),
    jobs=(
        Job("archives.verify_sample", "socle.archives.jobs:verify_sample", "daily 02:15",
            "Contrôler l'intégrité d'un échantillon de chaque offre de stockage"),
        Job("archives.recover", "socle.archives.jobs:recover", "every 15m",
            "Reprendre les versements interrompus (journal KO, copies et dépôt nettoyés)"),
        Job("archives.verify_full", "socle.archives.jobs:verify_full", "weekly sun 03:00",
            "Contrôler l'intégrité de toutes les copies de chaque offre"),
    ),
    journal_actions={
        "archives.agency_identifier_add": "Identifiant de service déclaré (SEDA)",
        "archives.agency_identifier_remove": "Identifiant de service retiré (SEDA)",
        "archives.audit_request": "Audit d'intégrité demandé",
        "archives.dip_consult": "Téléchargement d'un paquet de diffusion",
        "archives.eliminate": "Élimination d'archives",
        "archives.export": "Export de réversibilité",
        "archives.ged_transfer_prepare": "Versement depuis la GED préparé",
        "archives.ged_transfer_validate": "Versement depuis la GED validé",
        "archives.hold": "Gel d'archives",
        "archives.release": "Gel d'archives levé",
        "archives.repair": "Copie réparée",
        "archives.rule_create": "Règle de gestion créée",
        "archives.transfer_accept": "Versement accepté",
        "archives.transfer_reject": "Versement refusé",
        "archives.loss": "Perte d'un objet (aucune copie saine)",
        "archives.transfer_interrupted": "Versement interrompu (KO), copies supprimées",
        "archives.verify": "Contrôle d'intégrité",
    },
    indicators=(
        Indicator("archives.volume", "Volume archivé", "octets",
                  "socle.archives.selectors:indicator_archived_bytes", "archives.view"),
        Indicator("archives.packages", "Paquets archivés", "paquets",
                  "socle.archives.selectors:indicator_packages", "archives.view"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Archivage électronique",
            purpose="Conserver les archives publiques à valeur probante et les communiquer.",
            legal_basis="Obligation légale (code du patrimoine, livre II)",
            data_subjects="Personnes citées dans les archives",
            data_categories="Selon les archives versées",
            retention="Selon la règle de sort final ; conservation définitive pour les archives historiques",
        ),
    ),
)
