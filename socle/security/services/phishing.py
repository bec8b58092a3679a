"""Phishing simulations: GoPhish's results imported, their clickers enrolled into a module.

The enrolment stays inside this app (``Enrolment``): the training app, when it offers a
service to register an agent, is where a training enrolment would be made instead.
"""

from __future__ import annotations

from django.db import transaction

from socle.core.journal import audit_record
from socle.core.models import Organisation, User

from .. import selectors
from ..gophish import Recipient
from ..models import AwarenessModule, Enrolment, PhishingCampaign, PhishingResult
from .common import require, text


def phishing_import(*, actor: User | None, organisation: Organisation, name: str,
                    recipients: list[Recipient], source: str,
                    module: AwarenessModule | None = None,
                    gophish_id: int | None = None) -> PhishingCampaign:
    """Record a GoPhish campaign's results, matching recipients to the organisation's agents
    by email, and enrol those who clicked or submitted data into the module, if given."""
    if actor is not None:
        require(actor, selectors.MANAGE, organisation)
    name = text(name, field="name", label="Nom de la campagne", max_length=200)
    by_email = {r.email: r for r in recipients}  # GoPhish gives one row a recipient
    agents = selectors.agents_by_email(organisation=organisation, emails=list(by_email))
    with transaction.atomic():
        campaign = PhishingCampaign.objects.create(
            organisation=organisation, name=name, source=source, module=module,
            gophish_id=gophish_id, imported_by=actor)
        PhishingResult.objects.bulk_create([
            PhishingResult(campaign=campaign, email=email, user=agents.get(email),
                           status=r.status, clicked=r.clicked, submitted=r.submitted,
                           reported=r.reported)
            for email, r in by_email.items()])
        enrolled = 0
        if module is not None:
            for email, r in by_email.items():
                agent = agents.get(email)
                if agent is None or not r.clicked:
                    continue
                home = selectors.agent_organisation(actor=agent) or organisation
                _, created = Enrolment.objects.get_or_create(
                    module=module, user=agent,
                    defaults={"organisation": home, "campaign": campaign})
                enrolled += created
        audit_record(actor=actor, action="security.phishing_import", organisation=organisation,
                     target=campaign, data={"recipients": len(by_email), "matched": len(agents),
                                            "clicked": sum(r.clicked for r in by_email.values()),
                                            "enrolled": enrolled, "source": source})
    return campaign
