"""Every operation of /api/schema, called with real data, answers as the schema says.

A fixture builds a territory with cases, payments, GED documents, mail and archives;
each call's real body is validated against the JSON Schema the OpenAPI document
declares for its operation and status (and the status must be declared). The
test ends by checking that every operation of the schema was called with success.
"""

from __future__ import annotations

import io
import json
import re
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone
from ninja import NinjaAPI, Router, Schema

from socle.archives.fixity import archives_verify
from socle.core.api_schemas import schema_name_clashes
from socle.core.services import membership_grant, token_create
from socle.mail.services import contact_create, mail_type_create
from socle.mobility import ondemand, velotic
from socle.mobility.services import gtfs_import, gtfs_publish
from socle.portal import selectors as portal_selectors
from socle.portal.services import case_submit, procedure_create, procedure_publish
from tests.archives.conftest import arc, good_files, manifest_xml, offers, sip_zip  # noqa: F401
from tests.documents.conftest import reference  # noqa: F401
from tests.mobility.conftest import build_feed, locks  # noqa: F401

PDF = b"%PDF-1.4\n% contrat\n" + b"0" * 200
FIELDS = [
    {"name": "nom", "label": "Nom", "type": "text", "required": True, "max_length": 80},
    {"name": "motif", "label": "Motif", "type": "choice", "required": True,
     "choices": [{"value": "perte", "label": "Perte"}, {"value": "autre", "label": "Autre"}]},
    {"name": "precision", "label": "Précisez", "type": "text",
     "show_if": {"field": "motif", "equals": "autre"}},
    {"name": "adresse", "label": "Adresse", "type": "address"},
    {"name": "justificatif", "label": "Justificatif", "type": "file"},
    {"name": "enfants", "label": "Enfants", "type": "group", "max_rows": 3, "fields": [
        {"name": "prenom", "label": "Prénom", "type": "text", "required": True}]},
]
GOOD = {"nom": "Martin", "motif": "perte"}


