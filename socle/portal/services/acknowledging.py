"""The acknowledgements of a case filed online, drawn by the worker after the filing.

``case_submit`` accepts, numbers and dates the case in one short transaction and writes,
in that same transaction, the task that draws its two acknowledgements (registration and
receipt) and mails them: the task is an outbox row committed with the case, so a worker
that is down, or dies while drawing, loses nothing (``socle worker`` takes the task up
again when it returns, and retries a failure with back-off: ``core.task_queue``).

The legal date of filing is the moment of acceptance (``Case.submitted_at``, and the
received day the decision delay runs from), never the moment the worker draws the PDFs:
the letters print the stored date. Drawing is idempotent: a case whose acknowledgements
exist is not acknowledged again, so a task run twice (a worker killed after the commit)
issues no second letter and no second email.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .. import acknowledgements
from ..models import Case, CaseDocument
from ..selectors import ACKNOWLEDGEMENT_KINDS
from .cases import offered_for_case


def acknowledgement_queue(case: Case) -> None:
    """Write, in the caller's transaction, the task that will acknowledge this filed case."""
    case_acknowledge_task.enqueue(case_id=case.pk)


def case_acknowledge(*, case_id: int) -> str:
    """Draw and store the acknowledgements of a filed case and mail them, once."""
    with transaction.atomic():
        case = (Case.objects.select_for_update(of=("self",))
                .select_related("procedure", "organisation", "revision").filter(pk=case_id).first())
        if case is None:
            return "Dossier introuvable : rien à accuser."
        if CaseDocument.objects.filter(case=case, kind__in=ACKNOWLEDGEMENT_KINDS).exists():
            return f"Dossier n° {case.number} : accusés déjà émis."
        acknowledgements.acknowledge_submission(case, offered_for_case(case))
    return f"Dossier n° {case.number} : accusés d'enregistrement et de réception émis."


@task(queue_name="default")
def case_acknowledge_task(*, case_id: int) -> str:
    """Acknowledge a case filed online (the worker's side of ``case_submit``)."""
    return case_acknowledge(case_id=case_id)
