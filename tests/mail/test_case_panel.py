"""The letter a case is linked to, shown on the case by mail's panel (portal imports no mail)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

import socle.portal
from socle.core.modules import object_ref, panels_on
from socle.mail.panels import letter_on_case
from socle.mail.services import case_from_mail
from socle.portal.services import procedure_create, procedure_publish
from tests.mail.test_case_from_mail import FIELDS, GOOD
from tests.support.clients import signed_in


@pytest.fixture
def agent(territory, make_user):
    """Compiègne's clerk who also processes Compiègne's portal cases."""
    return make_user("accueil.compiegne@exemple.fr",
                     roles=[(territory["compiegne"], "mail.clerk"),
                            (territory["compiegne"], "portal.caseworker")])


@pytest.fixture
def letter(register, agent, territory, make_user):
    editor = make_user("redaction@exemple.fr", roles=[(territory["arc"], "portal.editor")])
    procedure_publish(actor=editor, procedure=procedure_create(
        actor=editor, organisation=territory["compiegne"], slug="signalement",
        title="Signalement", fields=FIELDS))
    return register(actor=agent, subject="Bruit la nuit rue de Paris")


@pytest.fixture
def case(letter, agent):
    return case_from_mail(actor=agent, mail=letter, procedure_slug="signalement", data=GOOD)


def test_the_panel_shows_the_letter_to_an_agent_who_may_read_it(case, letter, agent):
    [content] = panels_on(actor=agent, target="portal.case", ref=object_ref("portal.case", case.pk))
    assert content.title == "Courrier"
    [link] = content.links
    assert (link.text, link.url) == (f"courrier n° {letter.chrono}",
                                     reverse("mail:detail", args=[letter.pk]))
    assert content.lines == (f"Reçu au courrier le {letter.received_on:%d/%m/%Y}.",)


def test_a_caseworker_without_the_register_sees_no_letter(case, letter, make_user, territory):
    caseworker = make_user("instructeur@exemple.fr",
                           roles=[(territory["compiegne"], "portal.caseworker")])
    assert letter_on_case(actor=caseworker, ref=object_ref("portal.case", case.pk)) is None
    page = signed_in(caseworker).get(reverse("portal:agent_case", args=[case.number]))
    assert page.status_code == 200
    assert reverse("mail:detail", args=[letter.pk]) not in page.content.decode()
    assert "Déposé par courrier" in page.content.decode()


def test_another_communes_clerk_and_a_foreign_reference_get_nothing(case, make_user, territory,
                                                                    agent):
    other = make_user(roles=[(territory["venette"], "mail.clerk"),
                             (territory["venette"], "portal.caseworker")])
    assert letter_on_case(actor=other, ref=object_ref("portal.case", case.pk)) is None
    assert letter_on_case(actor=agent, ref=object_ref("mail.letter", case.pk)) is None
    assert letter_on_case(actor=agent, ref="portal.case:99999999999999999999") is None


def test_no_portal_module_imports_the_mail_app():
    portal = Path(socle.portal.__file__).parent
    offending = [path.name for path in portal.rglob("*.py")
                 if "socle.mail" in path.read_text(encoding="utf-8")
                 or "from socle import mail" in path.read_text(encoding="utf-8")]
    templates = [path.name for path in portal.rglob("*.html")
                 if "'mail:" in path.read_text(encoding="utf-8")]
    assert (offending, templates) == ([], [])
