"""What the training service declares to the platform."""

from socle.core.modules import (
    DemoAccount,
    Indicator,
    Module,
    ProcessingActivity,
    WorkSource,
)
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="training",
    label="Formation et conduite du changement",
    description="Catalogue des formations, sessions, inscriptions validées par le responsable, "
                "présences, attestations, plan annuel et recensement des besoins.",
    roles=(
        role("training.admin", "Responsable du service de formation (DCSI)",
             "core.view_organisation", "training.manage", "training.approve",
             "training.attendance", "training.report", "training.enrol"),
        role("training.manager", "Responsable hiérarchique (avis sur les formations)",
             "core.view_organisation", "training.approve", "training.report", "training.enrol"),
        role("training.trainer", "Formateur", "core.view_organisation", "training.attendance"),
    ),
    navigation=(
        NavItem("Formations", "training:catalogue", audience="agent",
                permission="core.view_organisation",
                description="Catalogue des formations de la DCSI, du CNFPT et des élus ; "
                            "s'inscrire, suivre ses formations et ses attestations."),
        NavItem("Inscriptions à valider", "training:approvals", audience="agent",
                permission="training.approve",
                description="Donner son avis sur les demandes de formation de ses agents."),
    ),
    urls="socle.training.urls",
    api="socle.training.api:router",
    demo="socle.training.demo:demo_load",
    requires=("helpdesk",),
    demo_accounts=(
        DemoAccount("formation@demo.socle.fr", "Élise", "Marchand",
                    grants=(("arc", "training.admin"),)),
        DemoAccount("formateur@demo.socle.fr", "Paul", "Girard",
                    grants=(("arc", "training.trainer"),)),
        DemoAccount("responsable.margny@demo.socle.fr", "Anne", "Roussel",
                    grants=(("margny-les-compiegne", "training.manager"),)),
        DemoAccount("responsable.compiegne@demo.socle.fr", "Marc", "Dubois",
                    grants=(("compiegne", "training.manager"),)),
    ),
    journal_actions={
        "training.course_save": "Formation du catalogue enregistrée",
        "training.plan_save": "Plan de formation enregistré",
        "training.session_create": "Session de formation programmée",
        "training.session_cancel": "Session de formation annulée",
        "training.registration_create": "Inscription à une formation demandée",
        "training.registration_decide": "Avis du responsable sur une inscription",
        "training.registration_cancel": "Inscription à une formation annulée",
        "training.registration_promote": "Inscription passée de la liste d'attente aux inscrits",
        "training.attendance": "Présences d'une session relevées",
        "training.need_declare": "Besoin de formation déclaré",
        "training.awareness_enrol": "Agent inscrit à une sensibilisation à la cybersécurité",
    },
    indicators=(
        Indicator("training.hours", "Heures de formation suivies", "heures",
                  "socle.training.indicators:training_hours", "training.report"),
        Indicator("training.attendance_rate", "Taux de présence aux formations", "%",
                  "socle.training.indicators:attendance_rate", "training.report"),
    ),
    notices={
        "training.registration_pending": "Demande de formation à valider",
        "training.registration_decided": "Avis rendu sur une demande de formation",
        "training.registration_promoted": "Place libérée dans une session de formation",
    },
    object_kinds=("training.registration", "training.session"),
    work_sources=(
        WorkSource("training.to_approve", "Demandes de formation à valider",
                   "socle.training.work:to_approve"),
        WorkSource("training.attendance_due", "Présences à relever",
                   "socle.training.work:attendance_due"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Formation des agents et des élus",
            purpose="Organiser les formations des agents et des élus des communes membres : "
                    "inscriptions, avis du responsable, présences, attestations, plan annuel "
                    "et recensement des besoins.",
            legal_basis="Obligation légale (RGPD, art. 6-1-c) : droit à la formation des "
                        "agents territoriaux (CGFP, art. L422-21 et suivants) et des élus "
                        "(CGCT, art. L2123-12 et L2123-12-1) ; service commun (CGCT, "
                        "art. L5211-4-2)",
            data_subjects="Agents et élus des communes membres, responsables, formateurs",
            data_categories="Identité, adresse électronique professionnelle, commune, "
                            "formations demandées et suivies, avis du responsable et motif, "
                            "présences, heures de formation",
            retention="Six ans après la fin de la session (preuve des heures de formation), "
                      "puis suppression",
        ),
    ),
)
