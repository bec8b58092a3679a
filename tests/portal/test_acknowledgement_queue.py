"""A case filed online is accepted at once; its acknowledgements are drawn by the worker."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from socle.core.blobs import blob_open
from socle.core.letters import french_date
from socle.portal import selectors
from socle.portal.models import Case, CaseDocument, DocumentKind
from socle.portal.services import case_acknowledge, case_submit
from tests.support.clients import signed_in

GOOD = {"nom": "Martin", "motif": "perte"}
ACKNOWLEDGEMENTS = {DocumentKind.REGISTRATION, DocumentKind.RECEIPT}


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="case_acknowledge_task",
                                       status="READY").count()


def _kinds(case: Case) -> list[str]:
    return sorted(CaseDocument.objects.filter(case=case, kind__in=ACKNOWLEDGEMENTS)
                  .values_list("kind", flat=True))


@pytest.fixture
def offered(territory, publish):
    procedure = publish(territory["compiegne"], "carte-stationnement", title="Carte de stationnement")
    return selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])


def test_filing_writes_the_acknowledgement_task_with_the_case_and_draws_nothing(offered, citizen):
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    assert case.status == "submitted" and case.number and case.submitted_at is not None
    assert _kinds(case) == [] and _queued() == 1
    assert selectors.case_acknowledgements_pending(case=case)


def test_a_filing_rolled_back_leaves_no_task_behind(offered, citizen):
    with pytest.raises(RuntimeError), transaction.atomic():
        case_submit(actor=citizen, offered=offered, data=GOOD)
        raise RuntimeError("the request failed after the filing")
    assert not Case.objects.exclude(status="draft").exists() and _queued() == 0


@pytest.mark.django_db(transaction=True)
def test_with_the_worker_down_the_acknowledgements_wait_and_are_drawn_when_it_returns(
        offered, citizen):
    filed = [case_submit(actor=citizen, offered=offered, data=GOOD) for _ in range(3)]
    assert _queued() == 3 and all(_kinds(case) == [] for case in filed)  # no worker yet
    call_command("worker", batch=True)
    for case in filed:
        assert _kinds(case) == [DocumentKind.RECEIPT, DocumentKind.REGISTRATION]
        assert not selectors.case_acknowledgements_pending(case=case)
    assert _queued() == 0
    receipts = [m for m in mail.outbox if "enregistrée" in m.subject]
    assert sorted(m.subject for m in receipts) == sorted(
        f"Demande n° {case.number} enregistrée : Carte de stationnement" for case in filed)


def test_drawing_twice_issues_no_second_letter_and_no_second_email(
        offered, citizen, django_capture_on_commit_callbacks):
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    with django_capture_on_commit_callbacks(execute=True) as first:
        case_acknowledge(case_id=case.pk)
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert "déjà" in case_acknowledge(case_id=case.pk)
    assert _kinds(case) == [DocumentKind.RECEIPT, DocumentKind.REGISTRATION]
    assert len(first) == 1 and again == [], "one email queued, by the first drawing only"


def test_the_legal_date_is_the_acceptance_not_the_drawing(offered, citizen):
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    accepted = case.submitted_at
    # The worker comes back three days later, say: the letters keep the filing's date.
    Case.objects.filter(pk=case.pk).update(submitted_at=accepted - timedelta(days=3))
    case.refresh_from_db()
    case_acknowledge(case_id=case.pk)
    when = timezone.localtime(case.submitted_at)
    receipt = CaseDocument.objects.get(case=case, kind=DocumentKind.RECEIPT)
    with blob_open(receipt.blob) as stream:
        text = " ".join(PdfReader(io.BytesIO(stream.read())).pages[0].extract_text().split())
    assert f"{french_date(when)} à {when:%H:%M}" in text
    assert french_date(timezone.localdate()) not in text.split("Déposée le")[1][:40]
    assert Case.objects.get(pk=case.pk).submitted_at == accepted - timedelta(days=3)


def test_the_citizen_page_says_the_acknowledgements_are_coming_then_offers_them(
        offered, citizen):
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    client = signed_in(citizen, method="password")
    page = client.get(f"/mes-demandes/{case.number}/").content.decode()
    assert "sont en préparation" in page and "date qui fait foi" in page
    assert "Aucun document." not in page
    case_acknowledge(case_id=case.pk)
    page = client.get(f"/mes-demandes/{case.number}/").content.decode()
    assert "sont en préparation" not in page
    assert "Accusé de réception" in page and "Accusé d&#x27;enregistrement" in page


def test_a_task_for_a_case_that_no_longer_exists_ends_quietly(db):
    assert "introuvable" in case_acknowledge(case_id=987654)
