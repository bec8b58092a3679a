"""The portal's pages read through selectors: none queries the ORM, and the link reads stay safe."""

import ast
from pathlib import Path

import pytest
from django.http import Http404

from socle.portal import selectors
from socle.portal.access_links import access_token_make
from socle.portal.services import case_acknowledge, case_submit

GOOD = {"nom": "Martin", "motif": "perte"}
PORTAL = Path(selectors.__file__).parent
VIEW_MODULES = sorted({"views.py", "api.py", "backoffice.py", "payment_views.py"}
                      | {path.name for path in PORTAL.glob("editor*.py")})


def _objects_uses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "objects"]


@pytest.mark.parametrize("module", VIEW_MODULES)
def test_no_portal_view_or_api_module_queries_a_model_manager(module):
    assert _objects_uses(PORTAL / module) == [], f"{module}: read through portal.selectors"


def test_the_check_sees_a_manager_query():
    assert _objects_uses(PORTAL / "selectors.py"), "the check must notice Model.objects"


def _filed(territory, publish, citizen=None):
    procedure = publish(territory["compiegne"], "carte-stationnement", requires_account=False)
    offered = selectors.procedure_offered_get(slug=procedure.slug, commune=territory["compiegne"])
    case = case_submit(actor=citizen, offered=offered, data=GOOD,
                       email="" if citizen else "visiteur@exemple.fr")
    case_acknowledge(case_id=case.pk)  # the worker's part: its documents exist
    return case


def test_a_genuine_link_opens_a_case_filed_without_an_account(territory, publish):
    case = _filed(territory, publish)
    assert selectors.case_from_access_token(token=access_token_make(case.number)) == case


def test_a_case_number_alone_or_a_forged_link_opens_nothing(territory, publish):
    case = _filed(territory, publish)
    with pytest.raises(Http404):
        selectors.case_from_access_token(token=case.number)
    forged = access_token_make(case.number)[:-2] + "xx"
    with pytest.raises(Http404):
        selectors.case_from_access_token(token=forged)


def test_a_signed_link_never_opens_a_citizens_case(territory, publish, citizen):
    case = _filed(territory, publish, citizen)
    with pytest.raises(Http404):
        selectors.case_from_access_token(token=access_token_make(case.number))
    with pytest.raises(Http404):
        selectors.case_get_for_page(actor=None, number=case.number, granted=[case.number])


def test_a_visitor_sees_only_the_public_part_of_a_case_they_hold(territory, publish):
    case = _filed(territory, publish)
    assert selectors.case_get_for_page(actor=None, number=case.number,
                                       granted=[case.number]) == case
    with pytest.raises(Http404):
        selectors.case_get_for_page(actor=None, number=case.number)
    case.events.update(visible_to_citizen=False)
    case.documents.update(visible_to_citizen=False)
    assert not selectors.case_events_shown(actor=None, case=case).exists()
    assert not selectors.case_documents_shown(actor=None, case=case).exists()
    document = case.documents.first()
    with pytest.raises(Http404):
        selectors.case_document_shown_get(actor=None, case=case, document_id=document.pk)


def test_an_agent_of_another_commune_does_not_get_a_case_by_its_number(
        territory, publish, citizen, caseworker, other_caseworker):
    case = _filed(territory, publish, citizen)
    assert selectors.case_get_for_page(actor=caseworker, number=case.number) == case
    with pytest.raises(Http404):
        selectors.case_get_for_page(actor=other_caseworker, number=case.number,
                                    granted=[case.number])
