"""The archives' pages."""

from . import views

app_name = "archives"

urlpatterns = views.urlpatterns
