"""A person's own API tokens: created (shown once), listed, revoked; second factor required."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .assurance import without_second_factor
from .errors import ServiceError
from .modules import modules
from .page_guards import error_page
from .request_actor import request_actor
from .selectors import memberships_of, token_of, tokens_of
from .services import token_create, token_revoke

TITLE = "Jetons d'API"
NEEDS_SECOND_FACTOR = ("Les jetons d'API sont réservés aux agents connectés avec leur second "
                       "facteur. Déconnectez-vous, puis reconnectez-vous avec votre mot de passe "
                       "et le code de votre application d'authentification.")


class TokenForm(forms.Form):
    name = forms.CharField(label="Nom du jeton", max_length=100,
                           help_text="Pour le reconnaître, par exemple « tableau de bord de la mairie ».")
    access = forms.ChoiceField(label="Droits", choices=[
        ("read", "Lecture seule"), ("write", "Lecture et écriture")], initial="read",
        widget=forms.RadioSelect)
    modules = forms.MultipleChoiceField(
        label="Modules", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Aucun coché : tous les modules auxquels vous avez accès.")
    days = forms.IntegerField(label="Durée de validité, en jours", min_value=1, max_value=365,
                              initial=90, help_text="De 1 à 365 jours.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["modules"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.name, m.label) for m in modules() if m.api and m.name != "core"]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if not memberships_of(actor=actor).exists() or without_second_factor(actor):
        return error_page(request, TITLE, NEEDS_SECOND_FACTOR, 403)
    form = TokenForm(request.POST or None)
    created = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            scope = data["access"] + (":" + ",".join(data["modules"]) if data["modules"] else "")
            try:
                _, created = token_create(actor=actor, user=actor, name=data["name"], scope=scope,
                                          expires_at=timezone.now() + timedelta(days=data["days"]))
            except ServiceError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                form = TokenForm()
        else:
            status = 400
    return render(request, "core/tokens.html", {
        "form": form, "created": created, "tokens": tokens_of(actor=actor), "now": timezone.now(),
    }, status=status)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    actor = request_actor(request)
    if without_second_factor(actor):
        return error_page(request, TITLE, NEEDS_SECOND_FACTOR, 403)
    token = token_of(actor=actor, prefix=prefix)
    if token is None:
        return error_page(request, TITLE, "Vous n'avez aucun jeton de ce nom.", 404)
    if token.revoked_at is None:
        token_revoke(actor=actor, token=token)
    messages.success(request, f"Le jeton « {token.name or token.prefix} » est révoqué.")
    return redirect("core:tokens")
