import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from socle.core.models import Organisation
from socle.core.services import ServiceError
from socle.core.territory import territory_load
from tests.conftest import ARC_TERRITORY

COMMUNES = [
    "Armancourt", "Béthisy-Saint-Martin", "Béthisy-Saint-Pierre", "Bienville", "Choisy-au-Bac",
    "Clairoix", "Compiègne", "Janville", "Jaux", "Jonquières", "Lachelle", "Lacroix-Saint-Ouen",
    "Le Meux", "Margny-lès-Compiègne", "Néry", "Saint-Jean-aux-Bois", "Saint-Sauveur",
    "Saint-Vaast-de-Longmont", "Saintines", "Venette", "Verberie", "Vieux-Moulin",
]


def test_arc_territory_has_the_agglomeration_its_22_communes_and_services(db):
    territory_load(actor=None, path=ARC_TERRITORY)
    arc = Organisation.objects.get(slug="arc")
    assert arc.kind == "epci"
    assert arc.name == "Agglomération de la Région de Compiègne et de la Basse Automne"
    communes = Organisation.objects.filter(kind="commune")
    assert sorted(c.name for c in communes) == sorted(COMMUNES)
    assert all(c.parent_id == arc.pk for c in communes)
    slugs = set(communes.values_list("slug", flat=True))
    assert {"compiegne", "margny-les-compiegne", "saint-vaast-de-longmont"} <= slugs
    services = set(Organisation.objects.filter(kind="service").values_list("slug", flat=True))
    assert {"dcsi", "archives"} <= services


def test_loading_twice_changes_nothing(db):
    territory_load(actor=None, path=ARC_TERRITORY)
    report = territory_load(actor=None, path=ARC_TERRITORY)
    assert report.created == [] and report.updated == []
    assert Organisation.objects.count() == 25


def test_another_intercommunality_loads_its_territory_from_csv(db, tmp_path: Path):
    csv_file = tmp_path / "cc.csv"
    csv_file.write_text(
        "slug,name,kind,parent,insee_code,postal_codes\n"
        "cc-test,Communauté de communes de test,epci,,,\n"
        "village-a,Village A,commune,cc-test,,\n"
        "village-b,Village B,commune,cc-test,,01000 01001\n",
        encoding="utf-8",
    )
    call_command("territory", "load", str(csv_file))
    village = Organisation.objects.get(slug="village-b")
    assert village.parent.slug == "cc-test"
    assert village.path == "/cc-test/village-b/"
    assert village.postal_codes == ["01000", "01001"]
    assert village.insee_code == ""


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "X", "kind": "planet"}], "type"),
        ([{"name": "X", "kind": "commune", "parent": "nowhere"}], "n'existe pas"),
        ([{"name": "X", "kind": "commune", "insee_code": "ABCDE"}], "INSEE"),
        ([{"name": "X", "kind": "epci"}, {"name": "X", "kind": "epci"}], "double"),
        ([{"slug": "a", "name": "A", "kind": "epci", "parent": "b"},
          {"slug": "b", "name": "B", "kind": "epci", "parent": "a"}], "Cycle"),
    ],
)
def test_invalid_territory_is_refused_whole(db, tmp_path: Path, rows, message):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"format": "socle-territory/1", "organisations": rows}))
    with pytest.raises(ServiceError, match=message):
        territory_load(actor=None, path=path)
    assert Organisation.objects.count() == 0


def test_territory_command_reports_a_missing_file_in_french(db):
    with pytest.raises(CommandError, match="introuvable"):
        call_command("territory", "load", "/nonexistent/territory.json")


def test_tests_run_on_their_own_data_directory(settings):
    assert "socle-test-" in str(settings.DATA_DIR)
