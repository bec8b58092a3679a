"""The certificate of attendance, drawn as a one-page tagged PDF with core's letters."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from socle.core.access import Actor
from socle.core.errors import Conflict
from socle.core.identity import logo_bytes
from socle.core.letters import Letter, authority_of, contact_lines, french_date, letter_render

from .models import Registration


def _hours(value: Decimal) -> str:
    text = f"{value:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} heure{'s' if value >= 2 else ''}"


def certificate_pdf(*, actor: Actor, registration: Registration) -> bytes:
    """Return the certificate of attendance of a registration whose agent attended."""
    if registration.attended is not True:
        raise Conflict("L'attestation n'existe qu'une fois la présence relevée.",
                       code="not_attended")
    session = registration.session
    course = session.course
    issuer = session.organisation
    heading, _ = authority_of(issuer)
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    trainer = session.trainer.display_name if session.trainer else "La DCSI"
    place = "À distance" if session.remote else session.place
    return letter_render(Letter(
        issuer=heading, issuer_lines=contact_lines(issuer), logo=logo_bytes(issuer),
        title="Attestation de présence à une formation",
        reference=f"FOR-{start.year}-{registration.pk:06d}",
        subject=course.title,
        place_date=f"Compiègne, le {french_date(timezone.localdate())}",
        facts=[
            ("Agent", registration.agent.display_name),
            ("Organisation", registration.organisation.name),
            ("Formation", f"{course.title} ({course.code})"),
            ("Type", course.get_kind_display()),
            ("Date", f"{french_date(start)}, de {start:%H:%M} à {end:%H:%M}"),
            ("Lieu", place),
            ("Durée", _hours(course.duration_hours)),
            ("Formateur", trainer),
        ],
        paragraphs=[
            f"Le service de formation de la DCSI atteste que {registration.agent.display_name} "
            f"a suivi la formation « {course.title} » le {french_date(start)}, pour une durée "
            f"de {_hours(course.duration_hours)}.",
            f"Objectifs : {course.objectives}",
            "Cette attestation est délivrée pour servir et valoir ce que de droit.",
        ],
        signature="Pour le président et par délégation,",
        signatory="Le service de formation de la DCSI",
    ))
