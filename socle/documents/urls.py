"""The GED's pages."""

from . import views

app_name = "documents"

urlpatterns = views.urlpatterns
