"""Impact assessments (the CNIL's PIA method, simplified) and their templates shared down the tree."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.errors import Conflict, ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from . import selectors
from ._checks import _require, _text
from .models import Activity, Assessment, AssessmentStatus, PiaTemplate

MANAGE = selectors.MANAGE
TEMPLATES = selectors.TEMPLATES
OPINION = selectors.OPINION


# The CNIL's PIA method, simplified: the context, the fundamental principles, the three
# risks of the method (each with its severity and likelihood), then the DPO's opinion.
CNIL_QUESTIONS: list[dict[str, str]] = [
    {"key": "overview", "section": "Contexte",
     "label": "Présentation du traitement : objectifs, enjeux, responsable, sous-traitants"},
    {"key": "data_lifecycle", "section": "Contexte",
     "label": "Données, processus et supports : cycle de vie des données"},
    {"key": "proportionality", "section": "Principes fondamentaux",
     "label": "Finalités, base légale, minimisation, exactitude et durées de conservation"},
    {"key": "rights", "section": "Principes fondamentaux",
     "label": "Information des personnes et exercice de leurs droits ; sous-traitance ; transferts"},
    {"key": "measures", "section": "Risques",
     "label": "Mesures existantes ou prévues (chiffrement, cloisonnement, traçabilité, sauvegardes…)"},
]
RISKS = (("illegitimate_access", "Accès illégitime à des données"),
         ("unwanted_change", "Modification non désirée de données"),
         ("disappearance", "Disparition de données"))


def _questions(questions: Any) -> list[dict[str, str]]:
    if questions is None:
        return [dict(q) for q in CNIL_QUESTIONS]
    if not isinstance(questions, list) or not 1 <= len(questions) <= 60:
        raise ServiceError("Un modèle compte entre 1 et 60 questions.", code="invalid")
    cleaned, keys = [], set()
    for question in questions:
        if not isinstance(question, dict):
            raise ServiceError("Chaque question a une clé, une section et un libellé.",
                               code="invalid")
        key = _text(question.get("key"), "La clé d'une question", 40, required=True)
        if not key.replace("_", "").isalnum() or key in keys:
            raise ServiceError(f"La clé « {key} » est invalide ou répétée.", code="invalid")
        keys.add(key)
        cleaned.append({"key": key,
                        "section": _text(question.get("section"), "La section", 100, required=True),
                        "label": _text(question.get("label"), "Le libellé", 300, required=True)})
    return cleaned


def template_create(*, actor: User | None, organisation: Organisation, name: str,
                    description: str = "", questions: Any = None) -> PiaTemplate:
    """Create an impact-assessment template, shared with every structure below its owner."""
    actor = _require(actor, TEMPLATES, organisation)
    name = _text(name, "Le nom du modèle", 200, required=True, name="name")
    cleaned = _questions(questions)
    with transaction.atomic():
        if PiaTemplate.objects.filter(organisation=organisation, name=name).exists():
            raise Conflict(f"Le modèle « {name} » existe déjà.", code="duplicate")
        template = PiaTemplate.objects.create(
            organisation=organisation, name=name, questions=cleaned,
            description=_text(description, "La description", 2000, name="description"))
        audit_record(actor=actor, action="privacy.template_create", organisation=organisation,
                     target=template, data={"name": name, "questions": len(cleaned)})
    return template


def assessment_start(*, actor: User | None, activity: Activity,
                     template: PiaTemplate) -> Assessment:
    """Start the impact assessment of an activity from a template its structure may use."""
    actor = _require(actor, MANAGE, activity.organisation)
    if not activity.organisation.path.startswith(template.organisation.path):
        raise ServiceError("Ce modèle n'est pas partagé avec cette structure.", code="invalid",
                           errors={"template": "Modèle inconnu."})
    with transaction.atomic():
        assessment = Assessment.objects.create(
            organisation=activity.organisation, activity=activity, template=template,
            questions=list(template.questions))
        audit_record(actor=actor, action="privacy.assessment_create",
                     organisation=activity.organisation, target=assessment,
                     data={"activity": activity.pk, "template": template.name})
    return assessment


def _scale(value: Any, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 4:
        raise ServiceError(f"{label} se note de 1 (négligeable) à 4 (maximale).", code="invalid")
    return number


def assessment_save(*, actor: User | None, assessment: Assessment, answers: dict[str, Any],
                    risks: dict[str, dict[str, Any]]) -> Assessment:
    """Save the answers and the risk estimates of an assessment still being written."""
    actor = _require(actor, MANAGE, assessment.organisation)
    if assessment.status == AssessmentStatus.VALIDATED:
        raise Conflict("Cette analyse d'impact est validée : elle ne se modifie plus.",
                       code="validated")
    keys = {q["key"] for q in assessment.questions}
    if set(answers) - keys:
        raise ServiceError("Réponse à une question qui n'est pas dans l'analyse.", code="invalid")
    cleaned_answers = {key: _text(value, "Une réponse", 8000) for key, value in answers.items()}
    cleaned_risks = {}
    for key, label in RISKS:
        given = risks.get(key)
        if given is None:
            continue
        cleaned_risks[key] = {
            "severity": _scale(given.get("severity"), f"La gravité « {label} »"),
            "likelihood": _scale(given.get("likelihood"), f"La vraisemblance « {label} »"),
            "measures": _text(given.get("measures"), "Les mesures", 4000)}
    with transaction.atomic():
        assessment.answers = {**assessment.answers, **cleaned_answers}
        assessment.risks = {**assessment.risks, **cleaned_risks}
        assessment.status = AssessmentStatus.DRAFT
        assessment.updated_at = timezone.now()
        assessment.save(update_fields=["answers", "risks", "status", "updated_at"])
        audit_record(actor=actor, action="privacy.assessment_update",
                     organisation=assessment.organisation, target=assessment,
                     data={"answers": sorted(cleaned_answers), "risks": sorted(cleaned_risks)})
    return assessment


def assessment_decide(*, actor: User | None, assessment: Assessment, validated: bool,
                      opinion: str) -> Assessment:
    """Give the DPO's opinion (art. 35-2): validate the assessment or send it back."""
    actor = _require(actor, OPINION, assessment.organisation)
    opinion = _text(opinion, "L'avis du délégué", 4000, required=True, name="opinion")
    if validated:
        missing = [q["label"] for q in assessment.questions
                   if not str(assessment.answers.get(q["key"], "")).strip()]
        if missing or len(assessment.risks) < len(RISKS):
            raise Conflict("L'analyse n'est pas complète : chaque question et chacun des trois "
                           "risques doivent être renseignés avant validation.", code="incomplete")
    with transaction.atomic():
        assessment.status = AssessmentStatus.VALIDATED if validated else AssessmentStatus.REFUSED
        assessment.dpo_opinion, assessment.decided_by = opinion, actor
        assessment.decided_at = timezone.now()
        assessment.save(update_fields=["status", "dpo_opinion", "decided_by", "decided_at"])
        audit_record(actor=actor, action="privacy.assessment_decide",
                     organisation=assessment.organisation, target=assessment,
                     data={"status": assessment.status})
    return assessment


