"""Signing up, confirming an address, resetting a forgotten password, « Mon compte »."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import account_changes, account_recovery, selectors
from .errors import ServiceError
from .forms import (
    AccountDeleteForm,
    EmailChangeForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignUpForm,
)
from .models import User
from .request_actor import request_actor, request_actor_or_none


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_recovery.signup_request(
                email=data["email"], password=data["password"], first_name=data["first_name"],
                last_name=data["last_name"], home_commune=data["home_commune"],
                address=data["address"])
        except ServiceError as exc:
            form.add_error("password", exc.message)
        else:
            return render(request, "core/signup_sent.html", {"email": data["email"]})
    status = 400 if request.method == "POST" else 200
    return render(request, "core/signup.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # A GET only shows a button: mail scanners that open links do not use them up.
    if request.method == "GET":
        return render(request, "core/link_confirm.html", {
            "title": "Activer votre compte", "button": "Activer mon compte",
            "text": "Ouvrez votre compte en confirmant votre adresse électronique."})
    try:
        account_recovery.signup_confirm(secret=token)
    except ServiceError as exc:
        return render(request, "core/error.html", {"title": "Lien refusé", "message": exc.message},
                      status=exc.status)
    return render(request, "core/signup_confirmed.html")


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_recovery.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "core/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    status = 400 if request.method == "POST" else 200
    return render(request, "core/password_reset.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        account_recovery.password_reset_check(secret=token)
    except ServiceError as exc:
        return render(request, "core/error.html", {"title": "Lien refusé", "message": exc.message},
                      status=exc.status)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_recovery.password_reset_complete(secret=token,
                                                     password=form.cleaned_data["password"])
        except ServiceError as exc:
            if exc.code != "weak_password":
                return render(request, "core/error.html", {"title": "Lien refusé",
                                                           "message": exc.message}, status=exc.status)
            form.add_error("password", exc.message)
        else:
            messages.success(request, "Votre mot de passe est enregistré : connectez-vous avec lui.")
            return redirect("core:login")
    status = 400 if request.method == "POST" else 200
    return render(request, "core/password_reset_confirm.html", {"form": form}, status=status)


# « Mon compte »: one page, one form per change, each posting to its own address and
# shown again with its errors next to it.

def _password_field_fits(form: forms.Form, user: User) -> forms.Form:
    # An account opened with FranceConnect has no password to ask for.
    if "current_password" in form.fields:
        if user.has_usable_password():
            form.fields["current_password"].required = True
            form.fields["current_password"].error_messages["required"] = (
                "Indiquez votre mot de passe actuel.")
        else:
            del form.fields["current_password"]
    return form


def account_page(request: HttpRequest, *, status: int = 200, **bound: forms.Form) -> HttpResponse:
    """Render « Mon compte » with its forms, the bound one (with its errors) among them."""
    from . import franceconnect

    user = request_actor(request)
    profile = getattr(user, "citizen", None)
    memberships = selectors.memberships_of(actor=user)
    forms_shown = {
        "profile_form": ProfileForm(prefix="profil", initial={
            "address": profile.address if profile else "",
            "home_commune": profile.home_commune if profile else None}),
        "email_form": _password_field_fits(EmailChangeForm(prefix="courriel"), user),
        "password_form": PasswordChangeForm(prefix="mdp"),
    }
    forms_shown.update(bound)
    return render(request, "core/account.html", {
        "profile": profile, "memberships": memberships,
        "has_password": user.has_usable_password(),
        # Citizens may link FranceConnect to their account; agents never use it.
        "franceconnect_linkable": franceconnect.is_enabled() and not memberships.exists(),
        **forms_shown,
    }, status=status)


@never_cache
@login_required
@require_POST
def profile_update(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST, prefix="profil")
    if form.is_valid():
        account_changes.account_profile_update(
            actor=request_actor(request), address=form.cleaned_data["address"],
            home_commune=form.cleaned_data["home_commune"])
        commune = form.cleaned_data["home_commune"]
        messages.success(request, "Vos coordonnées sont enregistrées." + (
            f" Le catalogue vous propose désormais les démarches de {commune.name}."
            if commune else ""))
        return redirect("core:account")
    return account_page(request, status=400, profile_form=form)


@never_cache
@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = _password_field_fits(EmailChangeForm(request.POST, prefix="courriel"), user)
    if form.is_valid():
        try:
            account_changes.account_email_change_request(
                actor=user, new_email=form.cleaned_data["email"],
                password=form.cleaned_data.get("current_password", ""))
        except ServiceError as exc:
            for name, message in (exc.errors or {"email": exc.message}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, f"Un lien de confirmation a été envoyé à "
                                      f"{form.cleaned_data['email']}. Votre adresse changera "
                                      "quand vous l'ouvrirez (il est valable 24 heures).")
            return redirect("core:account")
    return account_page(request, status=400, email_form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # A GET only shows a button: mail scanners that open links do not use them up.
    if request.method == "GET":
        return render(request, "core/link_confirm.html", {
            "title": "Confirmer votre nouvelle adresse", "button": "Confirmer cette adresse",
            "text": "Cette adresse deviendra celle de votre compte et de vos avis."})
    try:
        user = account_changes.account_email_change_confirm(secret=token)
    except ServiceError as exc:
        return render(request, "core/error.html", {"title": "Lien refusé", "message": exc.message},
                      status=exc.status)
    messages.success(request, f"L'adresse de votre compte est désormais {user.email}.")
    return redirect("core:account" if request_actor_or_none(request) else "core:login")


@never_cache
@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = PasswordChangeForm(request.POST, prefix="mdp")
    if form.is_valid():
        try:
            account_changes.account_password_change(
                actor=user, current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"])
        except ServiceError as exc:
            for name, message in (exc.errors or {"new_password": exc.message}).items():
                form.add_error(name if name in form.fields else None, message)
        else:
            update_session_auth_hash(request, user)  # this session stays open, the others end
            messages.success(request, "Votre mot de passe est changé.")
            return redirect("core:account")
    return account_page(request, status=400, password_form=form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    form = _password_field_fits(AccountDeleteForm(request.POST or None), user)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            account_changes.account_delete(actor=user,
                                           password=form.cleaned_data.get("current_password", ""))
        except ServiceError as exc:
            if exc.errors:
                for name, message in exc.errors.items():
                    form.add_error(name if name in form.fields else None, message)
            else:
                refusal = exc.message
        else:
            logout(request)
            return render(request, "core/account_deleted.html")
    status = 400 if request.method == "POST" else 200
    return render(request, "core/account_delete.html", {
        "form": form, "refusal": refusal,
        "is_agent": selectors.memberships_of(actor=user).exists()}, status=status)
