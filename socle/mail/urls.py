"""The register's pages (declared in views.py)."""

from . import views

app_name = "mail"

urlpatterns = views.urlpatterns
