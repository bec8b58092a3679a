"""Awareness modules: their content and quiz, their assignment to groups, the agents' answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from socle.core.errors import ServiceError
from socle.core.journal import audit_record
from socle.core.models import Organisation, User
from socle.core.roles import UnknownRole, role_get

from .. import selectors
from ..models import Assignment, AwarenessModule, Completion
from .common import require, text

MAX_QUESTIONS = 20
MAX_CHOICES = 6


def _questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not questions:
        raise ServiceError("Le quiz demande au moins une question.", code="invalid",
                           errors={"questions": "Ajoutez au moins une question."})
    if len(questions) > MAX_QUESTIONS:
        raise ServiceError(f"Le quiz compte {MAX_QUESTIONS} questions au plus.", code="invalid")
    clean = []
    for n, q in enumerate(questions, start=1):
        choices = [text(str(c), field="questions", label=f"Réponse de la question {n}",
                        max_length=300) for c in q.get("choices", [])]
        answer = q.get("answer")
        if not 2 <= len(choices) <= MAX_CHOICES or not isinstance(answer, int) \
                or not 0 <= answer < len(choices):
            raise ServiceError(f"Question {n} : de 2 à {MAX_CHOICES} réponses, dont une juste.",
                               code="invalid", errors={"questions": f"Question {n} invalide."})
        clean.append({"question": text(str(q.get("question", "")), field="questions",
                                       label=f"Question {n}", max_length=500),
                      "choices": choices, "answer": answer})
    return clean


def module_save(*, actor: User | None, organisation: Organisation, title: str, body: str,
                questions: list[dict[str, Any]], pass_mark: int = 80,
                module: AwarenessModule | None = None) -> AwarenessModule:
    """Create or change an awareness module: its page and its quiz."""
    if actor is not None:
        require(actor, selectors.MANAGE, organisation)
    if not 1 <= pass_mark <= 100:
        raise ServiceError("Le seuil de réussite est un pourcentage de 1 à 100.", code="invalid",
                           errors={"pass_mark": "De 1 à 100."})
    values = {"title": text(title, field="title", label="Titre", max_length=200),
              "body": text(body, field="body", label="Contenu", max_length=50_000),
              "questions": _questions(questions), "pass_mark": pass_mark}
    with transaction.atomic():
        if module is None:
            module = AwarenessModule.objects.create(organisation=organisation, **values)
        else:
            for name, value in values.items():
                setattr(module, name, value)
            module.save()
        audit_record(actor=actor, action="security.module_save", organisation=organisation,
                     target=module, data={"title": module.title})
    return module


def assignment_add(*, actor: User | None, module: AwarenessModule, organisation: Organisation,
                   role: str = "", due_on: date | None = None) -> Assignment:
    """Assign a module to the agents of an organisation (and below), or of one role there."""
    if actor is not None:
        require(actor, selectors.MANAGE, organisation)
    if role:
        try:
            role_get(role)
        except UnknownRole:
            raise ServiceError(f"Rôle inconnu : « {role} ».", code="invalid",
                               errors={"role": "Rôle inconnu."}) from None
    with transaction.atomic():
        assignment, created = Assignment.objects.get_or_create(
            module=module, organisation=organisation, role=role, defaults={"due_on": due_on})
        if created:
            audit_record(actor=actor, action="security.assignment_add",
                         organisation=organisation, target=module,
                         data={"role": role, "due_on": due_on.isoformat() if due_on else None})
    return assignment


def quiz_submit(*, actor: User, module: AwarenessModule, answers: list[int | None]) -> Completion:
    """Score the agent's answers to a module's quiz and keep their best result."""
    questions = module.questions
    if len(answers) != len(questions):
        raise ServiceError("Répondez à chaque question du quiz.", code="invalid")
    right = sum(1 for q, a in zip(questions, answers, strict=True) if a == q["answer"])
    score = round(100 * right / len(questions))
    passed = score >= module.pass_mark
    organisation = selectors.agent_organisation(actor=actor)
    with transaction.atomic():
        completion = Completion.objects.select_for_update().filter(module=module,
                                                                   user=actor).first()
        if completion is None:
            completion = Completion.objects.create(module=module, user=actor, score=score,
                                                   passed=passed)
        else:
            Completion.objects.filter(pk=completion.pk).update(attempts=F("attempts") + 1)
            if score >= completion.score:
                completion.score, completion.passed = score, passed or completion.passed
                completion.completed_at = timezone.now()
                completion.save(update_fields=["score", "passed", "completed_at"])
            completion.refresh_from_db()
        audit_record(actor=actor, action="security.quiz_submit", organisation=organisation,
                     target=module, data={"score": score, "passed": passed})
    return completion
