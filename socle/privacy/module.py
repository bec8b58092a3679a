"""What the GDPR register declares to the platform."""

from socle.core.modules import (
    DemoAccount,
    Indicator,
    Job,
    Module,
    ProcessingActivity,
    WorkSource,
)
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="privacy",
    label="Registre RGPD",
    description="Registres des traitements, sous-traitants, demandes d'exercice des droits, "
                "violations de données et analyses d'impact de chaque structure, sous un "
                "délégué à la protection des données mutualisé.",
    requires=("portal",),
    roles=(
        # Granted on the ARC, it covers every commune and service below it.
        role("privacy.dpo", "Délégué à la protection des données (mutualisé)",
             "core.view_organisation", "privacy.view", "privacy.manage", "privacy.templates",
             "privacy.opinion"),
        role("privacy.referent", "Référent RGPD de la structure", "core.view_organisation",
             "privacy.view", "privacy.manage"),
    ),
    navigation=(
        NavItem("Registre RGPD", "privacy:home", audience="agent", permission="privacy.view",
                description="Traitements, sous-traitants, demandes des personnes, violations "
                            "de données et analyses d'impact."),
    ),
    urls="socle.privacy.urls",
    api="socle.privacy.api:router",
    demo="socle.privacy.demo:demo_load",
    demo_accounts=(
        DemoAccount("dpo@demo.socle.fr", "Nadia", "Benali", grants=(("arc", "privacy.dpo"),)),
        DemoAccount("rgpd.margny@demo.socle.fr", "Julien", "Lefèvre",
                    grants=(("margny-les-compiegne", "privacy.referent"),)),
    ),
    jobs=(
        Job("privacy.platform_sync", "socle.privacy.jobs:platform_sync", "daily 02:30",
            "Reporter les traitements déclarés par les modules dans le registre de chaque "
            "structure"),
        Job("privacy.deadlines_alert", "socle.privacy.jobs:deadlines_alert", "every 15m",
            "Alerter le délégué et les référents des violations et demandes proches de leur "
            "échéance"),
    ),
    journal_actions={
        "privacy.alert": "Alerte de délai (violation ou demande)",
        "privacy.activity_archive": "Traitement retiré du registre",
        "privacy.activity_create": "Traitement inscrit au registre",
        "privacy.activity_update": "Traitement du registre modifié",
        "privacy.assessment_create": "Analyse d'impact commencée",
        "privacy.assessment_decide": "Avis du délégué sur une analyse d'impact",
        "privacy.assessment_update": "Analyse d'impact modifiée",
        "privacy.breach_create": "Violation de données enregistrée",
        "privacy.breach_decide": "Décision de notifier une violation",
        "privacy.breach_notify": "Notification d'une violation",
        "privacy.export_download": "Téléchargement de l'export d'une demande d'accès",
        "privacy.export_ready": "Export d'une demande d'accès préparé",
        "privacy.export_request": "Export d'une demande d'accès demandé",
        "privacy.platform_sync": "Traitements de la plateforme reportés au registre",
        "privacy.processor_create": "Sous-traitant inscrit au registre",
        "privacy.request_assign": "Demande d'exercice des droits attribuée",
        "privacy.request_close": "Demande d'exercice des droits close",
        "privacy.request_create": "Demande d'exercice des droits enregistrée",
        "privacy.request_extend": "Délai d'une demande prolongé de deux mois",
        "privacy.request_link": "Demande reliée au compte de la personne",
        "privacy.template_create": "Modèle d'analyse d'impact créé",
    },
    indicators=(
        Indicator("privacy.register_completeness", "Complétude des registres RGPD", "%",
                  "socle.privacy.selectors:indicator_register_completeness", "privacy.view"),
        Indicator("privacy.requests_overdue", "Demandes d'exercice des droits en retard",
                  "demandes", "socle.privacy.selectors:indicator_requests_overdue",
                  "privacy.view"),
    ),
    work_sources=(
        WorkSource("privacy.breaches_to_notify", "Violations de données à notifier",
                   "socle.privacy.selectors:work_breaches_to_notify"),
        WorkSource("privacy.requests_due", "Demandes d'exercice des droits à traiter",
                   "socle.privacy.selectors:work_requests_due"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Registre RGPD et exercice des droits",
            purpose="Tenir le registre des traitements, instruire les demandes d'exercice des "
                    "droits et documenter les violations de données.",
            legal_basis="Obligation légale (RGPD, art. 6-1-c ; art. 30, 33 et 12 à 22)",
            data_subjects="Personnes exerçant leurs droits, agents référents",
            data_categories="Identité, coordonnées, objet de la demande, réponse apportée",
            retention="Demandes : cinq ans après leur clôture ; violations : durée du registre",
        ),
    ),
)