class Contract:
    """Calls the API and checks each answer against the published schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document["components"]
        self.operations: dict[tuple[str, str], dict[str, Any]] = {}
        self.patterns: list[tuple[re.Pattern[str], str, str]] = []
        for path, item in document["paths"].items():
            for method, operation in item.items():
                self.operations[(method, path)] = operation
                regex = "^" + "/".join("[^/]+" if part.startswith("{") else re.escape(part)
                                       for part in path.split("/")) + "$"
                self.patterns.append((re.compile(regex), method, path))
        self.succeeded: set[tuple[str, str]] = set()
        self.statuses: set[tuple[str, str, int]] = set()

    def _operation(self, method: str, url: str) -> tuple[str, str]:
        path = url.split("?", 1)[0]
        # The most specific template first: /documents/search before /documents/{id}.
        matches = [(template.count("{"), template) for regex, m, template in self.patterns
                   if m == method and regex.match(path)]
        assert matches, f"{method.upper()} {path} is not in the schema"
        return method, min(matches)[1]

    def call(self, client: Client, method: str, url: str, expect: int, **kwargs: Any) -> Any:
        response = getattr(client, method)(url, **kwargs)
        key = self._operation(method, url)
        assert response.status_code == expect, (key, response.status_code, response.content[:500])
        responses = self.operation_responses(key)
        assert str(response.status_code) in responses, (
            f"{key} answered {response.status_code}, not declared: {sorted(responses)}")
        content = responses[str(response.status_code)].get("content")
        body = None
        if content is not None:
            assert response["Content-Type"].startswith("application/json"), key
            body = response.json()
            schema = {**content["application/json"]["schema"], "components": self.components}
            errors = sorted(jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.FormatChecker()).iter_errors(body), key=str)
            assert not errors, f"{key} {response.status_code}: {errors[0].message} at " \
                               f"{list(errors[0].absolute_path)}"
        if response.status_code < 300:
            self.succeeded.add(key)
        self.statuses.add((*key, response.status_code))
        return body if body is not None else response

    def operation_responses(self, key: tuple[str, str]) -> dict[str, Any]:
        return self.operations[key]["responses"]


def post_json(body: Any) -> dict[str, Any]:
    return {"data": json.dumps(body), "content_type": "application/json"}


def named(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.fixture
def world(territory, make_user, reference, arc):  # noqa: F811 - fixtures imported above
    """People of every module, a procedure with a fee, and the data their lists show."""
    compiegne = territory["compiegne"]
    people = {
        "citizen": make_user("camille@exemple.fr", commune=compiegne),
        "caseworker": make_user("instructeur@exemple.fr",
                                roles=[(compiegne, "portal.caseworker")]),
        "ged": make_user("ged@exemple.fr", roles=[(compiegne, "documents.editor")]),
        "reader": make_user("lecteur@exemple.fr", roles=[(compiegne, "documents.reader")]),
        "clerk": make_user("courrier@exemple.fr", roles=[(compiegne, "mail.clerk")]),
        "archivist": make_user("archiviste@exemple.fr", roles=[(arc, "archives.archivist")]),
        "nobody": make_user("personne@exemple.fr"),
    }
    membership_grant(actor=None, user=people["clerk"], organisation=compiegne,
                     role="portal.caseworker")
    editor = make_user("redacteur@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    for slug, values in [("carte", {}), ("abonnement", {"fee_kind": "fixed",
                                                        "fee_amount": Decimal("12.30")})]:
        procedure = procedure_create(actor=editor, organisation=compiegne, slug=slug,
                                     title=slug.capitalize(), fields=FIELDS, **values)
        procedure_publish(actor=editor, procedure=procedure)
    paying = case_submit(actor=people["citizen"], data=GOOD,
                         offered=portal_selectors.procedure_offered_get(slug="abonnement", commune=compiegne))
    assert paying.status == "awaiting_payment"
    contact = contact_create(actor=people["clerk"], organisation=compiegne, kind="person",
                             name="Jeanne Dupont", address="12 rue Solférino, 60200 Compiègne")
    mail_type_create(actor=people["clerk"], organisation=compiegne, name="Réclamation",
                     processing_days=30)
    return {"people": people, "paying": paying, "contact": contact, "arc": territory["arc"]}


def test_every_operation_answers_as_the_published_schema_says(
        client, api_client, world, locks, good_files):  # noqa: F811 - fixtures imported above
    document = client.get("/api/schema").json()
    api = Contract(document)
    people = world["people"]
    citizen, caseworker, ged, clerk, archivist = (api_client(people[name]) for name in (
        "citizen", "caseworker", "ged", "clerk", "archivist"))
    anonymous = Client()

    # ---- territory, identity, files
    first = api.call(anonymous, "get", "/api/v1/organisations?limit=5", 200)
    assert len(first["items"]) == 5 and first["next"]
    api.call(anonymous, "get", f"/api/v1/organisations?limit=5&cursor={first['next']}", 200)
    api.call(anonymous, "get", "/api/v1/organisations?cursor=pas-un-curseur", 400)
    api.call(anonymous, "get", "/api/v1/organisations?limit=0", 400)
    api.call(citizen, "get", "/api/v1/me", 200)
    api.call(anonymous, "get", "/api/v1/me", 401)
    blob = api.call(citizen, "post", "/api/v1/blobs", 201, data={"file": named(PDF, "a.pdf")})
    api.call(citizen, "post", "/api/v1/blobs", 400, data={"file": named(b"", "vide.pdf")})
    api.call(api_client(people["nobody"]), "post", "/api/v1/blobs", 403,
             data={"file": named(PDF, "a.pdf")})
    # A read-only token and a token of another module: the 403 every operation declares.
    _, read_only = token_create(actor=None, user=people["caseworker"], scope="read")
    _, mail_only = token_create(actor=None, user=people["caseworker"], scope="write:mail")
    refused = api.call(Client(headers={"Authorization": f"Bearer {read_only}"}), "post",
                       "/api/v1/cases/2026-000001/transitions", 403, **post_json({"to": "x"}))
    assert refused["code"] == "token_read_only"
    refused = api.call(Client(headers={"Authorization": f"Bearer {mail_only}"}), "get",
                       "/api/v1/cases", 403)
    assert refused["code"] == "token_scope"

    # ---- procedures and cases
    listed = api.call(anonymous, "get", "/api/v1/procedures?commune=compiegne", 200)
    assert {"carte", "abonnement"} <= {p["slug"] for p in listed["items"]}
    api.call(anonymous, "get", "/api/v1/procedures?commune=atlantide", 404)
    form = api.call(anonymous, "get", "/api/v1/procedures/carte?commune=compiegne", 200)
    assert all(field["value_schema"] and field["value_format"] for field in form["fields"])
    api.call(anonymous, "get", "/api/v1/procedures/inconnue", 404)
    answers = {**GOOD, "motif": "autre", "precision": "Vol à l'arraché",
               "adresse": {"street": "1 rue Solférino", "postal_code": "60200",
                           "city": "Compiègne"},
               "justificatif": {"upload": blob["upload"], "name": "justificatif.pdf"},
               "enfants": [{"prenom": "Léa"}]}
    for field in form["fields"]:  # what a client can check before sending
        if field["name"] in answers:
            jsonschema.validate(answers[field["name"]], field["value_schema"])
    created = api.call(citizen, "post", "/api/v1/procedures/carte/cases", 201,
                       headers={"Idempotency-Key": "cle-1"}, **post_json({"data": answers}))
    number = created["number"]
    api.call(citizen, "post", "/api/v1/procedures/carte/cases", 200,
             headers={"Idempotency-Key": "cle-1"}, **post_json({"data": answers}))
    api.call(citizen, "post", "/api/v1/procedures/abonnement/cases", 409,
             headers={"Idempotency-Key": "cle-1"}, **post_json({"data": GOOD}))
    invalid = api.call(citizen, "post", "/api/v1/procedures/carte/cases", 400,
                       **post_json({"data": {"nom": ""}}))
    assert {e["field"] for e in invalid["errors"]} >= {"nom", "motif"}
    api.call(citizen, "post", "/api/v1/procedures/carte/cases", 400,
             **post_json({"data": GOOD, "intrus": 1}))
    api.call(citizen, "post", "/api/v1/procedures/carte/cases", 400,
             data="{pas du json", content_type="application/json")
    api.call(caseworker, "post", "/api/v1/procedures/carte/cases", 403, **post_json({"data": GOOD}))
    api.call(anonymous, "post", "/api/v1/procedures/carte/cases", 401, **post_json({"data": GOOD}))
    api.call(citizen, "post", "/api/v1/procedures/inconnue/cases", 404, **post_json({"data": GOOD}))

    seen = api.call(citizen, "get", f"/api/v1/cases/{number}", 200)
    assert seen["documents"], "the acknowledgement is among the case's documents"
    api.call(caseworker, "get", f"/api/v1/cases/{number}", 200)
    api.call(caseworker, "get", "/api/v1/cases/2000-000000", 404)
    api.call(anonymous, "get", f"/api/v1/cases/{number}", 401)
    page = api.call(caseworker, "get", "/api/v1/cases?limit=1", 200)
    assert page["next"]
    api.call(caseworker, "get", f"/api/v1/cases?limit=1&cursor={page['next']}", 200)
    api.call(citizen, "get", "/api/v1/cases", 200)
    api.call(caseworker, "get", "/api/v1/cases?cursor=WyJ4IiwgMV0", 400)
    api.call(anonymous, "get", "/api/v1/cases", 401)

    transitions = f"/api/v1/cases/{number}/transitions"
    api.call(caseworker, "post", transitions, 409, **post_json({"to": "accepted"}))
    api.call(caseworker, "post", transitions, 400, **post_json({"vers": "accepted"}))
    api.call(caseworker, "post", transitions, 200, **post_json({"to": "in_instruction"}))
    api.call(caseworker, "post", transitions, 200,
             **post_json({"to": "info_requested", "comment": "Joignez un justificatif lisible."}))
    api.call(anonymous, "post", transitions, 401, **post_json({"to": "in_instruction"}))
    api.call(caseworker, "post", "/api/v1/cases/2000-000000/transitions", 404,
             **post_json({"to": "in_instruction"}))
    complete = f"/api/v1/cases/{number}/complete"
    # The file the case holds is sent back as the case shows it; the spent handle would not do.
    answers = {**answers, "justificatif": seen["data"]["justificatif"]}
    api.call(citizen, "post", complete, 400, **post_json({"data": {"nom": ""}}))
    api.call(citizen, "post", complete, 200, **post_json({"data": answers}))
    api.call(citizen, "post", complete, 409, **post_json({"data": answers}))
    api.call(anonymous, "post", complete, 401, **post_json({"data": answers}))
    api.call(citizen, "post", "/api/v1/cases/2000-000000/complete", 404,
             **post_json({"data": answers}))

    # ---- payments
    payments = f"/api/v1/cases/{world['paying'].number}/payments"
    payment = api.call(citizen, "post", payments, 201)
    api.call(citizen, "post", payments, 200)
    api.call(caseworker, "post", payments, 403)
    api.call(citizen, "post", f"/api/v1/cases/{number}/payments", 409)
    api.call(citizen, "post", "/api/v1/cases/2000-000000/payments", 404)
    api.call(anonymous, "post", payments, 401)
    api.call(citizen, "get", payments, 200)
    api.call(caseworker, "get", f"{payments}?limit=1", 200)
    api.call(citizen, "get", f"{payments}?cursor=x", 400)
    api.call(anonymous, "get", payments, 401)
    api.call(citizen, "get", "/api/v1/cases/2000-000000/payments", 404)
    api.call(citizen, "get", f"{payments}/{payment['id']}", 200)
    api.call(citizen, "get", f"{payments}/{payment['id'] + 1000}", 404)
    api.call(anonymous, "get", f"{payments}/{payment['id']}", 401)

    # ---- GED
    api.call(ged, "get", "/api/v1/file-plans?organisation=compiegne&limit=2", 200)
    api.call(ged, "get", "/api/v1/file-plans?organisation=atlantide", 404)
    api.call(ged, "get", "/api/v1/file-plans", 400)
    api.call(anonymous, "get", "/api/v1/file-plans?organisation=compiegne", 401)
    filed = api.call(ged, "post", "/api/v1/documents", 201, data={
        "file": named("Délibération du budget primitif.".encode(), "budget.txt"),
        "organisation": "compiegne", "node": "PAT-02", "title": "Délibération budget",
        "metadata": json.dumps({"seance": "2026-03-02"}), "tags": "budget,conseil"})
    api.call(ged, "post", "/api/v1/documents", 400, data={
        "file": named(b"x", "x.txt"), "organisation": "compiegne", "node": "PAT-02",
        "metadata": "{pas du json"})
    api.call(api_client(people["reader"]), "post", "/api/v1/documents", 403, data={
        "file": named(b"x", "x.txt"), "organisation": "compiegne", "node": "PAT-02"})
    api.call(ged, "post", "/api/v1/documents", 404, data={
        "file": named(b"x", "x.txt"), "organisation": "atlantide", "node": "PAT-02"})
    api.call(anonymous, "post", "/api/v1/documents", 401, data={"organisation": "compiegne"})
    api.call(ged, "get", "/api/v1/documents/search?q=budget&limit=1", 200)
    api.call(ged, "get", "/api/v1/documents/search?q=budget&cursor=x", 400)
    api.call(ged, "get", "/api/v1/documents/search", 400)
    api.call(anonymous, "get", "/api/v1/documents/search?q=budget", 401)
    api.call(ged, "get", "/api/v1/documents/retention?organisation=compiegne&on=2100-01-01", 200)
    api.call(ged, "get", "/api/v1/documents/retention?organisation=compiegne&on=demain", 400)
    api.call(ged, "get", "/api/v1/documents/retention?organisation=atlantide", 404)
    api.call(anonymous, "get", "/api/v1/documents/retention?organisation=compiegne", 401)
    api.call(ged, "get", f"/api/v1/documents/{filed['id']}", 200)
    api.call(ged, "get", f"/api/v1/documents/{filed['id'] + 1000}", 404)
    api.call(anonymous, "get", f"/api/v1/documents/{filed['id']}", 401)
    shares = f"/api/v1/documents/{filed['id']}/shares"
    api.call(ged, "post", shares, 201, **post_json({"organisation": "venette",
                                                     "reason": "Instruction commune"}))
    api.call(ged, "post", shares, 400, **post_json({"organisation": "compiegne"}))
    api.call(ged, "post", shares, 400, **post_json({"organisation": "atlantide"}))
    api.call(api_client(people["reader"]), "post", shares, 403,
             **post_json({"organisation": "venette"}))
    api.call(ged, "post", f"/api/v1/documents/{filed['id'] + 1000}/shares", 404,
             **post_json({"organisation": "venette"}))
    api.call(anonymous, "post", shares, 401, **post_json({"organisation": "venette"}))
    api.call(api_client(people["reader"]), "delete", f"{shares}/venette", 403)
    api.call(anonymous, "delete", f"{shares}/venette", 401)
    api.call(ged, "delete", f"{shares}/venette", 204)
    api.call(ged, "delete", f"{shares}/venette", 404)

    # ---- mail
    letter = api.call(clerk, "post", "/api/v1/mail", 201, **post_json({
        "organisation": "compiegne", "subject": "Demande de carte", "type": "Réclamation",
        "sender": {"name": "Paul Durand", "address": "3 rue de Paris, 60200 Compiègne"}}))
    api.call(clerk, "post", "/api/v1/mail", 201, **post_json({
        "organisation": "compiegne", "direction": "out", "subject": "Réponse",
        "recipient": world["contact"].pk}))
    api.call(clerk, "post", "/api/v1/mail", 400, **post_json({
        "organisation": "compiegne", "subject": "x", "type": "Inconnu",
        "sender": world["contact"].pk}))
    api.call(clerk, "post", "/api/v1/mail", 404, **post_json({
        "organisation": "venette", "subject": "x", "sender": world["contact"].pk}))
    api.call(citizen, "post", "/api/v1/mail", 403, **post_json({
        "organisation": "compiegne", "subject": "x", "sender": world["contact"].pk}))
    api.call(anonymous, "post", "/api/v1/mail", 401, **post_json({"organisation": "compiegne"}))
    mails = api.call(clerk, "get", "/api/v1/mail?limit=1", 200)
    api.call(clerk, "get", f"/api/v1/mail?limit=1&cursor={mails['next']}", 200)
    api.call(clerk, "get", "/api/v1/mail?status=inconnu", 400)
    api.call(citizen, "get", "/api/v1/mail", 403)
    api.call(anonymous, "get", "/api/v1/mail", 401)
    api.call(clerk, "get", f"/api/v1/mail/{letter['id']}", 200)
    api.call(clerk, "get", f"/api/v1/mail/{letter['id'] + 1000}", 404)
    api.call(anonymous, "get", f"/api/v1/mail/{letter['id']}", 401)
    to_case = f"/api/v1/mail/{letter['id']}/case"
    api.call(clerk, "post", to_case, 400, **post_json({"procedure": "carte", "data": {}}))
    api.call(clerk, "post", to_case, 201, **post_json({"procedure": "carte", "data": GOOD}))
    api.call(clerk, "post", to_case, 400, **post_json({"procedure": "carte", "data": GOOD}))
    api.call(citizen, "post", to_case, 403, **post_json({"procedure": "carte", "data": GOOD}))
    api.call(clerk, "post", f"/api/v1/mail/{letter['id'] + 1000}/case", 404,
             **post_json({"procedure": "carte", "data": GOOD}))
    api.call(anonymous, "post", to_case, 401, **post_json({"procedure": "carte", "data": GOOD}))

    # ---- archives
    package = sip_zip(manifest_xml(good_files), good_files)
    transfer = api.call(archivist, "post", "/api/v1/archives/transfers", 201,
                        data={"organisation": "arc", "package": named(package, "sip.zip")})
    broken = sip_zip(manifest_xml(good_files, digests={"Content/pv.txt": "0" * 128}), good_files)
    api.call(archivist, "post", "/api/v1/archives/transfers", 422,
             data={"organisation": "arc", "package": named(broken, "sip.zip")})
    api.call(archivist, "post", "/api/v1/archives/transfers", 400, data={"organisation": "arc"})
    api.call(archivist, "post", "/api/v1/archives/transfers", 404,
             data={"organisation": "atlantide", "package": named(package, "sip.zip")})
    api.call(anonymous, "post", "/api/v1/archives/transfers", 401, data={"organisation": "arc"})
    reply = transfer["reply_identifier"]
    api.call(archivist, "get", f"/api/v1/archives/transfers/{reply}", 200)
    api.call(archivist, "get", "/api/v1/archives/transfers/inconnu", 404)
    api.call(anonymous, "get", f"/api/v1/archives/transfers/{reply}", 401)
    api.call(archivist, "get", f"/api/v1/archives/transfers/{reply}/reply", 200)
    api.call(archivist, "get", "/api/v1/archives/transfers/inconnu/reply", 404)
    api.call(anonymous, "get", f"/api/v1/archives/transfers/{reply}/reply", 401)
    found = api.call(archivist, "get", "/api/v1/archives/packages?limit=1", 200)
    identifier = found["items"][0]["identifier"]
    api.call(archivist, "get", "/api/v1/archives/packages?date_from=hier", 400)
    api.call(anonymous, "get", "/api/v1/archives/packages", 401)
    api.call(archivist, "get", f"/api/v1/archives/packages/{identifier}", 200)
    api.call(archivist, "get", "/api/v1/archives/packages/inconnu", 404)
    api.call(anonymous, "get", f"/api/v1/archives/packages/{identifier}", 401)
    api.call(archivist, "get", f"/api/v1/archives/packages/{identifier}/dip", 200)
    api.call(archivist, "get", "/api/v1/archives/packages/inconnu/dip", 404)
    api.call(anonymous, "get", f"/api/v1/archives/packages/{identifier}/dip", 401)
    due = api.call(archivist, "get", "/api/v1/archives/eliminations", 200)
    assert identifier in [p["identifier"] for p in due["items"]]
    api.call(archivist, "get", "/api/v1/archives/eliminations?limit=500", 400)
    api.call(anonymous, "get", "/api/v1/archives/eliminations", 401)
    archives_verify(actor=None)
    audits = api.call(archivist, "get", "/api/v1/archives/audits?limit=1", 200)
    assert [a["ok"] for a in audits["items"]] == [True]
    api.call(archivist, "get", "/api/v1/archives/audits?cursor=x", 400)
    api.call(anonymous, "get", "/api/v1/archives/audits", 401)
    eliminate = f"/api/v1/archives/packages/{identifier}/eliminate"
    visa = {"visa_name": "Directeur des AD de l'Oise", "visa_date": "2026-03-02",
            "visa_reference": "VISA-2026-12"}
    api.call(archivist, "post", eliminate, 400, **post_json({"visa_name": "x"}))
    api.call(archivist, "post", eliminate, 422, **post_json({**visa, "visa_name": ""}))
    api.call(anonymous, "post", eliminate, 401, **post_json(visa))
    api.call(archivist, "post", eliminate, 201, **post_json(visa))
    api.call(archivist, "post", eliminate, 404, **post_json(visa))

    # ---- mobility
    api.call(anonymous, "get", "/api/v1/mobility/routes", 404)
    version = gtfs_import(actor=None, organisation=world["arc"], source=io.BytesIO(build_feed()),
                          filename="reseau.zip")
    gtfs_publish(actor=None, version=version)
    lines = api.call(anonymous, "get", "/api/v1/mobility/routes?limit=1", 200)
    assert lines["items"][0]["route_id"] == "r1"
    api.call(anonymous, "get", "/api/v1/mobility/routes?cursor=x", 400)
    stops = api.call(anonymous, "get", "/api/v1/mobility/stops?limit=2", 200)
    api.call(anonymous, "get", f"/api/v1/mobility/stops?limit=2&cursor={stops['next']}", 200)
    api.call(anonymous, "get", "/api/v1/mobility/stops?limit=0", 400)
    api.call(anonymous, "get", "/api/v1/mobility/stops/s1/departures", 200)
    api.call(anonymous, "get", "/api/v1/mobility/stops/inconnu/departures", 404)
    # ---- AlloTIC (on-demand transport) and travellers' alerts
    zone = ondemand.zone_create(actor=None, organisation=world["arc"], zone_id="nord",
                                name="Zone nord", stop_ids=["s1", "s2", "s3"])
    run = ondemand.run_create(actor=None, zone=zone, day=timezone.localdate() + timedelta(days=1),
                              window_start=time(10), window_end=time(12), vehicle="Minibus 1",
                              capacity=3)
    runs = api.call(anonymous, "get", "/api/v1/mobility/ondemand-runs?limit=5", 200)
    assert [r["id"] for r in runs["items"]] == [run.pk]
    api.call(anonymous, "get", "/api/v1/mobility/ondemand-runs?cursor=x", 400)
    trip = {"run": run.pk, "pickup_stop_id": "s1", "dropoff_stop_id": "s2"}
    booking = api.call(citizen, "post", "/api/v1/mobility/bookings", 201, **post_json(trip))
    api.call(citizen, "post", "/api/v1/mobility/bookings", 404,
             **post_json({**trip, "run": 999999}))
    api.call(anonymous, "post", "/api/v1/mobility/bookings", 401, **post_json(trip))
    mine = api.call(citizen, "get", "/api/v1/mobility/bookings", 200)
    assert [b["reference"] for b in mine["items"]] == [booking["reference"]]
    api.call(anonymous, "get", "/api/v1/mobility/bookings", 401)
    cancel = f"/api/v1/mobility/bookings/{booking['reference']}/cancel"
    api.call(citizen, "post", cancel, 200)
    api.call(citizen, "post", "/api/v1/mobility/bookings/INCONNUE/cancel", 404)
    alerts_url = "/api/v1/mobility/alert-subscriptions"
    api.call(anonymous, "post", alerts_url, 202, **post_json({"email": "voyageur@exemple.fr"}))
    api.call(anonymous, "post", alerts_url, 400, **post_json({"email": "pas une adresse"}))
    validations = "/api/v1/mobility/gtfs/validations"
    report = api.call(citizen, "post", validations, 200,
                      data={"file": named(build_feed({"agency.txt": None}), "reseau.zip")})
    assert report["valid"] is False
    api.call(citizen, "post", validations, 400, data={"file": named(b"nope", "reseau.zip")})
    api.call(citizen, "post", validations, 400, data={})
    api.call(anonymous, "post", validations, 401, data={})

    # ---- VéloTIC (the lock simulator answers as the locks would)
    gare = velotic.station_create(actor=None, organisation=world["arc"], station_id="gare", name="Gare",
                                  lat=49.42, lon=2.82, capacity=3)
    velotic.bike_create(actor=None, station=gare, number="001", kind="classic", lock_id="lock-1")
    velotic.subscription_create(actor=None, organisation=world["arc"], user=people["citizen"], plan="mois")
    api.call(anonymous, "get", "/api/v1/mobility/bike-stations?limit=1", 200)
    api.call(anonymous, "get", "/api/v1/mobility/bike-stations?cursor=x", 400)
    rentals = "/api/v1/mobility/rentals"
    api.call(anonymous, "post", rentals, 401, **post_json({"station": "gare", "bike": "001"}))
    api.call(caseworker, "post", rentals, 403, **post_json({"station": "gare", "bike": "001"}))
    api.call(citizen, "post", rentals, 400, **post_json({"station": "gare"}))
    api.call(citizen, "post", rentals, 404, **post_json({"station": "gare", "bike": "999"}))
    locks.simulator.offline.add("lock-1")
    api.call(citizen, "post", rentals, 503, **post_json({"station": "gare", "bike": "001"}))
    locks.simulator.offline.discard("lock-1")
    rental = api.call(citizen, "post", rentals, 201, **post_json({"station": "gare", "bike": "001"}))
    api.call(citizen, "get", f"{rentals}?limit=1", 200)
    api.call(citizen, "get", f"{rentals}?cursor=x", 400)
    api.call(anonymous, "get", rentals, 401)
    end = f"{rentals}/{rental['id']}/end"
    api.call(citizen, "post", end, 409)
    locks.simulator.handle("POST", "/locks/lock-1/dock", {"station": "gare"})
    api.call(anonymous, "post", end, 401)
    api.call(caseworker, "post", end, 404)
    api.call(citizen, "post", end, 200)

    # ---- GDPR register (privacy)
    from django.utils import timezone as privacy_tz

    from socle.privacy import services as privacy_services

    privacy_dpo = people["nobody"]
    membership_grant(actor=None, user=privacy_dpo, organisation=world["arc"], role="privacy.dpo")
    privacy_services.platform_sync(organisations=[world["arc"]])
    privacy_services.breach_create(actor=privacy_dpo, organisation=world["arc"], title="Clé perdue",
                                   description="Une clé USB perdue.", aware_at=privacy_tz.now(),
                                   confidentiality=True)
    privacy_services.request_create(actor=privacy_dpo, organisation=world["arc"], kind="access",
                                    requester_name="Camille Martin")
    dpo = api_client(privacy_dpo)
    for path in ("activities", "breaches", "requests"):
        api.call(dpo, "get", f"/api/v1/privacy/{path}?limit=1", 200)
        api.call(dpo, "get", f"/api/v1/privacy/{path}?cursor=x", 400)
        api.call(dpo, "get", f"/api/v1/privacy/{path}?organisation=inconnue", 404)
        api.call(caseworker, "get", f"/api/v1/privacy/{path}", 403)
        api.call(anonymous, "get", f"/api/v1/privacy/{path}", 401)

    # ---- IT helpdesk
    import os

    from socle.core.models import Organisation

    membership_grant(actor=None, user=people["caseworker"],
                     organisation=Organisation.objects.get(slug="compiegne"), role="helpdesk.requester")
    opened = api.call(caseworker, "post", "/api/v1/tickets", 201, **post_json({
        "title": "Imprimante en panne", "description": "Plus rien ne sort.", "category": "other"}))
    api.call(caseworker, "post", "/api/v1/tickets", 400, **post_json({"title": ""}))
    api.call(anonymous, "post", "/api/v1/tickets", 401, **post_json({"title": "x"}))
    api.call(caseworker, "get", "/api/v1/tickets?limit=1", 200)
    api.call(caseworker, "get", f"/api/v1/tickets/{opened['id']}", 200)
    api.call(caseworker, "get", "/api/v1/tickets/999999", 404)
    api.call(caseworker, "get", f"/api/v1/tickets/{opened['id']}/comments", 200)
    api.call(caseworker, "post", f"/api/v1/tickets/{opened['id']}/comments", 201,
             **post_json({"text": "Toujours en panne."}))
    os.environ["SOCLE_HELPDESK_INTAKE_SECRET"] = "s3cret"
    try:
        api.call(anonymous, "post", "/api/v1/helpdesk/inbound", 202,
                 data=b"From: inconnu@exemple.fr\r\nSubject: test\r\n\r\nbonjour\r\n",
                 content_type="message/rfc822", headers={"X-Socle-Intake-Secret": "s3cret"})
    finally:
        del os.environ["SOCLE_HELPDESK_INTAKE_SECRET"]

    # ---- open data: catalogue, validations, indicators
    from django.core.files.uploadedfile import SimpleUploadedFile

    from socle.opendata.services import dataset_create
    from tests.opendata.conftest import GOOD as SUBSIDY_ROW
    from tests.opendata.conftest import HEADER as SUBSIDY_HEADER

    steward = people["nobody"]
    membership_grant(actor=None, user=steward, organisation=world["arc"], role="opendata.steward")
    opened_set = dataset_create(actor=steward, organisation=world["arc"], slug="subventions",
                                title="Subventions de l'agglomération")
    api.call(anonymous, "get", "/api/v1/datasets?limit=1", 200)
    api.call(anonymous, "get", "/api/v1/datasets?cursor=x", 400)
    api.call(anonymous, "get", f"/api/v1/datasets/{opened_set.pk}", 200)
    api.call(anonymous, "get", "/api/v1/datasets/999999", 404)
    from tests.support.reference import REFERENCE_ROOT

    # The SCDL schemas come from ../shared/reference: a newcomer's clone has none, and the
    # validation is then checked by tests/opendata only where they exist (skipped, said why).
    schemas_present = (REFERENCE_ROOT / "scdl").is_dir()
    if schemas_present:
        table = SimpleUploadedFile("s.csv", f"{SUBSIDY_HEADER}\n{SUBSIDY_ROW}\n".encode(),
                                   content_type="text/csv")
        api.call(anonymous, "post", "/api/v1/validations", 200,
                 data={"file": table, "schema": "scdl/subventions"})
    api.call(anonymous, "post", "/api/v1/validations", 400, data={"schema": "scdl/subventions"})
    api.call(caseworker, "get", "/api/v1/indicators/portal.cases_filed?period=2026-01", 200)
    api.call(caseworker, "get", "/api/v1/indicators/portal.cases_filed?period=janvier", 400)
    api.call(caseworker, "get", "/api/v1/indicators/inconnu", 404)
    api.call(anonymous, "get", "/api/v1/indicators/portal.cases_filed", 401)

    # A module may own the calls of its operations in its own contract test (same Contract
    # checker, every operation called with success there): listed here with that test.
    from tests.agendas.test_api import test_every_operation_of_the_module_is_called_with_success_here
    from tests.inventory.test_api_schema import (
        test_every_inventory_operation_answers_as_the_published_schema_says as inventory_owned,
    )
    from tests.security import test_api_contract as security_contract
    from tests.training import test_api_contract as training_contract
    module_owned = {"/api/v1/agendas", "/api/v1/bookings", "/api/v1/events", "/api/v1/mediation/",
                    "/api/v1/security/", "/api/v1/training/", "/api/v1/inventory/"}
    assert callable(test_every_operation_of_the_module_is_called_with_success_here)
    assert callable(inventory_owned)
    for owner in (security_contract, training_contract):
        assert callable(owner.test_every_operation_of_the_module_is_called_with_success_here)
    without_reference = set() if schemas_present else {("post", "/api/v1/validations")}
    never_called = sorted(key for key in set(api.operations) - api.succeeded - without_reference
                          if not key[1].startswith(tuple(module_owned)))
    assert never_called == [], f"operations never called with success: {never_called}"


def test_two_schemas_of_one_name_stop_the_api_from_starting():
    def router_with(name: str, value_type: type) -> Router:
        router = Router()
        model = type(name, (Schema,), {"__annotations__": {"value": value_type}})
        inner = type("Holder", (Schema,), {"__annotations__": {"item": model}})

        @router.get(f"/{name.lower()}-{value_type.__name__}", response=inner)
        def view(request: Any) -> Any:
            return None

        return router

    api = NinjaAPI(urls_namespace="clash-test")
    api.add_router("/a", router_with("DocumentOut", int))
    api.add_router("/b", router_with("DocumentOut", str))
    clashes = schema_name_clashes(api)
    assert sorted(clashes) == ["DocumentOut", "Holder"]


def test_the_platforms_api_has_no_two_schemas_of_one_name():
    from socle.api import api

    assert schema_name_clashes(api) == {}


def test_every_operation_declares_the_errors_it_can_return(client, db):
    """400 wherever a parameter or a body is read, 401 and 403 wherever a caller must sign in
    (a read-only or module-scoped token is refused with 403 on any of them)."""
    document = client.get("/api/schema").json()
    missing = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = set(operation["responses"])
            reads = any(p["in"] == "query" for p in operation.get("parameters", [])) or (
                "requestBody" in operation)
            if reads and "400" not in responses:
                missing.append(f"{method.upper()} {path}: 400")
            if operation.get("security") and "401" not in responses:
                missing.append(f"{method.upper()} {path}: 401")
            if operation.get("security") and "403" not in responses:
                missing.append(f"{method.upper()} {path}: 403")
            for status, response in operation["responses"].items():
                if status.startswith("4") and "content" not in response:
                    missing.append(f"{method.upper()} {path}: {status} without a body schema")
    assert missing == []
