"""The register's forms: they parse what people type; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .models import Channel, ContactKind, Direction, InstructionKind, Priority


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class MailRegisterForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation destinataire du registre")
    direction = forms.ChoiceField(label="Sens", choices=Direction.choices, initial=Direction.INCOMING)
    channel = forms.ChoiceField(label="Canal de réception ou d'envoi", choices=Channel.choices)
    received_on = forms.DateField(
        label="Date de réception (ou d'envoi)", help_text="Format : JJ/MM/AAAA.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    subject = forms.CharField(label="Objet", max_length=300)
    mail_type = forms.ChoiceField(label="Type de courrier", required=False,
                                  help_text="Le type fixe le délai de traitement.")
    priority = forms.ChoiceField(label="Priorité", choices=Priority.choices)
    contact = forms.ChoiceField(label="Correspondant de l'annuaire", required=False,
                                help_text="Ou bien remplissez le nouveau correspondant ci-dessous.")
    contact_kind = forms.ChoiceField(label="Nouveau correspondant : type", required=False,
                                     choices=ContactKind.choices)
    contact_name = forms.CharField(label="Nouveau correspondant : nom", max_length=200,
                                   required=False)
    contact_siret = forms.CharField(label="Nouveau correspondant : SIRET (entreprise)",
                                    max_length=20, required=False,
                                    help_text="14 chiffres, pour une entreprise ou un organisme.")
    contact_address = forms.CharField(label="Nouveau correspondant : adresse postale",
                                      max_length=300, required=False)
    contact_email = forms.EmailField(label="Nouveau correspondant : adresse électronique",
                                     required=False)
    contact_phone = forms.CharField(label="Nouveau correspondant : téléphone", max_length=30,
                                    required=False)
    pieces = forms.FileField(label="Pièces numérisées (PDF ou images)", required=False,
                             widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.tif,.tiff"}))

    def __init__(self, *args: Any, organisations: list[tuple[str, str]],
                 types: list[tuple[str, str]], contacts: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
        _choices(self, "mail_type", [("", "Sans type"), *types])
        _choices(self, "contact", [("", "Nouveau correspondant"), *contacts])
        self.fields["received_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("contact") and not (data.get("contact_name") or "").strip():
            self.add_error("contact_name", "Choisissez un correspondant de l'annuaire ou "
                                           "donnez le nom d'un nouveau correspondant.")
        return data


class AssignForm(forms.Form):
    service = forms.ChoiceField(label="Service")
    assignee = forms.ChoiceField(label="Agent chargé du traitement", required=False)
    copies = forms.MultipleChoiceField(label="Copies à", required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, services: list[tuple[str, str]],
                 agents: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "service", services)
        _choices(self, "assignee", [("", "Personne pour l'instant"), *agents])
        _choices(self, "copies", agents)


class InstructionForm(forms.Form):
    kind = forms.ChoiceField(label="Nature", choices=InstructionKind.choices)
    text = forms.CharField(label="Texte", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    subject = forms.CharField(label="Objet de la réponse", max_length=300, required=False,
                              help_text="Par défaut : « Réponse à votre courrier : … ».")
    channel = forms.ChoiceField(label="Canal d'envoi", choices=Channel.choices)
    letter = forms.CharField(
        label="Texte de la réponse", required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Complétez le modèle : la réponse est mise en page comme un courrier (PDF), "
                  "signée de votre nom et de votre fonction, et enregistrée au départ. "
                  "Videz ce champ si vous joignez une réponse numérisée.")
    pieces = forms.FileField(label="Réponse numérisée (PDF)", required=False,
                             widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))


class CloseForm(forms.Form):
    comment = forms.CharField(label="Commentaire de clôture", max_length=5000, required=False)


class FromCaseForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    number = forms.RegexField(label="Numéro du dossier du portail", regex=r"^\d{4}-\d{6}$",
                              max_length=11, help_text="Par exemple 2026-000123.",
                              error_messages={"invalid": "Le numéro a la forme 2026-000123."})

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
