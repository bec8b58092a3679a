"""The register's forms: they parse what people type; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Decision, LegalBasis, RequestKind, RequestStatus, Risk
from .services import RISKS

MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _moment(label: str, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, input_formats=MOMENT_FORMATS,
        help_text=help_text or "Date et heure, format : JJ/MM/AAAA HH:MM.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))


def _text(label: str, max_length: int, required: bool = False, help_text: str = "",
          rows: int = 3) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required,
                           help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


def organisation_choices(form: forms.Form, organisations: Any) -> None:
    field = form.fields["organisation"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [(o.slug, o.name) for o in organisations]


class ActivityForm(forms.Form):
    name = forms.CharField(label="Nom du traitement", max_length=200)
    purpose = _text("Finalité", 2000, required=True, help_text="Pourquoi les données sont traitées.")
    legal_basis = forms.ChoiceField(label="Base légale", choices=LegalBasis.choices)
    legal_basis_detail = forms.CharField(label="Précision sur la base légale (texte applicable)",
                                         max_length=500, required=False)
    data_categories = _text("Catégories de données", 2000)
    sensitive_data = forms.BooleanField(label="Données sensibles (art. 9) ou relatives aux "
                                              "infractions (art. 10)", required=False)
    data_subjects = _text("Catégories de personnes concernées", 2000)
    recipients = _text("Destinataires", 2000)
    transfers = _text("Transferts hors de l'Union européenne", 2000,
                      help_text="Pays et garanties, ou « Aucun ».")
    retention = _text("Durées de conservation", 2000)
    security_measures = _text("Mesures de sécurité", 4000)
    processors = forms.MultipleChoiceField(label="Sous-traitants", required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, processors: list[tuple[str, str]], platform: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["processors"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = processors
        if platform:
            # What the module declares is shown on the page, not edited.
            for name in ("name", "purpose", "legal_basis", "legal_basis_detail", "data_subjects",
                         "data_categories", "retention"):
                del self.fields[name]


class ProcessorForm(forms.Form):
    name = forms.CharField(label="Nom du sous-traitant", max_length=200)
    service = forms.CharField(label="Prestation", max_length=500)
    contact = forms.CharField(label="Contact (délégué du sous-traitant)", max_length=300,
                              required=False)
    country = forms.CharField(label="Pays de traitement", max_length=100, initial="France")
    contract_clauses = forms.BooleanField(label="Le contrat contient les clauses de l'article 28",
                                          required=False)
    guarantees = _text("Garanties (transferts, certifications)", 2000)


class RequestForm(forms.Form):
    organisation = forms.ChoiceField(label="Structure qui a reçu la demande")
    kind = forms.ChoiceField(label="Droit exercé", choices=RequestKind.choices)
    requester_name = forms.CharField(label="Nom de la personne", max_length=200)
    requester_email = forms.EmailField(label="Adresse électronique de la personne", required=False)
    received_on = forms.DateField(
        label="Reçue le", help_text="Format : JJ/MM/AAAA. Le délai d'un mois court à partir de ce jour.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    description = _text("Objet de la demande", 4000)


class AssignForm(forms.Form):
    handler = forms.ChoiceField(label="Confier la demande à")

    def __init__(self, *args: Any, handlers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["handler"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = handlers


class LinkForm(forms.Form):
    email = forms.EmailField(label="Adresse du compte de la personne",
                             help_text="Après avoir vérifié son identité.")


class ExtendForm(forms.Form):
    reason = _text("Motif de la prolongation (communiqué à la personne)", 2000, required=True)


class CloseForm(forms.Form):
    status = forms.ChoiceField(label="Issue", choices=[
        (RequestStatus.ANSWERED.value, RequestStatus.ANSWERED.label),
        (RequestStatus.REFUSED.value, RequestStatus.REFUSED.label)])
    answer = _text("Réponse apportée ou motif du refus", 4000, required=True)


class BreachForm(forms.Form):
    organisation = forms.ChoiceField(label="Structure concernée")
    title = forms.CharField(label="Titre", max_length=200)
    description = _text("Description des faits", 4000, required=True)
    aware_at = _moment("Pris connaissance le",
                       help_text="Le délai de 72 heures court à partir de ce moment. "
                                 "Format : JJ/MM/AAAA HH:MM.")
    occurred_at = _moment("Survenue le (si connu)", required=False)
    confidentiality = forms.BooleanField(label="Perte de confidentialité (accès, divulgation)",
                                         required=False)
    integrity = forms.BooleanField(label="Perte d'intégrité (modification)", required=False)
    availability = forms.BooleanField(label="Perte de disponibilité (destruction, perte)",
                                      required=False)
    data_categories = _text("Données concernées", 2000)
    subjects_count = forms.IntegerField(label="Nombre approximatif de personnes concernées",
                                        required=False, min_value=0)
    consequences = _text("Conséquences probables", 4000)
    measures = _text("Mesures prises ou envisagées", 4000)
    risk = forms.ChoiceField(label="Niveau de risque pour les personnes", choices=Risk.choices,
                             initial=Risk.RISK)


class DecideForm(forms.Form):
    cnil = forms.ChoiceField(label="Notification à la CNIL (art. 33)", choices=Decision.choices)
    cnil_reason = _text("Motif (obligatoire sans notification)", 2000)
    subjects = forms.ChoiceField(label="Information des personnes (art. 34)",
                                 choices=Decision.choices)
    subjects_reason = _text("Motif (exception de l'art. 34-3)", 2000)


class NotifyForm(forms.Form):
    to = forms.ChoiceField(label="Notification faite à", choices=[
        ("cnil", "la CNIL"), ("subjects", "les personnes concernées")])
    at = _moment("Faite le", required=False, help_text="Vide : maintenant. "
                 "Format : JJ/MM/AAAA HH:MM.")
    reference = forms.CharField(label="Référence de la notification (CNIL)", max_length=100,
                                required=False)
    delay_reason = _text("Motifs du retard (après 72 heures)", 2000)


class TemplateForm(forms.Form):
    organisation = forms.ChoiceField(label="Structure propriétaire (partagé en dessous)")
    name = forms.CharField(label="Nom du modèle", max_length=200)
    description = _text("Description", 2000)


class StartAssessmentForm(forms.Form):
    template = forms.ChoiceField(label="Modèle d'analyse d'impact")


class AssessmentForm(forms.Form):
    """The questions of one assessment, then the three risks of the CNIL's method."""

    def __init__(self, *args: Any, questions: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = [("", "—"), ("1", "1 — négligeable"), ("2", "2 — limitée"),
                 ("3", "3 — importante"), ("4", "4 — maximale")]
        for question in questions:
            self.fields[f"q_{question['key']}"] = _text(
                f"{question['section']} — {question['label']}", 8000, rows=4)
        for key, label in RISKS:
            self.fields[f"{key}_severity"] = forms.ChoiceField(label=f"{label} : gravité",
                                                               choices=scale, required=False)
            self.fields[f"{key}_likelihood"] = forms.ChoiceField(
                label=f"{label} : vraisemblance", choices=scale, required=False)
            self.fields[f"{key}_measures"] = _text(f"{label} : mesures", 4000)


class OpinionForm(forms.Form):
    decision = forms.ChoiceField(label="Avis", choices=[("validate", "Valider l'analyse"),
                                                        ("refuse", "La faire reprendre")])
    opinion = _text("Avis du délégué à la protection des données", 4000, required=True)
