"""The GED's pages."""

from . import circuit_views, disposal_views, views

app_name = "documents"

urlpatterns = views.urlpatterns + disposal_views.urlpatterns + circuit_views.urlpatterns
