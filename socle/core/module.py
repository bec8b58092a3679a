"""What the core declares to the platform: its roles, pages, API, jobs and journal actions."""

from socle.core.modules import DemoAccount, Job, Module, ProcessingActivity
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="core",
    label="Socle commun",
    description="Territoire, comptes, rôles, journal scellé, fichiers et modules des organisations.",
    switchable=False,
    roles=(
        role("core.admin", "Administrateur de la plateforme", "core.view_organisation",
             "core.manage_members", "core.view_audit", "core.view_people", "core.manage_modules"),
        role("core.auditor", "Auditeur du journal", "core.view_organisation", "core.view_audit"),
    ),
    navigation=(
        NavItem("Modules des organisations", "core:modules", audience="agent",
                permission="core.manage_modules",
                description="Choisir les services numériques offerts à chaque commune."),
    ),
    urls="socle.core.urls",
    api="socle.core.api:router",
    demo_accounts=(
        DemoAccount("dcsi@demo.socle.fr", "Sophie", "Durand", grants=(("arc", "core.admin"),)),
    ),
    jobs=(
        Job("core.audit_seal", "socle.core.jobs:audit_seal", "hourly",
            "Sceller le journal (racine de Merkle horodatée RFC 3161)"),
    ),
    journal_actions={
        "auth.login": "Connexion",
        "auth.login_failed": "Échec de connexion",
        "auth.logout": "Déconnexion",
        "auth.method": "Méthode d'authentification",
        "auth.totp_enrolled": "Second facteur activé",
        "auth.totp_reset": "Second facteur réinitialisé",
        "blob.upload": "Dépôt d'un fichier",
        "citizen.create": "Création d'un compte d'usager",
        "citizen.franceconnect_link": "Compte relié à FranceConnect",
        "citizen.update": "Profil d'usager modifié",
        "membership.grant": "Attribution d'un rôle",
        "membership.revoke": "Retrait d'un rôle",
        "module.enable": "Activation d'un module pour une organisation",
        "module.disable": "Désactivation d'un module pour une organisation",
        "territory.load": "Chargement du territoire",
        "token.create": "Création d'un jeton d'API",
        "token.revoke": "Révocation d'un jeton d'API",
        "user.create": "Création d'un compte",
        "user.email_confirmed": "Adresse électronique confirmée",
    },
    processing_activities=(
        ProcessingActivity(
            name="Comptes et authentification",
            purpose="Identifier les usagers et les agents, sécuriser l'accès aux services en ligne.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e)",
            data_subjects="Usagers, agents, élus",
            data_categories="Identité, adresse électronique, commune de résidence, journal des connexions",
            retention="Durée du compte ; journal : un an après l'événement",
        ),
    ),
)
