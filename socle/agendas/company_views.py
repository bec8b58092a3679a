"""Pages of company accounts: the company's members and its coming bookings of the park's rooms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from socle.core.errors import ServiceError
from socle.core.request_actor import request_actor

from . import selectors, services
from .forms import CompanyMemberForm


@require_GET
@login_required
def companies(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(request, "agendas/companies.html", {"companies": selectors.companies_of(actor=actor)})


@require_http_methods(["GET", "POST"])
@login_required
def company_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    company = selectors.company_get(actor=actor, pk=pk)
    may_manage = selectors.company_may_manage(actor=actor, company=company)
    form = CompanyMemberForm(request.POST if request.method == "POST" and "email" in request.POST else None)
    refusal, status = "", 200
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                remove = request.POST.get("remove", "")
                services.company_member_remove(
                    actor=actor, company=company, member_id=int(remove) if remove.isdigit() else 0
                )
                messages.success(request, "Membre retiré.")
                return redirect("agendas:company", pk=company.pk)
            if form.is_valid():
                services.company_member_add(actor=actor, company=company, **form.cleaned_data)
                messages.success(request, "Membre ajouté.")
                return redirect("agendas:company", pk=company.pk)
            status = 400
        except ServiceError as exc:
            refusal, status = exc.message, exc.status
    return render(
        request,
        "agendas/company.html",
        {
            "company": company,
            "members": company.members.select_related("user"),
            "bookings": selectors.company_bookings(actor=actor, company=company),
            "may_manage": may_manage,
            "form": form,
            "refusal": refusal,
        },
        status=status,
    )
