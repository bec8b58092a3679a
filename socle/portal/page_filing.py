"""Filing a case from the pages, one way whether the form is in one page or in steps.

Both the one-page form (``views.procedure``) and the summary of a form in steps
(``step_views``) send through here, so that what a page filing owes (the address the
citizen gave, the client's address for the per-client limit on filing without an
account, the visitor's access to the case they filed) is never forgotten by one of them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from socle.core.client_address import client_ip
from socle.core.models import User

from . import services
from .effective import EffectiveProcedure
from .models import Case
from .visitor_access import grant_visitor_access


def case_file_from_page(request: HttpRequest, *, user: User | None, offered: EffectiveProcedure,
                        data: dict[str, Any], draft: Case | None, expected_revision: int | None,
                        idempotency_key: str) -> Case:
    """File the answers; raises what ``services.case_submit`` raises."""
    return services.case_submit(
        actor=user, offered=offered, data=data, draft=draft,
        email=request.POST.get("contact_email", ""), expected_revision=expected_revision,
        idempotency_key=idempotency_key[:100], client=client_ip(request))


def case_filed(request: HttpRequest, *, user: User | None, case: Case) -> HttpResponse:
    """Say the case is filed and open it; a visitor is given access to it in their session."""
    if user is None:
        grant_visitor_access(request, case)
    messages.success(request, f"Votre demande n° {case.number} est enregistrée.")
    return redirect("portal:case_detail", number=case.number)
