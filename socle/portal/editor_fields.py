"""The procedure editor's field tree: the list a page edits, finding a field, its rows."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.urls import reverse

from socle.core.models import Organisation, User

from . import services
from .form_schema import FIELD_TYPES
from .models import Adoption, Procedure

# ------------------------------------------------------------- the fields being edited


@dataclass
class Target:
    """The list of fields a page edits: a procedure's draft, or a commune's extra fields."""

    procedure: Procedure
    commune: Organisation | None = None
    adoption: Adoption | None = None

    @property
    def fields(self) -> list[dict[str, Any]]:
        if self.commune is not None:
            return copy.deepcopy(list((self.adoption.overrides if self.adoption else {})
                                      .get("extra_fields", [])))
        return copy.deepcopy(list(services.procedure_draft(self.procedure).fields))

    @property
    def preceding(self) -> list[dict[str, Any]]:
        """Return the fields placed before the edited list (the template's, for a commune)."""
        if self.commune is None or self.procedure.published_revision is None:
            return []
        return list(self.procedure.published_revision.fields)

    def save(self, actor: User, fields: list[dict[str, Any]]) -> None:
        if self.commune is None:
            services.procedure_update(actor=actor, procedure=self.procedure, fields=fields)
            return
        assert self.adoption is not None
        overrides = {key: value for key, value in self.adoption.overrides.items()
                     if key != "extra_fields"}
        if fields:
            overrides["extra_fields"] = fields
        self.adoption = services.adoption_set(actor=actor, template=self.procedure,
                                              organisation=self.commune,
                                              offered=self.adoption.offered, overrides=overrides)

    def url(self, name: str, field_path: str | None = None) -> str:
        kwargs: dict[str, str] = {"slug": self.procedure.slug}
        if self.commune is not None:
            kwargs["commune"] = self.commune.slug
            name = name.replace("editor_", "editor_adoption_", 1)
        if field_path is not None:
            kwargs["path"] = field_path
        return reverse(f"portal:{name}", kwargs=kwargs)

    @property
    def page_url(self) -> str:
        if self.commune is not None:
            return reverse("portal:editor_adopt", kwargs={"slug": self.procedure.slug,
                                                         "commune": self.commune.slug})
        return reverse("portal:editor_procedure", kwargs={"slug": self.procedure.slug})


def field_locate(fields: list[dict[str, Any]], field_path: str) -> tuple[list[dict[str, Any]], int]:
    """Return the list holding the field at ``name`` or ``group.name``, and its index."""
    names = field_path.split(".")
    if len(names) > 2:
        raise Http404("Champ introuvable.")
    siblings = fields
    for depth, name in enumerate(names):
        index = next((i for i, f in enumerate(siblings)
                      if isinstance(f, dict) and f.get("name") == name), None)
        if index is None:
            raise Http404("Champ introuvable.")
        if depth == len(names) - 1:
            return siblings, index
        parent = siblings[index]
        if parent.get("type") != "group" or not isinstance(parent.get("fields"), list):
            raise Http404("Champ introuvable.")
        siblings = parent["fields"]
    raise Http404("Champ introuvable.")


def field_type_label(kind: Any) -> str:
    return FIELD_TYPES.get(str(kind), str(kind))


def field_rows(target: Target, fields: list[dict[str, Any]], parent: str = "") -> list[dict[str, Any]]:
    rows = []
    for index, f in enumerate(fields):
        field_path = f"{parent}{f.get('name')}"
        show_if = f.get("show_if") or {}
        condition = ""
        if show_if:
            expected = show_if.get("equals", show_if.get("in"))
            if expected is True:
                expected = "oui"
            elif expected is False:
                expected = "non"
            elif isinstance(expected, list):
                expected = " ou ".join(str(e) for e in expected)
            condition = f"si « {show_if.get('field')} » = {expected}"
        rows.append({
            "definition": f, "path": field_path, "type_label": field_type_label(f.get("type")),
            "condition": condition, "first": index == 0, "last": index == len(fields) - 1,
            "edit_url": target.url("editor_field", field_path),
            "delete_url": target.url("editor_field_delete", field_path),
            "move_url": target.url("editor_field_move", field_path),
            "subfields": [{"label": s.get("label"), "name": s.get("name"),
                           "type_label": field_type_label(s.get("type"))}
                          for s in f.get("fields") or [] if isinstance(s, dict)],
        })
    return rows


def address_fields(fields: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(f.get("name")), f"{f.get('label')} ({f.get('name')})") for f in fields
            if isinstance(f, dict) and f.get("type") in {"address", "commune"}]


