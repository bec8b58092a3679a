"""What the mail register declares to the platform."""

from socle.core.modules import DemoAccount, Indicator, Job, Module, Panel, ProcessingActivity, WorkSource
from socle.core.navigation import NavItem
from socle.core.roles import role

MODULE = Module(
    name="mail",
    label="Courrier",
    description="Registre du courrier arrivé et départ, attribution, instructions et réponses.",
    requires=("portal", "documents"),
    roles=(
        role("mail.clerk", "Agent du courrier", "core.view_organisation", "mail.view", "mail.edit"),
    ),
    navigation=(
        NavItem("Courrier", "mail:register", audience="agent", permission="mail.view",
                description="Enregistrer, attribuer et suivre le courrier arrivé et départ."),
    ),
    urls="socle.mail.urls",
    api="socle.mail.api:router",
    demo="socle.mail.demo:demo_load",
    demo_accounts=(
        DemoAccount("courrier@demo.socle.fr", "Chantal", "Girard",
                    grants=(("compiegne", "mail.clerk"),)),
    ),
    jobs=(
        Job("mail.escalate", "socle.mail.jobs:escalate", "daily 06:00",
            "Signaler les courriers en retard à leurs responsables"),
    ),
    journal_actions={
        "mail.annotation": "Annotation d'un courrier",
        "mail.assign": "Courrier attribué",
        "mail.case_create": "Dossier créé depuis un courrier",
        "mail.close": "Courrier clos",
        "mail.contact_create": "Correspondant créé",
        "mail.escalate": "Courrier en retard signalé",
        "mail.instruction": "Instruction sur un courrier",
        "mail.piece_add": "Pièce ajoutée à un courrier",
        "mail.piece_consult": "Téléchargement d'une pièce de courrier",
        "mail.register": "Courrier enregistré",
        "mail.reply": "Réponse à un courrier",
        "mail.type_create": "Type de courrier créé",
    },
    indicators=(
        Indicator("mail.registered", "Courriers enregistrés", "courriers",
                  "socle.mail.selectors:indicator_mail_registered", "mail.view"),
        Indicator("mail.overdue", "Courriers en retard", "courriers",
                  "socle.mail.selectors:indicator_mail_overdue", "mail.view"),
    ),
    work_sources=(
        WorkSource("mail.letters_assigned", "Courriers à traiter", "socle.mail.selectors:work_letters"),
    ),
    notices={"mail.letter_assigned": "Courrier attribué à un agent"},
    panels=(
        Panel("portal.case", "Courrier lié au dossier", "socle.mail.panels:letter_on_case"),
    ),
    processing_activities=(
        ProcessingActivity(
            name="Registre du courrier",
            purpose="Enregistrer, attribuer et suivre le courrier reçu et envoyé par les services.",
            legal_basis="Mission d'intérêt public (RGPD, art. 6-1-e)",
            data_subjects="Expéditeurs et destinataires des courriers",
            data_categories="Identité, coordonnées, objet et contenu des courriers",
            retention="Registre : durée d'utilité administrative du courrier",
        ),
    ),
)
