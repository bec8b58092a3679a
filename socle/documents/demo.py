"""The GED's demo data: the ARC's reference plan, communes' adoptions, a few documents.

Retention rules follow common French archival practice for local authorities
("pratique courante", as found in the usual retention tables of the Archives de
France for communes and intercommunalities); no legal reference is claimed here,
and each organisation's archivist adjusts them.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from django.db import transaction

from socle.core.models import Organisation

from .models import Document, FilePlan
from .services import document_create, node_create, plan_adopt, plan_create, version_text_extract

REFERENCE_CODE = "arc-reference"

DELIBERATION = [{"code": "deliberation", "label": "Délibération", "fields": [
    {"name": "numero", "label": "Numéro de délibération", "type": "text", "required": True},
    {"name": "seance", "label": "Date de la séance", "type": "date", "required": False}]}]

# (code, parent, title, period, unit, start event, final action, access, naming rule, types)
NODES: list[tuple[Any, ...]] = [
    ("FIN", None, "Finances", None, "year", "closing", "sort", "internal", "", []),
    # Pratique courante : documents budgétaires conservés définitivement après leur DUA.
    ("FIN-01", "FIN", "Budget (budget primitif, décisions modificatives, compte administratif)",
     10, "year", "document_date", "keep", "internal", "{date:%Y%m%d}_{type}_{title}",
     [{"code": "budget", "label": "Document budgétaire", "fields": [
         {"name": "exercice", "label": "Exercice", "type": "number", "required": True}]}]),
    # Pratique courante : pièces justificatives comptables, 10 ans après la clôture de l'exercice.
    ("FIN-02", "FIN", "Mandats, titres de recettes et pièces justificatives", 10, "year", "closing",
     "destroy", "internal", "{date:%Y%m%d}_{title}", []),
    ("FIN-03", "FIN", "Délibérations financières", 10, "year", "document_date", "keep", "internal",
     "{date:%Y%m%d}_{type}_{meta.numero}_{title}", DELIBERATION),
    ("MP", None, "Marchés publics", None, "year", "closing", "sort", "internal", "", []),
    # Pratique courante : pièces du marché attribué, 10 ans à compter de la fin du marché, puis tri.
    ("MP-01", "MP", "Pièces de marché (marché attribué)", 10, "year", "closing", "sort", "internal",
     "{date:%Y%m%d}_{meta.numero_marche}_{title}",
     [{"code": "piece_marche", "label": "Pièce de marché", "fields": [
         {"name": "numero_marche", "label": "Numéro du marché", "type": "text", "required": True},
         {"name": "titulaire", "label": "Titulaire", "type": "text", "required": False},
         {"name": "procedure", "label": "Procédure", "type": "choice", "required": False,
          "choices": ["MAPA", "appel d'offres", "marché négocié"]}]}]),
    # Pratique courante : candidatures et offres non retenues, 5 ans puis destruction.
    ("MP-02", "MP", "Candidatures et offres non retenues", 5, "year", "document_date", "destroy",
     "internal", "{date:%Y%m%d}_{title}", []),
    ("PAT", None, "Patrimoine", None, "year", "closing", "sort", "internal", "", []),
    # Pratique courante : actes de propriété conservés définitivement.
    ("PAT-01", "PAT", "Acquisitions et cessions immobilières (actes)", 30, "year", "document_date",
     "keep", "internal", "{date:%Y%m%d}_{title}", []),
    ("PAT-02", "PAT", "Entretien et travaux des bâtiments", 10, "year", "closing", "sort", "internal",
     "{date:%Y%m%d}_{title}", []),
    ("RH", None, "Ressources humaines", None, "year", "closing", "sort", "internal", "", []),
    # Pratique courante : dossier individuel conservé longtemps après le départ de l'agent
    # (souvent jusqu'à ses 80 ans) ; approché ici par 50 ans après la clôture, puis tri.
    ("RH-01", "RH", "Dossiers individuels des agents", 50, "year", "closing", "sort",
     "restricted:documents.archivist", "{title}", []),
    # Pratique courante : doubles des bulletins de paie, 5 ans puis destruction.
    ("RH-02", "RH", "Bulletins de paie (doubles)", 5, "year", "document_date", "destroy",
     "restricted:documents.archivist", "{date:%Y%m}_{title}", []),
    ("ADM", None, "Administration générale", None, "year", "closing", "sort", "internal", "", []),
    ("ADM-COUR", "ADM", "Courrier (pièces numérisées)", 5, "year", "document_date", "sort", "internal",
     "{date:%Y%m%d}_courrier_{title}", []),
]

DEMO_DOCUMENTS = [
    ("compiegne", "FIN-03", "Délibération budget primitif 2025", "deliberation",
     {"numero": "2025-014", "seance": "2025-03-27"}, date(2025, 3, 27),
     "Le conseil municipal, après en avoir délibéré, adopte le budget primitif de l'exercice 2025. "
     "Les délibérations budgétaires sont transmises au contrôle de légalité."),
    ("compiegne", "MP-01", "Acte d'engagement entretien des espaces verts", "piece_marche",
     {"numero_marche": "2024-MP-007", "titulaire": "Jardins de l'Oise", "procedure": "MAPA"},
     date(2024, 6, 3),
     "Marché public de services : entretien des espaces verts communaux. Durée du marché : trois ans. "
     "Le titulaire s'engage à respecter le cahier des clauses techniques particulières."),
    ("margny-les-compiegne", "PAT-02", "Rapport de vérification des installations électriques", "",
     {}, date(2025, 1, 15),
     "Vérification périodique des installations électriques de l'école maternelle. "
     "Aucune non-conformité majeure relevée ; remplacement d'un disjoncteur différentiel recommandé."),
]


def demo_load() -> list[str]:
    """Load the reference plan, the communes' adoptions and a few documents; idempotent."""
    arc = Organisation.objects.filter(slug="arc").first()
    if arc is None:
        return []
    with transaction.atomic():
        reference = FilePlan.objects.filter(organisation=arc, code=REFERENCE_CODE).first()
        if reference is None:
            reference = plan_create(actor=None, organisation=arc, code=REFERENCE_CODE,
                                    title="Plan de classement de référence de l'ARC")
            created: dict[str, Any] = {}
            for code, parent, title, period, unit, start, action, access, naming, types in NODES:
                created[code] = node_create(
                    actor=None, plan=reference, code=code, title=title, parent=created.get(parent),
                    retention_period=period, retention_unit=unit, retention_start_event=start,
                    final_action=action, access_rule=access, naming_rule=naming, document_types=types)
            compiegne = Organisation.objects.filter(slug="compiegne").first()
            if compiegne is not None:
                own = plan_adopt(actor=None, organisation=compiegne, reference=reference)
                # Compiègne keeps its building maintenance files longer (local choice).
                node_create(actor=None, plan=own, code="PAT-02", title="Entretien et travaux des bâtiments",
                            overrides=created["PAT-02"], retention_period=15)
                node_create(actor=None, plan=own, code="CPG-JUM",
                            title="Jumelages et relations internationales", retention_period=10,
                            retention_start_event="closing", final_action="keep",
                            naming_rule="{date:%Y}_{title}")
    added = 0
    for slug, node, title, doc_type, metadata, on, text in DEMO_DOCUMENTS:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None or Document.objects.filter(organisation=organisation, title=title).exists():
            continue
        document = document_create(actor=None, organisation=organisation, node_code=node,
                                   stream=BytesIO(text.encode()), file_name=f"{title}.txt", title=title,
                                   doc_type=doc_type, metadata=metadata, document_date=on,
                                   tags=["démonstration"])
        assert document.current_version_id is not None
        version_text_extract(version_id=document.current_version_id)
        added += 1
    return [f"GED : plan de classement de référence de l'ARC ({len(NODES)} nœuds), "
            f"{added} document(s) de démonstration ajouté(s)."]
