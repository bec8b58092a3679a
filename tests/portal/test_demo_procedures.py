"""The demo territory's procedures: valid data, idempotent loading, catalogues per commune."""

import json
from decimal import Decimal

import pytest

from socle.core.management.commands.demo import apps_demo_load
from socle.core.models import AuditEvent
from socle.core.services import ServiceError
from socle.portal import selectors
from socle.portal.form_schema import definition_parse
from socle.portal.models import (
    Adoption,
    CaseworkerGroup,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
)
from socle.portal.services import (
    DEMO_PROCEDURES_DIR,
    case_submit,
    demo_procedures_load,
    procedure_create,
)
from socle.portal.workflow import workflow_of

FILES = sorted(DEMO_PROCEDURES_DIR.glob("*.json"))


def catalogue(commune):
    return {offered.slug: offered for offered in selectors.procedures_offered(commune=commune)}


def snapshot():
    return (Procedure.objects.count(), ProcedureRevision.objects.count(),
            Adoption.objects.count(), CaseworkerGroup.objects.count(),
            AuditEvent.objects.count())


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_demo_file_is_a_valid_procedure_export(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "socle-procedure/1"
    assert document["slug"] == path.stem
    assert definition_parse(document["fields"])
    workflow_of(document["workflow"])
    assert Decimal(document["fee_amount"]) >= 0
    assert document["service_name"] and document["service_contact"]
    for row in document.get("adopted_by", []):
        extra = row["overrides"].get("extra_fields", [])
        definition_parse(document["fields"] + extra)


def test_about_thirty_procedures_are_loaded_and_published_by_the_system(territory):
    report = demo_procedures_load()
    assert len(report.created) == len(FILES) >= 28
    assert not Procedure.objects.exclude(status=ProcedureStatus.PUBLISHED).exists()
    assert Procedure.objects.filter(is_template=True).count() >= 5
    assert Procedure.objects.filter(organisation__slug="arc", is_template=False).count() >= 5
    assert Procedure.objects.filter(organisation__kind="commune").count() >= 5
    publications = AuditEvent.objects.filter(action="procedure.publish")
    assert publications.count() == len(FILES)
    assert not publications.filter(actor__isnull=False).exists()


def test_loading_twice_changes_nothing(territory):
    demo_procedures_load()
    before = snapshot()
    report = demo_procedures_load()
    assert report.created == [] and report.adoptions == 0 and report.groups == 0
    assert snapshot() == before


def test_the_demo_command_finds_the_portal_loader_through_the_app_registry(territory):
    lines = apps_demo_load()
    assert any(line.startswith("Démarches de démonstration") for line in lines)
    assert Procedure.objects.filter(slug="acte-naissance").exists()


def test_compiegne_catalogue_holds_intercommunal_own_and_adopted_procedures(territory):
    demo_procedures_load()
    offered = catalogue(territory["compiegne"])
    assert "signalement-espace-public" in offered  # the ARC's, for every commune
    assert "carte-stationnement-resident" in offered  # Compiègne's own
    assert "acte-naissance" in offered  # an ARC template Compiègne adopted
    assert offered["acte-naissance"].service_name == "Service état civil, mairie de Compiègne"
    assert "location-salle-jaux" not in offered


def test_jaux_catalogue_has_its_own_procedures_but_not_compiegnes(territory):
    demo_procedures_load()
    offered = catalogue(territory["jaux"])
    assert "location-salle-jaux" in offered
    assert "inscription-scolaire" in offered
    assert offered["acte-naissance"].service_name == "Service état civil, mairie de Jaux"
    assert "carte-stationnement-resident" not in offered
    assert "tranquillite-vacances" not in offered


def test_a_template_a_commune_chose_not_to_offer_is_absent_from_its_catalogue(territory):
    demo_procedures_load()
    assert Adoption.objects.get(template__slug="acte-naissance",
                                organisation__slug="lachelle").offered is False
    assert "acte-naissance" not in catalogue(territory["lachelle"])
    assert "inscription-scolaire" not in catalogue(territory["janville"])


def test_a_commune_extra_field_is_added_only_where_it_was_adopted(territory):
    demo_procedures_load()
    names_compiegne = [f.name for f in catalogue(territory["compiegne"])[
        "occupation-domaine-public"].fields()]
    names_margny = [f.name for f in catalogue(territory["margny-les-compiegne"])[
        "occupation-domaine-public"].fields()]
    assert names_compiegne[-1] == "site_patrimonial"
    assert "site_patrimonial" not in names_margny


def test_a_report_without_account_goes_to_the_commune_of_its_address(territory):
    demo_procedures_load()
    offered = selectors.procedure_offered_get(slug="signalement-espace-public", commune=None)
    case = case_submit(actor=None, offered=offered, email="passant@exemple.fr", data={
        "categorie": "eclairage",
        "adresse": {"street": "12 rue de la République", "postal_code": "60280",
                    "city": "Margny-lès-Compiègne"},
        "description": "Le lampadaire devant le numéro 12 ne s'allume plus.",
        "danger": "non",
    })
    assert case.organisation.slug == "margny-les-compiegne"
    assert case.group is not None and case.group.slug == "services-techniques"


def test_an_account_without_the_editor_role_cannot_run_the_loader(territory, make_user):
    agent = make_user(roles=[(territory["compiegne"], "portal.caseworker")])
    with pytest.raises(ServiceError) as caught:
        demo_procedures_load(actor=agent)
    assert caught.value.code == "forbidden"
    assert not Procedure.objects.exists()


def test_outside_the_loader_no_actor_means_no_right(territory):
    with pytest.raises(ServiceError) as caught:
        procedure_create(actor=None, organisation=territory["compiegne"], slug="sans-auteur",
                         title="Sans auteur")
    assert caught.value.code == "forbidden"
