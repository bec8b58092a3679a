"""The telework loan agreement, a one-page PDF made with the project's letters (ReportLab)."""

from __future__ import annotations

from socle.core.letters import Letter, authority_of, contact_lines, french_date, letter_render

from .models import Loan

CLAUSES = (
    "Le matériel ci-dessus est prêté à l'agent pour l'exercice de ses missions en télétravail. "
    "Il reste la propriété de la collectivité et ne sert qu'à un usage professionnel.",
    "L'agent en prend soin, ne le confie à personne, n'y installe aucun logiciel sans l'accord "
    "de la DCSI et signale sans délai toute perte, tout vol ou toute panne à l'assistance "
    "informatique.",
    "Le jeton VPN et les codes d'accès sont personnels. Ils ne se prêtent ni ne se notent à "
    "côté du matériel.",
    "Le matériel est rendu, avec ses accessoires, à la date prévue, à la fin du télétravail "
    "ou à la demande de la collectivité. Son état au retour est constaté par la DCSI.",
)


def loan_agreement_pdf(loan: Loan) -> bytes:
    """Render the loan agreement of a telework loan as a PDF."""
    asset, organisation = loan.asset, loan.organisation
    issuer, signature = authority_of(organisation)
    facts = [
        ("Agent", loan.borrower.display_name),
        ("Matériel", f"{asset.get_kind_display()} — {asset.name}"),
        ("Numéro d'inventaire", asset.inventory_number),
        ("Numéro de série", asset.serial_number or "—"),
        ("Début du prêt", f"{loan.started_on:%d/%m/%Y}"),
        ("Retour prévu", f"{loan.due_on:%d/%m/%Y}" if loan.due_on else "Fin du télétravail"),
    ]
    if loan.returned_on:
        facts.append(("Rendu le", f"{loan.returned_on:%d/%m/%Y}"
                      + (f" ({loan.return_condition})" if loan.return_condition else "")))
    return letter_render(Letter(
        issuer=issuer, issuer_lines=contact_lines(organisation),
        title="Convention de prêt de matériel pour le télétravail",
        reference=f"PRET-{loan.started_on:%Y}-{loan.pk:05d}",
        place_date=f"Le {french_date(loan.started_on)}",
        facts=facts, paragraphs=[*CLAUSES, "Lu et approuvé, l'agent :"],
        signature=signature, signatory="La Direction commune des systèmes d'information",
    ))
