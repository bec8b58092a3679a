"""The mediation places directory is valid against the national standard (LaMednum's schema,
read from ../shared/reference), and the activity records export in La Coop's fields."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema
import pytest
from django.test import Client

from socle.agendas import services
from socle.agendas.mediation import PLACE_COLUMNS
from socle.core.errors import ServiceError
from tests.support.reference import reference_path

SCHEMA = "mediation/standard-mediation-num.schema.json"


def _table_schema() -> dict:
    return json.loads(reference_path(SCHEMA).read_text(encoding="utf-8"))


def _row_json_schema(table: dict) -> dict:
    """The Table Schema's constraints on one CSV row, as a JSON Schema (every cell is text)."""
    properties, required = {}, []
    for field in table["fields"]:
        constraints = field.get("constraints", {})
        cell: dict = {"type": "string"}
        patterns = []
        if "pattern" in constraints:
            # Table Schema patterns match the whole cell; JSON Schema's match anywhere.
            patterns.append("^(?:" + constraints["pattern"].lstrip("^").rstrip("$") + ")$")
        if field["type"] == "number":
            patterns.append(r"^-?\d+(\.\d+)?$")
        if field["type"] == "date":
            patterns.append(r"^\d{4}-\d{2}-\d{2}$")
        if "maxLength" in constraints:
            cell["maxLength"] = constraints["maxLength"]
        if constraints.get("required"):
            required.append(field["name"])
            cell["minLength"] = 1
            if patterns:
                cell["allOf"] = [{"pattern": p} for p in patterns]
        elif patterns:
            cell["anyOf"] = [{"const": ""}, {"allOf": [{"pattern": p} for p in patterns]}]
        properties[field["name"]] = cell
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


@pytest.fixture
def places(territory):
    arc = territory["arc"]
    common = {
        "siret": "20004055400019",
        "phone": "+33344405000",
        "hours": "Mo-Fr 09:00-12:00,14:00-17:00",
        "services": ["Aide aux démarches administratives", "Loisirs et créations numériques"],
        "programmes": ["Conseillers numériques", "Aidants Connect"],
        "access": ["Se présenter"],
        "support": ["Dans un atelier collectif"],
    }
    return [
        services.mediation_place_create(
            actor=None,
            organisation=arc,
            name="Cyber-base itinérante",
            roving=True,
            address="Place de l'Hôtel de Ville",
            postal_code="60200",
            city="Compiègne",
            insee_code="60159",
            latitude=49.417,
            longitude=2.826,
            **common,
        ),
        services.mediation_place_create(
            actor=None,
            organisation=arc,
            name="Médiathèque de Choisy-au-Bac",
            address="Place de l'Église",
            postal_code="60750",
            city="Choisy-au-Bac",
            summary="Postes en accès libre, ateliers le mercredi.",
            **common,
        ),
    ]


def test_the_places_directory_is_valid_against_the_national_schema(places):
    table = _table_schema()
    assert list(PLACE_COLUMNS) == [f["name"] for f in table["fields"]]
    body = Client().get("/mediation-numerique/lieux.csv").content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    validator = jsonschema.Draft202012Validator(_row_json_schema(table))
    for row in rows:
        errors = sorted(validator.iter_errors(row), key=str)
        assert errors == [], errors[0].message if errors else ""
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids)  # the standard's "unique" id


def test_the_places_directory_passes_the_frictionless_validator(places):
    frictionless = pytest.importorskip("frictionless")
    table = _table_schema()
    body = Client().get("/mediation-numerique/lieux.csv").content
    resource = frictionless.Resource(
        data=body, format="csv", schema=frictionless.Schema.from_descriptor({"fields": table["fields"]})
    )
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])


def test_the_schema_check_catches_a_broken_row(places):
    validator = jsonschema.Draft202012Validator(_row_json_schema(_table_schema()))
    row = dict.fromkeys(PLACE_COLUMNS, "")
    row.update(
        id="x",
        pivot="123",
        nom="Lieu",
        commune="Jaux",
        code_postal="6088",
        adresse="Rue",
        date_maj="hier",
        services="Cours de cuisine",
    )
    failing = {error.path[0] for error in validator.iter_errors(row)}
    assert failing == {"pivot", "code_postal", "date_maj", "services"}


def test_a_place_outside_the_standard_is_refused_in_french(territory):
    with pytest.raises(ServiceError) as caught:
        services.mediation_place_create(
            actor=None,
            organisation=territory["arc"],
            name="Lieu",
            siret="12",
            address="Rue",
            postal_code="600",
            city="Jaux",
            phone="03 44 00 00 00",
            services=["Cours de cuisine"],
        )
    assert set(caught.value.errors) == {"siret", "postal_code", "phone", "services"}
    assert "standard national" in caught.value.message


def test_the_activity_export_follows_the_records_and_names_no_one(workshop, mediator, make_user):
    person = make_user("gerard@exemple.fr")
    booking = services.registration_create(actor=person, event=workshop)
    services.attendance_record(
        actor=mediator,
        event=workshop,
        present=[booking.pk],
        walk_ins=1,
        themes=["securite_numerique"],
        beneficiaries=[{"age_band": "plus_70", "status": "retraite", "commune": "60665"}],
    )
    services.activity_record_create(
        actor=mediator,
        organisation=workshop.agenda.organisation,
        when=workshop.start.date(),
        duration_minutes=45,
        themes=["demarche_en_ligne"],
        autonomy="partiellement_autonome",
        place_type="lieu_activite",
        referral="France Services",
        beneficiary={"age_band": "40_60", "status": "sans_emploi"},
    )
    from tests.support.clients import signed_in

    rows = signed_in(mediator).get("/agent/mediation/activites.json").json()
    assert {r["type"] for r in rows} == {"collectif", "individuel"}
    collective = next(r for r in rows if r["type"] == "collectif")
    assert collective["participants"] == 2 and collective["duree_minutes"] == 120
    assert collective["niveau_atelier"] == "beginner" and collective["commune"] == "Venette"
    assert collective["beneficiaires"][0] == {"age_band": "plus_70", "status": "retraite", "commune": "60665"}
    assert not re.search(r"gerard|exemple\.fr", json.dumps(rows))
    with pytest.raises(ServiceError):
        services.activity_record_create(
            actor=mediator,
            organisation=workshop.agenda.organisation,
            when=workshop.start.date(),
            duration_minutes=45,
            themes=[],
            autonomy="autonome",
        )
