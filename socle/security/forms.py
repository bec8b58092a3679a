"""The forms of cybersecurity awareness's pages (French labels, bounded fields)."""

from __future__ import annotations

from typing import Any

from django import forms

from socle.core.errors import ServiceError

from .cvss import MAX_LENGTH as CVSS_MAX
from .models import FindingStatus

MAX_UPLOAD = 5 * 1024 * 1024


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class AcceptForm(forms.Form):
    accept = forms.BooleanField(label="J'ai lu la charte informatique et je m'engage à la "
                                      "respecter")
    version = forms.IntegerField(widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class CharterForm(forms.Form):
    number = forms.CharField(label="Numéro de version", max_length=20,
                             help_text="Par exemple 2027.1")
    title = forms.CharField(label="Titre", max_length=200)
    text = forms.CharField(label="Texte de la charte", max_length=100_000, widget=forms.Textarea)
    in_force_from = forms.DateTimeField(
        label="En vigueur à partir du", required=False,
        help_text="JJ/MM/AAAA HH:MM ; vide : dès sa publication.",
        input_formats=["%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M"])


def parse_questions(source: str) -> list[dict[str, Any]]:
    """Read a quiz written as blocks: a question line, then ``* right`` and ``- wrong`` lines."""
    questions: list[dict[str, Any]] = []
    for block in [b for b in source.replace("\r\n", "\n").split("\n\n") if b.strip()]:
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        choices: list[str] = []
        answer: int | None = None
        for line in lines[1:]:
            if line[:1] not in "*-":
                raise ServiceError(f"« {line[:60]} » : une réponse commence par * ou -.",
                                   code="invalid", errors={"questions": "Format du quiz."})
            if line.startswith("*"):
                answer = len(choices)
            choices.append(line[1:].strip())
        questions.append({"question": lines[0], "choices": choices, "answer": answer})
    return questions


class ModuleForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    body = forms.CharField(label="Contenu du module", max_length=50_000, widget=forms.Textarea)
    questions = forms.CharField(
        label="Quiz", max_length=20_000, widget=forms.Textarea,
        help_text="Une question par bloc séparé d'une ligne vide : la question, puis une "
                  "réponse par ligne, « * » devant la bonne, « - » devant les autres.")
    pass_mark = forms.IntegerField(label="Seuil de réussite (%)", min_value=1, max_value=100,
                                   initial=80)


class AssignForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation (et celles qu'elle contient)")
    role = forms.ChoiceField(label="Rôle", required=False)
    due_on = forms.DateField(label="À suivre avant le", required=False,
                             help_text="JJ/MM/AAAA", input_formats=["%d/%m/%Y", "%Y-%m-%d"])

    def __init__(self, *args: Any, organisations: list[tuple[str, str]],
                 roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
        _choices(self, "role", [("", "Tous les rôles"), *roles])


class PhishingImportForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation des destinataires")
    name = forms.CharField(label="Nom de la campagne", max_length=200, required=False,
                           help_text="Vide : le nom donné par GoPhish (import par l'API).")
    module = forms.ChoiceField(label="Inscrire ceux qui ont cliqué au module", required=False)
    file = forms.FileField(label="Export CSV des résultats (GoPhish, « Export CSV »)",
                           required=False)
    base_url = forms.URLField(label="Ou adresse du serveur GoPhish", required=False,
                              max_length=300, assume_scheme="https")
    api_key = forms.CharField(label="Clé d'API GoPhish (non conservée)", required=False,
                              max_length=200, widget=forms.PasswordInput)
    gophish_id = forms.IntegerField(label="Numéro de la campagne dans GoPhish", required=False,
                                    min_value=1)

    def __init__(self, *args: Any, organisations: list[tuple[str, str]],
                 modules: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
        _choices(self, "module", [("", "Aucun"), *modules])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD:
            self.add_error("file", "Le fichier dépasse 5 Mo.")
        by_api = data.get("base_url") and data.get("api_key") and data.get("gophish_id")
        if upload is None and not by_api:
            raise forms.ValidationError("Joignez l'export CSV, ou donnez l'adresse du serveur, "
                                        "la clé d'API et le numéro de la campagne.")
        if upload is not None and not data.get("name"):
            self.add_error("name", "Nommez la campagne importée d'un fichier.")
        return data


class FindingForm(forms.Form):
    organisation = forms.ChoiceField(label="Commune")
    title = forms.CharField(label="Vulnérabilité", max_length=200)
    asset = forms.CharField(label="Actif", max_length=200,
                            help_text="Une référence libre, ou la clé d'un actif de "
                                      "l'inventaire : inventory.asset:<numéro>.")
    cvss_vector = forms.CharField(label="Vecteur CVSS 3.1", max_length=CVSS_MAX,
                                  help_text="Par exemple CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/"
                                            "I:H/A:H")
    recommendation = forms.CharField(label="Recommandation", max_length=20_000,
                                     widget=forms.Textarea)
    owner = forms.CharField(label="Responsable de la correction", max_length=150)
    due_on = forms.DateField(label="À corriger avant le", help_text="JJ/MM/AAAA",
                             input_formats=["%d/%m/%Y", "%Y-%m-%d"])

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(label="Nouveau statut", choices=FindingStatus.choices)


class RetestForm(forms.Form):
    result = forms.ChoiceField(label="Résultat de la revérification", widget=forms.RadioSelect,
                               choices=[("passed", "Correction confirmée"),
                                        ("failed", "Toujours vulnérable")])
