"""A reference to another app's object is its primary key, in ``<app>_<model>_id``, with no
database key between domain apps (decision 0017). This test reads every model field of
every domain app and fails on any other way of pointing at another app's object."""

from __future__ import annotations

import re

from django.apps import apps
from django.db import models

# Copies of another app's display value kept for the record, never used to find the object.
RECORDS = {
    "portal.Case.mail_reference": "the letter's chrono as printed on the acknowledgement of "
                                  "receipt; the link itself is Mail.portal_case_id",
    # Not a reference: the GDPR register's own text (art. 30-1-g), whose name only happens
    # to start with the security app's label.
    "privacy.Activity.security_measures": "a text of privacy's own, not a reference",
    # A flag: a recurring question is a training need (helpdesk's own), not a reference.
    "helpdesk.Article.training_need": "a flag of helpdesk's own, not a reference",
}


def domain_apps() -> dict[str, set[str]]:
    """Each domain app's label and the names a reference to one of its models may use."""
    found = {}
    for config in apps.get_app_configs():
        if config.name.startswith("socle.") and config.label != "core":
            names = set()
            for model in config.get_models():
                names |= {model._meta.model_name,
                          re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()}
            found[config.label] = names
    return found


def _target_app(field: models.Field) -> str:
    target = field.remote_field.model
    if isinstance(target, str):
        return target.split(".")[0] if "." in target else ""
    return target._meta.app_label


def field_problems(app: str, field: models.Field, domain: dict[str, set[str]]) -> list[str]:
    """Return why this field of a model of ``app`` refers to another app's object wrongly."""
    others = {label: names for label, names in domain.items() if label != app}
    if field.is_relation:
        target = _target_app(field)
        return ([f"a database relation to {target}: keep {target}_<model>_id instead"]
                if target in others else [])
    name = field.name
    problems = []
    for label, names in others.items():
        if name.startswith(f"{label}_"):
            rest = name[len(label) + 1:]
            if not (rest.endswith("_id") and rest[:-3] in names):
                problems.append(f"names {label} but is not {label}_<model>_id")
            elif not isinstance(field, models.BigIntegerField):
                problems.append("a reference is a big integer, the target's primary key")
        if name.endswith("_id") and name[:-3] in names and not name.startswith(f"{label}_"):
            problems.append(f"reads like a key of its own app: name it {label}_{name}")
    if name.endswith("_ref"):
        problems.append("a reference is the target's primary key, in <app>_<model>_id")
    return problems


def test_no_model_refers_to_another_apps_object_but_by_its_id():
    domain = domain_apps()
    assert {"mail", "portal", "documents", "archives"} <= set(domain)
    found = {}
    for app in domain:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields(include_hidden=True):
                if field.auto_created and not field.concrete:
                    continue  # the reverse side of a relation, checked on its model
                where = f"{model._meta.label}.{field.name}"
                problems = field_problems(app, field, domain)
                if problems and where not in RECORDS:
                    found[where] = problems
    assert found == {}


def test_the_records_are_still_there():
    # An exception that no longer matches anything must go.
    for where in RECORDS:
        app, model, field = where.split(".")
        assert apps.get_model(app, model)._meta.get_field(field)


def _field(field: models.Field, name: str) -> models.Field:
    field.set_attributes_from_name(name)
    return field


def test_the_detector_finds_each_wrong_way_and_accepts_the_convention():
    domain = {"mail": {"mail", "mail_piece", "mailpiece"}, "portal": {"case", "casedocument"},
              "documents": {"document"}}
    wrong = {
        "fk": _field(models.ForeignKey("documents.Document", on_delete=models.CASCADE), "document"),
        "m2m": _field(models.ManyToManyField("documents.Document"), "documents"),
        "number": _field(models.CharField(max_length=20), "portal_case_number"),
        "string id": _field(models.CharField(max_length=40), "documents_document_id"),
        "bare id": _field(models.IntegerField(null=True), "document_id"),
        "small id": _field(models.IntegerField(null=True), "portal_case_id"),
        "ref": _field(models.CharField(max_length=40), "document_ref"),
    }
    for kind, field in wrong.items():
        assert field_problems("mail", field, domain), kind
    right = [
        _field(models.BigIntegerField(null=True), "portal_case_id"),
        _field(models.BigIntegerField(null=True), "documents_document_id"),
        _field(models.ForeignKey("core.Organisation", on_delete=models.PROTECT), "organisation"),
        _field(models.ForeignKey("mail.Mail", on_delete=models.PROTECT), "reply_to"),
        _field(models.CharField(max_length=20), "chrono"),
    ]
    assert [field_problems("mail", field, domain) for field in right] == [[]] * len(right)
