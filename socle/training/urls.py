"""The training service's pages (declared in views.py and manage_views.py)."""

from . import manage_views, views

app_name = "training"

urlpatterns = views.urlpatterns + manage_views.urlpatterns
