"""Impact assessments (the CNIL's PIA method, simplified): templates shared down the tree,
one assessment per processing activity, the DPO's opinion."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from socle.core.errors import Conflict, Forbidden, ServiceError
from socle.core.models import AuditEvent
from socle.privacy import selectors, services
from socle.privacy.models import Assessment
from tests.support.clients import signed_in

ACTIVITY = {"purpose": "Filmer les abords de la mairie.", "legal_basis": "public_task"}


@pytest.fixture
def arc_template(dpo, territory):
    return services.template_create(actor=dpo, organisation=territory["arc"],
                                    name="AIPD vidéoprotection", description="Modèle commun")


@pytest.fixture
def camera(referent, margny):
    return services.activity_create(actor=referent, organisation=margny, name="Vidéoprotection",
                                    **ACTIVITY)


def _complete(assessment):
    return ({q["key"]: "Réponse détaillée." for q in assessment.questions},
            {key: {"severity": 3, "likelihood": 2, "measures": "Chiffrement"}
             for key, _ in services.RISKS})


def test_a_template_of_the_arc_is_shared_with_every_commune(arc_template, referent,
                                                            other_referent, margny, venette):
    assert list(selectors.templates_for(actor=referent, organisation=margny)) == [arc_template]
    assert list(selectors.templates_for(actor=other_referent, organisation=venette)) == [arc_template]
    assert list(selectors.templates_visible(actor=referent)) == [arc_template]
    assert [q["section"] for q in arc_template.questions][:1] == ["Contexte"]


def test_a_communes_own_template_stays_in_the_commune(dpo, margny, referent, other_referent,
                                                      venette):
    local = services.template_create(actor=dpo, organisation=margny, name="Modèle de Margny")
    assert local in selectors.templates_visible(actor=referent)
    assert local not in selectors.templates_visible(actor=other_referent)
    assert local not in selectors.templates_for(actor=other_referent, organisation=venette)


def test_only_the_dpo_creates_templates(referent, margny):
    with pytest.raises(Forbidden):
        services.template_create(actor=referent, organisation=margny, name="Le mien")


def test_template_questions_are_checked(dpo, territory):
    with pytest.raises(ServiceError):
        services.template_create(actor=dpo, organisation=territory["arc"], name="X",
                                 questions=[{"key": "a b", "section": "S", "label": "L"}])
    with pytest.raises(ServiceError):
        services.template_create(actor=dpo, organisation=territory["arc"], name="X",
                                 questions=[{"key": "a", "section": "S", "label": "L"}] * 2)


def test_an_assessment_is_written_then_validated_by_the_dpo(arc_template, camera, referent, dpo):
    assessment = services.assessment_start(actor=referent, activity=camera, template=arc_template)
    answers, risks = _complete(assessment)
    with pytest.raises(Conflict):
        services.assessment_decide(actor=dpo, assessment=assessment, validated=True, opinion="OK")
    services.assessment_save(actor=referent, assessment=assessment, answers=answers, risks=risks)
    with pytest.raises(Forbidden):
        services.assessment_decide(actor=referent, assessment=assessment, validated=True,
                                   opinion="Je valide moi-même")
    services.assessment_decide(actor=dpo, assessment=assessment, validated=True,
                               opinion="Mesures suffisantes.")
    assert assessment.status == "validated"
    with pytest.raises(Conflict):
        services.assessment_save(actor=referent, assessment=assessment, answers=answers, risks={})
    assert AuditEvent.objects.filter(action__startswith="privacy.assessment_").count() == 3


def test_an_assessment_keeps_the_questions_it_started_with(arc_template, camera, referent):
    assessment = services.assessment_start(actor=referent, activity=camera, template=arc_template)
    arc_template.questions = [{"key": "new", "section": "S", "label": "L"}]
    arc_template.save()
    assessment.refresh_from_db()
    assert "overview" in {q["key"] for q in assessment.questions}


def test_risk_scales_run_from_one_to_four(arc_template, camera, referent):
    assessment = services.assessment_start(actor=referent, activity=camera, template=arc_template)
    with pytest.raises(ServiceError):
        services.assessment_save(actor=referent, assessment=assessment, answers={}, risks={
            "disappearance": {"severity": 9, "likelihood": 1}})
    with pytest.raises(ServiceError):
        services.assessment_save(actor=referent, assessment=assessment,
                                 answers={"unknown": "x"}, risks={})


def test_another_commune_cannot_see_or_use_the_assessment(arc_template, camera, referent,
                                                          other_referent):
    assessment = services.assessment_start(actor=referent, activity=camera, template=arc_template)
    with pytest.raises(Http404):
        selectors.assessment_get_for(actor=other_referent, pk=assessment.pk)
    assert signed_in(other_referent).get(
        reverse("privacy:assessment", args=[assessment.pk])).status_code == 404


def test_the_assessment_pages_start_fill_and_give_the_opinion(arc_template, camera, referent, dpo):
    client = signed_in(referent)
    response = client.post(reverse("privacy:assessment_start", args=[camera.pk]),
                           {"template": str(arc_template.pk)})
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    form = {f"q_{q['key']}": "Réponse" for q in assessment.questions}
    for key, _ in services.RISKS:
        form |= {f"{key}_severity": "4", f"{key}_likelihood": "3", f"{key}_measures": "Aucune"}
    assert client.post(response["Location"], form).status_code == 302
    text = client.get(response["Location"]).content.decode()
    assert "élevé" in text
    dpo_client = signed_in(dpo)
    assert dpo_client.post(reverse("privacy:assessment_decide", args=[assessment.pk]), {
        "decision": "refuse", "opinion": "Risques élevés : ajoutez des mesures."}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "refused"
    assert "À reprendre" in dpo_client.get(response["Location"]).content.decode()


def test_the_templates_page_lets_the_dpo_create_one(dpo, referent):
    response = signed_in(dpo).post(reverse("privacy:templates"), {
        "organisation": "arc", "name": "AIPD téléservices"})
    assert response.status_code == 302
    text = signed_in(referent).get(reverse("privacy:templates")).content.decode()
    assert "AIPD téléservices" in text and "Créer un modèle" not in text
