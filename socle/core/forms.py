"""Forms of the core's pages: labels and messages in French."""

from __future__ import annotations

from django import forms

from .models import Organisation, OrganisationKind


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Indiquez votre adresse électronique.",
                        "invalid": "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr)."},
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Indiquez votre mot de passe."},
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label="Code à 6 chiffres de votre application d'authentification",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*"}),
        error_messages={"required": "Indiquez le code affiché par votre application."},
    )


class SignUpForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
                                 error_messages={"required": "Indiquez votre prénom."})
    last_name = forms.CharField(label="Nom", max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
                                error_messages={"required": "Indiquez votre nom."})
    email = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Indiquez votre adresse électronique.",
                        "invalid": "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr)."},
    )
    password = forms.CharField(
        label="Mot de passe (10 caractères au moins)", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choisissez un mot de passe."},
    )
    address = forms.CharField(label="Adresse postale", max_length=300, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    home_commune = forms.ModelChoiceField(
        label="Commune de résidence",
        queryset=Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Je n'habite pas l'une de ces communes",
        error_messages={"invalid_choice": "Choisissez une commune de la liste."},
    )
