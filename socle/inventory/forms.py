"""The inventory's forms: they read what a person typed; the services check it."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import TRANSITIONS, AssetKind, AssetStatus, HotspotStatus, SiteKind

Choices = list[tuple[str, str]]
DATE_HINT = "JJ/MM/AAAA"


def _choices(form: forms.Form, name: str, choices: Choices) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _blank(choices: Any, label: str = "—") -> Choices:
    return [("", label), *[(str(k), str(v)) for k, v in choices]]


class _WithOrganisations(forms.Form):
    site_blank = "Aucun site"
    def __init__(self, *args: Any, organisations: Choices | None = None, sites: Choices | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:
            _choices(self, "organisation", list(organisations or []))
        if "site" in self.fields:
            _choices(self, "site", _blank(sites or [], self.site_blank))


class SiteForm(_WithOrganisations):
    organisation = forms.ChoiceField(label="Commune ou organisation")
    name = forms.CharField(label="Nom du site", max_length=160)
    kind = forms.ChoiceField(label="Type de site", choices=SiteKind.choices)
    address = forms.CharField(label="Adresse", max_length=300, required=False)
    latitude = forms.CharField(label="Latitude (degrés, ex. 49,4179)", max_length=20,
                               required=False)
    longitude = forms.CharField(label="Longitude (degrés, ex. 2,8261)", max_length=20,
                                required=False)


class AssetForm(_WithOrganisations):
    organisation = forms.ChoiceField(label="Commune ou organisation")
    site = forms.ChoiceField(label="Site", required=False)
    inventory_number = forms.CharField(label="Numéro d'inventaire", max_length=40)
    kind = forms.ChoiceField(label="Type de matériel", choices=AssetKind.choices)
    name = forms.CharField(label="Nom", max_length=160)
    status = forms.ChoiceField(label="Statut", choices=[
        (k, v) for k, v in AssetStatus.choices if k != AssetStatus.LENT])
    manufacturer = forms.CharField(label="Fabricant", max_length=120, required=False)
    model = forms.CharField(label="Modèle", max_length=120, required=False)
    serial_number = forms.CharField(label="Numéro de série", max_length=120, required=False)
    purchased_on = forms.CharField(label="Date d'achat", help_text=DATE_HINT, max_length=10,
                                   required=False)
    warranty_end = forms.CharField(label="Fin de garantie", help_text=DATE_HINT, max_length=10,
                                   required=False)
    contract = forms.CharField(label="Contrat de maintenance", max_length=200, required=False)
    cost = forms.CharField(label="Coût (euros TTC)", max_length=20, required=False)
    assigned_to = forms.CharField(label="Affecté à (personne ou service)", max_length=160,
                                  required=False)
    operating_system = forms.CharField(label="Système d'exploitation", max_length=160,
                                       required=False)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label="Nouveau statut", choices=[
        (k, v) for k, v in AssetStatus.choices if k != AssetStatus.LENT])
    comment = forms.CharField(label="Commentaire", max_length=500, required=False)

    def __init__(self, *args: Any, current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current:
            # Offer the steps the lifecycle allows from here; the service checks them again.
            allowed = TRANSITIONS.get(current, ())
            _choices(self, "to", [(k, str(v)) for k, v in AssetStatus.choices
                                  if k in allowed and k != AssetStatus.LENT])


class TicketLinkForm(forms.Form):
    number = forms.CharField(label="Numéro du ticket d'assistance", max_length=20,
                             help_text="Par exemple 2026-00042.")


class LoanForm(forms.Form):
    borrower = forms.ChoiceField(label="Agent emprunteur")
    due_on = forms.CharField(label="Retour prévu le", help_text=DATE_HINT, max_length=10,
                             required=False)

    def __init__(self, *args: Any, people: Choices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "borrower", _blank(people or [], "Choisir un agent"))


class ReturnForm(forms.Form):
    condition = forms.CharField(label="État au retour", max_length=300, required=False)


FORMATS = [("csv", "Fichier CSV (séparateur « ; »)"),
           ("glpi", "Inventaire JSON de GLPI Agent")]


class ImportForm(_WithOrganisations):
    organisation = forms.ChoiceField(label="Commune dont vous importez le parc")
    site = forms.ChoiceField(label="Site des postes inventoriés (GLPI Agent seulement)",
                             required=False)
    format = forms.ChoiceField(label="Format du fichier", choices=FORMATS,
                               widget=forms.RadioSelect)
    file = forms.FileField(label="Fichier", help_text="CSV : 2 Mo et 5 000 lignes au plus ; "
                                                      "JSON : 5 Mo au plus.")


class SoftwareForm(forms.Form):
    name = forms.CharField(label="Logiciel", max_length=200)
    publisher = forms.CharField(label="Éditeur", max_length=200, required=False)
    business = forms.BooleanField(label="Logiciel métier suivi par la DCSI", required=False)
    reference_version = forms.CharField(label="Version de référence", max_length=60,
                                        required=False)


class LicenceForm(_WithOrganisations):
    organisation = forms.ChoiceField(label="Titulaire de la licence")
    name = forms.CharField(label="Nom de la licence", max_length=200)
    reference = forms.CharField(label="Référence du contrat", max_length=120, required=False)
    seats = forms.IntegerField(label="Nombre de postes", min_value=1, max_value=100000)
    starts_on = forms.CharField(label="Début", help_text=DATE_HINT, max_length=10,
                                required=False)
    expires_on = forms.CharField(label="Échéance", help_text=DATE_HINT, max_length=10,
                                 required=False)
    cost = forms.CharField(label="Coût annuel (euros TTC)", max_length=20, required=False)
    titles = forms.MultipleChoiceField(label="Logiciels couverts", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, software: Choices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "titles", list(software or []))


class SeatForm(forms.Form):
    asset = forms.CharField(label="Numéro d'inventaire du matériel", max_length=40,
                            required=False)
    organisation = forms.ChoiceField(label="Commune du matériel", required=False)
    person = forms.CharField(label="Ou personne", max_length=160, required=False)

    def __init__(self, *args: Any, organisations: Choices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "organisation", _blank(organisations or []))


class RequestForm(_WithOrganisations):
    site_blank = "Choisir une école"
    site = forms.ChoiceField(label="École")
    kind = forms.ChoiceField(label="Matériel demandé", choices=AssetKind.choices)
    quantity = forms.IntegerField(label="Quantité", min_value=1, max_value=1000)
    reason = forms.CharField(label="Besoin pédagogique", max_length=5000, widget=forms.Textarea)


class OpinionForm(forms.Form):
    opinion = forms.ChoiceField(label="Avis", widget=forms.RadioSelect, choices=[
        ("favourable", "Favorable"), ("unfavourable", "Défavorable")])
    comment = forms.CharField(label="Commentaire (obligatoire pour un avis défavorable)",
                              max_length=5000, required=False, widget=forms.Textarea)


class OrderForm(forms.Form):
    order_reference = forms.CharField(label="Numéro du bon de commande", max_length=120)


class TrainingNeedForm(_WithOrganisations):
    site_blank = "Choisir une école"
    site = forms.ChoiceField(label="École")
    topic = forms.CharField(label="Thème (ex. prise en main des tableaux interactifs)",
                            max_length=200)
    teachers = forms.IntegerField(label="Nombre d'enseignants concernés", min_value=1,
                                  max_value=1000)


class HotspotForm(_WithOrganisations):
    organisation = forms.ChoiceField(label="Commune")
    site = forms.ChoiceField(label="Site", required=False)
    name = forms.CharField(label="Nom de la borne", max_length=160)
    status = forms.ChoiceField(label="Statut", choices=HotspotStatus.choices)
    latitude = forms.CharField(label="Latitude (degrés)", max_length=20)
    longitude = forms.CharField(label="Longitude (degrés)", max_length=20)
    installed_on = forms.CharField(label="Installée le", help_text=DATE_HINT, max_length=10,
                                   required=False)
