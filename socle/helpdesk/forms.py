"""The helpdesk's forms: French labels, choices given by the view from the selectors
(so a picker never offers what the actor may not see)."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Category, Kind, Level, Visibility


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


LEVELS = [(str(value), label) for value, label in Level.choices]


class TicketOpenForm(forms.Form):
    organisation = forms.ChoiceField(label="Commune concernée")
    kind = forms.ChoiceField(label="Type", choices=Kind.choices, initial=Kind.INCIDENT,
                             help_text="Un incident : quelque chose ne marche plus. Une demande : "
                                       "un besoin nouveau (un compte, un logiciel, un poste).")
    category = forms.ChoiceField(label="Catégorie", choices=Category.choices)
    title = forms.CharField(label="Titre", max_length=200)
    description = forms.CharField(label="Description", max_length=20000, widget=forms.Textarea,
                                  help_text="Ce qui se passe, depuis quand, sur quel poste.")
    urgency = forms.ChoiceField(label="Urgence", choices=LEVELS, initial="3",
                                help_text="À quel point c'est pressé pour vous.")
    impact = forms.ChoiceField(label="Impact", choices=LEVELS, initial="3",
                               help_text="Combien de personnes ou de services sont gênés.")
    requester = forms.ChoiceField(label="Demandeur (appel téléphonique)", required=False,
                                  help_text="Laissez vide si vous êtes le demandeur.")
    observers = forms.MultipleChoiceField(label="Collègues à tenir informés", required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, organisations: list[tuple[str, str]],
                 requesters: list[tuple[str, str]] | None = None,
                 observers: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", organisations)
        if requesters is None:
            del self.fields["requester"]
        else:
            _choices(self, "requester", [("", "Moi-même"), *requesters])
        if observers:
            _choices(self, "observers", observers)
        else:
            del self.fields["observers"]


class LevelsForm(forms.Form):
    urgency = forms.TypedChoiceField(label="Urgence", choices=LEVELS, coerce=int)
    impact = forms.TypedChoiceField(label="Impact", choices=LEVELS, coerce=int)


class CommentForm(forms.Form):
    text = forms.CharField(label="Message", max_length=20000, widget=forms.Textarea)
    internal = forms.BooleanField(label="Note interne à la DCSI (invisible du demandeur)",
                                  required=False)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Technicien", required=False)
    group = forms.ChoiceField(label="Groupe", required=False)

    def __init__(self, *args: Any, technicians: list[tuple[str, str]],
                 groups: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "assignee", [("", "Personne"), *technicians])
        _choices(self, "group", [("", "Aucun"), *groups])


class PendingForm(forms.Form):
    question = forms.CharField(label="Question au demandeur", max_length=20000,
                               widget=forms.Textarea,
                               help_text="Le délai de résolution s'arrête jusqu'à sa réponse.")


class TaskForm(forms.Form):
    text = forms.CharField(label="Travail effectué", max_length=5000)
    minutes = forms.IntegerField(label="Temps passé (minutes)", min_value=1, max_value=14400)


class SolveForm(forms.Form):
    solution = forms.CharField(label="Solution", max_length=20000, required=False,
                               widget=forms.Textarea)
    article = forms.ChoiceField(label="Ou répondre par un article de la base de connaissances",
                                required=False)

    def __init__(self, *args: Any, articles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "article", [("", "Aucun article"), *articles])


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label="La solution vous convient-elle ?", widget=forms.RadioSelect,
                                 choices=[("accept", "Oui, clore le ticket"),
                                          ("refuse", "Non, le problème persiste")])
    satisfaction = forms.TypedChoiceField(
        label="Votre satisfaction (1 : pas du tout satisfait, 5 : très satisfait)",
        choices=[("", "Sans avis")] + [(str(n), str(n)) for n in range(1, 6)],
        coerce=int, empty_value=None, required=False)
    comment = forms.CharField(label="Commentaire (obligatoire si vous refusez)", max_length=2000,
                              required=False, widget=forms.Textarea)


class SlaForm(forms.Form):
    sla = forms.ChoiceField(label="Engagement de service")

    def __init__(self, *args: Any, slas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "sla", [("", "Aucun"), *slas])
        self.fields["sla"].required = False


class ObserverForm(forms.Form):
    user = forms.ChoiceField(label="Agent de la commune à tenir informé")

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "user", people)


class ArticleForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    category = forms.ChoiceField(label="Catégorie", choices=Category.choices)
    visibility = forms.ChoiceField(label="Visibilité", choices=Visibility.choices)
    body = forms.CharField(label="Texte", max_length=50000, widget=forms.Textarea)
    training_need = forms.BooleanField(
        label="Question récurrente : à signaler comme besoin de formation", required=False)
