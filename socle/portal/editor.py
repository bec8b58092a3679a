"""The procedure editor: agents with the editor role write procedures, without code.

Pages work without JavaScript: each change to a form (add, edit, delete, move a
field) is one small POST that saves the draft revision through the services,
which check the role and journal the change. A published revision is frozen:
the first change after publishing opens the next draft, and filed cases keep
the revision they were filed under. The same field pages edit the extra fields
a commune adds to an intercommunal template it adopted.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socle.core.access import get_or_404
from socle.core.blobs import DEFAULT_ALLOWED_TYPES
from socle.core.models import Organisation, OrganisationKind, User
from socle.core.page_guards import role_required
from socle.core.services import ServiceError
from socle.core.upload_handlers import (
    CappedUploadHandler,
    UploadRefused,
    accepts_uploads,
    upload_refused_response,
)

from . import selectors, services
from .form_schema import FIELD_TYPES, MAX_GROUP_ROWS
from .models import Adoption, FeeKind, Procedure, Routing, SilenceMeans

ViewFunc = Callable[..., HttpResponseBase]
MB = 1024 * 1024

# An export is a few dozen kilobytes; anything far larger is not one.
IMPORT_MAX_SIZE = 512 * 1024
IMPORT_MAX_DEPTH = 20
IMPORT_MAX_NODES = 50_000
RESERVED_SLUGS = {"nouvelle", "importer"}
# The "add a field" form shares its page with another form: its own ids and names.
ADD_PREFIX = "nouveau"

_FILE_TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "Image JPEG",
    "image/png": "Image PNG",
    "image/webp": "Image WebP",
    "application/vnd.oasis.opendocument.text": "Texte OpenDocument (ODT)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Texte Word (DOCX)",
    "application/vnd.oasis.opendocument.spreadsheet": "Tableur OpenDocument (ODS)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Tableur Excel (XLSX)",
    "text/csv": "Tableau CSV",
    "text/plain": "Texte brut",
}
# Only what the blob store accepts can be offered: anything else could never be uploaded.
FILE_TYPE_LABELS = {mime: _FILE_TYPE_NAMES.get(mime, mime)
                    for mime in sorted(DEFAULT_ALLOWED_TYPES,
                                       key=lambda m: (m not in _FILE_TYPE_NAMES, m))}
# The checks whose message the author's "invalid" message replaces, per field type.
INVALID_KEYS = {
    "text": ["invalid", "pattern"], "textarea": ["invalid"], "email": ["email"],
    "phone": ["phone"], "number": ["number"], "date": ["date"], "choice": ["choice"],
    "multichoice": ["choice"], "yesno": ["yesno"], "address": ["address", "postal_code"],
    "commune": ["commune"], "siret": ["siret"], "file": ["file", "type", "size"],
    "group": ["invalid"],
}
GROUP_PLACEHOLDER = {"name": "element", "label": "Élément", "type": "text", "required": False}


# Only agents holding the editor role somewhere.
editor_required = role_required(
    selectors.EDIT_PROCEDURE, title="Espace réservé aux rédacteurs",
    message="Seuls les agents qui ont le rôle de rédacteur des démarches créent et modifient "
            "les démarches. Adressez-vous à la DCSI si vous pensez devoir y accéder.")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# ------------------------------------------------------------------------- forms

_SLUG_MESSAGE = "L'identifiant ne contient que des minuscules sans accent, des chiffres et des tirets."


class SettingsForm(forms.Form):
    """A procedure's settings, applied at once (the form itself is versioned)."""

    title = forms.CharField(label="Titre", max_length=200,
                            error_messages={"required": "Indiquez le titre de la démarche."})
    summary = forms.CharField(label="Présentation", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="Ce que la démarche permet, pour qui, ce qu'elle coûte.")
    category = forms.CharField(label="Catégorie", required=False, max_length=80,
                               help_text="Exemple : État civil, Déchets, Voirie et espace public.")
    requires_account = forms.BooleanField(label="Un compte est nécessaire pour déposer la demande",
                                          required=False)
    requires_franceconnect = forms.BooleanField(
        label="L'identité doit être vérifiée par FranceConnect", required=False)
    fee_kind = forms.ChoiceField(label="Tarif", choices=FeeKind.choices)
    fee_amount = forms.DecimalField(
        label="Montant (€)", required=False, min_value=Decimal("0"), max_digits=10,
        decimal_places=2, localize=True, help_text="Pour un tarif fixe. Exemple : 30,00",
        error_messages={"invalid": "Indiquez un montant en euros, par exemple 30,00."})
    regie = forms.CharField(label="Régie de recettes", required=False, max_length=40,
                            help_text="Identifiant de la régie qui encaisse les paiements.")
    implicit_decision_days = forms.IntegerField(
        label="Délai de décision implicite (jours)", min_value=1, max_value=3650,
        help_text="Passé ce délai sans réponse, le silence de l'administration vaut décision.")
    silence_means = forms.ChoiceField(label="Sens du silence", choices=SilenceMeans.choices)
    routing = forms.ChoiceField(label="Organisation qui reçoit les dossiers",
                                choices=Routing.choices)
    routing_field = forms.ChoiceField(
        label="Champ d'adresse qui désigne la commune", required=False, choices=[],
        help_text="Seulement si les dossiers vont à la commune d'une adresse du formulaire.")
    service_name = forms.CharField(
        label="Service instructeur", required=False, max_length=200,
        help_text="Nommé dans l'accusé de réception. Exemple : Service état civil, mairie de "
                  "Compiègne.")
    service_contact = forms.CharField(label="Contact du service", required=False, max_length=300)
    group_slug = forms.RegexField(
        label="Équipe d'instruction (identifiant)", required=False, max_length=60,
        regex=r"^[a-z0-9-]*$", error_messages={"invalid": _SLUG_MESSAGE},
        help_text="Exemple : etat-civil. L'équipe de ce nom, dans l'organisation qui reçoit le "
                  "dossier, en est chargée.")
    file_plan_node = forms.CharField(
        label="Nœud du plan de classement (GED)", required=False, max_length=40,
        help_text="Code du nœud, par exemple ADM-COUR : les pièces jointes et les décisions des "
                  "dossiers y sont classées automatiquement. Laissez vide pour ne pas les classer.")
    is_template = forms.BooleanField(
        label="Modèle que les communes adoptent et adaptent", required=False,
        help_text="Réservé à l'intercommunalité.")

    def __init__(self, *args: Any, address_fields: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["routing_field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + (address_fields or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("routing") == Routing.ADDRESS_FIELD and not data.get("routing_field"):
            self.add_error("routing_field", "Choisissez le champ d'adresse (ajoutez d'abord un "
                                            "champ « Adresse postale » ou « Commune »).")
        if data.get("fee_kind") == FeeKind.FIXED and not data.get("fee_amount") \
                and "fee_amount" not in self.errors:
            self.add_error("fee_amount", "Un tarif fixe demande un montant positif.")
        return data

    def values(self) -> dict[str, Any]:
        """Return the settings as the services take them."""
        data = dict(self.cleaned_data)
        data["fee_amount"] = data.get("fee_amount") or Decimal("0.00")
        if data.get("routing") != Routing.ADDRESS_FIELD:
            data["routing_field"] = ""
        return {key: data[key] for key in services.PROCEDURE_SETTINGS if key in data}


class CreateForm(SettingsForm):
    organisation = forms.ModelChoiceField(
        label="Organisation qui publie la démarche", queryset=Organisation.objects.none(),
        to_field_name="slug", empty_label=None)
    slug = forms.RegexField(
        label="Identifiant dans l'adresse de la page", max_length=100,
        regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        help_text="Exemple : carte-stationnement-resident",
        error_messages={"invalid": _SLUG_MESSAGE, "required": "Choisissez un identifiant."})
    field_order = ["organisation", "slug", "title"]

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        self.order_fields(self.field_order)

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"])
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError("Cet identifiant est réservé : choisissez-en un autre.")
        return slug


class ImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Organisation qui publiera la démarche", queryset=Organisation.objects.none(),
        to_field_name="slug", empty_label=None)
    document = forms.FileField(
        label="Fichier d'export (JSON)",
        help_text=f"Le fichier « .json » exporté depuis une autre plateforme, "
                  f"{IMPORT_MAX_SIZE // 1024} ko au plus.",
        error_messages={"required": "Choisissez le fichier à importer."})
    slug = forms.RegexField(
        label="Nouvel identifiant (facultatif)", required=False, max_length=100,
        regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error_messages={"invalid": _SLUG_MESSAGE},
        help_text="Laissez vide pour garder l'identifiant du fichier.")

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations


def _choices_text(choices: list[Any]) -> str:
    lines = []
    for choice in choices:
        if isinstance(choice, dict):
            lines.append(f"{choice.get('value')}|{choice.get('label', choice.get('value'))}")
        else:
            lines.append(str(choice))
    return "\n".join(lines)


def _choices_parse(text: str) -> list[dict[str, str]]:
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("|")
        if sep:
            value, label = value.strip(), label.strip()
        else:
            label = line
            value = slugify(line).replace("-", "_") or line
        if not value or not label:
            raise forms.ValidationError(f"La ligne « {line} » doit avoir une valeur et un libellé.")
        parsed.append({"value": value, "label": label})
    return parsed


def _bound(text: str, kind: str) -> int | float | str:
    # Bounds are stored as JSON numbers for numbers and as AAAA-MM-JJ for dates.
    if kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise forms.ValidationError("Pour une date, écrivez AAAA-MM-JJ (exemple : 2026-09-01).")
        return text
    try:
        number = Decimal(text.replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        raise forms.ValidationError("Indiquez un nombre (exemple : 0 ou 2,5).") from None
    if not number.is_finite():
        raise forms.ValidationError("Indiquez un nombre (exemple : 0 ou 2,5).")
    return int(number) if number == number.to_integral_value() else float(number)


class FieldForm(forms.Form):
    """One field of a procedure's form, as its author describes it."""

    type = forms.ChoiceField(label="Type de champ", choices=list(FIELD_TYPES.items()))
    label = forms.CharField(label="Libellé (la question posée)", max_length=300,
                            error_messages={"required": "Indiquez le libellé du champ."})
    name = forms.RegexField(
        label="Nom technique", max_length=60, regex=r"^[a-z][a-z0-9_]*$",
        help_text="Minuscules sans accent, chiffres et « _ », en commençant par une lettre. "
                  "Exemple : date_naissance. Il désigne la réponse dans les exports.",
        error_messages={"invalid": "Le nom technique commence par une lettre minuscule et ne "
                                   "contient que des minuscules sans accent, des chiffres et « _ ».",
                        "required": "Indiquez le nom technique du champ."})
    required = forms.BooleanField(label="Réponse obligatoire", required=False)
    help = forms.CharField(label="Aide affichée sous le libellé", required=False,
                           max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    choices = forms.CharField(
        label="Réponses proposées (choix unique ou multiple)", required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Une réponse par ligne : « valeur|Libellé », ou seulement « Libellé ».")
    min = forms.CharField(label="Minimum (nombre ou date AAAA-MM-JJ)", required=False,
                          max_length=30)
    max = forms.CharField(label="Maximum (nombre ou date AAAA-MM-JJ)", required=False,
                          max_length=30)
    integer = forms.BooleanField(label="Nombre entier uniquement", required=False)
    max_length = forms.IntegerField(label="Longueur maximale (caractères)", required=False,
                                    min_value=1, max_value=100_000)
    pattern = forms.CharField(
        label="Format attendu (expression régulière)", required=False, max_length=300,
        help_text=r"Pour un texte court. Exemple : W\d{9} pour un numéro RNA.")
    file_types = forms.MultipleChoiceField(
        label="Types de fichier acceptés", required=False,
        choices=list(FILE_TYPE_LABELS.items()), widget=forms.CheckboxSelectMultiple,
        help_text="Sans choix : PDF, JPEG et PNG.")
    max_size = forms.IntegerField(label="Taille maximale du fichier (Mo)", required=False,
                                  min_value=1, max_value=100)
    min_rows = forms.IntegerField(label="Nombre minimal de lignes (groupe)", required=False,
                                  min_value=0, max_value=MAX_GROUP_ROWS)
    max_rows = forms.IntegerField(label="Nombre maximal de lignes (groupe)", required=False,
                                  min_value=1, max_value=MAX_GROUP_ROWS)
    show_if_field = forms.ChoiceField(label="Afficher seulement si le champ", required=False,
                                      choices=[])
    show_if_value = forms.CharField(
        label="… a pour réponse", required=False, max_length=200,
        help_text="Pour un oui / non, écrivez « oui » ou « non » ; pour un choix, la valeur "
                  "de la réponse.")
    message_required = forms.CharField(
        label="Message si la réponse manque", required=False, max_length=300,
        help_text="Laissez vide pour le message habituel : « Ce champ est obligatoire. »")
    message_invalid = forms.CharField(
        label="Message si la réponse n'est pas valable", required=False, max_length=300,
        help_text="Laissez vide pour le message habituel du type de champ.")

    def __init__(self, *args: Any, before: list[dict[str, Any]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The fields a condition may test: only those placed before this one.
        self.before = [f for f in before or [] if isinstance(f, dict) and f.get("type") != "group"]
        field = self.fields["show_if_field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "— toujours afficher —")] + [
            (str(f.get("name")), f"{f.get('label')} ({f.get('name')})") for f in self.before]

    @classmethod
    def initial_from(cls, definition: dict[str, Any]) -> dict[str, Any]:
        """Return the form's initial values for a stored field."""
        kind = str(definition.get("type", "text"))
        field_messages = definition.get("messages") or {}
        invalid = next((field_messages[key] for key in ["invalid", *INVALID_KEYS.get(kind, [])]
                        if field_messages.get(key)), "")
        show_if = definition.get("show_if") or {}
        expected = show_if.get("equals", (show_if.get("in") or [""])[0]) if show_if else ""
        if expected is True:
            expected = "oui"
        elif expected is False:
            expected = "non"
        initial = {
            "type": kind, "label": definition.get("label", ""), "name": definition.get("name", ""),
            "required": bool(definition.get("required")), "help": definition.get("help", ""),
            "choices": _choices_text(definition.get("choices") or []),
            "min": definition.get("min", ""), "max": definition.get("max", ""),
            "integer": bool(definition.get("integer")),
            "max_length": definition.get("max_length"), "pattern": definition.get("pattern", ""),
            "file_types": definition.get("types") or [],
            "max_size": (int(definition["max_size"]) // MB or 1) if definition.get("max_size")
            else None,
            "min_rows": definition.get("min_rows"), "max_rows": definition.get("max_rows"),
            "show_if_field": show_if.get("field", ""), "show_if_value": str(expected),
            "message_required": field_messages.get("required", ""), "message_invalid": invalid,
        }
        return {key: value for key, value in initial.items() if value not in (None, "")}

    def _show_if(self, data: dict[str, Any]) -> dict[str, Any] | None:
        target_name = data.get("show_if_field")
        if not target_name:
            return None
        target = next(f for f in self.before if f.get("name") == target_name)
        text = str(data.get("show_if_value") or "").strip()
        if not text:
            raise forms.ValidationError({"show_if_value": "Indiquez la réponse qui affiche ce champ."})
        kind = target.get("type")
        if kind == "yesno":
            if text.lower() not in {"oui", "non"}:
                raise forms.ValidationError({"show_if_value": "Écrivez « oui » ou « non »."})
            return {"field": target_name, "equals": text.lower() == "oui"}
        if kind in {"choice", "multichoice"}:
            values = [str(c.get("value")) if isinstance(c, dict) else str(c)
                      for c in target.get("choices") or []]
            if text not in values:
                raise forms.ValidationError({"show_if_value": "Indiquez la valeur d'une des "
                                             f"réponses : {', '.join(values)}."})
            return ({"field": target_name, "in": [text]} if kind == "multichoice"
                    else {"field": target_name, "equals": text})
        return {"field": target_name, "equals": text}

    def definition(self, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the stored form of the field; keeps what the page does not edit."""
        data = self.cleaned_data
        kind = data["type"]
        existing = existing or {}
        result: dict[str, Any] = {"name": data["name"], "label": data["label"].strip(),
                                  "type": kind, "required": bool(data.get("required"))}
        if data.get("help", "").strip():
            result["help"] = data["help"].strip()
        errors: dict[str, str] = {}
        if kind in {"choice", "multichoice"}:
            try:
                result["choices"] = _choices_parse(data.get("choices") or "")
            except forms.ValidationError as exc:
                errors["choices"] = exc.messages[0]
            else:
                if not result["choices"]:
                    errors["choices"] = "Indiquez au moins une réponse, une par ligne."
        if kind in {"number", "date"}:
            for key in ("min", "max"):
                text = str(data.get(key) or "").strip()
                if text:
                    try:
                        result[key] = _bound(text, kind)
                    except forms.ValidationError as exc:
                        errors[key] = exc.messages[0]
            if kind == "number" and data.get("integer"):
                result["integer"] = True
        if kind in {"text", "textarea"} and data.get("max_length"):
            result["max_length"] = data["max_length"]
        if kind == "text":
            if data.get("pattern"):
                try:
                    re.compile(data["pattern"])
                except re.error:
                    errors["pattern"] = "Ce format n'est pas une expression régulière valide."
                result["pattern"] = data["pattern"]
            if existing.get("placeholder") and existing.get("type") == "text":
                result["placeholder"] = existing["placeholder"]
        if kind == "file":
            if data.get("file_types"):
                result["types"] = list(data["file_types"])
            if data.get("max_size"):
                result["max_size"] = int(data["max_size"]) * MB
        if kind == "group":
            for key in ("min_rows", "max_rows"):
                if data.get(key) is not None:
                    result[key] = data[key]
            subfields = existing.get("fields") if existing.get("type") == "group" else None
            result["fields"] = copy.deepcopy(subfields) or [dict(GROUP_PLACEHOLDER)]
        try:
            show_if = self._show_if(data)
        except forms.ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            show_if = None
        if show_if:
            result["show_if"] = show_if
        if errors:
            for key, message in errors.items():
                self.add_error(key, message)
            raise forms.ValidationError("invalid")
        result_messages = {key: value for key, value in (existing.get("messages") or {}).items()
                           if key not in {"required", "invalid", *INVALID_KEYS.get(
                               str(existing.get("type")), [])}}
        if data.get("message_required", "").strip():
            result_messages["required"] = data["message_required"].strip()
        if data.get("message_invalid", "").strip():
            for key in {"invalid", *INVALID_KEYS.get(kind, [])}:
                result_messages[key] = data["message_invalid"].strip()
        if result_messages:
            result["messages"] = dict(sorted(result_messages.items()))
        return result


class AdoptionForm(forms.Form):
    """What a commune changes in a template it adopts: empty means "as the template"."""

    offered = forms.TypedChoiceField(
        label="La commune propose-t-elle cette démarche à ses habitants ?",
        choices=[("oui", "Oui, elle la propose"), ("non", "Non, elle ne la propose pas")],
        coerce=lambda value: value == "oui", widget=forms.RadioSelect, initial="oui")
    title = forms.CharField(label="Titre", required=False, max_length=200)
    summary = forms.CharField(label="Présentation", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    fee_kind = forms.ChoiceField(label="Tarif", required=False, choices=[])
    fee_amount = forms.DecimalField(
        label="Montant (€)", required=False, min_value=Decimal("0"), max_digits=10,
        decimal_places=2, localize=True,
        error_messages={"invalid": "Indiquez un montant en euros, par exemple 30,00."})
    implicit_decision_days = forms.IntegerField(label="Délai de décision implicite (jours)",
                                                required=False, min_value=1, max_value=3650)
    silence_means = forms.ChoiceField(label="Sens du silence", required=False, choices=[])
    service_name = forms.CharField(label="Service instructeur", required=False, max_length=200)
    service_contact = forms.CharField(label="Contact du service", required=False, max_length=300)
    group_slug = forms.RegexField(label="Équipe d'instruction (identifiant)", required=False,
                                  max_length=60, regex=r"^[a-z0-9-]*$",
                                  error_messages={"invalid": _SLUG_MESSAGE})

    OVERRIDES = ["title", "summary", "fee_kind", "fee_amount", "implicit_decision_days",
                 "silence_means", "service_name", "service_contact", "group_slug"]

    def __init__(self, *args: Any, template: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        for name, choices, current in [
            ("fee_kind", FeeKind.choices, template.get_fee_kind_display()),
            ("silence_means", SilenceMeans.choices, template.get_silence_means_display()),
        ]:
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", f"Comme le modèle : {current}"), *choices]
        for name in self.OVERRIDES:
            if name in {"fee_kind", "silence_means"}:
                continue
            value = getattr(template, name)
            shown = str(value) if value not in ("", None) else "vide"
            if isinstance(value, Decimal):
                shown = f"{value:.2f} €".replace(".", ",")
            self.fields[name].help_text = (f"Laissez vide pour reprendre le modèle "
                                           f"({shown[:120]}{'…' if len(shown) > 120 else ''}).")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fee_kind = data.get("fee_kind") or self.template.fee_kind
        amount = data.get("fee_amount")
        if fee_kind == FeeKind.FIXED and "fee_amount" not in self.errors and not (
                amount if amount is not None else self.template.fee_amount):
            self.add_error("fee_amount", "Un tarif fixe demande un montant positif.")
        return data

    def overrides(self, keep: dict[str, Any]) -> dict[str, Any]:
        """Return only the overridden parts; the commune's extra fields are kept."""
        result = {key: value for key, value in keep.items() if key == "extra_fields"}
        for key in self.OVERRIDES:
            value = self.cleaned_data.get(key)
            if value in (None, ""):
                continue
            result[key] = str(value) if isinstance(value, Decimal) else value
        return result

    @staticmethod
    def initial_from(adoption: Adoption | None) -> dict[str, Any]:
        if adoption is None:
            return {"offered": "oui"}
        initial: dict[str, Any] = {"offered": "oui" if adoption.offered else "non"}
        initial.update({key: value for key, value in adoption.overrides.items()
                        if key != "extra_fields"})
        return initial


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


def _editable_commune(actor: User, slug: str) -> Organisation:
    return get_or_404(selectors.communes_editable(actor), slug=slug)


def _target(request: HttpRequest, slug: str, commune: str | None) -> Target:
    actor = _user(request)
    if commune is None:
        return Target(selectors.procedure_editable_get(actor, slug))
    template = get_or_404(selectors.adoptable_templates(actor).select_related(
        "published_revision"), slug=slug)
    organisation = _editable_commune(actor, commune)
    adoption = selectors.adoptions_editable(actor).filter(template=template,
                                                          organisation=organisation).first()
    if adoption is None:
        # Extra fields belong to an adoption: the commune saves its adoption first.
        raise Http404("Adoption introuvable.")
    return Target(template, organisation, adoption)


def _locate(fields: list[dict[str, Any]], field_path: str) -> tuple[list[dict[str, Any]], int]:
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


def _type_label(kind: Any) -> str:
    return FIELD_TYPES.get(str(kind), str(kind))


def _rows(target: Target, fields: list[dict[str, Any]], parent: str = "") -> list[dict[str, Any]]:
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
            "definition": f, "path": field_path, "type_label": _type_label(f.get("type")),
            "condition": condition, "first": index == 0, "last": index == len(fields) - 1,
            "edit_url": target.url("editor_field", field_path),
            "delete_url": target.url("editor_field_delete", field_path),
            "move_url": target.url("editor_field_move", field_path),
            "subfields": [{"label": s.get("label"), "name": s.get("name"),
                           "type_label": _type_label(s.get("type"))}
                          for s in f.get("fields") or [] if isinstance(s, dict)],
        })
    return rows


def _address_fields(fields: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(f.get("name")), f"{f.get('label')} ({f.get('name')})") for f in fields
            if isinstance(f, dict) and f.get("type") in {"address", "commune"}]


# ------------------------------------------------------------------------- pages


@never_cache
@editor_required
@require_GET
def editor_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    procedures = selectors.procedures_editable(actor).annotate(latest=Max("revisions__number"))
    templates = list(selectors.adoptable_templates(actor))
    communes = list(selectors.communes_editable(actor))
    adoptions = {(a.template_id, a.organisation_id): a for a in
                 selectors.adoptions_editable(actor).filter(template__in=templates)}
    rows = []
    for template in templates:
        states = []
        for commune in communes:
            adoption = adoptions.get((template.pk, commune.pk))
            if adoption is None:
                state = "Non adoptée"
            elif not adoption.offered:
                state = "Adoptée, non proposée"
            else:
                state = "Proposée"
            adapted = sorted(adoption.overrides) if adoption else []
            states.append({"commune": commune, "state": state, "adapted": len(adapted),
                           "url": reverse("portal:editor_adopt",
                                          kwargs={"slug": template.slug, "commune": commune.slug})})
        rows.append({"template": template, "states": states})
    return render(request, "portal/editor/list.html", {
        "procedures": procedures, "templates": rows, "has_communes": bool(communes),
    })


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    organisations = selectors.organisations_editable(actor)
    form = CreateForm(request.POST or None, organisations=organisations,
                      initial={"implicit_decision_days": 60, "requires_account": True,
                               "silence_means": SilenceMeans.ACCEPTANCE})
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            procedure = services.procedure_create(
                actor=actor, organisation=form.cleaned_data["organisation"],
                slug=form.cleaned_data["slug"], **form.values())
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "La démarche est créée. Ajoutez maintenant les champs de "
                                      "son formulaire, puis publiez-la.")
            return redirect("portal:editor_procedure", slug=procedure.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/editor/create.html", {"form": form, "refusal": refusal},
                  status=status)


def _procedure_page(request: HttpRequest, target: Target, *, settings_form: SettingsForm | None = None,
                    add_form: FieldForm | None = None, refusal: str = "",
                    status: int = 200) -> HttpResponse:
    procedure = target.procedure
    draft = services.procedure_draft(procedure)
    fields = list(draft.fields)
    if settings_form is None:
        initial = {key: getattr(procedure, key) for key in services.PROCEDURE_SETTINGS}
        settings_form = SettingsForm(initial=initial, address_fields=_address_fields(fields))
    return render(request, "portal/editor/procedure.html", {
        "procedure": procedure, "draft": draft, "rows": _rows(target, fields),
        "settings_form": settings_form, "is_epci": procedure.organisation.kind == OrganisationKind.EPCI,
        "add_form": add_form or FieldForm(before=fields, initial={"type": "text"}, prefix=ADD_PREFIX),
        "add_url": target.url("editor_field_add"), "refusal": refusal,
        "failed": settings_form if settings_form.errors else add_form,
    }, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_procedure(request: HttpRequest, slug: str) -> HttpResponse:
    target = _target(request, slug, None)
    if request.method == "GET":
        return _procedure_page(request, target)
    fields = list(services.procedure_draft(target.procedure).fields)
    form = SettingsForm(request.POST, address_fields=_address_fields(fields))
    if form.is_valid():
        try:
            services.procedure_update(actor=_user(request), procedure=target.procedure,
                                      **form.values())
        except ServiceError as exc:
            return _procedure_page(request, target, settings_form=form, refusal=exc.message,
                                   status=400)
        messages.success(request, "Les réglages sont enregistrés.")
        return redirect(target.page_url)
    return _procedure_page(request, target, settings_form=form, status=400)


@editor_required
@require_POST
def editor_publish(request: HttpRequest, slug: str) -> HttpResponse:
    target = _target(request, slug, None)
    try:
        revision = services.procedure_publish(actor=_user(request), procedure=target.procedure)
    except ServiceError as exc:
        return _procedure_page(request, target, refusal=exc.message, status=400)
    messages.success(request, f"La version {revision.number} est publiée : les nouvelles "
                              "demandes utilisent ce formulaire, les dossiers déjà déposés "
                              "gardent le leur.")
    return redirect(target.page_url)


@editor_required
@require_GET
def editor_export(request: HttpRequest, slug: str) -> HttpResponse:
    procedure = selectors.procedure_editable_get(_user(request), slug)
    response = JsonResponse(selectors.procedure_for_export(procedure),
                            json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{procedure.slug}.json"'
    return response


def _read_export(upload: UploadedFile) -> Any:
    """Return the JSON of an uploaded export, refusing what cannot be one, in French."""
    if upload.size is None or upload.size > IMPORT_MAX_SIZE:
        raise ServiceError(f"Le fichier dépasse {IMPORT_MAX_SIZE // 1024} ko : ce n'est pas un "
                           "export de démarche.", code="too_large")
    raw = upload.read(IMPORT_MAX_SIZE + 1)
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ServiceError("Le fichier n'est pas un fichier texte JSON (UTF-8).",
                           code="invalid_json") from None
    except RecursionError:
        raise ServiceError("Le fichier JSON est trop imbriqué pour être un export de démarche.",
                           code="too_deep") from None
    except json.JSONDecodeError as exc:
        raise ServiceError(f"Le fichier n'est pas un JSON valide (ligne {exc.lineno}, colonne "
                           f"{exc.colno}).", code="invalid_json") from None
    except ValueError:
        raise ServiceError("Le fichier n'est pas un JSON valide.", code="invalid_json") from None
    stack: list[tuple[Any, int]] = [(document, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > IMPORT_MAX_DEPTH:
            raise ServiceError("Le fichier JSON est trop imbriqué pour être un export de "
                               "démarche.", code="too_deep")
        if nodes > IMPORT_MAX_NODES:
            raise ServiceError("Le fichier JSON contient trop d'éléments pour être un export "
                               "de démarche.", code="too_large")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return document


def _import_size_cap(view: ViewFunc) -> ViewFunc:
    """Cap the upload at an export's size while it is received, not after."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            try:
                request.upload_handlers = [CappedUploadHandler(request,
                                                               max_size=IMPORT_MAX_SIZE)]
            except UploadRefused as refusal:
                return upload_refused_response(request, refusal)
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@editor_required
@_import_size_cap
@accepts_uploads
@require_http_methods(["GET", "POST"])
def editor_import(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = ImportForm(request.POST or None, request.FILES or None,
                      organisations=selectors.organisations_editable(actor))
    refusal = ""
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data.get("slug") or None
        try:
            if slug in RESERVED_SLUGS:
                raise ServiceError("Cet identifiant est réservé : choisissez-en un autre.",
                                   code="invalid")
            document = _read_export(form.cleaned_data["document"])
            if isinstance(document, dict) and str(document.get("slug")) in RESERVED_SLUGS \
                    and not slug:
                raise ServiceError("L'identifiant du fichier est réservé : indiquez-en un "
                                   "nouveau.", code="invalid")
            procedure = services.procedure_import(
                actor=actor, organisation=form.cleaned_data["organisation"], document=document,
                slug=slug)
        except ServiceError as exc:
            refusal = exc.message
        else:
            messages.success(request, "La démarche est importée en brouillon. Vérifiez-la, "
                                      "puis publiez-la.")
            return redirect("portal:editor_procedure", slug=procedure.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/editor/import.html", {"form": form, "refusal": refusal},
                  status=status)


def _adoption_page(request: HttpRequest, template: Procedure, commune: Organisation,
                   adoption: Adoption | None, *, form: AdoptionForm | None = None,
                   add_form: FieldForm | None = None, refusal: str = "",
                   status: int = 200) -> HttpResponse:
    form = form or AdoptionForm(template=template, initial=AdoptionForm.initial_from(adoption))
    target = Target(template, commune, adoption)
    extra = target.fields if adoption else []
    before = target.preceding + extra
    return render(request, "portal/editor/adoption.html", {
        "template": template, "commune": commune, "adoption": adoption, "form": form,
        "rows": _rows(target, extra) if adoption else [],
        "add_form": add_form or FieldForm(before=before, initial={"type": "text"}, prefix=ADD_PREFIX),
        "add_url": target.url("editor_field_add") if adoption else "",
        "template_fields": target.preceding, "refusal": refusal,
        "failed": form if form.errors else add_form,
    }, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_adopt(request: HttpRequest, slug: str, commune: str) -> HttpResponse:
    actor = _user(request)
    template = get_or_404(selectors.adoptable_templates(actor).select_related(
        "published_revision"), slug=slug)
    organisation = _editable_commune(actor, commune)
    adoption = selectors.adoptions_editable(actor).filter(template=template,
                                                          organisation=organisation).first()
    if request.method == "GET":
        return _adoption_page(request, template, organisation, adoption)
    form = AdoptionForm(request.POST, template=template)
    if not form.is_valid():
        return _adoption_page(request, template, organisation, adoption, form=form, status=400)
    try:
        services.adoption_set(actor=actor, template=template, organisation=organisation,
                              offered=form.cleaned_data["offered"],
                              overrides=form.overrides(adoption.overrides if adoption else {}))
    except ServiceError as exc:
        return _adoption_page(request, template, organisation, adoption, form=form,
                              refusal=exc.message, status=400)
    messages.success(request, f"L'adoption par {organisation.name} est enregistrée.")
    return redirect("portal:editor_adopt", slug=template.slug, commune=organisation.slug)


def _container_page(request: HttpRequest, target: Target, parent: str | None, *,
                    add_form: FieldForm | None = None, refusal: str = "") -> HttpResponse:
    """Re-display, with a refusal, the page where the list of fields was changed."""
    if parent:
        return _field_page(request, target, parent, add_form=add_form, refusal=refusal,
                           status=400)
    if target.commune is not None:
        return _adoption_page(request, target.procedure, target.commune, target.adoption,
                              add_form=add_form, refusal=refusal, status=400)
    return _procedure_page(request, target, add_form=add_form, refusal=refusal, status=400)


def _saved(request: HttpRequest, target: Target, parent: str | None, message: str) -> HttpResponse:
    messages.success(request, message)
    if parent:
        return redirect(target.url("editor_field", parent))
    return redirect(target.page_url)


@editor_required
@require_POST
def editor_field_add(request: HttpRequest, slug: str, commune: str | None = None,
                     path: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    if path is None:
        siblings, before = fields, target.preceding + fields
    else:
        holder, index = _locate(fields, path)
        if holder[index].get("type") != "group" or "." in path:
            raise Http404("Groupe introuvable.")
        siblings = holder[index].setdefault("fields", [])
        before = list(siblings)
    form = FieldForm(request.POST, before=before, prefix=ADD_PREFIX)
    if form.is_valid():
        try:
            definition = form.definition()
        except forms.ValidationError:
            pass
        else:
            if definition["type"] == "group" and path is not None:
                form.add_error("type", "Un groupe ne peut pas contenir de groupe.")
            else:
                siblings.append(definition)
                try:
                    target.save(_user(request), fields)
                except ServiceError as exc:
                    return _container_page(request, target, path, add_form=form,
                                           refusal=exc.message)
                if definition["type"] == "group":
                    messages.success(request, "Le groupe est créé avec un premier sous-champ "
                                              "« Élément » : modifiez-le et ajoutez les autres.")
                    return redirect(target.url("editor_field", definition["name"]))
                return _saved(request, target, path,
                              f"Le champ « {definition['label']} » est ajouté.")
    return _container_page(request, target, path, add_form=form)


def _field_page(request: HttpRequest, target: Target, field_path: str, *,
                form: FieldForm | None = None, add_form: FieldForm | None = None,
                refusal: str = "", status: int = 200) -> HttpResponse:
    fields = target.fields
    siblings, index = _locate(fields, field_path)
    definition = siblings[index]
    parent = field_path.rpartition(".")[0]
    before = (target.preceding if not parent else []) + siblings[:index]
    form = form or FieldForm(before=before, initial=FieldForm.initial_from(definition))
    subfields = definition.get("fields") if definition.get("type") == "group" else None
    context: dict[str, Any] = {
        "target": target, "definition": definition, "path": field_path, "form": form,
        "action_url": target.url("editor_field", field_path),
        "back_url": target.url("editor_field", parent) if parent else target.page_url,
        "back_label": ("Revenir au groupe" if parent else
                       "Revenir à l'adoption" if target.commune else "Revenir à la démarche"),
        "refusal": refusal, "is_group": subfields is not None and not parent,
        "failed": form if form.errors else add_form,
    }
    if context["is_group"]:
        context.update(
            rows=_rows(target, list(subfields or []), parent=f"{field_path}."),
            add_form=add_form or FieldForm(before=list(subfields or []), initial={"type": "text"},
                                         prefix=ADD_PREFIX),
            add_url=target.url("editor_subfield_add", field_path))
    return render(request, "portal/editor/field.html", context, status=status)


@never_cache
@editor_required
@require_http_methods(["GET", "POST"])
def editor_field(request: HttpRequest, slug: str, path: str,
                 commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    if request.method == "GET":
        return _field_page(request, target, path)
    fields = target.fields
    siblings, index = _locate(fields, path)
    parent = path.rpartition(".")[0]
    before = (target.preceding if not parent else []) + siblings[:index]
    form = FieldForm(request.POST, before=before)
    if form.is_valid():
        try:
            definition = form.definition(existing=siblings[index])
        except forms.ValidationError:
            pass
        else:
            if definition["type"] == "group" and parent:
                form.add_error("type", "Un groupe ne peut pas contenir de groupe.")
            else:
                siblings[index] = definition
                try:
                    target.save(_user(request), fields)
                except ServiceError as exc:
                    return _field_page(request, target, path, form=form, refusal=exc.message,
                                       status=400)
                return _saved(request, target, parent or None,
                              f"Le champ « {definition['label']} » est enregistré.")
    return _field_page(request, target, path, form=form, status=400)


@editor_required
@require_POST
def editor_field_delete(request: HttpRequest, slug: str, path: str,
                        commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    siblings, index = _locate(fields, path)
    parent = path.rpartition(".")[0] or None
    removed = siblings.pop(index)
    try:
        target.save(_user(request), fields)
    except ServiceError as exc:
        return _container_page(request, target, parent, refusal=exc.message)
    return _saved(request, target, parent, f"Le champ « {removed.get('label')} » est supprimé.")


@editor_required
@require_POST
def editor_field_move(request: HttpRequest, slug: str, path: str,
                      commune: str | None = None) -> HttpResponse:
    target = _target(request, slug, commune)
    fields = target.fields
    siblings, index = _locate(fields, path)
    parent = path.rpartition(".")[0] or None
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if request.POST.get("direction") not in {"up", "down"} or not 0 <= other < len(siblings):
        return _container_page(request, target, parent,
                               refusal="Ce champ ne peut pas être déplacé dans ce sens.")
    siblings[index], siblings[other] = siblings[other], siblings[index]
    try:
        target.save(_user(request), fields)
    except ServiceError as exc:
        return _container_page(request, target, parent, refusal=exc.message)
    return _saved(request, target, parent, f"Le champ « {siblings[other].get('label')} » est "
                                           "déplacé.")


_FIELD_ROUTES: list[tuple[str, ViewFunc, str]] = [
    ("ajouter-un-champ/", editor_field_add, "editor_field_add"),
    ("champs/<str:path>/ajouter-un-sous-champ/", editor_field_add, "editor_subfield_add"),
    ("champs/<str:path>/supprimer/", editor_field_delete, "editor_field_delete"),
    ("champs/<str:path>/deplacer/", editor_field_move, "editor_field_move"),
    ("champs/<str:path>/", editor_field, "editor_field"),
]

urlpatterns = [
    path("agent/demarches/", editor_list, name="editor_list"),
    path("agent/demarches/nouvelle/", editor_create, name="editor_create"),
    path("agent/demarches/importer/", editor_import, name="editor_import"),
    path("agent/demarches/<slug:slug>/", editor_procedure, name="editor_procedure"),
    path("agent/demarches/<slug:slug>/publier/", editor_publish, name="editor_publish"),
    path("agent/demarches/<slug:slug>/export.json", editor_export, name="editor_export"),
    path("agent/demarches/<slug:slug>/adopter/<slug:commune>/", editor_adopt, name="editor_adopt"),
    *[path(f"agent/demarches/<slug:slug>/{route}", view, name=name)
      for route, view, name in _FIELD_ROUTES],
    *[path(f"agent/demarches/<slug:slug>/adopter/<slug:commune>/{route}", view,
           name=name.replace("editor_", "editor_adoption_", 1))
      for route, view, name in _FIELD_ROUTES],
]
