"""The training service's forms: French labels; the pickers' choices come from the selectors."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Audience, CourseKind


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class RegisterForm(forms.Form):
    motivation = forms.CharField(
        label="Ce que vous attendez de la formation", max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Facultatif ; votre responsable le lit avant de donner son avis.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Votre avis", widget=forms.RadioSelect, choices=[
        ("approve", "J'accepte cette demande"), ("refuse", "Je refuse cette demande")])
    reason = forms.CharField(label="Motif", max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Obligatoire en cas de refus ; l'agent le reçoit.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Indiquez le motif du refus.")
        return data


class NeedForm(forms.Form):
    organisation = forms.ChoiceField(label="Commune concernée")
    title = forms.CharField(label="Besoin de formation", max_length=200,
                            help_text="Par exemple : « Prise en main du nouveau logiciel "
                                      "d'état civil ».")
    description = forms.CharField(label="Précisions", max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    headcount = forms.IntegerField(label="Nombre d'agents concernés", min_value=1,
                                   max_value=500, initial=1)
    course = forms.ChoiceField(label="Formation du catalogue qui y répond", required=False)

    def __init__(self, *args: Any, organisations: list[tuple[str, str]],
                 courses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
        _choices(self, "course", [("", "Aucune, ou je ne sais pas"), *courses])


class CourseForm(forms.Form):
    code = forms.CharField(label="Code", max_length=20, help_text="Par exemple : BUR-01.")
    title = forms.CharField(label="Intitulé", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=CourseKind.choices)
    audience = forms.ChoiceField(label="Public", choices=Audience.choices)
    duration_hours = forms.DecimalField(label="Durée (heures)", min_value=0.5, max_value=500,
                                        decimal_places=1, localize=True)
    objectives = forms.CharField(label="Objectifs", max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    description = forms.CharField(label="Programme", max_length=10000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    awareness = forms.BooleanField(label="Sensibilisation à la cybersécurité (les agents "
                                         "piégés par une campagne d'hameçonnage y sont inscrits)",
                                   required=False)


class SessionForm(forms.Form):
    course = forms.ChoiceField(label="Formation")
    date = forms.DateField(label="Date", help_text="JJ/MM/AAAA", input_formats=["%d/%m/%Y",
                                                                               "%Y-%m-%d"])
    start = forms.TimeField(label="Heure de début", help_text="HH:MM, par exemple 09:00")
    end = forms.TimeField(label="Heure de fin", help_text="HH:MM, par exemple 12:00")
    place = forms.CharField(label="Lieu", max_length=200, required=False)
    remote = forms.BooleanField(label="À distance (visioconférence)", required=False)
    capacity = forms.IntegerField(label="Nombre de places", min_value=1, max_value=500)
    trainer = forms.ChoiceField(label="Formateur", required=False)
    plan = forms.ChoiceField(label="Plan de formation", required=False)

    def __init__(self, *args: Any, courses: list[tuple[str, str]],
                 trainers: list[tuple[str, str]], plans: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "course", courses)
        _choices(self, "trainer", [("", "À désigner"), *trainers])
        _choices(self, "plan", [("", "Hors plan"), *plans])


class PlanForm(forms.Form):
    title = forms.CharField(label="Intitulé du plan", max_length=200)
    notes = forms.CharField(label="Priorités et remarques", max_length=10000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Les inscrits le reçoivent.")
