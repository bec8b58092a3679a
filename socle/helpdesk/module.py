"""What the IT helpdesk declares to the platform."""

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

from .indicator_names import CATEGORY_INDICATORS

MODULE = Module(
    name="helpdesk",
    label="Assistance informatique",
    description="Tickets des agents des communes auprès de la DCSI, engagements de service, "
                "base de connaissances.",
    roles=(
        role("helpdesk.requester", "Demandeur d'assistance informatique", "core.view_organisation",
             "helpdesk.open", "helpdesk.view"),
        role("helpdesk.technician", "Technicien de la DCSI", "core.view_organisation",
             "helpdesk.open", "helpdesk.view", "helpdesk.handle", "helpdesk.view_internal",
             "helpdesk.manage_kb", "helpdesk.report"),
    ),
    navigation=(
        NavItem("Assistance informatique", "helpdesk:mine", audience="agent",
                permission="helpdesk.view",
                description="Signaler un incident ou faire une demande à la DCSI, suivre ses "
                            "tickets."),
        NavItem("File des tickets", "helpdesk:queue", audience="agent",
                permission="helpdesk.handle",
                description="Prendre en charge et résoudre les tickets de toutes les communes."),
    ),
    urls="socle.helpdesk.urls",
    api="socle.helpdesk.api:router",
    demo="socle.helpdesk.demo:demo_load",
    demo_accounts=(
        DemoAccount("technicien@demo.socle.fr", "Karim", "Benali",
                    grants=(("arc", "helpdesk.technician"),)),
        DemoAccount("agent.margny@demo.socle.fr", "Hugo", "Petit",
                    grants=(("margny-les-compiegne", "helpdesk.requester"),)),
        DemoAccount("agent.venette@demo.socle.fr", "Julien", "Petit",
                    grants=(("venette", "helpdesk.requester"),)),
        DemoAccount("agent.compiegne@demo.socle.fr", "Nadia", "Lefèvre",
                    grants=(("compiegne", "helpdesk.requester"),)),
        DemoAccount("agent.choisy@demo.socle.fr", "Thomas", "Moreau",
                    grants=(("choisy-au-bac", "helpdesk.requester"),)),
        DemoAccount("agent.lacroix@demo.socle.fr", "Claire", "Fontaine",
                    grants=(("lacroix-saint-ouen", "helpdesk.requester"),)),
        DemoAccount("agent.verberie@demo.socle.fr", "Hugo", "Lambert",
                    grants=(("verberie", "helpdesk.requester"),)),
    ),
    jobs=(
        Job("helpdesk.escalate", "socle.helpdesk.jobs:escalate", "every 15m",
            "Signaler les tickets dont un engagement de service est dépassé"),
        Job("helpdesk.close_solved", "socle.helpdesk.jobs:close_solved", "daily 03:00",
            "Clore les tickets résolus sans réponse du demandeur depuis 7 jours"),
        Job("helpdesk.mailbox", "socle.helpdesk.jobs:mailbox", "every 5m",
            "Relever la boîte aux lettres de l'assistance (IMAP)"),
    ),
    journal_actions={
        "helpdesk.ticket_open": "Ticket ouvert",
        "helpdesk.ticket_assign": "Ticket attribué",
        "helpdesk.ticket_status": "Statut d'un ticket changé",
        "helpdesk.ticket_pending": "Ticket en attente du demandeur",
        "helpdesk.ticket_resume": "Ticket repris après attente",
        "helpdesk.ticket_solve": "Ticket résolu",
        "helpdesk.ticket_reopen": "Solution refusée, ticket rouvert",
        "helpdesk.ticket_close": "Ticket clos",
        "helpdesk.ticket_sla": "Engagement de service d'un ticket changé",
        "helpdesk.ticket_levels": "Urgence ou impact d'un ticket changé",
        "helpdesk.observer_add": "Observateur ajouté à un ticket",
        "helpdesk.followup": "Suivi ajouté à un ticket",
        "helpdesk.task": "Tâche ajoutée à un ticket",
        "helpdesk.satisfaction": "Satisfaction donnée sur un ticket",
        "helpdesk.escalate": "Engagement de service dépassé signalé",
        "helpdesk.article_save": "Article de la base de connaissances enregistré",
        "helpdesk.calendar_save": "Calendrier de l'assistance enregistré",
        "helpdesk.sla_save": "Engagement de service enregistré",
        "helpdesk.intake_refuse": "Courriel refusé par l'assistance",
    },
    indicators=(
        Indicator("helpdesk.tickets_opened", "Tickets ouverts", "tickets",
                  "socle.helpdesk.indicators:tickets_opened", "helpdesk.view"),
        Indicator("helpdesk.sla_compliance", "Tickets résolus dans les délais", "%",
                  "socle.helpdesk.indicators:sla_compliance", "helpdesk.report"),
        *(Indicator(name, f"Tickets ouverts : {label}", "tickets",
                    f"socle.helpdesk.indicators:{func}", "helpdesk.view")
          for name, label, func in CATEGORY_INDICATORS),
    ),
    notices={"helpdesk.ticket_assigned": "Ticket attribué à un technicien"},
    object_kinds=("helpdesk.ticket",),
    work_sources=(
        WorkSource("helpdesk.assigned_to_me", "Tickets qui me sont attribués",
                   "socle.helpdesk.work:assigned_to_me"),
        WorkSource("helpdesk.waiting_for_me", "Tickets qui attendent ma réponse",
                   "socle.helpdesk.work:waiting_for_me"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Assistance informatique (tickets)",
            purpose="Traiter les incidents et demandes informatiques des agents des communes "
                    "membres et mesurer le respect des engagements de service.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e) ; service commun "
                        "(CGCT, art. L5211-4-2)",
            data_subjects="Agents et élus des communes membres, techniciens de la DCSI",
            data_categories="Identité, adresse électronique professionnelle, commune, contenu "
                            "des demandes et échanges, temps passé",
            retention="Trois ans après la clôture du ticket",
        ),
    ),
)
