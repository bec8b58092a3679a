"""Cybersecurity awareness's pages (declared in views.py)."""

from . import views

app_name = "security"

urlpatterns = views.urlpatterns
