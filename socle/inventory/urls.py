"""The inventory's pages (declared in views.py and the other *_views.py modules)."""

from . import views

app_name = "inventory"

urlpatterns = views.urlpatterns
