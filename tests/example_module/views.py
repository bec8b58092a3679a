from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from socle.core.page_guards import role_required


@role_required("example.view", title="Exemple", message="Réservé aux lecteurs de l'exemple.")
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example/home.html")
