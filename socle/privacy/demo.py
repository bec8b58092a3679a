"""The GDPR registers' demo, run by ``socle demo``: three communes under one DPO.

Every structure's register receives the platform's declared processing activities; the
registers of Compiègne, Margny-lès-Compiègne and Venette hold their own activities and
processors besides, the ARC shares an impact-assessment template, Venette has a breach
whose 72 hours are running and Compiègne one notified in time, and requests wait in each
commune (one of them late, one extended). The DPO (dpo@demo.socle.fr) and Margny's
referent (rgpd.margny@demo.socle.fr) are created by the core's demo command. Running it
again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from socle.core.models import Organisation, User

from .models import Activity
from .services import (
    activity_create,
    assessment_save,
    assessment_start,
    breach_create,
    breach_decide,
    breach_notify,
    platform_sync,
    processor_create,
    request_assign,
    request_create,
    request_extend,
    template_create,
)

DPO = "dpo@demo.socle.fr"
REFERENT = "rgpd.margny@demo.socle.fr"
COMMUNES = ("compiegne", "margny-les-compiegne", "venette")
CANTINE: dict[str, Any] = {
    "name": "Restauration scolaire et périscolaire",
    "purpose": "Inscrire les enfants à la cantine et à l'accueil périscolaire, adapter les repas "
               "et facturer les familles.",
    "legal_basis": "public_task", "legal_basis_detail": "Code de l'éducation, art. L. 551-1",
    "data_categories": "Identité de l'enfant et des responsables, coordonnées, régime "
                       "alimentaire, quotient familial", "sensitive_data": True,
    "data_subjects": "Enfants inscrits et leurs responsables légaux",
    "recipients": "Service enfance, trésorerie, prestataire de restauration",
    "transfers": "Aucun", "retention": "Année scolaire en cours et un an ; factures : dix ans",
    "security_measures": "Accès par rôle, poste verrouillé, sauvegardes quotidiennes",
}
ELECTIONS: dict[str, Any] = {
    "name": "Listes électorales", "purpose": "Tenir la liste électorale de la commune.",
    "legal_basis": "legal_obligation", "legal_basis_detail": "Code électoral, art. L. 11 et s.",
    "data_categories": "Identité, adresse, date et lieu de naissance",
    "data_subjects": "Électeurs inscrits", "recipients": "INSEE (répertoire électoral unique)",
    "transfers": "Aucun", "retention": "Durée de l'inscription",
    "security_measures": "Application du REU, accès nominatif",
}
CAMERAS: dict[str, Any] = {
    # Left incomplete on purpose: the register shows what it still lacks.
    "name": "Vidéoprotection des bâtiments communaux",
    "purpose": "Protéger les bâtiments publics et leurs abords.",
    "legal_basis": "public_task",
    "legal_basis_detail": "Code de la sécurité intérieure, art. L. 251-2",
    "data_categories": "Images des personnes filmées",
}


def _users() -> tuple[User | None, User | None]:
    return (User.objects.filter(email=DPO).first(), User.objects.filter(email=REFERENT).first())


def _registers(dpo: User, communes: dict[str, Organisation]) -> None:
    for slug, organisation in communes.items():
        processor = processor_create(
            actor=dpo, organisation=organisation, name="Restauration Collective de l'Oise",
            service="Logiciel d'inscription et de facturation de la cantine",
            contact="dpo@restauration-oise.exemple.fr", contract_clauses=True)
        activity_create(actor=dpo, organisation=organisation, processors=[processor], **CANTINE)
        activity_create(actor=dpo, organisation=organisation, **ELECTIONS)
        if slug != "venette":
            activity_create(actor=dpo, organisation=organisation, **CAMERAS)


def _clocks(dpo: User, referent: User | None, communes: dict[str, Organisation],
            arc: Organisation) -> None:
    now, today = timezone.now(), timezone.localdate()
    template = template_create(actor=dpo, organisation=arc,
                               name="AIPD — méthode de la CNIL simplifiée",
                               description="Contexte, principes fondamentaux, trois risques.")
    cameras = Activity.objects.get(organisation=communes["compiegne"], name=CAMERAS["name"])
    assessment = assessment_start(actor=dpo, activity=cameras, template=template)
    assessment_save(actor=dpo, assessment=assessment, answers={
        "overview": "Douze caméras aux abords de l'hôtel de ville et des écoles."}, risks={
        "illegitimate_access": {"severity": 3, "likelihood": 2,
                                "measures": "Poste de visionnage dans une salle fermée"}})
    breach_create(
        actor=dpo, organisation=communes["venette"],
        title="Courriel aux familles sans copie cachée",
        description="Le programme de la rentrée envoyé à 214 familles avec toutes les adresses "
                    "visibles des destinataires.", aware_at=now - timedelta(hours=20),
        occurred_at=now - timedelta(hours=22), confidentiality=True,
        data_categories="Adresses électroniques des responsables légaux", subjects_count=214,
        consequences="Adresses connues des autres familles ; risque d'hameçonnage limité.",
        measures="Message de rappel demandant de supprimer le courriel.", risk="risk")
    old = breach_create(
        actor=dpo, organisation=communes["compiegne"], title="Vol d'un ordinateur portable",
        description="Ordinateur du service état civil volé dans un véhicule.",
        aware_at=now - timedelta(days=40), confidentiality=True, availability=True,
        data_categories="Actes d'état civil en cours", subjects_count=35, risk="risk",
        measures="Disque chiffré ; compte désactivé ; plainte déposée.")
    breach_decide(actor=dpo, breach=old, cnil="notify", subjects="not_required",
                  subjects_reason="Disque chiffré : données inintelligibles (art. 34-3-a)")
    breach_notify(actor=dpo, breach=old, to="cnil", at=old.aware_at + timedelta(hours=50),
                  reference="NOTIF-2026-0142")
    margny = request_create(actor=dpo, organisation=communes["margny-les-compiegne"],
                            kind="access", requester_name="Camille Martin",
                            requester_email="camille.martin@exemple.fr",
                            description="Copie de toutes les données me concernant.",
                            received_on=today - timedelta(days=10))
    request_assign(actor=dpo, request=margny, handler=referent or dpo)
    request_create(actor=dpo, organisation=communes["compiegne"], kind="erasure",
                   requester_name="Paul Durand", requester_email="paul.durand@exemple.fr",
                   description="Effacement de mon inscription à la lettre d'information.",
                   received_on=today - timedelta(days=40))
    extended = request_create(actor=dpo, organisation=communes["venette"], kind="rectification",
                              requester_name="Léa Petit", received_on=today - timedelta(days=20),
                              description="Correction de l'adresse dans le fichier périscolaire.")
    request_extend(actor=dpo, request=extended,
                   reason="Données réparties entre trois services, demande complexe.")


def demo_load() -> list[str]:
    """Load three communes' registers under one DPO; running it again changes nothing."""
    report = platform_sync()
    lines = [report.summary()]
    dpo, referent = _users()
    if dpo is None:
        return [*lines, f"RGPD : compte {DPO} absent, registres de démonstration non chargés."]
    communes = {o.slug: o for o in Organisation.objects.filter(slug__in=COMMUNES)}
    arc = Organisation.objects.get(slug="arc")
    if Activity.objects.filter(organisation__in=communes.values(), name=CANTINE["name"]).exists():
        return [*lines, "Registres RGPD de démonstration : déjà présents."]
    with transaction.atomic():
        _registers(dpo, communes)
        _clocks(dpo, referent, communes, arc)
    return [*lines, "Registres RGPD de démonstration : trois communes sous un délégué "
                    "mutualisé, une violation en cours, trois demandes."]
