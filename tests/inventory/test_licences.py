"""Software and licences: a licence covering a suite, its seats, the expiry job and its
notices, the homogenised business software view and the dashboard indicators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from socle.core.errors import Conflict, ServiceError
from socle.core.models import AgentNotice
from socle.inventory import indicators, jobs, selectors
from socle.inventory.services import (
    installations_replace,
    licence_assign,
    licence_release,
    licence_save,
    software_save,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def suite(manager, arc):
    finance = software_save(actor=manager, organisation=arc, name="e.magnus Gestion financière",
                            business=True, reference_version="2024.2")
    payroll = software_save(actor=manager, organisation=arc, name="e.magnus RH", business=True,
                            reference_version="2024.2")
    return finance, payroll


def test_a_licence_covers_several_titles_within_its_seats(manager, arc, suite, make_asset):
    licence = licence_save(actor=manager, organisation=arc, name="Suite e.magnus", seats=2,
                           titles=suite, expires_on="31/12/2026", cost="12 000")
    assert sorted(t.name for t in licence.titles.all()) == ["e.magnus Gestion financière",
                                                            "e.magnus RH"]
    first, second = make_asset(), make_asset()
    licence_assign(actor=manager, licence=licence, asset=first)
    with pytest.raises(Conflict, match="déjà un poste"):
        licence_assign(actor=manager, licence=licence, asset=first)
    seat = licence_assign(actor=manager, licence=licence, person="Mme Durand, DGS")
    with pytest.raises(Conflict, match="Les 2 postes"):
        licence_assign(actor=manager, licence=licence, asset=second)
    with pytest.raises(Conflict, match="Plus de postes sont attribués"):
        licence_save(actor=manager, organisation=arc, name="Suite", seats=1, titles=suite,
                     licence=licence)
    licence_release(actor=manager, seat=seat)
    licence_assign(actor=manager, licence=licence, asset=second)
    assert selectors.licence_get_for(actor=manager, pk=licence.pk).used == 2


def test_a_licence_needs_titles_seats_and_coherent_dates(manager, arc, suite):
    with pytest.raises(ServiceError, match="de 1 à 50 logiciels"):
        licence_save(actor=manager, organisation=arc, name="Vide", seats=1, titles=[])
    with pytest.raises(ServiceError, match="de 1 à 100 000"):
        licence_save(actor=manager, organisation=arc, name="Zéro", seats=0, titles=suite)
    with pytest.raises(ServiceError, match="précède le début"):
        licence_save(actor=manager, organisation=arc, name="Dates", seats=1, titles=suite,
                     starts_on="01/01/2026", expires_on="31/12/2025")


def test_a_commune_licence_cannot_hold_another_communes_asset(manager, margny, suite,
                                                              make_asset, venette, venette_site):
    licence = licence_save(actor=manager, organisation=margny, name="Margny", seats=5,
                           titles=suite)
    with pytest.raises(ServiceError, match="pas couvert"):
        licence_assign(actor=manager, licence=licence,
                       asset=make_asset(organisation=venette, site=venette_site))


def test_the_expiry_job_tells_the_dcsi_once_per_expiry_date(manager, arc, suite, viewer):
    today = timezone.localdate()
    soon = licence_save(actor=manager, organisation=arc, name="Bientôt", seats=5, titles=suite,
                        expires_on=today + timedelta(days=20))
    licence_save(actor=manager, organisation=arc, name="Plus tard", seats=5, titles=suite,
                 expires_on=today + timedelta(days=200))
    assert "1 licence arrivant à échéance signalée" in jobs.licences_expiring()
    [notice] = AgentNotice.objects.all()
    assert notice.recipient == manager and notice.kind == "inventory.licence_expiring"
    assert notice.url == f"/inventaire/licences/{soon.pk}/" and "Bientôt" in notice.title
    assert jobs.licences_expiring().startswith("Aucune licence")
    # Renewed, then close to its new end again: told again.
    licence_save(actor=manager, organisation=arc, name="Bientôt", seats=5, titles=suite,
                 expires_on=today + timedelta(days=30), licence=soon)
    jobs.licences_expiring()
    assert AgentNotice.objects.count() == 2
    assert not AgentNotice.objects.filter(recipient=viewer).exists()


def test_the_homogenised_view_shows_who_is_out_of_line(manager, viewer, suite, make_asset, arc,
                                                       venette, venette_site):
    finance, payroll = suite
    ours, lagging = make_asset(), make_asset()
    theirs = make_asset(organisation=venette, site=venette_site)
    installations_replace(actor=manager, asset=ours, catalogue=arc,
                          found=[(finance.name, "2024.2", ""), (payroll.name, "2024.2", "")])
    installations_replace(actor=manager, asset=lagging, catalogue=arc,
                          found=[(finance.name, "2023.4", ""), ("Notepad++", "8.6", "")])
    installations_replace(actor=manager, asset=theirs, catalogue=arc,
                          found=[(finance.name, "2024.2", "")])
    lines = {line.software.name: line for line in selectors.homogenisation_for(actor=manager)}
    assert set(lines) == {"e.magnus Gestion financière", "e.magnus RH"}  # business only
    finance_line = lines["e.magnus Gestion financière"]
    assert finance_line.by_commune == {"Margny-lès-Compiègne": {"2023.4": 1, "2024.2": 1},
                                       "Venette": {"2024.2": 1}}
    assert finance_line.out_of_line == ["Margny-lès-Compiègne"]
    assert lines["e.magnus RH"].out_of_line == []
    # A commune's agent sees their commune's line only.
    [seen] = [line for line in selectors.homogenisation_for(actor=viewer)
              if line.software == finance]
    assert set(seen.by_commune) == {"Margny-lès-Compiègne"}


def test_indicators_count_ageing_assets_and_licences_expiring(manager, viewer, arc, suite,
                                                             make_asset, margny):
    today = timezone.localdate()
    make_asset(purchased_on=today - timedelta(days=365 * 6))
    make_asset(purchased_on=today - timedelta(days=365))
    make_asset(purchased_on=today - timedelta(days=365 * 7), status="disposed")
    licence_save(actor=manager, organisation=arc, name="A", seats=1, titles=suite,
                 expires_on=today + timedelta(days=10))
    licence_save(actor=manager, organisation=margny, name="B", seats=1, titles=suite,
                 expires_on=today + timedelta(days=300))
    start, end = date(today.year, today.month, 1), today + timedelta(days=1)
    assert indicators.ageing_assets(actor=manager, start=start, end=end) == 1
    assert indicators.ageing_assets(actor=viewer, start=start, end=end) == 1
    assert indicators.licences_expiring(actor=manager, start=start, end=end) == 1
    # The viewer of Margny does not see the ARC's licence.
    assert indicators.licences_expiring(actor=viewer, start=start, end=end) == 0
    assert indicators.ageing_assets(actor=None, start=start, end=end) == 0
