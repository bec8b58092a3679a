"""What the agendas module declares to the platform."""

from socle.core.modules import DemoAccount, Indicator, Job, Module, Panel, ProcessingActivity
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="agendas",
    label="Agendas et réservations",
    description="Salles, guichets, postes de coworking et machines à réserver ; rendez-vous, "
    "ateliers avec liste d'attente et Cyber-base itinérante ; médiation numérique.",
    roles=(
        role(
            "agendas.manager",
            "Gestionnaire des agendas",
            "core.view_organisation",
            "agendas.view",
            "agendas.manage",
            "agendas.book",
            "agendas.attendance",
            "agendas.records",
        ),
        role(
            "agendas.mediator",
            "Médiateur numérique",
            "agendas.view",
            "agendas.book",
            "agendas.attendance",
            "agendas.records",
        ),
        role("agendas.booker", "Agent qui réserve les salles", "agendas.book"),
    ),
    navigation=(
        NavItem(
            "Prendre rendez-vous",
            "agendas:list",
            description="Rendez-vous en mairie, salles et ateliers du territoire.",
        ),
        NavItem(
            "Ateliers numériques",
            "agendas:events",
            description="Ateliers de la Cyber-base itinérante et des espaces numériques.",
        ),
        NavItem(
            "Mes réservations",
            "agendas:my_bookings",
            audience="citizen",
            description="Vos rendez-vous et inscriptions, à annuler ou ajouter à votre agenda.",
        ),
        NavItem(
            "Agendas et salles",
            "agendas:manage",
            audience="agent",
            permission="agendas.view",
            description="Ressources, agendas, réservations et salles prêtées.",
        ),
        NavItem(
            "Présences aux ateliers",
            "agendas:mediation",
            audience="agent",
            permission="agendas.attendance",
            description="Prendre les présences, comptes rendus d'activité et exports.",
        ),
    ),
    # The demo books for the portal's demo residents, and appointments tie to portal cases;
    # listed after the portal, its citizen page never takes the place of « Mes demandes ».
    requires=("portal",),
    # The demo's coworking and fab lab are paid through the test bank (decision 0021).
    demo_settings={"AGENDAS_PAYMENT_BACKEND": "socle.agendas.payment_backend:TestPayments"},
    urls="socle.agendas.urls",
    api="socle.agendas.api:router",
    demo="socle.agendas.demo:demo_load",
    demo_accounts=(
        DemoAccount("agendas@demo.socle.fr", "Sophie", "Lambert", grants=(("arc", "agendas.manager"),)),
        DemoAccount("mediateur@demo.socle.fr", "Yanis", "Morel", grants=(("arc", "agendas.mediator"),)),
        DemoAccount("entreprise@demo.socle.fr", "Inès", "Garnier"),  # manages a company account
        DemoAccount("associe@demo.socle.fr", "Théo", "Marchand"),  # a member of that company
        DemoAccount(
            "accueil.margny@demo.socle.fr",
            "Claire",
            "Fontaine",
            grants=(("margny-les-compiegne", "agendas.manager"),),
        ),
    ),
    journal_actions={
        "agendas.resource_create": "Ressource à réserver créée",
        "agendas.agenda_create": "Agenda créé",
        "agendas.opening_hours_set": "Heures d'ouverture d'un agenda modifiées",
        "agendas.closure_add": "Fermeture exceptionnelle ajoutée",
        "agendas.closures_import": "Fermetures importées (iCalendar)",
        "agendas.meeting_type_create": "Type de rendez-vous créé",
        "agendas.event_create": "Séance d'atelier programmée",
        "agendas.booking_create": "Rendez-vous ou salle réservé",
        "agendas.registration_create": "Inscription à une séance (ou à sa liste d'attente)",
        "agendas.booking_cancel": "Réservation ou inscription annulée",
        "agendas.booking_move": "Rendez-vous déplacé à un autre créneau",
        "agendas.company_create": "Compte d'entreprise ouvert",
        "agendas.company_member_add": "Membre ajouté au compte d'une entreprise",
        "agendas.company_member_remove": "Membre retiré du compte d'une entreprise",
        "agendas.payment_start": "Paiement d'une réservation demandé",
        "agendas.payment_settle": "Réservation payée et confirmée",
        "agendas.payment_refused": "Paiement d'une réservation refusé",
        "agendas.payment_late": "Paiement reçu après le délai (à rembourser)",
        "agendas.payment_expire": "Réservation non payée à temps, créneau libéré",
        "agendas.waiting_promote": "Place libérée donnée au premier de la liste d'attente",
        "agendas.attendance_record": "Présences prises et compte rendu d'activité écrit",
        "agendas.activity_record_create": "Accompagnement individuel enregistré",
        "agendas.place_create": "Lieu de médiation numérique ajouté",
    },
    jobs=(
        Job(
            "agendas.reminders",
            "socle.agendas.jobs:reminders",
            "hourly",
            "Rappeler par courriel les rendez-vous des prochaines 24 heures",
        ),
        Job(
            "agendas.unpaid",
            "socle.agendas.jobs:unpaid",
            "every 5m",
            "Libérer les créneaux payants non payés dans le délai",
        ),
        Job(
            "agendas.closed_cases",
            "socle.agendas.jobs:closed_cases",
            "every 15m",
            "Annuler les rendez-vous à venir des dossiers du portail clos",
        ),
    ),
    indicators=(
        Indicator(
            "agendas.bookings",
            "Rendez-vous et inscriptions confirmés",
            "réservations",
            "socle.agendas.indicators:bookings_made",
            "agendas.view",
        ),
        Indicator(
            "agendas.mediation_participants",
            "Personnes accompagnées en médiation numérique",
            "personnes",
            "socle.agendas.indicators:mediation_participants",
            "agendas.records",
        ),
    ),
    panels=(Panel("portal.case", "Rendez-vous lié au dossier", "socle.agendas.panels:appointment_on_case"),),
    processing_activities=(
        ProcessingActivity(
            name="Rendez-vous, réservations et inscriptions aux ateliers",
            purpose="Donner rendez-vous, réserver des salles et équipements, gérer les listes "
            "d'attente des ateliers et prévenir les personnes.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e)",
            data_subjects="Usagers, agents, participants aux ateliers",
            data_categories="Identité, adresse électronique, téléphone, âge déclaré, accord parental",
            retention="Un an après la date du rendez-vous ou de la séance",
        ),
        ProcessingActivity(
            name="Comptes rendus d'activité de médiation numérique",
            purpose="Mesurer l'activité des médiateurs (modèle de La Coop de la médiation numérique).",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e)",
            data_subjects="Personnes accompagnées (profils anonymes)",
            data_categories="Tranche d'âge, statut, commune de résidence ; aucun nom",
            retention="Cinq ans (statistiques)",
        ),
    ),
)
