"""A case filed without an account: this browser may follow it, and its link is mailed."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from .access_links import access_token_make
from .models import Case

ACCESS_SESSION_KEY = "socle_case_access"


def grant_case_access(request: HttpRequest, case: Case) -> None:
    """Let this browser's session follow the case."""
    allowed = set(request.session.get(ACCESS_SESSION_KEY, []))
    allowed.add(case.number)
    request.session[ACCESS_SESSION_KEY] = sorted(allowed)


def grant_visitor_access(request: HttpRequest, case: Case) -> None:
    """Let this browser follow a case filed without an account, and mail its link."""
    grant_case_access(request, case)
    from socle.core.notifications import absolute_url, email_notify

    link = absolute_url(reverse("portal:case_access", args=[access_token_make(case.number)]))
    email_notify(to=[case.email], subject=f"Confirmez votre demande n° {case.number}",
                 body=f"Bonjour,\n\nPour confirmer votre adresse et suivre votre demande "
                      f"n° {case.number}, ouvrez ce lien :\n{link}\n")
