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


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique de votre compte",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Indiquez votre adresse électronique.",
                        "invalid": "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr)."},
    )


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label="Nouveau mot de passe (10 caractères au moins)", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choisissez un mot de passe."},
    )
    confirmation = forms.CharField(
        label="Le même mot de passe, une seconde fois", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Recopiez le mot de passe."},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("confirmation") and data["password"] != data["confirmation"]:
            self.add_error("confirmation", "Les deux mots de passe ne sont pas identiques.")
        return data


class ProfileForm(forms.Form):
    address = forms.CharField(label="Adresse postale", max_length=300, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    home_commune = forms.ModelChoiceField(
        label="Commune de résidence",
        help_text="Les démarches en ligne de votre commune vous sont proposées en plus de celles "
                  "de l'agglomération ; changer de commune change donc les démarches du "
                  "catalogue. Vos demandes déjà déposées restent suivies par la mairie qui les a "
                  "reçues.",
        queryset=Organisation.objects.filter(kind=OrganisationKind.COMMUNE).order_by("name"),
        to_field_name="slug", required=False,
        empty_label="Je n'habite pas l'une de ces communes",
        error_messages={"invalid_choice": "Choisissez une commune de la liste."},
    )


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label="Nouvelle adresse électronique",
        help_text="Un lien de confirmation, valable 24 heures, y sera envoyé : l'adresse change "
                  "quand vous l'ouvrez.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Indiquez la nouvelle adresse électronique.",
                        "invalid": "L'adresse électronique n'est pas valide (exemple : nom@domaine.fr)."},
    )
    current_password = forms.CharField(
        label="Votre mot de passe actuel", strip=False, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label="Mot de passe actuel", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Indiquez votre mot de passe actuel."})
    new_password = forms.CharField(
        label="Nouveau mot de passe (10 caractères au moins)", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choisissez un nouveau mot de passe."})


class AccountDeleteForm(forms.Form):
    current_password = forms.CharField(
        label="Votre mot de passe, pour confirmer", strip=False, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    confirm = forms.BooleanField(
        label="Je veux supprimer mon compte", required=True,
        error_messages={"required": "Cochez la case pour confirmer la suppression."})
