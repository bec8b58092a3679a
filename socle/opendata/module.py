"""What the open-data module declares to the platform."""

from socle.core.modules import DemoAccount, Indicator, Job, Module
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="opendata",
    label="Données ouvertes",
    description="Catalogue des données, fichiers générés et validés contre les schémas officiels "
    "(SCDL), publication (DCAT-AP) et obligations légales de chaque commune.",
    requires=("portal",),
    roles=(
        role(
            "opendata.steward",
            "Administrateur des données",
            "core.view_organisation",
            "opendata.view",
            "opendata.manage",
        ),
        role(
            "opendata.reader", "Lecteur des données (élus, agents)", "core.view_organisation", "opendata.view"
        ),
    ),
    navigation=(
        NavItem(
            "Données ouvertes",
            "opendata:portal",
            description="Les jeux de données publiés par l'agglomération et ses communes.",
        ),
        NavItem(
            "Catalogue des données",
            "opendata:agent_catalogue",
            audience="agent",
            permission="opendata.view",
            description="Jeux de données, validation des fichiers et publication.",
        ),
        NavItem(
            "Obligations d'ouverture des données",
            "opendata:cockpit",
            audience="agent",
            permission="opendata.view",
            description="Ce que chaque commune doit publier, et où elle en est.",
        ),
        NavItem(
            "Tableau de bord",
            "opendata:dashboard",
            audience="agent",
            permission="core.view_organisation",
            description="Les indicateurs des applications, par mois et par commune.",
        ),
        NavItem(
            "Tableau de bord public",
            "opendata:open_indicators",
            audience="agent",
            permission="opendata.manage",
            description="Choisir les indicateurs que votre organisation publie et leur regroupement.",
        ),
    ),
    urls="socle.opendata.urls",
    api="socle.opendata.api:router",
    demo="socle.opendata.demo:demo_load",
    demo_accounts=(
        DemoAccount("donnees@demo.socle.fr", "Inès", "Garnier", grants=(("arc", "opendata.steward"),)),
        # The DCSI sees the obligations cockpit of all 22 communes.
        DemoAccount("dcsi@demo.socle.fr", "Sophie", "Durand", grants=(("arc", "opendata.steward"),)),
        DemoAccount(
            "donnees.compiegne@demo.socle.fr",
            "Thomas",
            "Lemaire",
            grants=(("compiegne", "opendata.steward"), ("compiegne", "portal.caseworker")),
        ),
        DemoAccount(
            "elu.compiegne@demo.socle.fr", "Claire", "Dubois", grants=(("compiegne", "opendata.reader"),)
        ),
    ),
    jobs=(
        Job(
            "opendata.generate",
            "socle.opendata.jobs:generate",
            "daily 04:30",
            "Régénérer, valider et publier les fichiers de données ouvertes",
        ),
        Job(
            "opendata.udata_sync",
            "socle.opendata.jobs:udata_sync",
            "daily 05:00",
            "Envoyer les jeux de données ouverts à data.gouv.fr (si le connecteur est activé)",
        ),
    ),
    journal_actions={
        "opendata.dataset_create": "Jeu de données créé",
        "opendata.dataset_update": "Jeu de données modifié",
        "opendata.distribution_create": "Fichier ajouté à un jeu de données",
        "opendata.validation": "Fichier de données contrôlé contre son schéma",
        "opendata.publish": "Fichier de données publié",
        "opendata.publish_refused": "Publication refusée : le fichier a des erreurs",
        "opendata.generate": "Fichier de données généré depuis les applications",
        "opendata.udata_sync": "Jeu de données envoyé à data.gouv.fr (udata)",
        "opendata.indicator_open": "Indicateur ouvert sur le tableau de bord public",
        "opendata.indicator_close": "Indicateur retiré du tableau de bord public",
    },
    indicators=(
        Indicator(
            "opendata.obligations_met",
            "Obligations d'ouverture remplies",
            "obligations",
            "socle.opendata.selectors:indicator_obligations_met",
            "opendata.view",
            access="open",
        ),
        Indicator(
            "opendata.datasets_published",
            "Jeux de données ouverts publiés",
            "jeux de données",
            "socle.opendata.selectors:indicator_datasets_published",
            "opendata.view",
            access="open",
        ),
        Indicator(
            "opendata.grants_awarded",
            "Subventions accordées (démarches en ligne)",
            "subventions",
            "socle.opendata.selectors:indicator_grants_awarded",
            "portal.view_case",
            access="open",
        ),
    ),
)
