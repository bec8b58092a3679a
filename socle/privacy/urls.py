"""The register's pages (declared in views.py)."""

from . import views

app_name = "privacy"

urlpatterns = views.urlpatterns
