"""A decision is an administrative letter (CRPA L212-1): its author, the issuer, the addressee,
the date and the channels of appeal; rendered as a PDF and looked at as an image."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from pypdf import PdfReader

from socle.core.blobs import blob_open
from socle.core.identity import identity_set
from socle.core.services import citizen_profile_set
from socle.portal import selectors
from socle.portal.models import DocumentKind
from socle.portal.services import case_submit, case_transition
from tests.core.test_identity import png

GOOD = {"nom": "Martin", "motif": "perte"}
LOGO_RGB = (122, 31, 61)


@pytest.fixture
def compiegne(territory):
    commune = territory["compiegne"]
    commune.address = "Place de l'Hôtel de Ville, 60200 Compiègne"
    commune.phone = "03 44 40 72 00"
    commune.email = "mairie@exemple-compiegne.fr"
    commune.save()
    identity_set(actor=None, organisation=commune,
                 logo=png(300, 150, "#{:02x}{:02x}{:02x}".format(*LOGO_RGB)))
    commune.refresh_from_db()
    return commune


def decide(publish, compiegne, citizen, caseworker, to, comment):
    procedure = publish(compiegne, "carte-stationnement", title="Carte de stationnement résident")
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=compiegne)
    case = case_submit(actor=citizen, offered=offered, data=GOOD)
    case_transition(actor=caseworker, case=case, to="in_instruction")
    case = case_transition(actor=caseworker, case=case, to=to, comment=comment)
    document = case.documents.get(kind=DocumentKind.DECISION)
    with blob_open(document.blob) as handle:
        return case, handle.read()


def test_a_refusal_names_its_signatory_the_issuer_the_addressee_and_the_appeal(
        publish, compiegne, citizen, caseworker):
    caseworker.first_name, caseworker.last_name = "Nadia", "Lefèvre"
    caseworker.job_title = "Responsable du stationnement"
    caseworker.save()
    citizen.first_name, citizen.last_name = "Camille", "Martin"
    citizen.save()
    citizen_profile_set(actor=None, user=citizen, home_commune=compiegne,
                        address="12 rue Solférino\n60200 Compiègne")
    case, pdf = decide(publish, compiegne, citizen, caseworker, "refused",
                       "Le secteur est réservé aux résidents.")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for expected in ("Nadia Lefèvre", "Responsable du stationnement", "Pour le maire et par délégation",
                     "Place de l'Hôtel de Ville, 60200 Compiègne", "03 44 40 72 00",
                     "mairie@exemple-compiegne.fr", "12 rue Solférino", "Compiègne, le ",
                     "Mairie de Compiègne",
                     "Voies et délais de recours", "tribunal administratif d'Amiens",
                     "deux mois", "Télérecours", "Motifs de la décision : Le secteur est réservé",
                     f"dossier n° {case.number}"):
        assert expected in text, expected
    assert "Camille Martin" in text or case.applicant_name in text


def test_the_letter_looks_like_a_letter_logo_top_left(publish, compiegne, citizen, caseworker):
    _case, pdf = decide(publish, compiegne, citizen, caseworker, "accepted", "")
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    width, height = image.size
    image.save("/tmp/socle-decision.png")

    def share(box, rgb, tolerance=12):
        region = image.crop(box)
        pixels = list(region.get_flattened_data())
        close = sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, rgb, strict=True)))
        return close / len(pixels)

    # The logo's colour fills part of the top-left corner, and nowhere else on the page.
    assert share((0, 0, width // 2, height // 6), LOGO_RGB) > 0.02
    assert share((width // 2, 0, width, height), LOGO_RGB) == 0
    # The page is not blank: text spans its upper half.
    dark = share((0, height // 6, width, height // 2), (0, 0, 0), tolerance=100)
    assert dark > 0.005


def test_a_decision_without_a_named_function_says_the_agents_role(publish, compiegne, citizen, caseworker):
    _case, pdf = decide(publish, compiegne, citizen, caseworker, "accepted", "")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Instructeur des démarches" in text and caseworker.display_name in text
    assert "portal.caseworker" not in text
