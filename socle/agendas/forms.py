"""The forms of the agendas pages: labels and help in French, values checked again by services."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django import forms

from .models import AgendaKind, Level, ResourceKind
from .services import THEMES

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
THEME_LABELS = {
    "prendre_en_main_du_materiel": "Prendre en main un ordinateur, une tablette, un téléphone",
    "navigation_internet": "Naviguer sur internet",
    "email": "Messagerie électronique",
    "bureautique": "Bureautique",
    "demarche_en_ligne": "Démarches en ligne",
    "sante": "Santé en ligne",
    "securite_numerique": "Sécurité numérique",
    "parentalite": "Parentalité et numérique",
    "scolarite": "Scolarité et numérique",
    "reseaux_sociaux": "Réseaux sociaux",
    "insertion_professionnelle": "Emploi et insertion professionnelle",
    "culture_numerique": "Culture numérique",
    "fabrication_numerique": "Fabrication numérique (fab lab)",
}


class BookingForm(forms.Form):
    name = forms.CharField(
        label="Nom de la personne",
        max_length=200,
        required=False,
        help_text="Agents : pour réserver à la place d'une personne. Laissez vide pour réserver pour vous.",
    )
    email = forms.EmailField(label="Adresse électronique de la personne", required=False)
    phone = forms.CharField(label="Téléphone de la personne", max_length=30, required=False)
    note = forms.CharField(
        label="Précisions (facultatif)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CitizenBookingForm(forms.Form):
    note = forms.CharField(
        label="Précisions (facultatif)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Par exemple : le nombre de passeports à faire.",
    )


class RegistrationForm(forms.Form):
    age = forms.IntegerField(label="Âge de la personne inscrite", min_value=0, max_value=120, required=False)
    guardian_consent = forms.BooleanField(
        label="Un parent ou le responsable légal est d'accord (avant 18 ans)", required=False
    )


class CounterRegistrationForm(forms.Form):
    name = forms.CharField(label="Nom et prénom", max_length=200)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    email = forms.EmailField(label="Adresse électronique", required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation (facultatif)", max_length=300, required=False)


class ResourceForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    name = forms.CharField(label="Nom", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=ResourceKind.choices)
    capacity = forms.IntegerField(
        label="Réservations simultanées",
        min_value=1,
        max_value=500,
        initial=1,
        help_text="1 pour une salle ; le nombre de postes pour un espace partagé.",
    )
    seats = forms.IntegerField(label="Places assises", min_value=0, required=False)
    equipment = forms.CharField(
        label="Équipement",
        max_length=300,
        required=False,
        help_text="Par exemple : kit de visioconférence, écran.",
    )
    accessible = forms.BooleanField(label="Accessible en fauteuil roulant", required=False)
    address = forms.CharField(label="Adresse", max_length=300, required=False)


class AgendaForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    title = forms.CharField(label="Titre", max_length=200)
    kind = forms.ChoiceField(label="Type d'agenda", choices=AgendaKind.choices)
    public = forms.BooleanField(
        label="Ouvert au public (sinon : réservé aux agents)", required=False, initial=True
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resources = forms.MultipleChoiceField(
        label="Ressources", required=False, widget=forms.CheckboxSelectMultiple
    )
    buffer_minutes = forms.IntegerField(
        label="Battement entre deux réservations (minutes)", min_value=0, max_value=240, initial=0
    )
    min_notice_minutes = forms.IntegerField(
        label="Délai minimal avant un rendez-vous (minutes)", min_value=0, initial=0
    )
    max_advance_days = forms.IntegerField(
        label="Réservation au plus tôt (jours avant)", min_value=1, max_value=730, initial=60
    )


class HoursForm(forms.Form):
    hours = forms.CharField(
        label="Heures d'ouverture",
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Une ligne par jour, par exemple « lundi 09:00-12:00 14:00-17:30 ».",
    )

    def clean_hours(self) -> list[tuple[int, time, time]]:
        rows: list[tuple[int, time, time]] = []
        for line in self.cleaned_data["hours"].splitlines():
            parts = line.strip().lower().split()
            if not parts:
                continue
            if parts[0] not in WEEKDAYS:
                raise forms.ValidationError(f"Jour inconnu : « {parts[0]} ».")
            for span in parts[1:]:
                try:
                    opens, closes = (time.fromisoformat(p) for p in span.split("-", 1))
                except ValueError:
                    raise forms.ValidationError(
                        f"Plage illisible : « {span} » (attendu 09:00-12:00)."
                    ) from None
                rows.append((WEEKDAYS.index(parts[0]), opens, closes))
        return rows


class ClosureForm(forms.Form):
    start = forms.DateTimeField(
        label="Début", help_text="JJ/MM/AAAA HH:MM", input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]
    )
    end = forms.DateTimeField(
        label="Fin", help_text="JJ/MM/AAAA HH:MM", input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]
    )
    reason = forms.CharField(label="Motif", max_length=200, required=False)


class IcalImportForm(forms.Form):
    file = forms.FileField(label="Fichier iCalendar (.ics) des fermetures")


class MeetingTypeForm(forms.Form):
    slug = forms.SlugField(label="Identifiant court", max_length=60, help_text="Par exemple : passeport.")
    name = forms.CharField(label="Nom", max_length=200)
    duration_minutes = forms.IntegerField(label="Durée (minutes)", min_value=5, max_value=1440)
    price = forms.DecimalField(
        label="Prix (€)",
        min_value=0,
        max_value=9999.99,
        decimal_places=2,
        required=False,
        help_text="Vide ou 0 : gratuit ; sinon la réservation est à payer en ligne dans les 30 minutes.",
    )
    portal_procedure = forms.SlugField(
        label="Démarche en ligne suivie de ce rendez-vous",
        max_length=100,
        required=False,
        help_text="L'identifiant de la démarche du portail (par exemple : attestation-accueil) : "
        "l'usager qui l'a déposée se voit proposer ce rendez-vous.",
    )

    def clean_price(self) -> Decimal:
        return self.cleaned_data.get("price") or Decimal("0.00")


class EventForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    start = forms.DateTimeField(
        label="Début", help_text="JJ/MM/AAAA HH:MM", input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]
    )
    end = forms.DateTimeField(
        label="Fin", help_text="JJ/MM/AAAA HH:MM", input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]
    )
    capacity = forms.IntegerField(label="Places", min_value=1, max_value=500)
    waiting_list = forms.IntegerField(
        label="Places en liste d'attente", min_value=0, max_value=500, initial=5
    )
    theme = forms.ChoiceField(label="Thématique", choices=[("", "—"), *THEME_LABELS.items()], required=False)
    level = forms.ChoiceField(label="Niveau", choices=[("", "Tous niveaux"), *Level.choices], required=False)
    place = forms.CharField(label="Lieu", max_length=300, required=False)
    host = forms.ChoiceField(label="Commune d'accueil", required=False)


class AttendanceForm(forms.Form):
    walk_ins = forms.IntegerField(
        label="Personnes venues sans inscription", min_value=0, max_value=200, initial=0
    )
    themes = forms.MultipleChoiceField(
        label="Thématiques abordées",
        choices=[(t, THEME_LABELS[t]) for t in THEMES],
        widget=forms.CheckboxSelectMultiple,
    )
    referral = forms.CharField(
        label="Orientation vers une autre structure (facultatif)", max_length=200, required=False
    )


class CompanyMemberForm(forms.Form):
    email = forms.EmailField(label="Adresse électronique du nouveau membre", max_length=254)
    manager = forms.BooleanField(label="Gère aussi le compte (ajoute et retire des membres)", required=False)
