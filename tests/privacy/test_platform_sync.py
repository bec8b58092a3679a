"""The register says what the platform really does: the modules' declared processing
activities are synced into every structure's register, marked as platform-declared."""

from __future__ import annotations

from datetime import date

import pytest

from socle.core.errors import Conflict
from socle.core.models import AuditEvent
from socle.core.module_activation import module_disable, module_enable
from socle.core.modules import processing_activities
from socle.privacy import selectors, services
from socle.privacy.jobs import platform_sync as platform_sync_job
from socle.privacy.models import Activity, ActivitySource, LegalBasis


def _declared(module_name: str, name: str):
    return next(d for m, d in processing_activities() if m.name == module_name and d.name == name)


def test_a_modules_declaration_appears_in_each_register_as_platform_declared(referent, margny,
                                                                              venette):
    report = services.platform_sync()
    assert report.created == len(processing_activities()) * 25  # 22 communes, the ARC, 2 services
    mail = _declared("mail", "Registre du courrier")
    entry = selectors.activities_for(actor=referent, organisation=margny).get(
        platform_module="mail", platform_name=mail.name)
    assert entry.source == ActivitySource.PLATFORM and entry.is_platform
    assert entry.purpose == mail.purpose and entry.retention == mail.retention
    assert entry.legal_basis == LegalBasis.PUBLIC_TASK  # "art. 6-1-e" read from the words
    assert entry.legal_basis_detail == mail.legal_basis
    assert selectors.activity_missing(activity=entry) == []
    # The privacy module's own declaration reads "6-1-c": a legal obligation.
    own = Activity.objects.get(organisation=venette, platform_module="privacy")
    assert own.legal_basis == LegalBasis.LEGAL_OBLIGATION


def test_syncing_again_changes_nothing_and_journals_nothing(margny):
    services.platform_sync()
    events = AuditEvent.objects.filter(action="privacy.platform_sync").count()
    assert events == 25
    report = services.platform_sync()
    assert (report.created, report.updated, report.archived) == (0, 0, 0)
    assert AuditEvent.objects.filter(action="privacy.platform_sync").count() == events


def test_a_module_switched_off_for_a_commune_leaves_its_register_and_comes_back(margny, venette):
    services.platform_sync()
    module_disable(actor=None, module="mail", organisation=margny)
    report = services.platform_sync()
    assert report.archived == 1 and report.organisations == {"margny-les-compiegne"}
    assert Activity.objects.get(organisation=margny, platform_module="mail").archived_at
    assert Activity.objects.get(organisation=venette, platform_module="mail").archived_at is None
    module_enable(actor=None, module="mail", organisation=margny)
    assert services.platform_sync().restored == 1


def test_a_changed_declaration_updates_the_entry(margny):
    services.platform_sync(organisations=[margny])
    entry = Activity.objects.get(organisation=margny, platform_module="mail")
    Activity.objects.filter(pk=entry.pk).update(purpose="Ancienne finalité")
    assert services.platform_sync(organisations=[margny]).updated == 1
    entry.refresh_from_db()
    assert entry.purpose == _declared("mail", "Registre du courrier").purpose


def test_a_withdrawn_declaration_is_archived(margny):
    services.platform_sync(organisations=[margny])
    Activity.objects.filter(organisation=margny, platform_module="mail").update(
        platform_name="Ancien traitement retiré")
    report = services.platform_sync(organisations=[margny])
    assert report.archived == 1 and report.created == 1


def test_what_the_module_declares_is_not_edited_by_hand_but_the_rest_is(referent, margny):
    services.platform_sync(organisations=[margny])
    entry = Activity.objects.get(organisation=margny, platform_module="portal")
    with pytest.raises(Conflict) as refused:
        services.activity_update(actor=referent, activity=entry, purpose="Autre chose")
    assert refused.value.code == "platform_declared"
    processor = services.processor_create(actor=referent, organisation=margny,
                                          name="Imprimeur", service="Envoi des courriers")
    services.activity_update(actor=referent, activity=entry, recipients="Service état civil",
                             processors=[processor])
    assert list(entry.processors.all()) == [processor]


def test_the_job_syncs_and_says_what_it_did(territory):
    summary = platform_sync_job()
    assert summary.startswith("Traitements de la plateforme :") and "25 registres" in summary


def test_register_completeness_counts_the_complete_entries(referent, margny):
    services.platform_sync(organisations=[margny])
    complete = selectors.indicator_register_completeness(actor=referent, start=date(2020, 1, 1),
                                                         end=date(2030, 1, 1))
    assert complete == 100.0
    services.activity_create(actor=referent, organisation=margny, name="Vidéoprotection",
                             purpose="Sécurité", legal_basis="public_task")
    total = Activity.objects.filter(organisation=margny).count()
    assert selectors.indicator_register_completeness(
        actor=referent, start=date(2020, 1, 1), end=date(2030, 1, 1)) == round(
        100 * (total - 1) / total, 1)
