"""What cybersecurity awareness declares to the platform."""

from socle.core.modules import (
    DemoAccount,
    Gate,
    Indicator,
    Module,
    ProcessingActivity,
    WorkSource,
)
from socle.core.navigation import NavItem
from socle.core.roles import role

from .gate import PAGE_PREFIX

MODULE = Module(
    name="security",
    label="Sensibilisation à la cybersécurité",
    description="Charte informatique acceptée par chaque agent, modules de sensibilisation, "
                "simulations d'hameçonnage (GoPhish), vulnérabilités des tests d'intrusion.",
    roles=(
        role("security.officer", "RSSI de la DCSI", "core.view_organisation",
             "security.view", "security.manage"),
        role("security.viewer", "Référent sécurité d'une commune", "core.view_organisation",
             "security.view"),
    ),
    navigation=(
        NavItem("Sensibilisation à la cybersécurité", "security:my_modules", audience="agent",
                description="La charte informatique et vos modules de sensibilisation."),
        NavItem("Pilotage de la sécurité", "security:overview", audience="agent",
                permission="security.view",
                description="Acceptation de la charte, avancement des modules, hameçonnage "
                            "simulé, vulnérabilités par commune."),
    ),
    urls="socle.security.urls",
    api="socle.security.api:router",
    demo="socle.security.demo:demo_load",
    demo_accounts=(
        DemoAccount("rssi@demo.socle.fr", "Sophie", "Marchand",
                    grants=(("arc", "security.officer"),)),
        DemoAccount("securite.margny@demo.socle.fr", "Louis", "Garnier",
                    grants=(("margny-les-compiegne", "security.viewer"),)),
        # The one demo agent who has not accepted the charter yet: the sign-in gate shown.
        DemoAccount("nouvel.agent@demo.socle.fr", "Inès", "Roussel",
                    grants=(("venette", "security.viewer"),)),
    ),
    gates=(Gate("security.charter", "socle.security.gate:charter_gate",
                "socle.security.gate:charter_stamp", paths=(PAGE_PREFIX,)),),
    journal_actions={
        "security.charter_publish": "Version de la charte informatique publiée",
        "security.charter_accept": "Charte informatique acceptée",
        "security.module_save": "Module de sensibilisation enregistré",
        "security.assignment_add": "Module de sensibilisation assigné",
        "security.quiz_submit": "Quiz de sensibilisation passé",
        "security.phishing_import": "Résultats d'hameçonnage simulé importés",
        "security.finding_create": "Vulnérabilité enregistrée",
        "security.finding_status": "Statut d'une vulnérabilité changé",
        "security.finding_retest": "Vulnérabilité revérifiée",
    },
    indicators=(
        Indicator("security.charter_acceptance", "Agents ayant accepté la charte en vigueur",
                  "%", "socle.security.indicators:charter_acceptance", "security.view"),
        Indicator("security.module_completion", "Modules de sensibilisation réussis", "%",
                  "socle.security.indicators:module_completion", "security.view"),
        *(Indicator(f"security.open_findings_{level}", f"Vulnérabilités ouvertes : {label}",
                    "vulnérabilités", f"socle.security.indicators:open_findings_{level}",
                    "security.view")
          for level, label in (("critical", "critiques"), ("high", "élevées"),
                               ("medium", "moyennes"), ("low", "faibles"))),
    ),
    work_sources=(
        WorkSource("security.modules_to_do", "Modules de sensibilisation à suivre",
                   "socle.security.work:modules_to_do"),
    ),
    object_kinds=("security.finding",),
    processing_activities=(
        ProcessingActivity(
            name="Charte informatique et sensibilisation à la cybersécurité",
            purpose="Faire accepter la charte informatique par chaque agent et en garder la "
                    "preuve, suivre la sensibilisation des agents (modules, quiz) et les "
                    "résultats des simulations d'hameçonnage pour proposer une formation.",
            legal_basis="Obligation légale de sécurité du traitement (RGPD, art. 32) et "
                        "mission d'intérêt public (RGPD, art. 6-1-e)",
            data_subjects="Agents et élus des communes membres et de l'ARC",
            data_categories="Identité, adresse électronique professionnelle, commune, date "
                            "d'acceptation de la charte, résultats des quiz, réaction à une "
                            "simulation d'hameçonnage (clic, saisie, signalement)",
            retention="Acceptations : durée des fonctions puis cinq ans ; résultats de "
                      "sensibilisation et d'hameçonnage : trois ans",
        ),
    ),
)
