"""The FranceConnect pages: leaving for the provider, and coming back from it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import franceconnect
from .client_address import client_ip
from .request_actor import request_actor_or_none
from .views import _finish_login

ERROR_TITLE = "Connexion avec FranceConnect impossible"
LINK_KEY = "socle_fc_link"


def _refused(request: HttpRequest, error: franceconnect.FranceConnectError) -> HttpResponse:
    franceconnect.login_failed(error=error, ip_address=client_ip(request))
    return render(request, "core/error.html",
                  {"title": ERROR_TITLE, "message": error.message}, status=400)


@never_cache
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    """Send the person to FranceConnect (the login page's button posts here)."""
    if not franceconnect.is_enabled():
        raise Http404("FranceConnect n'est pas activé.")
    signed_in = request_actor_or_none(request)
    if signed_in is not None:
        # A signed-in citizen asks to link FranceConnect to this account (Mon compte).
        request.session[LINK_KEY] = signed_in.pk
    else:
        request.session.pop(LINK_KEY, None)
    try:
        url = franceconnect.authorization_url(request)
    except franceconnect.FranceConnectError as exc:
        return _refused(request, exc)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Come back from FranceConnect: verify everything, then sign the citizen in."""
    if not franceconnect.is_enabled():
        raise Http404("FranceConnect n'est pas activé.")
    linking_id = request.session.pop(LINK_KEY, None)
    linking = request_actor_or_none(request)
    if linking is not None and linking.pk != linking_id:
        linking = None
    try:
        identity = franceconnect.identity_from_callback(request)
        user = franceconnect.citizen_from_franceconnect(identity=identity, linking=linking)
    except franceconnect.FranceConnectError as exc:
        return _refused(request, exc)
    if linking is not None:
        # The session stays the one opened with the password; it now knows the identity.
        request.session[franceconnect.ID_TOKEN_SESSION_KEY] = identity.id_token
        messages.success(request, "Votre compte est relié à FranceConnect : vous pourrez "
                                  "désormais vous connecter avec FranceConnect.")
        return redirect("core:account")
    response = _finish_login(request, user, "franceconnect")
    # Set after login, whose session key rotation keeps it: logout needs it as id_token_hint.
    request.session[franceconnect.ID_TOKEN_SESSION_KEY] = identity.id_token
    return response
