"""The GED's pages."""

from . import circuit_views, disposal_views, plan_views, share_views, views

app_name = "documents"

urlpatterns = (views.urlpatterns + disposal_views.urlpatterns + circuit_views.urlpatterns
               + share_views.urlpatterns + plan_views.urlpatterns)
