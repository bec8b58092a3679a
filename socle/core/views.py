"""The core's pages: home, communes, sign-in and second factor, account, agent home."""

from __future__ import annotations

import time

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, signin
from .assurance import session_authenticated
from .client_address import client_ip
from .forms import SignInForm, TotpForm
from .identity import identity_of
from .models import User
from .request_actor import request_actor, request_actor_or_none
from .roles import role_label

PENDING_KEY = "socle_pending_user"
PENDING_SINCE_KEY = "socle_pending_since"
ENROL_SECRET_KEY = "socle_totp_secret"
NEXT_KEY = "socle_next"
PENDING_MAX_SECONDS = 300


def home(request: HttpRequest) -> HttpResponse:
    communes = selectors.communes_public()
    return render(request, "core/home.html", {"communes": communes,
                                              "cards": selectors.home_cards()})


def communes(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    found = selectors.communes_public(query=query)
    if query.strip() and len(found) == 1:
        # "Trouver ma commune": one answer is the commune's own page.
        return redirect("core:commune_detail", slug=found[0].slug)
    return render(request, "core/communes.html", {"communes": found, "query": query})


def commune_detail(request: HttpRequest, slug: str) -> HttpResponse:
    org = selectors.organisation_get_public(slug=slug)
    if org is None or not org.is_commune:
        raise Http404("Commune introuvable.")
    return render(request, "core/commune_detail.html", {"commune": org,
                                                        "identity": identity_of(org)})


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _finish_login(request: HttpRequest, user: User, method: str) -> HttpResponse:
    next_url = request.session.pop(NEXT_KEY, "")
    for key in (PENDING_KEY, PENDING_SINCE_KEY, ENROL_SECRET_KEY):
        request.session.pop(key, None)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    session_authenticated(request, method=method)
    signin.login_succeeded(user=user, ip_address=client_ip(request), method=method)
    if next_url:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(landing_url(user))


def landing_url(user: User) -> str:
    """Where a person lands after signing in: an agent on their tasks, a citizen on their requests."""
    if signin.needs_second_factor(user):
        return reverse("core:my_work")
    # The first page the modules declare for citizens ("Mes demandes"), else the account.
    for item in selectors.navigation_for(actor=user):
        if item.audience == "citizen":
            return reverse(item.url_name)
    return reverse("core:account")


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    signed_in = request_actor_or_none(request)
    if signed_in is not None:
        return HttpResponseRedirect(landing_url(signed_in))
    form = SignInForm(request.POST or None)
    refusal = ""
    if request.method == "GET":
        next_url = _safe_next(request, request.GET.get("next"))
        if next_url:
            request.session[NEXT_KEY] = next_url
    if request.method == "POST" and form.is_valid():
        try:
            user = signin.password_check(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
            )
        except signin.SignInRefused as exc:
            refusal = exc.message
        else:
            if not signin.needs_second_factor(user):
                return _finish_login(request, user, "password")
            request.session.cycle_key()
            request.session[PENDING_KEY] = user.pk
            request.session[PENDING_SINCE_KEY] = time.time()
            return redirect("core:second_factor")
    status = 400 if request.method == "POST" else 200
    if refusal:
        status = 429 if "Trop de tentatives" in refusal else 400
    return render(request, "core/login.html", {"form": form, "refusal": refusal}, status=status)


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_KEY)
    since = request.session.get(PENDING_SINCE_KEY, 0)
    if not user_id or time.time() - float(since) > PENDING_MAX_SECONDS:
        return None
    return selectors.user_signing_in(user_id=user_id)


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("core:login")
    ip = client_ip(request)
    enrolling = not user.totp_confirmed_at
    enrolment = None
    if enrolling:
        secret = request.session.get(ENROL_SECRET_KEY)
        enrolment = signin.totp_enrolment(user, secret)
        request.session[ENROL_SECRET_KEY] = enrolment.secret
    form = TotpForm(request.POST or None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if signin.is_throttled(user.email, ip):
            refusal = signin.throttled_message(user.email, ip)
        elif enrolling and enrolment is not None:
            if signin.totp_confirm(user=user, secret=enrolment.secret, code=code, ip_address=ip):
                return _finish_login(request, user, "password+totp")
            refusal = "Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et réessayez."
        elif signin.totp_verify(user=user, code=code, ip_address=ip):
            return _finish_login(request, user, "password+totp")
        else:
            refusal = "Ce code est incorrect ou a déjà servi. Attendez le code suivant et réessayez."
    status = 400 if request.method == "POST" else 200
    return render(request, "core/second_factor.html",
                  {"form": form, "refusal": refusal, "enrolment": enrolment}, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    from . import franceconnect

    provider_logout = franceconnect.logout_url(request)
    user = request_actor_or_none(request)
    if user is not None:
        from .journal import audit_record

        audit_record(actor=user, action="auth.logout", ip_address=client_ip(request))
    auth_logout(request)
    if provider_logout:
        return HttpResponseRedirect(provider_logout)
    return redirect("core:home")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    from .account_views import account_page

    return account_page(request)


@login_required
def agent_home(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    memberships = list(selectors.memberships_of(actor=actor))
    if not memberships:
        return render(request, "core/error.html", {
            "title": "Espace réservé aux agents",
            "message": "Votre compte n'a aucun rôle d'agent. Adressez-vous à la DCSI.",
        }, status=403)
    rows = [
        {"organisation": m.organisation, "role": m.role, "label": role_label(m.role)}
        for m in memberships
    ]
    return render(request, "core/agent_home.html", {
        "rows": rows, "modules": selectors.agent_modules_for(actor=actor)})


def healthz(request: HttpRequest) -> JsonResponse:
    status = {"status": "ok", "database": "ok", "vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "unhealthy"
        status.update(status="error", database="error")
        return JsonResponse(status, status=503)
    from .blobs import blob_store_health

    status["blobs"] = blob_store_health()
    if status["blobs"] != "ok":
        status["status"] = "error"
        return JsonResponse(status, status=503)
    return JsonResponse(status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Ressource introuvable."}, status=404)
    return render(request, "core/error.html", {
        "title": "Page introuvable",
        "message": "La page demandée n'existe pas ou vous n'y avez pas accès.",
    }, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error",
                             "message": "Erreur interne. L'équipe technique a été prévenue."},
                            status=500)
    return render(request, "core/error.html", {
        "title": "Erreur du service",
        "message": "Une erreur est survenue de notre côté. Réessayez dans quelques instants.",
    }, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "bad_request", "message": "Requête invalide."}, status=400)
    return render(request, "core/error.html", {
        "title": "Requête invalide",
        "message": "La requête envoyée n'a pas pu être comprise.",
    }, status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/error.html", {
        "title": "Formulaire expiré",
        "message": "Le formulaire a expiré ou a été envoyé depuis une autre page. "
                   "Revenez en arrière, rechargez la page et recommencez.",
    }, status=403)
