"""The helpdesk's pages (declared in views.py)."""

from . import views

app_name = "helpdesk"

urlpatterns = views.urlpatterns
