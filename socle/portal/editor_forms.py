"""The procedure editor's forms: a procedure's settings, a new or imported one, a field, an adoption."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.text import slugify

from socle.core.blobs import DEFAULT_ALLOWED_TYPES
from socle.core.models import Organisation

from . import services
from .editor_transfer import IMPORT_MAX_SIZE
from .form_schema import FIELD_TYPES, MAX_GROUP_ROWS
from .models import Adoption, FeeKind, Procedure, Routing, SilenceMeans

MB = 1024 * 1024
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
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label="Organisation qui publie la démarche", queryset=None,
        to_field_name="slug", empty_label=None)
    slug = forms.RegexField(
        label="Identifiant dans l'adresse de la page", max_length=100, required=False,
        regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        help_text="Laissez vide : il est tiré du titre. Exemple : carte-stationnement-resident",
        error_messages={"invalid": _SLUG_MESSAGE})
    field_order = ["organisation", "title", "slug"]

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        self.order_fields(self.field_order)

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug") or "") or slugify(
            str(self.cleaned_data.get("title") or ""))[:100].strip("-")
        if not slug:
            raise forms.ValidationError("Choisissez un identifiant.")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError("Cet identifiant est réservé : choisissez-en un autre.")
        return slug


class ImportForm(forms.Form):
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label="Organisation qui publiera la démarche", queryset=None,
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


def technical_name(label: str) -> str:
    """A field's technical name from its label: « Date de naissance » → date_de_naissance."""
    name = slugify(label).replace("-", "_")[:60].strip("_")
    if name and not name[0].isalpha():
        name = f"champ_{name}"[:60]
    return name


class FieldForm(forms.Form):
    """One field of a procedure's form, as its author describes it."""

    type = forms.ChoiceField(label="Type de champ", choices=list(FIELD_TYPES.items()))
    label = forms.CharField(label="Libellé (la question posée)", max_length=300,
                            error_messages={"required": "Indiquez le libellé du champ."})
    name = forms.RegexField(
        label="Nom technique", max_length=60, regex=r"^[a-z][a-z0-9_]*$", required=False,
        help_text="Laissez vide : il est tiré du libellé. Sinon, minuscules sans accent, "
                  "chiffres et « _ », en commençant par une lettre (exemple : date_naissance). "
                  "Il désigne la réponse dans les exports.",
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
        help_text="Pour un oui / non, écrivez « oui » ou « non » ; pour un choix, la réponse "
                  "telle que l'usager la lit (ou sa valeur).")
    message_required = forms.CharField(
        label="Message si la réponse manque", required=False, max_length=300,
        help_text="Laissez vide pour le message habituel : « Ce champ est obligatoire. »")
    message_invalid = forms.CharField(
        label="Message si la réponse n'est pas valable", required=False, max_length=300,
        help_text="Laissez vide pour le message habituel du type de champ.")

    def clean_name(self) -> str:
        """The technical name as written, or derived from the label when left empty."""
        name = str(self.cleaned_data.get("name") or "")
        if name:
            return name
        derived = technical_name(str(self.cleaned_data.get("label") or ""))
        if not derived:
            raise forms.ValidationError("Indiquez le nom technique du champ.")
        return derived

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
            # The answer as the citizen reads it is accepted too, and stored as its value.
            by_label = {str(c.get("label", "")).strip().lower(): str(c.get("value"))
                        for c in target.get("choices") or [] if isinstance(c, dict)}
            text = by_label.get(text.lower(), text)
            if text not in values:
                raise forms.ValidationError({"show_if_value": "Indiquez la valeur d'une des "
                                             f"réponses : {', '.join(values)}."})
            return ({"field": target_name, "in": [text]} if kind == "multichoice"
                    else {"field": target_name, "equals": text})
        return {"field": target_name, "equals": text}

    def definition(self, existing: dict[str, Any] | None = None) -> dict[str, Any]:  # noqa: C901 - one branch per field option, read top to bottom
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


